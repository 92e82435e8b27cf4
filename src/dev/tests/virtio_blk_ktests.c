/*
 * src/dev/tests/virtio_blk_ktests.c - integration tests of the VirtIO block
 * and entropy drivers on disks the host prepared, and the virtio-blk
 * benchmarks.
 *
 * Part of dev's ktests, above dev/blk (and so dev/virtio_blk) and
 * dev/random (dev/virtio_rng). Every test is KTEST_MANUAL: it needs a QEMU
 * set up by test/qemu/blk_integration.py, which builds the disk images,
 * boots with `ktest=vblk.*` (or `ktest=bench.vblk*`) and, once QEMU has
 * exited, checks with cmp(1) that exactly the sectors written here changed,
 * to exactly what was written.
 *
 * The disks, found by their serial numbers (virtio-blk GET_ID, disk->model),
 * attached in this PCI order:
 *   vblk-a      4 MiB (vda)
 *   vblk-b      2 MiB + 1536 bytes: 4099 sectors, not a whole number of 4 KiB (vdb)
 *   vblk-eio    1 MiB behind QEMU's blkdebug, which fails every read of
 *               sector VBLK_EIO_LBA with EIO (vdc)
 *   vblk-bench  64 MiB or more, for the bench.vblk_* tests, which report
 *               "skipped" and pass without it (so `ktest=bench.*` runs anywhere)
 *
 * The pattern, the contract with blk_integration.py: sector l of a disk of
 * n sectors filled with seed s is 64 little-endian 64-bit words w[0..63]:
 *   w[0] = VBLK_MAGIC ("BSLTVBLK")   w[1] = l   w[2] = s   w[3] = n
 *   w[j] = mix(s + j * VBLK_GOLDEN) ^ mix(s ^ (l * VBLK_GOLDEN)), j = 4..63
 * with mix the splitmix64 finaliser (all arithmetic mod 2^64). Each disk has
 * its own seed, new every run; sector 0 tells the kernel the seed and n.
 * vblk.write_patterns rewrites VBLK_WRITE_COUNT sectors with seed ~s: on
 * vblk-a from VBLK_WRITE_LBA_A, on vblk-b the last ones (up to its odd end).
 * Other tests accept either seed there, so the tests may run in any order.
 */
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/string.h>
#include <core/time.h>
#include <core/x86.h>
#include <dev/blk.h>
#include <dev/random.h>
#include <dev/virtio.h>
#include <dev/virtio_blk.h>
#include <mm/kmalloc.h>
#include <mm/vmalloc.h>
#include <sched/sync.h>
#include <sched/thread.h>

#define VBLK_MAGIC          0x4b4c4256544c5342ull   /* "BSLTVBLK" as a little-endian word */
#define VBLK_GOLDEN         0x9e3779b97f4a7c15ull
#define VBLK_WORDS          (BLK_SECTOR_SIZE / 8)
#define VBLK_HEADER_WORDS   4

#define VBLK_SERIAL_A       "vblk-a"
#define VBLK_SERIAL_B       "vblk-b"
#define VBLK_SERIAL_EIO     "vblk-eio"
#define VBLK_SERIAL_BENCH   "vblk-bench"
#define VBLK_WRITE_LBA_A    1000    /* not 4 KiB aligned */
#define VBLK_WRITE_COUNT    300
#define VBLK_EIO_LBA        100
#define VBLK_CHUNK          256     /* sectors per blk_read of a whole-disk pass */
#define VBLK_REPORT_MAX     8       /* mismatching sectors reported per check */

/* ---- the pattern ------------------------------------------------------------ */

static uint64_t vblk_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t vblk_word(uint64_t lba, uint64_t seed, uint64_t sectors, unsigned j)
{
    switch (j) {
    case 0: return VBLK_MAGIC;
    case 1: return lba;
    case 2: return seed;
    case 3: return sectors;
    default: return vblk_mix(seed + j * VBLK_GOLDEN) ^ vblk_mix(seed ^ (lba * VBLK_GOLDEN));
    }
}

/* Fills count sectors from lba with the pattern of seed. */
static void vblk_fill(void *buf, uint64_t lba, uint32_t count, uint64_t seed, uint64_t sectors)
{
    uint64_t *w = buf;

    for (uint32_t s = 0; s < count; s++)
        for (unsigned j = 0; j < VBLK_WORDS; j++)
            *w++ = vblk_word(lba + s, seed, sectors, j);
}

/* The first word of sector (at lba) that differs from the pattern of seed, or -1. */
static int vblk_first_bad(const uint64_t *w, uint64_t lba, uint64_t seed, uint64_t sectors)
{
    for (unsigned j = 0; j < VBLK_WORDS; j++)
        if (w[j] != vblk_word(lba, seed, sectors, j))
            return (int)j;
    return -1;
}

/* ---- the disks ---------------------------------------------------------------- */

struct vblk_disk {
    struct blk_dev *dev;
    const char *serial;
    uint64_t seed;                  /* from its sector 0 */
    uint64_t sectors;               /* the size the host gave it, from its sector 0 */
    uint64_t wr_lba, wr_count;      /* what vblk.write_patterns rewrites with ~seed */
};

/* The disk whose serial is serial, or NULL. */
static struct blk_dev *vblk_by_serial(const char *serial)
{
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *dev = blk_get(i);

        if (dev && strcmp(dev->model, serial) == 0)
            return dev;
    }
    return NULL;
}

/*
 * Finds the disk serial and reads its seed and size from sector 0. Returns
 * 0, -ENODEV (no such disk), the read's error, or -EINVAL (sector 0 holds
 * no pattern), saying which.
 */
static int vblk_open(const char *serial, struct vblk_disk *d)
{
    uint64_t w[VBLK_WORDS];
    int err;

    *d = (struct vblk_disk){ .serial = serial, .dev = vblk_by_serial(serial) };
    if (!d->dev) {
        pr_err("vblk: no disk with serial %s", serial);
        return -ENODEV;
    }
    err = blk_read(d->dev, 0, 1, w);
    if (err) {
        pr_err("vblk: %s: reading sector 0 failed: %s", d->dev->name, errno_name(err));
        return err;
    }
    d->seed = w[2];
    d->sectors = w[3];
    if (vblk_first_bad(w, 0, d->seed, d->sectors) >= 0) {
        pr_err("vblk: %s: sector 0 holds no test pattern (magic %#llx)",
               d->dev->name, (unsigned long long)w[0]);
        return -EINVAL;
    }
    if (strcmp(serial, VBLK_SERIAL_A) == 0) {
        d->wr_lba = VBLK_WRITE_LBA_A;
        d->wr_count = VBLK_WRITE_COUNT;
    } else if (strcmp(serial, VBLK_SERIAL_B) == 0) {
        d->wr_lba = d->sectors - VBLK_WRITE_COUNT;
        d->wr_count = VBLK_WRITE_COUNT;
    }
    return 0;
}

#define VBLK_OPEN(serial_, d_) KT_ASSERT_EQ(vblk_open((serial_), (d_)), 0)

static bool vblk_written(const struct vblk_disk *d, uint64_t lba)
{
    return lba >= d->wr_lba && lba - d->wr_lba < d->wr_count;
}

/*
 * Checks count sectors read from lba into buf: each must hold the disk's
 * pattern, or the rewritten one (seed ~s) where vblk.write_patterns
 * writes. only_seed, if not 0, is the one seed accepted. Logs the first
 * few bad sectors ("vblk: vda: sector 777: pattern mismatch at byte 40 ...")
 * and returns how many were bad.
 */
static unsigned vblk_check(const struct vblk_disk *d, uint64_t lba, uint32_t count,
                           const void *buf, uint64_t only_seed)
{
    const uint64_t *w = buf;
    unsigned bad = 0;

    for (uint32_t s = 0; s < count; s++, w += VBLK_WORDS) {
        uint64_t l = lba + s, seed = w[2];
        int j;

        if (only_seed ? seed != only_seed
                      : seed != d->seed && !(seed == ~d->seed && vblk_written(d, l)))
            seed = only_seed ? only_seed : d->seed;
        j = vblk_first_bad(w, l, seed, d->sectors);
        if (j < 0)
            continue;
        if (bad++ < VBLK_REPORT_MAX)
            pr_err("vblk: %s: sector %llu: pattern mismatch at byte %d "
                   "(%#llx, expected %#llx)", d->dev->name, (unsigned long long)l, j * 8,
                   (unsigned long long)w[j], (unsigned long long)vblk_word(l, seed, d->sectors, j));
    }
    return bad;
}

/* Reads count sectors at lba and checks them: the bad ones (all when the read fails). */
static unsigned vblk_read_check(const struct vblk_disk *d, uint64_t lba, uint32_t count,
                                uint64_t only_seed)
{
    void *buf = kmalloc((size_t)count * BLK_SECTOR_SIZE);
    unsigned bad = count;
    int err;

    if (!buf)
        return bad;
    err = blk_read(d->dev, lba, count, buf);
    if (err)
        pr_err("vblk: %s: reading %u sectors at %llu failed: %s", d->dev->name, count,
               (unsigned long long)lba, errno_name(err));
    else
        bad = vblk_check(d, lba, count, buf, only_seed);
    kfree(buf);
    return bad;
}

/* ---- requests kept in flight -------------------------------------------------- */

/* Requests submitted through vblk_run and not finished yet, and the most there were. */
static uint32_t vblk_inflight, vblk_inflight_max;     /* [a] */

static void vblk_inflight_reset(void)
{
    atomic_store(&vblk_inflight, 0);
    atomic_store(&vblk_inflight_max, 0);
}

struct vblk_slot {
    struct blk_request rq;          /* first: a finished rq is its slot */
    void *buf;
};
_Static_assert(offsetof(struct vblk_slot, rq) == 0, "vblk_slot starts with its request");

/*
 * nreq requests of op on one disk, depth of them kept in flight (all of
 * them at once when depth >= nreq). next() chooses request i's lba and
 * count (and fills the buffer of a write); finish() checks a finished read
 * and returns how many sectors were bad. The done callback (interrupt
 * context) posts each finished request on a channel of depth entries
 * (never full: a request goes back out only after it was taken off); the
 * submitting thread takes it, looks at it and sends the slot out again.
 */
struct vblk_run {
    const struct vblk_disk *d;
    enum blk_op op;
    unsigned depth;
    uint32_t buf_sectors;
    uint64_t nreq;
    void (*next)(struct vblk_run *r, uint64_t i, struct blk_request *rq);
    unsigned (*finish)(struct vblk_run *r, const struct blk_request *rq);
    void *ctx;
    const bool *stop;               /* if set: no new request once *stop is true */
    /* results */
    uint64_t done_reqs, done_sectors;
    unsigned bad;
    int error;                      /* the first error, or 0 */
    struct chan done;
};

static void vblk_run_done(struct blk_request *rq)
{
    struct vblk_run *r = rq->ctx;

    atomic_dec(&vblk_inflight);
    (void)chan_try_send(&r->done, rq);
}

/* Sends request i out in slot s; 0 or blk_submit's error (recorded). */
static int vblk_run_submit(struct vblk_run *r, struct vblk_slot *s, uint64_t i)
{
    uint32_t n, max;
    int err;

    s->rq = (struct blk_request){ .op = r->op, .buf = s->buf, .done = vblk_run_done, .ctx = r };
    r->next(r, i, &s->rq);
    n = atomic_add_return(&vblk_inflight, 1);
    max = atomic_load(&vblk_inflight_max);
    while (n > max && !atomic_cmpxchg(&vblk_inflight_max, &max, n))
        ;
    err = blk_submit(r->d->dev, &s->rq);
    if (err) {
        atomic_dec(&vblk_inflight);
        r->error = r->error ? r->error : err;
    }
    return err;
}

/* Runs r; returns 0 or its first error (a refusal or a request's status). */
static int vblk_run_go(struct vblk_run *r)
{
    struct vblk_slot *slots;
    uint64_t sent = 0;
    unsigned out = 0, depth = (unsigned)MIN((uint64_t)r->depth, r->nreq);

    r->done_reqs = r->done_sectors = 0;
    r->bad = 0;
    r->error = 0;
    slots = kzalloc(sizeof(*slots) * depth);
    if (!slots || chan_init(&r->done, depth, "vblk-run") != 0) {
        kfree(slots);
        return -ENOMEM;
    }
    for (unsigned k = 0; k < depth; k++) {
        slots[k].buf = kzalloc((size_t)r->buf_sectors * BLK_SECTOR_SIZE);
        if (!slots[k].buf)
            r->error = -ENOMEM;
    }
    for (unsigned k = 0; k < depth && !r->error; k++)
        if (vblk_run_submit(r, &slots[k], sent++) == 0)
            out++;
    while (out > 0) {
        void *item;
        struct blk_request *rq;

        if (chan_recv(&r->done, &item) != 0) {
            /* only in atomic context (debug builds): leak what is still out, never reuse it */
            pr_err("vblk: cannot wait for %u requests in flight", out);
            return -EDEADLK;
        }
        rq = item;
        out--;
        r->done_reqs++;
        if (rq->status) {
            r->error = r->error ? r->error : rq->status;
        } else {
            r->done_sectors += rq->count;
            if (r->finish)
                r->bad += r->finish(r, rq);
        }
        if (!r->error && sent < r->nreq && !(r->stop && atomic_load(r->stop)) &&
            vblk_run_submit(r, (struct vblk_slot *)(void *)rq, sent++) == 0)
            out++;
    }
    for (unsigned k = 0; k < depth; k++)
        kfree(slots[k].buf);
    kfree(slots);
    chan_destroy(&r->done);
    return r->error;
}

/* finish() of the runs that read the test pattern. */
static unsigned vblk_run_check(struct vblk_run *r, const struct blk_request *rq)
{
    return vblk_check(r->d, rq->lba, rq->count, rq->buf, 0);
}

static uint64_t vblk_rand(uint64_t *state)
{
    *state = *state * 6364136223846793005ull + 1442695040888963407ull;
    return vblk_mix(*state);
}

/* ---- the tests --------------------------------------------------------------- */

/*
 * The three disks are there in PCI order with the sizes the host gave them;
 * the odd one has 4099 sectors (not a whole number of 4 KiB blocks) and its
 * last sector reads back with the pattern.
 */
KTEST_F(vblk, disks_found_in_order, KTEST_MANUAL)
{
    static const char *const serials[] = { VBLK_SERIAL_A, VBLK_SERIAL_B, VBLK_SERIAL_EIO };
    static const char *const names[] = { "vda", "vdb", "vdc" };
    struct vblk_disk d;

    for (size_t i = 0; i < ARRAY_SIZE(serials); i++) {
        VBLK_OPEN(serials[i], &d);
        KT_EXPECT_STREQ(d.dev->name, names[i]);
        KT_EXPECT_EQ(d.dev->sectors, d.sectors);
        KT_EXPECT_EQ(d.dev->block_size, BLK_SECTOR_SIZE);
        KT_EXPECT_FALSE(d.dev->read_only);
        KT_EXPECT_STREQ(d.dev->driver, "virtio-blk");
        pr_info("vblk: %s (%s): %llu sectors, seed %#llx", d.dev->name, d.serial,
                (unsigned long long)d.dev->sectors, (unsigned long long)d.seed);
    }
    VBLK_OPEN(VBLK_SERIAL_B, &d);
    KT_EXPECT_EQ(d.dev->sectors, 4099u);
    KT_EXPECT_EQ(vblk_read_check(&d, d.sectors - 1, 1, 0), 0u);
}

/* Every sector of vblk-a and vblk-b holds what the host wrote. */
KTEST_F(vblk, read_all_sectors, KTEST_MANUAL)
{
    static const char *const serials[] = { VBLK_SERIAL_A, VBLK_SERIAL_B };
    void *buf = kmalloc(VBLK_CHUNK * BLK_SECTOR_SIZE);

    KT_ASSERT_NOT_NULL(buf);
    for (size_t i = 0; i < ARRAY_SIZE(serials); i++) {
        struct vblk_disk d;
        uint64_t ok = 0;

        if (vblk_open(serials[i], &d) != 0) {
            ktest_fail(__FILE__, __LINE__, "no usable disk %s", serials[i]);
            continue;
        }
        for (uint64_t lba = 0; lba < d.sectors; lba += VBLK_CHUNK) {
            uint32_t n = (uint32_t)MIN((uint64_t)VBLK_CHUNK, d.sectors - lba);
            int err = blk_read(d.dev, lba, n, buf);

            KT_EXPECT_EQ(err, 0);
            if (err == 0)
                ok += n - vblk_check(&d, lba, n, buf, 0);
        }
        pr_info("vblk: %s (%s): verified %llu of %llu sectors (seed %#llx)",
                d.dev->name, d.serial, (unsigned long long)ok, (unsigned long long)d.dev->sectors,
                (unsigned long long)d.seed);
        KT_EXPECT_EQ(ok, d.sectors);
    }
    kfree(buf);
}

/* next() of the asynchronous rewrite of vblk-b: 20 sectors a request, pattern ~s. */
#define VBLK_WRITE_STEP 20
static void vblk_next_write(struct vblk_run *r, uint64_t i, struct blk_request *rq)
{
    const struct vblk_disk *d = r->d;

    rq->lba = d->wr_lba + i * VBLK_WRITE_STEP;
    rq->count = (uint32_t)MIN((uint64_t)VBLK_WRITE_STEP, d->wr_lba + d->wr_count - rq->lba);
    vblk_fill(rq->buf, rq->lba, rq->count, ~d->seed, d->sectors);
}

/* Checks vblk-a's or vblk-b's rewritten region and the sectors around it. */
static void vblk_check_rewritten(const struct vblk_disk *d)
{
    KT_EXPECT_EQ(vblk_read_check(d, d->wr_lba, (uint32_t)d->wr_count, ~d->seed), 0u);
    KT_EXPECT_EQ(vblk_read_check(d, d->wr_lba - 1, 1, d->seed), 0u);
    if (d->wr_lba + d->wr_count < d->sectors)
        KT_EXPECT_EQ(vblk_read_check(d, d->wr_lba + d->wr_count, 1, d->seed), 0u);
    pr_info("vblk: %s (%s): wrote sectors %llu..%llu with seed %#llx, flushed, read back",
            d->dev->name, d->serial, (unsigned long long)d->wr_lba,
            (unsigned long long)(d->wr_lba + d->wr_count - 1), (unsigned long long)~d->seed);
}

/*
 * Writes count sectors from lba of buf's pattern through a blk_batch of
 * 4 KiB pieces whose pages are taken in reverse order, so that only
 * scatter-gather can merge them. Returns finish's result; *requests is
 * how many requests went out.
 */
static int vblk_batch_reversed(struct blk_dev *dev, enum blk_op op, uint64_t lba,
                               uint32_t count, uint8_t *buf, uint32_t *requests)
{
    uint32_t npieces = (count + 7) / 8;
    struct blk_batch b;

    blk_batch_init(&b, dev, op);
    for (uint32_t i = 0; i < npieces; i++) {
        uint32_t n = MIN(8u, count - i * 8);

        if (blk_batch_add(&b, lba + (uint64_t)i * 8, n, buf + (size_t)(npieces - 1 - i) * 4096))
            break;
    }
    (void)blk_batch_finish(&b);
    *requests = b.requests;
    pr_info("blk_batch: %s: %u pieces -> %u requests", dev->name, b.pieces, b.requests);
    return b.error;
}

/* Puts the 4 KiB pieces of a linear buffer in the reversed page order vblk_batch_reversed uses. */
static void vblk_reverse_pages(uint8_t *dst, const uint8_t *src, uint32_t count)
{
    uint32_t npieces = (count + 7) / 8;

    for (uint32_t i = 0; i < npieces; i++)
        memcpy(dst + (size_t)(npieces - 1 - i) * 4096, src + (size_t)i * 4096,
               MIN(8u, count - i * 8) * BLK_SECTOR_SIZE);
}

/*
 * Rewrites vblk-a's region through a scatter-gather blk_batch (one request
 * of 38 pieces in separate pages) and vblk-b's last sectors with 20-sector
 * asynchronous writes, 8 in flight; flushes; reads back. The host compares
 * the images afterwards.
 */
KTEST_F(vblk, write_patterns, KTEST_MANUAL)
{
    struct vblk_disk a, b;
    struct vblk_run r;
    uint32_t requests = 0;
    uint8_t *buf, *sg;

    VBLK_OPEN(VBLK_SERIAL_A, &a);
    VBLK_OPEN(VBLK_SERIAL_B, &b);
    KT_ASSERT_TRUE(a.dev->write_cache && b.dev->write_cache);

    buf = kmalloc(VBLK_WRITE_COUNT * BLK_SECTOR_SIZE);
    sg = vmalloc((VBLK_WRITE_COUNT + 7) / 8 * 4096);
    if (!buf || !sg) {
        kfree(buf);
        vfree(sg);
        KT_ASSERT_TRUE(false);
    }
    vblk_fill(buf, a.wr_lba, VBLK_WRITE_COUNT, ~a.seed, a.sectors);
    vblk_reverse_pages(sg, buf, VBLK_WRITE_COUNT);
    KT_EXPECT_GE(a.dev->max_segs, 38u);
    KT_EXPECT_EQ(vblk_batch_reversed(a.dev, BLK_OP_WRITE, a.wr_lba, VBLK_WRITE_COUNT, sg,
                                     &requests), 0);
    KT_EXPECT_EQ(requests, 1u);
    kfree(buf);
    vfree(sg);
    KT_EXPECT_EQ(blk_flush(a.dev), 0);
    vblk_check_rewritten(&a);

    r = (struct vblk_run){ .d = &b, .op = BLK_OP_WRITE, .depth = 8,
                           .buf_sectors = VBLK_WRITE_STEP,
                           .nreq = (b.wr_count + VBLK_WRITE_STEP - 1) / VBLK_WRITE_STEP,
                           .next = vblk_next_write };
    KT_EXPECT_EQ(vblk_run_go(&r), 0);
    KT_EXPECT_EQ(r.done_sectors, b.wr_count);
    KT_EXPECT_EQ(blk_flush(b.dev), 0);
    vblk_check_rewritten(&b);
}

/*
 * Reads all of vblk-a (4 MiB) through a blk_batch of 4 KiB pieces in
 * reversed pages: scatter-gather requests of up to 512 KiB, so at most 8
 * (more if the device allows fewer segments), and every sector checked.
 */
KTEST_F(vblk, batch_reads_scatter_gather, KTEST_MANUAL)
{
    struct vblk_disk a;
    uint32_t requests = 0, limit;
    uint64_t reads;
    uint8_t *sg, *lin;

    VBLK_OPEN(VBLK_SERIAL_A, &a);
    KT_ASSERT_EQ(a.sectors % 8, 0u);
    sg = vmalloc((size_t)a.sectors * BLK_SECTOR_SIZE);
    lin = vmalloc((size_t)a.sectors * BLK_SECTOR_SIZE);
    if (!sg || !lin)
        goto out;
    reads = atomic_load(&a.dev->reads);
    KT_EXPECT_EQ(vblk_batch_reversed(a.dev, BLK_OP_READ, 0, (uint32_t)a.sectors, sg, &requests), 0);
    KT_EXPECT_EQ(atomic_load(&a.dev->reads) - reads, (uint64_t)requests);
    /* each request: up to max_sectors, and a page per piece within max_segs */
    limit = MIN(a.dev->max_sectors / 8, a.dev->max_segs);
    KT_EXPECT_GE(limit, 2u);
    KT_EXPECT_EQ(requests, (uint32_t)((a.sectors / 8 + limit - 1) / limit));
    for (uint32_t i = 0; i < a.sectors / 8; i++)
        memcpy(lin + (size_t)i * 4096, sg + (size_t)(a.sectors / 8 - 1 - i) * 4096, 4096);
    KT_EXPECT_EQ(vblk_check(&a, 0, (uint32_t)a.sectors, lin, 0), 0u);
out:
    KT_EXPECT_TRUE(sg && lin);
    vfree(sg);
    vfree(lin);
}

/* next() of the concurrent readers: 1-32 sectors at a random place. */
static void vblk_next_random(struct vblk_run *r, uint64_t i, struct blk_request *rq)
{
    uint64_t *state = r->ctx;

    (void)i;
    rq->count = 1 + (uint32_t)(vblk_rand(state) % r->buf_sectors);
    rq->lba = vblk_rand(state) % (r->d->sectors - rq->count + 1);
}

#define VBLK_READERS_MAX    8
#define VBLK_READER_DEPTH   8
#define VBLK_READER_REQS    48      /* per disk, per round */

struct vblk_reader {
    const struct vblk_disk *disks;  /* two */
    uint64_t state;
    uint64_t reqs, sectors;
    unsigned bad;
    int error;
};

static void *vblk_reader_main(void *p)
{
    struct vblk_reader *rd = p;

    for (unsigned round = 0; round < 2; round++) {
        for (unsigned k = 0; k < 2; k++) {
            struct vblk_run r = {
                .d = &rd->disks[(k + round) % 2], .op = BLK_OP_READ, .depth = VBLK_READER_DEPTH,
                .buf_sectors = 32, .nreq = VBLK_READER_REQS, .next = vblk_next_random,
                .finish = vblk_run_check, .ctx = &rd->state };
            int err = vblk_run_go(&r);

            rd->error = rd->error ? rd->error : err;
            rd->reqs += r.done_reqs;
            rd->sectors += r.done_sectors;
            rd->bad += r.bad;
        }
    }
    return NULL;
}

/*
 * Four or more threads, pinned to different CPUs when there are several,
 * each keeping 8 random reads in flight on vblk-a and vblk-b and checking
 * every sector; several requests must really have been out at once.
 */
KTEST_F(vblk, concurrent_readers, KTEST_MANUAL)
{
    /* static: the readers must not point into a frame an assertion may leave */
    static struct vblk_reader readers[VBLK_READERS_MAX];
    static struct vblk_disk disks[2];
    struct thread *t[VBLK_READERS_MAX];
    unsigned ncpu = cpu_count(), n = ncpu > 4 ? MIN(ncpu, (unsigned)VBLK_READERS_MAX) : 4;
    uint64_t reqs = 0, sectors = 0;
    unsigned bad = 0;

    VBLK_OPEN(VBLK_SERIAL_A, &disks[0]);
    VBLK_OPEN(VBLK_SERIAL_B, &disks[1]);
    vblk_inflight_reset();
    for (unsigned i = 0; i < n; i++) {
        readers[i] = (struct vblk_reader){ .disks = disks, .state = disks[0].seed + i };
        t[i] = thread_create("vblk-reader", vblk_reader_main, &readers[i], THREAD_CPU(i % ncpu));
        KT_ASSERT_NOT_NULL(t[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        KT_EXPECT_EQ(thread_join(t[i], NULL), 0);
        KT_EXPECT_EQ(readers[i].error, 0);
        KT_EXPECT_EQ(readers[i].reqs, 4u * VBLK_READER_REQS);
        reqs += readers[i].reqs;
        sectors += readers[i].sectors;
        bad += readers[i].bad;
    }
    pr_info("vblk: concurrent readers: %u threads on %u CPUs, %llu requests, %llu "
            "sectors checked, %u bad, up to %u requests in flight", n, MIN(n, ncpu),
            (unsigned long long)reqs, (unsigned long long)sectors, bad,
            atomic_load(&vblk_inflight_max));
    KT_EXPECT_EQ(bad, 0u);
    KT_EXPECT_GE(atomic_load(&vblk_inflight_max), 2u);
    KT_EXPECT_EQ(atomic_load(&vblk_inflight), 0u);
}

#define VBLK_BUSY_REQS  100000  /* the busy thread's cap: seconds of requests */
#define VBLK_SYNC_READS 32

static bool vblk_busy_stop;         /* [a] */

/* Keeps VBLK_READER_DEPTH random reads in flight on vblk-a until told to stop. */
static void *vblk_busy_main(void *p)
{
    static uint64_t state = 1;
    struct vblk_run *r = p;

    r->ctx = &state;
    vblk_run_go(r);
    return NULL;
}

/*
 * blk_read returns as soon as its own requests are done, however many
 * other requests are in flight on the disk: a thread keeps 8 reads out on
 * vblk-a while this one makes 32 synchronous reads of 1-256 sectors there.
 * The busy thread stops only when told to (or after VBLK_BUSY_REQS
 * requests, seconds later: then the reads waited for it, and the test
 * fails).
 */
KTEST_F(vblk, sync_reads_beside_async, KTEST_MANUAL)
{
    static struct vblk_disk a;
    static struct vblk_run busy;
    struct thread *t;
    uint64_t state = 7;
    unsigned bad = 0;
    void *buf = kmalloc(VBLK_CHUNK * BLK_SECTOR_SIZE);

    KT_ASSERT_NOT_NULL(buf);
    VBLK_OPEN(VBLK_SERIAL_A, &a);
    atomic_store(&vblk_busy_stop, false);
    busy = (struct vblk_run){ .d = &a, .op = BLK_OP_READ, .depth = VBLK_READER_DEPTH,
                              .buf_sectors = 32, .nreq = VBLK_BUSY_REQS,
                              .next = vblk_next_random, .stop = &vblk_busy_stop };
    t = thread_create("vblk-busy", vblk_busy_main, &busy, 0);
    KT_ASSERT_NOT_NULL(t);
    for (unsigned i = 0; i < VBLK_SYNC_READS; i++) {
        uint32_t n = 1 + (uint32_t)(vblk_rand(&state) % VBLK_CHUNK);
        uint64_t lba = vblk_rand(&state) % (a.sectors - n + 1);
        int err = blk_read(a.dev, lba, n, buf);

        KT_EXPECT_EQ(err, 0);
        if (!err)
            bad += vblk_check(&a, lba, n, buf, 0);
    }
    atomic_store(&vblk_busy_stop, true);
    KT_EXPECT_EQ(thread_join(t, NULL), 0);
    kfree(buf);
    pr_info("vblk: %s: %u synchronous reads done while %llu asynchronous ones ran",
            a.dev->name, VBLK_SYNC_READS, (unsigned long long)busy.done_reqs);
    KT_EXPECT_EQ(bad, 0u);
    KT_EXPECT_EQ(busy.error, 0);
    KT_EXPECT_LT(busy.done_reqs, (uint64_t)VBLK_BUSY_REQS);
}

/* next() of many_async_requests: request i reads sector 2i + 1. */
static void vblk_next_spread(struct vblk_run *r, uint64_t i, struct blk_request *rq)
{
    (void)r;
    rq->lba = 2 * i + 1;
    rq->count = 1;
}

/*
 * 160 one-sector reads submitted without waiting: more chains (3
 * descriptors each) than the 256-descriptor ring holds, so the submitter
 * sleeps for room; all of them finish with the right data.
 */
KTEST_F(vblk, many_async_requests, KTEST_MANUAL)
{
    struct vblk_disk a;
    struct vblk_run r;

    VBLK_OPEN(VBLK_SERIAL_A, &a);
    vblk_inflight_reset();
    r = (struct vblk_run){ .d = &a, .op = BLK_OP_READ, .depth = 160, .buf_sectors = 1,
                           .nreq = 160, .next = vblk_next_spread, .finish = vblk_run_check };
    KT_EXPECT_EQ(vblk_run_go(&r), 0);
    KT_EXPECT_EQ(r.done_reqs, 160u);
    KT_EXPECT_EQ(r.bad, 0u);
    pr_info("vblk: %s: 160 asynchronous reads, up to %u in flight", a.dev->name,
            atomic_load(&vblk_inflight_max));
    KT_EXPECT_GE(atomic_load(&vblk_inflight_max), 2u);
}

static void vblk_flag_done(struct blk_request *rq)
{
    atomic_store((bool *)rq->ctx, true);
}

/*
 * A read whose interrupt never reaches the handler still finishes: with
 * interrupts off on this CPU (the one the queue interrupts), the device
 * completes the read, two looks of virtq_watchdog find it unread on the
 * used ring and take it. (QEMU before 8.1 loses such interrupts for real
 * under TCG with one vCPU: it drops the guest's memory barriers.)
 */
KTEST_F(vblk, watchdog_takes_a_lost_interrupt, KTEST_MANUAL)
{
    struct vblk_disk a;
    struct virtq *vq;
    struct blk_request rq;
    bool done = false;
    uint64_t lost, start, flags;
    unsigned taken = 0;
    void *buf;
    int err;

    VBLK_OPEN(VBLK_SERIAL_A, &a);
    vq = virtio_blk_queue(a.dev);
    KT_ASSERT_TRUE(vq != NULL);
    KT_ASSERT_EQ(this_cpu()->index, 0u);    /* kmain: the CPU the interrupts go to */
    buf = kzalloc(BLK_SECTOR_SIZE);
    KT_ASSERT_TRUE(buf != NULL);
    rq = (struct blk_request){ .op = BLK_OP_READ, .lba = 7, .count = 1, .buf = buf,
                               .done = vblk_flag_done, .ctx = &done };
    lost = atomic_load(&vq->lost_interrupts);
    flags = irq_save();
    err = blk_submit(a.dev, &rq);
    if (err == 0) {
        start = time_ns();
        while (*(volatile uint16_t *)&vq->used->idx == vq->last_used &&
               time_ns() - start < 2000000000ull)
            cpu_relax();
        taken = virtq_watchdog(vq);
        taken += virtq_watchdog(vq);
    }
    irq_restore(flags);             /* the interrupt, if still pending, finds nothing */
    KT_EXPECT_EQ(err, 0);
    KT_EXPECT_TRUE(atomic_load(&done));
    KT_EXPECT_EQ(taken, 1u);
    KT_EXPECT_EQ(atomic_load(&vq->lost_interrupts), lost + 1);
    if (atomic_load(&done)) {
        KT_EXPECT_EQ(rq.status, 0);
        KT_EXPECT_EQ(vblk_check(&a, 7, 1, buf, 0), 0u);
    }
    kfree(buf);
}

/* Random bytes come from virtio-rng0 and differ between reads. */
KTEST_F(vblk, random_bytes_from_virtio_rng, KTEST_MANUAL)
{
    static uint8_t a[64], b[64], big[1000];
    const char *src = NULL;
    bool varied = false;

    KT_ASSERT_EQ(random_get_bytes(a, sizeof(a), &src), 0);
    KT_ASSERT_STREQ(src, "virtio-rng0");
    KT_ASSERT_EQ(random_get_bytes(b, sizeof(b), &src), 0);
    KT_EXPECT_TRUE(memcmp(a, b, sizeof(a)) != 0);
    for (size_t i = 1; i < sizeof(a); i++)
        varied |= a[i] != a[0];
    KT_EXPECT_TRUE(varied);
    /* more than the driver asks the device for at once */
    KT_ASSERT_EQ(random_get_bytes(big, sizeof(big), &src), 0);
    KT_EXPECT_TRUE(memcmp(big + sizeof(big) - sizeof(a), a, sizeof(a)) != 0);
}

/* ---- bad input -------------------------------------------------------------- */

#define VBLK_OUT_SIZE   2048
static char vblk_out[VBLK_OUT_SIZE];

/* Runs a shell line with its output in vblk_out; returns its result. */
static int vblk_shell(const char *line)
{
    const char *nl;
    int rc;

    shell_capture(vblk_out, sizeof(vblk_out));
    rc = shell_execute(line);
    shell_capture(NULL, 0);
    nl = strchr(vblk_out, '\n');
    pr_info("vblk: shell '%s' -> %s, first line '%.*s'", line,
            rc ? errno_name(rc) : "0", nl ? (int)(nl - vblk_out) : (int)strlen(vblk_out), vblk_out);
    return rc;
}

#define VBLK_EXPECT_OUT(text) KT_EXPECT_TRUE(strstr(vblk_out, (text)) != NULL)

static void vblk_never_done(struct blk_request *rq)
{
    *(bool *)rq->ctx = true;
}

/*
 * Reads and writes past the end of the odd disk fail with -ERANGE (and
 * write nothing: the host's cmp checks), the shell says so, and the last
 * sector still reads.
 */
KTEST_F(vblk, read_past_end, KTEST_MANUAL)
{
    struct vblk_disk b;
    uint64_t errors, n;
    bool called = false;
    struct blk_request rq;
    char line[48];
    void *buf = kzalloc(2 * BLK_SECTOR_SIZE);

    KT_ASSERT_NOT_NULL(buf);
    VBLK_OPEN(VBLK_SERIAL_B, &b);
    n = b.dev->sectors;
    errors = atomic_load(&b.dev->errors);
    KT_EXPECT_EQ(blk_read(b.dev, n, 1, buf), -ERANGE);
    KT_EXPECT_EQ(blk_read(b.dev, n - 1, 2, buf), -ERANGE);
    KT_EXPECT_EQ(blk_read(b.dev, UINT64_MAX, 1, buf), -ERANGE);
    KT_EXPECT_EQ(blk_read(b.dev, UINT64_MAX - 1, 2, buf), -ERANGE);     /* lba + count wraps */
    KT_EXPECT_EQ(blk_write(b.dev, n - 1, 2, buf), -ERANGE);
    rq = (struct blk_request){ .op = BLK_OP_READ, .lba = n, .count = 1, .buf = buf,
                               .done = vblk_never_done, .ctx = &called };
    KT_EXPECT_EQ(blk_submit(b.dev, &rq), -ERANGE);
    KT_EXPECT_FALSE(called);
    KT_EXPECT_EQ(atomic_load(&b.dev->errors), errors);     /* refused, never sent */

    snprintf(line, sizeof(line), "blkread %s %llu", b.dev->name, (unsigned long long)n);
    KT_EXPECT_EQ(vblk_shell(line), -ERANGE);
    VBLK_EXPECT_OUT("past the end");
    snprintf(line, sizeof(line), "blkread %s %llu", b.dev->name, (unsigned long long)(n - 1));
    KT_EXPECT_EQ(vblk_shell(line), 0);
    VBLK_EXPECT_OUT("BSLTVBLK");
    KT_EXPECT_EQ(vblk_read_check(&b, n - 1, 1, 0), 0u);
    kfree(buf);
}

/* A disk that does not exist: NULL from blk_find, a clear shell error, and the kernel goes on. */
KTEST_F(vblk, missing_device, KTEST_MANUAL)
{
    KT_EXPECT_TRUE(blk_find("vdz") == NULL);
    KT_EXPECT_TRUE(blk_find("") == NULL);
    KT_EXPECT_TRUE(vblk_by_serial("no-such-serial") == NULL);
    KT_EXPECT_EQ(vblk_shell("blkread vdz 0"), -ENODEV);
    VBLK_EXPECT_OUT("no disk named vdz");
    KT_EXPECT_EQ(vblk_shell("blkread vda banana"), SHELL_USAGE);
    KT_EXPECT_EQ(vblk_shell("blk"), 0);
    VBLK_EXPECT_OUT(VBLK_SERIAL_A);
    VBLK_EXPECT_OUT(VBLK_SERIAL_B);
}

/* next() of the asynchronous read of the failing sector. */
static void vblk_next_eio(struct vblk_run *r, uint64_t i, struct blk_request *rq)
{
    (void)r;
    (void)i;
    rq->lba = VBLK_EIO_LBA;
    rq->count = 1;
}

/*
 * QEMU's blkdebug fails every read of sector VBLK_EIO_LBA of vblk-eio:
 * blk_read and an asynchronous request get -EIO, the error is counted, and
 * the rest of the disk reads correctly before and after.
 */
KTEST_F(vblk, device_error, KTEST_MANUAL)
{
    struct vblk_disk e;
    struct vblk_run r;
    uint64_t errors;
    char line[48];
    void *buf = kmalloc(8 * BLK_SECTOR_SIZE);

    KT_ASSERT_NOT_NULL(buf);
    VBLK_OPEN(VBLK_SERIAL_EIO, &e);
    errors = atomic_load(&e.dev->errors);
    KT_EXPECT_EQ(blk_read(e.dev, VBLK_EIO_LBA, 1, buf), -EIO);
    KT_EXPECT_EQ(blk_read(e.dev, VBLK_EIO_LBA - 4, 8, buf), -EIO);
    KT_EXPECT_EQ(atomic_load(&e.dev->errors), errors + 2);
    r = (struct vblk_run){ .d = &e, .op = BLK_OP_READ, .depth = 1, .buf_sectors = 1, .nreq = 1,
                           .next = vblk_next_eio };
    KT_EXPECT_EQ(vblk_run_go(&r), -EIO);
    snprintf(line, sizeof(line), "blkread %s %u", e.dev->name, VBLK_EIO_LBA);
    KT_EXPECT_EQ(vblk_shell(line), -EIO);
    VBLK_EXPECT_OUT("EIO");
    /* the disk still works: everything but that sector, then that sector fails again */
    KT_EXPECT_EQ(vblk_read_check(&e, 0, VBLK_EIO_LBA, 0), 0u);
    KT_EXPECT_EQ(vblk_read_check(&e, VBLK_EIO_LBA + 1, (uint32_t)(e.sectors - VBLK_EIO_LBA - 1), 0),
                 0u);
    KT_EXPECT_EQ(blk_read(e.dev, VBLK_EIO_LBA, 1, buf), -EIO);
    pr_info("vblk: %s (%s): sector %u fails with EIO, the other %llu read back",
            e.dev->name, e.serial, VBLK_EIO_LBA, (unsigned long long)(e.sectors - 1));
    kfree(buf);
}

/* ---- benchmarks (ktest=bench.vblk*) ------------------------------------------ */

#define VBLK_BENCH_REQ          128     /* sectors: 64 KiB */
#define VBLK_BENCH_SMALL        8       /* sectors: 4 KiB */
#define VBLK_BENCH_DEPTH        16
#define VBLK_BENCH_PASSES       4       /* sequential: passes over the disk */
#define VBLK_BENCH_RAND_QD1     8192
#define VBLK_BENCH_RAND_QD16    32768

/*
 * The bench disk in d (only its size matters: the benchmarks check no data);
 * skips the benchmark when there is none.
 */
static void vblk_bench_disk(struct vblk_disk *d, const char *what)
{
    *d = (struct vblk_disk){ .serial = VBLK_SERIAL_BENCH, .dev = vblk_by_serial(VBLK_SERIAL_BENCH),
                             .seed = VBLK_GOLDEN };
    if (!d->dev)
        KT_SKIP("no disk with serial %s for %s (test/qemu/blk_integration.py --bench "
                "attaches one)", VBLK_SERIAL_BENCH, what);
    d->sectors = d->dev->sectors;
}

/* "bench: vblk <what>: <MB/s> MB/s, <IOPS> IOPS (...)": the line blk_integration.py reads. */
static void vblk_bench_report(const char *what, uint64_t reqs, uint64_t sectors, uint64_t ns)
{
    uint64_t bytes = sectors * BLK_SECTOR_SIZE, mbps10, iops;

    ns = ns ? ns : 1;
    mbps10 = bytes * 10000 / ns;            /* bytes/ns = 1000 MB/s (MB = 10^6 bytes) */
    iops = reqs * 1000000000ull / ns;
    pr_info("bench: vblk %s: %llu.%llu MB/s, %llu IOPS (%llu requests of %llu KiB "
            "in %llu.%03llu ms)", what, (unsigned long long)(mbps10 / 10),
            (unsigned long long)(mbps10 % 10), (unsigned long long)iops,
            (unsigned long long)reqs, (unsigned long long)(sectors / reqs / 2),
            (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000));
}

/* A write benchmark ends with a flush, timed on its own. */
static void vblk_bench_flush(const struct vblk_disk *d, uint64_t sectors)
{
    uint64_t t = rdtsc();

    KT_EXPECT_EQ(blk_flush(d->dev), 0);
    pr_info("bench: vblk flush after writing %llu MiB: %llu us",
            (unsigned long long)(sectors / 2048),
            (unsigned long long)(ktest_bench_ns_since(t) / 1000));
}

/* Request i of sequential passes over the disk. */
static void vblk_next_seq(struct vblk_run *r, uint64_t i, struct blk_request *rq)
{
    rq->lba = i % (r->d->sectors / r->buf_sectors) * r->buf_sectors;
    rq->count = r->buf_sectors;
}

/* A random, 4 KiB-aligned request of buf_sectors. */
static void vblk_next_rand_aligned(struct vblk_run *r, uint64_t i, struct blk_request *rq)
{
    (void)i;
    rq->count = r->buf_sectors;
    rq->lba = vblk_rand(r->ctx) % (r->d->sectors / r->buf_sectors) * r->buf_sectors;
}

/*
 * nreq requests of sectors each (nreq 0: VBLK_BENCH_PASSES passes over the disk), in order
 * or at random places; depth 1 goes through the synchronous blk_read /
 * blk_write, one call per request, deeper ones through vblk_run.
 */
static void vblk_bench(enum blk_op op, unsigned depth, uint32_t sectors, uint64_t nreq,
                       bool random, const char *what)
{
    struct vblk_disk d;
    struct vblk_run r;
    uint64_t state, t;

    vblk_bench_disk(&d, what);
    state = d.seed;
    r = (struct vblk_run){ .d = &d, .op = op, .depth = depth, .buf_sectors = sectors,
                           .nreq = nreq ? nreq : VBLK_BENCH_PASSES * (d.sectors / sectors),
                           .next = random ? vblk_next_rand_aligned : vblk_next_seq,
                           .ctx = &state };
    if (depth > 1) {
        t = rdtsc();
        KT_ASSERT_EQ(vblk_run_go(&r), 0);
    } else {
        struct blk_request rq = { .buf = kzalloc((size_t)sectors * BLK_SECTOR_SIZE) };
        int err = 0;

        KT_ASSERT_NOT_NULL(rq.buf);
        t = rdtsc();
        for (uint64_t i = 0; i < r.nreq && !err; i++) {
            r.next(&r, i, &rq);
            err = op == BLK_OP_READ ? blk_read(d.dev, rq.lba, rq.count, rq.buf)
                                    : blk_write(d.dev, rq.lba, rq.count, rq.buf);
            r.done_reqs++;
            r.done_sectors += rq.count;
        }
        kfree(rq.buf);
        KT_ASSERT_EQ(err, 0);
    }
    vblk_bench_report(what, r.done_reqs, r.done_sectors, ktest_bench_ns_since(t));
    if (op == BLK_OP_WRITE)
        vblk_bench_flush(&d, r.done_sectors);
}

KTEST_F(bench, vblk_seq_read_qd1, KTEST_MANUAL)
{
    vblk_bench(BLK_OP_READ, 1, VBLK_BENCH_REQ, 0, false, "seq read 64 KiB QD1");
}

KTEST_F(bench, vblk_seq_read_qd16, KTEST_MANUAL)
{
    vblk_bench(BLK_OP_READ, VBLK_BENCH_DEPTH, VBLK_BENCH_REQ, 0, false, "seq read 64 KiB QD16");
}

KTEST_F(bench, vblk_rand_read_qd1, KTEST_MANUAL)
{
    vblk_bench(BLK_OP_READ, 1, VBLK_BENCH_SMALL, VBLK_BENCH_RAND_QD1, true,
               "random read 4 KiB QD1");
}

KTEST_F(bench, vblk_rand_read_qd16, KTEST_MANUAL)
{
    vblk_bench(BLK_OP_READ, VBLK_BENCH_DEPTH, VBLK_BENCH_SMALL, VBLK_BENCH_RAND_QD16, true,
               "random read 4 KiB QD16");
}

KTEST_F(bench, vblk_seq_write_qd1, KTEST_MANUAL)
{
    vblk_bench(BLK_OP_WRITE, 1, VBLK_BENCH_REQ, 0, false, "seq write 64 KiB QD1");
}

KTEST_F(bench, vblk_seq_write_qd16, KTEST_MANUAL)
{
    vblk_bench(BLK_OP_WRITE, VBLK_BENCH_DEPTH, VBLK_BENCH_REQ, 0, false, "seq write 64 KiB QD16");
}
