// Opens OpenBLAS at program start with kernels chosen from this CPU's feature bits (see COpenBLAS.h).
// A constructor runs before main, while the process has one thread, so setting the environment that
// OpenBLAS's own constructor reads is safe; the previous environment is restored right after, so
// child processes see the user's settings, not ours.
#define _GNU_SOURCE
#include "COpenBLAS.h"
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int, const float *, int, float, float *, int);
typedef float (*sdot_fn)(int, const float *, int, const float *, int);
typedef void (*threads_fn)(int);
typedef char *(*string_fn)(void);

static sgemm_fn sgemm;
static sdot_fn sdot;
static threads_fn set_threads;
static string_fn get_config, get_corename;
static char load_error[512];
static char core_choice[256];

#if defined(__x86_64__)
static int has(unsigned reg, int bit) { return (reg >> bit) & 1; }

// XCR0: which register states the OS saves (YMM: bits 1-2; ZMM and opmask: bits 5-7 too).
static unsigned long long xcr0(void) {
    unsigned eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#endif

const char *blas_core_for_cpu(char *reason, int reason_size) {
#if defined(__x86_64__)
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx) || eax < 7) return NULL;
    int amd = ebx == 0x68747541;  // "Auth"enticAMD
    __get_cpuid(1, &eax, &ebx, &ecx, &edx);
    int osxsave = has(ecx, 27), avx = has(ecx, 28), fma = has(ecx, 12);
    unsigned long long state = osxsave ? xcr0() : 0;
    int ymm = (state & 0x6) == 0x6, zmm = (state & 0xe6) == 0xe6;
    unsigned b7, c7, d7, a7;
    __get_cpuid_count(7, 0, &a7, &b7, &c7, &d7);
    int avx2 = has(b7, 5), avx512 = has(b7, 16) && has(b7, 17) && has(b7, 28) && has(b7, 30) && has(b7, 31);
    unsigned a71 = 0, b71, c71, d71;
    if (a7 >= 1) __get_cpuid_count(7, 1, &a71, &b71, &c71, &d71);
    int bf16 = has(a71, 5);
    // OpenBLAS 0.3.21's best kernels for these features (its Cooperlake and SkylakeX sgemm are the same code).
    if (avx512 && zmm) {
        snprintf(reason, reason_size, "AVX-512 F/DQ/CD/BW/VL%s", bf16 ? " and AVX512-BF16" : "");
        return bf16 ? "Cooperlake" : "SkylakeX";
    }
    if (avx2 && fma && ymm) {
        snprintf(reason, reason_size, "AVX2 and FMA (%s)", amd ? "AMD" : "not AMD");
        return amd ? "Zen" : "Haswell";
    }
    if (avx && ymm) {
        snprintf(reason, reason_size, "AVX");
        return "Sandybridge";
    }
#endif
    snprintf(reason, reason_size, "no AVX");
    return NULL;
}

// The user's setting of `name`, NULL when unset or empty.
static const char *user_setting(const char *name) {
    const char *value = getenv(name);
    return value && *value ? value : NULL;
}

// Sets `name` to `value` unless the user set it; returns whether it did (so it can be undone).
static int set_default(const char *name, const char *value) {
    if (user_setting(name)) return 0;
    return setenv(name, value, 1) == 0;
}

__attribute__((constructor)) static void load_openblas(void) {
    char reason[128] = "";
    const char *user = user_setting("OPENBLAS_CORETYPE");
    const char *core = user ? NULL : blas_core_for_cpu(reason, sizeof reason);
    int setCore = core && set_default("OPENBLAS_CORETYPE", core);
    // One OpenBLAS thread: Kernels.Parallel splits the products itself (an idle OpenBLAS pool spins
    // in sched_yield while Swift code runs), so OpenBLAS need not even start its pool.
    int setThreads = set_default("OPENBLAS_NUM_THREADS", "1");
    void *library = NULL;
    const char *names[] = {"libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"};
    for (unsigned i = 0; i < sizeof names / sizeof *names && !library; i++) library = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (setCore) unsetenv("OPENBLAS_CORETYPE");
    if (setThreads) unsetenv("OPENBLAS_NUM_THREADS");
    if (!library) {
        snprintf(load_error, sizeof load_error, "cannot load OpenBLAS (%s); install it: apt-get install libopenblas-dev", dlerror());
        return;
    }
    sgemm = (sgemm_fn)dlsym(library, "cblas_sgemm");
    sdot = (sdot_fn)dlsym(library, "cblas_sdot");
    set_threads = (threads_fn)dlsym(library, "openblas_set_num_threads");
    get_config = (string_fn)dlsym(library, "openblas_get_config");
    get_corename = (string_fn)dlsym(library, "openblas_get_corename");
    if (!sgemm || !sdot || !set_threads || !get_config || !get_corename) {
        snprintf(load_error, sizeof load_error, "the loaded OpenBLAS lacks cblas_sgemm, cblas_sdot or openblas_get_corename");
        sgemm = NULL;
        return;
    }
    if (user) snprintf(core_choice, sizeof core_choice, "OPENBLAS_CORETYPE=%s, set by the user", user);
    else if (core) snprintf(core_choice, sizeof core_choice, "%s, chosen for %s", core, reason);
    else snprintf(core_choice, sizeof core_choice, "OpenBLAS's own detection (%s)", reason);
}

static void require(void) {
    if (sgemm) return;
    fprintf(stderr, "%s: error: %s\n", program_invocation_short_name, load_error[0] ? load_error : "OpenBLAS is not loaded");
    exit(70);
}

void blas_sgemm(int order, int transA, int transB, int m, int n, int k, float alpha, const float *a, int lda,
                const float *b, int ldb, float beta, float *c, int ldc) {
    require();
    sgemm(order, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

float blas_sdot(int n, const float *x, int incx, const float *y, int incy) {
    require();
    return sdot(n, x, incx, y, incy);
}

void blas_set_num_threads(int threads) {
    require();
    set_threads(threads);
}

const char *blas_config(void) { return get_config ? get_config() : "not loaded"; }
const char *blas_core_name(void) { return get_corename ? get_corename() : "not loaded"; }
const char *blas_core_choice(void) { return core_choice; }
const char *blas_load_error(void) { return load_error[0] ? load_error : NULL; }
