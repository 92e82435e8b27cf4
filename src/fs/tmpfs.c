/*
 * src/fs/tmpfs.c - tmpfs: a file system in RAM. Names live in the dentry
 * cache (pinned: each name holds one extra reference until removed), data
 * in unevictable page-cache pages, symlink targets in kmalloc'd strings.
 *
 * Part of fs. Used for "/" when there is no disk and for /tmp. Each
 * directory keeps its entries in creation order with increasing cookies
 * (getdents positions), so a listing survives concurrent changes; all
 * directory state is guarded by the directory's inode->lock, which the VFS
 * holds around every inode operation here.
 */
#include <fs/tmpfs.h>
#include <core/errno.h>
#include <core/layout.h>
#include <core/printk.h>
#include <core/string.h>
#include <fs/pagecache.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>

#define TMPFS_BOGO_DIRENT   20      /* st_size of a directory per entry, as Linux */

/* Legend: [l] the inode's lock (for directories: the VFS's directory lock). */
struct tmpfs_inode {
    struct inode vfs;
    struct list_node entries;       /* [l] directories: struct tmpfs_dirent, cookie order */
    uint64_t next_cookie;           /* [l] directories: the next entry's cookie (from 2) */
    uint64_t nentries;              /* [l] */
    char *target;                   /* [c] symlinks: the target, NUL-terminated */
};

struct tmpfs_dirent {
    struct list_node link;          /* [parent's l] */
    uint64_t cookie;                /* [parent's l] */
    struct dentry *d;               /* [parent's l] the pinned name */
};

struct tmpfs_sb {
    uint32_t root_mode;
};

static const struct inode_ops tmpfs_dir_iops;
static const struct inode_ops tmpfs_symlink_iops;
static const struct inode_ops tmpfs_file_iops;
static const struct file_ops tmpfs_dir_fops;

static struct tmpfs_inode *TI(struct inode *inode)
{
    return container_of(inode, struct tmpfs_inode, vfs);
}

static struct inode *tmpfs_alloc_inode(struct super_block *sb)
{
    struct tmpfs_inode *ti = kzalloc(sizeof(*ti));

    (void)sb;
    if (!ti)
        return NULL;
    list_init(&ti->entries);
    ti->next_cookie = 2;
    return &ti->vfs;
}

static void tmpfs_free_inode(struct inode *inode)
{
    struct tmpfs_inode *ti = TI(inode);

    list_for_each_safe(n, &ti->entries)
        kfree(list_entry(n, struct tmpfs_dirent, link));
    kfree(ti->target);
    kfree(ti);
}

static int tmpfs_statfs(struct super_block *sb, struct linux_statfs *st)
{
    struct pmm_stats ps = pmm_stats();

    (void)sb;
    st->f_bsize = PAGE_SIZE;
    st->f_frsize = PAGE_SIZE;
    st->f_blocks = ps.managed_frames / 2;       /* Linux's default size: half of RAM */
    st->f_bfree = ps.free_frames < st->f_blocks ? ps.free_frames : st->f_blocks;
    st->f_bavail = st->f_bfree;
    st->f_files = st->f_blocks;
    st->f_ffree = st->f_bfree;
    st->f_namelen = NAME_MAX;
    return 0;
}

static void tmpfs_put_super(struct super_block *sb)
{
    kfree(sb->priv);
    sb->priv = NULL;
}

static const struct super_ops tmpfs_sops = {
    .alloc_inode = tmpfs_alloc_inode,
    .free_inode = tmpfs_free_inode,
    .statfs = tmpfs_statfs,
    .put_super = tmpfs_put_super,
};

static void dir_update_size(struct inode *dir)
{
    dir->size = (TI(dir)->nentries + 2) * TMPFS_BOGO_DIRENT;
}

/* Adds pinned entry d -> inode (the reference passes to d) to dir. dir->lock held. */
static int tmpfs_add(struct inode *dir, struct dentry *d, struct inode *inode)
{
    struct tmpfs_dirent *de = kzalloc(sizeof(*de));

    mutex_assert_held(&dir->lock);
    if (!de)
        return -ENOSPC;
    de->cookie = TI(dir)->next_cookie++;
    de->d = d;
    list_add_tail(&TI(dir)->entries, &de->link);
    TI(dir)->nentries++;
    dir_update_size(dir);
    d->fsdata = de;
    d_instantiate(d, inode);
    dentry_ref(d);              /* the pin: tmpfs names are never reclaimed */
    return 0;
}

/* Removes d's entry from dir and drops the pin (the caller holds its own reference). */
static void tmpfs_del(struct inode *dir, struct dentry *d)
{
    struct tmpfs_dirent *de = d->fsdata;

    mutex_assert_held(&dir->lock);
    if (de) {
        list_del(&de->link);
        kfree(de);
        TI(dir)->nentries--;
        dir_update_size(dir);
        d->fsdata = NULL;
    }
    dentry_put(d);
}

static struct inode *tmpfs_new_inode(struct inode *dir, uint32_t mode, const struct cred *cr)
{
    uint32_t gid = cr->gid;
    struct inode *inode;

    if (dir->mode & S_ISGID) {
        gid = dir->gid;                         /* set-group-ID directories pass their group on */
        if (S_ISDIR(mode))
            mode |= S_ISGID;
    }
    inode = inode_new(dir->sb, 0, mode, cr->uid, gid);
    if (!inode)
        return NULL;
    switch (mode & S_IFMT) {
    case S_IFDIR:
        inode->iops = &tmpfs_dir_iops;
        inode->fops = &tmpfs_dir_fops;
        inode->size = 2 * TMPFS_BOGO_DIRENT;
        break;
    case S_IFREG:
        inode->iops = &tmpfs_file_iops;
        inode->fops = &pagecache_file_ops;
        break;
    case S_IFLNK:
        inode->iops = &tmpfs_symlink_iops;
        break;
    default:
        inode->iops = &tmpfs_file_iops;
        break;
    }
    return inode;
}

static int tmpfs_lookup(struct inode *dir, struct dentry *d)
{
    /* every existing name is in the dentry cache: a miss means absent */
    (void)dir;
    (void)d;
    return 0;
}

static int tmpfs_mknod(struct inode *dir, struct dentry *d, uint32_t mode, kdev_t rdev,
                       const struct cred *cr)
{
    struct inode *inode = tmpfs_new_inode(dir, mode, cr);
    int err;

    if (!inode)
        return -ENOSPC;
    inode->rdev = rdev;
    err = tmpfs_add(dir, d, inode);
    if (err) {
        inode->nlink = 0;
        inode_put(inode);
    }
    return err;
}

static int tmpfs_create(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr)
{
    return tmpfs_mknod(dir, d, mode, 0, cr);
}

static int tmpfs_mkdir(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr)
{
    int err = tmpfs_mknod(dir, d, (mode & ~(uint32_t)S_IFMT) | S_IFDIR, 0, cr);

    if (!err)
        dir->nlink++;
    return err;
}

static int tmpfs_symlink(struct inode *dir, struct dentry *d, const char *target, const struct cred *cr)
{
    size_t len = strlen(target);
    struct inode *inode;
    char *copy = kmalloc(len + 1);
    int err;

    if (!copy)
        return -ENOSPC;
    memcpy(copy, target, len + 1);
    inode = tmpfs_new_inode(dir, S_IFLNK | 0777, cr);
    if (!inode) {
        kfree(copy);
        return -ENOSPC;
    }
    TI(inode)->target = copy;
    inode->size = len;
    err = tmpfs_add(dir, d, inode);
    if (err) {
        inode->nlink = 0;
        inode_put(inode);
    }
    return err;
}

static int tmpfs_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct inode *inode = old->inode;
    int err;

    inode_ref(inode);
    err = tmpfs_add(dir, d, inode);
    if (err) {
        inode_put(inode);
        return err;
    }
    inode->nlink++;
    return 0;
}

static int tmpfs_unlink(struct inode *dir, struct dentry *d)
{
    d->inode->nlink--;
    tmpfs_del(dir, d);
    return 0;
}

static int tmpfs_rmdir(struct inode *dir, struct dentry *d)
{
    struct inode *inode = d->inode;

    if (TI(inode)->nentries)
        return -ENOTEMPTY;
    inode->nlink = 0;
    dir->nlink--;
    tmpfs_del(dir, d);
    return 0;
}

static int tmpfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd)
{
    struct inode *inode = od->inode, *victim = nd->inode;
    struct tmpfs_dirent *de = od->fsdata;
    bool is_dir = S_ISDIR(inode->mode);

    if (victim) {
        if (S_ISDIR(victim->mode)) {
            if (TI(victim)->nentries)
                return -ENOTEMPTY;
            victim->nlink = 0;
            ndir->nlink--;
        } else {
            victim->nlink--;
        }
        tmpfs_del(ndir, nd);
    }
    /* move the entry: a new cookie in the new directory */
    list_del(&de->link);
    TI(odir)->nentries--;
    dir_update_size(odir);
    de->cookie = TI(ndir)->next_cookie++;
    list_add_tail(&TI(ndir)->entries, &de->link);
    TI(ndir)->nentries++;
    dir_update_size(ndir);
    if (is_dir && odir != ndir) {
        odir->nlink--;
        ndir->nlink++;
    }
    return 0;
}

static ssize_t tmpfs_readlink(struct inode *inode, char *buf, size_t len)
{
    size_t n = inode->size;

    if (n > len)
        n = len;
    memcpy(buf, TI(inode)->target, n);
    return (ssize_t)n;
}

static int tmpfs_iterate(struct file *f, struct dir_ctx *ctx)
{
    struct inode *dir = f->inode;
    struct dentry *self = f->path.dentry;

    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR))
            return 0;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct dentry *parent = self->parent;   /* stable: the caller holds dir->lock */
        uint64_t pino = parent->inode ? parent->inode->ino : dir->ino;
        if (!ctx->emit(ctx, "..", 2, pino, DT_DIR))
            return 0;
        ctx->pos = 2;
    }
    list_for_each(n, &TI(dir)->entries) {
        struct tmpfs_dirent *de = list_entry(n, struct tmpfs_dirent, link);
        struct inode *inode = de->d->inode;

        if (de->cookie < ctx->pos)
            continue;
        ctx->pos = de->cookie;
        if (!ctx->emit(ctx, de->d->name, de->d->name_len, inode->ino, DT_FROM_MODE(inode->mode)))
            return 0;
        ctx->pos = de->cookie + 1;
    }
    ctx->pos = TI(dir)->next_cookie;
    return 0;
}

static const struct inode_ops tmpfs_dir_iops = {
    .lookup = tmpfs_lookup,
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .mknod = tmpfs_mknod,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
};

static const struct inode_ops tmpfs_symlink_iops = {
    .readlink = tmpfs_readlink,
};

static const struct inode_ops tmpfs_file_iops = {
    .setattr = NULL,            /* the VFS's default: page cache truncate + fields */
};

static const struct file_ops tmpfs_dir_fops = {
    .iterate = tmpfs_iterate,
};

/* Options: "mode=OCTAL" for the root directory; others are ignored with a log line. */
static int tmpfs_fill_super(struct super_block *sb, struct blk_dev *bdev, const char *data)
{
    struct tmpfs_sb *ts = kzalloc(sizeof(*ts));
    struct inode *root;
    const char *p = data;

    (void)bdev;
    if (!ts)
        return -ENOMEM;
    ts->root_mode = 01777;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        uint64_t v;

        if (len > 5 && strncmp(p, "mode=", 5) == 0 && str_to_u64(p + 5, len - 5, 8, &v) == 0 &&
            v <= 07777)
            ts->root_mode = (uint32_t)v;
        else if (len)
            pr_warn("tmpfs: ignoring option '%.*s'", (int)len, p);
        p = e ? e + 1 : NULL;
    }
    sb->priv = ts;
    sb->ops = &tmpfs_sops;
    sb->magic = TMPFS_MAGIC;
    sb->block_size = PAGE_SIZE;
    sb->max_bytes = (uint64_t)1 << 43;
    root = inode_new(sb, 0, S_IFDIR | ts->root_mode, 0, 0);
    if (!root) {
        kfree(ts);
        sb->priv = NULL;
        return -ENOMEM;
    }
    root->iops = &tmpfs_dir_iops;
    root->fops = &tmpfs_dir_fops;
    root->size = 2 * TMPFS_BOGO_DIRENT;
    sb->root = root;
    return 0;
}

static struct fs_type tmpfs_type = {
    .name = "tmpfs",
    .flags = 0,
    .fill_super = tmpfs_fill_super,
};

int tmpfs_init(void)
{
    return vfs_register_fs(&tmpfs_type);
}
