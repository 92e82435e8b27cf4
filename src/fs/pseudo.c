/*
 * src/fs/pseudo.c - the pseudo file systems' shared machinery: node trees,
 * text buffers for generated files, and the VFS operations (lookup,
 * readdir, read of generated text, readlink, dynamic directories (made on
 * lookup and listing, cached names revalidated), and devtmpfs's mknod, mkdir,
 * symlink, unlink, rmdir, rename, setattr) that proc, sysfs and devtmpfs
 * all use.
 *
 * Part of fs. See include/fs/pseudo.h.
 */
#include <core/errno.h>
#include <core/format.h>
#include <core/printk.h>
#include <core/string.h>
#include <fs/chrdev.h>
#include <fs/pseudo.h>
#include <mm/kmalloc.h>
#include <stdarg.h>

/* ---- text buffers */

static bool buf_reserve(struct pseudo_buf *b, size_t more)
{
    size_t want, cap;
    char *p;

    if (b->error)
        return false;
    want = b->len + more + 1;
    if (want <= b->cap)
        return true;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    p = krealloc(b->data, cap);
    if (!p) {
        b->error = -ENOMEM;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void pseudo_printf(struct pseudo_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0 || !buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void pseudo_puts(struct pseudo_buf *b, const char *s)
{
    size_t n = strlen(s);

    if (!n || !buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

void pseudo_buf_free(struct pseudo_buf *b)
{
    kfree(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    b->error = 0;
}

/* ---- trees */

static struct list_node *ino_bucket(struct pseudo_tree *t, uint64_t ino)
{
    return &t->hash[ino % PSEUDO_HASH];
}

static void node_free(struct pseudo_node *n)
{
    kfree(n->name);
    kfree(n->link);
    kfree(n);
}

/* Drops a reference; the last frees the node (it is unlinked by then). */
static void node_put_locked(struct pseudo_node *n)
{
    mutex_assert_held(&n->tree->lock);
    if (--n->refs == 0) {
        list_del(&n->hash_link);
        node_free(n);
    }
}

static struct pseudo_node *node_find_locked(struct pseudo_tree *t, uint64_t ino)
{
    mutex_assert_held(&t->lock);
    list_for_each(pos, ino_bucket(t, ino)) {
        struct pseudo_node *n = list_entry(pos, struct pseudo_node, hash_link);
        if (n->ino == ino)
            return n;
    }
    return NULL;
}

struct pseudo_node *pseudo_child_locked(struct pseudo_node *dir, const char *name, size_t len)
{
    mutex_assert_held(&dir->tree->lock);
    list_for_each(pos, &dir->children) {
        struct pseudo_node *c = list_entry(pos, struct pseudo_node, sibling);
        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

/* A new node (one reference: the tree's), not yet linked. */
static struct pseudo_node *node_alloc(struct pseudo_tree *t, const char *name, size_t len,
                                      uint32_t mode)
{
    struct pseudo_node *n = kzalloc(sizeof(*n));

    if (!n)
        return NULL;
    n->name = kmalloc(len + 1);
    if (!n->name) {
        kfree(n);
        return NULL;
    }
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    n->mode = mode;
    n->tree = t;
    n->refs = 1;
    n->mtime = vfs_now();
    list_init(&n->children);
    list_init(&n->sibling);
    list_init(&n->hash_link);
    return n;
}

/* Gives n its number and links it into dir (which must not hold the name). */
static void node_link_locked(struct pseudo_tree *t, struct pseudo_node *dir, struct pseudo_node *n)
{
    mutex_assert_held(&t->lock);
    n->ino = t->next_ino++;
    n->parent = dir;
    list_add_tail(&dir->children, &n->sibling);     /* numbers grow: the list stays by ino */
    list_add(ino_bucket(t, n->ino), &n->hash_link);
    if (S_ISDIR(n->mode))
        dir->subdirs++;
    dir->mtime = n->mtime;
}

/* Unlinks n from its directory and drops the tree's reference. */
static void node_unlink_locked(struct pseudo_tree *t, struct pseudo_node *n)
{
    mutex_assert_held(&t->lock);
    if (S_ISDIR(n->mode))
        n->parent->subdirs--;
    n->parent->mtime = vfs_now();
    list_del(&n->sibling);
    n->parent = NULL;
    node_put_locked(n);
}

struct pseudo_tree *pseudo_tree_new(unsigned flags, uint32_t mode, uint64_t file_size)
{
    struct pseudo_tree *t = kzalloc(sizeof(*t));

    if (!t)
        return NULL;
    mutex_init(&t->lock, "pseudo_tree");
    mutex_init(&t->sync_lock, "pseudo_sync");
    t->flags = flags;
    t->file_size = file_size;
    for (size_t i = 0; i < PSEUDO_HASH; i++)
        list_init(&t->hash[i]);
    t->root = node_alloc(t, "", 0, S_IFDIR | (mode & S_IALLUGO));
    if (!t->root) {
        kfree(t);
        return NULL;
    }
    t->root->ino = 1;
    t->next_ino = 2;
    list_add(ino_bucket(t, 1), &t->root->hash_link);
    return t;
}

static void tree_free_node(struct pseudo_node *n, size_t *busy)
{
    list_for_each_safe(pos, &n->children) {
        struct pseudo_node *c = list_entry(pos, struct pseudo_node, sibling);
        tree_free_node(c, busy);
    }
    list_del(&n->sibling);
    n->parent = NULL;
    if (n->refs != 1) {
        ++*busy;        /* an inode still holds it: leave it (leaks, reported) */
        return;
    }
    list_del(&n->hash_link);
    node_free(n);
}

void pseudo_tree_free(struct pseudo_tree *t)
{
    size_t busy = 0;

    if (!t)
        return;
    mutex_lock(&t->lock);
    tree_free_node(t->root, &busy);
    mutex_unlock(&t->lock);
    if (busy) {
        pr_err("pseudo: %zu nodes still referenced at unmount: kept (leaked)", busy);
        return;
    }
    kfree(t);
}

/*
 * Links n, filled by the caller, under parent (NULL: the root). Returns n,
 * or NULL (n freed) when the name is empty or taken. Caller holds t->lock.
 */
static struct pseudo_node *add_node_locked(struct pseudo_tree *t, struct pseudo_node *parent,
                                           struct pseudo_node *n)
{
    mutex_assert_held(&t->lock);
    if (!parent)
        parent = t->root;
    if (!n->name[0] || pseudo_child_locked(parent, n->name, strlen(n->name))) {
        node_free(n);
        return NULL;
    }
    node_link_locked(t, parent, n);
    return n;
}

/* add_node_locked taking t->lock. */
static struct pseudo_node *add_node(struct pseudo_tree *t, struct pseudo_node *parent,
                                    struct pseudo_node *n)
{
    mutex_lock(&t->lock);
    n = add_node_locked(t, parent, n);
    mutex_unlock(&t->lock);
    return n;
}

void pseudo_remove_locked(struct pseudo_tree *t, struct pseudo_node *n)
{
    mutex_assert_held(&t->lock);
    list_for_each_safe(pos, &n->children)
        pseudo_remove_locked(t, list_entry(pos, struct pseudo_node, sibling));
    node_unlink_locked(t, n);
}

void pseudo_remove(struct pseudo_tree *t, struct pseudo_node *n)
{
    mutex_lock(&t->lock);
    if (n->parent)              /* not removed meanwhile */
        pseudo_remove_locked(t, n);
    mutex_unlock(&t->lock);
}

static struct pseudo_node *new_node(struct pseudo_tree *t, const char *name, uint32_t mode)
{
    return node_alloc(t, name, strlen(name), mode);
}

struct pseudo_node *pseudo_mkdir(struct pseudo_tree *t, struct pseudo_node *parent,
                                 const char *name, uint32_t mode)
{
    struct pseudo_node *n = new_node(t, name, S_IFDIR | (mode & S_IALLUGO));

    return n ? add_node(t, parent, n) : NULL;
}

void pseudo_dir_set_ops(struct pseudo_tree *t, struct pseudo_node *dir,
                        const struct pseudo_dir_ops *ops)
{
    (dir ? dir : t->root)->dops = ops;
}

/* A generated file's node, not linked yet. */
static struct pseudo_node *file_node(struct pseudo_tree *t, const char *name, uint32_t mode,
                                     pseudo_show_fn show, void *data, uint64_t data2)
{
    struct pseudo_node *n = new_node(t, name, S_IFREG | (mode & S_IALLUGO));

    if (!n)
        return NULL;
    n->show = show;
    n->data = data;
    n->data2 = data2;
    n->size = t->file_size;
    return n;
}

struct pseudo_node *pseudo_file(struct pseudo_tree *t, struct pseudo_node *parent,
                                const char *name, uint32_t mode, pseudo_show_fn show,
                                void *data, uint64_t data2)
{
    struct pseudo_node *n = file_node(t, name, mode, show, data, data2);

    return n ? add_node(t, parent, n) : NULL;
}

struct pseudo_node *pseudo_symlink_fn(struct pseudo_tree *t, struct pseudo_node *parent,
                                      const char *name, pseudo_link_fn fn)
{
    struct pseudo_node *n = new_node(t, name, S_IFLNK | 0777);

    if (!n)
        return NULL;
    n->link_fn = fn;            /* st_size 0, as Linux's /proc/self */
    return add_node(t, parent, n);
}

struct pseudo_node *pseudo_symlink(struct pseudo_tree *t, struct pseudo_node *parent,
                                   const char *name, const char *target)
{
    size_t len = strlen(target);
    struct pseudo_node *n = new_node(t, name, S_IFLNK | 0777);

    if (!n)
        return NULL;
    n->link = kmalloc(len + 1);
    if (!n->link) {
        node_free(n);
        return NULL;
    }
    memcpy(n->link, target, len + 1);
    n->size = len;
    return add_node(t, parent, n);
}

struct pseudo_node *pseudo_mknod(struct pseudo_tree *t, struct pseudo_node *parent,
                                 const char *name, uint32_t mode, kdev_t rdev,
                                 uint32_t uid, uint32_t gid)
{
    struct pseudo_node *n = new_node(t, name, mode);

    if (!n)
        return NULL;
    n->rdev = rdev;
    n->uid = uid;
    n->gid = gid;
    return add_node(t, parent, n);
}

/* ---- the VFS side: inodes */

static const struct inode_ops pseudo_dir_iops;
static const struct inode_ops pseudo_link_iops;
static const struct inode_ops pseudo_node_iops;
static const struct file_ops pseudo_dir_fops;
static const struct file_ops pseudo_file_fops;

static struct pseudo_tree *sb_tree(const struct super_block *sb)
{
    return sb->priv;
}

static struct inode *pseudo_alloc_inode(struct super_block *sb)
{
    (void)sb;
    return kzalloc(sizeof(struct inode));
}

/* The inode's reference on its node goes with it. */
static void pseudo_free_inode(struct inode *inode)
{
    struct pseudo_node *n = inode->priv;

    if (n) {
        struct pseudo_tree *t = n->tree;
        mutex_lock(&t->lock);
        node_put_locked(n);
        mutex_unlock(&t->lock);
    }
    kfree(inode);
}

/* Copies the node's fields into its inode. Caller holds tree->lock. */
static void fill_inode_locked(struct inode *inode, struct pseudo_node *n)
{
    mutex_assert_held(&n->tree->lock);
    inode->mode = n->mode;
    inode->uid = n->uid;
    inode->gid = n->gid;
    inode->nlink = S_ISDIR(n->mode) ? 2 + n->subdirs : (n->parent || n == n->tree->root);
    inode->size = S_ISDIR(n->mode) ? 0 : n->size;
    inode->blocks = 0;
    inode->atime = inode->mtime = inode->ctime = n->mtime;
}

static int pseudo_read_inode(struct inode *inode)
{
    struct pseudo_tree *t = sb_tree(inode->sb);
    struct pseudo_node *n;
    int err = 0;

    mutex_lock(&t->lock);
    n = node_find_locked(t, inode->ino);
    if (!n || (!n->parent && n != t->root)) {
        err = -ENOENT;      /* unlinked since its directory was read */
        goto out;
    }
    n->refs++;
    inode->priv = n;
    fill_inode_locked(inode, n);
    switch (n->mode & S_IFMT) {
    case S_IFDIR:
        inode->iops = &pseudo_dir_iops;
        inode->fops = &pseudo_dir_fops;
        break;
    case S_IFLNK:
        inode->iops = &pseudo_link_iops;
        break;
    case S_IFREG:
        inode->iops = &pseudo_node_iops;
        inode->fops = &pseudo_file_fops;
        break;
    default:
        inode->iops = &pseudo_node_iops;
        chrdev_init_special_inode(inode, n->mode, n->rdev);
        break;
    }
out:
    mutex_unlock(&t->lock);
    return err;
}

static int pseudo_statfs(struct super_block *sb, struct linux_statfs *st)
{
    memset(st, 0, sizeof(*st));
    st->f_type = sb->magic;
    st->f_bsize = 4096;
    st->f_frsize = 4096;
    st->f_namelen = NAME_MAX;
    return 0;
}

static void pseudo_put_super(struct super_block *sb)
{
    pseudo_tree_free(sb_tree(sb));
    sb->priv = NULL;
}

static const struct super_ops pseudo_super_ops = {
    .alloc_inode = pseudo_alloc_inode,
    .free_inode = pseudo_free_inode,
    .read_inode = pseudo_read_inode,
    .statfs = pseudo_statfs,
    .put_super = pseudo_put_super,
};

int pseudo_fill_super(struct super_block *sb, struct pseudo_tree *t, uint32_t magic)
{
    struct inode *root;
    int err;

    sb->ops = &pseudo_super_ops;
    sb->priv = t;
    sb->magic = magic;
    sb->block_size = 4096;
    sb->max_bytes = 0;          /* nothing grows by writes */
    if (!sb->dev)
        sb->dev = vfs_anon_dev();
    err = inode_get(sb, t->root->ino, &root);
    if (err) {
        sb->priv = NULL;
        sb->ops = NULL;
        return err;
    }
    sb->root = root;
    return 0;
}

/* ---- directories */

static int pseudo_lookup(struct inode *dir, struct dentry *d)
{
    struct pseudo_node *dn = dir->priv, *n;
    struct pseudo_tree *t = dn->tree;
    struct inode *inode;
    uint64_t ino = 0;
    int err;

    if (dn->dops && dn->dops->generated(d->name, d->name_len)) {
        mutex_lock(&t->sync_lock);
        dn->dops->sync(t, dn, d->name, d->name_len);
        mutex_unlock(&t->sync_lock);
    }
    mutex_lock(&t->lock);
    n = pseudo_child_locked(dn, d->name, d->name_len);
    if (n)
        ino = n->ino;
    mutex_unlock(&t->lock);
    if (!ino)
        return 0;               /* negative */
    /* the directory's inode lock keeps the name in place meanwhile */
    err = inode_get(dir->sb, ino, &inode);
    if (err == -ENOENT)
        return 0;
    if (err)
        return err;
    d_instantiate(d, inode);
    return 0;
}

/*
 * A cached name of a dynamic directory's generated child stands while it
 * agrees with ops->exists: a positive one while the thing exists and its
 * node is still linked, a negative one while the thing does not exist.
 */
static bool pseudo_revalidate(struct inode *dir, struct dentry *d)
{
    struct pseudo_node *dn = dir->priv, *n;
    bool exists, linked = true;

    if (!dn->dops || !dn->dops->generated(d->name, d->name_len))
        return true;
    exists = dn->dops->exists(d->name, d->name_len);
    if (!d->inode)
        return !exists;
    n = d->inode->priv;
    mutex_lock(&dn->tree->lock);
    linked = n->parent != NULL;
    mutex_unlock(&dn->tree->lock);
    return exists && linked;
}

/*
 * Cookies: 0 ".", 1 "..", then a child's number: the next call resumes at
 * the first child whose number is at least ctx->pos (children are kept by
 * number, so entries added or removed meanwhile never shift the others).
 */
static int pseudo_iterate(struct file *f, struct dir_ctx *ctx)
{
    struct pseudo_node *dn = f->inode->priv;
    struct pseudo_tree *t = dn->tree;

    if (dn->dops) {
        mutex_lock(&t->sync_lock);
        dn->dops->sync(t, dn, NULL, 0);
        mutex_unlock(&t->sync_lock);
    }
    mutex_lock(&t->lock);
    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, dn->ino, DT_DIR))
            goto out;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        uint64_t up = dn->parent ? dn->parent->ino : dn->ino;
        if (!ctx->emit(ctx, "..", 2, up, DT_DIR))
            goto out;
        ctx->pos = 2;
    }
    list_for_each(pos, &dn->children) {
        struct pseudo_node *c = list_entry(pos, struct pseudo_node, sibling);
        if (c->ino < ctx->pos)
            continue;
        if (!ctx->emit(ctx, c->name, strlen(c->name), c->ino, DT_FROM_MODE(c->mode)))
            goto out;
        ctx->pos = c->ino + 1;
    }
out:
    mutex_unlock(&t->lock);
    return 0;
}

static const struct file_ops pseudo_dir_fops = {
    .iterate = pseudo_iterate,
};

/* ---- changing a writable tree (devtmpfs); read-only trees refuse */

static bool tree_writable(const struct inode *dir)
{
    const struct pseudo_node *dn = dir->priv;
    return dn->tree->flags & PSEUDO_WRITABLE;
}

/* Links a new node named by negative d under dir and instantiates d. */
static int instantiate_new(struct inode *dir, struct dentry *d, struct pseudo_node *n)
{
    struct pseudo_node *dn = dir->priv;
    struct pseudo_tree *t = dn->tree;
    struct inode *inode;
    uint64_t ino;
    int err;

    mutex_lock(&t->lock);
    if (pseudo_child_locked(dn, d->name, d->name_len)) {
        mutex_unlock(&t->lock);
        node_free(n);
        return -EEXIST;
    }
    node_link_locked(t, dn, n);
    ino = n->ino;
    fill_inode_locked(dir, dn);
    mutex_unlock(&t->lock);
    err = inode_get(dir->sb, ino, &inode);
    if (err) {
        mutex_lock(&t->lock);
        node_unlink_locked(t, n);
        fill_inode_locked(dir, dn);
        mutex_unlock(&t->lock);
        return err;
    }
    d_instantiate(d, inode);
    return 0;
}

static struct pseudo_node *node_for(struct inode *dir, struct dentry *d, uint32_t mode,
                                    const struct cred *cr)
{
    struct pseudo_node *dn = dir->priv;
    struct pseudo_node *n = node_alloc(dn->tree, d->name, d->name_len, mode);

    if (n) {
        n->uid = cr->uid;
        n->gid = cr->gid;
    }
    return n;
}

static int pseudo_create(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr)
{
    (void)d, (void)mode, (void)cr;
    return tree_writable(dir) ? -EPERM : -EACCES;   /* no data store for regular files */
}

static int pseudo_mkdir_op(struct inode *dir, struct dentry *d, uint32_t mode, const struct cred *cr)
{
    struct pseudo_node *n;

    if (!tree_writable(dir))
        return -EACCES;
    n = node_for(dir, d, S_IFDIR | (mode & S_IALLUGO), cr);
    return n ? instantiate_new(dir, d, n) : -ENOMEM;
}

static int pseudo_mknod_op(struct inode *dir, struct dentry *d, uint32_t mode, kdev_t rdev,
                           const struct cred *cr)
{
    struct pseudo_node *n;

    if (!tree_writable(dir))
        return -EACCES;
    if (S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode) || !(mode & S_IFMT))
        return -EPERM;          /* regular files: no data store; others have their calls */
    n = node_for(dir, d, mode, cr);
    if (!n)
        return -ENOMEM;
    n->rdev = (S_ISCHR(mode) || S_ISBLK(mode)) ? rdev : 0;
    return instantiate_new(dir, d, n);
}

static int pseudo_symlink_op(struct inode *dir, struct dentry *d, const char *target,
                             const struct cred *cr)
{
    struct pseudo_node *n;
    size_t len = strlen(target);

    if (!tree_writable(dir))
        return -EACCES;
    n = node_for(dir, d, S_IFLNK | 0777, cr);
    if (!n)
        return -ENOMEM;
    n->link = kmalloc(len + 1);
    if (!n->link) {
        node_free(n);
        return -ENOMEM;
    }
    memcpy(n->link, target, len + 1);
    n->size = len;
    return instantiate_new(dir, d, n);
}

static int pseudo_link_op(struct dentry *old, struct inode *dir, struct dentry *d)
{
    (void)old, (void)d;
    return tree_writable(dir) ? -EPERM : -EACCES;   /* nodes have one name */
}

/* Removes d's node from dir; d's inode keeps it until the inode goes. */
static int remove_name(struct inode *dir, struct dentry *d, bool want_dir)
{
    struct pseudo_node *dn = dir->priv, *n = d->inode->priv;
    struct pseudo_tree *t = dn->tree;
    int err = 0;

    if (!tree_writable(dir))
        return -EACCES;
    mutex_lock(&t->lock);
    if (n->parent != dn) {
        err = -ENOENT;
    } else if (want_dir != !!S_ISDIR(n->mode)) {
        err = want_dir ? -ENOTDIR : -EISDIR;
    } else if (want_dir && !list_empty(&n->children)) {
        err = -ENOTEMPTY;
    } else {
        node_unlink_locked(t, n);
        d->inode->nlink = 0;
        d->inode->ctime = vfs_now();
        fill_inode_locked(dir, dn);
    }
    mutex_unlock(&t->lock);
    return err;
}

static int pseudo_unlink_op(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, false);
}

static int pseudo_rmdir_op(struct inode *dir, struct dentry *d)
{
    return remove_name(dir, d, true);
}

static int pseudo_rename_op(struct inode *odir, struct dentry *od, struct inode *ndir,
                            struct dentry *nd)
{
    struct pseudo_node *on = odir->priv, *nn = ndir->priv, *n = od->inode->priv;
    struct pseudo_node *victim = nd->inode ? nd->inode->priv : NULL;
    struct pseudo_tree *t = on->tree;
    struct list_node *before;
    char *name;
    int err = 0;

    if (!tree_writable(odir))
        return -EACCES;
    name = kmalloc(nd->name_len + 1);
    if (!name)
        return -ENOMEM;
    memcpy(name, nd->name, nd->name_len);
    name[nd->name_len] = '\0';
    mutex_lock(&t->lock);
    if (victim == n)
        goto out;               /* the same node: nothing to do (POSIX) */
    if (victim && S_ISDIR(victim->mode) && !list_empty(&victim->children)) {
        err = -ENOTEMPTY;
        goto out;
    }
    if (victim) {
        node_unlink_locked(t, victim);
        nd->inode->nlink = 0;
    }
    if (S_ISDIR(n->mode)) {
        on->subdirs--;
        nn->subdirs++;
    }
    list_del(&n->sibling);
    before = &nn->children;     /* keep the children by number */
    list_for_each(pos, &nn->children) {
        if (list_entry(pos, struct pseudo_node, sibling)->ino > n->ino) {
            before = pos;
            break;
        }
    }
    list_add_tail(before, &n->sibling);
    n->parent = nn;
    kfree(n->name);
    n->name = name;
    name = NULL;
    on->mtime = nn->mtime = vfs_now();
    fill_inode_locked(odir, on);
    fill_inode_locked(ndir, nn);
out:
    mutex_unlock(&t->lock);
    kfree(name);
    return err;
}

/* chmod/chown/utimes: kept in the node too, so a re-read inode keeps them. */
static int pseudo_setattr(struct inode *inode, const struct iattr *attr)
{
    struct pseudo_node *n = inode->priv;
    struct pseudo_tree *t = n->tree;
    struct iattr a = *attr;

    if (!(t->flags & PSEUDO_WRITABLE))
        return -EPERM;
    a.valid &= ~(unsigned)ATTR_SIZE;    /* O_TRUNC of a device: ignored, as in Linux */
    vfs_setattr_simple(inode, &a);
    mutex_lock(&t->lock);
    n->mode = inode->mode;
    n->uid = inode->uid;
    n->gid = inode->gid;
    n->mtime = inode->mtime;
    mutex_unlock(&t->lock);
    return 0;
}

static const struct inode_ops pseudo_dir_iops = {
    .lookup = pseudo_lookup,
    .create = pseudo_create,
    .mkdir = pseudo_mkdir_op,
    .mknod = pseudo_mknod_op,
    .symlink = pseudo_symlink_op,
    .link = pseudo_link_op,
    .unlink = pseudo_unlink_op,
    .rmdir = pseudo_rmdir_op,
    .rename = pseudo_rename_op,
    .setattr = pseudo_setattr,
    .revalidate = pseudo_revalidate,
};

/* ---- symlinks */

static ssize_t pseudo_readlink(struct inode *inode, char *buf, size_t len)
{
    struct pseudo_node *n = inode->priv;
    size_t l;

    if (n->link_fn)
        return n->link_fn(n, buf, len);
    l = strlen(n->link);
    l = MIN(l, len);
    memcpy(buf, n->link, l);
    return (ssize_t)l;
}

static const struct inode_ops pseudo_link_iops = {
    .readlink = pseudo_readlink,
    .setattr = pseudo_setattr,
};

static const struct inode_ops pseudo_node_iops = {
    .setattr = pseudo_setattr,
};

/* ---- generated files: the text is made at open and read from the snapshot */

static int pseudo_file_open(struct inode *inode, struct file *f)
{
    struct pseudo_node *n = inode->priv;
    struct pseudo_buf *b;
    int err;

    if ((f->flags & O_ACCMODE) != O_RDONLY || (f->flags & O_TRUNC))
        return -EACCES;         /* no generated file takes writes */
    b = kzalloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    if (n->show)
        n->show(n, b);
    err = b->error;
    if (err) {
        pseudo_buf_free(b);
        kfree(b);
        return err;
    }
    f->priv = b;
    return 0;
}

static void pseudo_file_release(struct inode *inode, struct file *f)
{
    (void)inode;
    if (f->priv) {
        pseudo_buf_free(f->priv);
        kfree(f->priv);
        f->priv = NULL;
    }
}

static ssize_t pseudo_file_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    const struct pseudo_buf *b = f->priv;
    size_t n;

    if (*pos >= b->len)
        return 0;
    n = (size_t)MIN((uint64_t)len, b->len - *pos);
    memcpy(buf, b->data + *pos, n);
    *pos += n;
    return (ssize_t)n;
}

static ssize_t pseudo_file_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return -EACCES;             /* open refuses writers; kept for a file opened otherwise */
}

static int64_t pseudo_file_llseek(struct file *f, int64_t off, int whence)
{
    const struct pseudo_buf *b = f->priv;
    int64_t base;

    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->pos; break;
    case SEEK_END: base = (int64_t)b->len; break;
    default: return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

static const struct file_ops pseudo_file_fops = {
    .open = pseudo_file_open,
    .release = pseudo_file_release,
    .read = pseudo_file_read,
    .write = pseudo_file_write,
    .llseek = pseudo_file_llseek,
};
