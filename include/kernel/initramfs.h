/*
 * include/kernel/initramfs.h - unpacking the initramfs (a cpio "newc"
 * archive, plain or gzip-compressed, as GRUB loads it next to the kernel)
 * into the root file system through the VFS.
 *
 * Part of the kernel executable (src/kernel/initramfs.c); used by the boot
 * step that sets up the root (kernel/rootfs) and by its ktests. Parsing is
 * fs/cpio's and decompression fs/inflate's; this module turns the entries
 * into files with the vfs_* calls, as Linux's init/initramfs.c does:
 *   - the buffer is a sequence of segments: zero bytes (skipped), a plain
 *     cpio archive (starting "07070" at a 4-byte boundary; archives may
 *     follow each other), or a gzip member (1f 8b), whose output is a
 *     cpio archive (or several) of its own;
 *   - directories, regular files, symlinks, device nodes, FIFOs and sockets
 *     (vfs_mknod) are created with the entry's mode, uid, gid and mtime
 *     (both atime and mtime; directories' times are set at the very end,
 *     so creating their contents, in any archive, does not change them); an existing
 *     name of another type is removed first, an existing directory is kept
 *     and gets the entry's attributes, a regular file is truncated;
 *   - hard links by the newc rule (see include/fs/cpio.h): the first entry
 *     of a (archive, dev, ino, type) key with nlink >= 2 creates the file,
 *     later ones link to it, and data on any of them fills the shared inode;
 *   - names pass cpio_name_ok and are made relative to ctx's root
 *     (cpio_name_rel); "." is the root itself.
 * An entry that cannot be created is reported (pr_err with its name and the
 * errno) and skipped; a damaged archive or gzip stream is reported with its
 * offset and ends the unpacking, keeping what was created before it.
 *
 * Context: thread context (everything may sleep); ctx is the caller's and
 * must stay valid. Memory: the decompressed output of one gzip member is
 * held at once (vmalloc), besides the input.
 */
#ifndef BASALT_KERNEL_INITRAMFS_H
#define BASALT_KERNEL_INITRAMFS_H

#include <core/compiler.h>

struct vfs_ctx;

struct initramfs_stats {
    size_t entries;             /* entries created (links included) */
    size_t failed;              /* entries reported and skipped */
    size_t archives;            /* cpio archives read */
    size_t gzip_members;        /* gzip members decompressed */
    size_t bytes;               /* cpio bytes read (after decompression) */
};

/*
 * Unpacks buf[0..len) into ctx's root (see above). Fills *st (may be NULL).
 * Returns 0 when the whole buffer was read (some entries may have failed:
 * st->failed), or the negative errno of the damage that stopped it:
 * fs/cpio's -EINVAL/-ENODATA/-EIO/-ENAMETOOLONG, fs/inflate's
 * -EINVAL/-ENODATA, -ENOMEM when the decompressed data does not fit in
 * memory. Each problem has its log line ("initramfs: ...").
 */
int initramfs_unpack(struct vfs_ctx *ctx, const void *buf, size_t len,
                     struct initramfs_stats *st);

#endif
