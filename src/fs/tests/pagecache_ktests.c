/*
 * src/fs/tests/pagecache_ktests.c - in-kernel tests of the page cache's
 * disk path (what tmpfs never uses): read-in through get_block with holes,
 * read-ahead in merged requests, write-time block allocation and -ENOSPC,
 * writeback, truncate, reclaim and I/O errors, on a RAM disk with a toy
 * block map (file block i -> device block BASE + i, a hole where asked).
 *
 * Part of fs (tests). The inode and superblock are built by hand: the page
 * cache only needs sb->block_size/bdev/max_bytes and the inode's size,
 * aops and lock.
 */
#include <core/errno.h>
#include <core/ktest.h>
#include <core/string.h>
#include <dev/ramdisk.h>
#include <fs/pagecache.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>

#define T_BS        1024u
#define T_BASE      64u                 /* device block of file block 0 */
#define T_HOLE      5u                  /* file block left unmapped */
#define T_DISK_BLKS 2048u

struct toy {
    struct ramdisk *rd;
    struct super_block sb;
    struct inode inode;
    uint64_t allowed;                   /* highest file block get_block(create) may map */
    bool mapped[T_DISK_BLKS];
    uint32_t get_block_calls;
    uint32_t alias;                     /* nonzero: every block maps modulo this many */
};

static struct toy *toy_of(struct inode *inode)
{
    return container_of(inode, struct toy, inode);
}

static int toy_get_block(struct inode *inode, uint64_t iblock, bool create, uint64_t *pblock)
{
    struct toy *t = toy_of(inode);

    t->get_block_calls++;
    if (t->alias) {
        /* a file far larger than the disk: block i lives at BASE + i % alias */
        *pblock = T_BASE + iblock % t->alias;
        return 0;
    }
    *pblock = 0;
    if (iblock + T_BASE >= T_DISK_BLKS)
        return create ? -ENOSPC : 0;
    if (!t->mapped[iblock]) {
        if (!create)
            return 0;
        if (iblock > t->allowed)
            return -ENOSPC;
        t->mapped[iblock] = true;
    }
    *pblock = T_BASE + iblock;
    return 0;
}

static const struct pc_aops toy_aops = { .get_block = toy_get_block };

static uint8_t pattern(uint64_t off)
{
    return (uint8_t)(off * 13 + (off >> 10));
}

static struct toy *toy_new(void)
{
    struct toy *t = kzalloc(sizeof(*t));
    int err;

    if (!t)
        return NULL;
    err = ramdisk_create("pct", (uint64_t)T_DISK_BLKS * (T_BS / 512), 512, 256, 16, &t->rd);
    if (err) {
        kfree(t);
        return NULL;
    }
    t->sb.block_size = T_BS;
    t->sb.bdev = &t->rd->dev;
    t->sb.max_bytes = (uint64_t)T_DISK_BLKS * T_BS;
    t->inode.sb = &t->sb;
    t->inode.ino = 12;
    t->inode.mode = S_IFREG | 0644;
    t->inode.aops = &toy_aops;
    mutex_init(&t->inode.lock, "inode");
    t->allowed = UINT64_MAX;
    return t;
}

static void toy_free(struct toy *t)
{
    pagecache_drop_inode(&t->inode);
    ramdisk_destroy(t->rd);
    kfree(t);
}

/* A file of nblocks blocks already on the disk (pattern bytes), a hole at T_HOLE. */
static void toy_fill(struct toy *t, uint32_t nblocks)
{
    for (uint32_t b = 0; b < nblocks; b++) {
        uint8_t *dst = t->rd->data + (uint64_t)(T_BASE + b) * T_BS;
        if (b == T_HOLE)
            continue;
        t->mapped[b] = true;
        for (uint32_t i = 0; i < T_BS; i++)
            dst[i] = pattern((uint64_t)b * T_BS + i);
    }
    t->inode.size = (uint64_t)nblocks * T_BS;
}

KTEST(pagecache, readin_holes_and_readahead)
{
    struct toy *t = toy_new();
    uint32_t nblocks = 160;             /* 40 pages */
    uint64_t reads0;
    struct pagecache_stats s0, s1;
    uint8_t *buf;
    bool ok = true;

    KT_ASSERT_TRUE(t != NULL);
    toy_fill(t, nblocks);
    buf = kmalloc(nblocks * T_BS);
    KT_ASSERT_TRUE(buf != NULL);
    reads0 = t->rd->dev.reads;
    s0 = pagecache_stats();
    /* sequential 4 KiB reads, like a program reading a file */
    for (uint64_t off = 0; off < t->inode.size; off += 4096)
        KT_EXPECT_EQ(pagecache_read(&t->inode, buf + off, 4096, off), 4096);
    s1 = pagecache_stats();
    for (uint64_t off = 0; off < t->inode.size; off++) {
        uint8_t want = off / T_BS == T_HOLE ? 0 : pattern(off);
        if (buf[off] != want) {
            ok = false;
            break;
        }
    }
    KT_EXPECT_TRUE(ok);
    KT_EXPECT_EQ(s1.pages, s0.pages + 40);
    KT_EXPECT_GT(s1.readahead_pages, s0.readahead_pages);
    /* read-ahead windows travel as merged requests: far fewer than one per block */
    KT_EXPECT_LT(t->rd->dev.reads - reads0, 20u);
    /* reading past the end stops at the size */
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, 4096, t->inode.size - 10), 10);
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, 4096, t->inode.size), 0);
    /* cached now: no device reads */
    reads0 = t->rd->dev.reads;
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, 8192, 4096), 8192);
    KT_EXPECT_EQ(t->rd->dev.reads, reads0);
    /* a thread out of frames while holding this mapping (reading a file
     * larger than RAM) can still reclaim its clean pages */
    mutex_lock(&t->inode.mapping->lock);
    KT_EXPECT_GE(pagecache_reclaim(1000000), 40u);
    mutex_unlock(&t->inode.mapping->lock);
    KT_EXPECT_EQ(t->inode.mapping->npages, 0u);
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, 4096, 0), 4096);
    KT_EXPECT_EQ(buf[100], pattern(100));
    kfree(buf);
    toy_free(t);
}

KTEST(pagecache, write_allocates_and_writeback_merges)
{
    struct toy *t = toy_new();
    static uint8_t data[10000];
    uint64_t writes0;
    bool ok = true;

    KT_ASSERT_TRUE(t != NULL);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = pattern(i + 1000);
    mutex_lock(&t->inode.lock);
    KT_EXPECT_EQ(pagecache_write(&t->inode, data, sizeof(data), 1000), (ssize_t)sizeof(data));
    mutex_unlock(&t->inode.lock);
    KT_EXPECT_EQ(t->inode.size, 11000u);
    /* blocks 0..10 allocated at write time */
    for (unsigned b = 0; b <= 10; b++)
        KT_EXPECT_TRUE(t->mapped[b]);
    KT_EXPECT_FALSE(t->mapped[11]);
    KT_EXPECT_EQ(t->inode.mapping->ndirty, 3u);
    writes0 = t->rd->dev.writes;
    KT_EXPECT_EQ(pagecache_writeback_inode(&t->inode, true), 0);
    KT_EXPECT_EQ(t->inode.mapping->ndirty, 0u);
    /* 11 contiguous blocks: one merged request */
    KT_EXPECT_EQ(t->rd->dev.writes - writes0, 1u);
    for (size_t i = 0; i < sizeof(data); i++) {
        if (t->rd->data[(uint64_t)T_BASE * T_BS + 1000 + i] != data[i]) {
            ok = false;
            break;
        }
    }
    KT_EXPECT_TRUE(ok);
    /* the bytes before 1000 were a hole: zeros on the disk */
    KT_EXPECT_EQ(t->rd->data[(uint64_t)T_BASE * T_BS], 0);
    /* clean now: reclaim takes the pages, a read brings the data back */
    KT_EXPECT_GE(pagecache_reclaim(1000000), 3u);
    KT_EXPECT_EQ(t->inode.mapping->npages, 0u);
    memset(data, 0, sizeof(data));
    KT_EXPECT_EQ(pagecache_read(&t->inode, data, sizeof(data), 1000), (ssize_t)sizeof(data));
    KT_EXPECT_EQ(data[0], pattern(1000));
    KT_EXPECT_EQ(data[9999], pattern(10999));
    toy_free(t);
}

KTEST(pagecache, enospc_at_write_time)
{
    struct toy *t = toy_new();
    static uint8_t data[8192];

    KT_ASSERT_TRUE(t != NULL);
    t->allowed = 2;                     /* blocks 0..2 fit, then the disk is full */
    memset(data, 0x5a, sizeof(data));
    mutex_lock(&t->inode.lock);
    KT_EXPECT_EQ(pagecache_write(&t->inode, data, sizeof(data), 0), 3 * (ssize_t)T_BS);
    KT_EXPECT_EQ(t->inode.size, 3u * T_BS);
    KT_EXPECT_EQ(pagecache_write(&t->inode, data, 100, t->inode.size), -ENOSPC);
    KT_EXPECT_EQ(t->inode.size, 3u * T_BS);
    mutex_unlock(&t->inode.lock);
    KT_EXPECT_EQ(pagecache_writeback_inode(&t->inode, true), 0);
    toy_free(t);
}

KTEST(pagecache, truncate_drops_and_zeroes_tail)
{
    struct toy *t = toy_new();
    uint8_t buf[64];

    KT_ASSERT_TRUE(t != NULL);
    toy_fill(t, 16);                    /* 4 pages */
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, sizeof(buf), 12288), (ssize_t)sizeof(buf));
    mutex_lock(&t->inode.lock);
    KT_EXPECT_EQ(pagecache_truncate(&t->inode, 100), 0);
    t->inode.size = 100;
    /* grow again: what lay past 100 must read as zeros */
    t->inode.size = 4096;
    mutex_unlock(&t->inode.lock);
    KT_EXPECT_EQ(t->inode.mapping->npages, 1u);
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, sizeof(buf), 64), (ssize_t)sizeof(buf));
    KT_EXPECT_EQ(buf[35], pattern(99));
    KT_EXPECT_EQ(buf[36], 0);
    KT_EXPECT_EQ(buf[63], 0);
    toy_free(t);
}

KTEST(pagecache, read_error_is_reported_not_cached)
{
    struct toy *t = toy_new();
    uint8_t buf[64];

    KT_ASSERT_TRUE(t != NULL);
    toy_fill(t, 16);
    t->rd->fail_lba = (uint64_t)(T_BASE + 8) * (T_BS / 512);     /* page 2 */
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, sizeof(buf), 8192), -EIO);
    KT_EXPECT_TRUE(t->inode.mapping->npages == 0 || t->inode.mapping->npages < 4);
    t->rd->fail_lba = RAMDISK_NONE;
    KT_EXPECT_EQ(pagecache_read(&t->inode, buf, sizeof(buf), 8192), (ssize_t)sizeof(buf));
    KT_EXPECT_EQ(buf[0], pattern(8192));
    toy_free(t);
}

/*
 * The *_more_than_ram tests move RAM + 16 MiB through the cache: at -m 4G
 * that is minutes of TCG time, so above 512 MiB they skip, saying so; the
 * ktest boots at -m 64M and -m 128M (boot.mem64m, ktest.bios) run them.
 */
static void skip_if_ram_large(void)
{
    uint64_t mib = pmm_stats().managed_frames / 256;

    if (mib > 512)
        KT_SKIP("RAM is %llu MiB: moving more than that through the cache takes minutes under TCG (boot.mem64m runs this)",
                (unsigned long long)mib);
}

KTEST(pagecache, read_more_than_ram)
{
    skip_if_ram_large();
    struct toy *t = toy_new();
    uint64_t pages = (pmm_stats().managed_frames + 4096) & ~15ull, bad = 0;     /* whole 64 KiB reads */
    struct pagecache_stats s0 = pagecache_stats();
    uint8_t *buf = kmalloc(65536);

    KT_ASSERT_TRUE(t != NULL && buf != NULL);
    t->alias = 512;                     /* 512 KiB of disk behind the whole file */
    toy_fill(t, 512);
    t->inode.size = pages * 4096;
    for (uint64_t off = 0; off < t->inode.size; off += 65536) {
        ssize_t n = pagecache_read(&t->inode, buf, 65536, off);
        if (n != 65536) {
            ktest_fail(__FILE__, __LINE__, "read at %llu: %lld", (unsigned long long)off, (long long)n);
            break;
        }
        /* the hole block T_HOLE (mod alias) reads zeros, the rest the pattern */
        for (uint32_t i = 0; i < 65536; i += 1024) {
            uint64_t fb = (off + i) / T_BS, db = fb % t->alias;
            uint8_t want = db == T_HOLE ? 0 : pattern(db * T_BS + 7);
            bad += buf[i + 7] != want;
        }
    }
    KT_EXPECT_EQ(bad, 0u);
    KT_EXPECT_GT(pagecache_stats().reclaimed, s0.reclaimed + 4096);
    kfree(buf);
    toy_free(t);
}

/* Dirty pages cannot be reclaimed: a writer far past the dirty limit must
 * clean its own file (the toy's superblock is not mounted, so the flusher
 * never sees it). */
KTEST(pagecache, write_more_than_ram)
{
    skip_if_ram_large();
    struct toy *t = toy_new();
    uint64_t pages = (pmm_stats().managed_frames + 4096) & ~15ull;
    uint8_t *buf = kmalloc(65536);
    bool ok = true;

    KT_ASSERT_TRUE(t != NULL && buf != NULL);
    t->alias = 512;
    t->sb.max_bytes = (uint64_t)1 << 40;
    memset(buf, 0x3c, 65536);
    mutex_lock(&t->inode.lock);
    for (uint64_t off = 0; off < pages * 4096; off += 65536) {
        ssize_t n = pagecache_write(&t->inode, buf, 65536, off);
        if (n != 65536) {
            ktest_fail(__FILE__, __LINE__, "write at %llu: %lld", (unsigned long long)off, (long long)n);
            ok = false;
            break;
        }
    }
    mutex_unlock(&t->inode.lock);
    KT_EXPECT_TRUE(ok);
    KT_EXPECT_EQ(t->inode.size, ok ? pages * 4096 : t->inode.size);
    KT_EXPECT_EQ(pagecache_writeback_inode(&t->inode, true), 0);
    KT_EXPECT_EQ(t->rd->data[(uint64_t)T_BASE * T_BS + 5], 0x3c);
    kfree(buf);
    toy_free(t);
}
