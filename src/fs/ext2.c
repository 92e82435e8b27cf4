/*
 * src/fs/ext2.c - the ext2 driver's file-system half: mounting (superblock
 * and feature checks, group descriptors), block and inode allocation with
 * their bitmaps and free counts, the superblock's state/mount count/times,
 * sync, statfs and unmount. Registers fs type "ext2".
 *
 * Part of fs. Inodes and the block map are in ext2_inode.c, directories in
 * ext2_dir.c; the on-disk format is the pure ext2_disk.c. Locking and the
 * damage policy: include/fs/ext2.h.
 */
#include <fs/ext2.h>
#include <fs/bcache.h>
#include <fs/pagecache.h>
#include <dev/blk.h>
#include <mm/kmalloc.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/printk.h>
#include <core/string.h>

#include <stdarg.h>

/* ---- errors and buffers ------------------------------------------------------ */

int ext2_damage(struct ext2_fs *fs, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pr_err("ext2 %s: %s: structure needs cleaning\n", fs->bdev->name, msg);
    fs->errors = true;
    return -EUCLEAN;
}

struct buf *ext2_bread(struct ext2_fs *fs, uint32_t block, int *err)
{
    mutex_assert_held(&fs->lock);
    if (block < fs->info.first_data_block || block >= fs->info.blocks_count) {
        *err = ext2_damage(fs, "block %u out of range", block);
        return NULL;
    }
    struct buf *b = bcache_read(fs->bdev, block, fs->info.block_size, err);
    if (!b)
        pr_err("ext2 %s: reading block %u: error %d\n", fs->bdev->name, block, *err);
    return b;
}

struct buf *ext2_bzero(struct ext2_fs *fs, uint32_t block, int *err)
{
    mutex_assert_held(&fs->lock);
    if (block < fs->info.first_data_block || block >= fs->info.blocks_count) {
        *err = ext2_damage(fs, "block %u out of range", block);
        return NULL;
    }
    struct buf *b = bcache_get_zero(fs->bdev, block, fs->info.block_size, err);
    if (b)
        memset(b->data, 0, fs->info.block_size);
    return b;
}

/* ---- group descriptors and the superblock ------------------------------------- */

/* Writes group g's descriptor into the table's buffer. [s] held. */
static void gd_dirty(struct ext2_fs *fs, uint32_t g)
{
    struct buf *b = fs->gd_bufs[g / fs->info.desc_per_block];

    ext2_group_encode(&fs->groups[g], b->data + (g % fs->info.desc_per_block) *
                                      EXT2_GROUP_DESC_SIZE);
    bcache_dirty(b);
}

void ext2_sb_dirty(struct ext2_fs *fs)
{
    mutex_assert_held(&fs->lock);
    ext2_sb_dyn_encode(&fs->info, &fs->dyn, fs->sb_buf->data + fs->sb_off);
    bcache_dirty(fs->sb_buf);
}

static uint32_t now_sec(void)
{
    return (uint32_t)vfs_now().tv_sec;
}

/* Is block one of group g's own metadata (superblock copy, tables, bitmaps)? */
static bool is_metadata(const struct ext2_fs *fs, uint32_t g, uint32_t block)
{
    const struct ext2_group *gd = &fs->groups[g];
    uint32_t head = 0;

    if (ext2_group_has_super(&fs->info, g))
        head = 1 + fs->info.desc_blocks + fs->info.reserved_gdt_blocks;
    return (block >= gd->first_block && block - gd->first_block < head) ||
           block == gd->block_bitmap || block == gd->inode_bitmap ||
           (block >= gd->inode_table && block - gd->inode_table < fs->info.inode_table_blocks);
}

/* ---- block allocation ---------------------------------------------------------- */

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out)
{
    const struct ext2_info *info = &fs->info;
    int err;

    mutex_assert_held(&fs->lock);
    if (fs->dyn.free_blocks == 0)
        return -ENOSPC;
    if (goal < info->first_data_block || goal >= info->blocks_count)
        goal = info->first_data_block;
    uint32_t g0 = (goal - info->first_data_block) / info->blocks_per_group;
    bool damaged = false;

    for (uint32_t i = 0; i < info->group_count; i++) {
        uint32_t g = (g0 + i) % info->group_count;
        struct ext2_group *gd = &fs->groups[g];
        uint32_t bit;

        if (gd->free_blocks == 0)
            continue;
        if (fs->group_bad[g]) {
            damaged = true;
            continue;
        }
        struct buf *b = ext2_bread(fs, gd->block_bitmap, &err);
        if (!b)
            return err;
        uint32_t start = i == 0 ? goal - gd->first_block : 0;
        if (ext2_bitmap_find(b->data, ext2_group_nblocks(info, g), start, &bit) != 0) {
            bcache_put(b);
            ext2_damage(fs, "group %u: %u free blocks counted, none in its bitmap",
                        g, gd->free_blocks);
            fs->group_bad[g] = true;    /* logged once; the other groups still serve */
            damaged = true;
            continue;
        }
        uint32_t block = gd->first_block + bit;
        if (is_metadata(fs, g, block)) {
            bcache_put(b);
            return ext2_damage(fs, "group %u: block bitmap marks metadata block %u free",
                               g, block);
        }
        ext2_bit_set(b->data, bit);
        bcache_dirty(b);
        bcache_put(b);
        gd->free_blocks--;
        gd_dirty(fs, g);
        fs->dyn.free_blocks--;
        *out = block;
        return 0;
    }
    return damaged ? -EUCLEAN : -ENOSPC;
}

int ext2_free_block(struct ext2_fs *fs, uint32_t block, bool meta)
{
    const struct ext2_info *info = &fs->info;
    int err;

    mutex_assert_held(&fs->lock);
    if (block < info->first_data_block || block >= info->blocks_count)
        return ext2_damage(fs, "freeing block %u: out of range", block);
    uint32_t g = (block - info->first_data_block) / info->blocks_per_group;
    struct ext2_group *gd = &fs->groups[g];
    if (is_metadata(fs, g, block))
        return ext2_damage(fs, "freeing block %u: group %u metadata", block, g);

    if (meta) {
        /* A cached copy must not be written over the block's next owner later. */
        struct buf *mb = bcache_get_zero(fs->bdev, block, info->block_size, &err);
        if (mb) {
            bcache_write_now(mb);
            bcache_put(mb);
        }
    }
    struct buf *b = ext2_bread(fs, gd->block_bitmap, &err);
    if (!b)
        return err;
    uint32_t bit = block - gd->first_block;
    if (!ext2_bit_test(b->data, bit)) {
        bcache_put(b);
        return ext2_damage(fs, "freeing block %u: already free in its bitmap", block);
    }
    ext2_bit_clear(b->data, bit);
    bcache_dirty(b);
    bcache_put(b);
    gd->free_blocks++;
    gd_dirty(fs, g);
    fs->dyn.free_blocks++;
    return 0;
}

/* ---- inode allocation ---------------------------------------------------------- */

/* The group for a new inode: a file's parent group first; a directory in a
 * group with at least the average number of free inodes, for spread. */
static bool group_ok(const struct ext2_fs *fs, uint32_t g, bool dir)
{
    const struct ext2_group *gd = &fs->groups[g];

    if (gd->free_inodes == 0)
        return false;
    if (!dir)
        return true;
    uint64_t avg = fs->dyn.free_inodes / fs->info.group_count;
    return gd->free_inodes >= avg && gd->free_blocks > 0;
}

int ext2_alloc_ino(struct ext2_fs *fs, uint32_t parent_ino, bool dir, uint32_t *out)
{
    const struct ext2_info *info = &fs->info;
    uint32_t pg = 0;
    int err;

    mutex_assert_held(&fs->lock);
    if (fs->dyn.free_inodes == 0)
        return -ENOSPC;
    if (ext2_inode_group(info, parent_ino, &pg) != 0)
        pg = 0;
    if (dir)
        pg = (pg + 1) % info->group_count;      /* next to the parent, not on it */
    bool damaged = false;

    for (unsigned pass = 0; pass < 2; pass++) {
        for (uint32_t i = 0; i < info->group_count; i++) {
            uint32_t g = (pg + i) % info->group_count;
            struct ext2_group *gd = &fs->groups[g];
            uint32_t bit;

            if (pass == 0 ? !group_ok(fs, g, dir) : gd->free_inodes == 0)
                continue;
            if (fs->group_bad[g]) {
                damaged = true;
                continue;
            }
            struct buf *b = ext2_bread(fs, gd->inode_bitmap, &err);
            if (!b)
                return err;
            if (ext2_bitmap_find(b->data, info->inodes_per_group, 0, &bit) != 0) {
                bcache_put(b);
                ext2_damage(fs, "group %u: %u free inodes counted, none in its bitmap",
                            g, gd->free_inodes);
                fs->group_bad[g] = true;
                damaged = true;
                continue;
            }
            uint32_t ino = g * info->inodes_per_group + bit + 1;
            if (ino < info->first_ino) {
                bcache_put(b);
                return ext2_damage(fs, "inode bitmap marks reserved inode %u free", ino);
            }
            ext2_bit_set(b->data, bit);
            bcache_dirty(b);
            bcache_put(b);
            gd->free_inodes--;
            if (dir)
                gd->used_dirs++;
            gd_dirty(fs, g);
            fs->dyn.free_inodes--;
            *out = ino;
            return 0;
        }
    }
    return damaged ? -EUCLEAN : -ENOSPC;
}

int ext2_free_ino(struct ext2_fs *fs, uint32_t ino, bool dir)
{
    const struct ext2_info *info = &fs->info;
    uint32_t g;
    int err;

    mutex_assert_held(&fs->lock);
    if (ext2_inode_group(info, ino, &g) != 0 || ino < info->first_ino)
        return ext2_damage(fs, "freeing inode %u: not a usable inode", ino);
    struct ext2_group *gd = &fs->groups[g];
    struct buf *b = ext2_bread(fs, gd->inode_bitmap, &err);
    if (!b)
        return err;
    uint32_t bit = (ino - 1) % info->inodes_per_group;
    if (!ext2_bit_test(b->data, bit)) {
        bcache_put(b);
        return ext2_damage(fs, "freeing inode %u: already free in its bitmap", ino);
    }
    ext2_bit_clear(b->data, bit);
    bcache_dirty(b);
    bcache_put(b);
    gd->free_inodes++;
    if (dir && gd->used_dirs > 0)
        gd->used_dirs--;
    gd_dirty(fs, g);
    fs->dyn.free_inodes++;
    return 0;
}

/* ---- super operations ---------------------------------------------------------- */

static int ext2_sync_fs(struct super_block *sb)
{
    struct ext2_fs *fs = ext2_fs_of(sb);

    if (sb->flags & SB_RDONLY)
        return 0;
    mutex_lock(&fs->lock);
    fs->dyn.wtime = now_sec();
    ext2_sb_dirty(fs);
    mutex_unlock(&fs->lock);
    return bcache_sync(fs->bdev);
}

static int ext2_statfs(struct super_block *sb, struct linux_statfs *st)
{
    struct ext2_fs *fs = ext2_fs_of(sb);

    memset(st, 0, sizeof(*st));
    mutex_lock(&fs->lock);
    st->f_type = EXT2_SUPER_MAGIC;
    st->f_bsize = fs->info.block_size;
    st->f_frsize = fs->info.block_size;
    st->f_blocks = fs->info.blocks_count - fs->info.first_data_block;
    st->f_bfree = fs->dyn.free_blocks;
    st->f_bavail = fs->dyn.free_blocks > fs->r_blocks ? fs->dyn.free_blocks - fs->r_blocks : 0;
    st->f_files = fs->info.inodes_count;
    st->f_ffree = fs->dyn.free_inodes;
    st->f_namelen = EXT2_NAME_LEN;
    st->f_fsid[0] = (int32_t)sb->dev;
    mutex_unlock(&fs->lock);
    return 0;
}

/* Marks the superblock in use (not clean, counted, times) and writes it now. [s] held. */
static int mark_mounted_rw(struct ext2_fs *fs)
{
    const char *name = fs->bdev->name;

    mutex_assert_held(&fs->lock);
    if (!(fs->dyn.state & EXT2_VALID_FS))
        pr_warn("ext2 %s: mounting a file system not cleanly unmounted; run e2fsck\n", name);
    else if (fs->dyn.state & EXT2_ERROR_FS)
        pr_warn("ext2 %s: mounting a file system with errors; run e2fsck\n", name);
    if (fs->dyn.max_mnt_count != 0 && fs->dyn.max_mnt_count != 0xffff &&
        fs->dyn.mnt_count >= fs->dyn.max_mnt_count)
        pr_warn("ext2 %s: maximal mount count reached; run e2fsck\n", name);
    fs->mount_state = fs->dyn.state;
    fs->dyn.state &= (uint16_t)~EXT2_VALID_FS;
    fs->dyn.mnt_count++;
    fs->dyn.mtime = now_sec();
    fs->dyn.wtime = fs->dyn.mtime;
    ext2_sb_dirty(fs);
    int err = bcache_write_now(fs->sb_buf);
    if (err)
        pr_err("ext2 %s: writing the superblock: error %d\n", name, err);
    return err;
}

/* Back to the state found at mount (plus errors seen), written with everything else. */
static int mark_clean(struct ext2_fs *fs)
{
    mutex_lock(&fs->lock);
    fs->dyn.state = fs->mount_state;
    if (fs->errors)
        fs->dyn.state |= EXT2_ERROR_FS;
    fs->dyn.wtime = now_sec();
    ext2_sb_dirty(fs);
    mutex_unlock(&fs->lock);
    int err = bcache_sync(fs->bdev);
    if (err)
        pr_err("ext2 %s: writing the superblock: error %d\n", fs->bdev->name, err);
    return err;
}

static int ext2_remount(struct super_block *sb, unsigned flags)
{
    struct ext2_fs *fs = ext2_fs_of(sb);

    if (flags & SB_RDONLY)
        return mark_clean(fs);
    if (fs->info.read_only) {
        pr_warn("ext2 %s: unsupported RO_COMPAT features (mask %#x): stays read-only\n",
                fs->bdev->name, fs->info.ro_compat_unsupported);
        return -EROFS;
    }
    mutex_lock(&fs->lock);
    int err = mark_mounted_rw(fs);
    mutex_unlock(&fs->lock);
    return err;
}

/* Drops what fill_super took (the buffers, the arrays, fs itself). */
static void fs_release(struct ext2_fs *fs)
{
    if (fs->gd_bufs) {
        for (uint32_t i = 0; i < fs->info.desc_blocks; i++)
            if (fs->gd_bufs[i])
                bcache_put(fs->gd_bufs[i]);
        kfree(fs->gd_bufs);
    }
    if (fs->sb_buf)
        bcache_put(fs->sb_buf);
    kfree(fs->groups);
    kfree(fs->group_bad);
    kfree(fs);
}

static void ext2_put_super(struct super_block *sb)
{
    struct ext2_fs *fs = ext2_fs_of(sb);

    if (!(sb->flags & SB_RDONLY))
        mark_clean(fs);
    struct blk_dev *bdev = fs->bdev;
    fs_release(fs);
    sb->priv = NULL;
    bcache_invalidate(bdev);
}

static void ext2_show_options(struct super_block *sb, char *buf, size_t len)
{
    (void)sb;
    snprintf(buf, len, "errors=continue");
}

static const struct super_ops ext2_super_ops = {
    .alloc_inode = ext2_alloc_inode,
    .free_inode = ext2_free_inode_mem,
    .read_inode = ext2_read_inode,
    .write_inode = ext2_write_inode,
    .evict_inode = ext2_evict_inode,
    .sync_fs = ext2_sync_fs,
    .statfs = ext2_statfs,
    .put_super = ext2_put_super,
    .show_options = ext2_show_options,
    .remount = ext2_remount,
};

/* ---- mount ----------------------------------------------------------------------- */

/* Reads and checks the superblock into fs->info. 0 or -EINVAL (logged). */
static int read_super(struct ext2_fs *fs, struct super_block *sb)
{
    struct blk_dev *bdev = fs->bdev;
    uint32_t bytes = ALIGN_UP(EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE, bdev->block_size);
    const char *reason;
    uint8_t *raw = kmalloc(bytes);
    int err;

    if (!raw)
        return -ENOMEM;
    err = blk_read(bdev, 0, bytes / 512, raw);
    if (err) {
        pr_err("ext2 %s: reading the superblock: error %d\n", bdev->name, err);
        goto out;
    }
    err = ext2_sb_check(raw + EXT2_SUPER_OFFSET, bdev->sectors * 512, &fs->info, &reason);
    if (err) {
        if (fs->info.incompat_unsupported)
            pr_err("ext2 %s: unsupported INCOMPAT feature %s (mask %#x): not mounted\n",
                   bdev->name, reason, fs->info.incompat_unsupported);
        else
            pr_err("ext2 %s: not a usable ext2 file system: %s\n", bdev->name,
                   reason ? reason : "bad superblock");
        goto out;
    }
    if (fs->info.read_only && !(sb->flags & SB_RDONLY)) {
        pr_warn("ext2 %s: unsupported RO_COMPAT feature %s (mask %#x): mounting read-only\n",
                bdev->name, reason, fs->info.ro_compat_unsupported);
        sb->flags |= SB_RDONLY;
    }
    if (fs->info.block_size < bdev->block_size) {
        pr_err("ext2 %s: block size %u below the device's %u\n", bdev->name,
               fs->info.block_size, bdev->block_size);
        err = -EINVAL;
        goto out;
    }
    fs->r_blocks = EXT2_GET32(raw + EXT2_SUPER_OFFSET, ext2_super_disk, s_r_blocks_count);
out:
    kfree(raw);
    return err;
}

/* Reads the descriptor table and parses every group. [s] held. */
static int read_groups(struct ext2_fs *fs)
{
    const struct ext2_info *info = &fs->info;
    int err;

    fs->groups = kzalloc(sizeof(*fs->groups) * info->group_count);
    fs->group_bad = kzalloc(sizeof(*fs->group_bad) * info->group_count);
    fs->gd_bufs = kzalloc(sizeof(*fs->gd_bufs) * info->desc_blocks);
    if (!fs->groups || !fs->group_bad || !fs->gd_bufs)
        return -ENOMEM;
    for (uint32_t i = 0; i < info->desc_blocks; i++) {
        fs->gd_bufs[i] = ext2_bread(fs, info->first_data_block + 1 + i, &err);
        if (!fs->gd_bufs[i])
            return err;
    }
    uint64_t free_blocks = 0, free_inodes = 0;
    for (uint32_t g = 0; g < info->group_count; g++) {
        uint32_t block, offset;
        ext2_group_desc_pos(info, g, &block, &offset);
        struct buf *b = fs->gd_bufs[block - info->first_data_block - 1];
        if (ext2_group_parse(info, g, b->data + offset, &fs->groups[g]) != 0)
            return ext2_damage(fs, "group %u: descriptor damaged", g);
        free_blocks += fs->groups[g].free_blocks;
        free_inodes += fs->groups[g].free_inodes;
    }
    /* Linux's rule: the descriptors' sums are the truth, the superblock's a cache. */
    fs->dyn.free_blocks = (uint32_t)free_blocks;
    fs->dyn.free_inodes = (uint32_t)free_inodes;
    return 0;
}

/* Largest file: what triple indirection maps, within i_blocks' 32 bits of sectors. */
static uint64_t max_file_bytes(const struct ext2_info *info)
{
    uint64_t apb = info->addr_per_block;
    uint64_t blocks = EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
    uint64_t bytes = blocks << info->block_shift;
    uint64_t sector_limit = (0xffffffffull << 9) - ((uint64_t)4 << info->block_shift) * apb;

    bytes = MIN(bytes, sector_limit);
    if (info->rev_level == EXT2_GOOD_OLD_REV)
        bytes = MIN(bytes, 0x7fffffffull);     /* no LARGE_FILE to set */
    return bytes;
}

static int ext2_fill_super(struct super_block *sb, struct blk_dev *bdev, const char *data)
{
    struct ext2_fs *fs;
    struct inode *root = NULL;
    int err;

    (void)data;
    if (!bdev)
        return -EINVAL;
    fs = kzalloc(sizeof(*fs));
    if (!fs)
        return -ENOMEM;
    mutex_init(&fs->lock, "ext2_fs");
    fs->sb = sb;
    fs->bdev = bdev;
    if (bdev->read_only)
        sb->flags |= SB_RDONLY;

    err = read_super(fs, sb);
    if (err)
        goto fail;

    mutex_lock(&fs->lock);
    uint32_t bs = fs->info.block_size;
    fs->sb_buf = ext2_bread(fs, EXT2_SUPER_OFFSET / bs, &err);
    if (fs->sb_buf) {
        fs->sb_off = EXT2_SUPER_OFFSET % bs;
        ext2_sb_dyn_parse(fs->sb_buf->data + fs->sb_off, &fs->dyn);
        fs->mount_state = fs->dyn.state;
        err = read_groups(fs);
    }
    fs->generation = now_sec();
    mutex_unlock(&fs->lock);
    if (err)
        goto fail;

    sb->ops = &ext2_super_ops;
    sb->magic = EXT2_SUPER_MAGIC;
    sb->block_size = bs;
    sb->max_bytes = max_file_bytes(&fs->info);
    sb->priv = fs;

    err = inode_get(sb, EXT2_ROOT_INO, &root);
    if (err) {
        pr_err("ext2 %s: root inode: error %d\n", bdev->name, err);
        goto fail_priv;
    }
    if (!S_ISDIR(root->mode)) {
        pr_err("ext2 %s: the root inode is not a directory\n", bdev->name);
        err = -EUCLEAN;
        goto fail_priv;
    }
    sb->root = root;

    if (!(sb->flags & SB_RDONLY)) {
        mutex_lock(&fs->lock);
        err = mark_mounted_rw(fs);
        mutex_unlock(&fs->lock);
        if (err)
            goto fail_priv;
    }
    pr_info("ext2 %s: mounted %s, %u-byte blocks, %u groups, revision %u\n", bdev->name,
            (sb->flags & SB_RDONLY) ? "read-only" : "read-write", bs, fs->info.group_count,
            fs->info.rev_level);
    return 0;

fail_priv:
    if (root)
        inode_put(root);
    sb->root = NULL;
    sb->priv = NULL;
fail:
    fs_release(fs);
    bcache_invalidate(bdev);
    return err;
}

static struct fs_type ext2_type = {
    .name = "ext2",
    .flags = FS_REQUIRES_DEV,
    .fill_super = ext2_fill_super,
};

int ext2_init(void)
{
    if (vfs_find_fs("ext2"))
        return 0;
    return vfs_register_fs(&ext2_type);
}
