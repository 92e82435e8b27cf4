/*
 * include/mm/kmalloc.h - the kernel heap: kmalloc and object caches.
 *
 * Part of mm. Requests up to SLAB_MAX_SIZE bytes come from size-class
 * caches (mm/slab_class); each cache carves one-page slabs taken from the
 * PMM and reached through the direct map. Larger requests get whole
 * contiguous pages with a one-line header. kmem_cache_create makes a cache
 * of fixed-size objects for a subsystem (tasks, inodes, buffers), with the
 * same machinery.
 *
 * Alignment: every kmalloc pointer is 16-byte aligned; a cache's objects
 * have the alignment it was created with.
 *
 * Debug builds (BASALT_DEBUG) surround every object with red zones, poison
 * freed memory, and record who allocated and who freed it; a double free,
 * a write past either end, a write after free and a kfree of a pointer the
 * heap never returned are each reported with the allocation site and a
 * backtrace and counted (kheap_error_count). A double free or a foreign
 * pointer is refused; an object whose red zones were hit is reported and
 * then freed. Large blocks get a tail red zone and a live-block list (a
 * write after one is freed is not caught: its pages go back to the PMM).
 * In every build a corrupted slab free list is detected before it is
 * followed.
 *
 * Locking: one heap lock, kheap_lock (irqsave spinlock in src/mm/kmalloc.c),
 * guards every cache, slab list, large-block list and counter; every call
 * takes it (none is held on entry) and the PMM's lock nests inside it
 * (vmalloc_lock -> vmm space locks -> kheap_lock -> pmm_lock). Callable
 * from any context, interrupt handlers included; never sleeps.
 */
#ifndef BASALT_MM_KMALLOC_H
#define BASALT_MM_KMALLOC_H

#include <core/compiler.h>

/* NULL when size is 0 or memory is exhausted. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);

/*
 * Resizes p (NULL: like kmalloc; size 0: like kfree and returns NULL). On
 * failure returns NULL and p is untouched.
 */
void *krealloc(void *p, size_t size);

/* Frees p (NULL is ignored). */
void kfree(void *p);

/* Usable size of a kmalloc block: at least what was asked. */
size_t ksize(const void *p);

struct kmem_cache;

/*
 * A cache of objects of size bytes aligned to align (a power of two, 0 =
 * 16). name is kept by reference. NULL when out of memory or arguments are
 * bad (size 0, or too big for a 16-page slab: a little under 64 KiB).
 */
struct kmem_cache *kmem_cache_create(const char *name, size_t size, size_t align);
void *kmem_cache_alloc(struct kmem_cache *c);
void kmem_cache_free(struct kmem_cache *c, void *obj);

/* Frees the cache. Returns 0, or -EBUSY (and keeps it) while objects are live. */
int kmem_cache_destroy(struct kmem_cache *c);

/* Sets up the size classes; needs the PMM. Returns 0 or -ENOMEM. */
int kheap_init(void);

struct kheap_stats {
    const char *name;
    size_t object_size;         /* slot size, debug overhead included */
    uint64_t objects_in_use;
    uint64_t bytes_requested;   /* sum of sizes asked for by live objects */
    uint64_t slabs;
};

/* Fills out[0..max) with one entry per cache (size classes first); returns the count. */
size_t kheap_stats(struct kheap_stats *out, size_t max);

/* Pages held by allocations larger than SLAB_MAX_SIZE. */
uint64_t kheap_large_pages(void);

/*
 * Walks every cache: free lists, counts, and (debug builds) red zones of
 * live objects and poison of free ones. Reports and returns the number of
 * problems found.
 */
size_t kheap_check(void);

/* Misuse reports so far, and the text of the last one ("" if none). */
uint64_t kheap_error_count(void);
const char *kheap_last_error(void);

#endif
