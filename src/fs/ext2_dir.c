/*
 * src/fs/ext2_dir.c - the ext2 driver's directories: lookup, create,
 * mkdir, mknod, symlink, link, unlink, rmdir, rename (across parents, with
 * ".." and the link counts), and iterate (getdents).
 *
 * Part of fs. Directory blocks are metadata: read and changed in the
 * buffer cache under the file system's lock, edited with the pure
 * ext2_disk helpers (which check the whole block first, so a damaged one is
 * reported and never changed). The VFS holds the directories' inode->lock
 * on entry (both for rename) and has checked permissions, read-only
 * mounts, name lengths and existence. Locking: include/fs/ext2.h.
 *
 * A directory of DX_MIN_BLOCKS blocks or more gets an in-memory name index
 * on its first lookup (ext2_dx: a hash of each name -> the block holding
 * it, open addressing), kept up to date by every insert and removal, so a
 * lookup - a missing name's too, as every create does - reads one block
 * instead of scanning the directory. Hits are checked in the block itself;
 * without memory for the index the scan is used.
 */
#include <fs/ext2.h>
#include <fs/bcache.h>
#include <mm/kmalloc.h>
#include <core/errno.h>
#include <core/string.h>

/* Where a directory entry was found. */
struct dloc {
    uint32_t phys;                      /* the directory block on the device */
    uint64_t fb;                        /* its index in the directory */
    uint32_t offset;                    /* of the entry in the block */
    uint32_t ino;
};

static unsigned ft_of(const struct ext2_fs *fs, uint32_t mode)
{
    return fs->info.filetype ? ext2_ft_from_mode(mode) : EXT2_FT_UNKNOWN;
}

/* Directory block fb of dir (a hole is damage). [s] held. */
static int dir_block(struct ext2_fs *fs, struct inode *dir, uint64_t fb, uint32_t *phys)
{
    bool created;
    int err = ext2_map_locked(fs, dir, fb, false, phys, &created);

    if (!err && *phys == 0)
        err = ext2_damage(fs, "directory %llu: no block %llu", (unsigned long long)dir->ino,
                          (unsigned long long)fb);
    return err;
}

static uint64_t dir_nblocks(const struct ext2_fs *fs, const struct inode *dir)
{
    return dir->size >> fs->info.block_shift;
}

/* ---- the name index of large directories ----------------------------------------- */

#define DX_MIN_BLOCKS   8u
#define DX_EMPTY        0ull
#define DX_TOMB         1ull

/* Slots: hash << 32 | (block index + 2); 0 empty, 1 a removed entry. */
struct ext2_dx {
    uint32_t cap;                       /* power of two */
    uint32_t used;                      /* live + tombstones */
    uint32_t live;
    uint64_t *slot;
};

static uint32_t dx_hash(const char *name, uint32_t len)
{
    uint32_t h = 2166136261u;           /* FNV-1a */

    for (uint32_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h;
}

void ext2_dx_free(struct ext2_inode_mem *ei)
{
    if (ei->dx) {
        kfree(ei->dx->slot);
        kfree(ei->dx);
        ei->dx = NULL;
    }
}

static void dx_put_slot(struct ext2_dx *dx, uint64_t v)
{
    uint32_t i = (uint32_t)(v >> 32) & (dx->cap - 1);

    while (dx->slot[i] > DX_TOMB)
        i = (i + 1) & (dx->cap - 1);
    if (dx->slot[i] == DX_EMPTY)
        dx->used++;
    dx->slot[i] = v;
    dx->live++;
}

/* Makes room for one more entry (rehashing without tombstones). false: no memory. */
static bool dx_reserve(struct ext2_dx *dx)
{
    if ((uint64_t)(dx->used + 1) * 4 <= (uint64_t)dx->cap * 3)
        return true;
    uint32_t cap = 256;
    while ((uint64_t)cap * 3 < (uint64_t)(dx->live + 1) * 8)
        cap *= 2;
    uint64_t *slot = kzalloc(sizeof(*slot) * cap);
    if (!slot)
        return false;
    uint64_t *old = dx->slot;
    uint32_t oldcap = dx->cap;
    dx->slot = slot;
    dx->cap = cap;
    dx->used = dx->live = 0;
    for (uint32_t i = 0; i < oldcap; i++)
        if (old[i] > DX_TOMB)
            dx_put_slot(dx, old[i]);
    kfree(old);
    return true;
}

/* Records name in block fb; without memory the index is dropped. [s] held. */
static void dx_add(struct ext2_inode_mem *ei, const char *name, uint32_t len, uint64_t fb)
{
    if (!ei->dx)
        return;
    if (!dx_reserve(ei->dx)) {
        ext2_dx_free(ei);
        return;
    }
    dx_put_slot(ei->dx, (uint64_t)dx_hash(name, len) << 32 | (fb + 2));
}

static void dx_remove(struct ext2_inode_mem *ei, const char *name, uint32_t len, uint64_t fb)
{
    struct ext2_dx *dx = ei->dx;

    if (!dx)
        return;
    if (dx->cap == 0) {
        ext2_dx_free(ei);
        return;
    }
    uint64_t v = (uint64_t)dx_hash(name, len) << 32 | (fb + 2);
    for (uint32_t i = (uint32_t)(v >> 32) & (dx->cap - 1); dx->slot[i] != DX_EMPTY;
         i = (i + 1) & (dx->cap - 1)) {
        if (dx->slot[i] == v) {
            dx->slot[i] = DX_TOMB;
            dx->live--;
            return;
        }
    }
    ext2_dx_free(ei);                   /* not there: never trust it again */
}

/* Builds dir's index from all its blocks: 0, -ENOMEM (none built), -errno. [s] held. */
static int dx_build(struct ext2_fs *fs, struct inode *dir)
{
    struct ext2_inode_mem *ei = ext2_i(dir);
    uint64_t n = dir_nblocks(fs, dir);
    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    int err = 0;

    ei->dx = kzalloc(sizeof(*ei->dx));  /* cap 0: grown by the first dx_add */
    if (!ei->dx)
        return -ENOMEM;
    for (uint64_t fb = 0; fb < n && !err; fb++) {
        uint32_t phys;
        err = dir_block(fs, dir, fb, &phys);
        if (err)
            break;
        struct buf *b = ext2_bread(fs, phys, &err);
        if (!b)
            break;
        int r;
        ext2_dir_iter_init(&it, &fs->info, b->data);
        while ((r = ext2_dir_next(&it, &ent)) == 1) {
            dx_add(ei, ent.name, ent.name_len, fb);
            if (!ei->dx)
                break;
        }
        bcache_put(b);
        if (r < 0)
            err = ext2_damage(fs, "directory %llu block %u: damaged entry",
                              (unsigned long long)dir->ino, phys);
        else if (!ei->dx)
            return -ENOMEM;
    }
    if (err)
        ext2_dx_free(ei);
    return err;
}

/*
 * Looks for name in file block fb of dir: 1 with *loc filled, 0 absent,
 * -errno (-EUCLEAN with a log line for a damaged block). [s] held.
 */
static int find_in_block(struct ext2_fs *fs, struct inode *dir, uint64_t fb, const char *name,
                         uint32_t len, struct dloc *loc)
{
    struct ext2_dirent ent;
    uint32_t phys;
    int err = dir_block(fs, dir, fb, &phys);

    if (err)
        return err;
    struct buf *b = ext2_bread(fs, phys, &err);
    if (!b)
        return err;
    int r = ext2_dir_find(&fs->info, b->data, name, len, &ent);
    bcache_put(b);
    if (r < 0)
        return ext2_damage(fs, "directory %llu block %u: damaged entry",
                           (unsigned long long)dir->ino, phys);
    if (r == 1) {
        loc->phys = phys;
        loc->fb = fb;
        loc->offset = ent.offset;
        loc->ino = ent.inode;
    }
    return r;
}

/* Looks name up through the index: 1 with *loc, 0 absent, -errno. [s] held. */
static int dx_find(struct ext2_fs *fs, struct inode *dir, const char *name, uint32_t len,
                   struct dloc *loc)
{
    struct ext2_dx *dx = ext2_i(dir)->dx;
    uint32_t h = dx_hash(name, len);
    int err;

    if (dx->cap == 0)
        return 0;                       /* an index of no names */
    for (uint32_t i = h & (dx->cap - 1); dx->slot[i] != DX_EMPTY; i = (i + 1) & (dx->cap - 1)) {
        uint64_t v = dx->slot[i];
        if (v == DX_TOMB || (uint32_t)(v >> 32) != h)
            continue;
        err = find_in_block(fs, dir, (uint32_t)v - 2, name, len, loc);
        if (err)
            return err;
    }
    return 0;
}

/* Finds name in dir: 1 with *loc, 0 absent, -errno. [s] held. */
static int find_locked(struct ext2_fs *fs, struct inode *dir, const char *name, uint32_t len,
                       struct dloc *loc)
{
    uint64_t n = dir_nblocks(fs, dir);
    int err;

    if (!ext2_i(dir)->dx && n >= DX_MIN_BLOCKS) {
        err = dx_build(fs, dir);
        if (err && err != -ENOMEM)
            return err;
    }
    if (ext2_i(dir)->dx)
        return dx_find(fs, dir, name, len, loc);
    for (uint64_t fb = 0; fb < n; fb++) {
        err = find_in_block(fs, dir, fb, name, len, loc);
        if (err)
            return err;
    }
    return 0;
}

/*
 * A dentry's fsdata is a hint: 1 + the index of the directory block its
 * entry was found or put in, so unlink/rmdir/rename look there first
 * (checked, and a full scan when it misses: it may be stale).
 */
static void set_hint(struct dentry *d, uint64_t fb)
{
    d->fsdata = (void *)(uintptr_t)(fb + 1);
}

/* Adds (name, ino) to dir, growing it by a block when all are full; the
 * entry's block index in *where (if not NULL). [s] held. */
static int add_locked(struct ext2_fs *fs, struct inode *dir, const char *name, uint32_t len,
                      uint32_t ino, unsigned ft, uint64_t *where)
{
    struct ext2_inode_mem *ei = ext2_i(dir);
    uint64_t n = dir_nblocks(fs, dir);
    uint32_t phys, off;
    bool created;
    int err;

    for (uint64_t fb = ei->dir_hint; fb < n; fb++) {
        err = dir_block(fs, dir, fb, &phys);
        if (err)
            return err;
        struct buf *b = ext2_bread(fs, phys, &err);
        if (!b)
            return err;
        int r = ext2_dir_insert(&fs->info, b->data, name, len, ino, ft, &off);
        if (r == 0)
            bcache_dirty(b);
        bcache_put(b);
        if (r == 0) {
            ei->dir_hint = (uint32_t)fb;
            dx_add(ei, name, len, fb);
            if (where)
                *where = fb;
            return 0;
        }
        if (r == -EUCLEAN)
            return ext2_damage(fs, "directory %llu block %u: damaged entry",
                               (unsigned long long)dir->ino, phys);
        if (r != -ENOSPC)
            return r;
    }
    if (dir->size + fs->info.block_size > 0xffffffffull)
        return -ENOSPC;
    err = ext2_map_locked(fs, dir, n, true, &phys, &created);
    if (err)
        return err;
    struct buf *b = ext2_bzero(fs, phys, &err);
    if (!b)
        return err;
    ext2_dir_block_init(&fs->info, b->data);
    err = ext2_dir_insert(&fs->info, b->data, name, len, ino, ft, &off);
    bcache_dirty(b);
    bcache_put(b);
    dir->size += fs->info.block_size;
    ei->dir_hint = (uint32_t)n;
    if (!err)
        dx_add(ei, name, len, n);
    else
        ext2_dx_free(ei);
    if (where)
        *where = n;
    return err;
}

static int remove_locked(struct ext2_fs *fs, struct inode *dir, const struct dloc *loc,
                         const char *name, uint32_t len)
{
    struct ext2_inode_mem *ei = ext2_i(dir);
    int err;
    struct buf *b = ext2_bread(fs, loc->phys, &err);

    if (!b)
        return err;
    err = ext2_dir_remove(&fs->info, b->data, loc->offset);
    if (!err)
        bcache_dirty(b);
    bcache_put(b);
    if (err)
        return ext2_damage(fs, "directory %llu block %u: removing an entry: error %d",
                           (unsigned long long)dir->ino, loc->phys, err);
    if (loc->fb < ei->dir_hint)
        ei->dir_hint = (uint32_t)loc->fb;
    dx_remove(ei, name, len, loc->fb);
    return 0;
}

/* 1 when dir holds nothing but "." and "..", 0 when it does, -errno. [s] held. */
static int empty_locked(struct ext2_fs *fs, struct inode *dir)
{
    uint64_t n = dir_nblocks(fs, dir);
    int err;

    for (uint64_t fb = 0; fb < n; fb++) {
        uint32_t phys;
        err = dir_block(fs, dir, fb, &phys);
        if (err)
            return err;
        struct buf *b = ext2_bread(fs, phys, &err);
        if (!b)
            return err;
        int r = ext2_dir_block_has_names(&fs->info, b->data);
        bcache_put(b);
        if (r < 0)
            return ext2_damage(fs, "directory %llu block %u: damaged entry",
                               (unsigned long long)dir->ino, phys);
        if (r == 1)
            return 0;
    }
    return 1;
}

/* Points the entry at loc to another inode. [s] held. */
static int retarget_locked(struct ext2_fs *fs, struct inode *dir, const struct dloc *loc,
                           uint32_t ino, unsigned ft)
{
    int err;
    struct buf *b = ext2_bread(fs, loc->phys, &err);

    if (!b)
        return err;
    err = ext2_dir_set_inode(&fs->info, b->data, loc->offset, ino, ft);
    if (!err)
        bcache_dirty(b);
    bcache_put(b);
    if (err)
        return ext2_damage(fs, "directory %llu block %u: retargeting an entry: error %d",
                           (unsigned long long)dir->ino, loc->phys, err);
    return 0;
}

/* ---- inode operations ---------------------------------------------------------- */

static int ext2_lookup(struct inode *dir, struct dentry *d)
{
    struct ext2_fs *fs = ext2_fs_of(dir->sb);
    struct dloc loc;
    struct inode *inode;

    mutex_lock(&fs->lock);
    int r = find_locked(fs, dir, d->name, d->name_len, &loc);
    mutex_unlock(&fs->lock);
    if (r <= 0)
        return r;
    int err = inode_get(dir->sb, loc.ino, &inode);
    if (err)
        return err;
    if (S_ISDIR(inode->mode)) {
        /* a directory has one parent, which its ".." names: anything else is
         * a damaged tree (a directory linked twice, a loop) the walk must not enter */
        struct dloc dotdot;
        mutex_lock(&fs->lock);
        r = find_locked(fs, inode, "..", 2, &dotdot);
        if (r >= 0 && (r == 0 || dotdot.ino != dir->ino))
            r = ext2_damage(fs, "directory %llu found in %llu, but its \"..\" names %u",
                            (unsigned long long)inode->ino, (unsigned long long)dir->ino,
                            r ? dotdot.ino : 0);
        mutex_unlock(&fs->lock);
        if (r < 0) {
            inode_put(inode);
            return r;
        }
    }
    set_hint(d, loc.fb);
    d_instantiate(d, inode);
    return 0;
}

/* Creates the inode for a new name d in dir (any type) and links it in. */
static int make_node(struct inode *dir, struct dentry *d, uint32_t mode, kdev_t rdev,
                     const char *target, const struct cred *cr)
{
    struct ext2_fs *fs = ext2_fs_of(dir->sb);
    const struct ext2_info *info = &fs->info;
    uint32_t ino, phys, gid = cr->gid;
    uint64_t where = 0;
    bool created;
    int err;

    if (S_ISDIR(mode) && dir->nlink >= EXT2_LINK_MAX)
        return -EMLINK;
    size_t tlen = target ? strlen(target) : 0;
    if (S_ISLNK(mode) && (tlen == 0 || tlen >= info->block_size))
        return tlen ? -ENAMETOOLONG : -ENOENT;
    if (dir->mode & S_ISGID) {          /* BSD group semantics, as Linux */
        gid = dir->gid;
        if (S_ISDIR(mode))
            mode |= S_ISGID;
    }

    mutex_lock(&fs->lock);
    err = ext2_alloc_ino(fs, (uint32_t)dir->ino, S_ISDIR(mode), &ino);
    mutex_unlock(&fs->lock);
    if (err)
        return err;
    struct inode *inode = inode_new(dir->sb, ino, mode, cr->uid, gid);
    if (!inode) {
        mutex_lock(&fs->lock);
        ext2_free_ino(fs, ino, S_ISDIR(mode));
        mutex_unlock(&fs->lock);
        return -ENOMEM;
    }
    struct ext2_inode_mem *ei = ext2_i(inode);
    inode->size = 0;
    inode->blocks = 0;
    ext2_set_ops(inode);

    mutex_lock(&fs->lock);
    memset(&ei->di, 0, sizeof(ei->di));
    ei->fresh = true;
    ei->di.generation = fs->generation++;
    if (S_ISDIR(mode)) {
        err = ext2_map_locked(fs, inode, 0, true, &phys, &created);
        if (!err) {
            struct buf *b = ext2_bzero(fs, phys, &err);
            if (b) {
                ext2_dir_block_init_dots(info, b->data, ino, (uint32_t)dir->ino);
                bcache_dirty(b);
                bcache_put(b);
                inode->size = info->block_size;
            }
        }
    } else if (S_ISLNK(mode)) {
        if (tlen <= EXT2_FAST_SYMLINK_MAX) {
            ei->di.fast_symlink = true;
            memcpy(ei->di.block, target, tlen);
        } else {
            err = ext2_map_locked(fs, inode, 0, true, &phys, &created);
            if (!err) {
                struct buf *b = ext2_bzero(fs, phys, &err);
                if (b) {
                    memcpy(b->data, target, tlen);
                    bcache_dirty(b);
                    bcache_put(b);
                }
            }
        }
        inode->size = tlen;
    } else if (S_ISCHR(mode) || S_ISBLK(mode)) {
        ext2_set_rdev(ei, rdev);
        inode->rdev = rdev;
    }
    if (!err)
        err = ext2_write_inode_locked(fs, inode);
    if (!err)
        err = add_locked(fs, dir, d->name, d->name_len, ino, ft_of(fs, mode), &where);
    mutex_unlock(&fs->lock);

    if (err) {
        inode->nlink = 0;               /* eviction frees its blocks and number */
        inode_put(inode);
        return err;
    }
    if (S_ISDIR(mode))
        dir->nlink++;
    inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
    inode_mark_dirty(inode);
    set_hint(d, where);
    d_instantiate(d, inode);
    return 0;
}

static int ext2_create(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr)
{
    return make_node(dir, d, (mode & 07777) | S_IFREG, 0, NULL, cr);
}

static int ext2_mkdir(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr)
{
    return make_node(dir, d, (mode & 07777) | S_IFDIR, 0, NULL, cr);
}

static int ext2_mknod(struct inode *dir, struct dentry *d, uint32_t mode, kdev_t rdev,
                      const struct cred *cr)
{
    if (ext2_ft_from_mode(mode) == EXT2_FT_UNKNOWN)
        mode = (mode & 07777) | S_IFREG;        /* mknod(2): type 0 is a regular file */
    return make_node(dir, d, mode, rdev, NULL, cr);
}

static int ext2_symlink(struct inode *dir, struct dentry *d, const char *target,
                        const struct cred *cr)
{
    return make_node(dir, d, S_IFLNK | 0777, 0, target, cr);
}

static int ext2_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
    struct ext2_fs *fs = ext2_fs_of(dir->sb);
    struct inode *inode = old->inode;

    if (inode->nlink >= EXT2_LINK_MAX)
        return -EMLINK;
    uint64_t where = 0;
    mutex_lock(&fs->lock);
    int err = add_locked(fs, dir, d->name, d->name_len, (uint32_t)inode->ino,
                         ft_of(fs, inode->mode), &where);
    mutex_unlock(&fs->lock);
    if (err)
        return err;
    set_hint(d, where);
    inode->nlink++;
    inode_touch(inode, VFS_TIME_C);
    inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
    inode_ref(inode);
    d_instantiate(d, inode);
    return 0;
}

/* Finds d's entry in dir, checking it names d's inode. [s] held. */
static int find_dentry_locked(struct ext2_fs *fs, struct inode *dir, struct dentry *d,
                              struct dloc *loc)
{
    uintptr_t hint = (uintptr_t)d->fsdata;
    struct ext2_dirent ent;
    uint32_t phys;
    int err;

    if (hint && hint - 1 < dir_nblocks(fs, dir) && d->inode) {
        err = dir_block(fs, dir, hint - 1, &phys);
        if (err)
            return err;
        struct buf *b = ext2_bread(fs, phys, &err);
        if (!b)
            return err;
        int r = ext2_dir_find(&fs->info, b->data, d->name, d->name_len, &ent);
        bcache_put(b);
        if (r == 1 && ent.inode == d->inode->ino) {
            loc->phys = phys;
            loc->fb = hint - 1;
            loc->offset = ent.offset;
            loc->ino = ent.inode;
            return 0;
        }                               /* stale or damaged: the full scan decides */
    }
    int r = find_locked(fs, dir, d->name, d->name_len, loc);

    if (r < 0)
        return r;
    if (r == 0 || (d->inode && loc->ino != d->inode->ino))
        return -ENOENT;                 /* changed under the cache: never on a sound fs */
    return 0;
}

static int ext2_unlink(struct inode *dir, struct dentry *d)
{
    struct ext2_fs *fs = ext2_fs_of(dir->sb);
    struct inode *inode = d->inode;
    struct dloc loc;

    mutex_lock(&fs->lock);
    int err = find_dentry_locked(fs, dir, d, &loc);
    if (!err)
        err = remove_locked(fs, dir, &loc, d->name, d->name_len);
    mutex_unlock(&fs->lock);
    if (err)
        return err;
    if (inode->nlink > 0)
        inode->nlink--;
    inode_touch(inode, VFS_TIME_C);
    inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
    return 0;
}

static int ext2_rmdir(struct inode *dir, struct dentry *d)
{
    struct ext2_fs *fs = ext2_fs_of(dir->sb);
    struct inode *inode = d->inode;
    struct dloc loc;

    mutex_lock(&fs->lock);
    int err = empty_locked(fs, inode);
    if (err == 0)
        err = -ENOTEMPTY;
    else if (err == 1)
        err = find_dentry_locked(fs, dir, d, &loc);
    if (!err)
        err = remove_locked(fs, dir, &loc, d->name, d->name_len);
    mutex_unlock(&fs->lock);
    if (err)
        return err;
    inode->nlink = 0;                   /* its name and its "." */
    if (dir->nlink > 0)
        dir->nlink--;                   /* its ".." */
    inode_touch(inode, VFS_TIME_C);
    inode_touch(dir, VFS_TIME_M | VFS_TIME_C);
    return 0;
}

static int ext2_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                       struct dentry *nd)
{
    struct ext2_fs *fs = ext2_fs_of(odir->sb);
    struct inode *src = od->inode, *tgt = nd->inode;
    bool sdir = S_ISDIR(src->mode), moved = sdir && odir != ndir;
    struct dloc oloc, nloc, dotdot;
    uint64_t where = 0;
    int err = 0;

    if (tgt == src)
        return 0;                       /* two names of one inode: nothing to do (POSIX) */
    if (moved && !tgt && ndir->nlink >= EXT2_LINK_MAX)
        return -EMLINK;

    mutex_lock(&fs->lock);
    if (tgt && S_ISDIR(tgt->mode)) {
        err = empty_locked(fs, tgt);
        err = err == 1 ? 0 : err == 0 ? -ENOTEMPTY : err;
    }
    if (!err)
        err = find_dentry_locked(fs, odir, od, &oloc);
    if (!err && moved) {
        int r = find_locked(fs, src, "..", 2, &dotdot);
        err = r < 0 ? r : r == 0 ? ext2_damage(fs, "directory %llu has no \"..\"",
                                               (unsigned long long)src->ino) : 0;
    }
    if (!err) {
        if (tgt) {
            err = find_dentry_locked(fs, ndir, nd, &nloc);
            if (!err)
                err = retarget_locked(fs, ndir, &nloc, (uint32_t)src->ino,
                                      ft_of(fs, src->mode));
            where = nloc.fb;
        } else {
            err = add_locked(fs, ndir, nd->name, nd->name_len, (uint32_t)src->ino,
                             ft_of(fs, src->mode), &where);
        }
    }
    if (!err) {
        /* the old entry again: an insert into its block may have split entries */
        err = find_dentry_locked(fs, odir, od, &oloc);
        if (!err)
            err = remove_locked(fs, odir, &oloc, od->name, od->name_len);
    }
    if (!err && moved)
        err = retarget_locked(fs, src, &dotdot, (uint32_t)ndir->ino, ft_of(fs, S_IFDIR));
    mutex_unlock(&fs->lock);
    if (err)
        return err;
    /* the VFS moves od to the new name: its hint now names the new block */
    set_hint(od, where);
    nd->fsdata = NULL;

    if (tgt) {
        if (S_ISDIR(tgt->mode)) {
            tgt->nlink = 0;
            if (ndir->nlink > 0)
                ndir->nlink--;          /* the replaced directory's ".." */
        } else if (tgt->nlink > 0) {
            tgt->nlink--;
        }
        inode_touch(tgt, VFS_TIME_C);
    }
    if (moved) {
        if (odir->nlink > 0)
            odir->nlink--;
        ndir->nlink++;
    }
    inode_touch(src, VFS_TIME_C);
    inode_touch(odir, VFS_TIME_M | VFS_TIME_C);
    if (ndir != odir)
        inode_touch(ndir, VFS_TIME_M | VFS_TIME_C);
    return 0;
}

const struct inode_ops ext2_dir_iops = {
    .lookup = ext2_lookup,
    .create = ext2_create,
    .mkdir = ext2_mkdir,
    .mknod = ext2_mknod,
    .symlink = ext2_symlink,
    .link = ext2_link,
    .unlink = ext2_unlink,
    .rmdir = ext2_rmdir,
    .rename = ext2_rename,
    .setattr = ext2_setattr,
};

/* ---- getdents ------------------------------------------------------------------ */

static const unsigned char ft_to_dt[EXT2_FT_MAX + 1] = {
    [EXT2_FT_UNKNOWN] = DT_UNKNOWN, [EXT2_FT_REG_FILE] = DT_REG, [EXT2_FT_DIR] = DT_DIR,
    [EXT2_FT_CHRDEV] = DT_CHR,      [EXT2_FT_BLKDEV] = DT_BLK,   [EXT2_FT_FIFO] = DT_FIFO,
    [EXT2_FT_SOCK] = DT_SOCK,       [EXT2_FT_SYMLINK] = DT_LNK,
};

/*
 * The d_type of an entry: from file_type with FILETYPE; without it (revision
 * 0) from the inode itself, so readers always get a type (Linux leaves
 * DT_UNKNOWN there, which POSIX allows but few programs expect).
 */
static unsigned entry_dtype(struct ext2_fs *fs, struct inode *dir, const struct ext2_dirent *ent)
{
    struct inode *inode;

    if (fs->info.filetype)
        return ft_to_dt[ent->file_type];
    if (inode_get(dir->sb, ent->inode, &inode) != 0)
        return DT_UNKNOWN;
    unsigned dt = DT_FROM_MODE(inode->mode);
    inode_put(inode);
    return dt;
}

/*
 * ctx->pos is a byte offset in the directory: an entry's own offset, the
 * next entry's after it is emitted. A block is copied out under the lock
 * and its entries emitted without it.
 */
static int ext2_iterate(struct file *f, struct dir_ctx *ctx)
{
    struct inode *dir = f->inode;
    struct ext2_fs *fs = ext2_fs_of(dir->sb);
    uint32_t bs = fs->info.block_size;
    uint8_t *copy = kmalloc(bs);
    int err = 0;

    if (!copy)
        return -ENOMEM;
    while (ctx->pos < dir->size) {
        uint64_t fb = ctx->pos >> fs->info.block_shift;
        uint32_t in_block = (uint32_t)(ctx->pos & (bs - 1));
        uint32_t phys;

        mutex_lock(&fs->lock);
        err = dir_block(fs, dir, fb, &phys);
        if (!err) {
            struct buf *b = ext2_bread(fs, phys, &err);
            if (b) {
                memcpy(copy, b->data, bs);
                bcache_put(b);
            }
        }
        mutex_unlock(&fs->lock);
        if (err)
            break;

        struct ext2_dir_iter it;
        struct ext2_dirent ent;
        int r;
        ext2_dir_iter_init(&it, &fs->info, copy);
        while ((r = ext2_dir_next(&it, &ent)) == 1) {
            if (ent.offset < in_block)
                continue;
            if (!ctx->emit(ctx, ent.name, ent.name_len, ent.inode, entry_dtype(fs, dir, &ent)))
                goto out;
            ctx->pos = (fb << fs->info.block_shift) + ent.offset + ent.rec_len;
        }
        if (r < 0) {
            mutex_lock(&fs->lock);
            err = ext2_damage(fs, "directory %llu block %u: damaged entry",
                              (unsigned long long)dir->ino, phys);
            mutex_unlock(&fs->lock);
            break;
        }
        ctx->pos = (fb + 1) << fs->info.block_shift;
    }
out:
    kfree(copy);
    return err;
}

const struct file_ops ext2_dir_fops = {
    .iterate = ext2_iterate,
};
