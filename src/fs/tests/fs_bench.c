/*
 * src/fs/tests/fs_bench.c - file-system benchmarks through the VFS on ext2,
 * run with `ktest=bench.fs_*` (docs/benchmarks.md, "File systems (issue 12)").
 *
 * Part of fs's ktests (KTEST_MANUAL: never in a plain `ktest` run). The same
 * five measurements as the Linux program user/bench/fsbench.c, with the same
 * sizes and the same output line, so test/bench/fs_bench.py can set the two
 * side by side:
 *     bench: fs.<name>: <figure> <unit> (<details>)
 * (MB = 10^6 bytes; times from the calibrated TSC). They need an ext2 disk
 * whose virtio serial is "fs-bench" (test/bench/fs_bench.py attaches a fresh
 * `mke2fs -t ext2 -b 4096` image); without one they report skipped, so
 * `ktest=bench.*` runs anywhere. Each test mounts the disk on /mnt (made if
 * missing), measures, and unmounts it again, so every test starts from a
 * freshly mounted file system and leaves a consistent image for the host's
 * e2fsck; a test that needs the 64 MiB file writes it (untimed) when an
 * earlier test has not, so they can run in any order or alone (the runner
 * goes through them in its own order). Timing is reported, never judged:
 * the tests assert only that the operations succeed and move the bytes they
 * should.
 *   fs_write_fsync    64 MiB written in 64 KiB writes, vfs_fsync, close
 *   fs_read_cached    that file read from the page cache: best of 3 passes
 *                     (after one untimed pass that fills the cache)
 *   fs_read_uncached  read once right after an umount + mount
 *   fs_create_unlink  10,000 empty files created in a new directory, then
 *                     unlinked: time per file (create + unlink)
 *   fs_lookup_5deep   vfs_stat of /mnt/d1/d2/d3/d4/f5, cached: 50,000 times
 */
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/blk.h>
#include <fs/vfs.h>

#define FSB_SERIAL          "fs-bench"
#define FSB_MNT             "/mnt"
#define FSB_FSTYPE          "ext2"
#define FSB_FILE            FSB_MNT "/seq"
#define FSB_DIR             FSB_MNT "/cu"
#define FSB_FILE_BYTES      (64ull << 20)
#define FSB_CHUNK           (64u << 10)
#define FSB_CACHED_PASSES   3
#define FSB_CREATE_FILES    10000
#define FSB_LOOKUP_ROUNDS   50000

/* The I/O buffer: static, so an assertion that ends a test leaks nothing. */
static uint8_t fsb_buf[FSB_CHUNK] __aligned(4096);

/* "bench: fs.<name>: <MB/s> MB/s (<details>, <ms> ms)" for bytes moved in ns. */
static void fsb_report_mbps(const char *name, uint64_t bytes, uint64_t ns, const char *details)
{
    uint64_t mbps10 = bytes * 10000 / (ns ? ns : 1);      /* bytes/ns = GB/s; x1e3 MB/s, x10 */

    pr_info("bench: fs.%s: %llu.%llu MB/s (%s, %llu.%03llu ms)", name,
            (unsigned long long)(mbps10 / 10), (unsigned long long)(mbps10 % 10), details,
            (unsigned long long)(ns / 1000000), (unsigned long long)(ns / 1000 % 1000));
}

/* "bench: fs.<name>: <us/op> us/op (<ops> ops, <details>)". */
static void fsb_report_us(const char *name, uint64_t ns, uint64_t ops, const char *details)
{
    uint64_t us100 = ns / 10 / (ops ? ops : 1);

    pr_info("bench: fs.%s: %llu.%02llu us/op (%llu ops, %s)", name,
            (unsigned long long)(us100 / 100), (unsigned long long)(us100 % 100),
            (unsigned long long)ops, details);
}

/* The bench disk: the block device whose virtio serial (its model) is FSB_SERIAL. */
static struct blk_dev *fsb_disk(void)
{
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *dev = blk_get(i);

        if (dev && strcmp(dev->model, FSB_SERIAL) == 0)
            return dev;
    }
    return NULL;
}

/*
 * Mounts the bench disk on /mnt (skips the test when there is no such disk;
 * a mount left by a test that failed half-way is unmounted first). Returns
 * the kernel's VFS context.
 */
static struct vfs_ctx *fsb_mount(void)
{
    struct blk_dev *disk = fsb_disk();
    struct vfs_ctx *ctx;
    char source[8 + BLK_NAME_MAX];
    int err;

    if (!disk)
        KT_SKIP("no disk with serial %s (test/bench/fs_bench.py attaches an ext2 image)",
                FSB_SERIAL);
    ctx = vfs_kernel_ctx();
    KT_ASSERT_NOT_NULL(ctx);
    err = vfs_mkdir(ctx, NULL, FSB_MNT, 0755);
    if (err != -EEXIST)
        KT_ASSERT_EQ(err, 0);
    snprintf(source, sizeof(source), "/dev/%s", disk->name);
    err = vfs_mount(ctx, source, FSB_MNT, FSB_FSTYPE, 0, "");
    if (err == -EBUSY && vfs_umount(ctx, FSB_MNT, 0) == 0)
        err = vfs_mount(ctx, source, FSB_MNT, FSB_FSTYPE, 0, "");
    if (err)
        pr_err("fs_bench: mount %s on %s (%s): %s", source, FSB_MNT, FSB_FSTYPE, errno_name(err));
    KT_ASSERT_EQ(err, 0);
    return ctx;
}

static void fsb_umount(struct vfs_ctx *ctx)
{
    KT_EXPECT_EQ(vfs_umount(ctx, FSB_MNT, 0), 0);
}

/* Writes FSB_FILE_BYTES to path in FSB_CHUNK writes, then fsync. 0 or -errno. */
static int fsb_write_file(struct vfs_ctx *ctx, const char *path)
{
    struct file *f;
    int err;

    for (size_t i = 0; i < sizeof(fsb_buf); i++)
        fsb_buf[i] = (uint8_t)(i * 131u + 7u);
    err = vfs_open(ctx, NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);
    if (err)
        return err;
    for (uint64_t done = 0; done < FSB_FILE_BYTES; done += FSB_CHUNK) {
        ssize_t n = vfs_write(f, fsb_buf, FSB_CHUNK);

        if (n != (ssize_t)FSB_CHUNK) {
            err = n < 0 ? (int)n : -EIO;
            goto out;
        }
    }
    err = vfs_fsync(f);
out:
    file_put(f);
    return err;
}

/* Reads path whole in FSB_CHUNK reads; returns the bytes read or -errno. */
static int64_t fsb_read_file(struct vfs_ctx *ctx, const char *path)
{
    struct file *f;
    int64_t total = 0;
    ssize_t n;
    int err = vfs_open(ctx, NULL, path, O_RDONLY, 0, &f);

    if (err)
        return err;
    while ((n = vfs_read(f, fsb_buf, FSB_CHUNK)) > 0)
        total += n;
    file_put(f);
    return n < 0 ? n : total;
}

/* Makes sure the 64 MiB file exists (written untimed when it does not). */
static void fsb_need_file(struct vfs_ctx *ctx)
{
    struct linux_stat st;

    if (vfs_stat(ctx, NULL, FSB_FILE, &st, 0) == 0 && st.st_size == FSB_FILE_BYTES)
        return;
    KT_ASSERT_EQ(fsb_write_file(ctx, FSB_FILE), 0);
}

KTEST_F(bench, fs_write_fsync, KTEST_MANUAL)
{
    struct vfs_ctx *ctx = fsb_mount();
    uint64_t t;
    int err = vfs_unlink(ctx, NULL, FSB_FILE);  /* a new file, as on Linux: no truncation timed */

    if (err != -ENOENT)
        KT_EXPECT_EQ(err, 0);
    t = rdtsc();
    err = fsb_write_file(ctx, FSB_FILE);
    t = ktest_bench_ns_since(t);
    KT_EXPECT_EQ(err, 0);
    if (!err)
        fsb_report_mbps("write_fsync", FSB_FILE_BYTES, t, "64 MiB in 64 KiB writes + fsync");
    fsb_umount(ctx);
}

KTEST_F(bench, fs_read_cached, KTEST_MANUAL)
{
    struct vfs_ctx *ctx = fsb_mount();
    uint64_t best = UINT64_MAX;
    int64_t got;

    fsb_need_file(ctx);
    got = fsb_read_file(ctx, FSB_FILE);         /* fills the cache */
    KT_EXPECT_EQ(got, (int64_t)FSB_FILE_BYTES);
    for (int pass = 0; pass < FSB_CACHED_PASSES && got == (int64_t)FSB_FILE_BYTES; pass++) {
        uint64_t t = rdtsc();

        got = fsb_read_file(ctx, FSB_FILE);
        t = ktest_bench_ns_since(t);
        KT_EXPECT_EQ(got, (int64_t)FSB_FILE_BYTES);
        if (t < best)
            best = t;
    }
    if (got == (int64_t)FSB_FILE_BYTES)
        fsb_report_mbps("read_cached", FSB_FILE_BYTES, best, "64 MiB in 64 KiB reads, best of 3");
    fsb_umount(ctx);
}

KTEST_F(bench, fs_read_uncached, KTEST_MANUAL)
{
    struct vfs_ctx *ctx = fsb_mount();
    uint64_t t;
    int64_t got;

    fsb_need_file(ctx);
    fsb_umount(ctx);
    ctx = fsb_mount();
    t = rdtsc();
    got = fsb_read_file(ctx, FSB_FILE);
    t = ktest_bench_ns_since(t);
    KT_EXPECT_EQ(got, (int64_t)FSB_FILE_BYTES);
    if (got == (int64_t)FSB_FILE_BYTES)
        fsb_report_mbps("read_uncached", FSB_FILE_BYTES, t,
                        "64 MiB in 64 KiB reads after umount + mount");
    fsb_umount(ctx);
}

/* Creates (create) or unlinks FSB_CREATE_FILES files in FSB_DIR; 0 or the first error. */
static int fsb_files(struct vfs_ctx *ctx, bool create)
{
    char name[64];

    for (int i = 0; i < FSB_CREATE_FILES; i++) {
        struct file *f;
        int err;

        snprintf(name, sizeof(name), FSB_DIR "/f%05d", i);
        if (create) {
            err = vfs_open(ctx, NULL, name, O_WRONLY | O_CREAT | O_EXCL, 0644, &f);
            if (!err)
                file_put(f);
        } else {
            err = vfs_unlink(ctx, NULL, name);
        }
        if (err) {
            pr_err("fs_bench: %s %s: %s", create ? "create" : "unlink", name, errno_name(err));
            return err;
        }
    }
    return 0;
}

KTEST_F(bench, fs_create_unlink, KTEST_MANUAL)
{
    struct vfs_ctx *ctx = fsb_mount();
    uint64_t t, t_create = 0, t_unlink = 0;
    char details[80];
    int err;

    err = vfs_mkdir(ctx, NULL, FSB_DIR, 0755);
    KT_EXPECT_EQ(err, 0);
    if (err)
        goto out;
    t = rdtsc();
    err = fsb_files(ctx, true);
    t_create = ktest_bench_ns_since(t);
    KT_EXPECT_EQ(err, 0);
    if (!err) {
        t = rdtsc();
        err = fsb_files(ctx, false);
        t_unlink = ktest_bench_ns_since(t);
        KT_EXPECT_EQ(err, 0);
    }
    if (!err) {
        uint64_t c = t_create / 10 / FSB_CREATE_FILES, u = t_unlink / 10 / FSB_CREATE_FILES;

        snprintf(details, sizeof(details), "create %llu.%02llu us + unlink %llu.%02llu us",
                 (unsigned long long)(c / 100), (unsigned long long)(c % 100),
                 (unsigned long long)(u / 100), (unsigned long long)(u % 100));
        fsb_report_us("create_unlink", t_create + t_unlink, FSB_CREATE_FILES, details);
        KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, FSB_DIR), 0);
    }
out:
    fsb_umount(ctx);
}

KTEST_F(bench, fs_lookup_5deep, KTEST_MANUAL)
{
    static const char *const dirs[] = { FSB_MNT "/d1", FSB_MNT "/d1/d2", FSB_MNT "/d1/d2/d3",
                                        FSB_MNT "/d1/d2/d3/d4" };
    const char *path = FSB_MNT "/d1/d2/d3/d4/f5";
    struct vfs_ctx *ctx = fsb_mount();
    struct linux_stat st;
    struct file *f;
    uint64_t t;
    int err = 0;

    for (size_t i = 0; i < ARRAY_SIZE(dirs) && !err; i++) {
        err = vfs_mkdir(ctx, NULL, dirs[i], 0755);
        if (err == -EEXIST)
            err = 0;
    }
    if (!err)
        err = vfs_open(ctx, NULL, path, O_WRONLY | O_CREAT, 0644, &f);
    if (!err) {
        file_put(f);
        err = vfs_stat(ctx, NULL, path, &st, 0);        /* warms the caches */
    }
    KT_EXPECT_EQ(err, 0);
    if (err)
        goto out;
    t = rdtsc();
    for (int i = 0; i < FSB_LOOKUP_ROUNDS && !err; i++)
        err = vfs_stat(ctx, NULL, path, &st, 0);
    t = ktest_bench_ns_since(t);
    KT_EXPECT_EQ(err, 0);
    KT_EXPECT_TRUE(S_ISREG(st.st_mode));
    if (!err)
        fsb_report_us("lookup_5deep", t, FSB_LOOKUP_ROUNDS, "stat of <mnt>/d1/d2/d3/d4/f5, cached");
out:
    fsb_umount(ctx);
}
