/*
 * src/dev/blk.c - the block layer: the registry of disks, the request path
 * between callers and drivers, and the synchronous helpers (see
 * include/dev/blk.h).
 *
 * Part of dev, between the disk drivers (dev/virtio_blk) below and their
 * users (the shell's blk commands in dev/blk_cmds.c, file systems later)
 * above. The rules (which disks, prefixes and requests are valid, names,
 * splitting) are pure functions in dev/blk_check.c; this file adds the
 * state: the registry under blk_lock, the atomic counters, and the
 * bookkeeping of a synchronous transfer, whose requests finish in the
 * drivers' interrupt handlers.
 */
#include <dev/blk.h>
#include <dev/blk_check.h>
#include <core/atomic.h>
#include <core/errno.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <mm/kmalloc.h>
#include <core/lockdep.h>
#include <core/spinlock.h>
#include <sched/sync.h>

/* Registry: disks in registration order, blk_devs[0..blk_ndevs). Never taken in interrupts. */
static spinlock_t blk_lock = SPINLOCK_INIT("blk_lock");
static struct blk_dev *blk_devs[BLK_MAX_DEVICES];      /* [blk_lock] */
static size_t blk_ndevs;                                /* [blk_lock] */

/* Index of dev in blk_devs, or -1. Caller holds blk_lock. */
static int blk_index_locked(const struct blk_dev *dev)
{
    spin_assert_held(&blk_lock);
    for (size_t i = 0; i < blk_ndevs; i++)
        if (blk_devs[i] == dev)
            return (int)i;
    return -1;
}

int blk_register(struct blk_dev *dev, const char *prefix)
{
    const char *taken[BLK_MAX_DEVICES];
    char name[BLK_NAME_MAX];
    int err;

    if (blk_check_disk(dev) || blk_check_prefix(prefix))
        return -EINVAL;
    spin_lock(&blk_lock);
    if (blk_index_locked(dev) >= 0) {
        err = -EEXIST;
        goto out;
    }
    if (blk_ndevs == BLK_MAX_DEVICES) {
        err = -ENOSPC;
        goto out;
    }
    for (size_t i = 0; i < blk_ndevs; i++)
        taken[i] = blk_devs[i]->name;
    err = blk_pick_name(prefix, taken, blk_ndevs, name);
    if (err)
        goto out;
    memcpy(dev->name, name, sizeof(dev->name));
    dev->model[sizeof(dev->model) - 1] = '\0';
    dev->reads = dev->writes = dev->flushes = dev->errors = 0;
    dev->sectors_read = dev->sectors_written = 0;
    dev->inflight = 0;
    blk_devs[blk_ndevs++] = dev;
out:
    spin_unlock(&blk_lock);
    if (!err)
        pr_info("blk: %s: %llu sectors, %u-byte blocks, %s%s (%s%s%s)", dev->name,
                (unsigned long long)dev->sectors, dev->block_size,
                dev->read_only ? "read-only" : "read-write",
                dev->write_cache ? ", write cache" : "", dev->driver ? dev->driver : "?",
                dev->model[0] ? " " : "", dev->model);
    return err;
}

int blk_unregister(struct blk_dev *dev)
{
    int i, err = 0;

    spin_lock(&blk_lock);
    i = blk_index_locked(dev);
    if (i < 0) {
        err = -ENOENT;
        goto out;
    }
    if (atomic_load(&dev->inflight) != 0) {
        err = -EBUSY;
        goto out;
    }
    memmove(&blk_devs[i], &blk_devs[i + 1], (blk_ndevs - (size_t)i - 1) * sizeof(blk_devs[0]));
    blk_ndevs--;
out:
    spin_unlock(&blk_lock);
    return err;
}

struct blk_dev *blk_find(const char *name)
{
    struct blk_dev *found = NULL;

    if (!name)
        return NULL;
    spin_lock(&blk_lock);
    for (size_t i = 0; i < blk_ndevs && !found; i++)
        if (strcmp(blk_devs[i]->name, name) == 0)
            found = blk_devs[i];
    spin_unlock(&blk_lock);
    return found;
}

size_t blk_count(void)
{
    size_t n;

    spin_lock(&blk_lock);
    n = blk_ndevs;
    spin_unlock(&blk_lock);
    return n;
}

struct blk_dev *blk_get(size_t i)
{
    struct blk_dev *dev;

    spin_lock(&blk_lock);
    dev = i < blk_ndevs ? blk_devs[i] : NULL;
    spin_unlock(&blk_lock);
    return dev;
}

/* ---- requests --------------------------------------------------------------------- */

int blk_submit(struct blk_dev *dev, struct blk_request *rq)
{
    int err;

    if (!dev || !rq)
        return -EINVAL;
    err = blk_check_request(dev, rq);
    if (err)
        return err;
    rq->dev = dev;
    rq->status = 0;
    rq->driver_data = NULL;
    atomic_inc(&dev->inflight);
    if (rq->op == BLK_OP_FLUSH && !dev->write_cache) {
        blk_complete(rq, 0);        /* nothing cached: done at once */
        return 0;
    }
    err = dev->ops->submit(dev, rq);
    if (err)
        atomic_dec(&dev->inflight);
    return err;
}

void blk_complete(struct blk_request *rq, int status)
{
    struct blk_dev *dev = rq->dev;

    if (status > 0) {
        pr_warn("blk: %s: driver completed a request with status %d; taken as EIO",
                dev->name, status);
        status = -EIO;
    }
    switch (rq->op) {
    case BLK_OP_READ:
        atomic_inc(&dev->reads);
        if (!status)
            atomic_fetch_add(&dev->sectors_read, rq->count);
        break;
    case BLK_OP_WRITE:
        atomic_inc(&dev->writes);
        if (!status)
            atomic_fetch_add(&dev->sectors_written, rq->count);
        break;
    case BLK_OP_FLUSH:
        atomic_inc(&dev->flushes);
        break;
    }
    if (status)
        atomic_inc(&dev->errors);
    rq->status = status;
    atomic_dec(&dev->inflight);
    rq->done(rq);
}

/* ---- synchronous transfers ----------------------------------------------------------- */

_Static_assert(BLK_SYNC_INFLIGHT <= 32, "free_mask has one bit per request");

/*
 * One synchronous transfer: BLK_SYNC_INFLIGHT request slots. The semaphore
 * counts free slots and free_mask says which; the submitting thread takes
 * a slot (sem_down, clears its bit), a completion gives it back (sets the
 * bit, sem_up). Taking every slot back means every request has finished.
 * Completions only set bits and only the submitter clears them, so the mask
 * needs no lock. sem_up is the completion's last touch of the struct: its
 * guard's release lets the submitter's final sem_down through.
 */
struct blk_sync {
    struct semaphore slots;
    uint32_t free_mask;                         /* [a] bit i: rqs[i] is free */
    int error;                                  /* [a] first error, 0 while none */
    struct blk_request rqs[BLK_SYNC_INFLIGHT];  /* owned by the submitter while free */
};

/* Records err as the transfer's error unless one came first. */
static void blk_sync_fail(struct blk_sync *s, int err)
{
    int none = 0;

    atomic_cmpxchg(&s->error, &none, err);
}

/* Frees rq's slot; the last touch of s (any context: does not sleep). */
static void blk_sync_give(struct blk_sync *s, struct blk_request *rq)
{
    atomic_fetch_or(&s->free_mask, 1u << (rq - s->rqs));
    sem_up(&s->slots);
}

/* done of a synchronous transfer's request: often interrupt context. */
static void blk_sync_done(struct blk_request *rq)
{
    struct blk_sync *s = rq->ctx;

    if (rq->status)
        blk_sync_fail(s, rq->status);
    blk_sync_give(s, rq);
}

/* A free slot; sleeps until one is. */
static struct blk_request *blk_sync_take(struct blk_sync *s)
{
    unsigned i;

    /* blk_sync_io checked that the caller may sleep: a refusal now is a broken invariant */
    if (sem_down(&s->slots) != 0)
        panic("blk_sync_take: cannot wait for requests in flight");
    i = (unsigned)__builtin_ctz(atomic_load(&s->free_mask));
    atomic_fetch_and(&s->free_mask, ~(1u << i));
    return &s->rqs[i];
}

/*
 * The body of blk_read, blk_write and blk_flush: the whole transfer is
 * checked, then cut into requests of at most blk_split_sectors (a flush is
 * one request), each submitted once a slot is free.
 */
static int blk_sync_io(struct blk_dev *dev, enum blk_op op, uint64_t lba, uint32_t count,
                       void *buf, const char *what)
{
    struct blk_sync *s;
    uint32_t step, done = 0;
    int err;

    if (!dev)
        return -EINVAL;
    err = blk_check_transfer(dev, op, lba, count, buf);
    if (err)
        return err;
    if (BASALT_DEBUG && (err = lockdep_might_sleep(what)))
        return err;
    s = kmalloc(sizeof(*s));
    if (!s)
        return -ENOMEM;
    sem_init(&s->slots, BLK_SYNC_INFLIGHT, "blk_sync");
    s->free_mask = (uint32_t)((1ull << BLK_SYNC_INFLIGHT) - 1);
    s->error = 0;
    step = blk_split_sectors(dev);
    do {
        struct blk_request *rq = blk_sync_take(s);
        uint32_t n = op == BLK_OP_FLUSH ? 0 : MIN(step, count - done);

        *rq = (struct blk_request){
            .op = op, .lba = lba + done, .count = n,
            .buf = op == BLK_OP_FLUSH ? NULL : (uint8_t *)buf + (size_t)done * BLK_SECTOR_SIZE,
            .done = blk_sync_done, .ctx = s,
        };
        err = blk_submit(dev, rq);
        if (err) {
            blk_sync_fail(s, err);
            blk_sync_give(s, rq);
            break;
        }
        done += n;
    } while (done < count && atomic_load(&s->error) == 0);
    for (unsigned i = 0; i < BLK_SYNC_INFLIGHT; i++)   /* every request has finished */
        (void)blk_sync_take(s);
    err = atomic_load(&s->error);
    kfree(s);
    return err;
}

int blk_read(struct blk_dev *dev, uint64_t lba, uint32_t count, void *buf)
{
    return blk_sync_io(dev, BLK_OP_READ, lba, count, buf, "blk_read");
}

int blk_write(struct blk_dev *dev, uint64_t lba, uint32_t count, const void *buf)
{
    /* the driver only reads the buffer of a write */
    return blk_sync_io(dev, BLK_OP_WRITE, lba, count, (void *)(uintptr_t)buf, "blk_write");
}

int blk_flush(struct blk_dev *dev)
{
    if (!dev)
        return -EINVAL;
    if (!dev->write_cache)
        return 0;
    return blk_sync_io(dev, BLK_OP_FLUSH, 0, 0, NULL, "blk_flush");
}
