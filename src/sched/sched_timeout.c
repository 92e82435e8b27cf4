/*
 * src/sched/sched_timeout.c - the one timeout list of all CPUs: deadlines
 * that wake a blocked thread or call a callback (struct sched_timeout, see
 * include/sched/sched.h), fired by sched_tick on any CPU.
 *
 * Part of sched, beside sched.c (whose tick calls sched_timeouts_tick).
 * Lock legend: [timeouts_lock] the list lock; [a] read with an atomic load
 * without it. Lock order: see include/sched/sched.h.
 */
#include <sched/sched.h>
#include <core/atomic.h>
#include <core/spinlock.h>
#include "sched_internal.h"

static spinlock_t timeouts_lock = SPINLOCK_INIT("timeouts_lock");
static struct sched_timeout *timeouts;      /* [timeouts_lock] sorted by deadline */
static uint64_t timeouts_next = UINT64_MAX; /* [timeouts_lock] written, [a] read: first deadline */

/* Links to in deadline order. timeouts_lock held. */
static void timeout_insert_locked(struct sched_timeout *to, uint64_t deadline_ns)
{
    struct sched_timeout **pp = &timeouts;

    spin_assert_held(&timeouts_lock);
    to->deadline = deadline_ns;
    to->fired = false;
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    to->next = *pp;
    *pp = to;
    to->armed = true;
    atomic_store(&timeouts_next, timeouts->deadline);
}

void sched_timeout_arm(struct sched_timeout *to, struct thread *t, uint64_t deadline_ns)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);

    to->t = t;
    to->fire = NULL;
    timeout_insert_locked(to, deadline_ns);
    spin_unlock_irqrestore(&timeouts_lock, f);
}

void sched_timeout_arm_fn(struct sched_timeout *to, sched_timeout_fire_fn fire,
                          uint64_t deadline_ns)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);

    to->t = NULL;
    to->fire = fire;
    timeout_insert_locked(to, deadline_ns);
    spin_unlock_irqrestore(&timeouts_lock, f);
}

/* Unlinks to if armed. timeouts_lock held. Returns true if it was armed. */
static bool timeout_remove_locked(struct sched_timeout *to)
{
    spin_assert_held(&timeouts_lock);
    if (!to->armed)
        return false;
    for (struct sched_timeout **pp = &timeouts; *pp; pp = &(*pp)->next)
        if (*pp == to) {
            *pp = to->next;
            break;
        }
    to->armed = false;
    atomic_store(&timeouts_next, timeouts ? timeouts->deadline : UINT64_MAX);
    return true;
}

bool sched_timeout_disarm(struct sched_timeout *to)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);
    bool fired;

    timeout_remove_locked(to);
    fired = to->fired;
    spin_unlock_irqrestore(&timeouts_lock, f);
    return fired;
}

bool sched_timeout_cancel(struct sched_timeout *to)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);
    bool removed = timeout_remove_locked(to);

    spin_unlock_irqrestore(&timeouts_lock, f);
    return removed;
}

unsigned sched_timeout_count(void)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);
    unsigned n = 0;

    for (struct sched_timeout *to = timeouts; to; to = to->next)
        n += !to->fire;
    spin_unlock_irqrestore(&timeouts_lock, f);
    return n;
}

bool sched_timeout_armed(struct sched_timeout *to)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);
    bool armed = to->armed;

    spin_unlock_irqrestore(&timeouts_lock, f);
    return armed;
}

/* See sched_internal.h. */
void sched_timeouts_tick(uint64_t now)
{
    if (atomic_load(&timeouts_next) > now || !spin_trylock(&timeouts_lock))
        return;
    while (timeouts && timeouts->deadline <= now) {
        struct sched_timeout *to = timeouts;

        timeouts = to->next;
        to->armed = false;
        to->fired = true;
        /* to's owner waits in sched_timeout_disarm for this lock: to stays valid */
        if (to->fire)
            to->fire(to);
        else
            sched_wake(to->t);
    }
    atomic_store(&timeouts_next, timeouts ? timeouts->deadline : UINT64_MAX);
    spin_unlock(&timeouts_lock);
}
