/*
 * src/fs/cpio.c - the newc cpio archive reader behind the initramfs (see
 * include/fs/cpio.h for the format, the checks and the error codes).
 *
 * Part of fs; pure. Every bound is checked against the bytes remaining in
 * the buffer before it is used, so no header field, however large, can
 * make an offset overflow or a read leave the buffer.
 */
#include <fs/cpio.h>
#include <core/errno.h>
#include <core/string.h>

#define CPIO_MAGIC_LEN      6
#define CPIO_FIELDS         13

/* Header field indexes, in their order after the magic. */
enum {
    F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE,
    F_DEVMAJOR, F_DEVMINOR, F_RDEVMAJOR, F_RDEVMINOR, F_NAMESIZE, F_CHECK,
};

static const char cpio_trailer[] = "TRAILER!!!";

void cpio_iter_init(struct cpio_iter *it, const void *buf, size_t len)
{
    it->buf = buf;
    it->len = len;
    it->off = 0;
    it->archive = 0;
    it->state = 1;
}

/* Parses 8 hex digits at s into *out; -EINVAL on any other character. */
static int parse_hex8(const uint8_t *s, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 8; i++) {
        uint8_t c = s[i];
        uint32_t d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -EINVAL;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Bytes of padding after offset off up to the next 4-byte boundary. */
static size_t pad4(size_t off)
{
    return (4 - (off & 3)) & 3;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static bool type_known(uint32_t type)
{
    switch (type) {
    case CPIO_S_IFREG: case CPIO_S_IFDIR: case CPIO_S_IFLNK: case CPIO_S_IFCHR:
    case CPIO_S_IFBLK: case CPIO_S_IFIFO: case CPIO_S_IFSOCK:
        return true;
    default:
        return false;
    }
}

/*
 * Checks the magic at p against the rem bytes that are there: -EINVAL for
 * a wrong one (even a cut one), 1 for "070702", 0 for "070701", -ENODATA
 * when fewer than a magic's bytes remain and they match so far.
 */
static int check_magic(const uint8_t *p, size_t rem)
{
    static const char newc[] = "070701", crc[] = "070702";
    size_t n = MIN(rem, (size_t)CPIO_MAGIC_LEN);
    int crc_format;

    if (memcmp(p, newc, n) == 0)
        crc_format = 0;
    else if (memcmp(p, crc, n) == 0)
        crc_format = 1;
    else
        return -EINVAL;
    return n < CPIO_MAGIC_LEN ? -ENODATA : crc_format;
}

/*
 * Reads the header at it->off. Returns 1 with *e filled and it->off moved
 * past the entry, 0 for a trailer (it->off left at the byte after its
 * name), or a negative errno (it->off unchanged).
 */
static int read_entry(struct cpio_iter *it, struct cpio_entry *e)
{
    const uint8_t *h = it->buf + it->off;
    size_t rem = it->len - it->off;
    uint32_t f[CPIO_FIELDS];
    int crc = check_magic(h, rem);

    if (crc < 0)
        return crc;
    if (rem < CPIO_HEADER_SIZE)
        return -ENODATA;
    for (int i = 0; i < CPIO_FIELDS; i++)
        if (parse_hex8(h + CPIO_MAGIC_LEN + 8 * i, &f[i]) < 0)
            return -EINVAL;

    /* The name: a non-empty string and its NUL, nothing else. */
    size_t namesize = f[F_NAMESIZE];
    const char *name = (const char *)h + CPIO_HEADER_SIZE;

    if (namesize < 2)
        return -EINVAL;
    if (namesize > rem - CPIO_HEADER_SIZE)
        return -ENODATA;
    if (name[namesize - 1] != '\0' || memchr(name, 0, namesize - 1))
        return -EINVAL;

    size_t name_end = it->off + CPIO_HEADER_SIZE + namesize;

    if (namesize == sizeof(cpio_trailer) && memcmp(name, cpio_trailer, namesize) == 0) {
        if (f[F_FILESIZE] != 0)
            return -EINVAL;
        it->off = name_end;     /* its padding is checked with what follows */
        return 0;
    }

    size_t pad = pad4(name_end);

    if (pad > it->len - name_end)
        return -ENODATA;
    if (!all_zero(it->buf + name_end, pad))
        return -EINVAL;

    size_t data_off = name_end + pad;
    size_t size = f[F_FILESIZE];

    if (size > it->len - data_off)
        return -ENODATA;

    size_t data_end = data_off + size;
    size_t dpad = pad4(data_end);

    if (dpad > it->len - data_end)
        return -ENODATA;
    if (!all_zero(it->buf + data_end, dpad))
        return -EINVAL;

    /* The mode and what each type may carry. */
    uint32_t mode = f[F_MODE];
    uint32_t type = cpio_type(mode);
    const uint8_t *data = it->buf + data_off;

    if ((mode & ~(uint32_t)(CPIO_S_IFMT | CPIO_S_PERM)) || !type_known(type))
        return -EINVAL;
    if (size && type != CPIO_S_IFREG && type != CPIO_S_IFLNK)
        return -EINVAL;
    if (type == CPIO_S_IFLNK) {
        if (size == 0 || memchr(data, 0, size))
            return -EINVAL;
        if (size >= CPIO_PATH_MAX)
            return -ENAMETOOLONG;
    }
    if (crc && type == CPIO_S_IFREG) {
        uint32_t sum = 0;

        for (size_t i = 0; i < size; i++)
            sum += data[i];
        if (sum != f[F_CHECK])
            return -EIO;
    }

    e->name = name;
    e->namelen = namesize - 1;
    e->data = data;
    e->size = size;
    e->mode = mode;
    e->uid = f[F_UID];
    e->gid = f[F_GID];
    e->nlink = f[F_NLINK];
    e->mtime = f[F_MTIME];
    e->ino = f[F_INO];
    e->dev_major = f[F_DEVMAJOR];
    e->dev_minor = f[F_DEVMINOR];
    e->rdev_major = f[F_RDEVMAJOR];
    e->rdev_minor = f[F_RDEVMINOR];
    e->check = f[F_CHECK];
    e->crc = crc && type == CPIO_S_IFREG;
    e->archive = it->archive;
    e->offset = it->off;
    it->off = data_end + dpad;
    return 1;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
    for (;;) {
        if (it->state <= 0)
            return it->state;
        if (it->off == it->len) {
            it->state = -ENODATA;           /* no trailer */
            continue;
        }

        int ret = read_entry(it, e);

        if (ret != 0) {
            if (ret < 0)
                it->state = ret;
            return ret;
        }

        /* A trailer: zeros, then the end or another archive at a boundary. */
        while (it->off < it->len && it->buf[it->off] == 0)
            it->off++;
        if (it->off == it->len)
            it->state = 0;
        else if (it->off & 3)
            it->state = -EINVAL;
        else
            it->archive++;
    }
}

int cpio_name_ok(const char *name, size_t len)
{
    if (len == 0 || memchr(name, 0, len))
        return -EINVAL;
    if (len >= CPIO_PATH_MAX)
        return -ENAMETOOLONG;
    for (size_t i = 0; i < len;) {
        size_t j = i;

        while (j < len && name[j] != '/')
            j++;
        if (j - i == 2 && name[i] == '.' && name[i + 1] == '.')
            return -EINVAL;
        i = j + 1;
    }
    return 0;
}

const char *cpio_name_rel(const char *name, size_t *len)
{
    size_t n = *len;

    for (;;) {
        if (n >= 1 && name[0] == '/') {
            name++;
            n--;
        } else if (n >= 2 && name[0] == '.' && name[1] == '/') {
            name += 2;
            n -= 2;
        } else if (n == 1 && name[0] == '.') {
            name++;
            n--;
        } else {
            break;
        }
    }
    *len = n;
    return name;
}
