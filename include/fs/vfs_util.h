/*
 * include/fs/vfs_util.h - the VFS's pure helpers: splitting a path into
 * components as the walk sees them, and packing getdents64 records.
 *
 * Part of fs (src/fs/vfs_util.c); no locks, no allocation, host-tested
 * (test/unit/test_vfs_util.c).
 */
#ifndef BASALT_FS_VFS_UTIL_H
#define BASALT_FS_VFS_UTIL_H

#include <core/compiler.h>

/* One component of a path. */
struct vfs_util_comp {
    const char *name;       /* its first byte (not NUL-terminated) */
    size_t len;             /* 1..NAME_MAX */
    const char *rest;       /* what follows the name, its slashes included */
    bool last;              /* only slashes (or nothing) follow */
    bool trailing;          /* last, and at least one slash follows */
    int kind;               /* VFS_UTIL_NORMAL, VFS_UTIL_DOT ("."), VFS_UTIL_DOTDOT ("..") */
};
#define VFS_UTIL_NORMAL 0
#define VFS_UTIL_DOT    1
#define VFS_UTIL_DOTDOT 2

/*
 * Skips the slashes at p and takes the next component into *c. Returns 1
 * (a component), 0 (only slashes or nothing left) or -ENAMETOOLONG (a
 * component longer than NAME_MAX bytes; *c untouched).
 */
int vfs_util_next_comp(const char *p, struct vfs_util_comp *c);

/*
 * Writes one struct linux_dirent64 record (d_off 0, name NUL-terminated,
 * zero padding to a multiple of 8) at buf when avail bytes hold it.
 * Returns its length (LINUX_DIRENT64_RECLEN(len)), or 0 when it does not fit.
 */
size_t vfs_util_dirent_put(void *buf, size_t avail, const char *name, size_t len,
                           uint64_t ino, unsigned type);
/* Sets the d_off of the record at rec (unaligned access safe). */
void vfs_util_dirent_set_off(void *rec, int64_t off);

#endif
