// Whether AVX512_BF16 pays: its dot product (VDPBF16PS) does 32 multiply-adds per 512-bit instruction, the fp32
// FMA (VFMADD231PS) 16, but CPUs issue them at different rates. On a Zen 4 oneDNN's bf16 kernel ran about twice
// its fp32 one; on an Emerald Rapids Xeon without AMX (KVM, 2026-12-07) the dot product issued at a quarter of the
// FMA's rate, half its multiply-adds (86 against 176 GFLOP/s a core), and oneDNN's bf16 kernel ran at 145-163
// GFLOP/s on 2 cores against 261-293 for its fp32 one (docs/BENCHMARKS.md). CPUID says only that the instruction
// exists; this times it.
#include "CDNNL.h"
#include <string.h>
#include <time.h>

#if defined(__x86_64__)
static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// Sixteen independent accumulators, so the loop runs at the instruction's throughput, not its latency.
#define SIXTEEN(op)                                                                                                    \
    op " %%zmm30, %%zmm31, %%zmm0\n" op " %%zmm30, %%zmm31, %%zmm1\n" op " %%zmm30, %%zmm31, %%zmm2\n"                \
    op " %%zmm30, %%zmm31, %%zmm3\n" op " %%zmm30, %%zmm31, %%zmm4\n" op " %%zmm30, %%zmm31, %%zmm5\n"                \
    op " %%zmm30, %%zmm31, %%zmm6\n" op " %%zmm30, %%zmm31, %%zmm7\n" op " %%zmm30, %%zmm31, %%zmm8\n"                \
    op " %%zmm30, %%zmm31, %%zmm9\n" op " %%zmm30, %%zmm31, %%zmm10\n" op " %%zmm30, %%zmm31, %%zmm11\n"              \
    op " %%zmm30, %%zmm31, %%zmm12\n" op " %%zmm30, %%zmm31, %%zmm13\n" op " %%zmm30, %%zmm31, %%zmm14\n"             \
    op " %%zmm30, %%zmm31, %%zmm15\n"
#define CLOBBERS "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", \
    "xmm12", "xmm13", "xmm14", "xmm15", "xmm30", "xmm31", "cc"

// Seconds for `rounds` × 16 instructions of each kind (zero operands: no denormals, no exceptions).
__attribute__((target("avx512f,avx512bf16"))) static double time_dot(long rounds) {
    double start = seconds();
    __asm__ volatile("vpxord %%zmm30, %%zmm30, %%zmm30\n vpxord %%zmm31, %%zmm31, %%zmm31\n"
                     "1:\n" SIXTEEN("vdpbf16ps") "dec %0\n jnz 1b\n" : "+r"(rounds) : : CLOBBERS);
    return seconds() - start;
}

__attribute__((target("avx512f"))) static double time_fma(long rounds) {
    double start = seconds();
    __asm__ volatile("vpxord %%zmm30, %%zmm30, %%zmm30\n vpxord %%zmm31, %%zmm31, %%zmm31\n"
                     "1:\n" SIXTEEN("vfmadd231ps") "dec %0\n jnz 1b\n" : "+r"(rounds) : : CLOBBERS);
    return seconds() - start;
}

#endif

double cpu_bf16_dot_over_fma(void) {
#if defined(__x86_64__)
    char features[64];  // CPUID and the OS's saved state, as the bf16 mode reads them (DNNLMatmul.c)
    if (!dnnl_cpu_bf16_features(features, sizeof features) || !strstr(features, "AVX512_BF16")) return 0;
    // Interleaved short runs (about 0.1-0.4 ms each), the fastest of each kind: a preemption or a clock change can
    // only slow a run down. The first pair warms the units up and is not counted.
    const long rounds = 1 << 14;
    double dot = 1e30, fma = 1e30;
    for (int trial = 0; trial < 8; trial++) {
        double d = time_dot(rounds), f = time_fma(rounds);
        if (trial == 0) continue;
        if (d < dot) dot = d;
        if (f < fma) fma = f;
    }
    // 32 multiply-adds per dot instruction, 16 per FMA
    return (32.0 / dot) / (16.0 / fma);
#else
    return 0;
#endif
}
