/*
 * src/sched/sync.c - mutexes, semaphores, condition variables, completions,
 * channels (see include/sched/sync.h).
 *
 * Part of sched, above wait.c. Every operation takes the object's guard
 * with spin_lock_irqsave, checks its condition in a loop around
 * wq_sleep_locked, and releases the guard.
 */
#include <sched/sync.h>
#include <core/lockdep.h>
#include <sched/thread.h>
#include <core/atomic.h>
#include <core/backtrace.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/time.h>
#include <mm/kmalloc.h>

static uint64_t mutex_errors;

void mutex_init(struct mutex *m, const char *name)
{
    *m = (struct mutex)MUTEX_INIT(name);
}

int mutex_lock(struct mutex *m)
{
    struct thread *me = thread_self();
    uint64_t f;

    if (BASALT_DEBUG) {
        if (lockdep_might_sleep("mutex_lock"))
            return -EDEADLK;
        lockdep_sleeping_acquire(m, &m->ld_class, m->name, (uintptr_t)__builtin_return_address(0), true);
    }
    f = spin_lock_irqsave(&m->guard);
    while (m->owner)
        wq_sleep_locked(&m->wq, &m->guard, &f);
    m->owner = me;
    spin_unlock_irqrestore(&m->guard, f);
    return 0;
}

bool mutex_trylock(struct mutex *m)
{
    uint64_t f = spin_lock_irqsave(&m->guard);
    bool got = m->owner == NULL;

    if (got)
        m->owner = thread_self();
    spin_unlock_irqrestore(&m->guard, f);
    if (BASALT_DEBUG && got)
        lockdep_sleeping_acquire(m, &m->ld_class, m->name, (uintptr_t)__builtin_return_address(0), false);
    return got;
}

int mutex_unlock(struct mutex *m)
{
    struct thread *me = thread_self();
    uint64_t f = spin_lock_irqsave(&m->guard);

    if (m->owner != me) {
        struct thread *o = m->owner;
        spin_unlock_irqrestore(&m->guard, f);
        atomic_inc(&mutex_errors);
        pr_err("mutex_unlock: '%s' unlocked by '%s', owner '%s'", m->name,
               me ? me->name : "?", o ? o->name : "(none)");
        backtrace_print();
        return -EPERM;
    }
    m->owner = NULL;
    if (BASALT_DEBUG)
        lockdep_sleeping_release(m);
    wq_wake_one_locked(&m->wq, &m->guard);
    spin_unlock_irqrestore(&m->guard, f);
    return 0;
}

bool mutex_held_by_me(struct mutex *m)
{
    return m->owner == thread_self();
}

uint64_t mutex_error_count(void)
{
    return atomic_load(&mutex_errors);
}

void sem_init(struct semaphore *s, long count, const char *name)
{
    spin_init(&s->guard, name);
    s->count = count;
    wq_init(&s->wq, name);
}

int sem_down(struct semaphore *s)
{
    uint64_t f;

    if (BASALT_DEBUG && lockdep_might_sleep("sem_down"))
        return -EDEADLK;
    f = spin_lock_irqsave(&s->guard);
    while (s->count <= 0)
        wq_sleep_locked(&s->wq, &s->guard, &f);
    s->count--;
    spin_unlock_irqrestore(&s->guard, f);
    return 0;
}

bool sem_trydown(struct semaphore *s)
{
    uint64_t f = spin_lock_irqsave(&s->guard);
    bool got = s->count > 0;

    if (got)
        s->count--;
    spin_unlock_irqrestore(&s->guard, f);
    return got;
}

void sem_up(struct semaphore *s)
{
    uint64_t f = spin_lock_irqsave(&s->guard);

    s->count++;
    wq_wake_one_locked(&s->wq, &s->guard);
    spin_unlock_irqrestore(&s->guard, f);
}

void cond_init(struct condvar *c, const char *name)
{
    spin_init(&c->guard, name);
    wq_init(&c->wq, name);
}

int cond_wait(struct condvar *c, struct mutex *m)
{
    uint64_t f;

    if (BASALT_DEBUG && lockdep_might_sleep("cond_wait"))
        return -EDEADLK;
    f = spin_lock_irqsave(&c->guard);

    /* queued before the mutex goes: a signal after mutex_unlock is not lost */
    mutex_unlock(m);
    wq_sleep_locked(&c->wq, &c->guard, &f);
    spin_unlock_irqrestore(&c->guard, f);
    return mutex_lock(m);
}

void cond_signal(struct condvar *c)
{
    uint64_t f = spin_lock_irqsave(&c->guard);

    wq_wake_one_locked(&c->wq, &c->guard);
    spin_unlock_irqrestore(&c->guard, f);
}

void cond_broadcast(struct condvar *c)
{
    uint64_t f = spin_lock_irqsave(&c->guard);

    wq_wake_all_locked(&c->wq, &c->guard);
    spin_unlock_irqrestore(&c->guard, f);
}

void completion_init(struct completion *c, const char *name)
{
    spin_init(&c->guard, name);
    c->done = 0;
    wq_init(&c->wq, name);
}

int completion_wait(struct completion *c)
{
    uint64_t f;

    if (BASALT_DEBUG && lockdep_might_sleep("completion_wait"))
        return -EDEADLK;
    f = spin_lock_irqsave(&c->guard);

    while (!c->done)
        wq_sleep_locked(&c->wq, &c->guard, &f);
    if (c->done != UINT32_MAX)
        c->done--;
    spin_unlock_irqrestore(&c->guard, f);
    return 0;
}

int completion_wait_timeout(struct completion *c, uint64_t timeout_ns)
{
    uint64_t f, now, deadline;
    bool timed_out = false;
    int err = 0;

    if (BASALT_DEBUG && lockdep_might_sleep("completion_wait_timeout"))
        return -EDEADLK;
    now = time_ns();
    deadline = timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
    f = spin_lock_irqsave(&c->guard);

    while (!c->done && !timed_out)
        timed_out = wq_sleep_locked_timeout(&c->wq, &c->guard, &f, deadline);
    if (!c->done)
        err = -ETIMEDOUT;
    else if (c->done != UINT32_MAX)
        c->done--;
    spin_unlock_irqrestore(&c->guard, f);
    return err;
}

void complete(struct completion *c)
{
    uint64_t f = spin_lock_irqsave(&c->guard);

    if (c->done != UINT32_MAX)
        c->done++;
    wq_wake_one_locked(&c->wq, &c->guard);
    spin_unlock_irqrestore(&c->guard, f);
}

void complete_all(struct completion *c)
{
    uint64_t f = spin_lock_irqsave(&c->guard);

    c->done = UINT32_MAX;
    wq_wake_all_locked(&c->wq, &c->guard);
    spin_unlock_irqrestore(&c->guard, f);
}

bool completion_done(struct completion *c)
{
    return atomic_load(&c->done) != 0;
}

int chan_init(struct chan *ch, size_t cap, const char *name)
{
    if (!cap)
        return -EINVAL;
    ch->slots = kmalloc(cap * sizeof(void *));
    if (!ch->slots)
        return -ENOMEM;
    spin_init(&ch->guard, name);
    ch->cap = cap;
    ch->head = ch->count = 0;
    ch->closed = false;
    wq_init(&ch->not_full, name);
    wq_init(&ch->not_empty, name);
    return 0;
}

void chan_destroy(struct chan *ch)
{
    kfree(ch->slots);
    ch->slots = NULL;
}

/* Guard held, room known. */
static void put_locked(struct chan *ch, void *item)
{
    spin_assert_held(&ch->guard);
    ch->slots[(ch->head + ch->count) % ch->cap] = item;
    ch->count++;
    wq_wake_one_locked(&ch->not_empty, &ch->guard);
}

/* Guard held, an item known to be there. */
static void *take_locked(struct chan *ch)
{
    void *item = ch->slots[ch->head];

    spin_assert_held(&ch->guard);
    ch->head = (ch->head + 1) % ch->cap;
    ch->count--;
    wq_wake_one_locked(&ch->not_full, &ch->guard);
    return item;
}

int chan_send(struct chan *ch, void *item)
{
    uint64_t f;
    int err = 0;

    if (BASALT_DEBUG && lockdep_might_sleep("chan_send"))
        return -EDEADLK;
    f = spin_lock_irqsave(&ch->guard);

    while (ch->count == ch->cap && !ch->closed)
        wq_sleep_locked(&ch->not_full, &ch->guard, &f);
    if (ch->closed)
        err = -EPIPE;
    else
        put_locked(ch, item);
    spin_unlock_irqrestore(&ch->guard, f);
    return err;
}

int chan_try_send(struct chan *ch, void *item)
{
    uint64_t f = spin_lock_irqsave(&ch->guard);
    int err = ch->closed ? -EPIPE : ch->count == ch->cap ? -EAGAIN : 0;

    if (!err)
        put_locked(ch, item);
    spin_unlock_irqrestore(&ch->guard, f);
    return err;
}

int chan_recv(struct chan *ch, void **item)
{
    uint64_t f;
    int err = 0;

    if (BASALT_DEBUG && lockdep_might_sleep("chan_recv"))
        return -EDEADLK;
    f = spin_lock_irqsave(&ch->guard);

    while (ch->count == 0 && !ch->closed)
        wq_sleep_locked(&ch->not_empty, &ch->guard, &f);
    if (ch->count)
        *item = take_locked(ch);
    else
        err = -EPIPE;
    spin_unlock_irqrestore(&ch->guard, f);
    return err;
}

int chan_try_recv(struct chan *ch, void **item)
{
    uint64_t f = spin_lock_irqsave(&ch->guard);
    int err = ch->count ? 0 : ch->closed ? -EPIPE : -EAGAIN;

    if (!err)
        *item = take_locked(ch);
    spin_unlock_irqrestore(&ch->guard, f);
    return err;
}

void chan_close(struct chan *ch)
{
    uint64_t f = spin_lock_irqsave(&ch->guard);

    ch->closed = true;
    wq_wake_all_locked(&ch->not_full, &ch->guard);
    wq_wake_all_locked(&ch->not_empty, &ch->guard);
    spin_unlock_irqrestore(&ch->guard, f);
}
