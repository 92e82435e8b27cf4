/*
 * src/fs/tests/pseudo_ktests.c - ktests of the pseudo file systems (proc,
 * sysfs, devtmpfs) and of device files (fs/chrdev), through the VFS as a
 * program would use them: each test mounts what it needs on a fresh
 * directory of the root, reads files back and parses them against the
 * kernel's own state, and unmounts again.
 *
 * Part of fs (tests).
 */
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/multiboot2.h>
#include <core/string.h>
#include <core/time.h>
#include <dev/blk.h>
#include <dev/pci.h>
#include <dev/ramdisk.h>
#include <dev/random.h>
#include <fs/chrdev.h>
#include <fs/devfs.h>
#include <fs/procfs.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>
#include <sched/sched.h>
#include <sched/thread.h>

#define TBUF 65536

static struct vfs_ctx *ctx(void)
{
    struct vfs_ctx *c = vfs_kernel_ctx();

    KT_ASSERT_NOT_NULL(c);      /* the boot mounted a root before the ktests */
    return c;
}

/* Makes dir and mounts fstype there. */
static void mount_at(const char *dir, const char *fstype)
{
    int err = vfs_mkdir(ctx(), NULL, dir, 0755);

    KT_ASSERT_TRUE(err == 0 || err == -EEXIST);
    KT_ASSERT_EQ(vfs_mount(ctx(), fstype, dir, fstype, 0, ""), 0);
}

static void unmount_at(const char *dir)
{
    KT_EXPECT_EQ(vfs_umount(ctx(), dir, 0), 0);
    KT_EXPECT_EQ(vfs_rmdir(ctx(), NULL, dir), 0);
}

/* Reads the whole file at path into a kmalloc'd NUL-terminated buffer (TBUF bytes at most). */
static char *read_file(const char *path, size_t *len_out)
{
    struct file *f;
    char *buf = kmalloc(TBUF);
    size_t len = 0;
    ssize_t n;

    KT_ASSERT_NOT_NULL(buf);
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, path, O_RDONLY, 0, &f), 0);
    while ((n = vfs_read(f, buf + len, TBUF - 1 - len)) > 0)
        len += (size_t)n;
    file_put(f);
    KT_ASSERT_GE(n, 0);
    buf[len] = '\0';
    if (len_out)
        *len_out = len;
    return buf;
}

/* The number after "key" at the start of a line (blanks and ':' skipped), or -1. */
static int64_t field(const char *text, const char *key)
{
    size_t kl = strlen(key);

    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) != 0)
            continue;
        const char *p = l + kl, *e;
        uint64_t v;
        while (*p == ' ' || *p == '\t' || *p == ':')
            p++;
        for (e = p; *e >= '0' && *e <= '9'; e++)
            ;
        if (e == p || str_to_u64(p, (size_t)(e - p), 10, &v))
            return -1;
        return (int64_t)v;
    }
    return -1;
}

static size_t count_lines(const char *text, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);

    for (const char *l = text; *l; ) {
        if (strncmp(l, prefix, pl) == 0)
            n++;
        l = strchr(l, '\n');
        if (!l)
            break;
        l++;
    }
    return n;
}

/* ---- devtmpfs and character devices */

KTEST(pseudo, dev_null_zero_full)
{
    struct file *f;
    char buf[64];

    mount_at("/kt_dev", "devtmpfs");
    /* null: EOF on read, writes vanish (O_TRUNC ignored, as for `> /dev/null`) */
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/null", O_RDWR | O_TRUNC, 0, &f), 0);
    KT_EXPECT_EQ(vfs_read(f, buf, sizeof(buf)), 0);
    KT_EXPECT_EQ(vfs_write(f, "hello", 5), 5);
    file_put(f);
    /* zero: zeros on read, at any offset */
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/zero", O_RDWR, 0, &f), 0);
    memset(buf, 0xaa, sizeof(buf));
    KT_EXPECT_EQ(vfs_pread(f, buf, sizeof(buf), 12345), (ssize_t)sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i++)
        KT_ASSERT_EQ(buf[i], 0);
    KT_EXPECT_EQ(vfs_write(f, buf, 10), 10);
    file_put(f);
    /* full: zeros on read, -ENOSPC on write */
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/full", O_RDWR, 0, &f), 0);
    memset(buf, 0xaa, sizeof(buf));
    KT_EXPECT_EQ(vfs_read(f, buf, 7), 7);
    KT_EXPECT_EQ(buf[0], 0);
    KT_EXPECT_EQ(buf[6], 0);
    KT_EXPECT_EQ(vfs_write(f, "x", 1), -ENOSPC);
    file_put(f);
    unmount_at("/kt_dev");
}

KTEST(pseudo, dev_random)
{
    uint8_t probe, a[32], b[32];
    struct file *f;
    int src = random_get_bytes(&probe, 1, NULL);

    mount_at("/kt_dev", "devtmpfs");
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/urandom", O_RDONLY, 0, &f), 0);
    if (src == 0) {
        KT_EXPECT_EQ(vfs_read(f, a, sizeof(a)), (ssize_t)sizeof(a));
        KT_EXPECT_EQ(vfs_read(f, b, sizeof(b)), (ssize_t)sizeof(b));
        KT_EXPECT_NE(memcmp(a, b, sizeof(a)), 0);
    } else {
        KT_EXPECT_EQ(vfs_read(f, a, sizeof(a)), (ssize_t)src);   /* the source's error */
    }
    KT_EXPECT_EQ(vfs_write(f, "seed", 4), -EBADF);              /* opened read-only */
    file_put(f);
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/random", O_WRONLY, 0, &f), 0);
    KT_EXPECT_EQ(vfs_write(f, "seed", 4), 4);
    file_put(f);
    unmount_at("/kt_dev");
}

static void expect_node(const char *path, uint32_t mode, uint32_t major, uint32_t minor,
                        uint32_t gid)
{
    struct linux_stat st;

    KT_ASSERT_EQ(vfs_stat(ctx(), NULL, path, &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, mode);
    KT_EXPECT_EQ(st.st_rdev, linux_makedev(major, minor));
    KT_EXPECT_EQ(st.st_uid, 0u);
    KT_EXPECT_EQ(st.st_gid, gid);
}

KTEST(pseudo, dev_nodes_like_linux)
{
    struct linux_statfs sfs;

    mount_at("/kt_dev", "devtmpfs");
    expect_node("/kt_dev/null", S_IFCHR | 0666, 1, 3, 0);
    expect_node("/kt_dev/zero", S_IFCHR | 0666, 1, 5, 0);
    expect_node("/kt_dev/full", S_IFCHR | 0666, 1, 7, 0);
    expect_node("/kt_dev/random", S_IFCHR | 0666, 1, 8, 0);
    expect_node("/kt_dev/urandom", S_IFCHR | 0666, 1, 9, 0);
    expect_node("/kt_dev/tty", S_IFCHR | 0666, 5, 0, DEVFS_GID_TTY);
    expect_node("/kt_dev/console", S_IFCHR | 0600, 5, 1, 0);
    expect_node("/kt_dev/ttyS0", S_IFCHR | 0660, 4, 64, DEVFS_GID_DIALOUT);
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *d = blk_get(i);
        char path[32];
        struct linux_stat st;
        if (!d)
            continue;
        snprintf(path, sizeof(path), "/kt_dev/%s", d->name);
        if (!d->major) {        /* no numbers (RAM disks): no node */
            KT_EXPECT_EQ(vfs_stat(ctx(), NULL, path, &st, 0), -ENOENT);
            continue;
        }
        expect_node(path, S_IFBLK | 0660, d->major, d->minor, DEVFS_GID_DISK);
    }
    KT_EXPECT_EQ(vfs_statfs(ctx(), NULL, "/kt_dev", &sfs), 0);
    KT_EXPECT_EQ(sfs.f_type, (int64_t)TMPFS_MAGIC);
    unmount_at("/kt_dev");
}

KTEST(pseudo, dev_users_change_the_tree)
{
    struct file *f;
    char buf[16];
    struct linux_stat st;

    mount_at("/kt_dev", "devtmpfs");
    KT_ASSERT_EQ(vfs_mknod(ctx(), NULL, "/kt_dev/mynull", S_IFCHR | 0620, KDEV(1, 3)), 0);
    KT_EXPECT_EQ(vfs_mknod(ctx(), NULL, "/kt_dev/mynull", S_IFCHR | 0620, KDEV(1, 3)), -EEXIST);
    KT_ASSERT_EQ(vfs_stat(ctx(), NULL, "/kt_dev/mynull", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, (uint32_t)(S_IFCHR | 0600));      /* umask 022 applied */
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/mynull", O_RDWR, 0, &f), 0);
    KT_EXPECT_EQ(vfs_write(f, "abc", 3), 3);
    KT_EXPECT_EQ(vfs_read(f, buf, sizeof(buf)), 0);
    file_put(f);
    KT_EXPECT_EQ(vfs_chmod(ctx(), NULL, "/kt_dev/mynull", 0644, 0), 0);
    KT_ASSERT_EQ(vfs_stat(ctx(), NULL, "/kt_dev/mynull", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, (uint32_t)(S_IFCHR | 0644));
    /* a number nobody registered: the node exists, opening it is -ENXIO */
    KT_ASSERT_EQ(vfs_mknod(ctx(), NULL, "/kt_dev/nothing", S_IFCHR | 0600, KDEV(239, 7)), 0);
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_dev/nothing", O_RDONLY, 0, &f), -ENXIO);
    KT_EXPECT_EQ(vfs_unlink(ctx(), NULL, "/kt_dev/nothing"), 0);
    /* directories, symlinks, rename */
    KT_ASSERT_EQ(vfs_mkdir(ctx(), NULL, "/kt_dev/pts", 0755), 0);
    KT_ASSERT_EQ(vfs_symlink(ctx(), "../null", NULL, "/kt_dev/pts/link"), 0);
    KT_EXPECT_EQ(vfs_readlink(ctx(), NULL, "/kt_dev/pts/link", buf, sizeof(buf)), 7);
    KT_EXPECT_EQ(memcmp(buf, "../null", 7), 0);
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/pts/link", O_WRONLY, 0, &f), 0);   /* followed */
    KT_EXPECT_EQ(vfs_write(f, "x", 1), 1);
    file_put(f);
    KT_EXPECT_EQ(vfs_rmdir(ctx(), NULL, "/kt_dev/pts"), -ENOTEMPTY);
    KT_EXPECT_EQ(vfs_rename(ctx(), NULL, "/kt_dev/mynull", NULL, "/kt_dev/pts/null2"), 0);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, "/kt_dev/mynull", &st, 0), -ENOENT);
    KT_ASSERT_EQ(vfs_stat(ctx(), NULL, "/kt_dev/pts/null2", &st, 0), 0);
    KT_EXPECT_EQ(st.st_rdev, linux_makedev(1, 3));
    KT_EXPECT_EQ(vfs_unlink(ctx(), NULL, "/kt_dev/pts/null2"), 0);
    KT_EXPECT_EQ(vfs_unlink(ctx(), NULL, "/kt_dev/pts/link"), 0);
    KT_EXPECT_EQ(vfs_rmdir(ctx(), NULL, "/kt_dev/pts"), 0);
    /* no data store: regular files cannot be made */
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_dev/file", O_CREAT | O_WRONLY, 0644, &f), -EPERM);
    unmount_at("/kt_dev");
}

/* A character device of the test's own, registered and removed again. */
static int kt_opens;
static int kt_open(struct inode *inode, struct file *f)
{
    (void)inode, (void)f;
    kt_opens++;
    return 0;
}
static ssize_t kt_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)pos;
    memset(buf, 'k', len);
    return (ssize_t)len;
}
static const struct file_ops kt_fops = { .open = kt_open, .read = kt_read };

KTEST(pseudo, chrdev_registry)
{
    struct chrdev cd = { .major = 240, .minor = 10, .count = 4, .region = "ktest", .fops = &kt_fops };
    struct chrdev overlap = { .major = 240, .minor = 13, .count = 1, .region = "ktest2", .fops = &kt_fops };
    struct chrdev bad = { .major = 240, .minor = 0, .count = 0, .region = "bad", .fops = &kt_fops };
    struct file *f;
    char c = 0;

    KT_ASSERT_EQ(chrdev_init(), 0);
    KT_EXPECT_EQ(chrdev_register(&bad), -EINVAL);
    KT_ASSERT_EQ(chrdev_register(&cd), 0);
    KT_EXPECT_EQ(chrdev_register(&overlap), -EBUSY);
    KT_EXPECT_TRUE(chrdev_lookup(KDEV(240, 13)) == &kt_fops);
    KT_EXPECT_TRUE(chrdev_lookup(KDEV(240, 14)) == NULL);
    KT_EXPECT_TRUE(chrdev_lookup(KDEV(240, 9)) == NULL);
    mount_at("/kt_dev", "devtmpfs");
    KT_ASSERT_EQ(vfs_mknod(ctx(), NULL, "/kt_dev/kt", S_IFCHR | 0600, KDEV(240, 12)), 0);
    kt_opens = 0;
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/kt", O_RDONLY, 0, &f), 0);
    KT_EXPECT_EQ(kt_opens, 1);
    KT_EXPECT_EQ(vfs_read(f, &c, 1), 1);
    KT_EXPECT_EQ(c, 'k');
    file_put(f);
    chrdev_unregister(&cd);
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_dev/kt", O_RDONLY, 0, &f), -ENXIO);
    unmount_at("/kt_dev");
}

/* Reads (and rewrites in place, harmless to any data) d through its /kt_dev node. */
static void check_block_file(struct blk_dev *d)
{
    char path[32], *dev_bytes, *file_bytes;
    struct file *f;
    uint64_t size = d->sectors * BLK_SECTOR_SIZE, bytes = 0;

    dev_bytes = kmalloc(8192);
    file_bytes = kmalloc(8192);
    KT_ASSERT_TRUE(dev_bytes && file_bytes);
    KT_ASSERT_EQ(blk_read(d, 0, 16, dev_bytes), 0);
    if (d->whole && memcmp(dev_bytes, "PART-", 5) == 0)
        KT_EXPECT_STREQ(dev_bytes + 5, d->name);    /* test/qemu/pseudo_integration.py's marker */
    snprintf(path, sizeof(path), "/kt_dev/%s", d->name);
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, path, d->read_only ? O_RDONLY : O_RDWR, 0, &f), 0);
    /* an unaligned read across sector boundaries */
    KT_EXPECT_EQ(vfs_pread(f, file_bytes, 3000, 333), 3000);
    KT_EXPECT_EQ(memcmp(file_bytes, dev_bytes + 333, 3000), 0);
    /* aligned whole sectors */
    KT_EXPECT_EQ(vfs_pread(f, file_bytes, 4096, 1024), 4096);
    KT_EXPECT_EQ(memcmp(file_bytes, dev_bytes + 1024, 4096), 0);
    KT_EXPECT_EQ(vfs_lseek(f, 0, SEEK_END), (int64_t)size);
    KT_EXPECT_EQ(vfs_read(f, file_bytes, 10), 0);                /* at the end */
    KT_EXPECT_EQ(vfs_pread(f, file_bytes, 100, size - 10), 10);  /* clamped */
    if (!d->read_only) {
        /* rewrite bytes with what is there: goes through read-modify-write */
        KT_EXPECT_EQ(vfs_pwrite(f, dev_bytes + 700, 1500, 700), 1500);
        KT_EXPECT_EQ(vfs_pwrite(f, "x", 1, size), -ENOSPC);
        KT_ASSERT_EQ(blk_read(d, 0, 16, file_bytes), 0);
        KT_EXPECT_EQ(memcmp(file_bytes, dev_bytes, 8192), 0);
        KT_EXPECT_EQ(vfs_fsync(f), 0);
    }
    KT_EXPECT_EQ(f->fops->ioctl(f, BLKGETSIZE64, (uintptr_t)&bytes), 0);
    KT_EXPECT_EQ(bytes, size);
    file_put(f);
    kfree(dev_bytes);
    kfree(file_bytes);
}

/* Every disk and partition with numbers, through its devtmpfs node. */
KTEST(pseudo, dev_block_file_disk)
{
    size_t checked = 0;

    mount_at("/kt_dev", "devtmpfs");
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *d = blk_get(i);
        if (d && d->major && d->sectors >= 16) {
            check_block_file(d);
            checked++;
        }
    }
    unmount_at("/kt_dev");
    if (!checked)
        KT_SKIP("no disk with device numbers (boot with --disk)");
}

/*
 * Block device files on a RAM disk of 4 KiB blocks (so partial blocks are
 * read-modify-written in 4 KiB units). The test owns the disk and gives it
 * numbers right after registering it, as a driver does (virtio-blk:
 * 254:16*N); RAM disks otherwise have none.
 */
KTEST(pseudo, dev_block_file_ramdisk)
{
    const uint64_t sectors = 256, size = sectors * BLK_SECTOR_SIZE;
    struct ramdisk *rd;
    struct file *f;
    char path[32], *buf = kmalloc(20000);
    uint64_t bytes = 0;
    int bs = 0;

    KT_ASSERT_NOT_NULL(buf);
    KT_ASSERT_EQ(ramdisk_create("ktpb", sectors, 4096, 64, 0, &rd), 0);
    rd->dev.major = 240;        /* Linux's "local/experimental use" block major */
    rd->dev.minor = 0;
    for (uint64_t i = 0; i < size; i++)
        rd->data[i] = (uint8_t)(i * 7 + 3);
    mount_at("/kt_dev", "devtmpfs");
    snprintf(path, sizeof(path), "/kt_dev/%s", rd->dev.name);
    expect_node(path, S_IFBLK | 0660, 240, 0, DEVFS_GID_DISK);
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, path, O_RDWR, 0, &f), 0);
    /* a read starting one byte before a block and spanning three */
    KT_EXPECT_EQ(vfs_pread(f, buf, 10000, 4095), 10000);
    KT_EXPECT_EQ(memcmp(buf, rd->data + 4095, 10000), 0);
    /* a write with partial blocks at both ends: only those bytes change */
    memset(buf, 0x5a, 20000);
    KT_EXPECT_EQ(vfs_pwrite(f, buf, 9000, 4000), 9000);
    for (uint64_t i = 0; i < size; i++) {
        uint8_t want = (i >= 4000 && i < 13000) ? 0x5a : (uint8_t)(i * 7 + 3);
        if (rd->data[i] != want) {
            KT_EXPECT_EQ(i, size);      /* names the first wrong byte */
            break;
        }
    }
    /* the end: writes are cut at it, then refused; reads end there */
    KT_EXPECT_EQ(vfs_pwrite(f, buf, 20000, size - 100), 100);
    KT_EXPECT_EQ(vfs_pwrite(f, buf, 1, size), -ENOSPC);
    KT_EXPECT_EQ(vfs_pread(f, buf, 1, size), 0);
    KT_EXPECT_EQ(vfs_lseek(f, -5, SEEK_END), (int64_t)(size - 5));
    KT_EXPECT_EQ(vfs_fsync(f), 0);
    KT_EXPECT_EQ(f->fops->ioctl(f, BLKGETSIZE64, (uintptr_t)&bytes), 0);
    KT_EXPECT_EQ(bytes, size);
    KT_EXPECT_EQ(f->fops->ioctl(f, BLKSSZGET, (uintptr_t)&bs), 0);
    KT_EXPECT_EQ(bs, 4096);
    KT_EXPECT_EQ(f->fops->ioctl(f, 0x5401 /* TCGETS */, (uintptr_t)&bs), -ENOTTY);
    file_put(f);
    unmount_at("/kt_dev");
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
    kfree(buf);
}

/* ---- proc */

KTEST(pseudo, proc_meminfo_matches_pmm)
{
    char *t;
    struct pmm_stats pm;
    int64_t total, free, avail;

    mount_at("/kt_proc", "proc");
    t = read_file("/kt_proc/meminfo", NULL);
    pm = pmm_stats();
    total = field(t, "MemTotal");
    free = field(t, "MemFree");
    avail = field(t, "MemAvailable");
    KT_EXPECT_EQ(total, (int64_t)(pm.managed_frames * 4));
    KT_EXPECT_GT(free, 0);
    KT_EXPECT_LE(free, total);
    KT_EXPECT_GE(avail, free - 1024);           /* frames may move between the reads */
    KT_EXPECT_LE(avail, total);
    KT_EXPECT_EQ(field(t, "SwapTotal"), 0);
    KT_EXPECT_GE(field(t, "Cached"), 0);
    KT_EXPECT_GE(field(t, "Buffers"), 0);
    KT_EXPECT_HAS(t, "MemTotal:");
    KT_EXPECT_HAS(t, " kB\n");
    /* Linux's layout: the value ends in column 24 */
    KT_EXPECT_EQ(strchr(t, '\n') - t, 27);
    kfree(t);
    unmount_at("/kt_proc");
}

KTEST(pseudo, proc_mounts_and_filesystems)
{
    char *t;

    mount_at("/kt_proc", "proc");
    mount_at("/kt_sys", "sysfs");
    t = read_file("/kt_proc/mounts", NULL);
    KT_EXPECT_HAS(t, "proc /kt_proc proc rw 0 0\n");
    KT_EXPECT_HAS(t, "sysfs /kt_sys sysfs rw 0 0\n");
    KT_EXPECT_HAS(t, " / ");                    /* the root */
    kfree(t);
    unmount_at("/kt_sys");
    t = read_file("/kt_proc/mounts", NULL);
    KT_EXPECT_TRUE(strstr(t, "/kt_sys") == NULL);
    kfree(t);
    t = read_file("/kt_proc/filesystems", NULL);
    KT_EXPECT_HAS(t, "nodev\tproc\n");
    KT_EXPECT_HAS(t, "nodev\tsysfs\n");
    KT_EXPECT_HAS(t, "nodev\tdevtmpfs\n");
    KT_EXPECT_HAS(t, "nodev\ttmpfs\n");
    if (vfs_find_fs("ext2"))
        KT_EXPECT_HAS(t, "\text2\n");
    kfree(t);
    unmount_at("/kt_proc");
}

KTEST(pseudo, proc_reads_at_offsets)
{
    char *whole, small[7];
    size_t len, at = 0;
    struct file *f;
    ssize_t n;

    mount_at("/kt_proc", "proc");
    whole = read_file("/kt_proc/cpuinfo", &len);
    KT_ASSERT_GT(len, 200u);
    KT_EXPECT_EQ(count_lines(whole, "processor\t: "), (size_t)cpu_count());
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_proc/cpuinfo", O_RDONLY, 0, &f), 0);
    while ((n = vfs_read(f, small, sizeof(small))) > 0) {
        KT_ASSERT_LE(at + (size_t)n, len);
        KT_ASSERT_EQ(memcmp(small, whole + at, (size_t)n), 0);
        at += (size_t)n;
    }
    KT_EXPECT_EQ(n, 0);
    KT_EXPECT_EQ(at, len);
    KT_EXPECT_EQ(vfs_lseek(f, 0, SEEK_END), (int64_t)len);
    KT_EXPECT_EQ(vfs_pread(f, small, sizeof(small), len / 2), (ssize_t)sizeof(small));
    KT_EXPECT_EQ(memcmp(small, whole + len / 2, sizeof(small)), 0);
    KT_EXPECT_EQ(vfs_pread(f, small, sizeof(small), len + 100), 0);
    file_put(f);
    kfree(whole);
    unmount_at("/kt_proc");
}

/* The sum of the numbers on /proc/stat's first line ("cpu  ..."); *nums gets their count. */
static uint64_t stat_cpu_sum(const char *t, int *nums)
{
    const char *p = t + 4;
    uint64_t sum = 0, v;

    *nums = 0;
    while (*p && *p != '\n') {
        const char *e;
        while (*p == ' ')
            p++;
        for (e = p; *e >= '0' && *e <= '9'; e++)
            ;
        if (e == p || str_to_u64(p, (size_t)(e - p), 10, &v))
            break;
        sum += v;
        ++*nums;
        p = e;
    }
    return sum;
}

static void *nothing_thread(void *arg)
{
    return arg;
}

KTEST(pseudo, proc_time_and_load_formats)
{
    char *t;
    uint64_t secs_before = time_ns() / 1000000000ull, a, b;
    unsigned ncpu = cpu_count();
    char label[16];

    mount_at("/kt_proc", "proc");
    t = read_file("/kt_proc/uptime", NULL);
    /* "S.CC I.CC\n" */
    const char *dot = strchr(t, '.');
    KT_ASSERT_NOT_NULL(dot);
    KT_ASSERT_EQ(str_to_u64(t, (size_t)(dot - t), 10, &a), 0);
    KT_EXPECT_GE(a, secs_before);
    KT_EXPECT_LE(a, secs_before + 2);
    KT_EXPECT_EQ(dot[3], ' ');
    KT_EXPECT_EQ(t[strlen(t) - 4], '.');
    KT_EXPECT_EQ(t[strlen(t) - 1], '\n');
    kfree(t);
    t = read_file("/kt_proc/loadavg", NULL);
    /* "L.LL L.LL L.LL R/T P\n" */
    KT_EXPECT_EQ(t[1] == '.' || t[2] == '.', true);
    KT_ASSERT_NOT_NULL(strchr(t, '/'));
    KT_EXPECT_EQ(count_lines(t, ""), 1u);
    {
        /* the last id given: at least this thread's, at most the next one's */
        const char *sp = strrchr(t, ' ');
        uint64_t last = 0;
        struct thread *th;
        KT_ASSERT_NOT_NULL(sp);
        KT_EXPECT_EQ(str_to_u64(sp + 1, strlen(sp + 1) - 1, 10, &last), 0);
        KT_EXPECT_GE(last, (uint64_t)thread_tid());
        th = thread_create("kt-last-id", nothing_thread, NULL, 0);
        KT_ASSERT_NOT_NULL(th);
        KT_EXPECT_LT(last, (uint64_t)th->tid);
        KT_ASSERT_EQ(thread_join(th, NULL), 0);
    }
    kfree(t);
    t = read_file("/kt_proc/stat", NULL);
    KT_EXPECT_EQ(count_lines(t, "cpu "), 1u);
    KT_EXPECT_EQ(count_lines(t, "cpu"), (size_t)ncpu + 1);
    for (unsigned i = 0; i < ncpu; i++) {
        snprintf(label, sizeof(label), "cpu%u ", i);
        KT_EXPECT_EQ(count_lines(t, label), 1u);
    }
    /*
     * 10 numbers after "cpu ": CPU time in 1/100 s, counted by the tick. It
     * never exceeds the uptime on every CPU (under TCG ticks can be lost,
     * so it may fall short), and it grows: read again every 30 ms for up to
     * 2 s (a stopped vCPU on a loaded host can let 30 ms pass unticked).
     */
    {
        int nums = 0;
        uint64_t sum = stat_cpu_sum(t, &nums), sum2, t0 = time_ns();
        KT_EXPECT_EQ(nums, 10);
        b = t0 / 10000000ull * ncpu;            /* hundredths of seconds, all CPUs */
        KT_EXPECT_LE(sum, b + ncpu);
        KT_EXPECT_GT(sum, 0u);
        kfree(t);
        for (int tries = 0;; tries++) {
            time_sleep_ns(30000000ull);
            t = read_file("/kt_proc/stat", NULL);
            sum2 = stat_cpu_sum(t, &nums);
            if (sum2 > sum || tries == 66)
                break;
            kfree(t);
        }
        KT_EXPECT_GT(sum2, sum);
        KT_EXPECT_LE(sum2 - sum, ((time_ns() - t0) / 10000000ull + 2) * ncpu);
    }
    KT_EXPECT_GT(field(t, "ctxt"), 0);
    KT_EXPECT_GT(field(t, "intr"), 0);
    KT_EXPECT_GE(field(t, "btime"), 0);
    KT_EXPECT_GE(field(t, "procs_running"), 1);   /* this thread */
    kfree(t);
    unmount_at("/kt_proc");
}

KTEST(pseudo, proc_partitions_and_identity)
{
    char *t, line[64];
    const struct boot_info *bi = mb2_boot_info();

    mount_at("/kt_proc", "proc");
    t = read_file("/kt_proc/partitions", NULL);
    KT_EXPECT_EQ(strncmp(t, "major minor  #blocks  name\n\n", 28), 0);
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *d = blk_get(i);
        if (!d)
            continue;
        snprintf(line, sizeof(line), "%4u  %7u %10llu %s\n", d->major, d->minor,
                 (unsigned long long)(d->sectors / 2), d->name);
        KT_EXPECT_HAS(t, line);
    }
    kfree(t);
    t = read_file("/kt_proc/version", NULL);
    snprintf(line, sizeof(line), "Linux version %s (", procfs_osrelease);
    KT_EXPECT_EQ(strncmp(t, line, strlen(line)), 0);
    KT_EXPECT_HAS(t, "Basalt");
    kfree(t);
    t = read_file("/kt_proc/cmdline", NULL);
    KT_EXPECT_EQ(strlen(t), strlen(bi->cmdline) + 1);
    KT_EXPECT_EQ(strncmp(t, bi->cmdline, strlen(bi->cmdline)), 0);
    kfree(t);
    t = read_file("/kt_proc/swaps", NULL);
    KT_EXPECT_STREQ(t, "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    kfree(t);
    t = read_file("/kt_proc/modules", NULL);
    KT_EXPECT_STREQ(t, "");
    kfree(t);
    t = read_file("/kt_proc/sys/kernel/ostype", NULL);
    KT_EXPECT_STREQ(t, "Linux\n");
    kfree(t);
    t = read_file("/kt_proc/devices", NULL);
    KT_EXPECT_HAS(t, "Character devices:\n  1 mem\n");
    KT_EXPECT_HAS(t, "  5 /dev/tty\n  5 /dev/console\n");
    KT_EXPECT_HAS(t, "\nBlock devices:\n");
    kfree(t);
    unmount_at("/kt_proc");
}

KTEST(pseudo, proc_and_sys_refuse_writes)
{
    struct file *f;
    struct linux_statfs sfs;

    mount_at("/kt_proc", "proc");
    mount_at("/kt_sys", "sysfs");
    /* root too: no generated file takes writes */
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_proc/meminfo", O_WRONLY, 0, &f), -EACCES);
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_proc/meminfo", O_RDWR, 0, &f), -EACCES);
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_sys/kernel/uevent_seqnum", O_WRONLY, 0, &f), -EACCES);
    KT_EXPECT_EQ(vfs_open(ctx(), NULL, "/kt_proc/newfile", O_CREAT | O_WRONLY, 0644, &f), -EACCES);
    KT_EXPECT_EQ(vfs_mkdir(ctx(), NULL, "/kt_proc/dir", 0755), -EACCES);
    KT_EXPECT_EQ(vfs_mkdir(ctx(), NULL, "/kt_sys/dir", 0755), -EACCES);
    KT_EXPECT_EQ(vfs_unlink(ctx(), NULL, "/kt_proc/meminfo"), -EACCES);
    KT_EXPECT_EQ(vfs_rename(ctx(), NULL, "/kt_proc/meminfo", NULL, "/kt_proc/x"), -EACCES);
    KT_EXPECT_EQ(vfs_symlink(ctx(), "x", NULL, "/kt_sys/link"), -EACCES);
    KT_EXPECT_EQ(vfs_chmod(ctx(), NULL, "/kt_proc/meminfo", 0666, 0), -EPERM);
    KT_EXPECT_EQ(vfs_statfs(ctx(), NULL, "/kt_proc", &sfs), 0);
    KT_EXPECT_EQ(sfs.f_type, (int64_t)PROC_SUPER_MAGIC);
    KT_EXPECT_EQ(vfs_statfs(ctx(), NULL, "/kt_sys", &sfs), 0);
    KT_EXPECT_EQ(sfs.f_type, (int64_t)SYSFS_MAGIC);
    unmount_at("/kt_sys");
    unmount_at("/kt_proc");
}

/* ---- getdents */

struct listing {
    char names[256][40];            /* room for /proc's per-thread directories too */
    unsigned char types[256];
    size_t n;
};

/* Lists dir with getdents64 into l; bufsize small forces many calls. */
static void list_dir(const char *dir, size_t bufsize, struct listing *l)
{
    struct file *f;
    char *buf = kmalloc(bufsize);
    ssize_t n;

    KT_ASSERT_NOT_NULL(buf);
    l->n = 0;
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, dir, O_RDONLY | O_DIRECTORY, 0, &f), 0);
    while ((n = vfs_getdents(f, buf, bufsize)) > 0) {
        for (ssize_t off = 0; off < n;) {
            /* records are 8-byte multiples in a kmalloc (16-aligned) buffer */
            struct linux_dirent64 *e = (struct linux_dirent64 *)(void *)(buf + off);
            KT_ASSERT_LT(l->n, ARRAY_SIZE(l->names));
            strlcpy(l->names[l->n], e->d_name, sizeof(l->names[0]));
            l->types[l->n++] = e->d_type;
            off += e->d_reclen;
        }
    }
    KT_EXPECT_EQ(n, 0);
    file_put(f);
    kfree(buf);
}

static int find_name(const struct listing *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->names[i], name) == 0)
            return (int)i;
    return -1;
}

/* A /proc name's thread id: all digits; else -1. */
static int numeric_name(const char *name)
{
    uint64_t v;

    if (!name[0] || str_to_u64(name, strlen(name), 10, &v) != 0 || v > INT32_MAX)
        return -1;
    for (const char *p = name; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return (int)v;
}

/* Removes the per-thread directories from a listing of /proc. */
static void drop_numeric(struct listing *l)
{
    size_t k = 0;

    for (size_t i = 0; i < l->n; i++) {
        if (numeric_name(l->names[i]) >= 0)
            continue;
        memmove(l->names[k], l->names[i], sizeof(l->names[0]));
        l->types[k++] = l->types[i];
    }
    l->n = k;
}

KTEST(pseudo, getdents_proc_and_sys)
{
    static struct listing big, small;
    static const char *const proc_names[] = { "meminfo", "cpuinfo", "uptime", "loadavg",
        "stat", "mounts", "filesystems", "partitions", "interrupts", "version", "cmdline",
        "diskstats", "devices", "swaps", "modules" };
    int i;
    size_t pci_n = 0;

    mount_at("/kt_proc", "proc");
    list_dir("/kt_proc", 4096, &big);
    list_dir("/kt_proc", LINUX_DIRENT64_RECLEN(12), &small);   /* one entry a call */
    /* the fixed entries match; threads (numeric names) may come and go between the two */
    drop_numeric(&big);
    drop_numeric(&small);
    KT_ASSERT_EQ(big.n, small.n);
    for (size_t k = 0; k < big.n; k++)
        KT_EXPECT_STREQ(big.names[k], small.names[k]);
    KT_EXPECT_EQ(find_name(&big, "."), 0);
    KT_EXPECT_EQ(find_name(&big, ".."), 1);
    for (size_t k = 0; k < ARRAY_SIZE(proc_names); k++) {
        i = find_name(&big, proc_names[k]);
        KT_EXPECT_GE(i, 0);
        if (i >= 0)
            KT_EXPECT_EQ(big.types[i], DT_REG);
    }
    i = find_name(&big, "sys");
    KT_ASSERT_GE(i, 0);
    KT_EXPECT_EQ(big.types[i], DT_DIR);
    unmount_at("/kt_proc");

    mount_at("/kt_sys", "sysfs");
    list_dir("/kt_sys", 4096, &big);
    KT_EXPECT_GE(find_name(&big, "bus"), 0);
    KT_EXPECT_GE(find_name(&big, "block"), 0);
    KT_EXPECT_GE(find_name(&big, "kernel"), 0);
    list_dir("/kt_sys/bus/pci/devices", 4096, &big);
    for (struct pci_dev *d = pci_devices(); d; d = d->next)
        pci_n++;
    if (pci_n + 2 <= ARRAY_SIZE(big.names))
        KT_EXPECT_EQ(big.n, pci_n + 2);
    unmount_at("/kt_sys");
}

/* ---- sysfs */

static uint64_t read_hex(const char *path)
{
    char *t = read_file(path, NULL);
    uint64_t v = ~0ull;
    size_t len = strlen(t);

    KT_EXPECT_GT(len, 3u);
    KT_EXPECT_EQ(t[len - 1], '\n');
    KT_EXPECT_EQ(strncmp(t, "0x", 2), 0);
    KT_EXPECT_EQ(str_to_u64(t, len - 1, 0, &v), 0);
    kfree(t);
    return v;
}

KTEST(pseudo, sys_pci_devices_and_cpus)
{
    char path[96], *t;
    size_t n = 0;

    mount_at("/kt_sys", "sysfs");
    for (struct pci_dev *d = pci_devices(); d; d = d->next, n++) {
        char dir[64];
        snprintf(dir, sizeof(dir), "/kt_sys/bus/pci/devices/%04x:%02x:%02x.%u", d->segment,
                 d->bus, d->slot, d->func);
        snprintf(path, sizeof(path), "%s/vendor", dir);
        KT_EXPECT_EQ(read_hex(path), d->vendor);
        snprintf(path, sizeof(path), "%s/device", dir);
        KT_EXPECT_EQ(read_hex(path), d->device);
        snprintf(path, sizeof(path), "%s/class", dir);
        KT_EXPECT_EQ(read_hex(path),
                     ((uint64_t)d->class_code << 16) | ((uint64_t)d->subclass << 8) | d->prog_if);
        snprintf(path, sizeof(path), "%s/subsystem_vendor", dir);
        KT_EXPECT_EQ(read_hex(path), d->subsys_vendor);
        snprintf(path, sizeof(path), "%s/subsystem_device", dir);
        KT_EXPECT_EQ(read_hex(path), d->subsys_id);
        snprintf(path, sizeof(path), "%s/resource", dir);
        t = read_file(path, NULL);
        KT_EXPECT_EQ(count_lines(t, "0x"), d->header_type == 1 ? 17u : 13u);
        for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
            char line[80];
            if (!d->bar[i].size || !d->bar[i].base)
                continue;
            snprintf(line, sizeof(line), "0x%016llx 0x%016llx ",
                     (unsigned long long)d->bar[i].base,
                     (unsigned long long)(d->bar[i].base + d->bar[i].size - 1));
            KT_EXPECT_HAS(t, line);
        }
        kfree(t);
        snprintf(path, sizeof(path), "%s/uevent", dir);
        t = read_file(path, NULL);
        {
            char want[40];
            snprintf(want, sizeof(want), "PCI_ID=%04X:%04X\n", d->vendor, d->device);
            KT_EXPECT_HAS(t, want);
            snprintf(want, sizeof(want), "PCI_SLOT_NAME=%s\n", dir + strlen("/kt_sys/bus/pci/devices/"));
            KT_EXPECT_HAS(t, want);
        }
        kfree(t);
        snprintf(path, sizeof(path), "%s/irq", dir);
        t = read_file(path, NULL);
        KT_EXPECT_EQ(t[strlen(t) - 1], '\n');
        kfree(t);
    }
    KT_EXPECT_GT(n, 0u);
    t = read_file("/kt_sys/devices/system/cpu/online", NULL);
    if (cpu_count() == 1) {
        KT_EXPECT_STREQ(t, "0\n");
    } else {
        char want[16];
        snprintf(want, sizeof(want), "0-%u\n", cpu_count() - 1);
        KT_EXPECT_STREQ(t, want);
    }
    kfree(t);
    snprintf(path, sizeof(path), "/kt_sys/devices/system/cpu/cpu%u", cpu_count() - 1);
    {
        struct linux_stat st;
        KT_EXPECT_EQ(vfs_stat(ctx(), NULL, path, &st, 0), 0);
        snprintf(path, sizeof(path), "/kt_sys/devices/system/cpu/cpu%u", cpu_count());
        KT_EXPECT_EQ(vfs_stat(ctx(), NULL, path, &st, 0), -ENOENT);
    }
    unmount_at("/kt_sys");
}

KTEST(pseudo, sys_block)
{
    char path[96], want[40], *t;
    size_t disks = 0;

    mount_at("/kt_sys", "sysfs");
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *d = blk_get(i);
        char dir[64];
        if (!d)
            continue;
        if (d->whole)
            snprintf(dir, sizeof(dir), "/kt_sys/block/%s/%s", d->whole->name, d->name);
        else
            snprintf(dir, sizeof(dir), "/kt_sys/block/%s", d->name);
        disks++;
        snprintf(path, sizeof(path), "%s/size", dir);
        t = read_file(path, NULL);
        snprintf(want, sizeof(want), "%llu\n", (unsigned long long)d->sectors);
        KT_EXPECT_STREQ(t, want);
        kfree(t);
        snprintf(path, sizeof(path), "%s/dev", dir);
        t = read_file(path, NULL);
        snprintf(want, sizeof(want), "%u:%u\n", d->major, d->minor);
        KT_EXPECT_STREQ(t, want);
        kfree(t);
        snprintf(path, sizeof(path), "%s/uevent", dir);
        t = read_file(path, NULL);
        snprintf(want, sizeof(want), "DEVNAME=%s\nDEVTYPE=%s\n", d->name,
                 d->whole ? "partition" : "disk");
        KT_EXPECT_HAS(t, want);
        kfree(t);
        snprintf(path, sizeof(path), "%s/stat", dir);
        t = read_file(path, NULL);
        KT_EXPECT_EQ(field(t, ""), (int64_t)__atomic_load_n(&d->reads, __ATOMIC_RELAXED));
        kfree(t);
        if (d->whole) {
            snprintf(path, sizeof(path), "%s/start", dir);
            t = read_file(path, NULL);
            snprintf(want, sizeof(want), "%llu\n", (unsigned long long)d->start_sector);
            KT_EXPECT_STREQ(t, want);
            kfree(t);
            snprintf(path, sizeof(path), "%s/partition", dir);
            t = read_file(path, NULL);
            snprintf(want, sizeof(want), "%u\n", d->partno);
            KT_EXPECT_STREQ(t, want);
            kfree(t);
        } else {
            snprintf(path, sizeof(path), "%s/ro", dir);
            t = read_file(path, NULL);
            KT_EXPECT_STREQ(t, d->read_only ? "1\n" : "0\n");
            kfree(t);
        }
        snprintf(path, sizeof(path), "/kt_sys/class/block/%s/size", d->name);
        t = read_file(path, NULL);           /* through the symlink */
        snprintf(want, sizeof(want), "%llu\n", (unsigned long long)d->sectors);
        KT_EXPECT_STREQ(t, want);
        kfree(t);
    }
    unmount_at("/kt_sys");
    if (!disks)
        KT_SKIP("no disk (boot with --disk): only the tree was mounted");
}

/* ---- lifetime */

static uint64_t heap_objects(void)
{
    struct kheap_stats st[64];
    size_t n = kheap_stats(st, ARRAY_SIZE(st));
    uint64_t objs = 0;

    for (size_t i = 0; i < n; i++)
        objs += st[i].objects_in_use;
    return objs + kheap_large_pages();
}

/* One mount of each with some use: files opened, read, listed; nodes made and removed. */
static void pseudo_cycle(void)
{
    static struct listing l;
    struct file *f;
    char *t;

    KT_ASSERT_EQ(vfs_mount(ctx(), "proc", "/kt_proc", "proc", 0, ""), 0);
    KT_ASSERT_EQ(vfs_mount(ctx(), "sysfs", "/kt_sys", "sysfs", 0, ""), 0);
    KT_ASSERT_EQ(vfs_mount(ctx(), "devtmpfs", "/kt_dev", "devtmpfs", 0, ""), 0);
    t = read_file("/kt_proc/meminfo", NULL);
    kfree(t);
    t = read_file("/kt_sys/kernel/uevent_seqnum", NULL);
    kfree(t);
    list_dir("/kt_proc", 512, &l);
    list_dir("/kt_sys", 512, &l);
    KT_ASSERT_EQ(vfs_open(ctx(), NULL, "/kt_dev/zero", O_RDONLY, 0, &f), 0);
    KT_ASSERT_EQ(vfs_mknod(ctx(), NULL, "/kt_dev/z2", S_IFCHR | 0600, KDEV(1, 5)), 0);
    KT_ASSERT_EQ(vfs_unlink(ctx(), NULL, "/kt_dev/z2"), 0);
    file_put(f);
    KT_ASSERT_EQ(vfs_umount(ctx(), "/kt_dev", 0), 0);
    KT_ASSERT_EQ(vfs_umount(ctx(), "/kt_sys", 0), 0);
    KT_ASSERT_EQ(vfs_umount(ctx(), "/kt_proc", 0), 0);
}

/* Unmounting frees every tree node and inode: 20 cycles leave the heap as it was. */
KTEST(pseudo, mount_cycles_do_not_leak)
{
    uint64_t before, after;

    KT_ASSERT_TRUE(vfs_mkdir(ctx(), NULL, "/kt_proc", 0755) == 0);
    KT_ASSERT_TRUE(vfs_mkdir(ctx(), NULL, "/kt_sys", 0755) == 0);
    KT_ASSERT_TRUE(vfs_mkdir(ctx(), NULL, "/kt_dev", 0755) == 0);
    pseudo_cycle();             /* first use: one-time allocations */
    before = heap_objects();
    for (int i = 0; i < 20; i++)
        pseudo_cycle();
    after = heap_objects();
    KT_EXPECT_LT(after, before + 10);   /* a leak of one object per cycle would show 20 */
    KT_EXPECT_EQ(vfs_rmdir(ctx(), NULL, "/kt_proc"), 0);
    KT_EXPECT_EQ(vfs_rmdir(ctx(), NULL, "/kt_sys"), 0);
    KT_EXPECT_EQ(vfs_rmdir(ctx(), NULL, "/kt_dev"), 0);
}

/* ---- concurrency */

struct churn {
    int errors;                 /* unexpected results seen by the thread */
    int rounds;
};

/* Makes and removes nodes in /kt_dev, 200 times. */
static void *churn_nodes(void *arg)
{
    struct churn *c = arg;
    char name[32];

    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "/kt_dev/n%d", i % 7);
        if (vfs_mknod(ctx(), NULL, name, S_IFCHR | 0600, KDEV(1, 3)) != 0)
            c->errors++;
        if (vfs_unlink(ctx(), NULL, name) != 0)
            c->errors++;
        c->rounds++;
    }
    return NULL;
}

/* Lists /kt_dev and stats what it lists (a name may go meanwhile: -ENOENT is fine). */
static void *churn_lists(void *arg)
{
    struct churn *c = arg;
    static struct listing l;
    char path[64];
    struct linux_stat st;

    for (int i = 0; i < 50; i++) {
        list_dir("/kt_dev", 256, &l);
        for (size_t k = 2; k < l.n; k++) {
            int err;
            snprintf(path, sizeof(path), "/kt_dev/%s", l.names[k]);
            err = vfs_stat(ctx(), NULL, path, &st, 0);
            if (err && err != -ENOENT)
                c->errors++;
        }
        c->rounds++;
    }
    return NULL;
}

/*
 * Nodes made and removed on one CPU while another lists and stats the
 * directory (both on CPU 0, preempting each other, on a one-CPU machine).
 */
KTEST(pseudo, dev_tree_changes_while_listed)
{
    static struct listing before, after;
    struct churn a = { 0 }, b = { 0 };
    struct thread *ta, *tb;

    mount_at("/kt_dev", "devtmpfs");
    list_dir("/kt_dev", 4096, &before);
    ta = thread_create("kt-churn-nodes", churn_nodes, &a, THREAD_CPU(0));
    tb = thread_create("kt-churn-lists", churn_lists, &b, THREAD_CPU(1 % cpu_count()));
    KT_ASSERT_TRUE(ta && tb);
    KT_EXPECT_EQ(thread_join(ta, NULL), 0);
    KT_EXPECT_EQ(thread_join(tb, NULL), 0);
    KT_EXPECT_EQ(a.errors, 0);
    KT_EXPECT_EQ(a.rounds, 200);
    KT_EXPECT_EQ(b.errors, 0);
    KT_EXPECT_EQ(b.rounds, 50);
    list_dir("/kt_dev", 4096, &after);
    KT_ASSERT_EQ(after.n, before.n);
    for (size_t k = 0; k < after.n; k++)
        KT_EXPECT_STREQ(after.names[k], before.names[k]);
    unmount_at("/kt_dev");
}

/* ---- /proc/self and /proc/<id> */

static ssize_t self_link_of(char *buf, size_t len)
{
    return vfs_readlink(ctx(), NULL, "/kt_proc/self", buf, len);
}

struct readlink_job {
    char target[16];
    ssize_t n;
    int tid;
};

/* Another thread reads /proc/self: the target names that thread. */
static void *readlink_main(void *arg)
{
    struct readlink_job *j = arg;

    j->tid = thread_tid();
    j->n = self_link_of(j->target, sizeof(j->target) - 1);
    if (j->n >= 0)
        j->target[j->n] = '\0';
    return NULL;
}

KTEST(pseudo, proc_self_names_the_reader)
{
    static struct readlink_job job;
    char want[16], path[64], buf[16];
    struct linux_stat st;
    struct thread *t;
    char *text;
    ssize_t n;
    size_t len;
    const char *sname = thread_self()->name;

    mount_at("/kt_proc", "proc");
    KT_ASSERT_GT(thread_tid(), 0);
    snprintf(want, sizeof(want), "%d", thread_tid());
    n = self_link_of(buf, sizeof(buf) - 1);
    KT_ASSERT_GT(n, 0);
    buf[n] = '\0';
    KT_EXPECT_STREQ(buf, want);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/self", &st, AT_SYMLINK_NOFOLLOW), 0);
    KT_EXPECT_TRUE(S_ISLNK(st.st_mode));

    /* through the link: this thread's own files */
    KT_ASSERT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/self/comm", &st, 0), 0);
    KT_EXPECT_TRUE(S_ISREG(st.st_mode));
    KT_EXPECT_EQ(st.st_size, 0);
    KT_ASSERT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/self", &st, 0), 0);
    KT_EXPECT_TRUE(S_ISDIR(st.st_mode));
    text = read_file("/kt_proc/self/comm", NULL);
    snprintf(path, sizeof(path), "%s\n", sname);
    KT_EXPECT_STREQ(text, path);
    kfree(text);
    snprintf(path, sizeof(path), "/kt_proc/%d/comm", thread_tid());
    text = read_file(path, NULL);
    KT_EXPECT_HAS(text, sname);
    kfree(text);

    /* stat: "pid (comm) R ppid ...", 52 fields */
    text = read_file("/kt_proc/self/stat", NULL);
    snprintf(path, sizeof(path), "%d (%s) R ", thread_tid(), sname);
    KT_EXPECT_EQ(strncmp(text, path, strlen(path)), 0);
    {
        unsigned fields = 0;
        const char *p = strchr(text, ')');
        KT_ASSERT_NOT_NULL(p);
        for (p++; *p && *p != '\n'; p++)
            if (*p == ' ')
                fields++;
        KT_EXPECT_EQ(fields + 2, 52u);      /* pid and comm before ')' */
    }
    kfree(text);
    text = read_file("/kt_proc/self/status", NULL);
    KT_EXPECT_EQ(field(text, "Pid"), thread_tid());
    KT_EXPECT_EQ(field(text, "Tgid"), thread_tid());
    KT_EXPECT_EQ(field(text, "Threads"), 1);
    KT_EXPECT_GE(field(text, "PPid"), 0);
    KT_EXPECT_HAS(text, "State:\tR (running)\n");
    snprintf(path, sizeof(path), "Name:\t%s\n", sname);
    KT_EXPECT_EQ(strncmp(text, path, strlen(path)), 0);
    kfree(text);
    text = read_file("/kt_proc/self/cmdline", &len);
    KT_EXPECT_EQ(len, 0u);              /* a kernel thread: no command line */
    kfree(text);

    /* generated at each readlink: another thread sees its own id */
    t = thread_create("kt-self", readlink_main, &job, 0);
    KT_ASSERT_NOT_NULL(t);
    KT_ASSERT_EQ(thread_join(t, NULL), 0);
    snprintf(want, sizeof(want), "%d", job.tid);
    KT_EXPECT_GT(job.n, 0);
    KT_EXPECT_STREQ(job.target, want);
    KT_EXPECT_NE(job.tid, thread_tid());
    unmount_at("/kt_proc");
}

/* Whether listing l holds the directory of thread tid. */
static bool lists_tid(const struct listing *l, int tid)
{
    char name[16];
    int i;

    snprintf(name, sizeof(name), "%d", tid);
    i = find_name(l, name);
    return i >= 0 && l->types[i] == DT_DIR;
}

KTEST(pseudo, proc_lists_every_thread)
{
    static struct listing l;
    static struct sched_thread_info ti[128];
    struct sched_thread_info one;
    struct linux_stat st;
    size_t n, checked = 0;
    int last = 0, first_num = -1;

    mount_at("/kt_proc", "proc");
    n = sched_list_threads(ti, ARRAY_SIZE(ti));     /* what ps shows */
    KT_ASSERT_GT(n, 1u);
    list_dir("/kt_proc", 256, &l);
    for (size_t i = 0; i < n; i++) {
        /* threads freed since the snapshot are rightly absent */
        if (sched_thread_info(ti[i].tid, &one) != 0)
            continue;
        KT_EXPECT_TRUE(lists_tid(&l, ti[i].tid));
        checked++;
    }
    KT_EXPECT_GT(checked, 1u);
    KT_EXPECT_TRUE(lists_tid(&l, thread_tid()));
    /* the ids follow the fixed entries, increasing, as Linux lists pids */
    for (size_t i = 0; i < l.n; i++) {
        int id = numeric_name(l.names[i]);
        if (id < 0) {
            KT_EXPECT_EQ(first_num, -1);
            continue;
        }
        if (first_num < 0)
            first_num = (int)i;
        KT_EXPECT_GT(id, last);
        last = id;
    }
    KT_EXPECT_GT(first_num, 0);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/999999", &st, 0), -ENOENT);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/999999/comm", &st, 0), -ENOENT);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/0", &st, 0), -ENOENT);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, "/kt_proc/01", &st, 0), -ENOENT);
    unmount_at("/kt_proc");
}

struct parked {
    volatile int go;
};

/* Waits until told to go, then ends. */
static void *parked_main(void *arg)
{
    struct parked *p = arg;

    while (!__atomic_load_n(&p->go, __ATOMIC_ACQUIRE))
        sched_sleep_ns(1000000);
    return NULL;
}

KTEST(pseudo, proc_thread_exit_leaves_the_listing)
{
    static struct listing l;
    static struct parked park;
    struct sched_thread_info ti;
    struct linux_stat st;
    char dir[32], file[48], want[48];
    struct thread *t;
    char *text;
    int tid;
    uint64_t until;

    mount_at("/kt_proc", "proc");
    park.go = 0;
    t = thread_create("kt-parked", parked_main, &park, 0);
    KT_ASSERT_NOT_NULL(t);
    tid = t->tid;
    snprintf(dir, sizeof(dir), "/kt_proc/%d", tid);
    list_dir("/kt_proc", 4096, &l);
    KT_EXPECT_TRUE(lists_tid(&l, tid));
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, dir, &st, 0), 0);     /* now a cached name */
    snprintf(file, sizeof(file), "%s/status", dir);
    text = read_file(file, NULL);
    KT_EXPECT_HAS(text, "Name:\tkt-parked\n");
    KT_EXPECT_EQ(field(text, "PPid"), thread_tid());
    kfree(text);

    /* exited, not yet joined: a zombie */
    __atomic_store_n(&park.go, 1, __ATOMIC_RELEASE);
    until = time_ns() + 5000000000ull;
    while (sched_thread_info(tid, &ti) == 0 && ti.run_state != THREAD_DEAD && time_ns() < until)
        sched_sleep_ns(1000000);
    KT_ASSERT_EQ(ti.run_state, (uint32_t)THREAD_DEAD);
    snprintf(file, sizeof(file), "%s/stat", dir);
    text = read_file(file, NULL);
    snprintf(want, sizeof(want), "%d (kt-parked) Z %d ", tid, thread_tid());
    KT_EXPECT_EQ(strncmp(text, want, strlen(want)), 0);
    kfree(text);

    /* freed: gone from the listing and from lookups, cached or not */
    KT_ASSERT_EQ(thread_join(t, NULL), 0);
    KT_EXPECT_EQ(sched_thread_info(tid, &ti), -ENOENT);
    list_dir("/kt_proc", 4096, &l);
    KT_EXPECT_FALSE(lists_tid(&l, tid));
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, dir, &st, 0), -ENOENT);
    KT_EXPECT_EQ(vfs_stat(ctx(), NULL, file, &st, 0), -ENOENT);
    unmount_at("/kt_proc");
}
