/*
 * include/fs/chrdev.h - device special files: the character device registry
 * (major, minor) -> file_ops, the built-in character devices, and block
 * device files reading and writing a struct blk_dev.
 *
 * Part of fs. A device inode (S_IFCHR or S_IFBLK, on any file system) gets
 * chrdev_special_fops (chrdev_init_special_inode does it for a file system
 * that reads such an inode); its open, chrdev_open, finds the driver by the
 * inode's rdev and replaces f->fops with the device's before calling the
 * device's own open. The VFS calls chrdev_open for every device inode in
 * vfs_open (one place), whatever the inode's fops say, so a file system
 * that forgets chrdev_init_special_inode still gets working devices.
 *
 * Built-in character devices, Linux's numbers (registered by chrdev_init):
 *   1:3 null   reads EOF, writes vanish
 *   1:5 zero   reads zeros, writes vanish
 *   1:7 full   reads zeros, writes fail with -ENOSPC
 *   1:8 random, 1:9 urandom   reads dev/random (random_get_bytes: the
 *              virtio-rng device, else RDRAND); writes are accepted and
 *              dropped (Linux mixes them into its pool; Basalt has none)
 *   5:0 tty, 5:1 console      writes go to every kernel console
 *   4:64 ttyS0                writes go to the serial port (COM1)
 * Reads of tty, console and ttyS0 return 0 (end of file): the terminal
 * layer with line discipline and input comes with the tty issue; until
 * then user programs see no input from these nodes.
 *
 * Block device files: S_IFBLK with the numbers of a registered blk_dev
 * (whole disk or partition; virtio-blk 254:16*disk+part). Reads and writes
 * at any offset and length (partial blocks are read-modify-written), up to
 * the device's size; lseek SEEK_END is relative to the size; fsync flushes
 * the device's write cache; ioctl BLKGETSIZE64, BLKGETSIZE, BLKSSZGET,
 * BLKBSZGET, BLKFLSBUF. They go to the device directly, not through the
 * buffer cache: writing a mounted file system's device behind its back
 * is not kept coherent (Linux's block device page cache is; here it is
 * the caller's care, like writing a mounted disk from the shell).
 *
 * Locking: chrdev_lock (a mutex) guards the registry [chrdev_lock]; a
 * registered struct chrdev must stay valid until unregistered, and an open
 * file keeps using the fops it found (unregistering a driver with open
 * files is the driver's problem: the built-in ones are never removed).
 */
#ifndef BASALT_FS_CHRDEV_H
#define BASALT_FS_CHRDEV_H

#include <core/compiler.h>
#include <core/list.h>
#include <fs/vfs.h>

/*
 * One registered range of character device numbers. Legend: [c] set by
 * the caller before chrdev_register, constant while registered;
 * [chrdev_lock] the registry's link.
 */
struct chrdev {
    uint32_t major;                 /* [c] */
    uint32_t minor;                 /* [c] first minor */
    uint32_t count;                 /* [c] minors from minor on (>= 1) */
    const char *region;             /* [c] /proc/devices name ("mem", "/dev/console", "ttyS") */
    const char *node;               /* [c] devtmpfs node of the first minor ("null"), NULL: none */
    uint32_t mode;                  /* [c] permission bits of that node (0666) */
    uint32_t gid;                   /* [c] its group (5 tty, 20 dialout) */
    const struct file_ops *fops;    /* [c] the device's; its open may be NULL */
    struct list_node link;          /* [chrdev_lock] registry, by (major, minor) */
};

/*
 * Adds cd. Returns 0, -EINVAL (count 0, a major or minor out of kdev_t's
 * range, no fops or no region), or -EBUSY when its numbers overlap a
 * registered range. Thread context; takes chrdev_lock.
 */
int chrdev_register(struct chrdev *cd);
/* Removes cd (registered). Thread context; takes chrdev_lock. */
void chrdev_unregister(struct chrdev *cd);
/* The fops of the character device dev, or NULL. Thread context. */
const struct file_ops *chrdev_lookup(kdev_t dev);
/*
 * Calls fn for each registered range in (major, minor) order, under
 * chrdev_lock: fn must not register or unregister. Thread context.
 */
void chrdev_for_each(void (*fn)(const struct chrdev *cd, void *arg), void *arg);

/*
 * vfs_open's hook for device inodes (S_IFCHR, S_IFBLK): finds the device
 * by inode->rdev, sets f->fops to its operations and runs their open.
 * Returns 0, -ENXIO (no such device: Linux's errno for an unclaimed number)
 * or the device open's error. Other inode types: -ENXIO. Called with no
 * lock held, after vfs_open's permission checks.
 */
int chrdev_open(struct inode *inode, struct file *f);
/* File operations whose open is chrdev_open: the fops of device inodes. */
extern const struct file_ops chrdev_special_fops;
/*
 * For file systems filling a device, fifo or socket inode: sets mode and
 * rdev, and fops to chrdev_special_fops for S_IFCHR/S_IFBLK (fifos and
 * sockets keep NULL fops until pipes exist: opening them fails -ENXIO).
 */
void chrdev_init_special_inode(struct inode *inode, uint32_t mode, kdev_t rdev);

/*
 * The registered block device (whole disk or partition) with numbers dev,
 * or NULL; major 0 is never found (dev/blk's "no numbers given", as the
 * ktests' RAM disks are). Thread context (takes blk_lock through blk_get).
 */
struct blk_dev *chrdev_find_blk(kdev_t dev);

/* Block device ioctls (Linux's numbers; arg is a kernel pointer to the result). */
#define BLKFLSBUF       0x1261u
#define BLKGETSIZE      0x1260u     /* unsigned long: 512-byte sectors */
#define BLKSSZGET       0x1268u     /* int: logical block size */
#define BLKBSZGET       0x80081270u /* int: the block size (Linux: the soft block size) */
#define BLKGETSIZE64    0x80081272u /* uint64_t: bytes */

/* Registers the built-in character devices (once; later calls return 0). 0 or -errno. */
int chrdev_init(void);

#endif
