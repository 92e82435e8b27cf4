/*
 * src/kernel/tests/initramfs_ktests.c - ktests of the initramfs unpacker
 * (kernel/initramfs).
 *
 * Part of the kernel executable's ktests. Each unpacking test builds a
 * newc archive in memory (and a gzip member around one, with a stored
 * DEFLATE block), unpacks it into a fresh tmpfs mounted on a scratch
 * directory (/tmp/ktest-initramfs, or /ktest-initramfs), whose root the
 * test's own vfs context takes as its root, and checks the files through
 * the VFS.
 */
#include <core/crc32.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/string.h>
#include <fs/cpio.h>
#include <fs/vfs.h>
#include <kernel/initramfs.h>
#include <mm/kmalloc.h>

#define ARCHIVE_MAX     8192

struct archive {
    uint8_t *buf;
    size_t len;
};

static void put_bytes(struct archive *a, const void *p, size_t n)
{
    if (a->len + n <= ARCHIVE_MAX)
        memcpy(a->buf + a->len, p, n);
    a->len += n;
}

static void pad4(struct archive *a, size_t base)
{
    static const uint8_t zeros[4];

    put_bytes(a, zeros, (4 - ((a->len - base) & 3)) & 3);
}

/* One newc entry; base is the offset where its archive starts (padding counts from there). */
static void put_entry(struct archive *a, size_t base, const char *name, uint32_t mode,
                      uint32_t ino, uint32_t nlink, uint32_t uid, uint32_t gid,
                      uint32_t mtime, const void *data, size_t size, uint32_t rmaj,
                      uint32_t rmin)
{
    char h[CPIO_HEADER_SIZE + 1];
    size_t namesize = strlen(name) + 1;

    snprintf(h, sizeof(h), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             ino, mode, uid, gid, nlink, mtime, (uint32_t)size, 0u, 0u, rmaj, rmin,
             (uint32_t)namesize, 0u);
    put_bytes(a, h, CPIO_HEADER_SIZE);
    put_bytes(a, name, namesize);
    pad4(a, base);
    put_bytes(a, data, size);
    pad4(a, base);
}

static void put_trailer(struct archive *a, size_t base)
{
    put_entry(a, base, "TRAILER!!!", 0, 0, 1, 0, 0, 0, NULL, 0, 0, 0);
}

static void put_le32(struct archive *a, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

    put_bytes(a, b, 4);
}

/* A gzip member holding data[0..n) in one stored DEFLATE block (n < 65536). */
static void put_gzip(struct archive *a, const void *data, size_t n)
{
    static const uint8_t head[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    uint8_t block[5] = { 1, (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)~n, (uint8_t)(~n >> 8) };

    put_bytes(a, head, sizeof(head));
    put_bytes(a, block, sizeof(block));
    put_bytes(a, data, n);
    put_le32(a, crc32_update(0, data, n));
    put_le32(a, (uint32_t)n);
}

/* ---- a scratch tmpfs as the test context's root */
static const char *scratch_dir;
static struct vfs_ctx sctx;

static int scratch_up(void)
{
    static const char *const dirs[] = { "/tmp/ktest-initramfs", "/ktest-initramfs" };
    struct vfs_ctx *k = vfs_kernel_ctx();
    struct path p;
    int err = -ENOENT;

    if (!k)
        return -ENOENT;
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        err = vfs_mkdir(k, NULL, dirs[i], 0755);
        if (err == 0 || err == -EEXIST) {
            scratch_dir = dirs[i];
            break;
        }
    }
    if (!scratch_dir)
        return err;
    if ((err = vfs_mount(k, "tmpfs", scratch_dir, "tmpfs", 0, "")) != 0)
        return err;
    if ((err = vfs_ctx_clone(k, &sctx)) != 0)
        goto fail;
    if ((err = vfs_lookup(k, NULL, scratch_dir, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p)) != 0) {
        vfs_ctx_release(&sctx);
        goto fail;
    }
    path_put(&sctx.root);
    sctx.root = p;
    path_put(&sctx.cwd);
    path_get(&sctx.root);
    sctx.cwd = sctx.root;
    return 0;
fail:
    vfs_umount(k, scratch_dir, 0);
    return err;
}

static void scratch_down(void)
{
    struct vfs_ctx *k = vfs_kernel_ctx();

    vfs_ctx_release(&sctx);
    KT_EXPECT_EQ(vfs_umount(k, scratch_dir, 0), 0);
    vfs_rmdir(k, NULL, scratch_dir);
    scratch_dir = NULL;
}

#define SCRATCH_OR_SKIP()                                                       \
    do {                                                                        \
        int err_ = scratch_up();                                                \
        if (err_) {                                                             \
            KT_SKIP("no root or no place for a scratch tmpfs (%s)", errno_name(err_)); \
            return;                                                             \
        }                                                                       \
    } while (0)

/* Reads path (in the scratch root) into buf, NUL-terminated; the length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
    struct file *f;
    ssize_t n;
    int err = vfs_open(&sctx, NULL, path, O_RDONLY, 0, &f);

    if (err)
        return err;
    n = vfs_read(f, buf, cap - 1);
    file_put(f);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static struct linux_stat st;
static char text[256];

static struct archive new_archive(void)
{
    struct archive a = { .buf = kzalloc(ARCHIVE_MAX), .len = 0 };

    return a;
}

KTEST(initramfs, every_type_with_its_attributes)
{
    struct archive a = new_archive();
    struct initramfs_stats s;

    KT_ASSERT_TRUE(a.buf != NULL);
    SCRATCH_OR_SKIP();
    put_entry(&a, 0, ".", 040711, 1, 2, 0, 0, 1000, NULL, 0, 0, 0);
    put_entry(&a, 0, "etc", 040750, 2, 2, 1000, 100, 2000, NULL, 0, 0, 0);
    put_entry(&a, 0, "etc/hostname", 0104640, 3, 1, 1000, 100, 3000, "basalt\n", 7, 0, 0);
    put_entry(&a, 0, "/etc/link", 0120777, 4, 1, 5, 6, 4000, "hostname", 8, 0, 0);
    put_entry(&a, 0, "./dev", 040755, 5, 2, 0, 0, 5000, NULL, 0, 0, 0);
    put_entry(&a, 0, "dev/null", 020666, 6, 1, 0, 0, 6000, NULL, 0, 1, 3);
    put_entry(&a, 0, "dev/vda1", 060660, 7, 1, 0, 6, 6000, NULL, 0, 254, 1);
    put_entry(&a, 0, "dev/fifo", 010600, 8, 1, 0, 0, 6000, NULL, 0, 0, 0);
    put_trailer(&a, 0);

    KT_EXPECT_EQ(initramfs_unpack(&sctx, a.buf, a.len, &s), 0);
    KT_EXPECT_EQ(s.entries, 8u);
    KT_EXPECT_EQ(s.failed, 0u);
    KT_EXPECT_EQ(s.archives, 1u);

    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 040711u);
    KT_EXPECT_EQ(st.st_mtime_sec, 1000u);
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/etc", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 040750u);
    KT_EXPECT_EQ(st.st_uid, 1000u);
    KT_EXPECT_EQ(st.st_gid, 100u);
    KT_EXPECT_EQ(st.st_mtime_sec, 2000u);        /* set after its contents were made */
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/etc/hostname", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 0104640u);     /* setuid kept: no umask */
    KT_EXPECT_EQ(st.st_size, 7);
    KT_EXPECT_EQ(st.st_mtime_sec, 3000u);
    KT_EXPECT_EQ(st.st_atime_sec, 3000u);
    KT_EXPECT_EQ(read_file("/etc/hostname", text, sizeof(text)), 7);
    KT_EXPECT_STREQ(text, "basalt\n");
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/etc/link", &st, AT_SYMLINK_NOFOLLOW), 0);
    KT_EXPECT_TRUE(S_ISLNK(st.st_mode));
    KT_EXPECT_EQ(st.st_uid, 5u);
    KT_EXPECT_EQ(st.st_mtime_sec, 4000u);
    KT_EXPECT_EQ(vfs_readlink(&sctx, NULL, "/etc/link", text, sizeof(text)), 8);
    KT_EXPECT_EQ(read_file("/etc/link", text, sizeof(text)), 7);
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/dev/null", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 020666u);
    KT_EXPECT_EQ(st.st_rdev, (uint64_t)((1 << 8) | 3));   /* Linux's new_encode_dev */
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/dev/vda1", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 060660u);
    KT_EXPECT_EQ(st.st_gid, 6u);
    KT_EXPECT_EQ(st.st_rdev, (uint64_t)((254 << 8) | 1));
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "/dev/fifo", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 010600u);
    kfree(a.buf);
    scratch_down();
}

KTEST(initramfs, hard_links_share_one_inode)
{
    struct archive a = new_archive();
    uint64_t ino;

    KT_ASSERT_TRUE(a.buf != NULL);
    SCRATCH_OR_SKIP();
    /* as GNU cpio writes them: the data with the last name only */
    put_entry(&a, 0, "one", 0100644, 42, 3, 0, 0, 0, NULL, 0, 0, 0);
    put_entry(&a, 0, "two", 0100644, 42, 3, 0, 0, 0, NULL, 0, 0, 0);
    put_entry(&a, 0, "three", 0100644, 42, 3, 0, 0, 0, "shared\n", 7, 0, 0);
    /* the same ino in another archive is another file */
    put_trailer(&a, 0);
    size_t base = a.len;
    put_entry(&a, base, "other", 0100600, 42, 2, 0, 0, 0, "x", 1, 0, 0);
    put_trailer(&a, base);

    KT_EXPECT_EQ(initramfs_unpack(&sctx, a.buf, a.len, NULL), 0);
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "one", &st, 0), 0);
    ino = st.st_ino;
    KT_EXPECT_EQ(st.st_nlink, 3u);
    KT_EXPECT_EQ(st.st_size, 7);
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "two", &st, 0), 0);
    KT_EXPECT_EQ(st.st_ino, ino);
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "three", &st, 0), 0);
    KT_EXPECT_EQ(st.st_ino, ino);
    KT_EXPECT_EQ(read_file("one", text, sizeof(text)), 7);
    KT_EXPECT_STREQ(text, "shared\n");
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "other", &st, 0), 0);
    KT_EXPECT_NE(st.st_ino, ino);
    KT_EXPECT_EQ(st.st_nlink, 1u);
    kfree(a.buf);
    scratch_down();
}

KTEST(initramfs, gzip_and_concatenated_archives)
{
    struct archive a = new_archive(), inner = new_archive();
    struct initramfs_stats s;
    static const uint8_t zeros[12];

    KT_ASSERT_TRUE(a.buf != NULL && inner.buf != NULL);
    SCRATCH_OR_SKIP();
    /* plain archive, a gzip member holding two archives, zeros, a plain archive */
    put_entry(&a, 0, "d", 040755, 1, 2, 0, 0, 7777, NULL, 0, 0, 0);
    put_trailer(&a, 0);
    put_entry(&inner, 0, "d/g", 0100644, 2, 1, 0, 0, 0, "from gzip\n", 10, 0, 0);
    put_trailer(&inner, 0);
    size_t base = inner.len;
    put_entry(&inner, base, "d/g2", 0100644, 3, 1, 0, 0, 0, "two\n", 4, 0, 0);
    put_trailer(&inner, base);
    put_gzip(&a, inner.buf, inner.len);
    put_bytes(&a, zeros, (4 - (a.len & 3)) & 3);
    put_bytes(&a, zeros, 8);
    base = a.len;
    put_entry(&a, base, "d/p", 0100644, 1, 1, 0, 0, 0, "plain\n", 6, 0, 0);
    put_trailer(&a, base);

    KT_EXPECT_EQ(initramfs_unpack(&sctx, a.buf, a.len, &s), 0);
    KT_EXPECT_EQ(s.entries, 4u);
    KT_EXPECT_EQ(s.gzip_members, 1u);
    /* d's time is set after the last archive added to it */
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "d", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mtime_sec, 7777u);
    KT_EXPECT_EQ(s.archives, 4u);
    KT_EXPECT_EQ(read_file("d/g", text, sizeof(text)), 10);
    KT_EXPECT_STREQ(text, "from gzip\n");
    KT_EXPECT_EQ(read_file("d/g2", text, sizeof(text)), 4);
    KT_EXPECT_EQ(read_file("d/p", text, sizeof(text)), 6);
    KT_EXPECT_STREQ(text, "plain\n");
    kfree(inner.buf);
    kfree(a.buf);
    scratch_down();
}

KTEST(initramfs, damage_keeps_what_came_before)
{
    struct archive a = new_archive(), g = new_archive();
    struct initramfs_stats s;
    size_t second;

    KT_ASSERT_TRUE(a.buf != NULL && g.buf != NULL);
    SCRATCH_OR_SKIP();
    put_entry(&a, 0, "first", 0100644, 1, 1, 0, 0, 0, "1\n", 2, 0, 0);
    second = a.len;
    put_entry(&a, 0, "second", 0100644, 2, 1, 0, 0, 0, "22\n", 3, 0, 0);
    put_trailer(&a, 0);

    /* cut inside the second entry: truncated */
    KT_EXPECT_EQ(initramfs_unpack(&sctx, a.buf, second + 20, &s), -ENODATA);
    KT_EXPECT_EQ(s.entries, 1u);
    KT_EXPECT_EQ(read_file("first", text, sizeof(text)), 2);
    KT_EXPECT_EQ(vfs_stat(&sctx, NULL, "second", &st, 0), -ENOENT);

    /* a bad magic on the second header */
    a.buf[second + 5] = '9';
    KT_EXPECT_EQ(initramfs_unpack(&sctx, a.buf, a.len, &s), -EINVAL);
    KT_EXPECT_EQ(s.entries, 1u);
    KT_EXPECT_EQ(vfs_stat(&sctx, NULL, "second", &st, 0), -ENOENT);
    a.buf[second + 5] = '1';

    /* a truncated gzip member: nothing of it is created */
    put_gzip(&g, a.buf + second, a.len - second);
    KT_EXPECT_EQ(initramfs_unpack(&sctx, g.buf, g.len - 6, &s), -ENODATA);
    KT_EXPECT_EQ(s.entries, 0u);
    KT_EXPECT_EQ(vfs_stat(&sctx, NULL, "second", &st, 0), -ENOENT);
    /* a flipped data byte: the CRC check fails */
    g.buf[20] ^= 1;
    KT_EXPECT_EQ(initramfs_unpack(&sctx, g.buf, g.len, &s), -EINVAL);
    g.buf[20] ^= 1;
    KT_EXPECT_EQ(initramfs_unpack(&sctx, g.buf, g.len, &s), 0);
    KT_EXPECT_EQ(read_file("second", text, sizeof(text)), 3);

    /* neither cpio nor gzip */
    KT_EXPECT_EQ(initramfs_unpack(&sctx, "garbage!", 8, &s), -EINVAL);
    kfree(g.buf);
    kfree(a.buf);
    scratch_down();
}

KTEST(initramfs, bad_names_and_replaced_names)
{
    struct archive a = new_archive();
    struct initramfs_stats s;

    KT_ASSERT_TRUE(a.buf != NULL);
    SCRATCH_OR_SKIP();
    put_entry(&a, 0, "x", 0100644, 1, 1, 0, 0, 0, "file\n", 5, 0, 0);
    put_entry(&a, 0, "../escape", 0100644, 2, 1, 0, 0, 0, "no\n", 3, 0, 0);
    put_entry(&a, 0, "x", 040755, 3, 2, 0, 0, 0, NULL, 0, 0, 0);     /* a dir replaces it */
    put_entry(&a, 0, "x/y", 0100644, 4, 1, 0, 0, 0, "y\n", 2, 0, 0);
    put_entry(&a, 0, "x", 040700, 5, 2, 0, 0, 0, NULL, 0, 0, 0);     /* kept, mode changed */
    put_entry(&a, 0, "nodir/z", 0100644, 6, 1, 0, 0, 0, "z\n", 2, 0, 0);
    /* a hard link's later name replaces a file already there */
    put_entry(&a, 0, "old", 0100644, 7, 1, 0, 0, 0, "old\n", 4, 0, 0);
    put_entry(&a, 0, "l1", 0100644, 8, 2, 0, 0, 0, NULL, 0, 0, 0);
    put_entry(&a, 0, "old", 0100644, 8, 2, 0, 0, 0, "linked\n", 7, 0, 0);
    put_trailer(&a, 0);

    KT_EXPECT_EQ(initramfs_unpack(&sctx, a.buf, a.len, &s), 0);
    KT_EXPECT_EQ(s.failed, 2u);             /* ../escape and nodir/z */
    KT_EXPECT_EQ(s.entries, 7u);
    KT_EXPECT_EQ(read_file("l1", text, sizeof(text)), 7);
    KT_EXPECT_STREQ(text, "linked\n");
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "old", &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);
    KT_ASSERT_EQ(vfs_stat(&sctx, NULL, "x", &st, 0), 0);
    KT_EXPECT_EQ(st.st_mode, 040700u);
    KT_EXPECT_EQ(read_file("x/y", text, sizeof(text)), 2);
    KT_EXPECT_EQ(vfs_stat(&sctx, NULL, "escape", &st, 0), -ENOENT);
    kfree(a.buf);
    scratch_down();
}
