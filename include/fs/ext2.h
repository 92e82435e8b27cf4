/*
 * include/fs/ext2.h - the ext2 file-system driver: fs type "ext2" on the
 * VFS (include/fs/vfs.h), metadata through the buffer cache
 * (include/fs/bcache.h), file data through the page cache
 * (include/fs/pagecache.h), the on-disk format through the pure layer
 * (include/fs/ext2_disk.h).
 *
 * Part of fs. src/fs/ext2.c: mount, superblock, group descriptors, block
 * and inode allocation, sync, statfs, unmount; src/fs/ext2_inode.c: inodes
 * (read, write, evict), the block map with allocation (get_block) and
 * truncation, setattr, readlink; src/fs/ext2_dir.c: directories (lookup,
 * create, mkdir, mknod, symlink, link, unlink, rmdir, rename, iterate).
 * The declarations below ext2_init are the driver's internals, shared by
 * those three files only.
 *
 * Locking: one mutex per mounted file system, ext2_fs.lock [s], guards
 * every piece of its metadata: the parsed group descriptors and the
 * superblock counts, the bytes of every buffer-cache block of the file
 * system (bitmaps, descriptor table, inode tables, indirect and directory
 * blocks) and each in-core inode's on-disk form (ext2_inode_mem.di). It is
 * the innermost of the VFS's order (inode->lock > mapping lock > [s]): the
 * code holding it never calls back into the VFS or the page cache
 * (inode_get, inode_put, pagecache_*) - it takes it, works on blocks, and
 * drops it. The VFS inode's own fields ([l] in vfs.h) are written under
 * inode->lock as the VFS arranges.
 *
 * Damage (a block number out of range, a loop in indirect blocks, a
 * directory entry crossing its block, a bitmap that disagrees with the
 * descriptors): the operation fails with -EUCLEAN after a pr_err line
 * naming the device and the structure; the superblock gets EXT2_ERROR_FS
 * at unmount. A group whose bitmap disagrees with its descriptor's count
 * is logged once and then skipped by the allocators (-EUCLEAN only when no
 * other group can serve). Nothing is written outside the device: every block number
 * is checked against blocks_count before use.
 */
#ifndef BASALT_FS_EXT2_H
#define BASALT_FS_EXT2_H

#include <fs/ext2_disk.h>
#include <fs/vfs.h>
#include <sched/sync.h>

struct buf;

/*
 * Registers fs type "ext2" with the VFS. Boot, from vfs_init (or a test
 * before its first mount); calling it again is harmless.
 * Returns 0 or -errno from vfs_register_fs.
 */
int ext2_init(void);

/* ---- driver internals (src/fs/ext2*.c only) ------------------------------------ */

#define EXT2_LINK_MAX   32000u

/* One mounted ext2. Legend: [c] constant while mounted; [s] lock. */
struct ext2_fs {
    struct mutex lock;                  /* the [s] lock */
    struct super_block *sb;             /* [c] */
    struct blk_dev *bdev;               /* [c] */
    struct ext2_info info;              /* [c]; large_file and feature_ro_compat [s] */
    struct ext2_group *groups;          /* [s] the parsed descriptors */
    bool *group_bad;                    /* [s] a group whose bitmap disagreed: skipped */
    struct buf **gd_bufs;               /* [c] the descriptor table's blocks, referenced */
    struct buf *sb_buf;                 /* [c] the block holding the primary superblock */
    uint32_t sb_off;                    /* [c] the superblock's offset in it */
    struct ext2_sb_dyn dyn;             /* [s] counts, times, state */
    uint16_t mount_state;               /* [s] s_state when made read-write (restored when clean) */
    uint32_t r_blocks;                  /* [c] blocks reserved for root */
    uint32_t generation;                /* [s] next i_generation */
    bool errors;                        /* [s] damage seen: EXT2_ERROR_FS at unmount */
};

/* The in-core inode: the VFS's, then ext2's. Legend as above. */
struct ext2_inode_mem {
    struct inode vfs;
    struct ext2_inode di;               /* [s] on-disk form: block[], flags, dtime, ... */
    uint32_t alloc_goal;                /* [s] where the next block is wanted (0: none yet) */
    uint32_t dir_hint;                  /* [s] first directory block that may have room */
    struct ext2_dx *dx;                 /* [s] a large directory's name index, or NULL */
    bool fresh;                         /* [s] never written: write_inode zeroes the slot */
};

static inline struct ext2_fs *ext2_fs_of(struct super_block *sb)
{
    return sb->priv;
}

static inline struct ext2_inode_mem *ext2_i(struct inode *inode)
{
    return container_of(inode, struct ext2_inode_mem, vfs);
}

/* Logs damage on fs (pr_err naming the device, then the message) and returns -EUCLEAN. [s] held. */
int ext2_damage(struct ext2_fs *fs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The buffer of block (< blocks_count, else damage), read. NULL with *err. [s] held. */
struct buf *ext2_bread(struct ext2_fs *fs, uint32_t block, int *err);
/* The same for a block about to be overwritten whole: zeroed, not read. [s] held. */
struct buf *ext2_bzero(struct ext2_fs *fs, uint32_t block, int *err);

/* Allocation ([s] held). Block: at or after goal, its group first, then the
 * next groups; -ENOSPC when full, -EUCLEAN when only damaged groups had room. */
int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
/* Frees block; meta: it may sit in the buffer cache (its dirty copy is written first). */
int ext2_free_block(struct ext2_fs *fs, uint32_t block, bool meta);
/* An inode number: files near their parent's group, directories spread out. */
int ext2_alloc_ino(struct ext2_fs *fs, uint32_t parent_ino, bool dir, uint32_t *out);
int ext2_free_ino(struct ext2_fs *fs, uint32_t ino, bool dir);

/* Encodes the superblock's dynamic fields into its buffer and dirties it. [s] held. */
void ext2_sb_dirty(struct ext2_fs *fs);

/* ---- ext2_inode.c */
int ext2_read_inode(struct inode *inode);
int ext2_write_inode(struct inode *inode);
void ext2_evict_inode(struct inode *inode);
struct inode *ext2_alloc_inode(struct super_block *sb);
void ext2_free_inode_mem(struct inode *inode);
/* Writes inode's fields into its table slot (buffer dirtied). [s] held. */
int ext2_write_inode_locked(struct ext2_fs *fs, struct inode *inode);
/*
 * Maps file block fb of inode to *phys (0: a hole when !create); with
 * create allocates what is missing (indirect blocks zeroed), adds to
 * inode->blocks and sets *created. [s] held.
 */
int ext2_map_locked(struct ext2_fs *fs, struct inode *inode, uint64_t fb, bool create,
                    uint32_t *phys, bool *created);
/* Frees every block of inode from file block from on (indirect ones included). [s] held. */
int ext2_truncate_locked(struct ext2_fs *fs, struct inode *inode, uint64_t from);
/* Sets iops/fops/aops for inode's type. */
void ext2_set_ops(struct inode *inode);
/* Stores a device number in a device inode's i_block (Linux's old or new form). */
void ext2_set_rdev(struct ext2_inode_mem *ei, kdev_t rdev);
extern const struct pc_aops ext2_aops;
extern const struct inode_ops ext2_file_iops;           /* regular files: setattr */
extern const struct inode_ops ext2_symlink_iops;
/* inode_ops.setattr (truncate frees blocks) and .readlink; inode->lock held. */
int ext2_setattr(struct inode *inode, const struct iattr *attr);
ssize_t ext2_readlink(struct inode *inode, char *buf, size_t len);

/* ---- ext2_dir.c */
extern const struct inode_ops ext2_dir_iops;
extern const struct file_ops ext2_dir_fops;
/* Frees a directory's in-memory name index (the inode is going away). */
void ext2_dx_free(struct ext2_inode_mem *ei);

#endif
