/*
 * src/fs/vfs_mount.c - mounts: the mount tree, mount(2)/umount2(2), the
 * root mount and the kernel's vfs_ctx.
 *
 * Part of fs. vfs_mount_lock (a mutex) serialises every change of the
 * tree; mount_hash_lock (an innermost spinlock) guards the hash of
 * (parent mount, mountpoint dentry) -> child mount, the mount list and
 * the parent/mountpoint fields, so the path walk crosses mount points
 * without sleeping. Mount references are atomic; umount checks them under
 * mount_hash_lock, where the walk takes its references, so a mount cannot
 * gain users between the check and the unhashing.
 */
#include "vfs_internal.h"
#include <core/atomic.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/blk.h>
#include <fs/pagecache.h>
#include <mm/kmalloc.h>

spinlock_t mount_hash_lock = SPINLOCK_INIT("mount_hash_lock");

#define MOUNT_HASH_SIZE 64
static struct list_node mount_hash[MOUNT_HASH_SIZE];    /* [mount_hash_lock] */
static struct list_node mount_list = LIST_HEAD_INIT(mount_list);  /* [both] */
static struct mount *root_mount;                        /* [c] after vfs_mount_root */
static struct vfs_ctx kernel_ctx;
static bool kernel_ctx_ready;

static struct list_node *mnt_bucket(const struct mount *m, const struct dentry *d)
{
    uintptr_t h = ((uintptr_t)m >> 4) * 31 + ((uintptr_t)d >> 4);
    return &mount_hash[(h ^ (h >> 7)) % MOUNT_HASH_SIZE];
}

void vfs_mount_init(void)
{
    for (size_t i = 0; i < MOUNT_HASH_SIZE; i++)
        list_init(&mount_hash[i]);
}

void mnt_ref(struct mount *m)
{
    atomic_inc(&m->refs);
}

void mnt_put(struct mount *m)
{
    uint32_t old = atomic_fetch_sub(&m->refs, 1);
    BUG_ON(old == 0);
}

bool mnt_is_rdonly(const struct mount *m)
{
    return (m->flags & MNT_RDONLY) || (m->sb->flags & SB_RDONLY);
}

void path_get(const struct path *p)
{
    if (p->mnt)
        mnt_ref(p->mnt);
    if (p->dentry)
        dentry_ref(p->dentry);
}

void path_put(struct path *p)
{
    if (p->dentry)
        dentry_put(p->dentry);
    if (p->mnt)
        mnt_put(p->mnt);
    p->dentry = NULL;
    p->mnt = NULL;
}

struct mount *mnt_lookup_child(struct mount *mnt, struct dentry *d)
{
    struct mount *found = NULL;

    spin_lock(&mount_hash_lock);
    list_for_each(n, mnt_bucket(mnt, d)) {
        struct mount *c = list_entry(n, struct mount, hash_link);
        if (c->parent == mnt && c->mountpoint == d) {
            atomic_inc(&c->refs);
            found = c;
            break;
        }
    }
    spin_unlock(&mount_hash_lock);
    return found;
}

/* ---- superblock setup and teardown */

static struct blk_dev *resolve_bdev(const char *source)
{
    const char *base;

    if (!source || !source[0])
        return NULL;
    base = strrchr(source, '/');
    base = base ? base + 1 : source;
    return blk_find(base);
}

/* Builds a superblock and its root dentry. vfs_mount_lock held. */
static int sb_create(struct fs_type *t, const char *source, unsigned long flags,
                     const char *data, struct super_block **out_sb, struct dentry **out_root)
{
    struct super_block *sb;
    struct blk_dev *bdev = NULL;
    struct dentry *root;
    int err;

    mutex_assert_held(&vfs_mount_lock);
    if (t->flags & FS_REQUIRES_DEV) {
        bdev = resolve_bdev(source);
        if (!bdev) {
            pr_err("vfs: mount: no block device '%s'", source ? source : "");
            return -ENOENT;
        }
        if (vfs_bdev_mounted(bdev))
            return -EBUSY;
    }
    sb = vfs_sb_alloc(t);
    if (!sb)
        return -ENOMEM;
    sb->bdev = bdev;
    sb->dev = bdev ? KDEV(bdev->major, bdev->minor) : vfs_anon_dev();
    if (flags & MS_RDONLY)
        sb->flags |= SB_RDONLY;
    if (bdev && bdev->read_only && !(sb->flags & SB_RDONLY)) {
        pr_info("vfs: %s is write-protected, mounting read-only", bdev->name);
        sb->flags |= SB_RDONLY;
    }
    err = t->fill_super(sb, bdev, data ? data : "");
    if (err)
        sb->root = NULL;        /* the type has released what it took */
    else if (!sb->root || !sb->ops) {
        pr_err("vfs: %s: fill_super left no root", t->name);
        err = -EINVAL;
    }
    if (err) {
        /* unreferenced inodes the fs read before failing are still cached:
         * free them before the superblock goes */
        inode_evict_sb(sb, false);
        vfs_sb_free(sb);
        return err;
    }
    root = d_alloc(sb, NULL, "/", 1);
    if (!root) {
        inode_evict_sb(sb, true);
        if (sb->ops->put_super)
            sb->ops->put_super(sb);
        vfs_sb_free(sb);
        return -ENOMEM;
    }
    inode_ref(sb->root);
    d_instantiate(root, sb->root);
    vfs_sb_list_add(sb);
    sb->active = 1;
    *out_sb = sb;
    *out_root = root;
    return 0;
}

/* The sb's last mount is gone: sync, free dentries and inodes, put_super. vfs_mount_lock held. */
static void sb_kill(struct super_block *sb, struct dentry *root)
{
    mutex_assert_held(&vfs_mount_lock);
    if (!(sb->flags & SB_RDONLY))
        vfs_syncfs(sb);
    d_kill_root(root);
    inode_evict_sb(sb, true);
    if (sb->ops->put_super)
        sb->ops->put_super(sb);
    vfs_sb_list_del(sb);
    vfs_sb_free(sb);
}

static struct mount *mnt_alloc(struct super_block *sb, struct dentry *root, const char *source,
                               unsigned long flags)
{
    struct mount *m = kzalloc(sizeof(*m));

    if (!m)
        return NULL;
    m->sb = sb;
    m->root = root;
    m->parent = m;
    m->flags = (flags & MS_RDONLY) ? MNT_RDONLY : 0;
    strlcpy(m->source, source && source[0] ? source : sb->type->name, sizeof(m->source));
    m->refs = 1;                        /* the tree's own */
    list_init(&m->link);
    list_init(&m->hash_link);
    return m;
}

static int do_remount(struct vfs_ctx *ctx, const char *target, unsigned long flags)
{
    struct path p;
    int err = vfs_lookup(ctx, NULL, target, LOOKUP_FOLLOW, &p);

    if (err)
        return err;
    mutex_lock(&vfs_mount_lock);
    if (p.dentry != p.mnt->root) {
        err = -EINVAL;
        goto out;
    }
    struct super_block *sb = p.mnt->sb;
    if (flags & MS_RDONLY) {
        if (!(sb->flags & SB_RDONLY)) {
            vfs_syncfs(sb);
            if (sb->ops->remount && (err = sb->ops->remount(sb, SB_RDONLY)) != 0)
                goto out;
        }
        p.mnt->flags |= MNT_RDONLY;
        sb->flags |= SB_RDONLY;
    } else {
        if (sb->bdev && sb->bdev->read_only) {
            err = -EACCES;
            goto out;
        }
        if ((sb->flags & SB_RDONLY) && sb->ops->remount &&
            (err = sb->ops->remount(sb, 0)) != 0)
            goto out;
        p.mnt->flags &= ~MNT_RDONLY;
        sb->flags &= ~SB_RDONLY;
    }
out:
    mutex_unlock(&vfs_mount_lock);
    path_put(&p);
    return err;
}

int vfs_mount(struct vfs_ctx *ctx, const char *source, const char *target,
              const char *fstype, unsigned long flags, const char *data)
{
    struct fs_type *t;
    struct super_block *sb = NULL;
    struct dentry *root = NULL;
    struct mount *m;
    struct path mp;
    int err;

    if (!ctx || !target)
        return -EINVAL;
    if (flags & MS_REMOUNT)
        return do_remount(ctx, target, flags);
    t = fstype ? vfs_find_fs(fstype) : NULL;
    if (!t)
        return -ENODEV;
    err = vfs_lookup(ctx, NULL, target, LOOKUP_FOLLOW, &mp);
    if (err)
        return err;
    if (!S_ISDIR(mp.dentry->inode->mode)) {
        err = -ENOTDIR;
        goto out_path;
    }
    mutex_lock(&vfs_mount_lock);
    if (mp.dentry->flags & DENTRY_DEAD) {
        err = -ENOENT;
        goto out_unlock;
    }
    /* something was mounted here meanwhile: mount on top of it */
    for (;;) {
        struct mount *c;
        if (!(atomic_load(&mp.dentry->flags) & DENTRY_MOUNTED))
            break;
        c = mnt_lookup_child(mp.mnt, mp.dentry);
        if (!c)
            break;
        dentry_ref(c->root);
        path_put(&mp);
        mp.mnt = c;
        mp.dentry = c->root;
    }
    err = sb_create(t, source, flags, data, &sb, &root);
    if (err)
        goto out_unlock;
    m = mnt_alloc(sb, root, source, flags);
    if (!m) {
        sb_kill(sb, root);
        err = -ENOMEM;
        goto out_unlock;
    }
    dentry_ref(mp.dentry);
    spin_lock(&dcache_lock);
    mp.dentry->flags |= DENTRY_MOUNTED;
    spin_unlock(&dcache_lock);
    spin_lock(&mount_hash_lock);
    m->parent = mp.mnt;
    m->mountpoint = mp.dentry;
    list_add(mnt_bucket(mp.mnt, mp.dentry), &m->hash_link);
    list_add_tail(&mount_list, &m->link);
    spin_unlock(&mount_hash_lock);
    pr_info("vfs: mounted %s (%s) on %s%s", m->source, t->name, target,
            mnt_is_rdonly(m) ? " read-only" : "");
out_unlock:
    mutex_unlock(&vfs_mount_lock);
out_path:
    path_put(&mp);
    return err;
}

int vfs_umount(struct vfs_ctx *ctx, const char *target, int flags)
{
    struct path p;
    struct mount *m;
    struct dentry *mountpoint;
    int err;

    if (!ctx || (flags & ~(MNT_FORCE | MNT_DETACH)))
        return -EINVAL;
    err = vfs_lookup(ctx, NULL, target, LOOKUP_FOLLOW, &p);
    if (err)
        return err;
    m = p.mnt;
    if (p.dentry != m->root) {
        path_put(&p);
        return -EINVAL;
    }
    mutex_lock(&vfs_mount_lock);
    spin_lock(&mount_hash_lock);
    if (m->parent == m) {
        err = -EBUSY;           /* the root mount */
    } else {
        list_for_each(n, &mount_list) {
            if (list_entry(n, struct mount, link)->parent == m) {
                err = -EBUSY;
                break;
            }
        }
        /* the tree's own reference and ours */
        if (!err && atomic_load(&m->refs) != 2)
            err = -EBUSY;
    }
    if (!err) {
        list_del(&m->hash_link);
        list_del(&m->link);
    }
    spin_unlock(&mount_hash_lock);
    if (err) {
        mutex_unlock(&vfs_mount_lock);
        path_put(&p);
        return err;
    }
    /* unreachable now; drop our walk's reference by hand (the dentry stays ours) */
    dentry_put(p.dentry);
    mnt_put(m);
    mountpoint = m->mountpoint;
    spin_lock(&dcache_lock);
    mountpoint->flags &= ~DENTRY_MOUNTED;
    spin_unlock(&dcache_lock);
    if (--m->sb->active == 0)
        sb_kill(m->sb, m->root);
    else
        dentry_put(m->root);
    pr_info("vfs: unmounted %s", m->source);
    kfree(m);
    mutex_unlock(&vfs_mount_lock);
    dentry_put(mountpoint);
    return 0;
}

int vfs_mount_root(const char *source, const char *fstype, unsigned long flags, const char *data)
{
    struct fs_type *t = vfs_find_fs(fstype ? fstype : "tmpfs");
    struct super_block *sb;
    struct dentry *root;
    struct mount *m;
    int err;

    if (!t)
        return -ENODEV;
    mutex_lock(&vfs_mount_lock);
    if (root_mount) {
        err = -EBUSY;
        goto out;
    }
    err = sb_create(t, source, flags, data, &sb, &root);
    if (err)
        goto out;
    m = mnt_alloc(sb, root, source, flags);
    if (!m) {
        sb_kill(sb, root);
        err = -ENOMEM;
        goto out;
    }
    spin_lock(&mount_hash_lock);
    list_add_tail(&mount_list, &m->link);
    root_mount = m;
    spin_unlock(&mount_hash_lock);
    kernel_ctx.root.mnt = m;
    kernel_ctx.root.dentry = root;
    path_get(&kernel_ctx.root);
    kernel_ctx.cwd = kernel_ctx.root;
    path_get(&kernel_ctx.cwd);
    kernel_ctx.cred = &vfs_root_cred;
    kernel_ctx.umask = 022;
    kernel_ctx_ready = true;
    pr_info("vfs: root is %s (%s)%s", m->source, t->name, mnt_is_rdonly(m) ? " read-only" : "");
out:
    mutex_unlock(&vfs_mount_lock);
    return err;
}

struct vfs_ctx *vfs_kernel_ctx(void)
{
    return kernel_ctx_ready ? &kernel_ctx : NULL;
}

int vfs_ctx_clone(const struct vfs_ctx *src, struct vfs_ctx *dst)
{
    *dst = *src;
    path_get(&dst->root);
    path_get(&dst->cwd);
    return 0;
}

void vfs_ctx_release(struct vfs_ctx *ctx)
{
    path_put(&ctx->root);
    path_put(&ctx->cwd);
}

void vfs_for_each_mount(struct vfs_ctx *ctx,
                        void (*fn)(struct mount *m, const char *mountpoint, void *arg), void *arg)
{
    char *buf = kmalloc(PATH_MAX);

    if (!buf)
        return;
    mutex_lock(&vfs_mount_lock);
    list_for_each(n, &mount_list) {
        struct mount *m = list_entry(n, struct mount, link);
        struct path p = { m, m->root };
        if (vfs_path_name(ctx, &p, buf, PATH_MAX) < 0)
            strlcpy(buf, "?", PATH_MAX);
        fn(m, buf, arg);
    }
    mutex_unlock(&vfs_mount_lock);
    kfree(buf);
}
