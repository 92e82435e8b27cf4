/*
 * src/kernel/initramfs.c - unpacks the initramfs (plain or gzip-compressed
 * cpio newc archives) into the root through the VFS; see
 * include/kernel/initramfs.h for the rules.
 *
 * Part of the kernel executable (top layer: uses fs/cpio, fs/inflate and
 * the vfs_* calls). No locks of its own: one unpacking runs in one thread,
 * on its own state (struct unpack).
 */
#include <kernel/initramfs.h>
#include <core/errno.h>
#include <core/layout.h>
#include <core/printk.h>
#include <core/string.h>
#include <fs/cpio.h>
#include <fs/inflate.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>

/* A file already created for a hard-link key: later entries link to name. */
struct link_key {
    uint32_t dev_major, dev_minor, ino, type;
    char *name;
};

/* A directory whose times are set when the whole initramfs is unpacked. */
struct dir_time {
    char *name;
    uint32_t mtime;
};

struct unpack {
    struct vfs_ctx *ctx;
    struct initramfs_stats *st;
    unsigned archive;               /* of the links below */
    struct link_key *links;
    size_t nlinks, links_cap;
    struct dir_time *dirs;
    size_t ndirs, dirs_cap;
};

/* Grows *arr (of elem-byte items, *cap of them) to hold one more. 0 or -ENOMEM. */
static int grow(void **arr, size_t *cap, size_t used, size_t elem)
{
    void *p;
    size_t ncap;

    if (used < *cap)
        return 0;
    ncap = *cap ? *cap * 2 : 16;
    p = krealloc(*arr, ncap * elem);
    if (!p)
        return -ENOMEM;
    *arr = p;
    *cap = ncap;
    return 0;
}

static char *dup_str(const char *s, size_t len)
{
    char *p = kmalloc(len + 1);

    if (p) {
        memcpy(p, s, len);
        p[len] = 0;
    }
    return p;
}

/* The root "." as a path the vfs calls take (relative names start there). */
static const char *path_or_dot(const char *rel)
{
    return rel[0] ? rel : ".";
}

static void set_times(struct unpack *u, const char *rel, uint32_t mtime)
{
    struct linux_timespec ts[2] = {
        { .tv_sec = mtime, .tv_nsec = 0 }, { .tv_sec = mtime, .tv_nsec = 0 },
    };
    int err = vfs_utimens(u->ctx, &u->ctx->root, path_or_dot(rel), ts, AT_SYMLINK_NOFOLLOW);

    if (err)
        pr_warn("initramfs: %s: cannot set its times (%s)", path_or_dot(rel), errno_name(err));
}

/* Applies the directory times queued so far (after their contents). */
static void flush_dir_times(struct unpack *u)
{
    for (size_t i = u->ndirs; i-- > 0;) {
        set_times(u, u->dirs[i].name, u->dirs[i].mtime);
        kfree(u->dirs[i].name);
    }
    u->ndirs = 0;
}

static void forget_links(struct unpack *u)
{
    for (size_t i = 0; i < u->nlinks; i++)
        kfree(u->links[i].name);
    u->nlinks = 0;
}

/*
 * Owner, then mode (permission bits exactly: no umask); symlinks keep their
 * mode. In that order because a chown clears setuid/setgid (Linux).
 */
static int set_attrs(struct unpack *u, const char *rel, const struct cpio_entry *e)
{
    const char *p = path_or_dot(rel);
    int err = vfs_chown(u->ctx, &u->ctx->root, p, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);

    if (!err && cpio_type(e->mode) != CPIO_S_IFLNK)
        err = vfs_chmod(u->ctx, &u->ctx->root, p, e->mode & CPIO_S_PERM, 0);
    return err;
}

/*
 * Makes room for an entry of type type at rel (0: for a hard link, which
 * replaces anything): a name of another type is removed (a directory only
 * when empty), a directory stays for a directory, a regular file for a
 * regular file (the open truncates it). Returns 1 when a directory is there
 * already, 0 when the name is free (or a regular file to truncate), or -errno.
 */
static int clear_name(struct unpack *u, const char *rel, uint32_t type)
{
    struct linux_stat st;
    int err = vfs_stat(u->ctx, &u->ctx->root, rel, &st, AT_SYMLINK_NOFOLLOW);

    if (err == -ENOENT)
        return 0;
    if (err)
        return err;
    if (S_ISDIR(st.st_mode))
        return type == CPIO_S_IFDIR ? 1 : vfs_rmdir(u->ctx, &u->ctx->root, rel);
    if ((st.st_mode & S_IFMT) == type && type == CPIO_S_IFREG)
        return 0;               /* truncated by the open */
    return vfs_unlink(u->ctx, &u->ctx->root, rel);
}

/* Writes data into the existing regular file rel from offset 0 (truncate: O_TRUNC). */
static int write_file(struct unpack *u, const char *rel, const struct cpio_entry *e, int flags)
{
    struct file *f;
    const uint8_t *data = e->data;
    size_t done = 0;
    int err = vfs_open(u->ctx, &u->ctx->root, rel, O_WRONLY | flags,
                       e->mode & CPIO_S_PERM, &f);

    if (err)
        return err;
    while (done < e->size) {
        ssize_t n = vfs_write(f, data + done, e->size - done);

        if (n <= 0) {
            err = n < 0 ? (int)n : -EIO;
            break;
        }
        done += (size_t)n;
    }
    file_put(f);
    return err;
}

/* The hard-link record of e's key, or NULL (not linked, or the first of its key). */
static struct link_key *find_link(struct unpack *u, const struct cpio_entry *e)
{
    for (size_t i = 0; i < u->nlinks; i++) {
        struct link_key *l = &u->links[i];

        if (l->ino == e->ino && l->dev_major == e->dev_major &&
            l->dev_minor == e->dev_minor && l->type == cpio_type(e->mode))
            return l;
    }
    return NULL;
}

static int remember_link(struct unpack *u, const struct cpio_entry *e, const char *rel)
{
    struct link_key *l;
    int err = grow((void **)&u->links, &u->links_cap, u->nlinks, sizeof(*u->links));

    if (err)
        return err;
    l = &u->links[u->nlinks];
    l->name = dup_str(rel, strlen(rel));
    if (!l->name)
        return -ENOMEM;
    l->ino = e->ino;
    l->dev_major = e->dev_major;
    l->dev_minor = e->dev_minor;
    l->type = cpio_type(e->mode);
    u->nlinks++;
    return 0;
}

/* Creates one entry; 0 or -errno (the caller reports it). */
static int create_entry(struct unpack *u, const struct cpio_entry *e, const char *rel)
{
    uint32_t type = cpio_type(e->mode);
    bool linked = type != CPIO_S_IFDIR && e->nlink >= 2;
    struct link_key *l = linked ? find_link(u, e) : NULL;
    int err;

    if (rel[0] == 0) {          /* "." or "/": the root's own attributes */
        if (type != CPIO_S_IFDIR)
            return -EINVAL;
        err = set_attrs(u, rel, e);
        goto dir_time;
    }
    /* a later name of a hard-linked file replaces whatever has its name */
    err = clear_name(u, rel, l ? 0 : type);
    if (err < 0)
        return err;

    if (l) {
        err = vfs_link(u->ctx, &u->ctx->root, l->name, &u->ctx->root, rel, 0);
        if (!err && e->size)
            err = write_file(u, rel, e, 0);
        return err;
    }

    switch (type) {
    case CPIO_S_IFDIR:
        if (err == 0)           /* err 1: there already, keep it */
            err = vfs_mkdir(u->ctx, &u->ctx->root, rel, e->mode & CPIO_S_PERM);
        else
            err = 0;
        break;
    case CPIO_S_IFREG:
        err = write_file(u, rel, e, O_CREAT | O_TRUNC);
        break;
    case CPIO_S_IFLNK: {
        char *target = dup_str(e->data, e->size);

        if (!target)
            return -ENOMEM;
        err = vfs_symlink(u->ctx, target, &u->ctx->root, rel);
        kfree(target);
        break;
    }
    default:                    /* device nodes, FIFOs, sockets */
        err = vfs_mknod(u->ctx, &u->ctx->root, rel, e->mode,
                        KDEV(e->rdev_major, e->rdev_minor));
        break;
    }
    if (err)
        return err;
    if (linked && (err = remember_link(u, e, rel)) != 0)
        return err;
    if ((err = set_attrs(u, rel, e)) != 0)
        return err;
    if (type != CPIO_S_IFDIR) {
        set_times(u, rel, e->mtime);
        return 0;
    }
dir_time:
    if (err)
        return err;
    if ((err = grow((void **)&u->dirs, &u->dirs_cap, u->ndirs, sizeof(*u->dirs))) != 0)
        return err;
    u->dirs[u->ndirs].name = dup_str(rel, strlen(rel));
    if (!u->dirs[u->ndirs].name)
        return -ENOMEM;
    u->dirs[u->ndirs++].mtime = e->mtime;
    return 0;
}

static void do_entry(struct unpack *u, const struct cpio_entry *e)
{
    size_t len = e->namelen;
    const char *rel;
    int err = cpio_name_ok(e->name, len);

    if (!err) {
        rel = cpio_name_rel(e->name, &len);
        err = create_entry(u, e, rel);  /* rel ends at the name's NUL */
    }
    if (err) {
        pr_err("initramfs: %s: cannot create it (%s); skipped", e->name, errno_name(err));
        u->st->failed++;
    } else {
        u->st->entries++;
    }
}

/*
 * Unpacks the cpio archive(s) at buf[0..len) (origin: the offset of buf in
 * the initramfs, for messages; what: "" or " (gzip output)"). Returns 0
 * when they end cleanly, the error otherwise; *used is how many bytes were
 * read (where a non-cpio byte after a trailer stopped it, for the caller
 * to go on with a gzip member there).
 */
static int unpack_cpio(struct unpack *u, const uint8_t *buf, size_t len, size_t origin,
                       const char *what, size_t *used)
{
    struct cpio_iter it;
    struct cpio_entry e;
    int ret, last_archive = -1;

    cpio_iter_init(&it, buf, len);
    while ((ret = cpio_next(&it, &e)) > 0) {
        if (e.archive != u->archive) {  /* a new archive: its own link keys */
            forget_links(u);
            u->archive = e.archive;
        }
        last_archive = (int)e.archive;
        do_entry(u, &e);
    }
    u->st->archives += (size_t)last_archive + 1;
    forget_links(u);
    u->archive = 0;
    *used = ret == 0 ? len : it.off;
    /* a gzip member after a trailer: the caller goes on there */
    if (ret == -EINVAL && (int)it.archive > last_archive && it.off + 1 < len &&
        buf[it.off] == 0x1f && buf[it.off + 1] == 0x8b)
        ret = 0;
    if (ret < 0)
        pr_err("initramfs: damaged cpio archive%s at offset %zu: %s; keeping the %zu "
               "entries unpacked so far", what, origin + it.off,
               ret == -ENODATA ? "truncated" : ret == -EIO ? "checksum mismatch" :
               ret == -ENAMETOOLONG ? "symlink target too long" : "malformed",
               u->st->entries);
    u->st->bytes += *used;
    return ret;
}

/*
 * Output bytes to try first for the gzip member at in: its ISIZE if it is
 * the last thing there (taken only when DEFLATE could reach it: at most
 * 1032 output bytes per input byte), else four times the input.
 */
static size_t gzip_guess(const uint8_t *in, size_t len)
{
    size_t end = len, guess = len * 4;

    while (end > 0 && in[end - 1] == 0)
        end--;
    if (end >= 18) {
        size_t isize = (size_t)in[end - 4] | (size_t)in[end - 3] << 8 |
                       (size_t)in[end - 2] << 16 | (size_t)in[end - 1] << 24;
        if (isize > guess && isize / 1032 <= len)
            guess = isize;
    }
    return MAX(guess, (size_t)4096);
}

/* Decompresses the gzip member at buf[0..len) and unpacks its output; *used: its bytes. */
static int unpack_gzip(struct unpack *u, const uint8_t *buf, size_t len, size_t origin,
                       size_t *used)
{
    struct inflate_state *st = kmalloc(sizeof(*st));
    struct pmm_stats ps = pmm_stats();
    /* at most half of the free memory for the output */
    size_t limit = (size_t)(ps.free_frames * PAGE_SIZE / 2);
    size_t cap = MIN(gzip_guess(buf, len), limit), out_len = 0, cpio_used;
    uint8_t *out = NULL;
    int ret = -ENOMEM;

    *used = 0;
    if (!st)
        goto out;
    for (;;) {
        out = vmalloc(cap);
        if (!out) {
            ret = -ENOMEM;
            break;
        }
        ret = inflate_gzip_member(st, buf, len, used, out, cap, &out_len);
        if (ret != -ENOSPC || cap >= limit)
            break;
        vfree(out);
        out = NULL;
        cap = cap > limit / 2 ? limit : cap * 2;
    }
    if (ret) {
        pr_err("initramfs: gzip data at offset %zu: %s; keeping the %zu entries unpacked "
               "so far", origin,
               ret == -ENODATA ? "truncated" : ret == -ENOSPC || ret == -ENOMEM ?
               "its output does not fit in memory" : "damaged", u->st->entries);
        if (ret == -ENOSPC)
            ret = -ENOMEM;
        goto out;
    }
    u->st->gzip_members++;
    ret = unpack_cpio(u, out, out_len, origin, " (gzip output)", &cpio_used);
    if (ret == 0 && cpio_used != out_len) {
        pr_err("initramfs: gzip output at offset %zu holds more than cpio archives; "
               "the rest is ignored", origin);
        ret = -EINVAL;
    }
out:
    if (out)
        vfree(out);
    kfree(st);
    return ret;
}

int initramfs_unpack(struct vfs_ctx *ctx, const void *buf, size_t len,
                     struct initramfs_stats *st)
{
    struct initramfs_stats local;
    struct unpack u = { .ctx = ctx, .st = st ? st : &local };
    const uint8_t *p = buf;
    size_t off = 0, used;
    int ret = 0;

    memset(u.st, 0, sizeof(*u.st));
    while (off < len && ret == 0) {
        if (p[off] == 0) {
            off++;
        } else if (len - off >= 2 && p[off] == 0x1f && p[off + 1] == 0x8b) {
            ret = unpack_gzip(&u, p + off, len - off, off, &used);
            off += used;
        } else if ((off & 3) == 0 && p[off] == '0') {
            ret = unpack_cpio(&u, p + off, len - off, off, "", &used);
            off += used;
        } else {
            pr_err("initramfs: offset %zu holds neither a cpio archive nor gzip data "
                   "(byte %#x); keeping the %zu entries unpacked so far", off, p[off],
                   u.st->entries);
            ret = -EINVAL;
        }
    }
    /* directories' times last, as Linux: later archives may add to them */
    flush_dir_times(&u);
    kfree(u.links);
    kfree(u.dirs);
    return ret;
}
