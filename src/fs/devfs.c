/*
 * src/fs/devfs.c - devtmpfs: /dev as a writable pseudo-file-system tree
 * filled at mount time with the character devices of fs/chrdev and a node
 * per block device of dev/blk.
 *
 * Part of fs. See include/fs/devfs.h.
 */
#include <core/errno.h>
#include <core/printk.h>
#include <dev/blk.h>
#include <fs/chrdev.h>
#include <fs/devfs.h>
#include <fs/pseudo.h>
#include <fs/vfs.h>

struct fill_walk {
    struct pseudo_tree *t;
    int err;
};

static void add_chr(const struct chrdev *cd, void *arg)
{
    struct fill_walk *w = arg;

    if (w->err || !cd->node)
        return;
    if (!pseudo_mknod(w->t, NULL, cd->node, S_IFCHR | (cd->mode & S_IALLUGO),
                      KDEV(cd->major, cd->minor), 0, cd->gid))
        w->err = -ENOMEM;
}

static int devfs_build(struct pseudo_tree *t)
{
    struct fill_walk w = { .t = t };
    size_t count = blk_count();

    chrdev_for_each(add_chr, &w);
    for (size_t i = 0; i < count && !w.err; i++) {
        struct blk_dev *d = blk_get(i);
        if (!d || !d->major)
            continue;           /* no device numbers: no node could reach it */
        if (!pseudo_mknod(t, NULL, d->name, S_IFBLK | 0660, KDEV(d->major, d->minor),
                          0, DEVFS_GID_DISK))
            w.err = -ENOMEM;
    }
    return w.err;
}

static int devfs_fill_super(struct super_block *sb, struct blk_dev *bdev, const char *data)
{
    struct pseudo_tree *t = pseudo_tree_new(PSEUDO_WRITABLE, 0755, 0);
    int err;

    (void)bdev, (void)data;
    if (!t)
        return -ENOMEM;
    err = devfs_build(t);
    if (!err)
        err = pseudo_fill_super(sb, t, TMPFS_MAGIC);
    if (err) {
        pr_err("devtmpfs: cannot fill /dev: %d", err);
        pseudo_tree_free(t);
    }
    return err;
}

static struct fs_type devfs_type = {
    .name = "devtmpfs",
    .fill_super = devfs_fill_super,
};

int devfs_init(void)
{
    int err = chrdev_init();

    return err ? err : vfs_register_fs(&devfs_type);
}
