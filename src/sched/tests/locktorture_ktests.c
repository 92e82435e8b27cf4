/*
 * src/sched/tests/locktorture_ktests.c - lock torture, in the spirit of
 * Linux's locktorture.
 *
 * Part of sched's ktests. For TORTURE_NS, a writer pinned to every CPU
 * updates a spinlock-protected and a mutex-protected record (two counters
 * that must stay equal, a few data words and their checksum), and a reader
 * pinned to every CPU checks the invariants under the same locks. The
 * test asserts zero violations, that every thread made progress, and that
 * the counters equal the number of writes.
 */
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/time.h>
#include <sched/sched.h>
#include <sched/sync.h>
#include <sched/thread.h>

#define TORTURE_NS      (600ull * 1000 * 1000)
#define TORTURE_WORDS   8

struct torture_rec {
    uint64_t a, b;                  /* equal whenever the lock is free */
    uint64_t data[TORTURE_WORDS];
    uint64_t sum;                   /* sum of data */
};

static spinlock_t tt_spin = SPINLOCK_INIT("torture-spin");
static struct mutex tt_mutex = MUTEX_INIT("torture-mutex");
static struct torture_rec tt_srec, tt_mrec;
static uint64_t tt_deadline, tt_violations, tt_spin_writes, tt_mutex_writes;

struct torture_arg {
    uint64_t seed;
    uint64_t ops;                   /* operations done by this thread */
};

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Lock held. Changes the record so the invariants break mid-way. */
static void rec_write(struct torture_rec *r, uint64_t *seed)
{
    unsigned i = (unsigned)(next_rand(seed) % TORTURE_WORDS);
    uint64_t v = next_rand(seed);

    r->a++;
    r->sum -= r->data[i];
    barrier();
    r->data[i] = v;
    for (int k = 0; k < 20; k++)
        cpu_relax();                /* widen the window for a broken lock */
    r->sum += v;
    r->b++;
}

/* Lock held: true if the invariants hold. */
static bool rec_ok(const struct torture_rec *r)
{
    uint64_t sum = 0;

    for (unsigned i = 0; i < TORTURE_WORDS; i++)
        sum += r->data[i];
    return r->a == r->b && sum == r->sum;
}

static void *torture_writer(void *p)
{
    struct torture_arg *arg = p;

    while (time_ns() < atomic_load(&tt_deadline)) {
        for (int k = 0; k < 8; k++) {   /* the spinlock is the hotter one */
            spin_lock(&tt_spin);
            if (!rec_ok(&tt_srec))
                atomic_inc(&tt_violations);
            rec_write(&tt_srec, &arg->seed);
            spin_unlock(&tt_spin);
            atomic_inc(&tt_spin_writes);
        }

        mutex_lock(&tt_mutex);
        if (!rec_ok(&tt_mrec))
            atomic_inc(&tt_violations);
        rec_write(&tt_mrec, &arg->seed);
        if ((arg->ops & 15) == 0)
            sched_yield();          /* sleep-capable lock: switch while holding it */
        mutex_unlock(&tt_mutex);
        atomic_inc(&tt_mutex_writes);
        arg->ops++;
    }
    return NULL;
}

static void *torture_reader(void *p)
{
    struct torture_arg *arg = p;

    while (time_ns() < atomic_load(&tt_deadline)) {
        uint64_t f = spin_lock_irqsave(&tt_spin);
        if (!rec_ok(&tt_srec))
            atomic_inc(&tt_violations);
        spin_unlock_irqrestore(&tt_spin, f);

        mutex_lock(&tt_mutex);
        if (!rec_ok(&tt_mrec))
            atomic_inc(&tt_violations);
        mutex_unlock(&tt_mutex);
        arg->ops++;
    }
    return NULL;
}

KTEST(locktorture, spin_and_mutex_writers_on_every_cpu)
{
    enum { MAXT = 2 * 16 };
    static struct torture_arg args[MAXT];
    struct thread *t[MAXT];
    unsigned ncpu = cpu_count() < 16 ? cpu_count() : 16, n = 2 * ncpu;

    tt_srec = (struct torture_rec){ 0 };
    tt_mrec = (struct torture_rec){ 0 };
    tt_violations = tt_spin_writes = tt_mutex_writes = 0;
    atomic_store(&tt_deadline, time_ns() + TORTURE_NS);
    for (unsigned i = 0; i < n; i++) {
        args[i] = (struct torture_arg){ .seed = 0x9e3779b97f4a7c15ull * (i + 1), .ops = 0 };
        t[i] = thread_create(i % 2 ? "torture-rd" : "torture-wr",
                             i % 2 ? torture_reader : torture_writer, &args[i],
                             THREAD_CPU(i / 2));
        KT_ASSERT_NOT_NULL(t[i]);
    }
    for (unsigned i = 0; i < n; i++)
        KT_EXPECT_EQ(thread_join(t[i], NULL), 0);
    pr_info("locktorture: %u CPUs, %llu spin writes, %llu mutex writes, %llu violations",
            ncpu, (unsigned long long)tt_spin_writes, (unsigned long long)tt_mutex_writes,
            (unsigned long long)tt_violations);
    KT_EXPECT_EQ(tt_violations, 0u);
    for (unsigned i = 0; i < n; i++)
        KT_EXPECT_NE(args[i].ops, 0u);
    KT_EXPECT_TRUE(rec_ok(&tt_srec));
    KT_EXPECT_TRUE(rec_ok(&tt_mrec));
    KT_EXPECT_EQ(tt_srec.a, tt_spin_writes);
    KT_EXPECT_EQ(tt_mrec.a, tt_mutex_writes);
}
