// oneDNN products (bf16, and fp32 for the fp32 mode), one OpenMP thread per call (see CDNNL.h). Each
// calling thread keeps its own stream, scratchpad and a small cache of primitives by shape, so calls from
// different worker threads never share mutable state (the scratchpad is user-managed, which makes concurrent execution safe).
#define _GNU_SOURCE
#include "CDNNL.h"
#include <oneapi/dnnl/dnnl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

void omp_set_num_threads(int);  // libgomp, which oneDNN runs on

static dnnl_engine_t engine;
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;
static dnnl_status_t engine_status;
static void create_engine(void) { engine_status = dnnl_engine_create(&engine, dnnl_cpu, 0); }

static __thread char last_error[256];
const char *dnnl_last_error(void) { return last_error; }

static int fail(dnnl_status_t status, const char *where) {
    snprintf(last_error, sizeof last_error, "oneDNN %s failed (status %d)", where, (int)status);
    return status == dnnl_success ? -1 : (int)status;
}

#if defined(__x86_64__)
static int bit(unsigned reg, int b) { return (reg >> b) & 1; }
static unsigned long long xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

int dnnl_cpu_bf16_features(char *features, int size) {
    if (size > 0) features[0] = 0;
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx) || eax < 7) return 0;
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    if (!bit(ecx, 27)) return 0;  // no OSXSAVE: the OS saves no vector state
    unsigned long long state = xcr0();
    int zmm = (state & 0xe6) == 0xe6, tiles = (state & 0x60000) == 0x60000;
    unsigned a7, b7, c7, d7, a71 = 0, b71, c71, d71;
    __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    if (a7 >= 1) __get_cpuid_count(7, 1, &a71, &b71, &c71, &d71);
    int avx512 = bit(b7, 16) && bit(b7, 17) && bit(b7, 30) && bit(b7, 31) && zmm;
    int avx512bf16 = avx512 && bit(a71, 5);
    int amx = avx512 && bit(d7, 22) && bit(d7, 24) && tiles;  // AMX-BF16 and AMX-TILE
    if (amx) {
        // Linux hands out the tile state only on request (ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
        amx = syscall(SYS_arch_prctl, 0x1023, 18) == 0;
    }
    snprintf(features, size, "%s%s%s", avx512bf16 ? "AVX512_BF16" : "", avx512bf16 && amx ? " " : "", amx ? "AMX-BF16" : "");
    return avx512bf16 || amx;
#else
    return 0;
#endif
}

void dnnl_library_version(char *version, int size) {
    const dnnl_version_t *v = dnnl_version();
    snprintf(version, size, "%d.%d.%d", v->major, v->minor, v->patch);
}

// One cached primitive: the types, shape and layout it was made for, its scratchpad size.
typedef struct {
    int64_t m, k, n, lda, ldb, ldc;
    int bf16, transpose_b, accumulate;
    float alpha;
    dnnl_primitive_t primitive;
    size_t scratchpad_size;
} entry_t;

enum { CACHE_ENTRIES = 48 };

// Per-thread state: stream, primitives by shape (replaced round-robin), scratchpad.
typedef struct {
    dnnl_stream_t stream;
    entry_t entries[CACHE_ENTRIES];
    int used, next;
    void *scratchpad;
    size_t scratchpad_capacity;
    uint16_t *rounded;  // A in bf16
    size_t rounded_capacity;
} thread_state_t;

static pthread_key_t state_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void free_state(void *p) {
    thread_state_t *s = p;
    for (int i = 0; i < s->used; i++) dnnl_primitive_destroy(s->entries[i].primitive);
    if (s->stream) dnnl_stream_destroy(s->stream);
    free(s->scratchpad);
    free(s->rounded);
    free(s);
}
static void create_key(void) { pthread_key_create(&state_key, free_state); }

static thread_state_t *thread_state(void) {
    pthread_once(&key_once, create_key);
    thread_state_t *s = pthread_getspecific(state_key);
    if (s) return s;
    pthread_once(&engine_once, create_engine);
    if (engine_status != dnnl_success) { fail(engine_status, "engine creation"); return NULL; }
    s = calloc(1, sizeof *s);
    if (!s) return NULL;
    // oneDNN reads this thread's OpenMP team size: one, since the caller already runs one piece per core.
    omp_set_num_threads(1);
    dnnl_status_t status = dnnl_stream_create(&s->stream, engine, dnnl_stream_default_flags);
    if (status != dnnl_success) { free(s); fail(status, "stream creation"); return NULL; }
    pthread_setspecific(state_key, s);
    return s;
}

static dnnl_status_t matrix_desc(dnnl_memory_desc_t *md, int64_t rows, int64_t cols, dnnl_data_type_t type,
                                 int64_t row_stride, int64_t col_stride) {
    dnnl_dims_t dims = {rows, cols}, strides = {row_stride, col_stride};
    return dnnl_memory_desc_init_by_strides(md, 2, dims, type, strides);
}

// The three descriptors of a product: A and B bf16 (A rounded into a dense copy, so lda is k) or both fp32.
static dnnl_status_t descriptors(const entry_t *e, dnnl_memory_desc_t *a, dnnl_memory_desc_t *b, dnnl_memory_desc_t *c) {
    dnnl_data_type_t type = e->bf16 ? dnnl_bf16 : dnnl_f32;
    dnnl_status_t s = matrix_desc(a, e->m, e->k, type, e->lda, 1);
    if (s == dnnl_success) s = e->transpose_b ? matrix_desc(b, e->k, e->n, type, 1, e->ldb)
                                              : matrix_desc(b, e->k, e->n, type, e->ldb, 1);
    if (s == dnnl_success) s = matrix_desc(c, e->m, e->n, dnnl_f32, e->ldc, 1);
    return s;
}

static int create_primitive(entry_t *e) {
    dnnl_memory_desc_t a, b, c;
    dnnl_status_t s = descriptors(e, &a, &b, &c);
    if (s != dnnl_success) return fail(s, "memory descriptor");
    dnnl_matmul_desc_t desc;
    if ((s = dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c)) != dnnl_success) return fail(s, "matmul descriptor");
    dnnl_primitive_attr_t attr;
    if ((s = dnnl_primitive_attr_create(&attr)) != dnnl_success) return fail(s, "attribute creation");
    s = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (s == dnnl_success && e->alpha != 1) s = dnnl_primitive_attr_set_output_scales(attr, 1, 0, &e->alpha);
    dnnl_post_ops_t ops = NULL;
    if (s == dnnl_success && e->accumulate) {
        s = dnnl_post_ops_create(&ops);
        if (s == dnnl_success) s = dnnl_post_ops_append_sum(ops, 1.0f);
        if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, ops);
    }
    dnnl_primitive_desc_t pd = NULL;
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &desc, attr, engine, NULL);
    if (ops) dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    if (s != dnnl_success) return fail(s, "matmul primitive descriptor");
    const dnnl_memory_desc_t *scratch = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    e->scratchpad_size = scratch ? dnnl_memory_desc_get_size(scratch) : 0;
    s = dnnl_primitive_create(&e->primitive, pd);
    dnnl_primitive_desc_destroy(pd);
    return s == dnnl_success ? 0 : fail(s, "matmul primitive");
}

static entry_t *lookup(thread_state_t *s, const entry_t *key) {
    for (int i = 0; i < s->used; i++) {
        entry_t *e = &s->entries[i];
        if (e->m == key->m && e->k == key->k && e->n == key->n && e->lda == key->lda && e->ldb == key->ldb &&
            e->ldc == key->ldc && e->bf16 == key->bf16 && e->transpose_b == key->transpose_b &&
            e->accumulate == key->accumulate && e->alpha == key->alpha) return e;
    }
    entry_t fresh = *key;
    if (create_primitive(&fresh) != 0) return NULL;
    int slot;
    if (s->used < CACHE_ENTRIES) {
        slot = s->used++;
    } else {
        slot = s->next++ % CACHE_ENTRIES;
        dnnl_primitive_destroy(s->entries[slot].primitive);
    }
    s->entries[slot] = fresh;
    return &s->entries[slot];
}

static int grow(void **buffer, size_t *capacity, size_t bytes) {
    if (*capacity >= bytes) return 0;
    free(*buffer);
    *buffer = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
    *capacity = *buffer ? bytes : 0;
    return *buffer ? 0 : -1;
}

// Round to nearest even, as torch's .to(torch.bfloat16); NaN stays a (quiet) NaN.
// Branch-free, so the compiler vectorises the loop over a row.
static inline uint16_t round_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, 4);
    uint32_t nearest = (bits + 0x7fff + ((bits >> 16) & 1)) >> 16, quiet = (bits >> 16) | 0x40;
    return (uint16_t)((bits & 0x7fffffff) > 0x7f800000 ? quiet : nearest);
}

#if defined(__x86_64__)
#include <immintrin.h>
// round_bf16 sixteen values at a time. This path runs only on CPUs with AVX512_BF16 (or AMX), which have
// AVX-512 F/BW: the same integer arithmetic as round_bf16, not VCVTNEPS2BF16, which flushes denormals.
__attribute__((target("avx512f,avx512bw"))) static void round_row_avx512(const float *in, uint16_t *out, int64_t n) {
    const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), magnitude = _mm512_set1_epi32(0x7fffffff),
                  infinity = _mm512_set1_epi32(0x7f800000), quiet = _mm512_set1_epi32(0x40);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512i bits = _mm512_loadu_si512((const void *)(in + i));
        __m512i high = _mm512_srli_epi32(bits, 16);
        __m512i nearest = _mm512_srli_epi32(_mm512_add_epi32(_mm512_add_epi32(bits, bias), _mm512_and_si512(high, one)), 16);
        __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(bits, magnitude), infinity);
        __m512i rounded = _mm512_mask_mov_epi32(nearest, nan, _mm512_or_si512(high, quiet));
        _mm256_storeu_si256((__m256i *)(out + i), _mm512_cvtepi32_epi16(rounded));
    }
    for (; i < n; i++) out[i] = round_bf16(in[i]);
}
#endif

static void round_row(const float *in, uint16_t *out, int64_t n) {
#if defined(__x86_64__)
    static int wide = -1;  // AVX-512 F/BW with OS support: read once (a benign race: every thread writes the same)
    if (wide < 0) wide = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    if (wide) { round_row_avx512(in, out, n); return; }
#endif
    for (int64_t t = 0; t < n; t++) out[t] = round_bf16(in[t]);
}

// Runs the cached primitive for `key` on A (already bf16 when key->bf16), B and C.
static int execute(thread_state_t *s, const entry_t *key, const void *a, const void *b, float *c) {
    entry_t *e = lookup(s, key);
    if (!e) return -1;
    if (grow(&s->scratchpad, &s->scratchpad_capacity, e->scratchpad_size ? e->scratchpad_size : 1) != 0)
        return fail(dnnl_out_of_memory, "scratchpad");
    dnnl_memory_desc_t ad, bd, cd, sd;
    dnnl_status_t st = descriptors(e, &ad, &bd, &cd);
    if (st != dnnl_success) return fail(st, "memory descriptor");
    dnnl_dims_t sdims = {(int64_t)(e->scratchpad_size ? e->scratchpad_size : 1)};
    dnnl_memory_desc_init_by_tag(&sd, 1, sdims, dnnl_u8, dnnl_a);
    dnnl_memory_t am = NULL, bm = NULL, cm = NULL, sm = NULL;
    st = dnnl_memory_create(&am, &ad, engine, (void *)a);
    if (st == dnnl_success) st = dnnl_memory_create(&bm, &bd, engine, (void *)b);
    if (st == dnnl_success) st = dnnl_memory_create(&cm, &cd, engine, c);
    if (st == dnnl_success) st = dnnl_memory_create(&sm, &sd, engine, s->scratchpad);
    if (st == dnnl_success) {
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}, {DNNL_ARG_SCRATCHPAD, sm}};
        st = dnnl_primitive_execute(e->primitive, s->stream, 4, args);
        if (st == dnnl_success) st = dnnl_stream_wait(s->stream);
    }
    if (am) dnnl_memory_destroy(am);
    if (bm) dnnl_memory_destroy(bm);
    if (cm) dnnl_memory_destroy(cm);
    if (sm) dnnl_memory_destroy(sm);
    return st == dnnl_success ? 0 : fail(st, "matmul execution");
}

int dnnl_bf16_matmul(int64_t m, int64_t k, int64_t n, const float *a, int64_t lda, const uint16_t *b, int64_t ldb,
                     int transpose_b, float *c, int64_t ldc, float alpha, int accumulate) {
    if (m <= 0 || n <= 0) return 0;
    thread_state_t *s = thread_state();
    if (!s) return last_error[0] ? -1 : fail(dnnl_out_of_memory, "thread state");
    if (grow((void **)&s->rounded, &s->rounded_capacity, (size_t)(m * k) * 2) != 0) return fail(dnnl_out_of_memory, "rounding buffer");
    for (int64_t i = 0; i < m; i++) round_row(a + i * lda, s->rounded + i * k, k);
    entry_t key = {m, k, n, k, ldb, ldc, 1, transpose_b != 0, accumulate != 0, alpha, NULL, 0};
    return execute(s, &key, s->rounded, b, c);
}

int dnnl_f32_matmul(int64_t m, int64_t k, int64_t n, const float *a, int64_t lda, const float *b, int64_t ldb,
                    int transpose_b, float *c, int64_t ldc, float alpha, int accumulate) {
    if (m <= 0 || n <= 0) return 0;
    thread_state_t *s = thread_state();
    if (!s) return last_error[0] ? -1 : fail(dnnl_out_of_memory, "thread state");
    entry_t key = {m, k, n, lda, ldb, ldc, 0, transpose_b != 0, accumulate != 0, alpha, NULL, 0};
    return execute(s, &key, a, b, c);
}

// The implementation oneDNN picks for a 256×768×768 product of `bf16` or fp32 values.
static void implementation(int bf16, char *name, int size) {
    if (size > 0) name[0] = 0;
    pthread_once(&engine_once, create_engine);
    if (engine_status != dnnl_success) return;
    entry_t probe = {256, 768, 768, 768, 768, 768, bf16, 1, 0, 1.0f, NULL, 0};
    dnnl_memory_desc_t a, b, c;
    if (descriptors(&probe, &a, &b, &c) != dnnl_success) return;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_desc_t pd;
    if (dnnl_matmul_desc_init(&desc, &a, &b, NULL, &c) != dnnl_success) return;
    if (dnnl_primitive_desc_create(&pd, &desc, NULL, engine, NULL) != dnnl_success) return;
    const char *impl = NULL;
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl) snprintf(name, size, "%s", impl);
    dnnl_primitive_desc_destroy(pd);
}

void dnnl_bf16_implementation(char *name, int size) { implementation(1, name, size); }
void dnnl_f32_implementation(char *name, int size) { implementation(0, name, size); }
