/*
 * src/fs/vfs_namei.c - the path walk (names -> dentries across mounts and
 * symlinks), lookups of one name through the dentry cache, permission
 * checks and path names of dentries.
 *
 * Part of fs. The walk holds references, not locks: a cached name is found
 * under dcache_lock alone; a name not cached is looked up by the fs under
 * the directory's inode->lock (so one lookup per missing name runs, and
 * creations in that directory wait for it). Mount points are crossed with
 * the mount's reference held, which keeps umount away (-EBUSY).
 */
#include "vfs_internal.h"
#include <core/atomic.h>
#include <core/errno.h>
#include <core/string.h>
#include <fs/vfs_util.h>
#include <mm/kmalloc.h>

bool vfs_cred_in_group(const struct cred *cr, uint32_t gid)
{
    if (cr->gid == gid)
        return true;
    for (uint32_t i = 0; i < cr->ngroups && i < ARRAY_SIZE(cr->groups); i++) {
        if (cr->groups[i] == gid)
            return true;
    }
    return false;
}

int vfs_permission(const struct inode *inode, int mask, const struct cred *cr)
{
    uint32_t mode = inode->mode, bits;

    mask &= R_OK | W_OK | X_OK;
    if (cr->uid == 0) {
        /* root: read and write always; execute/search if a directory or any x bit */
        if (!(mask & X_OK) || S_ISDIR(mode) || (mode & 0111))
            return 0;
        return -EACCES;
    }
    if (cr->uid == inode->uid)
        bits = mode >> 6;
    else if (vfs_cred_in_group(cr, inode->gid))
        bits = mode >> 3;
    else
        bits = mode;
    return ((bits & (uint32_t)mask) == (uint32_t)mask) ? 0 : -EACCES;
}

/* Whether cached d (a child of dir) still stands (inode_ops.revalidate). */
static bool dentry_valid(struct dentry *dir, struct dentry *d)
{
    const struct inode_ops *iops = dir->inode->iops;

    return !iops || !iops->revalidate || iops->revalidate(dir->inode, d);
}

int lookup_one_locked(struct dentry *dir, const char *name, size_t len, struct dentry **out)
{
    struct inode *inode = dir->inode;
    struct dentry *d;
    int err = 0;

    mutex_assert_held(&inode->lock);
    d = d_lookup(dir, name, len);
    if (d && !dentry_valid(dir, d)) {
        d_drop(d);                      /* stale: gone from the cache, looked up anew */
        dentry_put(d);
        d = NULL;
    }
    if (d) {
        *out = d;
        return 0;
    }
    if (atomic_load(&dir->flags) & DENTRY_DEAD)
        return -ENOENT;                 /* a removed directory has no entries */
    d = d_alloc(dir->sb, dir, name, len);
    if (!d)
        return -ENOMEM;
    if (inode->iops && inode->iops->lookup)
        err = inode->iops->lookup(inode, d);
    if (err) {
        dentry_put(d);
        return err;
    }
    d_add_hash(d);
    *out = d;
    return 0;
}

int lookup_one(struct dentry *dir, const char *name, size_t len, struct dentry **out)
{
    struct dentry *d = d_lookup(dir, name, len);
    int err;

    if (d && dentry_valid(dir, d)) {
        *out = d;
        return 0;
    }
    if (d)
        dentry_put(d);                  /* stale: the locked lookup drops it */
    mutex_lock(&dir->inode->lock);
    err = lookup_one_locked(dir, name, len, out);
    mutex_unlock(&dir->inode->lock);
    return err;
}

/* Moves p onto whatever is mounted on it (repeatedly). */
static void follow_mounts(struct path *p)
{
    while (atomic_load(&p->dentry->flags) & DENTRY_MOUNTED) {
        struct mount *c = mnt_lookup_child(p->mnt, p->dentry);
        if (!c)
            break;
        dentry_ref(c->root);
        path_put(p);
        p->mnt = c;
        p->dentry = c->root;
    }
}

/* One step up ("..") from p: across mount roots, never above ctx's root. */
static void follow_dotdot(struct vfs_ctx *ctx, struct path *p)
{
    for (;;) {
        if (p->mnt == ctx->root.mnt && p->dentry == ctx->root.dentry)
            return;
        if (p->dentry == p->mnt->root) {
            /* our reference on p->mnt keeps it mounted, so its fields hold still */
            struct path up = { p->mnt->parent, p->mnt->mountpoint };
            if (up.mnt == p->mnt)
                return;                 /* the root of the whole tree */
            path_get(&up);
            path_put(p);
            *p = up;
            continue;
        }
        struct dentry *parent = d_get_parent(p->dentry);
        dentry_put(p->dentry);
        p->dentry = parent;
        return;
    }
}

static int read_link(struct inode *inode, char *buf, size_t len)
{
    ssize_t n;

    if (!inode->iops || !inode->iops->readlink)
        return -EINVAL;
    n = inode->iops->readlink(inode, buf, len);
    if (n < 0)
        return (int)n;
    if ((size_t)n >= len)
        return -ENAMETOOLONG;
    buf[n] = '\0';
    return (int)n;
}

int vfs_walk(struct vfs_ctx *ctx, const struct path *base, const char *path,
             unsigned flags, struct path *out, struct nameidata *nd)
{
    struct path cur;
    char *bufs = NULL;          /* two PATH_MAX buffers for symlink expansion */
    unsigned which = 0, links = 0;
    const char *p = path;
    bool must_dir = false;
    size_t len;
    int err = 0;

    out->mnt = NULL;
    out->dentry = NULL;
    if (!ctx || !path)
        return -EFAULT;
    len = strnlen(path, PATH_MAX);
    if (len >= PATH_MAX)
        return -ENAMETOOLONG;
    if (len == 0)
        return -ENOENT;
    cur = path[0] == '/' ? ctx->root : (base ? *base : ctx->cwd);
    path_get(&cur);
    if (nd) {
        nd->last_type = LAST_ROOT;
        nd->last_len = 0;
        nd->last[0] = '\0';
        nd->trailing_slash = false;
    }

    for (;;) {
        struct vfs_util_comp c;
        const char *e;
        size_t clen;
        bool last, trailing;
        struct inode *dir;
        struct dentry *child;
        struct path next;
        int r = vfs_util_next_comp(p, &c);

        if (r < 0) {
            err = r;
            goto fail;
        }
        if (r == 0)
            break;
        p = c.name;
        e = c.rest;
        clen = c.len;
        last = c.last;
        trailing = c.trailing;

        if (last && (flags & LOOKUP_PARENT) && nd) {
            memcpy(nd->last, p, clen);
            nd->last[clen] = '\0';
            nd->last_len = clen;
            nd->trailing_slash = trailing;
            nd->last_type = c.kind == VFS_UTIL_DOT ? LAST_DOT
                          : c.kind == VFS_UTIL_DOTDOT ? LAST_DOTDOT : LAST_NORM;
            if (!S_ISDIR(cur.dentry->inode->mode)) {
                err = -ENOTDIR;
                goto fail;
            }
            /* the last name will be looked up in cur: search permission, as Linux */
            err = vfs_permission(cur.dentry->inode, X_OK, ctx->cred);
            if (err)
                goto fail;
            break;
        }

        dir = cur.dentry->inode;
        if (!S_ISDIR(dir->mode)) {
            err = -ENOTDIR;
            goto fail;
        }
        err = vfs_permission(dir, X_OK, ctx->cred);
        if (err)
            goto fail;
        if (last)
            must_dir = trailing;
        if (c.kind == VFS_UTIL_DOT) {
            p = e;
            continue;
        }
        if (c.kind == VFS_UTIL_DOTDOT) {
            follow_dotdot(ctx, &cur);
            p = e;
            continue;
        }
        err = lookup_one(cur.dentry, p, clen, &child);
        if (err)
            goto fail;
        if (!atomic_load_acquire(&child->inode)) {
            dentry_put(child);
            err = -ENOENT;
            goto fail;
        }
        next.mnt = cur.mnt;
        next.dentry = child;
        mnt_ref(next.mnt);
        follow_mounts(&next);

        if (S_ISLNK(next.dentry->inode->mode) && (!last || trailing || (flags & LOOKUP_FOLLOW))) {
            char *dst;
            int n;

            if (++links > SYMLOOP_MAX) {
                path_put(&next);
                err = -ELOOP;
                goto fail;
            }
            if (!bufs) {
                bufs = kmalloc(2 * PATH_MAX);
                if (!bufs) {
                    path_put(&next);
                    err = -ENOMEM;
                    goto fail;
                }
            }
            dst = bufs + which * PATH_MAX;
            n = read_link(next.dentry->inode, dst, PATH_MAX);
            path_put(&next);
            if (n < 0) {
                err = n;
                goto fail;
            }
            if (n == 0) {
                err = -ENOENT;
                goto fail;
            }
            if ((size_t)n + strlen(e) >= PATH_MAX) {
                err = -ENAMETOOLONG;
                goto fail;
            }
            memmove(dst + n, e, strlen(e) + 1);
            if (dst[0] == '/') {
                path_put(&cur);
                cur = ctx->root;
                path_get(&cur);
            }
            p = dst;
            which ^= 1;
            continue;
        }
        path_put(&cur);
        cur = next;
        p = e;
    }

    if (!(flags & LOOKUP_PARENT) || !nd) {
        if ((must_dir || (flags & LOOKUP_DIRECTORY)) && !S_ISDIR(cur.dentry->inode->mode)) {
            err = -ENOTDIR;
            goto fail;
        }
    }
    kfree(bufs);
    *out = cur;
    return 0;
fail:
    kfree(bufs);
    path_put(&cur);
    return err;
}

int vfs_lookup(struct vfs_ctx *ctx, const struct path *base, const char *path,
               unsigned flags, struct path *out)
{
    struct nameidata *nd = NULL;
    int err;

    if (flags & LOOKUP_PARENT) {
        nd = kmalloc(sizeof(*nd));
        if (!nd)
            return -ENOMEM;
    }
    err = vfs_walk(ctx, base, path, flags, out, nd);
    kfree(nd);
    return err;
}

ssize_t vfs_path_name(struct vfs_ctx *ctx, const struct path *p, char *buf, size_t len)
{
    struct mount *m = p->mnt;
    struct dentry *d = p->dentry;
    size_t pos = len;
    bool any = false;
    ssize_t ret;

    if (len < 2)
        return -ERANGE;
    buf[--pos] = '\0';
    spin_lock(&dcache_lock);
    for (;;) {
        if (m == ctx->root.mnt && d == ctx->root.dentry)
            break;
        if (d == m->root) {
            if (m->parent == m)
                break;
            d = m->mountpoint;
            m = m->parent;
            continue;
        }
        if (pos < d->name_len + 1) {
            spin_unlock(&dcache_lock);
            return -ERANGE;
        }
        pos -= d->name_len;
        memcpy(buf + pos, d->name, d->name_len);
        buf[--pos] = '/';
        any = true;
        d = d->parent;
    }
    spin_unlock(&dcache_lock);
    if (!any)
        buf[--pos] = '/';
    ret = (ssize_t)(len - 1 - pos);
    memmove(buf, buf + pos, (size_t)ret + 1);
    return ret;
}
