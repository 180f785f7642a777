#include "CNF4.h"
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2")))
static void lookup_avx2(const uint8_t *packed, int64_t first, int64_t count, const float *table, float *out) {
    const __m256 low = _mm256_loadu_ps(table), high = _mm256_loadu_ps(table + 8);
    // lane k holds value k of 8 (bytes k / 2 of a 32-bit word, the high nibble first)
    const __m256i shifts = _mm256_setr_epi32(4, 0, 12, 8, 20, 16, 28, 24);
    const __m256i nibble = _mm256_set1_epi32(15);
    const uint8_t *bytes = packed + first / 2;
    int64_t k = 0;
    for (; k + 8 <= count; k += 8) {
        uint32_t word;
        memcpy(&word, bytes + k / 2, 4);
        __m256i codes = _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32((int)word), shifts), nibble);
        __m256 fromLow = _mm256_permutevar8x32_ps(low, codes), fromHigh = _mm256_permutevar8x32_ps(high, codes);
        // codes 8-15 (bit 3) take the high half: bit 3 moved to the sign bit selects in blendv
        __m256 select = _mm256_castsi256_ps(_mm256_slli_epi32(codes, 28));
        _mm256_storeu_ps(out + k, _mm256_blendv_ps(fromLow, fromHigh, select));
    }
    for (; k < count; k++) {
        uint8_t byte = bytes[k / 2];
        out[k] = table[(k & 1) ? (byte & 15) : (byte >> 4)];
    }
}
#endif

void nf4_lookup_scalar_f32(const uint8_t *packed, int64_t first, int64_t count, const float *table, float *out) {
    const uint8_t *bytes = packed + first / 2;
    for (int64_t k = 0; k < count; k++) {
        uint8_t byte = bytes[k / 2];
        out[k] = table[(k & 1) ? (byte & 15) : (byte >> 4)];
    }
}

int nf4_lookup_is_vector(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) cached = __builtin_cpu_supports("avx2") ? 1 : 0;
    return cached;
#else
    return 0;
#endif
}

void nf4_lookup_f32(const uint8_t *packed, int64_t first, int64_t count, const float *table, float *out) {
#if defined(__x86_64__)
    if (nf4_lookup_is_vector()) { lookup_avx2(packed, first, count, table, out); return; }
#endif
    nf4_lookup_scalar_f32(packed, first, count, table, out);
}

// The bf16 rounding of a finite fp32 (nearest even), as Kernels.BFloat16.rounded.
static inline float round_to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
    memcpy(&value, &bits, 4);
    return value;
}

void nf4_dequantize_f32(const uint8_t *packed, int64_t first, int64_t count, int64_t blocksize, const float *absmax,
                        const float *levels, int round_bf16, float *out) {
    float table[16];
    int64_t i = first, end = first + count, block = 0;
    while (i < end) {
        int64_t stop = (i / blocksize + 1) * blocksize;
        if (stop > end) stop = end;
        float scale = absmax[block++];
        for (int c = 0; c < 16; c++) {
            float v = levels[c] * scale;
            table[c] = round_bf16 ? round_to_bf16(v) : v;
        }
        if (i & 1) {  // a range that starts on a low nibble
            out[i - first] = table[packed[i / 2] & 15];
            i++;
        }
        if (i < stop) nf4_lookup_f32(packed, i, stop - i, table, out + (i - first));
        i = stop;
    }
}

void nf4_dequantize_bf16(const uint8_t *packed, int64_t first, int64_t count, int64_t blocksize, const float *absmax,
                         const float *levels, uint16_t *out) {
    float block[4096];
    int64_t i = first, end = first + count;
    while (i < end) {  // a block at a time: fp32 values of its bf16s, then their top halves
        int64_t stop = (i / blocksize + 1) * blocksize;
        if (stop > end) stop = end;
        nf4_dequantize_f32(packed, i, stop - i, blocksize, absmax + (i / blocksize - first / blocksize), levels, 1, block);
        for (int64_t k = 0; k < stop - i; k++) {
            uint32_t bits;
            memcpy(&bits, block + k, 4);
            out[i - first + k] = (uint16_t)(bits >> 16);
        }
        i = stop;
    }
}
