/*
 * include/fs/ext2_disk.h - the ext2 on-disk format: layouts, checks and
 * the pure decoding and encoding the ext2 driver (include/fs/ext2.h) sits
 * on.
 *
 * Part of fs. Written from the ext2 format as documented by e2fsprogs and
 * the Linux kernel documentation. Everything here is pure: no locks, no
 * allocation, no logging, no I/O of its own. Blocks are read through a
 * callback the caller supplies (ext2_read_block_fn) into a buffer the
 * caller supplies. The same code is compiled for the host and tested there
 * (test/unit/test_ext2_disk.c, test/fuzz/fuzz_ext2_disk.c) against images
 * made by mke2fs.
 *
 * The writing helpers (bitmaps, encoders, block routes, directory-block
 * editing) change only the caller's buffers; the editors check the whole
 * directory block first and leave a damaged one unchanged (-EUCLEAN).
 *
 * Context: any; nothing sleeps except what the caller's callback does.
 * Locks: none taken; the caller serialises access to what it passes in.
 *
 * Error codes (every function): -EINVAL for a request that is wrong
 * whatever the disk holds (inode 0, a feature this code does not handle),
 * -EUCLEAN ("structure needs cleaning") for on-disk data that is damaged
 * or inconsistent (a block number outside the file system, a directory
 * entry crossing its block, a cycle in indirect blocks...), -EFBIG for a
 * file block beyond what triple indirection addresses, and whatever the
 * read callback returns (normally -EIO) passed through unchanged. The
 * superblock check returns -EINVAL for every reason it refuses, with a
 * text naming the reason.
 *
 * On-disk fields are little-endian and the caller's buffers need not be
 * aligned: raw structures are never dereferenced as C structs; fields are
 * read by offset (EXT2_GET16/32 below). The structs document the layout
 * and give the offsets, which _Static_assert pins down.
 */
#ifndef BASALT_FS_EXT2_DISK_H
#define BASALT_FS_EXT2_DISK_H

#include <core/compiler.h>       /* also stdint, stddef, stdbool */

/* ---- constants ------------------------------------------------------------ */

#define EXT2_SUPER_OFFSET       1024u   /* byte offset of the superblock */
#define EXT2_SUPER_SIZE         1024u
#define EXT2_MAGIC              0xEF53u
#define EXT2_ROOT_INO           2u
#define EXT2_GOOD_OLD_REV       0u      /* revision 0: fixed inode size and first inode */
#define EXT2_DYNAMIC_REV        1u
#define EXT2_GOOD_OLD_INODE_SIZE 128u
#define EXT2_GOOD_OLD_FIRST_INO 11u
#define EXT2_MIN_BLOCK_LOG      10u     /* 1 KiB */
#define EXT2_MAX_BLOCK_LOG      12u     /* 4 KiB: the largest this code accepts */
#define EXT2_MAX_BLOCK_SIZE     (1u << EXT2_MAX_BLOCK_LOG)
#define EXT2_GROUP_DESC_SIZE    32u
#define EXT2_NDIR_BLOCKS        12u
#define EXT2_IND_BLOCK          12u
#define EXT2_DIND_BLOCK         13u
#define EXT2_TIND_BLOCK         14u
#define EXT2_N_BLOCKS           15u
#define EXT2_NAME_LEN           255u
#define EXT2_DIRENT_HEADER      8u      /* inode, rec_len, name_len, file_type */
#define EXT2_FAST_SYMLINK_MAX   59u     /* target bytes that fit in i_block with a NUL */

/* Feature sets, with the bits this code knows. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC        0x0001u
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES       0x0002u
#define EXT2_FEATURE_COMPAT_HAS_JOURNAL         0x0004u
#define EXT2_FEATURE_COMPAT_EXT_ATTR            0x0008u
#define EXT2_FEATURE_COMPAT_RESIZE_INODE        0x0010u
#define EXT2_FEATURE_COMPAT_DIR_INDEX           0x0020u

#define EXT2_FEATURE_INCOMPAT_FILETYPE          0x0002u
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER     0x0001u
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE       0x0002u

/* What this code implements: other INCOMPAT bits refuse the mount, other
 * RO_COMPAT bits make it read-only, COMPAT bits are ignored. */
#define EXT2_INCOMPAT_SUPPORTED  EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
                                  EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

enum ext2_feature_set {
    EXT2_FEAT_COMPAT,
    EXT2_FEAT_INCOMPAT,
    EXT2_FEAT_RO_COMPAT,
};

/* Directory entry file types (with the FILETYPE feature). */
#define EXT2_FT_UNKNOWN         0u
#define EXT2_FT_REG_FILE        1u
#define EXT2_FT_DIR             2u
#define EXT2_FT_CHRDEV          3u
#define EXT2_FT_BLKDEV          4u
#define EXT2_FT_FIFO            5u
#define EXT2_FT_SOCK            6u
#define EXT2_FT_SYMLINK         7u
#define EXT2_FT_MAX             7u

/* i_mode's file type bits (the same values as POSIX's S_IF*). */
#define EXT2_S_IFMT             0xF000u
#define EXT2_S_IFSOCK           0xC000u
#define EXT2_S_IFLNK            0xA000u
#define EXT2_S_IFREG            0x8000u
#define EXT2_S_IFBLK            0x6000u
#define EXT2_S_IFDIR            0x4000u
#define EXT2_S_IFCHR            0x2000u
#define EXT2_S_IFIFO            0x1000u

/* ---- on-disk layouts (documentation + offsets; read with EXT2_GET*) -------- */

struct ext2_super_disk {
    uint32_t s_inodes_count;            /* 0 */
    uint32_t s_blocks_count;
    uint32_t s_r_blocks_count;
    uint32_t s_free_blocks_count;
    uint32_t s_free_inodes_count;       /* 16 */
    uint32_t s_first_data_block;
    uint32_t s_log_block_size;          /* block size = 1024 << this */
    uint32_t s_log_frag_size;
    uint32_t s_blocks_per_group;        /* 32 */
    uint32_t s_frags_per_group;
    uint32_t s_inodes_per_group;
    uint32_t s_mtime;
    uint32_t s_wtime;                   /* 48 */
    uint16_t s_mnt_count;
    uint16_t s_max_mnt_count;
    uint16_t s_magic;                   /* 56 */
    uint16_t s_state;
    uint16_t s_errors;
    uint16_t s_minor_rev_level;
    uint32_t s_lastcheck;               /* 64 */
    uint32_t s_checkinterval;
    uint32_t s_creator_os;
    uint32_t s_rev_level;               /* 76 */
    uint16_t s_def_resuid;
    uint16_t s_def_resgid;
    /* revision 1 (EXT2_DYNAMIC_REV) from here on */
    uint32_t s_first_ino;               /* 84 */
    uint16_t s_inode_size;
    uint16_t s_block_group_nr;
    uint32_t s_feature_compat;          /* 92 */
    uint32_t s_feature_incompat;
    uint32_t s_feature_ro_compat;       /* 100 */
    uint8_t  s_uuid[16];
    char     s_volume_name[16];         /* 120 */
    char     s_last_mounted[64];        /* 136 */
    uint32_t s_algorithm_usage_bitmap;  /* 200 */
    uint8_t  s_prealloc_blocks;
    uint8_t  s_prealloc_dir_blocks;
    uint16_t s_reserved_gdt_blocks;     /* 206: with COMPAT_RESIZE_INODE */
    uint8_t  s_journal_uuid[16];        /* 208 */
    uint32_t s_journal_inum;            /* 224 */
    uint32_t s_journal_dev;
    uint32_t s_last_orphan;             /* 232 */
    uint32_t s_hash_seed[4];
    uint8_t  s_def_hash_version;        /* 252 */
    uint8_t  s_jnl_backup_type;
    uint16_t s_desc_size;
    uint32_t s_default_mount_opts;      /* 256 */
    uint32_t s_first_meta_bg;
    uint32_t s_mkfs_time;               /* 264 */
    uint32_t s_jnl_blocks[17];
    uint8_t  s_reserved[688];           /* 336 .. 1023 */
};

struct ext2_group_desc_disk {
    uint32_t bg_block_bitmap;           /* 0 */
    uint32_t bg_inode_bitmap;
    uint32_t bg_inode_table;            /* 8: first block of the table */
    uint16_t bg_free_blocks_count;
    uint16_t bg_free_inodes_count;
    uint16_t bg_used_dirs_count;        /* 16 */
    uint16_t bg_pad;
    uint32_t bg_reserved[3];            /* 20 .. 31 */
};

struct ext2_inode_disk {
    uint16_t i_mode;                    /* 0 */
    uint16_t i_uid;                     /* low 16 bits */
    uint32_t i_size;                    /* low 32 bits */
    uint32_t i_atime;                   /* 8 */
    uint32_t i_ctime;
    uint32_t i_mtime;                   /* 16 */
    uint32_t i_dtime;
    uint16_t i_gid;                     /* 24: low 16 bits */
    uint16_t i_links_count;
    uint32_t i_blocks;                  /* 28: 512-byte units, incl. indirect blocks */
    uint32_t i_flags;                   /* 32 */
    uint32_t i_osd1;
    uint32_t i_block[EXT2_N_BLOCKS];    /* 40 .. 99 */
    uint32_t i_generation;              /* 100 */
    uint32_t i_file_acl;                /* 104: extended-attribute block */
    uint32_t i_size_high;               /* 108: i_dir_acl for non-regular files */
    uint32_t i_faddr;                   /* 112 */
    uint8_t  i_frag;                    /* 116 */
    uint8_t  i_fsize;
    uint16_t i_pad1;
    uint16_t i_uid_high;                /* 120 */
    uint16_t i_gid_high;
    uint32_t i_reserved2;               /* 124 .. 127 */
};

struct ext2_dirent_disk {
    uint32_t inode;                     /* 0: 0 = unused entry */
    uint16_t rec_len;                   /* 4: bytes to the next entry */
    uint8_t  name_len;                  /* 6: (16 bits with file_type without FILETYPE) */
    uint8_t  file_type;                 /* 7: EXT2_FT_* with FILETYPE */
    char     name[];                    /* 8: name_len bytes, no NUL */
};

_Static_assert(sizeof(struct ext2_super_disk) == EXT2_SUPER_SIZE, "superblock size");
_Static_assert(offsetof(struct ext2_super_disk, s_log_block_size) == 24, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_blocks_per_group) == 32, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_inodes_per_group) == 40, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_magic) == 56, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_rev_level) == 76, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_first_ino) == 84, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_inode_size) == 88, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_feature_compat) == 92, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_feature_ro_compat) == 100, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_volume_name) == 120, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_reserved_gdt_blocks) == 206, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_last_orphan) == 232, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_desc_size) == 254, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_mkfs_time) == 264, "sb layout");
_Static_assert(offsetof(struct ext2_super_disk, s_reserved) == 336, "sb layout");
_Static_assert(sizeof(struct ext2_group_desc_disk) == EXT2_GROUP_DESC_SIZE, "gd size");
_Static_assert(offsetof(struct ext2_group_desc_disk, bg_inode_table) == 8, "gd layout");
_Static_assert(offsetof(struct ext2_group_desc_disk, bg_free_blocks_count) == 12, "gd layout");
_Static_assert(offsetof(struct ext2_group_desc_disk, bg_used_dirs_count) == 16, "gd layout");
_Static_assert(sizeof(struct ext2_inode_disk) == EXT2_GOOD_OLD_INODE_SIZE, "inode size");
_Static_assert(offsetof(struct ext2_inode_disk, i_links_count) == 26, "inode layout");
_Static_assert(offsetof(struct ext2_inode_disk, i_blocks) == 28, "inode layout");
_Static_assert(offsetof(struct ext2_inode_disk, i_block) == 40, "inode layout");
_Static_assert(offsetof(struct ext2_inode_disk, i_generation) == 100, "inode layout");
_Static_assert(offsetof(struct ext2_inode_disk, i_size_high) == 108, "inode layout");
_Static_assert(offsetof(struct ext2_inode_disk, i_uid_high) == 120, "inode layout");
_Static_assert(offsetof(struct ext2_dirent_disk, rec_len) == 4, "dirent layout");
_Static_assert(offsetof(struct ext2_dirent_disk, name) == EXT2_DIRENT_HEADER, "dirent layout");

/* Little-endian loads from a byte buffer of any alignment. */
static inline uint16_t ext2_le16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] | (b[1] << 8));
}

static inline uint32_t ext2_le32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
}

/* Little-endian stores, for the writers of on-disk structures. */
static inline void ext2_put16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v;
    b[1] = (uint8_t)(v >> 8);
}

static inline void ext2_put32(void *p, uint32_t v)
{
    ext2_put16(p, (uint16_t)v);
    ext2_put16((uint8_t *)p + 2, (uint16_t)(v >> 16));
}

/* A field of on-disk structure TYPE (e.g. ext2_super_disk) in raw bytes. */
#define EXT2_GET16(raw, type, field) \
    ext2_le16((const uint8_t *)(raw) + offsetof(struct type, field))
#define EXT2_GET32(raw, type, field) \
    ext2_le32((const uint8_t *)(raw) + offsetof(struct type, field))

/* ---- the superblock -------------------------------------------------------- */

/* What the driver needs, derived from a superblock ext2_sb_check accepted. */
struct ext2_info {
    uint32_t rev_level;                 /* 0 or 1 */
    uint32_t block_size;                /* 1024, 2048 or 4096 */
    uint32_t block_shift;               /* 10, 11 or 12 */
    uint32_t blocks_count;
    uint32_t inodes_count;
    uint32_t first_data_block;          /* 1 with 1 KiB blocks, else 0 */
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t group_count;
    uint32_t desc_per_block;            /* group descriptors in one block */
    uint32_t desc_blocks;               /* blocks the descriptor table takes */
    uint32_t reserved_gdt_blocks;       /* after the table, with RESIZE_INODE; else 0 */
    uint32_t inode_size;                /* 128 for revision 0 */
    uint32_t inodes_per_block;
    uint32_t inode_table_blocks;        /* per group */
    uint32_t first_ino;                 /* first non-reserved inode (11 for rev 0) */
    uint32_t addr_per_block;            /* block numbers in an indirect block */
    uint32_t addr_shift;                /* log2(addr_per_block) */
    uint32_t feature_compat;
    uint32_t feature_incompat;
    uint32_t feature_ro_compat;
    uint32_t incompat_unsupported;      /* bits that refuse the mount (ext2_sb_check: -EINVAL) */
    uint32_t ro_compat_unsupported;     /* bits that make the mount read-only */
    bool filetype;                      /* INCOMPAT_FILETYPE: file_type in dir entries */
    bool sparse_super;                  /* RO_COMPAT_SPARSE_SUPER */
    bool large_file;                    /* RO_COMPAT_LARGE_FILE */
    bool read_only;                     /* unknown RO_COMPAT bits: mount read-only */
};

/*
 * Checks the superblock sb (EXT2_SUPER_SIZE bytes read from byte
 * EXT2_SUPER_OFFSET of a device of device_bytes bytes) and fills *info.
 *
 * Accepts revisions 0 and 1, blocks of 1, 2 or 4 KiB with fragments equal
 * to blocks, nonzero blocks and inodes per group that one bitmap block can
 * describe, an inode table of whole blocks, counts that agree with each
 * other (inodes_count = groups * inodes_per_group) and with the device
 * (blocks_count * block_size <= device_bytes), s_first_data_block 1 for 1
 * KiB blocks and 0 otherwise, a power-of-two inode size in [128, block
 * size] and a first inode past the reserved ones (revision 1).
 *
 * *reason is always set: NULL when the file system is fully supported;
 * otherwise a static text. On -EINVAL it names what is wrong ("bad
 * magic", ...) or, for an unsupported INCOMPAT feature, is that feature's
 * name (ext2_feature_name) with every such bit in info->incompat_unsupported.
 * On 0 with info->read_only set it is the name of the lowest unsupported
 * RO_COMPAT feature (all of them in info->ro_compat_unsupported).
 *
 * Returns 0 (the file system may be used; read-only if info->read_only) or
 * -EINVAL (refused; *info then holds what was decoded so far).
 */
int ext2_sb_check(const void *sb, uint64_t device_bytes, struct ext2_info *info,
                  const char **reason);

/*
 * The name of one feature bit (bit 0..31) of a set, as e2fsprogs' tools
 * print it ("filetype", "sparse_super", "extent", ...), or "unknown
 * INCOMPAT feature" (etc.) for a bit without a name: the bit itself is in
 * ext2_info's *_unsupported mask for the caller's message. Never NULL.
 */
const char *ext2_feature_name(enum ext2_feature_set set, unsigned bit);

/*
 * True when group holds a copy of the superblock and the group descriptor
 * table: every group without SPARSE_SUPER; with it groups 0, 1 and the
 * powers of 3, 5 and 7. False for group >= info->group_count.
 */
bool ext2_group_has_super(const struct ext2_info *info, uint32_t group);

/* ---- group descriptors ----------------------------------------------------- */

struct ext2_group {
    uint32_t block_bitmap;
    uint32_t inode_bitmap;
    uint32_t inode_table;
    uint32_t free_blocks;
    uint32_t free_inodes;
    uint32_t used_dirs;
    uint32_t first_block;               /* the group's range [first_block, last_block] */
    uint32_t last_block;
};

/*
 * Where group's descriptor is: block *block (of the primary table, right
 * after the superblock's block), byte *offset inside it.
 * Returns 0, or -EINVAL for group >= info->group_count.
 */
int ext2_group_desc_pos(const struct ext2_info *info, uint32_t group, uint32_t *block,
                        uint32_t *offset);

/*
 * Decodes group's descriptor (EXT2_GROUP_DESC_SIZE bytes at raw) into *gd
 * and validates it: both bitmaps and the whole inode table inside the
 * group's block range, none of them on the group's superblock copy,
 * descriptor table or reserved descriptor blocks, and none overlapping
 * another; free counts no larger than the group's.
 * Returns 0, -EINVAL for group >= info->group_count, -EUCLEAN for a damaged
 * descriptor.
 */
int ext2_group_parse(const struct ext2_info *info, uint32_t group, const void *raw,
                     struct ext2_group *gd);

/* ---- inodes ---------------------------------------------------------------- */

struct ext2_inode {
    uint32_t ino;
    uint16_t mode;                      /* type and permission bits */
    uint16_t links;
    uint32_t uid, gid;                  /* 32-bit, with the high halves */
    uint64_t size;                      /* with i_size_high for regular files */
    uint32_t atime, ctime, mtime, dtime;
    uint32_t blocks;                    /* 512-byte units */
    uint32_t flags;
    uint32_t generation;
    uint32_t file_acl;
    uint32_t block[EXT2_N_BLOCKS];      /* block pointers; raw bytes for fast symlinks */
    bool fast_symlink;                  /* the target is in block[] (ext2_inode_symlink) */
};

/* The group inode ino belongs to. -EINVAL for ino 0 or > inodes_count. */
int ext2_inode_group(const struct ext2_info *info, uint32_t ino, uint32_t *group);

/*
 * Where inode ino is: block *block, byte *offset inside it; gd is the
 * parsed descriptor of its group (ext2_inode_group).
 * Returns 0, -EINVAL for ino 0 or > inodes_count or a gd of another group.
 */
int ext2_inode_pos(const struct ext2_info *info, uint32_t ino, const struct ext2_group *gd,
                   uint32_t *block, uint32_t *offset);

/*
 * Decodes inode ino from raw (info->inode_size bytes, of which the first 128
 * are read) into *inode. The size takes i_size_high as the high 32 bits for
 * regular files (as Linux does; LARGE_FILE is what allows it to be nonzero)
 * and ignores it (i_dir_acl) for the others. A symlink is fast, its target
 * in block[], when it owns no data blocks: i_blocks, less the
 * extended-attribute block if i_file_acl is set, is 0 (Linux's rule).
 * Returns 0, or -EUCLEAN when the mode has no valid file type, a fast
 * symlink is longer than EXT2_FAST_SYMLINK_MAX, a slow one is not shorter
 * than a block, or a directory's size is not whole blocks.
 */
int ext2_inode_parse(const struct ext2_info *info, uint32_t ino, const void *raw,
                     struct ext2_inode *inode);

/* The target of a fast symlink: inode->size bytes (no NUL) at the return. */
static inline const char *ext2_inode_symlink(const struct ext2_inode *inode)
{
    return (const char *)inode->block;
}

/* EXT2_FT_* for a mode's file type (EXT2_FT_UNKNOWN for none). */
unsigned ext2_ft_from_mode(uint32_t mode);

/* ---- block mapping --------------------------------------------------------- */

/*
 * Reads block (< info->blocks_count) into buf (info->block_size bytes).
 * Returns 0 or a negative errno, which the caller of ext2_bmap gets back.
 */
typedef int (*ext2_read_block_fn)(void *ctx, uint32_t block, void *buf);

/*
 * Maps block file_block of inode to a block of the file system in *phys, 0
 * for a hole, walking direct, single, double and triple indirect pointers;
 * every indirect block is read with read_block(ctx, n, scratch) into
 * scratch (info->block_size bytes). At most three reads; a pointer to the
 * inode's own path (an indirect block naming itself or an ancestor) is
 * reported as damage, so a loop can neither hang nor be followed.
 * Returns 0, -EINVAL for an inode without block pointers (devices, FIFOs,
 * sockets, fast symlinks), -EFBIG for a file_block beyond triple
 * indirection, -EUCLEAN for a pointer outside [first_data_block,
 * blocks_count) or a cycle, or the callback's error.
 */
int ext2_bmap(const struct ext2_info *info, const struct ext2_inode *inode,
              uint64_t file_block, ext2_read_block_fn read_block, void *ctx,
              void *scratch, uint32_t *phys);

/* ---- directory blocks ------------------------------------------------------ */

struct ext2_dirent {
    uint32_t inode;                     /* never 0: unused entries are skipped */
    uint32_t offset;                    /* of the entry in the block */
    uint16_t rec_len;
    uint16_t name_len;
    unsigned file_type;                 /* EXT2_FT_*; EXT2_FT_UNKNOWN without FILETYPE */
    const char *name;                   /* name_len bytes inside the block, no NUL */
};

/* Iterates over the entries of one directory block (caller-owned bytes). */
struct ext2_dir_iter {
    const struct ext2_info *info;
    const uint8_t *block;
    uint32_t pos;
};

/* Starts iterating over block (info->block_size bytes, read by the caller). */
void ext2_dir_iter_init(struct ext2_dir_iter *it, const struct ext2_info *info,
                        const void *block);

/*
 * The next used entry in *ent. Each entry, used or not, must have a
 * 4-aligned rec_len of at least 8 + name_len rounded up to 4 that does not
 * cross the block; a used one a name of 1..255 bytes, an inode number <=
 * inodes_count, and (with FILETYPE) a file_type <= EXT2_FT_MAX. Without
 * FILETYPE name_len is 16 bits (revision 0's layout) and file_type is
 * reported as EXT2_FT_UNKNOWN.
 * Returns 1 with *ent filled, 0 at the end of the block, -EUCLEAN for a
 * damaged entry (the iterator then stays at that entry).
 */
int ext2_dir_next(struct ext2_dir_iter *it, struct ext2_dirent *ent);

/* ---- writing: block and inode bitmaps --------------------------------------- */

/* Bit n of a bitmap block (bit 0 = the lowest bit of byte 0, as ext2 has it). */
static inline bool ext2_bit_test(const void *bitmap, uint32_t n)
{
    return (((const uint8_t *)bitmap)[n >> 3] >> (n & 7)) & 1u;
}

static inline void ext2_bit_set(void *bitmap, uint32_t n)
{
    ((uint8_t *)bitmap)[n >> 3] |= (uint8_t)(1u << (n & 7));
}

static inline void ext2_bit_clear(void *bitmap, uint32_t n)
{
    ((uint8_t *)bitmap)[n >> 3] &= (uint8_t)~(1u << (n & 7));
}

/*
 * Finds a clear bit among the first nbits of bitmap, goal-directed: goal
 * itself if clear, else the first clear bit after goal (so a file's next
 * block follows its previous one), else the first clear bit from 0 (the
 * search wraps once). A goal >= nbits counts as 0.
 * Returns 0 with *found set, or -ENOSPC when all nbits are set.
 */
int ext2_bitmap_find(const void *bitmap, uint32_t nbits, uint32_t goal, uint32_t *found);

/* How many of the first nbits of bitmap are clear. */
uint32_t ext2_bitmap_count_free(const void *bitmap, uint32_t nbits);

/* Blocks group holds: blocks_per_group except for a shorter last group. */
uint32_t ext2_group_nblocks(const struct ext2_info *info, uint32_t group);

/* ---- writing: encoders (the inverse of the parsers) -------------------------- */

/*
 * Writes *gd's bitmap and table positions and its three counts into the
 * descriptor at raw (EXT2_GROUP_DESC_SIZE bytes), leaving its other bytes
 * as they are. Counts above 65535 are clamped (cannot happen for a group
 * ext2_group_parse accepted).
 */
void ext2_group_encode(const struct ext2_group *gd, void *raw);

/*
 * Writes *inode into raw (info->inode_size bytes; only the first 128 are
 * touched, and of those the fields this layer does not decode - osd1,
 * faddr, frag, fsize - are left as they are): mode, uid/gid with their high
 * halves, size (the high 32 bits into i_size_high for regular files; for
 * the others i_dir_acl is left alone), times, links, blocks, flags,
 * generation, file_acl, and block[] (as bytes for a fast symlink, as
 * little-endian numbers otherwise). Returns 0, or -EFBIG for a size of 4
 * GiB or more on a non-regular file, or a regular file of 2 GiB or more
 * when the file system lacks LARGE_FILE (the caller then sets the feature
 * with ext2_sb_encode first).
 */
int ext2_inode_encode(const struct ext2_info *info, const struct ext2_inode *inode, void *raw);

/* The superblock fields a mounted file system changes. */
struct ext2_sb_dyn {
    uint32_t free_blocks;
    uint32_t free_inodes;
    uint32_t mtime;                     /* last mount */
    uint32_t wtime;                     /* last write */
    uint16_t mnt_count;
    uint16_t max_mnt_count;
    uint16_t state;                     /* EXT2_VALID_FS | EXT2_ERROR_FS */
    uint32_t feature_ro_compat;         /* LARGE_FILE is set when a file grows past 2 GiB */
};

#define EXT2_VALID_FS   0x0001u         /* s_state: cleanly unmounted */
#define EXT2_ERROR_FS   0x0002u         /* s_state: errors detected */

/* Reads the dynamic fields of superblock sb (EXT2_SUPER_SIZE bytes). */
void ext2_sb_dyn_parse(const void *sb, struct ext2_sb_dyn *dyn);
/*
 * Writes *dyn into sb, leaving every other byte as it is; feature_ro_compat
 * only for revision 1 (revision 0 has no feature fields).
 */
void ext2_sb_dyn_encode(const struct ext2_info *info, const struct ext2_sb_dyn *dyn, void *sb);

/* ---- writing: indirect blocks ------------------------------------------------ */

/*
 * The route to file block file_block: *depth indirect levels (0 direct,
 * 1 single, 2 double, 3 triple); idx[0] the slot in i_block (0..14),
 * idx[1..depth] the slot in each indirect block on the way down.
 * Returns 0 or -EFBIG beyond triple indirection.
 */
int ext2_block_route(const struct ext2_info *info, uint64_t file_block, unsigned *depth,
                     uint32_t idx[4]);

/*
 * The first file block a slot of i_block maps (slot 0..14): 0..11 for the
 * direct ones, 12 for the single indirect tree, and so on; and in *span
 * how many file blocks that slot's tree covers.
 */
uint64_t ext2_slot_first_block(const struct ext2_info *info, unsigned slot, uint64_t *span);

/*
 * Checks an indirect block before the driver follows or frees what it
 * names: every nonzero pointer inside [first_data_block, blocks_count) and
 * none equal to self or one of the n ancestors (the indirect blocks above
 * it), so a damaged chain can neither leave the device nor loop.
 * Returns 0 or -EUCLEAN.
 */
int ext2_ind_check(const struct ext2_info *info, const void *blk, uint32_t self,
                   const uint32_t *ancestors, unsigned n);

/* ---- writing: directory blocks ----------------------------------------------- */

/* Bytes a directory entry with a name of name_len needs: 8 + name_len rounded to 4. */
static inline uint32_t ext2_dirent_need(uint32_t name_len)
{
    return EXT2_DIRENT_HEADER + ((name_len + 3u) & ~3u);
}

/* Makes block one unused entry spanning it (a new directory block). */
void ext2_dir_block_init(const struct ext2_info *info, void *block);

/*
 * Makes block the first block of a new directory: "." (self) and ".."
 * (parent), the latter's rec_len reaching the end of the block.
 */
void ext2_dir_block_init_dots(const struct ext2_info *info, void *block, uint32_t self,
                              uint32_t parent);

/*
 * Finds name (len bytes) among the used entries of block. Returns 1 with
 * *ent filled, 0 if absent, -EUCLEAN for a damaged block.
 */
int ext2_dir_find(const struct ext2_info *info, const void *block, const char *name,
                  uint32_t len, struct ext2_dirent *ent);

/*
 * Adds entry (name, len, ino, file_type) to block if it has room: in an
 * unused entry big enough, or by splitting a used entry whose rec_len
 * exceeds what its name needs. The file type is written only with
 * FILETYPE (without it the name length takes both bytes). Does not check
 * for a duplicate name (ext2_dir_find). Returns 0 with *offset the new
 * entry's, -ENOSPC when the block has no room, -EINVAL for a bad name
 * length, -EUCLEAN for a damaged block (left unchanged).
 */
int ext2_dir_insert(const struct ext2_info *info, void *block, const char *name, uint32_t len,
                    uint32_t ino, unsigned file_type, uint32_t *offset);

/*
 * Removes the used entry at offset: merged into the entry before it (its
 * rec_len grows), or, first in the block, its inode set to 0.
 * Returns 0, -ENOENT when no used entry starts at offset, -EUCLEAN for a
 * damaged block.
 */
int ext2_dir_remove(const struct ext2_info *info, void *block, uint32_t offset);

/*
 * Points the used entry at offset at another inode (rename over an
 * existing name, a moved directory's ".."), with file_type under FILETYPE.
 * Returns 0, -ENOENT when no used entry starts at offset, -EUCLEAN.
 */
int ext2_dir_set_inode(const struct ext2_info *info, void *block, uint32_t offset,
                       uint32_t ino, unsigned file_type);

/*
 * Whether block holds used entries other than "." and "..": 1 yes, 0 no,
 * -EUCLEAN damaged.
 */
int ext2_dir_block_has_names(const struct ext2_info *info, const void *block);

#endif
