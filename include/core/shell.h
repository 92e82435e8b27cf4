/*
 * include/core/shell.h - the kernel shell's commands: declaring, finding,
 * running them, and their output.
 *
 * Part of core, so that every subsystem can add commands next to the code
 * they drive without depending on the interactive shell. Commands are
 * descriptors gathered by the linker:
 *
 *     static int cmd_frob(int argc, char **argv) { ... }
 *     SHELL_COMMAND("frob", "[-v] DEVICE", "frobnicate DEVICE", cmd_frob);
 *
 * Where they live: core's (help, echo, clear, irqs, uptime, log, dmesg,
 * test, write-framebuffer) in src/core/shell_cmds.c; mm's (mem, heap) in
 * src/mm/mm_cmds.c; sched's (ps, tasks, cpus, sleep) in
 * src/sched/sched_cmds.c; dev's (reboot, poweroff in src/dev/acpi_cmds.c;
 * blk, blkread, pci, virtio, random beside their drivers); fs's (mount,
 * ls, cat, stat, df, cd, ...) in src/fs/fs_cmds.c. `help` lists them all,
 * sorted by name.
 *
 * shell_execute splits a line (core/shell_parse: ';'-separated commands,
 * quoted words) and runs the commands. Output goes to every console
 * (serial and screen) through printk_write, coloured with ANSI SGR
 * sequences, or into a caller's buffer (shell_capture) for ktests.
 *
 * The interactive shell (prompt, line editing, history, input from serial
 * and the PS/2 keyboard, the cmd= and shell.off kernel parameters) belongs
 * to the kernel executable: include/kernel/kshell.h.
 *
 * Context: commands run in the calling thread (the shell's, or a ktest's)
 * and may sleep. The capture state is global: one capturing caller at a
 * time. Output functions may be called from any thread context.
 */
#ifndef BASALT_CORE_SHELL_H
#define BASALT_CORE_SHELL_H

#include <core/compiler.h>
#include <core/errno.h>

/* A command's result besides 0 and negative errnos: print the usage line. */
#define SHELL_USAGE     (-EINVAL)

struct shell_command {
    const char *name;       /* what is typed: [a-z0-9-]+ */
    const char *usage;      /* the arguments, "" for none: "MS", "[FILTER]" */
    const char *help;       /* one line for `help` */
    /*
     * argv[0] is the name, argv[argc] is NULL; the words are writable.
     * Returns 0; SHELL_USAGE (-EINVAL) for bad arguments, after saying
     * what is wrong (the shell then prints "usage: NAME USAGE"); or another
     * negative errno after printing what went wrong (shell_error).
     */
    int (*fn)(int argc, char **argv);
};

/* Declares a shell command; fn_ must be declared before (collected in .shell_commands). */
#define SHELL_COMMAND(name_, usage_, help_, fn_)                               \
    static const struct shell_command shell_command_##fn_                      \
        __section(".shell_commands") __used __aligned(8) = {                   \
            .name = (name_), .usage = (usage_), .help = (help_), .fn = (fn_) }

/* The longest line shell_execute takes, in bytes (more than a typed line holds). */
#define SHELL_EXECUTE_MAX   511

/*
 * Runs a line: each ';'-separated command in turn (quotes and errors as at
 * the prompt). Returns the result of the last command that ran (0, or its
 * negative errno; -ENOENT for an unknown command, -EINVAL for a line that
 * does not split, 0 for a blank line), or -E2BIG (reported, nothing run)
 * for a line longer than SHELL_EXECUTE_MAX. Works on a copy on the stack,
 * so a command may call it again (`test` runs ktests that do).
 */
int shell_execute(const char *line);

/*
 * Runs one command (no ';' in it: see shell_next_command in
 * core/shell_parse.h), splitting text into words in place. Reports an
 * unknown command or a line that does not split, and prints the usage line
 * when the command returns SHELL_USAGE. Returns as shell_execute does.
 */
int shell_run_command(char *text);

/* Warns (log) about every command name that is defined twice: the second could never run. */
void shell_check_commands(void);

/* The command named name, or NULL. */
const struct shell_command *shell_find(const char *name);

/* All commands, in link order: *count of them. */
const struct shell_command *shell_commands(size_t *count);

/* Output to every console (or into the capture buffer, see below). */
void shell_write(const char *s, size_t n);
void shell_printf(const char *fmt, ...) __printf_like(1, 2);

/* An error line in red: "NAME: message". */
void shell_error(const char *fmt, ...) __printf_like(1, 2);

/*
 * A command's numeric argument s (decimal or 0x hex) into *out. When it does
 * not parse or lies outside min..max, says so through shell_error ("cmd: 's'
 * is not a what (min..max)"; the range is left out when it is everything)
 * and returns SHELL_USAGE; else 0.
 */
int shell_parse_u64(const char *cmd, const char *what, const char *s, uint64_t min,
                    uint64_t max, uint64_t *out);

/*
 * For ktests: shell_capture(buf, size) sends shell output into buf[0..size)
 * (always NUL-terminated, cut when full) instead of the consoles, and
 * returns 0; shell_capture(NULL, 0) ends that and returns how many bytes
 * the output had, including what did not fit.
 */
size_t shell_capture(char *buf, size_t size);

/*
 * For ktests: shell_execute(line) with its output captured into buf as
 * shell_capture does (NUL-terminated, cut when full). Returns the line's
 * result.
 */
int shell_execute_captured(const char *line, char *buf, size_t size);

#endif
