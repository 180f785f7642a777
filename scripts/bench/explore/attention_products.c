// The per-head attention products of a training step (T5Training/AttentionBlock.swift), one (sequence, head)
// at a time on one thread, as the engine runs them: Q, K, V and the context are 64-column head slices of
// [tokens, 768] rows (leading dimension 768), the scores [nq, nk] dense. The six products of a task:
// forward S = Q·Kᵀ and C = P·V; backward dP = dC·Vᵀ, dV = Pᵀ·dC, dQ = dS·K, dK = dSᵀ·Q. Columns: OpenBLAS
// sgemm, and oneDNN's fp32 matmul (primitive made once per shape, as a per-thread cache would; its creation
// time is printed apart). It answers "is a library faster than OpenBLAS on these shapes?" (docs/BENCHMARKS.md).
// Run: gcc -O2 scripts/bench/explore/attention_products.c -o /tmp/attention_products -ldnnl -lopenblas -fopenmp \
//        && OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 /tmp/attention_products
#include <oneapi/dnnl/dnnl.h>
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { printf("%s failed: %d\n", #x, s_); exit(1); } } while (0)
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
enum { INNER = 768, DH = 64 };
static dnnl_engine_t engine;
static dnnl_stream_t stream;

// C[m, n] = op(A)·op(B), row-major; A [m, k] or (transA) [k, m]; B [k, n] or (transB) [n, k].
typedef struct { const char *name; int64_t m, k, n; int ta, tb; const float *a, *b; float *c; int64_t lda, ldb, ldc; } product_t;

static void desc(dnnl_memory_desc_t *md, int64_t r, int64_t c, int64_t s0, int64_t s1) {
    dnnl_dims_t dims = {r, c}, strides = {s0, s1};
    CHECK(dnnl_memory_desc_init_by_strides(md, 2, dims, dnnl_f32, strides));
}

static void descs(const product_t *p, dnnl_memory_desc_t *a, dnnl_memory_desc_t *b, dnnl_memory_desc_t *c) {
    if (p->ta) desc(a, p->m, p->k, 1, p->lda); else desc(a, p->m, p->k, p->lda, 1);
    if (p->tb) desc(b, p->k, p->n, 1, p->ldb); else desc(b, p->k, p->n, p->ldb, 1);
    desc(c, p->m, p->n, p->ldc, 1);
}

static dnnl_primitive_t make(const product_t *p) {
    dnnl_memory_desc_t a, b, c;
    descs(p, &a, &b, &c);
    dnnl_matmul_desc_t d;
    CHECK(dnnl_matmul_desc_init(&d, &a, &b, NULL, &c));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &d, NULL, engine, NULL));
    dnnl_primitive_t prim;
    CHECK(dnnl_primitive_create(&prim, pd));
    dnnl_primitive_desc_destroy(pd);
    return prim;
}

static void run_dnnl(const product_t *p, dnnl_primitive_t prim) {
    dnnl_memory_desc_t ad, bd, cd;
    descs(p, &ad, &bd, &cd);
    dnnl_memory_t am, bm, cm;
    CHECK(dnnl_memory_create(&am, &ad, engine, (void *)p->a));
    CHECK(dnnl_memory_create(&bm, &bd, engine, (void *)p->b));
    CHECK(dnnl_memory_create(&cm, &cd, engine, p->c));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}};
    CHECK(dnnl_primitive_execute(prim, stream, 3, args));
    CHECK(dnnl_stream_wait(stream));
    dnnl_memory_destroy(am); dnnl_memory_destroy(bm); dnnl_memory_destroy(cm);
}

static void run_blas(const product_t *p) {
    cblas_sgemm(CblasRowMajor, p->ta ? CblasTrans : CblasNoTrans, p->tb ? CblasTrans : CblasNoTrans, p->m, p->n, p->k, 1,
                p->a, p->lda, p->b, p->ldb, 0, p->c, p->ldc);
}

static float *filled(size_t n) {
    float *x = aligned_alloc(64, ((n * 4) + 63) & ~(size_t)63);
    for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u) % 1000) / 1000.0f - 0.5f;
    return x;
}

int main(void) {
    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
    const int64_t shapes[][2] = {{48, 48}, {96, 96}, {160, 160}, {256, 256}, {400, 400}, {512, 512}, {24, 160}, {40, 400}};
    printf("%-10s %5s %5s %12s %12s %12s\n", "product", "nq", "nk", "OpenBLAS", "oneDNN f32", "create ms");
    double total[2] = {0, 0};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int64_t nq = shapes[s][0], nk = shapes[s][1];
        float *q = filled(nq * INNER), *k = filled(nk * INNER), *v = filled(nk * INNER), *dc = filled(nq * INNER);
        float *sc = filled(nq * nk), *ds = filled(nq * nk), *out = filled((nq > nk ? nq : nk) * INNER);
        product_t ps[6] = {
            {"S=QKt", nq, DH, nk, 0, 1, q, k, sc, INNER, INNER, nk},
            {"C=PV", nq, nk, DH, 0, 0, sc, v, out, nk, INNER, INNER},
            {"dP=dCVt", nq, DH, nk, 0, 1, dc, v, ds, INNER, INNER, nk},
            {"dV=PtdC", nk, nq, DH, 1, 0, sc, dc, out, nk, INNER, INNER},
            {"dQ=dSK", nq, nk, DH, 0, 0, ds, k, out, nk, INNER, INNER},
            {"dK=dStQ", nk, nq, DH, 1, 0, ds, q, out, nk, INNER, INNER},
        };
        for (int i = 0; i < 6; i++) {
            const product_t *p = &ps[i];
            double flop = 2.0 * p->m * p->k * p->n;
            int reps = (int)(2e9 / flop) + 3;
            double t0 = now();
            dnnl_primitive_t prim = make(p);
            double create = now() - t0;
            double best[2] = {1e9, 1e9};
            for (int round = 0; round < 3; round++) {
                t0 = now();
                for (int r = 0; r < reps; r++) run_blas(p);
                double a = (now() - t0) / reps;
                t0 = now();
                for (int r = 0; r < reps; r++) run_dnnl(p, prim);
                double b = (now() - t0) / reps;
                if (a < best[0]) best[0] = a;
                if (b < best[1]) best[1] = b;
            }
            total[0] += best[0]; total[1] += best[1];
            printf("%-10s %5ld %5ld %9.1f GF %9.1f GF %12.3f\n", p->name, (long)nq, (long)nk, flop / best[0] / 1e9,
                   flop / best[1] / 1e9, create * 1e3);
            dnnl_primitive_destroy(prim);
        }
        free(q); free(k); free(v); free(dc); free(sc); free(ds); free(out);
    }
    printf("sum of the best times: OpenBLAS %.2f ms, oneDNN %.2f ms\n", total[0] * 1e3, total[1] * 1e3);
    return 0;
}
