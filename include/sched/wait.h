/*
 * include/sched/wait.h - wait queues: the one way a thread sleeps on a condition.
 *
 * Part of sched, used by the mutexes, semaphores, condition variables,
 * completions and channels (include/sched/sync.h) and by thread_join. A
 * wait queue has no lock of its own: it is protected by the spinlock of the
 * object that owns it (its "guard"), the same lock that protects the
 * condition waited for. A waiter holds the guard (taken with
 * spin_lock_irqsave), checks the condition, and if it is false calls
 * wq_sleep_locked, which queues it, releases the guard, sleeps, and takes
 * the guard again. A waker changes the condition under the guard and calls
 * wq_wake_one_locked / wq_wake_all_locked. Waiters always re-check the
 * condition in a loop, so a spurious or stolen wake-up is harmless.
 */
#ifndef BASALT_SCHED_WAIT_H
#define BASALT_SCHED_WAIT_H

#include <core/compiler.h>
#include <core/spinlock.h>
#include <core/lockdep.h>

struct thread;

struct waiter {
    struct thread *t;
    struct waiter *next;
    bool queued;                /* still on the queue (not yet woken) */
};

/* Guarded by its owner's lock ("guard"). */
struct wait_queue {
    struct waiter *head, *tail;
    const char *name;           /* becomes the sleeper's wait reason */
};

#define WAIT_QUEUE_INIT(name_) { .head = NULL, .tail = NULL, .name = (name_) }

/* Any context, no lock: wq must not be in use yet. */
void wq_init(struct wait_queue *wq, const char *name);

/*
 * Sleeps on wq. Entry: guard held, taken by spin_lock_irqsave with the
 * state in *flags. Releases it while asleep; exit: guard held again (new
 * state in *flags). Context: thread, no other spinlock held.
 */
void wq_sleep_locked(struct wait_queue *wq, spinlock_t *guard, uint64_t *flags);

/*
 * Like wq_sleep_locked, but also wakes when time_ns() reaches deadline_ns
 * (tick resolution). Exactly one of a waker and the deadline wakes the
 * thread; on return it is on neither the queue nor the timeout list.
 * Returns true if it timed out (no waker chose it and the deadline has
 * passed; at once, without sleeping, if it had passed on entry), false
 * otherwise (woken, possibly spuriously: re-check the condition either way).
 */
bool wq_sleep_locked_timeout(struct wait_queue *wq, spinlock_t *guard, uint64_t *flags,
                             uint64_t deadline_ns);

/* Wakes the oldest / every sleeper. Guard held. Return how many woke. */
unsigned wq_wake_one_locked(struct wait_queue *wq, spinlock_t *guard);
unsigned wq_wake_all_locked(struct wait_queue *wq, spinlock_t *guard);

/* Is anyone waiting? Guard held. */
bool wq_has_sleepers(const struct wait_queue *wq);

/*
 * Waits until cond holds: guard taken and released here (cond is read under
 * it). Debug builds: in atomic context it reports and returns at once.
 */
#define wq_wait_event(wq, guard, cond)                                          \
    do {                                                                        \
        if (BASALT_DEBUG && lockdep_might_sleep("wq_wait_event"))               \
            break;                                                              \
        uint64_t wq_f_ = spin_lock_irqsave(guard);                              \
        while (!(cond))                                                         \
            wq_sleep_locked((wq), (guard), &wq_f_);                             \
        spin_unlock_irqrestore((guard), wq_f_);                                 \
    } while (0)

#endif
