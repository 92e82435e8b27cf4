/*
 * test/unit/test_frame_bitmap.c - host tests for src/mm/frame_bitmap.c.
 *
 * Handing frames over and claiming them, allocating every free frame and
 * freeing them all again with exact counts, the next-fit hint, runs with
 * alignment and limit, each error of free with the frame it reports, and
 * a randomized test against a model of two bool arrays that also checks
 * runs come out lowest-first. Bitmaps are heap blocks of exactly
 * frame_bitmap_words() words, so AddressSanitizer sees any overrun.
 */
#include "unit.h"
#include <mm/frame_bitmap.h>

static struct frame_bitmap fb;
static uint64_t *used_words, *managed_words;

static void make(size_t nframes)
{
    size_t words = frame_bitmap_words(nframes);
    free(used_words);
    free(managed_words);
    used_words = malloc(words ? words * 8 : 1);
    managed_words = malloc(words ? words * 8 : 1);
    memset(&fb, 0x5a, sizeof(fb));
    frame_bitmap_init(&fb, used_words, managed_words, nframes);
}

static int teardown(void **state)
{
    (void)state;
    free(used_words);
    free(managed_words);
    used_words = managed_words = NULL;
    return 0;
}

static void test_words(void **state)
{
    (void)state;
    assert_int_equal(frame_bitmap_words(0), 0);
    assert_int_equal(frame_bitmap_words(1), 1);
    assert_int_equal(frame_bitmap_words(64), 1);
    assert_int_equal(frame_bitmap_words(65), 2);
    assert_int_equal(frame_bitmap_words(1u << 20), 1u << 14);
}

static void test_init(void **state)
{
    (void)state;
    size_t f = 77, bad = 77;
    make(1000);
    assert_int_equal(fb.nframes, 1000);
    assert_int_equal(fb.managed_count, 0);
    assert_int_equal(fb.free_count, 0);
    assert_int_equal(frame_bitmap_alloc(&fb, &f), -ENOMEM);
    assert_int_equal(f, 77);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 0, &f), -ENOMEM);
    for (size_t i = 0; i < 1000; i++)
        assert_false(frame_bitmap_is_allocated(&fb, i));
    assert_false(frame_bitmap_is_allocated(&fb, 1000));
    assert_false(frame_bitmap_is_allocated(&fb, SIZE_MAX));
    assert_int_equal(frame_bitmap_free(&fb, 0, 1, &bad), -EFAULT);
    assert_int_equal(bad, 0);

    /* no frames at all */
    make(0);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, 10), 0);
    assert_int_equal(fb.free_count, 0);
    assert_int_equal(frame_bitmap_alloc(&fb, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 0, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_free(&fb, 0, 1, &bad), -ERANGE);
    assert_int_equal(frame_bitmap_claim(&fb, 0, 1), -EBUSY);
}

static void test_add_free(void **state)
{
    (void)state;
    make(1000);
    assert_int_equal(frame_bitmap_add_free(&fb, 10, 20), 0);
    assert_int_equal(fb.managed_count, 20);
    assert_int_equal(fb.free_count, 20);
    assert_false(frame_bitmap_is_allocated(&fb, 10));          /* managed but free */

    assert_int_equal(frame_bitmap_add_free(&fb, 25, 10), -EEXIST);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, 11), -EEXIST);
    assert_int_equal(frame_bitmap_add_free(&fb, 5, SIZE_MAX), -EEXIST);
    assert_int_equal(fb.managed_count, 20);
    assert_int_equal(fb.free_count, 20);

    assert_int_equal(frame_bitmap_add_free(&fb, 990, 100), 0);  /* clipped at nframes */
    assert_int_equal(fb.managed_count, 30);
    assert_int_equal(frame_bitmap_add_free(&fb, 1000, 5), 0);   /* wholly past: ignored */
    assert_int_equal(frame_bitmap_add_free(&fb, SIZE_MAX, SIZE_MAX), 0);
    assert_int_equal(frame_bitmap_add_free(&fb, 500, 0), 0);
    assert_int_equal(fb.managed_count, 30);
    assert_int_equal(fb.free_count, 30);
    assert_int_equal(frame_bitmap_add_free(&fb, 30, 960), 0);   /* exactly the gap */
    assert_int_equal(fb.managed_count, 990);
}

/* Every free frame, once each, then all back; twice round, holes included. */
static void test_alloc_all_free_all(void **state)
{
    (void)state;
    const size_t n = 1000;
    make(n);
    assert_int_equal(frame_bitmap_add_free(&fb, 1, 99), 0);
    assert_int_equal(frame_bitmap_add_free(&fb, 128, 472), 0);
    assert_int_equal(frame_bitmap_add_free(&fb, 601, 399), 0);
    const size_t total = 99 + 472 + 399;
    assert_int_equal(fb.free_count, total);

    size_t *got = malloc(total * sizeof(*got));
    bool *seen = calloc(n, 1);
    rng_state = 0xa11;
    for (int round = 0; round < 2; round++) {
        memset(seen, 0, n);
        for (size_t i = 0; i < total; i++) {
            assert_int_equal(frame_bitmap_alloc(&fb, &got[i]), 0);
            size_t f = got[i];
            assert_true(f < n);
            assert_true((f >= 1 && f < 100) || (f >= 128 && f < 600) || f >= 601);
            assert_false(seen[f]);
            seen[f] = true;
            assert_true(frame_bitmap_is_allocated(&fb, f));
            assert_int_equal(fb.free_count, total - i - 1);
        }
        size_t f;
        assert_int_equal(frame_bitmap_alloc(&fb, &f), -ENOMEM);
        assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 0, &f), -ENOMEM);
        for (size_t i = total; i > 1; i--) {            /* free in random order */
            size_t j = rnd_below(i), t = got[i - 1];
            got[i - 1] = got[j];
            got[j] = t;
        }
        for (size_t i = 0; i < total; i++) {
            assert_int_equal(frame_bitmap_free(&fb, got[i], 1, NULL), 0);
            assert_false(frame_bitmap_is_allocated(&fb, got[i]));
        }
        assert_int_equal(fb.free_count, total);
        assert_int_equal(fb.managed_count, total);
    }
    free(got);
    free(seen);
}

static void test_alloc_next_fit(void **state)
{
    (void)state;
    size_t f;
    make(256);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, 256), 0);
    for (size_t i = 0; i < 64; i++) {
        assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
        assert_int_equal(f, i);
    }
    assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
    assert_int_equal(f, 64);
    assert_int_equal(fb.hint, 1);
    /* a frame freed behind the hint waits until the search wraps round */
    assert_int_equal(frame_bitmap_free(&fb, 3, 1, NULL), 0);
    assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
    assert_int_equal(f, 65);
    for (size_t i = 66; i < 256; i++) {
        assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
        assert_int_equal(f, i);
    }
    assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
    assert_int_equal(f, 3);
    assert_int_equal(fb.free_count, 0);
}

static void test_claim(void **state)
{
    (void)state;
    make(1000);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, 100), 0);
    assert_int_equal(frame_bitmap_claim(&fb, 10, 5), 0);
    assert_int_equal(fb.free_count, 95);
    for (size_t i = 10; i < 15; i++)
        assert_true(frame_bitmap_is_allocated(&fb, i));
    assert_false(frame_bitmap_is_allocated(&fb, 15));

    assert_int_equal(frame_bitmap_claim(&fb, 12, 5), -EBUSY);     /* 12..14 taken */
    assert_int_equal(frame_bitmap_claim(&fb, 98, 5), -EBUSY);     /* 100.. unmanaged */
    assert_int_equal(frame_bitmap_claim(&fb, 995, 10), -EBUSY);   /* past the bitmap */
    assert_int_equal(frame_bitmap_claim(&fb, 5, SIZE_MAX), -EBUSY);
    assert_int_equal(frame_bitmap_claim(&fb, SIZE_MAX, 1), -EBUSY);
    assert_int_equal(frame_bitmap_claim(&fb, 50, 0), 0);
    assert_int_equal(fb.free_count, 95);
    assert_false(frame_bitmap_is_allocated(&fb, 15));
    assert_false(frame_bitmap_is_allocated(&fb, 98));

    assert_int_equal(frame_bitmap_claim(&fb, 15, 85), 0);         /* to the end exactly */
    assert_int_equal(fb.free_count, 10);
    assert_int_equal(frame_bitmap_free(&fb, 10, 90, NULL), 0);
    assert_int_equal(fb.free_count, 100);
}

static void test_alloc_run(void **state)
{
    (void)state;
    size_t f = 0;
    make(4096);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, 4096), 0);

    assert_int_equal(frame_bitmap_alloc_run(&fb, 0, 1, 0, &f), -EINVAL);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 3, 0, &f), -EINVAL);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 48, 0, &f), -EINVAL);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 4097, 1, 0, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_alloc_run(&fb, SIZE_MAX, 1, 0, &f), -ENOMEM);

    assert_int_equal(frame_bitmap_claim(&fb, 0, 3), 0);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 10, 0, 0, &f), 0);   /* align 0: any */
    assert_int_equal(f, 3);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 10, 8, 0, &f), 0);
    assert_int_equal(f, 16);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 0, &f), 0);    /* the gap before */
    assert_int_equal(f, 13);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 100, 64, 0, &f), 0); /* across words */
    assert_int_equal(f, 64);
    for (size_t i = 64; i < 164; i++)
        assert_true(frame_bitmap_is_allocated(&fb, i));
    assert_int_equal(fb.free_count, 4096 - 3 - 10 - 10 - 1 - 100);

    /* limit: the last frame must be below it */
    assert_int_equal(frame_bitmap_alloc_run(&fb, 5, 1, 26, &f), -ENOMEM);  /* 14, 15: too short */
    assert_int_equal(frame_bitmap_alloc_run(&fb, 5, 1, 31, &f), 0);
    assert_int_equal(f, 26);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 33, 1, 64, &f), 0);       /* 31..63 exactly */
    assert_int_equal(f, 31);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 164, &f), 0);
    assert_int_equal(f, 14);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 164, &f), 0);
    assert_int_equal(f, 15);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 164, &f), -ENOMEM); /* all taken below */
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 1, 1 << 30, &f), 0);   /* a limit past the end */
    assert_int_equal(f, 164);

    /* an alignment bigger than the bitmap: only frame 0 qualifies */
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, (size_t)1 << 40, 0, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, (size_t)1 << 63, 0, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_free(&fb, 0, 1, NULL), 0);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, (size_t)1 << 63, 0, &f), 0);
    assert_int_equal(f, 0);

    /* the last possible run, flush with the end */
    assert_int_equal(frame_bitmap_alloc_run(&fb, 4096 - 2048, 2048, 0, &f), 0);
    assert_int_equal(f, 2048);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 1, 2048, 0, &f), -ENOMEM);
}

static void test_alloc_run_exact_region(void **state)
{
    (void)state;
    size_t f = 0;
    make(300);
    assert_int_equal(frame_bitmap_add_free(&fb, 100, 10), 0);
    assert_int_equal(frame_bitmap_add_free(&fb, 200, 9), 0);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 10, 1, 109, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 10, 1, 110, &f), 0);
    assert_int_equal(f, 100);
    assert_int_equal(frame_bitmap_alloc_run(&fb, 10, 1, 0, &f), -ENOMEM);   /* 9 left */
    assert_int_equal(frame_bitmap_alloc_run(&fb, 9, 1, 0, &f), 0);
    assert_int_equal(f, 200);
    assert_int_equal(fb.free_count, 0);
}

static void test_free_errors(void **state)
{
    (void)state;
    size_t bad = 12345, f;
    make(1000);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, 100), 0);
    assert_int_equal(frame_bitmap_add_free(&fb, 900, 100), 0);
    for (size_t i = 0; i < 200; i++)
        assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
    assert_int_equal(fb.free_count, 0);

    assert_int_equal(frame_bitmap_free(&fb, 1000, 1, &bad), -ERANGE);
    assert_int_equal(bad, 1000);
    assert_int_equal(frame_bitmap_free(&fb, SIZE_MAX, 1, &bad), -ERANGE);
    assert_int_equal(bad, SIZE_MAX);
    assert_int_equal(frame_bitmap_free(&fb, 950, 100, &bad), -ERANGE);  /* 1000.. past it */
    assert_int_equal(bad, 1000);
    assert_int_equal(frame_bitmap_free(&fb, 950, SIZE_MAX, &bad), -ERANGE);
    assert_int_equal(bad, 1000);
    assert_int_equal(frame_bitmap_free(&fb, 50, 100, &bad), -EFAULT);   /* 100.. unmanaged */
    assert_int_equal(bad, 100);
    assert_int_equal(frame_bitmap_free(&fb, 899, 2, &bad), -EFAULT);
    assert_int_equal(bad, 899);
    assert_int_equal(fb.free_count, 0);
    for (size_t i = 0; i < 100; i++)
        assert_true(frame_bitmap_is_allocated(&fb, i));

    assert_int_equal(frame_bitmap_free(&fb, 50, 10, &bad), 0);
    assert_int_equal(fb.free_count, 10);
    assert_int_equal(frame_bitmap_free(&fb, 55, 10, &bad), -EINVAL);    /* double free */
    assert_int_equal(bad, 55);
    assert_int_equal(frame_bitmap_free(&fb, 45, 10, &bad), -EINVAL);    /* half of it */
    assert_int_equal(bad, 50);
    for (size_t i = 45; i < 50; i++)                                   /* nothing changed */
        assert_true(frame_bitmap_is_allocated(&fb, i));
    assert_int_equal(frame_bitmap_free(&fb, 0, SIZE_MAX, &bad), -EINVAL);
    assert_int_equal(bad, 50);
    /* the first offending frame decides: a double free before unmanaged frames */
    assert_int_equal(frame_bitmap_free(&fb, 59, 50, &bad), -EINVAL);
    assert_int_equal(bad, 59);
    assert_int_equal(fb.free_count, 10);

    assert_int_equal(frame_bitmap_free(&fb, 55, 10, NULL), -EINVAL);   /* bad may be NULL */
    assert_int_equal(frame_bitmap_free(&fb, 5000, 1, NULL), -ERANGE);
    bad = 777;
    assert_int_equal(frame_bitmap_free(&fb, 55, 0, &bad), 0);           /* nothing to free */
    assert_int_equal(bad, 777);
    assert_int_equal(frame_bitmap_free(&fb, 960, 40, &bad), 0);
    assert_int_equal(fb.free_count, 50);
}

/* 2^20 frames (4 GiB): one at a time, all of them, must stay fast. */
static void test_large(void **state)
{
    (void)state;
    const size_t n = (size_t)1 << 20;
    size_t f;
    make(n);
    assert_int_equal(frame_bitmap_add_free(&fb, 0, n), 0);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(frame_bitmap_alloc(&fb, &f), 0);
        if (f != i)
            fail_msg("alloc %zu gave %zu", i, f);
    }
    assert_int_equal(frame_bitmap_alloc(&fb, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_free(&fb, 0, n, NULL), 0);
    assert_int_equal(fb.free_count, n);
    assert_int_equal(frame_bitmap_alloc_run(&fb, n / 2, n / 2, 0, &f), 0);
    assert_int_equal(f, 0);
    assert_int_equal(frame_bitmap_alloc_run(&fb, n / 2 + 1, 1, 0, &f), -ENOMEM);
    assert_int_equal(frame_bitmap_alloc_run(&fb, n / 2, 1, 0, &f), 0);
    assert_int_equal(f, n / 2);
    assert_int_equal(fb.free_count, 0);
}

/* --- randomized, against a model -------------------------------------------- */

#define MODEL_FRAMES    3001

static bool m_managed[MODEL_FRAMES], m_used[MODEL_FRAMES];

static size_t model_free_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < MODEL_FRAMES; i++)
        n += m_managed[i] && !m_used[i];
    return n;
}

static size_t model_managed_count(void)
{
    size_t n = 0;
    for (size_t i = 0; i < MODEL_FRAMES; i++)
        n += m_managed[i];
    return n;
}

static bool model_run_ok(size_t s, size_t count)
{
    for (size_t i = s; i < s + count; i++)
        if (!m_managed[i] || m_used[i])
            return false;
    return true;
}

/* The lowest start a run may take, or SIZE_MAX. */
static size_t model_run(size_t count, size_t align, size_t limit)
{
    size_t lim = (limit == 0 || limit > MODEL_FRAMES) ? MODEL_FRAMES : limit;
    if (align == 0)
        align = 1;
    for (size_t s = 0; s + count <= lim; s += align)
        if (model_run_ok(s, count))
            return s;
    return SIZE_MAX;
}

static void check_model(void)
{
    assert_int_equal(fb.free_count, model_free_count());
    assert_int_equal(fb.managed_count, model_managed_count());
    for (size_t i = 0; i < MODEL_FRAMES; i++) {
        bool alloc = m_managed[i] && m_used[i];
        if (frame_bitmap_is_allocated(&fb, i) != alloc)
            fail_msg("frame %zu: allocated %d, model %d", i, !alloc, alloc);
    }
}

/* A random range, sometimes reaching past the bitmap or wrapping. */
static void random_range(size_t *first, size_t *count)
{
    switch (rnd_below(16)) {
    case 0: *first = MODEL_FRAMES + rnd_below(3); break;
    case 1: *first = SIZE_MAX - rnd_below(3); break;
    default: *first = rnd_below(MODEL_FRAMES + 20); break;
    }
    switch (rnd_below(8)) {
    case 0: *count = 0; break;
    case 1: *count = SIZE_MAX - rnd_below(3); break;
    case 2: *count = rnd_below(400); break;
    default: *count = 1 + rnd_below(12); break;
    }
}

struct held {
    size_t first, count;
};

static void test_random_model(void **state)
{
    (void)state;
    static struct held held[4096];
    size_t nheld = 0;
    /* outcomes seen: the test must reach each of them */
    enum { ADD_OK, ADD_EEXIST, ALLOC_OK, ALLOC_NOMEM, RUN_OK, RUN_NOMEM, FREE_OK, FREE_EINVAL,
           FREE_EFAULT, FREE_ERANGE, CLAIM_OK, CLAIM_BUSY, OUTCOMES };
    unsigned seen[OUTCOMES] = { 0 };

    rng_state = 0xf4a3e;
    make(MODEL_FRAMES);
    memset(m_managed, 0, sizeof(m_managed));
    memset(m_used, 0, sizeof(m_used));

    for (int op = 0; op < 40000; op++) {
        size_t first, count, f = SIZE_MAX, bad = SIZE_MAX;
        int rc;

        size_t pick = rnd_below(op < 200 ? 2 : 16);
        bool filling = (op / 1000) % 4 == 3;    /* phases without frees run memory out */
        if (filling && pick >= 8 && pick <= 13)
            pick = 1 + pick % 2 * 4;            /* a frame or a run instead */

        switch (pick) {
        case 0: {       /* hand over a range */
            random_range(&first, &count);
            if (count > 300)
                count = 1 + rnd_below(300);
            size_t end = first >= MODEL_FRAMES ? first
                       : count > MODEL_FRAMES - first ? MODEL_FRAMES : first + count;
            bool clash = false;
            for (size_t i = first; i < end; i++)
                clash |= m_managed[i];
            rc = frame_bitmap_add_free(&fb, first, count);
            assert_int_equal(rc, clash ? -EEXIST : 0);
            seen[clash ? ADD_EEXIST : ADD_OK]++;
            if (!clash)
                for (size_t i = first; i < end; i++)
                    m_managed[i] = true;
            break;
        }
        case 1:
        case 2:
        case 3:
        case 4: {       /* one frame */
            size_t want_free = model_free_count();
            rc = frame_bitmap_alloc(&fb, &f);
            assert_int_equal(rc, want_free ? 0 : -ENOMEM);
            seen[rc ? ALLOC_NOMEM : ALLOC_OK]++;
            if (rc == 0) {
                assert_true(f < MODEL_FRAMES && m_managed[f] && !m_used[f]);
                m_used[f] = true;
                if (nheld < ARRAY_SIZE(held))
                    held[nheld++] = (struct held){ f, 1 };
            }
            break;
        }
        case 5:
        case 6:
        case 7: {       /* a run */
            static const size_t aligns[] = { 0, 1, 1, 2, 4, 8, 16, 64, 128, 1024, 4096 };
            count = rnd_below(10) == 0 ? 1 + rnd_below(300) : 1 + rnd_below(24);
            size_t align = aligns[rnd_below(ARRAY_SIZE(aligns))];
            size_t limit = rnd_below(3) == 0 ? 0 : rnd_below(MODEL_FRAMES + 100);
            size_t want = model_run(count, align, limit);
            rc = frame_bitmap_alloc_run(&fb, count, align, limit, &f);
            seen[want == SIZE_MAX ? RUN_NOMEM : RUN_OK]++;
            if (want == SIZE_MAX) {
                assert_int_equal(rc, -ENOMEM);
            } else {
                assert_int_equal(rc, 0);
                if (f != want)
                    fail_msg("run %zu align %zu limit %zu: %zu, model %zu", count, align,
                             limit, f, want);
                for (size_t i = f; i < f + count; i++)
                    m_used[i] = true;
                if (nheld < ARRAY_SIZE(held))
                    held[nheld++] = (struct held){ f, count };
            }
            break;
        }
        case 8:
        case 9:
        case 10:
        case 11:        /* give back something held */
            if (nheld == 0)
                break;
            {
                size_t k = rnd_below(nheld);
                struct held h = held[k];
                held[k] = held[--nheld];
                bool still = true;      /* a random free may have taken part of it */
                for (size_t i = h.first; i < h.first + h.count; i++)
                    still &= m_used[i];
                rc = frame_bitmap_free(&fb, h.first, h.count, &bad);
                seen[still ? FREE_OK : FREE_EINVAL]++;
                if (still) {
                    assert_int_equal(rc, 0);
                    for (size_t i = h.first; i < h.first + h.count; i++)
                        m_used[i] = false;
                } else {
                    assert_int_equal(rc, -EINVAL);
                }
            }
            break;
        case 12:
        case 13: {      /* free anything: mostly errors */
            random_range(&first, &count);
            size_t want_bad = SIZE_MAX;
            int want = 0;
            if (count != 0) {
                size_t end = first >= MODEL_FRAMES ? first
                           : count > MODEL_FRAMES - first ? MODEL_FRAMES : first + count;
                for (size_t i = first; i < end && want == 0; i++)
                    if (!m_managed[i] || !m_used[i]) {
                        want = m_managed[i] ? -EINVAL : -EFAULT;
                        want_bad = i;
                    }
                if (want == 0 && (first >= MODEL_FRAMES || count > MODEL_FRAMES - first)) {
                    want = -ERANGE;
                    want_bad = first >= MODEL_FRAMES ? first : MODEL_FRAMES;
                }
            }
            rc = frame_bitmap_free(&fb, first, count, &bad);
            assert_int_equal(rc, want);
            seen[want == 0 ? FREE_OK : want == -EINVAL ? FREE_EINVAL
                 : want == -EFAULT ? FREE_EFAULT : FREE_ERANGE]++;
            if (want != 0) {
                assert_int_equal(bad, want_bad);
            } else {
                for (size_t i = first; count && i < first + count; i++)
                    m_used[i] = false;
            }
            break;
        }
        default: {      /* claim */
            random_range(&first, &count);
            int want = 0;
            if (count != 0) {
                if (first >= MODEL_FRAMES || count > MODEL_FRAMES - first)
                    want = -EBUSY;
                else if (!model_run_ok(first, count))
                    want = -EBUSY;
            }
            rc = frame_bitmap_claim(&fb, first, count);
            assert_int_equal(rc, want);
            seen[want ? CLAIM_BUSY : CLAIM_OK]++;
            if (want == 0 && count) {
                for (size_t i = first; i < first + count; i++)
                    m_used[i] = true;
                if (nheld < ARRAY_SIZE(held))
                    held[nheld++] = (struct held){ first, count };
            }
            break;
        }
        }
        assert_int_equal(fb.free_count, model_free_count());
        if (op % 500 == 0)
            check_model();
    }
    check_model();
    for (int i = 0; i < OUTCOMES; i++) {
        if (seen[i] < 20)
            fail_msg("outcome %d seen only %u times", i, seen[i]);
    }
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_words),
        T(test_init),
        T(test_add_free),
        T(test_alloc_all_free_all),
        T(test_alloc_next_fit),
        T(test_claim),
        T(test_alloc_run),
        T(test_alloc_run_exact_region),
        T(test_free_errors),
        T(test_large),
        T(test_random_model),
    };
    return cmocka_run_group_tests_name("mm/frame_bitmap", tests, NULL, NULL);
}
