/*
 * include/core/backtrace.h - stack traces by frame-pointer walking.
 *
 * Part of core. The kernel is built with -fno-omit-frame-pointer, so each
 * frame starts with the caller's RBP followed by the return address. The
 * walk stops at a zero return address (boot/entry64.asm plants one), after
 * BACKTRACE_MAX_DEPTH frames, or at the first frame pointer that is not
 * inside a known kernel stack, so a corrupt stack never faults the walker.
 *
 * Context: the walkers and printers run in any context (traps, panics),
 * take no lock and never sleep. backtrace_add_stack and
 * backtrace_set_stack_lookup are boot-time registrations on the boot CPU
 * before the other CPUs start (the extra-stack table has no lock).
 * backtrace_note_stack_top keeps one word for all CPUs: two CPUs faulting
 * at once may show each other's word (a diagnostic line, nothing else).
 */
#ifndef BASALT_CORE_BACKTRACE_H
#define BASALT_CORE_BACKTRACE_H

#include <core/compiler.h>

#define BACKTRACE_MAX_DEPTH 32

/* Return addresses starting with rip, then walking from rbp; returns the count. */
size_t backtrace_collect(uintptr_t rip, uintptr_t rbp, uintptr_t *out, size_t max);

/* Prints "  #N 0x... name+0x.." lines at LOG_EMERG, starting from rip/rbp. */
void backtrace_print_from(uintptr_t rip, uintptr_t rbp);

/*
 * The next backtrace_print_from also shows the word at rsp if it looks like
 * a return address (a frameless leaf's caller). Used by the trap path.
 */
void backtrace_note_stack_top(uintptr_t rsp);

/* Prints the caller's backtrace. */
void backtrace_print(void);

/*
 * Registers [lo, hi) as a stack the walker may read: kmain adds the boot
 * stack and the boot CPU's IST stacks; thread stacks are found through the
 * lookup below. At most MAX_EXTRA_STACKS; more are silently ignored.
 */
void backtrace_add_stack(uintptr_t lo, uintptr_t hi);

/*
 * Registers the lookup of dynamically allocated stacks: fn(addr, len) is
 * true when [addr, addr + len) lies inside one (mm's vmalloc_in_stack,
 * set by vmalloc_init: core cannot call mm). It runs in the walker, in any
 * context including traps and panics, and must not take a lock.
 */
void backtrace_set_stack_lookup(bool (*fn)(uintptr_t addr, size_t len));

#endif
