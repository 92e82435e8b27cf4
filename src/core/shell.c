/*
 * src/core/shell.c - the kernel shell's command table, dispatch and output
 * (see include/core/shell.h).
 *
 * Part of core, so every subsystem can declare commands: finding the
 * commands in the .shell_commands section, splitting a line into commands
 * and words (core/shell_parse, pure) and running them, and the output
 * helpers (to every console, or captured for ktests). It reads no input
 * and allocates nothing: the interactive shell (prompt, line editing,
 * waiting for keys) is the kernel executable's (src/kernel/kshell.c), and
 * each command lives with the subsystem it shows.
 */
#include <core/shell.h>
#include <core/console.h>
#include <core/format.h>
#include <core/printk.h>
#include <core/shell_parse.h>
#include <core/string.h>

extern const struct shell_command __start_shell_commands[], __stop_shell_commands[];

#define SHELL_MAX_ARGS      32
#define SHELL_LINE_MAX      512     /* one shell_printf */

static char *capture_buf;
static size_t capture_size, capture_len;

/* ---- output ------------------------------------------------------------------ */

void shell_write(const char *s, size_t n)
{
    if (capture_buf) {
        for (size_t i = 0; i < n; i++, capture_len++)
            if (capture_len + 1 < capture_size)
                capture_buf[capture_len] = s[i];
        capture_buf[MIN(capture_len, capture_size - 1)] = '\0';
        return;
    }
    printk_write(s, n);
}

static void shell_vprintf(const char *fmt, va_list ap)
{
    char buf[SHELL_LINE_MAX];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    shell_write(buf, MIN((size_t)n, sizeof(buf) - 1));
}

void shell_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    shell_vprintf(fmt, ap);
    va_end(ap);
}

void shell_error(const char *fmt, ...)
{
    va_list ap;

    shell_printf("%s", ANSI_BOLD ANSI_RED);
    va_start(ap, fmt);
    shell_vprintf(fmt, ap);
    va_end(ap);
    shell_printf("%s\n", ANSI_RESET);
}

size_t shell_capture(char *buf, size_t size)
{
    size_t n = capture_len;

    capture_buf = NULL;
    capture_size = capture_len = 0;
    if (!buf || size == 0)
        return n;
    buf[0] = '\0';
    capture_size = size;
    capture_buf = buf;
    return 0;
}

int shell_parse_u64(const char *cmd, const char *what, const char *s, uint64_t min,
                    uint64_t max, uint64_t *out)
{
    if (str_to_u64(s, strlen(s), 0, out) == 0 && *out >= min && *out <= max)
        return 0;
    if (min == 0 && max == UINT64_MAX)
        shell_error("%s: '%s' is not a %s", cmd, s, what);
    else
        shell_error("%s: '%s' is not a %s (%llu..%llu)", cmd, s, what, (unsigned long long)min,
                    (unsigned long long)max);
    return SHELL_USAGE;
}

int shell_execute_captured(const char *line, char *buf, size_t size)
{
    int rc;

    shell_capture(buf, size);
    rc = shell_execute(line);
    shell_capture(NULL, 0);
    return rc;
}

/* ---- commands ------------------------------------------------------------------ */

const struct shell_command *shell_commands(size_t *count)
{
    *count = (size_t)(__stop_shell_commands - __start_shell_commands);
    return __start_shell_commands;
}

const struct shell_command *shell_find(const char *name)
{
    for (const struct shell_command *c = __start_shell_commands; c < __stop_shell_commands; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

int shell_run_command(char *text)
{
    char *argv[SHELL_MAX_ARGS + 1];
    const char *why;
    const struct shell_command *cmd;
    int argc = shell_split_args(text, argv, SHELL_MAX_ARGS, &why);
    int rc;

    if (argc < 0) {
        shell_error("shell: %s", why);
        return argc;
    }
    if (argc == 0)
        return 0;
    cmd = shell_find(argv[0]);
    if (!cmd) {
        shell_error("shell: unknown command '%s' (try 'help')", argv[0]);
        return -ENOENT;
    }
    rc = cmd->fn(argc, argv);
    /* other errors the command has reported itself */
    if (rc == SHELL_USAGE)
        shell_printf("usage: %s%s%s\n", cmd->name, cmd->usage[0] ? " " : "", cmd->usage);
    return rc;
}

int shell_execute(const char *line)
{
    /* on the stack: a command may run ktests that call shell_execute again */
    char copy[SHELL_EXECUTE_MAX + 1], *cursor = copy, *cmd;
    size_t len = strlen(line);
    int rc = 0;

    if (len > SHELL_EXECUTE_MAX) {
        shell_error("shell: the line is %zu bytes long, at most %d are taken", len,
                    SHELL_EXECUTE_MAX);
        return -E2BIG;
    }
    memcpy(copy, line, len + 1);
    while ((cmd = shell_next_command(&cursor)) != NULL)
        rc = shell_run_command(cmd);
    return rc;
}

void shell_check_commands(void)
{
    for (const struct shell_command *a = __start_shell_commands; a < __stop_shell_commands; a++)
        for (const struct shell_command *b = a + 1; b < __stop_shell_commands; b++)
            if (strcmp(a->name, b->name) == 0)
                pr_warn("shell: command '%s' is defined twice", a->name);
}
