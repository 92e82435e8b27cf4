/*
 * include/core/preempt.h - the per-CPU preemption count.
 *
 * Part of core, below the spinlocks. A CPU whose struct cpu preempt_count
 * is above 0 is never switched away from by the tick (sched/sched.c checks
 * it at the preemption point at the end of irq_dispatch); spin_lock raises
 * it and spin_unlock lowers it. The count is per CPU and changed by single
 * gs-relative instructions, so a thread that has not disabled preemption
 * yet cannot be migrated half-way through the increment. When the count
 * drops back to 0 with a reschedule pending, preempt_enable switches
 * right there (if interrupts are on).
 */
#ifndef BASALT_CORE_PREEMPT_H
#define BASALT_CORE_PREEMPT_H

#include <core/compiler.h>
#include <core/cpu.h>

/*
 * Registers the function that runs a pending reschedule if preemption and
 * interrupts allow (the scheduler's, once, at its init). Called with
 * preemption enabled, from any context; it must itself check that it may
 * switch (interrupts on, a thread running).
 */
void preempt_set_resched_hook(void (*fn)(void));

/* Calls the reschedule hook, if one is registered (the slow path below). */
void preempt_resched(void);

static inline void preempt_disable(void)
{
    x86_gs_inc32(offsetof(struct cpu, preempt_count));
    barrier();
}

/* Lowers the count without acting on a pending reschedule. */
static inline void preempt_enable_no_resched(void)
{
    barrier();
    x86_gs_dec32(offsetof(struct cpu, preempt_count));
}

static inline void preempt_enable(void)
{
    preempt_enable_no_resched();
    if (unlikely(x86_gs_read32(offsetof(struct cpu, need_resched))))
        preempt_resched();
}

/* This CPU's count (0: preemptible). */
static inline uint32_t preempt_count(void)
{
    return x86_gs_read32(offsetof(struct cpu, preempt_count));
}

#endif
