// sgemm_peak.c: the machine's practical fp32 GEMM ceiling, OpenBLAS cblas_sgemm's GFLOP/s on square
// and T5-shaped products with 1 and 2 OpenBLAS threads (and cblas_sbgemm's, when the library exports it).
// Built and run by run_sgemm.sh:  gcc -O2 -o sgemm_peak sgemm_peak.c -lopenblas -ldl
// Usage: ./sgemm_peak [--quick | --corename-only]
//
// Row-major C[M×N] = A[M×K] · op(B), alpha 1, beta 0, data uniform in [-1, 1] from srand(12345).
// "NN": B is K×N. "NT": B is stored N×K and transposed (x · Wᵀ, PyTorch's Linear layout).
// Each case: one warm-up call, then calls until 1 s (0.3 s with --quick) and at least 2 have run, at
// most 50; prints the best and the median rate, 2·M·N·K / time. scripts/bench/train_bench.sh reads
// the lines "... threads=T  best X GFLOP/s  median Y GFLOP/s ...", and takes the "t5" ones as T5-shaped.
// cblas_sbgemm is looked up with dlsym, so the binary also runs against builds without it.
#define _GNU_SOURCE
#include <cblas.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern void openblas_set_num_threads(int);
extern int openblas_get_num_threads(void);

typedef void (*sbgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE, blasint, blasint, blasint,
                          float, const uint16_t *, blasint, const uint16_t *, blasint, float, float *, blasint);

typedef struct {
  const char *name;
  int m, n, k;
  int transposed_b;
} Shape;

// Square sizes, then the products of one T5-base layer at batch 8 × 256 tokens, in both layouts.
static const Shape SHAPES[] = {
    {"square", 512, 512, 512, 0},           {"square", 1024, 1024, 1024, 0},
    {"square", 2048, 2048, 2048, 0},        {"square", 4096, 4096, 4096, 0},
    {"t5 q/k/v/o", 8 * 256, 768, 768, 0},   {"t5 wi_0/wi_1", 8 * 256, 2048, 768, 0},
    {"t5 wo", 8 * 256, 768, 2048, 0},       {"t5 q/k/v/o", 8 * 256, 768, 768, 1},
    {"t5 wi_0/wi_1", 8 * 256, 2048, 768, 1}, {"t5 wo", 8 * 256, 768, 2048, 1},
};
enum { MAX_TIMED = 50 };

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare_doubles(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// float -> bfloat16, rounding to nearest even.
static uint16_t to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, 4);
  bits += 0x7fff + ((bits >> 16) & 1);
  return (uint16_t)(bits >> 16);
}

static void time_shape(const Shape *s, int threads, sbgemm_fn sbgemm, double min_seconds) {
  const int m = s->m, n = s->n, k = s->k;
  const size_t size_a = (size_t)m * k, size_b = (size_t)k * n, size_c = (size_t)m * n;
  float *a = malloc(size_a * sizeof(float)), *b = malloc(size_b * sizeof(float));
  float *c = calloc(size_c, sizeof(float));
  uint16_t *a16 = NULL, *b16 = NULL;
  srand(12345);
  for (size_t i = 0; i < size_a; i++) a[i] = (float)rand() / RAND_MAX * 2 - 1;
  for (size_t i = 0; i < size_b; i++) b[i] = (float)rand() / RAND_MAX * 2 - 1;
  if (sbgemm) {
    a16 = malloc(size_a * sizeof(uint16_t));
    b16 = malloc(size_b * sizeof(uint16_t));
    for (size_t i = 0; i < size_a; i++) a16[i] = to_bf16(a[i]);
    for (size_t i = 0; i < size_b; i++) b16[i] = to_bf16(b[i]);
  }
  openblas_set_num_threads(threads);
  const enum CBLAS_TRANSPOSE op_b = s->transposed_b ? CblasTrans : CblasNoTrans;
  const int ldb = s->transposed_b ? k : n;

  double times[MAX_TIMED], total = 0;
  int timed = 0;
  for (int call = 0; call <= MAX_TIMED && timed < MAX_TIMED; call++) {
    double t0 = seconds_now();
    if (sbgemm)
      sbgemm(CblasRowMajor, CblasNoTrans, op_b, m, n, k, 1.0f, a16, k, b16, ldb, 0.0f, c, n);
    else
      cblas_sgemm(CblasRowMajor, CblasNoTrans, op_b, m, n, k, 1.0f, a, k, b, ldb, 0.0f, c, n);
    double t = seconds_now() - t0;
    if (call == 0) continue;  // warm-up
    times[timed++] = t;
    total += t;
    if (total >= min_seconds && timed >= 2) break;
  }
  qsort(times, timed, sizeof(double), compare_doubles);
  const double flop = 2.0 * m * n * k;
  printf("%-6s %-22s M=%5d N=%5d K=%5d %s threads=%d  best %7.1f GFLOP/s  median %7.1f GFLOP/s  (%d reps, best %.4f s)\n",
         sbgemm ? "sbgemm" : "sgemm", s->name, m, n, k, s->transposed_b ? "NT" : "NN", threads,
         flop / times[0] / 1e9, flop / times[timed / 2] / 1e9, timed, times[0]);
  fflush(stdout);
  free(a);
  free(b);
  free(c);
  free(a16);
  free(b16);
}

static const char *env_or_unset(const char *name) {
  const char *value = getenv(name);
  return value ? value : "(unset)";
}

int main(int argc, char **argv) {
  const int quick = argc > 1 && !strcmp(argv[1], "--quick");
  const int corename_only = argc > 1 && !strcmp(argv[1], "--corename-only");
  printf("OPENBLAS_CORETYPE=%s OPENBLAS_L2_SIZE=%s OPENBLAS_NUM_THREADS=%s\n", env_or_unset("OPENBLAS_CORETYPE"),
         env_or_unset("OPENBLAS_L2_SIZE"), env_or_unset("OPENBLAS_NUM_THREADS"));
  printf("openblas_get_config: %s\n", openblas_get_config());
  printf("openblas_get_corename: %s\n", openblas_get_corename());
  printf("openblas_get_num_threads (default): %d\n", openblas_get_num_threads());
  sbgemm_fn sbgemm = (sbgemm_fn)dlsym(RTLD_DEFAULT, "cblas_sbgemm");
  printf("cblas_sbgemm exported: %s\n", sbgemm ? "yes" : "no");
  if (corename_only) return 0;

  const double min_seconds = quick ? 0.3 : 1.0;
  const int shapes = sizeof(SHAPES) / sizeof(SHAPES[0]);
  for (int threads = 1; threads <= 2; threads++)
    for (int i = 0; i < shapes; i++) time_shape(&SHAPES[i], threads, NULL, min_seconds);
  if (sbgemm)
    for (int threads = 1; threads <= 2; threads++)
      for (int i = 0; i < shapes; i++) time_shape(&SHAPES[i], threads, sbgemm, min_seconds);
  return 0;
}
