/*
 * src/fs/tests/ext2_ktests.c - in-kernel tests of the ext2 driver (suite
 * ext2) on a disk image attached as a virtio disk.
 *
 * Part of fs's ktests. test/qemu/fs_integration.py makes the images with
 * mke2fs -d from a staging folder (the contract with these tests: the
 * files below), boots with `ktest=ext2.*` and afterwards runs the host's
 * e2fsck -fn and debugfs on each image. Without an ext2 disk the tests
 * skip. The disk is the first block device holding an ext2 superblock; it
 * is mounted at /ext2kt (created on the root file system). ext2.conformance
 * runs the VFS conformance suite (include/fs/vfs_conformance.h) there, each
 * case in a fresh directory removed afterwards.
 *
 * Staging files (fs_integration.py writes them): /hello.txt ("hello,
 * ext2\n"), /pattern.bin (PATTERN_BYTES bytes of kt_pattern(i, 1)),
 * /tind.bin (sparse: 4096 bytes of kt_pattern(i, 2) at TIND_OFFSET, past
 * what double indirection maps at 1 KiB blocks).
 *
 * ext2.damaged_walk is for the damaged images (fs_integration.py --damaged
 * attaches one per damage): it mounts every disk, walks what mounts, and
 * passes unless the kernel panics or hangs; the driver script checks the
 * error line of each disk.
 */
#include <fs/ext2.h>
#include <fs/vfs.h>
#include <fs/vfs_conformance.h>
#include <dev/blk.h>
#include <mm/kmalloc.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>

#define MNT             "/ext2kt"
#define PATTERN_BYTES   300000u
#define TIND_OFFSET     (70ull << 20)

/* The staging files' bytes: a function of the offset and a seed. */
static uint8_t kt_pattern(uint64_t i, unsigned seed)
{
    return (uint8_t)(i * 131u + (i >> 10) * 7u + seed * 29u);
}

static struct vfs_ctx *kt_ctx(void)
{
    struct vfs_ctx *ctx = vfs_kernel_ctx();

    if (!ctx)
        KT_SKIP("no root file system mounted");
    return ctx;
}

/* Does dev start with an ext2 superblock? */
static bool looks_ext2(struct blk_dev *dev)
{
    uint32_t bytes = ALIGN_UP(2048u, dev->block_size);
    uint8_t *buf = kmalloc(bytes);
    bool yes = false;

    if (buf && dev->sectors * 512 >= bytes && blk_read(dev, 0, bytes / 512, buf) == 0)
        yes = ext2_le16(buf + EXT2_SUPER_OFFSET + 56) == EXT2_MAGIC;
    kfree(buf);
    return yes;
}

/* "/dev/vdX" of the first disk with an ext2 superblock, or skips. */
static void kt_find_disk(char *src, size_t len)
{
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *dev = blk_get(i);
        if (dev && looks_ext2(dev)) {
            snprintf(src, len, "/dev/%s", dev->name);
            return;
        }
    }
    KT_SKIP("no ext2 disk attached (test/qemu/fs_integration.py attaches one)");
}

/* Mounts the test disk at MNT (flags: MS_RDONLY or 0). */
static struct vfs_ctx *kt_mount(unsigned long flags)
{
    struct vfs_ctx *ctx = kt_ctx();
    char src[24];

    KT_ASSERT_EQ(ext2_init(), 0);
    kt_find_disk(src, sizeof(src));
    int err = vfs_mkdir(ctx, NULL, MNT, 0755);
    KT_ASSERT_TRUE(err == 0 || err == -EEXIST);
    KT_ASSERT_EQ(vfs_mount(ctx, src, MNT, "ext2", flags, ""), 0);
    return ctx;
}

static void kt_umount(struct vfs_ctx *ctx)
{
    KT_ASSERT_EQ(vfs_umount(ctx, MNT, 0), 0);
}

static struct blk_dev *kt_disk(void)
{
    char src[24];

    kt_find_disk(src, sizeof(src));
    return blk_find(src + 5);
}

/* The superblock as it is on the disk now (1024 bytes into sb). */
static void kt_raw_super(uint8_t *sb)
{
    struct blk_dev *dev = kt_disk();
    uint32_t bytes = ALIGN_UP(2048u, dev->block_size);
    uint8_t *buf = kmalloc(bytes);

    KT_ASSERT_TRUE(buf != NULL);
    KT_ASSERT_EQ(blk_read(dev, 0, bytes / 512, buf), 0);
    memcpy(sb, buf + EXT2_SUPER_OFFSET, EXT2_SUPER_SIZE);
    kfree(buf);
}

static uint64_t kt_free_blocks(struct vfs_ctx *ctx)
{
    struct linux_statfs st;

    KT_ASSERT_EQ(vfs_statfs(ctx, NULL, MNT, &st), 0);
    return st.f_bfree;
}

/* Writes len bytes of kt_pattern(off.., seed) at off; returns len, or the first bad vfs_pwrite result. */
static ssize_t kt_write_pattern(struct file *f, uint64_t off, size_t len, unsigned seed)
{
    uint8_t *buf = kmalloc(4096);
    ssize_t r = (ssize_t)len;

    KT_ASSERT_TRUE(buf != NULL);
    for (size_t done = 0; done < len; done += 4096) {
        size_t n = MIN((size_t)4096, len - done);
        for (size_t i = 0; i < n; i++)
            buf[i] = kt_pattern(off + done + i, seed);
        ssize_t w = vfs_pwrite(f, buf, n, off + done);
        if (w != (ssize_t)n) {
            r = w;
            break;
        }
    }
    kfree(buf);
    return r;
}

/* Reads len bytes at off and compares them with the pattern; returns the bad bytes. */
static size_t kt_check_pattern(struct file *f, uint64_t off, size_t len, unsigned seed)
{
    uint8_t *buf = kmalloc(4096);
    size_t bad = 0;

    KT_ASSERT_TRUE(buf != NULL);
    for (size_t done = 0; done < len; done += 4096) {
        size_t n = MIN((size_t)4096, len - done);
        ssize_t r = vfs_pread(f, buf, n, off + done);
        if (r != (ssize_t)n) {
            bad += n;
            continue;
        }
        for (size_t i = 0; i < n; i++)
            bad += buf[i] != kt_pattern(off + done + i, seed);
    }
    kfree(buf);
    return bad;
}

static struct file *kt_open(struct vfs_ctx *ctx, const char *path, int flags, uint32_t mode)
{
    struct file *f = NULL;

    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, flags, mode, &f), 0);
    return f;
}

/* ---- the VFS conformance suite on ext2 ----------------------------------------- */

/* Removes path and everything below it (leftovers of a failed case). */
static void kt_rm_rf(struct vfs_ctx *ctx, const char *path, int depth)
{
    struct linux_stat st;
    struct file *f;
    ssize_t n;

    if (vfs_stat(ctx, NULL, path, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        vfs_unlink(ctx, NULL, path);
        return;
    }
    if (depth > 8 || vfs_open(ctx, NULL, path, O_RDONLY | O_DIRECTORY, 0, &f) != 0)
        return;
    uint8_t *buf = kmalloc(4096);
    char *child = kmalloc(512);
    while (buf && child && (n = vfs_getdents(f, buf, 4096)) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            off += e->d_reclen;
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                snprintf(child, 512, "%s/%s", path, e->d_name);
                kt_rm_rf(ctx, child, depth + 1);
            }
        }
    }
    kfree(buf);
    kfree(child);
    file_put(f);
    vfs_rmdir(ctx, NULL, path);
}

/* Every case of the suite, each in a fresh directory of its own. */
KTEST(ext2, conformance)
{
    struct vfs_ctx *ctx = kt_mount(0);
    char dir[64];
    int fails = 0;

    for (size_t i = 0; i < vfs_conformance_ncases; i++) {
        const char *name = vfs_conformance_cases[i];
        snprintf(dir, sizeof(dir), MNT "/conf_%s", name);
        KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, dir, 0755), 0);
        int f = vfs_conformance_run_one(dir, name);
        if (f)
            pr_info("ext2kt: conformance case %s: %d failed checks\n", name, f);
        fails += f;
        kt_rm_rf(ctx, dir, 0);
        KT_EXPECT_EQ(vfs_stat(ctx, NULL, dir, &(struct linux_stat){ 0 }, 0), -ENOENT);
    }
    KT_EXPECT_EQ(fails, 0);
    kt_umount(ctx);
}

/* ---- what mke2fs wrote is read back --------------------------------------------- */

KTEST(ext2, reads_mke2fs_files)
{
    struct vfs_ctx *ctx = kt_mount(MS_RDONLY);
    char buf[32];
    struct linux_stat st;

    struct file *f = kt_open(ctx, MNT "/hello.txt", O_RDONLY, 0);
    KT_EXPECT_EQ(vfs_read(f, buf, sizeof(buf)), 12);
    KT_EXPECT_TRUE(memcmp(buf, "hello, ext2\n", 12) == 0);
    file_put(f);

    f = kt_open(ctx, MNT "/pattern.bin", O_RDONLY, 0);
    KT_EXPECT_EQ(vfs_fstat(f, &st), 0);
    KT_EXPECT_EQ(st.st_size, PATTERN_BYTES);
    KT_EXPECT_EQ(kt_check_pattern(f, 0, PATTERN_BYTES, 1), 0u);
    file_put(f);

    f = kt_open(ctx, MNT "/tind.bin", O_RDONLY, 0);
    KT_EXPECT_EQ(vfs_fstat(f, &st), 0);
    KT_EXPECT_EQ((uint64_t)st.st_size, TIND_OFFSET + 4096);
    KT_EXPECT_EQ(kt_check_pattern(f, TIND_OFFSET, 4096, 2), 0u);
    KT_EXPECT_EQ(vfs_pread(f, buf, 16, 1 << 20), 16);       /* a hole reads as zeros */
    for (int i = 0; i < 16; i++)
        KT_EXPECT_EQ(buf[i], 0);
    file_put(f);
    kt_umount(ctx);
}

/* ---- a file reaching triple indirection, written and read back ------------------- */

KTEST(ext2, triple_indirect)
{
    struct vfs_ctx *ctx = kt_mount(0);
    struct linux_statfs sfs;
    struct linux_stat st;

    KT_ASSERT_EQ(vfs_statfs(ctx, NULL, MNT, &sfs), 0);
    uint64_t bs = (uint64_t)sfs.f_bsize, apb = bs / 4;
    uint64_t tind = EXT2_NDIR_BLOCKS + apb + apb * apb;     /* first triple-indirect block */
    uint64_t offs[] = { 0, EXT2_NDIR_BLOCKS * bs, (EXT2_NDIR_BLOCKS + apb) * bs + 17,
                        tind * bs + 100 };
    size_t len = (size_t)(2 * bs + 300);
    uint64_t before = kt_free_blocks(ctx);

    struct file *f = kt_open(ctx, MNT "/tind_w", O_CREAT | O_EXCL | O_RDWR, 0644);
    for (size_t i = 0; i < ARRAY_SIZE(offs); i++)
        KT_ASSERT_EQ(kt_write_pattern(f, offs[i], len, (unsigned)i + 3), (ssize_t)len);
    KT_EXPECT_EQ(vfs_fsync(f), 0);
    KT_EXPECT_EQ(vfs_fstat(f, &st), 0);
    KT_EXPECT_EQ((uint64_t)st.st_size, offs[3] + len);
    /* data (3 blocks per piece, 4 for the unaligned ones at most) and 1+2+3 indirect blocks */
    KT_EXPECT_GE((uint64_t)st.st_blocks * 512, (4 * 3 + 6) * bs);
    KT_EXPECT_LE((uint64_t)st.st_blocks * 512, (4 * 4 + 6) * bs);
    file_put(f);
    pr_info("ext2kt: triple indirect: file block %llu at %llu-byte blocks, %llu sectors\n",
            (unsigned long long)tind, (unsigned long long)bs, (unsigned long long)st.st_blocks);

    kt_umount(ctx);                     /* read back from the disk, not the cache */
    ctx = kt_mount(0);
    f = kt_open(ctx, MNT "/tind_w", O_RDONLY, 0);
    for (size_t i = 0; i < ARRAY_SIZE(offs); i++)
        KT_EXPECT_EQ(kt_check_pattern(f, offs[i], len, (unsigned)i + 3), 0u);
    file_put(f);

    /* truncation frees the data and every indirect block */
    KT_EXPECT_EQ(vfs_truncate(ctx, NULL, MNT "/tind_w", offs[2]), 0);
    KT_EXPECT_LT(before - kt_free_blocks(ctx), 3u * 3 + 3);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, MNT "/tind_w"), 0);
    KT_EXPECT_EQ(kt_free_blocks(ctx), before);
    kt_umount(ctx);
}

/* ---- a directory of 10,000 files -------------------------------------------------- */

static uint64_t kt_dir_entries(struct vfs_ctx *ctx, const char *path)
{
    struct file *d = kt_open(ctx, path, O_RDONLY | O_DIRECTORY, 0);
    uint8_t *buf = kmalloc(4096);
    uint64_t n = 0;
    ssize_t r;

    KT_ASSERT_TRUE(buf != NULL);
    while ((r = vfs_getdents(d, buf, 4096)) > 0) {
        for (ssize_t off = 0; off < r;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            n++;
            off += e->d_reclen;
        }
    }
    KT_EXPECT_EQ(r, 0);
    kfree(buf);
    file_put(d);
    return n;
}

#define BIG_N 10000u

KTEST(ext2, big_directory)
{
    struct vfs_ctx *ctx = kt_mount(0);
    char path[64];
    struct linux_stat st;

    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, MNT "/big", 0755), 0);
    uint64_t t0 = time_ns();
    for (unsigned i = 0; i < BIG_N; i++) {
        snprintf(path, sizeof(path), MNT "/big/file_%05u", i);
        struct file *f = kt_open(ctx, path, O_CREAT | O_EXCL | O_WRONLY, 0644);
        file_put(f);
    }
    uint64_t t1 = time_ns();
    KT_EXPECT_EQ(kt_dir_entries(ctx, MNT "/big"), BIG_N + 2);
    kt_umount(ctx);                     /* cold lookups after a remount */
    ctx = kt_mount(0);
    uint64_t t2 = time_ns();
    for (unsigned i = 0; i < BIG_N; i += 997) {
        snprintf(path, sizeof(path), MNT "/big/file_%05u", i);
        KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), 0);
    }
    uint64_t t3 = time_ns();
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/big/file_10000", &st, 0), -ENOENT);
    KT_EXPECT_EQ(kt_dir_entries(ctx, MNT "/big"), BIG_N + 2);
    /* renames inside the big directory, out of it and back, across a remount */
    char path2[64];
    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, MNT "/small", 0755), 0);
    for (unsigned i = 0; i < BIG_N; i += 50) {
        snprintf(path, sizeof(path), MNT "/big/file_%05u", i);
        snprintf(path2, sizeof(path2), i % 100 ? MNT "/big/moved_%05u" : MNT "/small/out_%05u", i);
        KT_EXPECT_EQ(vfs_rename(ctx, NULL, path, NULL, path2), 0);
    }
    kt_umount(ctx);
    ctx = kt_mount(0);
    for (unsigned i = 0; i < BIG_N; i += 50) {
        snprintf(path, sizeof(path), MNT "/big/file_%05u", i);
        KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), -ENOENT);
        snprintf(path2, sizeof(path2), i % 100 ? MNT "/big/moved_%05u" : MNT "/small/out_%05u", i);
        KT_EXPECT_EQ(vfs_stat(ctx, NULL, path2, &st, 0), 0);
        KT_EXPECT_EQ(vfs_rename(ctx, NULL, path2, NULL, path), 0);
    }
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, MNT "/small"), 0);
    KT_EXPECT_EQ(kt_dir_entries(ctx, MNT "/big"), BIG_N + 2);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, MNT "/big"), -ENOTEMPTY);
    for (unsigned i = 0; i < BIG_N; i++) {
        snprintf(path, sizeof(path), MNT "/big/file_%05u", i);
        KT_EXPECT_EQ(vfs_unlink(ctx, NULL, path), 0);
    }
    uint64_t t4 = time_ns();
    KT_EXPECT_EQ(kt_dir_entries(ctx, MNT "/big"), 2u);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, MNT "/big"), 0);
    pr_info("ext2kt: %u files: created in %llu ms, 11 cold lookups in %llu us, "
            "unlinked in %llu ms\n", BIG_N, (unsigned long long)(t1 - t0) / 1000000,
            (unsigned long long)(t3 - t2) / 1000, (unsigned long long)(t4 - t3) / 1000000);
    kt_umount(ctx);
}

/* ---- rename and unlink of open files ---------------------------------------------- */

KTEST(ext2, open_files_unlink_rename)
{
    struct vfs_ctx *ctx = kt_mount(0);
    char buf[8];
    uint64_t before = kt_free_blocks(ctx);

    /* unlinked while open: still readable and writable, freed at the last close */
    struct file *f = kt_open(ctx, MNT "/open_a", O_CREAT | O_EXCL | O_RDWR, 0644);
    KT_ASSERT_EQ(kt_write_pattern(f, 0, 100000, 9), 100000);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, MNT "/open_a"), 0);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, MNT "/open_a", O_RDONLY, 0, &(struct file *){ NULL }),
                 -ENOENT);
    KT_EXPECT_EQ(kt_check_pattern(f, 0, 100000, 9), 0u);
    KT_EXPECT_EQ(kt_write_pattern(f, 100000, 50000, 9), 50000);
    KT_EXPECT_EQ(vfs_fsync(f), 0);
    KT_EXPECT_EQ(kt_check_pattern(f, 0, 150000, 9), 0u);
    KT_EXPECT_LT(kt_free_blocks(ctx), before);
    file_put(f);
    KT_EXPECT_EQ(kt_free_blocks(ctx), before);

    /* renamed over while open: the open file keeps the old data */
    f = kt_open(ctx, MNT "/open_b", O_CREAT | O_EXCL | O_RDWR, 0644);
    KT_EXPECT_EQ(vfs_write(f, "old", 3), 3);
    struct file *g = kt_open(ctx, MNT "/open_c", O_CREAT | O_EXCL | O_RDWR, 0644);
    KT_EXPECT_EQ(vfs_write(g, "new", 3), 3);
    KT_EXPECT_EQ(vfs_rename(ctx, NULL, MNT "/open_c", NULL, MNT "/open_b"), 0);
    KT_EXPECT_EQ(vfs_pread(f, buf, 3, 0), 3);
    KT_EXPECT_TRUE(memcmp(buf, "old", 3) == 0);
    struct file *h = kt_open(ctx, MNT "/open_b", O_RDONLY, 0);
    KT_EXPECT_EQ(vfs_pread(h, buf, 3, 0), 3);
    KT_EXPECT_TRUE(memcmp(buf, "new", 3) == 0);
    file_put(h);
    file_put(f);
    /* renamed while open: writes through the open file land in the new name */
    KT_EXPECT_EQ(vfs_rename(ctx, NULL, MNT "/open_b", NULL, MNT "/open_d"), 0);
    KT_EXPECT_EQ(vfs_pwrite(g, "NEW", 3, 0), 3);
    file_put(g);
    h = kt_open(ctx, MNT "/open_d", O_RDONLY, 0);
    KT_EXPECT_EQ(vfs_pread(h, buf, 3, 0), 3);
    KT_EXPECT_TRUE(memcmp(buf, "NEW", 3) == 0);
    file_put(h);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, MNT "/open_d"), 0);
    KT_EXPECT_EQ(kt_free_blocks(ctx), before);
    kt_umount(ctx);
}

/* ---- a full disk ------------------------------------------------------------------- */

KTEST(ext2, fill_until_enospc)
{
    struct vfs_ctx *ctx = kt_mount(0);
    uint8_t *buf = kzalloc(65536);
    uint64_t before = kt_free_blocks(ctx), written = 0;
    ssize_t r;

    KT_ASSERT_TRUE(buf != NULL);
    memset(buf, 0x5a, 65536);
    struct file *f = kt_open(ctx, MNT "/fill", O_CREAT | O_EXCL | O_WRONLY, 0644);
    while ((r = vfs_write(f, buf, 65536)) == 65536)
        written += 65536;
    if (r > 0) {                        /* short: the disk filled part way */
        written += (uint64_t)r;
        r = vfs_write(f, buf, 65536);
    }
    KT_EXPECT_EQ(r, -ENOSPC);
    KT_EXPECT_EQ(vfs_fsync(f), 0);
    KT_EXPECT_EQ(kt_free_blocks(ctx), 0u);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/fill_dir", 0755), -ENOSPC);
    file_put(f);
    pr_info("ext2kt: filled: %llu bytes written before ENOSPC (%llu blocks were free)\n",
            (unsigned long long)written, (unsigned long long)before);
    KT_EXPECT_GT(written, 0u);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, MNT "/fill"), 0);
    KT_EXPECT_EQ(kt_free_blocks(ctx), before);
    kfree(buf);
    kt_umount(ctx);
}

/* ---- read-only mounts --------------------------------------------------------------- */

KTEST(ext2, readonly_mount_refuses_writes)
{
    uint8_t *sb0 = kmalloc(EXT2_SUPER_SIZE), *sb1 = kmalloc(EXT2_SUPER_SIZE);
    struct file *f = NULL;

    KT_ASSERT_TRUE(sb0 && sb1);
    kt_raw_super(sb0);
    struct vfs_ctx *ctx = kt_mount(MS_RDONLY);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, MNT "/ro_new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, MNT "/hello.txt", O_WRONLY, 0, &f), -EROFS);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/ro_dir", 0755), -EROFS);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, MNT "/hello.txt"), -EROFS);
    KT_EXPECT_EQ(vfs_rename(ctx, NULL, MNT "/hello.txt", NULL, MNT "/x"), -EROFS);
    KT_EXPECT_EQ(vfs_chmod(ctx, NULL, MNT "/hello.txt", 0600, 0), -EROFS);
    KT_EXPECT_EQ(vfs_truncate(ctx, NULL, MNT "/hello.txt", 0), -EROFS);
    f = kt_open(ctx, MNT "/hello.txt", O_RDONLY, 0);
    char buf[12];
    KT_EXPECT_EQ(vfs_read(f, buf, sizeof(buf)), 12);
    file_put(f);
    KT_EXPECT_EQ(vfs_sync(), 0);
    kt_umount(ctx);
    kt_raw_super(sb1);                  /* nothing written: not even the mount count */
    KT_EXPECT_TRUE(memcmp(sb0, sb1, EXT2_SUPER_SIZE) == 0);
    kfree(sb0);
    kfree(sb1);
}

/* ---- the state on disk, and everything surviving a remount -------------------------- */

#define SLOW_TARGET "a/rather/long/symlink/target/that/does/not/fit/in/the/inode/itself.txt"

KTEST(ext2, remount_and_verify)
{
    uint8_t *sb = kmalloc(EXT2_SUPER_SIZE);
    struct ext2_sb_dyn d0, d1, d2;
    struct linux_stat st, st2;
    char buf[128];

    KT_ASSERT_TRUE(sb != NULL);
    kt_raw_super(sb);
    ext2_sb_dyn_parse(sb, &d0);
    KT_EXPECT_TRUE(d0.state & EXT2_VALID_FS);

    struct vfs_ctx *ctx = kt_mount(0);
    kt_raw_super(sb);                   /* mounted read-write: not clean, counted */
    ext2_sb_dyn_parse(sb, &d1);
    KT_EXPECT_FALSE(d1.state & EXT2_VALID_FS);
    KT_EXPECT_EQ(d1.mnt_count, d0.mnt_count + 1);
    KT_EXPECT_GE(d1.mtime, d0.mtime);

    /* a small tree: files, links, a device node, directories moved across parents */
    int e = vfs_mkdir(ctx, NULL, MNT "/rv", 0755);
    KT_ASSERT_TRUE(e == 0 || e == -EEXIST);
    struct file *f = kt_open(ctx, MNT "/rv/data", O_CREAT | O_TRUNC | O_WRONLY, 0640);
    KT_EXPECT_EQ(kt_write_pattern(f, 0, 123457, 5), 123457);
    file_put(f);
    KT_EXPECT_EQ(vfs_link(ctx, NULL, MNT "/rv/data", NULL, MNT "/rv/data_link", 0), 0);
    KT_EXPECT_EQ(vfs_symlink(ctx, "data", NULL, MNT "/rv/fast"), 0);
    KT_EXPECT_EQ(vfs_symlink(ctx, SLOW_TARGET, NULL, MNT "/rv/slow"), 0);
    KT_EXPECT_EQ(vfs_mknod(ctx, NULL, MNT "/rv/null", S_IFCHR | 0666, KDEV(1, 3)), 0);
    KT_EXPECT_EQ(vfs_mknod(ctx, NULL, MNT "/rv/big_dev", S_IFBLK | 0600, KDEV(300, 70000)), 0);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/rv/a", 0755), 0);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/rv/b", 0755), 0);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/rv/a/x", 0700), 0);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/rv/a/x/y", 0700), 0);
    KT_EXPECT_EQ(vfs_rename(ctx, NULL, MNT "/rv/a/x", NULL, MNT "/rv/b/x"), 0);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/rv/a/gone", 0700), 0);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, MNT "/rv/b/over", 0700), 0);
    KT_EXPECT_EQ(vfs_rename(ctx, NULL, MNT "/rv/a/gone", NULL, MNT "/rv/b/over"), 0);
    kt_umount(ctx);

    kt_raw_super(sb);                   /* clean again after unmount */
    ext2_sb_dyn_parse(sb, &d2);
    KT_EXPECT_TRUE(d2.state & EXT2_VALID_FS);
    KT_EXPECT_EQ(d2.mnt_count, d1.mnt_count);
    KT_EXPECT_GE(d2.wtime, d1.wtime);

    ctx = kt_mount(MS_RDONLY);
    f = kt_open(ctx, MNT "/rv/data_link", O_RDONLY, 0);
    KT_EXPECT_EQ(kt_check_pattern(f, 0, 123457, 5), 0u);
    KT_EXPECT_EQ(vfs_fstat(f, &st), 0);
    file_put(f);
    KT_EXPECT_EQ(st.st_size, 123457);
    KT_EXPECT_EQ(st.st_nlink, 2u);
    KT_EXPECT_EQ(st.st_mode, (uint32_t)(S_IFREG | (0640 & ~ctx->umask)));
    KT_EXPECT_EQ(vfs_readlink(ctx, NULL, MNT "/rv/fast", buf, sizeof(buf)), 4);
    KT_EXPECT_TRUE(memcmp(buf, "data", 4) == 0);
    KT_EXPECT_EQ(vfs_readlink(ctx, NULL, MNT "/rv/slow", buf, sizeof(buf)),
                 (ssize_t)strlen(SLOW_TARGET));
    KT_EXPECT_TRUE(memcmp(buf, SLOW_TARGET, strlen(SLOW_TARGET)) == 0);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/fast", &st2, 0), 0);   /* followed */
    KT_EXPECT_EQ(st2.st_ino, st.st_ino);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/null", &st, AT_SYMLINK_NOFOLLOW), 0);
    KT_EXPECT_EQ(st.st_mode, (uint32_t)(S_IFCHR | (0666 & ~ctx->umask)));
    KT_EXPECT_EQ(st.st_rdev, linux_makedev(1, 3));
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/big_dev", &st, AT_SYMLINK_NOFOLLOW), 0);
    KT_EXPECT_EQ(st.st_rdev, linux_makedev(300, 70000));
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/a", &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);       /* x moved out, gone renamed away */
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/b", &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 4u);       /* x and over */
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/b/x/..", &st2, 0), 0);
    KT_EXPECT_EQ(st2.st_ino, st.st_ino);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, MNT "/rv/b/x/y", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, (uint32_t)(S_IFDIR | (0700 & ~ctx->umask)));
    kt_umount(ctx);
    kfree(sb);
}

/* ---- remounting read-write and read-only --------------------------------------------- */

static uint16_t kt_disk_state(uint16_t *mnt_count)
{
    uint8_t *sb = kmalloc(EXT2_SUPER_SIZE);
    struct ext2_sb_dyn d;

    KT_ASSERT_TRUE(sb != NULL);
    kt_raw_super(sb);
    ext2_sb_dyn_parse(sb, &d);
    kfree(sb);
    if (mnt_count)
        *mnt_count = d.mnt_count;
    return d.state;
}

KTEST(ext2, remount_ro_rw)
{
    uint16_t c0, c1;
    struct file *f = NULL;
    char buf[8];

    KT_EXPECT_TRUE(kt_disk_state(&c0) & EXT2_VALID_FS);
    struct vfs_ctx *ctx = kt_mount(MS_RDONLY);
    KT_EXPECT_TRUE(kt_disk_state(&c1) & EXT2_VALID_FS);    /* a read-only mount writes nothing */
    KT_EXPECT_EQ(c1, c0);
    KT_ASSERT_EQ(vfs_mount(ctx, NULL, MNT, NULL, MS_REMOUNT, ""), 0);      /* read-write */
    KT_EXPECT_FALSE(kt_disk_state(&c1) & EXT2_VALID_FS);
    KT_EXPECT_EQ(c1, c0 + 1);
    f = kt_open(ctx, MNT "/remounted", O_CREAT | O_EXCL | O_WRONLY, 0644);
    KT_EXPECT_EQ(vfs_write(f, "rw!", 3), 3);
    file_put(f);
    KT_ASSERT_EQ(vfs_mount(ctx, NULL, MNT, NULL, MS_REMOUNT | MS_RDONLY, ""), 0);
    KT_EXPECT_TRUE(kt_disk_state(NULL) & EXT2_VALID_FS);                    /* clean again */
    KT_EXPECT_EQ(vfs_open(ctx, NULL, MNT "/other", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
    f = kt_open(ctx, MNT "/remounted", O_RDONLY, 0);
    KT_EXPECT_EQ(vfs_read(f, buf, sizeof(buf)), 3);
    KT_EXPECT_TRUE(memcmp(buf, "rw!", 3) == 0);
    file_put(f);
    KT_ASSERT_EQ(vfs_mount(ctx, NULL, MNT, NULL, MS_REMOUNT, ""), 0);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, MNT "/remounted"), 0);
    kt_umount(ctx);
    KT_EXPECT_TRUE(kt_disk_state(NULL) & EXT2_VALID_FS);
}

/* ---- damaged images: every disk mounted and walked ------------------------------------ */

struct walk {
    struct vfs_ctx *ctx;
    unsigned entries, errors, budget;
    uint8_t *buf;
};

static void walk_dir(struct walk *w, const char *path, unsigned depth)
{
    struct file *d = NULL;
    int err = vfs_open(w->ctx, NULL, path, O_RDONLY | O_DIRECTORY, 0, &d);
    uint8_t *ents = kmalloc(2048);
    ssize_t r = 0;

    if (err || !ents) {
        w->errors++;
        kfree(ents);
        if (!err)
            file_put(d);
        return;
    }
    while (w->budget > 0 && (r = vfs_getdents(d, ents, 2048)) > 0) {
        for (ssize_t off = 0; off < r && w->budget > 0;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(ents + off);
            off += e->d_reclen;
            w->budget--;
            w->entries++;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char *child = kmalloc(512);
            if (!child)
                continue;
            snprintf(child, 512, "%s/%s", path, e->d_name);
            struct linux_stat st;
            if (vfs_stat(w->ctx, NULL, child, &st, AT_SYMLINK_NOFOLLOW) != 0) {
                w->errors++;
            } else if (S_ISDIR(st.st_mode) && depth < 8) {
                walk_dir(w, child, depth + 1);
            } else if (S_ISLNK(st.st_mode)) {
                if (vfs_readlink(w->ctx, NULL, child, (char *)w->buf, 4096) < 0)
                    w->errors++;
            } else if (S_ISREG(st.st_mode)) {
                struct file *f = NULL;
                if (vfs_open(w->ctx, NULL, child, O_RDONLY, 0, &f) != 0) {
                    w->errors++;
                } else {
                    for (uint64_t pos = 0; pos < (1u << 20); pos += 4096) {
                        ssize_t n = vfs_pread(f, w->buf, 4096, pos);
                        if (n < 0)
                            w->errors++;
                        if (n <= 0)
                            break;
                    }
                    file_put(f);
                }
            }
            kfree(child);
        }
    }
    if (r < 0)
        w->errors++;
    file_put(d);
    kfree(ents);
}

KTEST(ext2, damaged_walk)
{
    struct vfs_ctx *ctx = kt_ctx();
    char src[24];
    unsigned disks = 0;

    KT_ASSERT_EQ(ext2_init(), 0);
    int e = vfs_mkdir(ctx, NULL, "/ext2dmg", 0755);
    KT_ASSERT_TRUE(e == 0 || e == -EEXIST);
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *dev = blk_get(i);
        if (!dev || dev->whole)
            continue;
        disks++;
        snprintf(src, sizeof(src), "/dev/%s", dev->name);
        int err = vfs_mount(ctx, src, "/ext2dmg", "ext2", 0, "");
        if (err) {
            pr_info("ext2kt: %s: mount refused: error %d\n", dev->name, err);
            continue;
        }
        struct walk w = { .ctx = ctx, .budget = 5000, .buf = kmalloc(4096) };
        KT_ASSERT_TRUE(w.buf != NULL);
        walk_dir(&w, "/ext2dmg", 0);
        /* writing too: a file created, filled and removed, a directory made and removed */
        struct file *f = NULL;
        int werr = vfs_open(ctx, NULL, "/ext2dmg/dmg_new", O_CREAT | O_WRONLY, 0644, &f);
        if (!werr) {
            memset(w.buf, 0x33, 4096);
            for (int k = 0; k < 64; k++)
                if (vfs_write(f, w.buf, 4096) != 4096)
                    w.errors++;
            file_put(f);
            if (vfs_unlink(ctx, NULL, "/ext2dmg/dmg_new") != 0)
                w.errors++;
        } else {
            w.errors++;
        }
        if (vfs_mkdir(ctx, NULL, "/ext2dmg/dmg_dir", 0755) == 0 &&
            vfs_rmdir(ctx, NULL, "/ext2dmg/dmg_dir") != 0)
            w.errors++;
        kfree(w.buf);
        /* a file system forced read-only (unknown RO_COMPAT) must stay so */
        err = vfs_mount(ctx, NULL, "/ext2dmg", NULL, MS_REMOUNT, "");
        if (err)
            pr_info("ext2kt: %s: remount read-write: error %d\n", dev->name, err);
        vfs_sync();
        pr_info("ext2kt: %s: walked %u entries, %u errors\n", dev->name, w.entries, w.errors);
        KT_EXPECT_EQ(vfs_umount(ctx, "/ext2dmg", 0), 0);
    }
    if (disks == 0)
        KT_SKIP("no disk attached");
}
