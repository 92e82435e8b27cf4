/*
 * test/fuzz/fuzz_blk_plan.c - libFuzzer target for blk_batch's merge
 * planner (src/dev/blk_check.c, blk_plan_*).
 *
 * The input picks a disk (block size, max_sectors, max_segs) and a stream
 * of block-sized pieces (sector gaps or not, memory following the last
 * piece or elsewhere, odd offsets in a page); each goes through
 * blk_plan_next/blk_plan_apply as blk_batch does, with the segment array
 * kept here. After every step the request being built must be one the
 * layer accepts (blk_check_request, single-buffer form for one segment,
 * scatter-gather otherwise) and the plan's bookkeeping must match the
 * segments; a SUBMIT must be necessary (the piece did not continue the
 * sectors, or joining would break a limit). Built with ASan and UBSan by
 * test/fuzz/FuzzTests.cmake; the ctest test fuzz.blk_plan runs it 10 s.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <dev/blk_check.h>

#define MAX_SEGS    64

static struct blk_seg segs[MAX_SEGS + 1];

static int submit(struct blk_dev *dev, struct blk_request *rq)
{
    (void)dev;
    (void)rq;
    return 0;
}

static void done(struct blk_request *rq)
{
    (void)rq;
}

static const struct blk_dev_ops ops = { .submit = submit };

/* The request of plan p (segments segs[0..p->nsegs)) must pass the layer's checks. */
static void check_request(const struct blk_dev *dev, const struct blk_plan *p)
{
    struct blk_request rq = { .op = BLK_OP_READ, .lba = p->lba, .count = p->count,
                              .done = done };
    uint64_t bytes = 0, pages = 0;

    for (uint32_t i = 0; i < p->nsegs; i++) {
        bytes += segs[i].len;
        pages += blk_pages_touched((uintptr_t)segs[i].buf, segs[i].len);
    }
    if (bytes != (uint64_t)p->count * 512 || pages != p->pages)
        abort();
    if (p->nsegs == 1) {
        rq.buf = segs[0].buf;
    } else {
        rq.segs = segs;
        rq.nsegs = p->nsegs;
    }
    if (blk_check_request(dev, &rq) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t block_sizes[4] = { 512, 1024, 4096, 8192 };
    struct blk_dev dev = { .sectors = 1u << 30, .ops = &ops };
    struct blk_plan p;
    uint64_t lba = 0;
    uintptr_t mem = 0x100000;
    uint32_t per_block;

    if (size < 3)
        return 0;
    dev.block_size = block_sizes[data[0] & 3];
    per_block = dev.block_size / 512;
    dev.max_sectors = per_block * (1 + data[1] % 64);
    dev.max_segs = data[2] % (MAX_SEGS + 1);
    blk_plan_reset(&p);
    for (size_t i = 3; i < size; i++) {
        uint8_t c = data[i];
        uint32_t count = per_block * (1 + (c & 1));
        enum blk_plan_step step;
        size_t len;
        uintptr_t buf;

        if (count > dev.max_sectors)
            count = per_block;
        lba += (c & 2) ? per_block * (1 + (c >> 6)) : 0;       /* a gap, or none */
        if (c & 4)
            buf = mem;                                          /* memory follows */
        else
            buf = 0x10000000 + (uintptr_t)(c >> 3) * 0x3000 + (c & 8) * 64;
        len = (size_t)count * 512;
        step = blk_plan_next(&p, dev.max_sectors, dev.max_segs, lba, count, buf);
        if (step == BLK_PLAN_SUBMIT && p.count && lba == p.lba + p.count &&
            p.count + count <= dev.max_sectors) {
            /* refused although the sectors continue: a limit must really stand in the way */
            bool same = buf == p.seg_start + p.seg_len;
            uint32_t pages = same ? p.pages - blk_pages_touched(p.seg_start, p.seg_len) +
                                        blk_pages_touched(p.seg_start, p.seg_len + len)
                                  : p.pages + blk_pages_touched(buf, len);

            if (same && p.nsegs == 1)
                abort();
            if (!same && dev.max_segs >= 2 && pages <= dev.max_segs)
                abort();
            if (same && pages <= dev.max_segs)
                abort();
        }
        if (step == BLK_PLAN_NEWSEG && p.nsegs >= MAX_SEGS)
            abort();            /* pages >= segments, and pages <= max_segs <= MAX_SEGS */
        blk_plan_apply(&p, step, lba, count, buf);
        if (step == BLK_PLAN_START || step == BLK_PLAN_SUBMIT)
            segs[0] = (struct blk_seg){ (void *)buf, (uint32_t)len };
        else if (step == BLK_PLAN_EXTEND)
            segs[p.nsegs - 1].len += (uint32_t)len;
        else
            segs[p.nsegs - 1] = (struct blk_seg){ (void *)buf, (uint32_t)len };
        if (p.count > dev.max_sectors || (p.nsegs >= 2 && p.pages > dev.max_segs))
            abort();
        check_request(&dev, &p);
        lba += count;
        mem = buf + len;
    }
    return 0;
}
