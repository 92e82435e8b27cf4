/*
 * src/mm/vrange.c - allocator of virtual address ranges (for vmalloc).
 *
 * Part of mm; pure (see include/mm/vrange.h for the contract). The free
 * set is a sorted array of extents in caller storage: first fit over it to
 * allocate, binary search to free. An aligned allocation from the middle
 * of an extent leaves two pieces and so needs a spare slot; without one
 * the allocation moves to the top of that extent when an aligned address
 * there leaves a single piece, or else on to the next extent.
 */
#include <mm/vrange.h>
#include <core/errno.h>
#include <core/string.h>

#define VRANGE_PAGE     4096ull

int vrange_init(struct vrange *v, struct vrange_extent *storage, size_t capacity,
                uint64_t base, uint64_t size)
{
    memset(v, 0, sizeof(*v));       /* a failed init leaves an empty allocator */
    if (!storage || capacity == 0 || size == 0 || !IS_ALIGNED(base, VRANGE_PAGE) ||
        !IS_ALIGNED(size, VRANGE_PAGE) || size > UINT64_MAX - base)
        return -EINVAL;
    v->free = storage;
    v->capacity = capacity;
    v->count = 1;
    v->free[0].base = base;
    v->free[0].size = size;
    v->window_base = base;
    v->window_size = size;
    v->free_bytes = size;
    return 0;
}

static void remove_extent(struct vrange *v, size_t i)
{
    memmove(&v->free[i], &v->free[i + 1], (v->count - i - 1) * sizeof(v->free[0]));
    v->count--;
}

static void insert_extent(struct vrange *v, size_t i, uint64_t base, uint64_t size)
{
    memmove(&v->free[i + 1], &v->free[i], (v->count - i) * sizeof(v->free[0]));
    v->free[i].base = base;
    v->free[i].size = size;
    v->count++;
}

int vrange_alloc(struct vrange *v, uint64_t size, uint64_t align, uint64_t *out)
{
    if (size == 0 || !IS_ALIGNED(size, VRANGE_PAGE) || align < VRANGE_PAGE ||
        (align & (align - 1)) != 0)
        return -EINVAL;

    for (size_t i = 0; i < v->count; i++) {
        struct vrange_extent *e = &v->free[i];
        uint64_t pad = (align - (e->base & (align - 1))) & (align - 1);

        if (pad > e->size || size > e->size - pad)
            continue;

        uint64_t addr = e->base + pad;
        uint64_t tail = e->size - pad - size;

        if (pad && tail) {
            if (v->count < v->capacity) {
                insert_extent(v, i + 1, addr + size, tail);
                v->free[i].size = pad;
            } else {
                /* no slot for a second piece: flush with the extent's end? */
                uint64_t end = e->base + e->size;
                uint64_t top = ALIGN_DOWN(end - size, align);
                if (top + size != end)
                    continue;
                addr = top;             /* top > e->base, as pad > 0 */
                e->size -= size;
            }
        } else if (pad) {
            e->size = pad;
        } else if (tail) {
            e->base += size;
            e->size = tail;
        } else {
            remove_extent(v, i);
        }
        v->free_bytes -= size;
        *out = addr;
        return 0;
    }
    return -ENOMEM;
}

int vrange_free(struct vrange *v, uint64_t base, uint64_t size)
{
    if (size == 0 || !IS_ALIGNED(base, VRANGE_PAGE) || !IS_ALIGNED(size, VRANGE_PAGE) ||
        base < v->window_base || size > UINT64_MAX - base ||
        base + size - v->window_base > v->window_size)
        return -EINVAL;

    /* i: the first extent above base */
    size_t lo = 0, hi = v->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->free[mid].base > base)
            hi = mid;
        else
            lo = mid + 1;
    }
    size_t i = lo;
    struct vrange_extent *prev = i > 0 ? &v->free[i - 1] : NULL;
    struct vrange_extent *next = i < v->count ? &v->free[i] : NULL;
    uint64_t end = base + size;

    if (prev && prev->base + prev->size > base)
        return -EINVAL;             /* overlaps free space: double free */
    if (next && end > next->base)
        return -EINVAL;

    bool join_prev = prev && prev->base + prev->size == base;
    bool join_next = next && end == next->base;

    if (join_prev && join_next) {
        prev->size += size + next->size;
        remove_extent(v, i);
    } else if (join_prev) {
        prev->size += size;
    } else if (join_next) {
        next->base = base;
        next->size += size;
    } else {
        if (v->count >= v->capacity)
            return -ENOSPC;
        insert_extent(v, i, base, size);
    }
    v->free_bytes += size;
    return 0;
}
