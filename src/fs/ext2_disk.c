/*
 * src/fs/ext2_disk.c - the ext2 on-disk format: superblock and group
 * descriptor checks, inode decoding, block mapping through the indirect
 * blocks, and directory-block iteration; for the writers, bitmap search,
 * the encoders (group descriptors, inodes, the superblock's dynamic
 * fields), block routes and indirect-block checks, and directory-block
 * editing (insert, remove, retarget).
 *
 * Part of fs. Pure (no locks, allocation, logging or I/O of its own; see
 * include/fs/ext2_disk.h for the contracts and error codes), so it is also
 * compiled for the host and tested there against mke2fs images and under
 * libFuzzer. Written from the ext2 format as e2fsprogs and the Linux
 * kernel documentation describe it.
 */
#include <fs/ext2_disk.h>
#include <core/errno.h>
#include <core/string.h>

/* ---- feature names ------------------------------------------------------------ */

/* The names e2fsprogs' tools use, for the bits that have one. */
static const char *const feature_names[3][32] = {
    [EXT2_FEAT_COMPAT] = {
        [0] = "dir_prealloc", [1] = "imagic_inodes", [2] = "has_journal",
        [3] = "ext_attr", [4] = "resize_inode", [5] = "dir_index",
        [6] = "lazy_bg", [9] = "sparse_super2", [10] = "fast_commit",
        [11] = "stable_inodes", [12] = "orphan_file",
    },
    [EXT2_FEAT_INCOMPAT] = {
        [0] = "compression", [1] = "filetype", [2] = "needs_recovery",
        [3] = "journal_dev", [4] = "meta_bg", [6] = "extent", [7] = "64bit",
        [8] = "mmp", [9] = "flex_bg", [10] = "ea_inode", [12] = "dirdata",
        [13] = "metadata_csum_seed", [14] = "large_dir", [15] = "inline_data",
        [16] = "encrypt", [17] = "casefold",
    },
    [EXT2_FEAT_RO_COMPAT] = {
        [0] = "sparse_super", [1] = "large_file", [2] = "btree_dir",
        [3] = "huge_file", [4] = "uninit_bg", [5] = "dir_nlink",
        [6] = "extra_isize", [7] = "snapshot", [8] = "quota", [9] = "bigalloc",
        [10] = "metadata_csum", [11] = "replica", [12] = "read-only",
        [13] = "project", [14] = "shared_blocks", [15] = "verity",
        [16] = "orphan_present",
    },
};

/* The text for a bit without a name: its set (the bit is in the caller's mask). */
static const char *const unnamed[3] = {
    [EXT2_FEAT_COMPAT] = "unknown COMPAT feature",
    [EXT2_FEAT_INCOMPAT] = "unknown INCOMPAT feature",
    [EXT2_FEAT_RO_COMPAT] = "unknown RO_COMPAT feature",
};

const char *ext2_feature_name(enum ext2_feature_set set, unsigned bit)
{
    if ((unsigned)set > EXT2_FEAT_RO_COMPAT || bit >= 32)
        return "unknown feature";
    if (feature_names[set][bit])
        return feature_names[set][bit];
    return unnamed[set];
}

static unsigned lowest_bit(uint32_t mask)
{
    return (unsigned)__builtin_ctz(mask);
}

/* ---- superblock ---------------------------------------------------------------- */

#define SB32(sb, f) EXT2_GET32(sb, ext2_super_disk, f)
#define SB16(sb, f) EXT2_GET16(sb, ext2_super_disk, f)

static bool is_pow2(uint32_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static int refuse(const char **reason, const char *why)
{
    *reason = why;
    return -EINVAL;
}

int ext2_sb_check(const void *sb, uint64_t device_bytes, struct ext2_info *info,
                  const char **reason)
{
    memset(info, 0, sizeof(*info));
    *reason = NULL;

    if (SB16(sb, s_magic) != EXT2_MAGIC)
        return refuse(reason, "bad magic");
    info->rev_level = SB32(sb, s_rev_level);
    if (info->rev_level > EXT2_DYNAMIC_REV)
        return refuse(reason, "unknown revision");

    /* Features first: an ext3/ext4 image is refused for what it is. */
    if (info->rev_level == EXT2_DYNAMIC_REV) {
        info->feature_compat = SB32(sb, s_feature_compat);
        info->feature_incompat = SB32(sb, s_feature_incompat);
        info->feature_ro_compat = SB32(sb, s_feature_ro_compat);
    }
    info->incompat_unsupported = info->feature_incompat & ~EXT2_INCOMPAT_SUPPORTED;
    info->ro_compat_unsupported = info->feature_ro_compat & ~EXT2_RO_COMPAT_SUPPORTED;
    if (info->incompat_unsupported)
        return refuse(reason, ext2_feature_name(EXT2_FEAT_INCOMPAT,
                                                lowest_bit(info->incompat_unsupported)));
    info->filetype = info->feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
    info->sparse_super = info->feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER;
    info->large_file = info->feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE;

    uint32_t log = SB32(sb, s_log_block_size);
    if (log > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG)
        return refuse(reason, "unsupported block size");
    if (SB32(sb, s_log_frag_size) != log)
        return refuse(reason, "fragment size differs from block size");
    info->block_shift = EXT2_MIN_BLOCK_LOG + log;
    info->block_size = 1u << info->block_shift;
    uint32_t bs = info->block_size;

    info->blocks_per_group = SB32(sb, s_blocks_per_group);
    if (info->blocks_per_group == 0 || info->blocks_per_group > 8 * bs)
        return refuse(reason, "bad blocks per group");
    if (SB32(sb, s_frags_per_group) != info->blocks_per_group)
        return refuse(reason, "fragments per group differ from blocks per group");

    if (info->rev_level == EXT2_GOOD_OLD_REV) {
        info->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
        info->first_ino = EXT2_GOOD_OLD_FIRST_INO;
    } else {
        info->inode_size = SB16(sb, s_inode_size);
        info->first_ino = SB32(sb, s_first_ino);
        if (!is_pow2(info->inode_size) || info->inode_size < EXT2_GOOD_OLD_INODE_SIZE ||
            info->inode_size > bs)
            return refuse(reason, "bad inode size");
        if (info->first_ino < EXT2_GOOD_OLD_FIRST_INO)
            return refuse(reason, "bad first inode");
    }
    info->inodes_per_block = bs / info->inode_size;

    info->inodes_per_group = SB32(sb, s_inodes_per_group);
    if (info->inodes_per_group == 0 || info->inodes_per_group > 8 * bs ||
        info->inodes_per_group % info->inodes_per_block != 0)
        return refuse(reason, "bad inodes per group");
    info->inode_table_blocks = info->inodes_per_group / info->inodes_per_block;

    info->first_data_block = SB32(sb, s_first_data_block);
    if (info->first_data_block != (bs == 1024 ? 1u : 0u))
        return refuse(reason, "bad first data block");

    info->blocks_count = SB32(sb, s_blocks_count);
    info->inodes_count = SB32(sb, s_inodes_count);
    if (info->blocks_count <= info->first_data_block)
        return refuse(reason, "bad block count");
    if (((uint64_t)info->blocks_count << info->block_shift) > device_bytes)
        return refuse(reason, "file system larger than the device");

    uint32_t data_blocks = info->blocks_count - info->first_data_block;
    info->group_count = data_blocks / info->blocks_per_group +
                        (data_blocks % info->blocks_per_group != 0);
    if ((uint64_t)info->group_count * info->inodes_per_group != info->inodes_count)
        return refuse(reason, "inode count disagrees with the groups");
    if (info->first_ino > info->inodes_count)
        return refuse(reason, "bad first inode");

    info->desc_per_block = bs / EXT2_GROUP_DESC_SIZE;
    info->desc_blocks = (info->group_count + info->desc_per_block - 1) / info->desc_per_block;
    if (info->feature_compat & EXT2_FEATURE_COMPAT_RESIZE_INODE)
        info->reserved_gdt_blocks = SB16(sb, s_reserved_gdt_blocks);
    info->addr_shift = info->block_shift - 2;
    info->addr_per_block = 1u << info->addr_shift;

    /* Group 0 holds the superblock, the tables, two bitmaps and an inode table. */
    uint64_t meta = 1ull + info->desc_blocks + info->reserved_gdt_blocks + 2 +
                    info->inode_table_blocks;
    uint64_t group0 = MIN((uint64_t)info->blocks_per_group, (uint64_t)data_blocks);
    if (meta > group0)
        return refuse(reason, "metadata does not fit in group 0");

    if (info->ro_compat_unsupported) {
        info->read_only = true;
        *reason = ext2_feature_name(EXT2_FEAT_RO_COMPAT,
                                    lowest_bit(info->ro_compat_unsupported));
    }
    return 0;
}

static bool is_power_of(uint32_t n, uint32_t base)
{
    while (n % base == 0)
        n /= base;
    return n == 1;
}

bool ext2_group_has_super(const struct ext2_info *info, uint32_t group)
{
    if (group >= info->group_count)
        return false;
    if (group <= 1 || !info->sparse_super)
        return true;
    return is_power_of(group, 3) || is_power_of(group, 5) || is_power_of(group, 7);
}

/* ---- group descriptors --------------------------------------------------------- */

int ext2_group_desc_pos(const struct ext2_info *info, uint32_t group, uint32_t *block,
                        uint32_t *offset)
{
    if (group >= info->group_count)
        return -EINVAL;
    *block = info->first_data_block + 1 + group / info->desc_per_block;
    *offset = (group % info->desc_per_block) * EXT2_GROUP_DESC_SIZE;
    return 0;
}

/* [a, a + alen) and [b, b + blen) share a block. */
static bool overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
    return (uint64_t)a < (uint64_t)b + blen && (uint64_t)b < (uint64_t)a + alen;
}

int ext2_group_parse(const struct ext2_info *info, uint32_t group, const void *raw,
                     struct ext2_group *gd)
{
    if (group >= info->group_count)
        return -EINVAL;

    gd->block_bitmap = EXT2_GET32(raw, ext2_group_desc_disk, bg_block_bitmap);
    gd->inode_bitmap = EXT2_GET32(raw, ext2_group_desc_disk, bg_inode_bitmap);
    gd->inode_table = EXT2_GET32(raw, ext2_group_desc_disk, bg_inode_table);
    gd->free_blocks = EXT2_GET16(raw, ext2_group_desc_disk, bg_free_blocks_count);
    gd->free_inodes = EXT2_GET16(raw, ext2_group_desc_disk, bg_free_inodes_count);
    gd->used_dirs = EXT2_GET16(raw, ext2_group_desc_disk, bg_used_dirs_count);
    gd->first_block = info->first_data_block + group * info->blocks_per_group;
    uint64_t end = (uint64_t)gd->first_block + info->blocks_per_group;
    gd->last_block = (uint32_t)MIN(end, (uint64_t)info->blocks_count) - 1;

    /* The usable part of the group: after its superblock and table copies. */
    uint64_t usable = gd->first_block;
    if (ext2_group_has_super(info, group))
        usable += 1ull + info->desc_blocks + info->reserved_gdt_blocks;
    uint32_t itb = info->inode_table_blocks;

    if (gd->block_bitmap < usable || gd->block_bitmap > gd->last_block ||
        gd->inode_bitmap < usable || gd->inode_bitmap > gd->last_block ||
        gd->inode_table < usable || (uint64_t)gd->inode_table + itb - 1 > gd->last_block)
        return -EUCLEAN;
    if (gd->block_bitmap == gd->inode_bitmap ||
        overlaps(gd->block_bitmap, 1, gd->inode_table, itb) ||
        overlaps(gd->inode_bitmap, 1, gd->inode_table, itb))
        return -EUCLEAN;
    if (gd->free_blocks > gd->last_block - gd->first_block + 1 ||
        gd->free_inodes > info->inodes_per_group || gd->used_dirs > info->inodes_per_group)
        return -EUCLEAN;
    return 0;
}

/* ---- inodes -------------------------------------------------------------------- */

int ext2_inode_group(const struct ext2_info *info, uint32_t ino, uint32_t *group)
{
    if (ino == 0 || ino > info->inodes_count)
        return -EINVAL;
    *group = (ino - 1) / info->inodes_per_group;
    return 0;
}

int ext2_inode_pos(const struct ext2_info *info, uint32_t ino, const struct ext2_group *gd,
                   uint32_t *block, uint32_t *offset)
{
    uint32_t group;
    int err = ext2_inode_group(info, ino, &group);

    if (err)
        return err;
    if (gd->first_block != info->first_data_block + group * info->blocks_per_group)
        return -EINVAL;
    uint32_t index = (ino - 1) % info->inodes_per_group;
    uint64_t byte = (uint64_t)index * info->inode_size;
    *block = gd->inode_table + (uint32_t)(byte >> info->block_shift);
    *offset = (uint32_t)(byte & (info->block_size - 1));
    return 0;
}

unsigned ext2_ft_from_mode(uint32_t mode)
{
    switch (mode & EXT2_S_IFMT) {
    case EXT2_S_IFREG:  return EXT2_FT_REG_FILE;
    case EXT2_S_IFDIR:  return EXT2_FT_DIR;
    case EXT2_S_IFCHR:  return EXT2_FT_CHRDEV;
    case EXT2_S_IFBLK:  return EXT2_FT_BLKDEV;
    case EXT2_S_IFIFO:  return EXT2_FT_FIFO;
    case EXT2_S_IFSOCK: return EXT2_FT_SOCK;
    case EXT2_S_IFLNK:  return EXT2_FT_SYMLINK;
    default:            return EXT2_FT_UNKNOWN;
    }
}

#define IN32(raw, f) EXT2_GET32(raw, ext2_inode_disk, f)
#define IN16(raw, f) EXT2_GET16(raw, ext2_inode_disk, f)

int ext2_inode_parse(const struct ext2_info *info, uint32_t ino, const void *raw,
                     struct ext2_inode *inode)
{
    memset(inode, 0, sizeof(*inode));
    inode->ino = ino;
    inode->mode = IN16(raw, i_mode);
    inode->links = IN16(raw, i_links_count);
    inode->uid = IN16(raw, i_uid) | ((uint32_t)IN16(raw, i_uid_high) << 16);
    inode->gid = IN16(raw, i_gid) | ((uint32_t)IN16(raw, i_gid_high) << 16);
    inode->atime = IN32(raw, i_atime);
    inode->ctime = IN32(raw, i_ctime);
    inode->mtime = IN32(raw, i_mtime);
    inode->dtime = IN32(raw, i_dtime);
    inode->blocks = IN32(raw, i_blocks);
    inode->flags = IN32(raw, i_flags);
    inode->generation = IN32(raw, i_generation);
    inode->file_acl = IN32(raw, i_file_acl);

    unsigned ft = ext2_ft_from_mode(inode->mode);
    if (ft == EXT2_FT_UNKNOWN)
        return -EUCLEAN;

    inode->size = IN32(raw, i_size);
    if (ft == EXT2_FT_REG_FILE)
        inode->size |= (uint64_t)IN32(raw, i_size_high) << 32;

    const uint8_t *blocks = (const uint8_t *)raw + offsetof(struct ext2_inode_disk, i_block);
    if (ft == EXT2_FT_SYMLINK) {
        uint32_t ea_blocks = inode->file_acl ? info->block_size >> 9 : 0;
        inode->fast_symlink = inode->blocks == ea_blocks;
    }
    if (inode->fast_symlink) {
        if (inode->size > EXT2_FAST_SYMLINK_MAX)
            return -EUCLEAN;
        memcpy(inode->block, blocks, sizeof(inode->block));   /* bytes, not numbers */
    } else {
        for (unsigned i = 0; i < EXT2_N_BLOCKS; i++)
            inode->block[i] = ext2_le32(blocks + 4 * i);
    }
    if (ft == EXT2_FT_SYMLINK && !inode->fast_symlink && inode->size >= info->block_size)
        return -EUCLEAN;
    if (ft == EXT2_FT_DIR && (inode->size & (info->block_size - 1)) != 0)
        return -EUCLEAN;
    return 0;
}

/* ---- block mapping ------------------------------------------------------------- */

static bool block_valid(const struct ext2_info *info, uint32_t block)
{
    return block >= info->first_data_block && block < info->blocks_count;
}

int ext2_bmap(const struct ext2_info *info, const struct ext2_inode *inode,
              uint64_t file_block, ext2_read_block_fn read_block, void *ctx,
              void *scratch, uint32_t *phys)
{
    unsigned ft = ext2_ft_from_mode(inode->mode);

    *phys = 0;
    if ((ft != EXT2_FT_REG_FILE && ft != EXT2_FT_DIR && ft != EXT2_FT_SYMLINK) ||
        inode->fast_symlink)
        return -EINVAL;

    uint32_t cur;
    unsigned depth;                     /* indirect blocks between inode and data */
    uint64_t rel = file_block;
    uint64_t apb = info->addr_per_block;

    if (rel < EXT2_NDIR_BLOCKS) {
        cur = inode->block[rel];
        depth = 0;
    } else if ((rel -= EXT2_NDIR_BLOCKS) < apb) {
        cur = inode->block[EXT2_IND_BLOCK];
        depth = 1;
    } else if ((rel -= apb) < apb * apb) {
        cur = inode->block[EXT2_DIND_BLOCK];
        depth = 2;
    } else if ((rel -= apb * apb) < apb * apb * apb) {
        cur = inode->block[EXT2_TIND_BLOCK];
        depth = 3;
    } else {
        return -EFBIG;
    }

    uint32_t path[3];
    for (unsigned level = 0; level < depth; level++) {
        if (cur == 0)
            return 0;                   /* a hole: no indirect block here */
        if (!block_valid(info, cur))
            return -EUCLEAN;
        for (unsigned i = 0; i < level; i++)
            if (path[i] == cur)
                return -EUCLEAN;        /* a cycle through the indirect blocks */
        path[level] = cur;
        int err = read_block(ctx, cur, scratch);
        if (err)
            return err;
        unsigned shift = info->addr_shift * (depth - 1 - level);
        uint32_t index = (uint32_t)((rel >> shift) & (apb - 1));
        cur = ext2_le32((const uint8_t *)scratch + 4 * index);
    }
    if (cur == 0)
        return 0;
    if (!block_valid(info, cur))
        return -EUCLEAN;
    for (unsigned i = 0; i < depth; i++)
        if (path[i] == cur)
            return -EUCLEAN;            /* data block is one of its own indirect blocks */
    *phys = cur;
    return 0;
}

/* ---- directory blocks ---------------------------------------------------------- */

void ext2_dir_iter_init(struct ext2_dir_iter *it, const struct ext2_info *info,
                        const void *block)
{
    it->info = info;
    it->block = block;
    it->pos = 0;
}

int ext2_dir_next(struct ext2_dir_iter *it, struct ext2_dirent *ent)
{
    const struct ext2_info *info = it->info;
    uint32_t bs = info->block_size;

    while (it->pos < bs) {
        const uint8_t *p = it->block + it->pos;
        if (bs - it->pos < EXT2_DIRENT_HEADER)
            return -EUCLEAN;
        uint32_t ino = ext2_le32(p);
        uint32_t rec_len = ext2_le16(p + 4);
        uint32_t name_len = info->filetype ? p[6] : ext2_le16(p + 6);
        unsigned ft = info->filetype ? p[7] : EXT2_FT_UNKNOWN;

        if (rec_len % 4 != 0 || rec_len < EXT2_DIRENT_HEADER + ALIGN_UP(name_len, 4u) ||
            rec_len > bs - it->pos)
            return -EUCLEAN;
        if (ino == 0) {
            it->pos += rec_len;         /* an unused entry */
            continue;
        }
        if (ino > info->inodes_count || name_len == 0 || name_len > EXT2_NAME_LEN ||
            ft > EXT2_FT_MAX)
            return -EUCLEAN;
        ent->inode = ino;
        ent->offset = it->pos;
        ent->rec_len = (uint16_t)rec_len;
        ent->name_len = (uint16_t)name_len;
        ent->file_type = ft;
        ent->name = (const char *)p + EXT2_DIRENT_HEADER;
        it->pos += rec_len;
        return 1;
    }
    return 0;
}

/* ---- writing: bitmaps ---------------------------------------------------------- */

/* First clear bit in [from, to), or to. Whole bytes are skipped when full. */
static uint32_t first_clear(const uint8_t *bm, uint32_t from, uint32_t to)
{
    uint32_t n = from;

    while (n < to) {
        if ((n & 7) == 0 && bm[n >> 3] == 0xff) {
            n += 8;
            continue;
        }
        if (!ext2_bit_test(bm, n))
            return n;
        n++;
    }
    return to;
}

int ext2_bitmap_find(const void *bitmap, uint32_t nbits, uint32_t goal, uint32_t *found)
{
    const uint8_t *bm = bitmap;

    if (goal >= nbits)
        goal = 0;
    uint32_t n = first_clear(bm, goal, nbits);
    if (n >= nbits) {
        n = first_clear(bm, 0, goal);
        if (n >= goal)
            return -ENOSPC;
    }
    *found = n;
    return 0;
}

uint32_t ext2_bitmap_count_free(const void *bitmap, uint32_t nbits)
{
    uint32_t free = 0;

    for (uint32_t n = 0; n < nbits; n++)
        free += !ext2_bit_test(bitmap, n);
    return free;
}

uint32_t ext2_group_nblocks(const struct ext2_info *info, uint32_t group)
{
    uint64_t first = info->first_data_block + (uint64_t)group * info->blocks_per_group;

    if (group >= info->group_count || first >= info->blocks_count)
        return 0;
    return (uint32_t)MIN((uint64_t)info->blocks_per_group, info->blocks_count - first);
}

/* ---- writing: encoders --------------------------------------------------------- */

#define PUT32(raw, type, field, v) ext2_put32((uint8_t *)(raw) + offsetof(struct type, field), (v))
#define PUT16(raw, type, field, v) ext2_put16((uint8_t *)(raw) + offsetof(struct type, field), (v))

static uint16_t clamp16(uint32_t v)
{
    return v > 0xffffu ? 0xffffu : (uint16_t)v;
}

void ext2_group_encode(const struct ext2_group *gd, void *raw)
{
    PUT32(raw, ext2_group_desc_disk, bg_block_bitmap, gd->block_bitmap);
    PUT32(raw, ext2_group_desc_disk, bg_inode_bitmap, gd->inode_bitmap);
    PUT32(raw, ext2_group_desc_disk, bg_inode_table, gd->inode_table);
    PUT16(raw, ext2_group_desc_disk, bg_free_blocks_count, clamp16(gd->free_blocks));
    PUT16(raw, ext2_group_desc_disk, bg_free_inodes_count, clamp16(gd->free_inodes));
    PUT16(raw, ext2_group_desc_disk, bg_used_dirs_count, clamp16(gd->used_dirs));
}

int ext2_inode_encode(const struct ext2_info *info, const struct ext2_inode *inode, void *raw)
{
    unsigned ft = ext2_ft_from_mode(inode->mode);

    if (ft == EXT2_FT_REG_FILE) {
        if (inode->size >= (1ull << 31) && !info->large_file)
            return -EFBIG;
    } else if (inode->size >> 32) {
        return -EFBIG;
    }
    PUT16(raw, ext2_inode_disk, i_mode, inode->mode);
    PUT16(raw, ext2_inode_disk, i_uid, (uint16_t)inode->uid);
    PUT16(raw, ext2_inode_disk, i_uid_high, (uint16_t)(inode->uid >> 16));
    PUT16(raw, ext2_inode_disk, i_gid, (uint16_t)inode->gid);
    PUT16(raw, ext2_inode_disk, i_gid_high, (uint16_t)(inode->gid >> 16));
    PUT32(raw, ext2_inode_disk, i_size, (uint32_t)inode->size);
    if (ft == EXT2_FT_REG_FILE)
        PUT32(raw, ext2_inode_disk, i_size_high, (uint32_t)(inode->size >> 32));
    PUT32(raw, ext2_inode_disk, i_atime, inode->atime);
    PUT32(raw, ext2_inode_disk, i_ctime, inode->ctime);
    PUT32(raw, ext2_inode_disk, i_mtime, inode->mtime);
    PUT32(raw, ext2_inode_disk, i_dtime, inode->dtime);
    PUT16(raw, ext2_inode_disk, i_links_count, inode->links);
    PUT32(raw, ext2_inode_disk, i_blocks, inode->blocks);
    PUT32(raw, ext2_inode_disk, i_flags, inode->flags);
    PUT32(raw, ext2_inode_disk, i_generation, inode->generation);
    PUT32(raw, ext2_inode_disk, i_file_acl, inode->file_acl);

    uint8_t *blocks = (uint8_t *)raw + offsetof(struct ext2_inode_disk, i_block);
    if (inode->fast_symlink) {
        memcpy(blocks, inode->block, sizeof(inode->block));
    } else {
        for (unsigned i = 0; i < EXT2_N_BLOCKS; i++)
            ext2_put32(blocks + 4 * i, inode->block[i]);
    }
    return 0;
}

void ext2_sb_dyn_parse(const void *sb, struct ext2_sb_dyn *dyn)
{
    dyn->free_blocks = SB32(sb, s_free_blocks_count);
    dyn->free_inodes = SB32(sb, s_free_inodes_count);
    dyn->mtime = SB32(sb, s_mtime);
    dyn->wtime = SB32(sb, s_wtime);
    dyn->mnt_count = SB16(sb, s_mnt_count);
    dyn->max_mnt_count = SB16(sb, s_max_mnt_count);
    dyn->state = SB16(sb, s_state);
    dyn->feature_ro_compat = SB32(sb, s_feature_ro_compat);
}

void ext2_sb_dyn_encode(const struct ext2_info *info, const struct ext2_sb_dyn *dyn, void *sb)
{
    PUT32(sb, ext2_super_disk, s_free_blocks_count, dyn->free_blocks);
    PUT32(sb, ext2_super_disk, s_free_inodes_count, dyn->free_inodes);
    PUT32(sb, ext2_super_disk, s_mtime, dyn->mtime);
    PUT32(sb, ext2_super_disk, s_wtime, dyn->wtime);
    PUT16(sb, ext2_super_disk, s_mnt_count, dyn->mnt_count);
    PUT16(sb, ext2_super_disk, s_max_mnt_count, dyn->max_mnt_count);
    PUT16(sb, ext2_super_disk, s_state, dyn->state);
    if (info->rev_level >= EXT2_DYNAMIC_REV)
        PUT32(sb, ext2_super_disk, s_feature_ro_compat, dyn->feature_ro_compat);
}

/* ---- writing: indirect blocks -------------------------------------------------- */

int ext2_block_route(const struct ext2_info *info, uint64_t file_block, unsigned *depth,
                     uint32_t idx[4])
{
    uint64_t apb = info->addr_per_block;
    uint64_t rel = file_block;
    unsigned shift = info->addr_shift;

    if (rel < EXT2_NDIR_BLOCKS) {
        *depth = 0;
        idx[0] = (uint32_t)rel;
        return 0;
    }
    rel -= EXT2_NDIR_BLOCKS;
    if (rel < apb) {
        *depth = 1;
        idx[0] = EXT2_IND_BLOCK;
    } else if ((rel -= apb) < apb * apb) {
        *depth = 2;
        idx[0] = EXT2_DIND_BLOCK;
    } else if ((rel -= apb * apb) < apb * apb * apb) {
        *depth = 3;
        idx[0] = EXT2_TIND_BLOCK;
    } else {
        return -EFBIG;
    }
    for (unsigned level = 1; level <= *depth; level++)
        idx[level] = (uint32_t)((rel >> (shift * (*depth - level))) & (apb - 1));
    return 0;
}

uint64_t ext2_slot_first_block(const struct ext2_info *info, unsigned slot, uint64_t *span)
{
    uint64_t apb = info->addr_per_block;

    if (slot < EXT2_NDIR_BLOCKS) {
        *span = 1;
        return slot;
    }
    uint64_t first = EXT2_NDIR_BLOCKS;
    uint64_t s = apb;
    for (unsigned i = EXT2_IND_BLOCK; i < slot; i++) {
        first += s;
        s *= apb;
    }
    *span = s;
    return first;
}

int ext2_ind_check(const struct ext2_info *info, const void *blk, uint32_t self,
                   const uint32_t *ancestors, unsigned n)
{
    for (uint32_t i = 0; i < info->addr_per_block; i++) {
        uint32_t b = ext2_le32((const uint8_t *)blk + 4 * i);
        if (b == 0)
            continue;
        if (!block_valid(info, b) || b == self)
            return -EUCLEAN;
        for (unsigned a = 0; a < n; a++)
            if (ancestors[a] == b)
                return -EUCLEAN;
    }
    return 0;
}

/* ---- writing: directory blocks ------------------------------------------------- */

static void dirent_write(const struct ext2_info *info, uint8_t *p, uint32_t ino,
                         uint32_t rec_len, const char *name, uint32_t len, unsigned ft)
{
    ext2_put32(p, ino);
    ext2_put16(p + 4, (uint16_t)rec_len);
    if (info->filetype) {
        p[6] = (uint8_t)len;
        p[7] = (uint8_t)ft;
    } else {
        ext2_put16(p + 6, (uint16_t)len);
    }
    if (len)
        memcpy(p + EXT2_DIRENT_HEADER, name, len);
    /* the padding up to 4 bytes is zeroed, as mke2fs leaves it */
    for (uint32_t i = len; i < ALIGN_UP(len, 4u); i++)
        p[EXT2_DIRENT_HEADER + i] = 0;
}

void ext2_dir_block_init(const struct ext2_info *info, void *block)
{
    memset(block, 0, info->block_size);
    dirent_write(info, block, 0, info->block_size, NULL, 0, 0);
}

void ext2_dir_block_init_dots(const struct ext2_info *info, void *block, uint32_t self,
                              uint32_t parent)
{
    uint8_t *b = block;
    uint32_t first = ext2_dirent_need(1);

    memset(block, 0, info->block_size);
    dirent_write(info, b, self, first, ".", 1, EXT2_FT_DIR);
    dirent_write(info, b + first, parent, info->block_size - first, "..", 2, EXT2_FT_DIR);
}

int ext2_dir_find(const struct ext2_info *info, const void *block, const char *name,
                  uint32_t len, struct ext2_dirent *ent)
{
    struct ext2_dir_iter it;
    int r;

    ext2_dir_iter_init(&it, info, block);
    while ((r = ext2_dir_next(&it, ent)) == 1)
        if (ent->name_len == len && memcmp(ent->name, name, len) == 0)
            return 1;
    return r;
}

/*
 * Walks every entry (used or not) of block, checking each as ext2_dir_next
 * does; calls fn with the entry's offset, the previous entry's offset
 * (UINT32_MAX for the first), its inode, rec_len and name length. fn
 * returns nonzero to stop (that value is returned). 0 at the end, -EUCLEAN
 * for damage anywhere in the block (the editors walk it all, so they never
 * change a damaged block).
 */
typedef int (*raw_fn)(void *arg, uint32_t off, uint32_t prev, uint32_t ino,
                      uint32_t rec_len, uint32_t name_len);

static int dir_walk_raw(const struct ext2_info *info, const uint8_t *b, raw_fn fn, void *arg)
{
    uint32_t bs = info->block_size;
    uint32_t pos = 0, prev = UINT32_MAX;

    while (pos < bs) {
        const uint8_t *p = b + pos;
        if (bs - pos < EXT2_DIRENT_HEADER)
            return -EUCLEAN;
        uint32_t ino = ext2_le32(p);
        uint32_t rec_len = ext2_le16(p + 4);
        uint32_t name_len = info->filetype ? p[6] : ext2_le16(p + 6);
        if (rec_len % 4 != 0 || rec_len < EXT2_DIRENT_HEADER + ALIGN_UP(name_len, 4u) ||
            rec_len > bs - pos)
            return -EUCLEAN;
        if (ino != 0 && (ino > info->inodes_count || name_len == 0 ||
                         name_len > EXT2_NAME_LEN || (info->filetype && p[7] > EXT2_FT_MAX)))
            return -EUCLEAN;
        int r = fn(arg, pos, prev, ino, rec_len, name_len);
        if (r)
            return r;
        prev = pos;
        pos += rec_len;
    }
    return 0;
}

struct room {
    uint32_t need;
    uint32_t off;               /* where the entry to use/split starts */
    bool found;
    bool split;                 /* a used entry to split */
};

static int room_fn(void *arg, uint32_t off, uint32_t prev, uint32_t ino, uint32_t rec_len,
                   uint32_t name_len)
{
    struct room *r = arg;

    (void)prev;
    if (r->found)
        return 0;                       /* the rest is walked to check it */
    if (ino == 0 && rec_len >= r->need) {
        r->off = off;
        r->split = false;
        r->found = true;
    } else if (ino != 0 && rec_len - ext2_dirent_need(name_len) >= r->need) {
        r->off = off;
        r->split = true;
        r->found = true;
    }
    return 0;
}

int ext2_dir_insert(const struct ext2_info *info, void *block, const char *name, uint32_t len,
                    uint32_t ino, unsigned file_type, uint32_t *offset)
{
    uint8_t *b = block;
    struct room r = { .need = ext2_dirent_need(len) };

    if (len == 0 || len > EXT2_NAME_LEN || ino == 0)
        return -EINVAL;
    int err = dir_walk_raw(info, b, room_fn, &r);
    if (err < 0)
        return err;
    if (!r.found)
        return -ENOSPC;

    uint8_t *p = b + r.off;
    uint32_t rec_len = ext2_le16(p + 4);
    if (r.split) {
        uint32_t name_len = info->filetype ? p[6] : ext2_le16(p + 6);
        uint32_t keep = ext2_dirent_need(name_len);
        ext2_put16(p + 4, (uint16_t)keep);
        r.off += keep;
        rec_len -= keep;
        p = b + r.off;
    }
    dirent_write(info, p, ino, rec_len, name, len, file_type);
    *offset = r.off;
    return 0;
}

struct at {
    uint32_t want;
    uint32_t prev;
    bool found;
    bool used;
};

static int at_fn(void *arg, uint32_t off, uint32_t prev, uint32_t ino, uint32_t rec_len,
                 uint32_t name_len)
{
    struct at *a = arg;

    (void)rec_len;
    (void)name_len;
    if (off == a->want) {
        a->prev = prev;
        a->used = ino != 0;
        a->found = true;
    }
    return 0;                           /* the whole block is walked to check it */
}

/* Finds the entry at offset: 1 with *prev set, -ENOENT, -EUCLEAN. */
static int entry_at(const struct ext2_info *info, const uint8_t *b, uint32_t offset,
                    uint32_t *prev)
{
    struct at a = { .want = offset };
    int r = dir_walk_raw(info, b, at_fn, &a);

    if (r < 0)
        return r;
    if (!a.found || !a.used)
        return -ENOENT;
    *prev = a.prev;
    return 1;
}

int ext2_dir_remove(const struct ext2_info *info, void *block, uint32_t offset)
{
    uint8_t *b = block;
    uint32_t prev;
    int r = entry_at(info, b, offset, &prev);

    if (r < 0)
        return r;
    if (prev == UINT32_MAX) {
        ext2_put32(b + offset, 0);
        return 0;
    }
    uint32_t merged = ext2_le16(b + prev + 4) + ext2_le16(b + offset + 4);
    ext2_put16(b + prev + 4, (uint16_t)merged);
    return 0;
}

int ext2_dir_set_inode(const struct ext2_info *info, void *block, uint32_t offset,
                       uint32_t ino, unsigned file_type)
{
    uint8_t *b = block;
    uint32_t prev;
    int r = entry_at(info, b, offset, &prev);

    if (r < 0)
        return r;
    if (ino == 0 || ino > info->inodes_count)
        return -EINVAL;
    ext2_put32(b + offset, ino);
    if (info->filetype)
        b[offset + 7] = (uint8_t)file_type;
    return 0;
}

int ext2_dir_block_has_names(const struct ext2_info *info, const void *block)
{
    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    int r;

    ext2_dir_iter_init(&it, info, block);
    while ((r = ext2_dir_next(&it, &ent)) == 1) {
        bool dot = ent.name_len == 1 && ent.name[0] == '.';
        bool dotdot = ent.name_len == 2 && ent.name[0] == '.' && ent.name[1] == '.';
        if (!dot && !dotdot)
            return 1;
    }
    return r;
}
