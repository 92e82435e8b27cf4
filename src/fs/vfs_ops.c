/*
 * src/fs/vfs_ops.c - the VFS operations: open/read/write/seek/getdents on
 * files, and the name operations (mkdir, unlink, rename, link, symlink,
 * ...), attribute changes, stat, statfs, sync, chdir/getcwd.
 *
 * Part of fs. Each name operation walks to the parent directory, locks
 * its inode (two for a cross-directory rename, under vfs_rename_lock,
 * ancestor first, else in address order), looks the last name up under
 * that lock, checks Linux's rules (permissions, sticky directories,
 * read-only mounts, types, mount points) and calls the file system.
 */
#include "vfs_internal.h"
#include <core/atomic.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/string.h>
#include <fs/bcache.h>
#include <fs/chrdev.h>
#include <fs/pagecache.h>
#include <fs/vfs_util.h>
#include <mm/kmalloc.h>

/* ---- permission helpers (vfs_cred_in_group is vfs_namei.c's) */

static bool is_owner_or_root(const struct inode *inode, const struct cred *cr)
{
    return cr->uid == 0 || cr->uid == inode->uid;
}

static bool writes_to_fs(uint32_t mode)
{
    return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode);
}

/* May cr create a name in dir (on mnt)? dir's inode->lock held. */
static int may_create(struct vfs_ctx *ctx, struct mount *mnt, struct dentry *dir)
{
    if (atomic_load(&dir->flags) & DENTRY_DEAD)
        return -ENOENT;
    if (mnt_is_rdonly(mnt))
        return -EROFS;
    return vfs_permission(dir->inode, W_OK | X_OK, ctx->cred);
}

/* May cr remove victim from dir? Linux's rules incl. the sticky bit. */
static int may_delete(struct vfs_ctx *ctx, struct mount *mnt, struct dentry *dir, struct dentry *victim)
{
    struct inode *d = dir->inode, *v = victim->inode;
    int err;

    if (mnt_is_rdonly(mnt))
        return -EROFS;
    err = vfs_permission(d, W_OK | X_OK, ctx->cred);
    if (err)
        return err;
    if ((d->mode & S_ISVTX) && ctx->cred->uid != 0 &&
        ctx->cred->uid != d->uid && ctx->cred->uid != v->uid)
        return -EPERM;
    return 0;
}

/* ---- attribute changes */

void vfs_setattr_simple(struct inode *inode, const struct iattr *attr)
{
    if (attr->valid & ATTR_MODE)
        inode->mode = (inode->mode & S_IFMT) | (attr->mode & S_IALLUGO);
    if (attr->valid & ATTR_UID)
        inode->uid = attr->uid;
    if (attr->valid & ATTR_GID)
        inode->gid = attr->gid;
    if (attr->valid & ATTR_ATIME)
        inode->atime = attr->atime;
    if (attr->valid & ATTR_MTIME)
        inode->mtime = attr->mtime;
    inode->ctime = vfs_now();
    inode_mark_dirty(inode);
}

/* inode->lock held. */
static int setattr_locked(struct inode *inode, const struct iattr *attr)
{
    int err;

    mutex_assert_held(&inode->lock);
    if ((attr->valid & ATTR_SIZE) && attr->size > inode->sb->max_bytes)
        return -EFBIG;
    if (inode->iops && inode->iops->setattr)
        return inode->iops->setattr(inode, attr);
    if (attr->valid & ATTR_SIZE) {
        err = pagecache_truncate(inode, attr->size);
        if (err)
            return err;
        inode->size = attr->size;
    }
    vfs_setattr_simple(inode, attr);
    return 0;
}

static int do_truncate(struct inode *inode, uint64_t len)
{
    struct iattr a = { .valid = ATTR_SIZE | ATTR_MTIME, .size = len };
    int err;

    a.mtime = vfs_now();
    mutex_lock(&inode->lock);
    err = setattr_locked(inode, &a);
    mutex_unlock(&inode->lock);
    return err;
}

static int do_chmod(const struct cred *cr, struct mount *mnt, struct inode *inode, uint32_t mode)
{
    struct iattr a = { .valid = ATTR_MODE };
    int err;

    if (mnt_is_rdonly(mnt))
        return -EROFS;
    if (!is_owner_or_root(inode, cr))
        return -EPERM;
    mode &= S_IALLUGO;
    if (cr->uid != 0 && !vfs_cred_in_group(cr, inode->gid))
        mode &= ~(uint32_t)S_ISGID;
    a.mode = mode;
    mutex_lock(&inode->lock);
    err = setattr_locked(inode, &a);
    mutex_unlock(&inode->lock);
    return err;
}

static int do_chown(const struct cred *cr, struct mount *mnt, struct inode *inode,
                    uint32_t uid, uint32_t gid)
{
    struct iattr a = { 0 };
    int err;

    if (mnt_is_rdonly(mnt))
        return -EROFS;
    if (uid != (uint32_t)-1 && uid != inode->uid) {
        if (cr->uid != 0)
            return -EPERM;
        a.valid |= ATTR_UID;
        a.uid = uid;
    }
    if (gid != (uint32_t)-1 && gid != inode->gid) {
        if (cr->uid != 0 && !(cr->uid == inode->uid && vfs_cred_in_group(cr, gid)))
            return -EPERM;
        a.valid |= ATTR_GID;
        a.gid = gid;
    }
    if (uid != (uint32_t)-1 && cr->uid != 0 && cr->uid != inode->uid)
        return -EPERM;
    mutex_lock(&inode->lock);
    if (a.valid && !S_ISDIR(inode->mode) && (inode->mode & (S_ISUID | S_ISGID))) {
        /* a changed owner loses set-user/group-ID, as in Linux */
        a.valid |= ATTR_MODE;
        a.mode = inode->mode & ~(uint32_t)(S_ISUID | S_ISGID);
    }
    err = setattr_locked(inode, &a);
    mutex_unlock(&inode->lock);
    return err;
}

/* ---- open files */

static int open_path(struct vfs_ctx *ctx, const struct path *p, int flags, bool created,
                     struct file **out)
{
    struct inode *inode = p->dentry->inode;
    int acc = flags & O_ACCMODE, mask = 0, err;
    struct file *f;

    *out = NULL;
    if (acc == 3)
        return -EINVAL;
    if (S_ISLNK(inode->mode))
        return -ELOOP;
    if ((flags & O_DIRECTORY) && !S_ISDIR(inode->mode))
        return -ENOTDIR;
    if (S_ISDIR(inode->mode) && (acc != O_RDONLY || (flags & O_TRUNC)))
        return -EISDIR;
    if (acc == O_RDONLY || acc == O_RDWR)
        mask |= R_OK;
    if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
        mask |= W_OK;
    if ((mask & W_OK) && writes_to_fs(inode->mode) && mnt_is_rdonly(p->mnt))
        return -EROFS;
    if (!created) {
        err = vfs_permission(inode, mask, ctx->cred);
        if (err)
            return err;
    }
    f = kzalloc(sizeof(*f));
    if (!f)
        return -ENOMEM;
    f->path = *p;
    path_get(&f->path);
    inode_ref(inode);
    f->inode = inode;
    /* device files: chrdev_open finds the driver (one place for every fs) */
    f->fops = S_ISCHR(inode->mode) || S_ISBLK(inode->mode) ? &chrdev_special_fops : inode->fops;
    f->flags = (unsigned)flags & ~(unsigned)(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
    f->refs = 1;
    f->cred = ctx->cred;
    mutex_init(&f->pos_lock, "file_pos");
    atomic_inc(&inode->open_count);
    if ((flags & O_TRUNC) && S_ISREG(inode->mode) && !created) {
        err = do_truncate(inode, 0);
        if (err)
            goto fail;
    }
    if (f->fops && f->fops->open) {
        err = f->fops->open(inode, f);
        if (err)
            goto fail;
    }
    *out = f;
    return 0;
fail:
    f->fops = NULL;             /* no release for a file whose open failed */
    file_put(f);
    return err;
}

int vfs_open_path(struct vfs_ctx *ctx, const struct path *p, int flags, struct file **out)
{
    return open_path(ctx, p, flags, false, out);
}

int vfs_open(struct vfs_ctx *ctx, const struct path *base, const char *path,
             int flags, uint32_t mode, struct file **out)
{
    struct nameidata *nd;
    struct path parent, p = { 0 };
    struct dentry *d = NULL;
    struct inode *dir;
    bool created = false;
    int err;

    *out = NULL;
    if (!(flags & O_CREAT)) {
        unsigned lf = (flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
        if (flags & O_DIRECTORY)
            lf |= LOOKUP_DIRECTORY;
        err = vfs_walk(ctx, base, path, lf, &p, NULL);
        if (err)
            return err;
        if ((flags & O_NOFOLLOW) && S_ISLNK(p.dentry->inode->mode))
            err = -ELOOP;
        else
            err = open_path(ctx, &p, flags, false, out);
        path_put(&p);
        return err;
    }

    nd = kmalloc(sizeof(*nd));
    if (!nd)
        return -ENOMEM;
    err = vfs_walk(ctx, base, path, LOOKUP_PARENT, &parent, nd);
    if (err)
        goto out_nd;
    if (nd->last_type != LAST_NORM) {
        err = -EISDIR;
        goto out_parent;
    }
    dir = parent.dentry->inode;
    mutex_lock(&dir->lock);
    err = lookup_one_locked(parent.dentry, nd->last, nd->last_len, &d);
    if (err)
        goto out_unlock;
    if (!d->inode) {
        if (nd->trailing_slash) {
            err = -EISDIR;
            goto out_unlock;
        }
        err = may_create(ctx, parent.mnt, parent.dentry);
        if (!err && !(dir->iops && dir->iops->create))
            err = -EACCES;
        if (!err)
            err = dir->iops->create(dir, d, S_IFREG | (mode & ~ctx->umask & S_IALLUGO), ctx->cred);
        if (err)
            goto out_unlock;
        inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
        created = true;
    } else if (flags & O_EXCL) {
        err = -EEXIST;
        goto out_unlock;
    }
    mutex_unlock(&dir->lock);
    if (!created && S_ISLNK(d->inode->mode)) {
        /* an existing symlink: follow it like open without O_CREAT */
        dentry_put(d);
        d = NULL;
        if (flags & O_NOFOLLOW) {
            err = -ELOOP;
            goto out_parent;
        }
        err = vfs_walk(ctx, base, path, LOOKUP_FOLLOW, &p, NULL);
        if (!err) {
            err = open_path(ctx, &p, flags, false, out);
            path_put(&p);
        }
        goto out_parent;
    }
    p.mnt = parent.mnt;
    p.dentry = d;
    if (!created && S_ISDIR(d->inode->mode)) {
        /* open(dir, O_CREAT) */
        err = -EISDIR;
        goto out_d;
    }
    if (!created && nd->trailing_slash && !S_ISDIR(d->inode->mode)) {
        err = -ENOTDIR;
        goto out_d;
    }
    mnt_ref(p.mnt);
    dentry_ref(d);
    {
        struct path q = p;
        /* something may be mounted on the name (perhaps several, stacked) */
        while (atomic_load(&q.dentry->flags) & DENTRY_MOUNTED) {
            struct mount *c = mnt_lookup_child(q.mnt, q.dentry);
            if (!c)
                break;
            dentry_ref(c->root);
            path_put(&q);
            q.mnt = c;
            q.dentry = c->root;
        }
        err = open_path(ctx, &q, flags, created, out);
        path_put(&q);
    }
    goto out_d;
out_unlock:
    mutex_unlock(&dir->lock);
out_d:
    if (d)
        dentry_put(d);
out_parent:
    path_put(&parent);
out_nd:
    kfree(nd);
    return err;
}

void file_ref(struct file *f)
{
    atomic_inc(&f->refs);
}

void file_put(struct file *f)
{
    struct inode *inode;

    if (atomic_sub_return(&f->refs, 1) != 0)
        return;
    inode = f->inode;
    if (f->fops && f->fops->release)
        f->fops->release(inode, f);
    atomic_dec(&inode->open_count);
    inode_put(inode);
    path_put(&f->path);
    kfree(f);
}

static bool can_read(const struct file *f)
{
    int acc = (int)(f->flags & O_ACCMODE);
    return !(f->flags & O_PATH) && (acc == O_RDONLY || acc == O_RDWR);
}

static bool can_write(const struct file *f)
{
    int acc = (int)(f->flags & O_ACCMODE);
    return !(f->flags & O_PATH) && (acc == O_WRONLY || acc == O_RDWR);
}

static ssize_t do_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    if (!can_read(f))
        return -EBADF;
    if (S_ISDIR(f->inode->mode))
        return -EISDIR;
    if (!f->fops || !f->fops->read)
        return -EINVAL;
    if (len == 0)
        return 0;
    return f->fops->read(f, buf, len, pos);
}

static ssize_t do_write(struct file *f, const void *buf, size_t len, uint64_t *pos, bool append)
{
    struct inode *inode = f->inode;
    ssize_t n;

    if (!can_write(f))
        return -EBADF;
    if (!f->fops || !f->fops->write)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (!S_ISREG(inode->mode))
        return f->fops->write(f, buf, len, pos);
    mutex_lock(&inode->lock);
    if (append)
        *pos = inode->size;
    n = f->fops->write(f, buf, len, pos);
    mutex_unlock(&inode->lock);
    return n;
}

static bool ts_le(const struct linux_timespec *a, const struct linux_timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec <= b->tv_nsec);
}

/*
 * Linux's relatime: a read updates atime only when it is not newer than
 * mtime or ctime, or is a day old, so reads rarely dirty an inode.
 */
static void read_touch_atime(struct file *f)
{
    struct inode *inode = f->inode;
    struct linux_timespec now;

    if (!S_ISREG(inode->mode) || (f->flags & O_NOATIME) || mnt_is_rdonly(f->path.mnt))
        return;
    now = vfs_now();
    if (!ts_le(&inode->atime, &inode->mtime) && !ts_le(&inode->atime, &inode->ctime) &&
        now.tv_sec - inode->atime.tv_sec < 24 * 3600)
        return;
    mutex_lock(&inode->lock);
    inode_touch(inode, VFS_TIME_A);
    mutex_unlock(&inode->lock);
}

ssize_t vfs_read(struct file *f, void *buf, size_t len)
{
    ssize_t n;

    mutex_lock(&f->pos_lock);
    n = do_read(f, buf, len, &f->pos);
    mutex_unlock(&f->pos_lock);
    if (n > 0)
        read_touch_atime(f);
    return n;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t len)
{
    ssize_t n;

    mutex_lock(&f->pos_lock);
    n = do_write(f, buf, len, &f->pos, f->flags & O_APPEND);
    mutex_unlock(&f->pos_lock);
    return n;
}

ssize_t vfs_pread(struct file *f, void *buf, size_t len, uint64_t off)
{
    ssize_t n;

    if ((int64_t)off < 0)
        return -EINVAL;
    n = do_read(f, buf, len, &off);
    if (n > 0)
        read_touch_atime(f);
    return n;
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, uint64_t off)
{
    if ((int64_t)off < 0)
        return -EINVAL;
    return do_write(f, buf, len, &off, false);
}

int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence)
{
    int64_t size = (int64_t)f->inode->size, npos;

    switch (whence) {
    case SEEK_SET:
        npos = off;
        break;
    case SEEK_CUR:
        npos = (int64_t)f->pos + off;
        break;
    case SEEK_END:
        npos = size + off;
        break;
    case SEEK_DATA:
        if (off < 0 || off >= size)
            return -ENXIO;
        npos = off;
        break;
    case SEEK_HOLE:
        if (off < 0 || off >= size)
            return -ENXIO;
        npos = size;
        break;
    default:
        return -EINVAL;
    }
    if (npos < 0)
        return -EINVAL;
    f->pos = (uint64_t)npos;
    return npos;
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
    struct inode *inode = f->inode;
    int64_t r;

    if (S_ISFIFO(inode->mode) || S_ISSOCK(inode->mode))
        return -ESPIPE;
    mutex_lock(&f->pos_lock);
    if (S_ISDIR(inode->mode) && whence != SEEK_SET && whence != SEEK_CUR)
        r = -EINVAL;
    else if (f->fops && f->fops->llseek)
        r = f->fops->llseek(f, off, whence);
    else
        r = vfs_generic_llseek(f, off, whence);
    mutex_unlock(&f->pos_lock);
    return r;
}

/* ---- getdents64 */

struct getdents_ctx {
    struct dir_ctx ctx;
    uint8_t *buf;
    size_t len, used;
    uint8_t *prev;
    int err;
};

static bool getdents_emit(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype)
{
    struct getdents_ctx *g = container_of(ctx, struct getdents_ctx, ctx);
    size_t reclen;

    if (len == 0 || len > NAME_MAX) {
        g->err = -EUCLEAN;      /* the fs handed over a name no directory can hold */
        return false;
    }
    reclen = vfs_util_dirent_put(g->buf + g->used, g->len - g->used, name, len, ino, dtype);
    if (!reclen) {
        if (g->used == 0)
            g->err = -EINVAL;
        return false;
    }
    /* the previous record continues at this entry's cookie */
    if (g->prev)
        vfs_util_dirent_set_off(g->prev, (int64_t)ctx->pos);
    g->prev = g->buf + g->used;
    g->used += reclen;
    return true;
}

ssize_t vfs_getdents(struct file *f, void *buf, size_t len)
{
    struct inode *inode = f->inode;
    struct getdents_ctx g = { .ctx = { .emit = getdents_emit }, .buf = buf, .len = len };
    int err;

    if (!S_ISDIR(inode->mode) || !f->fops || !f->fops->iterate)
        return -ENOTDIR;
    if (!can_read(f))
        return -EBADF;
    mutex_lock(&f->pos_lock);
    mutex_lock(&inode->lock);
    g.ctx.pos = f->pos;
    err = f->fops->iterate(f, &g.ctx);
    if (g.prev)
        vfs_util_dirent_set_off(g.prev, (int64_t)g.ctx.pos);
    f->pos = g.ctx.pos;
    mutex_unlock(&inode->lock);
    mutex_unlock(&f->pos_lock);
    if (g.used)
        return (ssize_t)g.used;
    if (err)
        return err;
    return g.err;
}

/* ---- stat and friends on open files */

void vfs_fill_stat(const struct inode *inode, struct linux_stat *st)
{
    const struct super_block *sb = inode->sb;

    memset(st, 0, sizeof(*st));
    st->st_dev = linux_makedev(KDEV_MAJOR(sb->dev), KDEV_MINOR(sb->dev));
    st->st_ino = inode->ino;
    st->st_nlink = inode->nlink;
    st->st_mode = inode->mode;
    st->st_uid = inode->uid;
    st->st_gid = inode->gid;
    st->st_rdev = linux_makedev(KDEV_MAJOR(inode->rdev), KDEV_MINOR(inode->rdev));
    st->st_size = (int64_t)inode->size;
    st->st_blksize = sb->block_size;
    st->st_blocks = (int64_t)inode->blocks;
    st->st_atime_sec = (uint64_t)inode->atime.tv_sec;
    st->st_atime_nsec = (uint64_t)inode->atime.tv_nsec;
    st->st_mtime_sec = (uint64_t)inode->mtime.tv_sec;
    st->st_mtime_nsec = (uint64_t)inode->mtime.tv_nsec;
    st->st_ctime_sec = (uint64_t)inode->ctime.tv_sec;
    st->st_ctime_nsec = (uint64_t)inode->ctime.tv_nsec;
}

int vfs_fstat(struct file *f, struct linux_stat *st)
{
    vfs_fill_stat(f->inode, st);
    return 0;
}

int vfs_ftruncate(struct file *f, uint64_t len)
{
    if ((int64_t)len < 0)
        return -EINVAL;
    if (!S_ISREG(f->inode->mode) || !can_write(f))
        return -EINVAL;
    if (mnt_is_rdonly(f->path.mnt))
        return -EROFS;
    return do_truncate(f->inode, len);
}

static int default_fsync(struct inode *inode)
{
    int err = 0, e;

    if (inode->mapping) {
        err = pagecache_writeback_inode(inode, true);
    }
    e = inode_write_now(inode);
    if (!err)
        err = e;
    if (inode->sb->bdev) {
        e = bcache_sync(inode->sb->bdev);
        if (!err)
            err = e;
    }
    return err;
}

int vfs_fsync(struct file *f)
{
    if (f->fops && f->fops->fsync)
        return f->fops->fsync(f);
    return default_fsync(f->inode);
}

int vfs_fchmod(struct file *f, uint32_t mode)
{
    return do_chmod(f->cred ? f->cred : &vfs_root_cred, f->path.mnt, f->inode, mode);
}

int vfs_fchown(struct file *f, uint32_t uid, uint32_t gid)
{
    return do_chown(f->cred ? f->cred : &vfs_root_cred, f->path.mnt, f->inode, uid, gid);
}

/* ---- path operations */

static unsigned at_follow(int flags)
{
    return (flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
}

static int lookup_at(struct vfs_ctx *ctx, const struct path *base, const char *path,
                     int flags, unsigned lflags, struct path *out)
{
    if ((flags & AT_EMPTY_PATH) && path && !path[0] && base) {
        *out = *base;
        path_get(out);
        return 0;
    }
    return vfs_walk(ctx, base, path, lflags, out, NULL);
}

int vfs_stat(struct vfs_ctx *ctx, const struct path *base, const char *path, struct linux_stat *st, int flags)
{
    struct path p;
    int err = lookup_at(ctx, base, path, flags, at_follow(flags), &p);

    if (err)
        return err;
    vfs_fill_stat(p.dentry->inode, st);
    path_put(&p);
    return 0;
}

int vfs_access(struct vfs_ctx *ctx, const struct path *base, const char *path, int mode)
{
    struct path p;
    int err;

    if (mode & ~(R_OK | W_OK | X_OK))
        return -EINVAL;
    err = vfs_walk(ctx, base, path, LOOKUP_FOLLOW, &p, NULL);
    if (err)
        return err;
    if ((mode & W_OK) && writes_to_fs(p.dentry->inode->mode) && mnt_is_rdonly(p.mnt))
        err = -EROFS;
    else
        err = vfs_permission(p.dentry->inode, mode, ctx->cred);
    path_put(&p);
    return err;
}

/*
 * The common frame of the creating operations: walks to the parent, locks
 * it, finds the last name (negative wanted), checks may_create and calls
 * fn. Returns 0 or -errno.
 */
struct create_args {
    int kind;                   /* 0 mkdir, 1 mknod, 2 symlink */
    uint32_t mode;
    kdev_t dev;
    const char *target;
};

static int do_create(struct vfs_ctx *ctx, const struct path *base, const char *path,
                     const struct create_args *a)
{
    struct nameidata *nd = kmalloc(sizeof(*nd));
    struct path parent;
    struct dentry *d = NULL;
    struct inode *dir;
    int err;

    if (!nd)
        return -ENOMEM;
    err = vfs_walk(ctx, base, path, LOOKUP_PARENT, &parent, nd);
    if (err)
        goto out_nd;
    if (nd->last_type != LAST_NORM) {
        err = -EEXIST;
        goto out_parent;
    }
    if (nd->trailing_slash && a->kind != 0) {
        /* only mkdir accepts "name/" for a new name */
        err = -ENOENT;
    }
    dir = parent.dentry->inode;
    mutex_lock(&dir->lock);
    if (err)
        goto out_unlock;
    err = lookup_one_locked(parent.dentry, nd->last, nd->last_len, &d);
    if (err)
        goto out_unlock;
    if (d->inode) {
        err = -EEXIST;
        goto out_unlock;
    }
    err = may_create(ctx, parent.mnt, parent.dentry);
    if (err)
        goto out_unlock;
    switch (a->kind) {
    case 0:
        err = dir->iops && dir->iops->mkdir
              ? dir->iops->mkdir(dir, d, S_IFDIR | (a->mode & ~ctx->umask & (S_IRWXU | S_IRWXG | S_IRWXO | S_ISVTX)), ctx->cred)
              : -EPERM;
        break;
    case 1:
        err = dir->iops && dir->iops->mknod
              ? dir->iops->mknod(dir, d, (a->mode & S_IFMT) | (a->mode & ~ctx->umask & S_IALLUGO), a->dev, ctx->cred)
              : -EPERM;
        break;
    default:
        err = dir->iops && dir->iops->symlink ? dir->iops->symlink(dir, d, a->target, ctx->cred)
                                              : -EPERM;
        break;
    }
    if (!err)
        inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
out_unlock:
    mutex_unlock(&dir->lock);
    if (d)
        dentry_put(d);
out_parent:
    path_put(&parent);
out_nd:
    kfree(nd);
    return err;
}

int vfs_mkdir(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t mode)
{
    struct create_args a = { .kind = 0, .mode = mode };
    return do_create(ctx, base, path, &a);
}

int vfs_mknod(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t mode, kdev_t dev)
{
    struct create_args a = { .kind = 1, .mode = mode, .dev = dev };
    uint32_t type = mode & S_IFMT;

    if (type == 0)
        a.mode |= S_IFREG;
    else if (type == S_IFDIR)
        return -EPERM;
    else if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK)
        return -EINVAL;
    if ((type == S_IFCHR || type == S_IFBLK) && ctx->cred->uid != 0)
        return -EPERM;
    return do_create(ctx, base, path, &a);
}

int vfs_symlink(struct vfs_ctx *ctx, const char *target, const struct path *base, const char *linkpath)
{
    struct create_args a = { .kind = 2, .target = target };
    size_t tl;

    if (!target)
        return -EFAULT;
    tl = strnlen(target, PATH_MAX);
    if (tl == 0)
        return -ENOENT;
    if (tl >= PATH_MAX)
        return -ENAMETOOLONG;
    return do_create(ctx, base, linkpath, &a);
}

/* unlink (dir == false) and rmdir (dir == true). */
static int do_remove(struct vfs_ctx *ctx, const struct path *base, const char *path, bool want_dir)
{
    struct nameidata *nd = kmalloc(sizeof(*nd));
    struct path parent;
    struct dentry *d = NULL;
    struct inode *dir, *victim;
    int err;

    if (!nd)
        return -ENOMEM;
    err = vfs_walk(ctx, base, path, LOOKUP_PARENT, &parent, nd);
    if (err)
        goto out_nd;
    if (nd->last_type != LAST_NORM) {
        if (!want_dir)
            err = -EISDIR;
        else if (nd->last_type == LAST_DOT)
            err = -EINVAL;
        else if (nd->last_type == LAST_DOTDOT)
            err = -ENOTEMPTY;
        else
            err = -EBUSY;
        goto out_parent;
    }
    dir = parent.dentry->inode;
    mutex_lock(&dir->lock);
    err = lookup_one_locked(parent.dentry, nd->last, nd->last_len, &d);
    if (err)
        goto out_unlock;
    victim = d->inode;
    if (!victim) {
        err = -ENOENT;
        goto out_unlock;
    }
    if (want_dir && !S_ISDIR(victim->mode)) {
        err = -ENOTDIR;
        goto out_unlock;
    }
    if (!want_dir && S_ISDIR(victim->mode)) {
        err = -EISDIR;
        goto out_unlock;
    }
    if (!want_dir && nd->trailing_slash) {
        err = -ENOTDIR;
        goto out_unlock;
    }
    err = may_delete(ctx, parent.mnt, parent.dentry, d);
    if (err)
        goto out_unlock;
    if (atomic_load(&d->flags) & DENTRY_MOUNTED) {
        err = -EBUSY;
        goto out_unlock;
    }
    mutex_lock(&victim->lock);
    if (want_dir)
        err = dir->iops && dir->iops->rmdir ? dir->iops->rmdir(dir, d) : -EPERM;
    else
        err = dir->iops && dir->iops->unlink ? dir->iops->unlink(dir, d) : -EPERM;
    if (!err) {
        d_drop(d);
        if (want_dir)
            d_prune_children(d);    /* its cached negative entries go with it */
        inode_touch(victim, VFS_TIME_C);
    }
    mutex_unlock(&victim->lock);
    if (!err)
        inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
out_unlock:
    mutex_unlock(&dir->lock);
    if (d)
        dentry_put(d);
out_parent:
    path_put(&parent);
out_nd:
    kfree(nd);
    return err;
}

int vfs_rmdir(struct vfs_ctx *ctx, const struct path *base, const char *path)
{
    return do_remove(ctx, base, path, true);
}

int vfs_unlink(struct vfs_ctx *ctx, const struct path *base, const char *path)
{
    return do_remove(ctx, base, path, false);
}

/* Is a an ancestor of d (or d itself)? */
static bool d_is_ancestor(struct dentry *a, struct dentry *d)
{
    bool found = false;

    spin_lock(&dcache_lock);
    for (;;) {
        if (d == a) {
            found = true;
            break;
        }
        if (d->parent == d)
            break;
        d = d->parent;
    }
    spin_unlock(&dcache_lock);
    return found;
}

int vfs_rename(struct vfs_ctx *ctx, const struct path *obase, const char *oldpath,
               const struct path *nbase, const char *newpath)
{
    struct nameidata *ond = kmalloc(sizeof(*ond)), *nnd = kmalloc(sizeof(*nnd));
    struct path op = { 0 }, np = { 0 };
    struct dentry *od = NULL, *nd = NULL;
    struct inode *odir, *ndir, *first, *second = NULL;
    bool cross, is_dir;
    char *name_copy = NULL;
    int err;

    if (!ond || !nnd) {
        err = -ENOMEM;
        goto out_nd;
    }
    err = vfs_walk(ctx, obase, oldpath, LOOKUP_PARENT, &op, ond);
    if (err)
        goto out_nd;
    err = vfs_walk(ctx, nbase, newpath, LOOKUP_PARENT, &np, nnd);
    if (err)
        goto out_paths;
    if (ond->last_type != LAST_NORM || nnd->last_type != LAST_NORM) {
        err = -EBUSY;
        goto out_paths;
    }
    if (op.mnt != np.mnt) {
        err = -EXDEV;
        goto out_paths;
    }
    if (mnt_is_rdonly(op.mnt)) {
        err = -EROFS;
        goto out_paths;
    }
    odir = op.dentry->inode;
    ndir = np.dentry->inode;
    cross = odir != ndir;
    first = odir;
    if (cross) {
        mutex_lock(&vfs_rename_lock);
        if (d_is_ancestor(np.dentry, op.dentry))
            first = ndir;
        else if (!d_is_ancestor(op.dentry, np.dentry) && (uintptr_t)ndir < (uintptr_t)odir)
            first = ndir;
        second = first == odir ? ndir : odir;
    }
    mutex_lock(&first->lock);
    if (second)
        mutex_lock(&second->lock);

    err = lookup_one_locked(op.dentry, ond->last, ond->last_len, &od);
    if (err)
        goto out_unlock;
    if (!od->inode) {
        err = -ENOENT;
        goto out_unlock;
    }
    err = lookup_one_locked(np.dentry, nnd->last, nnd->last_len, &nd);
    if (err)
        goto out_unlock;
    is_dir = S_ISDIR(od->inode->mode);
    if (!is_dir && (ond->trailing_slash || nnd->trailing_slash)) {
        err = -ENOTDIR;
        goto out_unlock;
    }
    err = may_delete(ctx, op.mnt, op.dentry, od);
    if (err)
        goto out_unlock;
    if (nd->inode)
        err = may_delete(ctx, np.mnt, np.dentry, nd);
    else
        err = may_create(ctx, np.mnt, np.dentry);
    if (err)
        goto out_unlock;
    if (od == nd || od->inode == nd->inode) {
        err = 0;                /* the same file: nothing to do (POSIX) */
        goto out_unlock;
    }
    if (nd->inode) {
        if (is_dir && !S_ISDIR(nd->inode->mode)) {
            err = -ENOTDIR;
            goto out_unlock;
        }
        if (!is_dir && S_ISDIR(nd->inode->mode)) {
            err = -EISDIR;
            goto out_unlock;
        }
    }
    if (is_dir && cross) {
        err = vfs_permission(od->inode, W_OK, ctx->cred);   /* its ".." changes */
        if (err)
            goto out_unlock;
    }
    if (d_is_ancestor(od, np.dentry)) {
        err = -EINVAL;
        goto out_unlock;
    }
    if (nd->inode && d_is_ancestor(nd, op.dentry)) {
        err = -ENOTEMPTY;
        goto out_unlock;
    }
    if ((atomic_load(&od->flags) & DENTRY_MOUNTED) || (atomic_load(&nd->flags) & DENTRY_MOUNTED)) {
        err = -EBUSY;
        goto out_unlock;
    }
    if (!odir->iops || !odir->iops->rename) {
        err = -EPERM;
        goto out_unlock;
    }
    if (nnd->last_len >= DNAME_INLINE) {
        name_copy = d_name_prealloc(nnd->last_len);
        if (!name_copy) {
            err = -ENOMEM;
            goto out_unlock;
        }
    }
    if (nd->inode)
        mutex_lock(&nd->inode->lock);
    err = odir->iops->rename(odir, od, ndir, nd);
    if (nd->inode) {
        if (!err)
            inode_touch(nd->inode, VFS_TIME_C);
        mutex_unlock(&nd->inode->lock);
    }
    if (!err) {
        d_drop(nd);
        d_move(od, np.dentry, nnd->last, nnd->last_len, name_copy);
        name_copy = NULL;
        inode_touch(od->inode, VFS_TIME_C);
        inode_touch(odir, VFS_TIME_M | VFS_TIME_C);
        if (cross)
            inode_touch(ndir, VFS_TIME_M | VFS_TIME_C);
    }
out_unlock:
    kfree(name_copy);
    if (second)
        mutex_unlock(&second->lock);
    mutex_unlock(&first->lock);
    if (cross)
        mutex_unlock(&vfs_rename_lock);
    if (od)
        dentry_put(od);
    if (nd)
        dentry_put(nd);
out_paths:
    path_put(&op);
    path_put(&np);
out_nd:
    kfree(ond);
    kfree(nnd);
    return err;
}

int vfs_link(struct vfs_ctx *ctx, const struct path *obase, const char *oldpath,
             const struct path *nbase, const char *newpath, int flags)
{
    struct nameidata *nd = kmalloc(sizeof(*nd));
    struct path old = { 0 }, parent = { 0 };
    struct dentry *d = NULL;
    struct inode *dir;
    int err;

    if (!nd)
        return -ENOMEM;
    err = vfs_walk(ctx, obase, oldpath, (flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0, &old, NULL);
    if (err)
        goto out;
    if (S_ISDIR(old.dentry->inode->mode)) {
        err = -EPERM;
        goto out;
    }
    err = vfs_walk(ctx, nbase, newpath, LOOKUP_PARENT, &parent, nd);
    if (err)
        goto out;
    if (nd->last_type != LAST_NORM) {
        err = -EEXIST;
        goto out;
    }
    if (old.mnt != parent.mnt) {
        err = -EXDEV;
        goto out;
    }
    dir = parent.dentry->inode;
    mutex_lock(&dir->lock);
    err = lookup_one_locked(parent.dentry, nd->last, nd->last_len, &d);
    if (err)
        goto out_unlock;
    if (d->inode) {
        err = -EEXIST;
        goto out_unlock;
    }
    if (nd->trailing_slash) {
        err = -ENOENT;
        goto out_unlock;
    }
    err = may_create(ctx, parent.mnt, parent.dentry);
    if (err)
        goto out_unlock;
    if (!dir->iops || !dir->iops->link) {
        err = -EPERM;
        goto out_unlock;
    }
    mutex_lock(&old.dentry->inode->lock);
    if (old.dentry->inode->nlink == 0)
        err = -ENOENT;
    else
        err = dir->iops->link(old.dentry, dir, d);
    if (!err)
        inode_touch(old.dentry->inode, VFS_TIME_C);
    mutex_unlock(&old.dentry->inode->lock);
    if (!err)
        inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
out_unlock:
    mutex_unlock(&dir->lock);
    if (d)
        dentry_put(d);
out:
    path_put(&old);
    path_put(&parent);
    kfree(nd);
    return err;
}

ssize_t vfs_readlink(struct vfs_ctx *ctx, const struct path *base, const char *path, char *buf, size_t len)
{
    struct path p;
    struct inode *inode;
    ssize_t n;
    int err;

    if (len == 0)
        return -EINVAL;
    err = vfs_walk(ctx, base, path, 0, &p, NULL);
    if (err)
        return err;
    inode = p.dentry->inode;
    if (!S_ISLNK(inode->mode) || !inode->iops || !inode->iops->readlink)
        n = -EINVAL;
    else
        n = inode->iops->readlink(inode, buf, len);
    path_put(&p);
    return n;
}

int vfs_truncate(struct vfs_ctx *ctx, const struct path *base, const char *path, uint64_t len)
{
    struct path p;
    struct inode *inode;
    int err;

    if ((int64_t)len < 0)
        return -EINVAL;
    err = vfs_walk(ctx, base, path, LOOKUP_FOLLOW, &p, NULL);
    if (err)
        return err;
    inode = p.dentry->inode;
    if (S_ISDIR(inode->mode))
        err = -EISDIR;
    else if (!S_ISREG(inode->mode))
        err = -EINVAL;
    else if (mnt_is_rdonly(p.mnt))
        err = -EROFS;
    else
        err = vfs_permission(inode, W_OK, ctx->cred);
    if (!err)
        err = do_truncate(inode, len);
    path_put(&p);
    return err;
}

int vfs_chmod(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t mode, int flags)
{
    struct path p;
    int err = lookup_at(ctx, base, path, flags, at_follow(flags), &p);

    if (err)
        return err;
    err = do_chmod(ctx->cred, p.mnt, p.dentry->inode, mode);
    path_put(&p);
    return err;
}

int vfs_chown(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t uid, uint32_t gid, int flags)
{
    struct path p;
    int err = lookup_at(ctx, base, path, flags, at_follow(flags), &p);

    if (err)
        return err;
    err = do_chown(ctx->cred, p.mnt, p.dentry->inode, uid, gid);
    path_put(&p);
    return err;
}

static bool ts_valid(const struct linux_timespec *t)
{
    return t->tv_nsec == UTIME_NOW || t->tv_nsec == UTIME_OMIT ||
           (t->tv_nsec >= 0 && t->tv_nsec < 1000000000l);
}

int vfs_utimens(struct vfs_ctx *ctx, const struct path *base, const char *path,
                const struct linux_timespec times[2], int flags)
{
    struct linux_timespec now = vfs_now();
    struct iattr a = { 0 };
    struct inode *inode;
    struct path p;
    bool only_now;
    int err;

    if (times && (!ts_valid(&times[0]) || !ts_valid(&times[1])))
        return -EINVAL;
    if (times && times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT)
        return 0;
    err = lookup_at(ctx, base, path, flags, at_follow(flags), &p);
    if (err)
        return err;
    inode = p.dentry->inode;
    only_now = !times || ((times[0].tv_nsec == UTIME_NOW || times[0].tv_nsec == UTIME_OMIT) &&
                          (times[1].tv_nsec == UTIME_NOW || times[1].tv_nsec == UTIME_OMIT));
    if (mnt_is_rdonly(p.mnt)) {
        err = -EROFS;
        goto out;
    }
    if (!is_owner_or_root(inode, ctx->cred)) {
        if (!only_now) {
            err = -EPERM;
            goto out;
        }
        err = vfs_permission(inode, W_OK, ctx->cred);
        if (err)
            goto out;
    }
    if (!times || times[0].tv_nsec != UTIME_OMIT) {
        a.valid |= ATTR_ATIME;
        a.atime = !times || times[0].tv_nsec == UTIME_NOW ? now : times[0];
    }
    if (!times || times[1].tv_nsec != UTIME_OMIT) {
        a.valid |= ATTR_MTIME;
        a.mtime = !times || times[1].tv_nsec == UTIME_NOW ? now : times[1];
    }
    mutex_lock(&inode->lock);
    err = setattr_locked(inode, &a);
    mutex_unlock(&inode->lock);
out:
    path_put(&p);
    return err;
}

int vfs_statfs(struct vfs_ctx *ctx, const struct path *base, const char *path, struct linux_statfs *st)
{
    struct super_block *sb;
    struct path p;
    int err = vfs_walk(ctx, base, path, LOOKUP_FOLLOW, &p, NULL);

    if (err)
        return err;
    sb = p.mnt->sb;
    memset(st, 0, sizeof(*st));
    st->f_type = sb->magic;
    st->f_bsize = sb->block_size;
    st->f_frsize = sb->block_size;
    st->f_namelen = NAME_MAX;
    st->f_fsid[0] = (int32_t)sb->dev;
    if (sb->ops->statfs)
        err = sb->ops->statfs(sb, st);
    if (mnt_is_rdonly(p.mnt))
        st->f_flags |= ST_RDONLY;
    path_put(&p);
    return err;
}

int vfs_chdir(struct vfs_ctx *ctx, const char *path)
{
    struct path p;
    int err = vfs_walk(ctx, NULL, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p, NULL);

    if (err)
        return err;
    err = vfs_permission(p.dentry->inode, X_OK, ctx->cred);
    if (err) {
        path_put(&p);
        return err;
    }
    path_put(&ctx->cwd);
    ctx->cwd = p;
    return 0;
}

ssize_t vfs_getcwd(struct vfs_ctx *ctx, char *buf, size_t len)
{
    ssize_t n;

    if (atomic_load(&ctx->cwd.dentry->flags) & DENTRY_DEAD)
        return -ENOENT;
    n = vfs_path_name(ctx, &ctx->cwd, buf, len);
    return n < 0 ? n : n + 1;
}

/* ---- sync */

int vfs_syncfs(struct super_block *sb)
{
    size_t passes = 4;
    int err = 0, e;

    /* enough passes for every inode there now; writers dirtying more do not keep sync going */
    spin_lock(&inode_hash_lock);
    list_for_each(pos, &sb->inodes)
        passes++;
    spin_unlock(&inode_hash_lock);
    passes = passes / 32 + 4;
    while (passes--) {
        struct inode *batch[32];
        size_t n = 0;

        /* take references on up to 32 inodes needing work, then do it unlocked */
        spin_lock(&inode_hash_lock);
        list_for_each(pos, &sb->inodes) {
            struct inode *inode = list_entry(pos, struct inode, sb_link);
            bool dirty_pages = inode->mapping && atomic_load(&inode->mapping->ndirty);
            if (inode->flags & (INODE_NEW | INODE_DEAD))
                continue;
            if (!(inode->flags & INODE_DIRTY) && !dirty_pages)
                continue;
            inode->refs++;
            batch[n++] = inode;
            if (n == ARRAY_SIZE(batch))
                break;
        }
        spin_unlock(&inode_hash_lock);
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            struct inode *inode = batch[i];
            if (inode->mapping) {
                e = pagecache_writeback_inode(inode, true);
                if (e && !err)
                    err = e;
            }
            if (inode->sb->ops->write_inode || (inode->flags & INODE_DIRTY)) {
                e = inode_write_now(inode);
                if (e && !err)
                    err = e;
            }
            inode_put(inode);
        }
        if (err)
            break;              /* failing inodes stay dirty; do not spin on them */
    }
    if (sb->ops->sync_fs) {
        e = sb->ops->sync_fs(sb);
        if (e && !err)
            err = e;
    }
    if (sb->bdev) {
        e = bcache_sync(sb->bdev);
        if (e && !err)
            err = e;
    }
    return err;
}

static void sync_one(struct super_block *sb, void *arg)
{
    int *err = arg, e;

    if (sb->flags & SB_RDONLY)
        return;
    e = vfs_syncfs(sb);
    if (e && !*err)
        *err = e;
}

int vfs_sync(void)
{
    int err = 0;

    vfs_for_each_sb(sync_one, &err);
    return err;
}
