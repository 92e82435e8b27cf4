/*
 * src/core/shell_cmds.c - core's shell commands.
 *
 * Part of core. Each command is a function plus a SHELL_COMMAND descriptor
 * (include/core/shell.h); the shell finds them in the .shell_commands
 * section, so commands of other subsystems live next to their code (mm's
 * in src/mm/mm_cmds.c, sched's in src/sched/sched_cmds.c, dev's beside its
 * drivers). These need core only: help, echo and clear, interrupts, time,
 * the log (level and contents), the ktest runner, and the screens.
 */
#include <core/shell.h>
#include <core/console.h>
#include <core/format.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/shell_parse.h>
#include <core/string.h>
#include <core/time.h>

#define NAME    ANSI_CYAN
#define HEAD    ANSI_BOLD
#define OFF     ANSI_RESET

/* Writes argv[first..argc) joined by single spaces. */
static void write_words(int first, int argc, char **argv, void (*write)(const char *, size_t))
{
    for (int i = first; i < argc; i++) {
        if (i > first)
            write(" ", 1);
        write(argv[i], strlen(argv[i]));
    }
}

/* ---- help ---------------------------------------------------------------------- */

static void help_line(const struct shell_command *c)
{
    char left[64];

    snprintf(left, sizeof(left), "%s%s%s", c->name, c->usage[0] ? " " : "", c->usage);
    shell_printf("  " NAME "%s" OFF "%*s  %s\n", left,
                 (int)(strlen(left) < 26 ? 26 - strlen(left) : 0), "", c->help);
}

static int cmd_help(int argc, char **argv)
{
    size_t n;
    const struct shell_command *all = shell_commands(&n), *last = NULL;

    if (argc > 2)
        return SHELL_USAGE;
    if (argc == 2) {
        const struct shell_command *c = shell_find(argv[1]);
        if (!c) {
            shell_error("help: no command '%s'", argv[1]);
            return -ENOENT;
        }
        shell_printf("usage: %s%s%s\n  %s\n", c->name, c->usage[0] ? " " : "", c->usage,
                     c->help);
        return 0;
    }
    shell_printf(HEAD "%zu commands" OFF " (Tab completes a name; up/down recall lines; "
                 "';' separates commands):\n", n);
    /* in name order: each round prints the smallest name above the last one */
    for (size_t round = 0; round < n; round++) {
        const struct shell_command *next = NULL;
        for (size_t i = 0; i < n; i++)
            if ((!last || strcmp(all[i].name, last->name) > 0) &&
                (!next || strcmp(all[i].name, next->name) < 0))
                next = &all[i];
        if (!next)
            break;
        help_line(next);
        last = next;
    }
    return 0;
}
SHELL_COMMAND("help", "[COMMAND]", "list the commands, or show one command's usage", cmd_help);

/* ---- echo, clear ------------------------------------------------------------------ */

static void write_out(const char *s, size_t n)
{
    shell_write(s, n);
}

static int cmd_echo(int argc, char **argv)
{
    write_words(1, argc, argv, write_out);
    shell_write("\n", 1);
    return 0;
}
SHELL_COMMAND("echo", "[TEXT...]", "print TEXT", cmd_echo);

static int cmd_clear(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    /* erase, then home the cursor: the terminal on serial and the screens alike */
    shell_printf("\033[2J\033[H");
    return 0;
}
SHELL_COMMAND("clear", "", "clear the screen and the terminal", cmd_clear);

/* ---- CPUs and what they run ------------------------------------------------------------- */

/* ---- interrupts and time ------------------------------------------------------------ */

static int cmd_irqs(int argc, char **argv)
{
    static struct irq_vector_stats st[IRQ_VECTORS];
    size_t n = irq_stats(st, IRQ_VECTORS);
    char gsi[16];

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    shell_printf(HEAD "%-6s %-16s %-5s %12s %10s" OFF "\n", "VECTOR", "NAME", "GSI", "COUNT",
                 "UNHANDLED");
    for (size_t i = 0; i < n; i++) {
        if (st[i].gsi == UINT32_MAX)
            strlcpy(gsi, "-", sizeof(gsi));
        else
            snprintf(gsi, sizeof(gsi), "%u", st[i].gsi);
        shell_printf("%-6u %-16s %-5s %12llu %10llu\n", st[i].vector,
                     st[i].name ? st[i].name : "-", gsi, (unsigned long long)st[i].count,
                     (unsigned long long)st[i].unhandled);
    }
    shell_printf("spurious: %llu\n", (unsigned long long)irq_spurious_count());
    return 0;
}
SHELL_COMMAND("irqs", "", "interrupt counts per vector (name, GSI, unhandled) and spurious",
              cmd_irqs);

static int cmd_uptime(int argc, char **argv)
{
    uint64_t ns = time_ns(), s = ns / 1000000000ull;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    shell_printf("up %llu:%02llu:%02llu (%llu.%06llu s; clock %s, %llu ticks)\n",
                 (unsigned long long)(s / 3600), (unsigned long long)(s / 60 % 60),
                 (unsigned long long)(s % 60), (unsigned long long)s,
                 (unsigned long long)(ns % 1000000000ull / 1000), time_source_name(),
                 (unsigned long long)time_ticks());
    return 0;
}
SHELL_COMMAND("uptime", "", "time since boot", cmd_uptime);

/* ---- the log ------------------------------------------------------------------------- */

static int cmd_log(int argc, char **argv)
{
    int level;

    if (argc > 2)
        return SHELL_USAGE;
    if (argc == 2) {
        if (shell_parse_log_level(argv[1], &level) != 0) {
            shell_error("log: unknown level '%s' (0-7, or emerg alert crit err warning notice "
                        "info debug)", argv[1]);
            return SHELL_USAGE;
        }
        printk_set_level(level);
    }
    level = printk_get_level();
    shell_printf("log level %d (%s): the consoles show %s and more severe\n", level,
                 shell_log_level_name(level), shell_log_level_name(level));
    return 0;
}
SHELL_COMMAND("log", "[LEVEL]", "show or set the console log level: 0-7 or a name (debug, info, "
              "warning, ...)", cmd_log);

#define DMESG_MAX   65536

static int cmd_dmesg(int argc, char **argv)
{
    /* static, as core allocates nothing; commands run one at a time (the shell's thread) */
    static char buf[DMESG_MAX];
    size_t n;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    n = printk_ring_read(buf, DMESG_MAX);
    shell_write(buf, n);
    return 0;
}
SHELL_COMMAND("dmesg", "", "print the kernel log kept in memory", cmd_dmesg);

/* ---- tests ----------------------------------------------------------------------------- */

static int cmd_test(int argc, char **argv)
{
    int failed;

    if (argc > 2)
        return SHELL_USAGE;
    failed = ktest_run(argc == 2 ? argv[1] : "*");
    if (failed == -ENOENT) {
        shell_error("test: no test matches '%s'", argv[1]);
        return -ENOENT;
    }
    if (failed > 0) {
        shell_error("test: %d failed", failed);
        return -EIO;
    }
    return 0;
}
SHELL_COMMAND("test", "[FILTER]", "run the in-kernel tests (all, or those matching a glob such "
              "as irq.*)", cmd_test);

/* ---- screens -------------------------------------------------------------------------- */

static int cmd_write_framebuffer(int argc, char **argv)
{
    char text[512];
    size_t len = 0, screens;

    if (argc < 2)
        return SHELL_USAGE;
    for (int i = 1; i < argc; i++)
        len += (size_t)snprintf(text + MIN(len, sizeof(text)), sizeof(text) - MIN(len, sizeof(text)),
                                "%s%s", i > 1 ? " " : "", argv[i]);
    if (len > sizeof(text) - 2) {
        shell_error("write-framebuffer: the text is longer than %zu bytes", sizeof(text) - 2);
        return SHELL_USAGE;
    }
    text[len++] = '\n';
    screens = printk_write_screens(text, len);
    if (screens == 0) {
        shell_error("write-framebuffer: there is no screen console (serial only)");
        return -ENODEV;
    }
    shell_printf("write-framebuffer: drawn on %zu screen console%s\n", screens,
                 screens == 1 ? "" : "s");
    return 0;
}
SHELL_COMMAND("write-framebuffer", "TEXT...", "draw TEXT on the screen only (not on serial)",
              cmd_write_framebuffer);
