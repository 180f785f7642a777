// How close OpenBLAS's sgemm comes to this CPU's arithmetic peak on the encoder's products, and
// whether its bits depend on how a product is cut into pieces (GEMM.swift relies on the answer).
//   1. FMA peak: ten independent chains of 8-lane fused multiply-adds, on one core and on two;
//   2. sgemm at the encoder's shapes (2048 rows = batch 8 × 256 tokens, x·Wᵀ as the engine calls
//      it), whole on one thread and cut in two row halves on two threads (the engine's split),
//      against twice the FMA peak of one core;
//   3. the same product cut into 16- to 512-row pieces: how many elements differ from the whole;
//   4. a plain 6×16 AVX2 micro-kernel (12 accumulators, A broadcast, B two vectors) on packed blocks
//      that stay in cache: what the inner loop of a hand-written GEMM could reach, packing aside.
// Run: gcc -O3 -mavx2 -mfma -fopenmp scripts/bench/explore/sgemm_ceiling.c -o /tmp/sgemm_ceiling \
//        $(pkg-config --cflags --libs openblas) && OPENBLAS_NUM_THREADS=1 OMP_WAIT_POLICY=active /tmp/sgemm_ceiling
#include <cblas.h>
#include <immintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }

// GFLOP/s of one core running ten independent FMA chains (more than latency × throughput = 4 × 2).
static double fma_peak(void) {
    __m256 b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(1), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0;
    const long iterations = 100000000;
    double start = now();
    for (long i = 0; i < iterations; i++) {  // named variables, so the chains stay in registers
        a0 = _mm256_fmadd_ps(a0, b, c); a1 = _mm256_fmadd_ps(a1, b, c); a2 = _mm256_fmadd_ps(a2, b, c);
        a3 = _mm256_fmadd_ps(a3, b, c); a4 = _mm256_fmadd_ps(a4, b, c); a5 = _mm256_fmadd_ps(a5, b, c);
        a6 = _mm256_fmadd_ps(a6, b, c); a7 = _mm256_fmadd_ps(a7, b, c); a8 = _mm256_fmadd_ps(a8, b, c);
        a9 = _mm256_fmadd_ps(a9, b, c);
    }
    double seconds = now() - start;
    __m256 sum = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                               _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(_mm256_add_ps(a6, a7), _mm256_add_ps(a8, a9))));
    volatile float sink = _mm256_cvtss_f32(sum);  // keeps the chains alive
    (void)sink;
    return iterations * 10.0 * 16 / seconds / 1e9;
}

static void product(const float *x, const float *w, float *y, int rows, int n, int k) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, n, k, 1, x, k, w, k, 0, y, n);
}

// Best of 7: the whole product on one thread, or two row halves on two threads.
static double best_ms(const float *x, const float *w, float *y, int m, int n, int k, int threads) {
    double best = 1e9;
    for (int r = 0; r < 7; r++) {
        double start = now();
        if (threads == 1) product(x, w, y, m, n, k);
        else {
#pragma omp parallel num_threads(2)
            {
                int half = m / 2, id = omp_get_thread_num();
                product(x + (long)id * half * k, w, y + (long)id * half * n, half, n, k);
            }
        }
        double t = now() - start;
        if (t < best) best = t;
    }
    return best * 1e3;
}

// C[6,16] += A[k,6] · B[k,16], both packed k-major: per k, two vectors of B, six broadcasts of A
// and twelve FMAs into named accumulators (an array of them is not kept in registers by gcc -O2).
#define ROW(r, c0, c1) { __m256 ar = _mm256_broadcast_ss(a + r); c0 = _mm256_fmadd_ps(ar, b0, c0); c1 = _mm256_fmadd_ps(ar, b1, c1); }
static void micro_kernel(int k, const float *a, const float *b, float *c, int ldc) {
    __m256 c00 = _mm256_loadu_ps(c), c01 = _mm256_loadu_ps(c + 8), c10 = _mm256_loadu_ps(c + ldc), c11 = _mm256_loadu_ps(c + ldc + 8);
    __m256 c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
    __m256 c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    __m256 c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
    __m256 c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
    for (int p = 0; p < k; p++, a += 6, b += 16) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31) ROW(4, c40, c41) ROW(5, c50, c51)
    }
    _mm256_storeu_ps(c, c00); _mm256_storeu_ps(c + 8, c01); _mm256_storeu_ps(c + ldc, c10); _mm256_storeu_ps(c + ldc + 8, c11);
    _mm256_storeu_ps(c + 2 * ldc, c20); _mm256_storeu_ps(c + 2 * ldc + 8, c21);
    _mm256_storeu_ps(c + 3 * ldc, c30); _mm256_storeu_ps(c + 3 * ldc + 8, c31);
    _mm256_storeu_ps(c + 4 * ldc, c40); _mm256_storeu_ps(c + 4 * ldc + 8, c41);
    _mm256_storeu_ps(c + 5 * ldc, c50); _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

// One thread, best of 50: a 72×256 packed block of A against a 256×768 packed panel of B.
static double micro_kernel_gflops(void) {
    enum { MC = 72, KC = 256, NC = 768 };
    float *a = aligned_alloc(64, sizeof(float) * MC * KC), *b = aligned_alloc(64, sizeof(float) * KC * NC);
    float *c = aligned_alloc(64, sizeof(float) * MC * NC);
    for (long i = 0; i < (long)MC * KC; i++) a[i] = 0.001f * (float)(i % 13);
    for (long i = 0; i < (long)KC * NC; i++) b[i] = 0.001f * (float)(i % 7);
    memset(c, 0, sizeof(float) * MC * NC);
    double best = 1e9;
    for (int r = 0; r < 50; r++) {
        double start = now();
        for (int j = 0; j < NC; j += 16)
            for (int i = 0; i < MC; i += 6) micro_kernel(KC, a + i * KC, b + (long)j * KC, c + i * NC + j, NC);
        double t = now() - start;
        if (t < best) best = t;
    }
    free(a); free(b); free(c);
    return 2.0 * MC * NC * KC / best / 1e9;
}

int main(void) {
    double one = fma_peak(), two[2];
#pragma omp parallel num_threads(2)
    two[omp_get_thread_num()] = fma_peak();
    printf("1. FMA peak: %.1f GFLOP/s on one core; %.1f + %.1f = %.1f on two\n", one, two[0], two[1], two[0] + two[1]);

    const int m = 2048, shapes[3][2] = {{768, 768}, {2048, 768}, {768, 2048}};  // {n, k}: q/k/v/o, wi, wo
    printf("2. sgemm x[2048,k]·W[n,k]ᵀ, best of 7 (percent of the FMA peak)\n");
    for (int s = 0; s < 3; s++) {
        int n = shapes[s][0], k = shapes[s][1];
        float *x = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k), *y = malloc(sizeof(float) * m * n);
        for (long i = 0; i < (long)m * k; i++) x[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < (long)n * k; i++) w[i] = (float)(i % 5) * 0.1f;
        double flop = 2.0 * m * n * k;
        double t1 = best_ms(x, w, y, m, n, k, 1), t2 = best_ms(x, w, y, m, n, k, 2);
        printf("   n %4d k %4d: one thread %6.2f ms, %5.1f GFLOP/s (%2.0f%%); two halves %6.2f ms, %5.1f GFLOP/s (%2.0f%%)\n",
               n, k, t1, flop / t1 / 1e6, 100 * flop / t1 / 1e6 / one, t2, flop / t2 / 1e6,
               100 * flop / t2 / 1e6 / (two[0] + two[1]));
        free(x); free(w); free(y);
    }

    printf("3. x[2048,768]·W[768,768]ᵀ cut into row pieces: elements that differ from the whole product\n");
    int n = 768, k = 768;
    float *x = malloc(sizeof(float) * m * k), *w = malloc(sizeof(float) * n * k);
    float *whole = malloc(sizeof(float) * m * n), *cut = malloc(sizeof(float) * m * n);
    srand(1);
    for (long i = 0; i < (long)m * k; i++) x[i] = rand() / (float)RAND_MAX - 0.5f;
    for (long i = 0; i < (long)n * k; i++) w[i] = rand() / (float)RAND_MAX - 0.5f;
    product(x, w, whole, m, n, k);
    for (int step = 16; step <= 512; step *= 2) {
        for (int start = 0; start < m; start += step) product(x + (long)start * k, w, cut + (long)start * n, step, n, k);
        long differ = 0;
        for (long i = 0; i < (long)m * n; i++) differ += whole[i] != cut[i];
        printf("   pieces of %3d rows: %7ld of %ld (%.1f%%)\n", step, differ, (long)m * n, 100.0 * differ / ((double)m * n));
    }
    free(x); free(w); free(whole); free(cut);

    double kernel = micro_kernel_gflops();
    printf("4. 6x16 micro-kernel on packed blocks in cache, one thread: %.1f GFLOP/s (%.0f%% of one core's peak)\n",
           kernel, 100 * kernel / one);
    return 0;
}
