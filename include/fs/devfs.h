/*
 * include/fs/devfs.h - devtmpfs (fs type "devtmpfs", mounted at /dev): a
 * RAM directory tree filled at mount time with a node for every built-in
 * character device (include/fs/chrdev.h) and every block device (whole
 * disks and partitions: vda, vda1, ...) that has device numbers (a disk
 * left at 0:0 by its driver, as the ktests' RAM disks are, gets none).
 *
 * Part of fs. Nodes are made as Linux's devtmpfs and udev's defaults make
 * them: null zero full random urandom tty 0666 (tty group tty, gid 5),
 * console 0600 root, ttyS0 0660 group dialout (gid 20), disks and
 * partitions 0660 group disk (gid 6). Users may mknod, mkdir, symlink,
 * unlink, rmdir, rename and chmod/chown there (tmpfs semantics); regular
 * files cannot be created (-EPERM: no data store). statfs says
 * TMPFS_MAGIC, as Linux's devtmpfs (a tmpfs) does.
 *
 * Each mount is its own tree, made from the devices registered when it is
 * mounted (Linux shares one instance): a disk registered later gets its
 * node by mknod, or in the next mount. /dev/fd, stdin, stdout and stderr
 * (links into /proc/self/fd) are not made: /proc/self/fd comes with
 * processes and their file descriptors.
 */
#ifndef BASALT_FS_DEVFS_H
#define BASALT_FS_DEVFS_H

#include <core/compiler.h>

#define DEVFS_GID_TTY       5
#define DEVFS_GID_DISK      6
#define DEVFS_GID_DIALOUT   20

/* Registers the "devtmpfs" type and the built-in character devices (from vfs_init). */
int devfs_init(void);

#endif
