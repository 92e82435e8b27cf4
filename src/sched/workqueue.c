/*
 * src/sched/workqueue.c - per-CPU worker threads running deferred work
 * (see include/sched/workqueue.h).
 *
 * Part of sched, above threads, wait queues and timeouts. One spinlock,
 * work_lock, guards every pool and every item's queue state: queuing is a
 * few stores under it, and one lock lets a cancel find an item wherever it
 * is queued without the ownership protocol per-pool locks would need. The
 * timeout callback of a delayed item runs in a tick under timeouts_lock
 * and takes work_lock inside it (order: timeouts_lock -> work_lock -> rq
 * locks); so timers are armed and disarmed with work_lock released.
 *
 * Lock legend for struct work_pool: [wl] work_lock; [c] set once (init).
 */
#include <sched/workqueue.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/time.h>
#include <core/x86.h>
#include <core/lockdep.h>
#include <core/spinlock.h>
#include <sched/sync.h>
#include <sched/thread.h>
#include <sched/wait.h>

struct work_pool {
    struct work *head, *tail;       /* [wl] pending items, FIFO */
    struct work *current;           /* [wl] item whose function runs now, or NULL */
    struct thread *worker;          /* [wl] kworker/N, NULL until workqueue_init */
    struct wait_queue idle_wq;      /* [wl] the worker, while the queue is empty */
    uint64_t runs;                  /* [wl] items run */
};

/* Lock order: timeouts_lock -> work_lock -> rq locks (include/sched/sched.h). */
static spinlock_t work_lock = SPINLOCK_INIT("work_lock");
static struct work_pool pools[CPU_MAX] = {
    [0 ... CPU_MAX - 1] = { .idle_wq = WAIT_QUEUE_INIT("work") },
};
/* [wl] flushers and cancellers: woken when an item's function returns or an item is cancelled */
static struct wait_queue done_wq = WAIT_QUEUE_INIT("work-done");
static bool started;                /* workqueue_init ran (boot, one thread) */

void work_init(struct work *w, work_fn fn)
{
    *w = (struct work)WORK_INIT(fn);
}

void delayed_work_init(struct delayed_work *dw, work_fn fn)
{
    *dw = (struct delayed_work){ .work = WORK_INIT(fn) };
}

/* The pool whose worker runs w's function now, or NULL. work_lock held. */
static struct work_pool *running_pool_locked(const struct work *w)
{
    unsigned n = cpu_count();

    spin_assert_held(&work_lock);
    for (unsigned i = 0; i < n; i++)
        if (pools[i].current == w)
            return &pools[i];
    return NULL;
}

/*
 * Appends w (marked pending by the caller) to cpu's queue, or to the queue
 * of the CPU running it, and wakes that worker. work_lock held.
 */
static void enqueue_locked(unsigned cpu, struct work *w)
{
    struct work_pool *p;

    spin_assert_held(&work_lock);
    p = running_pool_locked(w);
    if (cpu >= cpu_count())
        panic("work_queue: CPU %u is not online (%u CPUs)", cpu, cpu_count());
    if (!p)
        p = &pools[cpu];
    w->next = NULL;
    w->queued = p;
    if (p->tail)
        p->tail->next = w;
    else
        p->head = w;
    p->tail = w;
    wq_wake_one_locked(&p->idle_wq, &work_lock);
}

/* Takes w off the queue it is on. work_lock held. Returns true if it was on one. */
static bool unqueue_locked(struct work *w)
{
    struct work_pool *p = w->queued;
    struct work *prev = NULL;

    spin_assert_held(&work_lock);
    if (!p)
        return false;
    for (struct work *x = p->head; x; prev = x, x = x->next)
        if (x == w) {
            if (prev)
                prev->next = w->next;
            else
                p->head = w->next;
            if (p->tail == w)
                p->tail = prev;
            break;
        }
    w->next = NULL;
    w->queued = NULL;
    w->pending = false;
    wq_wake_all_locked(&done_wq, &work_lock);   /* flushers: it is idle now */
    return true;
}

/* Queues w on cpu, or on the calling CPU when cpu is negative. */
static bool queue(int cpu, struct work *w)
{
    uint64_t f = spin_lock_irqsave(&work_lock);
    bool queued = !w->pending && !w->canceling;

    if (queued) {
        w->pending = true;
        enqueue_locked(cpu < 0 ? this_cpu()->index : (unsigned)cpu, w);
    }
    spin_unlock_irqrestore(&work_lock, f);
    return queued;
}

bool work_queue_on(unsigned cpu, struct work *w)
{
    return queue((int)cpu, w);
}

bool work_queue(struct work *w)
{
    return queue(-1, w);
}

/* A delayed item's deadline passed: queue it. A tick, timeouts_lock held, interrupts off. */
static void delayed_work_fire_locked(struct sched_timeout *to)
{
    struct delayed_work *dw = container_of(to, struct delayed_work, timer);

    spin_lock(&work_lock);
    enqueue_locked(dw->cpu, &dw->work);     /* still pending since the claim */
    spin_unlock(&work_lock);
}

/* Claims and arms dw for cpu (negative: the calling CPU). */
static bool queue_delayed(int cpu, struct delayed_work *dw, uint64_t delay_ns)
{
    uint64_t deadline = time_ns() + delay_ns, f;

    if (delay_ns == 0)
        return queue(cpu, &dw->work);
    f = spin_lock_irqsave(&work_lock);
    if (dw->work.pending || dw->work.canceling) {
        spin_unlock_irqrestore(&work_lock, f);
        return false;
    }
    dw->work.pending = true;
    dw->cpu = cpu < 0 ? this_cpu()->index : (unsigned)cpu;
    if (dw->cpu >= cpu_count())
        panic("work_queue_delayed: CPU %u is not online (%u CPUs)", dw->cpu, cpu_count());
    /*
     * Interrupts stay off from the claim to the arm (the timer cannot be
     * armed under work_lock: its callback takes work_lock inside
     * timeouts_lock), so a cancel that sees the claim but no timer spins
     * only for these few instructions.
     */
    spin_unlock(&work_lock);
    sched_timeout_arm_fn(&dw->timer, delayed_work_fire_locked, deadline);
    irq_restore(f);
    return true;
}

bool work_queue_delayed_on(unsigned cpu, struct delayed_work *dw, uint64_t delay_ns)
{
    return queue_delayed((int)cpu, dw, delay_ns);
}

bool work_queue_delayed(struct delayed_work *dw, uint64_t delay_ns)
{
    return queue_delayed(-1, dw, delay_ns);
}

bool work_cancel(struct work *w)
{
    uint64_t f = spin_lock_irqsave(&work_lock);
    bool was = unqueue_locked(w);

    spin_unlock_irqrestore(&work_lock, f);
    return was;
}

bool work_cancel_delayed(struct delayed_work *dw)
{
    for (;;) {
        /* after this no tick touches the timer: fired means queued already */
        bool disarmed = sched_timeout_cancel(&dw->timer);
        uint64_t f = spin_lock_irqsave(&work_lock);
        bool was = disarmed || unqueue_locked(&dw->work), claimed = dw->work.pending;

        if (disarmed) {
            dw->work.pending = false;
            wq_wake_all_locked(&done_wq, &work_lock);
        }
        spin_unlock_irqrestore(&work_lock, f);
        if (was || !claimed)
            return was;
        cpu_relax();    /* claimed on another CPU, timer not armed yet */
    }
}

/* Cancels w (or dw when not NULL), no queuing allowed meanwhile, and waits for its function. */
static bool cancel_sync(struct work *w, struct delayed_work *dw)
{
    bool was;
    uint64_t f;

    if (BASALT_DEBUG && lockdep_might_sleep("work_cancel_sync"))
        return dw ? work_cancel_delayed(dw) : work_cancel(w);
    f = spin_lock_irqsave(&work_lock);
    w->canceling++;
    spin_unlock_irqrestore(&work_lock, f);
    was = dw ? work_cancel_delayed(dw) : work_cancel(w);
    f = spin_lock_irqsave(&work_lock);
    while (running_pool_locked(w))
        wq_sleep_locked(&done_wq, &work_lock, &f);
    w->canceling--;
    spin_unlock_irqrestore(&work_lock, f);
    return was;
}

bool work_cancel_sync(struct work *w)
{
    return cancel_sync(w, NULL);
}

bool work_cancel_delayed_sync(struct delayed_work *dw)
{
    return cancel_sync(&dw->work, dw);
}

bool work_flush(struct work *w)
{
    bool waited = false;
    uint64_t f;

    if (BASALT_DEBUG && lockdep_might_sleep("work_flush"))
        return false;
    f = spin_lock_irqsave(&work_lock);
    while (w->pending || running_pool_locked(w)) {
        waited = true;
        wq_sleep_locked(&done_wq, &work_lock, &f);
    }
    spin_unlock_irqrestore(&work_lock, f);
    return waited;
}

struct flush_marker {
    struct work work;
    struct completion done;
};

static void flush_marker_fn(struct work *w)
{
    complete(&container_of(w, struct flush_marker, work)->done);
}

int work_flush_cpu(unsigned cpu)
{
    struct flush_marker m;

    if (cpu >= cpu_count())
        return -EINVAL;
    if (thread_self() && thread_self() == pools[cpu].worker)
        return -EDEADLK;
    if (BASALT_DEBUG && lockdep_might_sleep("work_flush_cpu"))
        return -EDEADLK;
    work_init(&m.work, flush_marker_fn);
    completion_init(&m.done, "work-flush");
    work_queue_on(cpu, &m.work);
    return completion_wait(&m.done);
}

bool work_pending(struct work *w)
{
    uint64_t f = spin_lock_irqsave(&work_lock);
    bool pending = w->pending;

    spin_unlock_irqrestore(&work_lock, f);
    return pending;
}

bool work_running(struct work *w)
{
    uint64_t f = spin_lock_irqsave(&work_lock);
    bool running = running_pool_locked(w) != NULL;

    spin_unlock_irqrestore(&work_lock, f);
    return running;
}

uint64_t work_run_count(unsigned cpu)
{
    uint64_t f, n;

    if (cpu >= CPU_MAX)
        return 0;
    f = spin_lock_irqsave(&work_lock);
    n = pools[cpu].runs;
    spin_unlock_irqrestore(&work_lock, f);
    return n;
}

/* kworker/N: runs its pool's items in order, forever. */
static void *worker_main(void *arg)
{
    struct work_pool *p = arg;
    uint64_t f = spin_lock_irqsave(&work_lock);

    for (;;) {
        struct work *w;
        work_fn fn;

        while (!p->head)
            wq_sleep_locked(&p->idle_wq, &work_lock, &f);
        w = p->head;
        p->head = w->next;
        if (!p->head)
            p->tail = NULL;
        w->next = NULL;
        w->queued = NULL;
        w->pending = false;     /* from here it may be queued again */
        p->current = w;
        fn = w->fn;
        spin_unlock_irqrestore(&work_lock, f);
        fn(w);                  /* w may be freed or requeued by now: not touched */
        if (preempt_count() != 0)
            panic("work function %p returned with a spinlock held", (void *)fn);
        f = spin_lock_irqsave(&work_lock);
        p->current = NULL;
        p->runs++;
        wq_wake_all_locked(&done_wq, &work_lock);
    }
}

int workqueue_init(void)
{
    unsigned n = cpu_count(), made = 0;
    int err = 0;

    if (started)
        return 0;
    started = true;
    for (unsigned i = 0; i < n; i++) {
        char name[THREAD_NAME_LEN];
        struct thread *t;
        uint64_t f;

        snprintf(name, sizeof(name), "kworker/%u", i);
        t = thread_create(name, worker_main, &pools[i], THREAD_CPU(i) | THREAD_DETACHED);
        if (!t) {
            pr_err("workqueue: no memory for CPU %u's worker; its items wait", i);
            err = -ENOMEM;
            continue;
        }
        f = spin_lock_irqsave(&work_lock);
        pools[i].worker = t;
        spin_unlock_irqrestore(&work_lock, f);
        made++;
    }
    pr_info("workqueue: %u worker threads (one per CPU)", made);
    return err;
}
