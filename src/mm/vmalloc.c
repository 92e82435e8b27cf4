/*
 * src/mm/vmalloc.c - virtually contiguous allocations and kernel stacks
 * (see include/mm/vmalloc.h).
 *
 * Part of mm. Address space comes from mm/vrange over the vmalloc window;
 * each area is described by a kmalloc'd struct vm_area on one list. An
 * area's first page is its guard and is never mapped.
 *
 * Locking: vmalloc_lock (a plain spinlock: interrupts stay on, so the TLB
 * shootdown IPIs of vmm_unmap reach CPUs waiting for it) serialises every
 * change: the area list, the vrange and the kernel page tables of the
 * window. Order: vmalloc_lock -> kheap_lock -> pmm_lock. The lookups used by
 * fault handlers and backtraces read the list with interrupts off only.
 */
#include <mm/vmalloc.h>
#include <core/backtrace.h>
#include <core/errno.h>
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
static struct vrange space;
static struct vm_area *areas;
static size_t area_count;
static uint64_t mapped_pages;
static spinlock_t vmalloc_lock = SPINLOCK_INIT("vmalloc_lock");  /* areas, space, window PTEs */

int vmalloc_init(void)
{
    int err = vrange_init(&space, extents, VRANGE_EXTENTS, VMALLOC_BASE, VMALLOC_SIZE);

    if (!err)
        backtrace_set_stack_lookup(vmalloc_in_stack);
    return err;
}

static struct vm_area *area_new(size_t size, enum area_kind kind, const char *name)
{
    struct vm_area *a;
    uint64_t base, irq;

    if (!size || size > VMALLOC_SIZE / 2)
        return NULL;
    a = kmalloc(sizeof(*a));
    if (!a)
        return NULL;
    size = ALIGN_UP(size, PAGE_SIZE);
    irq = irq_save();
    if (vrange_alloc(&space, size + PAGE_SIZE, PAGE_SIZE, &base)) {
        irq_restore(irq);
        kfree(a);
        return NULL;
    }
    *a = (struct vm_area){ .base = base, .size = size, .kind = kind, .name = name,
                           .next = areas };
    areas = a;
    area_count++;
    irq_restore(irq);
    return a;
}

/* Unlinks the area whose mapped part starts at va. */
static struct vm_area *area_take(uintptr_t va)
{
    uint64_t irq = irq_save();
    struct vm_area **pp, *a = NULL;

    for (pp = &areas; *pp; pp = &(*pp)->next)
        if ((*pp)->base + PAGE_SIZE == va) {
            a = *pp;
            *pp = a->next;
            area_count--;
            break;
        }
    irq_restore(irq);
    return a;
}

static void area_delete(struct vm_area *a)
{
    uint64_t irq = irq_save();

    vrange_free(&space, a->base, a->size + PAGE_SIZE);
    irq_restore(irq);
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

static void *map_area(size_t size, enum area_kind kind, const char *name)
{
    struct vm_area *a = area_new(size, kind, name);
    uintptr_t va;

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

static void *map_area_locked(size_t size, enum area_kind kind, const char *name)
{
    void *p;

    spin_lock(&vmalloc_lock);
    p = map_area(size, kind, name);
    spin_unlock(&vmalloc_lock);
    return p;
}

void *vmalloc(size_t size)
{
    return map_area_locked(size, AREA_MEMORY, "vmalloc");
}

void *vmalloc_stack(size_t size, const char *name)
{
    return map_area_locked(size, AREA_STACK, name);
}

void vfree(void *p)
{
    struct vm_area *a;

    if (!p)
        return;
    spin_lock(&vmalloc_lock);
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

    spin_lock(&vmalloc_lock);
    a = area_new(size, AREA_RESERVED, name);
    spin_unlock(&vmalloc_lock);
    return a ? a->base + PAGE_SIZE : 0;
}

void vmalloc_release(uintptr_t va)
{
    struct vm_area *a;

    spin_lock(&vmalloc_lock);
    a = area_take(va);
    if (a)
        area_delete(a);
    spin_unlock(&vmalloc_lock);
}

size_t vmalloc_size(uintptr_t va)
{
    uint64_t irq = irq_save();
    size_t size = 0;

    for (struct vm_area *a = areas; a; a = a->next)
        if (a->base + PAGE_SIZE == va) {
            size = a->size;
            break;
        }
    irq_restore(irq);
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
    return area_count;
}

uint64_t vmalloc_mapped_pages(void)
{
    return mapped_pages;
}
