/*
 * src/sched/wait.c - wait queues (see include/sched/wait.h).
 *
 * Part of sched, above sched.c (sched_wake, sched_block) and
 * sched_timeout.c (the timeouts).
 * The waiter record and the timeout record live on the sleeping thread's
 * stack.
 */
#include <sched/wait.h>
#include <sched/sched.h>
#include <sched/thread.h>
#include <core/atomic.h>
#include <core/time.h>

void wq_init(struct wait_queue *wq, const char *name)
{
    *wq = (struct wait_queue)WAIT_QUEUE_INIT(name);
}

bool wq_has_sleepers(const struct wait_queue *wq)
{
    return wq->head != NULL;
}

static void unlink(struct wait_queue *wq, struct waiter *w)
{
    struct waiter *prev = NULL;

    for (struct waiter *x = wq->head; x; prev = x, x = x->next)
        if (x == w) {
            if (prev)
                prev->next = w->next;
            else
                wq->head = w->next;
            if (wq->tail == w)
                wq->tail = prev;
            break;
        }
    w->queued = false;
}

/*
 * Queues the caller, blocks until woken (or until to's deadline, when to is
 * not NULL), and leaves the queue if no waker took it off. Entry and exit:
 * guard held (irqsave state in *flags). Returns true if the caller was
 * still queued when it ran again, i.e. no waker chose it.
 */
static bool sleep_on(struct wait_queue *wq, spinlock_t *guard, uint64_t *flags,
                     struct sched_timeout *to, uint64_t deadline_ns)
{
    struct thread *me = thread_self();
    struct waiter w = { .t = me, .next = NULL, .queued = true };
    bool unchosen;

    spin_assert_held(guard);
    if (wq->tail)
        wq->tail->next = &w;
    else
        wq->head = &w;
    wq->tail = &w;
    me->wait_reason = wq->name;
    atomic_store(&me->state, THREAD_BLOCKED);
    if (to)     /* after BLOCKED: a tick elsewhere may fire it at once */
        sched_timeout_arm(to, me, deadline_ns);
    /*
     * Interrupts stay off from BLOCKED until the switch: a waker on another
     * CPU may hold a lock (the guard, or work_lock) while it waits for this
     * thread to leave its CPU, and an interrupt here that wants the same
     * lock would never let it. *flags keeps the caller's interrupt state,
     * restored when the caller unlocks the guard.
     */
    (void)flags;
    spin_unlock(guard);
    sched_block();
    spin_lock(guard);
    unchosen = w.queued;
    if (w.queued)
        unlink(wq, &w);     /* woken by something else: leave the queue */
    me->wait_reason = NULL;
    return unchosen;
}

void wq_sleep_locked(struct wait_queue *wq, spinlock_t *guard, uint64_t *flags)
{
    sleep_on(wq, guard, flags, NULL, 0);
}

bool wq_sleep_locked_timeout(struct wait_queue *wq, spinlock_t *guard, uint64_t *flags,
                             uint64_t deadline_ns)
{
    struct sched_timeout to;
    bool unchosen, fired;

    if (time_ns() >= deadline_ns)
        return true;
    unchosen = sleep_on(wq, guard, flags, &to, deadline_ns);
    /*
     * Guard held. Whoever lost sched_wake's BLOCKED->WAKING race did nothing
     * to this thread; after the disarm no tick can reach it. A waker that
     * took us off the queue counts as the wake-up even when the tick ran us
     * first: its event is in the condition, which the caller re-checks.
     */
    fired = sched_timeout_disarm(&to);
    return unchosen && (fired || time_ns() >= deadline_ns);
}

static bool wake_first(struct wait_queue *wq)
{
    struct waiter *w = wq->head;
    struct thread *t;

    if (!w)
        return false;
    wq->head = w->next;
    if (!wq->head)
        wq->tail = NULL;
    t = w->t;
    w->queued = false;      /* w lives on t's stack: not touched after this */
    sched_wake(t);
    return true;
}

unsigned wq_wake_one_locked(struct wait_queue *wq, spinlock_t *guard)
{
    spin_assert_held(guard);
    return wake_first(wq) ? 1 : 0;
}

unsigned wq_wake_all_locked(struct wait_queue *wq, spinlock_t *guard)
{
    unsigned n = 0;

    spin_assert_held(guard);
    while (wake_first(wq))
        n++;
    return n;
}
