/*
 * include/uapi/fs.h - the Linux x86-64 file-system ABI: open flags, modes,
 * struct stat, struct statfs, struct linux_dirent64, mount flags.
 *
 * Below every layer (include/uapi). Written from the man pages open(2),
 * stat(2) (inode(7)), statfs(2), getdents64(2), mount(2), umount(2),
 * utimensat(2), lseek(2), access(2) and the x86-64 psABI's type sizes; the
 * layouts are checked with _Static_assert. Values are Linux's, octal as in
 * the man pages, so user programs built for Linux see what they expect.
 */
#ifndef BASALT_UAPI_FS_H
#define BASALT_UAPI_FS_H

#include <stddef.h>
#include <stdint.h>

/* ---- open(2) flags (x86-64 values) */
#define O_ACCMODE       00000003
#define O_RDONLY        00000000
#define O_WRONLY        00000001
#define O_RDWR          00000002
#define O_CREAT         00000100
#define O_EXCL          00000200
#define O_NOCTTY        00000400
#define O_TRUNC         00001000
#define O_APPEND        00002000
#define O_NONBLOCK      00004000
#define O_DSYNC         00010000
#define O_DIRECT        00040000
#define O_LARGEFILE     00100000
#define O_DIRECTORY     00200000
#define O_NOFOLLOW      00400000
#define O_NOATIME       01000000
#define O_CLOEXEC       02000000
#define O_SYNC          04010000
#define O_PATH          010000000

/* ---- *at(2) */
#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_EMPTY_PATH       0x1000

/* ---- lseek(2) */
#define SEEK_SET    0
#define SEEK_CUR    1
#define SEEK_END    2
#define SEEK_DATA   3
#define SEEK_HOLE   4

/* ---- access(2) */
#define F_OK    0
#define X_OK    1
#define W_OK    2
#define R_OK    4

/* ---- file types and mode bits, inode(7) */
#define S_IFMT      0170000
#define S_IFSOCK    0140000
#define S_IFLNK     0120000
#define S_IFREG     0100000
#define S_IFBLK     0060000
#define S_IFDIR     0040000
#define S_IFCHR     0020000
#define S_IFIFO     0010000
#define S_ISUID     0004000
#define S_ISGID     0002000
#define S_ISVTX     0001000
#define S_IRWXU     00700
#define S_IRUSR     00400
#define S_IWUSR     00200
#define S_IXUSR     00100
#define S_IRWXG     00070
#define S_IRWXO     00007
#define S_IALLUGO   07777

#define S_ISLNK(m)  (((m) & S_IFMT) == S_IFLNK)
#define S_ISREG(m)  (((m) & S_IFMT) == S_IFREG)
#define S_ISDIR(m)  (((m) & S_IFMT) == S_IFDIR)
#define S_ISCHR(m)  (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m)  (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

/* ---- getdents64(2): d_type values (mode >> 12) */
#define DT_UNKNOWN  0
#define DT_FIFO     1
#define DT_CHR      2
#define DT_DIR      4
#define DT_BLK      6
#define DT_REG      8
#define DT_LNK      10
#define DT_SOCK     12
#define DT_FROM_MODE(m) ((unsigned char)(((m) & S_IFMT) >> 12))

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t  d_off;             /* cookie: lseek to it to continue after this entry */
    uint16_t d_reclen;          /* whole record, a multiple of 8 */
    uint8_t  d_type;
    char     d_name[];          /* NUL-terminated */
};
_Static_assert(offsetof(struct linux_dirent64, d_name) == 19, "linux_dirent64 layout");
/* Bytes one entry with a name of len bytes takes (NUL included, 8-aligned). */
#define LINUX_DIRENT64_RECLEN(len) ((19u + (len) + 1u + 7u) & ~7u)

/* ---- time */
struct linux_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};
#define UTIME_NOW   ((1l << 30) - 1l)
#define UTIME_OMIT  ((1l << 30) - 2l)

/* ---- stat(2), x86-64 layout (struct stat of asm/stat.h) */
struct linux_stat {
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t __pad0;
    uint64_t st_rdev;
    int64_t  st_size;
    int64_t  st_blksize;
    int64_t  st_blocks;         /* 512-byte units */
    uint64_t st_atime_sec, st_atime_nsec;
    uint64_t st_mtime_sec, st_mtime_nsec;
    uint64_t st_ctime_sec, st_ctime_nsec;
    int64_t  st_reserved[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat is 144 bytes on x86-64");
_Static_assert(offsetof(struct linux_stat, st_rdev) == 40, "struct stat layout");
_Static_assert(offsetof(struct linux_stat, st_atime_sec) == 72, "struct stat layout");

/*
 * Device numbers as user space sees them (glibc/musl makedev, Linux's
 * new_encode_dev): minor's low 8 bits, major's 12 bits, minor's high bits.
 */
static inline uint64_t linux_makedev(uint32_t major, uint32_t minor)
{
    return (uint64_t)(minor & 0xffu) | ((uint64_t)(major & 0xfffu) << 8) |
           ((uint64_t)(minor & ~0xffu) << 12) | ((uint64_t)(major & ~0xfffu) << 32);
}

/* ---- statfs(2), x86-64 layout */
struct linux_statfs {
    int64_t  f_type;            /* magic, below */
    int64_t  f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail;
    uint64_t f_files, f_ffree;
    int32_t  f_fsid[2];
    int64_t  f_namelen;
    int64_t  f_frsize;
    int64_t  f_flags;           /* ST_* */
    int64_t  f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs is 120 bytes on x86-64");

#define EXT2_SUPER_MAGIC    0xEF53
#define TMPFS_MAGIC         0x01021994
#define PROC_SUPER_MAGIC    0x9fa0
#define SYSFS_MAGIC         0x62656572

#define ST_RDONLY   0x0001
#define ST_NOSUID   0x0002

/* ---- mount(2) / umount2(2) */
#define MS_RDONLY   0x0001
#define MS_NOSUID   0x0002
#define MS_NODEV    0x0004
#define MS_NOEXEC   0x0008
#define MS_REMOUNT  0x0020
#define MS_BIND     0x1000
#define MNT_FORCE   0x0001
#define MNT_DETACH  0x0002

#define NAME_MAX    255         /* bytes in a file name */
#define PATH_MAX    4096        /* bytes in a path, NUL included */
#define SYMLOOP_MAX 40          /* symlinks followed in one lookup */

#endif
