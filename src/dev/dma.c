/*
 * src/dev/dma.c - DMA buffer allocator: small power-of-two classes from
 * object caches, larger buffers as contiguous pages.
 *
 * Part of dev; contracts in include/dev/dma.h. The caches are created on
 * first use of their class; creation races are settled by a compare and
 * swap (the loser destroys its cache).
 */
#include <core/atomic.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/dma.h>
#include <mm/kmalloc.h>
#include <core/layout.h>
#include <mm/pmm.h>

#define DMA_CLASSES     8       /* 16, 32, ..., 2048 */

static struct kmem_cache *dma_cache[DMA_CLASSES];
static const char *const dma_cache_name[DMA_CLASSES] = {
    "dma-16", "dma-32", "dma-64", "dma-128", "dma-256", "dma-512", "dma-1024", "dma-2048",
};

static unsigned size_class(size_t size)
{
    unsigned c = 0;

    while (((size_t)DMA_SMALL_MIN << c) < size)
        c++;
    return c;
}

size_t dma_alloc_size(size_t size)
{
    if (size == 0)
        return 0;
    if (size <= DMA_SMALL_MAX)
        return (size_t)DMA_SMALL_MIN << size_class(size);
    return (size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
}

static struct kmem_cache *class_cache(unsigned c)
{
    struct kmem_cache *cache = atomic_load_acquire(&dma_cache[c]), *expected = NULL;
    size_t sz = (size_t)DMA_SMALL_MIN << c;

    if (cache)
        return cache;
    /* aligned to its own size, so an object never straddles a page */
    cache = kmem_cache_create(dma_cache_name[c], sz, sz);
    if (!cache)
        return NULL;
    if (!atomic_cmpxchg(&dma_cache[c], &expected, cache)) {
        kmem_cache_destroy(cache);
        return expected;
    }
    return cache;
}

void *dma_alloc(size_t size, uint64_t *bus)
{
    void *p;

    if (size == 0)
        return NULL;
    if (size <= DMA_SMALL_MAX) {
        unsigned c = size_class(size);
        struct kmem_cache *cache = class_cache(c);

        p = cache ? kmem_cache_alloc(cache) : NULL;
        if (!p)
            return NULL;
        memset(p, 0, (size_t)DMA_SMALL_MIN << c);
    } else {
        uint64_t pa;

        if (pmm_alloc_contig(dma_alloc_size(size) / PAGE_SIZE, 0, PMM_ZERO, &pa) != 0)
            return NULL;
        p = phys_to_virt(pa);
    }
    *bus = virt_to_phys(p);
    return p;
}

void dma_free(void *p, size_t size)
{
    if (!p)
        return;
    if (size > DMA_SMALL_MAX) {
        pmm_free_contig(virt_to_phys(p), dma_alloc_size(size) / PAGE_SIZE);
        return;
    }
    kmem_cache_free(dma_cache[size_class(size)], p);
}
