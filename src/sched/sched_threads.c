/*
 * src/sched/sched_threads.c - the registry of every thread (for thread_count,
 * the shell's listing, the task dump and /proc/<id>); thread ids.
 *
 * Part of sched. Lock legend: [threads_lock] the registry lock, last in the
 * lock order (include/sched/sched.h).
 */
#include <sched/sched.h>
#include <sched/thread.h>
#include <core/spinlock.h>
#include <core/errno.h>
#include <core/string.h>
#include "sched_internal.h"

static spinlock_t threads_lock = SPINLOCK_INIT("threads_lock");
static struct thread *all_threads;          /* [threads_lock] */
static unsigned nr_threads;                 /* [threads_lock] */
static int last_tid;                        /* [threads_lock] the last id given */

void sched_thread_register(struct thread *t)
{
    struct thread *me = thread_self();
    uint64_t f = spin_lock_irqsave(&threads_lock);

    t->tid = ++last_tid;
    t->ptid = (me && me != t) ? me->tid : 0;
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
            .wait_reason = t->wait_reason, .tid = t->tid, .ptid = t->ptid,
            .run_state = t->state, .switches = t->switches };
        strlcpy(out[n].name, t->name, sizeof(out[n].name));
    }
    spin_unlock_irqrestore(&threads_lock, f);
    return n;
}

int sched_thread_info(int tid, struct sched_thread_info *out)
{
    uint64_t f = spin_lock_irqsave(&threads_lock);
    int err = -ENOENT;

    for (struct thread *t = all_threads; t; t = t->all_next) {
        if (t->tid != tid)
            continue;
        *out = (struct sched_thread_info){
            .state = thread_state_name((enum thread_state)t->state), .cpu = t->cpu,
            .wait_reason = t->wait_reason, .tid = t->tid, .ptid = t->ptid,
            .run_state = t->state, .switches = t->switches };
        strlcpy(out->name, t->name, sizeof(out->name));
        err = 0;
        break;
    }
    spin_unlock_irqrestore(&threads_lock, f);
    return err;
}

int sched_last_tid(void)
{
    uint64_t f = spin_lock_irqsave(&threads_lock);
    int id = last_tid;

    spin_unlock_irqrestore(&threads_lock, f);
    return id;
}

int thread_tid(void)
{
    struct thread *me = thread_self();

    return me ? me->tid : 0;
}

struct thread *sched_threads_first_unlocked(void)
{
    return all_threads;
}
