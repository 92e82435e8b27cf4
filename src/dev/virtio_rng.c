/*
 * src/dev/virtio_rng.c - VirtIO entropy device (VirtIO 1.2, 5.4): one
 * request queue whose device-writable buffers come back filled with random
 * bytes; each device is a dev/random source. A request unanswered for 1 s
 * is abandoned (its buffer stays the device's) and the device is not used
 * again: reads return -ETIMEDOUT, then -ENODEV, and dev/random moves on.
 *
 * Part of dev; sits on dev/virtio (transport, virtqueue) and dev/pci.
 */
#include <core/atomic.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/dma.h>
#include <dev/random.h>
#include <dev/virtio.h>
#include <dev/virtio_rng.h>
#include <mm/kmalloc.h>
#include <sched/sync.h>

#define VIRTIO_PCI_LEGACY_RNG   0x1005
#define VRNG_CHUNK              256     /* bytes asked for per request */
#define VRNG_EMPTY_RETRIES      64      /* requests that may return nothing in a row */
#define VRNG_TIMEOUT_NS         1000000000ull   /* a request unanswered this long is lost */

struct vrng {
    struct virtio_dev vd;
    struct random_source src;
    char name[16];
    uint8_t *buf;                   /* VRNG_CHUNK bytes of DMA memory */
    uint64_t bus;
    /* one request at a time (dev/random's lock); the interrupt fills these */
    struct completion done;
    uint32_t got;
    bool broken;                    /* a request was abandoned in flight: stop (-ENODEV) */
};

/* probes so far: every device gets its own number, taken or refused */
static unsigned vrng_count;

static void vrng_done(struct virtq *vq, void *token, uint32_t len)
{
    struct vrng *r = token;

    (void)vq;
    r->got = len;
    complete(&r->done);
}

static int vrng_read(struct random_source *src, void *out, size_t n)
{
    struct vrng *r = src->priv;
    uint8_t *dst = out;
    unsigned empty = 0;

    if (r->broken)
        return -ENODEV;
    while (n) {
        struct virtq_seg seg = { .addr = r->bus, .len = n < VRNG_CHUNK ? (uint32_t)n : VRNG_CHUNK };
        int err;

        completion_init(&r->done, "virtio-rng");
        err = virtq_add(r->vd.vq[0], &seg, 0, 1, r, true);
        if (err)
            return err;
        virtq_kick(r->vd.vq[0]);
        err = completion_wait_timeout(&r->done, VRNG_TIMEOUT_NS);
        if (err) {
            /* the request is still queued: this buffer is the device's from now on */
            r->broken = true;
            pr_err("%s: no answer to a %u-byte request within %llu ms (%s); device not used "
                   "again", r->name, seg.len, (unsigned long long)(VRNG_TIMEOUT_NS / 1000000),
                   errno_name(err));
            return err;
        }
        if (r->got > seg.len) {
            pr_err("%s: the device claims %u bytes for a %u-byte buffer", r->name, r->got,
                   seg.len);
            return -EIO;
        }
        if (r->got == 0 && ++empty == VRNG_EMPTY_RETRIES)
            return -EIO;
        memcpy(dst, r->buf, r->got);
        dst += r->got;
        n -= r->got;
    }
    return 0;
}

static int vrng_probe(struct pci_dev *pci, const struct pci_device_id *id)
{
    static const virtq_done_fn done[1] = { vrng_done };
    struct vrng *r;
    int err;

    (void)id;
    if (virtio_pci_type(pci) != VIRTIO_ID_RNG)
        return -ENODEV;
    r = kzalloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    snprintf(r->name, sizeof(r->name), "virtio-rng%u", vrng_count++);
    err = virtio_probe_begin(&r->vd, pci, r->name, 1ull << VIRTIO_F_EVENT_IDX);
    if (!err)
        err = virtio_setup_queues(&r->vd, 1, done, 0);
    if (!err) {
        r->buf = dma_alloc(VRNG_CHUNK, &r->bus);
        if (!r->buf)
            err = -ENOMEM;
    }
    if (err)
        goto out;
    virtio_driver_ok(&r->vd);
    r->src.name = r->name;
    r->src.read = vrng_read;
    r->src.priv = r;
    err = random_register_source(&r->src);
    if (!err) {
        pci->driver_data = r;
        virtio_dev_publish(&r->vd);
    }
out:
    if (err) {
        virtio_dev_fail(&r->vd);
        dma_free(r->buf, VRNG_CHUNK);
        kfree(r);
    }
    return err;
}

static const struct pci_device_id vrng_ids[] = {
    VIRTIO_PCI_MATCH(VIRTIO_ID_RNG, VIRTIO_PCI_LEGACY_RNG),
    { 0 },
};

static struct pci_driver vrng_driver = {
    .name = "virtio-rng",
    .ids = vrng_ids,
    .probe = vrng_probe,
};

int virtio_rng_init(void)
{
    return pci_register_driver(&vrng_driver);
}
