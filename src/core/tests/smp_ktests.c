/*
 * src/core/tests/smp_ktests.c - in-kernel tests of SMP bring-up and per-CPU data.
 *
 * Part of core's ktests: every CPU the firmware listed is online and
 * answers a cross-CPU call; per-CPU variables are distinct per CPU; a
 * kernel mapping removed on one CPU faults on every other CPU at once (TLB
 * shootdown). Plus bench.smp_call_round_trip.
 */
#include <core/cpu.h>
#include <core/errno.h>
#include <core/kjmp.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/smp.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/apic.h>
#include <mm/layout.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>

static DEFINE_PER_CPU(unsigned, ktest_cpu_index);

static void record_index(void *arg)
{
    unsigned *seen = arg;
    *this_cpu_ptr(&ktest_cpu_index) = this_cpu()->index;
    seen[this_cpu()->index] = apic_id() + 1;
}

KTEST(smp, every_listed_cpu_is_online_and_answers)
{
    static unsigned seen[CPU_MAX];

    KT_EXPECT_EQ(cpu_count(), smp_expected_cpus());
    for (unsigned i = 0; i < cpu_count(); i++) {
        struct cpu *c = cpu_get(i);
        KT_ASSERT_NOT_NULL(c);
        KT_EXPECT_TRUE(c->online);
        KT_EXPECT_EQ(c->index, i);
        seen[i] = 0;
        KT_ASSERT_EQ(smp_call(i, record_index, seen), 0);
        /* it ran on the CPU it was sent to */
        KT_EXPECT_EQ(seen[i], c->apic_id + 1);
    }
    KT_EXPECT_EQ(smp_call(CPU_MAX, record_index, seen), -EINVAL);
}

KTEST(percpu, variables_are_distinct_per_cpu)
{
    static unsigned seen[CPU_MAX];

    for (unsigned i = 0; i < cpu_count(); i++)
        KT_ASSERT_EQ(smp_call(i, record_index, seen), 0);
    for (unsigned i = 0; i < cpu_count(); i++) {
        KT_EXPECT_EQ(*per_cpu_ptr(&ktest_cpu_index, i), i);
        for (unsigned j = 0; j < i; j++)
            KT_EXPECT_NE((uintptr_t)per_cpu_ptr(&ktest_cpu_index, i),
                         (uintptr_t)per_cpu_ptr(&ktest_cpu_index, j));
    }
    KT_EXPECT_EQ(this_cpu(), cpu_get(0));
}

struct probe {
    uintptr_t va;
    int result;
    uint64_t value;
};

static void probe_on_cpu(void *arg)
{
    struct probe *p = arg;
    p->result = probe_read_u64((const void *)p->va, &p->value);
}

KTEST(smp, tlb_shootdown_reaches_every_cpu)
{
    uintptr_t va = vmalloc_reserve(PAGE_SIZE, "ktest-shootdown");
    struct probe p = { va, -1, 0 };
    uint64_t pa;

    KT_ASSERT_NE(va, 0ul);
    KT_ASSERT_EQ(pmm_alloc(PMM_ZERO, &pa), 0);
    KT_ASSERT_EQ(vmm_map(&vmm_kernel, va, pa, VMM_PAGE_4K, VMM_WRITE | VMM_GLOBAL), 0);
    *(volatile uint64_t *)va = 0x5157;
    /* every CPU reads it: the translation is now in every TLB */
    for (unsigned i = 0; i < cpu_count(); i++) {
        KT_ASSERT_EQ(smp_call(i, probe_on_cpu, &p), 0);
        KT_EXPECT_EQ(p.result, 0);
        KT_EXPECT_EQ(p.value, 0x5157ull);
    }
    KT_ASSERT_EQ(vmm_unmap(&vmm_kernel, va, NULL), 0);
    for (unsigned i = 0; i < cpu_count(); i++) {
        p.result = 0;
        KT_ASSERT_EQ(smp_call(i, probe_on_cpu, &p), 0);
        KT_EXPECT_EQ(p.result, -EFAULT);
    }
    vmalloc_release(va);
    pmm_free(pa);
}

static void nothing(void *arg)
{
    (void)arg;
}

KTEST_F(bench, smp_call_round_trip, KTEST_MANUAL)
{
    enum { ROUNDS = 1000 };
    uint64_t t;

    if (cpu_count() < 2) {
        printk(LOG_INFO, "bench: cross-CPU call round trip: one CPU only, nothing to measure");
        return;
    }
    t = tsc_ns_since_boot();
    for (int i = 0; i < ROUNDS; i++)
        KT_ASSERT_EQ(smp_call(1, nothing, NULL), 0);
    t = tsc_ns_since_boot() - t;
    printk(LOG_INFO, "bench: cross-CPU call round trip (IPI + ack): %llu ns/op (%d ops)",
           (unsigned long long)(t / ROUNDS), ROUNDS);
    printk(LOG_INFO, "bench: AP bring-up for %u CPUs: %llu.%03llu ms", cpu_count(),
           (unsigned long long)(smp_bringup_us() / 1000),
           (unsigned long long)(smp_bringup_us() % 1000));
}
