/*
 * include/sched/workqueue.h - deferred work: functions queued from any
 * context (interrupt handlers included) and run later by per-CPU kernel
 * worker threads.
 *
 * Part of sched, above the threads, wait queues and timeouts. Every online
 * CPU has a pool: a FIFO queue of work items and one worker thread
 * ("kworker/N", pinned to CPU N) that runs them one at a time, in thread
 * context (it may sleep, take mutexes, allocate). A work item is a struct
 * work embedded in the caller's own structure; its function gets the item
 * and finds its container with container_of.
 *
 * An item is "pending" from a successful work_queue* until its worker takes
 * it off the queue (just before calling its function), and "running" while
 * its function runs. Queuing a pending item does nothing (as Linux's
 * queue_work); queuing a running item queues it again, on the CPU it is
 * running on, so an item never runs on two CPUs at once. The function may
 * queue its own item again, and may free it (the worker does not touch an
 * item after its function returns).
 *
 * A delayed item (struct delayed_work) is first armed on the scheduler's
 * timeout list (struct sched_timeout, with a callback); when the deadline
 * passes, a tick queues it on the CPU chosen when it was queued. It is
 * pending from work_queue_delayed* until its worker takes it.
 *
 * Lock legend (struct work, struct delayed_work):
 *   [wl]   work_lock, one spinlock for every pool (src/sched/workqueue.c),
 *          taken with spin_lock_irqsave
 *   [c]    set by WORK_INIT / work_init / delayed_work_init, then read-only
 *   [tl]   sched's timeouts_lock (inside struct sched_timeout)
 *
 * Lock order: ... -> timeouts_lock -> work_lock -> rq locks (see
 * include/sched/sched.h): the timeout callback queues a delayed item with
 * timeouts_lock held, and queuing wakes a worker under work_lock. So no
 * timeout is armed or disarmed with work_lock held.
 */
#ifndef BASALT_SCHED_WORKQUEUE_H
#define BASALT_SCHED_WORKQUEUE_H

#include <core/compiler.h>
#include <sched/sched.h>

struct work;
struct work_pool;

typedef void (*work_fn)(struct work *w);

struct work {
    work_fn fn;                     /* [c] */
    struct work *next;              /* [wl] link on a pool's queue */
    struct work_pool *queued;       /* [wl] pool whose queue holds it, or NULL */
    bool pending;                   /* [wl] queued, or (delayed) its timeout is armed */
    unsigned canceling;             /* [wl] work_cancel*_sync calls in progress */
};

struct delayed_work {
    struct work work;
    struct sched_timeout timer;     /* [tl] fires delayed_work_fire_locked (workqueue.c) */
    unsigned cpu;                   /* [wl] CPU to queue on when the timer fires */
};

#define WORK_INIT(fn_) { .fn = (fn_), .next = NULL, .queued = NULL, .pending = false, \
                        .canceling = 0 }

/* Prepares w (idle) to run fn. w must not be pending or running. */
void work_init(struct work *w, work_fn fn);

/* Prepares dw (idle) to run fn. dw must not be pending or running. */
void delayed_work_init(struct delayed_work *dw, work_fn fn);

/* The delayed_work that embeds w (for a delayed item's function). */
static inline struct delayed_work *to_delayed_work(struct work *w)
{
    return container_of(w, struct delayed_work, work);
}

/*
 * Starts the worker thread of every online CPU. Boot, once, in thread
 * context after smp_init (every CPU runs the scheduler). Items queued
 * before it wait on their queue until it runs. Returns 0, or -ENOMEM (the
 * CPUs whose worker could not be created are reported; items queued on
 * them wait).
 */
int workqueue_init(void);

/*
 * Queues w on CPU cpu (an online CPU index, < cpu_count(); anything else
 * panics), or on the CPU it is running on if its function is running.
 * Returns true if it was queued, false if it was pending already or a
 * work_cancel*_sync of it is in progress (nothing done). Context: any, interrupt handlers included; no lock held that
 * comes after work_lock. Takes work_lock.
 */
bool work_queue_on(unsigned cpu, struct work *w);

/* work_queue_on the calling CPU. */
bool work_queue(struct work *w);

/*
 * Queues dw on CPU cpu once delay_ns have passed (tick resolution: it runs
 * no earlier than time_ns() + delay_ns at the call; 0 queues it at once).
 * Returns true if armed (or queued), false if it was pending already or a
 * work_cancel_delayed_sync of it is in progress.
 * Context: any, interrupt handlers included; no lock held that comes after
 * timeouts_lock.
 */
bool work_queue_delayed_on(unsigned cpu, struct delayed_work *dw, uint64_t delay_ns);

/* work_queue_delayed_on the calling CPU. */
bool work_queue_delayed(struct delayed_work *dw, uint64_t delay_ns);

/*
 * Takes w off its queue if it is pending: it will not run for that queuing.
 * Returns true if it was pending. Does not wait for a running function.
 * Context: any; no lock held that comes after work_lock.
 */
bool work_cancel(struct work *w);

/*
 * Like work_cancel for a delayed item: also disarms its timer. Context:
 * any; no lock held that comes after timeouts_lock. It may spin for the
 * few instructions between another CPU's claim of dw and its arm.
 */
bool work_cancel_delayed(struct delayed_work *dw);

/*
 * work_cancel / work_cancel_delayed, then waits until the function is not
 * running anywhere. Until it returns, queuing w does nothing (returns
 * false), so a function that queues its own item again is stopped too: on
 * return w is idle. Returns true if it was pending.
 * Context: thread (sleeps), no spinlock held; not from w's own function.
 */
bool work_cancel_sync(struct work *w);
bool work_cancel_delayed_sync(struct delayed_work *dw);

/*
 * Waits until w is idle: neither pending nor running (a delayed item waits
 * for its deadline and its run). Returns true if it had to wait.
 * Context: thread (sleeps), no spinlock held; not from w's own function.
 */
bool work_flush(struct work *w);

/*
 * Waits until every item queued on CPU cpu before the call has run (FIFO:
 * a marker item is queued and waited for). Returns 0, or -EINVAL (cpu not
 * online), or -EDEADLK (called from that CPU's worker).
 * Context: thread (sleeps), no spinlock held.
 */
int work_flush_cpu(unsigned cpu);

/* Is w pending / is its function running on some CPU? (racy snapshots, for tests) */
bool work_pending(struct work *w);
bool work_running(struct work *w);

/* Items run so far on CPU cpu's worker (tests, statistics). */
uint64_t work_run_count(unsigned cpu);

#endif
