/*
 * include/core/lockdep.h - lock debugging: sleeping while atomic and
 * lock-order checking ("lockdep-lite").
 *
 * Part of core, used by the spinlocks and by sched's sleeping primitives. Every
 * check runs in Debug builds only (BASALT_DEBUG); Release builds call
 * nothing here from the lock fast paths.
 *
 * Sleeping while atomic: every blocking call (mutex_lock, sem_down,
 * cond_wait, completion_wait, chan_send/chan_recv, wq_wait_event,
 * sched_sleep_ns, thread_join) starts with lockdep_might_sleep, which
 * reports "sleeping while atomic" (the call, the thread, the most recent
 * spinlock this CPU holds, a backtrace) and returns -EDEADLK when the
 * preempt count is above 0 or the CPU is in an interrupt handler; the
 * caller then refuses instead of sleeping.
 *
 * Lock order: each spinlock and mutex has a class, its name string pointer
 * (spinlocks and mutexes of one name are two classes). Spinlocks held are
 * tracked per CPU, mutexes per thread. Acquiring B while holding A records
 * the edge A -> B; if B already reaches A through recorded edges (a bounded
 * search), the inversion is reported once per pair with both sites and a
 * backtrace. Tables are fixed (LOCKDEP_MAX_CLASSES, LOCKDEP_MAX_EDGES,
 * LOCKDEP_MAX_HELD per CPU / thread); an overflow is reported once and the
 * order checking stops (never a panic). trylocks are tracked, not checked.
 */
#ifndef BASALT_CORE_LOCKDEP_H
#define BASALT_CORE_LOCKDEP_H

#include <core/compiler.h>

#define LOCKDEP_MAX_CLASSES 128
#define LOCKDEP_MAX_EDGES   1024
#define LOCKDEP_MAX_HELD    16

#define LOCKDEP_MAX_HELD_SLEEPING 8

struct spinlock;

/*
 * The sleeping locks (mutexes) one thread holds, in acquisition order:
 * lives in the thread (sched) and is only touched by that thread. n may
 * exceed LOCKDEP_MAX_HELD_SLEEPING: the excess is counted, not tracked.
 */
struct lockdep_held {
    const void *lock[LOCKDEP_MAX_HELD_SLEEPING];    /* [own] the locks */
    uint16_t *cls[LOCKDEP_MAX_HELD_SLEEPING];       /* [own] each lock's class cache */
    unsigned n;                                     /* [own] entries used */
};

/*
 * What lockdep needs of the running thread. Threads are sched's (above
 * core), so sched registers these once at init; before that, and whenever
 * a function returns NULL (no thread runs on this CPU), lockdep treats the
 * caller as boot code that cannot sleep-check or hold sleeping locks.
 * Both are called with preemption or interrupts off, on the CPU asking.
 */
struct lockdep_thread_ops {
    const char *(*name)(void);              /* the running thread's name, or NULL */
    struct lockdep_held *(*held)(void);     /* its held sleeping locks, or NULL */
};

/* Registers the thread accessors (sched_init, once, before other CPUs run). */
void lockdep_set_thread_ops(const struct lockdep_thread_ops *ops);

/*
 * 0 if the caller may sleep; -EDEADLK (reported) when it holds a spinlock,
 * has preemption off, or runs in an interrupt handler. 0 before the
 * scheduler runs and always in Release builds. what names the call.
 */
int lockdep_might_sleep(const char *what);

/* spinlock.c: before spinning on l (check = false for trylock), at release. */
void lockdep_spin_acquire(struct spinlock *l, uintptr_t site, bool check);
void lockdep_spin_release(struct spinlock *l);

/*
 * A sleeping lock (sched's mutexes): before sleeping for lock (check =
 * false for trylock), and at release. cls is the lock's class cache (0 =
 * not looked up yet), name its class name. Thread context.
 */
void lockdep_sleeping_acquire(const void *lock, uint16_t *cls, const char *name,
                              uintptr_t site, bool check);
void lockdep_sleeping_release(const void *lock);

/* The most recent spinlock this CPU holds (Debug builds), or NULL. */
const struct spinlock *lockdep_last_spinlock(void);

/* Reports so far: sleeping while atomic, order inversions; the last report's text. */
uint64_t lockdep_atomic_sleep_count(void);
uint64_t lockdep_inversion_count(void);
const char *lockdep_last_report(void);

/* False once a table overflowed (order checking off). */
bool lockdep_enabled(void);

#endif
