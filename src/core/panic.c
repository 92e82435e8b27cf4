/*
 * src/core/panic.c - kernel panic (see include/core/panic.h).
 *
 * Part of core. Interrupts go off first; a second panic while the first is
 * printing (a fault in the report itself) prints one short line and halts,
 * so the output appears once. Other CPUs are stopped by the SMP layer.
 * A panic that stops the machine after the scheduler started also dumps
 * every thread with its backtrace (the dump hook the scheduler registers).
 */
#include <core/panic.h>
#include <core/backtrace.h>
#include <core/cpu.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/serial.h>
#include <core/smp.h>
#include <core/x86.h>

static void (*dump_hook)(void);         /* written once by sched_init */

void panic_set_dump_hook(void (*fn)(void))
{
    dump_hook = fn;
}

/* 0, or 1 + the index of the CPU that claimed the panic (atomically) */
static int panicking;

bool panic_in_progress(void)
{
    return __atomic_load_n(&panicking, __ATOMIC_ACQUIRE) != 0;
}

static __noreturn void vpanic_at(uintptr_t rip, uintptr_t rbp, const char *fmt, va_list ap)
{
    char msg[256];

    int me = (int)this_cpu()->index + 1, none = 0;

    irq_disable();
    if (!__atomic_compare_exchange_n(&panicking, &none, me, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        if (none == me) {
            static const char nested[] = "PANIC: nested panic while reporting; halting\n";
            serial_write(nested, sizeof(nested) - 1);
        }
        cpu_halt_forever();         /* another CPU is reporting: one report only */
    }
    /* a ktest on its runner CPU recovers; anything else stops the machine */
    bool recover = ktest_on_runner_cpu();
    if (!recover)
        smp_stop_others();          /* NMI: the others halt without a word */
    vsnprintf(msg, sizeof(msg), fmt, ap);
    pr_emerg("PANIC: %s", msg);
    backtrace_print_from(rip, rbp);
    /* every thread and where it sleeps: the scheduler runs, the machine stops */
    if (!recover && this_cpu()->current && dump_hook)
        dump_hook();

    if (recover) {
        __atomic_store_n(&panicking, 0, __ATOMIC_RELEASE);
        ktest_abort_current("panic: %s", msg);
    }
    pr_emerg("basalt: system halted.");
    cpu_halt_forever();
}

__noinline void panic(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vpanic_at(0, read_rbp(), fmt, ap);
}

void panic_at(uintptr_t rip, uintptr_t rbp, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vpanic_at(rip, rbp, fmt, ap);
}
