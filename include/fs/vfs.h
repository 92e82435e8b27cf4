/*
 * include/fs/vfs.h - the virtual file system: superblocks, inodes, dentries,
 * mounts and open files, the path walk, and the operations Linux programs
 * use (open, read, write, stat, mkdir, rename, ...).
 *
 * Part of fs. Implemented in src/fs/vfs_*.c (objects, dcache, namei,
 * mount, ops). File systems (tmpfs, ext2, proc, sysfs, devtmpfs) register
 * a struct fs_type and fill in the operation tables below; file data of
 * regular files goes through the page cache (include/fs/pagecache.h),
 * metadata blocks through the buffer cache (include/fs/bcache.h).
 *
 * The objects (Linux's model):
 *   super_block  one mounted file system instance (one per device/tmpfs)
 *   inode        one file; cached per superblock by inode number
 *   dentry       one name in a directory -> inode (NULL inode: a negative
 *                entry, "known not to exist"); a global hash table keyed by
 *                (parent, name) makes lookups O(1) whatever the directory size
 *   mount        a superblock's root grafted on a dentry of another mount
 *   file         an open file: a path, a position, flags
 * Each is reference counted and freed when its last reference goes (inodes
 * and dentries of a live file system may stay cached, unreferenced, until
 * memory runs short or the file system is unmounted).
 *
 * Errors: every int-returning function returns 0 (or a count) or a negative
 * Linux errno with Linux's meaning: -ENOENT, -ENOTDIR, -EISDIR, -EEXIST,
 * -ENOTEMPTY, -EXDEV, -EBUSY, -ELOOP (more than SYMLOOP_MAX symlinks),
 * -ENAMETOOLONG (a component over NAME_MAX or a path over PATH_MAX),
 * -EACCES/-EPERM (permissions), -EROFS, -ENOSPC, -EINVAL, -EBADF (file not
 * open for that), -ENOMEM, -EIO/-EUCLEAN (device error/damaged file system).
 *
 * Context: thread context, no spinlock held; everything here may sleep.
 *
 * Lock order (outermost first):
 *   vfs_mount_lock (mutex: mount tree changes)
 *   > vfs_rename_lock (mutex: one cross-directory rename at a time)
 *   > inode->lock of directories, parent before child; two unrelated
 *     directories (rename) in address order
 *   > inode->lock of non-directories
 *   > the file system's own locks (ext2: its sb mutex) > page/buffer cache locks
 *   > dcache_lock, inode hash lock, mount hash lock (spinlocks, innermost)
 */
#ifndef BASALT_FS_VFS_H
#define BASALT_FS_VFS_H

#include <core/compiler.h>
#include <core/list.h>
#include <core/spinlock.h>
#include <sched/sync.h>
#include <uapi/fs.h>

struct blk_dev;
struct super_block;
struct inode;
struct dentry;
struct file;
struct mount;
struct vfs_ctx;
struct pc_mapping;

typedef int64_t ssize_t;

/* ---- device numbers inside the kernel (Linux's MKDEV: 12-bit major, 20-bit minor) */
typedef uint32_t kdev_t;
#define KDEV(major, minor)  ((kdev_t)(((major) << 20) | (minor)))
#define KDEV_MAJOR(d)       ((uint32_t)(d) >> 20)
#define KDEV_MINOR(d)       ((uint32_t)(d) & 0xfffffu)

/* ---- credentials: who is asking (issue 13 gives each process its own) */
struct cred {
    uint32_t uid, gid;              /* file-system ids (Linux's fsuid/fsgid) */
    uint32_t ngroups;
    uint32_t groups[16];            /* supplementary groups */
};
/* uid 0: bypasses read/write checks always, execute when any x bit is set (Linux). */
extern const struct cred vfs_root_cred;

/* ---- a point in the tree: a dentry on a mount. Holds a reference on both. */
struct path {
    struct mount *mnt;
    struct dentry *dentry;
};
void path_get(const struct path *p);    /* takes a reference on both */
void path_put(struct path *p);          /* drops both, sets them NULL */

/* ---- file-system types */
#define FS_REQUIRES_DEV 0x1             /* mount needs a block device source */

struct fs_type {
    const char *name;                   /* Linux's: "ext2", "tmpfs", "proc", "sysfs", "devtmpfs" */
    unsigned flags;                     /* FS_* */
    /*
     * Fills a new superblock: sb->ops, sb->root (an inode, referenced),
     * sb->magic, sb->block_size, sb->max_bytes, and anything private in
     * sb->priv. bdev is the device for FS_REQUIRES_DEV types (else NULL);
     * sb->flags has SB_RDONLY already when mounting read-only, and the
     * type may set it (ext2 with an unknown RO_COMPAT feature). data is
     * the -o option string ("" if none). Returns 0 or -errno (-EINVAL /
     * -EUCLEAN for an unusable image, with a log line saying why); on
     * error the VFS frees sb and the type must have released what it took.
     */
    int (*fill_super)(struct super_block *sb, struct blk_dev *bdev, const char *data);
    struct list_node link;              /* [vfs_mount_lock] in the registry */
};
/* Returns 0, or -EEXIST (name taken) / -EINVAL. At boot, from the fs's init. */
int vfs_register_fs(struct fs_type *t);
/* The registered type called name, or NULL. */
struct fs_type *vfs_find_fs(const char *name);
/* Calls fn for each registered type in registration order (procfs "filesystems"). */
void vfs_for_each_fs(void (*fn)(const struct fs_type *t, void *arg), void *arg);

/* ---- superblocks */
#define SB_RDONLY   0x1


struct super_ops {
    /*
     * Optional: allocate/free an inode with room for the fs's own data
     * (the fs embeds struct inode and uses container_of). Default: kzalloc
     * of struct inode. alloc must return a zeroed inode or NULL.
     */
    struct inode *(*alloc_inode)(struct super_block *sb);
    void (*free_inode)(struct inode *inode);
    /*
     * Fills a new in-core inode from disk: inode->ino is set on entry; the
     * fs sets mode, uid, gid, nlink, size, blocks, times, rdev, iops, fops,
     * aops. Returns 0 or -errno (-EUCLEAN: a damaged on-disk inode).
     * Required for file systems whose inodes are found by number (ext2).
     */
    int (*read_inode)(struct inode *inode);
    /* Writes a dirty inode's fields back (to the buffer cache). 0 or -errno. */
    int (*write_inode)(struct inode *inode);
    /*
     * The last reference to an inode with nlink == 0 is gone (and it is
     * not open anywhere): free its blocks and the on-disk inode. The page
     * cache pages are already dropped.
     */
    void (*evict_inode)(struct inode *inode);
    /* Writes the fs's metadata (bitmaps, group descriptors, superblock). */
    int (*sync_fs)(struct super_block *sb);
    int (*statfs)(struct super_block *sb, struct linux_statfs *st);
    /* Unmount: everything is synced and every inode evicted; release sb->priv. */
    void (*put_super)(struct super_block *sb);
    /* Optional: shows extra mount options for /proc/mounts ("errors=continue"). */
    void (*show_options)(struct super_block *sb, char *buf, size_t len);
    /*
     * Optional: a remount switches sb to read-only (SB_RDONLY in flags) or
     * read-write; called with vfs_mount_lock held, after a read-write sb
     * going read-only was synced, before sb->flags changes. Returns 0 to go
     * ahead or -errno to refuse (ext2: -EROFS when unknown RO_COMPAT
     * features keep it read-only); the fs updates its on-disk state.
     */
    int (*remount)(struct super_block *sb, unsigned flags);
};

/*
 * One mounted file-system instance.
 * Legend: [c] set by fill_super / mount, constant while mounted;
 * [h] inode hash lock (vfs internal spinlock); [m] vfs_mount_lock;
 * [a] atomic.
 */
struct super_block {
    const struct fs_type *type;         /* [c] */
    const struct super_ops *ops;        /* [c] */
    struct blk_dev *bdev;               /* [c] NULL for RAM/pseudo file systems */
    kdev_t dev;                         /* [c] st_dev: the block device's, or an anonymous 0:N */
    unsigned flags;                     /* [m] SB_RDONLY */
    uint32_t block_size;                /* [c] st_blksize and the page cache's block unit */
    uint64_t max_bytes;                 /* [c] largest file size (EFBIG beyond) */
    uint32_t magic;                     /* [c] statfs f_type */
    struct inode *root;                 /* [c] the root directory's inode, referenced */
    void *priv;                         /* [c] the file system's */
    uint32_t active;                    /* [m] mounts of this sb */
    struct list_node inodes;            /* [h] every in-core inode of this sb */
    struct list_node dirty_inodes;      /* [h] inodes with INODE_DIRTY */
    struct list_node link;              /* [m] in the superblock list */
};
/* Superblocks of all mounted file systems, for sync and the flusher. */
void vfs_for_each_sb(void (*fn)(struct super_block *sb, void *arg), void *arg);

/* ---- inodes */
struct inode_ops;
struct file_ops;
struct pc_aops;

#define INODE_DIRTY     0x1             /* fields changed since write_inode */
#define INODE_NEW       0x2             /* being filled by read_inode */
#define INODE_DEAD      0x4             /* evicted: on no list, about to be freed */

/*
 * One file. Legend: [c] constant after read_inode/creation; [l] inode->lock
 * (a mutex; for directories it serialises lookups of missing names and
 * every change to the directory, like Linux's i_rwsem); [h] inode hash lock;
 * [a] atomic; [pc] the page cache's locks (include/fs/pagecache.h).
 * Fields marked [l] may be read without the lock for stat (a torn read of
 * a changing size is tolerated, as in Linux).
 */
struct inode {
    struct super_block *sb;             /* [c] */
    uint64_t ino;                       /* [c] */
    uint32_t mode;                      /* [l] S_IFMT | permission bits */
    uint32_t uid, gid;                  /* [l] */
    uint32_t nlink;                     /* [l] */
    uint64_t size;                      /* [l] bytes */
    uint64_t blocks;                    /* [l] 512-byte units allocated (st_blocks) */
    struct linux_timespec atime, mtime, ctime;   /* [l] */
    kdev_t rdev;                        /* [c] device files */
    const struct inode_ops *iops;       /* [c] */
    const struct file_ops *fops;        /* [c] */
    const struct pc_aops *aops;         /* [c] page cache operations, NULL if none */
    struct pc_mapping *mapping;         /* [pc] the page cache's per-inode state, NULL until used */
    struct mutex lock;                  /* the [l] lock */
    uint32_t refs;                      /* [h] references (dentries, open files, the fs) */
    uint32_t open_count;                /* [a] open files (an unlinked open file lives on) */
    uint32_t flags;                     /* [h] INODE_* */
    void *priv;                         /* [l] the file system's */
    struct list_node hash_link;         /* [h] in the inode hash (sb, ino) */
    struct list_node sb_link;           /* [h] in sb->inodes */
    struct list_node dirty_link;        /* [h] in sb->dirty_inodes */
};

/*
 * Finds inode ino of sb in the cache or reads it (sb->ops->read_inode).
 * Returns 0 with *out referenced, or -errno (the read_inode error; -ENOMEM).
 */
int inode_get(struct super_block *sb, uint64_t ino, struct inode **out);
/*
 * A new inode for a file being created (or for a RAM file system): mode,
 * uid, gid from the arguments, nlink 1 (2 for directories), times = now,
 * ino as given (0: the VFS picks a unique number for RAM file systems).
 * Inserted in the cache, referenced once. NULL when out of memory.
 */
struct inode *inode_new(struct super_block *sb, uint64_t ino, uint32_t mode,
                        uint32_t uid, uint32_t gid);
void inode_ref(struct inode *inode);
/*
 * Drops a reference. At zero with nlink == 0 and not open: the page cache
 * is dropped, sb->ops->evict_inode runs, the inode is freed. At zero with
 * nlink > 0 it stays cached (written back first if dirty on unmount/reclaim).
 */
void inode_put(struct inode *inode);
/* Queues inode for write_inode (sync, the flusher, unmount). Any lock. */
void inode_mark_dirty(struct inode *inode);
/* Sets atime/mtime/ctime (bits VFS_TIME_*) to the wall clock now and marks dirty. */
#define VFS_TIME_A  0x1
#define VFS_TIME_M  0x2
#define VFS_TIME_C  0x4
void inode_touch(struct inode *inode, unsigned which);
struct linux_timespec vfs_now(void);
/* Writes a dirty inode now (write_inode). 0 or -errno. */
int inode_write_now(struct inode *inode);

/* ---- dentries */
#define DNAME_INLINE    40

#define DENTRY_MOUNTED  0x1             /* a mount sits on this dentry */
#define DENTRY_DEAD     0x2             /* unhashed (unlinked/renamed over) */

/*
 * One name. Legend: [d] dcache_lock (vfs internal spinlock); [p] the
 * parent directory inode's lock, for changes of name/parent/inode;
 * [a] atomic. A positive dentry references its inode; every dentry
 * references its parent.
 */
struct dentry {
    struct dentry *parent;              /* [p] itself for a file system root */
    struct inode *inode;                /* [p] NULL: negative */
    struct super_block *sb;             /* [c] */
    uint32_t hash;                      /* [p] of (parent, name) */
    uint32_t name_len;                  /* [p] */
    const char *name;                   /* [p] points at iname or a kmalloc'd copy */
    char iname[DNAME_INLINE];           /* [p] */
    uint32_t refs;                      /* [d] */
    uint32_t flags;                     /* [d] DENTRY_* */
    struct list_node hash_link;         /* [d] in the dcache hash table */
    struct list_node child_link;        /* [d] in parent->children */
    struct list_node children;          /* [d] cached children */
    struct list_node lru_link;          /* [d] unused dentries, oldest first, for reclaim */
    void *fsdata;                       /* [p] the file system's (tmpfs: its directory entry) */
};
/* Attaches inode (its reference passes to the dentry) to a negative dentry. */
void d_instantiate(struct dentry *d, struct inode *inode);
void dentry_ref(struct dentry *d);
void dentry_put(struct dentry *d);
/* Number of cached dentries (positive, negative) for /proc and tests. */
void dcache_counts(uint64_t *positive, uint64_t *negative);
/* Drops unused cached dentries (and with them unused inodes): memory reclaim. Returns how many. */
size_t dcache_shrink(size_t max);

/* ---- inode operations (directories, symlinks, setattr). Called with the
 * directory's inode->lock held (both directories' for rename); the VFS has
 * checked permissions, read-only mounts, name length and existence. */
struct iattr {
    unsigned valid;                     /* ATTR_* */
    uint32_t mode, uid, gid;
    uint64_t size;
    struct linux_timespec atime, mtime;
};
#define ATTR_MODE   0x01
#define ATTR_UID    0x02
#define ATTR_GID    0x04
#define ATTR_SIZE   0x08
#define ATTR_ATIME  0x10
#define ATTR_MTIME  0x20

struct inode_ops {
    /*
     * Looks d->name up in dir. Found: d_instantiate(d, inode) and 0. Not
     * there: 0 with d left negative (it is cached as such). Else -errno.
     */
    int (*lookup)(struct inode *dir, struct dentry *d);
    /* Create a regular file / directory / device, fifo or socket node / symlink
     * named by negative d in dir; on success d is instantiated. -ENOSPC etc. */
    int (*create)(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr);
    int (*mkdir)(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr);
    int (*mknod)(struct inode *dir, struct dentry *d, uint32_t mode, kdev_t rdev, const struct cred *cr);
    int (*symlink)(struct inode *dir, struct dentry *d, const char *target, const struct cred *cr);
    /* A new name d in dir for old's inode (not a directory; nlink < the fs's maximum, else -EMLINK). */
    int (*link)(struct dentry *old, struct inode *dir, struct dentry *d);
    /* Removes the name (nlink drops; the inode lives while referenced). */
    int (*unlink)(struct inode *dir, struct dentry *d);
    /* Removes an empty directory (-ENOTEMPTY otherwise). */
    int (*rmdir)(struct inode *dir, struct dentry *d);
    /*
     * Moves od (in odir) to nd (in ndir). nd may be positive: the VFS has
     * checked that types agree (-EISDIR/-ENOTDIR), that od is not an
     * ancestor of nd (-EINVAL) and neither is a mount point (-EBUSY); the fs
     * replaces nd's inode (a directory only if empty, else -ENOTEMPTY) and
     * fixes ".." and link counts. The VFS moves the dentries afterwards.
     */
    int (*rename)(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd);
    /* Copies the link target (no NUL) into buf, at most len bytes; returns its length. */
    ssize_t (*readlink)(struct inode *inode, char *buf, size_t len);
    /*
     * Applies attr (permission already checked; inode->lock held). Size
     * changes free/zero what lies past the new size (pagecache_truncate for
     * data, the fs's blocks). NULL: vfs_setattr_simple is used.
     */
    int (*setattr)(struct inode *inode, const struct iattr *attr);
    /*
     * Optional, for directories whose names come and go without the VFS
     * (proc's per-thread directories): called when a cached dentry d of
     * dir (positive or negative) is found, with or without dir's lock;
     * false: the name's state changed, so the VFS unhashes d and looks the
     * name up again. NULL: cached dentries are always valid.
     */
    bool (*revalidate)(struct inode *dir, struct dentry *d);
};
/* Copies the non-size fields of attr into inode, updates ctime, marks dirty. */
void vfs_setattr_simple(struct inode *inode, const struct iattr *attr);

/* ---- open files */
/*
 * Directory listing: the fs calls emit for each entry from ctx->pos on; emit
 * returns false when the caller's buffer is full, and the fs must then stop
 * with ctx->pos still naming that entry (so the next call starts there).
 * After an accepted entry the fs advances ctx->pos to the next entry's
 * cookie (any value < 2^63 the fs can seek to; "." and ".." are the fs's to
 * emit, first).
 */
struct dir_ctx {
    bool (*emit)(struct dir_ctx *ctx, const char *name, size_t len, uint64_t ino, unsigned dtype);
    uint64_t pos;
};

struct file_ops {
    /* Optional. Called by vfs_open after the permission checks. */
    int (*open)(struct inode *inode, struct file *f);
    /* Optional. The last reference to the open file is gone. */
    void (*release)(struct inode *inode, struct file *f);
    /* Reads/writes at *pos and advances it; returns bytes moved or -errno.
     * buf is kernel memory (the syscall layer bounces or opens a uaccess window). */
    ssize_t (*read)(struct file *f, void *buf, size_t len, uint64_t *pos);
    ssize_t (*write)(struct file *f, const void *buf, size_t len, uint64_t *pos);
    /* Optional; default: SEEK_SET/CUR/END against inode->size, -EINVAL below 0. */
    int64_t (*llseek)(struct file *f, int64_t off, int whence);
    /* Directories. */
    int (*iterate)(struct file *f, struct dir_ctx *ctx);
    /* Optional: data and inode to the device. Default: pagecache + inode write. */
    int (*fsync)(struct file *f);
    /* Optional (ttys, block devices): -ENOTTY when absent. */
    int (*ioctl)(struct file *f, unsigned long cmd, uintptr_t arg);
};

/*
 * An open file. Legend: [c] constant after open; [pl] pos_lock (a mutex
 * serialising read/write/lseek on one open file); [a] atomic.
 */
struct file {
    struct path path;                   /* [c] referenced */
    struct inode *inode;                /* [c] path.dentry->inode, referenced */
    const struct file_ops *fops;        /* [c] */
    unsigned flags;                     /* [pl] O_* (O_APPEND, O_NONBLOCK may change) */
    uint64_t pos;                       /* [pl] */
    struct mutex pos_lock;
    uint32_t refs;                      /* [a] */
    void *priv;                         /* the fs's or driver's */
    const struct cred *cred;            /* [c] the opener's (fchmod/fchown/futimens checks) */
};

/* ---- the caller's view: root, working directory, credentials, umask */
struct vfs_ctx {
    struct path root;                   /* referenced */
    struct path cwd;                    /* referenced */
    const struct cred *cred;
    uint32_t umask;                     /* 022 by default */
};
/*
 * The kernel's own context (the shell, boot code, initramfs unpacking):
 * root credentials, root and cwd at the root mount. Valid once a root is
 * mounted (vfs_mount_root); NULL before.
 */
struct vfs_ctx *vfs_kernel_ctx(void);
/* Copies ctx for a new process (references taken); vfs_ctx_release drops them. */
int vfs_ctx_clone(const struct vfs_ctx *src, struct vfs_ctx *dst);
void vfs_ctx_release(struct vfs_ctx *ctx);

/* ---- path walk */
#define LOOKUP_FOLLOW       0x1         /* follow a symlink in the last component */
#define LOOKUP_DIRECTORY    0x2         /* the last component must be a directory (-ENOTDIR) */
#define LOOKUP_PARENT       0x4         /* stop at the parent; the last name is returned */

/*
 * Walks path from ctx's root (absolute) or from base (relative; NULL means
 * ctx->cwd). "." and ".." (crossing mount points upwards, never above
 * ctx->root), repeated slashes, trailing slashes (the last component must
 * then be a directory), symlinks in the middle always and last only with
 * LOOKUP_FOLLOW, at most SYMLOOP_MAX in all (-ELOOP). Needs search (x)
 * permission on every directory passed. "" is -ENOENT.
 * Returns 0 with *out referenced (path_put it), or -errno.
 */
int vfs_lookup(struct vfs_ctx *ctx, const struct path *base, const char *path,
               unsigned flags, struct path *out);

/* ---- operations (Linux's system calls on kernel buffers). base: the
 * directory relative paths start from (NULL: ctx->cwd), standing for the
 * dirfd of the *at calls. */
int vfs_open(struct vfs_ctx *ctx, const struct path *base, const char *path,
             int flags, uint32_t mode, struct file **out);
/* Opens an already found path (devfs, exec). */
int vfs_open_path(struct vfs_ctx *ctx, const struct path *p, int flags, struct file **out);
void file_ref(struct file *f);
/* Drops a reference; the last one releases the file (close). */
void file_put(struct file *f);
ssize_t vfs_read(struct file *f, void *buf, size_t len);
ssize_t vfs_write(struct file *f, const void *buf, size_t len);
ssize_t vfs_pread(struct file *f, void *buf, size_t len, uint64_t off);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t len, uint64_t off);
/* Returns the new position or -errno (-ESPIPE, -EINVAL, -ENXIO past the end for DATA/HOLE). */
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
/* Fills buf with struct linux_dirent64 records; returns bytes, 0 at the end, -EINVAL if buf is too small for one. */
ssize_t vfs_getdents(struct file *f, void *buf, size_t len);
int vfs_fstat(struct file *f, struct linux_stat *st);
int vfs_ftruncate(struct file *f, uint64_t len);
int vfs_fsync(struct file *f);
int vfs_fchmod(struct file *f, uint32_t mode);
int vfs_fchown(struct file *f, uint32_t uid, uint32_t gid);     /* (uint32_t)-1: unchanged */

/* flags: AT_SYMLINK_NOFOLLOW */
int vfs_stat(struct vfs_ctx *ctx, const struct path *base, const char *path, struct linux_stat *st, int flags);
int vfs_access(struct vfs_ctx *ctx, const struct path *base, const char *path, int mode);
int vfs_mkdir(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t mode);
int vfs_mknod(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t mode, kdev_t dev);
int vfs_rmdir(struct vfs_ctx *ctx, const struct path *base, const char *path);
int vfs_unlink(struct vfs_ctx *ctx, const struct path *base, const char *path);
int vfs_rename(struct vfs_ctx *ctx, const struct path *obase, const char *oldpath,
               const struct path *nbase, const char *newpath);
/* flags: AT_SYMLINK_FOLLOW (follow a symlink oldpath) */
int vfs_link(struct vfs_ctx *ctx, const struct path *obase, const char *oldpath,
             const struct path *nbase, const char *newpath, int flags);
int vfs_symlink(struct vfs_ctx *ctx, const char *target, const struct path *base, const char *linkpath);
/* Returns the target's length (not NUL-terminated, truncated to len), -EINVAL if not a symlink. */
ssize_t vfs_readlink(struct vfs_ctx *ctx, const struct path *base, const char *path, char *buf, size_t len);
int vfs_truncate(struct vfs_ctx *ctx, const struct path *base, const char *path, uint64_t len);
int vfs_chmod(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t mode, int flags);
int vfs_chown(struct vfs_ctx *ctx, const struct path *base, const char *path, uint32_t uid, uint32_t gid, int flags);
/* times: NULL = both now; tv_nsec UTIME_NOW / UTIME_OMIT as utimensat(2). */
int vfs_utimens(struct vfs_ctx *ctx, const struct path *base, const char *path,
                const struct linux_timespec times[2], int flags);
int vfs_statfs(struct vfs_ctx *ctx, const struct path *base, const char *path, struct linux_statfs *st);
int vfs_chdir(struct vfs_ctx *ctx, const char *path);
/* Writes the absolute path of ctx->cwd (NUL-terminated); returns its length + 1, or -ERANGE. */
ssize_t vfs_getcwd(struct vfs_ctx *ctx, char *buf, size_t len);
/* Writes the absolute path of p as seen from ctx->root into buf (NUL-terminated); length or -ERANGE. */
ssize_t vfs_path_name(struct vfs_ctx *ctx, const struct path *p, char *buf, size_t len);
/* Writes every dirty page, inode and superblock to disk and flushes the devices. */
int vfs_sync(void);
int vfs_syncfs(struct super_block *sb);

/* ---- mounts */
#define MNT_RDONLY  0x1

/*
 * One mount. Legend: [c] constant while mounted; [m] vfs_mount_lock;
 * [a] atomic. refs counts paths (open files, working directories, walks
 * in progress) on this mount; umount refuses (-EBUSY) while any besides
 * the tree's own exist or while child mounts sit on it.
 */
struct mount {
    struct super_block *sb;             /* [c] */
    struct dentry *root;                /* [c] sb's root dentry, referenced */
    struct mount *parent;               /* [m] itself for the root mount */
    struct dentry *mountpoint;          /* [m] in parent, referenced */
    unsigned flags;                     /* [m] MNT_RDONLY */
    char source[32];                    /* [c] "/dev/vda", "tmpfs", "proc" (for /proc/mounts) */
    uint32_t refs;                      /* [a] */
    struct list_node link;              /* [m] in the mount list, mount order */
    struct list_node hash_link;         /* [m] in the (parent, mountpoint) hash */
};

/*
 * mount(2): source is "/dev/vda1" (looked up in the block layer by its
 * basename; a devfs node works too), or anything for pseudo file systems;
 * fstype a registered name (-ENODEV otherwise); flags MS_RDONLY (MS_REMOUNT
 * to change it on a mounted fs); data the -o string. target must be a
 * directory (-ENOTDIR). -EBUSY if the device is mounted already.
 */
int vfs_mount(struct vfs_ctx *ctx, const char *source, const char *target,
              const char *fstype, unsigned long flags, const char *data);
/*
 * umount2(2): -EINVAL if target is not a mount's root, -EBUSY while files
 * are open on it, a working directory is in it or mounts sit on it. Syncs
 * and releases the superblock when its last mount goes.
 */
int vfs_umount(struct vfs_ctx *ctx, const char *target, int flags);
/*
 * Mounts the first root ("/"): fstype on source (NULL for tmpfs) and sets
 * up vfs_kernel_ctx(). Boot only, once. 0 or -errno.
 */
int vfs_mount_root(const char *source, const char *fstype, unsigned long flags, const char *data);
/*
 * Calls fn for each mount in mount order with the mount point's path as
 * seen from ctx's root (for `mount`, /proc/mounts, df). vfs_mount_lock held:
 * fn must not mount, unmount or sleep for long.
 */
void vfs_for_each_mount(struct vfs_ctx *ctx,
                        void (*fn)(struct mount *m, const char *mountpoint, void *arg), void *arg);

/* ---- permissions */
/* May cr access inode with mask (R_OK|W_OK|X_OK)? 0 or -EACCES. Root as in Linux. */
int vfs_permission(const struct inode *inode, int mask, const struct cred *cr);

/* ---- helpers for file systems */
/* Fills st from inode's fields (and sb's dev, block size). */
void vfs_fill_stat(const struct inode *inode, struct linux_stat *st);
/* The default llseek (SEEK_SET/CUR/END against inode->size; DATA/HOLE as one extent). */
int64_t vfs_generic_llseek(struct file *f, int64_t off, int whence);
/* Allocates an anonymous device number 0:N for a superblock without a device. */
kdev_t vfs_anon_dev(void);

/* Registers the built-in file systems and their ktests' needs. Boot step; 0 or -errno. */
int vfs_init(void);

#endif
