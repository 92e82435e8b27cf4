/*
 * src/sched/tests/sync_ktests.c - ktests of the sleeping primitives, and
 * the bench.* figures for switches and locks (KTEST_MANUAL).
 *
 * Part of sched's ktests. Workers never assert: they record, the test
 * thread checks after thread_join.
 */
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <sched/sched.h>
#include <sched/sync.h>
#include <sched/thread.h>

#define MUTEX_ROUNDS    500

static struct mutex counter_lock = MUTEX_INIT("counter");
static uint64_t counter;

static void *add_under_mutex(void *arg)
{
    (void)arg;
    for (int i = 0; i < MUTEX_ROUNDS; i++) {
        mutex_lock(&counter_lock);
        uint64_t v = counter;
        if ((i & 63) == 0)
            sched_yield();          /* hold it across a switch now and then */
        counter = v + 1;
        mutex_unlock(&counter_lock);
    }
    return NULL;
}

KTEST(sync, mutex_counter_exact_on_all_cpus)
{
    unsigned n = cpu_count() * 2;
    struct thread *t[2 * CPU_MAX];

    counter = 0;
    for (unsigned i = 0; i < n; i++) {
        t[i] = thread_create("t-mutex", add_under_mutex, NULL, THREAD_CPU(i % cpu_count()));
        KT_ASSERT_NOT_NULL(t[i]);
    }
    for (unsigned i = 0; i < n; i++)
        KT_ASSERT_EQ(thread_join(t[i], NULL), 0);
    KT_EXPECT_EQ(counter, (uint64_t)n * MUTEX_ROUNDS);
}

KTEST(sync, mutex_unlock_by_non_owner_reported)
{
    struct mutex m = MUTEX_INIT("provoked");
    uint64_t errors = mutex_error_count();

    KT_EXPECT_EQ(mutex_unlock(&m), -EPERM);
    KT_EXPECT_EQ(mutex_error_count(), errors + 1);
    mutex_lock(&m);
    KT_EXPECT_TRUE(mutex_held_by_me(&m));
    KT_EXPECT_FALSE(mutex_trylock(&m));
    KT_EXPECT_EQ(mutex_unlock(&m), 0);
}

#define ITEMS_PER_PRODUCER  300
#define PRODUCERS           3
#define CONSUMERS           3

static struct chan pc_chan;
static uint8_t seen[PRODUCERS * ITEMS_PER_PRODUCER];
static uint64_t received;

static void *producer(void *arg)
{
    uintptr_t base = (uintptr_t)arg * ITEMS_PER_PRODUCER;

    for (uintptr_t i = 0; i < ITEMS_PER_PRODUCER; i++)
        if (chan_send(&pc_chan, (void *)(base + i + 1)) != 0)
            return (void *)1;
    return NULL;
}

static void *consumer(void *arg)
{
    void *item;

    (void)arg;
    while (chan_recv(&pc_chan, &item) == 0) {
        uintptr_t v = (uintptr_t)item - 1;
        if (v < sizeof(seen))
            atomic_fetch_add(&seen[v], 1);
        atomic_inc(&received);
    }
    return NULL;
}

KTEST(sync, channel_producer_consumer_exact)
{
    struct thread *p[PRODUCERS], *c[CONSUMERS];

    KT_ASSERT_EQ(chan_init(&pc_chan, 8, "pc"), 0);
    received = 0;
    for (size_t i = 0; i < sizeof(seen); i++)
        seen[i] = 0;
    for (uintptr_t i = 0; i < CONSUMERS; i++)
        KT_ASSERT_NOT_NULL(c[i] = thread_create("t-cons", consumer, NULL, 0));
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        KT_ASSERT_NOT_NULL(p[i] = thread_create("t-prod", producer, (void *)i, 0));
    for (int i = 0; i < PRODUCERS; i++) {
        void *r;
        KT_ASSERT_EQ(thread_join(p[i], &r), 0);
        KT_EXPECT_EQ((uintptr_t)r, 0u);
    }
    chan_close(&pc_chan);
    for (int i = 0; i < CONSUMERS; i++)
        KT_ASSERT_EQ(thread_join(c[i], NULL), 0);
    KT_EXPECT_EQ(received, (uint64_t)sizeof(seen));
    size_t bad = 0;
    for (size_t i = 0; i < sizeof(seen); i++)
        bad += seen[i] != 1;
    KT_EXPECT_EQ(bad, 0u);
    void *x;
    KT_EXPECT_EQ(chan_try_recv(&pc_chan, &x), -EPIPE);
    KT_EXPECT_EQ(chan_try_send(&pc_chan, x), -EPIPE);
    chan_destroy(&pc_chan);
}

KTEST(sync, chan_try_send_full)
{
    struct chan ch;
    void *x;

    KT_ASSERT_EQ(chan_init(&ch, 2, "small"), 0);
    KT_EXPECT_EQ(chan_try_send(&ch, (void *)1), 0);
    KT_EXPECT_EQ(chan_try_send(&ch, (void *)2), 0);
    KT_EXPECT_EQ(chan_try_send(&ch, (void *)3), -EAGAIN);
    KT_EXPECT_EQ(chan_try_recv(&ch, &x), 0);
    KT_EXPECT_EQ((uintptr_t)x, 1u);
    chan_destroy(&ch);
}

#define SEM_LIMIT   2

static struct semaphore limit_sem;
static volatile int inside, max_inside;

static void *sem_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        sem_down(&limit_sem);
        int now = atomic_add_return(&inside, 1);
        int m = atomic_load(&max_inside);
        while (now > m && !atomic_cmpxchg(&max_inside, &m, now))
            ;
        sched_yield();
        atomic_dec(&inside);
        sem_up(&limit_sem);
    }
    return NULL;
}

KTEST(sync, semaphore_limits_holders)
{
    struct thread *t[6];

    sem_init(&limit_sem, SEM_LIMIT, "limit");
    inside = max_inside = 0;
    for (int i = 0; i < 6; i++)
        KT_ASSERT_NOT_NULL(t[i] = thread_create("t-sem", sem_worker, NULL, 0));
    for (int i = 0; i < 6; i++)
        KT_ASSERT_EQ(thread_join(t[i], NULL), 0);
    KT_EXPECT_LE(max_inside, SEM_LIMIT);
    KT_EXPECT_GE(max_inside, 1);
    KT_EXPECT_TRUE(sem_trydown(&limit_sem));
    KT_EXPECT_TRUE(sem_trydown(&limit_sem));
    KT_EXPECT_FALSE(sem_trydown(&limit_sem));
}

static struct completion go;
static struct mutex cv_lock = MUTEX_INIT("cv");
static struct condvar cv;
static int cv_value;

static void *cv_waiter(void *arg)
{
    (void)arg;
    completion_wait(&go);
    mutex_lock(&cv_lock);
    while (cv_value == 0)
        cond_wait(&cv, &cv_lock);
    int v = cv_value;
    mutex_unlock(&cv_lock);
    return (void *)(uintptr_t)v;
}

KTEST(sync, completion_and_condvar)
{
    struct thread *t[3];

    completion_init(&go, "go");
    cond_init(&cv, "cv");
    cv_value = 0;
    for (int i = 0; i < 3; i++)
        KT_ASSERT_NOT_NULL(t[i] = thread_create("t-cv", cv_waiter, NULL, 0));
    complete_all(&go);
    KT_EXPECT_TRUE(completion_done(&go));
    sched_sleep_ns(2000000);
    mutex_lock(&cv_lock);
    cv_value = 7;
    cond_broadcast(&cv);
    mutex_unlock(&cv_lock);
    for (int i = 0; i < 3; i++) {
        void *r;
        KT_ASSERT_EQ(thread_join(t[i], &r), 0);
        KT_EXPECT_EQ((uintptr_t)r, 7u);
    }
}

/* ---- benchmarks ------------------------------------------------------------- */

#define BENCH_ROUNDS 20000

KTEST_F(bench, spin_lock_unlock, KTEST_MANUAL)
{
    spinlock_t l = SPINLOCK_INIT("bench");
    uint64_t t = rdtsc();

    for (int i = 0; i < BENCH_ROUNDS; i++) {
        spin_lock(&l);
        spin_unlock(&l);
    }
    ktest_bench_report("spin_lock+spin_unlock (uncontended)", ktest_bench_ns_since(t), BENCH_ROUNDS);
}

KTEST_F(bench, mutex_lock_unlock, KTEST_MANUAL)
{
    struct mutex m = MUTEX_INIT("bench");
    uint64_t t = rdtsc();

    for (int i = 0; i < BENCH_ROUNDS; i++) {
        mutex_lock(&m);
        mutex_unlock(&m);
    }
    ktest_bench_report("mutex_lock+mutex_unlock (uncontended)", ktest_bench_ns_since(t), BENCH_ROUNDS);
}

#define PINGS 5000

struct pingpong {
    spinlock_t guard;
    struct wait_queue wq;
    volatile int turn;              /* [guard] 0: ping's, 1: pong's */
};

static struct pingpong pp;

static void *pong(void *arg)
{
    (void)arg;
    for (int i = 0; i < PINGS; i++) {
        uint64_t f = spin_lock_irqsave(&pp.guard);
        while (pp.turn != 1)
            wq_sleep_locked(&pp.wq, &pp.guard, &f);
        pp.turn = 0;
        wq_wake_all_locked(&pp.wq, &pp.guard);
        spin_unlock_irqrestore(&pp.guard, f);
    }
    return NULL;
}

static void pingpong(unsigned pong_cpu, const char *what)
{
    struct thread *t;
    uint64_t start;

    spin_init(&pp.guard, "pingpong");
    wq_init(&pp.wq, "pingpong");
    pp.turn = 0;
    t = thread_create("t-pong", pong, NULL, THREAD_CPU(pong_cpu));
    KT_ASSERT_NOT_NULL(t);
    start = rdtsc();
    for (int i = 0; i < PINGS; i++) {
        uint64_t f = spin_lock_irqsave(&pp.guard);
        pp.turn = 1;
        wq_wake_all_locked(&pp.wq, &pp.guard);
        while (pp.turn != 0)
            wq_sleep_locked(&pp.wq, &pp.guard, &f);
        spin_unlock_irqrestore(&pp.guard, f);
    }
    /* two wake-ups and two switches per round trip */
    ktest_bench_report(what, ktest_bench_ns_since(start), 2ull * PINGS);
    KT_ASSERT_EQ(thread_join(t, NULL), 0);
}

KTEST_F(bench, pingpong_same_cpu, KTEST_MANUAL)
{
    pingpong(0, "wait-queue ping-pong, same CPU (per switch)");
}

KTEST_F(bench, pingpong_cross_cpu, KTEST_MANUAL)
{
    if (cpu_count() < 2)
        KT_SKIP("needs a second CPU for a cross-CPU hand-off");
    pingpong(1, "wait-queue ping-pong, across CPUs (per hand-off)");
}
