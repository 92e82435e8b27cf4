/*
 * src/mm/vmm.c - page tables and address spaces (see include/mm/vmm.h).
 *
 * Part of mm; the only file that knows page-table entry bits. Tables are
 * reached through the direct map. A walk goes PML4 (level 4) -> PDPT (3)
 * -> PD (2) -> PT (1); a leaf sits at level 3 (1 GiB), 2 (2 MiB) or 1.
 *
 * Locking (see include/mm/vmm.h): lock_of(as, va) is the lock guarding the
 * tables that map va: vmm_kernel.lock for the kernel half, as->lock for a
 * user half. Every helper that reads or writes tables asserts it.
 */
#include <mm/vmm.h>
#include <core/errno.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/smp.h>
#include <core/string.h>
#include <core/x86.h>
#include <core/spinlock.h>
#include <mm/kmalloc.h>
#include <core/layout.h>
#include <mm/memmap.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>

/* Page-table entry bits (Intel SDM vol. 3, 4.5). */
#define PTE_P           (1ull << 0)
#define PTE_W           (1ull << 1)
#define PTE_U           (1ull << 2)
#define PTE_PWT         (1ull << 3)
#define PTE_PCD         (1ull << 4)
#define PTE_PS          (1ull << 7)     /* huge page (levels 2 and 3) */
#define PTE_G           (1ull << 8)
#define PTE_OWNED       (1ull << 9)     /* software: frame owned by the space */
#define PTE_NX          (1ull << 63)
#define PTE_ADDR        0x000ffffffffff000ull
#define PTE_FLAGS_MASK  (PTE_P | PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_OWNED | PTE_NX)

#define ENTRIES         512
#define KERNEL_SLOT0    256             /* first PML4 slot of the kernel half */
#define SLOT_OF(va)     (((va) >> 39) & 0x1FF)

/* PAT: entry 1 (selected by PWT alone) becomes write-combining; the rest stay default. */
#define MSR_PAT         0x277
#define PAT_VALUE       0x0007040600070106ull   /* WB, WC, UC-, UC, WB, WT, UC-, UC */

#define CPUID_1_EDX_PGE         (1u << 13)
#define CPUID_1_EDX_PAT         (1u << 16)
#define CPUID_EXT_EDX_1G        (1u << 26)

extern char __boot_stack_guard[];       /* src/kernel.ld: left unmapped */

struct vmm_space vmm_kernel = { .lock = SPINLOCK_INIT("vmm_kernel") };
static bool kernel_half_sealed;     /* after vmm_init: no new kernel PML4 slots */
static bool early;                  /* before the switch: tables must sit below 4 GiB */
static bool have_1g, have_pat;

bool vmm_has_1g_pages(void)
{
    return have_1g;
}

static uint64_t *table_at(uint64_t pa)
{
    return phys_to_virt(pa);
}

static uint64_t *next_table(uint64_t entry)
{
    return table_at(entry & PTE_ADDR);
}

static size_t level_size(int level)
{
    return 1ul << (12 + 9 * (level - 1));
}

static unsigned index_at(uintptr_t va, int level)
{
    return (unsigned)((va >> (12 + 9 * (level - 1))) & 0x1FF);
}

static bool canonical(uintptr_t va)
{
    return va < USER_END || va >= DIRECT_MAP_BASE;
}

static bool is_user_va(uintptr_t va)
{
    return va < USER_END;
}

static bool is_current(const struct vmm_space *as)
{
    return (read_cr3() & PTE_ADDR) == as->pml4;
}

/*
 * After a page stopped being mapped (or lost rights): this CPU drops it,
 * and for kernel addresses every other CPU does too (user spaces are only
 * ever loaded on one CPU so far). A page that just became present needs
 * no flush: not-present entries are never cached.
 */
static void flush_page(const struct vmm_space *as, uintptr_t va)
{
    if (!is_user_va(va) || is_current(as))
        invlpg(va);
    if (!is_user_va(va))
        smp_tlb_shootdown(va);
}

/* The lock guarding the tables that map va in as (see the header comment). */
static spinlock_t *lock_of(struct vmm_space *as, uintptr_t va)
{
    return is_user_va(va) ? &as->lock : &vmm_kernel.lock;
}

static spinlock_t *space_lock(struct vmm_space *as, uintptr_t va)
{
    spinlock_t *l = lock_of(as, va);

    smp_spin_lock_serving(l);
    return l;
}

/* The VMM_* flags that are one PTE bit each, both ways (leaf_bits, flags_of). */
static const struct {
    uint32_t flag;
    uint64_t bit;
} plain_bits[] = {
    { VMM_WRITE, PTE_W }, { VMM_USER, PTE_U }, { VMM_GLOBAL, PTE_G }, { VMM_OWNED, PTE_OWNED },
};

static uint64_t leaf_bits(uint32_t flags, int level)
{
    uint64_t e = PTE_P;

    for (size_t i = 0; i < ARRAY_SIZE(plain_bits); i++)
        if (flags & plain_bits[i].flag)
            e |= plain_bits[i].bit;
    if (!(flags & VMM_EXEC))
        e |= PTE_NX;
    if (flags & VMM_NOCACHE)
        e |= PTE_PCD | PTE_PWT;
    else if ((flags & VMM_WC) && have_pat)
        e |= PTE_PWT;               /* PAT entry 1 = WC */
    if (level > 1)
        e |= PTE_PS;
    return e;
}

static uint32_t flags_of(uint64_t e)
{
    uint32_t f = 0;

    for (size_t i = 0; i < ARRAY_SIZE(plain_bits); i++)
        if (e & plain_bits[i].bit)
            f |= plain_bits[i].flag;
    if (!(e & PTE_NX))
        f |= VMM_EXEC;
    if ((e & (PTE_PCD | PTE_PWT)) == (PTE_PCD | PTE_PWT))
        f |= VMM_NOCACHE;
    else if (e & PTE_PWT)
        f |= VMM_WC;
    return f;
}

/* as->lock held (the kernel half's tables are counted in vmm_kernel). */
static int alloc_table(struct vmm_space *as, uint64_t *pa)
{
    int err;

    spin_assert_held(&as->lock);
    err = pmm_alloc(PMM_ZERO | (early ? PMM_BELOW_4G : 0), pa);
    if (!err)
        as->table_frames++;
    return err;
}

/*
 * Walks to the entry for va at level target, creating tables on the way
 * when create is set. path[L] receives the entry pointer at each level
 * visited (4 .. target). Returns 0, -ENOENT (missing and !create), -EEXIST
 * (a huge page above target maps va) or -ENOMEM.
 */
static int walk(struct vmm_space *as, uintptr_t va, int target, bool create,
                uint64_t *path[5])
{
    uint64_t *table = table_at(as->pml4);

    spin_assert_held(lock_of(as, va));
    for (int level = 4; level > target; level--) {
        uint64_t *e = &table[index_at(va, level)];
        path[level] = e;
        if (!(*e & PTE_P)) {
            uint64_t pa;
            if (!create)
                return -ENOENT;
            if (level == 4 && !is_user_va(va) && kernel_half_sealed)
                panic("vmm walk: new kernel PML4 slot %u after init (va %#lx)",
                      index_at(va, 4), (unsigned long)va);
            /* kernel-half tables belong to vmm_kernel, whose lock is held */
            if (alloc_table(is_user_va(va) ? as : &vmm_kernel, &pa))
                return -ENOMEM;
            /* intermediate entries are permissive; the leaf decides */
            *e = pa | PTE_P | PTE_W | (is_user_va(va) ? PTE_U : 0);
        } else if (*e & PTE_PS) {
            return -EEXIST;
        }
        table = next_table(*e);
    }
    path[target] = &table[index_at(va, target)];
    return 0;
}

static int size_level(size_t page_size)
{
    switch (page_size) {
    case VMM_PAGE_4K: return 1;
    case VMM_PAGE_2M: return 2;
    case VMM_PAGE_1G: return 3;
    default:          return 0;
    }
}

/*
 * Combinations no caller may ask for: a user flag on a kernel address (or
 * the reverse), kernel addresses through a user space (its table counts
 * would be wrong: the kernel half is shared), global user pages (they would
 * survive an address-space switch), and writable+executable kernel pages.
 */
static bool flags_allowed(const struct vmm_space *as, uintptr_t va, uint32_t flags)
{
    bool user = is_user_va(va);

    if (!!(flags & VMM_USER) != user)
        return false;
    if (!user && as != &vmm_kernel)
        return false;
    if (user && (flags & VMM_GLOBAL))
        return false;
    if (!user && (flags & VMM_WRITE) && (flags & VMM_EXEC))
        return false;
    return true;
}

int vmm_map(struct vmm_space *as, uintptr_t va, uint64_t pa, size_t page_size,
            uint32_t flags)
{
    uint64_t *path[5] = { 0 };
    int level = size_level(page_size);
    spinlock_t *lock;
    int err;

    if (!level || va % page_size || pa % page_size || !canonical(va) ||
        !canonical(va + page_size - 1) || (level == 3 && !have_1g) ||
        pa >= PHYS_ADDR_LIMIT || !flags_allowed(as, va, flags) || va < USER_BASE)
        return -EINVAL;
    lock = space_lock(as, va);
    err = walk(as, va, level, true, path);
    if (!err && (*path[level] & PTE_P))
        err = -EEXIST;
    if (!err)
        *path[level] = pa | leaf_bits(flags, level);
    spin_unlock(lock);
    return err;
}

/* Finds the leaf mapping va: its entry and level, or -ENOENT. */
static int find_leaf(struct vmm_space *as, uintptr_t va, uint64_t *path[5], int *level_out)
{
    uint64_t *table = table_at(as->pml4);

    if (!canonical(va))
        return -ENOENT;
    spin_assert_held(lock_of(as, va));
    for (int level = 4; level >= 1; level--) {
        uint64_t *e = &table[index_at(va, level)];
        path[level] = e;
        if (!(*e & PTE_P))
            return -ENOENT;
        if (level == 1 || (level <= 3 && (*e & PTE_PS))) {
            *level_out = level;
            return 0;
        }
        table = next_table(*e);
    }
    return -ENOENT;
}

static bool table_empty(const uint64_t *t)
{
    for (int i = 0; i < ENTRIES; i++)
        if (t[i] & PTE_P)
            return false;
    return true;
}

/*
 * After clearing a leaf at level: unhooks tables that became empty, bottom
 * up, and returns how many (their frames in freed[]; the caller flushes
 * the TLBs, then frees them, so no CPU can walk a reused frame).
 */
static int prune(struct vmm_space *as, uintptr_t va, uint64_t *path[5], int level,
                 uint64_t freed[3])
{
    struct vmm_space *owner = is_user_va(va) ? as : &vmm_kernel;
    int n = 0;

    spin_assert_held(&owner->lock);
    for (int l = level + 1; l <= 4; l++) {
        /* the kernel half's PDPTs are shared by every space: never free them */
        if (l == 4 && !is_user_va(va))
            break;
        uint64_t *table = next_table(*path[l]);
        if (!table_empty(table))
            break;
        freed[n++] = *path[l] & PTE_ADDR;
        *path[l] = 0;
        owner->table_frames--;
    }
    return n;
}

int vmm_unmap(struct vmm_space *as, uintptr_t va, uint64_t *pa)
{
    uint64_t *path[5] = { 0 }, freed[3];
    spinlock_t *lock = space_lock(as, va);
    int level, err, nfreed;

    err = find_leaf(as, va, path, &level);
    if (!err) {
        uint64_t e = *path[level];
        if (pa)
            *pa = (e & PTE_ADDR & ~(level_size(level) - 1)) + (va & (level_size(level) - 1));
        *path[level] = 0;
        flush_page(as, va);
        /*
         * Freed tables may sit in the paging-structure caches whatever space
         * is loaded (kernel tables are shared): a CR3 reload drops them.
         */
        nfreed = prune(as, va, path, level, freed);
        if (nfreed && (is_current(as) || !is_user_va(va))) {
            write_cr3(read_cr3());
            if (!is_user_va(va))
                smp_tlb_shootdown(0);
        }
        for (int i = 0; i < nfreed; i++)
            pmm_free(freed[i]);
    }
    spin_unlock(lock);
    return err;
}

size_t vmm_unmap_range(struct vmm_space *as, uintptr_t va, size_t len)
{
    uintptr_t start = va, end = va + len;
    size_t n = 0;

    if (end < va)
        end = UINTPTR_MAX;              /* clamp a range that wraps */
    while (va < end) {
        size_t page_size = PAGE_SIZE;
        uintptr_t page;

        if (vmm_translate(as, va, NULL, NULL, &page_size) != 0)
            page_size = PAGE_SIZE;
        page = ALIGN_DOWN(va, page_size);
        /* a huge page only partly inside the range is left mapped */
        if (page >= start && page + page_size - 1 <= end - 1 &&
            vmm_unmap(as, page, NULL) == 0)
            n++;
        if (page + page_size < page)
            break;                      /* wrapped past the top of the address space */
        va = page + page_size;
    }
    return n;
}

int vmm_map_range(struct vmm_space *as, uintptr_t va, uint64_t pa, size_t len,
                  uint32_t flags)
{
    uintptr_t start = va;
    int err = 0;

    if (va % PAGE_SIZE || pa % PAGE_SIZE || len % PAGE_SIZE)
        return -EINVAL;
    while (len) {
        size_t size = VMM_PAGE_4K;
        if (have_1g && len >= VMM_PAGE_1G && va % VMM_PAGE_1G == 0 && pa % VMM_PAGE_1G == 0)
            size = VMM_PAGE_1G;
        else if (len >= VMM_PAGE_2M && va % VMM_PAGE_2M == 0 && pa % VMM_PAGE_2M == 0)
            size = VMM_PAGE_2M;
        err = vmm_map(as, va, pa, size, flags);
        if (err)
            break;
        va += size;
        pa += size;
        len -= size;
    }
    if (err)
        vmm_unmap_range(as, start, va - start);
    return err;
}

int vmm_protect(struct vmm_space *as, uintptr_t va, uint32_t flags)
{
    uint64_t *path[5] = { 0 };
    spinlock_t *lock;
    int level, err;

    flags &= ~VMM_OWNED;                /* ownership is fixed when the page is mapped */
    if (!flags_allowed(as, va, flags))
        return -EINVAL;
    lock = space_lock(as, va);
    err = find_leaf(as, va, path, &level);
    if (!err) {
        uint64_t e = *path[level];
        uint64_t keep_owned = e & PTE_OWNED;
        *path[level] = (e & PTE_ADDR & ~(level_size(level) - 1)) | leaf_bits(flags, level) |
                       keep_owned;
        flush_page(as, va);
    }
    spin_unlock(lock);
    return err;
}

int vmm_translate(struct vmm_space *as, uintptr_t va, uint64_t *pa, uint32_t *flags,
                  size_t *page_size)
{
    uint64_t *path[5] = { 0 };
    spinlock_t *lock = space_lock(as, va);
    int level, err;

    err = find_leaf(as, va, path, &level);
    if (!err) {
        uint64_t e = *path[level];
        size_t size = level_size(level);
        if (pa)
            *pa = (e & PTE_ADDR & ~(size - 1)) + (va & (size - 1));
        if (flags)
            *flags = flags_of(e);
        if (page_size)
            *page_size = size;
    }
    spin_unlock(lock);
    return err;
}

/* ---- address spaces -------------------------------------------------------- */

void vmm_space_switch(struct vmm_space *as)
{
    write_cr3(as->pml4);
}

static struct vmm_space *space_create(uint32_t pml4_flags)
{
    struct vmm_space *as = kzalloc(sizeof(*as));
    uint64_t pa;

    if (!as)
        return NULL;
    if (pmm_alloc(PMM_ZERO | pml4_flags, &pa)) {
        kfree(as);
        return NULL;
    }
    spin_init(&as->lock, "vmm_space");
    as->table_frames = 1;
    as->pml4 = pa;
    memcpy(table_at(pa) + KERNEL_SLOT0, table_at(vmm_kernel.pml4) + KERNEL_SLOT0,
           (ENTRIES - KERNEL_SLOT0) * sizeof(uint64_t));
    return as;
}

struct vmm_space *vmm_space_create(void)
{
    return space_create(0);
}

struct vmm_space *vmm_space_create_low(void)
{
    return space_create(PMM_BELOW_4G);
}

/* Frees the user-half subtree under a table at level (3 = PDPT .. 1 = PT). as->lock held. */
static void free_subtree(struct vmm_space *as, uint64_t table_pa, int level)
{
    uint64_t *t = table_at(table_pa);

    spin_assert_held(&as->lock);
    for (int i = 0; i < ENTRIES; i++) {
        uint64_t e = t[i];
        if (!(e & PTE_P))
            continue;
        if (level == 1 || (e & PTE_PS)) {
            if (e & PTE_OWNED)
                pmm_free_contig(e & PTE_ADDR & ~(level_size(level) - 1),
                                level_size(level) / PAGE_SIZE);
        } else {
            free_subtree(as, e & PTE_ADDR, level - 1);
        }
    }
    pmm_free(table_pa);
    as->table_frames--;
}

void vmm_space_destroy(struct vmm_space *as)
{
    uint64_t *pml4;

    if (!as)
        return;
    if (as == &vmm_kernel || is_current(as))
        panic("vmm_space_destroy: destroying the %s address space",
              as == &vmm_kernel ? "kernel" : "loaded");
    /* nobody else may use a space being destroyed: the lock is for the helpers' assertions */
    smp_spin_lock_serving(&as->lock);
    pml4 = table_at(as->pml4);
    for (int i = 0; i < KERNEL_SLOT0; i++)
        if (pml4[i] & PTE_P)
            free_subtree(as, pml4[i] & PTE_ADDR, 3);
    pmm_free(as->pml4);
    as->table_frames--;
    if (as->table_frames != 0)
        panic("vmm_space_destroy: %zu table frames unaccounted for", as->table_frames);
    spin_unlock(&as->lock);
    kfree(as);
}

/* ---- device memory --------------------------------------------------------- */

void *vmm_ioremap(uint64_t pa, size_t len, uint32_t flags)
{
    uint64_t base = ALIGN_DOWN(pa, PAGE_SIZE), size;
    uintptr_t va;

    if (!len || pa >= PHYS_ADDR_LIMIT || len > PHYS_ADDR_LIMIT - pa)
        return NULL;
    size = ALIGN_UP(pa + len, PAGE_SIZE) - base;
    va = vmalloc_reserve(size, "ioremap");
    if (!va)
        return NULL;
    /* write-combining needs PAT; without it, uncached is the safe choice */
    if (!(flags & VMM_WC) || !have_pat)
        flags = (flags & ~VMM_WC) | VMM_NOCACHE;
    if (vmm_map_range(&vmm_kernel, va, base, size, (flags & (VMM_WRITE | VMM_WC | VMM_NOCACHE)) |
                      VMM_WRITE | VMM_GLOBAL)) {
        vmalloc_release(va);
        return NULL;
    }
    return (void *)(va + (pa - base));
}

void vmm_iounmap(void *va)
{
    uintptr_t base = ALIGN_DOWN((uintptr_t)va, PAGE_SIZE);
    size_t size = vmalloc_size(base);

    if (!size)
        return;
    vmm_unmap_range(&vmm_kernel, base, size);
    vmalloc_release(base);
}

/* ---- the kernel's tables ------------------------------------------------- */

static int map_image(uintptr_t start, uintptr_t end, uint32_t flags)
{
    return vmm_map_range(&vmm_kernel, start, start - KERNEL_VMA, end - start, flags | VMM_GLOBAL);
}

static bool direct_mapped(uint32_t type)
{
    return type == BOOT_MEM_USABLE || type == BOOT_MEM_ACPI_RECLAIMABLE ||
           type == BOOT_MEM_ACPI_NVS || type == MEMMAP_KERNEL ||
           type == MEMMAP_BOOT_DATA || type == MEMMAP_LOW_MEMORY;
}

/*
 * Maps every RAM-like range, joining neighbours so huge pages line up. A
 * run starts after the last page the previous run mapped (two ranges may
 * share a page across a sub-page gap). The kernel image is mapped
 * read-only here: writing it through the direct map would defeat W^X.
 */
static int build_direct_map(void)
{
    const struct memmap *m = pmm_memmap();
    uint64_t mapped_end = 0;
    uint64_t img_lo = (uintptr_t)__kernel_phys_start, img_hi = ALIGN_UP((uintptr_t)__kernel_phys_end, PAGE_SIZE);

    for (size_t i = 0; i < m->count;) {
        uint64_t base, end;
        if (!direct_mapped(m->ranges[i].type)) {
            i++;
            continue;
        }
        base = MAX(ALIGN_DOWN(m->ranges[i].base, PAGE_SIZE), mapped_end);
        end = m->ranges[i].end;
        for (i++; i < m->count && direct_mapped(m->ranges[i].type) && m->ranges[i].base == end; i++)
            end = m->ranges[i].end;
        end = ALIGN_UP(end, PAGE_SIZE);
        if (base >= end)
            continue;
        /* [base, end) minus the image, which gets its own read-only mapping */
        uint64_t cut_lo = MAX(base, MIN(end, img_lo)), cut_hi = MIN(end, MAX(base, img_hi));
        int err = 0;
        if (cut_lo > base)
            err = vmm_map_range(&vmm_kernel, DIRECT_MAP_BASE + base, base, cut_lo - base,
                                VMM_WRITE | VMM_GLOBAL);
        if (!err && cut_hi > cut_lo)
            err = vmm_map_range(&vmm_kernel, DIRECT_MAP_BASE + cut_lo, cut_lo, cut_hi - cut_lo,
                                VMM_GLOBAL);
        if (!err && end > cut_hi)
            err = vmm_map_range(&vmm_kernel, DIRECT_MAP_BASE + cut_hi, cut_hi, end - cut_hi,
                                VMM_WRITE | VMM_GLOBAL);
        if (err)
            return err;
        mapped_end = end;
    }
    return 0;
}

static int presize_kernel_slots(void)
{
    uint64_t highest = pmm_stats().highest_ram;
    size_t direct_slots = (size_t)((highest + (1ull << 39) - 1) >> 39);
    uint64_t *pml4 = table_at(vmm_kernel.pml4);
    unsigned slots[3] = { SLOT_OF(VMALLOC_BASE), SLOT_OF(KERNEL_VMA), 0 };

    spin_assert_held(&vmm_kernel.lock);
    for (size_t s = 0; s < direct_slots + 2; s++) {
        unsigned slot = s < 2 ? slots[s] : SLOT_OF(DIRECT_MAP_BASE) + (unsigned)(s - 2);
        uint64_t pa;
        if (pml4[slot] & PTE_P)
            continue;
        if (alloc_table(&vmm_kernel, &pa))
            return -ENOMEM;
        pml4[slot] = pa | PTE_P | PTE_W;
    }
    return 0;
}

void vmm_init_cpu(void)
{
    struct cpuid_regs r1 = cpuid(1, 0), ext = cpuid(0x80000001, 0);

    have_1g = ext.edx & CPUID_EXT_EDX_1G;
    have_pat = r1.edx & CPUID_1_EDX_PAT;
    if (have_pat)
        wrmsr(MSR_PAT, PAT_VALUE);
    if (r1.edx & CPUID_1_EDX_PGE)
        write_cr4(read_cr4() | CR4_PGE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    /* the same CR0 on every CPU: caching on, write protection, native FPU errors */
    write_cr0((read_cr0() | CR0_WP | CR0_NE | CR0_MP) & ~(CR0_CD | CR0_NW | CR0_EM));
}

void vmm_flush_tlb_all(void)
{
    flush_tlb_all();
}

int vmm_init(void)
{
    uint64_t pml4;
    int err;

    early = true;
    vmm_init_cpu();
    spin_lock(&vmm_kernel.lock);
    err = alloc_table(&vmm_kernel, &pml4);
    if (!err) {
        vmm_kernel.pml4 = pml4;
        err = presize_kernel_slots();
    }
    spin_unlock(&vmm_kernel.lock);
    if (err ||
        (err = build_direct_map()) ||
        (err = map_image((uintptr_t)__text_start, (uintptr_t)__text_end, VMM_EXEC)) ||
        (err = map_image((uintptr_t)__rodata_start, (uintptr_t)__rodata_end, 0)) ||
        (err = map_image((uintptr_t)__data_start, (uintptr_t)__boot_stack_guard, VMM_WRITE)) ||
        (err = map_image((uintptr_t)__boot_stack_guard + PAGE_SIZE, (uintptr_t)__kernel_end,
                         VMM_WRITE)))
        return err;
    vmm_space_switch(&vmm_kernel);
    kernel_half_sealed = true;
    early = false;
    return 0;
}
