/*
 * include/core/panic.h - stopping the kernel on a broken invariant.
 *
 * Part of core. panic is only for states the kernel itself got wrong; bad
 * input from users, disks or firmware gets an error return instead. The
 * message starts with the function name by convention:
 *     panic("pmm_free: frame %#lx was never allocated", pa);
 * It prints "PANIC: <message>" and a backtrace once, then halts. During a
 * ktest it fails the running test and the run goes on (core/ktest).
 */
#ifndef BASALT_CORE_PANIC_H
#define BASALT_CORE_PANIC_H

#include <core/compiler.h>

/* Any context, any locks held; never returns (but see ktest above). */
__noreturn void panic(const char *fmt, ...) __printf_like(1, 2);

/* Like panic, with the backtrace starting at the given frame (used by traps). */
__noreturn void panic_at(uintptr_t rip, uintptr_t rbp, const char *fmt, ...)
    __printf_like(3, 4);

/* True once a panic has started (and not been absorbed by a ktest). */
bool panic_in_progress(void);

/*
 * Registers what a fatal panic prints after its backtrace once threads
 * exist (the scheduler's dump of every thread, set at its init: core
 * cannot call sched). Runs on the panicking CPU, interrupts off, other
 * CPUs stopped; it must not take locks it could wait on forever.
 */
void panic_set_dump_hook(void (*fn)(void));

/* Checks an invariant: panics naming the expression, file and line. */
#define BUG_ON(cond)                                                            \
    do {                                                                        \
        if (unlikely(cond))                                                     \
            panic("%s: BUG_ON(%s) at %s:%d", __func__, #cond, __FILE__, __LINE__); \
    } while (0)

#endif
