/*
 * include/core/spinlock.h - ticket spinlocks.
 *
 * Part of core, the lowest lock: everything else (run queues, wait
 * queues, mutexes, the heap) is built on it. A spinlock is a ticket lock
 * (FIFO: waiters are served in arrival order) with a name for reports.
 * spin_lock disables preemption for as long as the lock is held;
 * spin_lock_irqsave also disables interrupts and is the form to use for
 * any lock an interrupt handler may take. A spinlock holder must not sleep.
 *
 * Debug builds (BASALT_DEBUG) record the holder CPU and report, with the
 * lock's name, the holder and a backtrace:
 *   - spin_lock of a lock this CPU already holds (refused: it would hang),
 *   - spin_unlock of a lock this CPU does not hold (refused),
 *   - spinning on a lock for longer than SPIN_TIMEOUT_NS (reported once,
 *     then the wait goes on).
 * Every report counts in spin_debug_error_count.
 */
#ifndef BASALT_CORE_SPINLOCK_H
#define BASALT_CORE_SPINLOCK_H

#include <core/compiler.h>
#include <core/x86.h>
#include <core/panic.h>
#include <core/preempt.h>

#define SPIN_TIMEOUT_NS     1000000000ull   /* 1 s */
#define SPIN_NO_HOLDER      (-1)

/*
 * Legend: [a] atomic, any CPU, no lock; [h] written by the holder only
 * (read racily by reports); [ld] written once under lockdep's own lock,
 * read atomically; name is constant after init.
 */
typedef struct spinlock {
    volatile uint32_t next;         /* [a] next ticket handed out */
    volatile uint32_t serving;      /* [h] ticket that holds the lock */
    const char *name;
    volatile int holder;            /* [h] CPU index holding it, SPIN_NO_HOLDER (debug builds) */
    uintptr_t holder_pc;            /* [h] where it was taken (debug builds) */
    uint16_t ld_class;              /* [ld] lockdep class + 1, 0 = not looked up yet */
} spinlock_t;

#define SPINLOCK_INIT(name_) { .next = 0, .serving = 0, .name = (name_), \
                               .holder = SPIN_NO_HOLDER, .holder_pc = 0 }

/* Initialises l, unlocked; name is kept by reference. */
void spin_init(spinlock_t *l, const char *name);

/* Takes l (spins until it is free), preemption off until spin_unlock. */
void spin_lock(spinlock_t *l);

/* Takes l if it is free: returns true (held, preemption off) or false. */
bool spin_trylock(spinlock_t *l);

/* Releases l, held by this CPU; a pending preemption runs here. */
void spin_unlock(spinlock_t *l);

/* Interrupts off (state returned), then spin_lock. */
uint64_t spin_lock_irqsave(spinlock_t *l);

/* spin_unlock, then the interrupt state from spin_lock_irqsave. */
void spin_unlock_irqrestore(spinlock_t *l, uint64_t flags);

/* Is l held (by anyone)? */
bool spin_is_locked(const spinlock_t *l);

/* Debug builds: is l held by this CPU? (Always true in release builds.) */
bool spin_held_here(const spinlock_t *l);

/* Helpers that need a lock held assert it with this (debug builds). */
#define spin_assert_held(l)                                                     \
    do {                                                                        \
        if (BASALT_DEBUG && !spin_held_here(l))                                 \
            panic("%s: lock %s not held by this CPU", __func__, (l)->name);     \
    } while (0)

/* Reports (recursion, unlock not held, timeout) so far; the last one's text. */
uint64_t spin_debug_error_count(void);
const char *spin_debug_last_error(void);

#endif
