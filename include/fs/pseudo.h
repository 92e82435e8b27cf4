/*
 * include/fs/pseudo.h - the shared machinery of the in-memory pseudo file
 * systems (proc, sysfs, devtmpfs): a tree of named nodes (directories,
 * generated files, symlinks, device nodes) and the VFS operations that
 * serve it.
 *
 * Part of fs. Each superblock owns one tree, built by the file system's
 * fill_super (pseudo_fill_super turns it into the superblock's root);
 * nodes are never looked up by the VFS except through their directory, and
 * inodes are found by number (pseudo_read_inode fills an inode from its
 * node). A generated file has a show function that writes its whole text
 * into a pseudo_buf when the file is opened; reads at any offset and
 * lseek (SEEK_END: the text's length) work on that snapshot, so one open
 * file sees one consistent text however it is read. stat shows the node's
 * size hint (0 in proc, 4096 in sysfs, as Linux). A symlink may be
 * generated too (its target made at each readlink), and a directory may
 * be dynamic: children made on demand by its pseudo_dir_ops when looked
 * up or listed, removed once what they stand for is gone.
 *
 * Writes: generated files have no write path; opening one for writing is
 * -EACCES, whoever asks (root too), and read-only trees refuse every
 * change of the tree with -EACCES (chmod/chown -EPERM). Trees made with
 * PSEUDO_WRITABLE (devtmpfs) take mkdir, mknod, symlink, unlink, rmdir,
 * rename and chmod/chown/utimes from users, as tmpfs would; regular files
 * cannot be created there (-EPERM: there is no data store).
 *
 * Locking: tree->lock (a mutex) guards the shape of a tree and every
 * node's fields tagged [t]; it nests inside the VFS's inode locks (a
 * file system's own lock in vfs.h's order) and is never held across a
 * call into the VFS. A dynamic directory's sync runs under tree->sync_lock
 * (inside the VFS's inode locks, outside tree->lock), so a lookup or a
 * listing sees a generated child only once its subtree is complete.
 * show functions run without it (they read the kernel's
 * state, not the tree). Node lifetime: references [t] from the tree (one
 * while linked) and from each in-core inode (inode->priv).
 */
#ifndef BASALT_FS_PSEUDO_H
#define BASALT_FS_PSEUDO_H

#include <core/compiler.h>
#include <core/list.h>
#include <fs/vfs.h>
#include <sched/sync.h>

/* ---- text buffers for generated files */
struct pseudo_buf {
    char *data;                     /* kmalloc'd, NUL-terminated when len > 0 */
    size_t len, cap;
    int error;                      /* -ENOMEM once a write did not fit */
};
/* Appends formatted text (grows the buffer; on failure sets error and drops the text). */
void pseudo_printf(struct pseudo_buf *b, const char *fmt, ...) __printf_like(2, 3);
void pseudo_puts(struct pseudo_buf *b, const char *s);
/* Frees the text; the buffer is empty and reusable afterwards. */
void pseudo_buf_free(struct pseudo_buf *b);

/* Writes a generated file's whole text into b. node is the file's node. */
struct pseudo_node;
struct pseudo_tree;
typedef void (*pseudo_show_fn)(struct pseudo_node *node, struct pseudo_buf *b);

/*
 * A symlink whose target is made at each readlink (and so at each path
 * walk through it): writes the target (no NUL) into buf, at most len bytes,
 * and returns its length or -errno. Runs without tree->lock.
 */
typedef ssize_t (*pseudo_link_fn)(struct pseudo_node *node, char *buf, size_t len);

/*
 * A dynamic directory: besides its fixed children it has generated ones
 * (proc's /proc/<id>), made when they are looked up or listed and removed
 * once gone, and the VFS's cached names of generated children are checked
 * again at each use (inode_ops.revalidate).
 */
struct pseudo_dir_ops {
    /* Whether name (len bytes, no NUL) is of the generated kind (no lock). */
    bool (*generated)(const char *name, size_t len);
    /* Whether the generated name exists now (no lock). */
    bool (*exists)(const char *name, size_t len);
    /*
     * Brings dir's generated children up to date: adds those that exist
     * and are missing (with the builders, each child's whole subtree),
     * removes (pseudo_remove) those gone. name NULL: all of them (a
     * listing); else only that one (a lookup). Called with tree->sync_lock
     * held and tree->lock not held: it may allocate (memory reclaim may
     * free inodes of this tree, which takes tree->lock).
     */
    void (*sync)(struct pseudo_tree *t, struct pseudo_node *dir, const char *name, size_t len);
};

/*
 * One name in a tree. Legend: [c] constant after creation; [t] tree->lock.
 */
struct pseudo_node {
    char *name;                     /* [t] kmalloc'd; "" for the root */
    uint64_t ino;                   /* [c] unique in the tree, increasing in creation order */
    uint32_t mode, uid, gid;        /* [t] */
    kdev_t rdev;                    /* [c] device nodes */
    uint64_t size;                  /* [c] st_size shown for generated files */
    struct linux_timespec mtime;    /* [t] also ctime and atime */
    pseudo_show_fn show;            /* [c] generated files */
    void *data;                     /* [c] for show (a pci_dev, a blk_dev, ...) */
    uint64_t data2;                 /* [c] for show: a second argument */
    char *link;                     /* [c] symlink target, kmalloc'd */
    pseudo_link_fn link_fn;         /* [c] generated symlink target (link NULL then) */
    const struct pseudo_dir_ops *dops;  /* [c] dynamic directories, else NULL */
    struct pseudo_node *parent;     /* [t] NULL for the root and once unlinked */
    struct pseudo_tree *tree;       /* [c] */
    uint32_t refs;                  /* [t] */
    uint32_t subdirs;               /* [t] child directories (nlink = 2 + subdirs) */
    struct list_node children;      /* [t] by ino */
    struct list_node sibling;       /* [t] in parent->children */
    struct list_node hash_link;     /* [t] in tree->hash by ino */
};

#define PSEUDO_WRITABLE 0x1         /* users may change the tree (devtmpfs) */
#define PSEUDO_HASH     64

/* A tree. Legend: [c] constant; [t] lock. */
struct pseudo_tree {
    struct mutex lock;
    struct mutex sync_lock;         /* dynamic directories: one sync at a time (see pseudo_dir_ops) */
    unsigned flags;                 /* [c] PSEUDO_* */
    uint64_t file_size;             /* [c] size hint given to generated files */
    struct pseudo_node *root;       /* [c] */
    uint64_t next_ino;              /* [t] */
    struct list_node hash[PSEUDO_HASH];     /* [t] nodes by ino */
};

/*
 * A new tree whose root directory has mode (S_IFDIR added) and owner root.
 * file_size is the st_size of its generated files. NULL without memory.
 */
struct pseudo_tree *pseudo_tree_new(unsigned flags, uint32_t mode, uint64_t file_size);
/* Frees every node of the tree (none may be referenced by an inode any more). */
void pseudo_tree_free(struct pseudo_tree *t);

/*
 * Building a tree (fill_super, before the tree is visible, or under the
 * VFS's directory lock for devtmpfs). Each returns the new node, NULL when
 * out of memory or when the name exists in parent already (builders treat
 * either as -ENOMEM: their names are unique). parent NULL means the root.
 * Names are copied. They take tree->lock.
 */
struct pseudo_node *pseudo_mkdir(struct pseudo_tree *t, struct pseudo_node *parent,
                                 const char *name, uint32_t mode);
struct pseudo_node *pseudo_file(struct pseudo_tree *t, struct pseudo_node *parent,
                                const char *name, uint32_t mode, pseudo_show_fn show,
                                void *data, uint64_t data2);
struct pseudo_node *pseudo_symlink(struct pseudo_tree *t, struct pseudo_node *parent,
                                   const char *name, const char *target);
struct pseudo_node *pseudo_mknod(struct pseudo_tree *t, struct pseudo_node *parent,
                                 const char *name, uint32_t mode, kdev_t rdev,
                                 uint32_t uid, uint32_t gid);
/* A symlink whose target fn makes at each readlink (proc's "self"). Takes tree->lock. */
struct pseudo_node *pseudo_symlink_fn(struct pseudo_tree *t, struct pseudo_node *parent,
                                      const char *name, pseudo_link_fn fn);
/*
 * Makes dir (NULL: the root) a dynamic directory served by ops (static,
 * kept; see struct pseudo_dir_ops). Only while building the tree, before
 * it is visible (dops is constant from then on).
 */
void pseudo_dir_set_ops(struct pseudo_tree *t, struct pseudo_node *dir,
                        const struct pseudo_dir_ops *ops);
/*
 * Removes n and everything under it from the tree (a generated child that
 * is gone). Open files and in-core inodes keep their nodes until they go;
 * looking the names up again finds nothing. Takes tree->lock (the _locked
 * form: caller holds it).
 */
void pseudo_remove(struct pseudo_tree *t, struct pseudo_node *n);
void pseudo_remove_locked(struct pseudo_tree *t, struct pseudo_node *n);

/* The child of dir named name (len bytes), or NULL. Caller holds tree->lock. */
struct pseudo_node *pseudo_child_locked(struct pseudo_node *dir, const char *name, size_t len);

/*
 * Makes t the tree of sb (fill_super): sb->ops, root, magic, block size
 * (4096), max_bytes, dev (anonymous). The superblock owns the tree from
 * then on (put_super frees it). Returns 0 or -errno (the tree is then
 * still the caller's).
 */
int pseudo_fill_super(struct super_block *sb, struct pseudo_tree *t, uint32_t magic);

#endif
