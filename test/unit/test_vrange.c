/*
 * test/unit/test_vrange.c - host tests for src/mm/vrange.c.
 *
 * Window set-up and its errors, first fit, aligned allocations that split
 * an extent, frees merging with either or both neighbours, double and
 * overlapping frees, a full extent array (on alloc and on free), and two
 * randomized tests against a page-by-page model: with ample extents the
 * result must be exactly the lowest aligned fit; with very few, whatever
 * happens must still agree with the model. The extent array is a heap
 * block of exactly `capacity` entries, so AddressSanitizer sees overruns.
 */
#include "unit.h"
#include <mm/vrange.h>

#define PG      4096ull
#define WIN     0xffffc00000000000ull       /* the vmalloc window's base */

static struct vrange v;
static struct vrange_extent *ext;

static void make(size_t capacity, uint64_t base, uint64_t size)
{
    free(ext);
    ext = malloc((capacity ? capacity : 1) * sizeof(*ext));
    memset(&v, 0x5a, sizeof(v));
    assert_int_equal(vrange_init(&v, ext, capacity, base, size), 0);
}

static int teardown(void **state)
{
    (void)state;
    free(ext);
    ext = NULL;
    return 0;
}

/* sorted, disjoint, never touching, inside the window, adding up */
static void check_invariants(void)
{
    uint64_t sum = 0;
    assert_true(v.count <= v.capacity);
    for (size_t i = 0; i < v.count; i++) {
        const struct vrange_extent *e = &v.free[i];
        assert_true(e->size > 0);
        assert_true(e->base % PG == 0 && e->size % PG == 0);
        assert_true(e->base >= v.window_base);
        assert_true(e->base - v.window_base + e->size <= v.window_size);
        if (i > 0)
            assert_true(v.free[i - 1].base + v.free[i - 1].size < e->base);
        sum += e->size;
    }
    assert_int_equal(sum, v.free_bytes);
}

static void expect_extents(const struct vrange_extent *want, size_t n)
{
    check_invariants();
    assert_int_equal(v.count, n);
    for (size_t i = 0; i < n; i++) {
        if (v.free[i].base != want[i].base || v.free[i].size != want[i].size)
            fail_msg("extent %zu: %#lx+%#lx, want %#lx+%#lx", i, (unsigned long)v.free[i].base,
                     (unsigned long)v.free[i].size, (unsigned long)want[i].base,
                     (unsigned long)want[i].size);
    }
}

static void test_init(void **state)
{
    (void)state;
    struct vrange_extent one[1];
    struct vrange w;

    assert_int_equal(vrange_init(&w, NULL, 4, WIN, 16 * PG), -EINVAL);
    assert_int_equal(vrange_init(&w, one, 0, WIN, 16 * PG), -EINVAL);
    assert_int_equal(vrange_init(&w, one, 1, WIN, 0), -EINVAL);
    assert_int_equal(vrange_init(&w, one, 1, WIN + 1, 16 * PG), -EINVAL);
    assert_int_equal(vrange_init(&w, one, 1, WIN, 16 * PG + 512), -EINVAL);
    assert_int_equal(vrange_init(&w, one, 1, 0ull - PG, PG), -EINVAL);        /* ends at 2^64 */
    assert_int_equal(vrange_init(&w, one, 1, 0ull - 2 * PG, 4 * PG), -EINVAL);
    /* a failed init leaves an allocator that gives nothing and takes nothing */
    uint64_t out = 42;
    assert_int_equal(vrange_alloc(&w, PG, PG, &out), -ENOMEM);
    assert_int_equal(out, 42);
    assert_int_equal(vrange_free(&w, WIN, PG), -EINVAL);

    assert_int_equal(vrange_init(&w, one, 1, 0, PG), 0);                  /* address 0 is fine */
    assert_int_equal(vrange_init(&w, one, 1, 0ull - 2 * PG, PG), 0);     /* the highest possible */
    assert_int_equal(w.count, 1);
    assert_int_equal(w.free_bytes, PG);
    assert_int_equal(w.window_base, 0ull - 2 * PG);
    assert_int_equal(w.window_size, PG);
    assert_int_equal(vrange_alloc(&w, PG, PG, &out), 0);
    assert_int_equal(out, 0ull - 2 * PG);
    assert_int_equal(vrange_free(&w, out, PG), 0);
}

static void test_alloc_args(void **state)
{
    (void)state;
    uint64_t out = 42;
    make(4, WIN, 64 * PG);
    assert_int_equal(vrange_alloc(&v, 0, PG, &out), -EINVAL);
    assert_int_equal(vrange_alloc(&v, 100, PG, &out), -EINVAL);
    assert_int_equal(vrange_alloc(&v, PG + 1, PG, &out), -EINVAL);
    assert_int_equal(vrange_alloc(&v, PG, 0, &out), -EINVAL);
    assert_int_equal(vrange_alloc(&v, PG, 2048, &out), -EINVAL);
    assert_int_equal(vrange_alloc(&v, PG, 3 * PG, &out), -EINVAL);
    assert_int_equal(vrange_alloc(&v, 65 * PG, PG, &out), -ENOMEM);
    assert_int_equal(vrange_alloc(&v, 0ull - PG, PG, &out), -ENOMEM);
    assert_int_equal(vrange_alloc(&v, PG, 1ull << 63, &out), -ENOMEM);     /* WIN is not 2^63 aligned */
    assert_int_equal(out, 42);
    assert_int_equal(v.free_bytes, 64 * PG);

    assert_int_equal(vrange_alloc(&v, 64 * PG, PG, &out), 0);               /* the whole window */
    assert_int_equal(out, WIN);
    assert_int_equal(v.count, 0);
    assert_int_equal(v.free_bytes, 0);
    assert_int_equal(vrange_alloc(&v, PG, PG, &out), -ENOMEM);
    assert_int_equal(vrange_free(&v, WIN, 64 * PG), 0);
    const struct vrange_extent want[] = { { WIN, 64 * PG } };
    expect_extents(want, 1);
}

static void test_first_fit(void **state)
{
    (void)state;
    uint64_t a, b, c, d;
    make(8, WIN, 1ull << 30);
    assert_int_equal(vrange_alloc(&v, PG, PG, &a), 0);
    assert_int_equal(vrange_alloc(&v, 2 * PG, PG, &b), 0);
    assert_int_equal(vrange_alloc(&v, 3 * PG, PG, &c), 0);
    assert_int_equal(a, WIN);
    assert_int_equal(b, WIN + PG);
    assert_int_equal(c, WIN + 3 * PG);
    assert_int_equal(v.free_bytes, (1ull << 30) - 6 * PG);

    assert_int_equal(vrange_free(&v, b, 2 * PG), 0);
    assert_int_equal(vrange_alloc(&v, 3 * PG, PG, &d), 0);     /* the hole is too small */
    assert_int_equal(d, WIN + 6 * PG);
    assert_int_equal(vrange_alloc(&v, PG, PG, &d), 0);         /* first fit: the hole */
    assert_int_equal(d, b);
    assert_int_equal(vrange_alloc(&v, PG, PG, &d), 0);
    assert_int_equal(d, b + PG);
    const struct vrange_extent want[] = { { WIN + 9 * PG, (1ull << 30) - 9 * PG } };
    expect_extents(want, 1);
}

static void test_aligned_split(void **state)
{
    (void)state;
    uint64_t a, b;
    const uint64_t M2 = 2ull << 20, base = WIN + PG, size = 16ull << 20;
    make(4, base, size);
    assert_int_equal(vrange_alloc(&v, M2, M2, &a), 0);
    assert_int_equal(a, WIN + M2);
    const struct vrange_extent want[] = {
        { base, M2 - PG }, { WIN + 2 * M2, base + size - (WIN + 2 * M2) },
    };
    expect_extents(want, 2);
    /* alignment only: from the start of the first extent that fits */
    assert_int_equal(vrange_alloc(&v, PG, 64 * PG, &b), 0);
    assert_int_equal(b, WIN + 64 * PG);
    assert_int_equal(v.count, 3);
    assert_int_equal(vrange_free(&v, b, PG), 0);
    assert_int_equal(vrange_free(&v, a, M2), 0);                /* joins both sides */
    const struct vrange_extent whole[] = { { base, size } };
    expect_extents(whole, 1);
    /* an aligned piece at the very start: only a tail remains */
    assert_int_equal(vrange_alloc(&v, PG, PG, &a), 0);
    assert_int_equal(a, base);
    assert_int_equal(v.count, 1);
}

static void test_free_merging(void **state)
{
    (void)state;
    uint64_t p[6];
    make(8, WIN, 16 * PG);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(vrange_alloc(&v, 2 * PG, PG, &p[i]), 0);
        assert_int_equal(p[i], WIN + (uint64_t)i * 2 * PG);
    }
    /* free: [12, 16) */
    assert_int_equal(vrange_free(&v, p[1], 2 * PG), 0);         /* alone */
    assert_int_equal(v.count, 2);
    assert_int_equal(vrange_free(&v, p[0], 2 * PG), 0);         /* joins the next */
    assert_int_equal(v.count, 2);
    assert_int_equal(vrange_free(&v, p[4], 2 * PG), 0);         /* alone, in the middle */
    assert_int_equal(v.count, 3);
    assert_int_equal(vrange_free(&v, p[5], 2 * PG), 0);         /* joins both */
    assert_int_equal(v.count, 2);
    assert_int_equal(vrange_free(&v, p[2], 2 * PG), 0);         /* joins the previous */
    const struct vrange_extent want[] = { { WIN, 6 * PG }, { WIN + 8 * PG, 8 * PG } };
    expect_extents(want, 2);
    /* partial frees of an allocation are allowed */
    assert_int_equal(vrange_free(&v, p[3] + PG, PG), 0);
    assert_int_equal(vrange_free(&v, p[3], PG), 0);
    const struct vrange_extent whole[] = { { WIN, 16 * PG } };
    expect_extents(whole, 1);
}

static void test_free_errors(void **state)
{
    (void)state;
    uint64_t a, b;
    make(8, WIN, 16 * PG);
    assert_int_equal(vrange_alloc(&v, 4 * PG, PG, &a), 0);
    assert_int_equal(vrange_alloc(&v, 4 * PG, PG, &b), 0);
    assert_int_equal(vrange_free(&v, a, 4 * PG), 0);
    uint64_t free_bytes = v.free_bytes;
    size_t count = v.count;

    assert_int_equal(vrange_free(&v, a, 4 * PG), -EINVAL);      /* double free */
    assert_int_equal(vrange_free(&v, a + PG, PG), -EINVAL);     /* inside free space */
    assert_int_equal(vrange_free(&v, b - PG, 2 * PG), -EINVAL); /* straddles free/allocated */
    assert_int_equal(vrange_free(&v, b + 3 * PG, 2 * PG), -EINVAL);
    assert_int_equal(vrange_free(&v, b, 0), -EINVAL);
    assert_int_equal(vrange_free(&v, b + 1, PG), -EINVAL);
    assert_int_equal(vrange_free(&v, b, PG - 1), -EINVAL);
    assert_int_equal(vrange_free(&v, WIN - PG, PG), -EINVAL);   /* below the window */
    assert_int_equal(vrange_free(&v, WIN - PG, 2 * PG), -EINVAL);
    assert_int_equal(vrange_free(&v, WIN + 16 * PG, PG), -EINVAL); /* above it */
    assert_int_equal(vrange_free(&v, WIN + 15 * PG, 2 * PG), -EINVAL);
    assert_int_equal(vrange_free(&v, b, 0ull - PG), -EINVAL);   /* wraps */
    assert_int_equal(vrange_free(&v, 0ull - PG, PG), -EINVAL);
    assert_int_equal(v.free_bytes, free_bytes);
    assert_int_equal(v.count, count);
    assert_int_equal(vrange_free(&v, b, 4 * PG), 0);
    const struct vrange_extent whole[] = { { WIN, 16 * PG } };
    expect_extents(whole, 1);
}

static void test_capacity_free(void **state)
{
    (void)state;
    uint64_t p[16];
    make(2, WIN, 16 * PG);
    for (int i = 0; i < 16; i++)
        assert_int_equal(vrange_alloc(&v, PG, PG, &p[i]), 0);
    assert_int_equal(v.count, 0);
    assert_int_equal(vrange_free(&v, p[1], PG), 0);
    assert_int_equal(vrange_free(&v, p[5], PG), 0);
    assert_int_equal(vrange_free(&v, p[9], PG), -ENOSPC);       /* a third extent */
    assert_int_equal(v.free_bytes, 2 * PG);
    assert_int_equal(v.count, 2);
    assert_int_equal(vrange_free(&v, p[2], PG), 0);             /* joins: no slot needed */
    assert_int_equal(vrange_free(&v, p[4], PG), 0);
    assert_int_equal(vrange_free(&v, p[3], PG), 0);             /* joins both: frees a slot */
    assert_int_equal(v.count, 1);
    assert_int_equal(vrange_free(&v, p[9], PG), 0);             /* now it fits */
    /* p[9] came back; nothing else did */
    uint64_t a;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(vrange_alloc(&v, PG, PG, &a), 0);
        assert_int_equal(a, p[i + 1]);
    }
    assert_int_equal(vrange_alloc(&v, PG, PG, &a), 0);
    assert_int_equal(a, p[9]);
    assert_int_equal(vrange_alloc(&v, PG, PG, &a), -ENOMEM);
}

static void test_capacity_alloc(void **state)
{
    (void)state;
    uint64_t a;
    const uint64_t M2 = 2ull << 20;
    /* one slot, a split needed, the end not aligned: nothing fits */
    make(1, WIN + PG, 16ull << 20);
    assert_int_equal(vrange_alloc(&v, M2, M2, &a), -ENOMEM);
    assert_int_equal(v.free_bytes, 16ull << 20);
    /* one slot, the end aligned: the allocation goes flush with it */
    make(1, WIN + PG, (16ull << 20) - PG);
    assert_int_equal(vrange_alloc(&v, M2, M2, &a), 0);
    assert_int_equal(a, WIN + (14ull << 20));
    const struct vrange_extent want[] = { { WIN + PG, (14ull << 20) - PG } };
    expect_extents(want, 1);
    /* and the next goes below it, again flush with the end */
    assert_int_equal(vrange_alloc(&v, M2, M2, &a), 0);
    assert_int_equal(a, WIN + (12ull << 20));
    /* with two slots the usual split happens, in the lowest place */
    make(2, WIN + PG, 16ull << 20);
    assert_int_equal(vrange_alloc(&v, M2, M2, &a), 0);
    assert_int_equal(a, WIN + M2);
    assert_int_equal(v.count, 2);
    /* now full: no split of the first extent, so the aligned start of the next */
    assert_int_equal(vrange_alloc(&v, PG, 64 * PG, &a), 0);
    assert_int_equal(a, WIN + 2 * M2);
    assert_int_equal(vrange_alloc(&v, PG, PG, &a), 0);
    assert_int_equal(a, WIN + PG);
    check_invariants();
}

/* --- randomized, against a model -------------------------------------------- */

#define NPAGES  512

static bool page_free[NPAGES];

/* The lowest aligned fit of `pages` pages, or -1. WIN is aligned to far more. */
static long model_fit(uint64_t pages, uint64_t align_pages)
{
    for (uint64_t s = 0; s + pages <= NPAGES; s += align_pages) {
        bool ok = true;
        for (uint64_t i = s; i < s + pages && ok; i++)
            ok = page_free[i];
        if (ok)
            return (long)s;
    }
    return -1;
}

/* The extents must be exactly the model's free pages. */
static void check_against_model(void)
{
    check_invariants();
    size_t e = 0;
    for (uint64_t pg = 0; pg < NPAGES; pg++) {
        uint64_t a = WIN + pg * PG;
        while (e < v.count && v.free[e].base + v.free[e].size <= a)
            e++;
        bool in = e < v.count && v.free[e].base <= a;
        if (in != page_free[pg])
            fail_msg("page %lu: free %d, model %d", (unsigned long)pg, in, page_free[pg]);
    }
}

static void random_test(size_t capacity, int ops, bool exact)
{
    static const uint64_t aligns[] = { 1, 1, 1, 2, 4, 8, 16, 64, 512, 1024 };
    static uint64_t held[NPAGES][2];
    size_t nheld = 0;
    unsigned allocs = 0, nomem = 0, frees = 0, rejected = 0, nospc = 0;

    make(capacity, WIN, NPAGES * PG);
    for (size_t i = 0; i < NPAGES; i++)
        page_free[i] = true;

    for (int op = 0; op < ops; op++) {
        uint64_t out = 0;
        int rc;
        unsigned pick = (unsigned)rnd_below(10);

        if (pick < 5) {
            uint64_t pages = rnd_below(8) == 0 ? 1 + rnd_below(64) : 1 + rnd_below(6);
            uint64_t align = aligns[rnd_below(ARRAY_SIZE(aligns))];
            long want = model_fit(pages, align);
            size_t count_before = v.count;
            rc = vrange_alloc(&v, pages * PG, align * PG, &out);
            if (rc == 0) {
                allocs++;
                assert_true(want >= 0);
                assert_true(out % (align * PG) == 0);
                assert_true(out >= WIN && out + pages * PG <= WIN + NPAGES * PG);
                uint64_t s = (out - WIN) / PG;
                if (exact && s != (uint64_t)want)
                    fail_msg("alloc %lu pages align %lu: page %lu, model %ld",
                             (unsigned long)pages, (unsigned long)align, (unsigned long)s, want);
                for (uint64_t i = s; i < s + pages; i++) {
                    assert_true(page_free[i]);
                    page_free[i] = false;
                }
                held[nheld][0] = out;
                held[nheld][1] = pages * PG;
                nheld++;
            } else {
                nomem++;
                assert_int_equal(rc, -ENOMEM);
                /* a fit may be refused only for want of a slot to split into */
                if (want >= 0 && (exact || count_before < capacity))
                    fail_msg("alloc %lu pages align %lu refused; model fits at %ld",
                             (unsigned long)pages, (unsigned long)align, want);
            }
        } else if (pick < 8 && nheld > 0) {     /* give something back, maybe a part */
            size_t k = rnd_below(nheld);
            uint64_t base = held[k][0], size = held[k][1];
            if (size > PG && rnd_below(4) == 0) {
                uint64_t cut = (1 + rnd_below(size / PG - 1)) * PG;
                held[k][0] += cut;
                held[k][1] -= cut;
                size = cut;
            } else {
                held[k][0] = held[--nheld][0];
                held[k][1] = held[nheld][1];
            }
            rc = vrange_free(&v, base, size);
            uint64_t s = (base - WIN) / PG;
            if (rc == -ENOSPC && !exact) {
                nospc++;                        /* stays allocated: keep holding it */
                held[nheld][0] = base;
                held[nheld][1] = size;
                nheld++;
            } else {
                assert_int_equal(rc, 0);
                frees++;
                for (uint64_t i = s; i < s + size / PG; i++)
                    page_free[i] = true;
            }
        } else {                                /* free anything: checked against the model */
            uint64_t s = rnd_below(NPAGES + 8), n = rnd_below(6);
            uint64_t base = WIN + s * PG - (rnd_below(8) == 0 ? PG * 8 : 0);
            bool in_window = base >= WIN && n > 0 && base + n * PG <= WIN + NPAGES * PG;
            bool all_held = in_window;
            for (uint64_t i = 0; all_held && i < n; i++)
                all_held = !page_free[(base - WIN) / PG + i];
            rc = vrange_free(&v, base, n * PG);
            if (!all_held) {
                assert_int_equal(rc, -EINVAL);
                rejected++;
            } else if (rc == -ENOSPC && !exact) {
                nospc++;
            } else {
                /* freed parts of held blocks: keep holding what is left of them */
                assert_int_equal(rc, 0);
                frees++;
                uint64_t end = base + n * PG;
                for (uint64_t i = 0; i < n; i++)
                    page_free[(base - WIN) / PG + i] = true;
                for (size_t k = 0; k < nheld;) {
                    uint64_t hs = held[k][0], he = hs + held[k][1];
                    if (he <= base || end <= hs) {
                        k++;
                        continue;
                    }
                    held[k][0] = held[--nheld][0];
                    held[k][1] = held[nheld][1];
                    if (hs < base) {
                        held[nheld][0] = hs;
                        held[nheld][1] = base - hs;
                        nheld++;
                    }
                    if (end < he) {
                        held[nheld][0] = end;
                        held[nheld][1] = he - end;
                        nheld++;
                    }
                }
            }
        }
        check_invariants();
        if (op % 64 == 0)
            check_against_model();
        /* now and then give everything back, to start over fragmented differently */
        if (nheld == 0 || (op % 5000 == 4999)) {
            for (size_t k = 0; k < nheld; k++) {
                rc = vrange_free(&v, held[k][0], held[k][1]);
                if (rc == 0)
                    for (uint64_t i = 0; i < held[k][1] / PG; i++)
                        page_free[(held[k][0] - WIN) / PG + i] = true;
            }
            nheld = 0;
        }
    }
    check_against_model();
    assert_true(allocs > 100 && nomem > 20 && frees > 100 && rejected > 100);
    if (!exact)
        assert_true(nospc > 0);
}

static void test_random_model(void **state)
{
    (void)state;
    rng_state = 0x7a46e;
    random_test(NPAGES / 2 + 2, 30000, true);       /* never short of extents */
}

static void test_random_small_capacity(void **state)
{
    (void)state;
    rng_state = 0x5ca1e;
    random_test(4, 30000, false);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init),
        T(test_alloc_args),
        T(test_first_fit),
        T(test_aligned_split),
        T(test_free_merging),
        T(test_free_errors),
        T(test_capacity_free),
        T(test_capacity_alloc),
        T(test_random_model),
        T(test_random_small_capacity),
    };
    return cmocka_run_group_tests_name("mm/vrange", tests, NULL, NULL);
}
