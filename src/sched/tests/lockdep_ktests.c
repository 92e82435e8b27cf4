/*
 * src/sched/tests/lockdep_ktests.c - ktests of the lock debugging reports
 * (include/core/lockdep.h): sleeping while atomic and lock order inversion.
 *
 * Part of sched's ktests. The reports are provoked on purpose and checked
 * through the report counters and the last report's text (debug builds
 * only; release builds do not check). Lock names are unique to each test
 * so the lock-order classes do not mix with the rest of the kernel's.
 */
#include <core/apic.h>
#include <core/ktest.h>
#include <core/errno.h>
#include <core/string.h>
#include <core/x86.h>
#include <core/irq.h>
#include <core/lockdep.h>
#include <sched/sched.h>
#include <sched/sync.h>
#include <sched/thread.h>

KTEST(lockdep, sleep_under_spinlock_refused)
{
    spinlock_t l = SPINLOCK_INIT("ld-atomic-spin");
    struct mutex m = MUTEX_INIT("ld-atomic-mutex");
    struct semaphore s;
    struct completion c;
    uint64_t before = lockdep_atomic_sleep_count();
    uint32_t count = preempt_count();

    if (!BASALT_DEBUG)
        return;
    sem_init(&s, 0, "ld-atomic-sem");
    completion_init(&c, "ld-atomic-done");
    spin_lock(&l);
    KT_EXPECT_EQ(mutex_lock(&m), -EDEADLK);
    KT_EXPECT_EQ(lockdep_atomic_sleep_count(), before + 1);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "sleeping while atomic") != NULL);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "mutex_lock") != NULL);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "ld-atomic-spin") != NULL);
    KT_EXPECT_EQ(sem_down(&s), -EDEADLK);
    KT_EXPECT_EQ(completion_wait(&c), -EDEADLK);
    KT_EXPECT_EQ(sched_sleep_ns(1000), -EDEADLK);
    KT_EXPECT_EQ(lockdep_atomic_sleep_count(), before + 4);
    spin_unlock(&l);
    KT_EXPECT_EQ(preempt_count(), count);
    KT_EXPECT_FALSE(mutex_held_by_me(&m));
    /* not atomic any more: these work */
    KT_EXPECT_EQ(mutex_lock(&m), 0);
    KT_EXPECT_EQ(mutex_unlock(&m), 0);
    KT_EXPECT_EQ(sched_sleep_ns(1000), 0);
    KT_EXPECT_EQ(lockdep_atomic_sleep_count(), before + 4);
}

KTEST(lockdep, sleep_with_preemption_off_refused)
{
    struct mutex m = MUTEX_INIT("ld-nopreempt-mutex");
    uint64_t before = lockdep_atomic_sleep_count();

    if (!BASALT_DEBUG)
        return;
    preempt_disable();
    KT_EXPECT_EQ(mutex_lock(&m), -EDEADLK);
    preempt_enable();
    KT_EXPECT_EQ(lockdep_atomic_sleep_count(), before + 1);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "preempt count 1") != NULL);
}

/* each test has its own classes: the order the tests run in does not matter */
static spinlock_t ld_a = SPINLOCK_INIT("ld-test-A");
static spinlock_t ld_b = SPINLOCK_INIT("ld-test-B");
static spinlock_t ld_e = SPINLOCK_INIT("ld-test-E");
static spinlock_t ld_f = SPINLOCK_INIT("ld-test-F");
static spinlock_t ld_x = SPINLOCK_INIT("ld-test-X");
static spinlock_t ld_y = SPINLOCK_INIT("ld-test-Y");
static spinlock_t ld_z = SPINLOCK_INIT("ld-test-Z");

KTEST(lockdep, same_order_no_report)
{
    uint64_t before = lockdep_inversion_count();

    if (!BASALT_DEBUG)
        return;
    for (int i = 0; i < 3; i++) {
        spin_lock(&ld_a);
        spin_lock(&ld_b);
        spin_unlock(&ld_b);
        spin_unlock(&ld_a);
    }
    KT_EXPECT_EQ(lockdep_inversion_count(), before);
}

KTEST(lockdep, spin_inversion_reported_once)
{
    uint64_t before = lockdep_inversion_count();

    if (!BASALT_DEBUG || !lockdep_enabled())
        return;
    spin_lock(&ld_e);               /* E then F */
    spin_lock(&ld_f);
    spin_unlock(&ld_f);
    spin_unlock(&ld_e);
    spin_lock(&ld_f);               /* F then E: inversion */
    spin_lock(&ld_e);
    spin_unlock(&ld_e);
    spin_unlock(&ld_f);
    KT_EXPECT_EQ(lockdep_inversion_count(), before + 1);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "lock order inversion") != NULL);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "ld-test-F then ld-test-E here") != NULL);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "but ld-test-E then ld-test-F at") != NULL);
    spin_lock(&ld_f);               /* once per pair */
    spin_lock(&ld_e);
    spin_unlock(&ld_e);
    spin_unlock(&ld_f);
    KT_EXPECT_EQ(lockdep_inversion_count(), before + 1);
}

KTEST(lockdep, transitive_inversion_reported)
{
    uint64_t before = lockdep_inversion_count();

    if (!BASALT_DEBUG || !lockdep_enabled())
        return;
    spin_lock(&ld_x);               /* X then Y, Y then Z */
    spin_lock(&ld_y);
    spin_unlock(&ld_y);
    spin_unlock(&ld_x);
    spin_lock(&ld_y);
    spin_lock(&ld_z);
    spin_unlock(&ld_z);
    spin_unlock(&ld_y);
    KT_EXPECT_EQ(lockdep_inversion_count(), before);
    spin_lock(&ld_z);               /* Z then X closes X -> Y -> Z -> X */
    spin_lock(&ld_x);
    spin_unlock(&ld_x);
    spin_unlock(&ld_z);
    KT_EXPECT_EQ(lockdep_inversion_count(), before + 1);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "ld-test-Z then ld-test-X here") != NULL);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "but ld-test-X then ld-test-Y at") != NULL);
}

static struct mutex ld_m1 = MUTEX_INIT("ld-test-M1");
static struct mutex ld_m2 = MUTEX_INIT("ld-test-M2");

KTEST(lockdep, mutex_inversion_reported)
{
    uint64_t before = lockdep_inversion_count();

    if (!BASALT_DEBUG || !lockdep_enabled())
        return;
    mutex_lock(&ld_m1);
    mutex_lock(&ld_m2);
    mutex_unlock(&ld_m2);
    mutex_unlock(&ld_m1);
    KT_EXPECT_EQ(lockdep_inversion_count(), before);
    mutex_lock(&ld_m2);
    mutex_lock(&ld_m1);
    mutex_unlock(&ld_m1);
    mutex_unlock(&ld_m2);
    KT_EXPECT_EQ(lockdep_inversion_count(), before + 1);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "ld-test-M2 then ld-test-M1 here") != NULL);
}

/* ---- sleeping in an interrupt handler -------------------------------------- */

struct irq_sleeper {
    struct mutex *m;
    volatile int result;
    volatile bool ran;
};

static bool sleep_in_handler(void *ctx)
{
    struct irq_sleeper *s = ctx;
    s->result = mutex_lock(s->m);   /* an interrupt handler may never block */
    s->ran = true;
    return true;
}

KTEST(lockdep, sleep_in_interrupt_handler_refused)
{
    static struct mutex m = MUTEX_INIT("ld-irq-mutex");
    struct irq_sleeper s = { &m, 1, false };
    uint64_t before = lockdep_atomic_sleep_count(), flags;
    uint8_t vector;
    int h;

    if (!BASALT_DEBUG)
        return;
    h = irq_request_vector(sleep_in_handler, &s, "ktest-irq-sleep", &vector);
    KT_ASSERT_GE(h, 0);
    flags = irq_save();
    irq_enable();
    apic_send_self_ipi(vector);
    for (int i = 0; i < 100000 && !s.ran; i++)
        cpu_relax();
    irq_restore(flags);
    if (!(flags & RFLAGS_IF))
        irq_disable();
    irq_free(h);
    KT_ASSERT_TRUE(s.ran);
    KT_EXPECT_EQ(s.result, -EDEADLK);
    KT_EXPECT_EQ(lockdep_atomic_sleep_count(), before + 1);
    KT_EXPECT_TRUE(strstr(lockdep_last_report(), "sleeping while atomic") != NULL);
    KT_EXPECT_TRUE(m.owner == NULL);         /* not taken */
}
