/*
 * include/kernel/kshell.h - the interactive kernel shell: a command prompt
 * on every console.
 *
 * Part of the kernel executable. kshell_run reads what is typed on the
 * serial port and the PS/2 keyboard (dev/coninput: it sleeps on the console
 * wait queue between keys; terminal escape sequences and key events become
 * keys through kernel/lineedit), edits the line (cursor keys, history, Tab
 * completion of command names) and runs it with core/shell's
 * shell_run_command, one ';'-separated command after the other. The
 * commands themselves, the dispatch and the output helpers are core's
 * (include/core/shell.h), so every subsystem declares its own.
 *
 * Kernel parameters:
 *   cmd=LIST    commands run once boot is complete, before the prompt,
 *               separated by ';' (quote the list: cmd='mem; test irq.*');
 *               each is echoed after a prompt and kept in the history
 *   shell.off   no shell: the boot CPU idles after boot (kmain checks it)
 */
#ifndef BASALT_KERNEL_KSHELL_H
#define BASALT_KERNEL_KSHELL_H

#include <core/compiler.h>

/*
 * The shell: runs the commands of cmd= (if any), then prompts and runs what
 * is typed, forever. arg is unused (a thread entry's argument). Context:
 * the body of the shell's kernel thread, which kmain creates at the end of
 * boot pinned to CPU 0 (where the serial receive interrupt is routed, see
 * dev/coninput.h). Commands run in that thread and may sleep. Before the
 * scheduler runs it works as well, halting between keys. Never fails: a
 * command's error is reported and the prompt comes back.
 */
__noreturn void kshell_run(void *arg);

#endif
