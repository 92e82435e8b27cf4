/*
 * include/sched/lockdep.h - lock debugging: sleeping while atomic and
 * lock-order checking ("lockdep-lite").
 *
 * Part of sched, used by the spinlocks and the sleeping primitives. Every
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
#ifndef BASALT_SCHED_LOCKDEP_H
#define BASALT_SCHED_LOCKDEP_H

#include <core/compiler.h>

#define LOCKDEP_MAX_CLASSES 64
#define LOCKDEP_MAX_EDGES   512
#define LOCKDEP_MAX_HELD    16

struct spinlock;
struct mutex;

/*
 * 0 if the caller may sleep; -EDEADLK (reported) when it holds a spinlock,
 * has preemption off, or runs in an interrupt handler. 0 before the
 * scheduler runs and always in Release builds. what names the call.
 */
int lockdep_might_sleep(const char *what);

/* spinlock.c: before spinning on l (check = false for trylock), at release. */
void lockdep_spin_acquire(struct spinlock *l, uintptr_t site, bool check);
void lockdep_spin_release(struct spinlock *l);

/* sync.c: before sleeping for m (check = false for trylock), at release. */
void lockdep_mutex_acquire(struct mutex *m, uintptr_t site, bool check);
void lockdep_mutex_release(struct mutex *m);

/* The most recent spinlock this CPU holds (Debug builds), or NULL. */
const struct spinlock *lockdep_last_spinlock(void);

/* Reports so far: sleeping while atomic, order inversions; the last report's text. */
uint64_t lockdep_atomic_sleep_count(void);
uint64_t lockdep_inversion_count(void);
const char *lockdep_last_report(void);

/* False once a table overflowed (order checking off). */
bool lockdep_enabled(void);

#endif
