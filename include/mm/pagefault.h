/*
 * include/mm/pagefault.h - what a page fault (or a double fault) means.
 *
 * Part of mm; core/trap calls it through the hooks pagefault_init registers. A fault raised in user mode goes to the
 * hook the process code installs (to deliver SIGSEGV); a kernel fault, on
 * any address, is a bug and is reported in full. A fault in the
 * guard page below a kernel stack is reported as "kernel stack overflow"
 * naming the stack. When the overflow leaves no stack to push the #PF frame
 * on, the CPU raises a double fault instead; that runs on its own IST stack
 * and is classified the same way from CR2.
 *
 * Context: pagefault_init and pagefault_set_user_handler at boot, before
 * the other CPUs start (no lock); the rest in the trap path, interrupts
 * off, any CPU, taking no lock that a faulting holder could own.
 */
#ifndef BASALT_MM_PAGEFAULT_H
#define BASALT_MM_PAGEFAULT_H

#include <core/compiler.h>

struct trap_frame;

/*
 * Registers pagefault_handle and the double-fault guard-page check with
 * core/trap (trap_set_fault_hooks). Boot, once, right after the IDT.
 */
void pagefault_init(void);

/* Returns true when it resolved the fault (the faulting code may resume). */
typedef bool (*pagefault_user_fn)(struct trap_frame *f, uintptr_t addr);

/* Installs the handler for user faults (NULL: user faults are fatal too). */
void pagefault_set_user_handler(pagefault_user_fn fn);

/*
 * Handles vector 14. Returns true if the fault was resolved; false if it is
 * fatal, after printing what it knows (the caller then reports registers
 * and panics).
 */
bool pagefault_handle(struct trap_frame *f);

/*
 * If addr lies in a kernel stack's guard page (a vmalloc'd stack or the
 * boot stack): prints "kernel stack overflow" with the stack's name and
 * range, remembers addr (pagefault_last_guard_hit) and returns true. A hit
 * in another vmalloc area's guard is reported as an overrun (false).
 */
bool pagefault_check_stack_overflow(uintptr_t addr);

/* The last address found in a guard page (0 if none yet). */
uintptr_t pagefault_last_guard_hit(void);

#endif
