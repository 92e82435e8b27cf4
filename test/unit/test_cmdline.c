/*
 * test/unit/test_cmdline.c - host tests for src/core/cmdline.c.
 *
 * Stage 1, cmdline_parse: flags, key=value, quoting, repeated keys,
 * malformed tokens, limits. Stage 2, cmdline_check against a parameter
 * table, and the getters, which must skip rejected options. Every
 * command line is passed in a heap copy of exactly its length + 1, so
 * AddressSanitizer sees any read past its terminator.
 */
#include "unit.h"

static struct cmdline *cl;

static int setup(void **state)
{
    (void)state;
    cl = malloc(sizeof(*cl));
    memset(cl, 0xa5, sizeof(*cl));         /* "needs no initialisation" */
    return cl ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(cl);
    cl = NULL;
    return 0;
}

static int parse(const char *text)
{
    size_t n = strlen(text);
    char *copy = malloc(n + 1);
    memcpy(copy, text, n + 1);
    int rc = cmdline_parse(cl, copy);
    /* the options live in cl->store, not in the source text */
    memset(copy, 'X', n);
    free(copy);
    return rc;
}

/* Asserts option i is key (=value, or a flag when value is NULL). */
static void expect_opt(size_t i, const char *key, const char *value)
{
    assert_true(i < cl->count);
    assert_string_equal(cl->opts[i].key, key);
    if (value) {
        assert_non_null(cl->opts[i].value);
        assert_string_equal(cl->opts[i].value, value);
    } else {
        assert_null(cl->opts[i].value);
    }
    assert_false(cl->opts[i].rejected);
}

/* Asserts error i exists and mentions every given fragment. */
static void expect_error(size_t i, const char *frag1, const char *frag2)
{
    assert_true(i < cl->error_count);
    assert_true(i < CMDLINE_MAX_ERRORS);
    const char *msg = cl->errors[i];
    assert_true(strnlen(msg, CMDLINE_MSG_LEN) < CMDLINE_MSG_LEN);
    if (!strstr(msg, frag1))
        fail_msg("error \"%s\" does not mention \"%s\"", msg, frag1);
    if (frag2 && !strstr(msg, frag2))
        fail_msg("error \"%s\" does not mention \"%s\"", msg, frag2);
}

/* ---- cmdline_parse ----------------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    assert_int_equal(parse(""), 0);
    assert_int_equal(cl->count, 0);
    assert_int_equal(cl->error_count, 0);
    assert_int_equal(parse("  \t \n\r "), 0);
    assert_int_equal(cl->count, 0);
}

static void test_flags_and_values(void **state)
{
    (void)state;
    assert_int_equal(parse("quiet loglevel=7 console=ttyS0,115200 root= x.y-z_1=a=b"), 0);
    assert_int_equal(cl->count, 5);
    assert_int_equal(cl->error_count, 0);
    expect_opt(0, "quiet", NULL);
    expect_opt(1, "loglevel", "7");
    expect_opt(2, "console", "ttyS0,115200");
    expect_opt(3, "root", "");                  /* "key=" is an empty value, not a flag */
    expect_opt(4, "x.y-z_1", "a=b");            /* split at the first '=' only */
}

static void test_blanks(void **state)
{
    (void)state;
    assert_int_equal(parse("\t a=1\n\nb \r c=3   "), 0);
    assert_int_equal(cl->count, 3);
    expect_opt(0, "a", "1");
    expect_opt(1, "b", NULL);
    expect_opt(2, "c", "3");
}

static void test_quotes(void **state)
{
    (void)state;
    assert_int_equal(parse("cmd='mem; test sched.*' name=\"a b\" mix=x'y z'w q=\"it's\" "
                           "s='say \"hi\"' e='' d=\"\" ab\"c\"d=1 k='='"),
                     0);
    assert_int_equal(cl->error_count, 0);
    assert_int_equal(cl->count, 9);
    expect_opt(0, "cmd", "mem; test sched.*");
    expect_opt(1, "name", "a b");
    expect_opt(2, "mix", "xy zw");              /* quotes inside a value, removed */
    expect_opt(3, "q", "it's");                 /* the other quote is literal */
    expect_opt(4, "s", "say \"hi\"");
    expect_opt(5, "e", "");
    expect_opt(6, "d", "");
    expect_opt(7, "abcd", "1");
    expect_opt(8, "k", "=");
}

static void test_repeated_keys(void **state)
{
    (void)state;
    assert_int_equal(parse("a=1 b a=2 a=3 b=x"), 0);
    assert_int_equal(cl->count, 5);             /* all kept, the getters take the last */
    assert_string_equal(cmdline_value(cl, "a"), "3");
    assert_string_equal(cmdline_value(cl, "b"), "x");
    uint64_t v = 0;
    assert_int_equal(cmdline_uint(cl, "a", &v), 0);
    assert_int_equal(v, 3);
    assert_int_equal(parse("b=x b"), 0);
    assert_true(cmdline_has(cl, "b"));
    assert_null(cmdline_value(cl, "b"));        /* the last one is a bare flag */
}

static void test_unterminated_quote(void **state)
{
    (void)state;
    assert_int_equal(parse("a=1 bb='x y"), -EINVAL);
    assert_int_equal(cl->count, 1);
    expect_opt(0, "a", "1");
    assert_int_equal(cl->error_count, 1);
    expect_error(0, "unterminated quote", "column 5");
    expect_error(0, "'bb'", NULL);
    assert_int_equal(parse("\"abc"), -EINVAL);
    assert_int_equal(cl->count, 0);
    expect_error(0, "unterminated quote", "column 1");
}

static void test_empty_key(void **state)
{
    (void)state;
    assert_int_equal(parse("a =x b"), -EINVAL);
    assert_int_equal(cl->count, 2);
    expect_opt(0, "a", NULL);
    expect_opt(1, "b", NULL);
    assert_int_equal(cl->error_count, 1);
    expect_error(0, "empty name", "column 3");
    assert_int_equal(parse("= ''=v \"\""), -EINVAL);
    assert_int_equal(cl->count, 0);
    assert_int_equal(cl->error_count, 3);
}

static void test_bad_key_chars(void **state)
{
    (void)state;
    assert_int_equal(parse("ok a/b=1 c;d e!"), -EINVAL);
    assert_int_equal(cl->count, 1);
    expect_opt(0, "ok", NULL);
    assert_int_equal(cl->error_count, 3);
    expect_error(0, "'/'", "'a/b'");
    expect_error(0, "column 4", NULL);
    expect_error(1, "';'", "'c;d'");
    expect_error(2, "'!'", "'e!'");
    /* any byte may appear in a value */
    assert_int_equal(parse("v=a/b;c!\x80"), 0);
    expect_opt(0, "v", "a/b;c!\x80");
}

/*
 * Regression test (bug found by this suite, fixed): src/core/cmdline.c cmdline_parse only checks key characters
 * outside quotes (the is_key_char test sits in the unquoted branch, line
 * ~76; quoted bytes are stored at line ~68 unchecked), so a quoted key
 * breaks the "Keys are [A-Za-z0-9_.-]+" rule of include/core/cmdline.h:
 * `"a b"=1` gives the key "a b", `'x;y'` the key "x;y", and `'a=b'` the
 * flag "a=b". Expected: -EINVAL with a bad-character error, option dropped.
 */
static void test_quoted_key_chars_are_checked(void **state)
{
    (void)state;
    assert_int_equal(parse("\"a b\"=1 'x;y'"), -EINVAL);
    assert_int_equal(cl->count, 0);
    assert_int_equal(cl->error_count, 2);
    /* the first '=' splits key and value even inside quotes (GRUB quotes whole words) */
    assert_int_equal(parse("'a=b' \"c=d e\""), 0);
    assert_int_equal(cl->count, 2);
    expect_opt(0, "a", "b");
    expect_opt(1, "c", "d e");
}

static void test_too_many_options(void **state)
{
    (void)state;
    char text[1024] = "";
    size_t n = 0;
    for (int i = 0; i < CMDLINE_MAX_OPTS + 3; i++)
        n += (size_t)sprintf(text + n, "k%d=%d ", i, i);
    assert_int_equal(parse(text), -EINVAL);
    assert_int_equal(cl->count, CMDLINE_MAX_OPTS);
    expect_opt(CMDLINE_MAX_OPTS - 1, "k63", "63");
    assert_int_equal(cl->error_count, 1);       /* reported once */
    expect_error(0, "too many options", "'k64'");

    /* exactly the maximum is fine */
    n = 0;
    for (int i = 0; i < CMDLINE_MAX_OPTS; i++)
        n += (size_t)sprintf(text + n, "f%d ", i);
    assert_int_equal(parse(text), 0);
    assert_int_equal(cl->count, CMDLINE_MAX_OPTS);
}

static void test_many_errors(void **state)
{
    (void)state;
    /* more problems than message slots: all counted, the first ones kept */
    assert_int_equal(parse("=1 =2 =3 =4 =5 =6 =7 =8 =9 =10 =11 ok"), -EINVAL);
    assert_int_equal(cl->error_count, 11);
    assert_int_equal(cl->count, 1);
    expect_opt(0, "ok", NULL);
    for (size_t i = 0; i < CMDLINE_MAX_ERRORS; i++)
        expect_error(i, "empty name", NULL);
    expect_error(7, "column 22", NULL);
}

static void test_long_messages(void **state)
{
    (void)state;
    /* a long bad key: the message is cut, still terminated */
    char text[600];
    memset(text, 'k', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    text[300] = '/';
    assert_int_equal(parse(text), -EINVAL);
    assert_int_equal(cl->error_count, 1);
    assert_int_equal(strlen(cl->errors[0]), CMDLINE_MSG_LEN - 1);
    expect_error(0, "bad character '/'", NULL);
}

static void test_over_long_line(void **state)
{
    (void)state;
    /* exactly CMDLINE_MAX_LEN: one token filling the whole store */
    char *text = malloc(3001);
    memset(text, 'v', 3000);
    text[3000] = '\0';
    memcpy(text, "a=", 2);
    text[CMDLINE_MAX_LEN] = '\0';
    assert_int_equal(parse(text), 0);
    assert_int_equal(cl->count, 1);
    assert_int_equal(strlen(cl->opts[0].value), CMDLINE_MAX_LEN - 2);

    /* longer: truncated at CMDLINE_MAX_LEN and reported */
    text[CMDLINE_MAX_LEN] = 'v';
    assert_int_equal(parse(text), -EINVAL);
    assert_int_equal(cl->count, 1);
    assert_string_equal(cl->opts[0].key, "a");
    assert_int_equal(strlen(cl->opts[0].value), CMDLINE_MAX_LEN - 2);
    assert_int_equal(cl->error_count, 1);
    expect_error(0, "3000 bytes", "2048");

    /* many one-letter flags: the store holds every terminator */
    for (size_t i = 0; i < 3000; i++)
        text[i] = i % 2 ? ' ' : 'f';
    assert_int_equal(parse(text), -EINVAL);     /* over-long, and > 64 options */
    assert_int_equal(cl->count, CMDLINE_MAX_OPTS);
    assert_int_equal(cl->error_count, 2);
    free(text);
}

static void test_reparse_resets(void **state)
{
    (void)state;
    assert_int_equal(parse("=bad a b c"), -EINVAL);
    assert_int_equal(parse("x=1"), 0);
    assert_int_equal(cl->count, 1);
    assert_int_equal(cl->error_count, 0);
    expect_opt(0, "x", "1");
    assert_false(cmdline_has(cl, "a"));
}

/* ---- cmdline_check and the getters --------------------------------------- */

static const struct cmdline_param params[] = {
    { "quiet", CMDLINE_FLAG, 0, 0, "less output" },
    { "console", CMDLINE_STRING, 0, 0, "console device" },
    { "ktest", CMDLINE_FLAG_OR_STRING, 0, 0, "run kernel tests, optionally filtered" },
    { "loglevel", CMDLINE_UINT, 0, 7, "log level" },
    { "mem", CMDLINE_UINT, 16, 0x10000, "memory limit in MiB" },
    { "big", CMDLINE_UINT, 0, UINT64_MAX, "anything" },
};

struct reports {
    size_t count;
    char msgs[16][CMDLINE_MSG_LEN + 64];
};

static void collect(void *ctx, const char *message)
{
    struct reports *r = ctx;
    assert_non_null(message);
    if (r->count < 16)
        snprintf(r->msgs[r->count], sizeof(r->msgs[0]), "%s", message);
    r->count++;
}

static size_t check(const char *text, struct reports *r)
{
    memset(r, 0, sizeof(*r));
    parse(text);
    return cmdline_check(cl, params, ARRAY_SIZE(params), collect, r);
}

static void expect_report(const struct reports *r, size_t i, const char *frag1,
                          const char *frag2)
{
    assert_true(i < r->count);
    if (!strstr(r->msgs[i], frag1))
        fail_msg("report \"%s\" does not mention \"%s\"", r->msgs[i], frag1);
    if (frag2 && !strstr(r->msgs[i], frag2))
        fail_msg("report \"%s\" does not mention \"%s\"", r->msgs[i], frag2);
}

static void test_check_all_good(void **state)
{
    (void)state;
    struct reports r;
    assert_int_equal(check("quiet console=ttyS0 ktest ktest=mm.* loglevel=7 mem=0x100 "
                           "big=18446744073709551615",
                           &r),
                     0);
    assert_int_equal(r.count, 0);
    for (size_t i = 0; i < cl->count; i++)
        assert_false(cl->opts[i].rejected);
    assert_true(cmdline_has(cl, "quiet"));
    assert_null(cmdline_value(cl, "quiet"));
    assert_string_equal(cmdline_value(cl, "console"), "ttyS0");
    assert_string_equal(cmdline_value(cl, "ktest"), "mm.*");
    uint64_t v;
    assert_int_equal(cmdline_uint(cl, "loglevel", &v), 0);
    assert_int_equal(v, 7);
    assert_int_equal(cmdline_uint(cl, "mem", &v), 0);
    assert_int_equal(v, 0x100);
    assert_int_equal(cmdline_uint(cl, "big", &v), 0);
    assert_int_equal(v, UINT64_MAX);
    assert_int_equal(cmdline_uint(cl, "nothere", &v), -ENOENT);
    assert_false(cmdline_has(cl, "nothere"));
    assert_null(cmdline_find(cl, "nothere"));
}

static void test_check_unknown(void **state)
{
    (void)state;
    struct reports r;
    assert_int_equal(check("quiet bogus=1 nosmp", &r), 2);
    assert_int_equal(r.count, 2);
    expect_report(&r, 0, "unknown option", "'bogus'");
    expect_report(&r, 1, "unknown option", "'nosmp'");
    assert_false(cl->opts[0].rejected);
    assert_true(cl->opts[1].rejected);
    assert_true(cl->opts[2].rejected);
    assert_false(cmdline_has(cl, "bogus"));
    assert_null(cmdline_value(cl, "bogus"));
    assert_null(cmdline_find(cl, "nosmp"));
    assert_true(cmdline_has(cl, "quiet"));
}

static void test_check_flag_with_value(void **state)
{
    (void)state;
    struct reports r;
    assert_int_equal(check("quiet=1", &r), 1);
    expect_report(&r, 0, "'quiet'", "'1'");
    assert_false(cmdline_has(cl, "quiet"));
    assert_int_equal(check("quiet=", &r), 1);   /* an empty value is still a value */
    expect_report(&r, 0, "'quiet'", "takes no value");
}

static void test_check_string(void **state)
{
    (void)state;
    struct reports r;
    assert_int_equal(check("console", &r), 1);
    expect_report(&r, 0, "'console'", "needs a value");
    assert_false(cmdline_has(cl, "console"));
    assert_int_equal(check("console=", &r), 1);
    expect_report(&r, 0, "'console'", "needs a value");
    assert_int_equal(check("console=\"\"", &r), 1);
    assert_int_equal(check("console='ttyS0 fast'", &r), 0);
    assert_string_equal(cmdline_value(cl, "console"), "ttyS0 fast");
}

static void test_check_flag_or_string(void **state)
{
    (void)state;
    struct reports r;
    assert_int_equal(check("ktest", &r), 0);
    assert_true(cmdline_has(cl, "ktest"));
    assert_null(cmdline_value(cl, "ktest"));
    assert_int_equal(check("ktest=", &r), 1);
    expect_report(&r, 0, "'ktest'", "needs a value");
    assert_false(cmdline_has(cl, "ktest"));
    assert_int_equal(check("ktest='mem; test sched.*'", &r), 0);
    assert_string_equal(cmdline_value(cl, "ktest"), "mem; test sched.*");
}

static void test_check_uint(void **state)
{
    (void)state;
    struct reports r;
    static const struct {
        const char *text;
        bool ok;
        uint64_t value;
    } cases[] = {
        { "loglevel=0", true, 0 },        { "loglevel=7", true, 7 },
        { "loglevel=8", false, 0 },       { "loglevel=0x7", true, 7 },
        { "loglevel=0x10", false, 0 },    { "loglevel=-1", false, 0 },
        { "loglevel=abc", false, 0 },     { "loglevel=3x", false, 0 },
        { "loglevel=' 3'", false, 0 },    { "loglevel=", false, 0 },
        { "loglevel", false, 0 },         { "loglevel=99999999999999999999", false, 0 },
        { "mem=15", false, 0 },           { "mem=16", true, 16 },
        { "mem=0x10", true, 16 },         { "mem=0X10000", true, 0x10000 },
        { "mem=65537", false, 0 },        { "big=0", true, 0 },
        { "big=0xffffffffffffffff", true, UINT64_MAX },
        { "big=0x10000000000000000", false, 0 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        size_t problems = check(cases[i].text, &r);
        const char *key = cl->opts[0].key;
        uint64_t v = 0;
        if (cases[i].ok) {
            if (problems != 0)
                fail_msg("\"%s\" rejected: %s", cases[i].text, r.msgs[0]);
            assert_int_equal(cmdline_uint(cl, key, &v), 0);
            assert_int_equal(v, cases[i].value);
        } else {
            if (problems != 1)
                fail_msg("\"%s\" accepted", cases[i].text);
            expect_report(&r, 0, key, "needs a number from");
            assert_int_equal(cmdline_uint(cl, key, &v), -ENOENT);
        }
    }
    check("mem=3", &r);
    expect_report(&r, 0, "from 16 to 65536", "got '3'");
    check("loglevel", &r);
    expect_report(&r, 0, "'loglevel'", "got ''");
}

static void test_check_last_accepted_wins(void **state)
{
    (void)state;
    struct reports r;
    /* the getters return the last *accepted* occurrence */
    assert_int_equal(check("loglevel=3 loglevel=99 console=a console", &r), 2);
    uint64_t v = 0;
    assert_int_equal(cmdline_uint(cl, "loglevel", &v), 0);
    assert_int_equal(v, 3);
    assert_string_equal(cmdline_value(cl, "console"), "a");
    assert_ptr_equal(cmdline_find(cl, "console"), &cl->opts[2]);
    /* all rejected: absent */
    assert_int_equal(check("loglevel=8 loglevel=x", &r), 2);
    assert_int_equal(cmdline_uint(cl, "loglevel", &v), -ENOENT);
    assert_false(cmdline_has(cl, "loglevel"));
}

static void test_check_no_report_fn(void **state)
{
    (void)state;
    parse("bogus quiet=1 loglevel=x console");
    assert_int_equal(cmdline_check(cl, params, ARRAY_SIZE(params), NULL, NULL), 4);
    for (size_t i = 0; i < cl->count; i++)
        assert_true(cl->opts[i].rejected);
    /* an empty table knows nothing */
    parse("quiet");
    assert_int_equal(cmdline_check(cl, params, 0, NULL, NULL), 1);
}

static void test_check_long_values(void **state)
{
    (void)state;
    struct reports r;
    char text[1200];
    memcpy(text, "quiet=", 6);
    memset(text + 6, 'z', 1000);
    text[1006] = '\0';
    assert_int_equal(check(text, &r), 1);
    assert_true(strlen(r.msgs[0]) < CMDLINE_MSG_LEN + 64);
    expect_report(&r, 0, "'quiet'", NULL);
}

static void test_uint_getter_unchecked(void **state)
{
    (void)state;
    /* without cmdline_check a bad number is reported by cmdline_uint itself */
    uint64_t v = 0;
    parse("n=12x m");
    assert_int_equal(cmdline_uint(cl, "n", &v), -EINVAL);
    assert_int_equal(cmdline_uint(cl, "m", &v), -ENOENT);   /* a bare flag has no number */
}

/* ---- cmdline_unescape_grub: what GRUB does to a command line, undone ---- */

/* Unescapes text into an exactly sized heap buffer and parses the result. */
static void unescape_then_parse(const char *grub_text, const char *want_text)
{
    char buf[256];
    size_t n = cmdline_unescape_grub(buf, sizeof(buf), grub_text);

    assert_int_equal(n, strlen(want_text));
    assert_string_equal(buf, want_text);
    parse(buf);
}

static void test_unescape_grub_quotes(void **state)
{
    (void)state;
    /* grub.cfg word cmd='mem; test x' arrives as cmd=\'mem; test x\' */
    unescape_then_parse("cmd=\\'mem;\" \"test\" \"x\\'", "cmd='mem;\" \"test\" \"x'");
    assert_int_equal(cl->count, 1);
    expect_opt(0, "cmd", "mem;\" \"test\" \"x");
    /* the simple case GRUB produces for cmd='a b' written as one word */
    unescape_then_parse("cmd=\\'a b\\' loglevel=\\\"6\\\"", "cmd='a b' loglevel=\"6\"");
    assert_int_equal(cl->count, 2);
    expect_opt(0, "cmd", "a b");
    expect_opt(1, "loglevel", "6");
}

static void test_unescape_grub_keeps_word_grouping(void **state)
{
    (void)state;
    /* grub.cfg "ktest=no match" (one word with a blank): GRUB quotes it */
    unescape_then_parse("\"ktest=no match\" x", "\"ktest=no match\" x");
    assert_int_equal(cl->count, 2);
    expect_opt(0, "ktest", "no match");
    expect_opt(1, "x", NULL);
}

static void test_unescape_grub_backslash_and_truncation(void **state)
{
    char small[6];

    (void)state;
    unescape_then_parse("a=\\\\b", "a=\\b");         /* an escaped backslash */
    expect_opt(0, "a", "\\b");
    unescape_then_parse("a=b\\", "a=b\\");             /* a lone trailing backslash stays */
    /* truncation: like strlcpy, the full length comes back */
    assert_int_equal(cmdline_unescape_grub(small, sizeof(small), "abcdefgh"), 8);
    assert_string_equal(small, "abcde");
    assert_int_equal(cmdline_unescape_grub(small, 0, "abc"), 3);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_unescape_grub_quotes),
        T(test_unescape_grub_keeps_word_grouping),
        T(test_unescape_grub_backslash_and_truncation),
        T(test_empty),
        T(test_flags_and_values),
        T(test_blanks),
        T(test_quotes),
        T(test_repeated_keys),
        T(test_unterminated_quote),
        T(test_empty_key),
        T(test_bad_key_chars),
        T(test_too_many_options),
        T(test_many_errors),
        T(test_long_messages),
        T(test_over_long_line),
        T(test_reparse_resets),
        T(test_check_all_good),
        T(test_check_unknown),
        T(test_check_flag_with_value),
        T(test_check_string),
        T(test_check_flag_or_string),
        T(test_check_uint),
        T(test_check_last_accepted_wins),
        T(test_check_no_report_fn),
        T(test_check_long_values),
        T(test_uint_getter_unchecked),
        T(test_quoted_key_chars_are_checked),
    };
    return cmocka_run_group_tests_name("core/cmdline", tests, NULL, NULL);
}
