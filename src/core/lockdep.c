/*
 * src/core/lockdep.c - sleeping-while-atomic reports and the lock-order
 * checker (see include/core/lockdep.h).
 *
 * Part of core, called by spinlock.c and sched's sync.c in Debug builds. The
 * lock-order graph (classes, edges, inversion search: core/lockdep_graph)
 * is under ld_lock, a bare test-and-set lock taken with interrupts off and
 * never tracked. Its edge bitmap is read without it (a stale read only
 * delays a report). Reports are printed after ld_lock is released; a
 * per-CPU busy flag keeps the locks taken while reporting (printk's) from
 * being checked again, so lockdep never recurses into itself.
 */
#include <core/lockdep.h>
#include <core/lockdep_graph.h>
#include <core/preempt.h>
#include <core/spinlock.h>
#include <core/atomic.h>
#include <core/backtrace.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ksym.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/x86.h>

#define REPORT_LEN  200

enum { KIND_SPIN, KIND_MUTEX };

struct ld_cpu {
    unsigned depth;                             /* may exceed LOCKDEP_MAX_HELD */
    struct spinlock *held[LOCKDEP_MAX_HELD];
    bool busy;                                  /* inside a check/report here */
};

static struct ld_cpu ld_cpus[CPU_MAX];

static volatile uint32_t ld_lock;
static struct lockdep_graph ld_graph;           /* [ld] (its lockless readers aside) */

static uint64_t sleep_reports, inversion_reports, overflow_reports;
static char last_report[REPORT_LEN];

uint64_t lockdep_atomic_sleep_count(void) { return atomic_load(&sleep_reports); }
uint64_t lockdep_inversion_count(void) { return atomic_load(&inversion_reports); }
const char *lockdep_last_report(void) { return last_report; }
bool lockdep_enabled(void) { return lockdep_graph_enabled(&ld_graph); }

static const struct lockdep_thread_ops *thread_ops;  /* written once by sched_init */

void lockdep_set_thread_ops(const struct lockdep_thread_ops *ops)
{
    thread_ops = ops;
}

/* The running thread's name, or NULL before the scheduler runs a thread here. */
static const char *thread_name(void)
{
    return thread_ops ? thread_ops->name() : NULL;
}

/* The running thread's held sleeping locks, or NULL when no thread runs here. */
static struct lockdep_held *thread_held(void)
{
    return thread_ops ? thread_ops->held() : NULL;
}

static struct ld_cpu *my_ld(void)
{
    return &ld_cpus[this_cpu()->index];
}

static uint64_t ld_take(void)
{
    uint64_t f = irq_save();

    while (__atomic_exchange_n(&ld_lock, 1, __ATOMIC_ACQUIRE))
        cpu_relax();
    return f;
}

static void ld_give(uint64_t f)
{
    __atomic_store_n(&ld_lock, 0, __ATOMIC_RELEASE);
    irq_restore(f);
}

static void emit(uint64_t *counter, const char *msg)
{
    strlcpy(last_report, msg, sizeof(last_report));
    atomic_inc(counter);
    pr_err("%s", msg);
    backtrace_print();
}

const struct spinlock *lockdep_last_spinlock(void)
{
    struct ld_cpu *c;

    if (!BASALT_DEBUG)
        return NULL;
    c = my_ld();
    if (c->depth == 0 || c->depth > LOCKDEP_MAX_HELD)
        return NULL;
    return c->held[c->depth - 1];
}

int lockdep_might_sleep(const char *what)
{
    const char *me = thread_name();
    uint32_t count;
    bool in_irq;
    const struct spinlock *l;
    char msg[REPORT_LEN];

    if (!BASALT_DEBUG || !me || panic_in_progress())
        return 0;
    count = preempt_count();
    in_irq = cpu_in_irq();
    if (count == 0 && !in_irq)
        return 0;
    l = lockdep_last_spinlock();
    snprintf(msg, sizeof(msg),
             "sleeping while atomic: %s by '%s' on CPU %u (preempt count %u%s%s%s%s)", what,
             me, this_cpu()->index, count, in_irq ? ", in interrupt" : "",
             l ? ", holding spinlock '" : "", l ? (l->name ? l->name : "?") : "", l ? "'" : "");
    my_ld()->busy = true;
    emit(&sleep_reports, msg);
    my_ld()->busy = false;
    return -EDEADLK;
}

/* The report of a table overflow (the graph switched itself off). */
static void overflow_report(const char *what, char *msg)
{
    snprintf(msg, REPORT_LEN, "lockdep: %s table full; lock order checking off", what);
}

/*
 * Class of a lock, looked up once and cached in *cache. -1 when checking is
 * off. May fill msg with an overflow report.
 */
static int lock_class(uint16_t *cache, const char *name, int kind, char *msg)
{
    uint16_t c = atomic_load(cache);
    int cls;
    uint64_t f;

    if (c)
        return c - 1;
    f = ld_take();
    cls = lockdep_graph_class(&ld_graph, name, (unsigned)kind);
    if (cls == -ENOSPC)
        overflow_report("class", msg);
    if (cls >= 0)
        atomic_store(cache, (uint16_t)(cls + 1));
    ld_give(f);
    return cls < 0 ? -1 : cls;
}

/* Acquiring class b while holding class a: record or report. */
static void check_pair(int a, int b, uintptr_t site, char *msg)
{
    struct lockdep_graph_inversion inv;
    uint64_t f;
    int err;

    if (a < 0 || b < 0 || a == b || lockdep_graph_has_edge(&ld_graph, (unsigned)a, (unsigned)b))
        return;
    f = ld_take();
    err = lockdep_graph_add_edge(&ld_graph, a, b, site, &inv);
    if (err == -EDEADLK) {
        char s1[64], s2[64];
        ksym_format(site, s1, sizeof(s1));
        ksym_format(inv.hop_site, s2, sizeof(s2));
        snprintf(msg, REPORT_LEN,
                 "lockdep: lock order inversion: %s then %s here (%s), but %s then %s at %s",
                 lockdep_graph_class_name(&ld_graph, (unsigned)a),
                 lockdep_graph_class_name(&ld_graph, (unsigned)b), s1,
                 lockdep_graph_class_name(&ld_graph, (unsigned)b),
                 lockdep_graph_class_name(&ld_graph, inv.hop), s2);
    } else if (err == -ENOSPC) {
        overflow_report("edge", msg);
    }
    ld_give(f);
}

/* Checks class b against every lock held here (spinlocks of this CPU, mutexes of the thread). */
static void check_held(int b, uintptr_t site, char *msg)
{
    struct ld_cpu *c = my_ld();
    struct lockdep_held *me = thread_held();
    unsigned n = c->depth < LOCKDEP_MAX_HELD ? c->depth : LOCKDEP_MAX_HELD;

    for (unsigned i = 0; i < n && !msg[0]; i++)
        check_pair(c->held[i]->ld_class - 1, b, site, msg);
    if (me && !cpu_in_irq()) {
        unsigned m = me->n < LOCKDEP_MAX_HELD_SLEEPING ? me->n : LOCKDEP_MAX_HELD_SLEEPING;
        for (unsigned i = 0; i < m && !msg[0]; i++)
            check_pair(*me->cls[i] - 1, b, site, msg);
    }
}

static void check_and_report(uint16_t *cache, const char *name, int kind, uintptr_t site)
{
    struct ld_cpu *c = my_ld();
    char msg[REPORT_LEN];
    int cls;

    if (c->busy || !lockdep_graph_enabled(&ld_graph) || panic_in_progress())
        return;
    c->busy = true;
    msg[0] = 0;
    cls = lock_class(cache, name, kind, msg);
    if (cls >= 0)
        check_held(cls, site, msg);
    if (msg[0])
        emit(strstr(msg, "inversion") ? &inversion_reports : &overflow_reports, msg);
    c->busy = false;
}

void lockdep_spin_acquire(struct spinlock *l, uintptr_t site, bool check)
{
    struct ld_cpu *c = my_ld();

    if (check)
        check_and_report(&l->ld_class, l->name, KIND_SPIN, site);
    else if (!c->busy && lockdep_graph_enabled(&ld_graph))
        (void)lock_class(&l->ld_class, l->name, KIND_SPIN, (char[REPORT_LEN]){ 0 });
    if (c->depth < LOCKDEP_MAX_HELD)
        c->held[c->depth] = l;
    c->depth++;
}

void lockdep_spin_release(struct spinlock *l)
{
    struct ld_cpu *c = my_ld();

    if (c->depth == 0)
        return;
    if (c->depth > LOCKDEP_MAX_HELD) {
        c->depth--;
        return;
    }
    for (unsigned i = c->depth; i-- > 0;)
        if (c->held[i] == l) {
            memmove(&c->held[i], &c->held[i + 1], (c->depth - 1 - i) * sizeof(c->held[0]));
            c->depth--;
            return;
        }
}

void lockdep_sleeping_acquire(const void *lock, uint16_t *cls, const char *name,
                              uintptr_t site, bool check)
{
    struct lockdep_held *me = thread_held();

    if (!me)
        return;
    if (check)
        check_and_report(cls, name, KIND_MUTEX, site);
    else if (!my_ld()->busy && lockdep_graph_enabled(&ld_graph))
        (void)lock_class(cls, name, KIND_MUTEX, (char[REPORT_LEN]){ 0 });
    if (me->n < LOCKDEP_MAX_HELD_SLEEPING) {
        me->lock[me->n] = lock;
        me->cls[me->n] = cls;
    }
    me->n++;
}

void lockdep_sleeping_release(const void *lock)
{
    struct lockdep_held *me = thread_held();

    if (!me || me->n == 0)
        return;
    if (me->n > LOCKDEP_MAX_HELD_SLEEPING) {
        me->n--;
        return;
    }
    for (unsigned i = me->n; i-- > 0;)
        if (me->lock[i] == lock) {
            memmove(&me->lock[i], &me->lock[i + 1], (me->n - 1 - i) * sizeof(me->lock[0]));
            memmove(&me->cls[i], &me->cls[i + 1], (me->n - 1 - i) * sizeof(me->cls[0]));
            me->n--;
            return;
        }
}
