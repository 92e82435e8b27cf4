/*
 * include/mm/vrange.h - allocator of virtual address ranges (for vmalloc).
 *
 * Part of mm; pure (host-tested by test/unit/test_vrange.c). Hands out
 * page-aligned ranges of a fixed window (the vmalloc area), first fit over
 * a sorted array of free extents, and takes them back, merging neighbours.
 * Storage is a caller-provided array of extents, so it needs no heap and
 * can sit under the heap.
 *
 * Locking: none here; mm/vmalloc holds its lock around every call.
 */
#ifndef BASALT_MM_VRANGE_H
#define BASALT_MM_VRANGE_H

#include <core/compiler.h>

struct vrange_extent {
    uint64_t base;
    uint64_t size;
};

struct vrange {
    struct vrange_extent *free;     /* sorted by base, disjoint, never adjacent */
    size_t count;
    size_t capacity;
    uint64_t window_base, window_size;
    uint64_t free_bytes;
};

/*
 * The window [base, base + size) starts all free. base and size must be
 * page aligned. Returns 0 or -EINVAL.
 */
int vrange_init(struct vrange *v, struct vrange_extent *storage, size_t capacity,
                uint64_t base, uint64_t size);

/*
 * Finds size bytes (a multiple of 4 KiB, > 0) at an address that is a
 * multiple of align (a power of two >= 4096). Returns 0 and the address in
 * *out; -EINVAL for bad arguments; -ENOMEM when no extent fits.
 */
int vrange_alloc(struct vrange *v, uint64_t size, uint64_t align, uint64_t *out);

/*
 * Returns [base, base + size) to the free set. Returns 0; -EINVAL if it is
 * unaligned, outside the window, or overlaps free space (a double free);
 * -ENOSPC if the extent array is full (the range then stays allocated).
 */
int vrange_free(struct vrange *v, uint64_t base, uint64_t size);

#endif
