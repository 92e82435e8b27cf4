/*
 * include/dev/dma.h - memory devices read and write by DMA.
 *
 * Part of dev. dma_alloc hands out zeroed, physically contiguous buffers
 * and their bus address (physical = bus address on x86 without an IOMMU).
 * Requests up to DMA_SMALL_MAX bytes come from power-of-two object caches
 * ("dma-16" .. "dma-2048") carved from whole pages, so a 16-byte VirtIO
 * request header does not take a page of its own; each small buffer is
 * aligned to its class size and never crosses a page. Larger requests get
 * whole contiguous pages, page aligned. Memory is ordinary write-back RAM:
 * x86 DMA is cache-coherent.
 *
 * Locking: none of its own; the caches and the PMM lock internally. Any
 * context that may call kmalloc may call these.
 */
#ifndef BASALT_DEV_DMA_H
#define BASALT_DEV_DMA_H

#include <core/compiler.h>

#define DMA_SMALL_MIN   16
#define DMA_SMALL_MAX   2048

/*
 * size bytes, zeroed; the bus address in *bus. NULL (and *bus untouched)
 * for size 0 or no memory.
 */
void *dma_alloc(size_t size, uint64_t *bus);

/* Frees what dma_alloc(size) returned; size must be the same. NULL is ignored. */
void dma_free(void *p, size_t size);

/* Bytes dma_alloc(size) really takes (class size, or whole pages). */
size_t dma_alloc_size(size_t size);

#endif
