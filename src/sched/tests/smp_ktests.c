/*
 * src/sched/tests/smp_ktests.c - in-kernel tests of SMP bring-up and per-CPU data.
 *
 * Part of sched's ktests (they need mm and sched/smpboot): every CPU the
 * firmware listed is online and answers a cross-CPU call; per-CPU variables are distinct per CPU; a
 * kernel mapping removed on one CPU faults on every other CPU at once (TLB
 * shootdown). Plus bench.smp_call_round_trip.
 */
#include <core/apic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/kjmp.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/smp.h>
#include <sched/smpboot.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <core/layout.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>

static DEFINE_PER_CPU(unsigned, ktest_cpu_index);
static DEFINE_PER_CPU(unsigned, ktest_initial) = 42;

static void read_initial(void *arg)
{
    ((unsigned *)arg)[this_cpu()->index] = *this_cpu_ptr(&ktest_initial);
}

static void write_to_template(void *arg)
{
    *(volatile unsigned *)arg = 7;
}

/* Every CPU starts from the pristine image; the image itself is read-only. */
KTEST(percpu, copies_start_from_the_initial_image)
{
    static unsigned seen[CPU_MAX];

    for (unsigned i = 0; i < cpu_count(); i++) {
        KT_ASSERT_EQ(smp_call(i, read_initial, seen), 0);
        KT_EXPECT_EQ(seen[i], 42u);
    }
    *this_cpu_ptr(&ktest_initial) = 7;              /* the boot CPU's copy only */
    for (unsigned i = 1; i < cpu_count(); i++) {
        KT_ASSERT_EQ(smp_call(i, read_initial, seen), 0);
        KT_EXPECT_EQ(seen[i], 42u);
    }
    KT_EXPECT_EQ(ktest_expect_fault(14, write_to_template, &ktest_initial, NULL), 0);
    *this_cpu_ptr(&ktest_initial) = 42;
}

static void record_index(void *arg)
{
    unsigned *seen = arg;
    *this_cpu_ptr(&ktest_cpu_index) = this_cpu()->index;
    seen[this_cpu()->index] = apic_id() + 1;
}

KTEST(smp, every_listed_cpu_is_online_and_answers)
{
    static unsigned seen[CPU_MAX];

    KT_EXPECT_EQ(cpu_count(), smpboot_expected_cpus());
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

struct cpu_state {
    uint64_t cr0, cr4, pat, efer;
};

static void read_cpu_state(void *arg)
{
    struct cpu_state *st = arg;
    st->cr0 = read_cr0();
    st->cr4 = read_cr4();
    st->pat = rdmsr(0x277);
    st->efer = rdmsr(MSR_EFER);
}

/*
 * Every CPU pages and caches memory the same way: caching on (CR0.CD/NW
 * clear), write protection, the same PAT, global pages, NX. (Firmware may
 * leave other CR4 bits, such as MCE, set on the boot CPU only.)
 */
#define CR0_SHARED  (CR0_PG | CR0_WP | CR0_CD | CR0_NW | CR0_NE | CR0_MP | CR0_EM)
#define CR4_SHARED  (CR4_PAE | CR4_PGE)
#define EFER_SHARED (EFER_LME | EFER_NXE)

KTEST(smp, cpus_share_paging_and_cache_settings)
{
    struct cpu_state bsp, ap;

    read_cpu_state(&bsp);
    KT_EXPECT_EQ(bsp.cr0 & (CR0_CD | CR0_NW), 0ull);
    for (unsigned i = 1; i < cpu_count(); i++) {
        KT_ASSERT_EQ(smp_call(i, read_cpu_state, &ap), 0);
        KT_EXPECT_EQ(ap.cr0 & CR0_SHARED, bsp.cr0 & CR0_SHARED);
        KT_EXPECT_EQ(ap.cr4 & CR4_SHARED, bsp.cr4 & CR4_SHARED);
        KT_EXPECT_EQ(ap.pat, bsp.pat);
        KT_EXPECT_EQ(ap.efer & EFER_SHARED, bsp.efer & EFER_SHARED);
    }
}

static void note_cpu(void *arg)
{
    *(volatile unsigned *)arg = this_cpu()->index + 100;
}

struct nested {
    unsigned back;          /* written by the call back on CPU 0 */
    int err;
    bool unmapped;
};

/* Runs on CPU 1: calls back to CPU 0 (which is waiting for us) and unmaps a kernel page. */
static void call_back_and_unmap(void *arg)
{
    struct nested *n = arg;
    uintptr_t va = vmalloc_reserve(PAGE_SIZE, "ktest-nested");
    uint64_t pa;

    n->err = smp_call(0, note_cpu, &n->back);
    if (va && pmm_alloc(0, &pa) == 0 &&
        vmm_map(&vmm_kernel, va, pa, VMM_PAGE_4K, VMM_WRITE | VMM_GLOBAL) == 0) {
        *(volatile uint64_t *)va = 1;
        n->unmapped = vmm_unmap(&vmm_kernel, va, NULL) == 0;    /* a shootdown from CPU 1 */
        pmm_free(pa);
    }
    if (va)
        vmalloc_release(va);
}

/* A call can call back to its sender, and a shootdown can start on any CPU. */
KTEST(smp, calls_nest_across_cpus_without_deadlock)
{
    struct nested n = { 0, -1, false };

    if (cpu_count() < 2)
        KT_SKIP("needs a second CPU (%u online)", cpu_count());
    KT_ASSERT_EQ(smp_call(1, call_back_and_unmap, &n), 0);
    KT_EXPECT_EQ(n.err, 0);
    KT_EXPECT_EQ(n.back, 100u);             /* it ran on CPU 0 */
    KT_EXPECT_TRUE(n.unmapped);
}

static void nothing(void *arg)
{
    (void)arg;
}

KTEST_F(bench, smp_call_round_trip, KTEST_MANUAL)
{
    enum { ROUNDS = 1000 };
    uint64_t t;

    if (cpu_count() < 2)
        KT_SKIP("needs a second CPU for a cross-CPU call");
    t = tsc_ns_since_boot();
    for (int i = 0; i < ROUNDS; i++)
        KT_ASSERT_EQ(smp_call(1, nothing, NULL), 0);
    t = tsc_ns_since_boot() - t;
    pr_info("bench: cross-CPU call round trip (IPI + ack): %llu ns/op (%d ops)",
            (unsigned long long)(t / ROUNDS), ROUNDS);
    pr_info("bench: AP bring-up for %u CPUs: %llu.%03llu ms", cpu_count(),
            (unsigned long long)(smpboot_us() / 1000),
            (unsigned long long)(smpboot_us() % 1000));
}
