/*
 * include/mm/slab_class.h - size classes of the kernel heap.
 *
 * Part of mm; pure (host-tested by test/unit/test_slab_class.c). kmalloc
 * serves requests up to SLAB_MAX_SIZE from per-class slabs and larger ones
 * from whole pages. Classes are powers of two from 16 bytes with a
 * midpoint between each (16, 24, 32, 48, 64, 96, ... 2048), which bounds
 * the waste of any request to 1/3.
 *
 * Context: any; no state, no locks, never sleeps.
 */
#ifndef BASALT_MM_SLAB_CLASS_H
#define BASALT_MM_SLAB_CLASS_H

#include <core/compiler.h>

#define SLAB_MIN_SIZE       16
#define SLAB_MAX_SIZE       2048
#define SLAB_CLASS_COUNT    15      /* 16 24 32 48 64 96 128 192 256 384 512 768 1024 1536 2048 */

/* Class index for a request of size bytes (1 .. SLAB_MAX_SIZE); -1 if none fits. */
int slab_class_index(size_t size);

/* Object size of class index i (0 .. SLAB_CLASS_COUNT - 1). */
size_t slab_class_size(int index);

/*
 * How many objects of obj_size fit in a slab of slab_bytes when each slab
 * keeps header_bytes at its start and objects are aligned to align (a power
 * of two). Returns 0 if not even one fits.
 */
size_t slab_objects_per_slab(size_t slab_bytes, size_t header_bytes, size_t obj_size,
                             size_t align);

#endif
