/*
 * src/fs/vfs_util.c - the VFS's pure helpers (include/fs/vfs_util.h): path
 * components for the walk and getdents64 record packing.
 *
 * Part of fs; pure (no locks, no allocation), also built for the host tests.
 */
#include <fs/vfs_util.h>
#include <core/errno.h>
#include <core/string.h>
#include <uapi/fs.h>

int vfs_util_next_comp(const char *p, struct vfs_util_comp *c)
{
    const char *e, *q;
    size_t len;

    while (*p == '/')
        p++;
    if (!*p)
        return 0;
    for (e = p; *e && *e != '/'; e++)
        ;
    len = (size_t)(e - p);
    if (len > NAME_MAX)
        return -ENAMETOOLONG;
    for (q = e; *q == '/'; q++)
        ;
    c->name = p;
    c->len = len;
    c->rest = e;
    c->last = !*q;
    c->trailing = c->last && q != e;
    if (len == 1 && p[0] == '.')
        c->kind = VFS_UTIL_DOT;
    else if (len == 2 && p[0] == '.' && p[1] == '.')
        c->kind = VFS_UTIL_DOTDOT;
    else
        c->kind = VFS_UTIL_NORMAL;
    return 1;
}

size_t vfs_util_dirent_put(void *buf, size_t avail, const char *name, size_t len,
                           uint64_t ino, unsigned type)
{
    size_t reclen = LINUX_DIRENT64_RECLEN(len);
    uint8_t *dst = buf;
    uint16_t rl = (uint16_t)reclen;
    int64_t off = 0;
    uint8_t t = (uint8_t)type;

    if (reclen > avail)
        return 0;
    memset(dst, 0, reclen);
    memcpy(dst + offsetof(struct linux_dirent64, d_ino), &ino, sizeof(ino));
    memcpy(dst + offsetof(struct linux_dirent64, d_off), &off, sizeof(off));
    memcpy(dst + offsetof(struct linux_dirent64, d_reclen), &rl, sizeof(rl));
    memcpy(dst + offsetof(struct linux_dirent64, d_type), &t, sizeof(t));
    memcpy(dst + offsetof(struct linux_dirent64, d_name), name, len);
    return reclen;
}

void vfs_util_dirent_set_off(void *rec, int64_t off)
{
    memcpy((uint8_t *)rec + offsetof(struct linux_dirent64, d_off), &off, sizeof(off));
}
