/*
 * src/mm/vmalloc.c - virtually contiguous allocations and kernel stacks
 * (see include/mm/vmalloc.h).
 *
 * Part of mm. Address space comes from mm/vrange over the vmalloc window;
 * each area is described by a kmalloc'd struct vm_area on one list. An
 * area's first page is its guard and is never mapped.
 *
 * Locking: vmalloc_lock serialises every change to the area list and the
 * vrange, and every lookup of them but the fault-time ones; the page
 * tables of the window are vmm_kernel.lock's (taken inside, by vmm). It is
 * taken with smp_spin_lock_serving: its holder may wait in a TLB shootdown
 * (vmm_unmap), which a CPU spinning for it answers even with interrupts
 * off. Order: vmalloc_lock -> vmm_kernel.lock -> kheap_lock -> pmm_lock.
 * vmalloc_guard_lookup and vmalloc_in_stack (fault handlers, backtraces)
 * read the list without it: they may run with it held, and only report.
 */
#include <mm/vmalloc.h>
#include <core/backtrace.h>
#include <core/errno.h>
#include <core/smp.h>
#include <core/x86.h>
#include <core/spinlock.h>
#include <mm/kmalloc.h>
#include <core/layout.h>
#include <mm/pmm.h>
#include <mm/vmm.h>
#include <mm/vrange.h>

#define VRANGE_EXTENTS  1024

enum area_kind { AREA_MEMORY, AREA_STACK, AREA_RESERVED };

struct vm_area {
    uintptr_t base;         /* the guard page; the mapped part follows it */
    size_t size;            /* mapped bytes, guard excluded */
    enum area_kind kind;
    const char *name;
    struct vm_area *next;
};

static struct vrange_extent extents[VRANGE_EXTENTS];
/* Lock legend: [v] vmalloc_lock, [a] atomic. */
static struct vrange space;                 /* [v] (its extents too) */
static struct vm_area *areas;               /* [v] writes; see the fault-time lookups */
static size_t area_count;                   /* [v] writes, read with READ_ONCE */
static uint64_t mapped_pages;               /* [a] */
static spinlock_t vmalloc_lock = SPINLOCK_INIT("vmalloc_lock");

int vmalloc_init(void)
{
    int err = vrange_init(&space, extents, VRANGE_EXTENTS, VMALLOC_BASE, VMALLOC_SIZE);

    if (!err)
        backtrace_set_stack_lookup(vmalloc_in_stack);
    return err;
}

static void vmalloc_lock_take(void)
{
    smp_spin_lock_serving(&vmalloc_lock);
}

/* vmalloc_lock held. */
static struct vm_area *area_new(size_t size, enum area_kind kind, const char *name)
{
    struct vm_area *a;
    uint64_t base;

    spin_assert_held(&vmalloc_lock);
    if (!size || size > VMALLOC_SIZE / 2)
        return NULL;
    a = kmalloc(sizeof(*a));
    if (!a)
        return NULL;
    size = ALIGN_UP(size, PAGE_SIZE);
    if (vrange_alloc(&space, size + PAGE_SIZE, PAGE_SIZE, &base)) {
        kfree(a);
        return NULL;
    }
    *a = (struct vm_area){ .base = base, .size = size, .kind = kind, .name = name,
                           .next = areas };
    /* published whole: the fault-time lookups walk the list without the lock */
    __atomic_store_n(&areas, a, __ATOMIC_RELEASE);
    WRITE_ONCE(area_count, area_count + 1);
    return a;
}

/* vmalloc_lock held. Unlinks the area whose mapped part starts at va. */
static struct vm_area *area_take(uintptr_t va)
{
    struct vm_area **pp, *a = NULL;

    spin_assert_held(&vmalloc_lock);
    for (pp = &areas; *pp; pp = &(*pp)->next)
        if ((*pp)->base + PAGE_SIZE == va) {
            a = *pp;
            WRITE_ONCE(*pp, a->next);
            WRITE_ONCE(area_count, area_count - 1);
            break;
        }
    return a;
}

/* vmalloc_lock held. */
static void area_delete(struct vm_area *a)
{
    spin_assert_held(&vmalloc_lock);
    vrange_free(&space, a->base, a->size + PAGE_SIZE);
    kfree(a);
}

/* Unmaps and frees the frames of [va, va + size). */
static void unmap_frames(uintptr_t va, size_t size)
{
    for (size_t off = 0; off < size; off += PAGE_SIZE) {
        uint64_t pa;
        if (vmm_unmap(&vmm_kernel, va + off, &pa) == 0) {
            pmm_free(pa);
            __atomic_fetch_sub(&mapped_pages, 1, __ATOMIC_RELAXED);
        }
    }
}

/* vmalloc_lock held. */
static void *map_area_locked(size_t size, enum area_kind kind, const char *name)
{
    struct vm_area *a;
    uintptr_t va;

    spin_assert_held(&vmalloc_lock);
    a = area_new(size, kind, name);
    if (!a)
        return NULL;
    va = a->base + PAGE_SIZE;
    for (size_t off = 0; off < a->size; off += PAGE_SIZE) {
        uint64_t pa = 0;        /* frame 0 is never handed out */
        if (pmm_alloc(0, &pa) ||
            vmm_map(&vmm_kernel, va + off, pa, VMM_PAGE_4K, VMM_WRITE | VMM_GLOBAL)) {
            if (pa)
                pmm_free(pa);
            unmap_frames(va, off);
            area_take(va);
            area_delete(a);
            return NULL;
        }
        __atomic_fetch_add(&mapped_pages, 1, __ATOMIC_RELAXED);
    }
    return (void *)va;
}

static void *map_area(size_t size, enum area_kind kind, const char *name)
{
    void *p;

    vmalloc_lock_take();
    p = map_area_locked(size, kind, name);
    spin_unlock(&vmalloc_lock);
    return p;
}

void *vmalloc(size_t size)
{
    return map_area(size, AREA_MEMORY, "vmalloc");
}

void *vmalloc_stack(size_t size, const char *name)
{
    return map_area(size, AREA_STACK, name);
}

void vfree(void *p)
{
    struct vm_area *a;

    if (!p)
        return;
    vmalloc_lock_take();
    a = area_take((uintptr_t)p);
    if (a) {
        unmap_frames((uintptr_t)p, a->size);
        area_delete(a);
    }
    spin_unlock(&vmalloc_lock);
}

uintptr_t vmalloc_reserve(size_t size, const char *name)
{
    struct vm_area *a;

    vmalloc_lock_take();
    a = area_new(size, AREA_RESERVED, name);
    spin_unlock(&vmalloc_lock);
    return a ? a->base + PAGE_SIZE : 0;
}

void vmalloc_release(uintptr_t va)
{
    struct vm_area *a;

    vmalloc_lock_take();
    a = area_take(va);
    if (a)
        area_delete(a);
    spin_unlock(&vmalloc_lock);
}

size_t vmalloc_size(uintptr_t va)
{
    size_t size = 0;

    vmalloc_lock_take();
    for (struct vm_area *a = areas; a; a = a->next)
        if (a->base + PAGE_SIZE == va) {
            size = a->size;
            break;
        }
    spin_unlock(&vmalloc_lock);
    return size;
}

bool vmalloc_guard_lookup(uintptr_t addr, const char **name, uintptr_t *lo, uintptr_t *hi,
                          bool *is_stack)
{
    for (struct vm_area *a = areas; a; a = a->next)
        if (addr >= a->base && addr < a->base + PAGE_SIZE) {
            if (name)
                *name = a->name;
            if (lo)
                *lo = a->base + PAGE_SIZE;
            if (hi)
                *hi = a->base + PAGE_SIZE + a->size;
            if (is_stack)
                *is_stack = a->kind == AREA_STACK;
            return true;
        }
    return false;
}

bool vmalloc_in_stack(uintptr_t addr, size_t len)
{
    for (struct vm_area *a = areas; a; a = a->next)
        if (a->kind == AREA_STACK && addr >= a->base + PAGE_SIZE &&
            addr + len <= a->base + PAGE_SIZE + a->size && addr + len >= addr)
            return true;
    return false;
}

size_t vmalloc_area_count(void)
{
    return READ_ONCE(area_count);
}

uint64_t vmalloc_mapped_pages(void)
{
    return __atomic_load_n(&mapped_pages, __ATOMIC_RELAXED);
}
