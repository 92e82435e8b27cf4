/*
 * src/sched/sched_cmds.c - sched's shell commands: ps and tasks (the
 * threads), cpus (every CPU, as AP bring-up left it), sleep (a timed sleep
 * of the shell's thread).
 *
 * Part of sched. Each command registers itself with SHELL_COMMAND
 * (include/core/shell.h) and prints through core's shell output helpers.
 */
#include <core/shell.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/time.h>
#include <sched/sched.h>
#include <sched/smpboot.h>

#define HEAD    ANSI_BOLD
#define OFF     ANSI_RESET

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
