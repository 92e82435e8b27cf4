/*
 * include/mm/frame_bitmap.h - the bitmap behind the physical frame allocator.
 *
 * Part of mm; pure (host-tested by test/unit/test_frame_bitmap.c). One bit
 * per 4 KiB frame, set = in use, in 64-bit words searched a word at a time
 * (a word of all ones is skipped in one compare) from a next-fit hint. A
 * second bitmap records which frames are managed at all (RAM given to the
 * allocator), so freeing a firmware or kernel frame is told apart from a
 * double free. Counts are exact at every moment.
 *
 * Locking: none here; the caller (mm/pmm) holds its lock around every call.
 */
#ifndef BASALT_MM_FRAME_BITMAP_H
#define BASALT_MM_FRAME_BITMAP_H

#include <core/compiler.h>

struct frame_bitmap {
    uint64_t *used;         /* bit set: allocated or not managed */
    uint64_t *managed;      /* bit set: the allocator owns this frame */
    size_t nframes;         /* frames covered: 0 .. nframes - 1 */
    size_t managed_count;
    size_t free_count;
    size_t hint;            /* word index where the next single-frame search starts */
};

/* Words needed for one of the two bitmaps covering nframes. */
static inline size_t frame_bitmap_words(size_t nframes)
{
    return (nframes + 63) / 64;
}

/*
 * Sets up b over caller storage (frame_bitmap_words(nframes) words each
 * for used and managed). Every frame starts unmanaged and in use.
 */
void frame_bitmap_init(struct frame_bitmap *b, uint64_t *used, uint64_t *managed,
                       size_t nframes);

/*
 * Hands frames [first, first + count) to the allocator as free. Frames
 * past nframes are ignored. Returns 0, or -EEXIST if some frame in the
 * range was already managed (nothing changes then).
 */
int frame_bitmap_add_free(struct frame_bitmap *b, size_t first, size_t count);

/*
 * Takes managed, free frames [first, first + count) out of the free pool
 * as allocated (for boot-time reservations). Returns 0 or -EBUSY when a
 * frame in the range is unmanaged or already allocated (nothing changes).
 */
int frame_bitmap_claim(struct frame_bitmap *b, size_t first, size_t count);

/* One free frame: returns 0 and its number in *frame, or -ENOMEM. */
int frame_bitmap_alloc(struct frame_bitmap *b, size_t *frame);

/*
 * count physically contiguous free frames whose first frame is a multiple
 * of align (a power of two, in frames; 0 or 1 = any) and whose last frame
 * is below limit (in frames; 0 = no limit). Returns 0 and the first frame
 * in *first, -EINVAL for a bad count or align, or -ENOMEM.
 */
int frame_bitmap_alloc_run(struct frame_bitmap *b, size_t count, size_t align,
                           size_t limit, size_t *first);

/*
 * Frees [first, first + count). Returns 0; -ERANGE if a frame is past the
 * bitmap; -EFAULT if a frame is not managed (it was never the allocator's
 * to give); -EINVAL if a frame is already free (double free). On error
 * nothing changes and *bad (if not NULL) is the first offending frame.
 */
int frame_bitmap_free(struct frame_bitmap *b, size_t first, size_t count, size_t *bad);

/* True if frame is managed and allocated. */
bool frame_bitmap_is_allocated(const struct frame_bitmap *b, size_t frame);

#endif
