/*
 * src/dev/tests/smp_torture_ktests.c - SMP torture of the kernel page tables
 * and the interrupt handler table.
 *
 * Part of dev's ktests (it sends IPIs through core/apic and runs kernel
 * threads). For SMPT_NS (and until it did each kind of work once: a
 * loaded host can starve a virtual CPU), one worker pinned to every CPU (up
 * to SMPT_MAX) mixes, at random:
 *   - vmalloc/vfree of 1-4 pages, every page translated, written and read
 *     back;
 *   - a 3 MiB vmalloc_reserve with three of the worker's frames mapped by
 *     vmm_map at its first page, past its first 2 MiB boundary and at its
 *     last page, then unmapped: page tables are created and freed every
 *     round, next to other CPUs' areas (cheap: every unmapped page costs a
 *     TLB shootdown, which is slow on a loaded host);
 *   - vmm_ioremap/vmm_iounmap of a random part of the worker's own frames,
 *     every page translated to the frame it must map and read through;
 *   - a handler on a fixed vector of its own, registered and freed while
 *     the worker sends that vector to the next CPU: the handler runs on
 *     another CPU while irq_free runs, and records any run outside
 *     [irq_request_fixed, return of irq_free];
 *   - a freshly allocated vector with a handler, a self-IPI that must reach
 *     exactly that handler, and irq_free.
 * Afterwards: no violation of any kind, every worker did every kind of
 * work, and the kernel is as it was: vmalloc areas, mapped pages, the
 * kernel's table frames, and free frames (counting the heap's slabs) all
 * back to their values from before; the frames read through ioremap are
 * unchanged; every fixed vector used is free again. At -smp 1 the single
 * worker sends its vector to itself.
 *
 * KTEST_MANUAL (it takes seconds): ktest=smptorture.* runs it (ctest
 * smptorture.*.smp4).
 */
#include <core/apic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/layout.h>
#include <core/printk.h>
#include <core/time.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>
#include <sched/thread.h>

#define SMPT_NS             (2000ull * 1000 * 1000)
#define SMPT_MAX            8               /* workers: one per CPU, at most this many */
#define SMPT_FIXED_VECTOR   245             /* worker w owns 245 + w (system vectors 240-244 are taken) */
#define SMPT_IO_PAGES       4               /* frames each worker maps with ioremap */
#define SMPT_SPARSE_BYTES   (3ull << 20)    /* crosses a 2 MiB boundary: a fresh page table */
#define SMPT_IRQ_DELAY_NS   3000            /* a handler lingers, to meet irq_free */
#define SMPT_SELF_WAIT_NS   (50ull * 1000 * 1000)

_Static_assert(SMPT_FIXED_VECTOR + SMPT_MAX - 1 < IRQ_VEC_SPURIOUS, "fixed vectors in range");
_Static_assert(SMPT_FIXED_VECTOR > IRQ_VEC_CALL, "above the system vectors in use");

struct smpt_token {
    int live;                   /* set before irq_request_*, cleared after irq_free returned */
    unsigned owner;             /* the worker's CPU */
    uint64_t runs;
};

struct smpt_worker {
    unsigned cpu;
    uint64_t seed;
    uint64_t io_pa;             /* SMPT_IO_PAGES frames filled with io_word() */
    uint64_t vm_ops, io_ops, sparse_ops, irq_ops, self_ops;
    uint64_t ns[5];             /* time spent in each kind of round */
    struct smpt_token fixed, dyn;
};

/* Violations, by kind. */
static uint64_t smpt_bad_vm_translate, smpt_bad_vm_data, smpt_vm_nomem;
static uint64_t smpt_bad_io_translate, smpt_bad_io_data, smpt_io_nomem;
static uint64_t smpt_irq_dead_run, smpt_irq_wrong_cpu, smpt_irq_missed, smpt_irq_errors;
static uint64_t smpt_fixed_runs, smpt_deadline;
static unsigned smpt_workers;
static struct smpt_worker smpt_w[SMPT_MAX];

static uint64_t smpt_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint64_t io_word(uint64_t pa)
{
    return pa * 0x9e3779b97f4a7c15ull ^ 0x5a5a5a5a5a5a5a5aull;
}

static void smpt_count(uint64_t *counter)
{
    __atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* ---- vmalloc --------------------------------------------------------------- */

static void vm_round(struct smpt_worker *w)
{
    size_t pages = 1 + smpt_rand(&w->seed) % 4;
    uint64_t tag = smpt_rand(&w->seed);
    uint8_t *p = vmalloc(pages * PAGE_SIZE);

    if (!p) {
        smpt_count(&smpt_vm_nomem);
        return;
    }
    for (size_t i = 0; i < pages; i++) {
        uint64_t pa;
        uint32_t flags;
        volatile uint64_t *page = (volatile uint64_t *)((uintptr_t)p + i * PAGE_SIZE);
        if (vmm_translate(&vmm_kernel, (uintptr_t)page, &pa, &flags, NULL) != 0 ||
            !(flags & VMM_WRITE) || pa % PAGE_SIZE) {
            smpt_count(&smpt_bad_vm_translate);
            continue;               /* touching it could fault */
        }
        page[0] = tag ^ i;
        page[PAGE_SIZE / 8 - 1] = ~tag ^ i;
    }
    for (size_t i = 0; i < pages; i++) {
        volatile uint64_t *page = (volatile uint64_t *)((uintptr_t)p + i * PAGE_SIZE);
        if (vmm_translate(&vmm_kernel, (uintptr_t)page, NULL, NULL, NULL) != 0)
            continue;               /* counted above */
        if (page[0] != (tag ^ i) || page[PAGE_SIZE / 8 - 1] != (~tag ^ i))
            smpt_count(&smpt_bad_vm_data);
    }
    vfree(p);
    w->vm_ops++;
}

/* ---- page tables created and freed ------------------------------------------ */

static void sparse_round(struct smpt_worker *w)
{
    uintptr_t base = vmalloc_reserve(SMPT_SPARSE_BYTES, "smpt-sparse"), va[3];
    bool mapped[3] = { false, false, false };

    if (!base) {
        smpt_count(&smpt_vm_nomem);
        return;
    }
    va[0] = base;
    va[1] = ALIGN_UP(base + PAGE_SIZE, VMM_PAGE_2M);
    va[2] = base + SMPT_SPARSE_BYTES - PAGE_SIZE;
    for (int i = 0; i < 3; i++) {
        int err = vmm_map(&vmm_kernel, va[i], w->io_pa + i * PAGE_SIZE, VMM_PAGE_4K,
                          VMM_WRITE | VMM_GLOBAL);
        if (err == -ENOMEM)
            smpt_count(&smpt_vm_nomem);
        else if (err)
            smpt_count(&smpt_bad_vm_translate);
        mapped[i] = err == 0;
    }
    for (int i = 0; i < 3; i++) {
        uint64_t pa, want = w->io_pa + i * PAGE_SIZE;
        if (!mapped[i])
            continue;
        if (vmm_translate(&vmm_kernel, va[i] + 8, &pa, NULL, NULL) != 0 || pa != want + 8) {
            smpt_count(&smpt_bad_vm_translate);
            continue;
        }
        if (*(volatile uint64_t *)(va[i] + 8) != io_word(want + 8))
            smpt_count(&smpt_bad_vm_data);
    }
    for (int i = 0; i < 3; i++) {
        uint64_t pa;
        if (mapped[i] && (vmm_unmap(&vmm_kernel, va[i], &pa) != 0 ||
                          pa != w->io_pa + i * PAGE_SIZE))
            smpt_count(&smpt_bad_vm_translate);
    }
    vmalloc_release(base);
    w->sparse_ops++;
}

/* ---- ioremap --------------------------------------------------------------- */

static void io_round(struct smpt_worker *w)
{
    unsigned first = (unsigned)(smpt_rand(&w->seed) % SMPT_IO_PAGES);
    unsigned count = 1 + (unsigned)(smpt_rand(&w->seed) % (SMPT_IO_PAGES - first));
    uint64_t off = (smpt_rand(&w->seed) % (PAGE_SIZE / 8)) * 8;
    uint64_t pa = w->io_pa + first * PAGE_SIZE + off;
    uint8_t *va = vmm_ioremap(pa, count * PAGE_SIZE - off, 0);

    if (!va) {
        smpt_count(&smpt_io_nomem);
        return;
    }
    if ((uintptr_t)va % PAGE_SIZE != off) {
        smpt_count(&smpt_bad_io_translate);
    } else {
        for (unsigned i = 0; i < count; i++) {
            uintptr_t v = (uintptr_t)va + i * PAGE_SIZE;
            uint64_t want = pa + i * PAGE_SIZE, got;
            if (i > 0) {
                v -= off;           /* the start of each following page */
                want -= off;
            }
            if (vmm_translate(&vmm_kernel, v, &got, NULL, NULL) != 0 || got != want) {
                smpt_count(&smpt_bad_io_translate);
                continue;
            }
            if (*(volatile uint64_t *)v != io_word(want))
                smpt_count(&smpt_bad_io_data);
        }
    }
    vmm_iounmap(va);
    w->io_ops++;
}

/* ---- interrupts ------------------------------------------------------------ */

/* On the fixed vector, sent from the owner's CPU to the next one. */
static bool on_fixed(void *ctx)
{
    struct smpt_token *t = ctx;

    if (!__atomic_load_n(&t->live, __ATOMIC_ACQUIRE))
        smpt_count(&smpt_irq_dead_run);
    tsc_delay_ns(SMPT_IRQ_DELAY_NS);        /* still running while the owner frees it? */
    if (!__atomic_load_n(&t->live, __ATOMIC_ACQUIRE))
        smpt_count(&smpt_irq_dead_run);
    smpt_count(&t->runs);
    smpt_count(&smpt_fixed_runs);
    return true;
}

/* On a freshly allocated vector, sent by its owner to itself. */
static bool on_self(void *ctx)
{
    struct smpt_token *t = ctx;

    if (!__atomic_load_n(&t->live, __ATOMIC_ACQUIRE))
        smpt_count(&smpt_irq_dead_run);
    if (t->owner != this_cpu()->index)
        smpt_count(&smpt_irq_wrong_cpu);    /* someone else's self-IPI: a shared slot */
    smpt_count(&t->runs);
    return true;
}

static void irq_round(struct smpt_worker *w, unsigned index)
{
    uint8_t vector = (uint8_t)(SMPT_FIXED_VECTOR + index);
    struct cpu *next = cpu_get((w->cpu + 1) % cpu_count());
    int h;

    __atomic_store_n(&w->fixed.live, 1, __ATOMIC_RELEASE);
    h = irq_request_fixed(vector, on_fixed, &w->fixed, "smpt-fixed");
    if (h < 0) {
        smpt_count(&smpt_irq_errors);
        __atomic_store_n(&w->fixed.live, 0, __ATOMIC_RELEASE);
        return;
    }
    uint64_t before = __atomic_load_n(&w->fixed.runs, __ATOMIC_RELAXED);
    uint64_t end = time_ns() + SMPT_SELF_WAIT_NS;
    apic_send_ipi(next->apic_id, vector);
    while (__atomic_load_n(&w->fixed.runs, __ATOMIC_RELAXED) == before && time_ns() < end)
        cpu_relax();
    for (int k = 0; k < 3; k++)
        apic_send_ipi(next->apic_id, vector);
    /* the last ones are still in flight (or running there) while irq_free runs */
    if (irq_free(h) != 0)
        smpt_count(&smpt_irq_errors);
    __atomic_store_n(&w->fixed.live, 0, __ATOMIC_RELEASE);
    w->irq_ops++;
}

static void self_round(struct smpt_worker *w)
{
    uint64_t before = __atomic_load_n(&w->dyn.runs, __ATOMIC_RELAXED), end;
    uint8_t vector;
    int h;

    __atomic_store_n(&w->dyn.live, 1, __ATOMIC_RELEASE);
    h = irq_request_vector(on_self, &w->dyn, "smpt-self", &vector);
    if (h < 0) {
        smpt_count(&smpt_irq_errors);
        __atomic_store_n(&w->dyn.live, 0, __ATOMIC_RELEASE);
        return;
    }
    apic_send_self_ipi(vector);             /* interrupts are on: it arrives at once */
    end = time_ns() + SMPT_SELF_WAIT_NS;
    while (__atomic_load_n(&w->dyn.runs, __ATOMIC_RELAXED) == before && time_ns() < end)
        cpu_relax();
    if (__atomic_load_n(&w->dyn.runs, __ATOMIC_RELAXED) != before + 1)
        smpt_count(&smpt_irq_missed);
    if (irq_free(h) != 0)
        smpt_count(&smpt_irq_errors);
    __atomic_store_n(&w->dyn.live, 0, __ATOMIC_RELEASE);
    w->self_ops++;
}

static void *smpt_worker_main(void *arg)
{
    struct smpt_worker *w = arg;
    unsigned index = (unsigned)(w - smpt_w);

    w->cpu = this_cpu()->index;
    w->dyn.owner = w->cpu;
    while (time_ns() < __atomic_load_n(&smpt_deadline, __ATOMIC_RELAXED) ||
           !w->vm_ops || !w->io_ops || !w->sparse_ops || !w->irq_ops || !w->self_ops) {
        unsigned kind = (unsigned)(smpt_rand(&w->seed) % 5);
        uint64_t t0 = time_ns();
        switch (kind) {
        case 0: vm_round(w); break;
        case 1: io_round(w); break;
        case 2: sparse_round(w); break;
        case 3: irq_round(w, index); break;
        default: self_round(w); break;
        }
        w->ns[kind] += time_ns() - t0;
    }
    return NULL;
}

static void *smpt_nothing(void *arg)
{
    return arg;
}

/* Free frames plus the frames the heap holds (kmalloc slabs are one page each). */
static uint64_t frames_accounted(void)
{
    struct kheap_stats st[64];
    size_t n = kheap_stats(st, 64);
    uint64_t frames = pmm_stats().free_frames + kheap_large_pages();

    for (size_t i = 0; i < n; i++)
        frames += st[i].slabs;
    return frames;
}

static size_t kernel_table_frames(void)
{
    size_t n;

    spin_lock(&vmm_kernel.lock);
    n = vmm_kernel.table_frames;
    spin_unlock(&vmm_kernel.lock);
    return n;
}

KTEST_F(smptorture, mm_and_irq_tables_on_every_cpu, KTEST_MANUAL)
{
    struct thread *t[SMPT_MAX];
    unsigned n = cpu_count() < SMPT_MAX ? cpu_count() : SMPT_MAX;
    uint64_t frames_before, pages_before;
    size_t areas_before, tables_before;

    smpt_workers = n;
    /* one round of thread creation first: the thread-stack cache reaches its steady state */
    for (unsigned i = 0; i < n; i++)
        KT_ASSERT_NOT_NULL(t[i] = thread_create("smpt-warm", smpt_nothing, NULL, THREAD_CPU(i)));
    for (unsigned i = 0; i < n; i++)
        KT_ASSERT_EQ(thread_join(t[i], NULL), 0);

    for (unsigned i = 0; i < n; i++) {
        smpt_w[i] = (struct smpt_worker){ .seed = 0x9e3779b97f4a7c15ull * (i + 1) };
        KT_ASSERT_EQ(pmm_alloc_contig(SMPT_IO_PAGES, PAGE_SIZE, 0, &smpt_w[i].io_pa), 0);
        uint64_t *words = phys_to_virt(smpt_w[i].io_pa);
        for (size_t k = 0; k < SMPT_IO_PAGES * PAGE_SIZE / 8; k++)
            words[k] = io_word(smpt_w[i].io_pa + k * 8);
    }
    smpt_bad_vm_translate = smpt_bad_vm_data = smpt_vm_nomem = 0;
    smpt_bad_io_translate = smpt_bad_io_data = smpt_io_nomem = 0;
    smpt_irq_dead_run = smpt_irq_wrong_cpu = smpt_irq_missed = smpt_irq_errors = 0;
    smpt_fixed_runs = 0;

    frames_before = frames_accounted();
    pages_before = vmalloc_mapped_pages();
    areas_before = vmalloc_area_count();
    tables_before = kernel_table_frames();

    __atomic_store_n(&smpt_deadline, time_ns() + SMPT_NS, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < n; i++)
        KT_ASSERT_NOT_NULL(t[i] = thread_create("smpt", smpt_worker_main, &smpt_w[i],
                                                THREAD_CPU(i)));
    for (unsigned i = 0; i < n; i++)
        KT_EXPECT_EQ(thread_join(t[i], NULL), 0);

    uint64_t vm = 0, io = 0, sparse = 0, irq = 0, self = 0;
    for (unsigned i = 0; i < n; i++) {
        vm += smpt_w[i].vm_ops;
        sparse += smpt_w[i].sparse_ops;
        io += smpt_w[i].io_ops;
        irq += smpt_w[i].irq_ops;
        self += smpt_w[i].self_ops;
    }
    pr_info("smptorture: %u CPUs: %llu vmalloc, %llu ioremap, %llu sparse, %llu irq "
            "request/free (%llu handler runs), %llu self-IPI rounds", n, (unsigned long long)vm,
            (unsigned long long)io, (unsigned long long)sparse, (unsigned long long)irq,
            (unsigned long long)smpt_fixed_runs, (unsigned long long)self);
    pr_info("smptorture: violations: vm translate %llu data %llu, io translate %llu "
            "data %llu, irq dead-run %llu wrong-cpu %llu missed %llu errors %llu; nomem %llu/%llu",
            (unsigned long long)smpt_bad_vm_translate, (unsigned long long)smpt_bad_vm_data,
            (unsigned long long)smpt_bad_io_translate, (unsigned long long)smpt_bad_io_data,
            (unsigned long long)smpt_irq_dead_run, (unsigned long long)smpt_irq_wrong_cpu,
            (unsigned long long)smpt_irq_missed, (unsigned long long)smpt_irq_errors,
            (unsigned long long)smpt_vm_nomem, (unsigned long long)smpt_io_nomem);

    for (unsigned i = 0; i < n; i++)
        pr_info("smptorture: worker %u: us per round: vm %llu io %llu sparse %llu "
                "irq %llu self %llu", i,
                (unsigned long long)(smpt_w[i].ns[0] / 1000 / (smpt_w[i].vm_ops + 1)),
                (unsigned long long)(smpt_w[i].ns[1] / 1000 / (smpt_w[i].io_ops + 1)),
                (unsigned long long)(smpt_w[i].ns[2] / 1000 / (smpt_w[i].sparse_ops + 1)),
                (unsigned long long)(smpt_w[i].ns[3] / 1000 / (smpt_w[i].irq_ops + 1)),
                (unsigned long long)(smpt_w[i].ns[4] / 1000 / (smpt_w[i].self_ops + 1)));
    KT_EXPECT_EQ(smpt_bad_vm_translate, 0u);
    KT_EXPECT_EQ(smpt_bad_vm_data, 0u);
    KT_EXPECT_EQ(smpt_vm_nomem, 0u);
    KT_EXPECT_EQ(smpt_bad_io_translate, 0u);
    KT_EXPECT_EQ(smpt_bad_io_data, 0u);
    KT_EXPECT_EQ(smpt_io_nomem, 0u);
    KT_EXPECT_EQ(smpt_irq_dead_run, 0u);
    KT_EXPECT_EQ(smpt_irq_wrong_cpu, 0u);
    KT_EXPECT_EQ(smpt_irq_missed, 0u);
    KT_EXPECT_EQ(smpt_irq_errors, 0u);
    for (unsigned i = 0; i < n; i++) {
        KT_EXPECT_NE(smpt_w[i].vm_ops, 0u);
        KT_EXPECT_NE(smpt_w[i].io_ops, 0u);
        KT_EXPECT_NE(smpt_w[i].sparse_ops, 0u);
        KT_EXPECT_NE(smpt_w[i].irq_ops, 0u);
        KT_EXPECT_NE(smpt_w[i].self_ops, 0u);
        /* every self-IPI reached its own handler once */
        KT_EXPECT_EQ(smpt_w[i].dyn.runs, smpt_w[i].self_ops);
    }
    KT_EXPECT_NE(smpt_fixed_runs, 0u);

    /* the kernel is back where it was */
    KT_EXPECT_EQ(vmalloc_area_count(), areas_before);
    KT_EXPECT_EQ(vmalloc_mapped_pages(), pages_before);
    KT_EXPECT_EQ(kernel_table_frames(), tables_before);
    KT_EXPECT_EQ(frames_accounted(), frames_before);

    for (unsigned i = 0; i < n; i++) {
        const uint64_t *words = phys_to_virt(smpt_w[i].io_pa);
        size_t bad = 0;
        for (size_t k = 0; k < SMPT_IO_PAGES * PAGE_SIZE / 8; k++)
            bad += words[k] != io_word(smpt_w[i].io_pa + k * 8);
        KT_EXPECT_EQ(bad, 0u);
        KT_EXPECT_EQ(pmm_free_contig(smpt_w[i].io_pa, SMPT_IO_PAGES), 0);
        /* the fixed vector is free again */
        int h = irq_request_fixed((uint8_t)(SMPT_FIXED_VECTOR + i), on_fixed, &smpt_w[i].fixed,
                                  "smpt-check");
        KT_EXPECT_GE(h, 0);
        if (h >= 0)
            KT_EXPECT_EQ(irq_free(h), 0);
    }
}
