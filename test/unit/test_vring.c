/*
 * test/unit/test_vring.c - host tests for src/dev/vring.c (the arithmetic
 * of a VirtIO split virtqueue).
 *
 * Checks the ring layout against the VirtIO 1.x sizes and alignments
 * (2.7: descriptors 16 bytes each, 16-aligned; driver area 6 + 2 * size
 * bytes, 2-aligned; device area 6 + 8 * size bytes, 4-aligned) for every
 * power-of-two size; the queue size picked from the device's and the
 * driver's maxima; ring slots and the used-index difference across the
 * 16-bit wrap at 65535; the used index running ahead of the ring (and
 * behind it); vring_need_event against the rule of 2.7.10 ("notify when
 * the event index is among the entries just published") exhaustively over
 * every event index for windows that straddle the wrap; and the free
 * descriptor chains: allocation order, exhaustion, bad lengths, double and
 * bogus frees (device-returned ids that are out of range, free, or not a
 * chain's head), then a random model run that checks after every step
 * that free and allocated descriptors partition the ring.
 */
#include "unit.h"
#include <dev/vring.h>

/* ---- layout ------------------------------------------------------------------ */

static void test_layout_known(void **state)
{
    struct vring_layout l;

    (void)state;
    assert_int_equal(vring_layout(1, &l), 38);
    assert_int_equal(l.avail_off, 16);
    assert_int_equal(l.used_event_off, 22);
    assert_int_equal(l.used_off, 24);
    assert_int_equal(l.avail_event_off, 36);
    assert_int_equal(l.bytes, 38);

    assert_int_equal(vring_layout(2, &l), 66);
    assert_int_equal(l.avail_off, 32);
    assert_int_equal(l.used_event_off, 40);
    assert_int_equal(l.used_off, 44);           /* 42 rounded up to 4 */
    assert_int_equal(l.avail_event_off, 64);

    assert_int_equal(vring_layout(256, &l), 6670);
    assert_int_equal(l.avail_off, 4096);
    assert_int_equal(l.used_event_off, 4612);
    assert_int_equal(l.used_off, 4616);         /* 4614 rounded up to 4 */
    assert_int_equal(l.avail_event_off, 6668);
}

static void test_layout_every_size(void **state)
{
    (void)state;
    for (unsigned size = 1; size <= VRING_MAX_SIZE; size *= 2) {
        struct vring_layout l;
        size_t bytes = vring_layout((uint16_t)size, &l);

        assert_int_equal(bytes, l.bytes);
        assert_int_equal(l.avail_off, 16 * size);           /* the descriptor table */
        assert_int_equal(l.avail_off % 16, 0);
        assert_int_equal(l.avail_off % 2, 0);
        assert_int_equal(l.used_event_off, l.avail_off + 4 + 2 * size);
        assert_true(l.used_off >= l.avail_off + 6 + 2 * size);      /* no overlap */
        assert_true(l.used_off < l.avail_off + 6 + 2 * size + 4);   /* no needless padding */
        assert_int_equal(l.used_off % 4, 0);
        assert_int_equal(l.avail_event_off, l.used_off + 4 + 8 * size);
        assert_int_equal(l.bytes - l.used_off, 6 + 8 * size);
    }
}

static void test_queue_size(void **state)
{
    (void)state;
    assert_int_equal(vring_queue_size(0, 256), 0);          /* no such queue */
    assert_int_equal(vring_queue_size(256, 0), 0);
    assert_int_equal(vring_queue_size(256, 256), 256);
    assert_int_equal(vring_queue_size(1024, 256), 256);
    assert_int_equal(vring_queue_size(100, 256), 64);
    assert_int_equal(vring_queue_size(255, 256), 128);
    assert_int_equal(vring_queue_size(256, 200), 128);
    assert_int_equal(vring_queue_size(1, 256), 1);
    assert_int_equal(vring_queue_size(3, 256), 2);
    assert_int_equal(vring_queue_size(32768, 32768), 32768);
    assert_int_equal(vring_queue_size(65535, 65535), 32768);
    for (unsigned d = 1; d <= 65535; d++) {
        uint16_t s = vring_queue_size((uint16_t)d, 65535);

        assert_int_equal(s & (s - 1), 0);                   /* a power of two */
        assert_true(s <= d && 2u * s > d);                  /* the largest one */
    }
}

/* ---- indexes ------------------------------------------------------------------ */

static void test_slot_wrap(void **state)
{
    (void)state;
    assert_int_equal(vring_slot(0, 256), 0);
    assert_int_equal(vring_slot(255, 256), 255);
    assert_int_equal(vring_slot(256, 256), 0);
    assert_int_equal(vring_slot(65535, 256), 255);
    assert_int_equal(vring_slot((uint16_t)(65535 + 1), 256), 0);
    assert_int_equal(vring_slot(65535, 1), 0);
    /* every power-of-two ring steps one slot at a time through the wrap */
    for (unsigned size = 1; size <= VRING_MAX_SIZE; size *= 2) {
        uint16_t idx = (uint16_t)(65536 - 2 * size - 3);

        for (unsigned k = 0; k < 4 * size + 6; k++, idx++)
            assert_int_equal(vring_slot((uint16_t)(idx + 1), (uint16_t)size),
                             (vring_slot(idx, (uint16_t)size) + 1) % size);
    }
}

static void test_used_pending(void **state)
{
    (void)state;
    assert_int_equal(vring_used_pending(0, 0), 0);
    assert_int_equal(vring_used_pending(7, 3), 4);
    assert_int_equal(vring_used_pending(0, 65535), 1);      /* across the wrap */
    assert_int_equal(vring_used_pending(5, 65533), 8);
    assert_int_equal(vring_used_pending(65535, 65535), 0);
    assert_int_equal(vring_used_pending(3, 4), 65535);      /* behind: a broken device */
}

static void test_used_ahead(void **state)
{
    (void)state;
    assert_false(vring_used_ahead(0, 0, 256));
    assert_false(vring_used_ahead(256, 0, 256));            /* the whole ring finished */
    assert_true(vring_used_ahead(257, 0, 256));             /* more than the ring holds */
    /* across the wrap */
    assert_false(vring_used_ahead((uint16_t)(65500 + 256), 65500, 256));
    assert_true(vring_used_ahead((uint16_t)(65500 + 257), 65500, 256));
    assert_false(vring_used_ahead(0, 65535, 1));
    assert_true(vring_used_ahead(1, 65535, 1));
    /* a used index that went backwards is as broken */
    assert_true(vring_used_ahead(65535, 0, 256));
    assert_true(vring_used_ahead(99, 100, 32768));
    for (unsigned d = 0; d <= 65535; d++)
        assert_int_equal(vring_used_ahead((uint16_t)(40000 + d), 40000, 128), d > 128);
}

/* ---- event index (2.7.10) ------------------------------------------------------ */

/* The rule in words: event is one of old, old + 1, ..., new - 1 (mod 2^16). */
static bool published_among(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    for (uint16_t i = old_idx; i != new_idx; i++)
        if (i == event)
            return true;
    return false;
}

static void test_need_event_edges(void **state)
{
    (void)state;
    /* nothing published: never */
    assert_false(vring_need_event(5, 5, 5));
    assert_false(vring_need_event(4, 5, 5));
    /* the device asked to hear of entry old (the first one published) */
    assert_true(vring_need_event(10, 11, 10));
    assert_true(vring_need_event(10, 15, 10));
    /* ... of the last one published */
    assert_true(vring_need_event(14, 15, 10));
    /* ... of an entry not published yet */
    assert_false(vring_need_event(15, 15, 10));
    assert_false(vring_need_event(16, 15, 10));
    /* ... of one published before this batch (it was notified then) */
    assert_false(vring_need_event(9, 15, 10));
    /* across the wrap: old 65534, new 1 published 65534, 65535, 0 */
    assert_true(vring_need_event(65534, 1, 65534));
    assert_true(vring_need_event(65535, 1, 65534));
    assert_true(vring_need_event(0, 1, 65534));
    assert_false(vring_need_event(1, 1, 65534));
    assert_false(vring_need_event(65533, 1, 65534));
    /* a whole 2^16 - 1 window: only new itself is outside */
    assert_true(vring_need_event(0, 65535, 0));
    assert_true(vring_need_event(65534, 65535, 0));
    assert_false(vring_need_event(65535, 65535, 0));
}

static void test_need_event_exhaustive(void **state)
{
    static const uint16_t olds[] = { 0, 1, 255, 256, 32767, 32768, 65280, 65530, 65534, 65535 };
    static const uint16_t spans[] = { 0, 1, 2, 3, 7, 8, 255, 256, 257, 4096 };

    (void)state;
    for (size_t o = 0; o < sizeof(olds) / sizeof(olds[0]); o++) {
        for (size_t s = 0; s < sizeof(spans) / sizeof(spans[0]); s++) {
            uint16_t old_idx = olds[o], new_idx = (uint16_t)(old_idx + spans[s]);

            for (unsigned e = 0; e <= 65535; e++) {
                bool want = published_among((uint16_t)e, new_idx, old_idx);

                if (vring_need_event((uint16_t)e, new_idx, old_idx) != want)
                    fail_msg("need_event(%u, new %u, old %u): want %d", e, new_idx, old_idx,
                             want);
            }
        }
    }
}

/* ---- free chains ---------------------------------------------------------------- */

#define SIZE 8

static void test_chain_alloc_free(void **state)
{
    uint16_t next[SIZE], len[SIZE];
    struct vring_chains c;
    int h0, h1;

    (void)state;
    memset(next, 0xa5, sizeof(next));
    memset(len, 0xa5, sizeof(len));
    vring_chains_init(&c, next, len, SIZE);
    assert_int_equal(c.num_free, SIZE);
    assert_int_equal(c.free_head, 0);
    for (unsigned i = 0; i < SIZE; i++) {
        assert_int_equal(next[i], i + 1);
        assert_int_equal(len[i], 0);
        assert_false(vring_chain_owned(&c, i));
    }

    h0 = vring_chain_alloc(&c, 3);
    assert_int_equal(h0, 0);
    assert_int_equal(next[0], 1);                   /* the chain walks 0 -> 1 -> 2 */
    assert_int_equal(next[1], 2);
    assert_int_equal(c.free_head, 3);
    assert_int_equal(c.num_free, 5);
    assert_true(vring_chain_owned(&c, 0));
    assert_false(vring_chain_owned(&c, 1));         /* inside a chain, not its head */
    assert_false(vring_chain_owned(&c, 2));

    h1 = vring_chain_alloc(&c, 5);                  /* exactly what is left */
    assert_int_equal(h1, 3);
    assert_int_equal(c.num_free, 0);
    assert_int_equal(c.free_head, SIZE);            /* the end of the list */

    /* exhausted, and bad lengths */
    assert_int_equal(vring_chain_alloc(&c, 1), -ENOSPC);
    assert_int_equal(vring_chain_alloc(&c, 0), -EINVAL);
    assert_int_equal(vring_chain_alloc(&c, SIZE + 1), -EINVAL);
    assert_int_equal(c.num_free, 0);

    /* bogus ids: not a head, out of range */
    assert_int_equal(vring_chain_free(&c, 4), -EINVAL);
    assert_int_equal(vring_chain_free(&c, SIZE), -EINVAL);
    assert_int_equal(vring_chain_free(&c, 0xffffffffu), -EINVAL);
    assert_false(vring_chain_owned(&c, SIZE));
    assert_false(vring_chain_owned(&c, 0x10000u));
    assert_int_equal(c.num_free, 0);

    assert_int_equal(vring_chain_free(&c, 0), 3);
    assert_int_equal(c.num_free, 3);
    assert_int_equal(c.free_head, 0);
    assert_false(vring_chain_owned(&c, 0));
    /* double free: refused, nothing changes */
    assert_int_equal(vring_chain_free(&c, 0), -EINVAL);
    assert_int_equal(c.num_free, 3);
    assert_int_equal(c.free_head, 0);
    assert_int_equal(next[2], SIZE);                /* the freed chain ends the list */

    /* too long for what is free, though shorter than the ring */
    assert_int_equal(vring_chain_alloc(&c, 4), -ENOSPC);
    assert_int_equal(c.num_free, 3);

    assert_int_equal(vring_chain_free(&c, 3), 5);
    assert_int_equal(c.num_free, SIZE);
    assert_int_equal(vring_chain_alloc(&c, SIZE), 3);   /* last freed, first reused */
    assert_int_equal(c.num_free, 0);
    assert_int_equal(vring_chain_free(&c, 3), SIZE);
}

static void test_chain_size_one(void **state)
{
    uint16_t next[1], len[1];
    struct vring_chains c;

    (void)state;
    vring_chains_init(&c, next, len, 1);
    assert_int_equal(vring_chain_alloc(&c, 2), -EINVAL);
    assert_int_equal(vring_chain_alloc(&c, 1), 0);
    assert_int_equal(vring_chain_alloc(&c, 1), -ENOSPC);
    assert_int_equal(vring_chain_free(&c, 1), -EINVAL);
    assert_int_equal(vring_chain_free(&c, 0), 1);
    assert_int_equal(vring_chain_free(&c, 0), -EINVAL);
    assert_int_equal(c.num_free, 1);
}

/* Free and allocated descriptors partition the ring; chain_len marks exactly the heads. */
static void check_partition(const struct vring_chains *c, const int *owner, unsigned size)
{
    unsigned char *seen = calloc(size, 1);
    unsigned i = c->free_head;

    assert_non_null(seen);
    for (unsigned k = 0; k < c->num_free; k++) {
        assert_true(i < size);
        assert_false(seen[i]);
        assert_int_equal(owner[i], -1);
        seen[i] = 1;
        i = c->next[i];
    }
    for (unsigned h = 0; h < size; h++) {
        if (!c->chain_len[h])
            continue;
        i = h;
        for (unsigned k = 0; k < c->chain_len[h]; k++) {
            assert_true(i < size);
            assert_false(seen[i]);
            assert_int_equal(owner[i], (int)h);
            seen[i] = 1;
            if (k + 1 < c->chain_len[h])
                i = c->next[i];
        }
    }
    for (i = 0; i < size; i++)
        assert_true(seen[i]);
    free(seen);
}

static void test_chain_model(void **state)
{
    enum { N = 256 };
    uint16_t next[N], len[N];
    int owner[N];                   /* the model: head of the chain holding each descriptor */
    uint16_t heads[N];
    unsigned nheads = 0, out = 0;
    struct vring_chains c;

    (void)state;
    rng_state = 0x5eed0f7e6a11ull;
    vring_chains_init(&c, next, len, N);
    for (unsigned i = 0; i < N; i++)
        owner[i] = -1;
    for (unsigned step = 0; step < 20000; step++) {
        if (nheads && (rnd_below(2) || out == N)) {
            unsigned k = (unsigned)rnd_below(nheads);
            uint16_t h = heads[k];
            int n = vring_chain_free(&c, h);
            unsigned i = h;

            assert_true(n > 0);
            for (int j = 0; j < n; j++) {
                assert_int_equal(owner[i], h);
                owner[i] = -1;
                i = next[i];
            }
            out -= (unsigned)n;
            heads[k] = heads[--nheads];
            assert_int_equal(vring_chain_free(&c, h), -EINVAL);     /* double free */
        } else {
            unsigned n = 1 + (unsigned)rnd_below(rnd_below(4) ? 4 : N);
            int h = vring_chain_alloc(&c, n);
            unsigned i;

            if (n > N - out) {
                assert_int_equal(h, -ENOSPC);
                continue;
            }
            assert_true(h >= 0 && h < N);
            i = (unsigned)h;
            for (unsigned j = 0; j < n; j++) {
                assert_int_equal(owner[i], -1);
                owner[i] = h;
                i = next[i];
            }
            out += n;
            heads[nheads++] = (uint16_t)h;
        }
        assert_int_equal(c.num_free, N - out);
        if (step % 64 == 0)
            check_partition(&c, owner, N);
    }
    while (nheads)
        assert_true(vring_chain_free(&c, heads[--nheads]) > 0);
    assert_int_equal(c.num_free, N);
    for (unsigned i = 0; i < N; i++)
        owner[i] = -1;
    check_partition(&c, owner, N);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_known),
        cmocka_unit_test(test_layout_every_size),
        cmocka_unit_test(test_queue_size),
        cmocka_unit_test(test_slot_wrap),
        cmocka_unit_test(test_used_pending),
        cmocka_unit_test(test_used_ahead),
        cmocka_unit_test(test_need_event_edges),
        cmocka_unit_test(test_need_event_exhaustive),
        cmocka_unit_test(test_chain_alloc_free),
        cmocka_unit_test(test_chain_size_one),
        cmocka_unit_test(test_chain_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
