/*
 * src/fs/vfs_obj.c - the VFS's objects: the file-system type registry,
 * superblocks, the inode cache (hashed by (sb, ino)) and the dentry cache
 * (a global hash keyed by (parent, name), negative entries, an LRU of
 * unused entries for reclaim).
 *
 * Part of fs. Locks: dcache_lock guards dentry refs/flags/hash/children/LRU,
 * inode_hash_lock inode refs/flags/hash/sb lists; both are innermost
 * spinlocks, dcache_lock before inode_hash_lock. Nothing sleeps under them:
 * the last dentry_put/inode_put does its sleeping work (evict_inode, the
 * page cache) after dropping them.
 */
#include "vfs_internal.h"
#include <core/atomic.h>
#include <core/errno.h>
#include <core/layout.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/walltime.h>
#include <fs/bcache.h>
#include <fs/ext2.h>
#include <fs/pagecache.h>
#include <fs/tmpfs.h>
#include <mm/kmalloc.h>

struct mutex vfs_mount_lock = MUTEX_INIT("vfs_mount_lock");
struct mutex vfs_rename_lock = MUTEX_INIT("vfs_rename_lock");
spinlock_t dcache_lock = SPINLOCK_INIT("dcache_lock");
spinlock_t inode_hash_lock = SPINLOCK_INIT("inode_hash_lock");

const struct cred vfs_root_cred = { .uid = 0, .gid = 0, .ngroups = 0 };

/* ---- fs type registry [vfs_mount_lock] */
static struct list_node fs_types = LIST_HEAD_INIT(fs_types);

int vfs_register_fs(struct fs_type *t)
{
    int err = 0;

    if (!t || !t->name || !t->name[0] || !t->fill_super)
        return -EINVAL;
    mutex_lock(&vfs_mount_lock);
    list_for_each(n, &fs_types) {
        if (strcmp(list_entry(n, struct fs_type, link)->name, t->name) == 0) {
            err = -EEXIST;
            goto out;
        }
    }
    list_add_tail(&fs_types, &t->link);
out:
    mutex_unlock(&vfs_mount_lock);
    return err;
}

struct fs_type *vfs_find_fs(const char *name)
{
    struct fs_type *found = NULL;

    mutex_lock(&vfs_mount_lock);
    list_for_each(n, &fs_types) {
        struct fs_type *t = list_entry(n, struct fs_type, link);
        if (strcmp(t->name, name) == 0) {
            found = t;
            break;
        }
    }
    mutex_unlock(&vfs_mount_lock);
    return found;
}

void vfs_for_each_fs(void (*fn)(const struct fs_type *t, void *arg), void *arg)
{
    mutex_lock(&vfs_mount_lock);
    list_for_each(n, &fs_types)
        fn(list_entry(n, struct fs_type, link), arg);
    mutex_unlock(&vfs_mount_lock);
}

/* ---- superblocks [vfs_mount_lock] */
static struct list_node sb_list = LIST_HEAD_INIT(sb_list);
static uint32_t anon_next = 1;          /* [a] */

kdev_t vfs_anon_dev(void)
{
    return KDEV(0, atomic_fetch_add(&anon_next, 1) & 0xfffffu);
}

struct super_block *vfs_sb_alloc(const struct fs_type *t)
{
    struct super_block *sb = kzalloc(sizeof(*sb));

    if (!sb)
        return NULL;
    sb->type = t;
    sb->block_size = PAGE_SIZE;
    sb->max_bytes = (uint64_t)1 << 40;
    list_init(&sb->inodes);
    list_init(&sb->dirty_inodes);
    list_init(&sb->link);
    return sb;
}

void vfs_sb_free(struct super_block *sb)
{
    kfree(sb);
}

void vfs_sb_list_add(struct super_block *sb)
{
    mutex_assert_held(&vfs_mount_lock);
    list_add_tail(&sb_list, &sb->link);
}

void vfs_sb_list_del(struct super_block *sb)
{
    mutex_assert_held(&vfs_mount_lock);
    list_del(&sb->link);
}

bool vfs_bdev_mounted(struct blk_dev *bdev)
{
    mutex_assert_held(&vfs_mount_lock);
    list_for_each(n, &sb_list) {
        if (list_entry(n, struct super_block, link)->bdev == bdev)
            return true;
    }
    return false;
}

void vfs_for_each_sb(void (*fn)(struct super_block *sb, void *arg), void *arg)
{
    mutex_lock(&vfs_mount_lock);
    list_for_each(n, &sb_list)
        fn(list_entry(n, struct super_block, link), arg);
    mutex_unlock(&vfs_mount_lock);
}

/* ---- time */
struct linux_timespec vfs_now(void)
{
    struct linux_timespec ts = { 0, 0 };
    int64_t ns;

    if (!walltime_valid())
        return ts;
    ns = walltime_ns();
    ts.tv_sec = ns / 1000000000ll;
    ts.tv_nsec = ns % 1000000000ll;
    return ts;
}

/* ---- inode cache [inode_hash_lock] */
#define INODE_HASH_BITS 10
static struct list_node inode_hash[1u << INODE_HASH_BITS];
static uint64_t inode_next_ino = 2;     /* [a] numbers for RAM file systems */

static struct list_node *inode_bucket(struct super_block *sb, uint64_t ino)
{
    uint64_t h = ((uintptr_t)sb >> 4) ^ (ino * 0x9e3779b97f4a7c15ull);
    return &inode_hash[(h >> 32) & ((1u << INODE_HASH_BITS) - 1)];
}

static void inode_hash_init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(inode_hash); i++)
        list_init(&inode_hash[i]);
}

static struct inode *inode_alloc(struct super_block *sb)
{
    struct inode *inode = sb->ops && sb->ops->alloc_inode ? sb->ops->alloc_inode(sb)
                                                         : kzalloc(sizeof(*inode));
    if (!inode)
        return NULL;
    inode->sb = sb;
    mutex_init(&inode->lock, "inode");
    list_init(&inode->hash_link);
    list_init(&inode->sb_link);
    list_init(&inode->dirty_link);
    return inode;
}

static void inode_free(struct inode *inode)
{
    if (inode->sb->ops && inode->sb->ops->free_inode)
        inode->sb->ops->free_inode(inode);
    else
        kfree(inode);
}

static struct inode *inode_find_locked(struct super_block *sb, uint64_t ino)
{
    struct list_node *b = inode_bucket(sb, ino);

    spin_assert_held(&inode_hash_lock);
    list_for_each(n, b) {
        struct inode *i = list_entry(n, struct inode, hash_link);
        if (i->sb == sb && i->ino == ino && !(i->flags & INODE_DEAD))
            return i;
    }
    return NULL;
}

/* Takes inode off every list (the caller frees it). inode_hash_lock held. */
static void inode_unhash_locked(struct inode *inode)
{
    spin_assert_held(&inode_hash_lock);
    inode->flags |= INODE_DEAD;
    list_del(&inode->hash_link);
    list_del(&inode->sb_link);
    if (list_linked(&inode->dirty_link))
        list_del(&inode->dirty_link);
}

int inode_get(struct super_block *sb, uint64_t ino, struct inode **out)
{
    struct inode *inode, *fresh = NULL;
    int err;

retry:
    spin_lock(&inode_hash_lock);
    inode = inode_find_locked(sb, ino);
    if (inode) {
        bool is_new = inode->flags & INODE_NEW;
        inode->refs++;
        spin_unlock(&inode_hash_lock);
        if (fresh) {
            mutex_unlock(&fresh->lock);
            inode_free(fresh);
            fresh = NULL;
        }
        if (is_new) {
            /* the filler holds inode->lock until read_inode is done */
            mutex_lock(&inode->lock);
            mutex_unlock(&inode->lock);
            if (atomic_load(&inode->flags) & INODE_DEAD) {
                inode_put(inode);
                goto retry;
            }
        }
        *out = inode;
        return 0;
    }
    if (!fresh) {
        spin_unlock(&inode_hash_lock);
        fresh = inode_alloc(sb);
        if (!fresh)
            return -ENOMEM;
        fresh->ino = ino;
        mutex_lock(&fresh->lock);
        goto retry;
    }
    fresh->flags = INODE_NEW;
    fresh->refs = 1;
    list_add(inode_bucket(sb, ino), &fresh->hash_link);
    list_add_tail(&sb->inodes, &fresh->sb_link);
    spin_unlock(&inode_hash_lock);

    err = sb->ops && sb->ops->read_inode ? sb->ops->read_inode(fresh) : -EINVAL;
    spin_lock(&inode_hash_lock);
    if (err) {
        bool last;
        inode_unhash_locked(fresh);
        last = --fresh->refs == 0;
        spin_unlock(&inode_hash_lock);
        mutex_unlock(&fresh->lock);
        if (last)
            inode_free(fresh);
        return err;
    }
    fresh->flags &= ~INODE_NEW;
    spin_unlock(&inode_hash_lock);
    mutex_unlock(&fresh->lock);
    *out = fresh;
    return 0;
}

struct inode *inode_new(struct super_block *sb, uint64_t ino, uint32_t mode,
                        uint32_t uid, uint32_t gid)
{
    struct inode *inode = inode_alloc(sb);

    if (!inode)
        return NULL;
    inode->ino = ino ? ino : atomic_fetch_add(&inode_next_ino, 1);
    inode->mode = mode;
    inode->uid = uid;
    inode->gid = gid;
    inode->nlink = S_ISDIR(mode) ? 2 : 1;
    inode->atime = inode->mtime = inode->ctime = vfs_now();
    inode->refs = 1;
    spin_lock(&inode_hash_lock);
    list_add(inode_bucket(sb, inode->ino), &inode->hash_link);
    list_add_tail(&sb->inodes, &inode->sb_link);
    spin_unlock(&inode_hash_lock);
    return inode;
}

void inode_ref(struct inode *inode)
{
    spin_lock(&inode_hash_lock);
    BUG_ON(inode->refs == 0 && !(inode->flags & INODE_NEW) && !list_linked(&inode->hash_link));
    inode->refs++;
    spin_unlock(&inode_hash_lock);
}

void inode_put(struct inode *inode)
{
    bool evict = false, free_dead = false;

    spin_lock(&inode_hash_lock);
    BUG_ON(inode->refs == 0);
    if (--inode->refs == 0) {
        if (inode->flags & INODE_DEAD) {
            free_dead = true;   /* a failed read_inode, already off the lists */
        } else if (inode->nlink == 0 && atomic_load(&inode->open_count) == 0) {
            inode_unhash_locked(inode);
            evict = true;
        }
    }
    spin_unlock(&inode_hash_lock);
    if (free_dead) {
        inode_free(inode);
        return;
    }
    if (!evict)
        return;
    pagecache_drop_inode(inode);
    if (inode->sb->ops && inode->sb->ops->evict_inode)
        inode->sb->ops->evict_inode(inode);
    inode_free(inode);
}

void inode_mark_dirty(struct inode *inode)
{
    spin_lock(&inode_hash_lock);
    if (!(inode->flags & (INODE_DIRTY | INODE_DEAD))) {
        inode->flags |= INODE_DIRTY;
        list_add_tail(&inode->sb->dirty_inodes, &inode->dirty_link);
    }
    spin_unlock(&inode_hash_lock);
}

void inode_touch(struct inode *inode, unsigned which)
{
    struct linux_timespec now = vfs_now();

    if (which & VFS_TIME_A)
        inode->atime = now;
    if (which & VFS_TIME_M)
        inode->mtime = now;
    if (which & VFS_TIME_C)
        inode->ctime = now;
    inode_mark_dirty(inode);
}

int inode_write_now(struct inode *inode)
{
    bool dirty;
    int err = 0;

    spin_lock(&inode_hash_lock);
    dirty = inode->flags & INODE_DIRTY;
    if (dirty) {
        inode->flags &= ~INODE_DIRTY;
        list_del(&inode->dirty_link);
    }
    spin_unlock(&inode_hash_lock);
    if (dirty && inode->sb->ops && inode->sb->ops->write_inode) {
        err = inode->sb->ops->write_inode(inode);
        if (err)
            inode_mark_dirty(inode);
    }
    return err;
}

void inode_evict_sb(struct super_block *sb, bool fs_calls)
{
    /* NULL after a fill_super that failed early; no write/evict calls then */
    const struct super_ops *ops = fs_calls ? sb->ops : NULL;
    struct inode *root = sb->root;
    bool dirty;

    sb->root = NULL;
    if (root)
        inode_put(root);
    for (;;) {
        struct inode *inode;

        spin_lock(&inode_hash_lock);
        inode = list_first(&sb->inodes, struct inode, sb_link);
        if (!inode) {
            spin_unlock(&inode_hash_lock);
            break;
        }
        if (inode->refs) {
            pr_warn("vfs: umount %s: inode %llu still has %u references; leaked",
                    sb->type->name, (unsigned long long)inode->ino, inode->refs);
            list_del(&inode->sb_link);
            spin_unlock(&inode_hash_lock);
            continue;
        }
        dirty = inode->flags & INODE_DIRTY;
        inode_unhash_locked(inode);
        spin_unlock(&inode_hash_lock);
        if (inode->nlink > 0 && dirty && ops && ops->write_inode && !(sb->flags & SB_RDONLY))
            ops->write_inode(inode);
        pagecache_drop_inode(inode);
        if (inode->nlink == 0 && ops && ops->evict_inode)
            ops->evict_inode(inode);
        inode_free(inode);
    }
}

/* ---- dentry cache [dcache_lock] */
#define DCACHE_HASH_BITS 13
static struct list_node *dcache_hash;
static struct list_node dcache_lru = LIST_HEAD_INIT(dcache_lru);
static uint64_t dcache_npos, dcache_nneg;       /* [d] hashed dentries */

static uint32_t d_hash(const struct dentry *parent, const char *name, size_t len)
{
    uint32_t h = 2166136261u ^ (uint32_t)((uintptr_t)parent >> 4);

    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)name[i]) * 16777619u;
    return h ^ (h >> 15);
}

static struct list_node *d_bucket(uint32_t hash)
{
    return &dcache_hash[hash & ((1u << DCACHE_HASH_BITS) - 1)];
}

static int dcache_init(void)
{
    dcache_hash = kmalloc(sizeof(struct list_node) << DCACHE_HASH_BITS);
    if (!dcache_hash)
        return -ENOMEM;
    for (size_t i = 0; i < (1u << DCACHE_HASH_BITS); i++)
        list_init(&dcache_hash[i]);
    return 0;
}

int vfs_objects_init(void)
{
    inode_hash_init();
    return dcache_init();
}

static int d_set_name(struct dentry *d, const char *name, size_t len)
{
    char *copy = d->iname;

    if (len >= DNAME_INLINE) {
        copy = kmalloc(len + 1);
        if (!copy)
            return -ENOMEM;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    if (d->name && d->name != d->iname)
        kfree((void *)d->name);
    d->name = copy;
    d->name_len = (uint32_t)len;
    return 0;
}

struct dentry *d_alloc(struct super_block *sb, struct dentry *parent, const char *name, size_t len)
{
    struct dentry *d = kzalloc(sizeof(*d));

    if (!d)
        return NULL;
    if (d_set_name(d, name, len)) {
        kfree(d);
        return NULL;
    }
    d->sb = sb;
    d->refs = 1;
    list_init(&d->hash_link);
    list_init(&d->child_link);
    list_init(&d->children);
    list_init(&d->lru_link);
    if (parent) {
        dentry_ref(parent);
        d->parent = parent;
        d->hash = d_hash(parent, name, len);
    } else {
        d->parent = d;
    }
    return d;
}

struct dentry *d_lookup(struct dentry *parent, const char *name, size_t len)
{
    uint32_t h = d_hash(parent, name, len);
    struct dentry *found = NULL;

    spin_lock(&dcache_lock);
    list_for_each(n, d_bucket(h)) {
        struct dentry *d = list_entry(n, struct dentry, hash_link);
        if (d->hash == h && d->parent == parent && d->name_len == len &&
            memcmp(d->name, name, len) == 0) {
            if (d->refs++ == 0 && list_linked(&d->lru_link))
                list_del(&d->lru_link);
            found = d;
            break;
        }
    }
    spin_unlock(&dcache_lock);
    return found;
}

void d_add_hash(struct dentry *d)
{
    spin_lock(&dcache_lock);
    list_add(d_bucket(d->hash), &d->hash_link);
    list_add_tail(&d->parent->children, &d->child_link);
    if (d->inode)
        dcache_npos++;
    else
        dcache_nneg++;
    spin_unlock(&dcache_lock);
}

static void d_unhash_locked(struct dentry *d)
{
    spin_assert_held(&dcache_lock);
    if (list_linked(&d->hash_link)) {
        list_del(&d->hash_link);
        if (d->inode)
            dcache_npos--;
        else
            dcache_nneg--;
    }
}

void d_drop(struct dentry *d)
{
    spin_lock(&dcache_lock);
    d_unhash_locked(d);
    d->flags |= DENTRY_DEAD;
    spin_unlock(&dcache_lock);
}

char *d_name_prealloc(size_t len)
{
    return len >= DNAME_INLINE ? kmalloc(len + 1) : NULL;
}

void d_move(struct dentry *d, struct dentry *nparent, const char *name, size_t len, char *copy)
{
    struct dentry *oparent;
    const char *oldname = NULL;

    dentry_ref(nparent);
    spin_lock(&dcache_lock);
    d_unhash_locked(d);
    if (list_linked(&d->child_link))
        list_del(&d->child_link);
    oparent = d->parent;
    if (d->name != d->iname)
        oldname = d->name;
    if (copy) {
        memcpy(copy, name, len);
        copy[len] = '\0';
        d->name = copy;
    } else {
        memcpy(d->iname, name, len);
        d->iname[len] = '\0';
        d->name = d->iname;
    }
    d->name_len = (uint32_t)len;
    d->parent = nparent;
    d->hash = d_hash(nparent, name, len);
    d->flags &= ~DENTRY_DEAD;
    list_add(d_bucket(d->hash), &d->hash_link);
    list_add_tail(&nparent->children, &d->child_link);
    if (d->inode)
        dcache_npos++;
    else
        dcache_nneg++;
    spin_unlock(&dcache_lock);
    kfree((void *)oldname);
    dentry_put(oparent);
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
    spin_lock(&dcache_lock);
    if (list_linked(&d->hash_link) && !d->inode && inode) {
        dcache_nneg--;
        dcache_npos++;
    }
    atomic_store_release(&d->inode, inode);
    spin_unlock(&dcache_lock);
}

void dentry_ref(struct dentry *d)
{
    spin_lock(&dcache_lock);
    if (d->refs++ == 0 && list_linked(&d->lru_link))
        list_del(&d->lru_link);
    spin_unlock(&dcache_lock);
}

struct dentry *d_get_parent(struct dentry *d)
{
    struct dentry *p;

    spin_lock(&dcache_lock);
    p = d->parent;
    if (p->refs++ == 0 && list_linked(&p->lru_link))
        list_del(&p->lru_link);
    spin_unlock(&dcache_lock);
    return p;
}

static void d_free(struct dentry *d)
{
    if (d->name != d->iname)
        kfree((void *)d->name);
    kfree(d);
}

void dentry_put(struct dentry *d)
{
    while (d) {
        struct dentry *parent = NULL;
        struct inode *inode;

        spin_lock(&dcache_lock);
        BUG_ON(d->refs == 0);
        if (--d->refs > 0) {
            spin_unlock(&dcache_lock);
            return;
        }
        if (!(d->flags & DENTRY_DEAD) && list_linked(&d->hash_link)) {
            list_add_tail(&dcache_lru, &d->lru_link);      /* stays cached */
            spin_unlock(&dcache_lock);
            return;
        }
        /* unhashed: nobody can find it again; free it */
        if (list_linked(&d->child_link))
            list_del(&d->child_link);
        if (d->parent != d)
            parent = d->parent;
        inode = d->inode;
        spin_unlock(&dcache_lock);
        if (inode)
            inode_put(inode);
        d_free(d);
        d = parent;
    }
}

void dcache_counts(uint64_t *positive, uint64_t *negative)
{
    spin_lock(&dcache_lock);
    if (positive)
        *positive = dcache_npos;
    if (negative)
        *negative = dcache_nneg;
    spin_unlock(&dcache_lock);
}

/*
 * Reclaim: called from the pmm hook (perhaps with other spinlocks held), so
 * it only trylocks and never evicts: a dentry whose inode has no links is
 * left alone, and an inode whose last reference goes is freed only when it
 * is clean and has no cached pages (its empty page cache state goes with it).
 */
size_t dcache_shrink(size_t max)
{
    struct list_node victims = LIST_HEAD_INIT(victims);
    struct list_node inodes = LIST_HEAD_INIT(inodes);
    size_t n = 0;

    if (!dcache_hash || !spin_trylock(&dcache_lock))
        return 0;
    if (!spin_trylock(&inode_hash_lock)) {
        spin_unlock(&dcache_lock);
        return 0;
    }
    list_for_each_safe(pos, &dcache_lru) {
        struct dentry *d = list_entry(pos, struct dentry, lru_link);
        struct inode *inode = d->inode;

        if (n >= max)
            break;
        if (d->refs || d->parent == d || !list_empty(&d->children) ||
            (d->flags & DENTRY_MOUNTED) || (inode && inode->nlink == 0))
            continue;
        list_del(&d->lru_link);
        d_unhash_locked(d);
        d->flags |= DENTRY_DEAD;
        list_del(&d->child_link);
        if (--d->parent->refs == 0 && !list_linked(&d->parent->lru_link))
            list_add_tail(&dcache_lru, &d->parent->lru_link);
        if (inode && --inode->refs == 0 && !(inode->flags & (INODE_DIRTY | INODE_NEW)) &&
            (!inode->mapping || atomic_load(&inode->mapping->npages) == 0)) {
            /* unreachable once unhashed: its (empty) page cache state goes too */
            inode_unhash_locked(inode);
            list_add_tail(&inodes, &inode->dirty_link);     /* reused as a free list */
        }
        list_add_tail(&victims, &d->lru_link);
        n++;
    }
    spin_unlock(&inode_hash_lock);
    spin_unlock(&dcache_lock);
    list_for_each_safe(pos, &victims)
        d_free(list_entry(pos, struct dentry, lru_link));
    list_for_each_safe(pos, &inodes) {
        struct inode *inode = list_entry(pos, struct inode, dirty_link);
        if (!pagecache_free_empty_mapping(inode)) {
            /* cannot happen (nobody holds a reference to add pages); if it
             * did, leaking the inode is safer than freeing it */
            pr_warn("vfs: reclaim: inode %llu still had pages; left allocated",
                    (unsigned long long)inode->ino);
            continue;
        }
        inode_free(inode);
    }
    return n;
}

void d_prune_children(struct dentry *d)
{
    struct list_node dead = LIST_HEAD_INIT(dead);

    spin_lock(&dcache_lock);
    list_for_each_safe(pos, &d->children) {
        struct dentry *c = list_entry(pos, struct dentry, child_link);
        if (c->refs || c->inode || !list_empty(&c->children))
            continue;
        d_unhash_locked(c);
        c->flags |= DENTRY_DEAD;
        if (list_linked(&c->lru_link))
            list_del(&c->lru_link);
        list_del(&c->child_link);
        list_add_tail(&dead, &c->lru_link);
        d->refs--;              /* the child's reference; the caller still holds one */
    }
    spin_unlock(&dcache_lock);
    list_for_each_safe(pos, &dead)
        d_free(list_entry(pos, struct dentry, lru_link));
}

/* Kills the tree under root (the sb's root dentry), root included, whatever
 * the references (umount, after its busy checks). */
void d_kill_root(struct dentry *root)
{
    struct list_node dead = LIST_HEAD_INIT(dead);
    struct dentry *d = root;

    spin_lock(&dcache_lock);
    for (;;) {
        struct dentry *parent = d->parent;

        if (!list_empty(&d->children)) {
            d = list_entry(d->children.next, struct dentry, child_link);
            continue;
        }
        d_unhash_locked(d);
        d->flags |= DENTRY_DEAD;
        if (list_linked(&d->lru_link))
            list_del(&d->lru_link);
        if (list_linked(&d->child_link))
            list_del(&d->child_link);
        list_add_tail(&dead, &d->lru_link);
        if (d == root)
            break;
        d = parent;
    }
    spin_unlock(&dcache_lock);
    list_for_each_safe(pos, &dead) {
        struct dentry *v = list_entry(pos, struct dentry, lru_link);
        if (v->inode)
            inode_put(v->inode);
        d_free(v);
    }
}

/* ---- boot */
int vfs_init(void)
{
    int err = vfs_objects_init();

    if (err)
        return err;
    vfs_mount_init();
    err = bcache_init();
    if (!err)
        err = pagecache_init();
    if (!err)
        err = writeback_init();     /* the flusher, and fs's reclaim and shutdown hooks */
    if (err)
        return err;
    err = tmpfs_init();
    if (!err)
        err = ext2_init();
    return err;
}
