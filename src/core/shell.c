/*
 * src/core/shell.c - the kernel shell: input, prompt, dispatch (see
 * include/core/shell.h).
 *
 * Part of core. The text work is pure and lives elsewhere: core/lineedit
 * (keys, editing, history) and core/shell_parse (command lists, words).
 * What is here is the glue to the machine: reading the serial port and the
 * PS/2 keyboard, waiting for input, writing to the consoles, finding the
 * commands in the .shell_commands section and running them. The built-in
 * commands are in shell_cmds.c.
 */
#include <core/shell.h>
#include <core/cmdline.h>
#include <core/console.h>
#include <core/format.h>
#include <core/lineedit.h>
#include <core/printk.h>
#include <core/serial.h>
#include <core/shell_parse.h>
#include <core/string.h>
#include <core/x86.h>
#include <dev/kbd.h>
#include <mm/kmalloc.h>

CMDLINE_PARAM(shell_cmd, "cmd", CMDLINE_STRING, 0, 0,
              "shell commands to run after boot, ';'-separated: cmd='mem; test irq.*; poweroff'");
CMDLINE_PARAM(shell_off, "shell.off", CMDLINE_FLAG, 0, 0,
              "no shell after boot: the boot CPU idles");

extern const struct shell_command __start_shell_commands[], __stop_shell_commands[];

#define SHELL_PROMPT        ANSI_BOLD ANSI_GREEN "basalt>" ANSI_RESET " "
#define SHELL_MAX_ARGS      32
#define SHELL_LINE_MAX      512     /* one shell_printf */
#define SHELL_MAX_COMMANDS  128     /* for completion */
#define CLEAR_SCREEN        "\033[2J\033[H"

static struct lineedit editor;
static struct lineedit_decoder serial_decoder;
static uint64_t cuts_seen;          /* printk_lines_cut() when the prompt was last intact */

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

/* Splits and runs one command (no ';' left in it). */
static int run_command(char *text)
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

/* Runs a ';'-separated list; echo: print each command after a prompt first. */
static int run_list(const char *line, bool echo)
{
    size_t len = strlen(line);
    char *copy = kmalloc(len + 1), *cursor, *cmd;
    int rc = 0;

    if (!copy) {
        shell_error("shell: out of memory for a %zu-byte line", len);
        return -ENOMEM;
    }
    memcpy(copy, line, len + 1);
    cursor = copy;
    while ((cmd = shell_next_command(&cursor)) != NULL) {
        if (echo)
            shell_printf("%s%s\n", SHELL_PROMPT, cmd);
        rc = run_command(cmd);
    }
    kfree(copy);
    return rc;
}

int shell_execute(const char *line)
{
    return run_list(line, false);
}

/* ---- input --------------------------------------------------------------------- */

static void editor_write(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    shell_write(s, n);
}

/*
 * The next key from the serial port or the keyboard, whichever has one.
 * Waits with interrupts on: the serial receive interrupt, the keyboard's
 * and the timer tick all end the halt. With the scheduler, this wait
 * becomes a sleep on a wait queue that those interrupt handlers wake.
 */
static int next_key(void)
{
    struct kbd_event ev;
    int c, key;

    for (;;) {
        uint64_t flags = irq_save();

        c = serial_getc_nonblock();
        if (c >= 0) {
            irq_restore(flags);
            if ((key = lineedit_decode(&serial_decoder, (uint8_t)c)) != LINEEDIT_KEY_NONE)
                return key;
            continue;
        }
        if (kbd_read_event(&ev) == 0) {
            irq_restore(flags);
            if ((key = lineedit_key_from_kbd(&ev)) != LINEEDIT_KEY_NONE)
                return key;
            continue;
        }
        /* a log line pushed the prompt up: draw it again below */
        if (printk_lines_cut() != cuts_seen) {
            irq_restore(flags);
            cuts_seen = printk_lines_cut();
            lineedit_redraw(&editor);
            continue;
        }
        /* nothing waiting: sti; hlt cannot miss an interrupt that comes now */
        cpu_idle();
    }
}

/* Tab: completes the command name under the cursor (the first word only). */
static void complete(void)
{
    static const char *names[SHELL_MAX_COMMANDS];
    const char *line = lineedit_line(&editor);
    size_t cursor = lineedit_cursor(&editor), n = 0, matches;
    char prefix[LINEEDIT_MAX + 1], ext[LINEEDIT_MAX + 1];

    for (size_t i = 0; i < cursor; i++)
        if (line[i] == ' ' || line[i] == '\t')
            return;                     /* arguments: nothing to complete yet */
    memcpy(prefix, line, cursor);
    prefix[cursor] = '\0';
    for (const struct shell_command *c = __start_shell_commands;
         c < __stop_shell_commands && n < SHELL_MAX_COMMANDS; c++)
        names[n++] = c->name;
    matches = shell_complete(prefix, names, n, ext, sizeof(ext));
    if (matches == 1) {
        lineedit_insert(&editor, ext);
        if (line[lineedit_cursor(&editor)] != ' ')
            lineedit_insert(&editor, " ");
    } else if (matches > 1 && ext[0]) {
        lineedit_insert(&editor, ext);
    } else if (matches > 1) {
        shell_write("\n", 1);
        for (size_t i = 0; i < n; i++)
            if (strncmp(names[i], prefix, cursor) == 0)
                shell_printf("%s  ", names[i]);
        shell_write("\n", 1);
        lineedit_redraw(&editor);
    }
}

/* Reads and runs one line from the keyboard or serial. */
static void read_and_run(void)
{
    lineedit_start(&editor, SHELL_PROMPT);
    cuts_seen = printk_lines_cut();
    for (;;) {
        switch (lineedit_key(&editor, next_key())) {
        case LINEEDIT_DONE:
            run_list(lineedit_line(&editor), false);
            return;
        case LINEEDIT_CANCELLED:
            return;
        case LINEEDIT_COMPLETE:
            complete();
            break;
        case LINEEDIT_CLEAR:
            shell_write(CLEAR_SCREEN, sizeof(CLEAR_SCREEN) - 1);
            lineedit_redraw(&editor);
            break;
        case LINEEDIT_CONTINUE:
            break;
        }
    }
}

/* Two descriptors with one name: the second could never run. */
static void check_commands(void)
{
    for (const struct shell_command *a = __start_shell_commands; a < __stop_shell_commands; a++)
        for (const struct shell_command *b = a + 1; b < __stop_shell_commands; b++)
            if (strcmp(a->name, b->name) == 0)
                printk(LOG_WARNING, "shell: command '%s' is defined twice", a->name);
}

void shell_run(void *arg)
{
    const char *boot_list = cmdline_value(cmdline_boot(), "cmd");
    char *copy;
    size_t count;

    (void)arg;
    check_commands();
    lineedit_init(&editor, editor_write, NULL);
    lineedit_decoder_init(&serial_decoder);
    if (boot_list) {
        /* remembered, so the up arrow brings the boot commands back */
        if ((copy = kmalloc(strlen(boot_list) + 1)) != NULL) {
            char *cursor = copy, *cmd;
            strlcpy(copy, boot_list, strlen(boot_list) + 1);
            while ((cmd = shell_next_command(&cursor)) != NULL)
                lineedit_history_add(&editor, cmd);
            kfree(copy);
        }
        run_list(boot_list, true);
    }
    shell_commands(&count);
    shell_printf("%sbasalt shell:%s %zu commands; 'help' lists them\n", ANSI_BOLD, ANSI_RESET,
                 count);
    for (;;)
        read_and_run();
}
