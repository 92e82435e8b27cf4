/*
 * src/sched/sched.c - the scheduler's home (src/sched, include/sched).
 *
 * Part of sched. Deliberately empty: the foundation runs one thread of
 * control on the boot CPU. Kernel threads, the preemptive scheduler and the
 * locks arrive with the scheduling work.
 */
#include <core/compiler.h>
