/*
 * src/dev/ramdisk.c - RAM disks (see include/dev/ramdisk.h).
 *
 * Part of dev, a block driver on dev/blk. Each request is served by
 * copying between its buffer (or segments) and the disk's memory inside
 * submit, then completed with blk_complete; no queue, no interrupt.
 */
#include <dev/ramdisk.h>
#include <core/atomic.h>
#include <core/errno.h>
#include <core/string.h>
#include <mm/kmalloc.h>
#include <mm/vmalloc.h>

/* Copies count * 512 bytes between the disk at off and mem, in the direction of op. */
static void ramdisk_copy(struct ramdisk *rd, enum blk_op op, size_t off, void *mem, size_t len)
{
    if (op == BLK_OP_READ)
        memcpy(mem, rd->data + off, len);
    else
        memcpy(rd->data + off, mem, len);
}

static int ramdisk_submit(struct blk_dev *dev, struct blk_request *rq)
{
    struct ramdisk *rd = dev->priv;
    size_t off = (size_t)rq->lba * BLK_SECTOR_SIZE;
    int status = 0;

    if (rq->op == BLK_OP_FLUSH) {
        blk_complete(rq, 0);
        return 0;
    }
    if (rd->fail_lba >= rq->lba && rd->fail_lba - rq->lba < rq->count) {
        status = -EIO;
    } else if (rq->nsegs) {
        atomic_inc(&rd->sg_requests);
        for (uint32_t i = 0; i < rq->nsegs; i++) {
            ramdisk_copy(rd, rq->op, off, rq->segs[i].buf, rq->segs[i].len);
            off += rq->segs[i].len;
        }
    } else {
        ramdisk_copy(rd, rq->op, off, rq->buf, (size_t)rq->count * BLK_SECTOR_SIZE);
    }
    blk_complete(rq, status);
    return 0;
}

static const struct blk_dev_ops ramdisk_ops = { .submit = ramdisk_submit };

int ramdisk_create(const char *prefix, uint64_t sectors, uint32_t block_size,
                   uint32_t max_sectors, uint32_t max_segs, struct ramdisk **out)
{
    struct ramdisk *rd;
    int err;

    *out = NULL;
    if (sectors == 0 || sectors > (1ull << 31))     /* at most 1 TiB of vmalloc: a sane bound */
        return -EINVAL;
    rd = kzalloc(sizeof(*rd));
    if (!rd)
        return -ENOMEM;
    rd->data = vmalloc((size_t)sectors * BLK_SECTOR_SIZE);
    if (!rd->data) {
        err = -ENOMEM;
        goto out;
    }
    memset(rd->data, 0, (size_t)sectors * BLK_SECTOR_SIZE);
    rd->fail_lba = RAMDISK_NONE;
    rd->dev = (struct blk_dev){
        .sectors = sectors, .block_size = block_size, .max_sectors = max_sectors,
        .max_segs = max_segs, .driver = "ramdisk", .ops = &ramdisk_ops, .priv = rd,
    };
    strlcpy(rd->dev.model, "ram", sizeof(rd->dev.model));
    err = blk_register(&rd->dev, prefix);
out:
    if (err) {
        vfree(rd->data);
        kfree(rd);
        return err;
    }
    *out = rd;
    return 0;
}

int ramdisk_destroy(struct ramdisk *rd)
{
    int err;

    if (!rd)
        return 0;
    err = blk_unregister(&rd->dev);
    if (err == -EBUSY)
        return err;
    vfree(rd->data);
    kfree(rd);
    return 0;
}
