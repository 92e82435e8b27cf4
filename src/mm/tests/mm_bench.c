/*
 * src/mm/tests/mm_bench.c - mm benchmarks, run with `ktest=bench.*`.
 *
 * Part of mm's ktests (KTEST_MANUAL: never in a plain `ktest` run). Each
 * prints "bench: <what>: <ns> ns/op" measured with the calibrated TSC; the
 * figures go to docs/benchmarks.md. They assert only that the operations
 * succeed: timing is reported, never judged, so a noisy machine cannot
 * fail them.
 */
#include <core/ktest.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>

#define BENCH_ROUNDS 20000

KTEST_F(bench, pmm_alloc_free_pair, KTEST_MANUAL)
{
    uint64_t pa, t = rdtsc();

    for (int i = 0; i < BENCH_ROUNDS; i++) {
        KT_ASSERT_EQ(pmm_alloc(0, &pa), 0);
        pmm_free(pa);
    }
    ktest_bench_report("pmm_alloc+pmm_free (one frame)", ktest_bench_ns_since(t), BENCH_ROUNDS);
}

static void bench_kmalloc(size_t size, const char *what)
{
    uint64_t t = rdtsc();

    for (int i = 0; i < BENCH_ROUNDS; i++) {
        void *p = kmalloc(size);
        KT_ASSERT_NOT_NULL(p);
        kfree(p);
    }
    ktest_bench_report(what, ktest_bench_ns_since(t), BENCH_ROUNDS);
}

KTEST_F(bench, kmalloc_kfree_64, KTEST_MANUAL)
{
    bench_kmalloc(64, BASALT_DEBUG ? "kmalloc+kfree 64 B (debug checks on)"
                                   : "kmalloc+kfree 64 B");
}

KTEST_F(bench, kmalloc_kfree_4k, KTEST_MANUAL)
{
    bench_kmalloc(4096, BASALT_DEBUG ? "kmalloc+kfree 4 KiB (debug checks on)"
                                     : "kmalloc+kfree 4 KiB");
}
