/*
 * src/sched/sched_timeout.c - the one timeout list of all CPUs: deadlines
 * that wake a blocked thread or call a callback (struct sched_timeout, see
 * include/sched/sched.h), fired by sched_tick on any CPU.
 *
 * Part of sched, beside sched.c (whose tick calls sched_timeouts_tick). The
 * list itself (order, removal, popping the due entries) is the pure
 * sched/timeout_list; this file adds its lock, the fired flag and the
 * firing. Lock legend: [timeouts_lock] the list lock, held around every
 * timeout_list call; [a] read with an atomic load without it. Lock order:
 * see include/sched/sched.h.
 */
#include <sched/sched.h>
#include <sched/timeout_list.h>
#include <core/atomic.h>
#include <core/spinlock.h>
#include "sched_internal.h"

static spinlock_t timeouts_lock = SPINLOCK_INIT("timeouts_lock");
static struct timeout_list timeouts = TIMEOUT_LIST_INIT;   /* [timeouts_lock] */
static uint64_t timeouts_next = UINT64_MAX; /* [timeouts_lock] written, [a] read: first deadline */

static struct sched_timeout *to_of(struct timeout_node *n)
{
    return container_of(n, struct sched_timeout, node);
}

/* The tick's lockless check follows the list head. timeouts_lock held. */
static void timeouts_next_update_locked(void)
{
    spin_assert_held(&timeouts_lock);
    atomic_store(&timeouts_next, timeout_list_next(&timeouts));
}

/* Links to in deadline order. timeouts_lock held. */
static void timeout_insert_locked(struct sched_timeout *to, uint64_t deadline_ns)
{
    spin_assert_held(&timeouts_lock);
    to->fired = false;
    /* to must not be armed (the contract); its record may be uninitialised */
    timeout_list_node_init(&to->node);
    (void)timeout_list_insert(&timeouts, &to->node, deadline_ns);
    timeouts_next_update_locked();
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
    if (!timeout_list_remove(&timeouts, &to->node))
        return false;
    timeouts_next_update_locked();
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

    for (struct timeout_node *tn = timeouts.head; tn; tn = tn->next)
        n += !to_of(tn)->fire;
    spin_unlock_irqrestore(&timeouts_lock, f);
    return n;
}

bool sched_timeout_armed(struct sched_timeout *to)
{
    uint64_t f = spin_lock_irqsave(&timeouts_lock);
    bool armed = timeout_list_armed(&to->node);

    spin_unlock_irqrestore(&timeouts_lock, f);
    return armed;
}

/* See sched_internal.h. */
void sched_timeouts_tick(uint64_t now)
{
    struct timeout_node *tn;

    if (atomic_load(&timeouts_next) > now || !spin_trylock(&timeouts_lock))
        return;
    while ((tn = timeout_list_pop_due(&timeouts, now))) {
        struct sched_timeout *to = to_of(tn);

        to->fired = true;
        /* to's owner waits in sched_timeout_disarm for this lock: to stays valid */
        if (to->fire)
            to->fire(to);
        else
            sched_wake(to->t);
    }
    timeouts_next_update_locked();
    spin_unlock(&timeouts_lock);
}
