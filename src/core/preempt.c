/*
 * src/core/preempt.c - the reschedule hook behind preempt_enable (see
 * include/core/preempt.h).
 *
 * Part of core. The scheduler (sched) sits above core, so core reaches it
 * only through the hook it registers at init; the hook pointer is written
 * once at boot, before other CPUs run, and read without a lock afterwards.
 */
#include <core/preempt.h>

static void (*resched_hook)(void);      /* written once by sched_init */

void preempt_set_resched_hook(void (*fn)(void))
{
    resched_hook = fn;
}

void preempt_resched(void)
{
    void (*fn)(void) = resched_hook;

    if (fn)
        fn();
}
