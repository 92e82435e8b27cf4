/*
 * include/mm/pmm.h - the physical memory manager: 4 KiB frames.
 *
 * Part of mm. pmm_init builds a clean memory map from the loader's
 * (mm/memmap: the multiboot2 map, refined by the EFI map when present),
 * takes out everything that is not free RAM (the first 1 MiB, the kernel
 * image, the multiboot information, boot modules, the kernel symbol table;
 * ACPI tables are never "usable" in the map), and hands the rest to a
 * bitmap allocator (mm/frame_bitmap). Frames are addressed physically and
 * touched through the direct map (phys_to_virt).
 *
 * Errors: allocation returns -ENOMEM when nothing fits. Freeing a frame
 * that is free already (double free) or that the allocator never owned is
 * reported with a backtrace and refused (-EINVAL / -EFAULT); the count of
 * such reports is pmm_stats().bad_frees.
 *
 * Locking: pmm_lock (irqsave, src/mm/pmm.c) guards the bitmap and its
 * counters; it is the innermost lock in mm (vmalloc_lock -> vmm space
 * locks -> kheap_lock -> pmm_lock). The bad-free count is atomic. Callable
 * from any context.
 */
#ifndef BASALT_MM_PMM_H
#define BASALT_MM_PMM_H

#include <core/compiler.h>

struct boot_info;

#define PMM_BELOW_4G    (1u << 0)   /* the run must end below 4 GiB (32-bit DMA) */
#define PMM_ZERO        (1u << 1)   /* zero the frames */
#define PMM_NORECLAIM   (1u << 2)   /* fail without calling the reclaim hook (the caller
                                       holds a lock the hook's frees need: kheap_lock) */

struct pmm_stats {
    uint64_t managed_frames;    /* RAM frames the allocator owns */
    uint64_t free_frames;       /* of those, free now */
    uint64_t usable_bytes;      /* usable RAM in the cleaned firmware map */
    uint64_t reserved_bytes;    /* usable RAM held back (kernel, boot data, low 1 MiB) */
    uint64_t highest_ram;       /* end of the highest usable RAM */
    uint64_t bad_frees;         /* double or foreign frees refused */
    uint64_t reclaim_calls;     /* times the reclaim hook ran */
    uint64_t reclaimed_frames;  /* what it said it freed, in all */
};

/*
 * Builds the allocator from bi. Must run once, before any other pmm call,
 * while the boot page tables map the first 4 GiB. Returns 0; -ENOENT when
 * the map holds no usable RAM; -ENOMEM when no usable run below 4 GiB can
 * hold the bitmaps. RAM beyond the 64 TiB direct-map window is ignored.
 */
int pmm_init(const struct boot_info *bi);

/* One frame: returns 0 and its physical address in *pa, or -ENOMEM. */
int pmm_alloc(uint32_t flags, uint64_t *pa);

/*
 * count contiguous frames starting at a multiple of align bytes (a power
 * of two >= 4096; 0 = 4096); with PMM_BELOW_4G the run ends below 4 GiB.
 * Returns 0 and the first physical address in *pa, -EINVAL, or -ENOMEM.
 */
int pmm_alloc_contig(size_t count, uint64_t align, uint32_t flags, uint64_t *pa);

/* Frees one frame / count frames from pa. Returns 0, -EINVAL or -EFAULT (reported). */
int pmm_free(uint64_t pa);
int pmm_free_contig(uint64_t pa, size_t count);

struct pmm_stats pmm_stats(void);

/* Logs the cleaned memory map at LOG_INFO (for `mem` and the boot log). */
void pmm_dump_map(void);

/* Is [pa, pa + len) entirely RAM the direct map covers (usable, ACPI, kernel)? */
bool pmm_is_ram(uint64_t pa, uint64_t len);

struct memmap;
/* The cleaned map (read-only), for mm/vmm to build the direct map. */
const struct memmap *pmm_memmap(void);

/*
 * Memory reclaim (a hook, so mm needs nothing above it): when pmm_alloc or
 * pmm_alloc_contig finds no free frame it calls fn(want) once, fn frees
 * up to want frames of caches (the page and buffer caches register one)
 * and returns how many it freed; the allocation is then retried once
 * (when fn freed something). fn runs in the failing caller's context
 * (perhaps with spinlocks held, perhaps in an interrupt handler when
 * in_irq), never under pmm_lock and never under kheap_lock (kmalloc grows
 * its slabs with PMM_NORECLAIM and calls pmm_reclaim itself after
 * dropping the lock), so it may kfree; it must not sleep, so it only
 * trylocks its own locks. One hook; a second registration replaces the
 * first; NULL removes it.
 */
typedef size_t (*pmm_reclaim_fn)(size_t want);
/* Returns the hook it replaces (NULL: none), so a test can put it back. */
pmm_reclaim_fn pmm_set_reclaim_hook(pmm_reclaim_fn fn);

/*
 * Calls the reclaim hook for want frames (0 when none is set); returns
 * what it freed. Same context rules as the hook: no pmm_lock or kheap_lock
 * held.
 */
size_t pmm_reclaim(size_t want);

/*
 * Frame reference counts, for frames mapped into user address spaces
 * (copy-on-write after fork, page-cache pages in file mappings). Every
 * frame pmm_alloc returns has count 1 (its allocator's reference); a
 * mapping that shares it takes one more with pmm_page_get and gives it
 * back with pmm_page_put, which frees the frame when the count reaches 0.
 * pmm_free ignores the count (for frames never shared). Counts are atomic:
 * any context, no lock. pa must be a RAM frame the pmm manages
 * (-EINVAL, reported, otherwise; 0 is returned then by pmm_page_count).
 */
uint32_t pmm_page_get(uint64_t pa);     /* returns the new count */
uint32_t pmm_page_put(uint64_t pa);     /* returns the new count; 0: freed */
uint32_t pmm_page_count(uint64_t pa);

#endif
