/*
 * include/mm/vmm.h - page tables and address spaces.
 *
 * Part of mm. One API over x86-64 4-level paging: map, unmap, change
 * protection and translate, with 4 KiB, 2 MiB and 1 GiB pages.
 * Intermediate tables are created on demand with permissive flags (the
 * leaf decides) and freed when they become empty. Every change to a live
 * address space is followed by invlpg of the changed page (the SMP layer
 * adds the cross-CPU shootdown).
 *
 * vmm_init replaces the boot page tables: a direct map of all RAM at
 * DIRECT_MAP_BASE (1 GiB or 2 MiB pages where the CPU and alignment allow;
 * the kernel image's own frames read-only there),
 * the kernel image at KERNEL_VMA with W^X (text R-X, rodata R--, data and
 * bss RW-, all NX but text), no identity map and nothing at page 0; it turns
 * on CR0.WP, EFER.NXE, global pages and PAT (write-combining on PWT).
 *
 * Address spaces share the kernel half: the PML4 slots 256..511 in use are
 * filled at vmm_init and copied into every space, and no kernel slot is
 * created after that (a broken invariant, so it panics).
 *
 * Locking: one spinlock per space, taken by every call that reads or
 * changes its tables (vmm_map/unmap/protect/translate and the _range forms,
 * which lock page by page). Tables of the kernel half (direct map, vmalloc
 * window, ioremap, image) are shared by every space and are always guarded
 * by vmm_kernel.lock, whichever space the call names; user halves by their
 * own space's lock. There is no lock-free path: intermediate tables are
 * created, and freed when empty, only under the lock, so two CPUs can never
 * both install a table for the same slot nor walk into a table being freed.
 * The TLB shootdown of an unmap or protect runs with the lock held (freed
 * tables go back to the PMM only after it), so the lock is taken with
 * smp_spin_lock_serving: a CPU waiting for it answers the holder's
 * shootdown even with interrupts off. Calls may run with interrupts on or
 * off, in thread context or before the scheduler; never in an interrupt
 * handler (the interrupted code may hold the lock). None sleeps.
 *
 * Lock order (outer first): vmalloc_lock -> vmm_kernel.lock (or a user
 * space's lock) -> kheap_lock -> pmm_lock. No vmm lock nests in another.
 */
#ifndef BASALT_MM_VMM_H
#define BASALT_MM_VMM_H

#include <core/compiler.h>
#include <core/spinlock.h>

/* Mapping flags. A mapping without VMM_EXEC is no-execute. */
#define VMM_WRITE       (1u << 0)
#define VMM_USER        (1u << 1)
#define VMM_EXEC        (1u << 2)
#define VMM_GLOBAL      (1u << 3)
#define VMM_NOCACHE     (1u << 4)   /* UC: device registers */
#define VMM_WC          (1u << 5)   /* write-combining: framebuffers (PAT) */
#define VMM_OWNED       (1u << 6)   /* the frame belongs to the space: freed on destroy */

#define VMM_PAGE_4K     0x1000ul
#define VMM_PAGE_2M     0x200000ul
#define VMM_PAGE_1G     0x40000000ul

/*
 * Lock legend: [c] set at creation, constant after; [l] under this space's
 * lock (for vmm_kernel: vmm_kernel.lock also guards every space's kernel half).
 */
struct vmm_space {
    spinlock_t lock;        /* guards the tables and table_frames */
    uint64_t pml4;          /* [c] physical address of the top-level table */
    size_t table_frames;    /* [l] tables this space owns, PML4 included */
};

/* The kernel's address space (valid after vmm_init); its lock guards the kernel half. */
extern struct vmm_space vmm_kernel;

/* Builds and loads the kernel tables (see above). Returns 0 or -ENOMEM. */
int vmm_init(void);

/*
 * The paging features every CPU must share: PAT (entry 1 = WC), global
 * pages, NX, write protection. vmm_init runs it on the boot CPU; each AP
 * runs it before it touches kernel mappings.
 */
void vmm_init_cpu(void);

/* Drops this CPU's whole TLB, global entries included. */
void vmm_flush_tlb_all(void);

/*
 * Maps one page of page_size (VMM_PAGE_4K/2M/1G) at va -> pa. Both must be
 * aligned to page_size. Returns 0; -EINVAL (misaligned, non-canonical,
 * user flag on a kernel address or the reverse, a kernel address through a
 * user space, a global user page, a writable and executable kernel page,
 * 1 GiB pages unsupported);
 * -EEXIST when something is mapped there already; -ENOMEM.
 */
int vmm_map(struct vmm_space *as, uintptr_t va, uint64_t pa, size_t page_size,
            uint32_t flags);

/*
 * Maps [va, va + len) -> [pa, pa + len) with the largest pages alignment
 * allows (4 KiB granularity). On failure nothing stays mapped.
 */
int vmm_map_range(struct vmm_space *as, uintptr_t va, uint64_t pa, size_t len,
                  uint32_t flags);

/*
 * Unmaps the page at va (of whatever size maps it) and frees intermediate
 * tables left empty. Returns 0 and the physical address in *pa (if pa is
 * not NULL), or -ENOENT when nothing is mapped at va.
 */
int vmm_unmap(struct vmm_space *as, uintptr_t va, uint64_t *pa);

/*
 * Unmaps every page lying wholly inside [va, va + len) (a huge page that
 * sticks out is left mapped); returns how many pages it unmapped.
 */
size_t vmm_unmap_range(struct vmm_space *as, uintptr_t va, size_t len);

/*
 * New flags for the page at va (VMM_OWNED is kept as it was mapped).
 * Returns 0, -ENOENT, or -EINVAL for the combinations vmm_map refuses.
 */
int vmm_protect(struct vmm_space *as, uintptr_t va, uint32_t flags);

/*
 * Looks va up. Returns 0 with the physical address of va itself in *pa and
 * the page's flags and size (any may be NULL), or -ENOENT.
 */
int vmm_translate(struct vmm_space *as, uintptr_t va, uint64_t *pa, uint32_t *flags,
                  size_t *page_size);

/*
 * A new address space sharing the kernel half; NULL when out of memory.
 * vmm_space_destroy frees every VMM_OWNED user frame and every table it
 * owns, never a kernel page. Destroying the loaded space is a bug.
 */
struct vmm_space *vmm_space_create(void);
void vmm_space_destroy(struct vmm_space *as);

/* Like vmm_space_create, with the top-level table below 4 GiB (loadable from 32-bit code). */
struct vmm_space *vmm_space_create_low(void);

/* Loads as into CR3. */
void vmm_space_switch(struct vmm_space *as);

/*
 * Device memory: maps [pa, pa + len) uncached (or write-combining with
 * VMM_WC when the CPU has PAT; uncached otherwise) in the vmalloc area.
 * NULL for len 0, a range beyond the physical address space, or no room.
 * Takes vmalloc_lock, then vmm_kernel.lock (neither held on entry); any
 * CPU, thread context or before the scheduler, never an interrupt handler.
 * vmm_iounmap of a pointer vmm_ioremap returned unmaps it on every CPU
 * before it returns; unmapping the same area twice at once is a bug.
 */
void *vmm_ioremap(uint64_t pa, size_t len, uint32_t flags);
void vmm_iounmap(void *va);

/* Did the CPU offer 1 GiB pages? */
bool vmm_has_1g_pages(void);

#endif
