/*
 * test/unit/test_initargs.c - host tests for src/kernel/initargs.c (init's
 * argv/envp from the kernel command line, Linux's rule), under ASan/UBSan.
 *
 * Covered: the split at a lone `--` (quotes, `--` inside words, at the
 * start and end), unknown words to argv/envp with a known-parameter table,
 * envp replacement by key, names with a '.', quotes after `--`, the argv and
 * envp limits, a store filled to the brim by long words, and random command
 * lines (every pointer inside the store or a literal, each string
 * NUL-terminated, the counts consistent).
 */
#include "unit.h"

static const struct cmdline_param params[] = {
    { .name = "loglevel", .kind = CMDLINE_UINT, .max = 7, .help = "" },
    { .name = "root", .kind = CMDLINE_STRING, .help = "" },
    { .name = "rw", .kind = CMDLINE_FLAG, .help = "" },
    { .name = "rdinit", .kind = CMDLINE_STRING, .help = "" },
    { .name = "init", .kind = CMDLINE_STRING, .help = "" },
};
#define NPARAMS (sizeof(params) / sizeof(params[0]))

static struct cmdline cl;
static struct init_args ia;

/* Splits text at `--`, parses the kernel part and builds ia. */
static void build(const char *text)
{
    static char buf[CMDLINE_MAX_LEN + 2];
    char *after;

    snprintf(buf, sizeof(buf), "%s", text);
    after = init_args_split_dashes(buf);
    cmdline_parse(&cl, buf);
    init_args_build(&ia, &cl, after, params, NPARAMS);
}

static void test_split(void **state)
{
    char t[64];
    char *rest;

    (void)state;
    strcpy(t, "a -- b c");
    rest = init_args_split_dashes(t);
    assert_non_null(rest);
    assert_string_equal(t, "a ");
    assert_string_equal(rest, "b c");

    strcpy(t, "a \"x -- y\" b--c --d e-- --");
    rest = init_args_split_dashes(t);
    assert_non_null(rest);
    assert_string_equal(t, "a \"x -- y\" b--c --d e-- ");
    assert_string_equal(rest, "");

    strcpy(t, "a 'unterminated -- b");
    assert_null(init_args_split_dashes(t));
    strcpy(t, "");
    assert_null(init_args_split_dashes(t));
}

static void test_rule(void **state)
{
    (void)state;
    build("loglevel=3 root=/dev/vda rw quiet A=1 B=2 A=3 usbcore.autosuspend=1 x.y "
          "init=/bin/sh -- one 'two words' K=V \"\" end");
    assert_int_equal(ia.argc, 7);
    assert_null(ia.argv[0]);
    assert_string_equal(ia.argv[1], "quiet");
    assert_string_equal(ia.argv[2], "one");
    assert_string_equal(ia.argv[3], "two words");
    assert_string_equal(ia.argv[4], "K=V");
    assert_string_equal(ia.argv[5], "");
    assert_string_equal(ia.argv[6], "end");
    assert_null(ia.argv[7]);
    assert_int_equal(ia.envc, 4);
    assert_string_equal(ia.envp[0], "HOME=/");
    assert_string_equal(ia.envp[1], "TERM=linux");
    assert_string_equal(ia.envp[2], "A=3");
    assert_string_equal(ia.envp[3], "B=2");
    assert_null(ia.envp[4]);
    assert_int_equal(ia.module_params, 2);
    assert_int_equal(ia.dropped, 0);
    assert_string_equal(ia.init, "/bin/sh");
    assert_string_equal(ia.rdinit, "/init");
    /* an environment default can be replaced too */
    build("HOME=/root TERM=vt100");
    assert_int_equal(ia.envc, 2);
    assert_string_equal(ia.envp[0], "HOME=/root");
    assert_string_equal(ia.envp[1], "TERM=vt100");
    /* a key that is a prefix of another is another variable */
    build("AB=1 A=2");
    assert_int_equal(ia.envc, 4);
    assert_string_equal(ia.envp[2], "AB=1");
    assert_string_equal(ia.envp[3], "A=2");
}

static void test_limits(void **state)
{
    char text[CMDLINE_MAX_LEN + 1];
    size_t at = 0;

    (void)state;
    /* 40 unknown flags (the parser keeps CMDLINE_MAX_OPTS) and 40 variables after -- */
    for (int i = 0; i < 40; i++)
        at += (size_t)snprintf(text + at, sizeof(text) - at, "f%d ", i);
    at += (size_t)snprintf(text + at, sizeof(text) - at, "-- ");
    for (int i = 0; i < 40; i++)
        at += (size_t)snprintf(text + at, sizeof(text) - at, "w%d ", i);
    build(text);
    assert_int_equal(ia.argc, INIT_MAX_ARGS);
    assert_int_equal(ia.dropped, 40 + 40 - (INIT_MAX_ARGS - 1));
    assert_null(ia.argv[INIT_MAX_ARGS]);

    at = 0;
    for (int i = 0; i < 40; i++)
        at += (size_t)snprintf(text + at, sizeof(text) - at, "V%d=%d ", i, i);
    build(text);
    assert_int_equal(ia.envc, INIT_MAX_ENVS);
    assert_int_equal(ia.dropped, 2 + 40 - INIT_MAX_ENVS);
    assert_null(ia.envp[INIT_MAX_ENVS]);
}

/* Long words after --, up to the command line's length, all fit in the store. */
static void test_store_full(void **state)
{
    char text[CMDLINE_MAX_LEN + 1];

    (void)state;
    strcpy(text, "-- ");
    for (int w = 0; w < 3; w++) {
        size_t at = strlen(text);
        memset(text + at, 'a' + w, 600);
        text[at + 600] = ' ';
        text[at + 601] = 0;
    }
    build(text);
    assert_int_equal(ia.argc, 4);
    for (int w = 1; w <= 3; w++)
        assert_int_equal(strlen(ia.argv[w]), 600);
    assert_int_equal(ia.dropped, 0);
}

static bool in_store(const char *p)
{
    return p >= ia.store && p < ia.store + sizeof(ia.store);
}

static void test_random(void **state)
{
    static const char alphabet[] = "ab=.-'\" \t-=x";
    char text[300];

    (void)state;
    srand(12345);
    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)rand() % (sizeof(text) - 1);

        for (size_t i = 0; i < len; i++)
            text[i] = alphabet[rand() % (int)(sizeof(alphabet) - 1)];
        text[len] = 0;
        build(text);
        assert_true(ia.argc >= 1 && ia.argc <= INIT_MAX_ARGS);
        assert_true(ia.envc >= 2 && ia.envc <= INIT_MAX_ENVS);
        assert_null(ia.argv[ia.argc]);
        assert_null(ia.envp[ia.envc]);
        for (size_t i = 1; i < ia.argc; i++)
            assert_true(in_store(ia.argv[i]) || (ia.argv[i] >= cl.store &&
                        ia.argv[i] < cl.store + sizeof(cl.store)));
        for (size_t i = 2; i < ia.envc; i++) {
            assert_true(in_store(ia.envp[i]));
            assert_non_null(strchr(ia.envp[i], '='));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_rule),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_store_full),
        cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
