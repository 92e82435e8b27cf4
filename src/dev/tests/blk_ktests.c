/*
 * src/dev/tests/blk_ktests.c - in-kernel tests of the block layer (suite
 * blk): the registry, blk_submit's checks, the synchronous helpers, the
 * counters, and the shell's blk and blkread commands.
 *
 * Part of dev's ktests. The disks are RAM disks driven by a test driver
 * defined here ("rd"): its submit queues a request and wakes a worker
 * thread, which lets a batch gather (rd.batch requests, or RD_HOLD_NS)
 * and then raises a self-IPI on a vector of its own; the interrupt handler
 * copies the data and calls blk_complete, so completions run in interrupt
 * context, as a real driver's do, while several requests are genuinely in
 * flight. The driver records the most requests it had in flight, counts
 * any request that breaks the layer's promises (out of range, misaligned,
 * above max_sectors), can fail a chosen sector with -EIO, refuse a request
 * with -ENOMEM, fail flushes, or complete inside submit.
 *
 * Test disks are registered under the prefix "rd" (and "rdx" to show the
 * per-prefix names) and every test unregisters them before it ends, also
 * those a failed earlier test left behind (rd_release_all), so other tests
 * and the shell never see them. Parts of the block layer that are pure
 * (checks, names, splitting, sizes) are also tested on the host
 * (test/unit/test_blk_check.c).
 */
#include <dev/blk.h>
#include <core/apic.h>
#include <core/atomic.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/string.h>
#include <core/time.h>
#include <mm/kmalloc.h>
#include <mm/vmalloc.h>
#include <core/lockdep.h>
#include <core/spinlock.h>
#include <sched/sync.h>
#include <sched/thread.h>

#define RD_PREFIX       "rd"
#define RD_POOL         3
#define RD_HOLD_NS      50000000ull     /* longest a partial batch waits */
#define RD_POLL_NS      500000ull
#define RD_IDLE_WAIT_NS 2000000000ull   /* rd_release: wait for stragglers this long */
#define RD_NONE         UINT64_MAX

/*
 * A RAM disk. Lock legend: [l] lock (irqsave: the interrupt handler takes
 * it), [a] atomic, [c] set up before registration, read-only after.
 */
struct rd {
    struct blk_dev dev;
    uint8_t *data;                      /* [c] dev.sectors * 512 bytes (vmalloc) */
    bool live;                          /* [c] in use (rd_new .. rd_release) */
    spinlock_t lock;
    struct blk_request *queued;         /* [l] submitted, waiting for the worker (LIFO) */
    struct blk_request *served;         /* [l] handed to the interrupt handler */
                                        /* (both linked through driver_data) */
    uint32_t nqueued;                   /* [l] */
    struct semaphore work;              /* one up per queued request, one to stop */
    struct thread *worker;              /* [c] */
    bool stop;                          /* [a] */
    int irq;                            /* [c] irq_request_vector handle */
    uint8_t vector;                     /* [c] */

    /* behaviour: set by the test while the disk is idle */
    uint32_t batch;                     /* worker waits for this many queued (or RD_HOLD_NS) */
    bool complete_in_submit;            /* complete before submit returns, in thread context */
    uint64_t fail_lba;                  /* requests covering this sector end with -EIO */
    uint64_t refuse_lba;                /* submit refuses a request starting here (-ENOMEM) */
    bool fail_flush;                    /* flushes end with -EIO */

    /* observations [a] */
    uint32_t inflight, max_inflight;
    uint32_t submits, flushes_seen, bad_requests, irq_completions;
    uint32_t sg_requests;               /* served with segments (nsegs > 0) */
};

static struct rd rd_pool[RD_POOL];

static const struct blk_dev_ops rd_ops;

/* Copies rq's data and returns its status. Any context. */
static int rd_serve(struct rd *rd, struct blk_request *rq)
{
    size_t off = (size_t)rq->lba * BLK_SECTOR_SIZE, len = (size_t)rq->count * BLK_SECTOR_SIZE;

    if (rq->op == BLK_OP_FLUSH) {
        atomic_inc(&rd->flushes_seen);
        return rd->fail_flush ? -EIO : 0;
    }
    if (rd->fail_lba >= rq->lba && rd->fail_lba - rq->lba < rq->count)
        return -EIO;
    if (rq->nsegs) {                    /* scatter-gather: segment by segment */
        for (uint32_t i = 0; i < rq->nsegs; i++) {
            if (rq->op == BLK_OP_READ)
                memcpy(rq->segs[i].buf, rd->data + off, rq->segs[i].len);
            else
                memcpy(rd->data + off, rq->segs[i].buf, rq->segs[i].len);
            off += rq->segs[i].len;
        }
        atomic_inc(&rd->sg_requests);
        return 0;
    }
    if (rq->op == BLK_OP_READ)
        memcpy(rq->buf, rd->data + off, len);
    else
        memcpy(rd->data + off, rq->buf, len);
    return 0;
}

/* Serves and completes rq: it leaves the driver. */
static void rd_finish(struct rd *rd, struct blk_request *rq)
{
    int status = rd_serve(rd, rq);

    atomic_dec(&rd->inflight);
    blk_complete(rq, status);
}

/* The vector's handler: completes every request the worker handed over. */
static bool rd_irq(void *ctx)
{
    struct rd *rd = ctx;
    struct blk_request *list, *next;
    uint64_t f = spin_lock_irqsave(&rd->lock);

    list = rd->served;
    rd->served = NULL;
    spin_unlock_irqrestore(&rd->lock, f);
    for (; list; list = next) {
        next = list->driver_data;
        atomic_inc(&rd->irq_completions);
        rd_finish(rd, list);
    }
    return true;
}

static uint32_t rd_nqueued(struct rd *rd)
{
    uint64_t f = spin_lock_irqsave(&rd->lock);
    uint32_t n = rd->nqueued;

    spin_unlock_irqrestore(&rd->lock, f);
    return n;
}

/* Hands every queued request to the interrupt handler and raises it. */
static void rd_kick(struct rd *rd)
{
    uint64_t f = spin_lock_irqsave(&rd->lock);
    struct blk_request *rq;

    while ((rq = rd->queued)) {
        rd->queued = rq->driver_data;
        rq->driver_data = rd->served;
        rd->served = rq;
    }
    rd->nqueued = 0;
    spin_unlock_irqrestore(&rd->lock, f);
    apic_send_self_ipi(rd->vector);
}

/* The worker: waits for requests, lets a batch gather, then kicks. */
static void *rd_worker(void *arg)
{
    struct rd *rd = arg;

    for (;;) {
        uint64_t start;

        sem_down(&rd->work);
        if (atomic_load(&rd->stop)) {
            rd_kick(rd);                /* nothing is left behind */
            return NULL;
        }
        if (rd_nqueued(rd) == 0)
            continue;                   /* taken by an earlier kick */
        start = time_ns();
        while (rd_nqueued(rd) < rd->batch && time_ns() - start < RD_HOLD_NS)
            time_sleep_ns(RD_POLL_NS);
        rd_kick(rd);
    }
}

/* Does rq keep the layer's promises to drivers? */
static bool rd_request_ok(const struct blk_dev *dev, const struct blk_request *rq)
{
    uint32_t per_block = dev->block_size / BLK_SECTOR_SIZE;
    uint64_t bytes = 0, pages = 0;

    if (rq->dev != dev || !rq->done)
        return false;
    if (rq->op == BLK_OP_FLUSH)
        return dev->write_cache;
    if (rq->nsegs) {
        if (!rq->segs || rq->nsegs > dev->max_segs)
            return false;
        for (uint32_t i = 0; i < rq->nsegs; i++) {
            uintptr_t b = (uintptr_t)rq->segs[i].buf;
            uint32_t l = rq->segs[i].len;

            if (!b || !l || l % BLK_SECTOR_SIZE)
                return false;
            bytes += l;
            pages += (b + l - 1) / 4096 - b / 4096 + 1;
        }
        if (bytes != (uint64_t)rq->count * BLK_SECTOR_SIZE || pages > dev->max_segs)
            return false;
    }
    return (rq->op == BLK_OP_READ || (rq->op == BLK_OP_WRITE && !dev->read_only)) &&
           (rq->buf || rq->nsegs) && rq->count > 0 && rq->count <= dev->max_sectors &&
           rq->lba % per_block == 0 && rq->count % per_block == 0 &&
           rq->lba < dev->sectors && rq->count <= dev->sectors - rq->lba;
}

static int rd_submit(struct blk_dev *dev, struct blk_request *rq)
{
    struct rd *rd = dev->priv;
    uint32_t now, max;
    uint64_t f;

    if (!rd_request_ok(dev, rq))
        atomic_inc(&rd->bad_requests);
    if (rq->op != BLK_OP_FLUSH && rq->lba == rd->refuse_lba)
        return -ENOMEM;
    atomic_inc(&rd->submits);
    now = atomic_add_return(&rd->inflight, 1);
    max = atomic_load(&rd->max_inflight);
    while (now > max && !atomic_cmpxchg(&rd->max_inflight, &max, now))
        ;
    if (rd->complete_in_submit) {
        rd_finish(rd, rq);
        return 0;
    }
    f = spin_lock_irqsave(&rd->lock);
    rq->driver_data = rd->queued;
    rd->queued = rq;
    rd->nqueued++;
    spin_unlock_irqrestore(&rd->lock, f);
    sem_up(&rd->work);
    return 0;
}

static const struct blk_dev_ops rd_ops = { .submit = rd_submit };

/* Waits until rd's requests have all completed; false after RD_IDLE_WAIT_NS. */
static bool rd_wait_idle(struct rd *rd)
{
    uint64_t start = time_ns();

    while (atomic_load(&rd->dev.inflight) != 0 || atomic_load(&rd->inflight) != 0) {
        if (time_ns() - start > RD_IDLE_WAIT_NS)
            return false;
        time_sleep_ns(RD_POLL_NS);
    }
    return true;
}

/* Unregisters rd and frees what it holds; safe on a half-built rd. */
static void rd_release(struct rd *rd)
{
    if (!rd->live)
        return;
    if (rd->worker) {
        atomic_store(&rd->stop, true);
        sem_up(&rd->work);
        thread_join(rd->worker, NULL);
    }
    if (!rd_wait_idle(rd))
        ktest_fail(__FILE__, __LINE__, "rd %s: requests still in flight", rd->dev.name);
    blk_unregister(&rd->dev);           /* -ENOENT when it never got that far */
    if (rd->irq >= 0)
        irq_free(rd->irq);
    vfree(rd->data);
    memset(rd, 0, sizeof(*rd));
}

static void rd_release_all(void)
{
    for (size_t i = 0; i < RD_POOL; i++)
        rd_release(&rd_pool[i]);
}

/*
 * A registered RAM disk of sectors sectors under prefix, zero-filled, with
 * its worker and vector; NULL (test failed) if anything is refused.
 */
static struct rd *rd_create(const char *prefix, uint64_t sectors, uint32_t block_size,
                            uint32_t max_sectors, uint32_t max_segs)
{
    struct rd *rd = NULL;
    int err;

    for (size_t i = 0; i < RD_POOL && !rd; i++)
        if (!rd_pool[i].live)
            rd = &rd_pool[i];
    if (!rd) {
        ktest_fail(__FILE__, __LINE__, "rd: pool of %d disks exhausted", RD_POOL);
        return NULL;
    }
    memset(rd, 0, sizeof(*rd));
    rd->live = true;
    rd->irq = -1;
    rd->batch = 1;
    rd->fail_lba = rd->refuse_lba = RD_NONE;
    spin_init(&rd->lock, "ktest-rd");
    sem_init(&rd->work, 0, "ktest-rd-work");
    rd->dev = (struct blk_dev){
        .sectors = sectors, .block_size = block_size, .max_sectors = max_sectors,
        .max_segs = max_segs, .driver = "ktest-rd", .ops = &rd_ops, .priv = rd,
    };
    strlcpy(rd->dev.model, "ktest-ram", sizeof(rd->dev.model));
    rd->data = vmalloc((size_t)sectors * BLK_SECTOR_SIZE);
    if (!rd->data) {
        err = -ENOMEM;
        goto fail;
    }
    memset(rd->data, 0, (size_t)sectors * BLK_SECTOR_SIZE);
    rd->irq = irq_request_vector(rd_irq, rd, "ktest-rd", &rd->vector);
    if (rd->irq < 0) {
        err = rd->irq;
        goto fail;
    }
    rd->worker = thread_create("ktest-rd", rd_worker, rd, 0);
    if (!rd->worker) {
        err = -ENOMEM;
        goto fail;
    }
    err = blk_register(&rd->dev, prefix);
    if (err)
        goto fail;
    return rd;
fail:
    ktest_fail(__FILE__, __LINE__, "rd: setting up a test disk failed: %s", errno_name(err));
    rd_release(rd);
    return NULL;
}

static struct rd *rd_new_prefixed(const char *prefix, uint64_t sectors, uint32_t block_size,
                                  uint32_t max_sectors)
{
    return rd_create(prefix, sectors, block_size, max_sectors, 0);
}

static struct rd *rd_new(uint64_t sectors, uint32_t block_size, uint32_t max_sectors)
{
    return rd_new_prefixed(RD_PREFIX, sectors, block_size, max_sectors);
}

/* Ends the test (after rd_release_all) when p is NULL; the failure is recorded. */
#define RD_REQUIRE(p)                                                           \
    do {                                                                        \
        if (!(p)) {                                                             \
            rd_release_all();                                                   \
            ktest_abort();                                                      \
        }                                                                       \
    } while (0)

/* ---- one request at a time --------------------------------------------------------- */

struct blk_waiter {
    struct completion done;
    int status;
    uint32_t calls;                     /* [a] times done ran */
};

static void blk_waiter_done(struct blk_request *rq)
{
    struct blk_waiter *w = rq->ctx;

    w->status = rq->status;
    atomic_inc(&w->calls);
    complete(&w->done);
}

/* blk_submit of one request; when accepted, waits for it and returns its status. */
static int submit_wait(struct blk_dev *dev, enum blk_op op, uint64_t lba, uint32_t count,
                       void *buf, struct blk_waiter *w)
{
    struct blk_request rq = { .op = op, .lba = lba, .count = count, .buf = buf,
                              .done = blk_waiter_done, .ctx = w };
    int err;

    completion_init(&w->done, "ktest-blk-waiter");
    w->status = 1;
    w->calls = 0;
    err = blk_submit(dev, &rq);
    if (err)
        return err;
    completion_wait(&w->done);
    return w->status;
}

/* ---- the registry ------------------------------------------------------------------ */

KTEST(blk, register_names_disks_per_prefix)
{
    size_t before;
    struct rd *a, *b, *c, *x;

    rd_release_all();
    before = blk_count();
    a = rd_new(64, 512, 8);
    RD_REQUIRE(a);
    b = rd_new(64, 512, 8);
    RD_REQUIRE(b);
    KT_EXPECT_STREQ(a->dev.name, "rda");
    KT_EXPECT_STREQ(b->dev.name, "rdb");
    KT_EXPECT_EQ(blk_count(), before + 2);
    KT_EXPECT_TRUE(blk_find("rda") == &a->dev);
    KT_EXPECT_TRUE(blk_find("rdb") == &b->dev);
    KT_EXPECT_TRUE(blk_find("rdc") == NULL);
    KT_EXPECT_TRUE(blk_find("rd") == NULL);
    KT_EXPECT_TRUE(blk_find(NULL) == NULL);
    KT_EXPECT_TRUE(blk_get(before) == &a->dev);         /* registration order */
    KT_EXPECT_TRUE(blk_get(before + 1) == &b->dev);
    KT_EXPECT_TRUE(blk_get(before + 2) == NULL);

    /* each prefix has its own letters */
    x = rd_new_prefixed("rdx", 64, 512, 8);
    RD_REQUIRE(x);
    KT_EXPECT_STREQ(x->dev.name, "rdxa");
    KT_EXPECT_TRUE(blk_find("rdxa") == &x->dev);

    /* a freed name is the first unused letter again; the others keep theirs */
    rd_release(a);
    KT_EXPECT_TRUE(blk_find("rda") == NULL);
    KT_EXPECT_TRUE(blk_find("rdb") == &b->dev);
    KT_EXPECT_EQ(blk_count(), before + 2);
    c = rd_new(64, 512, 8);
    RD_REQUIRE(c);
    KT_EXPECT_STREQ(c->dev.name, "rda");
    KT_EXPECT_EQ(blk_unregister(&c->dev), 0);
    KT_EXPECT_EQ(blk_unregister(&c->dev), -ENOENT);
    rd_release_all();
    KT_EXPECT_EQ(blk_count(), before);
}

static int stub_submit(struct blk_dev *dev, struct blk_request *rq)
{
    (void)dev;
    (void)rq;
    return -EIO;
}

static const struct blk_dev_ops stub_ops = { .submit = stub_submit };
static const struct blk_dev_ops no_submit_ops = { .submit = NULL };

/* A disk that blk_register accepts; each case below spoils one field. */
static struct blk_dev good_disk(void)
{
    return (struct blk_dev){ .sectors = 64, .block_size = 512, .max_sectors = 8,
                             .driver = "ktest-stub", .ops = &stub_ops };
}

KTEST(blk, register_refuses_bad_disks)
{
    static struct blk_dev d;
    size_t before = blk_count();

    rd_release_all();
    d = good_disk(); d.sectors = 0;
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.block_size = 0;
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.block_size = 256;
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.block_size = 1536;                /* a multiple of 512, not 512 * 2^k */
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.block_size = 4096; d.sectors = 68;    /* 8.5 blocks */
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.block_size = 4096; d.max_sectors = 4; /* below one block */
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.max_sectors = 0;
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.ops = NULL;
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk(); d.ops = &no_submit_ops;
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EINVAL);
    d = good_disk();
    KT_EXPECT_EQ(blk_register(NULL, RD_PREFIX), -EINVAL);
    KT_EXPECT_EQ(blk_register(&d, NULL), -EINVAL);
    KT_EXPECT_EQ(blk_register(&d, ""), -EINVAL);
    KT_EXPECT_EQ(blk_register(&d, "RD"), -EINVAL);
    KT_EXPECT_EQ(blk_register(&d, "r1"), -EINVAL);
    KT_EXPECT_EQ(blk_register(&d, "rdabcde"), -EINVAL);      /* 7 letters: no room for one more */
    KT_EXPECT_EQ(blk_count(), before);

    /* twice the same disk */
    KT_ASSERT_EQ(blk_register(&d, RD_PREFIX), 0);
    KT_EXPECT_EQ(blk_register(&d, RD_PREFIX), -EEXIST);
    KT_EXPECT_EQ(blk_register(&d, "rdx"), -EEXIST);
    KT_EXPECT_EQ(blk_count(), before + 1);
    KT_EXPECT_EQ(blk_unregister(&d), 0);
    KT_EXPECT_EQ(blk_count(), before);
}

KTEST(blk, register_refuses_when_full)
{
    static struct blk_dev d[BLK_MAX_DEVICES + 1];
    size_t before, whole = 0, room, n = 0;
    int err = 0;

    rd_release_all();
    /* the limit counts whole disks; partitions (vda1...) take registry slots of their own */
    before = blk_count();
    for (size_t i = 0; i < before; i++)
        whole += blk_get(i)->whole == NULL;
    room = BLK_MAX_DEVICES - whole;
    while (n < ARRAY_SIZE(d)) {
        d[n] = good_disk();
        err = blk_register(&d[n], RD_PREFIX);
        if (err)
            break;
        n++;
    }
    KT_EXPECT_EQ(err, -ENOSPC);
    KT_EXPECT_EQ(n, room);
    KT_EXPECT_EQ(blk_count(), before + room);
    if (room == BLK_MAX_DEVICES) {
        KT_EXPECT_STREQ(d[0].name, "rda");
        KT_EXPECT_STREQ(d[25].name, "rdz");
    }
    for (size_t i = 0; i < n; i++)
        KT_EXPECT_EQ(blk_unregister(&d[i]), 0);
    KT_EXPECT_EQ(blk_count(), before);
}

/* ---- blk_submit's checks ------------------------------------------------------------ */

KTEST(blk, submit_checks_range_alignment_and_mode)
{
    static uint8_t buf[8 * BLK_SECTOR_SIZE];
    struct blk_waiter w;
    struct rd *rd, *big, *ro;
    uint32_t seen;

    rd_release_all();
    rd = rd_new(64, 512, 8);
    RD_REQUIRE(rd);
    big = rd_new(64, 4096, 16);
    RD_REQUIRE(big);
    ro = rd_new(64, 512, 8);
    RD_REQUIRE(ro);
    ro->dev.read_only = true;

    /* the last sector is in range, one past it is not */
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, 63, 1, buf, &w), 0);
    KT_EXPECT_EQ(w.calls, 1u);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_WRITE, 56, 8, buf, &w), 0);
    seen = atomic_load(&rd->submits);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, 64, 1, buf, &w), -ERANGE);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, 63, 2, buf, &w), -ERANGE);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_WRITE, 57, 8, buf, &w), -ERANGE);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, UINT64_MAX, 1, buf, &w), -ERANGE);
    /* lba + count wraps around to 2: still past the end */
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, UINT64_MAX - 1, 4, buf, &w), -ERANGE);

    /* malformed requests */
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, 0, 0, buf, &w), -EINVAL);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, 0, 1, NULL, &w), -EINVAL);
    KT_EXPECT_EQ(submit_wait(&rd->dev, (enum blk_op)7, 0, 1, buf, &w), -EINVAL);
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_READ, 0, 9, buf, &w), -EINVAL);  /* > max_sectors */
    KT_EXPECT_EQ(submit_wait(&big->dev, BLK_OP_READ, 1, 8, buf, &w), -EINVAL);  /* 4 KiB blocks */
    KT_EXPECT_EQ(submit_wait(&big->dev, BLK_OP_READ, 0, 4, buf, &w), -EINVAL);
    KT_EXPECT_EQ(submit_wait(&big->dev, BLK_OP_READ, 64, 4, buf, &w), -EINVAL); /* -EINVAL first */
    KT_EXPECT_EQ(submit_wait(&big->dev, BLK_OP_READ, 56, 8, buf, &w), 0);
    KT_EXPECT_EQ(submit_wait(&big->dev, BLK_OP_READ, 64, 8, buf, &w), -ERANGE);
    {
        struct blk_request rq = { .op = BLK_OP_READ, .lba = 0, .count = 1, .buf = buf };
        KT_EXPECT_EQ(blk_submit(&rd->dev, &rq), -EINVAL);      /* no done function */
        KT_EXPECT_EQ(blk_submit(NULL, &rq), -EINVAL);
        KT_EXPECT_EQ(blk_submit(&rd->dev, NULL), -EINVAL);
    }

    /* a read-only disk reads, and refuses writes (-ERANGE still comes first) */
    KT_EXPECT_EQ(submit_wait(&ro->dev, BLK_OP_WRITE, 0, 1, buf, &w), -EROFS);
    KT_EXPECT_EQ(submit_wait(&ro->dev, BLK_OP_WRITE, 64, 1, buf, &w), -ERANGE);
    KT_EXPECT_EQ(submit_wait(&ro->dev, BLK_OP_READ, 0, 8, buf, &w), 0);
    KT_EXPECT_EQ(blk_write(&ro->dev, 0, 1, buf), -EROFS);

    /* refused requests never reached the driver, and their done never ran */
    KT_EXPECT_EQ(atomic_load(&rd->submits), seen);
    KT_EXPECT_EQ(atomic_load(&rd->dev.inflight), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
    KT_EXPECT_EQ(atomic_load(&big->bad_requests), 0u);
    KT_EXPECT_EQ(atomic_load(&ro->bad_requests), 0u);
    KT_EXPECT_EQ(atomic_load(&ro->dev.writes), 0ull);
    rd_release_all();
}

/* ---- synchronous transfers ---------------------------------------------------------- */

/* Fills buf with a pattern that differs in every sector and every byte position. */
static void fill_pattern(uint8_t *buf, size_t len, uint8_t seed)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(i * 7 + i / BLK_SECTOR_SIZE * 13 + seed);
}

/*
 * Writes count sectors at lba through blk_write and reads them back through
 * blk_read on rd; checks the data, the disk beyond the range, and that the
 * driver saw only requests the layer may send.
 */
static void round_trip(struct rd *rd, uint64_t lba, uint32_t count)
{
    size_t len = (size_t)count * BLK_SECTOR_SIZE;
    uint8_t *out = kmalloc(len), *in = kzalloc(len);
    size_t off = (size_t)lba * BLK_SECTOR_SIZE;

    if (!out || !in) {
        ktest_fail(__FILE__, __LINE__, "out of memory");
        goto out;
    }
    fill_pattern(out, len, (uint8_t)lba);
    KT_EXPECT_EQ(blk_write(&rd->dev, lba, count, out), 0);
    KT_EXPECT_EQ(memcmp(rd->data + off, out, len), 0);
    KT_EXPECT_EQ(blk_read(&rd->dev, lba, count, in), 0);
    KT_EXPECT_EQ(memcmp(in, out, len), 0);
    /* nothing outside the range was touched (the disk started zeroed) */
    for (size_t i = 0; i < off; i++)
        if (rd->data[i]) {
            ktest_fail(__FILE__, __LINE__, "byte %zu before the range was written", i);
            break;
        }
    for (size_t i = off + len; i < rd->dev.sectors * BLK_SECTOR_SIZE; i++)
        if (rd->data[i]) {
            ktest_fail(__FILE__, __LINE__, "byte %zu after the range was written", i);
            break;
        }
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->dev.inflight), 0u);
out:
    kfree(out);
    kfree(in);
}

KTEST(blk, read_write_keep_several_requests_in_flight)
{
    uint64_t atomic_sleeps = lockdep_atomic_sleep_count();
    struct rd *rd;

    rd_release_all();
    rd = rd_new(256, 512, 4);
    RD_REQUIRE(rd);
    rd->batch = 8;
    /* 128 sectors in requests of 4: 32 requests, more than BLK_SYNC_INFLIGHT */
    round_trip(rd, 8, 128);
    KT_EXPECT_EQ(atomic_load(&rd->submits), 64u);
    KT_EXPECT_EQ(atomic_load(&rd->irq_completions), 64u);
    KT_EXPECT_GT(atomic_load(&rd->max_inflight), 1u);
    KT_EXPECT_LE(atomic_load(&rd->max_inflight), (uint32_t)BLK_SYNC_INFLIGHT);
    KT_EXPECT_EQ(rd->dev.writes, 32ull);
    KT_EXPECT_EQ(rd->dev.reads, 32ull);
    /* done ran in interrupt context without sleeping there */
    KT_EXPECT_EQ(lockdep_atomic_sleep_count(), atomic_sleeps);
    rd_release_all();
}

KTEST(blk, transfers_split_on_whole_blocks)
{
    struct rd *rd;

    rd_release_all();
    /* 4 KiB blocks, max_sectors 12: requests of 8 sectors (one block) */
    rd = rd_new(512, 4096, 12);
    RD_REQUIRE(rd);
    rd->batch = 4;
    round_trip(rd, 64, 200);            /* 25 blocks */
    KT_EXPECT_EQ(atomic_load(&rd->submits), 50u);
    KT_EXPECT_EQ(rd->dev.sectors_written, 200ull);
    KT_EXPECT_EQ(rd->dev.sectors_read, 200ull);
    KT_EXPECT_GT(atomic_load(&rd->max_inflight), 1u);
    KT_EXPECT_EQ(blk_read(&rd->dev, 4, 8, rd->data), -EINVAL);     /* not on a block boundary */
    KT_EXPECT_EQ(blk_read(&rd->dev, 0, 12, rd->data), -EINVAL);
    rd_release_all();
}

KTEST(blk, read_write_with_completion_inside_submit)
{
    struct rd *rd;

    rd_release_all();
    rd = rd_new(128, 512, 8);
    RD_REQUIRE(rd);
    rd->complete_in_submit = true;
    round_trip(rd, 0, 128);
    KT_EXPECT_EQ(atomic_load(&rd->submits), 32u);
    KT_EXPECT_EQ(atomic_load(&rd->irq_completions), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->max_inflight), 1u);
    rd_release_all();
}

KTEST(blk, sync_helpers_check_the_whole_transfer_first)
{
    static uint8_t buf[BLK_SECTOR_SIZE];
    struct rd *rd;

    rd_release_all();
    rd = rd_new(64, 512, 4);
    RD_REQUIRE(rd);
    KT_EXPECT_EQ(blk_read(&rd->dev, 60, 8, rd->data), -ERANGE);     /* would run past the end */
    KT_EXPECT_EQ(blk_write(&rd->dev, UINT64_MAX - 1, 4, rd->data), -ERANGE);
    KT_EXPECT_EQ(blk_read(&rd->dev, 0, 0, buf), -EINVAL);
    KT_EXPECT_EQ(blk_read(&rd->dev, 0, 1, NULL), -EINVAL);
    KT_EXPECT_EQ(blk_read(NULL, 0, 1, buf), -EINVAL);
    KT_EXPECT_EQ(blk_write(NULL, 0, 1, buf), -EINVAL);
    KT_EXPECT_EQ(blk_flush(NULL), -EINVAL);
    KT_EXPECT_EQ(atomic_load(&rd->submits), 0u);          /* nothing was started */
    KT_EXPECT_EQ(blk_read(&rd->dev, 63, 1, buf), 0);
    rd_release_all();
}

KTEST(blk, errors_propagate_and_stop_the_transfer)
{
    size_t len = 64 * BLK_SECTOR_SIZE;
    uint8_t *buf = kmalloc(len);
    struct rd *rd;

    rd_release_all();
    KT_ASSERT_NOT_NULL(buf);
    rd = rd_new(128, 512, 4);
    if (!rd)
        goto out;
    rd->batch = 4;

    /* a device error on sector 30: -EIO once every request in flight has finished */
    rd->fail_lba = 30;
    KT_EXPECT_EQ(blk_read(&rd->dev, 0, 64, buf), -EIO);
    KT_EXPECT_EQ(atomic_load(&rd->dev.inflight), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->inflight), 0u);
    KT_EXPECT_EQ(rd->dev.errors, 1ull);
    KT_EXPECT_EQ(blk_write(&rd->dev, 24, 16, buf), -EIO);
    KT_EXPECT_EQ(rd->dev.errors, 2ull);
    KT_EXPECT_EQ(blk_read(&rd->dev, 32, 64, buf), 0);     /* beyond the bad sector */
    rd->fail_lba = RD_NONE;

    /* the driver refuses the request at sector 16: the ones before it ran, none after */
    atomic_store(&rd->submits, 0);
    rd->refuse_lba = 16;
    KT_EXPECT_EQ(blk_write(&rd->dev, 0, 64, buf), -ENOMEM);
    KT_EXPECT_EQ(atomic_load(&rd->submits), 4u);
    KT_EXPECT_EQ(atomic_load(&rd->dev.inflight), 0u);
    rd->refuse_lba = RD_NONE;
    KT_EXPECT_EQ(blk_write(&rd->dev, 0, 64, buf), 0);
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
out:
    rd_release_all();
    kfree(buf);
}

/* ---- merged batches ------------------------------------------------------------------- */

#define BATCH_PIECES    256             /* 4 KiB pieces: 1 MiB */

/*
 * Adds BATCH_PIECES 4 KiB pieces at sectors 0, 8, 16, ... to a batch of op
 * on rd; piece i's memory is page perm(i) of buf. Returns finish's result.
 */
static int batch_pages(struct rd *rd, enum blk_op op, uint8_t *buf, bool reversed,
                       struct blk_batch *b)
{
    blk_batch_init(b, &rd->dev, op);
    for (uint32_t i = 0; i < BATCH_PIECES; i++) {
        uint32_t page = reversed ? BATCH_PIECES - 1 - i : i;
        int err = blk_batch_add(b, (uint64_t)i * 8, 8, buf + (size_t)page * 4096);

        if (err) {
            (void)blk_batch_finish(b);
            return err;
        }
    }
    return blk_batch_finish(b);
}

KTEST(blk, batch_merges_contiguous_transfers)
{
    size_t len = (size_t)BATCH_PIECES * 4096;
    uint8_t *out = vmalloc(len), *in = vmalloc(len);
    struct blk_batch b;
    struct rd *rd;

    rd_release_all();
    if (!out || !in) {
        ktest_fail(__FILE__, __LINE__, "out of memory");
        goto out;
    }
    /* no scatter-gather: only memory that is contiguous too can merge, up to 256 sectors */
    rd = rd_new(4096, 512, 256);
    if (!rd)
        goto out;
    rd->batch = 4;
    fill_pattern(out, len, 5);
    KT_EXPECT_EQ(batch_pages(rd, BLK_OP_WRITE, out, false, &b), 0);
    KT_EXPECT_EQ(b.pieces, (uint32_t)BATCH_PIECES);
    KT_EXPECT_EQ(b.requests, 8u);                      /* 1 MiB in 128 KiB requests */
    KT_EXPECT_EQ(rd->dev.writes, 8ull);
    KT_EXPECT_EQ(rd->dev.write_merges, (uint64_t)BATCH_PIECES - 8);
    KT_EXPECT_EQ(memcmp(rd->data, out, len), 0);
    KT_EXPECT_GT(atomic_load(&rd->max_inflight), 1u);
    /* memory in reverse order cannot merge without scatter-gather: one request each */
    memset(in, 0, len);
    KT_EXPECT_EQ(batch_pages(rd, BLK_OP_READ, in, true, &b), 0);
    KT_EXPECT_EQ(b.requests, (uint32_t)BATCH_PIECES);
    KT_EXPECT_EQ(rd->dev.read_merges, 0ull);
    for (uint32_t i = 0; i < BATCH_PIECES; i++)
        KT_EXPECT_EQ(memcmp(in + (size_t)(BATCH_PIECES - 1 - i) * 4096,
                            out + (size_t)i * 4096, 4096), 0);
    KT_EXPECT_EQ(atomic_load(&rd->sg_requests), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
out:
    rd_release_all();
    vfree(out);
    vfree(in);
}

KTEST(blk, batch_scatter_gather_joins_separate_pages)
{
    size_t len = (size_t)BATCH_PIECES * 4096;
    uint8_t *out = vmalloc(len), *in = vmalloc(len);
    struct blk_batch b;
    struct rd *rd;

    rd_release_all();
    if (!out || !in) {
        ktest_fail(__FILE__, __LINE__, "out of memory");
        goto out;
    }
    /* 512 KiB requests of up to 128 pages: each 4 KiB piece its own page, in reverse order */
    rd = rd_create(RD_PREFIX, 4096, 512, 1024, 128);
    if (!rd)
        goto out;
    rd->batch = 2;
    fill_pattern(out, len, 9);
    KT_EXPECT_EQ(batch_pages(rd, BLK_OP_WRITE, out, true, &b), 0);
    pr_info("blk_batch: %u pieces -> %u requests (scatter-gather, 128 pages each)", b.pieces,
            b.requests);
    KT_EXPECT_EQ(b.requests, 2u);
    KT_EXPECT_EQ(rd->dev.writes, 2ull);
    KT_EXPECT_EQ(atomic_load(&rd->sg_requests), 2u);
    KT_EXPECT_EQ(rd->dev.write_merges, (uint64_t)BATCH_PIECES - 2);
    for (uint32_t i = 0; i < BATCH_PIECES; i++)
        KT_EXPECT_EQ(memcmp(rd->data + (size_t)i * 4096,
                            out + (size_t)(BATCH_PIECES - 1 - i) * 4096, 4096), 0);
    memset(in, 0, len);
    KT_EXPECT_EQ(batch_pages(rd, BLK_OP_READ, in, true, &b), 0);
    KT_EXPECT_EQ(b.requests, 2u);
    KT_EXPECT_EQ(memcmp(in, out, len), 0);
    /* contiguous memory still makes one segment per request: the single-buffer form */
    atomic_store(&rd->sg_requests, 0);
    KT_EXPECT_EQ(batch_pages(rd, BLK_OP_READ, in, false, &b), 0);
    KT_EXPECT_EQ(b.requests, 2u);
    KT_EXPECT_EQ(atomic_load(&rd->sg_requests), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
out:
    rd_release_all();
    vfree(out);
    vfree(in);
}

KTEST(blk, batch_splits_at_gaps_and_reports_errors)
{
    uint8_t *buf = vmalloc(16 * 4096);
    struct blk_batch b;
    struct rd *rd;

    rd_release_all();
    KT_ASSERT_NOT_NULL(buf);
    rd = rd_create(RD_PREFIX, 256, 512, 64, 16);
    if (!rd)
        goto out;
    /* sectors 0-7, 8-15, then a gap to 24: two requests */
    blk_batch_init(&b, &rd->dev, BLK_OP_WRITE);
    KT_EXPECT_EQ(blk_batch_add(&b, 0, 8, buf), 0);
    KT_EXPECT_EQ(blk_batch_add(&b, 8, 8, buf + 3 * 4096), 0);
    KT_EXPECT_EQ(blk_batch_add(&b, 24, 8, buf + 4096), 0);
    KT_EXPECT_EQ(blk_batch_finish(&b), 0);
    KT_EXPECT_EQ(b.requests, 2u);
    KT_EXPECT_EQ(rd->dev.write_merges, 1ull);
    /* a long piece is cut at max_sectors: 128 sectors in 2 requests */
    blk_batch_init(&b, &rd->dev, BLK_OP_READ);
    KT_EXPECT_EQ(blk_batch_add(&b, 64, 128, buf), 0);
    KT_EXPECT_EQ(blk_batch_finish(&b), 0);
    KT_EXPECT_EQ(b.requests, 2u);
    /* bad transfers are refused, and so is everything after them */
    blk_batch_init(&b, &rd->dev, BLK_OP_READ);
    KT_EXPECT_EQ(blk_batch_add(&b, 0, 8, buf), 0);
    KT_EXPECT_EQ(blk_batch_add(&b, 250, 8, buf), -ERANGE);
    KT_EXPECT_EQ(blk_batch_add(&b, 8, 8, buf), -ERANGE);
    KT_EXPECT_EQ(blk_batch_finish(&b), -ERANGE);
    blk_batch_init(&b, &rd->dev, BLK_OP_READ);
    KT_EXPECT_EQ(blk_batch_add(&b, 0, 0, buf), -EINVAL);
    KT_EXPECT_EQ(blk_batch_finish(&b), -EINVAL);
    blk_batch_init(&b, &rd->dev, BLK_OP_FLUSH);
    KT_EXPECT_EQ(blk_batch_add(&b, 0, 8, buf), -EINVAL);
    KT_EXPECT_EQ(blk_batch_finish(&b), -EINVAL);
    /* an empty batch does nothing */
    blk_batch_init(&b, &rd->dev, BLK_OP_WRITE);
    KT_EXPECT_EQ(blk_batch_finish(&b), 0);
    KT_EXPECT_EQ(b.requests, 0u);
    /* a device error reaches finish once everything has completed */
    rd->fail_lba = 40;
    blk_batch_init(&b, &rd->dev, BLK_OP_READ);
    for (uint32_t i = 0; i < 16; i++)
        (void)blk_batch_add(&b, (uint64_t)i * 8, 8, buf + (size_t)(15 - i) * 4096);
    KT_EXPECT_EQ(blk_batch_finish(&b), -EIO);
    KT_EXPECT_EQ(atomic_load(&rd->dev.inflight), 0u);
    rd->fail_lba = RD_NONE;
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
out:
    rd_release_all();
    vfree(buf);
}

/* ---- flush and counters ------------------------------------------------------------- */

KTEST(blk, flush_reaches_the_driver_only_with_a_write_cache)
{
    struct blk_waiter w;
    struct rd *rd;

    rd_release_all();
    rd = rd_new(64, 512, 8);
    RD_REQUIRE(rd);

    /* no write cache: nothing to do, and the driver is not asked */
    KT_EXPECT_EQ(blk_flush(&rd->dev), 0);
    KT_EXPECT_EQ(atomic_load(&rd->submits), 0u);
    KT_EXPECT_EQ(rd->dev.flushes, 0ull);
    /* a flush request completes at once, before blk_submit returns */
    w.calls = 0;
    KT_EXPECT_EQ(submit_wait(&rd->dev, BLK_OP_FLUSH, 0, 0, NULL, &w), 0);
    KT_EXPECT_EQ(w.calls, 1u);
    KT_EXPECT_EQ(atomic_load(&rd->flushes_seen), 0u);
    KT_EXPECT_EQ(rd->dev.flushes, 1ull);

    /* with a write cache the driver flushes */
    rd->dev.write_cache = true;
    KT_EXPECT_EQ(blk_flush(&rd->dev), 0);
    KT_EXPECT_EQ(atomic_load(&rd->flushes_seen), 1u);
    KT_EXPECT_EQ(rd->dev.flushes, 2ull);
    rd->fail_flush = true;
    KT_EXPECT_EQ(blk_flush(&rd->dev), -EIO);
    KT_EXPECT_EQ(atomic_load(&rd->flushes_seen), 2u);
    KT_EXPECT_EQ(rd->dev.errors, 1ull);
    KT_EXPECT_EQ(atomic_load(&rd->bad_requests), 0u);
    rd_release_all();
}

KTEST(blk, counters_count_completed_requests)
{
    static uint8_t buf[32 * BLK_SECTOR_SIZE];
    struct rd *rd;

    rd_release_all();
    rd = rd_new(64, 512, 8);
    RD_REQUIRE(rd);
    rd->dev.write_cache = true;
    KT_EXPECT_EQ(blk_write(&rd->dev, 0, 16, buf), 0);        /* 2 requests */
    KT_EXPECT_EQ(blk_read(&rd->dev, 8, 24, buf), 0);         /* 3 requests */
    KT_EXPECT_EQ(blk_flush(&rd->dev), 0);
    rd->fail_lba = 40;
    KT_EXPECT_EQ(blk_read(&rd->dev, 40, 8, buf), -EIO);      /* 1 failed request */
    KT_EXPECT_EQ(rd->dev.writes, 2ull);
    KT_EXPECT_EQ(rd->dev.sectors_written, 16ull);
    KT_EXPECT_EQ(rd->dev.reads, 4ull);
    KT_EXPECT_EQ(rd->dev.sectors_read, 24ull);
    KT_EXPECT_EQ(rd->dev.flushes, 1ull);
    KT_EXPECT_EQ(rd->dev.errors, 1ull);
    KT_EXPECT_EQ(rd->dev.inflight, 0u);
    rd_release_all();
    /* registering again starts from zero */
    rd = rd_new(64, 512, 8);
    RD_REQUIRE(rd);
    KT_EXPECT_EQ(rd->dev.reads + rd->dev.writes + rd->dev.flushes + rd->dev.errors, 0ull);
    rd_release_all();
}

/* ---- the shell commands -------------------------------------------------------------- */

#define OUT_SIZE    8192

static char out[OUT_SIZE];

/* Runs line with the shell's output captured into out; returns its result. */
static int run(const char *line)
{
    return shell_execute_captured(line, out, sizeof(out));
}

#define EXPECT_OUT_HAS(text)    KT_EXPECT_HAS(out, text)

/*
 * Splits the line of out that starts with "name " into blank-separated
 * words (in place, in a copy); returns how many, at most max.
 */
static size_t line_words(const char *name, char *copy, size_t size, char **words, size_t max)
{
    size_t n = 0, len = strlen(name);
    const char *line = out;

    while (line && !(strncmp(line, name, len) == 0 && line[len] == ' ')) {
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!line)
        return 0;
    strlcpy(copy, line, size);
    if (strchr(copy, '\n'))
        *strchr(copy, '\n') = '\0';
    for (char *p = copy; *p && n < max;) {
        while (*p == ' ')
            *p++ = '\0';
        if (!*p)
            break;
        words[n++] = p;
        while (*p && *p != ' ')
            p++;
    }
    return n;
}

KTEST(blk, shell_blk_lists_the_disks)
{
    static const char *const want[] = {
        "rda", "2048", "1.0", "MiB", "512", "rw", "yes", "ktest-rd", "ktest-ram", "3", "2", "1",
    };
    static uint8_t buf[16 * BLK_SECTOR_SIZE];
    char copy[256], *words[16];
    size_t n;
    struct rd *rd, *ro;

    rd_release_all();
    if (blk_count() == 0) {
        KT_EXPECT_EQ(run("blk"), 0);
        KT_EXPECT_STREQ(out, "no disks\n");
    }
    rd = rd_new(2048, 512, 8);
    RD_REQUIRE(rd);
    rd->dev.write_cache = true;
    ro = rd_new(4096, 4096, 64);
    RD_REQUIRE(ro);
    ro->dev.read_only = true;
    KT_EXPECT_EQ(blk_write(&rd->dev, 0, 16, buf), 0);        /* 2 writes */
    KT_EXPECT_EQ(blk_read(&rd->dev, 0, 16, buf), 0);         /* 2 reads */
    rd->fail_lba = 100;
    KT_EXPECT_EQ(blk_read(&rd->dev, 96, 8, buf), -EIO);      /* 1 more read, failed */

    KT_EXPECT_EQ(run("blk"), 0);
    EXPECT_OUT_HAS("NAME");
    EXPECT_OUT_HAS("READS");
    n = line_words("rda", copy, sizeof(copy), words, ARRAY_SIZE(words));
    KT_EXPECT_EQ(n, ARRAY_SIZE(want));
    for (size_t i = 0; i < MIN(n, ARRAY_SIZE(want)); i++)
        KT_EXPECT_STREQ(words[i], want[i]);
    n = line_words("rdb", copy, sizeof(copy), words, ARRAY_SIZE(words));
    KT_EXPECT_EQ(n, ARRAY_SIZE(want));
    if (n >= 7) {
        KT_EXPECT_STREQ(words[1], "4096");
        KT_EXPECT_STREQ(words[2], "2.0");
        KT_EXPECT_STREQ(words[4], "4096");
        KT_EXPECT_STREQ(words[5], "ro");
        KT_EXPECT_STREQ(words[6], "no");
    }
    KT_EXPECT_EQ(run("blk extra"), SHELL_USAGE);
    rd_release_all();
}

/* What `hexdump -C` prints for the sector blkread_dumps_a_sector writes. */
static const char dump_expected[] =
    "00000000  30 31 32 33 34 35 36 37  38 39 61 62 63 64 65 66  |0123456789abcdef|\n"
    "00000010  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n"
    "00000020  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n"
    "*\n"
    "000001f0  20 7e 7f 80 ff 41 00 00  00 00 00 00 00 00 00 42  | ~...A.........B|\n"
    "00000200\n";

/* Fills sector lba of rd's data with the bytes dump_expected shows. */
static void put_dump_sector(struct rd *rd, uint64_t lba)
{
    static const uint8_t tail[] = { 0x20, 0x7e, 0x7f, 0x80, 0xff, 'A' };
    uint8_t *s = rd->data + lba * BLK_SECTOR_SIZE;

    memcpy(s, "0123456789abcdef", 16);
    for (int i = 0; i < 16; i++)
        s[16 + i] = (uint8_t)i;
    memcpy(s + 0x1f0, tail, sizeof(tail));
    s[0x1ff] = 'B';
}

/* line succeeds and prints exactly want. */
static void expect_output(const char *line, const char *want)
{
    KT_EXPECT_EQ(run(line), 0);
    KT_EXPECT_STREQ(out, want);
}

KTEST(blk, shell_blkread_dumps_a_sector)
{
    struct rd *rd, *big;

    rd_release_all();
    rd = rd_new(64, 512, 8);
    RD_REQUIRE(rd);
    put_dump_sector(rd, 5);
    expect_output("blkread rda 5", dump_expected);
    expect_output("blkread rda 0x5", dump_expected);
    KT_EXPECT_EQ(rd->dev.reads, 2ull);

    /* 4 KiB blocks: the sector inside its block */
    big = rd_new(64, 4096, 8);
    RD_REQUIRE(big);
    put_dump_sector(big, 11);
    expect_output("blkread rdb 11", dump_expected);
    expect_output("blkread rdb 63", "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  "
                                    "|................|\n*\n00000200\n");
    rd_release_all();
}

KTEST(blk, shell_blkread_reports_errors)
{
    struct rd *rd;

    rd_release_all();
    rd = rd_new(64, 512, 8);
    RD_REQUIRE(rd);
    KT_EXPECT_EQ(run("blkread vdz 0"), -ENODEV);
    EXPECT_OUT_HAS("blkread: no disk named vdz");
    KT_EXPECT_EQ(run("blkread rda"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: blkread DEV LBA");
    KT_EXPECT_EQ(run("blkread rda 1 2"), SHELL_USAGE);
    KT_EXPECT_EQ(run("blkread rda first"), SHELL_USAGE);
    EXPECT_OUT_HAS("blkread: 'first' is not a sector number");
    EXPECT_OUT_HAS("usage: blkread DEV LBA");
    KT_EXPECT_EQ(run("blkread rda -1"), SHELL_USAGE);
    KT_EXPECT_EQ(run("blkread rda 64"), -ERANGE);
    EXPECT_OUT_HAS("blkread: sector 64 is past the end of rda (64 sectors)");
    KT_EXPECT_EQ(run("blkread rda 18446744073709551615"), -ERANGE);
    rd->fail_lba = 7;
    KT_EXPECT_EQ(run("blkread rda 7"), -EIO);
    EXPECT_OUT_HAS("blkread: reading sector 7 of rda failed: EIO");
    KT_EXPECT_TRUE(strstr(out, "00000000") == NULL);         /* no dump of a failed read */
    /* the shell and the disk carry on */
    KT_EXPECT_EQ(run("blkread rda 6; echo alive"), 0);
    EXPECT_OUT_HAS("00000200\n");
    EXPECT_OUT_HAS("alive\n");
    rd_release_all();
}
