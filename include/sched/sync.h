/*
 * include/sched/sync.h - sleeping locks and synchronisation objects.
 *
 * Part of sched, built on wait queues (include/sched/wait.h). Every object
 * has one spinlock, its "guard" (taken irqsave), protecting all of its
 * fields [g] and its wait queues. Everything here may sleep except the
 * *_try* forms, completion_done/complete and chan_try_send/chan_try_recv,
 * which are usable from interrupt handlers. Errors: 0 or -errno.
 *
 * Debug builds: a blocking call made with a spinlock held, preemption off
 * or in an interrupt handler is reported and refused with -EDEADLK
 * (include/core/lockdep.h); mutexes are lock-order checked.
 *
 * Lock order: a guard is taken after any mutex the caller holds and before
 * the rq locks (sched_wake). A mutex may be held while sleeping.
 */
#ifndef BASALT_SCHED_SYNC_H
#define BASALT_SCHED_SYNC_H

#include <core/compiler.h>
#include <sched/wait.h>

struct thread;

/* ---- mutex: one owner, sleeps when taken; unlock by a non-owner is reported. */
struct mutex {
    spinlock_t guard;
    struct thread *owner;           /* [g] */
    struct wait_queue wq;           /* [g] */
    const char *name;               /* constant after init */
    uint16_t ld_class;              /* lockdep class + 1, 0 = not looked up yet [ld] (core/spinlock.h) */
};
#define MUTEX_INIT(name_) { .guard = SPINLOCK_INIT(name_), .owner = NULL, \
                               .wq = WAIT_QUEUE_INIT(name_), .name = (name_) }
/* The *_init functions: any context, no lock; the object must not be in use yet. */
void mutex_init(struct mutex *m, const char *name);
/* Returns 0, or -EDEADLK (debug builds: called in atomic context, not taken). */
int mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
/* Returns 0, or -EPERM (reported, nothing changed) when the caller is not the owner. */
int mutex_unlock(struct mutex *m);
bool mutex_held_by_me(struct mutex *m);

/* Helpers that need a mutex held assert it with this (debug builds). */
#define mutex_assert_held(m)                                                    \
    do {                                                                        \
        if (BASALT_DEBUG && !mutex_held_by_me(m))                               \
            panic("%s: mutex %s not held by this thread", __func__, (m)->name); \
    } while (0)
/* Misuses reported so far (unlock by a non-owner, ...). Any context; no lock. */
uint64_t mutex_error_count(void);

/* ---- counting semaphore */
struct semaphore {
    spinlock_t guard;
    long count;                     /* [g] */
    struct wait_queue wq;           /* [g] */
};
void sem_init(struct semaphore *s, long count, const char *name);
/* 0, or -EDEADLK (atomic context, debug builds). */
int sem_down(struct semaphore *s);
bool sem_trydown(struct semaphore *s);
void sem_up(struct semaphore *s);

/* ---- condition variable (used with a mutex) */
struct condvar {
    spinlock_t guard;
    struct wait_queue wq;           /* [g] */
};
void cond_init(struct condvar *c, const char *name);
/*
 * Entry and exit: m held by the caller. Wake-ups may be spurious: loop.
 * Returns 0, or -EDEADLK (atomic context, debug builds; m still held).
 */
int cond_wait(struct condvar *c, struct mutex *m);
void cond_signal(struct condvar *c);
void cond_broadcast(struct condvar *c);

/* ---- completion: one event, waited for by any number */
struct completion {
    spinlock_t guard;
    unsigned done;                  /* [g] */
    struct wait_queue wq;           /* [g] */
};
void completion_init(struct completion *c, const char *name);
/* 0, or -EDEADLK (atomic context, debug builds). */
int completion_wait(struct completion *c);
/*
 * Waits at most timeout_ns (tick resolution) for the completion. Returns 0
 * (one done count taken, at once if already done), -ETIMEDOUT (nothing
 * taken, the caller is off the queue: a later complete() goes to another
 * waiter or stays counted), or -EDEADLK (atomic context, debug builds).
 */
int completion_wait_timeout(struct completion *c, uint64_t timeout_ns);
void complete(struct completion *c);            /* wakes one waiter */
void complete_all(struct completion *c);
bool completion_done(struct completion *c);

/* ---- bounded MPMC channel of pointers */
struct chan {
    spinlock_t guard;
    void **slots;                   /* [g] ring of cap entries */
    size_t cap, head, count;        /* [g] */
    bool closed;                    /* [g] */
    struct wait_queue not_full;     /* [g] senders */
    struct wait_queue not_empty;    /* [g] receivers */
};
/* Returns 0 or -ENOMEM / -EINVAL (cap 0). */
int chan_init(struct chan *ch, size_t cap, const char *name);
void chan_destroy(struct chan *ch);
/* Blocks while full. Returns 0, or -EPIPE once closed (-EDEADLK: atomic context). */
int chan_send(struct chan *ch, void *item);
/* Never blocks (interrupt handlers): 0, -EAGAIN (full) or -EPIPE. */
int chan_try_send(struct chan *ch, void *item);
/* Blocks while empty. Returns 0, -EPIPE when closed and drained, or -EDEADLK. */
int chan_recv(struct chan *ch, void **item);
int chan_try_recv(struct chan *ch, void **item);
/* Wakes everyone; later sends fail, receives drain what is left. */
void chan_close(struct chan *ch);

#endif
