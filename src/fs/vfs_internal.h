/*
 * src/fs/vfs_internal.h - what the VFS's files (vfs_obj.c, vfs_namei.c,
 * vfs_mount.c, vfs_ops.c) share.
 *
 * Part of fs; not for other modules (they use include/fs/vfs.h).
 */
#ifndef BASALT_FS_VFS_INTERNAL_H
#define BASALT_FS_VFS_INTERNAL_H

#include <fs/vfs.h>

/* ---- locks (see the lock order in include/fs/vfs.h) */
extern struct mutex vfs_mount_lock;     /* mount tree changes, fs registry, sb list */
extern struct mutex vfs_rename_lock;    /* one cross-directory rename at a time */
extern spinlock_t dcache_lock;          /* dentry refs, flags, hash, children, LRU */
extern spinlock_t inode_hash_lock;      /* inode refs, flags, hash, sb lists */
extern spinlock_t mount_hash_lock;      /* mount hash, mount->parent/mountpoint reads, mount list */

/* ---- vfs_namei.c: credentials */
/* Is gid cr's group or one of its supplementary groups? */
bool vfs_cred_in_group(const struct cred *cr, uint32_t gid);

/* ---- vfs_obj.c: dentries */
/* Allocates a negative, unhashed dentry named name under parent (referenced; NULL: a root). */
struct dentry *d_alloc(struct super_block *sb, struct dentry *parent, const char *name, size_t len);
/* The hashed dentry (parent, name), referenced, or NULL. Takes dcache_lock. */
struct dentry *d_lookup(struct dentry *parent, const char *name, size_t len);
/* Inserts d (from d_alloc) into the hash and parent's children. Parent's inode->lock held. */
void d_add_hash(struct dentry *d);
/* Unhashes d and marks it DENTRY_DEAD (unlinked, rmdir'ed, renamed over). */
void d_drop(struct dentry *d);
/*
 * Moves d to (nparent, name) and rehashes it (rename; both directories
 * locked). copy: d_name_prealloc(len)'s buffer (taken before the fs's
 * rename, so the move cannot fail afterwards); NULL when NULL was returned.
 */
char *d_name_prealloc(size_t len);
void d_move(struct dentry *d, struct dentry *nparent, const char *name, size_t len, char *copy);
/* Frees d's unused negative children (after rmdir). The caller holds a reference on d. */
void d_prune_children(struct dentry *d);
/* Frees root's whole tree regardless of references (umount, after the busy checks). */
void d_kill_root(struct dentry *root);
/* The dentry's parent, referenced (dcache_lock taken inside). */
struct dentry *d_get_parent(struct dentry *d);

/* ---- vfs_obj.c: inodes and superblocks */
int vfs_objects_init(void);
/*
 * Writes back and frees every inode of sb (umount; the dentries are gone).
 * fs_calls false: a failed fill_super, whose fs state is gone; the inodes
 * are only freed (free_inode), not written or evicted.
 */
void inode_evict_sb(struct super_block *sb, bool fs_calls);
void vfs_sb_list_add(struct super_block *sb);   /* vfs_mount_lock held */
void vfs_sb_list_del(struct super_block *sb);   /* vfs_mount_lock held */
struct super_block *vfs_sb_alloc(const struct fs_type *t);
void vfs_sb_free(struct super_block *sb);
/* Is a superblock on bdev mounted? vfs_mount_lock held. */
bool vfs_bdev_mounted(struct blk_dev *bdev);

/* ---- vfs_mount.c */
void vfs_mount_init(void);
/* The mount sitting on (mnt, d), referenced, or NULL. */
struct mount *mnt_lookup_child(struct mount *mnt, struct dentry *d);
void mnt_ref(struct mount *m);
void mnt_put(struct mount *m);
/* Is p's mount read-only (mount or superblock flag)? */
bool mnt_is_rdonly(const struct mount *m);

/* ---- vfs_namei.c: the walk */
#define LAST_NORM   0
#define LAST_ROOT   1
#define LAST_DOT    2
#define LAST_DOTDOT 3

struct nameidata {
    struct path parent;             /* with LOOKUP_PARENT: the directory */
    char last[NAME_MAX + 1];        /* with LOOKUP_PARENT: the last name, NUL-terminated */
    size_t last_len;
    int last_type;                  /* LAST_* */
    bool trailing_slash;            /* the last component was followed by '/' */
};
int vfs_walk(struct vfs_ctx *ctx, const struct path *base, const char *path,
             unsigned flags, struct path *out, struct nameidata *nd);
/*
 * Finds name in directory dir (its inode->lock held by the caller): the
 * cached dentry or a new one filled by the fs's lookup (negative when
 * absent). Returns 0 with *out referenced, or -errno.
 */
int lookup_one_locked(struct dentry *dir, const char *name, size_t len, struct dentry **out);
/* The same, locking dir's inode when the name is not cached. */
int lookup_one(struct dentry *dir, const char *name, size_t len, struct dentry **out);

#endif
