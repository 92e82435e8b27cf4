/*
 * test/unit/test_string.c - host tests for src/core/string.c.
 *
 * Compares the kernel's mem and str routines (k_memcpy, k_strstr, ... see
 * host_rename.h) with glibc over many lengths and alignments, using heap
 * buffers of exactly the size under test so AddressSanitizer catches any
 * byte read or written outside them; then str_to_u64 and str_glob_match
 * (the latter exhaustively against fnmatch over a small alphabet).
 */
#include "unit.h"

#include <fnmatch.h>

#define MAXLEN 80

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

/* A heap copy of s[0..n) with no terminator after it. */
static char *dup_exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    memcpy(p, s, n);
    return p;
}

static void fill_pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 131 + i * 7 + 1);
}

static void test_memcpy(void **state)
{
    (void)state;
    /* every length with every source and destination misalignment */
    for (size_t n = 0; n <= MAXLEN; n++) {
        for (size_t doff = 0; doff < 8; doff++) {
            for (size_t soff = 0; soff < 8; soff++) {
                unsigned char *src = malloc(n + 8), *dst = malloc(n + 9), *want = malloc(n + 9);
                fill_pattern(src, n + 8, (unsigned)n);
                memset(dst, 0xee, n + 9);
                memset(want, 0xee, n + 9);
                memcpy(want + doff, src + soff, n);
                assert_ptr_equal(k_memcpy(dst + doff, src + soff, n), dst + doff);
                assert_memory_equal(dst, want, n + 9);
                free(src);
                free(dst);
                free(want);
            }
        }
    }
    /* exactly-sized buffers: any overread or overwrite is an ASan report */
    for (size_t n = 1; n <= MAXLEN; n++) {
        unsigned char *src = malloc(n), *dst = malloc(n);
        fill_pattern(src, n, 3);
        k_memcpy(dst, src, n);
        assert_memory_equal(dst, src, n);
        free(src);
        free(dst);
    }
    assert_ptr_equal(k_memcpy(NULL, NULL, 0), NULL);
}

static void test_memmove(void **state)
{
    (void)state;
    enum { SZ = 2 * MAXLEN + 16 };
    for (size_t n = 0; n <= MAXLEN; n++) {
        for (size_t d = 0; d < 24; d++) {
            for (size_t s = 0; s < 24; s++) {
                unsigned char *buf = malloc(SZ), *want = malloc(SZ);
                fill_pattern(buf, SZ, (unsigned)(n + d));
                memcpy(want, buf, SZ);
                memmove(want + d, want + s, n);
                assert_ptr_equal(k_memmove(buf + d, buf + s, n), buf + d);
                assert_memory_equal(buf, want, SZ);
                free(buf);
                free(want);
            }
        }
    }
    /* overlap at the exact ends of a buffer, both directions */
    for (size_t n = 1; n <= MAXLEN; n++) {
        unsigned char *buf = malloc(n + 1), *want = malloc(n + 1);
        fill_pattern(buf, n + 1, 9);
        memcpy(want, buf, n + 1);
        memmove(want + 1, want, n);
        k_memmove(buf + 1, buf, n);
        assert_memory_equal(buf, want, n + 1);
        memmove(want, want + 1, n);
        k_memmove(buf, buf + 1, n);
        assert_memory_equal(buf, want, n + 1);
        free(buf);
        free(want);
    }
}

static void test_memset(void **state)
{
    (void)state;
    const int values[] = { 0, 0x5a, 0xff, -1, 0x1234, 256 + 7 };
    for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
        for (size_t n = 0; n <= MAXLEN; n++) {
            for (size_t off = 0; off < 8; off++) {
                unsigned char *buf = malloc(n + off + 1), *want = malloc(n + off + 1);
                fill_pattern(buf, n + off + 1, 1);
                memcpy(want, buf, n + off + 1);
                memset(want + off, values[v], n);
                assert_ptr_equal(k_memset(buf + off, values[v], n), buf + off);
                assert_memory_equal(buf, want, n + off + 1);
                free(buf);
                free(want);
            }
            unsigned char *exact = malloc(n ? n : 1);
            k_memset(exact, values[v], n);
            for (size_t i = 0; i < n; i++)
                assert_int_equal(exact[i], (unsigned char)values[v]);
            free(exact);
        }
    }
}

static void test_memcmp(void **state)
{
    (void)state;
    for (size_t n = 0; n <= 40; n++) {
        for (size_t pos = 0; pos <= n; pos++) {
            unsigned char *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
            fill_pattern(a, n, 5);
            memcpy(b, a, n);
            if (pos < n) {
                /* one differing byte, with the high bit set on one side */
                b[pos] = (unsigned char)(a[pos] ^ 0x80);
            }
            assert_int_equal(sign(k_memcmp(a, b, n)), sign(memcmp(a, b, n)));
            assert_int_equal(sign(k_memcmp(b, a, n)), sign(memcmp(b, a, n)));
            assert_int_equal(k_memcmp(a, a, n), 0);
            free(a);
            free(b);
        }
    }
    assert_true(k_memcmp("\x80", "\x7f", 1) > 0);   /* bytes compare unsigned */
    assert_true(k_memcmp("ab", "ac", 2) < 0);
    assert_int_equal(k_memcmp("ab", "ac", 1), 0);
    assert_int_equal(k_memcmp(NULL, NULL, 0), 0);
}

static void test_memchr(void **state)
{
    (void)state;
    const char text[] = "hello, world\0after\xff";
    size_t n = sizeof(text) - 1;
    char *p = dup_exact(text, n);
    const int cs[] = { 'h', 'o', 'w', 'd', '\0', 'a', 'r', 'z', 0xff, -1, 'o' + 256 };
    for (size_t i = 0; i < ARRAY_SIZE(cs); i++)
        for (size_t len = 0; len <= n; len++)
            assert_ptr_equal(k_memchr(p, cs[i], len), memchr(p, cs[i], len));
    assert_ptr_equal(k_memchr(p, 'o' + 256, n), p + 4);   /* c converts to unsigned char */
    assert_null(k_memchr(p, 'h', 0));
    free(p);
}

static const char *const strings[] = {
    "", "a", "b", "ab", "abc", "abd", "abcd", "abcdefgh", "abcdefghi",
    "ABC", "a\x80", "a\x7f", "\xff", "hello world", "hello", "hello!",
    "0123456789abcdef0123456789abcdef",
};

static void test_strlen_strnlen(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        size_t n = strlen(strings[i]);
        char *p = dup_exact(strings[i], n + 1);
        assert_int_equal(k_strlen(p), n);
        for (size_t max = 0; max <= n + 2; max++)
            assert_int_equal(k_strnlen(p, max), strnlen(p, max));
        free(p);
        /* strnlen must not read past max when there is no terminator */
        char *q = dup_exact(strings[i], n);
        assert_int_equal(k_strnlen(q, n), n);
        free(q);
    }
}

static void test_strcmp_strncmp(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(strings); j++) {
            char *a = dup_exact(strings[i], strlen(strings[i]) + 1);
            char *b = dup_exact(strings[j], strlen(strings[j]) + 1);
            assert_int_equal(sign(k_strcmp(a, b)), sign(strcmp(a, b)));
            for (size_t n = 0; n <= 12; n++) {
                if (sign(k_strncmp(a, b, n)) != sign(strncmp(a, b, n)))
                    fail_msg("strncmp(\"%s\", \"%s\", %zu)", a, b, n);
            }
            free(a);
            free(b);
        }
    }
    assert_true(k_strcmp("\x80", "a") > 0);     /* chars compare as unsigned */
    assert_true(k_strncmp("a\x80", "a\x01", 2) > 0);
    assert_int_equal(k_strncmp("abc", "abd", 2), 0);
    assert_int_equal(k_strncmp("x", "y", 0), 0);
}

static void test_strchr_strrchr(void **state)
{
    (void)state;
    const int cs[] = { 'a', 'b', 'c', 'l', 'o', ' ', '!', 'z', '\0', 0x80, 0xff, 'l' + 256 };
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        char *p = dup_exact(strings[i], strlen(strings[i]) + 1);
        for (size_t k = 0; k < ARRAY_SIZE(cs); k++) {
            assert_ptr_equal(k_strchr(p, cs[k]), strchr(p, cs[k]));
            assert_ptr_equal(k_strrchr(p, cs[k]), strrchr(p, cs[k]));
        }
        /* the terminator is part of the string */
        assert_ptr_equal(k_strchr(p, '\0'), p + strlen(p));
        assert_ptr_equal(k_strrchr(p, '\0'), p + strlen(p));
        free(p);
    }
}

static void test_strstr(void **state)
{
    (void)state;
    const char *needles[] = { "", "a", "b", "ab", "abc", "bc", "cd", "lo", "lo w", "o", "hello",
                              "hello world!", "\x80", "\xff", "9a", "ef0" };
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        char *h = dup_exact(strings[i], strlen(strings[i]) + 1);
        for (size_t k = 0; k < ARRAY_SIZE(needles); k++) {
            char *n = dup_exact(needles[k], strlen(needles[k]) + 1);
            if (k_strstr(h, n) != strstr(h, n))
                fail_msg("strstr(\"%s\", \"%s\")", h, n);
            free(n);
        }
        /* every substring is found at its first occurrence */
        size_t len = strlen(h);
        for (size_t a = 0; a < len; a++) {
            for (size_t b = a; b <= len; b++) {
                char *n = dup_exact(h + a, b - a + 1);
                n[b - a] = '\0';
                assert_ptr_equal(k_strstr(h, n), strstr(h, n));
                free(n);
            }
        }
        free(h);
    }
}

static void test_strlcpy(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
        const char *s = strings[i];
        size_t n = strlen(s);
        char *src = dup_exact(s, n + 1);
        for (size_t size = 0; size <= n + 2; size++) {
            /* exactly size bytes: a write past dst[size - 1] is an ASan report */
            char *dst = malloc(size ? size : 1);
            memset(dst, '#', size ? size : 1);
            assert_int_equal(k_strlcpy(dst, src, size), n);
            if (size == 0) {
                assert_int_equal(dst[0], '#');  /* untouched */
            } else {
                size_t copied = n < size - 1 ? n : size - 1;
                assert_memory_equal(dst, s, copied);
                assert_int_equal(dst[copied], '\0');
            }
            free(dst);
        }
        assert_int_equal(k_strlcpy(NULL, src, 0), n);
        free(src);
    }
}

static void expect_u64(const char *s, size_t len, unsigned base, int rc, uint64_t value)
{
    /* the digits in a buffer of exactly len bytes, no terminator */
    char *p = dup_exact(s, len);
    uint64_t out = 0x5555555555555555ull;
    int got = str_to_u64(p, len, base, &out);
    free(p);
    if (got != rc)
        fail_msg("str_to_u64(\"%.*s\", %zu, %u) = %d, want %d", (int)len, s, len, base, got,
                 rc);
    if (rc == 0 && out != value)
        fail_msg("str_to_u64(\"%.*s\", %zu, %u) gave %llu, want %llu", (int)len, s, len, base,
                 (unsigned long long)out, (unsigned long long)value);
    if (rc != 0 && out != 0x5555555555555555ull)
        fail_msg("str_to_u64(\"%.*s\") changed *out on error", (int)len, s);
}

#define U64(s, base, rc, v) expect_u64((s), sizeof(s) - 1, (base), (rc), (v))

static void test_str_to_u64(void **state)
{
    (void)state;
    /* base 0: decimal, or hex with 0x/0X */
    U64("0", 0, 0, 0);
    U64("7", 0, 0, 7);
    U64("123", 0, 0, 123);
    U64("010", 0, 0, 10);                       /* no octal */
    U64("0x10", 0, 0, 16);
    U64("0X1f", 0, 0, 31);
    U64("0xDEADbeef", 0, 0, 0xdeadbeef);
    U64("18446744073709551615", 0, 0, UINT64_MAX);
    U64("18446744073709551616", 0, -ERANGE, 0);
    U64("99999999999999999999", 0, -ERANGE, 0);
    U64("0xffffffffffffffff", 0, 0, UINT64_MAX);
    U64("0x10000000000000000", 0, -ERANGE, 0);
    U64("", 0, -EINVAL, 0);
    U64("0x", 0, -EINVAL, 0);
    U64("x1", 0, -EINVAL, 0);
    U64("-1", 0, -EINVAL, 0);
    U64("+1", 0, -EINVAL, 0);
    U64(" 1", 0, -EINVAL, 0);
    U64("1 ", 0, -EINVAL, 0);
    U64("12a", 0, -EINVAL, 0);
    U64("0xg", 0, -EINVAL, 0);
    U64("1\0" "2", 0, -EINVAL, 0);              /* a NUL inside the range is a stray character */
    /* explicit bases */
    U64("ff", 16, 0, 255);
    U64("FF", 16, 0, 255);
    U64("0xff", 16, -EINVAL, 0);                /* the prefix is for base 0 only */
    U64("101", 2, 0, 5);
    U64("102", 2, -EINVAL, 0);
    U64("777", 8, 0, 0777);
    U64("8", 8, -EINVAL, 0);
    U64("1111111111111111111111111111111111111111111111111111111111111111", 2, 0, UINT64_MAX);
    U64("10000000000000000000000000000000000000000000000000000000000000000", 2, -ERANGE, 0);
    U64("1", 1, -EINVAL, 0);
    U64("1", 17, -EINVAL, 0);
    U64("g", 16, -EINVAL, 0);
    U64("123", 10, 0, 123);
    U64("", 10, -EINVAL, 0);
    /* len, not the terminator, ends the number */
    uint64_t v = 0;
    assert_int_equal(str_to_u64("123abc", 3, 10, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(str_to_u64("0x1234", 3, 0, &v), 0);
    assert_int_equal(v, 1);
}

static void test_glob_examples(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *text;
        bool match;
    } cases[] = {
        { "", "", true },           { "", "a", false },          { "*", "", true },
        { "*", "anything", true },  { "?", "", false },          { "?", "a", true },
        { "?", "ab", false },       { "mm.*", "mm.pmm", true },  { "mm.*", "mm.", true },
        { "mm.*", "mm", false },    { "mm.*", "xmm.pmm", false }, { "*.pmm", "mm.pmm", true },
        { "sched.*", "sched.rr.basic", true },                     { "a*b*c", "aXbYc", true },
        { "a*b*c", "abc", true },   { "a*b*c", "acb", false },    { "a*ab", "aaab", true },
        { "*a", "aaa", true },      { "*a", "aab", false },      { "**", "", true },
        { "*?", "", false },        { "*?", "x", true },         { "a?c", "abc", true },
        { "a?c", "ac", false },     { "abc", "abc", true },      { "abc", "abcd", false },
        { "abcd", "abc", false },   { "*x*", "abxcd", true },    { "*x*", "abcd", false },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
        if (str_glob_match(cases[i].pattern, cases[i].text) != cases[i].match)
            fail_msg("str_glob_match(\"%s\", \"%s\") != %d", cases[i].pattern, cases[i].text,
                     cases[i].match);
}

/* All strings over alphabet of length 0..maxlen, written into out (NUL-separated). */
static size_t enumerate(const char *alphabet, size_t maxlen, char (*out)[8], size_t cap)
{
    size_t k = strlen(alphabet), count = 0;
    for (size_t len = 0; len <= maxlen; len++) {
        size_t total = 1;
        for (size_t i = 0; i < len; i++)
            total *= k;
        for (size_t idx = 0; idx < total; idx++) {
            size_t x = idx;
            assert_true(count < cap);
            for (size_t i = 0; i < len; i++) {
                out[count][i] = alphabet[x % k];
                x /= k;
            }
            out[count][len] = '\0';
            count++;
        }
    }
    return count;
}

static void test_glob_vs_fnmatch(void **state)
{
    (void)state;
    static char patterns[1000][8], texts[400][8];
    size_t np = enumerate("ab.*?", 4, patterns, ARRAY_SIZE(patterns));
    size_t nt = enumerate("ab.", 5, texts, ARRAY_SIZE(texts));
    size_t mismatches = 0;

    for (size_t i = 0; i < np; i++) {
        for (size_t j = 0; j < nt; j++) {
            bool want = fnmatch(patterns[i], texts[j], 0) == 0;
            if (str_glob_match(patterns[i], texts[j]) != want && mismatches++ < 10)
                print_error("str_glob_match(\"%s\", \"%s\") != %d\n", patterns[i], texts[j],
                            want);
        }
    }
    assert_int_equal(mismatches, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memcpy),
        cmocka_unit_test(test_memmove),
        cmocka_unit_test(test_memset),
        cmocka_unit_test(test_memcmp),
        cmocka_unit_test(test_memchr),
        cmocka_unit_test(test_strlen_strnlen),
        cmocka_unit_test(test_strcmp_strncmp),
        cmocka_unit_test(test_strchr_strrchr),
        cmocka_unit_test(test_strstr),
        cmocka_unit_test(test_strlcpy),
        cmocka_unit_test(test_str_to_u64),
        cmocka_unit_test(test_glob_examples),
        cmocka_unit_test(test_glob_vs_fnmatch),
    };
    return cmocka_run_group_tests_name("core/string", tests, NULL, NULL);
}
