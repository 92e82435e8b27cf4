/*
 * src/sched/sched.c - the scheduler (placeholder until the threads land).
 */
#include <sched/preempt.h>

void sched_preempt_check(void)
{
}
