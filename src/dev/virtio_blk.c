/*
 * src/dev/virtio_blk.c - VirtIO block device driver (VirtIO 1.2, 5.2): each
 * virtio-blk function becomes a dev/blk disk "vdX".
 *
 * Part of dev; sits on dev/virtio (transport, virtqueue), dev/dma and
 * dev/blk. A request is one descriptor chain on the request queue:
 *
 *   header (device-readable: type, sector) | data segments | status (writable)
 *
 * Header and status share one small DMA buffer (dev/dma's 32-byte class;
 * larger with an indirect table).
 * Data segments are the request's buffer, or each of its scatter-gather
 * segments (disk.max_segs = the data descriptors a chain may have), split
 * at page boundaries and translated to physical addresses (adjacent pages
 * merge; each segment stays within the device's size_max). With
 * VIRTIO_F_INDIRECT_DESC the chain is a descriptor table after the header
 * in that DMA block, and a request takes one ring slot however many
 * segments it has. Many requests may be in flight; submit sleeps only
 * while the ring is full. The queue's interrupt
 * (MSI-X, or INTx) completes requests through blk_complete.
 */
#include <core/atomic.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/blk.h>
#include <dev/dma.h>
#include <dev/virtio.h>
#include <dev/virtio_blk.h>
#include <mm/kmalloc.h>
#include <core/layout.h>
#include <mm/vmm.h>
#include <sched/sync.h>

#define VIRTIO_PCI_LEGACY_BLK   0x1001

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX   1
#define VIRTIO_BLK_F_SEG_MAX    2
#define VIRTIO_BLK_F_RO         5
#define VIRTIO_BLK_F_BLK_SIZE   6
#define VIRTIO_BLK_F_FLUSH      9

/* Configuration layout (5.2.4). */
#define VBLK_CFG_CAPACITY       0x00    /* le64, 512-byte sectors */
#define VBLK_CFG_SIZE_MAX       0x08    /* le32 */
#define VBLK_CFG_SEG_MAX        0x0c    /* le32 */
#define VBLK_CFG_BLK_SIZE       0x14    /* le32 */

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN         0
#define VIRTIO_BLK_T_OUT        1
#define VIRTIO_BLK_T_FLUSH      4
#define VIRTIO_BLK_T_GET_ID     8
#define VIRTIO_BLK_S_OK         0
#define VIRTIO_BLK_S_IOERR      1
#define VIRTIO_BLK_S_UNSUPP     2
#define VIRTIO_BLK_ID_BYTES     20

#define VBLK_MAX_SECTORS        1024    /* 512 KiB per request */
#define VBLK_MAX_DATA_SEGS      (VBLK_MAX_SECTORS * BLK_SECTOR_SIZE / PAGE_SIZE + 1)
#define VBLK_STACK_SEGS         8       /* chains up to this long are built on the stack */
#define VBLK_PROBE_TIMEOUT_NS   2000000000ull
#define VBLK_MAJOR              254     /* Linux's virtblk major (dynamic there; 254 in practice) */
#define VBLK_MINORS             16      /* minors per disk: the disk and partitions 1..15 */

struct virtio_blk_outhdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "virtio_blk_outhdr layout");

/*
 * The per-request DMA block: header for the device, the status it writes,
 * and for an indirect chain the descriptor table (header, data, status).
 */
struct vblk_req_dma {
    struct virtio_blk_outhdr hdr;
    uint8_t status;
    uint32_t bytes;                 /* this block's dma_alloc size (the driver's own) */
    struct virtq_desc table[] __aligned(16);
};

struct vblk {
    struct virtio_dev vd;
    struct blk_dev disk;
    char vname[16];
    uint32_t size_max;              /* largest segment, bytes */
    unsigned max_data_segs;         /* data segments per request */
    bool indirect;                  /* VIRTIO_F_INDIRECT_DESC: a request takes one ring slot */
};

/* probes so far: every device gets its own number, taken or refused */
static unsigned vblk_count;

static int status_to_errno(uint8_t status)
{
    switch (status) {
    case VIRTIO_BLK_S_OK:     return 0;
    case VIRTIO_BLK_S_UNSUPP: return -EOPNOTSUPP;
    default:                  return -EIO;     /* IOERR, or a value the spec does not define */
    }
}

static void probe_done(struct blk_request *rq);

/* Queue interrupt: a chain finished. */
static void vblk_done(struct virtq *vq, void *token, uint32_t len)
{
    struct blk_request *rq = token;
    struct vblk_req_dma *d = rq->driver_data;
    int err = status_to_errno(d->status);

    (void)vq;
    (void)len;
    if (err && rq->done != probe_done)     /* a device without GET_ID is normal */
        pr_warn("%s: %s of %u sectors at %llu failed: device status %u (%s)", rq->dev->name,
                rq->op == BLK_OP_READ ? "read" : rq->op == BLK_OP_WRITE ? "write" : "flush",
                rq->count, (unsigned long long)rq->lba, d->status, errno_name(err));
    dma_free(d, d->bytes);
    rq->driver_data = NULL;
    blk_complete(rq, err);
}

/* Physical address of the kernel address va, or -EFAULT. */
static int kernel_phys(const uint8_t *va, uint64_t *pa)
{
    uintptr_t v = (uintptr_t)va;

    if (v >= DIRECT_MAP_BASE && v < DIRECT_MAP_BASE + DIRECT_MAP_WINDOW) {
        *pa = virt_to_phys(va);
        return 0;
    }
    return vmm_translate(&vmm_kernel, v, pa, NULL, NULL) == 0 ? 0 : -EFAULT;
}

/*
 * Appends [buf, buf + len) to segs[*n..max) as physically contiguous
 * segments of at most size_max bytes (a run continuing the previous
 * segment joins it). Returns 0, or -EFAULT (unmapped buffer) / -EINVAL
 * (more than max segments).
 */
static int map_data(struct vblk *b, uint8_t *buf, size_t len, struct virtq_seg *segs,
                    unsigned *n, unsigned max)
{
    while (len) {
        size_t in_page = PAGE_SIZE - ((uintptr_t)buf & (PAGE_SIZE - 1));
        size_t take = len < in_page ? len : in_page;
        struct virtq_seg *last = *n ? &segs[*n - 1] : NULL;
        uint64_t pa;

        if (kernel_phys(buf, &pa) != 0)
            return -EFAULT;
        if (last && last->addr + last->len == pa && last->len + take <= b->size_max) {
            last->len += (uint32_t)take;
        } else {
            if (*n == max)
                return -EINVAL;
            segs[*n].addr = pa;
            segs[*n].len = (uint32_t)take;
            (*n)++;
        }
        buf += take;
        len -= take;
    }
    return 0;
}

/* Most data segments rq's buffer or segments can map to: the pages they touch. */
static unsigned data_pages(const struct blk_request *rq, void *data, uint32_t data_len)
{
    unsigned pages = 0;

    if (!data_len)
        return 0;
    if (!rq->nsegs)
        return (unsigned)(((uintptr_t)data + data_len - 1) / PAGE_SIZE - (uintptr_t)data / PAGE_SIZE + 1);
    for (uint32_t i = 0; i < rq->nsegs; i++) {
        uintptr_t p = (uintptr_t)rq->segs[i].buf;

        pages += (unsigned)((p + rq->segs[i].len - 1) / PAGE_SIZE - p / PAGE_SIZE + 1);
    }
    return pages;
}

/*
 * Queues one chain (header, data, status) for rq with request type. The
 * data is data_len bytes at data, or rq's segments when it has them. With
 * indirect descriptors the chain is a table in the request's DMA block and
 * takes one ring slot; otherwise it takes one descriptor per segment.
 */
static int queue_request(struct vblk *b, struct blk_request *rq, uint32_t type, void *data,
                         uint32_t data_len, bool data_in)
{
    struct virtq_seg stack_segs[VBLK_STACK_SEGS + 2], *segs = stack_segs;
    unsigned max = data_pages(rq, data, data_len), n = 0, out;
    bool indirect = b->indirect && data_len;
    struct vblk_req_dma *d;
    size_t bytes;
    uint64_t bus;
    int err;

    if (max > b->max_data_segs)
        max = b->max_data_segs;     /* map_data refuses what does not fit */
    bytes = sizeof(*d) + (indirect ? (max + 2) * sizeof(struct virtq_desc) : 0);
    d = dma_alloc(bytes, &bus);
    if (!d)
        return -ENOMEM;
    if (max > VBLK_STACK_SEGS) {
        segs = kmalloc((max + 2) * sizeof(*segs));
        if (!segs) {
            dma_free(d, bytes);
            return -ENOMEM;
        }
    }
    d->bytes = (uint32_t)bytes;
    d->hdr.type = type;
    /* the sector field means something only for IN and OUT; else it must be 0 (5.2.6.1) */
    d->hdr.sector = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT ? rq->lba : 0;
    d->status = 0xff;               /* not a valid status: the device must write it */
    segs[0].addr = bus;
    segs[0].len = sizeof(d->hdr);
    n = 1;
    err = 0;
    if (data_len && !rq->nsegs)
        err = map_data(b, data, data_len, segs, &n, max + 1);
    for (uint32_t i = 0; data_len && i < rq->nsegs && !err; i++)
        err = map_data(b, rq->segs[i].buf, rq->segs[i].len, segs, &n, max + 1);
    if (err)
        goto out;
    segs[n].addr = bus + offsetof(struct vblk_req_dma, status);
    segs[n].len = 1;
    n++;
    /* readable: header (+ data for a write); writable: (data for a read +) status */
    out = data_in ? 1 : n - 1;
    rq->driver_data = d;
    if (indirect) {
        for (unsigned i = 0; i < n; i++)
            d->table[i] = (struct virtq_desc){
                .addr = segs[i].addr, .len = segs[i].len,
                .flags = (uint16_t)((i >= out ? VIRTQ_DESC_F_WRITE : 0) |
                                    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
                .next = (uint16_t)(i + 1 < n ? i + 1 : 0),
            };
        err = virtq_add_indirect(b->vd.vq[0], bus + offsetof(struct vblk_req_dma, table), n, rq,
                                 true);
    } else {
        err = virtq_add(b->vd.vq[0], segs, out, n - out, rq, true);
    }
    if (err)
        goto out;
    virtq_kick(b->vd.vq[0]);
out:
    if (segs != stack_segs)
        kfree(segs);
    if (err) {
        rq->driver_data = NULL;
        dma_free(d, bytes);
    }
    return err;
}

static int vblk_submit(struct blk_dev *disk, struct blk_request *rq)
{
    struct vblk *b = disk->priv;
    uint32_t bytes = rq->count * BLK_SECTOR_SIZE;

    switch (rq->op) {
    case BLK_OP_READ:
        return queue_request(b, rq, VIRTIO_BLK_T_IN, rq->buf, bytes, true);
    case BLK_OP_WRITE:
        return queue_request(b, rq, VIRTIO_BLK_T_OUT, rq->buf, bytes, false);
    case BLK_OP_FLUSH:
        return queue_request(b, rq, VIRTIO_BLK_T_FLUSH, NULL, 0, false);
    }
    return -EINVAL;
}

static const struct blk_dev_ops vblk_ops = {
    .submit = vblk_submit,
};

struct virtq *virtio_blk_queue(struct blk_dev *disk)
{
    struct vblk *b;

    if (!disk || disk->ops != &vblk_ops)
        return NULL;
    b = disk->priv;
    return b->vd.vq[0];
}

static void probe_done(struct blk_request *rq)
{
    complete(rq->ctx);
}

/*
 * Asks for the device's ID string (its serial) into b->disk.model. Also the
 * first proof that requests complete by interrupt: a device whose
 * interrupt never arrives is reported and refused, not waited for forever.
 */
static int read_id(struct vblk *b)
{
    struct completion done;
    /* queued directly, not by blk_submit: the disk is not registered yet, and
     * blk_register resets the counters blk_complete touches */
    struct blk_request rq = { .done = probe_done, .ctx = &done, .dev = &b->disk };
    char *id;
    uint64_t bus;
    int err;

    id = dma_alloc(VIRTIO_BLK_ID_BYTES, &bus);
    if (!id)
        return -ENOMEM;
    completion_init(&done, "virtio-blk id");
    err = queue_request(b, &rq, VIRTIO_BLK_T_GET_ID, id, VIRTIO_BLK_ID_BYTES, true);
    if (err)
        goto out;
    if (completion_wait_timeout(&done, VBLK_PROBE_TIMEOUT_NS) != 0) {
        /* the request may have finished without its interrupt: look */
        virtq_drain(b->vd.vq[0]);
        pr_err("%s: no %s interrupt within 2 s (the request %s); device not used", b->vname,
               virtio_irq_mode(&b->vd), completion_done(&done) ? "had finished" : "is lost");
        /*
         * rq and done live in this frame: silence the device (reset, handlers
         * gone) before returning, so nothing can complete into them later.
         */
        virtio_dev_fail(&b->vd);
        if (!completion_done(&done))
            dma_free(rq.driver_data, ((struct vblk_req_dma *)rq.driver_data)->bytes);
        err = -EIO;
        goto out;
    }
    err = rq.status;
    if (err == 0) {
        size_t n = strnlen(id, VIRTIO_BLK_ID_BYTES);

        if (n >= sizeof(b->disk.model))
            n = sizeof(b->disk.model) - 1;
        memcpy(b->disk.model, id, n);
        b->disk.model[n] = '\0';
    } else if (err == -EOPNOTSUPP) {
        err = 0;                    /* no ID: fine */
    }
out:
    dma_free(id, VIRTIO_BLK_ID_BYTES);
    return err;
}

/* Data segments per request, and so the largest request. */
static void set_segment_limit(struct vblk *b, uint32_t segs)
{
    struct blk_dev *d = &b->disk;

    b->max_data_segs = segs < VBLK_MAX_DATA_SEGS ? segs : VBLK_MAX_DATA_SEGS;
    /* a buffer of k pages can need k + 1 segments when it is not page aligned */
    d->max_sectors = (b->max_data_segs > 1 ? b->max_data_segs - 1 : 1) *
                     (uint32_t)(PAGE_SIZE / BLK_SECTOR_SIZE);
    if (d->max_sectors > VBLK_MAX_SECTORS)
        d->max_sectors = VBLK_MAX_SECTORS;
    if (b->max_data_segs == 1)
        d->max_sectors = 1;         /* one sector never crosses a page if 512-aligned */
    if (d->block_size > d->max_sectors * BLK_SECTOR_SIZE)
        d->max_sectors = d->block_size / BLK_SECTOR_SIZE;
}

/* A request's chain (header, data, status) must fit the ring the device gave. */
static int fit_queue(struct vblk *b)
{
    uint16_t size = b->vd.vq[0]->size;

    if (size < 3) {
        pr_warn("%s: a queue of %u descriptors cannot hold a request", b->vname, size);
        return -ENODEV;
    }
    if (b->max_data_segs > (unsigned)size - 2u)
        set_segment_limit(b, (unsigned)size - 2u);
    return 0;
}

/* Reads capacity and limits into the disk; -EINVAL for values no disk can have. */
static int read_config(struct vblk *b)
{
    struct blk_dev *d = &b->disk;
    uint32_t seg_max = 1;

    d->sectors = virtio_cfg_read64(&b->vd, VBLK_CFG_CAPACITY);
    d->block_size = BLK_SECTOR_SIZE;
    if (virtio_has(&b->vd, VIRTIO_BLK_F_BLK_SIZE))
        d->block_size = virtio_cfg_read32(&b->vd, VBLK_CFG_BLK_SIZE);
    b->size_max = UINT32_MAX;
    if (virtio_has(&b->vd, VIRTIO_BLK_F_SIZE_MAX))
        b->size_max = virtio_cfg_read32(&b->vd, VBLK_CFG_SIZE_MAX);
    if (virtio_has(&b->vd, VIRTIO_BLK_F_SEG_MAX))
        seg_max = virtio_cfg_read32(&b->vd, VBLK_CFG_SEG_MAX);
    if (b->size_max < PAGE_SIZE || seg_max == 0) {
        pr_warn("%s: unusable limits (size_max %u, seg_max %u)", b->vname, b->size_max, seg_max);
        return -EINVAL;
    }
    set_segment_limit(b, seg_max);
    if (d->sectors == 0) {
        pr_warn("%s: the device reports no sectors; disk not used", b->vname);
        return -EINVAL;
    }
    if (d->block_size < BLK_SECTOR_SIZE || d->block_size > BLK_MAX_BLOCK_SIZE ||
        (d->block_size & (d->block_size - 1))) {
        pr_warn("%s: block size %u is not a power of two from 512 to %u; disk not used",
                b->vname, d->block_size, BLK_MAX_BLOCK_SIZE);
        return -EINVAL;
    }
    if (d->sectors % (d->block_size / BLK_SECTOR_SIZE)) {
        pr_warn("%s: capacity %llu sectors is not a whole number of %u-byte blocks; "
                "disk not used", b->vname, (unsigned long long)d->sectors, d->block_size);
        return -EINVAL;
    }
    d->read_only = virtio_has(&b->vd, VIRTIO_BLK_F_RO);
    d->write_cache = virtio_has(&b->vd, VIRTIO_BLK_F_FLUSH);
    return 0;
}

static int vblk_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
    static const virtq_done_fn done[1] = { vblk_done };
    struct vblk *b;
    int err;

    (void)id;
    if (virtio_pci_type(pci) != VIRTIO_ID_BLOCK)
        return -ENODEV;
    b = kzalloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    snprintf(b->vname, sizeof(b->vname), "virtio-blk%u", vblk_count++);
    err = virtio_probe_begin(&b->vd, pci, b->vname,
                             (1ull << VIRTIO_BLK_F_SIZE_MAX) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
                             (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                             (1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_F_EVENT_IDX) |
                             (1ull << VIRTIO_F_INDIRECT_DESC));
    if (!err)
        err = read_config(b);
    if (!err)
        err = virtio_setup_queues(&b->vd, 1, done, 0);
    if (!err)
        err = fit_queue(b);
    if (err)
        goto out;
    virtio_driver_ok(&b->vd);
    b->indirect = virtio_has(&b->vd, VIRTIO_F_INDIRECT_DESC);
    /* every page of a segment maps to at most one descriptor (size_max >= a page) */
    b->disk.max_segs = b->max_data_segs >= 2 ? b->max_data_segs : 0;
    b->disk.driver = "virtio-blk";
    b->disk.ops = &vblk_ops;
    b->disk.priv = b;
    err = read_id(b);
    if (err)
        goto out;
    err = blk_register(&b->disk, "vd");
    if (err) {
        pr_warn("%s: not registered as a disk (%s): %llu sectors of %u bytes", b->vname,
                errno_name(err), (unsigned long long)b->disk.sectors, b->disk.block_size);
        goto out;
    }
    /* Linux's virtblk numbers: major 254, 16 minors per disk (vda 0, vdb 16, ...) */
    b->disk.major = VBLK_MAJOR;
    b->disk.minor = VBLK_MINORS * (uint32_t)(b->disk.name[strlen(b->disk.name) - 1] - 'a');
    pci->driver_data = b;
    virtio_dev_publish(&b->vd);
    pr_info("%s: %s, %llu sectors (%llu MiB), %u-byte blocks%s%s, serial '%s'", b->vname,
            b->disk.name, (unsigned long long)b->disk.sectors,
            (unsigned long long)(b->disk.sectors >> 11), b->disk.block_size,
            b->disk.read_only ? ", read-only" : "", b->disk.write_cache ? ", write cache" : "",
            b->disk.model);
    /* partitions vda1.. (a disk without a table is used whole; errors are logged there) */
    (void)blk_scan_partitions(&b->disk);
out:
    if (err) {
        virtio_dev_fail(&b->vd);
        kfree(b);
    }
    return err;
}

static const struct pci_device_id vblk_ids[] = {
    VIRTIO_PCI_MATCH(VIRTIO_ID_BLOCK, VIRTIO_PCI_LEGACY_BLK),
    { 0 },
};

static struct pci_driver vblk_driver = {
    .name = "virtio-blk",
    .ids = vblk_ids,
    .probe = vblk_probe,
};

int virtio_blk_init(void)
{
    return pci_register_driver(&vblk_driver);
}
