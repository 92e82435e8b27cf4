/*
 * src/sched/tests/workqueue_ktests.c - ktests of the per-CPU workqueues
 * (include/sched/workqueue.h): where and in what context items run when
 * queued from threads and from interrupt handlers, a pending item queued
 * twice, delayed items, cancel (before the run, and _sync while running),
 * flush (and a cancel releasing a flusher), and a stress of several CPUs
 * queuing and cancelling at once.
 *
 * Part of sched's ktests; they run in kmain's thread on CPU 0 with
 * interrupts on, on any number of CPUs (-smp 1 included). Work functions
 * never assert: they record, the test checks after waiting. Time bounds
 * are loose (QEMU TCG on shared cores stalls vCPUs for many ticks).
 */
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <core/apic.h>
#include <sched/sched.h>
#include <sched/sync.h>
#include <sched/thread.h>
#include <sched/workqueue.h>

#define MS                  1000000ull
#define SLACK_NS            (300 * MS)  /* late runs TCG may cause */
#define WAIT_NS             (2000 * MS) /* longest wait for a run that must come */

/* What a probe item records of its runs. */
struct run_record {
    struct completion ran;              /* completed by each run */
    volatile uint32_t runs;             /* [a] */
    volatile int cpu;                   /* CPU of the last run */
    volatile bool in_irq, named_kworker;
    volatile uint64_t at;               /* time_ns of the last run */
};

static void run_record_init(struct run_record *r)
{
    memset(r, 0, sizeof(*r));
    completion_init(&r->ran, "wq-probe");
    r->cpu = -1;
}

/* Called by a probe's function: where, when and in what context it runs. */
static void run_record_add(struct run_record *r)
{
    struct thread *me = thread_self();

    r->cpu = (int)this_cpu()->index;
    r->in_irq = cpu_in_irq();
    r->named_kworker = me && strncmp(me->name, "kworker/", 8) == 0;
    r->at = time_ns();
    atomic_inc(&r->runs);
    complete(&r->ran);
}

struct probe {
    struct work work;
    struct run_record r;
};

static void probe_fn(struct work *w)
{
    run_record_add(&container_of(w, struct probe, work)->r);
}

static void probe_init(struct probe *p)
{
    work_init(&p->work, probe_fn);
    run_record_init(&p->r);
}

/* An item that blocks its worker until the test opens the gate. */
struct gate {
    struct work work;
    struct completion entered, open;
};

static void gate_fn(struct work *w)
{
    struct gate *g = container_of(w, struct gate, work);

    complete(&g->entered);
    completion_wait(&g->open);
}

/* Blocks cpu's worker with g (returns once its function runs). */
static int gate_close(struct gate *g, unsigned cpu)
{
    work_init(&g->work, gate_fn);
    completion_init(&g->entered, "wq-gate-in");
    completion_init(&g->open, "wq-gate");
    work_queue_on(cpu, &g->work);
    return completion_wait_timeout(&g->entered, WAIT_NS);
}

static unsigned last_cpu(void)
{
    return cpu_count() - 1;
}

KTEST(workqueue, queue_on_runs_on_that_cpu_in_its_worker)
{
    struct probe p;

    probe_init(&p);
    for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
        uint64_t before = work_run_count(cpu);

        KT_EXPECT_TRUE(work_queue_on(cpu, &p.work));
        KT_ASSERT_EQ(completion_wait_timeout(&p.r.ran, WAIT_NS), 0);
        /*
         * The function signals before it returns: wait until its worker is
         * done with it (and has counted the run), or the next round's
         * queue would follow it to this CPU, where it still runs.
         */
        work_flush(&p.work);
        KT_EXPECT_EQ(p.r.cpu, (int)cpu);
        KT_EXPECT_FALSE(p.r.in_irq);
        KT_EXPECT_TRUE(p.r.named_kworker);
        KT_EXPECT_GT(work_run_count(cpu), before);
    }
    KT_EXPECT_EQ(p.r.runs, cpu_count());
}

static void *queue_here(void *arg)
{
    return (void *)(uintptr_t)work_queue(arg);
}

KTEST(workqueue, queue_runs_on_the_calling_cpu)
{
    struct probe p;

    probe_init(&p);
    for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
        struct thread *t = thread_create("wq-queuer", queue_here, &p.work, THREAD_CPU(cpu));
        void *queued = NULL;

        KT_ASSERT_NOT_NULL(t);
        thread_join(t, &queued);
        KT_EXPECT_TRUE(queued != NULL);
        KT_ASSERT_EQ(completion_wait_timeout(&p.r.ran, WAIT_NS), 0);
        work_flush(&p.work);        /* idle before the next CPU queues it */
        KT_EXPECT_EQ(p.r.cpu, (int)cpu);
    }
}

struct irq_queue {
    struct work *w;
    volatile uint32_t hits, queued;     /* [a] */
    volatile int cpu;
};

static bool on_queue_irq(void *ctx)
{
    struct irq_queue *q = ctx;

    q->cpu = (int)this_cpu()->index;
    if (work_queue(q->w))
        atomic_inc(&q->queued);
    atomic_inc(&q->hits);
    return true;
}

static void *send_self_ipi(void *arg)
{
    apic_send_self_ipi((uint8_t)(uintptr_t)arg);
    return NULL;
}

KTEST(workqueue, queued_from_an_interrupt_handler)
{
    struct probe p;
    struct irq_queue q = { .w = &p.work };
    uint8_t vector;
    int h;

    probe_init(&p);
    h = irq_request_vector(on_queue_irq, &q, "ktest-wq-irq", &vector);
    KT_ASSERT_GE(h, 0);
    for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
        struct thread *t = thread_create("wq-ipi", send_self_ipi, (void *)(uintptr_t)vector,
                                         THREAD_CPU(cpu));

        KT_ASSERT_NOT_NULL(t);
        thread_join(t, NULL);
        KT_EXPECT_EQ(completion_wait_timeout(&p.r.ran, WAIT_NS), 0);
        work_flush(&p.work);                    /* idle before the next CPU queues it */
        KT_EXPECT_EQ(q.cpu, (int)cpu);          /* the handler ran there */
        KT_EXPECT_EQ(p.r.cpu, (int)cpu);        /* and so did the item, */
        KT_EXPECT_FALSE(p.r.in_irq);            /* in its worker thread */
        KT_EXPECT_TRUE(p.r.named_kworker);
    }
    irq_free(h);
    KT_EXPECT_EQ(q.hits, cpu_count());
    KT_EXPECT_EQ(q.queued, cpu_count());
    KT_EXPECT_EQ(p.r.runs, cpu_count());
}

KTEST(workqueue, pending_item_queued_twice_runs_once)
{
    unsigned cpu = last_cpu();
    struct gate g;
    struct probe p;

    probe_init(&p);
    KT_ASSERT_EQ(gate_close(&g, cpu), 0);
    KT_EXPECT_TRUE(work_queue_on(cpu, &p.work));
    KT_EXPECT_TRUE(work_pending(&p.work));
    KT_EXPECT_FALSE(work_queue_on(cpu, &p.work));
    KT_EXPECT_FALSE(work_queue_on(0, &p.work));  /* pending: not moved either */
    KT_EXPECT_FALSE(work_queue(&p.work));
    complete(&g.open);
    /* whether flush had to wait depends on how fast the worker got there */
    (void)work_flush(&p.work);
    KT_EXPECT_FALSE(work_pending(&p.work));
    KT_EXPECT_EQ(p.r.runs, 1u);
    KT_EXPECT_EQ(p.r.cpu, (int)cpu);
    KT_EXPECT_EQ(work_flush_cpu(cpu), 0);
    KT_EXPECT_EQ(p.r.runs, 1u);
    /* idle again: the next queuing runs it again */
    KT_EXPECT_TRUE(work_queue_on(cpu, &p.work));
    work_flush(&p.work);
    KT_EXPECT_EQ(p.r.runs, 2u);
}

struct delayed_probe {
    struct delayed_work dw;
    struct run_record r;
};

static void delayed_probe_fn(struct work *w)
{
    run_record_add(&container_of(to_delayed_work(w), struct delayed_probe, dw)->r);
}

static void delayed_probe_init(struct delayed_probe *p)
{
    delayed_work_init(&p->dw, delayed_probe_fn);
    run_record_init(&p->r);
}

KTEST(workqueue, delayed_item_runs_after_its_delay)
{
    static const uint64_t delays[] = { 1 * MS, 20 * MS, 60 * MS };
    struct delayed_probe p;

    delayed_probe_init(&p);
    for (unsigned i = 0; i < ARRAY_SIZE(delays); i++) {
        unsigned cpu = i % cpu_count();
        uint64_t start = time_ns();

        KT_EXPECT_TRUE(work_queue_delayed_on(cpu, &p.dw, delays[i]));
        KT_ASSERT_EQ(completion_wait_timeout(&p.r.ran, delays[i] + WAIT_NS), 0);
        work_flush(&p.dw.work);     /* idle before the next round queues it elsewhere */
        KT_EXPECT_GE(p.r.at - start, delays[i]);
        KT_EXPECT_LE(p.r.at - start, delays[i] + SLACK_NS);
        KT_EXPECT_EQ(p.r.cpu, (int)cpu);
    }
    work_flush(&p.dw.work);
    KT_EXPECT_EQ(p.r.runs, (uint32_t)ARRAY_SIZE(delays));
    KT_EXPECT_FALSE(sched_timeout_armed(&p.dw.timer));
    /* delay 0 queues at once */
    KT_EXPECT_TRUE(work_queue_delayed(&p.dw, 0));
    KT_EXPECT_EQ(completion_wait_timeout(&p.r.ran, WAIT_NS), 0);
    work_flush(&p.dw.work);

    /*
     * While its delay runs the item is pending with its timer armed, and
     * queuing it again is refused. A 10 s delay: a vCPU stalled by a busy
     * host for a few ms must not let the timer fire under the checks.
     */
    KT_EXPECT_TRUE(work_queue_delayed(&p.dw, 10000 * MS));
    KT_EXPECT_TRUE(work_pending(&p.dw.work));
    KT_EXPECT_TRUE(sched_timeout_armed(&p.dw.timer));
    KT_EXPECT_FALSE(work_queue_delayed(&p.dw, 1 * MS));
    KT_EXPECT_FALSE(work_queue(&p.dw.work));
    KT_EXPECT_TRUE(work_cancel_delayed(&p.dw));
    KT_EXPECT_FALSE(sched_timeout_armed(&p.dw.timer));
    KT_EXPECT_EQ(p.r.runs, (uint32_t)ARRAY_SIZE(delays) + 1);
}

KTEST(workqueue, cancel_before_the_run_means_no_run)
{
    unsigned cpu = last_cpu();
    struct delayed_probe d;
    struct probe p;
    struct gate g;
    uint64_t start;

    /* a delayed item, cancelled while its timer is armed */
    delayed_probe_init(&d);
    KT_EXPECT_FALSE(work_cancel_delayed(&d.dw));        /* idle */
    KT_EXPECT_TRUE(work_queue_delayed_on(cpu, &d.dw, 30 * MS));
    KT_EXPECT_TRUE(sched_timeout_armed(&d.dw.timer));
    KT_EXPECT_TRUE(work_cancel_delayed(&d.dw));
    KT_EXPECT_FALSE(work_pending(&d.dw.work));
    KT_EXPECT_FALSE(sched_timeout_armed(&d.dw.timer));
    KT_EXPECT_FALSE(work_cancel_delayed(&d.dw));
    /* a delayed item whose timer fired, cancelled while queued behind a gate */
    KT_ASSERT_EQ(gate_close(&g, cpu), 0);
    KT_EXPECT_TRUE(work_queue_delayed_on(cpu, &d.dw, 1 * MS));
    start = time_ns();
    while (sched_timeout_armed(&d.dw.timer) && time_ns() - start < WAIT_NS)
        sched_sleep_ns(1 * MS);
    KT_EXPECT_FALSE(sched_timeout_armed(&d.dw.timer));  /* fired: now queued */
    KT_EXPECT_TRUE(work_pending(&d.dw.work));
    KT_EXPECT_TRUE(work_cancel_delayed(&d.dw));
    /* a plain item, cancelled while queued */
    probe_init(&p);
    KT_EXPECT_FALSE(work_cancel(&p.work));
    KT_EXPECT_TRUE(work_queue_on(cpu, &p.work));
    KT_EXPECT_TRUE(work_cancel(&p.work));
    KT_EXPECT_FALSE(work_pending(&p.work));
    complete(&g.open);
    KT_EXPECT_EQ(work_flush_cpu(cpu), 0);
    sched_sleep_ns(60 * MS);
    KT_EXPECT_EQ(d.r.runs, 0u);
    KT_EXPECT_EQ(p.r.runs, 0u);
}

struct flusher {
    struct work *w;
    struct completion returned;
};

static void *flush_in_thread(void *arg)
{
    struct flusher *fl = arg;

    work_flush(fl->w);
    complete(&fl->returned);
    return NULL;
}

KTEST(workqueue, cancel_releases_a_flusher)
{
    struct delayed_probe d;
    struct flusher fl;
    struct thread *t;
    int err;

    delayed_probe_init(&d);
    fl.w = &d.dw.work;
    completion_init(&fl.returned, "wq-flusher");
    KT_EXPECT_TRUE(work_queue_delayed_on(last_cpu(), &d.dw, 5000 * MS));
    t = thread_create("wq-flusher", flush_in_thread, &fl, 0);
    KT_ASSERT_NOT_NULL(t);
    sched_sleep_ns(20 * MS);
    KT_EXPECT_FALSE(completion_done(&fl.returned));    /* waits for the item */
    KT_EXPECT_TRUE(work_cancel_delayed(&d.dw));
    err = completion_wait_timeout(&fl.returned, 1000 * MS);
    KT_EXPECT_EQ(err, 0);                               /* idle once cancelled */
    if (err) {                                          /* free the flusher anyway */
        work_queue(&d.dw.work);
        completion_wait(&fl.returned);
    }
    thread_join(t, NULL);
    KT_EXPECT_EQ(d.r.runs, err ? 1u : 0u);
}

/* An item that takes a while: cancel_sync and flush must wait for it. */
struct slow {
    struct work work;
    struct completion started;
    volatile bool finished;
    volatile uint32_t runs, requeue;    /* requeue: runs left that queue it again */
    volatile uint32_t refused;          /* its own queuings that returned false */
};

static void slow_fn(struct work *w)
{
    struct slow *s = container_of(w, struct slow, work);

    s->finished = false;
    complete(&s->started);
    sched_sleep_ns(40 * MS);
    atomic_inc(&s->runs);
    if (s->requeue) {
        s->requeue--;
        if (!work_queue(w))
            s->refused++;
    }
    s->finished = true;
}

static void slow_init(struct slow *s)
{
    memset(s, 0, sizeof(*s));
    work_init(&s->work, slow_fn);
    completion_init(&s->started, "wq-slow");
}

KTEST(workqueue, cancel_sync_waits_for_the_running_function)
{
    unsigned cpu = last_cpu();
    struct slow s;

    slow_init(&s);
    KT_EXPECT_TRUE(work_queue_on(cpu, &s.work));
    KT_ASSERT_EQ(completion_wait_timeout(&s.started, WAIT_NS), 0);
    KT_EXPECT_TRUE(work_running(&s.work));
    KT_EXPECT_FALSE(work_cancel(&s.work));              /* running, not pending */
    KT_EXPECT_FALSE(work_cancel_sync(&s.work));
    KT_EXPECT_TRUE(s.finished);
    KT_EXPECT_FALSE(work_running(&s.work));
    KT_EXPECT_EQ(s.runs, 1u);
    /* an item that queues itself again is stopped for good */
    slow_init(&s);
    s.requeue = 1000;
    KT_EXPECT_TRUE(work_queue_on(cpu, &s.work));
    KT_ASSERT_EQ(completion_wait_timeout(&s.started, WAIT_NS), 0);
    KT_EXPECT_FALSE(work_cancel_sync(&s.work));         /* running, not pending */
    KT_EXPECT_TRUE(s.finished);
    KT_EXPECT_EQ(s.refused, 1u);                        /* queuing refused during the cancel */
    KT_EXPECT_LT(s.runs, 5u);
    KT_EXPECT_FALSE(work_pending(&s.work));
    {
        uint32_t runs = s.runs;

        sched_sleep_ns(100 * MS);
        KT_EXPECT_EQ(s.runs, runs);
    }
}

KTEST(workqueue, flush_waits_until_idle)
{
    unsigned cpu = last_cpu();
    struct probe p[4];
    struct slow s;
    uint64_t start;

    slow_init(&s);
    KT_EXPECT_FALSE(work_flush(&s.work));               /* idle: no wait */
    start = time_ns();
    KT_EXPECT_TRUE(work_queue_on(cpu, &s.work));
    KT_EXPECT_TRUE(work_flush(&s.work));
    KT_EXPECT_TRUE(s.finished);
    KT_EXPECT_GE(time_ns() - start, 40 * MS);
    KT_EXPECT_EQ(s.runs, 1u);
    /* a CPU's whole queue: everything queued before the flush has run */
    slow_init(&s);
    KT_EXPECT_TRUE(work_queue_on(cpu, &s.work));
    for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
        probe_init(&p[i]);
        KT_EXPECT_TRUE(work_queue_on(cpu, &p[i].work));
    }
    KT_EXPECT_EQ(work_flush_cpu(cpu), 0);
    KT_EXPECT_EQ(s.runs, 1u);
    for (unsigned i = 0; i < ARRAY_SIZE(p); i++) {
        KT_EXPECT_EQ(p[i].r.runs, 1u);
        KT_EXPECT_GE(p[i].r.at, p[i ? i - 1 : 0].r.at);  /* FIFO */
    }
    KT_EXPECT_EQ(work_flush_cpu(cpu_count()), -EINVAL);
}

/* ---- stress: every CPU queues and cancels shared items at once ---------------- */

#define STRESS_ITEMS        16
#define STRESS_NS           (300 * MS)

struct stress_item {
    struct delayed_work dw;
    volatile uint32_t runs;             /* [a] */
    volatile uint32_t active;           /* [a] functions running now */
    volatile uint32_t overlaps;         /* [a] runs that found another one running */
};

static struct stress_item stress_items[STRESS_ITEMS];

struct stress_thread {
    unsigned seed;
    uint64_t queued, cancelled;         /* successful calls */
};

static void stress_fn(struct work *w)
{
    struct stress_item *it = container_of(to_delayed_work(w), struct stress_item, dw);

    if (atomic_fetch_add(&it->active, 1) != 0)
        atomic_inc(&it->overlaps);
    for (volatile unsigned i = 0; i < 200; i++)
        ;
    atomic_inc(&it->runs);
    atomic_fetch_add(&it->active, (uint32_t)-1);
}

static void *stress_main(void *arg)
{
    struct stress_thread *st = arg;
    uint64_t end = time_ns() + STRESS_NS;
    unsigned x = st->seed, n = cpu_count();

    while (time_ns() < end) {
        struct stress_item *it;

        x = x * 1103515245u + 12345u;
        it = &stress_items[(x >> 8) % STRESS_ITEMS];
        switch ((x >> 16) % 8) {
        case 0:
            st->cancelled += work_cancel_delayed(&it->dw);
            break;
        case 1:
            st->queued += work_queue_delayed_on((x >> 20) % n, &it->dw, ((x >> 24) % 3) * MS);
            break;
        case 2:
            st->queued += work_queue(&it->dw.work);
            break;
        default:
            st->queued += work_queue_on((x >> 20) % n, &it->dw.work);
            break;
        }
        if ((x & 0xff) == 0)
            sched_yield();
    }
    return NULL;
}

KTEST(workqueue, stress_every_cpu_queues_and_cancels)
{
    unsigned n = cpu_count() * 2;
    struct stress_thread st[2 * CPU_MAX];
    struct thread *t[2 * CPU_MAX];
    uint64_t queued = 0, cancelled = 0, runs = 0, overlaps = 0, timers = 0;

    for (unsigned i = 0; i < STRESS_ITEMS; i++) {
        memset(&stress_items[i], 0, sizeof(stress_items[i]));
        delayed_work_init(&stress_items[i].dw, stress_fn);
    }
    for (unsigned i = 0; i < n; i++) {
        st[i] = (struct stress_thread){ .seed = 0x9e3779b9u * (i + 1) };
        t[i] = thread_create("wq-stress", stress_main, &st[i], THREAD_CPU(i % cpu_count()));
        KT_ASSERT_NOT_NULL(t[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        thread_join(t[i], NULL);
        queued += st[i].queued;
        cancelled += st[i].cancelled;
    }
    for (unsigned i = 0; i < STRESS_ITEMS; i++) {
        work_flush(&stress_items[i].dw.work);
        runs += stress_items[i].runs;
        overlaps += stress_items[i].overlaps;
        timers += sched_timeout_armed(&stress_items[i].dw.timer);
    }
    pr_info("workqueue stress: %u threads, %llu queued, %llu cancelled, %llu runs on %u CPUs",
              n, (unsigned long long)queued, (unsigned long long)cancelled,
              (unsigned long long)runs, cpu_count());
    KT_EXPECT_GE(queued, (uint64_t)n);           /* a bare minimum even on a loaded host */
    KT_EXPECT_EQ(runs, queued - cancelled);     /* each queuing ran once or was cancelled */
    KT_EXPECT_EQ(overlaps, 0ull);               /* never on two CPUs at once */
    KT_EXPECT_EQ(timers, 0ull);                 /* no timer left armed */
}
