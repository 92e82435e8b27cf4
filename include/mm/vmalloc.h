/*
 * include/mm/vmalloc.h - virtually contiguous kernel allocations and stacks.
 *
 * Part of mm. Areas come from the window [VMALLOC_BASE, VMALLOC_BASE +
 * VMALLOC_SIZE) through mm/vrange. Every area starts with one unmapped
 * guard page, so running off the bottom of a kernel stack (stacks grow
 * down) or off the top of the area below faults instead of corrupting a
 * neighbour. vmalloc_guard_lookup tells the fault handlers whose guard page
 * an address is in, which is how "kernel stack overflow" gets reported.
 *
 * Locking: vmalloc_lock (src/mm/vmalloc.c) guards the area list and the
 * range allocator; every call but the two fault-time lookups takes it (none
 * is held on entry) and calls the heap, the PMM and vmm (vmm_kernel.lock)
 * inside: order vmalloc_lock -> vmm_kernel.lock -> kheap_lock -> pmm_lock.
 * Any CPU, thread context or before the scheduler, interrupts on or off;
 * never from an interrupt handler. vmalloc_guard_lookup and
 * vmalloc_in_stack read the list without the lock (fault reports).
 */
#ifndef BASALT_MM_VMALLOC_H
#define BASALT_MM_VMALLOC_H

#include <core/compiler.h>

#define VMALLOC_SIZE    (512ull << 30)      /* one PML4 slot */

/* Needs the heap (area records are kmalloc'd). Returns 0 or -ENOMEM. */
int vmalloc_init(void);

/*
 * size bytes (rounded up to pages) of fresh frames, mapped RW and NX, with
 * a guard page below. NULL when out of memory or size is 0.
 */
void *vmalloc(size_t size);
void vfree(void *p);

/*
 * A kernel stack of size bytes (rounded up to pages) above a guard page.
 * Returns the lowest mapped address (the stack top is that plus size), or
 * NULL. name says whose stack it is, for overflow reports; kept by reference.
 */
void *vmalloc_stack(size_t size, const char *name);

/*
 * Virtual space only (for vmm_ioremap): a page-rounded range after a guard
 * page, nothing mapped. Returns the address of the range, or 0.
 */
uintptr_t vmalloc_reserve(size_t size, const char *name);

/* Releases a reservation made by vmalloc_reserve (the caller unmapped it). */
void vmalloc_release(uintptr_t va);

/* Mapped size of the area starting at va (0 if no area starts there). */
size_t vmalloc_size(uintptr_t va);

/*
 * If addr lies in the guard page of an area, returns true and the area's
 * name, mapped range [*lo, *hi) and whether it is a kernel stack (any
 * pointer may be NULL). For a stack, a hit means it overflowed; for other
 * areas, the area below ran over its end (or this one under its start).
 */
bool vmalloc_guard_lookup(uintptr_t addr, const char **name, uintptr_t *lo, uintptr_t *hi,
                          bool *is_stack);

/* Is [addr, addr + len) inside a kernel stack's mapped part? (For backtraces.) */
bool vmalloc_in_stack(uintptr_t addr, size_t len);

/* Areas live, and pages mapped by vmalloc and vmalloc_stack. */
size_t vmalloc_area_count(void);
uint64_t vmalloc_mapped_pages(void);

#endif
