/*
 * src/mm/tests/mm_ktests.c - in-kernel tests of mm.
 *
 * Part of mm's ktests: the frame allocator (exhaustion and exact counts,
 * runs, alignment, the 4 GiB limit, refused double and foreign frees),
 * paging (round trips at every page size, W^X, page 0, no identity map),
 * address spaces (no frame leaked over 1000 create/destroy), vmalloc and
 * its guard pages, and the heap (stress with integrity checks, object
 * caches, and in debug builds the misuse reports).
 */
#include <core/errno.h>
#include <core/kjmp.h>
#include <core/ktest.h>
#include <core/string.h>
#include <core/trap.h>
#include <core/x86.h>
#include <mm/kmalloc.h>
#include <core/layout.h>
#include <mm/memmap.h>
#include <mm/pagefault.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>

/* ---- physical frames ------------------------------------------------------ */

/*
 * Which frames were taken is kept in a bitmap of our own rather than in the
 * frames themselves: touching every frame of a 16 GiB guest would make QEMU
 * back all of it with host memory.
 */
KTEST(pmm, exhaust_and_free_every_frame)
{
    uint64_t before = pmm_stats().free_frames, pa, got = 0, freed = 0;
    size_t nframes = (size_t)(pmm_stats().highest_ram / PAGE_SIZE);
    uint64_t *taken = vmalloc((nframes + 63) / 64 * 8);

    KT_ASSERT_NOT_NULL(taken);
    before = pmm_stats().free_frames;
    memset(taken, 0, (nframes + 63) / 64 * 8);
    /* NORECLAIM: the caches' reclaim hook would hand back frames and spoil the count */
    while (pmm_alloc(PMM_NORECLAIM, &pa) == 0) {
        size_t f = (size_t)(pa / PAGE_SIZE);
        KT_ASSERT_LT(f, nframes);
        KT_ASSERT_FALSE(taken[f / 64] & (1ull << (f % 64)));     /* never handed out twice */
        taken[f / 64] |= 1ull << (f % 64);
        got++;
    }
    KT_EXPECT_EQ(got, before);
    KT_EXPECT_EQ(pmm_stats().free_frames, 0ull);
    KT_EXPECT_EQ(pmm_alloc(PMM_NORECLAIM, &pa), -ENOMEM);
    for (size_t f = 0; f < nframes; f++)
        if (taken[f / 64] & (1ull << (f % 64))) {
            KT_ASSERT_EQ(pmm_free((uint64_t)f * PAGE_SIZE), 0);
            freed++;
        }
    KT_EXPECT_EQ(freed, got);
    KT_EXPECT_EQ(pmm_stats().free_frames, before);
    vfree(taken);
}

/* The test's reclaim hook: gives back the stash (a run of frames) once, counts its calls. */
static uint64_t rh_stash = UINT64_MAX;
static size_t rh_stash_frames, rh_calls, rh_want;

static size_t rh_hook(size_t want)
{
    size_t n = rh_stash_frames;

    rh_calls++;
    rh_want = want;
    if (rh_stash == UINT64_MAX)
        return 0;
    pmm_free_contig(rh_stash, n);
    rh_stash = UINT64_MAX;
    return n;
}

/* Takes every free frame (recorded in taken, a bitmap of nframes bits); returns how many. */
static uint64_t rh_exhaust(uint64_t *taken, size_t nframes)
{
    uint64_t pa, got = 0;

    while (pmm_alloc(PMM_NORECLAIM, &pa) == 0) {
        size_t f = (size_t)(pa / PAGE_SIZE);

        if (f < nframes)
            taken[f / 64] |= 1ull << (f % 64);
        got++;
    }
    return got;
}

static void rh_release(uint64_t *taken, size_t nframes)
{
    for (size_t f = 0; f < nframes; f++)
        if (taken[f / 64] & (1ull << (f % 64)))
            pmm_free((uint64_t)f * PAGE_SIZE);
}

KTEST(pmm, reclaim_hook_feeds_a_failed_allocation)
{
    size_t nframes = (size_t)(pmm_stats().highest_ram / PAGE_SIZE);
    uint64_t *taken = vmalloc((nframes + 63) / 64 * 8);
    uint64_t before, pa = 0, stash;
    pmm_reclaim_fn prev;
    void *big;

    KT_ASSERT_NOT_NULL(taken);
    memset(taken, 0, (nframes + 63) / 64 * 8);
    KT_ASSERT_EQ(pmm_alloc_contig(4, 0, 0, &stash), 0);
    before = pmm_stats().reclaim_calls;
    rh_calls = 0;
    rh_stash = stash;
    rh_stash_frames = 4;
    prev = pmm_set_reclaim_hook(rh_hook);
    rh_exhaust(taken, nframes);
    /* no frame left: the hook runs once with what was asked, and its frames serve the call */
    KT_EXPECT_EQ(pmm_alloc_contig(2, 0, 0, &pa), 0);
    KT_EXPECT_EQ(rh_calls, 1u);
    KT_EXPECT_EQ(rh_want, 2u);
    KT_EXPECT_TRUE(pa >= stash && pa + 2 * PAGE_SIZE <= stash + 4 * PAGE_SIZE);
    KT_EXPECT_EQ(pmm_stats().reclaim_calls - before, 1ull);
    /* NORECLAIM fails without asking; a hook with nothing left fails after one call */
    KT_EXPECT_EQ(rh_exhaust(taken, nframes), 2ull);     /* the stash frames not handed out */
    KT_EXPECT_EQ(pmm_alloc_contig(2, 0, PMM_NORECLAIM, &stash), -ENOMEM);
    KT_EXPECT_EQ(rh_calls, 1u);
    KT_EXPECT_EQ(pmm_alloc(0, &stash), -ENOMEM);
    KT_EXPECT_EQ(rh_calls, 2u);
    /* kmalloc's page-backed blocks reach the hook too (without kheap_lock held) */
    KT_EXPECT_EQ(pmm_free_contig(pa, 2), 0);
    rh_exhaust(taken, nframes);
    KT_EXPECT_EQ(pmm_alloc_contig(4, 0, PMM_NORECLAIM, &stash), -ENOMEM);
    rh_release(taken, nframes);
    memset(taken, 0, (nframes + 63) / 64 * 8);
    KT_ASSERT_EQ(pmm_alloc_contig(4, 0, 0, &stash), 0);
    rh_stash = stash;
    rh_exhaust(taken, nframes);
    big = kmalloc(2 * PAGE_SIZE);
    KT_EXPECT_TRUE(big != NULL);
    KT_EXPECT_EQ(rh_calls, 3u);
    kfree(big);
    rh_release(taken, nframes);
    KT_EXPECT_TRUE(pmm_set_reclaim_hook(prev) == rh_hook);
    vfree(taken);
}

KTEST(pmm, contiguous_aligned_runs)
{
    uint64_t before = pmm_stats().free_frames, pa, pb;

    KT_ASSERT_EQ(pmm_alloc_contig(16, 0x10000, PMM_ZERO, &pa), 0);
    KT_EXPECT_EQ(pa % 0x10000, 0ull);
    for (size_t i = 0; i < 16 * PAGE_SIZE; i += 512)
        KT_ASSERT_EQ(*(uint8_t *)phys_to_virt(pa + i), 0);
    KT_ASSERT_EQ(pmm_alloc_contig(3, 0x200000, 0, &pb), 0);
    KT_EXPECT_EQ(pb % 0x200000, 0ull);
    KT_EXPECT_TRUE(pb + 3 * PAGE_SIZE <= pa || pa + 16 * PAGE_SIZE <= pb);
    KT_EXPECT_EQ(pmm_stats().free_frames, before - 19);
    KT_EXPECT_EQ(pmm_free_contig(pa, 16), 0);
    KT_EXPECT_EQ(pmm_free_contig(pb, 3), 0);
    KT_EXPECT_EQ(pmm_stats().free_frames, before);
    KT_EXPECT_EQ(pmm_alloc_contig(0, 0, 0, &pa), -EINVAL);
    KT_EXPECT_EQ(pmm_alloc_contig(1, 0x3000, 0, &pa), -EINVAL);
}

KTEST(pmm, below_4g_limit)
{
    uint64_t pa;

    KT_ASSERT_EQ(pmm_alloc_contig(8, 0, PMM_BELOW_4G, &pa), 0);
    KT_EXPECT_LE(pa + 8 * PAGE_SIZE, 4ull << 30);
    KT_EXPECT_EQ(pmm_free_contig(pa, 8), 0);
}

KTEST(pmm, double_and_foreign_free_refused)
{
    uint64_t pa, bad = pmm_stats().bad_frees, before;

    KT_ASSERT_EQ(pmm_alloc(0, &pa), 0);
    KT_EXPECT_EQ(pmm_free(pa), 0);
    before = pmm_stats().free_frames;
    KT_EXPECT_EQ(pmm_free(pa), -EINVAL);                    /* double free */
    KT_EXPECT_EQ(pmm_free((uintptr_t)__text_start - KERNEL_VMA), -EFAULT);  /* kernel image */
    KT_EXPECT_EQ(pmm_free(0), -EFAULT);                     /* first MiB */
    KT_EXPECT_EQ(pmm_stats().free_frames, before);
    KT_EXPECT_EQ(pmm_stats().bad_frees, bad + 3);
}

/* ---- paging ------------------------------------------------------------------ */

KTEST(vmm, map_translate_unmap_every_page_size)
{
    struct vmm_space *as = vmm_space_create();
    static const size_t sizes[3] = { VMM_PAGE_4K, VMM_PAGE_2M, VMM_PAGE_1G };
    uint64_t free_before = pmm_stats().free_frames;

    KT_ASSERT_NOT_NULL(as);
    for (int i = 0; i < 3; i++) {
        size_t size = sizes[i];
        uintptr_t va = 0x40000000ul * (uintptr_t)(i + 1);
        uint64_t pa = 0x80000000ull, got;
        uint32_t flags;
        size_t page;

        if (size == VMM_PAGE_1G && !vmm_has_1g_pages()) {
            KT_EXPECT_EQ(vmm_map(as, va, pa, size, VMM_USER), -EINVAL);
            continue;
        }
        KT_ASSERT_EQ(vmm_map(as, va, pa, size, VMM_USER | VMM_WRITE), 0);
        KT_EXPECT_EQ(vmm_map(as, va, pa, size, VMM_USER), -EEXIST);
        KT_ASSERT_EQ(vmm_translate(as, va + size - 8, &got, &flags, &page), 0);
        KT_EXPECT_EQ(got, pa + size - 8);
        KT_EXPECT_EQ(page, size);
        KT_EXPECT_EQ(flags, (uint32_t)(VMM_USER | VMM_WRITE));
        KT_EXPECT_EQ(vmm_protect(as, va, VMM_USER | VMM_EXEC), 0);
        KT_ASSERT_EQ(vmm_translate(as, va, NULL, &flags, NULL), 0);
        KT_EXPECT_EQ(flags, (uint32_t)(VMM_USER | VMM_EXEC));
        KT_EXPECT_EQ(vmm_unmap(as, va, &got), 0);
        KT_EXPECT_EQ(got, pa);
        KT_EXPECT_EQ(vmm_translate(as, va, NULL, NULL, NULL), -ENOENT);
        KT_EXPECT_EQ(vmm_unmap(as, va, NULL), -ENOENT);
        /* the tables made for the mapping are gone again */
        KT_EXPECT_EQ(as->table_frames, 1u);
    }
    KT_EXPECT_EQ(vmm_map(as, 0x1000, 0x1000, VMM_PAGE_2M, VMM_USER), -EINVAL);   /* misaligned */
    KT_EXPECT_EQ(vmm_map(as, 0, 0x1000, VMM_PAGE_4K, VMM_USER), -EINVAL);        /* page 0 */
    KT_EXPECT_EQ(vmm_map(as, 0x1000, 0x1000, VMM_PAGE_4K, 0), -EINVAL);   /* kernel flag, user va */
    vmm_space_destroy(as);
    /* measured with the PML4 already allocated: it comes back too */
    KT_EXPECT_EQ(pmm_stats().free_frames, free_before + 1);
}

KTEST(vmm, direct_map_covers_all_ram)
{
    struct pmm_stats st = pmm_stats();
    uint64_t pa;

    KT_ASSERT_EQ(vmm_translate(&vmm_kernel, DIRECT_MAP_BASE + st.highest_ram - 8, &pa, NULL,
                               NULL), 0);
    KT_EXPECT_EQ(pa, st.highest_ram - 8);
    KT_ASSERT_EQ(pmm_alloc(0, &pa), 0);
    *(volatile uint64_t *)phys_to_virt(pa) = 0x1234;
    KT_EXPECT_EQ(*(volatile uint64_t *)phys_to_virt(pa), 0x1234ull);
    pmm_free(pa);
}

KTEST(vmm, image_is_w_xor_x)
{
    uint32_t f;

    KT_ASSERT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)kmalloc, NULL, &f, NULL), 0);
    KT_EXPECT_EQ(f & (VMM_WRITE | VMM_EXEC), (uint32_t)VMM_EXEC);
    KT_ASSERT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)__rodata_start, NULL, &f, NULL), 0);
    KT_EXPECT_EQ(f & (VMM_WRITE | VMM_EXEC), 0u);
    KT_ASSERT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)__bss_start, NULL, &f, NULL), 0);
    KT_EXPECT_EQ(f & (VMM_WRITE | VMM_EXEC), (uint32_t)VMM_WRITE);
    KT_EXPECT_TRUE(read_cr0() & CR0_WP);
    KT_EXPECT_TRUE(rdmsr(MSR_EFER) & EFER_NXE);
}

static void write_to(void *p)
{
    *(volatile uint8_t *)p = 0xC3;
}

static uint8_t data_code[16] = { 0xC3 };       /* "ret", in .data */

static void jump_to(void *p)
{
    ((void (*)(void))p)();
}

KTEST(vmm, writing_text_or_running_data_faults)
{
    struct ktest_fault f;

    KT_ASSERT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, write_to, (void *)kmalloc, &f), 0);
    KT_EXPECT_EQ(f.error & (PF_PRESENT | PF_WRITE), (uint64_t)(PF_PRESENT | PF_WRITE));
    KT_ASSERT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, write_to, (void *)__rodata_start, &f), 0);
    KT_EXPECT_TRUE(f.error & PF_WRITE);
    KT_ASSERT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, jump_to, data_code, &f), 0);
    KT_EXPECT_EQ(f.error & (PF_PRESENT | PF_FETCH), (uint64_t)(PF_PRESENT | PF_FETCH));
    KT_EXPECT_EQ(f.cr2, (uint64_t)(uintptr_t)data_code);
}

static void read_from(void *p)
{
    (void)*(volatile uint8_t *)p;
}

KTEST(vmm, page_zero_and_identity_map_are_gone)
{
    struct ktest_fault f;

    KT_ASSERT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, read_from, NULL, &f), 0);
    KT_EXPECT_EQ(f.cr2, 0ull);
    KT_EXPECT_FALSE(f.error & PF_PRESENT);
    KT_EXPECT_EQ(vmm_translate(&vmm_kernel, 0x100000, NULL, NULL, NULL), -ENOENT);
    KT_EXPECT_EQ(vmm_translate(&vmm_kernel, 0, NULL, NULL, NULL), -ENOENT);
}

KTEST(vmm, space_create_destroy_1000_no_leak)
{
    uint64_t before;
    struct vmm_space *as;

    /* warm the heap's cache of vmm_space objects first */
    as = vmm_space_create();
    KT_ASSERT_NOT_NULL(as);
    vmm_space_destroy(as);
    before = pmm_stats().free_frames;
    for (int i = 0; i < 1000; i++) {
        uint64_t pa;
        as = vmm_space_create();
        KT_ASSERT_NOT_NULL(as);
        /* two owned user pages far apart: several tables each */
        for (int j = 0; j < 2; j++) {
            KT_ASSERT_EQ(pmm_alloc(0, &pa), 0);
            KT_ASSERT_EQ(vmm_map(as, 0x400000ul + (uintptr_t)j * (1ul << 40), pa, VMM_PAGE_4K,
                                 VMM_USER | VMM_WRITE | VMM_OWNED), 0);
        }
        vmm_space_destroy(as);
    }
    KT_EXPECT_EQ(pmm_stats().free_frames, before);
}

KTEST(vmm, spaces_share_the_kernel_half)
{
    struct vmm_space *as = vmm_space_create();
    uint64_t pa1, pa2;

    KT_ASSERT_NOT_NULL(as);
    KT_ASSERT_EQ(vmm_translate(as, (uintptr_t)kmalloc, &pa1, NULL, NULL), 0);
    KT_ASSERT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)kmalloc, &pa2, NULL, NULL), 0);
    KT_EXPECT_EQ(pa1, pa2);
    KT_EXPECT_EQ(vmm_translate(as, 0x400000, NULL, NULL, NULL), -ENOENT);
    vmm_space_destroy(as);
}

/* ---- vmalloc, ioremap, guard pages ------------------------------------------ */

KTEST(vmalloc, map_use_free)
{
    uint64_t pages = vmalloc_mapped_pages(), frames = pmm_stats().free_frames;
    uint8_t *p = vmalloc(100 * 1024);

    KT_ASSERT_NOT_NULL(p);
    KT_EXPECT_GE((uintptr_t)p, VMALLOC_BASE);
    KT_EXPECT_EQ(vmalloc_mapped_pages(), pages + 25);
    memset(p, 0x5A, 100 * 1024);
    KT_EXPECT_EQ(p[100 * 1024 - 1], 0x5A);
    KT_EXPECT_TRUE(vmalloc_guard_lookup((uintptr_t)p - 1, NULL, NULL, NULL, NULL));
    vfree(p);
    KT_EXPECT_EQ(vmalloc_mapped_pages(), pages);
    KT_EXPECT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)p, NULL, NULL, NULL), -ENOENT);
    KT_EXPECT_EQ(pmm_stats().free_frames, frames);
    KT_EXPECT_TRUE(vmalloc(0) == NULL);
}

KTEST(vmalloc, ioremap_sees_the_same_memory)
{
    uint64_t pa;
    volatile uint32_t *io;
    uint32_t flags;

    KT_ASSERT_EQ(pmm_alloc(PMM_ZERO, &pa), 0);
    io = vmm_ioremap(pa + 0x10, 64, VMM_WRITE);
    KT_ASSERT_NOT_NULL((void *)io);
    KT_ASSERT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)io, NULL, &flags, NULL), 0);
    KT_EXPECT_TRUE(flags & VMM_NOCACHE);
    *io = 0xCAFEF00D;
    KT_EXPECT_EQ(*(volatile uint32_t *)phys_to_virt(pa + 0x10), 0xCAFEF00Du);
    vmm_iounmap((void *)io);
    KT_EXPECT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)io, NULL, NULL, NULL), -ENOENT);
    pmm_free(pa);
}

/* Recurses until the stack runs out (the limit is never reached on a 16 KiB stack). */
static __noinline void recurse_deep(void *depth)
{
    volatile uint8_t frame[256];

    frame[0] = (uint8_t)(uintptr_t)depth;
    if ((uintptr_t)depth < 1000000)
        recurse_deep((void *)((uintptr_t)depth + 1));
    frame[1] = frame[0];        /* not a tail call */
}

struct overflow_args {
    uintptr_t top;
};

static void overflow_on_stack(void *arg)
{
    struct overflow_args *a = arg;
    kjmp_call_on_stack(recurse_deep, NULL, a->top);
}

KTEST(vmalloc, stack_overflow_hits_the_guard_page)
{
    uint8_t *stack = vmalloc_stack(16 * 1024, "ktest-overflow");
    struct overflow_args a;
    struct ktest_fault f;
    uintptr_t hit;

    KT_ASSERT_NOT_NULL(stack);
    a.top = (uintptr_t)stack + 16 * 1024;
    /* no stack left for the #PF frame: the CPU raises #DF, on its IST stack */
    KT_ASSERT_EQ(ktest_expect_fault(VEC_DOUBLE_FAULT, overflow_on_stack, &a, &f), 0);
    hit = pagefault_last_guard_hit();
    KT_EXPECT_GE(hit, (uintptr_t)stack - PAGE_SIZE);
    KT_EXPECT_LT(hit, (uintptr_t)stack);
    vfree(stack);
}

/* ---- heap --------------------------------------------------------------------- */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

KTEST(kheap, randomized_stress_with_integrity_checks)
{
    enum { SLOTS = 256, ROUNDS = 6000 };
    static uint8_t *ptr[SLOTS];
    static uint32_t len[SLOTS];
    uint32_t seed = 12345;
    uint64_t errors = kheap_error_count();

    for (int r = 0; r < ROUNDS; r++) {
        int i = (int)(lcg(&seed) % SLOTS);
        if (ptr[i]) {
            for (uint32_t k = 0; k < len[i]; k += 7)
                KT_ASSERT_EQ(ptr[i][k], (uint8_t)(i + k));
            if (lcg(&seed) % 4 == 0) {
                uint32_t n = 1 + lcg(&seed) % 3000;
                uint8_t *q = krealloc(ptr[i], n);
                KT_ASSERT_NOT_NULL(q);
                for (uint32_t k = 0; k < MIN(n, len[i]); k += 7)
                    KT_ASSERT_EQ(q[k], (uint8_t)(i + k));
                ptr[i] = q;
                len[i] = n;
                for (uint32_t k = 0; k < n; k++)
                    q[k] = (uint8_t)(i + k);
            } else {
                kfree(ptr[i]);
                ptr[i] = NULL;
            }
        } else {
            uint32_t n = (lcg(&seed) % 8 == 0) ? 1 + lcg(&seed) % 20000 : 1 + lcg(&seed) % 600;
            ptr[i] = kmalloc(n);
            KT_ASSERT_NOT_NULL(ptr[i]);
            KT_EXPECT_EQ((uintptr_t)ptr[i] % 16, 0ul);
            KT_EXPECT_GE(ksize(ptr[i]), (size_t)n);
            len[i] = n;
            for (uint32_t k = 0; k < n; k++)
                ptr[i][k] = (uint8_t)(i + k);
        }
        if (r % 1000 == 0)
            KT_ASSERT_EQ(kheap_check(), 0u);
    }
    for (int i = 0; i < SLOTS; i++) {
        kfree(ptr[i]);
        ptr[i] = NULL;
    }
    KT_EXPECT_EQ(kheap_check(), 0u);
    KT_EXPECT_EQ(kheap_error_count(), errors);
}

KTEST(kheap, object_cache_lifecycle)
{
    struct kmem_cache *c = kmem_cache_create("ktest-obj", 200, 64);
    void *objs[100];

    KT_ASSERT_NOT_NULL(c);
    for (int i = 0; i < 100; i++) {
        objs[i] = kmem_cache_alloc(c);
        KT_ASSERT_NOT_NULL(objs[i]);
        KT_EXPECT_EQ((uintptr_t)objs[i] % 64, 0ul);
        memset(objs[i], i, 200);
    }
    KT_EXPECT_EQ(kmem_cache_destroy(c), -EBUSY);
    for (int i = 0; i < 100; i++)
        kmem_cache_free(c, objs[i]);
    KT_EXPECT_EQ(kheap_check(), 0u);
    KT_EXPECT_EQ(kmem_cache_destroy(c), 0);
    KT_EXPECT_TRUE(kmem_cache_create("bad", 0, 0) == NULL);
    KT_EXPECT_TRUE(kmem_cache_create("bad", 64, 48) == NULL);
}

KTEST(kheap, large_allocations_return_their_pages)
{
    uint64_t frames = pmm_stats().free_frames, pages = kheap_large_pages();
    uint8_t *p = kmalloc(64 * 1024);

    KT_ASSERT_NOT_NULL(p);
    KT_EXPECT_EQ(kheap_large_pages(), pages + 17);
    p[64 * 1024 - 1] = 1;
    kfree(p);
    KT_EXPECT_EQ(kheap_large_pages(), pages);
    KT_EXPECT_EQ(pmm_stats().free_frames, frames);
    KT_EXPECT_TRUE(kmalloc(0) == NULL);
}

/* Debug-build reports: each provokes one misuse and checks what was said. */

static bool last_error_mentions(const char *a, const char *b)
{
    return strstr(kheap_last_error(), a) && (!b || strstr(kheap_last_error(), b));
}

KTEST(kheap, debug_reports_double_free)
{
    uint64_t errors = kheap_error_count();
    char *p;

    if (!BASALT_DEBUG)
        return;                     /* release builds carry no red zones */
    p = kmalloc(40);
    KT_ASSERT_NOT_NULL(p);
    kfree(p);
    kfree(p);
    KT_EXPECT_EQ(kheap_error_count(), errors + 1);
    KT_EXPECT_TRUE(last_error_mentions("double free", "ktest_fn_kheap_debug_reports_double_free"));
}

KTEST(kheap, debug_reports_overflow_and_underflow)
{
    uint64_t errors = kheap_error_count();
    char *p;

    if (!BASALT_DEBUG)
        return;
    p = kmalloc(40);
    KT_ASSERT_NOT_NULL(p);
    p[40] = 'x';
    kfree(p);
    KT_EXPECT_EQ(kheap_error_count(), errors + 1);
    KT_EXPECT_TRUE(last_error_mentions("buffer overflow", "offset 40"));
    p = kmalloc(40);
    KT_ASSERT_NOT_NULL(p);
    p[-1] = 'x';
    kfree(p);
    KT_EXPECT_EQ(kheap_error_count(), errors + 2);
    KT_EXPECT_TRUE(last_error_mentions("buffer underflow", "ktest_fn_kheap"));
}

KTEST(kheap, debug_reports_use_after_free)
{
    uint64_t errors = kheap_error_count();
    char *p, *q;

    if (!BASALT_DEBUG)
        return;
    p = kmalloc(100);
    KT_ASSERT_NOT_NULL(p);
    kfree(p);
    p[10] = 'x';                    /* write after free */
    q = kmalloc(100);               /* LIFO: the same slot comes back */
    KT_EXPECT_TRUE(q == p);
    KT_EXPECT_EQ(kheap_error_count(), errors + 1);
    KT_EXPECT_TRUE(last_error_mentions("use after free", "offset 10"));
    kfree(q);
}

KTEST(kheap, debug_reports_bad_pointer)
{
    uint64_t errors = kheap_error_count();
    int on_stack;

    kfree(&on_stack);
    KT_EXPECT_EQ(kheap_error_count(), errors + 1);
    KT_EXPECT_TRUE(last_error_mentions("not heap memory", NULL));
}

KTEST(kheap, stats_count_live_objects)
{
    struct kheap_stats st[32];
    size_t n;
    uint64_t before = 0, after = 0;
    void *p = NULL;

    n = kheap_stats(st, 32);
    KT_ASSERT_GT(n, 14u);
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, "kmalloc-96") == 0)
            before = st[i].objects_in_use;
    p = kmalloc(90);
    n = kheap_stats(st, 32);
    for (size_t i = 0; i < n; i++)
        if (strcmp(st[i].name, "kmalloc-96") == 0)
            after = st[i].objects_in_use;
    KT_EXPECT_EQ(after, before + 1);
    kfree(p);
}

KTEST(kheap, debug_reports_large_block_misuse)
{
    uint64_t errors = kheap_error_count(), pages = kheap_large_pages();
    char *a, *b;

    if (!BASALT_DEBUG)
        return;
    a = kmalloc(5000);
    KT_ASSERT_NOT_NULL(a);
    a[5001] = 'x';                  /* past the end, inside the last page */
    kfree(a);
    KT_EXPECT_EQ(kheap_error_count(), errors + 1);
    KT_EXPECT_TRUE(last_error_mentions("buffer overflow", "offset 5001"));
    kfree(a);                       /* its pages went back: no longer a live block */
    KT_EXPECT_EQ(kheap_error_count(), errors + 2);
    KT_EXPECT_TRUE(last_error_mentions("double free of a large block", NULL));
    b = kmalloc(5000);              /* may reuse a's pages */
    KT_ASSERT_NOT_NULL(b);
    KT_EXPECT_EQ(kheap_large_pages(), pages + 2);
    kfree(b);
    KT_EXPECT_EQ(kheap_large_pages(), pages);
}

KTEST(kheap, corrupted_free_list_is_not_followed)
{
    uint64_t errors = kheap_error_count();
    struct kmem_cache *c = kmem_cache_create("ktest-freelist", 64, 0);
    char *a, *b, *c2;

    KT_ASSERT_NOT_NULL(c);
    a = kmem_cache_alloc(c);
    b = kmem_cache_alloc(c);
    KT_ASSERT_NOT_NULL(a);
    KT_ASSERT_NOT_NULL(b);
    kmem_cache_free(c, a);
    kmem_cache_free(c, b);          /* free list: b -> a -> ... */
    /* smash b's free-list link (in the slot: debug header or payload) */
    if (BASALT_DEBUG)
        memset(b - 48, 0x41, 48);
    else
        memset(b, 0x41, 8);
    c2 = kmem_cache_alloc(c);       /* pops b, must not follow the smashed link */
    KT_EXPECT_TRUE(c2 == b);
    KT_EXPECT_GE(kheap_error_count(), errors + 1);
    /* debug builds also notice the smashed slot header, and report that last */
    KT_EXPECT_TRUE(last_error_mentions("corrupted", NULL) ||
                   last_error_mentions("not free", NULL));
    /* the cache stays usable */
    void *d = kmem_cache_alloc(c);
    KT_EXPECT_TRUE(d != NULL && d != (void *)0x4141414141414141ul);
}

/* ---- TLB: a change must be visible at once -------------------------------- */

KTEST(vmm, unmap_and_protect_take_effect_immediately)
{
    struct ktest_fault f;
    uint64_t pa;
    uintptr_t va = vmalloc_reserve(PAGE_SIZE, "ktest-tlb");
    volatile uint64_t *p = (volatile uint64_t *)va;

    KT_ASSERT_NE(va, 0ul);
    KT_ASSERT_EQ(pmm_alloc(PMM_ZERO, &pa), 0);
    KT_ASSERT_EQ(vmm_map(&vmm_kernel, va, pa, VMM_PAGE_4K, VMM_WRITE | VMM_GLOBAL), 0);
    *p = 42;                        /* the translation is now cached in the TLB */
    KT_ASSERT_EQ(vmm_protect(&vmm_kernel, va, VMM_GLOBAL), 0);
    KT_EXPECT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, write_to, (void *)va, &f), 0);
    KT_EXPECT_TRUE(f.error & PF_PRESENT);
    KT_EXPECT_EQ(*p, 42ull);        /* still readable */
    KT_ASSERT_EQ(vmm_unmap(&vmm_kernel, va, NULL), 0);
    KT_EXPECT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, read_from, (void *)va, &f), 0);
    KT_EXPECT_FALSE(f.error & PF_PRESENT);
    vmalloc_release(va);
    pmm_free(pa);
}

KTEST(vmm, image_is_read_only_through_the_direct_map)
{
    struct ktest_fault f;
    void *alias = phys_to_virt(virt_to_phys((void *)kmalloc));

    KT_EXPECT_EQ(*(volatile uint8_t *)alias, *(volatile uint8_t *)(void *)kmalloc);
    KT_EXPECT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, write_to, alias, &f), 0);
    KT_EXPECT_TRUE(f.error & PF_PRESENT);
}

KTEST(vmm, refuses_unsafe_flag_combinations)
{
    struct vmm_space *as = vmm_space_create();
    uintptr_t va = vmalloc_reserve(PAGE_SIZE, "ktest-flags");

    KT_ASSERT_NOT_NULL(as);
    KT_EXPECT_EQ(vmm_map(as, 0x400000, 0x200000, VMM_PAGE_4K, VMM_USER | VMM_GLOBAL), -EINVAL);
    KT_EXPECT_EQ(vmm_map(as, va, 0x200000, VMM_PAGE_4K, VMM_WRITE), -EINVAL);   /* kernel va */
    KT_EXPECT_EQ(vmm_map(&vmm_kernel, va, 0x200000, VMM_PAGE_4K, VMM_WRITE | VMM_EXEC),
                 -EINVAL);
    KT_EXPECT_EQ(as->table_frames, 1u);
    vmm_space_destroy(as);
    vmalloc_release(va);
}

KTEST(vmm, boot_stack_has_a_guard_page)
{
    extern char __boot_stack_guard[];

    KT_EXPECT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)__boot_stack_guard, NULL, NULL, NULL),
                 -ENOENT);
    KT_EXPECT_EQ(vmm_translate(&vmm_kernel, (uintptr_t)__boot_stack_guard + PAGE_SIZE, NULL,
                               NULL, NULL), 0);
}

KTEST(pmm, managed_frames_match_the_memory_map)
{
    const struct memmap *m = pmm_memmap();
    uint64_t usable = 0;

    for (size_t i = 0; i < m->count; i++)
        if (m->ranges[i].type == BOOT_MEM_USABLE) {
            uint64_t lo = ALIGN_UP(m->ranges[i].base, PAGE_SIZE);
            uint64_t hi = ALIGN_DOWN(m->ranges[i].end, PAGE_SIZE);
            if (hi > lo)
                usable += (hi - lo) / PAGE_SIZE;
        }
    KT_EXPECT_EQ(pmm_stats().managed_frames, usable);
    KT_EXPECT_LE(pmm_stats().free_frames, usable);
}

KTEST(pmm, bitmap_frames_are_not_freeable)
{
    uint64_t bad = pmm_stats().bad_frees;
    const struct memmap *m = pmm_memmap();

    /* every boot-data range (the bitmaps among them) is foreign to the allocator */
    for (size_t i = 0; i < m->count; i++)
        if (m->ranges[i].type == MEMMAP_BOOT_DATA)
            KT_EXPECT_EQ(pmm_free(ALIGN_UP(m->ranges[i].base, PAGE_SIZE)), -EFAULT);
    KT_EXPECT_GT(pmm_stats().bad_frees, bad);
}
