/*
 * src/fs/ext2_inode.c - the ext2 driver's inodes: reading and writing the
 * inode table, eviction of deleted inodes (their blocks and bitmap bit),
 * the block map with allocation for the page cache (get_block) and
 * truncation through the indirect blocks, setattr and readlink.
 *
 * Part of fs. Locking and the damage policy: include/fs/ext2.h. Every
 * indirect block is checked (ext2_ind_check or a per-pointer range and
 * ancestor check) before anything it names is followed or freed, so a
 * damaged chain can neither leave the device nor loop.
 */
#include <fs/ext2.h>
#include <fs/bcache.h>
#include <fs/pagecache.h>
#include <dev/blk.h>
#include <mm/kmalloc.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/string.h>

/* ---- the in-core inode ---------------------------------------------------------- */

struct inode *ext2_alloc_inode(struct super_block *sb)
{
    struct ext2_inode_mem *ei = kzalloc(sizeof(*ei));

    (void)sb;
    return ei ? &ei->vfs : NULL;
}

void ext2_free_inode_mem(struct inode *inode)
{
    ext2_dx_free(ext2_i(inode));
    kfree(ext2_i(inode));
}

static const struct inode_ops ext2_special_iops = {
    .setattr = ext2_setattr,
};

void ext2_set_ops(struct inode *inode)
{
    switch (inode->mode & S_IFMT) {
    case S_IFREG:
        inode->iops = &ext2_file_iops;
        inode->fops = &pagecache_file_ops;
        inode->aops = &ext2_aops;
        break;
    case S_IFDIR:
        inode->iops = &ext2_dir_iops;
        inode->fops = &ext2_dir_fops;
        break;
    case S_IFLNK:
        inode->iops = &ext2_symlink_iops;
        break;
    default:
        inode->iops = &ext2_special_iops;
        break;
    }
}

/* Device numbers in i_block: Linux's old 8:8 form in block[0], else the new form in block[1]. */
void ext2_set_rdev(struct ext2_inode_mem *ei, kdev_t rdev)
{
    uint32_t major = KDEV_MAJOR(rdev), minor = KDEV_MINOR(rdev);

    memset(ei->di.block, 0, sizeof(ei->di.block));
    if (major < 256 && minor < 256)
        ei->di.block[0] = (major << 8) | minor;
    else
        ei->di.block[1] = (minor & 0xffu) | (major << 8) | ((minor & ~0xffu) << 12);
}

static kdev_t get_rdev(const struct ext2_inode *di)
{
    if (di->block[0])
        return KDEV((di->block[0] >> 8) & 0xffu, di->block[0] & 0xffu);
    uint32_t n = di->block[1];
    return KDEV((n & 0xfff00u) >> 8, (n & 0xffu) | ((n >> 12) & 0xfff00u));
}

/* Does inode own data blocks through i_block (not a device, FIFO, socket or fast symlink)? */
static bool has_blocks(const struct inode *inode)
{
    const struct ext2_inode_mem *ei = container_of(inode, struct ext2_inode_mem, vfs);

    return S_ISREG(inode->mode) || S_ISDIR(inode->mode) ||
           (S_ISLNK(inode->mode) && !ei->di.fast_symlink);
}

/* The buffer holding inode ino's slot, and the slot's offset. [s] held. */
static struct buf *inode_slot(struct ext2_fs *fs, uint32_t ino, uint32_t *offset, int *err)
{
    uint32_t g, block;

    if (ext2_inode_group(&fs->info, ino, &g) != 0) {
        *err = ext2_damage(fs, "inode %u out of range", ino);
        return NULL;
    }
    if (ext2_inode_pos(&fs->info, ino, &fs->groups[g], &block, offset) != 0) {
        *err = -EINVAL;
        return NULL;
    }
    return ext2_bread(fs, block, err);
}

int ext2_read_inode(struct inode *inode)
{
    struct ext2_fs *fs = ext2_fs_of(inode->sb);
    struct ext2_inode_mem *ei = ext2_i(inode);
    uint32_t ino = (uint32_t)inode->ino, offset;
    int err = 0;

    mutex_lock(&fs->lock);
    if (inode->ino != ino || ino == 0 || ino > fs->info.inodes_count ||
        (ino < fs->info.first_ino && ino != EXT2_ROOT_INO)) {
        err = ext2_damage(fs, "reference to inode %llu, not a usable inode",
                          (unsigned long long)inode->ino);
        goto out;
    }
    struct buf *b = inode_slot(fs, ino, &offset, &err);
    if (!b)
        goto out;
    err = ext2_inode_parse(&fs->info, ino, b->data + offset, &ei->di);
    bcache_put(b);
    if (err) {
        err = ext2_damage(fs, "inode %u damaged", ino);
        goto out;
    }
    if (ei->di.links == 0) {
        err = ext2_damage(fs, "inode %u is in use but has no links (deleted?)", ino);
        goto out;
    }
    inode->mode = ei->di.mode;
    inode->uid = ei->di.uid;
    inode->gid = ei->di.gid;
    inode->nlink = ei->di.links;
    inode->size = ei->di.size;
    inode->blocks = ei->di.blocks;
    inode->atime = (struct linux_timespec){ .tv_sec = ei->di.atime };
    inode->mtime = (struct linux_timespec){ .tv_sec = ei->di.mtime };
    inode->ctime = (struct linux_timespec){ .tv_sec = ei->di.ctime };
    if (S_ISCHR(inode->mode) || S_ISBLK(inode->mode))
        inode->rdev = get_rdev(&ei->di);
    ext2_set_ops(inode);
out:
    mutex_unlock(&fs->lock);
    return err;
}

int ext2_write_inode_locked(struct ext2_fs *fs, struct inode *inode)
{
    struct ext2_inode_mem *ei = ext2_i(inode);
    struct ext2_inode *di = &ei->di;
    uint32_t offset;
    int err;

    mutex_assert_held(&fs->lock);
    di->ino = (uint32_t)inode->ino;
    di->mode = (uint16_t)inode->mode;
    di->uid = inode->uid;
    di->gid = inode->gid;
    di->links = (uint16_t)MIN(inode->nlink, 0xffffu);
    di->size = inode->size;
    di->atime = (uint32_t)inode->atime.tv_sec;
    di->mtime = (uint32_t)inode->mtime.tv_sec;
    di->ctime = (uint32_t)inode->ctime.tv_sec;
    di->blocks = (uint32_t)inode->blocks;
    if (S_ISREG(inode->mode) && inode->size >= (1ull << 31) && !fs->info.large_file) {
        if (fs->info.rev_level == EXT2_GOOD_OLD_REV)
            return -EFBIG;
        fs->info.large_file = true;     /* the first file past 2 GiB sets the feature */
        fs->dyn.feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
        ext2_sb_dirty(fs);
    }
    struct buf *b = inode_slot(fs, di->ino, &offset, &err);
    if (!b)
        return err;
    if (ei->fresh) {
        memset(b->data + offset, 0, fs->info.inode_size);
        ei->fresh = false;
    }
    err = ext2_inode_encode(&fs->info, di, b->data + offset);
    if (!err)
        bcache_dirty(b);
    bcache_put(b);
    return err;
}

int ext2_write_inode(struct inode *inode)
{
    struct ext2_fs *fs = ext2_fs_of(inode->sb);

    if (inode->sb->flags & SB_RDONLY)
        return 0;
    mutex_lock(&fs->lock);
    int err = ext2_write_inode_locked(fs, inode);
    mutex_unlock(&fs->lock);
    return err;
}

void ext2_evict_inode(struct inode *inode)
{
    struct ext2_fs *fs = ext2_fs_of(inode->sb);
    struct ext2_inode_mem *ei = ext2_i(inode);

    if ((inode->sb->flags & SB_RDONLY) || inode->nlink > 0)
        return;
    mutex_lock(&fs->lock);
    int err = 0;
    if (has_blocks(inode))
        err = ext2_truncate_locked(fs, inode, 0);
    inode->size = 0;
    ei->di.dtime = (uint32_t)vfs_now().tv_sec;
    if (!err)
        err = ext2_write_inode_locked(fs, inode);
    if (!err)
        err = ext2_free_ino(fs, (uint32_t)inode->ino, S_ISDIR(inode->mode));
    if (err)
        pr_err("ext2 %s: freeing inode %llu: error %d\n", fs->bdev->name,
               (unsigned long long)inode->ino, err);
    mutex_unlock(&fs->lock);
}

/* ---- the block map ------------------------------------------------------------- */

/* Where a new block of inode is wanted: after its last one, else its group's start. */
static uint32_t goal_of(struct ext2_fs *fs, struct ext2_inode_mem *ei)
{
    uint32_t g;

    if (ei->alloc_goal)
        return ei->alloc_goal;
    if (ext2_inode_group(&fs->info, (uint32_t)ei->vfs.ino, &g) != 0)
        return 0;
    return fs->groups[g].first_block;
}

/* Allocates a block for inode (an indirect one zeroed in the cache). [s] held. */
static int new_block(struct ext2_fs *fs, struct inode *inode, bool indirect, uint32_t *out)
{
    struct ext2_inode_mem *ei = ext2_i(inode);
    int err = ext2_alloc_block(fs, goal_of(fs, ei), out);

    if (err)
        return err;
    ei->alloc_goal = *out + 1;
    inode->blocks += fs->info.block_size >> 9;
    if (indirect) {
        struct buf *b = ext2_bzero(fs, *out, &err);
        if (!b)
            return err;                 /* left allocated and attached: e2fsck-clean */
        bcache_dirty(b);
        bcache_put(b);
    }
    return 0;
}

int ext2_map_locked(struct ext2_fs *fs, struct inode *inode, uint64_t fb, bool create,
                    uint32_t *phys, bool *created)
{
    const struct ext2_info *info = &fs->info;
    struct ext2_inode_mem *ei = ext2_i(inode);
    uint32_t idx[4], path[4];
    unsigned depth;
    int err;

    mutex_assert_held(&fs->lock);
    *phys = 0;
    *created = false;
    if (!has_blocks(inode))
        return -EINVAL;
    err = ext2_block_route(info, fb, &depth, idx);
    if (err)
        return err;

    uint32_t cur = ei->di.block[idx[0]];
    if (cur == 0) {
        if (!create)
            return 0;
        err = new_block(fs, inode, depth > 0, &cur);
        if (err)
            return err;
        ei->di.block[idx[0]] = cur;
        *created = true;
    } else if (cur < info->first_data_block || cur >= info->blocks_count) {
        return ext2_damage(fs, "inode %llu: block pointer %u out of range",
                           (unsigned long long)inode->ino, cur);
    }
    for (unsigned level = 1; level <= depth; level++) {
        path[level - 1] = cur;
        struct buf *b = ext2_bread(fs, cur, &err);
        if (!b)
            return err;
        uint8_t *slot = b->data + 4 * idx[level];
        uint32_t next = ext2_le32(slot);
        if (next == 0) {
            if (!create) {
                bcache_put(b);
                return 0;
            }
            err = new_block(fs, inode, level < depth, &next);
            if (err) {
                bcache_put(b);
                return err;
            }
            ext2_put32(slot, next);
            bcache_dirty(b);
            *created = true;
        } else {
            bool bad = next < info->first_data_block || next >= info->blocks_count;
            for (unsigned i = 0; i < level && !bad; i++)
                bad = path[i] == next;
            if (bad) {
                bcache_put(b);
                return ext2_damage(fs, "inode %llu: indirect block %u holds a bad pointer %u",
                                   (unsigned long long)inode->ino, cur, next);
            }
        }
        bcache_put(b);
        cur = next;
    }
    *phys = cur;
    return 0;
}

static int ext2_get_block(struct inode *inode, uint64_t iblock, bool create, uint64_t *pblock)
{
    struct ext2_fs *fs = ext2_fs_of(inode->sb);
    uint32_t phys;
    bool created;

    if (create && (inode->sb->flags & SB_RDONLY))
        return -EROFS;
    mutex_lock(&fs->lock);
    int err = ext2_map_locked(fs, inode, iblock, create, &phys, &created);
    mutex_unlock(&fs->lock);
    if (created)
        inode_mark_dirty(inode);
    *pblock = phys;
    return err;
}

const struct pc_aops ext2_aops = {
    .get_block = ext2_get_block,
};

/* ---- truncation ------------------------------------------------------------------ */

/*
 * Frees what indirect block blk (depth levels above the data, mapping file
 * blocks from first on) maps at or past file block from, and blk itself
 * when nothing it maps is left. anc: the n indirect blocks above it.
 * *all is set when blk was freed. [s] held.
 */
static int free_tree(struct ext2_fs *fs, struct inode *inode, uint32_t blk, unsigned depth,
                     uint64_t first, uint64_t from, uint32_t *anc, unsigned n, bool meta,
                     bool *all)
{
    const struct ext2_info *info = &fs->info;
    uint32_t sectors = info->block_size >> 9;
    int err = 0;

    *all = false;
    struct buf *b = ext2_bread(fs, blk, &err);
    if (!b)
        return err;
    if (ext2_ind_check(info, b->data, blk, anc, n) != 0) {
        bcache_put(b);
        return ext2_damage(fs, "inode %llu: indirect block %u damaged (range or loop)",
                           (unsigned long long)inode->ino, blk);
    }
    uint64_t span = 1;
    for (unsigned i = 1; i < depth; i++)
        span <<= info->addr_shift;
    anc[n] = blk;
    bool left = false;
    for (uint32_t i = 0; i < info->addr_per_block; i++) {
        uint8_t *slot = b->data + 4 * i;
        uint32_t c = ext2_le32(slot);
        uint64_t cfirst = first + i * span;
        if (c == 0)
            continue;
        if (cfirst + span <= from) {
            left = true;
            continue;
        }
        bool freed = true;
        if (depth == 1) {
            err = ext2_free_block(fs, c, meta);
            if (!err && inode->blocks >= sectors)
                inode->blocks -= sectors;
        } else {
            err = free_tree(fs, inode, c, depth - 1, cfirst, from, anc, n + 1, meta, &freed);
        }
        if (err)
            break;
        if (freed) {
            ext2_put32(slot, 0);
            bcache_dirty(b);
        } else {
            left = true;
        }
    }
    bcache_put(b);
    if (err || left)
        return err;
    err = ext2_free_block(fs, blk, true);
    if (err)
        return err;
    if (inode->blocks >= sectors)
        inode->blocks -= sectors;
    *all = true;
    return 0;
}

int ext2_truncate_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from)
{
    const struct ext2_info *info = &fs->info;
    struct ext2_inode_mem *ei = ext2_i(inode);
    uint32_t sectors = info->block_size >> 9;
    bool meta = !S_ISREG(inode->mode);
    int err;

    mutex_assert_held(&fs->lock);
    if (!has_blocks(inode))
        return 0;
    for (unsigned slot = 0; slot < EXT2_N_BLOCKS; slot++) {
        uint64_t span;
        uint64_t first = ext2_slot_first_block(info, slot, &span);
        uint32_t blk = ei->di.block[slot];
        if (blk == 0 || first + span <= from)
            continue;
        if (blk < info->first_data_block || blk >= info->blocks_count)
            return ext2_damage(fs, "inode %llu: block pointer %u out of range",
                               (unsigned long long)inode->ino, blk);
        if (slot < EXT2_NDIR_BLOCKS) {
            err = ext2_free_block(fs, blk, meta);
            if (err)
                return err;
            if (inode->blocks >= sectors)
                inode->blocks -= sectors;
            ei->di.block[slot] = 0;
            continue;
        }
        uint32_t anc[4];
        bool all;
        err = free_tree(fs, inode, blk, slot - EXT2_NDIR_BLOCKS + 1, first, from, anc, 0, meta,
                        &all);
        if (err)
            return err;
        if (all)
            ei->di.block[slot] = 0;
    }
    ei->alloc_goal = 0;
    return 0;
}

/* ---- setattr and readlink -------------------------------------------------------- */

int ext2_setattr(struct inode *inode, const struct iattr *attr)
{
    struct ext2_fs *fs = ext2_fs_of(inode->sb);
    struct iattr rest = *attr;
    int err = 0;

    if ((attr->valid & ATTR_SIZE) && attr->size != inode->size) {
        if (!S_ISREG(inode->mode))
            return -EINVAL;
        if (attr->size > inode->sb->max_bytes)
            return -EFBIG;
        err = pagecache_truncate(inode, attr->size);
        if (err)
            return err;
        if (attr->size < inode->size) {
            uint64_t bs = fs->info.block_size;
            mutex_lock(&fs->lock);
            err = ext2_truncate_locked(fs, inode, (attr->size + bs - 1) / bs);
            mutex_unlock(&fs->lock);
        }
        inode->size = attr->size;
        inode_touch(inode, VFS_TIME_M | VFS_TIME_C);
        if (err)
            return err;
    }
    rest.valid &= ~(unsigned)ATTR_SIZE;
    if (rest.valid)
        vfs_setattr_simple(inode, &rest);
    return 0;
}

ssize_t ext2_readlink(struct inode *inode, char *buf, size_t len)
{
    struct ext2_fs *fs = ext2_fs_of(inode->sb);
    struct ext2_inode_mem *ei = ext2_i(inode);
    size_t n = (size_t)MIN((uint64_t)len, inode->size);
    uint32_t phys;
    bool created;
    int err;

    if (ei->di.fast_symlink) {
        memcpy(buf, ext2_inode_symlink(&ei->di), n);
        return (ssize_t)n;
    }
    mutex_lock(&fs->lock);
    err = ext2_map_locked(fs, inode, 0, false, &phys, &created);
    if (!err && phys == 0)
        err = ext2_damage(fs, "symlink %llu has no block", (unsigned long long)inode->ino);
    if (!err) {
        struct buf *b = ext2_bread(fs, phys, &err);
        if (b) {
            memcpy(buf, b->data, n);
            bcache_put(b);
        }
    }
    mutex_unlock(&fs->lock);
    return err ? err : (ssize_t)n;
}

const struct inode_ops ext2_file_iops = {
    .setattr = ext2_setattr,
};

const struct inode_ops ext2_symlink_iops = {
    .readlink = ext2_readlink,
    .setattr = ext2_setattr,
};
