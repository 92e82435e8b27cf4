/*
 * test/unit/test_cpio.c - host tests for src/fs/cpio.c (the newc cpio
 * reader behind the initramfs).
 *
 * Real archives: the test builds a staging folder (empty, 1-, 3-, 4096-byte
 * and 1 MiB files, directories, a symlink, a hard-link pair, a FIFO, a
 * character device when running as root, names of 1..255 bytes, a path of
 * 40 components, the root "." itself) and archives it with the system's
 * GNU cpio (`-H newc` and `-H crc`); every entry read back is compared with
 * lstat/readlink/the file's bytes of what was created, and each staged
 * path must come back exactly once. Concatenation: two archives back to
 * back as cpio writes them (block-padded), trimmed right after the trailer,
 * with 4 zero bytes between, with 2 (misaligned: refused), and garbage
 * after a trailer. Bad input, on archives crafted here: every truncation of
 * a small archive (always -ENODATA before the trailer's name ends, never a
 * wrong entry; each cut copied to a buffer of exactly that size so ASan
 * sees any over-read), bad magic, a non-hex digit in each field, namesize 0
 * and 1, a name without its NUL or with one inside, namesize/filesize past
 * the end and 0xFFFFFFFF, non-zero padding, a bad mode, data on a
 * directory, bad symlink targets, a missing trailer, a "070702" sum
 * mismatch, errors being sticky, and random mutations. Then cpio_name_ok and
 * cpio_name_rel.
 */
#include "unit.h"
#include <fs/cpio.h>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* ---- a growable byte buffer and an archive builder ------------------------- */

struct bbuf {
    uint8_t *p;
    size_t len, cap;
};

static void bb_put(struct bbuf *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, src, n);
    b->len += n;
}

static void bb_zeros(struct bbuf *b, size_t n)
{
    static const uint8_t z[16];

    while (n) {
        size_t k = n < sizeof(z) ? n : sizeof(z);
        bb_put(b, z, k);
        n -= k;
    }
}

static void bb_pad4(struct bbuf *b)
{
    bb_zeros(b, (4 - (b->len & 3)) & 3);
}

enum { F_INO, F_MODE, F_UID, F_GID, F_NLINK, F_MTIME, F_FILESIZE, F_DEVMAJ,
       F_DEVMIN, F_RDEVMAJ, F_RDEVMIN, F_NAMESIZE, F_CHECK, NFIELDS };

/* Header with fields f (namesize as given), name bytes, pad, data, pad. */
static void emit_raw(struct bbuf *b, const char *magic, const uint32_t f[NFIELDS],
                     const void *name, size_t name_bytes, const void *data, size_t n)
{
    char h[CPIO_HEADER_SIZE + 1];
    int k = snprintf(h, sizeof(h), "%s", magic);

    for (int i = 0; i < NFIELDS; i++)
        k += snprintf(h + k, sizeof(h) - (size_t)k, "%08X", f[i]);
    assert_int_equal(k, CPIO_HEADER_SIZE);
    bb_put(b, h, CPIO_HEADER_SIZE);
    bb_put(b, name, name_bytes);
    bb_pad4(b);
    bb_put(b, data, n);
    bb_pad4(b);
}

/* A well-formed entry: name with its NUL, data, crc sum filled for 070702. */
static void emit(struct bbuf *b, const char *magic, const char *name, uint32_t mode,
                 const void *data, size_t n)
{
    uint32_t f[NFIELDS] = { 0 };
    uint32_t sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += ((const uint8_t *)data)[i];
    f[F_INO] = 7;
    f[F_MODE] = mode;
    f[F_NLINK] = 1;
    f[F_FILESIZE] = (uint32_t)n;
    f[F_NAMESIZE] = (uint32_t)strlen(name) + 1;
    f[F_CHECK] = strcmp(magic, "070702") == 0 ? sum : 0;
    emit_raw(b, magic, f, name, strlen(name) + 1, data, n);
}

static void emit_trailer(struct bbuf *b)
{
    emit(b, "070701", "TRAILER!!!", 0, NULL, 0);
}

/* Iterates buf[0..len) to the end; returns the final result, counts entries. */
static int walk(const void *buf, size_t len, unsigned *count)
{
    struct cpio_iter it;
    struct cpio_entry e;
    int r;

    *count = 0;
    cpio_iter_init(&it, buf, len);
    while ((r = cpio_next(&it, &e)) == 1) {
        const uint8_t *lo = buf, *hi = lo + len;
        assert_true((const uint8_t *)e.name >= lo && (const uint8_t *)e.name + e.namelen < hi);
        assert_int_equal(e.name[e.namelen], '\0');
        assert_true((const uint8_t *)e.data >= lo && (const uint8_t *)e.data + e.size <= hi);
        (*count)++;
    }
    /* finished or failed for good */
    assert_int_equal(cpio_next(&it, &e), r);
    return r;
}

/* walk() on an exact-size heap copy, so ASan catches any read past len. */
static int walk_copy(const void *buf, size_t len, unsigned *count)
{
    uint8_t *c = malloc(len ? len : 1);
    assert_non_null(c);
    memcpy(c, buf, len);
    int r = walk(c, len, count);
    free(c);
    return r;
}

static int first_result(const void *buf, size_t len)
{
    unsigned n;
    int r = walk_copy(buf, len, &n);
    return n ? 1 : r;
}

/* ---- the staging folder and the system's cpio ----------------------------- */

#define BIG_SIZE    (1u << 20)
#define DEEP        40

static char stage[64];
static bool have_dev;

static void path_of(char *out, size_t cap, const char *rel)
{
    snprintf(out, cap, "%s/%s", stage, rel);
}

static void make_file(const char *rel, size_t n, unsigned seed)
{
    char p[4096];
    uint8_t *d = malloc(n ? n : 1);

    assert_non_null(d);
    rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
    for (size_t i = 0; i < n; i++)
        d[i] = (uint8_t)rnd();
    path_of(p, sizeof(p), rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, d, n), (ssize_t)n);
    close(fd);
    free(d);
}

static void make_dir(const char *rel)
{
    char p[4096];
    path_of(p, sizeof(p), rel);
    assert_int_equal(mkdir(p, 0750), 0);
}

static void build_stage(void)
{
    char p[4096], q[4096];

    strcpy(stage, "/tmp/basalt-cpio-XXXXXX");
    assert_non_null(mkdtemp(stage));
    make_file("empty", 0, 1);
    make_file("one", 1, 2);
    make_file("three", 3, 3);
    make_file("page", 4096, 4);
    make_file("big", BIG_SIZE, 5);
    make_dir("dir");
    make_dir("dir/sub");
    make_file("dir/sub/inner", 5, 6);
    path_of(p, sizeof(p), "link");
    assert_int_equal(symlink("dir/sub/inner", p), 0);
    path_of(p, sizeof(p), "hard1");
    make_file("hard1", 6, 7);
    path_of(q, sizeof(q), "hard2");
    assert_int_equal(link(p, q), 0);
    path_of(p, sizeof(p), "fifo");
    assert_int_equal(mkfifo(p, 0604), 0);
    path_of(p, sizeof(p), "tty");
    have_dev = geteuid() == 0 && mknod(p, S_IFCHR | 0600, makedev(4, 64)) == 0;
    if (!have_dev)
        print_message("test_cpio: not root (or mknod refused): no device node in the archive\n");
    chmod(stage, 0755);

    /* names of every length 1..255 */
    make_dir("n");
    for (unsigned l = 1; l <= 255; l++) {
        char rel[300] = "n/";
        memset(rel + 2, 'a' + l % 26, l);
        rel[2 + l] = '\0';
        make_file(rel, l % 7, 100 + l);
    }
    /* a path of DEEP components */
    char rel[4096] = "";
    for (int i = 0; i < DEEP - 1; i++) {
        strcat(rel, i ? "/c" : "c");
        make_dir(rel);
    }
    strcat(rel, "/leaf");
    make_file(rel, 9, 9);
}

static void remove_stage(void)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", stage);
    assert_int_equal(system(cmd), 0);
}

/* Archives the staging folder with `cpio -o -H fmt`; returns the bytes. */
static uint8_t *run_cpio(const char *fmt, size_t *len)
{
    char cmd[512], out[128];

    snprintf(out, sizeof(out), "%s.%s.cpio", stage, fmt);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && { echo .; find . -mindepth 1 -printf '%%P\\n' | LC_ALL=C sort; } | "
             "cpio -o -H %s --quiet > '%s'", stage, fmt, out);
    assert_int_equal(system(cmd), 0);

    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(*len);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, *len, f), *len);
    fclose(f);
    unlink(out);
    return buf;
}

/* Every path under the staging folder (and "."), for the seen-once check. */
static char **list_stage(size_t *n)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "cd '%s' && find . -mindepth 1 -printf '%%P\\n'", stage);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char **v = NULL, line[4096];
    *n = 0;
    v = realloc(v, sizeof(*v));
    v[(*n)++] = strdup(".");
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        v = realloc(v, (*n + 1) * sizeof(*v));
        v[(*n)++] = strdup(line);
    }
    assert_int_equal(pclose(f), 0);
    return v;
}

static uint8_t *read_whole(const char *path, size_t *n)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    *n = (size_t)st.st_size;
    uint8_t *d = malloc(*n ? *n : 1);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, d, *n), (ssize_t)*n);
    close(fd);
    return d;
}

/* Compares one archive entry with the file it came from. */
static void check_entry(const struct cpio_entry *e, bool crc)
{
    char p[8192];
    struct stat st;

    snprintf(p, sizeof(p), "%s/%.*s", stage, (int)e->namelen, e->name);
    assert_int_equal(lstat(p, &st), 0);
    assert_int_equal(e->mode, (uint32_t)st.st_mode);
    assert_int_equal(e->uid, (uint32_t)st.st_uid);
    assert_int_equal(e->gid, (uint32_t)st.st_gid);
    assert_int_equal(e->nlink, (uint32_t)st.st_nlink);
    assert_int_equal(e->mtime, (uint32_t)st.st_mtime);
    assert_int_equal(e->ino, (uint32_t)st.st_ino);
    assert_int_equal(e->dev_major, major(st.st_dev));
    assert_int_equal(e->dev_minor, minor(st.st_dev));
    assert_int_equal(e->rdev_major, major(st.st_rdev));
    assert_int_equal(e->rdev_minor, minor(st.st_rdev));

    switch (cpio_type(e->mode)) {
    case CPIO_S_IFREG: {
        size_t n;
        uint8_t *d = read_whole(p, &n);
        if (st.st_nlink > 1 && e->size == 0) {
            /* an earlier name of a hard link: its data comes with the last */
        } else {
            assert_int_equal(e->size, n);
            assert_memory_equal(e->data, d, n);
        }
        assert_int_equal(e->crc, crc);
        free(d);
        break;
    }
    case CPIO_S_IFLNK: {
        char t[4096];
        ssize_t n = readlink(p, t, sizeof(t));
        assert_true(n > 0);
        assert_int_equal(e->size, (size_t)n);
        assert_memory_equal(e->data, t, (size_t)n);
        assert_false(e->crc);
        break;
    }
    default:
        assert_int_equal(e->size, 0);
        break;
    }
}

static int stage_setup(void **state)
{
    (void)state;
    build_stage();
    return 0;
}

static int stage_teardown(void **state)
{
    (void)state;
    remove_stage();
    return 0;
}

static void check_real_archive(const char *fmt)
{
    size_t len, npaths;
    uint8_t *buf = run_cpio(fmt, &len);
    char **paths = list_stage(&npaths);
    bool *seen = calloc(npaths, sizeof(bool));
    struct cpio_iter it;
    struct cpio_entry e;
    unsigned hard_with_data = 0, hard_seen = 0, types = 0;
    uint32_t hard_ino = 0;
    int r;

    cpio_iter_init(&it, buf, len);
    while ((r = cpio_next(&it, &e)) == 1) {
        size_t i;
        for (i = 0; i < npaths; i++)
            if (strlen(paths[i]) == e.namelen && memcmp(paths[i], e.name, e.namelen) == 0)
                break;
        assert_true(i < npaths);
        assert_false(seen[i]);
        seen[i] = true;
        assert_int_equal(cpio_name_ok(e.name, e.namelen), 0);
        check_entry(&e, strcmp(fmt, "crc") == 0 && cpio_type(e.mode) == CPIO_S_IFREG);
        assert_int_equal(e.archive, 0);
        types |= 1u << (cpio_type(e.mode) >> 12);
        if (strncmp(e.name, "hard", 4) == 0) {
            assert_int_equal(e.nlink, 2);
            if (hard_seen++)
                assert_int_equal(e.ino, hard_ino);
            hard_ino = e.ino;
            hard_with_data += e.size != 0;
        }
    }
    assert_int_equal(r, 0);
    for (size_t i = 0; i < npaths; i++) {
        if (!seen[i])
            print_error("not in the archive: %s\n", paths[i]);
        assert_true(seen[i]);
        free(paths[i]);
    }
    assert_int_equal(hard_seen, 2);
    assert_int_equal(hard_with_data, 1);        /* the data rides on one name only */
    assert_true(types & (1u << (CPIO_S_IFREG >> 12)));
    assert_true(types & (1u << (CPIO_S_IFDIR >> 12)));
    assert_true(types & (1u << (CPIO_S_IFLNK >> 12)));
    assert_true(types & (1u << (CPIO_S_IFIFO >> 12)));
    if (have_dev)
        assert_true(types & (1u << (CPIO_S_IFCHR >> 12)));
    free(paths);
    free(seen);
    free(buf);
}

static void test_real_newc(void **state)
{
    (void)state;
    check_real_archive("newc");
}

static void test_real_crc(void **state)
{
    (void)state;
    check_real_archive("crc");
}

/* The length of buf up to its last trailer's name, rounded up to 4. */
static size_t trimmed_len(const uint8_t *buf, size_t len)
{
    for (size_t i = len; i-- > 11;)
        if (memcmp(buf + i - 11, "TRAILER!!!", 11) == 0)
            return (i + 3) & ~(size_t)3;
    fail();
    return 0;
}

/* c := a[0..la), nz zero bytes, b[0..lb); returns how its walk ends. */
static int cat_walk(struct bbuf *c, const void *a, size_t la, size_t nz,
                    const void *b, size_t lb, unsigned *n)
{
    c->len = 0;
    bb_put(c, a, la);
    bb_zeros(c, nz);
    bb_put(c, b, lb);
    return walk(c->p, c->len, n);
}

static void test_real_concatenated(void **state)
{
    (void)state;
    size_t la, lb;
    uint8_t *a = run_cpio("newc", &la);
    uint8_t *b = run_cpio("crc", &lb);
    size_t ta = trimmed_len(a, la);
    unsigned na, nb, n;

    assert_true(ta < la);                   /* cpio pads to 512-byte blocks */
    assert_int_equal(walk(a, la, &na), 0);
    assert_int_equal(walk(b, lb, &nb), 0);
    assert_int_equal(walk(a, ta, &n), 0);
    assert_int_equal(n, na);

    struct bbuf c = { 0 };
    /* as cpio writes them: the block padding of a between */
    bb_put(&c, a, la);
    bb_put(&c, b, lb);
    struct cpio_iter it;
    struct cpio_entry e;
    cpio_iter_init(&it, c.p, c.len);
    for (unsigned i = 0; i < na + nb; i++) {
        assert_int_equal(cpio_next(&it, &e), 1);
        assert_int_equal(e.archive, i < na ? 0u : 1u);
        assert_int_equal(e.crc, i >= na && cpio_type(e.mode) == CPIO_S_IFREG);
    }
    assert_int_equal(cpio_next(&it, &e), 0);

    /* no padding between; 4 zero bytes between; b cut in its middle */
    assert_int_equal(cat_walk(&c, a, ta, 0, b, lb, &n), 0);
    assert_int_equal(n, na + nb);
    assert_int_equal(cat_walk(&c, a, ta, 4, b, lb, &n), 0);
    assert_int_equal(n, na + nb);
    assert_int_equal(cat_walk(&c, a, ta, 4, b, lb / 2, &n), -ENODATA);
    /* misaligned second archive: 2 zero bytes between */
    assert_int_equal(cat_walk(&c, a, ta, 2, b, lb, &n), -EINVAL);
    assert_int_equal(n, na);
    /* garbage (not a magic) after a trailer, aligned */
    assert_int_equal(cat_walk(&c, a, ta, 0, "junk", 4, &n), -EINVAL);
    assert_int_equal(n, na);

    free(c.p);
    free(a);
    free(b);
}

/* ---- crafted archives ------------------------------------------------------ */

/* A small valid archive: dir "d", file "d/f" = "abc", symlink "l", trailer. */
static size_t small_archive(struct bbuf *b, const char *magic)
{
    b->len = 0;
    emit(b, magic, "d", CPIO_S_IFDIR | 0755, NULL, 0);
    emit(b, magic, "d/f", CPIO_S_IFREG | 0644, "abc", 3);
    emit(b, magic, "l", CPIO_S_IFLNK | 0777, "d/f", 3);
    size_t before_trailer = b->len;
    emit_trailer(b);
    return before_trailer;
}

static void test_crafted_valid(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    struct cpio_iter it;
    struct cpio_entry e;

    small_archive(&b, "070701");
    cpio_iter_init(&it, b.p, b.len);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_string_equal(e.name, "d");
    assert_int_equal(e.mode, CPIO_S_IFDIR | 0755);
    assert_int_equal(e.offset, 0);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_string_equal(e.name, "d/f");
    assert_int_equal(e.namelen, 3);
    assert_int_equal(e.size, 3);
    assert_memory_equal(e.data, "abc", 3);
    assert_int_equal(e.offset, 112);
    assert_false(e.crc);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_string_equal(e.name, "l");
    assert_int_equal(cpio_type(e.mode), CPIO_S_IFLNK);
    assert_memory_equal(e.data, "d/f", 3);
    assert_int_equal(cpio_next(&it, &e), 0);
    assert_int_equal(cpio_next(&it, &e), 0);

    /* lower-case hex digits are hex digits too */
    b.len = 0;
    emit(&b, "070701", "x", CPIO_S_IFDIR | 0755, NULL, 0);
    emit_trailer(&b);
    memcpy(b.p + 6 + 8 * F_MODE, "000041ed", 8);
    cpio_iter_init(&it, b.p, b.len);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_int_equal(e.mode, CPIO_S_IFDIR | 0755);

    /* an empty buffer has no trailer */
    assert_int_equal(walk(b.p, 0, &(unsigned){0}), -ENODATA);
    free(b.p);
}

static void test_every_truncation(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    const char *magics[] = { "070701", "070702" };

    for (int m = 0; m < 2; m++) {
        size_t before_trailer = small_archive(&b, magics[m]);
        size_t name_end = before_trailer + CPIO_HEADER_SIZE + 11;
        unsigned want_full;

        assert_int_equal(walk(b.p, b.len, &want_full), 0);
        assert_int_equal(want_full, 3);
        for (size_t cut = 0; cut < b.len; cut++) {
            uint8_t *c = malloc(cut ? cut : 1);
            memcpy(c, b.p, cut);
            struct cpio_iter it;
            struct cpio_entry e, ref;
            struct cpio_iter rit;
            int r;

            /* each entry returned is the same as the full archive's */
            cpio_iter_init(&it, c, cut);
            cpio_iter_init(&rit, b.p, b.len);
            while ((r = cpio_next(&it, &e)) == 1) {
                assert_int_equal(cpio_next(&rit, &ref), 1);
                assert_int_equal(e.namelen, ref.namelen);
                assert_memory_equal(e.name, ref.name, e.namelen);
                assert_int_equal(e.size, ref.size);
                assert_memory_equal(e.data, ref.data, e.size);
                assert_int_equal(e.mode, ref.mode);
                assert_true((uint8_t *)e.data + e.size <= c + cut);
            }
            if (cut < name_end)
                assert_int_equal(r, -ENODATA);
            else
                assert_int_equal(r, 0);         /* only the trailer's padding cut */
            free(c);
        }
    }
    free(b.p);
}

/* How a walk of the small archive ends after f(b) changed it. */
static int mutated(void (*f)(struct bbuf *))
{
    struct bbuf b = { 0 };
    unsigned n;
    small_archive(&b, "070701");
    f(&b);
    int r = walk_copy(b.p, b.len, &n);
    free(b.p);
    return r;
}

static void bad_magic(struct bbuf *b)      { memcpy(b->p, "070707", 6); }
static void bad_magic2(struct bbuf *b)     { b->p[5] = '3'; }
static void name_no_nul(struct bbuf *b)    { b->p[CPIO_HEADER_SIZE + 1] = 'X'; }
static void name_sz0(struct bbuf *b)       { memcpy(b->p + 6 + 8 * F_NAMESIZE, "00000000", 8); }
static void name_sz1(struct bbuf *b)       { memcpy(b->p + 6 + 8 * F_NAMESIZE, "00000001", 8); }
static void name_huge(struct bbuf *b)      { memcpy(b->p + 6 + 8 * F_NAMESIZE, "FFFFFFFF", 8); }
static void name_past(struct bbuf *b)      { b->len = CPIO_HEADER_SIZE + 1; }
static void pad_nonzero(struct bbuf *b)    { b->p[112 + CPIO_HEADER_SIZE + 4 - 1 + 1] = 1; }  /* after "d/f\0" */
static void mode_extra(struct bbuf *b)     { memcpy(b->p + 6 + 8 * F_MODE, "000141ED", 8); }
static void mode_notype(struct bbuf *b)    { memcpy(b->p + 6 + 8 * F_MODE, "000001ED", 8); }
static void mode_badtype(struct bbuf *b)   { memcpy(b->p + 6 + 8 * F_MODE, "0000F1ED", 8); }
static void no_trailer(struct bbuf *b)     { b->len = small_archive(b, "070701"); }

static void test_bad_headers(void **state)
{
    (void)state;
    static const struct {
        void (*change)(struct bbuf *);
        int want;
    } cases[] = {
        { bad_magic, -EINVAL },     { bad_magic2, -EINVAL },    { name_no_nul, -EINVAL },
        { name_sz0, -EINVAL },      { name_sz1, -EINVAL },      { name_huge, -ENODATA },
        { name_past, -ENODATA },    { pad_nonzero, -EINVAL },   { mode_extra, -EINVAL },
        { mode_notype, -EINVAL },   { mode_badtype, -EINVAL },  { no_trailer, -ENODATA },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        assert_int_equal(mutated(cases[i].change), cases[i].want);

    /* a non-hex character at each position of each field */
    const char bad[] = { 'g', 'G', ' ', '-', 'x', '\0', (char)0xff };
    for (int fi = 0; fi < NFIELDS; fi++)
        for (int pos = 0; pos < 8; pos++) {
            struct bbuf b = { 0 };
            small_archive(&b, "070701");
            b.p[6 + 8 * fi + pos] = (uint8_t)bad[(fi + pos) % sizeof(bad)];
            assert_int_equal(first_result(b.p, b.len), -EINVAL);
            free(b.p);
        }
}

/* b := one entry (emit) and a trailer; returns how its walk ends. */
static int one_entry(struct bbuf *b, const char *name, uint32_t mode, const void *data, size_t n)
{
    unsigned count;
    b->len = 0;
    emit(b, "070701", name, mode, data, n);
    emit_trailer(b);
    return walk_copy(b->p, b->len, &count);
}

/* b := one raw entry (fields f, name_bytes of name, no data) and a trailer. */
static int one_raw(struct bbuf *b, const uint32_t f[NFIELDS], const char *name, size_t name_bytes)
{
    unsigned count;
    b->len = 0;
    emit_raw(b, "070701", f, name, name_bytes, NULL, 0);
    emit_trailer(b);
    return walk_copy(b->p, b->len, &count);
}

static void test_bad_sizes(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    uint32_t f[NFIELDS] = { 0 };
    unsigned n;

    f[F_MODE] = CPIO_S_IFREG | 0644;
    f[F_NAMESIZE] = 2;
    /* filesize 0xFFFFFFFF, and one byte past the end */
    f[F_FILESIZE] = 0xffffffffu;
    emit_raw(&b, "070701", f, "a", 2, "abcd", 4);
    emit_trailer(&b);
    assert_int_equal(walk_copy(b.p, b.len, &n), -ENODATA);
    assert_int_equal(n, 0);
    b.len = 0;
    f[F_FILESIZE] = 4 + 124 + 1;                /* the data + the trailer + 1 */
    emit_raw(&b, "070701", f, "a", 2, "abcd", 4);
    emit_trailer(&b);
    assert_int_equal(walk_copy(b.p, b.len, &n), -ENODATA);
    /* namesize past the end by one, and exactly the rest */
    b.len = 0;
    f[F_FILESIZE] = 0;
    f[F_NAMESIZE] = 112 + 124 - CPIO_HEADER_SIZE + 1;   /* "a" entry + trailer */
    emit_raw(&b, "070701", f, "a", 2, NULL, 0);
    emit_trailer(&b);
    assert_int_equal(b.len, 112 + 124);
    assert_int_equal(walk_copy(b.p, b.len, &n), -ENODATA);
    memcpy(b.p + 6 + 8 * F_NAMESIZE, "0000007E", 8);    /* to the last byte: NULs inside */
    assert_int_equal(walk_copy(b.p, b.len, &n), -EINVAL);
    /* a name with a NUL inside */
    f[F_NAMESIZE] = 4;
    assert_int_equal(one_raw(&b, f, "a\0b", 4), -EINVAL);
    /* data on a directory, a FIFO, a device */
    const uint32_t nodata[] = { CPIO_S_IFDIR | 0755, CPIO_S_IFIFO | 0644, CPIO_S_IFCHR | 0600 };
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(one_entry(&b, "x", nodata[i], "z", 1), -EINVAL);
        assert_int_equal(one_entry(&b, "x", nodata[i], NULL, 0), 0);
    }
    /* symlinks: empty target, NUL inside, CPIO_PATH_MAX long */
    assert_int_equal(one_entry(&b, "l", CPIO_S_IFLNK | 0777, NULL, 0), -EINVAL);
    assert_int_equal(one_entry(&b, "l", CPIO_S_IFLNK | 0777, "a\0b", 3), -EINVAL);
    char *longt = malloc(CPIO_PATH_MAX);
    memset(longt, 'a', CPIO_PATH_MAX);
    assert_int_equal(one_entry(&b, "l", CPIO_S_IFLNK | 0777, longt, CPIO_PATH_MAX), -ENAMETOOLONG);
    assert_int_equal(one_entry(&b, "l", CPIO_S_IFLNK | 0777, longt, CPIO_PATH_MAX - 1), 0);
    free(longt);
    /* non-zero padding after the data; a trailer with data */
    b.len = 0;
    emit(&b, "070701", "a", CPIO_S_IFREG | 0644, "abc", 3);
    emit_trailer(&b);
    b.p[CPIO_HEADER_SIZE + 2 + 3] = 'P';      /* the byte after "abc" */
    assert_int_equal(walk_copy(b.p, b.len, &n), -EINVAL);
    b.len = 0;
    emit(&b, "070701", "TRAILER!!!", 0, "\0\0\0\0", 4);
    assert_int_equal(walk_copy(b.p, b.len, &n), -EINVAL);
    /* an unaligned non-zero byte after the trailer */
    b.len = 0;
    emit_trailer(&b);
    b.p[b.len - 2] = 1;
    assert_int_equal(walk_copy(b.p, b.len, &n), -EINVAL);
    /* namesize 1: an empty name (only its NUL) */
    f[F_NAMESIZE] = 1;
    assert_int_equal(one_raw(&b, f, "", 1), -EINVAL);
    /* a second archive 2 bytes off a boundary, laid out for that offset */
    b.len = 0;
    emit_trailer(&b);
    bb_zeros(&b, 2);
    emit(&b, "070701", "a", CPIO_S_IFREG | 0644, "abc", 3);
    emit_trailer(&b);
    assert_int_equal(walk_copy(b.p, b.len, &n), -EINVAL);
    assert_int_equal(n, 0);
    b.len = 0;
    emit_trailer(&b);
    bb_zeros(&b, 4);
    emit(&b, "070701", "a", CPIO_S_IFREG | 0644, "abc", 3);
    emit_trailer(&b);
    assert_int_equal(walk_copy(b.p, b.len, &n), 0);
    assert_int_equal(n, 1);
    /* a trailer cut right after its NUL, and one followed by much zero */
    b.len = 0;
    emit_trailer(&b);
    assert_int_equal(walk_copy(b.p, CPIO_HEADER_SIZE + 11, &n), 0);
    assert_int_equal(walk_copy(b.p, CPIO_HEADER_SIZE + 10, &n), -ENODATA);
    bb_zeros(&b, 4096 + 3);
    assert_int_equal(walk_copy(b.p, b.len, &n), 0);
    free(b.p);
}

static void test_crc(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    struct cpio_iter it;
    struct cpio_entry e;
    unsigned n;

    small_archive(&b, "070702");
    assert_int_equal(walk_copy(b.p, b.len, &n), 0);
    cpio_iter_init(&it, b.p, b.len);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_true(e.crc);
    assert_int_equal(e.check, 'a' + 'b' + 'c');

    /* a changed data byte: the sum no longer matches; sticky */
    uint8_t *data = (uint8_t *)e.data;
    data[1] = 'B';
    cpio_iter_init(&it, b.p, b.len);
    assert_int_equal(cpio_next(&it, &e), 1);
    assert_int_equal(cpio_next(&it, &e), -EIO);
    assert_int_equal(cpio_next(&it, &e), -EIO);
    data[1] = 'b';
    /* a changed check field */
    memcpy(b.p + 112 + 6 + 8 * F_CHECK, "00000127", 8);
    assert_int_equal(walk_copy(b.p, b.len, &n), -EIO);
    assert_int_equal(n, 1);
    /* the same archive as plain newc ignores the check */
    for (size_t off = 0; off < b.len; off += 4)
        if (memcmp(b.p + off, "070702", 6) == 0)
            b.p[off + 5] = '1';
    assert_int_equal(walk_copy(b.p, b.len, &n), 0);
    assert_int_equal(n, 3);

    /* the sum wraps modulo 2^32 without trouble: 1 MiB of 0xff */
    size_t big = 1u << 20;
    uint8_t *ff = malloc(big);
    memset(ff, 0xff, big);
    b.len = 0;
    emit(&b, "070702", "ff", CPIO_S_IFREG | 0600, ff, big);
    emit_trailer(&b);
    assert_int_equal(walk_copy(b.p, b.len, &n), 0);
    free(ff);
    free(b.p);
}

static void test_random_mutations(void **state)
{
    (void)state;
    struct bbuf b = { 0 };
    unsigned n;

    small_archive(&b, "070702");
    uint8_t *orig = malloc(b.len);
    memcpy(orig, b.p, b.len);
    rng_state = 0xc0ffee;
    for (int round = 0; round < 20000; round++) {
        memcpy(b.p, orig, b.len);
        int k = 1 + (int)rnd_below(4);
        for (int i = 0; i < k; i++) {
            size_t at = rnd_below(b.len);
            switch (rnd_below(3)) {
            case 0: b.p[at] = (uint8_t)rnd(); break;
            case 1: b.p[at] = "0123456789ABCDEF"[rnd_below(16)]; break;
            default: b.p[at] ^= (uint8_t)(1u << rnd_below(8)); break;
            }
        }
        int r = walk_copy(b.p, rnd_below(4) ? b.len : rnd_below(b.len + 1), &n);
        assert_true(r == 0 || r == -EINVAL || r == -ENODATA || r == -EIO ||
                    r == -ENAMETOOLONG);
    }
    free(orig);
    free(b.p);
}

/* ---- names ----------------------------------------------------------------- */

static int ok(const char *s)
{
    return cpio_name_ok(s, strlen(s));
}

static const char *rel(const char *s, char *out)
{
    size_t n = strlen(s);
    const char *p = cpio_name_rel(s, &n);
    assert_true(p >= s && p + n == s + strlen(s));
    memcpy(out, p, n);
    out[n] = '\0';
    return out;
}

static void test_names(void **state)
{
    (void)state;
    char buf[5000];

    assert_int_equal(ok("a"), 0);
    assert_int_equal(ok("/etc/passwd"), 0);
    assert_int_equal(ok("./bin/sh"), 0);
    assert_int_equal(ok("."), 0);
    assert_int_equal(ok("/"), 0);
    assert_int_equal(ok("a..b/...//.x/..y/y.."), 0);
    assert_int_equal(ok("dir/"), 0);
    assert_int_equal(ok(".."), -EINVAL);
    assert_int_equal(ok("../x"), -EINVAL);
    assert_int_equal(ok("/.."), -EINVAL);
    assert_int_equal(ok("a/.."), -EINVAL);
    assert_int_equal(ok("a/../b"), -EINVAL);
    assert_int_equal(ok("a/b/../../.."), -EINVAL);
    assert_int_equal(ok("a//..//b"), -EINVAL);
    assert_int_equal(ok(""), -EINVAL);
    assert_int_equal(cpio_name_ok("a\0b", 3), -EINVAL);
    memset(buf, 'a', sizeof(buf));
    assert_int_equal(cpio_name_ok(buf, CPIO_PATH_MAX - 1), 0);
    assert_int_equal(cpio_name_ok(buf, CPIO_PATH_MAX), -ENAMETOOLONG);

    static const char *const rels[][2] = {  /* name, its path relative to the root */
        { "bin/sh", "bin/sh" },
        { "/bin/sh", "bin/sh" },
        { "./bin/sh", "bin/sh" },
        { "//.//./bin/./sh", "bin/./sh" },
        { ".", "" },
        { "/", "" },
        { "./", "" },
        { "/.", "" },
        { ".profile", ".profile" },
        { "..", ".." },
        { "./..", ".." },
        { "", "" },
    };
    char o[64];
    for (size_t i = 0; i < ARRAY_SIZE(rels); i++)
        assert_string_equal(rel(rels[i][0], o), rels[i][1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_newc),
        cmocka_unit_test(test_real_crc),
        cmocka_unit_test(test_real_concatenated),
    };
    const struct CMUnitTest crafted[] = {
        cmocka_unit_test(test_crafted_valid),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_bad_headers),
        cmocka_unit_test(test_bad_sizes),
        cmocka_unit_test(test_crc),
        cmocka_unit_test(test_random_mutations),
        cmocka_unit_test(test_names),
    };
    int failed = cmocka_run_group_tests_name("cpio_real", tests, stage_setup, stage_teardown);
    failed += cmocka_run_group_tests_name("cpio_crafted", crafted, NULL, NULL);
    return failed;
}
