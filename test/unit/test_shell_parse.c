/*
 * test/unit/test_shell_parse.c - host tests for src/core/shell_parse.c (the
 * shell's command lists, words, log-level names and completion).
 *
 * Every text is parsed in a heap copy of exactly its length + 1, so
 * AddressSanitizer catches a read or write past its terminator.
 */
#include "unit.h"

static char *copy;

static char *dup_text(const char *s)
{
    size_t n = strlen(s) + 1;

    free(copy);
    copy = malloc(n);
    memcpy(copy, s, n);
    return copy;
}

static int teardown(void **state)
{
    (void)state;
    free(copy);
    copy = NULL;
    return 0;
}

/* ---- shell_next_command ------------------------------------------------------------ */

/* Splits text; expects exactly the given commands, then NULL (twice). */
static void expect_commands(const char *text, const char *const *want, size_t n)
{
    char *cursor = dup_text(text), *cmd;
    size_t i = 0;

    while ((cmd = shell_next_command(&cursor)) != NULL) {
        assert_true(i < n);
        assert_string_equal(cmd, want[i]);
        i++;
    }
    assert_int_equal(i, n);
    assert_null(shell_next_command(&cursor));
    assert_true(cursor >= copy && cursor <= copy + strlen(text));
}

#define EXPECT_COMMANDS(text, ...)                                              \
    do {                                                                        \
        static const char *const want_[] = { __VA_ARGS__ };                     \
        expect_commands(text, want_, ARRAY_SIZE(want_));                        \
    } while (0)

static void test_commands_split_at_semicolons(void **state)
{
    (void)state;
    EXPECT_COMMANDS("mem", "mem");
    EXPECT_COMMANDS("mem; test sched.*; poweroff", "mem", "test sched.*", "poweroff");
    EXPECT_COMMANDS("  a ;b;  c  ", "a", "b", "c");
    EXPECT_COMMANDS("a;;; ;\t;b;", "a", "b");
    expect_commands("", NULL, 0);
    expect_commands("  ; ;\t", NULL, 0);
}

static void test_commands_keep_quoted_semicolons(void **state)
{
    (void)state;
    EXPECT_COMMANDS("echo 'a;b'; echo \"c;d\"", "echo 'a;b'", "echo \"c;d\"");
    EXPECT_COMMANDS("echo a\\;b; x", "echo a\\;b", "x");
    EXPECT_COMMANDS("echo \"q\\\";\"; y", "echo \"q\\\";\"", "y");
    /* an escaped blank at the end of a command is kept */
    EXPECT_COMMANDS("echo a\\ ;b", "echo a\\ ", "b");
    /* an unterminated quote runs to the end (split_args reports it) */
    EXPECT_COMMANDS("echo 'a; b", "echo 'a; b");
    EXPECT_COMMANDS("x; echo \"a; b", "x", "echo \"a; b");
    /* a backslash at the very end does not run past it */
    EXPECT_COMMANDS("echo \\", "echo \\");
}

/* ---- shell_split_args -------------------------------------------------------------- */

#define MAX_ARGS 8

static int split(const char *text, char **argv, const char **why)
{
    return shell_split_args(dup_text(text), argv, MAX_ARGS, why);
}

static void expect_args(const char *text, const char *const *want, int n)
{
    char *argv[MAX_ARGS + 1];
    const char *why = "unset";

    memset(argv, 0xa5, sizeof(argv));
    assert_int_equal(split(text, argv, &why), n);
    assert_null(why);
    for (int i = 0; i < n; i++)
        assert_string_equal(argv[i], want[i]);
    assert_null(argv[n]);
}

#define EXPECT_ARGS(text, ...)                                                  \
    do {                                                                        \
        static const char *const want_[] = { __VA_ARGS__ };                     \
        expect_args(text, want_, (int)ARRAY_SIZE(want_));                       \
    } while (0)

static void test_args_plain(void **state)
{
    (void)state;
    EXPECT_ARGS("echo", "echo");
    EXPECT_ARGS("echo hi", "echo", "hi");
    EXPECT_ARGS("  sleep\t 100  ", "sleep", "100");
    expect_args("", NULL, 0);
    expect_args(" \t ", NULL, 0);
}

static void test_args_quotes_and_escapes(void **state)
{
    (void)state;
    EXPECT_ARGS("echo 'a  b' \"c\td\"", "echo", "a  b", "c\td");
    EXPECT_ARGS("a\"b c\"d", "ab cd");
    EXPECT_ARGS("'' \"\" x", "", "", "x");
    EXPECT_ARGS("'it''s'", "its");
    EXPECT_ARGS("\"say \\\"hi\\\" \\\\ \\n\"", "say \"hi\" \\ \\n");
    EXPECT_ARGS("'no \\escapes\\'", "no \\escapes\\");
    EXPECT_ARGS("a\\ b c\\\"d \\'", "a b", "c\"d", "'");
    EXPECT_ARGS("\"'\" '\"'", "'", "\"");
    EXPECT_ARGS("semi;colon", "semi;colon");
}

static void test_args_errors(void **state)
{
    char *argv[MAX_ARGS + 1];
    const char *why = NULL;

    (void)state;
    assert_int_equal(split("echo 'open", argv, &why), -EINVAL);
    assert_string_equal(why, "unterminated ' quote");
    assert_int_equal(split("echo \"open", argv, &why), -EINVAL);
    assert_string_equal(why, "unterminated \" quote");
    assert_int_equal(split("echo \"a\\\"", argv, &why), -EINVAL);
    assert_int_equal(split("echo \\", argv, &why), -EINVAL);
    assert_string_equal(why, "backslash at the end of the line");
    assert_int_equal(split("1 2 3 4 5 6 7 8", argv, &why), 8);
    assert_null(argv[8]);
    assert_int_equal(split("1 2 3 4 5 6 7 8 9", argv, &why), -E2BIG);
    assert_string_equal(why, "too many words");
    assert_null(argv[MAX_ARGS]);
    assert_int_equal(split("1 2 3 4 5 6 7 8   ", argv, NULL), 8);  /* trailing blanks are fine */
    assert_int_equal(split("'x", argv, NULL), -EINVAL);              /* why may be NULL */
}

/* ---- log levels and completion ---------------------------------------------------- */

static void test_log_levels(void **state)
{
    static const struct { const char *text; int level; } good[] = {
        { "0", 0 }, { "7", 7 }, { "emerg", 0 }, { "alert", 1 }, { "crit", 2 }, { "err", 3 },
        { "error", 3 }, { "warning", 4 }, { "warn", 4 }, { "WARN", 4 }, { "notice", 5 },
        { "info", 6 }, { "Debug", 7 },
    };
    static const char *const bad[] = { "8", "-1", "", "debugx", "inf", "0x", "1 ", "warnings" };
    int level;

    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        level = -1;
        assert_int_equal(shell_parse_log_level(good[i].text, &level), 0);
        assert_int_equal(level, good[i].level);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        level = 42;
        assert_int_equal(shell_parse_log_level(bad[i], &level), -EINVAL);
        assert_int_equal(level, 42);
    }
    assert_string_equal(shell_log_level_name(0), "emerg");
    assert_string_equal(shell_log_level_name(4), "warning");
    assert_string_equal(shell_log_level_name(7), "debug");
    assert_string_equal(shell_log_level_name(8), "?");
    assert_string_equal(shell_log_level_name(-1), "?");
}

static void test_complete(void **state)
{
    static const char *const names[] = { "help", "heap", "echo", "poweroff", "ps", "mem" };
    char out[16];

    (void)state;
    assert_int_equal(shell_complete("ec", names, ARRAY_SIZE(names), out, sizeof(out)), 1);
    assert_string_equal(out, "ho");
    assert_int_equal(shell_complete("h", names, ARRAY_SIZE(names), out, sizeof(out)), 2);
    assert_string_equal(out, "e");
    assert_int_equal(shell_complete("p", names, ARRAY_SIZE(names), out, sizeof(out)), 2);
    assert_string_equal(out, "");
    assert_int_equal(shell_complete("x", names, ARRAY_SIZE(names), out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(shell_complete("mem", names, ARRAY_SIZE(names), out, sizeof(out)), 1);
    assert_string_equal(out, "");
    assert_int_equal(shell_complete("", names, ARRAY_SIZE(names), out, sizeof(out)), 6);
    assert_string_equal(out, "");
    /* a small buffer cuts the extension */
    assert_int_equal(shell_complete("po", names, ARRAY_SIZE(names), out, 3), 1);
    assert_string_equal(out, "we");
    assert_int_equal(shell_complete("po", names, 0, out, sizeof(out)), 0);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_commands_split_at_semicolons),
        T(test_commands_keep_quoted_semicolons),
        T(test_args_plain),
        T(test_args_quotes_and_escapes),
        T(test_args_errors),
        T(test_log_levels),
        T(test_complete),
    };
    return cmocka_run_group_tests_name("core/shell_parse", tests, NULL, NULL);
}
