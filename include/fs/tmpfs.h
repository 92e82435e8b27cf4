/*
 * include/fs/tmpfs.h - tmpfs, the RAM file system (fs type "tmpfs",
 * statfs magic TMPFS_MAGIC): files in unevictable page-cache pages, names
 * in the dentry cache. Mount option "mode=OCTAL" sets the root's mode
 * (default 1777, as Linux).
 *
 * Part of fs, src/fs/tmpfs.c.
 */
#ifndef BASALT_FS_TMPFS_H
#define BASALT_FS_TMPFS_H

#include <fs/vfs.h>

/* Registers the "tmpfs" type (from vfs_init). 0 or -errno. */
int tmpfs_init(void);

#endif
