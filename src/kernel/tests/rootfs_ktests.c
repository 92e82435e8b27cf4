/*
 * src/kernel/tests/rootfs_ktests.c - ktests of the root the boot set up
 * (kernel/rootfs): the initramfs's tree, a root= disk's files, and a write
 * workload on a read-write disk root that the host then checks.
 *
 * Part of the kernel executable's ktests. They look at the running
 * system's root, so each skips unless the boot matches it: an initramfs
 * module without root= (initramfs_tree), root= (disk_root_files,
 * big_file_read), root= with rw (disk_write_workload). The trees they expect are the build's
 * (images/mkimages.py); test/qemu/fs_boot.py runs them and checks the disk
 * afterwards (e2fsck -fn, debugfs cat).
 */
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/layout.h>
#include <core/multiboot2.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <fs/vfs.h>
#include <kernel/rootfs.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>

#define BIG_BLOCKS      (66u * 1024)    /* images/mkimages.py BIG_BLOCKS */
#define FIXED_MTIME     1767225600u     /* images/mkimages.py FIXED_MTIME */

static struct linux_stat st;
static char text[1100];

static ssize_t read_at(const char *path, uint64_t off, size_t len)
{
    struct file *f;
    ssize_t n;
    int err = vfs_open(vfs_kernel_ctx(), NULL, path, O_RDONLY, 0, &f);

    if (err)
        return err;
    n = vfs_pread(f, text, len, off);
    file_put(f);
    if (n >= 0)
        text[n] = 0;
    return n;
}

static bool root_given(void)
{
    return cmdline_value(cmdline_boot(), "root") != NULL;
}

/* Each registered pseudo file system sits on its directory: another device than "/". */
static void expect_standard_mounts(struct vfs_ctx *k)
{
    static const char *const mounts[][2] = {
        { "devtmpfs", "/dev" }, { "proc", "/proc" }, { "sysfs", "/sys" },
    };
    struct linux_stat root;

    KT_ASSERT_EQ(vfs_stat(k, NULL, "/", &root, 0), 0);
    for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
        if (!vfs_find_fs(mounts[i][0]))
            continue;
        KT_ASSERT_EQ(vfs_stat(k, NULL, mounts[i][1], &st, 0), 0);
        KT_EXPECT_NE(st.st_dev, root.st_dev);
    }
}

/* The ISO's initramfs (initramfs/ in the repository) is the root's tree. */
KTEST(rootfs, initramfs_tree)
{
    struct vfs_ctx *k = vfs_kernel_ctx();

    if (mb2_boot_info()->module_count == 0 || root_given()) {
        KT_SKIP("the boot had no initramfs module, or root= replaced it");
        return;
    }
    KT_ASSERT_TRUE(k != NULL);
    KT_ASSERT_EQ(read_at("/etc/hostname", 0, 100), 7);
    KT_EXPECT_STREQ(text, "basalt\n");
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/etc/welcome", &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);          /* a hard link to /etc/motd */
    KT_EXPECT_EQ(st.st_size, 19);
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/etc/motd", &st, 0), 0);
    KT_EXPECT_EQ(st.st_size, 19);           /* the data came with the last name */
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/etc/issue", &st, AT_SYMLINK_NOFOLLOW), 0);
    KT_EXPECT_TRUE(S_ISLNK(st.st_mode));
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/root", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 040700u);
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/README", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mtime_sec, FIXED_MTIME);
    expect_standard_mounts(k);
}

/* root=: the data disk's test files, big.dat around each of its block-map levels. */
KTEST(rootfs, disk_root_files)
{
    static const uint32_t blocks[] = {
        0, 11, 12, 267, 268, 65803, 65804, 65805, 66059, 66060, BIG_BLOCKS - 1,
    };
    struct vfs_ctx *k = vfs_kernel_ctx();
    char want[40];

    if (!root_given()) {
        KT_SKIP("no root= on the command line");
        return;
    }
    KT_ASSERT_TRUE(k != NULL);
    KT_ASSERT_EQ(read_at("/test/hello.txt", 0, 100), 25);
    KT_EXPECT_STREQ(text, "hello from the data disk\n");
    KT_EXPECT_EQ(read_at("/test/link", 0, 100), 25);
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/test/dir/b.txt", &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/test/big.dat", &st, 0), 0);
    KT_EXPECT_EQ(st.st_size, (int64_t)BIG_BLOCKS * 1024);
    for (size_t i = 0; i < ARRAY_SIZE(blocks); i++) {
        KT_ASSERT_EQ(read_at("/test/big.dat", (uint64_t)blocks[i] * 1024, 1024), 1024);
        snprintf(want, sizeof(want), "big.dat block %08u line 00 ", blocks[i]);
        KT_EXPECT_TRUE(memcmp(text, want, strlen(want)) == 0);
        snprintf(want, sizeof(want), "big.dat block %08u line 15 ", blocks[i]);
        KT_EXPECT_TRUE(memcmp(text + 15 * 64, want, strlen(want)) == 0);
        KT_EXPECT_EQ(text[1023], '\n');
        KT_EXPECT_EQ(text[1022], (char)('a' + blocks[i] % 26));
    }
    /* the standard mounts found their directories on the disk, /tmp's too */
    expect_standard_mounts(k);
    if (vfs_find_fs("tmpfs")) {
        struct linux_stat root;

        KT_ASSERT_EQ(vfs_stat(k, NULL, "/", &root, 0), 0);
        KT_ASSERT_EQ(vfs_stat(k, NULL, "/tmp", &st, 0), 0);
        KT_EXPECT_NE(st.st_dev, root.st_dev);
    }
}

static int write_text(const char *path, const char *s)
{
    struct file *f;
    ssize_t n;
    int err = vfs_open(vfs_kernel_ctx(), NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);

    if (err)
        return err;
    n = vfs_write(f, s, strlen(s));
    file_put(f);
    return n == (ssize_t)strlen(s) ? 0 : n < 0 ? (int)n : -EIO;
}

/*
 * root= rw: the workload fs_boot.py checks on the host: /ktest made, a file
 * written then renamed, a hard link and a symlink to it, a file written and
 * removed again, all synced. The disk's own files are left alone (the other
 * tests read them, in any order).
 */
KTEST(rootfs, disk_write_workload)
{
    struct vfs_ctx *k = vfs_kernel_ctx();

    if (!root_given() || (k && (k->root.mnt->flags & MNT_RDONLY))) {
        KT_SKIP("needs root= with rw");
        return;
    }
    KT_ASSERT_TRUE(k != NULL);
    KT_ASSERT_EQ(vfs_mkdir(k, NULL, "/ktest", 0755), 0);
    KT_ASSERT_EQ(write_text("/ktest/tmp.txt", "written by rootfs.disk_write_workload\n"), 0);
    KT_ASSERT_EQ(vfs_rename(k, NULL, "/ktest/tmp.txt", NULL, "/ktest/file.txt"), 0);
    KT_ASSERT_EQ(vfs_link(k, NULL, "/ktest/file.txt", NULL, "/ktest/hard.txt", 0), 0);
    KT_ASSERT_EQ(vfs_symlink(k, "file.txt", NULL, "/ktest/sym"), 0);
    KT_ASSERT_EQ(write_text("/ktest/gone.txt", "removed again\n"), 0);
    KT_ASSERT_EQ(vfs_unlink(k, NULL, "/ktest/gone.txt"), 0);
    KT_ASSERT_EQ(vfs_stat(k, NULL, "/ktest/hard.txt", &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);
    KT_EXPECT_EQ(vfs_stat(k, NULL, "/ktest/tmp.txt", &st, 0), -ENOENT);
    KT_EXPECT_EQ(read_at("/ktest/sym", 0, 100), 38);
    KT_EXPECT_EQ(vfs_sync(), 0);
}

/* Block i of /test/big.dat as images/mkimages.py's big_block(i) makes it. */
static void big_block(uint32_t i, char *out)
{
    for (unsigned line = 0; line < 16; line++) {
        char *l = out + line * 64;
        int n = snprintf(l, 64, "big.dat block %08u line %02u ", i, line);

        memset(l + n, 'a' + i % 26, (size_t)(63 - n));
        l[63] = '\n';
    }
}

/*
 * root=: all of /test/big.dat (66 MiB, more than the RAM of a -m 64M
 * machine) read in 64 KiB pieces and every byte compared with the pattern:
 * the page cache must give memory back as it goes (fs.root_bigread).
 */
KTEST(rootfs, big_file_read)
{
    const size_t chunk = 64 * 1024;
    struct vfs_ctx *k = vfs_kernel_ctx();
    struct pmm_stats ps = pmm_stats();
    uint64_t off = 0, bad = 0, t0, ms;
    struct file *f;
    char want[1024];
    uint8_t *buf;

    if (!root_given()) {
        KT_SKIP("no root= on the command line");
        return;
    }
    KT_ASSERT_TRUE(k != NULL);
    buf = vmalloc(chunk);
    KT_ASSERT_TRUE(buf != NULL);
    KT_ASSERT_EQ(vfs_open(k, NULL, "/test/big.dat", O_RDONLY, 0, &f), 0);
    t0 = time_ns();
    for (;;) {
        ssize_t n = vfs_read(f, buf, chunk);

        if (n <= 0) {
            KT_EXPECT_EQ(n, 0);
            break;
        }
        KT_ASSERT_EQ(n % 1024, 0);
        for (ssize_t b = 0; b < n; b += 1024) {
            big_block((uint32_t)((off + (uint64_t)b) / 1024), want);
            if (memcmp(buf + b, want, 1024) != 0 && bad++ == 0)
                pr_err("rootfs.big_file_read: first bad block %llu", (unsigned long long)((off + (uint64_t)b) / 1024));
        }
        off += (uint64_t)n;
    }
    ms = (time_ns() - t0) / 1000000;
    file_put(f);
    vfree(buf);
    KT_EXPECT_EQ(off, (uint64_t)BIG_BLOCKS * 1024);
    KT_EXPECT_EQ(bad, 0u);
    pr_info("rootfs: big.dat: read %llu MiB in %llu ms with %llu MiB of RAM, %s",
            (unsigned long long)(off >> 20), (unsigned long long)ms,
            (unsigned long long)(ps.managed_frames * PAGE_SIZE >> 20),
            bad ? "some blocks differ" : "every block as written");
}
