/*
 * src/mm/frame_bitmap.c - the bitmap behind the physical frame allocator.
 *
 * Part of mm; pure (see include/mm/frame_bitmap.h for the contract).
 * Invariant: a frame's used bit is clear only if its managed bit is set,
 * and every bit past nframes is used and unmanaged, so a clear used bit
 * always means "free frame" and searches need no bounds check per bit.
 * Every search goes a 64-bit word at a time; every update first checks the
 * whole range, so an error never leaves a partial change behind.
 */
#include <mm/frame_bitmap.h>
#include <core/errno.h>
#include <core/string.h>

#define BITS    64

/* What a search looks for: the word whose set bits are the frames wanted. */
enum scan {
    SCAN_FREE,          /* managed and free */
    SCAN_USED,          /* allocated or unmanaged */
    SCAN_MANAGED,
    SCAN_NOT_ALLOCATED, /* unmanaged, or managed and free */
};

static inline uint64_t scan_word(const struct frame_bitmap *b, enum scan s, size_t w)
{
    switch (s) {
    case SCAN_FREE:     return ~b->used[w];
    case SCAN_USED:     return b->used[w];
    case SCAN_MANAGED:  return b->managed[w];
    default:            return ~(b->used[w] & b->managed[w]);
    }
}

/* First frame in [from, to) that s looks for, or to; to <= nframes. */
static size_t find(const struct frame_bitmap *b, enum scan s, size_t from, size_t to)
{
    if (from >= to)
        return to;

    size_t w = from / BITS;
    uint64_t word = scan_word(b, s, w) & (~0ull << (from % BITS));

    for (;;) {
        if (word) {
            size_t frame = w * BITS + (size_t)__builtin_ctzll(word);
            return frame < to ? frame : to;
        }
        w++;
        if (w >= (to + BITS - 1) / BITS)
            return to;
        word = scan_word(b, s, w);
    }
}

/* Sets (or clears) bits [from, to) of words, a word at a time. */
static void set_range(uint64_t *words, size_t from, size_t to, bool set)
{
    while (from < to) {
        size_t bit = from % BITS;
        size_t n = MIN(BITS - bit, to - from);
        uint64_t mask = (n == BITS ? ~0ull : (1ull << n) - 1) << bit;

        if (set)
            words[from / BITS] |= mask;
        else
            words[from / BITS] &= ~mask;
        from += n;
    }
}

static bool test_bit(const uint64_t *words, size_t frame)
{
    return (words[frame / BITS] >> (frame % BITS)) & 1;
}

void frame_bitmap_init(struct frame_bitmap *b, uint64_t *used, uint64_t *managed,
                       size_t nframes)
{
    size_t words = frame_bitmap_words(nframes);

    memset(used, 0xff, words * sizeof(uint64_t));
    memset(managed, 0, words * sizeof(uint64_t));
    b->used = used;
    b->managed = managed;
    b->nframes = nframes;
    b->managed_count = 0;
    b->free_count = 0;
    b->hint = 0;
}

int frame_bitmap_add_free(struct frame_bitmap *b, size_t first, size_t count)
{
    if (first >= b->nframes)
        return 0;

    size_t end = count > b->nframes - first ? b->nframes : first + count;

    if (find(b, SCAN_MANAGED, first, end) != end)
        return -EEXIST;
    set_range(b->managed, first, end, true);
    set_range(b->used, first, end, false);
    b->managed_count += end - first;
    b->free_count += end - first;
    return 0;
}

int frame_bitmap_claim(struct frame_bitmap *b, size_t first, size_t count)
{
    if (count == 0)
        return 0;
    if (first >= b->nframes || count > b->nframes - first)
        return -EBUSY;              /* past the bitmap: not managed */
    if (find(b, SCAN_USED, first, first + count) != first + count)
        return -EBUSY;
    set_range(b->used, first, first + count, true);
    b->free_count -= count;
    return 0;
}

int frame_bitmap_alloc(struct frame_bitmap *b, size_t *frame)
{
    size_t words = frame_bitmap_words(b->nframes);
    size_t w = b->hint < words ? b->hint : 0;

    if (b->free_count == 0)
        return -ENOMEM;
    for (size_t i = 0; i < words; i++) {
        uint64_t free_bits = ~b->used[w];

        if (free_bits) {
            unsigned bit = (unsigned)__builtin_ctzll(free_bits);
            b->used[w] |= 1ull << bit;
            b->free_count--;
            b->hint = w;
            *frame = w * BITS + bit;
            return 0;
        }
        if (++w == words)
            w = 0;
    }
    return -ENOMEM;                 /* free_count was wrong: cannot happen */
}

int frame_bitmap_alloc_run(struct frame_bitmap *b, size_t count, size_t align,
                           size_t limit, size_t *first)
{
    if (align == 0)
        align = 1;
    if (count == 0 || (align & (align - 1)) != 0)
        return -EINVAL;

    size_t lim = (limit == 0 || limit > b->nframes) ? b->nframes : limit;

    if (count > lim || count > b->free_count)
        return -ENOMEM;

    size_t last_start = lim - count;    /* a run must start at or below this */
    size_t s = 0;

    while (s <= last_start) {
        size_t f = find(b, SCAN_FREE, s, last_start + 1);
        if (f > last_start)
            break;
        size_t mis = f & (align - 1);
        if (mis) {
            if (align - mis > last_start - f)
                break;
            f += align - mis;
        }
        size_t used = find(b, SCAN_USED, f, f + count);
        if (used == f + count) {
            set_range(b->used, f, f + count, true);
            b->free_count -= count;
            *first = f;
            return 0;
        }
        s = used + 1;
    }
    return -ENOMEM;
}

int frame_bitmap_free(struct frame_bitmap *b, size_t first, size_t count, size_t *bad)
{
    size_t ignored;

    if (!bad)
        bad = &ignored;
    if (count == 0)
        return 0;
    if (first >= b->nframes) {
        *bad = first;
        return -ERANGE;
    }

    size_t end = count > b->nframes - first ? b->nframes : first + count;
    size_t x = find(b, SCAN_NOT_ALLOCATED, first, end);

    if (x != end) {
        *bad = x;
        return test_bit(b->managed, x) ? -EINVAL : -EFAULT;
    }
    if (end - first != count) {
        *bad = b->nframes;
        return -ERANGE;
    }
    set_range(b->used, first, end, false);
    b->free_count += count;
    return 0;
}

bool frame_bitmap_is_allocated(const struct frame_bitmap *b, size_t frame)
{
    return frame < b->nframes && test_bit(b->managed, frame) && test_bit(b->used, frame);
}
