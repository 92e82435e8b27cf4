/*
 * src/sched/tests/sched_ktests.c - ktests of threads and the scheduler.
 *
 * Part of sched's ktests. Worker threads never assert (a failed assertion
 * jumps back to the runner on the boot thread's stack): they record what
 * they saw and the test thread checks it after thread_join.
 */
#include <core/atomic.h>
#include <core/backtrace.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/preempt.h>
#include <core/ksym.h>
#include <core/string.h>
#include <core/time.h>
#include <core/x86.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>
#include <sched/sched.h>
#include <sched/sync.h>
#include <sched/thread.h>

static void *return_arg(void *arg)
{
    return arg;
}

KTEST(sched, create_join_returns_value)
{
    void *ret = NULL;
    struct thread *t = thread_create("t-ret", return_arg, (void *)0x1234, 0);

    KT_ASSERT_NOT_NULL(t);
    KT_ASSERT_EQ(thread_join(t, &ret), 0);
    KT_EXPECT_EQ((uintptr_t)ret, 0x1234u);
}

static void *report_cpu(void *arg)
{
    (void)arg;
    sched_yield();
    return (void *)(uintptr_t)this_cpu()->index;
}

KTEST(sched, pinned_threads_run_on_every_cpu)
{
    unsigned n = cpu_count();
    struct thread *t[CPU_MAX];

    for (unsigned i = 0; i < n; i++) {
        t[i] = thread_create("t-pin", report_cpu, NULL, THREAD_CPU(i));
        KT_ASSERT_NOT_NULL(t[i]);
    }
    for (unsigned i = 0; i < n; i++) {
        void *ret;
        KT_ASSERT_EQ(thread_join(t[i], &ret), 0);
        KT_EXPECT_EQ((uintptr_t)ret, (uintptr_t)i);
    }
    KT_EXPECT_EQ(sched_cpu_count(), n);
}

static volatile bool spin_stop;
static volatile uint64_t spin_loops;

static void *busy_loop(void *arg)
{
    (void)arg;
    while (!atomic_load(&spin_stop))
        atomic_inc(&spin_loops);
    return NULL;
}

/* Busy threads on every CPU (interrupts on) cannot starve this one. */
KTEST(sched, busy_threads_are_preempted)
{
    unsigned n = cpu_count() * 2;
    struct thread *t[2 * CPU_MAX];
    uint64_t start = time_ns(), sw = sched_switch_count();

    spin_stop = false;
    for (unsigned i = 0; i < n; i++) {
        t[i] = thread_create("t-busy", busy_loop, NULL, 0);
        KT_ASSERT_NOT_NULL(t[i]);
    }
    /*
     * Busy-wait too: only the tick can hand the CPU around. At least 50 ms,
     * and on until a busy thread has run (at most 2 s): a host that stops
     * the vCPU can let 50 ms of clock pass without a single tick.
     */
    while (time_ns() - start < 50000000ull ||
           (atomic_load(&spin_loops) == 0 && time_ns() - start < 2000000000ull))
        cpu_relax();
    atomic_store(&spin_stop, true);
    for (unsigned i = 0; i < n; i++)
        KT_ASSERT_EQ(thread_join(t[i], NULL), 0);
    KT_EXPECT_GT(spin_loops, 0u);
    KT_EXPECT_GT(sched_switch_count(), sw + 2);
}

KTEST(sched, sleep_accuracy_50ms)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < 3; i++) {
        uint64_t t0 = time_ns();
        sched_sleep_ns(50000000ull);
        uint64_t d = time_ns() - t0;
        KT_EXPECT_GE(d, 50000000ull);
        if (d < best)
            best = d;
    }
    KT_EXPECT_LT(best, 60000000ull);
}

static void *nothing(void *arg)
{
    return arg;
}

static uint64_t heap_objects(void)
{
    struct kheap_stats st[64];
    size_t n = kheap_stats(st, ARRAY_SIZE(st));
    uint64_t sum = 0;

    for (size_t i = 0; i < n; i++)
        sum += st[i].objects_in_use;
    return sum;
}

KTEST(sched, create_exit_10000_no_leak)
{
    uint64_t frames, objects;
    unsigned threads;

    /* warm the stack cache and the slabs */
    for (int i = 0; i < 4; i++)
        KT_ASSERT_EQ(thread_join(thread_create("t-warm", nothing, NULL, 0), NULL), 0);
    sched_reap();
    frames = pmm_stats().free_frames;
    objects = heap_objects();
    threads = thread_count();
    for (int i = 0; i < 10000; i++) {
        struct thread *t = thread_create("t-leak", nothing, NULL, 0);
        KT_ASSERT_NOT_NULL(t);
        KT_ASSERT_EQ(thread_join(t, NULL), 0);
    }
    sched_reap();
    KT_EXPECT_EQ(thread_count(), threads);
    KT_EXPECT_EQ(heap_objects(), objects);
    KT_EXPECT_EQ(pmm_stats().free_frames, frames);
}

/* FPU isolation: two threads keep values in xmm0/xmm1 and x87 st0 across switches. */
void sched_test_fpu_load(int64_t start, int64_t step);
void sched_test_fpu_step(void);
int64_t sched_test_fpu_read(int64_t *x87);

struct fpu_job {
    int64_t start, step, rounds;
    int64_t sse, x87;
};

static void *fpu_worker(void *arg)
{
    struct fpu_job *j = arg;

    sched_test_fpu_load(j->start, j->step);
    for (int64_t i = 0; i < j->rounds; i++) {
        sched_test_fpu_step();
        sched_yield();
    }
    j->sse = sched_test_fpu_read(&j->x87);
    return NULL;
}

KTEST(sched, fpu_state_isolated)
{
    struct fpu_job a = { .start = 1, .step = 1, .rounds = 500 };
    struct fpu_job b = { .start = 1000000, .step = 3, .rounds = 500 };
    struct thread *ta = thread_create("t-fpu-a", fpu_worker, &a, THREAD_CPU(0));
    struct thread *tb = thread_create("t-fpu-b", fpu_worker, &b, THREAD_CPU(0));

    KT_ASSERT_NOT_NULL(ta);
    KT_ASSERT_NOT_NULL(tb);
    KT_ASSERT_EQ(thread_join(ta, NULL), 0);
    KT_ASSERT_EQ(thread_join(tb, NULL), 0);
    KT_EXPECT_EQ(a.sse, 501);
    KT_EXPECT_EQ(a.x87, 501);
    KT_EXPECT_EQ(b.sse, 1001500);
    KT_EXPECT_EQ(b.x87, 1000500);
}

static struct completion bt_go;

static void *bt_sleeper(void *arg)
{
    (void)arg;
    completion_wait(&bt_go);
    return NULL;
}

/* sched_dump_tasks's backtrace of a switched-out thread shows where it sleeps. */
KTEST(sched, backtrace_of_sleeping_thread)
{
    uintptr_t pcs[BACKTRACE_MAX_DEPTH];
    struct thread *t;
    bool saw_wait = false, saw_fn = false;
    size_t n;

    completion_init(&bt_go, "bt-go");
    KT_ASSERT_NOT_NULL(t = thread_create("t-bt", bt_sleeper, NULL, 0));
    while (atomic_load(&t->state) != THREAD_BLOCKED || atomic_load(&t->on_cpu))
        sched_yield();
    n = sched_thread_backtrace(t, pcs, BACKTRACE_MAX_DEPTH);
    for (size_t i = 0; i < n; i++) {
        uintptr_t off;
        const char *name = ksym_lookup(pcs[i], &off);
        if (name && strcmp(name, "completion_wait") == 0)
            saw_wait = true;
        if (name && strcmp(name, "bt_sleeper") == 0)
            saw_fn = true;
    }
    KT_EXPECT_TRUE(n >= 3);
    KT_EXPECT_TRUE(saw_wait);
    KT_EXPECT_TRUE(saw_fn);
    KT_EXPECT_EQ(sched_thread_backtrace(thread_self(), pcs, BACKTRACE_MAX_DEPTH), 0u);
    complete(&bt_go);
    KT_EXPECT_EQ(thread_join(t, NULL), 0);
}

/*
 * The tick's CPU accounting (/proc/stat, /proc/uptime): while this thread
 * busy-waits 30 ms with preemption off, its CPU's busy count grows by
 * about 30 ticks and its idle count not at all. Generous bounds: a
 * stopped vCPU can miss ticks.
 */
KTEST(sched, cpu_ticks_count_busy_not_idle)
{
    struct sched_cpu_ticks a, b;
    uint64_t start, end, elapsed_ms;
    unsigned cpu;

    /*
     * Busy-wait with preemption off until this CPU has counted 10 busy
     * ticks (2 s at most: under TCG on a loaded host a stopped vCPU can let
     * time pass without ticks), then check that busy grew by at least 10,
     * by no more than the ticks that fit in the time spent, and idle not
     * at all.
     */
    preempt_disable();
    cpu = this_cpu()->index;
    a = sched_cpu_ticks(cpu);
    start = time_ns();
    end = start + 2000000000ull;
    do {
        cpu_relax();
        b = sched_cpu_ticks(cpu);
    } while (b.busy - a.busy < 10 && time_ns() < end);
    elapsed_ms = (time_ns() - start) / 1000000ull;
    b = sched_cpu_ticks(cpu);
    preempt_enable();
    KT_EXPECT_GT(a.busy + a.idle, 0u);
    KT_EXPECT_GE(b.busy - a.busy, 10u);
    KT_EXPECT_LE(b.busy - a.busy, elapsed_ms * (TIME_HZ / 1000) + 2);
    KT_EXPECT_EQ(b.idle, a.idle);
    KT_EXPECT_EQ(sched_cpu_ticks(CPU_MAX).busy, 0u);     /* unknown CPU: zeros */
    KT_EXPECT_GE(sched_nr_running(), 1u);                /* this thread */
}

KTEST(sched, thread_ids_and_the_registry)
{
    static struct sched_thread_info list[256];
    struct sched_thread_info ti;
    struct thread *a, *b, *d;
    int a_id, d_id;
    uint64_t until;
    size_t n;

    KT_ASSERT_GT(thread_tid(), 0);
    a = thread_create("t-id-a", return_arg, NULL, 0);
    b = thread_create("t-id-b", return_arg, NULL, 0);
    KT_ASSERT_NOT_NULL(a);
    KT_ASSERT_NOT_NULL(b);
    a_id = a->tid;
    KT_EXPECT_GT(a->tid, thread_tid());
    KT_EXPECT_GT(b->tid, a->tid);               /* creation order */
    KT_EXPECT_EQ(a->ptid, thread_tid());        /* the creator */
    KT_ASSERT_EQ(sched_thread_info(a_id, &ti), 0);
    KT_EXPECT_STREQ(ti.name, "t-id-a");
    KT_EXPECT_EQ(ti.tid, a_id);
    KT_EXPECT_EQ(ti.ptid, thread_tid());
    KT_ASSERT_EQ(thread_join(a, NULL), 0);
    KT_ASSERT_EQ(thread_join(b, NULL), 0);
    KT_EXPECT_EQ(sched_thread_info(a_id, &ti), -ENOENT);    /* freed: gone */

    /* a detached thread's exit and reaping leave every other thread listed */
    d = thread_create("t-id-detached", nothing, NULL, THREAD_DETACHED);
    KT_ASSERT_NOT_NULL(d);
    d_id = d->tid;                              /* d may be freed from here on */
    KT_EXPECT_GT(d_id, a_id);                   /* ids are not reused */
    until = time_ns() + 5000000000ull;
    while (sched_thread_info(d_id, &ti) == 0 && ti.run_state != THREAD_DEAD &&
           time_ns() < until)
        sched_sleep_ns(1000000);
    KT_EXPECT_EQ(sched_thread_info(thread_tid(), &ti), 0);
    do {                /* an idle thread's reaper may be freeing it meanwhile */
        sched_reap();
    } while (sched_thread_info(d_id, &ti) == 0 && time_ns() < until && !sched_sleep_ns(1000000));
    KT_EXPECT_EQ(sched_thread_info(d_id, &ti), -ENOENT);
    KT_EXPECT_EQ(sched_thread_info(thread_tid(), &ti), 0);
    KT_EXPECT_EQ(sched_thread_info(1, &ti), 0);             /* the boot thread */
    KT_EXPECT_STREQ(ti.name, "kmain");
    n = sched_list_threads(list, ARRAY_SIZE(list));
    if (thread_count() < ARRAY_SIZE(list))
        KT_EXPECT_EQ(n, thread_count());
}
