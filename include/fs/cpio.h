/*
 * include/fs/cpio.h - a reader of cpio archives in the "newc" format, the
 * initramfs format (what `cpio -o -H newc` and Linux's gen_init_cpio write),
 * over an archive held in memory.
 *
 * Part of fs; pure (no locks, no allocation, no printing), so the host unit
 * tests (test/unit/test_cpio.c) run it under ASan/UBSan. The boot code
 * walks the initramfs with cpio_next and creates each entry in the tmpfs
 * root; this module only parses and validates.
 *
 * The format. Each entry is a 110-byte ASCII header - the magic "070701"
 * (newc) or "070702" (newc with a checksum, `cpio -H crc`), then 13 fields
 * of exactly 8 hexadecimal digits: ino, mode, uid, gid, nlink, mtime,
 * filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check -
 * then the name (namesize bytes, its NUL included), zero padding to a
 * 4-byte boundary, the file data (filesize bytes) and zero padding to a
 * 4-byte boundary. An entry named "TRAILER!!!" ends the archive. The
 * boundaries are counted from the start of the buffer, which must be the
 * start of the (first) archive.
 *
 * Checks: everything above. The magic; every field 8 hex digits (either
 * case); namesize >= 2 (a non-empty name and its NUL); the name's last byte
 * NUL and no NUL before it; the padding bytes zero; name and data inside the
 * buffer (all arithmetic done on remaining lengths, so no field value can
 * overflow an offset); mode holds only a file type and permission bits, the
 * type is one of regular, directory, symlink, character or block device,
 * FIFO, socket; only regular files and symlinks carry data; a symlink's
 * target is 1..CPIO_PATH_MAX-1 bytes without a NUL; for "070702" a regular
 * file's data sums (bytes added as unsigned, modulo 2^32) to the check field.
 * Other entries of a "070702" archive are not summed: GNU cpio writes 0 in
 * their check field, even for a symlink's target, and Linux sums regular
 * files only. The check field of "070701" is ignored (it is meant to be 0).
 * Stricter than Linux, which skips over what it does not like: it ignores
 * padding bytes, unknown file types and data on directories or devices, and
 * silently drops names or symlink targets of PATH_MAX bytes or more; here
 * those are errors (names of such length pass cpio_next: cpio_name_ok
 * refuses them). No archive tool writes any of them.
 *
 * Concatenation (as Linux's initramfs accepts it, e.g. an uncompressed early
 * microcode archive followed by the main one): after a TRAILER!!! entry,
 * zero bytes are skipped; at the end of the buffer the walk is over
 * (cpio_next returns 0); a non-zero byte must sit at a 4-byte boundary and
 * start another archive's magic, whose entries then follow (their
 * cpio_entry.archive is one higher). Anything else after a trailer is
 * -EINVAL. The trailers themselves are not returned as entries. A buffer that
 * ends without a trailer (after an entry, or inside one) is -ENODATA: the
 * archive is truncated. A trailer whose own padding is cut off by the end of
 * the buffer is accepted (Linux accepts it too).
 *
 * Hard links. newc stores each name of a multiply-linked file as its own
 * entry with the same ino (and dev major/minor) and nlink >= 2; GNU cpio
 * writes the data only with the last of them (the others have filesize 0).
 * The rule for the unpacker, Linux's (init/initramfs.c): for a non-directory
 * entry with nlink >= 2, the key (archive, dev_major, dev_minor, ino, file
 * type) names one inode; the first entry with a key creates it, each later
 * one becomes a hard link to the first one's name; an entry of that key with
 * data (whichever it is) writes that data into the shared inode. Keys do not
 * carry across a trailer: each concatenated archive has its own (Linux
 * forgets its link table at every TRAILER!!!).
 *
 * Names. Linux unpacks with the root of the new rootfs as its current and
 * root directory and uses each name as is, so "bin/sh", "/bin/sh" and
 * "./bin/sh" are the same file, "." (or "/") is the root itself (an entry
 * for it sets the root's mode and owner), and ".." cannot leave the root.
 * cpio_name_rel strips the leading "/" and "./" to give that relative path;
 * cpio_name_ok is the check the unpacker runs on each name first (see there).
 *
 * Errors (negative Linux errnos):
 *   -EINVAL   malformed: bad magic, a non-hex digit, a bad namesize, a name
 *             not NUL-terminated or with a NUL inside, non-zero padding, a
 *             bad mode, data on a type without data, garbage after a trailer
 *   -ENODATA  truncated: the buffer ends inside an entry or before a trailer
 *             (a namesize or filesize pointing past the end is this too)
 *   -EIO      a "070702" regular file whose data does not match its check
 *   -ENAMETOOLONG  a symlink target of CPIO_PATH_MAX bytes or more
 * After an error the iterator stays failed: cpio_next returns it again.
 *
 * Locking: none; an iterator belongs to its caller. Any context.
 */
#ifndef BASALT_FS_CPIO_H
#define BASALT_FS_CPIO_H

#include <core/compiler.h>

#define CPIO_HEADER_SIZE    110     /* magic 6 + 13 fields of 8 hex digits */
#define CPIO_PATH_MAX       4096    /* Linux's PATH_MAX, its NUL included */

/* File types and permission bits of cpio_entry.mode (the POSIX/Linux values). */
#define CPIO_S_IFMT     0170000
#define CPIO_S_IFSOCK   0140000
#define CPIO_S_IFLNK    0120000
#define CPIO_S_IFREG    0100000
#define CPIO_S_IFBLK    0060000
#define CPIO_S_IFDIR    0040000
#define CPIO_S_IFCHR    0020000
#define CPIO_S_IFIFO    0010000
#define CPIO_S_PERM     07777       /* setuid, setgid, sticky, rwxrwxrwx */

/* One archive entry; its pointers point into the iterator's buffer. */
struct cpio_entry {
    const char *name;       /* namelen bytes, NUL-terminated in the archive */
    size_t namelen;         /* without the NUL; >= 1 */
    const void *data;       /* file data or symlink target (not terminated) */
    size_t size;            /* bytes at data (filesize); 0 for other types */
    uint32_t mode;          /* CPIO_S_IF* type | CPIO_S_PERM bits */
    uint32_t uid, gid;
    uint32_t nlink;
    uint32_t mtime;         /* seconds since the Unix epoch */
    uint32_t ino;
    uint32_t dev_major, dev_minor;      /* device holding the file (link key) */
    uint32_t rdev_major, rdev_minor;    /* a device node's own number */
    uint32_t check;         /* the check field (the data sum for "070702") */
    bool crc;               /* "070702": the check was verified (regular files) */
    unsigned archive;       /* which concatenated archive: 0, 1, ... */
    size_t offset;          /* offset of the header in the buffer */
};

/*
 * An iterator; fields are private (read `off` for where an error was found:
 * the offset of the offending header, or of the byte after a trailer).
 */
struct cpio_iter {
    const uint8_t *buf;
    size_t len;
    size_t off;             /* next header (or error position) */
    unsigned archive;       /* index of the archive being read */
    int state;              /* 1: going, 0: finished, < 0: failed (sticky) */
};

/*
 * Starts iterating the archive(s) in buf[0..len) (buf need not be aligned;
 * it must stay valid while entries are used). len 0 is an archive without a
 * trailer: the first cpio_next returns -ENODATA.
 */
void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len);

/*
 * Reads the next entry into *e. Returns 1 with *e filled; 0 when the last
 * trailer is reached and only zero bytes (or nothing) follow it - then every
 * later call returns 0 too; or a negative errno from the list above (then
 * *e is undefined and every later call returns the same error). Trailers
 * between concatenated archives are passed over, not returned.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/* The file type of a mode (CPIO_S_IFREG, ...). */
static inline uint32_t cpio_type(uint32_t mode)
{
    return mode & CPIO_S_IFMT;
}

/*
 * The check for a name before the unpacker uses it (name[0..len), without
 * a NUL; a cpio_entry's name and namelen fit). Returns 0 when the name is
 * fit to create relative to the root; -EINVAL when it is empty, holds a NUL
 * byte or has a ".." component (anywhere: Linux's walk would stop ".." at
 * the root, but a lexical rule cannot see symlinks made by earlier entries,
 * and no archive tool writes "..", so they are refused outright);
 * -ENAMETOOLONG when len >= CPIO_PATH_MAX (Linux skips such entries).
 * Absolute names ("/etc") and "./"-prefixed ones are accepted: they mean the
 * same path relative to the root (see cpio_name_rel). Any context.
 */
int cpio_name_ok(const char *name, size_t len);

/*
 * The path of name[0..*len) relative to the root: skips every leading "/"
 * and "./" (and a lone final "."), returning a pointer into name and the
 * remaining length in *len. A result of length 0 means the root itself
 * ("/", ".", "./"). Slashes inside the path are left alone. Any context.
 */
const char *cpio_name_rel(const char *name, size_t *len);

#endif
