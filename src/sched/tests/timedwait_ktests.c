/*
 * src/sched/tests/timedwait_ktests.c - ktests of the timed waits
 * (wq_sleep_locked_timeout through completion_wait_timeout): the deadline,
 * wake-ups from threads on other CPUs and from interrupt handlers, leaving
 * the queue on a timeout, and a stress of completions racing deadlines.
 *
 * Part of sched's ktests. Workers never assert: they record, the test
 * thread checks after thread_join. Time bounds are loose (QEMU TCG on
 * shared cores stalls vCPUs for many ticks) but still catch a lost timeout.
 */
#include <core/apic.h>
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/time.h>
#include <core/x86.h>
#include <sched/sched.h>
#include <sched/sync.h>
#include <sched/thread.h>

#define MS                  1000000ull
#define SLACK_NS            (300 * MS)  /* late wake-ups TCG may cause */

KTEST(timedwait, times_out_after_the_asked_time)
{
    struct completion c;
    unsigned armed = sched_timeout_count();
    static const uint64_t waits[] = { 1 * MS, 20 * MS, 50 * MS };

    completion_init(&c, "td-timeout");
    for (unsigned i = 0; i < ARRAY_SIZE(waits); i++) {
        uint64_t start = time_ns(), took;

        KT_EXPECT_EQ(completion_wait_timeout(&c, waits[i]), -ETIMEDOUT);
        took = time_ns() - start;
        KT_EXPECT_GE(took, waits[i]);
        KT_EXPECT_LE(took, waits[i] + SLACK_NS);
    }
    KT_EXPECT_FALSE(wq_has_sleepers(&c.wq));
    KT_EXPECT_EQ(sched_timeout_count(), armed);
}

KTEST(timedwait, already_done_returns_at_once)
{
    struct completion c;
    uint64_t start;

    completion_init(&c, "td-done");
    KT_EXPECT_EQ(completion_wait_timeout(&c, 0), -ETIMEDOUT);
    complete(&c);
    complete(&c);
    start = time_ns();
    KT_EXPECT_EQ(completion_wait_timeout(&c, 0), 0);
    KT_EXPECT_EQ(completion_wait_timeout(&c, 10 * MS), 0);
    KT_EXPECT_LT(time_ns() - start, 5 * MS);
    KT_EXPECT_EQ(c.done, 0u);
    complete_all(&c);
    KT_EXPECT_EQ(completion_wait_timeout(&c, 0), 0);
    KT_EXPECT_TRUE(completion_done(&c));
}

struct td_delayed {
    struct completion *c;
    uint64_t delay_ns;
    uint8_t vector;         /* 0: complete() from the thread, else a self-IPI */
};

static void *complete_later(void *arg)
{
    struct td_delayed *d = arg;

    sched_sleep_ns(d->delay_ns);
    if (d->vector)
        apic_send_self_ipi(d->vector);
    else
        complete(d->c);
    return NULL;
}

/* Waits up to 2 s while a thread on CPU cpu completes c after a few ms. */
static int wait_completed_from(struct completion *c, unsigned cpu, uint8_t vector,
                               uint64_t *took)
{
    struct td_delayed d = { c, 3 * MS, vector };
    struct thread *t = thread_create("td-completer", complete_later, &d, THREAD_CPU(cpu));
    uint64_t start = time_ns();
    int err;

    if (!t)
        return -ENOMEM;
    err = completion_wait_timeout(c, 2000 * MS);
    *took = time_ns() - start;
    thread_join(t, NULL);
    return err;
}

KTEST(timedwait, completed_from_a_thread_on_every_cpu)
{
    struct completion c;
    unsigned armed = sched_timeout_count();

    completion_init(&c, "td-thread");
    for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
        uint64_t took;

        KT_EXPECT_EQ(wait_completed_from(&c, cpu, 0, &took), 0);
        KT_EXPECT_LT(took, 1000 * MS);
    }
    KT_EXPECT_EQ(c.done, 0u);
    KT_EXPECT_EQ(sched_timeout_count(), armed);
}

static bool td_irq_complete(void *ctx)
{
    complete(ctx);
    return true;
}

KTEST(timedwait, completed_from_an_interrupt_handler)
{
    struct completion c;
    unsigned armed = sched_timeout_count();
    uint8_t vector;
    int h;

    completion_init(&c, "td-irq");
    h = irq_request_vector(td_irq_complete, &c, "ktest-td-irq", &vector);
    KT_ASSERT_GE(h, 0);
    /* CPU 0 is this thread's: the handler interrupts the waiter's own CPU */
    for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
        uint64_t took;

        KT_EXPECT_EQ(wait_completed_from(&c, cpu, vector, &took), 0);
        KT_EXPECT_LT(took, 1000 * MS);
    }
    irq_free(h);
    KT_EXPECT_EQ(c.done, 0u);
    KT_EXPECT_EQ(sched_timeout_count(), armed);
}

struct td_waiter {
    struct completion *c;
    uint64_t timeout_ns;    /* 0: completion_wait */
    int result;
};

static void *td_wait(void *arg)
{
    struct td_waiter *w = arg;

    w->result = w->timeout_ns ? completion_wait_timeout(w->c, w->timeout_ns)
                              : completion_wait(w->c);
    return NULL;
}

static bool td_sleepers(struct completion *c, unsigned n)
{
    uint64_t f = spin_lock_irqsave(&c->guard);
    unsigned k = 0;

    for (struct waiter *w = c->wq.head; w; w = w->next)
        k++;
    spin_unlock_irqrestore(&c->guard, f);
    return k == n;
}

KTEST(timedwait, timed_out_waiter_leaves_the_queue)
{
    struct completion c;
    struct td_waiter a, b;
    struct thread *ta, *tb;
    int i;

    completion_init(&c, "td-leave");
    a = (struct td_waiter){ &c, 30 * MS, 1 };
    b = (struct td_waiter){ &c, 0, 1 };
    KT_ASSERT_NOT_NULL(ta = thread_create("td-timed", td_wait, &a, 0));
    for (i = 0; i < 2000 && !td_sleepers(&c, 1); i++)
        sched_sleep_ns(MS / 2);
    KT_ASSERT_NOT_NULL(tb = thread_create("td-untimed", td_wait, &b, 0));
    KT_EXPECT_EQ(thread_join(ta, NULL), 0);
    KT_EXPECT_EQ(a.result, -ETIMEDOUT);
    for (i = 0; i < 2000 && !td_sleepers(&c, 1); i++)
        sched_sleep_ns(MS / 2);
    KT_EXPECT_TRUE(td_sleepers(&c, 1));    /* b only: a, first in line, left */
    complete(&c);
    KT_EXPECT_EQ(thread_join(tb, NULL), 0);
    KT_EXPECT_EQ(b.result, 0);
    KT_EXPECT_EQ(c.done, 0u);
    KT_EXPECT_TRUE(td_sleepers(&c, 0));

    /* with nobody waiting, a complete() after a timeout stays counted */
    KT_EXPECT_EQ(completion_wait_timeout(&c, 2 * MS), -ETIMEDOUT);
    complete(&c);
    KT_EXPECT_EQ(c.done, 1u);
}

/*
 * Stress: pairs of a waiter (unpinned, so idle CPUs steal and move it) and
 * a completer (pinned round robin) whose complete() lands at about the
 * waiter's deadline, round after round. Every complete() must be taken by
 * exactly one successful wait or still be counted in done at the end.
 */
#define TD_PAIRS_PER_CPU    3
#define TD_ROUNDS           150

struct td_pair {
    struct completion c;
    uint64_t got, timeouts, other, completes;
};

static uint64_t td_period(unsigned round)
{
    return (round % 3 + 1) * MS / 2;        /* 0.5, 1 and 1.5 ms: about a tick */
}

static void *td_stress_wait(void *arg)
{
    struct td_pair *p = arg;

    for (unsigned r = 0; r < TD_ROUNDS; r++) {
        int err = completion_wait_timeout(&p->c, td_period(r));

        if (err == 0)
            p->got++;
        else if (err == -ETIMEDOUT)
            p->timeouts++;
        else
            p->other++;
    }
    return NULL;
}

static void *td_stress_complete(void *arg)
{
    struct td_pair *p = arg;

    for (unsigned r = 0; r < TD_ROUNDS; r++) {
        sched_sleep_ns(td_period(r));
        complete(&p->c);
        p->completes++;
    }
    return NULL;
}

KTEST(timedwait, stress_completions_at_the_deadline)
{
    static struct td_pair pairs[TD_PAIRS_PER_CPU * CPU_MAX];
    static struct thread *waiters[TD_PAIRS_PER_CPU * CPU_MAX], *completers[TD_PAIRS_PER_CPU * CPU_MAX];
    unsigned n = TD_PAIRS_PER_CPU * cpu_count(), armed = sched_timeout_count();
    uint64_t got = 0, timeouts = 0;

    for (unsigned i = 0; i < n; i++) {
        pairs[i] = (struct td_pair){ .got = 0 };
        completion_init(&pairs[i].c, "td-stress");
    }
    for (unsigned i = 0; i < n; i++) {
        waiters[i] = thread_create("td-swait", td_stress_wait, &pairs[i], 0);
        completers[i] = thread_create("td-scomplete", td_stress_complete, &pairs[i],
                                      THREAD_CPU(i % cpu_count()));
        KT_ASSERT_NOT_NULL(waiters[i]);
        KT_ASSERT_NOT_NULL(completers[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        KT_EXPECT_EQ(thread_join(waiters[i], NULL), 0);
        KT_EXPECT_EQ(thread_join(completers[i], NULL), 0);
    }
    for (unsigned i = 0; i < n; i++) {
        struct td_pair *p = &pairs[i];

        KT_EXPECT_EQ(p->other, 0u);
        KT_EXPECT_EQ(p->got + p->timeouts, (uint64_t)TD_ROUNDS);
        KT_EXPECT_EQ(p->got + p->c.done, p->completes);
        KT_EXPECT_TRUE(td_sleepers(&p->c, 0));
        got += p->got;
        timeouts += p->timeouts;
    }
    KT_EXPECT_EQ(sched_timeout_count(), armed);
    pr_info("timedwait: %u pairs x %u rounds: %llu completed, %llu timed out", n,
            TD_ROUNDS, (unsigned long long)got, (unsigned long long)timeouts);
}
