/*
 * include/core/shell.h - the kernel shell: a command prompt on every console.
 *
 * Part of core. shell_run reads keys from the serial port (core/serial,
 * terminal escape sequences decoded by core/lineedit) and from the PS/2
 * keyboard (dev/kbd) at once, edits the line (core/lineedit: cursor keys,
 * history), splits it (core/shell_parse: ';'-separated commands, quoted
 * words) and runs the commands. Output goes to every console (serial and
 * screen) through printk_write, coloured with ANSI SGR sequences.
 *
 * Commands are descriptors gathered by the linker: any module adds its own
 * with SHELL_COMMAND, next to the code it drives:
 *
 *     static int cmd_frob(int argc, char **argv) { ... }
 *     SHELL_COMMAND("frob", "[-v] DEVICE", "frobnicate DEVICE", cmd_frob);
 *
 * The built-in ones (help, echo, mem, heap, ps, cpus, irqs, test, ...) are
 * in src/core/shell_cmds.c. `help` lists them all, sorted by name.
 *
 * Kernel parameters:
 *   cmd=LIST    commands run once boot is complete, before the prompt,
 *               separated by ';' (quote the list: cmd='mem; test irq.*')
 *   shell.off   no shell: the boot CPU idles after boot
 *
 * Context: shell_run is the body of the shell's thread; until the scheduler
 * exists it runs on the boot CPU at the end of kmain. It waits for input
 * with interrupts on, halting between keys. Commands run in that thread.
 * Output functions may be called from any thread context.
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

/*
 * The shell: runs the commands of cmd= (if any), then prompts and runs what
 * is typed, forever. arg is unused (a thread entry's argument). Before the
 * scheduler exists kmain calls it at the end of boot unless shell.off was
 * given; afterwards it is the body of the shell's kernel thread.
 */
__noreturn void shell_run(void *arg);

/*
 * Runs a line: each ';'-separated command in turn (quotes and errors as at
 * the prompt). Returns the result of the last command that ran (0, or its
 * negative errno; -ENOENT for an unknown command, -EINVAL for a line that
 * does not split, 0 for a blank line).
 */
int shell_execute(const char *line);

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
