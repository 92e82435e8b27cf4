/*
 * src/sched/tests/spin_ktests.c - ktests of the spinlocks and their debug reports.
 *
 * Part of sched's ktests. The recursion and unlock-not-held reports are
 * provoked on purpose and checked through spin_debug_error_count (debug
 * builds only; release builds do not check).
 */
#include <core/ktest.h>
#include <core/string.h>
#include <core/x86.h>
#include <core/cpu.h>
#include <core/time.h>
#include <sched/sched.h>
#include <core/spinlock.h>
#include <sched/thread.h>

KTEST(spin, lock_unlock_preempt_count)
{
    spinlock_t l = SPINLOCK_INIT("test");
    uint32_t before = preempt_count();

    KT_EXPECT_FALSE(spin_is_locked(&l));
    spin_lock(&l);
    KT_EXPECT_TRUE(spin_is_locked(&l));
    KT_EXPECT_TRUE(spin_held_here(&l));
    KT_EXPECT_EQ(preempt_count(), before + 1);
    KT_EXPECT_FALSE(spin_trylock(&l));
    spin_unlock(&l);
    KT_EXPECT_FALSE(spin_is_locked(&l));
    KT_EXPECT_EQ(preempt_count(), before);
    KT_EXPECT_TRUE(spin_trylock(&l));
    spin_unlock(&l);
}

KTEST(spin, irqsave_restores)
{
    spinlock_t l = SPINLOCK_INIT("test-irq");
    uint64_t outer = irq_save(), f;

    irq_enable();
    f = spin_lock_irqsave(&l);
    KT_EXPECT_FALSE(irq_enabled());
    spin_unlock_irqrestore(&l, f);
    KT_EXPECT_TRUE(irq_enabled());
    irq_disable();
    f = spin_lock_irqsave(&l);
    spin_unlock_irqrestore(&l, f);
    KT_EXPECT_FALSE(irq_enabled());
    irq_restore(outer);
}

KTEST(spin, debug_reports_recursion_and_bad_unlock)
{
    spinlock_t l = SPINLOCK_INIT("provoked");
    uint64_t errors = spin_debug_error_count();
    uint32_t before = preempt_count();

    if (!BASALT_DEBUG)
        return;
    spin_lock(&l);
    spin_lock(&l);                  /* recursion: reported and refused */
    KT_EXPECT_EQ(spin_debug_error_count(), errors + 1);
    KT_EXPECT_TRUE(strstr(spin_debug_last_error(), "recursion") != NULL);
    KT_EXPECT_TRUE(strstr(spin_debug_last_error(), "provoked") != NULL);
    spin_unlock(&l);
    KT_EXPECT_FALSE(spin_is_locked(&l));
    spin_unlock(&l);                /* not held: reported and refused */
    KT_EXPECT_EQ(spin_debug_error_count(), errors + 2);
    KT_EXPECT_TRUE(strstr(spin_debug_last_error(), "not held") != NULL);
    KT_EXPECT_FALSE(spin_is_locked(&l));
    KT_EXPECT_EQ(preempt_count(), before);
}

/* ---- a spinlock held past the debug timeout ---------------------------------- */

struct slow_holder {
    spinlock_t *lock;
    volatile bool holding;
};

static void *hold_for_1200ms(void *arg)
{
    struct slow_holder *h = arg;
    uint64_t end;

    spin_lock(h->lock);
    h->holding = true;
    end = time_ns() + 1200000000ull;
    while (time_ns() < end)
        cpu_relax();                /* busy: a spinlock holder may not sleep */
    spin_unlock(h->lock);
    return NULL;
}

KTEST(spin, debug_reports_a_lock_held_past_the_timeout)
{
    static spinlock_t slow = SPINLOCK_INIT("ktest-slow-holder");
    struct slow_holder h = { &slow, false };
    uint64_t errors = spin_debug_error_count();
    struct thread *t;

    if (!BASALT_DEBUG)
        return;
    if (cpu_count() < 2)
        KT_SKIP("needs a second CPU for the lock holder (%u online)", cpu_count());
    t = thread_create("t-slow", hold_for_1200ms, &h, THREAD_CPU(1));
    KT_ASSERT_NOT_NULL(t);
    while (!h.holding)
        sched_yield();
    spin_lock(&slow);               /* spins past 1 s: reported, then acquired */
    spin_unlock(&slow);
    KT_EXPECT_EQ(thread_join(t, NULL), 0);
    KT_EXPECT_GE(spin_debug_error_count(), errors + 1);
    KT_EXPECT_TRUE(strstr(spin_debug_last_error(), "spun for over a second") != NULL);
    KT_EXPECT_TRUE(strstr(spin_debug_last_error(), "ktest-slow-holder") != NULL);
}
