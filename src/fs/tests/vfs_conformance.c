/*
 * src/fs/tests/vfs_conformance.c - the VFS conformance suite (include/fs/
 * vfs_conformance.h): every vfs_* operation and its Linux errors, run in a
 * directory of any mounted file system, so tmpfs and ext2 are held to the
 * same rules.
 *
 * Part of fs (tests). Checks record failures with ktest_fail and go on;
 * each case removes what it made.
 */
#include <fs/vfs_conformance.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <fs/pagecache.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>

struct vc {
    const char *dir;
    const char *name;           /* the running case */
    struct vfs_ctx *ctx;
    int fails;
    char p[4][600];
};

#define VC_EQ(v, a, b)                                                          \
    do {                                                                        \
        long long vc_a_ = (long long)(a), vc_b_ = (long long)(b);               \
        if (vc_a_ != vc_b_) {                                                   \
            ktest_fail(__FILE__, __LINE__, "[%s in %s] expected %s == %s: %lld vs %lld", \
                       (v)->name, (v)->dir, #a, #b, vc_a_, vc_b_);              \
            (v)->fails++;                                                       \
        }                                                                       \
    } while (0)

#define VC_TRUE(v, c)                                                           \
    do {                                                                        \
        if (!(c)) {                                                             \
            ktest_fail(__FILE__, __LINE__, "[%s in %s] expected %s", (v)->name, (v)->dir, #c); \
            (v)->fails++;                                                       \
        }                                                                       \
    } while (0)

/* dir + "/" + the formatted name into slot i. */
static const char *P(struct vc *v, int i, const char *fmt, ...) __printf_like(3, 4);
static const char *P(struct vc *v, int i, const char *fmt, ...)
{
    va_list ap;
    int n = snprintf(v->p[i], sizeof(v->p[i]), "%s/", v->dir);

    va_start(ap, fmt);
    vsnprintf(v->p[i] + n, sizeof(v->p[i]) - (size_t)n, fmt, ap);
    va_end(ap);
    return v->p[i];
}

static int put_file_ctx(struct vfs_ctx *ctx, const char *path, const void *data, size_t len)
{
    struct file *f;
    ssize_t n;
    int err = vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY | O_TRUNC, 0644, &f);

    if (err)
        return err;
    n = vfs_write(f, data, len);
    file_put(f);
    return n < 0 ? (int)n : (n == (ssize_t)len ? 0 : -EIO);
}

static int put_file(struct vc *v, const char *path, const char *s)
{
    return put_file_ctx(v->ctx, path, s, strlen(s));
}

/* Reads up to len - 1 bytes of path into buf, NUL-terminated. Bytes read or -errno. */
static ssize_t get_file(struct vc *v, const char *path, char *buf, size_t len)
{
    struct file *f;
    ssize_t n;
    int err = vfs_open(v->ctx, NULL, path, O_RDONLY, 0, &f);

    if (err)
        return err;
    n = vfs_read(f, buf, len - 1);
    file_put(f);
    buf[n > 0 ? n : 0] = '\0';
    return n;
}

static bool file_is(struct vc *v, const char *path, const char *want)
{
    char buf[64];
    ssize_t n = get_file(v, path, buf, sizeof(buf));
    return n >= 0 && strcmp(buf, want) == 0;
}

static int st_of(struct vc *v, const char *path, struct linux_stat *st, int flags)
{
    return vfs_stat(v->ctx, NULL, path, st, flags);
}

static uint64_t ino_of(struct vc *v, const char *path)
{
    struct linux_stat st;
    return st_of(v, path, &st, AT_SYMLINK_NOFOLLOW) ? 0 : st.st_ino;
}

static uint64_t nlink_of(struct vc *v, const char *path)
{
    struct linux_stat st;
    return st_of(v, path, &st, AT_SYMLINK_NOFOLLOW) ? 0 : st.st_nlink;
}

/* Removes path and everything under it (cleanup; errors ignored). */
static void rm_rf(struct vfs_ctx *ctx, const char *path, int depth)
{
    struct linux_stat st;
    struct file *f;
    uint8_t *buf;
    char *child;
    ssize_t n;

    if (vfs_stat(ctx, NULL, path, &st, AT_SYMLINK_NOFOLLOW))
        return;
    if (!S_ISDIR(st.st_mode)) {
        vfs_unlink(ctx, NULL, path);
        return;
    }
    if (depth > 8 || vfs_open(ctx, NULL, path, O_RDONLY | O_DIRECTORY, 0, &f))
        return;
    buf = kmalloc(4096);
    child = kmalloc(PATH_MAX);
    while (buf && child && (n = vfs_getdents(f, buf, 4096)) > 0) {
        bool removed = false;
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
                continue;
            snprintf(child, PATH_MAX, "%s/%s", path, d->d_name);
            rm_rf(ctx, child, depth + 1);
            removed = true;
        }
        if (removed)
            vfs_lseek(f, 0, SEEK_SET);
    }
    kfree(buf);
    kfree(child);
    file_put(f);
    vfs_rmdir(ctx, NULL, path);
}

/* ---- cases */

static void case_basic_io(struct vc *v)
{
    struct linux_stat st;
    struct file *f;
    char buf[64];
    uint8_t *big;
    int64_t r;

    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "f"), O_CREAT | O_RDWR | O_EXCL, 0644, &f), 0);
    if (f) {
        VC_EQ(v, vfs_write(f, "hello world", 11), 11);
        VC_EQ(v, vfs_lseek(f, 0, SEEK_CUR), 11);
        VC_EQ(v, vfs_lseek(f, 0, SEEK_SET), 0);
        VC_EQ(v, vfs_read(f, buf, 5), 5);
        VC_EQ(v, memcmp(buf, "hello", 5), 0);
        VC_EQ(v, vfs_read(f, buf, sizeof(buf)), 6);
        VC_EQ(v, memcmp(buf, " world", 6), 0);
        VC_EQ(v, vfs_read(f, buf, sizeof(buf)), 0);
        VC_EQ(v, vfs_pread(f, buf, 5, 6), 5);
        VC_EQ(v, memcmp(buf, "world", 5), 0);
        VC_EQ(v, vfs_pwrite(f, "WORLD", 5, 6), 5);
        VC_EQ(v, vfs_pread(f, buf, 11, 0), 11);
        VC_EQ(v, memcmp(buf, "hello WORLD", 11), 0);
        VC_EQ(v, vfs_lseek(f, -1, SEEK_SET), -EINVAL);
        VC_EQ(v, vfs_lseek(f, 0, SEEK_END), 11);
        VC_EQ(v, vfs_lseek(f, 0, 99), -EINVAL);
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_EQ(v, st.st_size, 11);
        VC_TRUE(v, S_ISREG(st.st_mode));
        VC_EQ(v, st.st_nlink, 1);
        file_put(f);
    }
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "f"), O_CREAT | O_RDWR | O_EXCL, 0644, &f), -EEXIST);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "missing"), O_RDONLY, 0, &f), -ENOENT);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "f"), O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "f"), 3, 0, &f), -EINVAL);
    if (vfs_open(v->ctx, NULL, P(v, 0, "f"), O_WRONLY, 0, &f) == 0) {
        VC_EQ(v, vfs_read(f, buf, 4), -EBADF);
        file_put(f);
    }
    if (vfs_open(v->ctx, NULL, P(v, 0, "f"), O_RDONLY, 0, &f) == 0) {
        VC_EQ(v, vfs_write(f, "x", 1), -EBADF);
        VC_EQ(v, vfs_ftruncate(f, 0), -EINVAL);
        file_put(f);
    }
    if (vfs_open(v->ctx, NULL, P(v, 0, "f"), O_WRONLY | O_APPEND, 0, &f) == 0) {
        vfs_lseek(f, 0, SEEK_SET);
        VC_EQ(v, vfs_write(f, "!", 1), 1);
        file_put(f);
    }
    VC_TRUE(v, file_is(v, P(v, 0, "f"), "hello WORLD!"));
    if (vfs_open(v->ctx, NULL, P(v, 0, "f"), O_WRONLY | O_TRUNC, 0, &f) == 0) {
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_EQ(v, st.st_size, 0);
        file_put(f);
    }
    VC_EQ(v, vfs_open(v->ctx, NULL, v->dir, O_WRONLY, 0, &f), -EISDIR);
    VC_EQ(v, vfs_open(v->ctx, NULL, v->dir, O_RDONLY | O_CREAT, 0644, &f), -EISDIR);
    if (vfs_open(v->ctx, NULL, v->dir, O_RDONLY, 0, &f) == 0) {
        VC_EQ(v, vfs_read(f, buf, 4), -EISDIR);
        file_put(f);
    }

    /* 300 KB in 3000-byte writes (crossing pages and blocks), read back in 5000-byte reads */
    big = kmalloc(300 * 1024);
    if (big && vfs_open(v->ctx, NULL, P(v, 0, "big"), O_CREAT | O_RDWR, 0644, &f) == 0) {
        size_t total = 300 * 1024, done = 0;
        bool same = true;

        for (size_t i = 0; i < total; i++)
            big[i] = (uint8_t)(i * 7 + (i >> 12));
        while (done < total) {
            size_t n = MIN((size_t)3000, total - done);
            if (vfs_write(f, big + done, n) != (ssize_t)n)
                break;
            done += n;
        }
        VC_EQ(v, done, total);
        vfs_lseek(f, 0, SEEK_SET);
        memset(big, 0, total);
        done = 0;
        while (done < total) {
            ssize_t n = vfs_read(f, big + done, MIN((size_t)5000, total - done));
            if (n <= 0)
                break;
            done += (size_t)n;
        }
        VC_EQ(v, done, total);
        for (size_t i = 0; i < total; i++) {
            if (big[i] != (uint8_t)(i * 7 + (i >> 12))) {
                same = false;
                break;
            }
        }
        VC_TRUE(v, same);
        file_put(f);
    }
    kfree(big);

    /* a sparse file: one byte at 1 MiB */
    if (vfs_open(v->ctx, NULL, P(v, 0, "sparse"), O_CREAT | O_RDWR, 0644, &f) == 0) {
        bool zeros = true;
        VC_EQ(v, vfs_pwrite(f, "X", 1, 1 << 20), 1);
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_EQ(v, st.st_size, (1 << 20) + 1);
        VC_TRUE(v, st.st_blocks < 256);
        memset(buf, 'q', sizeof(buf));
        VC_EQ(v, vfs_pread(f, buf, sizeof(buf), 8192), (ssize_t)sizeof(buf));
        for (size_t i = 0; i < sizeof(buf); i++)
            zeros = zeros && buf[i] == 0;
        VC_TRUE(v, zeros);
        r = vfs_lseek(f, 0, SEEK_DATA);
        VC_TRUE(v, r > 0 && r <= (1 << 20));
        VC_EQ(v, vfs_lseek(f, 0, SEEK_HOLE), 0);
        VC_EQ(v, vfs_lseek(f, 1 << 20, SEEK_HOLE), (1 << 20) + 1);
        VC_EQ(v, vfs_lseek(f, (1 << 20) + 1, SEEK_DATA), -ENXIO);
        VC_EQ(v, vfs_lseek(f, (1 << 20) + 1, SEEK_HOLE), -ENXIO);
        file_put(f);
    }

    /* truncate */
    VC_EQ(v, put_file(v, P(v, 0, "t"), "abcdefghij"), 0);
    VC_EQ(v, vfs_truncate(v->ctx, NULL, P(v, 0, "t"), 4), 0);
    VC_EQ(v, st_of(v, P(v, 0, "t"), &st, 0), 0);
    VC_EQ(v, st.st_size, 4);
    if (vfs_open(v->ctx, NULL, P(v, 0, "t"), O_RDWR, 0, &f) == 0) {
        bool zeros = true;
        VC_EQ(v, vfs_ftruncate(f, 8192), 0);
        VC_EQ(v, vfs_pread(f, buf, 10, 0), 10);
        VC_EQ(v, memcmp(buf, "abcd\0\0\0\0\0\0", 10), 0);
        VC_EQ(v, vfs_pread(f, buf, sizeof(buf), 8192 - sizeof(buf)), (ssize_t)sizeof(buf));
        for (size_t i = 0; i < sizeof(buf); i++)
            zeros = zeros && buf[i] == 0;
        VC_TRUE(v, zeros);
        VC_EQ(v, vfs_ftruncate(f, 0), 0);
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_EQ(v, st.st_size, 0);
        file_put(f);
    }
    VC_EQ(v, vfs_truncate(v->ctx, NULL, v->dir, 0), -EISDIR);
    VC_EQ(v, vfs_truncate(v->ctx, NULL, P(v, 0, "nothere"), 0), -ENOENT);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "f")), 0);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "big")), 0);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "sparse")), 0);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "t")), 0);
}

/* Lists dir into names (NUL-separated, up to cap bytes); returns the entry count or -errno. */
static int list_dir(struct vc *v, const char *path, char *names, size_t cap, size_t bufsize)
{
    struct file *f;
    uint8_t *buf = kmalloc(bufsize);
    size_t used = 0;
    int count = 0, err;
    ssize_t n;

    if (!buf)
        return -ENOMEM;
    err = vfs_open(v->ctx, NULL, path, O_RDONLY | O_DIRECTORY, 0, &f);
    if (err) {
        kfree(buf);
        return err;
    }
    while ((n = vfs_getdents(f, buf, bufsize)) > 0) {
        for (ssize_t off = 0; off < n;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            size_t l = strlen(d->d_name);
            off += d->d_reclen;
            count++;
            if (names && used + l + 1 < cap) {
                memcpy(names + used, d->d_name, l + 1);
                used += l + 1;
            }
        }
    }
    if (names)
        names[used] = '\0';
    file_put(f);
    kfree(buf);
    return n < 0 ? (int)n : count;
}

static bool names_have(const char *names, const char *want)
{
    for (const char *p = names; *p; p += strlen(p) + 1) {
        if (strcmp(p, want) == 0)
            return true;
    }
    return false;
}

static void case_dirs(struct vc *v)
{
    struct linux_stat st;
    struct file *f;
    uint8_t buf[256];
    char names[256];
    ssize_t n;

    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d"), 0755), 0);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d"), 0755), -EEXIST);
    VC_EQ(v, st_of(v, P(v, 0, "d"), &st, 0), 0);
    VC_TRUE(v, S_ISDIR(st.st_mode));
    VC_EQ(v, st.st_nlink, 2);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d/s1"), 0755), 0);
    VC_EQ(v, nlink_of(v, P(v, 0, "d")), 3);
    VC_EQ(v, put_file(v, P(v, 0, "d/f"), "x"), 0);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d")), -ENOTEMPTY);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d/f")), -ENOTDIR);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "d")), -EISDIR);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d/nope")), -ENOENT);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d/.")), -EINVAL);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d/s1/..")), -ENOTEMPTY);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "d/nope")), -ENOENT);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "nope/x"), 0755), -ENOENT);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d/f/x"), 0755), -ENOTDIR);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d/."), 0755), -EEXIST);

    /* getdents: exactly ".", "..", "s1", "f" with their types and numbers */
    VC_EQ(v, list_dir(v, P(v, 0, "d"), names, sizeof(names), 4096), 4);
    VC_TRUE(v, names_have(names, "."));
    VC_TRUE(v, names_have(names, ".."));
    VC_TRUE(v, names_have(names, "s1"));
    VC_TRUE(v, names_have(names, "f"));
    /* one record per call with a small buffer: same count */
    VC_EQ(v, list_dir(v, P(v, 0, "d"), NULL, 0, 32), 4);
    if (vfs_open(v->ctx, NULL, P(v, 0, "d"), O_RDONLY, 0, &f) == 0) {
        uint64_t s1_ino = ino_of(v, P(v, 1, "d/s1")), f_ino = ino_of(v, P(v, 1, "d/f"));
        bool saw_s1 = false, saw_f = false;
        int64_t second_off = -1;
        char second[8] = "";
        int idx = 0;

        VC_EQ(v, vfs_getdents(f, buf, 10), -EINVAL);
        while ((n = vfs_getdents(f, buf, sizeof(buf))) > 0) {
            for (ssize_t off = 0; off < n; idx++) {
                struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
                VC_EQ(v, d->d_reclen % 8, 0);
                VC_EQ(v, d->d_reclen, LINUX_DIRENT64_RECLEN(strlen(d->d_name)));
                if (strcmp(d->d_name, "s1") == 0) {
                    saw_s1 = true;
                    VC_EQ(v, d->d_type, DT_DIR);
                    VC_EQ(v, d->d_ino, s1_ino);
                }
                if (strcmp(d->d_name, "f") == 0) {
                    saw_f = true;
                    VC_EQ(v, d->d_type, DT_REG);
                    VC_EQ(v, d->d_ino, f_ino);
                }
                if (idx == 0)
                    second_off = d->d_off;
                if (idx == 1)
                    strlcpy(second, d->d_name, sizeof(second));
                off += d->d_reclen;
            }
        }
        VC_EQ(v, n, 0);
        VC_EQ(v, idx, 4);
        VC_TRUE(v, saw_s1 && saw_f);
        /* the first record's d_off continues with the second */
        VC_EQ(v, vfs_lseek(f, second_off, SEEK_SET), second_off);
        n = vfs_getdents(f, buf, 32);
        VC_TRUE(v, n > 0);
        if (n > 0)
            VC_EQ(v, strcmp(((struct linux_dirent64 *)buf)->d_name, second), 0);
        file_put(f);
    }
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "d/f")), 0);
    VC_EQ(v, list_dir(v, P(v, 0, "d"), NULL, 0, 4096), 3);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d/s1/")), 0);
    VC_EQ(v, nlink_of(v, P(v, 0, "d")), 2);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "d")), 0);
    VC_EQ(v, st_of(v, P(v, 0, "d"), &st, 0), -ENOENT);
}

static void case_paths(struct vc *v)
{
    struct linux_stat st;
    struct file *f;
    char *name = kmalloc(PATH_MAX + 16);
    size_t n;

    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "a"), 0755), 0);
    VC_EQ(v, put_file(v, P(v, 0, "a/f"), "x"), 0);
    VC_EQ(v, st_of(v, P(v, 0, "a//f"), &st, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "a/./f"), &st, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "a/../a/f"), &st, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "a/f/"), &st, 0), -ENOTDIR);
    VC_EQ(v, st_of(v, P(v, 0, "a/f/."), &st, 0), -ENOTDIR);
    VC_EQ(v, st_of(v, P(v, 0, "a/f/x"), &st, 0), -ENOTDIR);
    VC_EQ(v, st_of(v, P(v, 0, "a/"), &st, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "a///"), &st, 0), 0);
    VC_EQ(v, st_of(v, "", &st, 0), -ENOENT);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "a/newfile/"), O_CREAT | O_RDWR, 0644, &f), -EISDIR);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "a/"), O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "a"), O_CREAT | O_RDONLY, 0644, &f), -EISDIR);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "a/sub/"), 0755), 0);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "a/sub/")), 0);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "a/f/")), -ENOTDIR);
    if (name) {
        memset(name, 'n', 255);
        name[255] = '\0';
        VC_EQ(v, put_file(v, P(v, 0, "a/%s", name), "x"), 0);
        VC_EQ(v, st_of(v, P(v, 0, "a/%s", name), &st, 0), 0);
        VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "a/%s", name)), 0);
        name[255] = 'n';
        name[256] = '\0';
        VC_EQ(v, put_file(v, P(v, 0, "a/%s", name), "x"), -ENAMETOOLONG);
        VC_EQ(v, st_of(v, P(v, 0, "a/%s", name), &st, 0), -ENAMETOOLONG);
        VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "%s", name), 0755), -ENAMETOOLONG);
        /* a path of PATH_MAX bytes (no room for the NUL) vs one just under */
        n = (size_t)snprintf(name, PATH_MAX, "%s/a", v->dir);
        while (n < PATH_MAX - 10) {
            memmove(name + n - 1, "./a", 4);
            n += 2;
        }
        VC_EQ(v, st_of(v, name, &st, 0), 0);
        while (n < PATH_MAX) {
            memmove(name + n - 1, "/a", 3);
            n += 1;
        }
        VC_EQ(v, strlen(name), PATH_MAX);
        VC_EQ(v, st_of(v, name, &st, 0), -ENAMETOOLONG);
    }
    kfree(name);
    rm_rf(v->ctx, P(v, 0, "a"), 0);
}

static void case_symlinks(struct vc *v)
{
    struct linux_stat st;
    struct file *f;
    char buf[64];

    VC_EQ(v, put_file(v, P(v, 0, "f"), "data"), 0);
    VC_EQ(v, vfs_symlink(v->ctx, "f", NULL, P(v, 0, "l")), 0);
    VC_EQ(v, vfs_readlink(v->ctx, NULL, P(v, 0, "l"), buf, sizeof(buf)), 1);
    VC_EQ(v, buf[0], 'f');
    VC_EQ(v, vfs_readlink(v->ctx, NULL, P(v, 0, "f"), buf, sizeof(buf)), -EINVAL);
    VC_EQ(v, vfs_readlink(v->ctx, NULL, P(v, 0, "l"), buf, 0), -EINVAL);
    VC_EQ(v, st_of(v, P(v, 0, "l"), &st, 0), 0);
    VC_TRUE(v, S_ISREG(st.st_mode));
    VC_EQ(v, st.st_size, 4);
    VC_EQ(v, st_of(v, P(v, 0, "l"), &st, AT_SYMLINK_NOFOLLOW), 0);
    VC_TRUE(v, S_ISLNK(st.st_mode));
    VC_EQ(v, st.st_size, 1);
    VC_TRUE(v, file_is(v, P(v, 0, "l"), "data"));
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "l"), O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
    VC_EQ(v, vfs_symlink(v->ctx, "x", NULL, P(v, 0, "f")), -EEXIST);
    VC_EQ(v, vfs_symlink(v->ctx, "", NULL, P(v, 0, "empty")), -ENOENT);

    VC_EQ(v, vfs_symlink(v->ctx, "nothere", NULL, P(v, 0, "dl")), 0);
    VC_EQ(v, st_of(v, P(v, 0, "dl"), &st, 0), -ENOENT);
    VC_EQ(v, st_of(v, P(v, 0, "dl"), &st, AT_SYMLINK_NOFOLLOW), 0);

    VC_EQ(v, vfs_symlink(v->ctx, "loop2", NULL, P(v, 0, "loop1")), 0);
    VC_EQ(v, vfs_symlink(v->ctx, "loop1", NULL, P(v, 0, "loop2")), 0);
    VC_EQ(v, st_of(v, P(v, 0, "loop1"), &st, 0), -ELOOP);
    VC_EQ(v, vfs_open(v->ctx, NULL, P(v, 0, "loop1"), O_RDONLY, 0, &f), -ELOOP);
    VC_EQ(v, st_of(v, P(v, 0, "loop1/x"), &st, 0), -ELOOP);

    /* a chain: c0 -> f, ci -> c(i-1); 40 links resolve, 41 do not */
    VC_EQ(v, vfs_symlink(v->ctx, "f", NULL, P(v, 0, "c0")), 0);
    for (int i = 1; i <= SYMLOOP_MAX; i++) {
        char t[16];
        snprintf(t, sizeof(t), "c%d", i - 1);
        VC_EQ(v, vfs_symlink(v->ctx, t, NULL, P(v, 0, "c%d", i)), 0);
    }
    VC_EQ(v, st_of(v, P(v, 0, "c%d", SYMLOOP_MAX - 1), &st, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "c%d", SYMLOOP_MAX), &st, 0), -ELOOP);

    /* symlinks to directories, relative and absolute, in the middle of a path */
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d"), 0755), 0);
    VC_EQ(v, put_file(v, P(v, 0, "d/x"), "in d"), 0);
    VC_EQ(v, vfs_symlink(v->ctx, "d", NULL, P(v, 0, "ld")), 0);
    VC_EQ(v, vfs_symlink(v->ctx, P(v, 1, "d"), NULL, P(v, 0, "ald")), 0);
    VC_TRUE(v, file_is(v, P(v, 0, "ld/x"), "in d"));
    VC_TRUE(v, file_is(v, P(v, 0, "ald/x"), "in d"));
    VC_EQ(v, vfs_symlink(v->ctx, "../f", NULL, P(v, 0, "d/up")), 0);
    VC_TRUE(v, file_is(v, P(v, 0, "ld/up"), "data"));
    VC_EQ(v, st_of(v, P(v, 0, "ld/"), &st, AT_SYMLINK_NOFOLLOW), 0);
    VC_TRUE(v, S_ISDIR(st.st_mode));
    VC_EQ(v, st_of(v, P(v, 0, "l/"), &st, 0), -ENOTDIR);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "ld")), 0);
    VC_EQ(v, st_of(v, P(v, 0, "d/x"), &st, 0), 0);
    rm_rf(v->ctx, P(v, 0, "d"), 0);
    vfs_unlink(v->ctx, NULL, P(v, 0, "ald"));
    for (int i = 0; i <= SYMLOOP_MAX; i++)
        vfs_unlink(v->ctx, NULL, P(v, 0, "c%d", i));
    vfs_unlink(v->ctx, NULL, P(v, 0, "loop1"));
    vfs_unlink(v->ctx, NULL, P(v, 0, "loop2"));
    vfs_unlink(v->ctx, NULL, P(v, 0, "dl"));
    vfs_unlink(v->ctx, NULL, P(v, 0, "l"));
    vfs_unlink(v->ctx, NULL, P(v, 0, "f"));
}

static void case_links(struct vc *v)
{
    struct linux_stat st;

    VC_EQ(v, put_file(v, P(v, 0, "f"), "abc"), 0);
    VC_EQ(v, vfs_link(v->ctx, NULL, P(v, 0, "f"), NULL, P(v, 1, "g"), 0), 0);
    VC_EQ(v, nlink_of(v, P(v, 0, "f")), 2);
    VC_EQ(v, ino_of(v, P(v, 0, "f")), ino_of(v, P(v, 1, "g")));
    VC_EQ(v, vfs_link(v->ctx, NULL, P(v, 0, "f"), NULL, P(v, 1, "g"), 0), -EEXIST);
    VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "f")), 0);
    VC_TRUE(v, file_is(v, P(v, 1, "g"), "abc"));
    VC_EQ(v, nlink_of(v, P(v, 1, "g")), 1);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d"), 0755), 0);
    VC_EQ(v, vfs_link(v->ctx, NULL, P(v, 0, "d"), NULL, P(v, 1, "dl"), 0), -EPERM);
    VC_EQ(v, vfs_link(v->ctx, NULL, P(v, 0, "missing"), NULL, P(v, 1, "x"), 0), -ENOENT);
    VC_EQ(v, vfs_link(v->ctx, NULL, P(v, 0, "g"), NULL, P(v, 1, "nodir/x"), 0), -ENOENT);
    VC_EQ(v, st_of(v, P(v, 1, "dl"), &st, 0), -ENOENT);
    vfs_rmdir(v->ctx, NULL, P(v, 0, "d"));
    vfs_unlink(v->ctx, NULL, P(v, 0, "g"));
}

static void case_rename(struct vc *v)
{
    struct linux_stat st;

    VC_EQ(v, put_file(v, P(v, 0, "a"), "A"), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "a"), NULL, P(v, 1, "b")), 0);
    VC_EQ(v, st_of(v, P(v, 0, "a"), &st, 0), -ENOENT);
    VC_TRUE(v, file_is(v, P(v, 0, "b"), "A"));
    VC_EQ(v, put_file(v, P(v, 0, "c"), "C"), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "b"), NULL, P(v, 1, "c")), 0);   /* over a file */
    VC_TRUE(v, file_is(v, P(v, 0, "c"), "A"));
    VC_EQ(v, st_of(v, P(v, 0, "b"), &st, 0), -ENOENT);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d1"), 0755), 0);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d2"), 0755), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "c"), NULL, P(v, 1, "d1/c")), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d1/c"), NULL, P(v, 1, "d2/c2")), 0);
    VC_TRUE(v, file_is(v, P(v, 0, "d2/c2"), "A"));
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "d1/sub"), 0755), 0);
    VC_EQ(v, nlink_of(v, P(v, 0, "d1")), 3);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d1/sub"), NULL, P(v, 1, "d2/sub")), 0);
    VC_EQ(v, nlink_of(v, P(v, 0, "d1")), 2);
    VC_EQ(v, nlink_of(v, P(v, 0, "d2")), 3);
    VC_EQ(v, ino_of(v, P(v, 0, "d2/sub/..")), ino_of(v, P(v, 1, "d2")));
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "e"), 0755), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d2/sub"), NULL, P(v, 1, "e")), 0); /* over an empty dir */
    VC_EQ(v, st_of(v, P(v, 0, "d2/sub"), &st, 0), -ENOENT);
    VC_EQ(v, nlink_of(v, P(v, 0, "d2")), 2);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "full"), 0755), 0);
    VC_EQ(v, put_file(v, P(v, 0, "full/x"), "x"), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "e"), NULL, P(v, 1, "full")), -ENOTEMPTY);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "e"), NULL, P(v, 1, "d2/c2")), -ENOTDIR);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d2/c2"), NULL, P(v, 1, "e")), -EISDIR);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d1"), NULL, P(v, 1, "d1/inner")), -EINVAL);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d2/c2"), NULL, P(v, 1, "d2/c2")), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "missing"), NULL, P(v, 1, "x")), -ENOENT);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d2/c2/"), NULL, P(v, 1, "x")), -ENOTDIR);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d1/."), NULL, P(v, 1, "x")), -EBUSY);
    VC_EQ(v, vfs_link(v->ctx, NULL, P(v, 0, "d2/c2"), NULL, P(v, 1, "d2/c3"), 0), 0);
    VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "d2/c2"), NULL, P(v, 1, "d2/c3")), 0);  /* same inode */
    VC_EQ(v, st_of(v, P(v, 0, "d2/c2"), &st, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "d2/c3"), &st, 0), 0);
    rm_rf(v->ctx, P(v, 0, "d1"), 0);
    rm_rf(v->ctx, P(v, 0, "d2"), 0);
    rm_rf(v->ctx, P(v, 0, "e"), 0);
    rm_rf(v->ctx, P(v, 0, "full"), 0);
}

static void case_open_unlinked(struct vc *v)
{
    struct linux_stat st;
    struct file *f, *g;
    char buf[16];
    uint8_t *big;

    VC_EQ(v, put_file(v, P(v, 0, "u"), "persist"), 0);
    if (vfs_open(v->ctx, NULL, P(v, 0, "u"), O_RDWR, 0, &f) == 0) {
        VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "u")), 0);
        VC_EQ(v, st_of(v, P(v, 0, "u"), &st, 0), -ENOENT);
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_EQ(v, st.st_nlink, 0);
        VC_EQ(v, vfs_pread(f, buf, 7, 0), 7);
        VC_EQ(v, memcmp(buf, "persist", 7), 0);
        VC_EQ(v, vfs_pwrite(f, "P", 1, 0), 1);
        VC_EQ(v, vfs_pread(f, buf, 7, 0), 7);
        VC_EQ(v, memcmp(buf, "Persist", 7), 0);
        /* a new file of the same name is another file */
        VC_EQ(v, put_file(v, P(v, 0, "u"), "new"), 0);
        VC_EQ(v, vfs_pread(f, buf, 7, 0), 7);
        VC_EQ(v, memcmp(buf, "Persist", 7), 0);
        file_put(f);
        vfs_unlink(v->ctx, NULL, P(v, 0, "u"));
    }
    VC_EQ(v, put_file(v, P(v, 0, "r1"), "one"), 0);
    VC_EQ(v, put_file(v, P(v, 0, "r2"), "two"), 0);
    if (vfs_open(v->ctx, NULL, P(v, 0, "r2"), O_RDONLY, 0, &g) == 0) {
        VC_EQ(v, vfs_rename(v->ctx, NULL, P(v, 0, "r1"), NULL, P(v, 1, "r2")), 0);
        memset(buf, 0, sizeof(buf));
        VC_EQ(v, vfs_read(g, buf, sizeof(buf)), 3);
        VC_EQ(v, memcmp(buf, "two", 3), 0);
        VC_TRUE(v, file_is(v, P(v, 0, "r2"), "one"));
        file_put(g);
    }
    vfs_unlink(v->ctx, NULL, P(v, 0, "r2"));

    /* the last close of an unlinked file frees its pages */
    big = kzalloc(64 * 1024);
    if (big && vfs_open(v->ctx, NULL, P(v, 0, "gone"), O_CREAT | O_RDWR, 0644, &f) == 0) {
        uint64_t before, after;
        VC_EQ(v, vfs_write(f, big, 64 * 1024), 64 * 1024);
        VC_EQ(v, vfs_unlink(v->ctx, NULL, P(v, 0, "gone")), 0);
        before = pagecache_stats().pages;
        file_put(f);
        after = pagecache_stats().pages;
        VC_TRUE(v, before >= after + 16);
    }
    kfree(big);
}

static void case_perms(struct vc *v)
{
    static const struct cred user = { .uid = 1000, .gid = 1000 };
    static const struct cred other = { .uid = 1001, .gid = 1001 };
    struct vfs_ctx u, o;
    struct linux_stat st;
    struct file *f;
    const struct linux_timespec ts[2] = { { 5, 0 }, { 6, 0 } };

    vfs_ctx_clone(v->ctx, &u);
    u.cred = &user;
    vfs_ctx_clone(v->ctx, &o);
    o.cred = &other;

    VC_EQ(v, put_file(v, P(v, 0, "secret"), "s"), 0);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "secret"), 0600, 0), 0);
    VC_EQ(v, vfs_open(&u, NULL, P(v, 0, "secret"), O_RDONLY, 0, &f), -EACCES);
    VC_EQ(v, vfs_access(&u, NULL, P(v, 0, "secret"), R_OK), -EACCES);
    VC_EQ(v, vfs_access(&u, NULL, P(v, 0, "secret"), F_OK), 0);
    VC_EQ(v, vfs_truncate(&u, NULL, P(v, 0, "secret"), 0), -EACCES);

    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "nox"), 0700), 0);
    VC_EQ(v, put_file(v, P(v, 0, "nox/in"), "x"), 0);
    VC_EQ(v, vfs_stat(&u, NULL, P(v, 0, "nox/in"), &st, 0), -EACCES);
    VC_EQ(v, vfs_chdir(&u, P(v, 0, "nox")), -EACCES);
    VC_EQ(v, vfs_open(&u, NULL, P(v, 0, "nox/in"), O_CREAT | O_RDONLY, 0644, &f), -EACCES);
    VC_EQ(v, vfs_unlink(&u, NULL, P(v, 0, "nox/in")), -EACCES);

    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "ro"), 0755), 0);
    VC_EQ(v, vfs_open(&u, NULL, P(v, 0, "ro/x"), O_CREAT | O_WRONLY, 0644, &f), -EACCES);
    VC_EQ(v, vfs_mkdir(&u, NULL, P(v, 0, "ro/x"), 0755), -EACCES);

    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "pub"), 0777), 0);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "pub"), 0777, 0), 0);
    VC_EQ(v, put_file_ctx(&u, P(v, 0, "pub/mine"), "m", 1), 0);
    VC_EQ(v, st_of(v, P(v, 0, "pub/mine"), &st, 0), 0);
    VC_EQ(v, st.st_uid, 1000);
    VC_EQ(v, st.st_gid, 1000);
    VC_EQ(v, st.st_mode & 0777, 0644 & ~022);
    VC_EQ(v, vfs_chmod(&o, NULL, P(v, 0, "pub/mine"), 0666, 0), -EPERM);
    VC_EQ(v, vfs_chmod(&u, NULL, P(v, 0, "pub/mine"), 0600, 0), 0);
    VC_EQ(v, vfs_chown(&u, NULL, P(v, 0, "pub/mine"), 0, (uint32_t)-1, 0), -EPERM);
    VC_EQ(v, vfs_chown(&u, NULL, P(v, 0, "pub/mine"), (uint32_t)-1, 0, 0), -EPERM);
    VC_EQ(v, vfs_chown(v->ctx, NULL, P(v, 0, "pub/mine"), 1001, 1001, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "pub/mine"), &st, 0), 0);
    VC_EQ(v, st.st_uid, 1001);

    /* sticky: only the owner of the file or of the directory (or root) removes */
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "sticky"), 0777), 0);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "sticky"), 01777, 0), 0);
    VC_EQ(v, put_file_ctx(&u, P(v, 0, "sticky/uf"), "u", 1), 0);
    VC_EQ(v, vfs_unlink(&o, NULL, P(v, 0, "sticky/uf")), -EPERM);
    VC_EQ(v, vfs_rename(&o, NULL, P(v, 0, "sticky/uf"), NULL, P(v, 1, "sticky/of")), -EPERM);
    VC_EQ(v, vfs_unlink(&u, NULL, P(v, 0, "sticky/uf")), 0);

    /* utimens: explicit times need ownership; "now" needs write permission */
    VC_EQ(v, put_file(v, P(v, 0, "shared"), "s"), 0);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "shared"), 0666, 0), 0);
    VC_EQ(v, vfs_utimens(&u, NULL, P(v, 0, "shared"), ts, 0), -EPERM);
    VC_EQ(v, vfs_utimens(&u, NULL, P(v, 0, "shared"), NULL, 0), 0);
    VC_EQ(v, vfs_utimens(&u, NULL, P(v, 0, "secret"), NULL, 0), -EACCES);

    /* root: read/write whatever the bits, execute only with an x bit */
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "secret"), 0000, 0), 0);
    VC_TRUE(v, file_is(v, P(v, 0, "secret"), "s"));
    VC_EQ(v, vfs_access(v->ctx, NULL, P(v, 0, "secret"), X_OK), -EACCES);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "secret"), 0100, 0), 0);
    VC_EQ(v, vfs_access(v->ctx, NULL, P(v, 0, "secret"), X_OK), 0);

    /* group bits */
    VC_EQ(v, vfs_chown(v->ctx, NULL, P(v, 0, "secret"), 0, 1000, 0), 0);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "secret"), 0640, 0), 0);
    VC_EQ(v, vfs_access(&u, NULL, P(v, 0, "secret"), R_OK), 0);
    VC_EQ(v, vfs_access(&u, NULL, P(v, 0, "secret"), W_OK), -EACCES);
    VC_EQ(v, vfs_access(&o, NULL, P(v, 0, "secret"), R_OK), -EACCES);

    vfs_ctx_release(&u);
    vfs_ctx_release(&o);
    rm_rf(v->ctx, P(v, 0, "nox"), 0);
    rm_rf(v->ctx, P(v, 0, "ro"), 0);
    rm_rf(v->ctx, P(v, 0, "pub"), 0);
    rm_rf(v->ctx, P(v, 0, "sticky"), 0);
    vfs_unlink(v->ctx, NULL, P(v, 0, "shared"));
    vfs_unlink(v->ctx, NULL, P(v, 0, "secret"));
}

static void case_attrs(struct vc *v)
{
    struct linux_timespec ts[2] = { { 1000, 5 }, { 2000, 6 } };
    struct linux_statfs sfs;
    struct linux_stat st;
    struct file *f;

    VC_EQ(v, put_file(v, P(v, 0, "f"), "x"), 0);
    VC_EQ(v, vfs_chmod(v->ctx, NULL, P(v, 0, "f"), 0640, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "f"), &st, 0), 0);
    VC_EQ(v, st.st_mode, S_IFREG | 0640);
    VC_EQ(v, vfs_chown(v->ctx, NULL, P(v, 0, "f"), 12, 34, 0), 0);
    VC_EQ(v, vfs_chown(v->ctx, NULL, P(v, 0, "f"), (uint32_t)-1, (uint32_t)-1, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "f"), &st, 0), 0);
    VC_EQ(v, st.st_uid, 12);
    VC_EQ(v, st.st_gid, 34);
    VC_EQ(v, vfs_utimens(v->ctx, NULL, P(v, 0, "f"), ts, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "f"), &st, 0), 0);
    VC_EQ(v, st.st_atime_sec, 1000);
    VC_EQ(v, st.st_mtime_sec, 2000);
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_sec = 3000;
    ts[1].tv_nsec = 0;
    VC_EQ(v, vfs_utimens(v->ctx, NULL, P(v, 0, "f"), ts, 0), 0);
    VC_EQ(v, st_of(v, P(v, 0, "f"), &st, 0), 0);
    VC_EQ(v, st.st_atime_sec, 1000);
    VC_EQ(v, st.st_mtime_sec, 3000);
    ts[1].tv_nsec = 2000000000l;
    VC_EQ(v, vfs_utimens(v->ctx, NULL, P(v, 0, "f"), ts, 0), -EINVAL);
    /* relatime: a read moves an atime that is older than mtime */
    {
        char b[4];
        ts[0].tv_sec = 100;
        ts[0].tv_nsec = 0;
        ts[1].tv_sec = 200;
        ts[1].tv_nsec = 0;
        VC_EQ(v, vfs_utimens(v->ctx, NULL, P(v, 0, "f"), ts, 0), 0);
        VC_EQ(v, get_file(v, P(v, 0, "f"), b, sizeof(b)), 1);
        VC_EQ(v, st_of(v, P(v, 0, "f"), &st, 0), 0);
        VC_TRUE(v, st.st_atime_sec != 100);
    }
    if (vfs_open(v->ctx, NULL, P(v, 0, "f"), O_WRONLY, 0, &f) == 0) {
        VC_EQ(v, vfs_write(f, "y", 1), 1);
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_TRUE(v, st.st_mtime_sec != 3000);
        VC_EQ(v, vfs_fchmod(f, 0600), 0);
        VC_EQ(v, vfs_fchown(f, 7, 8), 0);
        VC_EQ(v, vfs_fstat(f, &st), 0);
        VC_EQ(v, st.st_mode & 07777, 0600);
        VC_EQ(v, st.st_uid, 7);
        VC_EQ(v, vfs_fsync(f), 0);
        file_put(f);
    }
    VC_EQ(v, vfs_statfs(v->ctx, NULL, v->dir, &sfs), 0);
    VC_TRUE(v, sfs.f_type != 0);
    VC_TRUE(v, sfs.f_bsize > 0);
    VC_EQ(v, sfs.f_namelen, NAME_MAX);
    VC_EQ(v, vfs_sync(), 0);
    vfs_unlink(v->ctx, NULL, P(v, 0, "f"));
}

static void case_chdir(struct vc *v)
{
    struct vfs_ctx c;
    struct linux_stat st;
    struct file *f;
    char buf[600];

    vfs_ctx_clone(v->ctx, &c);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "cd"), 0755), 0);
    VC_EQ(v, vfs_chdir(&c, P(v, 0, "cd")), 0);
    if (vfs_open(&c, NULL, "rel", O_CREAT | O_WRONLY, 0644, &f) == 0)
        file_put(f);
    VC_EQ(v, st_of(v, P(v, 0, "cd/rel"), &st, 0), 0);
    VC_EQ(v, vfs_stat(&c, NULL, "./rel", &st, 0), 0);
    VC_EQ(v, vfs_getcwd(&c, buf, sizeof(buf)), (ssize_t)strlen(P(v, 0, "cd")) + 1);
    VC_EQ(v, strcmp(buf, P(v, 0, "cd")), 0);
    VC_EQ(v, vfs_getcwd(&c, buf, 3), -ERANGE);
    VC_EQ(v, vfs_chdir(&c, "rel"), -ENOTDIR);
    VC_EQ(v, vfs_chdir(&c, ".."), 0);
    VC_EQ(v, vfs_getcwd(&c, buf, sizeof(buf)) > 0, true);
    VC_EQ(v, strcmp(buf, v->dir), 0);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "gone"), 0755), 0);
    VC_EQ(v, vfs_chdir(&c, "gone"), 0);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "gone")), 0);
    VC_EQ(v, vfs_getcwd(&c, buf, sizeof(buf)), -ENOENT);
    VC_EQ(v, vfs_open(&c, NULL, "new", O_CREAT | O_WRONLY, 0644, &f), -ENOENT);
    vfs_ctx_release(&c);
    rm_rf(v->ctx, P(v, 0, "cd"), 0);
}

#define BIGDIR_N 10000

static void case_bigdir(struct vc *v)
{
    struct linux_stat st;
    struct file *f;
    uint64_t t, ns_big, ns_small, cyc_big, cyc_small, khz;
    int created = 0, found = 0, found_small = 0;

    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "big"), 0755), 0);
    VC_EQ(v, vfs_mkdir(v->ctx, NULL, P(v, 0, "small"), 0755), 0);
    VC_EQ(v, put_file(v, P(v, 0, "small/e00042"), ""), 0);
    for (int i = 0; i < BIGDIR_N; i++) {
        if (vfs_open(v->ctx, NULL, P(v, 0, "big/e%05d", i), O_CREAT | O_EXCL | O_WRONLY, 0644, &f) != 0)
            break;
        file_put(f);
        created++;
    }
    VC_EQ(v, created, BIGDIR_N);
    /* interleaved, so a busy host slows both kinds of lookup alike */
    cyc_big = cyc_small = 0;
    for (int i = 0; i < created; i++) {
        t = rdtsc();
        found += st_of(v, P(v, 0, "big/e%05d", i), &st, 0) == 0;
        cyc_big += rdtsc() - t;
        t = rdtsc();
        found_small += st_of(v, P(v, 1, "small/e00042"), &st, 0) == 0;
        cyc_small += rdtsc() - t;
    }
    VC_EQ(v, found, created);
    VC_EQ(v, found_small, created);
    khz = tsc_khz() ? tsc_khz() : 1000000;
    ns_big = cyc_big * 1000000 / khz / (uint64_t)(created ? created : 1);
    ns_small = cyc_small * 1000000 / khz / (uint64_t)(created ? created : 1);
    pr_info("vfs_conformance: %s: stat in a %d-entry directory %llu ns, in a 1-entry directory %llu ns",
            v->dir, created, (unsigned long long)ns_big, (unsigned long long)ns_small);
    /* the dentry hash makes a lookup independent of the directory's size */
    VC_TRUE(v, ns_big < 4 * ns_small + 20000);
    VC_EQ(v, st_of(v, P(v, 0, "big/e99999"), &st, 0), -ENOENT);
    VC_EQ(v, list_dir(v, P(v, 0, "big"), NULL, 0, 4096), created + 2);
    for (int i = 0; i < created; i++)
        vfs_unlink(v->ctx, NULL, P(v, 0, "big/e%05d", i));
    VC_EQ(v, list_dir(v, P(v, 0, "big"), NULL, 0, 4096), 2);
    VC_EQ(v, vfs_rmdir(v->ctx, NULL, P(v, 0, "big")), 0);
    rm_rf(v->ctx, P(v, 0, "small"), 0);
}

struct vc_case {
    const char *name;
    void (*fn)(struct vc *v);
};

static const struct vc_case cases[] = {
    { "basic_io", case_basic_io },
    { "dirs", case_dirs },
    { "paths", case_paths },
    { "symlinks", case_symlinks },
    { "links", case_links },
    { "rename", case_rename },
    { "open_unlinked", case_open_unlinked },
    { "perms", case_perms },
    { "attrs", case_attrs },
    { "chdir", case_chdir },
    { "bigdir", case_bigdir },
};

const char *const vfs_conformance_cases[] = {
    "basic_io", "dirs", "paths", "symlinks", "links", "rename", "open_unlinked",
    "perms", "attrs", "chdir", "bigdir",
};
const size_t vfs_conformance_ncases = ARRAY_SIZE(vfs_conformance_cases);
_Static_assert(ARRAY_SIZE(cases) == ARRAY_SIZE(vfs_conformance_cases), "case tables agree");

int vfs_conformance_run_one(const char *dir, const char *name)
{
    struct vc *v;
    int fails;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        if (strcmp(cases[i].name, name) != 0)
            continue;
        v = kzalloc(sizeof(*v));
        if (!v) {
            ktest_fail(__FILE__, __LINE__, "vfs_conformance: out of memory");
            return 1;
        }
        v->dir = dir;
        v->name = name;
        v->ctx = vfs_kernel_ctx();
        if (!v->ctx) {
            ktest_fail(__FILE__, __LINE__, "vfs_conformance: no root mounted");
            kfree(v);
            return 1;
        }
        cases[i].fn(v);
        fails = v->fails;
        kfree(v);
        return fails;
    }
    return -1;
}

int vfs_conformance_run(const char *dir)
{
    int fails = 0;

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        fails += vfs_conformance_run_one(dir, cases[i].name);
    return fails;
}
