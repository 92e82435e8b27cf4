/*
 * src/core/shell_parse.c - the kernel shell's text handling (see
 * include/core/shell_parse.h).
 *
 * Part of core; pure (host-tested by test/unit/test_shell_parse.c): works
 * on the caller's buffers only, in place, without the heap.
 */
#include <core/shell_parse.h>
#include <core/errno.h>
#include <core/string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

char *shell_next_command(char **cursor)
{
    char *p = *cursor;

    for (;;) {
        char quote = 0, *start, *end;

        while (is_blank(*p))
            p++;
        if (*p == '\0') {
            *cursor = p;
            return NULL;
        }
        start = p;
        for (; *p; p++) {
            if (quote) {
                if (*p == quote)
                    quote = 0;
                else if (quote == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
            } else if (*p == '\'' || *p == '"') {
                quote = *p;
            } else if (*p == '\\' && p[1]) {
                p++;
            } else if (*p == ';') {
                break;
            }
        }
        end = p;
        if (*p == ';')
            *p++ = '\0';
        *cursor = p;
        while (end > start && is_blank(end[-1]))
            end--;
        /* a backslash-escaped blank at the end stays: "echo a\ " */
        if (end > start && end[-1] == '\\' && *end)
            end++;
        *end = '\0';
        if (end > start)
            return start;
        /* blank command: take the next one */
    }
}

int shell_split_args(char *line, char **argv, int max_args, const char **why)
{
    char *r = line, *w = line;
    int argc = 0;
    const char *dummy;

    if (!why)
        why = &dummy;
    *why = NULL;
    for (;;) {
        char quote = 0;

        while (is_blank(*r))
            r++;
        if (*r == '\0')
            break;
        if (argc == max_args) {
            *why = "too many words";
            argv[argc] = NULL;
            return -E2BIG;
        }
        argv[argc++] = w;
        /* one word: until a blank outside quotes, or the end */
        for (; *r; r++) {
            char c = *r;

            if (quote == '\'') {
                if (c == '\'')
                    quote = 0;
                else
                    *w++ = c;
            } else if (quote == '"') {
                if (c == '"')
                    quote = 0;
                else if (c == '\\' && (r[1] == '"' || r[1] == '\\'))
                    *w++ = *++r;
                else
                    *w++ = c;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '\\') {
                if (r[1] == '\0') {
                    *why = "backslash at the end of the line";
                    argv[argc] = NULL;
                    return -EINVAL;
                }
                *w++ = *++r;
            } else if (is_blank(c)) {
                break;
            } else {
                *w++ = c;
            }
        }
        if (quote) {
            *why = quote == '\'' ? "unterminated ' quote" : "unterminated \" quote";
            argv[argc] = NULL;
            return -EINVAL;
        }
        /* the word ends here; w never passes r, so writing the NUL is safe */
        if (*r)
            r++;
        *w++ = '\0';
    }
    argv[argc] = NULL;
    return argc;
}

static const char *const level_names[8] = {
    "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

static bool name_equal(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a - 'A' + 'a') : *a;
        if (x != *b)
            return false;
    }
    return *a == *b;
}

int shell_parse_log_level(const char *s, int *level)
{
    uint64_t v;

    if (str_to_u64(s, strlen(s), 10, &v) == 0) {
        if (v > 7)
            return -EINVAL;
        *level = (int)v;
        return 0;
    }
    for (int i = 0; i < 8; i++)
        if (name_equal(s, level_names[i])) {
            *level = i;
            return 0;
        }
    if (name_equal(s, "error")) {
        *level = 3;
        return 0;
    }
    if (name_equal(s, "warn")) {
        *level = 4;
        return 0;
    }
    return -EINVAL;
}

const char *shell_log_level_name(int level)
{
    return level >= 0 && level < 8 ? level_names[level] : "?";
}

size_t shell_complete(const char *prefix, const char *const *names, size_t n, char *out,
                      size_t size)
{
    size_t plen = strlen(prefix), matches = 0, common = 0;
    const char *first = NULL;

    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        size_t k;

        if (strncmp(name, prefix, plen) != 0)
            continue;
        if (matches++ == 0) {
            first = name;
            common = strlen(name) - plen;
            continue;
        }
        for (k = 0; k < common && name[plen + k] == first[plen + k]; k++)
            ;
        common = k;
    }
    if (common >= size)
        common = size - 1;
    if (first)
        memcpy(out, first + plen, common);
    out[first ? common : 0] = '\0';
    return matches;
}
