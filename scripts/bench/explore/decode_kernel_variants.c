// Why the batch-8 decoding product (WeightKernels.rowTimesEight) is shaped as it is, and where its
// time goes: plain C/AVX2 copies of the kernel and of alternative register tilings, on the
// benchmark's decoder shape (2048×768 bf16 weight rows, 8 rows of x), cycling through 32 matrices
// (100 MB, more than the L3) so the weights stream from memory.
//   1. streaming, one thread: the current 1×8 block against 3 weight rows × 4 x rows (two passes),
//      the same with the three rows widened once into an L1 buffer, and 2 rows × 6 + 2 × 2;
//   2. the 1×8 block on data in L1/L2 (no memory traffic): FMA instructions per cycle, its ceiling;
//   3. two threads streaming at m = 1 and m = 8, with software prefetch 0-8 KiB ahead (T0 / NTA);
//   4. two threads at m = 8 on 6 matrices (19 MB, within the L3) against all 32, with a second,
//      far prefetch 16-768 KiB ahead into L2 (T1), L3 (T2) or non-temporally.
// Every variant sums each output in the same order; section 1 checks the bits against 1×8.
// Run: gcc -O3 -funroll-loops -mavx2 -mfma -fopenmp scripts/bench/explore/decode_kernel_variants.c -o /tmp/kv && /tmp/kv
#include <immintrin.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ROWS = 2048, COLS = 768, M = 8, MATRICES = 32 };

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static inline __m256 widen(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
static inline float hsum(__m256 v) {
    __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    a = _mm_hadd_ps(a, a);
    return _mm_cvtss_f32(_mm_hadd_ps(a, a));
}

// The project's kernel: one weight row, eight x rows, 8 FMAs per widened weight vector.
// m is 1 or 8; prefetch `distance` bytes ahead with `hint` (0: none).
static long far_distance = 0;  // section 4: a second prefetch this many bytes ahead, with far_hint
static int far_hint = _MM_HINT_T1;

static void one_by_eight(const float *x, const uint16_t *w, float *y, int r0, int r1, int m, int distance, int hint) {
    for (int j = r0; j < r1; j++) {
        const uint16_t *row = w + (long)j * COLS;
        __m256 a[8];
        for (int r = 0; r < 8; r++) a[r] = _mm256_setzero_ps();
        for (int c = 0; c < COLS; c += 8) {
            if (distance && (c & 31) == 0) {
                if (hint == _MM_HINT_T0) _mm_prefetch((const char *)(row + c) + distance, _MM_HINT_T0);
                else _mm_prefetch((const char *)(row + c) + distance, _MM_HINT_NTA);
                if (far_distance) {
                    const char *ahead = (const char *)(row + c) + far_distance;
                    if (far_hint == _MM_HINT_T1) _mm_prefetch(ahead, _MM_HINT_T1);
                    else if (far_hint == _MM_HINT_T2) _mm_prefetch(ahead, _MM_HINT_T2);
                    else _mm_prefetch(ahead, _MM_HINT_NTA);
                }
            }
            __m256 v = widen(row + c);
            if (m == 8) for (int r = 0; r < 8; r++) a[r] = _mm256_fmadd_ps(_mm256_loadu_ps(x + r * COLS + c), v, a[r]);
            else a[0] = _mm256_fmadd_ps(_mm256_loadu_ps(x + c), v, a[0]);
        }
        for (int r = 0; r < m; r++) y[r * ROWS + j] = hsum(a[r]);
    }
}
// Best of 5 passes over `count` matrices, rows split in halves between two threads: ms per matrix.
static double two_threads_ms(const float *x, const uint16_t *w, float *y, int count, int m, int distance, int hint) {
    double best = 1e9;
    for (int t = 0; t < 5; t++) {
        double start = now();
        for (int n = 0; n < count; n++) {
            const uint16_t *matrix = w + (long)n * ROWS * COLS;
#pragma omp parallel num_threads(2)
            {
                int id = omp_get_thread_num();
                one_by_eight(x, matrix, y, id * ROWS / 2, (id + 1) * ROWS / 2, m, distance, hint);
            }
        }
        double each = (now() - start) / count;
        if (each < best) best = each;
    }
    return best * 1e3;
}

static void current(const float *x, const uint16_t *w, float *y) { one_by_eight(x, w, y, 0, ROWS, 8, 1024, _MM_HINT_NTA); }

// 3 weight rows × 4 x rows (12 accumulators), x rows 0-3 then 4-7; `staged` widens the three rows
// into an L1 buffer first instead of widening them in both passes.
static void three_by_four(const float *x, const uint16_t *w, float *y, int staged) {
    float buffer[3 * COLS] __attribute__((aligned(32)));
    int j = 0;
    for (; j + 3 <= ROWS; j += 3) {
        const uint16_t *w0 = w + (long)j * COLS;
        if (staged) for (int c = 0; c < 3 * COLS; c += 8) _mm256_store_ps(buffer + c, widen(w0 + c));
        for (int half = 0; half < 2; half++) {
            const float *xh = x + half * 4 * COLS;
            __m256 a[12];
            for (int r = 0; r < 12; r++) a[r] = _mm256_setzero_ps();
            for (int c = 0; c < COLS; c += 8) {
                __m256 u0, u1, u2;
                if (staged) { u0 = _mm256_load_ps(buffer + c); u1 = _mm256_load_ps(buffer + COLS + c); u2 = _mm256_load_ps(buffer + 2 * COLS + c); }
                else { u0 = widen(w0 + c); u1 = widen(w0 + COLS + c); u2 = widen(w0 + 2 * COLS + c); }
                for (int r = 0; r < 4; r++) {
                    __m256 p = _mm256_loadu_ps(xh + r * COLS + c);
                    a[r] = _mm256_fmadd_ps(p, u0, a[r]); a[4 + r] = _mm256_fmadd_ps(p, u1, a[4 + r]); a[8 + r] = _mm256_fmadd_ps(p, u2, a[8 + r]);
                }
            }
            for (int r = 0; r < 4; r++)
                for (int t = 0; t < 3; t++) y[(half * 4 + r) * ROWS + j + t] = hsum(a[4 * t + r]);
        }
    }
    one_by_eight(x, w, y, j, ROWS, 8, 0, 0);
}
static void three_by_four_widened(const float *x, const uint16_t *w, float *y) { three_by_four(x, w, y, 0); }
static void three_by_four_staged(const float *x, const uint16_t *w, float *y) { three_by_four(x, w, y, 1); }

// 2 weight rows × 6 x rows (12 accumulators), then the same 2 rows × x rows 6-7.
static void two_by_six(const float *x, const uint16_t *w, float *y) {
    for (int j = 0; j < ROWS; j += 2) {
        const uint16_t *w0 = w + (long)j * COLS, *w1 = w0 + COLS;
        __m256 a[12], b[4];
        for (int r = 0; r < 12; r++) a[r] = _mm256_setzero_ps();
        for (int r = 0; r < 4; r++) b[r] = _mm256_setzero_ps();
        for (int c = 0; c < COLS; c += 8) {
            __m256 u0 = widen(w0 + c), u1 = widen(w1 + c);
            for (int r = 0; r < 6; r++) {
                __m256 p = _mm256_loadu_ps(x + r * COLS + c);
                a[r] = _mm256_fmadd_ps(p, u0, a[r]); a[6 + r] = _mm256_fmadd_ps(p, u1, a[6 + r]);
            }
        }
        for (int c = 0; c < COLS; c += 8) {
            __m256 u0 = widen(w0 + c), u1 = widen(w1 + c);
            for (int r = 0; r < 2; r++) {
                __m256 p = _mm256_loadu_ps(x + (6 + r) * COLS + c);
                b[r] = _mm256_fmadd_ps(p, u0, b[r]); b[2 + r] = _mm256_fmadd_ps(p, u1, b[2 + r]);
            }
        }
        for (int r = 0; r < 6; r++) { y[r * ROWS + j] = hsum(a[r]); y[r * ROWS + j + 1] = hsum(a[6 + r]); }
        for (int r = 0; r < 2; r++) { y[(6 + r) * ROWS + j] = hsum(b[r]); y[(6 + r) * ROWS + j + 1] = hsum(b[2 + r]); }
    }
}

int main(void) {
    long slack = 1 << 20;  // the far prefetch reads past the last matrix
    uint16_t *w = aligned_alloc(64, (long)MATRICES * ROWS * COLS * 2 + 2 * slack);
    float *x = aligned_alloc(64, M * COLS * 4), *y = aligned_alloc(64, M * ROWS * 4), *expected = aligned_alloc(64, M * ROWS * 4);
    for (long i = 0; i < (long)MATRICES * ROWS * COLS + slack; i++) w[i] = (uint16_t)(0x3c00 + (i * 7919) % 1000);
    for (int i = 0; i < M * COLS; i++) x[i] = (i % 13) * 0.01f;
    printf("1. streaming, one thread, ms per 2048x768 bf16 matrix at m = 8 (best of 5 passes over %d matrices)\n", MATRICES);
    typedef void (*Kernel)(const float *, const uint16_t *, float *);
    Kernel kernels[] = {current, three_by_four_widened, three_by_four_staged, two_by_six};
    const char *names[] = {"1x8 (project)", "3x4 x2, widened twice", "3x4 x2, staged in L1", "2x6 + 2x2"};
    current(x, w, expected);
    for (int round = 0; round < 2; round++)
        for (int k = 0; k < 4; k++) {
            kernels[k](x, w, y);
            if (memcmp(y, expected, sizeof(float) * M * ROWS)) printf("   %s: bits differ from 1x8\n", names[k]);
            double best = 1e9;
            for (int t = 0; t < 5; t++) {
                double start = now();
                for (int n = 0; n < MATRICES; n++) kernels[k](x, w + (long)n * ROWS * COLS, y);
                double each = (now() - start) / MATRICES;
                if (each < best) best = each;
            }
            printf("   %-24s %.3f ms\n", names[k], best * 1e3);
        }

    printf("2. 1x8 on 16 weight rows that stay in cache: FMA instructions per ns (two per cycle is the core's peak)\n");
    for (int round = 0; round < 3; round++) {
        int reps = 20000;
        double start = now();
        for (int i = 0; i < reps; i++) one_by_eight(x, w, y, 0, 16, 8, 0, 0);
        double seconds = now() - start;
        printf("   %.2f FMA/ns\n", (double)reps * 16 * COLS / seconds / 1e9);
    }

    printf("3. two threads streaming (OMP_WAIT_POLICY=active advised), ms per matrix\n");
    int distances[] = {0, 1024, 2048, 4096, 8192};
    for (int m = 1; m <= 8; m += 7)
        for (int hint = 0; hint < 2; hint++)
            for (int d = 0; d < 5; d++) {
                if (d == 0 && hint) continue;
                double ms = two_threads_ms(x, w, y, MATRICES, m, distances[d], hint ? _MM_HINT_T0 : _MM_HINT_NTA);
                printf("   m = %d, prefetch %-3s %5d B ahead: %.3f ms\n", m, d == 0 ? "off" : (hint ? "T0" : "NTA"), distances[d], ms);
            }
    printf("4. two threads at m = 8, ms per matrix: 6 matrices (within the L3) against 32, far prefetch into L2/L3/NTA\n");
    long fars[] = {0, 16384, 65536, 262144, 786432};
    int hints[] = {_MM_HINT_T1, _MM_HINT_T2, _MM_HINT_NTA};
    const char *hint_names[] = {"T1", "T2", "NTA"};
    for (int set = 0; set < 2; set++) {
        int count = set == 0 ? 6 : MATRICES;
        for (int h = 0; h < 3; h++)
            for (int f = 0; f < 5; f++) {
                if (f == 0 && h) continue;
                far_distance = fars[f];
                far_hint = hints[h];
                double ms = two_threads_ms(x, w, y, count, 8, 1024, _MM_HINT_T0);
                printf("   %2d matrices, far prefetch %-3s %6ld B ahead: %.3f ms\n", count, f == 0 ? "off" : hint_names[h], fars[f], ms);
            }
    }
    far_distance = 0;
    return 0;
}
