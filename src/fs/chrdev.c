/*
 * src/fs/chrdev.c - device special files: the character device registry,
 * the built-in character devices (null, zero, full, random, urandom, tty,
 * console, ttyS0) and block device files on struct blk_dev.
 *
 * Part of fs (uses dev's block layer and entropy source, core's consoles).
 * See include/fs/chrdev.h for the contract.
 */
#include <core/errno.h>
#include <core/printk.h>
#include <core/serial.h>
#include <core/string.h>
#include <dev/blk.h>
#include <dev/random.h>
#include <fs/chrdev.h>
#include <mm/kmalloc.h>
#include <sched/sync.h>

static struct mutex chrdev_lock = MUTEX_INIT("chrdev_lock");
static struct list_node chrdevs = LIST_HEAD_INIT(chrdevs);  /* [chrdev_lock] */

/* ---- the registry */

int chrdev_register(struct chrdev *cd)
{
    struct list_node *before = &chrdevs;
    int err = 0;

    if (!cd || !cd->count || !cd->fops || !cd->region || cd->major > 0xfffu ||
        cd->minor > 0xfffffu || cd->count > 0x100000u - cd->minor)
        return -EINVAL;
    mutex_lock(&chrdev_lock);
    list_for_each(pos, &chrdevs) {
        struct chrdev *o = list_entry(pos, struct chrdev, link);
        if (o == cd) {
            err = -EBUSY;
            goto out;
        }
        if (o->major == cd->major && cd->minor < o->minor + o->count &&
            o->minor < cd->minor + cd->count) {
            err = -EBUSY;
            goto out;
        }
        if (before == &chrdevs &&
            (o->major > cd->major || (o->major == cd->major && o->minor > cd->minor)))
            before = pos;
    }
    list_add_tail(before, &cd->link);    /* in front of the first larger one */
out:
    mutex_unlock(&chrdev_lock);
    return err;
}

void chrdev_unregister(struct chrdev *cd)
{
    mutex_lock(&chrdev_lock);
    list_del(&cd->link);
    mutex_unlock(&chrdev_lock);
}

const struct file_ops *chrdev_lookup(kdev_t dev)
{
    const struct file_ops *fops = NULL;
    uint32_t major = KDEV_MAJOR(dev), minor = KDEV_MINOR(dev);

    mutex_lock(&chrdev_lock);
    list_for_each(pos, &chrdevs) {
        struct chrdev *cd = list_entry(pos, struct chrdev, link);
        if (cd->major == major && minor >= cd->minor && minor - cd->minor < cd->count) {
            fops = cd->fops;
            break;
        }
    }
    mutex_unlock(&chrdev_lock);
    return fops;
}

void chrdev_for_each(void (*fn)(const struct chrdev *cd, void *arg), void *arg)
{
    mutex_lock(&chrdev_lock);
    list_for_each(pos, &chrdevs)
        fn(list_entry(pos, struct chrdev, link), arg);
    mutex_unlock(&chrdev_lock);
}

/* ---- opening a device inode */

static const struct file_ops blkdev_fops;

struct blk_dev *chrdev_find_blk(kdev_t dev)
{
    if (KDEV_MAJOR(dev) == 0)
        return NULL;            /* 0:0 is a disk whose driver gave no numbers */
    for (size_t i = 0; i < blk_count(); i++) {
        struct blk_dev *b = blk_get(i);
        if (b && b->major == KDEV_MAJOR(dev) && b->minor == KDEV_MINOR(dev))
            return b;
    }
    return NULL;
}

int chrdev_open(struct inode *inode, struct file *f)
{
    const struct file_ops *fops;

    if (S_ISCHR(inode->mode))
        fops = chrdev_lookup(inode->rdev);
    else if (S_ISBLK(inode->mode))
        fops = chrdev_find_blk(inode->rdev) ? &blkdev_fops : NULL;
    else
        fops = NULL;
    if (!fops)
        return -ENXIO;
    f->fops = fops;
    return fops->open ? fops->open(inode, f) : 0;
}

const struct file_ops chrdev_special_fops = {
    .open = chrdev_open,
};

void chrdev_init_special_inode(struct inode *inode, uint32_t mode, kdev_t rdev)
{
    inode->mode = mode;
    inode->rdev = rdev;
    if (S_ISCHR(mode) || S_ISBLK(mode))
        inode->fops = &chrdev_special_fops;
}

/* ---- memory devices (major 1) */

static ssize_t null_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return 0;
}

static ssize_t sink_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)buf;
    *pos += len;
    return (ssize_t)len;
}

static ssize_t zero_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    (void)f;
    memset(buf, 0, len);
    *pos += len;
    return (ssize_t)len;
}

static ssize_t full_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return -ENOSPC;
}

/* Seeking these always succeeds and leaves the position at 0 (Linux's null/zero). */
static int64_t mem_llseek(struct file *f, int64_t off, int whence)
{
    (void)off, (void)whence;
    f->pos = 0;
    return 0;
}

static ssize_t random_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    size_t done = 0;
    int err = 0;

    (void)f;
    while (done < len) {
        size_t n = MIN(len - done, (size_t)4096);   /* a bounded piece per source call */
        err = random_get_bytes((char *)buf + done, n, NULL);
        if (err)
            break;
        done += n;
    }
    if (!done && err)
        return err;
    *pos += done;
    return (ssize_t)done;
}

static const struct file_ops null_fops = {
    .read = null_read, .write = sink_write, .llseek = mem_llseek,
};
static const struct file_ops zero_fops = {
    .read = zero_read, .write = sink_write, .llseek = mem_llseek,
};
static const struct file_ops full_fops = {
    .read = zero_read, .write = full_write, .llseek = mem_llseek,
};
static const struct file_ops random_fops = {
    .read = random_read, .write = sink_write, .llseek = mem_llseek,
};

/* ---- terminals: output only until the tty layer exists */

static ssize_t tty_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)buf, (void)len, (void)pos;
    return 0;
}

static ssize_t console_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)pos;
    printk_write(buf, len);
    return (ssize_t)len;
}

static ssize_t serial_file_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    (void)f, (void)pos;
    serial_write(buf, len);
    return (ssize_t)len;
}

static int64_t tty_llseek(struct file *f, int64_t off, int whence)
{
    (void)f, (void)off, (void)whence;
    return -ESPIPE;
}

static const struct file_ops console_fops = {
    .read = tty_read, .write = console_write, .llseek = tty_llseek,
};
static const struct file_ops serial_fops = {
    .read = tty_read, .write = serial_file_write, .llseek = tty_llseek,
};

static struct chrdev builtin[] = {
    { .major = 1, .minor = 3, .count = 1, .region = "mem", .node = "null", .mode = 0666, .fops = &null_fops },
    { .major = 1, .minor = 5, .count = 1, .region = "mem", .node = "zero", .mode = 0666, .fops = &zero_fops },
    { .major = 1, .minor = 7, .count = 1, .region = "mem", .node = "full", .mode = 0666, .fops = &full_fops },
    { .major = 1, .minor = 8, .count = 1, .region = "mem", .node = "random", .mode = 0666, .fops = &random_fops },
    { .major = 1, .minor = 9, .count = 1, .region = "mem", .node = "urandom", .mode = 0666, .fops = &random_fops },
    { .major = 4, .minor = 64, .count = 1, .region = "ttyS", .node = "ttyS0", .mode = 0660, .gid = 20,
      .fops = &serial_fops },
    { .major = 5, .minor = 0, .count = 1, .region = "/dev/tty", .node = "tty", .mode = 0666, .gid = 5,
      .fops = &console_fops },
    { .major = 5, .minor = 1, .count = 1, .region = "/dev/console", .node = "console", .mode = 0600,
      .fops = &console_fops },
};

int chrdev_init(void)
{
    static struct mutex once = MUTEX_INIT("chrdev_init");
    static bool done;
    int err = 0;

    mutex_lock(&once);
    if (done)
        goto out;
    for (size_t i = 0; i < ARRAY_SIZE(builtin); i++) {
        err = chrdev_register(&builtin[i]);
        if (err) {
            pr_err("chrdev: cannot register %u:%u %s: %d", builtin[i].major,
                   builtin[i].minor, builtin[i].node, err);
            while (i-- > 0)
                chrdev_unregister(&builtin[i]);
            goto out;
        }
    }
    done = true;
out:
    mutex_unlock(&once);
    return err;
}

/* ---- block device files */

static struct mutex blkdev_rmw_lock = MUTEX_INIT("blkdev_rmw");  /* partial-block writes */

static int blkdev_open(struct inode *inode, struct file *f)
{
    struct blk_dev *b = chrdev_find_blk(inode->rdev);

    if (!b)
        return -ENXIO;
    if ((f->flags & O_ACCMODE) != O_RDONLY && b->read_only)
        return -EROFS;
    f->priv = b;
    return 0;
}

static uint64_t blkdev_size(const struct blk_dev *b)
{
    return b->sectors << BLK_SECTOR_SHIFT;
}

/* The bounce buffer: up to 64 KiB, at least one block, a multiple of the block size. */
static size_t bounce_size(const struct blk_dev *b)
{
    return MAX((size_t)b->block_size, (size_t)65536);
}

/*
 * Moves len bytes between buf and the device at byte offset pos (both
 * clamped by the caller to the device). Whole aligned blocks go straight
 * to/from buf when it is; the rest through a bounce buffer, writes of
 * partial blocks read the block first (under blkdev_rmw_lock).
 */
static ssize_t blkdev_io(struct blk_dev *b, bool write, void *buf, size_t len, uint64_t pos)
{
    uint32_t bs = b->block_size, spb = bs >> BLK_SECTOR_SHIFT;
    size_t bsz = bounce_size(b), done = 0;
    char *bounce = NULL;
    int err = 0;

    while (done < len) {
        uint64_t off = pos + done;
        uint64_t blk = off / bs;
        uint32_t in = (uint32_t)(off % bs);
        size_t left = len - done;

        if (in == 0 && left >= bs) {
            /* whole blocks: directly from/to the caller's buffer */
            size_t n = ALIGN_DOWN(left, (size_t)bs);
            n = MIN(n, (size_t)1 << 30);
            uint32_t count = (uint32_t)(n >> BLK_SECTOR_SHIFT);
            err = write ? blk_write(b, blk * spb, count, (char *)buf + done)
                        : blk_read(b, blk * spb, count, (char *)buf + done);
            if (err)
                break;
            done += n;
            continue;
        }
        /* a partial block, through the bounce buffer */
        if (!bounce) {
            bounce = kmalloc(bsz);
            if (!bounce) {
                err = -ENOMEM;
                break;
            }
        }
        size_t n = MIN(left, (size_t)(bs - in));
        if (write)
            mutex_lock(&blkdev_rmw_lock);
        err = blk_read(b, blk * spb, spb, bounce);
        if (!err && write) {
            memcpy(bounce + in, (char *)buf + done, n);
            err = blk_write(b, blk * spb, spb, bounce);
        } else if (!err) {
            memcpy((char *)buf + done, bounce + in, n);
        }
        if (write)
            mutex_unlock(&blkdev_rmw_lock);
        if (err)
            break;
        done += n;
    }
    kfree(bounce);
    if (!done && err)
        return err;
    return (ssize_t)done;
}

static ssize_t blkdev_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    struct blk_dev *b = f->priv;
    uint64_t size = blkdev_size(b);
    ssize_t r;

    if (*pos >= size || !len)
        return 0;
    len = (size_t)MIN((uint64_t)len, size - *pos);
    r = blkdev_io(b, false, buf, len, *pos);
    if (r > 0)
        *pos += (uint64_t)r;
    return r;
}

static ssize_t blkdev_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    struct blk_dev *b = f->priv;
    uint64_t size = blkdev_size(b);
    ssize_t r;

    if (!len)
        return 0;
    if (*pos >= size)
        return -ENOSPC;
    len = (size_t)MIN((uint64_t)len, size - *pos);
    r = blkdev_io(b, true, (void *)buf, len, *pos);
    if (r > 0)
        *pos += (uint64_t)r;
    return r;
}

static int64_t blkdev_llseek(struct file *f, int64_t off, int whence)
{
    struct blk_dev *b = f->priv;
    int64_t base;

    switch (whence) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->pos; break;
    case SEEK_END: base = (int64_t)blkdev_size(b); break;
    default: return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    f->pos = (uint64_t)(base + off);
    return (int64_t)f->pos;
}

static int blkdev_fsync(struct file *f)
{
    return blk_flush(f->priv);
}

static int blkdev_ioctl(struct file *f, unsigned long cmd, uintptr_t arg)
{
    struct blk_dev *b = f->priv;

    if (!arg && cmd != BLKFLSBUF)
        return -EFAULT;
    switch (cmd) {
    case BLKGETSIZE64:
        *(uint64_t *)arg = blkdev_size(b);
        return 0;
    case BLKGETSIZE:
        *(unsigned long *)arg = (unsigned long)b->sectors;
        return 0;
    case BLKSSZGET:
    case BLKBSZGET:
        *(int *)arg = (int)b->block_size;
        return 0;
    case BLKFLSBUF:
        return blk_flush(b);    /* nothing is cached here: only the device's cache */
    default:
        return -ENOTTY;
    }
}

static const struct file_ops blkdev_fops = {
    .open = blkdev_open,
    .read = blkdev_read,
    .write = blkdev_write,
    .llseek = blkdev_llseek,
    .fsync = blkdev_fsync,
    .ioctl = blkdev_ioctl,
};
