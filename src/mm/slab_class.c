/*
 * src/mm/slab_class.c - size classes of the kernel heap.
 *
 * Part of mm; pure (see include/mm/slab_class.h). The class of a request
 * is computed, not searched: for 2^k < size <= 2^(k+1) it is the midpoint
 * 3 * 2^(k-1) or the power 2^(k+1), whichever is the first to hold size.
 */
#include <mm/slab_class.h>

#define SLAB_MIN_SHIFT  4       /* log2(SLAB_MIN_SIZE) */

_Static_assert((1 << SLAB_MIN_SHIFT) == SLAB_MIN_SIZE, "SLAB_MIN_SHIFT out of date");

static const uint16_t class_sizes[] = {
    16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};

_Static_assert(ARRAY_SIZE(class_sizes) == SLAB_CLASS_COUNT, "class table out of date");

int slab_class_index(size_t size)
{
    if (size == 0 || size > SLAB_MAX_SIZE)
        return -1;
    if (size <= SLAB_MIN_SIZE)
        return 0;

    /* 2^k < size <= 2^(k+1), k >= SLAB_MIN_SHIFT */
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)(size - 1));
    int index = 2 * (int)(k - SLAB_MIN_SHIFT) + 1;

    if (size > (size_t)3 << (k - 1))
        index++;
    return index;
}

size_t slab_class_size(int index)
{
    if (index < 0 || index >= SLAB_CLASS_COUNT)
        return 0;
    return class_sizes[index];
}

/* x rounded up to a multiple of the power of two a; false on overflow. */
static bool align_up(size_t x, size_t a, size_t *out)
{
    size_t rest = x & (a - 1);

    if (rest == 0) {
        *out = x;
        return true;
    }
    if (x > SIZE_MAX - (a - rest))
        return false;
    *out = x + (a - rest);
    return true;
}

size_t slab_objects_per_slab(size_t slab_bytes, size_t header_bytes, size_t obj_size,
                             size_t align)
{
    size_t start, stride;

    if (align == 0)
        align = 1;
    if (obj_size == 0 || (align & (align - 1)) != 0)
        return 0;
    /* the slab itself starts aligned (it is page aligned), so offsets suffice */
    if (!align_up(header_bytes, align, &start) || start > slab_bytes ||
        obj_size > slab_bytes - start)
        return 0;
    if (!align_up(obj_size, align, &stride))
        return 1;                   /* a stride past SIZE_MAX: only the first fits */
    /* the last object needs obj_size bytes, not a whole stride */
    return (slab_bytes - start - obj_size) / stride + 1;
}
