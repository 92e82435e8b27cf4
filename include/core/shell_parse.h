/*
 * include/core/shell_parse.h - the kernel shell's text handling: command
 * lists, arguments, log-level names, completion.
 *
 * Part of core; pure (host-tested by test/unit/test_shell_parse.c). Used by
 * core/shell (shell_execute) and kernel/kshell for typed lines and for the
 * boot-time list in `cmd=...`.
 *
 * Syntax of a line:
 *   - commands are separated by ';' (outside quotes, not after a backslash);
 *   - a command's words are separated by blanks (space, tab);
 *   - 'single quotes' keep everything literally; "double quotes" keep
 *     blanks and ';', and a backslash in them escapes only '"' and '\';
 *     outside quotes a backslash makes the next character literal;
 *   - quoted and unquoted parts next to each other make one word
 *     (a"b c"d is the word `ab cd`); "" is an empty word.
 *
 * Locking: none; the functions work on the caller's buffers only.
 */
#ifndef BASALT_CORE_SHELL_PARSE_H
#define BASALT_CORE_SHELL_PARSE_H

#include <core/compiler.h>

/*
 * Takes the next command of a ';'-separated list. *cursor points into a
 * writable NUL-terminated text (start with the text itself); the command
 * is cut out in place (its ';' becomes a NUL), leading and trailing blanks
 * removed, and *cursor moves past it. Blank commands (";;", a trailing
 * ';') are skipped. Returns the command, or NULL when the list is done.
 * An unterminated quote runs to the end of the text (shell_split_args then
 * reports it).
 */
char *shell_next_command(char **cursor);

/*
 * Splits a command into words in place (quotes and backslashes removed, see
 * above): argv[0..argc) point into line, and argv[argc] is NULL (argv has
 * room for max_args + 1 pointers). Returns argc (0 for a blank line), or
 * -EINVAL for an unterminated quote or a backslash at the very end, or
 * -E2BIG for more than max_args words; then *why (if why is not NULL) says
 * so in words ("unterminated ' quote").
 */
int shell_split_args(char *line, char **argv, int max_args, const char **why);

/*
 * A log level by number ("0".."7") or by name, case-insensitive: emerg,
 * alert, crit, err or error, warning or warn, notice, info, debug.
 * Returns 0 and the level in *level, or -EINVAL.
 */
int shell_parse_log_level(const char *s, int *level);

/* The name of log level 0..7 ("emerg" .. "debug"), or "?". */
const char *shell_log_level_name(int level);

/*
 * Completion of prefix among names[0..n): returns how many names start with
 * prefix, and writes to out (size bytes, NUL-terminated; size > 0) what
 * all of them share beyond the prefix (the whole rest of the name when
 * there is one match, "" when none).
 */
size_t shell_complete(const char *prefix, const char *const *names, size_t n, char *out,
                      size_t size);

#endif
