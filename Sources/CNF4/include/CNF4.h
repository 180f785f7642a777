// The NF4 code lookup as vector instructions: Swift has no dynamic shuffle, and the scalar lookup was the limit of
// decoding on the 4-bit base (Kernels.NF4Tensor; docs/ARCHITECTURE.md, "QLoRA").
#ifndef CNF4_H
#define CNF4_H
#include <stdint.h>

// out[k] = table[code of value first + k] for k in 0..<count, where value i's code is the high nibble of
// packed[i / 2] for even i and the low nibble for odd i; `first` is even. AVX2 (two 8-lane permutes of the
// 16-entry table and a blend) where the CPU has it, checked at run time; a scalar loop elsewhere. Same results.
void nf4_lookup_f32(const uint8_t *packed, int64_t first, int64_t count, const float *table, float *out);

// out[k] = level[code] * absmax of its block for the values first ..< first + count of a tensor in blocks of
// `blocksize` values (absmax[0] is the block of value `first`), rounded to bf16 (nearest even, kept as fp32) when
// `round_bf16`: each block's 16 values once, then nf4_lookup_f32. Values and scales must be finite.
void nf4_dequantize_f32(const uint8_t *packed, int64_t first, int64_t count, int64_t blocksize, const float *absmax,
                        const float *levels, int round_bf16, float *out);

// The same values as bf16 bits (the rounded fp32's top half), for the oneDNN products: blocksize ≤ 4096.
void nf4_dequantize_bf16(const uint8_t *packed, int64_t first, int64_t count, int64_t blocksize, const float *absmax,
                         const float *levels, uint16_t *out);

// The scalar loop alone (what nf4_lookup_f32 runs without AVX2; the tests compare the two).
void nf4_lookup_scalar_f32(const uint8_t *packed, int64_t first, int64_t count, const float *table, float *out);

// 1 when nf4_lookup_f32 runs on AVX2 on this CPU, else 0.
int nf4_lookup_is_vector(void);

#endif
