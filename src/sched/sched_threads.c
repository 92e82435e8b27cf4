/*
 * src/sched/sched_threads.c - the registry of every thread (for thread_count,
 * the shell's listing and the task dump).
 *
 * Part of sched. Lock legend: [threads_lock] the registry lock, last in the
 * lock order (include/sched/sched.h).
 */
#include <sched/sched.h>
#include <sched/thread.h>
#include <core/spinlock.h>
#include <core/string.h>
#include "sched_internal.h"

static spinlock_t threads_lock = SPINLOCK_INIT("threads_lock");
static struct thread *all_threads;          /* [threads_lock] */
static unsigned nr_threads;                 /* [threads_lock] */

void sched_thread_register(struct thread *t)
{
    uint64_t f = spin_lock_irqsave(&threads_lock);

    t->all_next = all_threads;
    all_threads = t;
    nr_threads++;
    spin_unlock_irqrestore(&threads_lock, f);
}

void sched_thread_unregister(struct thread *t)
{
    uint64_t f = spin_lock_irqsave(&threads_lock);

    for (struct thread **pp = &all_threads; *pp; pp = &(*pp)->all_next)
        if (*pp == t) {
            *pp = t->all_next;
            nr_threads--;
            break;
        }
    spin_unlock_irqrestore(&threads_lock, f);
}

unsigned thread_count(void)
{
    return nr_threads;
}

size_t sched_list_threads(struct sched_thread_info *out, size_t max)
{
    uint64_t f = spin_lock_irqsave(&threads_lock);
    size_t n = 0;

    for (struct thread *t = all_threads; t && n < max; t = t->all_next, n++) {
        out[n] = (struct sched_thread_info){
            .state = thread_state_name((enum thread_state)t->state), .cpu = t->cpu,
            .wait_reason = t->wait_reason };
        strlcpy(out[n].name, t->name, sizeof(out[n].name));
    }
    spin_unlock_irqrestore(&threads_lock, f);
    return n;
}

struct thread *sched_threads_first_unlocked(void)
{
    return all_threads;
}
