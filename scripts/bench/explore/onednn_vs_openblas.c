// oneDNN's matmul against OpenBLAS's sgemm on T5-base training shapes, run the way the engines run products:
// the rows cut into pieces of at most 256 (a multiple of two), each piece on one of two threads with one
// OpenMP / OpenBLAS thread. Three columns: OpenBLAS sgemm fp32, oneDNN fp32 matmul, oneDNN bf16 matmul (bf16
// source and weights, fp32 destination: BF16GEMM's oneDNN path). Both weight orientations (x·Wᵀ forward, dY·W
// backward). It answers "would oneDNN's fp32 matmul beat OpenBLAS for the fp32 mode?" (docs/BENCHMARKS.md).
// Run: gcc -O2 scripts/bench/explore/onednn_vs_openblas.c -o /tmp/onednn_vs_openblas -ldnnl -lopenblas -fopenmp \
//        -lpthread && OPENBLAS_NUM_THREADS=1 /tmp/onednn_vs_openblas
#include <oneapi/dnnl/dnnl.h>
#include <cblas.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { printf("%s failed: %d\n", #x, s_); exit(1); } } while (0)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static dnnl_engine_t engine;

static void desc(dnnl_memory_desc_t *md, int64_t r, int64_t c, dnnl_data_type_t t, int64_t s0, int64_t s1) {
    dnnl_dims_t dims = {r, c}, strides = {s0, s1};
    CHECK(dnnl_memory_desc_init_by_strides(md, 2, dims, t, strides));
}

typedef struct { int64_t m, k, n; int trans, bf16; const void *a, *b; float *c; dnnl_primitive_t p; int reps; } job_t;

static dnnl_primitive_t make(int64_t m, int64_t k, int64_t n, int trans, int bf16) {
    dnnl_data_type_t t = bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_memory_desc_t a, b, c;
    desc(&a, m, k, t, k, 1);
    if (trans) desc(&b, k, n, t, 1, k); else desc(&b, k, n, t, n, 1);
    desc(&c, m, n, dnnl_f32, n, 1);
    dnnl_matmul_desc_t d;
    CHECK(dnnl_matmul_desc_init(&d, &a, &b, NULL, &c));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &d, NULL, engine, NULL));
    dnnl_primitive_t p;
    CHECK(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd);
    return p;
}

static void *run(void *arg) {
    job_t *j = arg;
    omp_set_num_threads(1);
    dnnl_stream_t stream;
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    for (int r = 0; r < j->reps; r++) {
        if (j->p == NULL) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, j->trans ? CblasTrans : CblasNoTrans, j->m, j->n, j->k, 1, j->a, j->k,
                        j->b, j->trans ? j->k : j->n, 0, j->c, j->n);
            continue;
        }
        dnnl_data_type_t t = j->bf16 ? dnnl_bf16 : dnnl_f32;
        dnnl_memory_desc_t a, b, c;
        desc(&a, j->m, j->k, t, j->k, 1);
        if (j->trans) desc(&b, j->k, j->n, t, 1, j->k); else desc(&b, j->k, j->n, t, j->n, 1);
        desc(&c, j->m, j->n, dnnl_f32, j->n, 1);
        dnnl_memory_t am, bm, cm;
        dnnl_memory_create(&am, &a, engine, (void *)j->a);
        dnnl_memory_create(&bm, &b, engine, (void *)j->b);
        dnnl_memory_create(&cm, &c, engine, j->c);
        dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}};
        CHECK(dnnl_primitive_execute(j->p, stream, 3, args));
        dnnl_stream_wait(stream);
        dnnl_memory_destroy(am); dnnl_memory_destroy(bm); dnnl_memory_destroy(cm);
    }
    dnnl_stream_destroy(stream);
    return NULL;
}

// GFLOP/s of an m×k×n product cut into pieces of `piece` rows, pieces alternating between two threads.
static double rate(int64_t m, int64_t k, int64_t n, int trans, int kind, const float *af, const float *bf, const uint16_t *ah,
                   const uint16_t *bh, float *c) {
    enum { PIECE = 208 };  // 1,248 rows in six pieces, as BF16GEMM cuts 1,244 rows for two workers
    int pieces = (int)((m + PIECE - 1) / PIECE), reps = 5;
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        double t0 = now();
        for (int first = 0; first < pieces; first += 2) {
            job_t jobs[2];
            pthread_t threads[2];
            int count = 0;
            for (int p = first; p < pieces && p < first + 2; p++, count++) {
                int64_t rows = (p + 1) * PIECE <= m ? PIECE : m - p * PIECE;
                int bf16 = kind == 2;
                jobs[count] = (job_t){rows, k, n, trans, bf16,
                                      bf16 ? (const void *)(ah + p * PIECE * k) : (const void *)(af + p * PIECE * k),
                                      bf16 ? (const void *)bh : (const void *)bf, c + p * PIECE * n,
                                      kind == 0 ? NULL : make(rows, k, n, trans, bf16), reps};
                pthread_create(&threads[count], NULL, run, &jobs[count]);
            }
            for (int i = 0; i < count; i++) pthread_join(threads[i], NULL);
        }
        double gflops = 2.0 * m * k * n * reps / (now() - t0) / 1e9;
        if (gflops > best) best = gflops;
    }
    return best;
}

int main(void) {
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    int64_t m = 1248, shapes[][2] = {{768, 768}, {768, 2048}, {2048, 768}};
    float *af = malloc(4 * m * 2048), *bf = malloc(4 * 2048 * 2048), *c = malloc(4 * m * 2048);
    uint16_t *ah = malloc(2 * m * 2048), *bh = malloc(2 * 2048 * 2048);
    for (int64_t i = 0; i < m * 2048; i++) { af[i] = (float)(i % 13) / 13 - 0.5f; ah[i] = 0x3f00 + i % 7; }
    for (int64_t i = 0; i < 2048 * 2048; i++) { bf[i] = (float)(i % 11) / 110; bh[i] = 0x3c00 + i % 5; }
    printf("GFLOP/s, %ld rows in pieces of 208 on 2 threads (best of 3 trials of 5 repetitions)\n", (long)m);
    printf("%-22s %14s %14s %14s\n", "shape (k -> n)", "OpenBLAS f32", "oneDNN f32", "oneDNN bf16");
    for (int s = 0; s < 3; s++) {
        for (int trans = 1; trans >= 0; trans--) {
            int64_t k = shapes[s][0], n = shapes[s][1];
            printf("%4ld -> %4ld %-9s %14.0f %14.0f %14.0f\n", (long)k, (long)n, trans ? "x·Wᵀ" : "dY·W",
                   rate(m, k, n, trans, 0, af, bf, ah, bh, c), rate(m, k, n, trans, 1, af, bf, ah, bh, c),
                   rate(m, k, n, trans, 2, af, bf, ah, bh, c));
        }
    }
    return 0;
}
