// oneDNN's matrix products (Debian: libdnnl-dev, the library PyTorch runs on CPUs) for the frozen weights:
// in the bf16 mode bf16 inputs with fp32 sums and output; in the fp32 mode fp32 throughout, where oneDNN's
// AVX-512 kernels beat OpenBLAS's sgemm (Kernels.F32GEMM). Kernels.BF16GEMM splits a product into
// pieces over its own worker threads and calls this once per piece, so every call runs on one OpenMP
// thread and oneDNN never starts a team of its own (docs/ARCHITECTURE.md, "bf16 products").
#ifndef CDNNL_H
#define CDNNL_H
#include <stdint.h>

// Whether this CPU has the bf16 instructions oneDNN's fast kernels need (AVX512_BF16, or AMX-BF16 with
// the kernel's permission to use the tiles), read from CPUID and XCR0; `features` receives their names.
int dnnl_cpu_bf16_features(char *features, int size);

// This core's multiply-adds per second with AVX512_BF16's dot product (VDPBF16PS, 512-bit) over those with the fp32
// FMA (VFMADD231PS), timed in about 3 ms (BF16DotRate.c); 0 where the CPU lacks AVX512_BF16. Below 1, fp32
// products on bf16-rounded values are faster than bf16 ones.
double cpu_bf16_dot_over_fma(void);

// The implementation oneDNN picks for a bf16 product of this CPU (e.g. "brg:avx512_core_bf16"), or an
// empty string when it cannot create one; `size` bytes at most.
void dnnl_bf16_implementation(char *name, int size);

// Likewise for an fp32 product (e.g. "brg:avx512_core").
void dnnl_f32_implementation(char *name, int size);

// oneDNN's library version, e.g. "2.6.3".
void dnnl_library_version(char *version, int size);

// C[m, n] = alpha · A · op(B) (+ C when `accumulate`), row-major with leading dimensions:
// A fp32 [m, k] (lda), rounded to bf16 (nearest even) on the way in; B bf16, stored [k, n] (ldb) or,
// with `transpose_b`, [n, k] (ldb), as a PyTorch weight W[out, in] is for x·Wᵀ; C fp32 (ldc).
// Returns 0, or a oneDNN status (dnnl_last_error() says where).
int dnnl_bf16_matmul(int64_t m, int64_t k, int64_t n, const float *a, int64_t lda, const uint16_t *b, int64_t ldb,
                     int transpose_b, float *c, int64_t ldc, float alpha, int accumulate);

// The same product in fp32: A fp32 [m, k] (lda) as it is, B fp32 [k, n] or, with `transpose_b`, [n, k].
int dnnl_f32_matmul(int64_t m, int64_t k, int64_t n, const float *a, int64_t lda, const float *b, int64_t ldb,
                    int transpose_b, float *c, int64_t ldc, float alpha, int accumulate);

// The last failure on this thread, or "".
const char *dnnl_last_error(void);

#endif
