/*
 * src/dev/blk_check.c - the block layer's rules: disk, prefix and request
 * checks, naming, transfer splitting, sizes as text (see
 * include/dev/blk_check.h).
 *
 * Part of dev; pure (host-tested by test/unit/test_blk_check.c): no locks,
 * no allocation, no device access. dev/blk applies these under its lock or
 * before handing a request to a driver.
 */
#include <dev/blk_check.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/string.h>


/* Sectors per logical block of dev (block_size already checked). */
static uint32_t blk_block_sectors(const struct blk_dev *dev)
{
    return dev->block_size >> BLK_SECTOR_SHIFT;
}

int blk_check_prefix(const char *prefix)
{
    size_t len;

    if (!prefix)
        return -EINVAL;
    len = strnlen(prefix, BLK_PREFIX_MAX + 1);
    if (len == 0 || len > BLK_PREFIX_MAX)
        return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (prefix[i] < 'a' || prefix[i] > 'z')
            return -EINVAL;
    return 0;
}

int blk_check_disk(const struct blk_dev *dev)
{
    uint32_t bs;

    if (!dev || !dev->ops || !dev->ops->submit)
        return -EINVAL;
    bs = dev->block_size;
    if (bs < BLK_SECTOR_SIZE || bs > BLK_MAX_BLOCK_SIZE || (bs & (bs - 1)) != 0)
        return -EINVAL;
    if (dev->sectors == 0 || !IS_ALIGNED(dev->sectors, (uint64_t)blk_block_sectors(dev)))
        return -EINVAL;
    if (dev->max_sectors < blk_block_sectors(dev))
        return -EINVAL;
    return 0;
}

int blk_check_transfer(const struct blk_dev *dev, enum blk_op op, uint64_t lba, uint32_t count,
                       const void *buf)
{
    uint32_t per_block;

    if (op == BLK_OP_FLUSH)
        return 0;
    if (op != BLK_OP_READ && op != BLK_OP_WRITE)
        return -EINVAL;
    per_block = blk_block_sectors(dev);
    if (count == 0 || !buf || !IS_ALIGNED(lba, (uint64_t)per_block) ||
        !IS_ALIGNED(count, per_block))
        return -EINVAL;
    /* lba + count may wrap: compare against what is left after lba instead */
    if (lba >= dev->sectors || count > dev->sectors - lba)
        return -ERANGE;
    if (op == BLK_OP_WRITE && dev->read_only)
        return -EROFS;
    return 0;
}

/* The segments of a scatter-gather request: 0 or -EINVAL (see the header). */
static int blk_check_segs(const struct blk_dev *dev, const struct blk_request *rq)
{
    uint64_t bytes = 0, pages = 0;

    if (!rq->segs || rq->nsegs > dev->max_segs)
        return -EINVAL;
    for (uint32_t i = 0; i < rq->nsegs; i++) {
        const struct blk_seg *sg = &rq->segs[i];

        if (!sg->buf || sg->len == 0 || sg->len % BLK_SECTOR_SIZE)
            return -EINVAL;
        bytes += sg->len;
        pages += blk_pages_touched((uintptr_t)sg->buf, sg->len);
    }
    if (bytes != (uint64_t)rq->count * BLK_SECTOR_SIZE || pages > dev->max_segs)
        return -EINVAL;
    return 0;
}

int blk_check_request(const struct blk_dev *dev, const struct blk_request *rq)
{
    const void *buf = rq->buf;

    /* -EINVAL before -ERANGE and -EROFS, as for a whole transfer */
    if (!rq->done || (rq->op != BLK_OP_FLUSH && rq->count > dev->max_sectors))
        return -EINVAL;
    if (rq->op != BLK_OP_FLUSH && rq->nsegs) {
        if (blk_check_segs(dev, rq))
            return -EINVAL;
        buf = rq->segs[0].buf;
    }
    return blk_check_transfer(dev, rq->op, rq->lba, rq->count, buf);
}

uint32_t blk_pages_touched(uintptr_t buf, size_t len)
{
    uintptr_t first = buf / BLK_PAGE_SIZE, last = (buf + len - 1) / BLK_PAGE_SIZE;

    return (uint32_t)(last - first + 1);
}

void blk_plan_reset(struct blk_plan *p)
{
    *p = (struct blk_plan){ 0 };
}

enum blk_plan_step blk_plan_next(const struct blk_plan *p, uint32_t max_sectors,
                                 uint32_t max_segs, uint64_t lba, uint32_t count, uintptr_t buf)
{
    size_t len = (size_t)count * BLK_SECTOR_SIZE;
    uint32_t last_pages, pages;

    if (p->count == 0)
        return BLK_PLAN_START;
    if (lba != p->lba + p->count || count > max_sectors - MIN(max_sectors, p->count))
        return BLK_PLAN_SUBMIT;
    if (buf == p->seg_start + p->seg_len) {
        if (p->nsegs == 1)
            return BLK_PLAN_EXTEND;         /* single buffer: max_sectors is the only limit */
        last_pages = blk_pages_touched(p->seg_start, p->seg_len);
        pages = p->pages - last_pages + blk_pages_touched(p->seg_start, p->seg_len + len);
        return pages <= max_segs ? BLK_PLAN_EXTEND : BLK_PLAN_SUBMIT;
    }
    if (max_segs < 2)
        return BLK_PLAN_SUBMIT;
    pages = p->pages + blk_pages_touched(buf, len);
    return pages <= max_segs ? BLK_PLAN_NEWSEG : BLK_PLAN_SUBMIT;
}

void blk_plan_apply(struct blk_plan *p, enum blk_plan_step step, uint64_t lba, uint32_t count,
                    uintptr_t buf)
{
    size_t len = (size_t)count * BLK_SECTOR_SIZE;

    switch (step) {
    case BLK_PLAN_START:
    case BLK_PLAN_SUBMIT:
        blk_plan_reset(p);
        p->lba = lba;
        p->count = count;
        p->nsegs = 1;
        p->pages = blk_pages_touched(buf, len);
        p->seg_start = buf;
        p->seg_len = len;
        return;
    case BLK_PLAN_EXTEND:
        p->pages -= blk_pages_touched(p->seg_start, p->seg_len);
        p->seg_len += len;
        p->pages += blk_pages_touched(p->seg_start, p->seg_len);
        p->count += count;
        return;
    case BLK_PLAN_NEWSEG:
        p->nsegs++;
        p->pages += blk_pages_touched(buf, len);
        p->seg_start = buf;
        p->seg_len = len;
        p->count += count;
        return;
    }
}

uint32_t blk_split_sectors(const struct blk_dev *dev)
{
    return ALIGN_DOWN(dev->max_sectors, blk_block_sectors(dev));
}

int blk_pick_name(const char *prefix, const char *const *taken, size_t n,
                  char out[BLK_NAME_MAX])
{
    uint32_t used = 0;          /* bit i: prefix + ('a' + i) is taken */
    size_t len;

    if (blk_check_prefix(prefix))
        return -EINVAL;
    len = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        const char *t = taken[i];
        if (t && strncmp(t, prefix, len) == 0 && t[len] >= 'a' && t[len] <= 'z' &&
            t[len + 1] == '\0')
            used |= 1u << (t[len] - 'a');
    }
    for (unsigned i = 0; i < 26; i++) {
        if (!(used & (1u << i))) {
            snprintf(out, BLK_NAME_MAX, "%s%c", prefix, (char)('a' + i));
            return 0;
        }
    }
    return -ENOSPC;
}

int blk_format_size(char *buf, size_t size, uint64_t sectors)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    unsigned u = 0;
    uint64_t per_unit = 2;      /* sectors in a KiB */

    if (sectors < per_unit)
        return snprintf(buf, size, "%llu B", (unsigned long long)(sectors * BLK_SECTOR_SIZE));
    while (u + 1 < ARRAY_SIZE(units) && sectors / 1024 >= per_unit) {
        per_unit *= 1024;
        u++;
    }
    return snprintf(buf, size, "%llu.%llu %s", (unsigned long long)(sectors / per_unit),
                    (unsigned long long)(sectors % per_unit * 10 / per_unit), units[u]);
}
