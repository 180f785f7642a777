// The few OpenBLAS entry points the kernels call, loaded at program start by OpenBLASLoader.c.
//
// OpenBLAS picks its kernels once, in its load-time constructor, from OPENBLAS_CORETYPE or its own
// CPU table. Debian's 0.3.21 does not know newer CPUs: on an Emerald Rapids Xeon (AVX-512, BF16) it
// falls back to Prescott's SSE3 kernels, 20-50 GFLOP/s on two cores where its SkylakeX kernels reach
// 150. So the library is not linked but opened with dlopen, after the core has been chosen from the
// CPU's own feature bits (docs/ARCHITECTURE.md, "OpenBLAS's kernels").
#ifndef COPENBLAS_H
#define COPENBLAS_H

// CBLAS's values for row-major storage and (no) transposition.
enum { BLAS_ROW_MAJOR = 101, BLAS_NO_TRANS = 111, BLAS_TRANS = 112 };

// cblas_sgemm and cblas_sdot, unchanged. The first call without a loaded library prints one error
// line and exits with status 70.
void blas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc);
float blas_sdot(int n, const float *x, int incx, const float *y, int incy);
void blas_set_num_threads(int threads);

// What was loaded, for manifests and benchmarks: openblas_get_config() and openblas_get_corename()
// (or "not loaded"), how the core was chosen (a sentence), and the loader's error (NULL when loaded).
const char *blas_config(void);
const char *blas_core_name(void);
const char *blas_core_choice(void);
const char *blas_load_error(void);

// The OPENBLAS_CORETYPE this CPU's features call for (NULL: leave OpenBLAS's own choice), with the
// features that decided it in `reason`. Exposed for tests.
const char *blas_core_for_cpu(char *reason, int reason_size);

#endif
