/*
 * src/core/shell_cmds.c - the kernel shell's built-in commands.
 *
 * Part of core. Each command is a function plus a SHELL_COMMAND descriptor
 * (include/core/shell.h); the shell finds them in the .shell_commands
 * section, so commands of other subsystems live next to their code instead
 * of here. These are the ones that look at core, mm and dev state: memory,
 * heap, CPUs, interrupts, time, the log level, the ktest runner, the
 * screens, and power.
 */
#include <core/shell.h>
#include <core/console.h>
#include <core/cpu.h>
#include <sched/sched.h>
#include <core/format.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/shell_parse.h>
#include <core/smp.h>
#include <sched/smpboot.h>
#include <core/string.h>
#include <core/time.h>
#include <dev/acpi.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>

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

/* ---- memory ------------------------------------------------------------------------ */

/* "123.4 MiB" for a number of 4 KiB frames. */
static void frames_mib(char *buf, size_t size, uint64_t frames)
{
    uint64_t tenths = frames * 4096 * 10 / (1024 * 1024);

    snprintf(buf, size, "%llu.%llu MiB", (unsigned long long)(tenths / 10),
             (unsigned long long)(tenths % 10));
}

static int cmd_mem(int argc, char **argv)
{
    struct pmm_stats st = pmm_stats();
    uint64_t used = st.managed_frames - st.free_frames;
    char total[32], freeb[32], usedb[32];

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    frames_mib(total, sizeof(total), st.managed_frames);
    frames_mib(freeb, sizeof(freeb), st.free_frames);
    frames_mib(usedb, sizeof(usedb), used);
    shell_printf(HEAD "physical memory" OFF " (4 KiB frames)\n");
    shell_printf("  total %10llu frames  %12s\n", (unsigned long long)st.managed_frames, total);
    shell_printf("  free  %10llu frames  %12s\n", (unsigned long long)st.free_frames, freeb);
    shell_printf("  used  %10llu frames  %12s\n", (unsigned long long)used, usedb);
    shell_printf("usable RAM %llu MiB, %llu KiB of it held for kernel and boot data; "
                 "RAM ends at %#llx\n", (unsigned long long)(st.usable_bytes >> 20),
                 (unsigned long long)(st.reserved_bytes >> 10),
                 (unsigned long long)st.highest_ram);
    if (st.bad_frees)
        shell_error("mem: %llu bad frees refused so far", (unsigned long long)st.bad_frees);
    return 0;
}
SHELL_COMMAND("mem", "", "physical memory: total, free and used frames and MiB", cmd_mem);

#define HEAP_MAX_CACHES 64

static int cmd_heap(int argc, char **argv)
{
    static struct kheap_stats st[HEAP_MAX_CACHES];
    size_t n = kheap_stats(st, HEAP_MAX_CACHES);
    uint64_t objects = 0, requested = 0, slabs = 0, large = kheap_large_pages();

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    shell_printf(HEAD "%-20s %8s %10s %12s %6s" OFF "\n", "cache", "slot", "in use",
                 "bytes asked", "slabs");
    for (size_t i = 0; i < n; i++) {
        shell_printf("%-20s %8zu %10llu %12llu %6llu\n", st[i].name, st[i].object_size,
                     (unsigned long long)st[i].objects_in_use,
                     (unsigned long long)st[i].bytes_requested,
                     (unsigned long long)st[i].slabs);
        objects += st[i].objects_in_use;
        requested += st[i].bytes_requested;
        slabs += st[i].slabs;
    }
    shell_printf("%-20s %8s %10llu %12llu %6llu\n", "total", "",
                 (unsigned long long)objects, (unsigned long long)requested,
                 (unsigned long long)slabs);
    shell_printf("large blocks: %llu pages (%llu KiB); heap errors reported: %llu\n",
                 (unsigned long long)large, (unsigned long long)(large * 4),
                 (unsigned long long)kheap_error_count());
    return 0;
}
SHELL_COMMAND("heap", "", "kernel heap: objects, bytes and slabs per size class", cmd_heap);

/* ---- CPUs and what they run ------------------------------------------------------------- */

static int cmd_ps(int argc, char **argv)
{
    static struct sched_thread_info threads[128];
    size_t n;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    n = sched_list_threads(threads, ARRAY_SIZE(threads));
    shell_printf(HEAD "%-20s %-9s %-4s %s" OFF "\n", "THREAD", "STATE", "CPU", "WAITING FOR");
    for (size_t i = 0; i < n; i++)
        shell_printf("%-20s %-9s %-4d %s\n", threads[i].name, threads[i].state, threads[i].cpu,
                     threads[i].wait_reason ? threads[i].wait_reason : "-");
    return 0;
}
SHELL_COMMAND("ps", "", "list the threads: name, state, CPU, what each waits for", cmd_ps);

static int cmd_tasks(int argc, char **argv)
{
    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    sched_dump_tasks();         /* to the log: every thread, with a backtrace when off-CPU */
    return 0;
}
SHELL_COMMAND("tasks", "", "dump every thread with its state, CPU, wait reason and backtrace", cmd_tasks);

static int cmd_cpus(int argc, char **argv)
{
    unsigned n = cpu_count(), online = 0;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    for (unsigned i = 0; i < n; i++)
        if (cpu_get(i) && cpu_get(i)->online)
            online++;
    shell_printf("%u of %u CPUs online (the firmware lists %u)\n", online, n,
                 smpboot_expected_cpus());
    shell_printf(HEAD "%-4s %-8s %-7s %12s" OFF "\n", "CPU", "APIC ID", "ONLINE", "INTERRUPTS");
    for (unsigned i = 0; i < n; i++) {
        struct cpu *c = cpu_get(i);
        if (c)
            shell_printf("%-4u %-8u %-7s %12llu%s\n", c->index, c->apic_id,
                         c->online ? "yes" : "no", (unsigned long long)c->irqs,
                         i == 0 ? "  boot CPU" : "");
    }
    return 0;
}
SHELL_COMMAND("cpus", "", "every CPU: index, local APIC ID, online, interrupts taken", cmd_cpus);

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

#define SLEEP_MAX_MS    3600000ull      /* an hour */

static int cmd_sleep(int argc, char **argv)
{
    uint64_t ms, start, took;
    int err;

    if (argc != 2)
        return SHELL_USAGE;
    if ((err = shell_parse_u64("sleep", "number of milliseconds", argv[1], 0, SLEEP_MAX_MS, &ms)))
        return err;
    start = time_ns();
    time_sleep_ns(ms * 1000000ull);
    took = (time_ns() - start) / 1000;
    shell_printf("slept %llu ms (measured %llu.%03llu ms)\n", (unsigned long long)ms,
                 (unsigned long long)(took / 1000), (unsigned long long)(took % 1000));
    return 0;
}
SHELL_COMMAND("sleep", "MS", "wait MS milliseconds", cmd_sleep);

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
    char *buf;
    size_t n;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    if (!(buf = kmalloc(DMESG_MAX))) {
        shell_error("dmesg: out of memory");
        return -ENOMEM;
    }
    n = printk_ring_read(buf, DMESG_MAX);
    shell_write(buf, n);
    kfree(buf);
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

/* ---- power ------------------------------------------------------------------------------ */

static int cmd_reboot(int argc, char **argv)
{
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    err = acpi_reboot();
    shell_error("reboot: the machine did not reset (%s)", errno_name(err));
    return err;
}
SHELL_COMMAND("reboot", "", "reset the machine", cmd_reboot);

static int cmd_poweroff(int argc, char **argv)
{
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    err = acpi_poweroff();
    shell_error("poweroff: the machine is still on (%s)", errno_name(err));
    return err;
}
SHELL_COMMAND("poweroff", "", "switch the machine off (ACPI S5)", cmd_poweroff);
