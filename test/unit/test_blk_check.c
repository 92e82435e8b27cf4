/*
 * test/unit/test_blk_check.c - host tests for src/dev/blk_check.c (the
 * block layer's pure rules).
 *
 * Checks name prefixes, the disk fields blk_register accepts, every error
 * of a transfer and of a single request (and which one wins when several
 * apply), the edges of the range check (the last sector, one past it, and
 * lba + count wrapping around 2^64), how transfers are cut into whole
 * blocks, name picking per prefix, sizes as text, scatter-gather requests
 * and blk_batch's merge planner. The registry and the
 * request path around these are tested in the kernel (blk.* ktests).
 */
#include "unit.h"
#include <dev/blk_check.h>

static int fake_submit(struct blk_dev *dev, struct blk_request *rq)
{
    (void)dev;
    (void)rq;
    return 0;
}

static const struct blk_dev_ops ops = { .submit = fake_submit };
static const struct blk_dev_ops no_submit = { .submit = NULL };
static uint8_t buf[4096];

static struct blk_dev disk(uint64_t sectors, uint32_t block_size, uint32_t max_sectors)
{
    return (struct blk_dev){ .sectors = sectors, .block_size = block_size,
                             .max_sectors = max_sectors, .ops = &ops };
}

static void done(struct blk_request *rq)
{
    (void)rq;
}

static int request(const struct blk_dev *d, enum blk_op op, uint64_t lba, uint32_t count)
{
    struct blk_request rq = { .op = op, .lba = lba, .count = count, .buf = buf, .done = done };

    return blk_check_request(d, &rq);
}

static void test_prefix(void **state)
{
    (void)state;
    assert_int_equal(blk_check_prefix("vd"), 0);
    assert_int_equal(blk_check_prefix("r"), 0);
    assert_int_equal(blk_check_prefix("abcdef"), 0);         /* 6 + letter + NUL = 8 */
    assert_int_equal(blk_check_prefix("abcdefg"), -EINVAL);
    assert_int_equal(blk_check_prefix(""), -EINVAL);
    assert_int_equal(blk_check_prefix(NULL), -EINVAL);
    assert_int_equal(blk_check_prefix("Vd"), -EINVAL);
    assert_int_equal(blk_check_prefix("v1"), -EINVAL);
    assert_int_equal(blk_check_prefix("v-"), -EINVAL);
    assert_int_equal(blk_check_prefix("v d"), -EINVAL);
}

static void test_disk_fields(void **state)
{
    static const struct { uint64_t sectors; uint32_t block_size, max_sectors; int want; } cases[] = {
        { 64, 512, 8, 0 },
        { 1, 512, 1, 0 },
        { 64, 4096, 8, 0 },
        { 128, 65536, 128, 0 },
        { 0, 512, 8, -EINVAL },                 /* no capacity */
        { 1024, 0, 1024, -EINVAL },             /* block sizes that are not 512 * 2^k <= 64 KiB */
        { 1024, 1, 1024, -EINVAL },
        { 1024, 256, 1024, -EINVAL },
        { 1024, 511, 1024, -EINVAL },
        { 1024, 513, 1024, -EINVAL },
        { 1024, 1000, 1024, -EINVAL },
        { 1024, 1536, 1024, -EINVAL },
        { 1024, 3072, 1024, -EINVAL },
        { 1024, 131072, 1024, -EINVAL },
        { 1024, 0x80000000u, 1024, -EINVAL },
        { 12, 4096, 8, -EINVAL },               /* 1.5 blocks */
        { 64, 4096, 7, -EINVAL },               /* less than a block per request */
        { 64, 512, 0, -EINVAL },
    };
    struct blk_dev d;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        d = disk(cases[i].sectors, cases[i].block_size, cases[i].max_sectors);
        assert_int_equal(blk_check_disk(&d), cases[i].want);
    }
    assert_int_equal(blk_check_disk(NULL), -EINVAL);
    d = disk(64, 512, 8);
    d.ops = NULL;
    assert_int_equal(blk_check_disk(&d), -EINVAL);
    d.ops = &no_submit;
    assert_int_equal(blk_check_disk(&d), -EINVAL);
}

static void test_range(void **state)
{
    struct blk_dev d = disk(64, 512, 8);

    (void)state;
    assert_int_equal(request(&d, BLK_OP_READ, 0, 8), 0);
    assert_int_equal(request(&d, BLK_OP_READ, 63, 1), 0);    /* the last sector */
    assert_int_equal(request(&d, BLK_OP_WRITE, 56, 8), 0);   /* ends exactly at the end */
    assert_int_equal(request(&d, BLK_OP_READ, 64, 1), -ERANGE);
    assert_int_equal(request(&d, BLK_OP_READ, 63, 2), -ERANGE);
    assert_int_equal(request(&d, BLK_OP_WRITE, 57, 8), -ERANGE);
    assert_int_equal(request(&d, BLK_OP_READ, UINT64_MAX, 1), -ERANGE);
    /* lba + count wraps to a small number: a naive lba + count > sectors passes it */
    assert_int_equal(request(&d, BLK_OP_READ, UINT64_MAX - 1, 4), -ERANGE);
    assert_int_equal(request(&d, BLK_OP_READ, UINT64_MAX - 7, 8), -ERANGE);
    /* the whole-transfer check has no max_sectors */
    assert_int_equal(blk_check_transfer(&d, BLK_OP_READ, 0, 64, buf), 0);
    assert_int_equal(blk_check_transfer(&d, BLK_OP_READ, 1, 64, buf), -ERANGE);
    assert_int_equal(blk_check_transfer(&d, BLK_OP_READ, 0, UINT32_MAX, buf), -ERANGE);
}

static void test_malformed(void **state)
{
    struct blk_dev d = disk(64, 512, 8), big = disk(64, 4096, 16);
    struct blk_request rq = { .op = BLK_OP_READ, .lba = 0, .count = 1, .buf = buf };

    (void)state;
    assert_int_equal(request(&d, BLK_OP_READ, 0, 0), -EINVAL);
    assert_int_equal(request(&d, BLK_OP_READ, 0, 9), -EINVAL);          /* above max_sectors */
    assert_int_equal(request(&d, (enum blk_op)3, 0, 1), -EINVAL);
    assert_int_equal(request(&d, (enum blk_op)-1, 0, 1), -EINVAL);
    assert_int_equal(blk_check_request(&d, &rq), -EINVAL);              /* no done */
    rq.done = done;
    rq.buf = NULL;
    assert_int_equal(blk_check_request(&d, &rq), -EINVAL);
    /* 4 KiB blocks: lba and count in whole blocks of 8 sectors */
    assert_int_equal(request(&big, BLK_OP_READ, 8, 8), 0);
    assert_int_equal(request(&big, BLK_OP_READ, 8, 16), 0);
    assert_int_equal(request(&big, BLK_OP_READ, 1, 8), -EINVAL);
    assert_int_equal(request(&big, BLK_OP_READ, 0, 4), -EINVAL);
    assert_int_equal(request(&big, BLK_OP_READ, 0, 12), -EINVAL);
    assert_int_equal(request(&big, BLK_OP_READ, 63, 1), -EINVAL);
    assert_int_equal(request(&big, BLK_OP_READ, 0, 24), -EINVAL);       /* above max_sectors */
    assert_int_equal(request(&big, BLK_OP_READ, 64, 8), -ERANGE);
    assert_int_equal(request(&big, BLK_OP_READ, 56, 8), 0);
}

static void test_read_only_and_flush(void **state)
{
    struct blk_dev d = disk(64, 512, 8);
    struct blk_request flush = { .op = BLK_OP_FLUSH, .lba = 12345678, .count = 0, .buf = NULL,
                                 .done = done };

    (void)state;
    d.read_only = true;
    assert_int_equal(request(&d, BLK_OP_READ, 0, 8), 0);
    assert_int_equal(request(&d, BLK_OP_WRITE, 0, 8), -EROFS);
    assert_int_equal(blk_check_request(&d, &flush), 0);                  /* lba, count, buf ignored */
    flush.done = NULL;
    assert_int_equal(blk_check_request(&d, &flush), -EINVAL);
    assert_int_equal(blk_check_transfer(&d, BLK_OP_FLUSH, UINT64_MAX, 0, NULL), 0);
}

/* -EINVAL, then -ERANGE, then -EROFS: the first kind that applies wins. */
static void test_error_order(void **state)
{
    struct blk_dev d = disk(64, 4096, 16);

    (void)state;
    d.read_only = true;
    assert_int_equal(request(&d, BLK_OP_WRITE, 64, 4), -EINVAL);   /* misaligned and past the end */
    assert_int_equal(request(&d, BLK_OP_WRITE, 64, 24), -EINVAL);  /* too long and past the end */
    assert_int_equal(request(&d, BLK_OP_WRITE, 64, 8), -ERANGE);   /* past the end of a ro disk */
    assert_int_equal(request(&d, BLK_OP_WRITE, 0, 8), -EROFS);
    assert_int_equal(blk_check_transfer(&d, BLK_OP_WRITE, 0, 8, NULL), -EINVAL);
}

static void test_split(void **state)
{
    /* block size, max_sectors, sectors per request */
    static const uint32_t cases[][3] = {
        { 512, 8, 8 }, { 512, 1, 1 }, { 4096, 12, 8 }, { 4096, 8, 8 }, { 4096, 2047, 2040 },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct blk_dev d = disk(64, cases[i][0], cases[i][1]);
        assert_int_equal(blk_split_sectors(&d), cases[i][2]);
    }
}

static void test_names(void **state)
{
    const char *taken[] = { "vda", "vdc", "rda", "vdab", "vd", "v", NULL, "vdB" };
    const char *all[26];
    char names[26][BLK_NAME_MAX];
    char out[BLK_NAME_MAX];

    (void)state;
    assert_int_equal(blk_pick_name("vd", NULL, 0, out), 0);
    assert_string_equal(out, "vda");
    assert_int_equal(blk_pick_name("vd", taken, 2, out), 0);
    assert_string_equal(out, "vdb");                     /* the first free letter */
    assert_int_equal(blk_pick_name("vd", taken, 8, out), 0);
    assert_string_equal(out, "vdb");
    /* each prefix has its own letters */
    assert_int_equal(blk_pick_name("rd", taken, 8, out), 0);
    assert_string_equal(out, "rdb");
    assert_int_equal(blk_pick_name("vda", taken, 8, out), 0);
    assert_string_equal(out, "vdaa");
    assert_int_equal(blk_pick_name("v", taken, 8, out), 0);
    assert_string_equal(out, "va");
    assert_int_equal(blk_pick_name("abcdef", NULL, 0, out), 0);
    assert_string_equal(out, "abcdefa");
    assert_int_equal(blk_pick_name("VD", NULL, 0, out), -EINVAL);
    assert_int_equal(blk_pick_name(NULL, NULL, 0, out), -EINVAL);

    for (int i = 0; i < 26; i++) {
        snprintf(names[i], sizeof(names[i]), "vd%c", 'z' - i);
        all[i] = names[i];
    }
    assert_int_equal(blk_pick_name("vd", all, 26, out), -ENOSPC);
    assert_int_equal(blk_pick_name("rd", all, 26, out), 0);
    assert_string_equal(out, "rda");
    names[3][2] = '?';                                   /* "vdw" is free again */
    assert_int_equal(blk_pick_name("vd", all, 26, out), 0);
    assert_string_equal(out, "vdw");
}

static void size_is(uint64_t sectors, const char *want)
{
    char got[32];

    assert_int_equal(blk_format_size(got, sizeof(got), sectors), (int)strlen(want));
    assert_string_equal(got, want);
}

static void test_sizes(void **state)
{
    (void)state;
    size_is(0, "0 B");
    size_is(1, "512 B");
    size_is(2, "1.0 KiB");
    size_is(3, "1.5 KiB");
    size_is(2047, "1023.5 KiB");
    size_is(2048, "1.0 MiB");
    size_is(2048 + 1024 + 205, "1.6 MiB");              /* rounded down */
    size_is(2097152, "1.0 GiB");
    size_is(2097152ull * 1536, "1.5 TiB");
    size_is(2097152ull * 1024 * 1024 * 3, "3.0 PiB");
    size_is(UINT64_MAX, "8191.9 EiB");
}

/* ---- scatter-gather requests and the merge planner ---- */

static _Alignas(4096) uint8_t pages[8][4096];

static int sg_request(const struct blk_dev *d, const struct blk_seg *segs, uint32_t nsegs,
                      uint32_t count)
{
    struct blk_request rq = { .op = BLK_OP_WRITE, .lba = 0, .count = count, .segs = segs,
                              .nsegs = nsegs, .done = done };

    return blk_check_request(d, &rq);
}

static void test_sg_requests(void **state)
{
    struct blk_dev d = disk(1024, 512, 64);
    struct blk_seg two[2] = { { pages[3], 4096 }, { pages[1], 4096 } };
    struct blk_seg odd[2] = { { pages[3], 4096 }, { pages[1], 100 } };
    struct blk_seg straddle[2] = { { pages[3] + 512, 4096 }, { pages[1], 4096 } };
    struct blk_seg null_buf[2] = { { pages[3], 4096 }, { NULL, 4096 } };

    (void)state;
    /* a disk without scatter-gather refuses segments */
    assert_int_equal(sg_request(&d, two, 2, 16), -EINVAL);
    d.max_segs = 2;
    assert_int_equal(sg_request(&d, two, 2, 16), 0);
    assert_int_equal(sg_request(&d, two, 2, 15), -EINVAL);         /* lengths must add up */
    assert_int_equal(sg_request(&d, odd, 2, 8), -EINVAL);          /* not whole sectors */
    assert_int_equal(sg_request(&d, null_buf, 2, 16), -EINVAL);
    assert_int_equal(sg_request(&d, NULL, 2, 16), -EINVAL);
    assert_int_equal(sg_request(&d, straddle, 2, 16), -EINVAL);    /* 3 pages touched */
    d.max_segs = 3;
    assert_int_equal(sg_request(&d, straddle, 2, 16), 0);
    /* the range checks still apply, and -EINVAL still wins */
    d.sectors = 8;
    assert_int_equal(sg_request(&d, two, 2, 16), -ERANGE);
    d.read_only = true;
    assert_int_equal(sg_request(&d, two, 2, 8), -EINVAL);
}

static void test_pages_touched(void **state)
{
    (void)state;
    assert_int_equal(blk_pages_touched(0x1000, 4096), 1);
    assert_int_equal(blk_pages_touched(0x1000, 1), 1);
    assert_int_equal(blk_pages_touched(0x1fff, 1), 1);
    assert_int_equal(blk_pages_touched(0x1fff, 2), 2);
    assert_int_equal(blk_pages_touched(0x1200, 4096), 2);
    assert_int_equal(blk_pages_touched(0x1200, 8192 + 3584), 3);
}

/* Runs one piece through the planner as blk_batch does; returns the step taken. */
static enum blk_plan_step plan(struct blk_plan *p, uint32_t max_sectors, uint32_t max_segs,
                               uint64_t lba, uint32_t count, uintptr_t buf, unsigned *submitted)
{
    enum blk_plan_step s = blk_plan_next(p, max_sectors, max_segs, lba, count, buf);

    if (s == BLK_PLAN_SUBMIT)
        (*submitted)++;
    blk_plan_apply(p, s, lba, count, buf);
    return s;
}

static void test_plan_contiguous(void **state)
{
    struct blk_plan p;
    unsigned sub = 0;

    (void)state;
    blk_plan_reset(&p);
    /* without scatter-gather, memory must continue too */
    assert_int_equal(plan(&p, 32, 0, 0, 8, 0x10000, &sub), BLK_PLAN_START);
    assert_int_equal(plan(&p, 32, 0, 8, 8, 0x11000, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(p.count, 16);
    assert_int_equal(p.nsegs, 1);
    assert_int_equal(p.pages, 2);
    assert_int_equal(plan(&p, 32, 0, 16, 8, 0x30000, &sub), BLK_PLAN_SUBMIT);   /* memory gap */
    assert_int_equal(p.lba, 16);
    assert_int_equal(p.count, 8);
    assert_int_equal(plan(&p, 32, 0, 32, 8, 0x31000, &sub), BLK_PLAN_SUBMIT);   /* sector gap */
    assert_int_equal(plan(&p, 32, 0, 40, 8, 0x32000, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(plan(&p, 32, 0, 48, 8, 0x33000, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(plan(&p, 32, 0, 56, 8, 0x34000, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(p.count, 32);
    assert_int_equal(plan(&p, 32, 0, 64, 8, 0x35000, &sub), BLK_PLAN_SUBMIT);   /* full */
    assert_int_equal(sub, 3);
    /* a single buffer is limited by max_sectors only, whatever its pages */
    blk_plan_reset(&p);
    assert_int_equal(plan(&p, 32, 2, 0, 8, 0x10200, &sub), BLK_PLAN_START);
    assert_int_equal(plan(&p, 32, 2, 8, 8, 0x11200, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(p.pages, 3);
    /* ...but once it has two segments their pages count: 3 + 1 > 2 */
    assert_int_equal(plan(&p, 32, 2, 16, 8, 0x50000, &sub), BLK_PLAN_SUBMIT);
}

static void test_plan_scatter_gather(void **state)
{
    struct blk_plan p;
    unsigned sub = 0, requests;

    (void)state;
    /* 256 pieces of 4 KiB in reversed pages, requests of 1024 sectors and 128 pages: 2 */
    blk_plan_reset(&p);
    for (unsigned i = 0; i < 256; i++) {
        enum blk_plan_step s = plan(&p, 1024, 128, (uint64_t)i * 8, 8,
                                    0x100000 + (uintptr_t)(255 - i) * 4096, &sub);

        assert_int_equal(s, i == 0 ? BLK_PLAN_START : i == 128 ? BLK_PLAN_SUBMIT
                                                             : BLK_PLAN_NEWSEG);
    }
    requests = sub + (p.count ? 1 : 0);
    assert_int_equal(requests, 2);
    assert_int_equal(p.nsegs, 128);
    assert_int_equal(p.pages, 128);
    /* the page budget: unaligned pieces touch two pages each */
    blk_plan_reset(&p);
    sub = 0;
    assert_int_equal(plan(&p, 1024, 5, 0, 8, 0x10200, &sub), BLK_PLAN_START);
    assert_int_equal(plan(&p, 1024, 5, 8, 8, 0x20200, &sub), BLK_PLAN_NEWSEG);
    assert_int_equal(p.pages, 4);
    assert_int_equal(plan(&p, 1024, 5, 16, 8, 0x30200, &sub), BLK_PLAN_SUBMIT);
    /* extending the last segment recounts its pages: 0x30200+4K..+8K adds one page */
    assert_int_equal(plan(&p, 1024, 5, 24, 8, 0x31200, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(p.pages, 3);
    assert_int_equal(plan(&p, 1024, 5, 32, 1, 0x60000, &sub), BLK_PLAN_NEWSEG);
    assert_int_equal(p.pages, 4);
    assert_int_equal(plan(&p, 1024, 5, 33, 1, 0x60200, &sub), BLK_PLAN_EXTEND);
    assert_int_equal(p.pages, 4);
    assert_int_equal(plan(&p, 1024, 5, 34, 16, 0x70000, &sub), BLK_PLAN_SUBMIT);  /* 6 > 5 */
    /* max_sectors bounds a request with segments too */
    blk_plan_reset(&p);
    assert_int_equal(plan(&p, 16, 8, 0, 8, 0x10000, &sub), BLK_PLAN_START);
    assert_int_equal(plan(&p, 16, 8, 8, 8, 0x30000, &sub), BLK_PLAN_NEWSEG);
    assert_int_equal(plan(&p, 16, 8, 16, 8, 0x50000, &sub), BLK_PLAN_SUBMIT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefix),
        cmocka_unit_test(test_disk_fields),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_read_only_and_flush),
        cmocka_unit_test(test_error_order),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_sg_requests),
        cmocka_unit_test(test_pages_touched),
        cmocka_unit_test(test_plan_contiguous),
        cmocka_unit_test(test_plan_scatter_gather),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
