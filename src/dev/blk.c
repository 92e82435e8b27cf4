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
#include <dev/blk_part.h>
#include <core/format.h>
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
static struct blk_dev *blk_devs[BLK_MAX_ENTRIES];      /* [blk_lock] */
static size_t blk_ndevs;                                /* [blk_lock] */

/* Whole disks registered. Caller holds blk_lock. */
static size_t blk_nwhole_locked(void)
{
    size_t n = 0;

    spin_assert_held(&blk_lock);
    for (size_t i = 0; i < blk_ndevs; i++)
        n += blk_devs[i]->whole == NULL;
    return n;
}

/* Index of dev in blk_devs, or -1. Caller holds blk_lock. */
static int blk_index_locked(const struct blk_dev *dev)
{
    spin_assert_held(&blk_lock);
    for (size_t i = 0; i < blk_ndevs; i++)
        if (blk_devs[i] == dev)
            return (int)i;
    return -1;
}

/* Zeroes dev's counters (registration). */
static void blk_reset_counters(struct blk_dev *dev)
{
    dev->reads = dev->writes = dev->flushes = dev->errors = 0;
    dev->sectors_read = dev->sectors_written = 0;
    dev->read_merges = dev->write_merges = 0;
    dev->inflight = 0;
}

int blk_register(struct blk_dev *dev, const char *prefix)
{
    const char *taken[BLK_MAX_ENTRIES];
    char name[BLK_NAME_MAX];
    int err;

    if (blk_check_disk(dev) || blk_check_prefix(prefix) || dev->whole)
        return -EINVAL;
    spin_lock(&blk_lock);
    if (blk_index_locked(dev) >= 0) {
        err = -EEXIST;
        goto out;
    }
    if (blk_nwhole_locked() == BLK_MAX_DEVICES || blk_ndevs == BLK_MAX_ENTRIES) {
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
    blk_reset_counters(dev);
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
    struct blk_dev *parts[BLK_MAX_PARTS];
    size_t nparts = 0, j = 0;
    int i, err = 0;

    spin_lock(&blk_lock);
    i = blk_index_locked(dev);
    if (i < 0) {
        err = -ENOENT;
        goto out;
    }
    if (dev->whole) {
        err = -EINVAL;
        goto out;
    }
    if (atomic_load(&dev->inflight) != 0) {     /* counts its partitions' requests too */
        err = -EBUSY;
        goto out;
    }
    /* the disk and its partitions leave together; the others keep their order */
    for (size_t k = 0; k < blk_ndevs; k++) {
        struct blk_dev *d = blk_devs[k];

        if (d == dev)
            continue;
        if (d->whole == dev) {
            if (nparts < BLK_MAX_PARTS)
                parts[nparts++] = d;
            continue;
        }
        blk_devs[j++] = d;
    }
    blk_ndevs = j;
out:
    spin_unlock(&blk_lock);
    for (size_t k = 0; k < nparts; k++)
        kfree(parts[k]);
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

/* ---- partitions --------------------------------------------------------------------- */

/* blk_part's reader: 512-byte sectors through the disk's blocks, the last block kept. */
struct blk_part_reader {
    struct blk_dev *disk;
    uint8_t *block;                 /* one logical block */
    uint64_t cached;                /* its first sector, or UINT64_MAX */
};

static int blk_part_read(void *ctx, uint64_t lba, void *buf)
{
    struct blk_part_reader *r = ctx;
    uint32_t per_block = r->disk->block_size / BLK_SECTOR_SIZE;
    uint64_t first = lba - lba % per_block;
    int err;

    if (first != r->cached) {
        r->cached = UINT64_MAX;
        err = blk_read(r->disk, first, per_block, r->block);
        if (err)
            return err;
        r->cached = first;
    }
    memcpy(buf, r->block + (lba - first) * BLK_SECTOR_SIZE, BLK_SECTOR_SIZE);
    return 0;
}

/*
 * Why partition p of disk cannot be registered (a log line's reason), or
 * NULL if it can; name receives its name.
 */
static const char *blk_part_refusal(const struct blk_dev *disk, const struct blk_part *p,
                                    char name[BLK_NAME_MAX])
{
    size_t len = strlen(disk->name);
    bool digit = len && disk->name[len - 1] >= '0' && disk->name[len - 1] <= '9';
    uint32_t per_block = disk->block_size / BLK_SECTOR_SIZE;

    if (p->flags & BLK_PART_F_EXTENDED)
        return "an extended partition (a container of logical ones)";
    if (p->number < 1 || p->number > BLK_MAX_PARTS)
        return "numbered above " STRINGIFY(BLK_MAX_PARTS);
    if (p->start % per_block || p->sectors % per_block || p->sectors < per_block)
        return "not aligned to the disk's logical blocks";
    if ((size_t)snprintf(name, BLK_NAME_MAX, digit ? "%sp%u" : "%s%u", disk->name, p->number) >=
        BLK_NAME_MAX)
        return "its name would be too long";
    return NULL;
}

int blk_scan_partitions(struct blk_dev *disk)
{
    struct blk_part_reader r = { .disk = disk, .cached = UINT64_MAX };
    struct blk_part parts[BLK_MAX_PARTS + 8];
    struct blk_dev *made[BLK_MAX_PARTS];
    struct blk_part_info info;
    size_t count = 0, nmade = 0, at;
    int err, pos;

    if (!disk || disk->whole)
        return -EINVAL;
    spin_lock(&blk_lock);
    pos = blk_index_locked(disk);
    for (size_t i = 0; i < blk_ndevs && pos >= 0; i++)
        if (blk_devs[i]->whole == disk)
            pos = -1;               /* scanned already */
    spin_unlock(&blk_lock);
    if (pos < 0)
        return -EINVAL;
    r.block = kmalloc(disk->block_size);
    if (!r.block)
        return -ENOMEM;
    err = blk_part_parse(blk_part_read, &r, disk->sectors, parts, ARRAY_SIZE(parts), &count,
                         &info);
    kfree(r.block);
    if (err == -ENOSPC) {
        pr_warn("blk: %s: more than %zu partitions; the first %zu are looked at", disk->name,
                ARRAY_SIZE(parts), ARRAY_SIZE(parts));
        err = 0;
    }
    if (err == -EUCLEAN) {
        pr_warn("blk: %s: a protective MBR but no valid GPT header (EUCLEAN); disk used whole",
                disk->name);
        return 0;
    }
    if (err) {
        pr_warn("blk: %s: reading the partition table failed (%s); disk used whole",
                disk->name, errno_name(err));
        return err;
    }
    for (size_t i = 0; i < count; i++) {
        const struct blk_part *p = &parts[i];
        char name[BLK_NAME_MAX];
        const char *why = blk_part_refusal(disk, p, name);
        struct blk_dev *d;

        if (why) {
            pr_info("blk: %s: partition %u not registered: %s", disk->name, p->number, why);
            continue;
        }
        d = kzalloc(sizeof(*d));
        if (!d) {
            err = -ENOMEM;
            break;
        }
        *d = (struct blk_dev){
            .sectors = p->sectors, .block_size = disk->block_size,
            .max_sectors = disk->max_sectors, .max_segs = disk->max_segs,
            .read_only = disk->read_only, .write_cache = disk->write_cache,
            .driver = disk->driver, .ops = disk->ops, .priv = disk->priv,
            .whole = disk, .start_sector = p->start, .partno = p->number,
            .major = disk->major, .minor = disk->major ? disk->minor + p->number : 0,
        };
        memcpy(d->model, disk->model, sizeof(d->model));
        memcpy(d->name, name, sizeof(d->name));
        made[nmade++] = d;
    }
    /* in the registry right after the disk, in table order */
    spin_lock(&blk_lock);
    pos = blk_index_locked(disk);
    if (pos < 0 || blk_ndevs + nmade > BLK_MAX_ENTRIES) {
        spin_unlock(&blk_lock);
        pr_warn("blk: %s: %s; partitions not registered", disk->name,
                pos < 0 ? "disk gone" : "registry full");
        for (size_t i = 0; i < nmade; i++)
            kfree(made[i]);
        return pos < 0 ? -EINVAL : -ENOSPC;
    }
    at = (size_t)pos + 1;
    memmove(&blk_devs[at + nmade], &blk_devs[at], (blk_ndevs - at) * sizeof(blk_devs[0]));
    for (size_t i = 0; i < nmade; i++)
        blk_devs[at + i] = made[i];
    blk_ndevs += nmade;
    spin_unlock(&blk_lock);
    for (size_t i = 0; i < nmade; i++) {
        char size[24];

        blk_format_size(size, sizeof(size), made[i]->sectors);
        pr_info("blk: %s: %s partition %u, sectors %llu..%llu (%s), %u:%u", made[i]->name,
                info.scheme == BLK_PART_GPT ? "GPT" : "MBR", made[i]->partno,
                (unsigned long long)made[i]->start_sector,
                (unsigned long long)(made[i]->start_sector + made[i]->sectors - 1), size,
                made[i]->major, made[i]->minor);
    }
    if (err)
        pr_warn("blk: %s: out of memory; %zu partitions registered", disk->name, nmade);
    return err ? err : (int)nmade;
}

/* ---- requests --------------------------------------------------------------------- */

int blk_submit(struct blk_dev *dev, struct blk_request *rq)
{
    struct blk_dev *whole;
    int err;

    if (!dev || !rq)
        return -EINVAL;
    err = blk_check_request(dev, rq);
    if (err)
        return err;
    whole = dev->whole ? dev->whole : dev;
    /* a partition's request goes to its disk as the disk's own (blk_complete undoes it) */
    rq->part = dev->whole ? dev : NULL;
    rq->dev = whole;
    if (rq->part && rq->op != BLK_OP_FLUSH)
        rq->lba += dev->start_sector;
    rq->status = 0;
    rq->driver_data = NULL;
    if (rq->part)
        atomic_inc(&rq->part->inflight);
    atomic_inc(&whole->inflight);
    if (rq->op == BLK_OP_FLUSH && !whole->write_cache) {
        blk_complete(rq, 0);        /* nothing cached: done at once */
        return 0;
    }
    err = whole->ops->submit(whole, rq);
    if (err) {
        atomic_dec(&whole->inflight);
        if (rq->part) {
            atomic_dec(&rq->part->inflight);
            if (rq->op != BLK_OP_FLUSH)
                rq->lba -= dev->start_sector;
            rq->dev = dev;
        }
    }
    return err;
}

/* Counts a completed rq in dev's counters (status as blk_complete got it). */
static void blk_count_done(struct blk_dev *dev, const struct blk_request *rq, int status)
{
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
}

void blk_complete(struct blk_request *rq, int status)
{
    struct blk_dev *dev = rq->dev;

    if (status > 0) {
        pr_warn("blk: %s: driver completed a request with status %d; taken as EIO",
                dev->name, status);
        status = -EIO;
    }
    blk_count_done(dev, rq, status);
    rq->status = status;
    if (rq->part) {                 /* the submitter gets its partition request back */
        struct blk_dev *part = rq->part;

        blk_count_done(part, rq, status);
        if (rq->op != BLK_OP_FLUSH)
            rq->lba -= part->start_sector;
        rq->dev = part;
        atomic_dec(&part->inflight);
    }
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
    uint32_t nslots;                            /* [c] slots, up to 32 */
    uint32_t free_mask;                         /* [a] bit i: rqs[i] is free */
    int error;                                  /* [a] first error, 0 while none */
    struct blk_request *rqs;                    /* [c] nslots; owned by the submitter while free */
};

/* A transfer's slots on the heap; without memory one slot on the stack does. */
struct blk_sync_heap {
    struct blk_sync s;
    struct blk_request rqs[BLK_SYNC_INFLIGHT];
};

/* Makes s ready with the nslots free request slots rqs. */
static void blk_sync_init(struct blk_sync *s, struct blk_request *rqs, uint32_t nslots)
{
    sem_init(&s->slots, (long)nslots, "blk_sync");
    s->rqs = rqs;
    s->nslots = nslots;
    s->free_mask = (uint32_t)((1ull << nslots) - 1);
    s->error = 0;
}

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

/* Takes every slot back: every request has finished. */
static void blk_sync_wait_all(struct blk_sync *s)
{
    for (unsigned i = 0; i < s->nslots; i++)
        (void)blk_sync_take(s);
}

/*
 * The body of blk_read, blk_write and blk_flush: the whole transfer is
 * checked, then cut into requests of at most blk_split_sectors (a flush is
 * one request), each submitted once a slot is free.
 */
static int blk_sync_io(struct blk_dev *dev, enum blk_op op, uint64_t lba, uint32_t count,
                       void *buf, const char *what)
{
    struct blk_sync_heap *h;
    struct blk_sync one, *s;
    struct blk_request one_rq;
    uint32_t step, done = 0;
    int err;

    if (!dev)
        return -EINVAL;
    err = blk_check_transfer(dev, op, lba, count, buf);
    if (err)
        return err;
    if (BASALT_DEBUG && (err = lockdep_might_sleep(what)))
        return err;
    h = kmalloc(sizeof(*h));
    if (h) {
        s = &h->s;
        blk_sync_init(s, h->rqs, BLK_SYNC_INFLIGHT);
    } else {
        /* no memory (the caches are full): still done, one request at a time */
        s = &one;
        blk_sync_init(s, &one_rq, 1);
    }
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
    blk_sync_wait_all(s);
    err = atomic_load(&s->error);
    kfree(h);
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

/* ---- merged batches ------------------------------------------------------------------- */

#define BLK_BATCH_INFLIGHT  8       /* requests a batch keeps in flight */
#define BLK_BATCH_MAX_SEGS  128     /* segments one batch request carries at most */

/*
 * A batch's state (b->priv), allocated at its first add: small pieces
 * (the state, then one segment row per slot, each within a slab page) so
 * that a heap full of cached pages can still serve it after mm's reclaim.
 * Without memory for the rows the batch merges only contiguous memory;
 * without memory for the state it runs each transfer through blk_sync_io
 * (BLK_BATCH_DIRECT). The request being built is cur (a slot taken from
 * sync, not yet submitted) with its segments in cur's row; plan says what
 * it holds. Owned by the batch's thread; the completions only touch sync.
 */
struct blk_batch_state {
    struct blk_sync sync;
    struct blk_request rqs[BLK_BATCH_INFLIGHT];
    struct blk_seg *rows[BLK_BATCH_INFLIGHT];   /* seg_cap entries each */
    uint32_t seg_cap;               /* segments per request: min(max_segs, BLK_BATCH_MAX_SEGS), or 0 */
    uint32_t max_sectors;           /* blk_split_sectors of the disk */
    struct blk_request *cur;        /* NULL while no request is being built */
    uint32_t cur_merges;            /* pieces that joined cur after it began */
    struct blk_plan plan;
};

static char blk_batch_direct_mark;
#define BLK_BATCH_DIRECT    ((void *)&blk_batch_direct_mark)

void blk_batch_init(struct blk_batch *b, struct blk_dev *dev, enum blk_op op)
{
    *b = (struct blk_batch){ .dev = dev, .op = op };
    if (!dev || (op != BLK_OP_READ && op != BLK_OP_WRITE))
        b->error = -EINVAL;
}

/* The segment row of request slot rq. */
static struct blk_seg *blk_batch_row(struct blk_batch_state *st, struct blk_request *rq)
{
    return st->rows[rq - st->rqs];
}

static void blk_batch_state_free(struct blk_batch_state *st)
{
    for (unsigned i = 0; i < BLK_BATCH_INFLIGHT; i++)
        kfree(st->rows[i]);
    kfree(st);
}

/* Sets up b's state on first use; 0 or -EDEADLK (atomic context). */
static int blk_batch_state(struct blk_batch *b)
{
    struct blk_batch_state *st;
    uint32_t cap;
    int err;

    if (b->priv)
        return 0;
    if (BASALT_DEBUG && (err = lockdep_might_sleep("blk_batch_add")))
        return err;
    st = kzalloc(sizeof(*st));
    if (!st) {
        b->priv = BLK_BATCH_DIRECT;
        return 0;
    }
    cap = MIN(b->dev->max_segs, BLK_BATCH_MAX_SEGS);
    if (cap < 2)
        cap = 0;                    /* single buffers only: the plan holds the one segment */
    for (unsigned i = 0; i < BLK_BATCH_INFLIGHT && cap; i++) {
        st->rows[i] = kmalloc(sizeof(struct blk_seg) * cap);
        if (!st->rows[i]) {
            for (unsigned j = 0; j < i; j++) {
                kfree(st->rows[j]);
                st->rows[j] = NULL;
            }
            cap = 0;                /* no memory: merge contiguous memory only */
        }
    }
    blk_sync_init(&st->sync, st->rqs, BLK_BATCH_INFLIGHT);
    st->seg_cap = cap;
    st->max_sectors = blk_split_sectors(b->dev);
    blk_plan_reset(&st->plan);
    b->priv = st;
    return 0;
}

/* Submits the request being built, if any. Records and returns an error. */
static int blk_batch_submit_cur(struct blk_batch *b, struct blk_batch_state *st)
{
    struct blk_request *rq = st->cur;
    uint32_t merged;
    int err;

    if (!rq)
        return 0;
    st->cur = NULL;
    rq->op = b->op;
    rq->lba = st->plan.lba;
    rq->count = st->plan.count;
    rq->done = blk_sync_done;
    rq->ctx = &st->sync;
    if (st->plan.nsegs == 1) {      /* one segment: the single-buffer form */
        rq->buf = (void *)st->plan.seg_start;
        rq->segs = NULL;
        rq->nsegs = 0;
    } else {
        rq->buf = NULL;
        rq->segs = blk_batch_row(st, rq);
        rq->nsegs = st->plan.nsegs;
    }
    merged = st->cur_merges;
    st->cur_merges = 0;
    blk_plan_reset(&st->plan);
    err = blk_submit(b->dev, rq);
    if (err) {
        blk_sync_fail(&st->sync, err);
        blk_sync_give(&st->sync, rq);
        b->error = err;
        return err;
    }
    b->requests++;
    if (merged)
        atomic_fetch_add(b->op == BLK_OP_READ ? &b->dev->read_merges : &b->dev->write_merges,
                         (uint64_t)merged);
    return 0;
}

/*
 * Adds one block-aligned piece of count sectors at buf (count at most
 * max_sectors) to the request being built, submitting it first when the
 * piece cannot join. first: the piece begins one of the caller's transfers.
 */
static int blk_batch_add_piece(struct blk_batch *b, struct blk_batch_state *st, uint64_t lba,
                               uint32_t count, uint8_t *buf, bool first)
{
    enum blk_plan_step step;
    struct blk_seg *row;
    int err;

    step = blk_plan_next(&st->plan, st->max_sectors, st->seg_cap, lba, count, (uintptr_t)buf);
    if (step == BLK_PLAN_SUBMIT) {
        err = blk_batch_submit_cur(b, st);
        if (err)
            return err;
        step = BLK_PLAN_START;
    }
    if (step == BLK_PLAN_START) {
        /* a failed request stops the batch before it takes another slot */
        if ((err = atomic_load(&st->sync.error)) != 0)
            return err;
        st->cur = blk_sync_take(&st->sync);
        st->cur_merges = 0;
    } else if (first) {
        st->cur_merges++;
    }
    blk_plan_apply(&st->plan, step, lba, count, (uintptr_t)buf);
    if (st->seg_cap) {
        row = blk_batch_row(st, st->cur);
        if (step == BLK_PLAN_EXTEND)
            row[st->plan.nsegs - 1].len = (uint32_t)st->plan.seg_len;
        else
            row[st->plan.nsegs - 1] = (struct blk_seg){ .buf = buf, .len = (uint32_t)st->plan.seg_len };
    }
    return 0;
}

int blk_batch_add(struct blk_batch *b, uint64_t lba, uint32_t count, void *buf)
{
    struct blk_batch_state *st;
    uint32_t per_block, done = 0;
    int err;

    if (b->error)
        return b->error;
    err = blk_check_transfer(b->dev, b->op, lba, count, buf);
    if (!err)
        err = blk_batch_state(b);
    if (err)
        goto out;
    b->pieces++;
    if (b->priv == BLK_BATCH_DIRECT) {
        /* no memory for a batch: the transfer now, as blk_read/blk_write would */
        err = blk_sync_io(b->dev, b->op, lba, count, buf, "blk_batch_add");
        if (!err)
            b->requests += (count + blk_split_sectors(b->dev) - 1) / blk_split_sectors(b->dev);
        goto out;
    }
    st = b->priv;
    if ((err = atomic_load(&st->sync.error)) != 0)
        goto out;
    per_block = b->dev->block_size / BLK_SECTOR_SIZE;
    /* block by block: a long or scattered piece is cut wherever the limits say */
    while (done < count) {
        err = blk_batch_add_piece(b, st, lba + done, per_block,
                                  (uint8_t *)buf + (size_t)done * BLK_SECTOR_SIZE, done == 0);
        if (err)
            goto out;
        done += per_block;
    }
out:
    if (err)
        b->error = err;
    return err;
}

int blk_batch_finish(struct blk_batch *b)
{
    struct blk_batch_state *st = b->priv;
    int err;

    if (!st || st == BLK_BATCH_DIRECT) {
        b->priv = NULL;
        return b->error;
    }
    if (!b->error)
        (void)blk_batch_submit_cur(b, st);
    else if (st->cur)
        blk_sync_give(&st->sync, st->cur);     /* built but never submitted */
    st->cur = NULL;
    blk_sync_wait_all(&st->sync);
    err = atomic_load(&st->sync.error);
    if (!b->error)
        b->error = err;
    blk_batch_state_free(st);
    b->priv = NULL;
    return b->error;
}
