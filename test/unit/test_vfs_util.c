/*
 * test/unit/test_vfs_util.c - host tests for src/fs/vfs_util.c: the path
 * components the VFS walk sees (slashes, ".", "..", trailing slashes,
 * NAME_MAX) and getdents64 records, checked against Linux's x86-64
 * layout (d_ino 0, d_off 8, d_reclen 16, d_type 18, d_name 19) and by
 * walking records packed into buffers of every size.
 */
#include "unit.h"
#include <fs/vfs_util.h>
#include <uapi/fs.h>

#include <stddef.h>

/* The fields of the record at p. */
struct rec {
    uint64_t ino;
    int64_t off;
    uint16_t reclen;
    uint8_t type;
};

static struct rec rec_at(const uint8_t *p)
{
    struct rec r;

    memcpy(&r.ino, p + 0, 8);
    memcpy(&r.off, p + 8, 8);
    memcpy(&r.reclen, p + 16, 2);
    r.type = p[18];
    return r;
}

/* Splits path and renders it as "name[,L][,T][,.|,..]|..." (L: last, T: trailing). */
static int split(const char *path, char *out, size_t cap)
{
    struct vfs_util_comp c;
    const char *p = path;
    size_t used = 0;
    int r;

    out[0] = '\0';
    while ((r = vfs_util_next_comp(p, &c)) == 1) {
        assert_true(c.len >= 1 && c.len <= NAME_MAX);
        assert_true(c.rest == c.name + c.len);
        used += (size_t)snprintf(out + used, cap - used, "%.*s%s%s%s|", (int)c.len, c.name,
                                 c.last ? ",L" : "", c.trailing ? ",T" : "",
                                 c.kind == VFS_UTIL_DOT ? ",." :
                                 c.kind == VFS_UTIL_DOTDOT ? ",.." : "");
        p = c.rest;
    }
    return r;
}

static void test_components(void **state)
{
    static const struct { const char *path, *want; } cases[] = {
        { "", "" },
        { "/", "" },
        { "////", "" },
        { "a", "a,L|" },
        { "/a", "a,L|" },
        { "a/", "a,L,T|" },
        { "a//", "a,L,T|" },
        { "/usr/bin/ls", "usr|bin|ls,L|" },
        { "//usr///bin//", "usr|bin,L,T|" },
        { ".", ".,L,.|" },
        { "..", "..,L,..|" },
        { "./..//.../.a/..b", ".,.|..,..|...|.a|..b,L|" },
        { "a/./b/../", "a|.,.|b|..,L,T,..|" },
        { "...", "...,L|" },
    };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(split(cases[i].path, out, sizeof(out)), 0);
        if (strcmp(out, cases[i].want) != 0)
            fail_msg("'%s' split as '%s', want '%s'", cases[i].path, out, cases[i].want);
    }
}

static void test_name_max(void **state)
{
    char path[600], out[700];
    struct vfs_util_comp c;

    (void)state;
    memset(path, 'x', NAME_MAX);
    strcpy(path + NAME_MAX, "/y");
    assert_int_equal(vfs_util_next_comp(path, &c), 1);
    assert_int_equal(c.len, NAME_MAX);
    assert_false(c.last);
    memset(path, 'x', NAME_MAX + 1);
    strcpy(path + NAME_MAX + 1, "/y");
    assert_int_equal(vfs_util_next_comp(path, &c), -ENAMETOOLONG);
    /* the long name later in the path: the earlier ones come first */
    strcpy(path, "ok/");
    memset(path + 3, 'z', NAME_MAX + 1);
    path[3 + NAME_MAX + 1] = '\0';
    assert_int_equal(split(path, out, sizeof(out)), -ENAMETOOLONG);
    assert_string_equal(out, "ok|");
}

static void test_dirent_layout(void **state)
{
    uint8_t buf[64];
    struct rec d;

    (void)state;
    assert_int_equal(offsetof(struct linux_dirent64, d_ino), 0);
    assert_int_equal(offsetof(struct linux_dirent64, d_off), 8);
    assert_int_equal(offsetof(struct linux_dirent64, d_reclen), 16);
    assert_int_equal(offsetof(struct linux_dirent64, d_type), 18);
    assert_int_equal(offsetof(struct linux_dirent64, d_name), 19);

    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(vfs_util_dirent_put(buf, sizeof(buf), "hello", 5, 0x1122334455667788ull, DT_REG), 32);
    d = rec_at(buf);
    assert_int_equal(d.ino, 0x1122334455667788ull);
    assert_int_equal(d.off, 0);
    assert_int_equal(d.reclen, 32);
    assert_int_equal(d.type, DT_REG);
    assert_memory_equal(buf + 19, "hello\0\0\0\0\0\0\0\0", 13);    /* NUL and zero padding */
    assert_int_equal(buf[32], 0xee);                                /* nothing past the record */
    vfs_util_dirent_set_off(buf, -5);
    d = rec_at(buf);
    assert_int_equal(d.off, -5);
    /* too small by one byte: nothing written */
    memset(buf, 0xee, sizeof(buf));
    assert_int_equal(vfs_util_dirent_put(buf, 31, "hello", 5, 1, DT_DIR), 0);
    assert_int_equal(buf[0], 0xee);
    /* record lengths: 19 + name + NUL rounded up to 8 */
    assert_int_equal(vfs_util_dirent_put(buf, sizeof(buf), "a", 1, 1, DT_DIR), 24);
    assert_int_equal(vfs_util_dirent_put(buf, sizeof(buf), "abcd", 4, 1, DT_DIR), 24);
    assert_int_equal(vfs_util_dirent_put(buf, sizeof(buf), "abcde", 5, 1, DT_DIR), 32);
}

/* Packs names 1..40 bytes long into a buffer of each size and walks the records back. */
static void test_dirent_walk(void **state)
{
    uint8_t buf[2048];
    char name[64];

    (void)state;
    for (size_t cap = 24; cap <= sizeof(buf); cap += 13) {
        size_t used = 0, n = 0, off = 0;
        for (size_t len = 1; len <= 40; len++) {
            size_t r;
            memset(name, 'a' + (int)(len % 26), len);
            r = vfs_util_dirent_put(buf + used, cap - used, name, len, len, DT_REG);
            if (!r)
                break;
            assert_int_equal(r % 8, 0);
            used += r;
            n++;
        }
        assert_true(used <= cap);
        for (size_t i = 0; i < n; i++) {
            struct rec d = rec_at(buf + off);
            assert_int_equal(d.ino, i + 1);
            assert_int_equal(strlen((char *)buf + off + 19), i + 1);
            off += d.reclen;
        }
        assert_int_equal(off, used);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_name_max),
        cmocka_unit_test(test_dirent_layout),
        cmocka_unit_test(test_dirent_walk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
