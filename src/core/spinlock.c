/*
 * src/core/spinlock.c - ticket spinlocks (see include/core/spinlock.h).
 *
 * Part of core: it uses atomics, per-CPU data and the preemption count,
 * the TSC for the debug timeout, printk and backtraces for reports, and
 * core/lockdep for order checks.
 * The ticket counters wrap harmlessly (32 bits, compared for equality).
 */
#include <core/spinlock.h>
#include <core/lockdep.h>
#include <core/atomic.h>
#include <core/backtrace.h>
#include <core/cpu.h>
#include <core/format.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/tsc.h>

#define LAST_ERROR_LEN  160

static uint64_t error_count;
static char last_error[LAST_ERROR_LEN];

uint64_t spin_debug_error_count(void)
{
    return atomic_load(&error_count);
}

const char *spin_debug_last_error(void)
{
    return last_error;
}

static int my_cpu(void)
{
    return (int)this_cpu()->index;
}

/* One report: message, holder, backtrace. Interrupts are off or preemption is. */
static void report(const spinlock_t *l, const char *what)
{
    char msg[LAST_ERROR_LEN];
    int holder = l->holder;

    snprintf(msg, sizeof(msg), "%s lock '%s' on CPU %d (holder CPU %d, taken at %#lx)", what,
             l->name ? l->name : "?", my_cpu(), holder, (unsigned long)l->holder_pc);
    strlcpy(last_error, msg, sizeof(last_error));
    atomic_inc(&error_count);
    pr_err("spinlock: %s", msg);
    backtrace_print();
}

void spin_init(spinlock_t *l, const char *name)
{
    *l = (spinlock_t)SPINLOCK_INIT(name);
}

bool spin_is_locked(const spinlock_t *l)
{
    return atomic_load_acquire(&l->next) != atomic_load_acquire(&l->serving);
}

bool spin_held_here(const spinlock_t *l)
{
    if (!BASALT_DEBUG)
        return true;
    return spin_is_locked(l) && l->holder == my_cpu();
}

static void note_holder(spinlock_t *l)
{
    if (BASALT_DEBUG) {
        l->holder = my_cpu();
        l->holder_pc = (uintptr_t)__builtin_return_address(0);
    }
}

void spin_lock(spinlock_t *l)
{
    uint32_t ticket;
    uint64_t start = 0, limit = 0;
    bool reported = false;

    preempt_disable();
    if (BASALT_DEBUG && l->holder == my_cpu() && spin_is_locked(l)) {
        report(l, "spin_lock: recursion on");
        preempt_enable_no_resched();
        return;
    }
    if (BASALT_DEBUG)
        lockdep_spin_acquire(l, (uintptr_t)__builtin_return_address(0), true);
    ticket = atomic_fetch_add(&l->next, 1);
    if (BASALT_DEBUG && tsc_khz()) {
        start = rdtsc();
        limit = tsc_khz() * (SPIN_TIMEOUT_NS / 1000000);
    }
    while (atomic_load_acquire(&l->serving) != ticket) {
        cpu_relax();
        if (BASALT_DEBUG && limit && !reported && rdtsc() - start > limit) {
            reported = true;
            report(l, "spin_lock: spun for over a second on");
        }
    }
    note_holder(l);
}

bool spin_trylock(spinlock_t *l)
{
    uint32_t serving;

    preempt_disable();
    serving = atomic_load_acquire(&l->serving);
    uint32_t expected = serving;
    if (atomic_load(&l->next) == serving &&
        atomic_cmpxchg(&l->next, &expected, serving + 1)) {
        note_holder(l);
        if (BASALT_DEBUG)
            lockdep_spin_acquire(l, l->holder_pc, false);
        return true;
    }
    preempt_enable();
    return false;
}

/* Releases without acting on a pending reschedule; false if refused. */
static bool unlock_no_resched(spinlock_t *l)
{
    if (BASALT_DEBUG && (!spin_is_locked(l) || l->holder != my_cpu())) {
        report(l, "spin_unlock: not held by this CPU:");
        return false;
    }
    if (BASALT_DEBUG) {
        l->holder = SPIN_NO_HOLDER;
        lockdep_spin_release(l);
    }
    atomic_store_release(&l->serving, l->serving + 1);
    preempt_enable_no_resched();
    return true;
}

void spin_unlock(spinlock_t *l)
{
    if (unlock_no_resched(l) && unlikely(this_cpu()->need_resched))
        preempt_resched();
}

uint64_t spin_lock_irqsave(spinlock_t *l)
{
    uint64_t flags = irq_save();

    spin_lock(l);
    return flags;
}

void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags)
{
    bool released = unlock_no_resched(l);

    irq_restore(flags);
    if (released && unlikely(this_cpu()->need_resched))
        preempt_resched();
}
