/*
 * src/fs/tests/bcache_ktests.c - in-kernel tests of the buffer cache
 * (suite bcache): hits and misses, zeroed buffers, dirty buffers written in
 * one merged request, write errors keeping buffers dirty, read errors and
 * bad block numbers, reclaim and invalidation, concurrent readers of the
 * same blocks.
 *
 * Part of fs's ktests. The disks are dev/ramdisk RAM disks ("bcta"...),
 * which complete requests inside submit and count them in struct blk_dev;
 * every test drops the disk's buffers (bcache_invalidate) and destroys the
 * disk before it ends.
 */
#include <core/atomic.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/ramdisk.h>
#include <fs/bcache.h>
#include <sched/thread.h>

#define BCT_PREFIX      "bct"
#define BCT_SECTORS     2048            /* 1 MiB */

/* A RAM disk of 1 MiB whose sector s holds bytes (s * 7 + i) (NULL: test failed). */
static struct ramdisk *bct_disk(uint32_t max_sectors, uint32_t max_segs)
{
    struct ramdisk *rd;
    int err = ramdisk_create(BCT_PREFIX, BCT_SECTORS, 512, max_sectors, max_segs, &rd);

    if (err) {
        ktest_fail(__FILE__, __LINE__, "ramdisk_create: %s", errno_name(err));
        return NULL;
    }
    for (size_t i = 0; i < (size_t)BCT_SECTORS * 512; i++)
        rd->data[i] = (uint8_t)(i / 512 * 7 + i % 512);
    return rd;
}

static void bct_done(struct ramdisk *rd)
{
    if (!rd)
        return;
    KT_EXPECT_EQ(bcache_invalidate(&rd->dev), 0u);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
}

/* Does buf hold the initial pattern of len bytes from byte offset off? */
static bool bct_pattern_ok(const uint8_t *buf, size_t off, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != (uint8_t)((off + i) / 512 * 7 + (off + i) % 512))
            return false;
    return true;
}

KTEST(bcache, read_hits_after_the_first_miss)
{
    struct ramdisk *rd = bct_disk(256, 0);
    struct bcache_stats s0, s1;
    struct buf *a, *b;
    int err;

    KT_ASSERT_NOT_NULL(rd);
    bcache_init();
    s0 = bcache_stats();
    a = bcache_read(&rd->dev, 3, 1024, &err);
    KT_EXPECT_EQ(err, 0);
    if (!a)
        goto out;
    KT_EXPECT_TRUE(bct_pattern_ok(a->data, 3 * 1024, 1024));
    KT_EXPECT_EQ(a->flags & (BUF_UPTODATE | BUF_DIRTY), (uint32_t)BUF_UPTODATE);
    KT_EXPECT_EQ(rd->dev.reads, 1ull);
    b = bcache_read(&rd->dev, 3, 1024, &err);
    KT_EXPECT_TRUE(b == a);
    KT_EXPECT_EQ(rd->dev.reads, 1ull);          /* the second read came from the cache */
    KT_EXPECT_EQ(a->refs, 2u);
    s1 = bcache_stats();
    KT_EXPECT_EQ(s1.misses - s0.misses, 1ull);
    KT_EXPECT_EQ(s1.hits - s0.hits, 1ull);
    KT_EXPECT_EQ(s1.buffers - s0.buffers, 1ull);
    KT_EXPECT_EQ(s1.bytes - s0.bytes, 1024ull);
    bcache_put(b);
    bcache_put(a);
    /* another size of the same place is another buffer */
    b = bcache_read(&rd->dev, 6, 512, &err);
    KT_EXPECT_TRUE(b != NULL);
    KT_EXPECT_TRUE(b && bct_pattern_ok(b->data, 6 * 512, 512));
    KT_EXPECT_EQ(rd->dev.reads, 2ull);
    bcache_put(b);
    /* bcache_get_zero reads nothing and hands out zeros */
    b = bcache_get_zero(&rd->dev, 100, 1024, &err);
    KT_EXPECT_TRUE(b != NULL);
    if (b) {
        static const uint8_t zero[1024];

        KT_EXPECT_EQ(memcmp(b->data, zero, 1024), 0);
        KT_EXPECT_TRUE(b->flags & BUF_UPTODATE);
        bcache_put(b);
    }
    KT_EXPECT_EQ(rd->dev.reads, 2ull);
out:
    bct_done(rd);
}

KTEST(bcache, bad_blocks_and_read_errors)
{
    struct ramdisk *rd = bct_disk(256, 0);
    struct bcache_stats s0;
    struct buf *b;
    int err;

    KT_ASSERT_NOT_NULL(rd);
    s0 = bcache_stats();
    KT_EXPECT_TRUE(bcache_read(&rd->dev, 1024, 1024, &err) == NULL);    /* one past the end */
    KT_EXPECT_EQ(err, -ERANGE);
    KT_EXPECT_TRUE(bcache_read(&rd->dev, 0, 1000, &err) == NULL);
    KT_EXPECT_EQ(err, -EINVAL);
    KT_EXPECT_TRUE(bcache_read(&rd->dev, 0, 128 * 1024, &err) == NULL);
    KT_EXPECT_EQ(err, -EINVAL);
    KT_EXPECT_TRUE(bcache_read(NULL, 0, 1024, &err) == NULL);
    KT_EXPECT_EQ(err, -EINVAL);
    b = bcache_read(&rd->dev, 1023, 1024, &err);                        /* the last block */
    KT_EXPECT_TRUE(b != NULL);
    bcache_put(b);
    /* a device error: NULL with -EIO, and the next read tries the disk again */
    rd->fail_lba = 40;
    KT_EXPECT_TRUE(bcache_read(&rd->dev, 20, 1024, &err) == NULL);
    KT_EXPECT_EQ(err, -EIO);
    rd->fail_lba = RAMDISK_NONE;
    b = bcache_read(&rd->dev, 20, 1024, &err);
    KT_EXPECT_EQ(err, 0);
    KT_EXPECT_TRUE(b && bct_pattern_ok(b->data, 20 * 1024, 1024));
    bcache_put(b);
    KT_EXPECT_EQ(bcache_stats().buffers - s0.buffers, 2ull);
    bct_done(rd);
}

#define BCT_DIRTY   64

KTEST(bcache, sync_writes_dirty_buffers_in_one_request)
{
    /* scatter-gather: the buffers' separate memory joins in one request of 128 sectors */
    struct ramdisk *rd = bct_disk(256, 256);
    struct buf *v[BCT_DIRTY];
    uint64_t writes;
    int err;

    KT_ASSERT_NOT_NULL(rd);
    /* dirty blocks 200..263 of 1 KiB, dirtied out of order */
    for (unsigned i = 0; i < BCT_DIRTY; i++) {
        unsigned k = (i * 37) % BCT_DIRTY;

        v[k] = bcache_read(&rd->dev, 200 + k, 1024, &err);
        if (!v[k]) {
            ktest_fail(__FILE__, __LINE__, "read %u: %s", k, errno_name(err));
            goto out;
        }
        memset(v[k]->data, 0xa0 + (k & 0xf), 1024);
        bcache_dirty(v[k]);
        bcache_put(v[k]);
    }
    KT_EXPECT_EQ(bcache_stats().dirty, (uint64_t)BCT_DIRTY);
    /* nothing reached the disk yet */
    KT_EXPECT_TRUE(bct_pattern_ok(rd->data + 200 * 1024, 200 * 1024, BCT_DIRTY * 1024));
    writes = rd->dev.writes;
    KT_EXPECT_EQ(bcache_sync(&rd->dev), 0);
    pr_info("bcache: %u dirty buffers -> %llu write request(s)", BCT_DIRTY,
            (unsigned long long)(rd->dev.writes - writes));
    KT_EXPECT_EQ(rd->dev.writes - writes, 1ull);
    KT_EXPECT_EQ(atomic_load(&rd->sg_requests), 1u);
    KT_EXPECT_EQ(bcache_stats().dirty, 0ull);
    for (unsigned k = 0; k < BCT_DIRTY; k++) {
        KT_EXPECT_EQ(rd->data[(200 + k) * 1024], (uint8_t)(0xa0 + (k & 0xf)));
        KT_EXPECT_EQ(rd->data[(200 + k) * 1024 + 1023], (uint8_t)(0xa0 + (k & 0xf)));
    }
    KT_EXPECT_TRUE(bct_pattern_ok(rd->data + 199 * 1024, 199 * 1024, 1024));
    KT_EXPECT_TRUE(bct_pattern_ok(rd->data + 264 * 1024, 264 * 1024, 1024));
    /* a second sync has nothing to write */
    KT_EXPECT_EQ(bcache_sync(&rd->dev), 0);
    KT_EXPECT_EQ(rd->dev.writes - writes, 1ull);
    /* bcache_write_now writes one buffer at once, and only when dirty */
    v[0] = bcache_read(&rd->dev, 5, 1024, &err);
    if (v[0]) {
        v[0]->data[0] = 0x5a;
        KT_EXPECT_EQ(bcache_write_now(v[0]), 0);            /* clean: nothing written */
        KT_EXPECT_EQ(rd->dev.writes - writes, 1ull);
        bcache_dirty(v[0]);
        KT_EXPECT_EQ(bcache_write_now(v[0]), 0);
        KT_EXPECT_EQ(rd->dev.writes - writes, 2ull);
        KT_EXPECT_EQ(rd->data[5 * 1024], 0x5a);
        KT_EXPECT_FALSE(v[0]->flags & BUF_DIRTY);
        bcache_put(v[0]);
    }
out:
    bct_done(rd);
}

KTEST(bcache, failed_writes_stay_dirty)
{
    struct ramdisk *rd = bct_disk(256, 16);
    uint64_t dirty0 = bcache_stats().dirty;
    struct buf *b;
    int err;

    KT_ASSERT_NOT_NULL(rd);
    for (unsigned k = 0; k < 8; k++) {
        b = bcache_get_zero(&rd->dev, 10 + k, 1024, &err);
        if (!b)
            goto out;
        b->data[0] = (uint8_t)(k + 1);
        bcache_dirty(b);
        bcache_put(b);
    }
    rd->fail_lba = 12 * 2;
    KT_EXPECT_EQ(bcache_sync(&rd->dev), -EIO);
    KT_EXPECT_EQ(bcache_stats().dirty - dirty0, 8ull);    /* all of the failed batch */
    /* invalidate drops even dirty buffers (loudly): the disk is going away */
    KT_EXPECT_EQ(bcache_invalidate(&rd->dev), 0u);
    KT_EXPECT_EQ(bcache_stats().dirty, dirty0);
    for (unsigned k = 0; k < 8; k++) {
        b = bcache_get_zero(&rd->dev, 10 + k, 1024, &err);
        if (!b)
            goto out;
        b->data[0] = (uint8_t)(k + 1);
        bcache_dirty(b);
        bcache_put(b);
    }
    rd->fail_lba = RAMDISK_NONE;
    KT_EXPECT_EQ(bcache_sync(&rd->dev), 0);
    KT_EXPECT_EQ(bcache_stats().dirty, dirty0);
    for (unsigned k = 0; k < 8; k++)
        KT_EXPECT_EQ(rd->data[(10 + k) * 1024], (uint8_t)(k + 1));
out:
    rd->fail_lba = RAMDISK_NONE;
    bct_done(rd);
}

KTEST(bcache, reclaim_frees_only_clean_unreferenced_buffers)
{
    struct ramdisk *rd = bct_disk(256, 0);
    struct buf *held[2] = { NULL, NULL }, *b;
    struct bcache_stats s0;
    size_t freed = 0, n;
    int err;

    KT_ASSERT_NOT_NULL(rd);
    /* drop every clean unreferenced buffer first: the count below is exact */
    while ((n = bcache_reclaim(1000)) != 0)
        ;
    s0 = bcache_stats();
    for (unsigned k = 0; k < 10; k++) {
        b = bcache_read(&rd->dev, k, 1024, &err);
        if (!b)
            goto out;
        if (k < 2) {
            held[k] = b;                    /* referenced: stays */
            continue;
        }
        if (k == 2)
            bcache_dirty(b);                /* dirty: stays */
        bcache_put(b);
    }
    KT_EXPECT_EQ(bcache_stats().buffers - s0.buffers, 10ull);
    freed = bcache_reclaim(3);
    KT_EXPECT_EQ(freed, 3u);
    freed += bcache_reclaim(100);
    KT_EXPECT_EQ(freed, 7u);
    KT_EXPECT_EQ(bcache_stats().buffers - s0.buffers, 3ull);
    /* the survivors are the held and the dirty ones */
    b = bcache_read(&rd->dev, 2, 1024, &err);
    KT_EXPECT_TRUE(b && (b->flags & BUF_DIRTY));
    KT_EXPECT_EQ(rd->dev.reads, 10ull);
    bcache_put(b);
    KT_EXPECT_EQ(bcache_sync(&rd->dev), 0);
    /* invalidate keeps what is referenced and says how many */
    KT_EXPECT_EQ(bcache_invalidate(&rd->dev), 2u);
    KT_EXPECT_EQ(bcache_stats().buffers - s0.buffers, 2ull);
out:
    bcache_put(held[0]);
    bcache_put(held[1]);
    bct_done(rd);
}

#define BCT_THREADS 4
#define BCT_BLOCKS  64

struct bct_reader {
    struct blk_dev *dev;
    unsigned bad;
    int err;
};

static void *bct_reader_main(void *p)
{
    struct bct_reader *r = p;

    for (unsigned round = 0; round < 3; round++) {
        for (unsigned k = 0; k < BCT_BLOCKS; k++) {
            int err;
            struct buf *b = bcache_read(r->dev, k, 1024, &err);

            if (!b) {
                r->err = err;
                return NULL;
            }
            if (!bct_pattern_ok(b->data, (size_t)k * 1024, 1024))
                r->bad++;
            bcache_put(b);
        }
    }
    return NULL;
}

KTEST(bcache, concurrent_readers_read_each_block_once)
{
    struct ramdisk *rd = bct_disk(256, 0);
    struct bct_reader r[BCT_THREADS];
    struct thread *t[BCT_THREADS];

    KT_ASSERT_NOT_NULL(rd);
    for (unsigned i = 0; i < BCT_THREADS; i++) {
        r[i] = (struct bct_reader){ .dev = &rd->dev };
        t[i] = thread_create("bct-reader", bct_reader_main, &r[i], 0);
    }
    for (unsigned i = 0; i < BCT_THREADS; i++) {
        if (!t[i]) {
            ktest_fail(__FILE__, __LINE__, "thread_create failed");
            continue;
        }
        thread_join(t[i], NULL);
        KT_EXPECT_EQ(r[i].err, 0);
        KT_EXPECT_EQ(r[i].bad, 0u);
    }
    /* every block went to the disk exactly once, whoever asked first */
    KT_EXPECT_EQ(rd->dev.reads, (uint64_t)BCT_BLOCKS);
    bct_done(rd);
}
