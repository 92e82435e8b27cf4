/*
 * src/sched/thread.c - creating, joining and freeing kernel threads
 * (see include/sched/thread.h).
 *
 * Part of sched, above sched.c. Stacks come from vmalloc_stack; a few
 * freed ones are kept in a small cache (stack_cache, under stack_lock)
 * because freeing one costs a TLB shootdown on every CPU. Lock order:
 * join_lock -> rq lock; stack_lock and the mm locks are taken with no
 * other sched lock held.
 */
#include <sched/thread.h>
#include <core/lockdep.h>
#include <sched/sched.h>
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/panic.h>
#include <core/string.h>
#include <mm/kmalloc.h>
#include <mm/vmalloc.h>
#include "sched_internal.h"

#define STACK_CACHE_MAX     16
#define THREAD_IDLE_FLAG    0x80000000u     /* internal: CPU 0's idle thread */

static spinlock_t stack_lock = SPINLOCK_INIT("stack_cache");
static void *stack_cache[STACK_CACHE_MAX];  /* [stack_lock] */
static unsigned stack_cached;               /* [stack_lock] */

static spinlock_t reap_lock = SPINLOCK_INIT("reap");
static struct thread *reap_list;            /* [reap_lock] detached threads that exited */

static const char *const state_names[] = {
    [THREAD_RUNNABLE] = "runnable", [THREAD_RUNNING] = "running",
    [THREAD_BLOCKED] = "blocked", [THREAD_WAKING] = "waking",
    [THREAD_SLEEPING] = "sleeping", [THREAD_DEAD] = "dead",
};

const char *thread_state_name(enum thread_state s)
{
    return (unsigned)s < ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

static void *stack_get(void)
{
    void *s = NULL;

    spin_lock(&stack_lock);
    if (stack_cached)
        s = stack_cache[--stack_cached];
    spin_unlock(&stack_lock);
    return s ? s : vmalloc_stack(THREAD_STACK_SIZE, "thread-stack");
}

static void stack_put(void *s)
{
    spin_lock(&stack_lock);
    if (stack_cached < STACK_CACHE_MAX) {
        stack_cache[stack_cached++] = s;
        s = NULL;
    }
    spin_unlock(&stack_lock);
    vfree(s);
}

struct thread *thread_create(const char *name, thread_fn fn, void *arg, unsigned flags)
{
    struct thread *t;
    uintptr_t *sp;
    int pin = (flags & THREAD_PINNED) ? (int)((flags >> 8) & 0xFF) : -1;

    if (!fn || (pin >= 0 && (!cpu_get((unsigned)pin) ||
                             (!(flags & THREAD_IDLE_FLAG) && !cpu_get((unsigned)pin)->online))))
        return NULL;
    sched_reap();
    t = kzalloc(sizeof(*t));
    if (!t)
        return NULL;
    t->fpu_block = kmalloc(sched_fpu_area_size() + 64);
    t->stack = stack_get();
    if (!t->fpu_block || !t->stack) {
        kfree(t->fpu_block);
        if (t->stack)
            stack_put(t->stack);
        kfree(t);
        return NULL;
    }
    t->fpu = (void *)ALIGN_UP((uintptr_t)t->fpu_block, 64);
    sched_fpu_init_area(t->fpu);
    strlcpy(t->name, name ? name : "thread", sizeof(t->name));
    t->fn = fn;
    t->arg = arg;
    t->flags = flags;
    t->affinity = pin;
    t->cpu = -1;
    t->state = THREAD_RUNNABLE;
    spin_init(&t->join_lock, "join");
    wq_init(&t->join_wq, "join");
    /* first switch: pops r15..rbp (r12 = t) and returns into sched_thread_entry */
    sp = (uintptr_t *)((uintptr_t)t->stack + THREAD_STACK_SIZE - 16);
    *--sp = (uintptr_t)sched_thread_entry;
    *--sp = 0;                      /* rbp */
    *--sp = 0;                      /* rbx */
    *--sp = (uintptr_t)t;           /* r12 */
    *--sp = 0;                      /* r13 */
    *--sp = 0;                      /* r14 */
    *--sp = 0;                      /* r15 */
    t->rsp = (uintptr_t)sp;
    sched_thread_register(t);
    if (!(flags & THREAD_IDLE_FLAG))
        sched_enqueue_new(t);
    return t;
}

void thread_free(struct thread *t)
{
    sched_thread_unregister(t);
    stack_put(t->stack);
    kfree(t->fpu_block);
    kfree(t);
}

void thread_exit(void *ret)
{
    struct thread *me = thread_self();
    uint64_t f;

    f = spin_lock_irqsave(&me->join_lock);
    me->ret = ret;
    me->exited = true;
    wq_wake_all_locked(&me->join_wq, &me->join_lock);
    spin_unlock_irqrestore(&me->join_lock, f);
    if (me->flags & THREAD_DETACHED) {
        f = spin_lock_irqsave(&reap_lock);
        /*
         * reuse rq_next: the thread is on no queue any more (all_next is
         * the registry's, which it stays in until thread_free)
         */
        me->rq_next = reap_list;
        reap_list = me;
        spin_unlock_irqrestore(&reap_lock, f);
    }
    sched_exit_current();
}

/* Waits until t's context is gone from every CPU. */
static void wait_off_cpu(struct thread *t)
{
    while (atomic_load_acquire(&t->state) != THREAD_DEAD || atomic_load_acquire(&t->on_cpu))
        sched_yield();
}

int thread_join(struct thread *t, void **ret)
{
    uint64_t f;

    if (!t || (t->flags & THREAD_DETACHED) || t == thread_self())
        return -EINVAL;
    if (BASALT_DEBUG && lockdep_might_sleep("thread_join"))
        return -EDEADLK;
    f = spin_lock_irqsave(&t->join_lock);
    while (!t->exited)
        wq_sleep_locked(&t->join_wq, &t->join_lock, &f);
    spin_unlock_irqrestore(&t->join_lock, f);
    wait_off_cpu(t);
    if (ret)
        *ret = t->ret;
    thread_free(t);
    return 0;
}

void sched_reap(void)
{
    struct thread *list, *next;
    uint64_t f;

    if (!atomic_load(&reap_list))
        return;
    f = spin_lock_irqsave(&reap_lock);
    list = reap_list;
    reap_list = NULL;
    spin_unlock_irqrestore(&reap_lock, f);
    for (struct thread *t = list; t; t = next) {
        next = t->rq_next;
        wait_off_cpu(t);
        thread_free(t);
    }
}

uintptr_t thread_stack_top(const struct thread *t)
{
    return t->stack ? (uintptr_t)t->stack + THREAD_STACK_SIZE : 0;
}
