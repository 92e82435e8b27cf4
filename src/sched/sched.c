/*
 * src/sched/sched.c - per-CPU run queues, the switch, preemption, blocking,
 * sleeping and waking, the tick, idle and stealing, start-up (see
 * include/sched/sched.h). The timeout list is in sched_timeout.c, the
 * thread registry in sched_threads.c, the task dump in sched_dump.c.
 *
 * Part of sched, above spinlock.c and switch.asm, below thread.c and the
 * sleeping primitives. The switch protocol: the outgoing thread takes its
 * CPU's rq lock with interrupts off (preempt count 1), picks the next
 * thread, saves its FPU state and switches stacks; the incoming thread
 * (finish_switch) restores its FPU state, clears the outgoing thread's
 * on_cpu and releases the rq lock (count 0). Because the lock is held
 * across the switch, a thread is never picked by two CPUs, and a waker
 * waits for on_cpu to clear before queueing a thread that is still
 * switching out.
 *
 * Lock legend for struct rq: [rq] its lock. Lock order: see the header.
 */
#include <sched/sched.h>
#include <core/apic.h>
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/irq.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/format.h>
#include <core/time.h>
#include <core/x86.h>
#include <mm/kmalloc.h>
#include <core/errno.h>
#include <core/panic.h>
#include <core/ktest.h>
#include <core/lockdep.h>
#include "sched_internal.h"

struct rq {
    spinlock_t lock;
    struct thread *head, *tail;     /* [rq] runnable, FIFO */
    volatile unsigned nr;           /* [rq] length of the queue (read racily for balancing) */
    struct thread *sleepers;        /* [rq] sleeping threads that last ran here */
    struct thread *prev;            /* [rq] outgoing thread of the switch in flight */
    bool running;                   /* this CPU runs the scheduler */
    uint64_t busy_ticks;            /* [own] ticks that found a thread other than idle running */
    uint64_t idle_ticks;            /* [own] ticks that found the idle thread (read racily) */
    uint32_t load_ticks;            /* [own] CPU 0: ticks since the load averages moved */
};

static struct rq rqs[CPU_MAX];
static struct thread boot_thread;
static uint64_t switches;                   /* [a] */
static uint64_t loadavg[3];                 /* [own] CPU 0's tick writes; read racily */
static bool use_xsave;
static size_t fpu_size = 512;
static bool started;

/* ---- FPU ------------------------------------------------------------------- */

/* This CPU: x87/SSE on (and AVX with xsave when the CPU has them). */
static void fpu_cpu_init(void)
{
    struct cpuid_regs r = cpuid(1, 0);
    uint64_t cr0 = read_cr0();

    cr0 = (cr0 | CR0_MP) & ~(CR0_EM | CR0_TS);
    write_cr0(cr0);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    if (r.ecx & (1u << 26)) {               /* XSAVE */
        uint64_t xcr0 = XCR0_X87 | XCR0_SSE;
        struct cpuid_regs d = cpuid(0xD, 0);
        write_cr4(read_cr4() | CR4_OSXSAVE);
        if ((r.ecx & (1u << 28)) && (d.eax & XCR0_AVX))    /* AVX */
            xcr0 |= XCR0_AVX;
        xsetbv(0, xcr0);
        use_xsave = true;
        d = cpuid(0xD, 0);                  /* EBX: size for the enabled components */
        fpu_size = MAX((size_t)d.ebx, (size_t)576);
    }
}

size_t sched_fpu_area_size(void)
{
    return fpu_size;
}

/* A clean state: x87 control word 0x37F, MXCSR 0x1F80, nothing else in use. */
void sched_fpu_init_area(void *area)
{
    uint8_t *a = area;

    memset(a, 0, fpu_size);
    a[0] = 0x7F;
    a[1] = 0x03;
    uint32_t mxcsr = 0x1F80;
    memcpy(a + 24, &mxcsr, sizeof(mxcsr));
}

/* ---- run queues -------------------------------------------------------------- */

static void rq_push(struct rq *rq, struct thread *t)
{
    t->rq_next = NULL;
    if (rq->tail)
        rq->tail->rq_next = t;
    else
        rq->head = t;
    rq->tail = t;
    rq->nr++;
}

static struct thread *rq_pop(struct rq *rq)
{
    struct thread *t = rq->head;

    if (t) {
        rq->head = t->rq_next;
        if (!rq->head)
            rq->tail = NULL;
        rq->nr--;
        t->rq_next = NULL;
    }
    return t;
}

/* Takes the first thread of rq that may move to another CPU. rq lock held. */
static struct thread *rq_take_movable_locked(struct rq *rq)
{
    struct thread **pp, *prev = NULL;

    spin_assert_held(&rq->lock);
    for (pp = &rq->head; *pp; prev = *pp, pp = &(*pp)->rq_next) {
        struct thread *t = *pp;
        if (t->affinity >= 0 || atomic_load_acquire(&t->on_cpu))
            continue;
        *pp = t->rq_next;
        if (rq->tail == t)
            rq->tail = prev;
        rq->nr--;
        t->rq_next = NULL;
        return t;
    }
    return NULL;
}

static unsigned load_of(unsigned cpu)
{
    struct cpu *c = cpu_get(cpu);

    return rqs[cpu].nr + (c->current != c->idle ? 1 : 0);
}

/* Where t should run: its pinned CPU, else the least loaded one. */
static unsigned select_cpu(struct thread *t)
{
    unsigned best = (t->cpu >= 0 && rqs[t->cpu].running) ? (unsigned)t->cpu : 0, n = cpu_count();

    if (t->affinity >= 0)
        return (unsigned)t->affinity;
    for (unsigned i = 0; i < n; i++)
        if (rqs[i].running && load_of(i) < load_of(best))
            best = i;
    return best;
}

/* Queues a thread that is not running anywhere on CPU cpu and pokes that CPU. */
static void enqueue_on(unsigned cpu, struct thread *t)
{
    struct rq *rq = &rqs[cpu];
    uint64_t f = spin_lock_irqsave(&rq->lock);
    struct cpu *c = cpu_get(cpu);
    bool idle;

    t->cpu = (int)cpu;
    atomic_store(&t->state, THREAD_RUNNABLE);
    rq_push(rq, t);
    idle = c->current == c->idle;
    spin_unlock_irqrestore(&rq->lock, f);
    if (c == this_cpu()) {
        if (idle)
            c->need_resched = 1;
    } else if (idle) {
        apic_send_ipi(c->apic_id, IRQ_VEC_RESCHEDULE);
    }
}

void sched_enqueue_new(struct thread *t)
{
    enqueue_on(select_cpu(t), t);
}

/* ---- the switch -------------------------------------------------------------- */

/* Second half of a switch, run by the incoming thread: interrupts off, rq lock held. */
static void finish_switch(void)
{
    struct cpu *c = this_cpu();
    struct rq *rq = &rqs[c->index];
    struct thread *prev = rq->prev, *me = c->current;

    spin_assert_held(&rq->lock);
    sched_fpu_restore(me->fpu, use_xsave);
    rq->prev = NULL;
    atomic_store_release(&prev->on_cpu, 0);
    spin_unlock(&rq->lock);
}

/*
 * Picks the next thread and switches to it. Entry: interrupts off, this
 * CPU's rq lock held (the only lock held). Exit: interrupts off, no lock.
 */
static void schedule_locked(struct cpu *c, struct rq *rq)
{
    struct thread *prev = c->current, *next;

    spin_assert_held(&rq->lock);
    c->need_resched = 0;
    if (atomic_load(&prev->state) == THREAD_RUNNING && prev != c->idle)
        rq_push(rq, prev);
    next = rq_pop(rq);
    if (!next)
        next = c->idle;
    if (next == prev) {
        atomic_store(&prev->state, THREAD_RUNNING);
        spin_unlock(&rq->lock);
        return;
    }
    if (atomic_load(&prev->state) == THREAD_RUNNING && prev != c->idle)
        atomic_store(&prev->state, THREAD_RUNNABLE);
    atomic_store(&next->state, THREAD_RUNNING);
    next->cpu = (int)c->index;
    next->slice_end = time_ns() + SCHED_SLICE_NS;
    next->switches++;
    atomic_store(&next->on_cpu, 1);
    atomic_inc(&switches);
    rq->prev = prev;
    c->current = next;
    sched_fpu_save(prev->fpu, use_xsave);
    sched_switch_stacks(&prev->rsp, next->rsp);
    finish_switch();
}

/* Interrupts off, no lock held. */
static void schedule(void)
{
    struct cpu *c = this_cpu();
    struct rq *rq = &rqs[c->index];

    spin_lock(&rq->lock);
    schedule_locked(c, rq);
}

__noreturn void sched_thread_start(struct thread *t);
__noreturn void sched_thread_start(struct thread *t)
{
    finish_switch();
    irq_enable();
    thread_exit(t->fn(t->arg));
}

void sched_preempt_check(void)
{
    uint64_t f = irq_save();
    struct cpu *c = this_cpu();

    if ((f & RFLAGS_IF) && c->current && c->need_resched && c->preempt_count == 0)
        schedule();
    irq_restore(f);
}

void sched_irq_exit(void)
{
    struct cpu *c = this_cpu();

    if (c->need_resched && c->preempt_count == 0 && c->current)
        schedule();
}

bool sched_can_sleep(void)
{
    return started && thread_self() && irq_enabled() && preempt_count() == 0;
}

void sched_yield(void)
{
    uint64_t f = irq_save();

    if (this_cpu()->current)
        schedule();
    irq_restore(f);
}

void sched_block(void)
{
    uint64_t f = irq_save();
    struct thread *me = this_cpu()->current;
    uint32_t s = atomic_load(&me->state);

    if (preempt_count() != 0)
        panic("sched_block: '%s' would sleep with a spinlock held", me->name);
    if (s == THREAD_BLOCKED || s == THREAD_WAKING)
        schedule();
    irq_restore(f);
}

bool sched_wake(struct thread *t)
{
    uint32_t expected = THREAD_BLOCKED;
    uint64_t f = irq_save();

    if (!atomic_cmpxchg(&t->state, &expected, (uint32_t)THREAD_WAKING)) {
        irq_restore(f);
        return false;
    }
    if (t == this_cpu()->current) {
        /* woken before it got to switch away (an interrupt, or itself) */
        atomic_store(&t->state, THREAD_RUNNING);
        irq_restore(f);
        return true;
    }
    while (atomic_load_acquire(&t->on_cpu))
        cpu_relax();
    enqueue_on(select_cpu(t), t);
    irq_restore(f);
    return true;
}

int sched_sleep_ns(uint64_t ns)
{
    uint64_t f;
    struct cpu *c;
    struct rq *rq;
    struct thread *me;

    if (BASALT_DEBUG && lockdep_might_sleep("sched_sleep_ns"))
        return -EDEADLK;
    f = irq_save();
    c = this_cpu();
    rq = &rqs[c->index];
    me = c->current;

    if (preempt_count() != 0)
        panic("sched_sleep_ns: '%s' would sleep with a spinlock held", me->name);
    spin_lock(&rq->lock);
    me->wake_at = time_ns() + ns;
    me->wait_reason = "sleep";
    atomic_store(&me->state, THREAD_SLEEPING);
    me->rq_next = rq->sleepers;
    rq->sleepers = me;
    schedule_locked(c, rq);
    me->wait_reason = NULL;
    irq_restore(f);
    return 0;
}

/* core/time's sleeper: time_sleep_ns sleeps here when the caller may sleep. */
static bool time_sleeper(uint64_t ns)
{
    if (!sched_can_sleep())
        return false;
    (void)sched_sleep_ns(ns);
    return true;
}


unsigned sched_nr_running(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < CPU_MAX; i++) {
        struct cpu *c = rqs[i].running ? cpu_get(i) : NULL;
        if (!c)
            continue;
        n += READ_ONCE(rqs[i].nr);
        n += READ_ONCE(c->current) != READ_ONCE(c->idle);
    }
    return n;
}

/*
 * Every SCHED_LOAD_TICKS (5 s) on CPU 0: each average decays towards the
 * number of running and runnable threads by the factor e^(-5 s / period),
 * in fixed point (2048 * e^(-5/60), e^(-5/300), e^(-5/900), rounded).
 */
static void load_update(void)
{
    static const uint64_t decay[3] = { 1884, 2014, 2037 };
    const uint64_t one = 1u << SCHED_LOAD_SHIFT;
    uint64_t active = (uint64_t)sched_nr_running() << SCHED_LOAD_SHIFT;

    for (int i = 0; i < 3; i++) {
        uint64_t v = READ_ONCE(loadavg[i]);
        v = (v * decay[i] + active * (one - decay[i]) + one / 2) >> SCHED_LOAD_SHIFT;
        WRITE_ONCE(loadavg[i], v);
    }
}

void sched_loadavg(uint64_t avg[3])
{
    for (int i = 0; i < 3; i++)
        avg[i] = READ_ONCE(loadavg[i]);
}

struct sched_cpu_ticks sched_cpu_ticks(unsigned cpu)
{
    struct sched_cpu_ticks t = { 0, 0 };

    if (cpu < CPU_MAX) {
        t.busy = READ_ONCE(rqs[cpu].busy_ticks);
        t.idle = READ_ONCE(rqs[cpu].idle_ticks);
    }
    return t;
}

void sched_tick(void)
{
    struct cpu *c = this_cpu();
    struct rq *rq = &rqs[c->index];
    uint64_t now;

    if (!rq->running || !c->current)
        return;
    if (c->current == c->idle)
        rq->idle_ticks++;
    else
        rq->busy_ticks++;
    if (c->index == 0 && ++rq->load_ticks >= SCHED_LOAD_TICKS) {
        rq->load_ticks = 0;
        load_update();
    }
    now = time_ns();
    spin_lock(&rq->lock);
    for (struct thread **pp = &rq->sleepers; *pp;) {
        struct thread *t = *pp;
        if (t->wake_at <= now) {
            *pp = t->rq_next;
            atomic_store(&t->state, THREAD_RUNNABLE);
            rq_push(rq, t);
            c->need_resched = 1;
        } else {
            pp = &t->rq_next;
        }
    }
    if (rq->nr && (c->current == c->idle || now >= c->current->slice_end))
        c->need_resched = 1;
    spin_unlock(&rq->lock);
    sched_timeouts_tick(now);
}

static bool on_resched_ipi(void *ctx)
{
    (void)ctx;
    this_cpu()->need_resched = 1;
    return true;
}

/* An idle CPU takes one movable thread from the busiest other queue (interrupts on). */
static bool steal(struct cpu *c)
{
    unsigned n = cpu_count(), busiest = c->index, most = 0;
    struct thread *t;
    uint64_t f;

    for (unsigned i = 0; i < n; i++)
        if (i != c->index && rqs[i].running && rqs[i].nr > most) {
            most = rqs[i].nr;
            busiest = i;
        }
    if (most == 0)
        return false;
    /* trylock: an idle CPU must never queue up behind busy ones (a ticket
     * taken by a vCPU the host has descheduled stalls everyone behind it) */
    f = irq_save();
    if (!spin_trylock(&rqs[busiest].lock)) {
        irq_restore(f);
        return false;
    }
    t = rq_take_movable_locked(&rqs[busiest]);
    spin_unlock_irqrestore(&rqs[busiest].lock, f);
    if (!t)
        return false;
    enqueue_on(c->index, t);
    return true;
}

static __noreturn void idle_loop(void)
{
    struct cpu *c = this_cpu();
    struct rq *rq = &rqs[c->index];

    for (;;) {
        sched_reap();
        if (!rq->nr)
            steal(c);           /* interrupts on: the tick must not be held up */
        irq_disable();
        if (rq->nr) {
            schedule();
            irq_enable();
        } else {
            cpu_idle();         /* sti; hlt: a tick or a reschedule IPI ends it */
        }
    }
}

static void *idle_main(void *arg)
{
    (void)arg;
    idle_loop();
}


__noreturn void sched_exit_current(void)
{
    struct cpu *c;

    irq_disable();
    c = this_cpu();
    spin_lock(&rqs[c->index].lock);
    atomic_store(&c->current->state, THREAD_DEAD);
    schedule_locked(c, &rqs[c->index]);
    panic("sched_exit_current: a dead thread ran again");
}

uint64_t sched_switch_count(void)
{
    return atomic_load(&switches);
}

unsigned sched_cpu_count(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < CPU_MAX; i++)
        n += rqs[i].running;
    return n;
}

struct thread *thread_self(void)
{
    return this_cpu_current();
}


/* ---- start-up ---------------------------------------------------------------------- */

static void cpu_start(struct cpu *c, struct thread *first)
{
    struct thread *idle;

    fpu_cpu_init();
    spin_init(&rqs[c->index].lock, "rq");
    c->current = first;
    atomic_store(&first->state, THREAD_RUNNING);
    first->on_cpu = 1;
    first->cpu = (int)c->index;
    first->slice_end = time_ns() + SCHED_SLICE_NS;
    if (first->flags & THREAD_DETACHED) {
        idle = first;               /* an AP: its boot context idles */
    } else {
        idle = thread_create("idle0", idle_main, NULL, THREAD_CPU(c->index) | 0x80000000u /* THREAD_IDLE_FLAG */);
        if (!idle)
            panic("sched_init: no memory for the idle thread");
    }
    c->idle = idle;
    rqs[c->index].running = true;
}

static const char *lockdep_thread_name(void)
{
    struct thread *t = this_cpu_current();

    return t ? t->name : NULL;
}

static struct lockdep_held *lockdep_thread_held(void)
{
    struct thread *t = this_cpu_current();

    return t ? &t->ld_held : NULL;
}

static const struct lockdep_thread_ops lockdep_ops = {
    .name = lockdep_thread_name,
    .held = lockdep_thread_held,
};

static __noreturn void ktest_thread_exit(void)
{
    thread_exit(NULL);
}

/* What core calls back into the scheduler for (core cannot include sched). */
static void register_core_hooks(void)
{
    ktest_set_thread_exit_hook(ktest_thread_exit);
    preempt_set_resched_hook(sched_preempt_check);
    irq_set_exit_hook(sched_irq_exit);
    panic_set_dump_hook(sched_dump_tasks);
    lockdep_set_thread_ops(&lockdep_ops);
    if (time_tick_hook_register(sched_tick) < 0)
        panic("sched_init: no room for the tick hook");
    time_set_sleeper(time_sleeper);
}

void sched_init(void)
{
    struct cpu *c = this_cpu();
    struct thread *t = &boot_thread;

    fpu_cpu_init();
    *t = (struct thread){ .affinity = 0, .cpu = 0 };
    strlcpy(t->name, "kmain", sizeof(t->name));
    spin_init(&t->join_lock, "join");
    wq_init(&t->join_wq, "join");
    t->fpu_block = kmalloc(fpu_size + 64);
    if (!t->fpu_block)
        panic("sched_init: no memory for the boot thread's FPU area");
    t->fpu = (void *)ALIGN_UP((uintptr_t)t->fpu_block, 64);
    sched_fpu_init_area(t->fpu);
    sched_thread_register(t);
    if (irq_request_fixed(IRQ_VEC_RESCHEDULE, on_resched_ipi, NULL, "resched") < 0)
        panic("sched_init: the reschedule vector is taken");
    register_core_hooks();
    cpu_start(c, t);
    started = true;
    pr_info("sched: %s FPU state (%zu bytes), %llu ms time slices",
            use_xsave ? "xsave" : "fxsave", fpu_size,
            (unsigned long long)(SCHED_SLICE_NS / 1000000));
}

__noreturn void sched_ap_enter(struct cpu *c)
{
    struct thread *t = kzalloc(sizeof(*t));
    void *fpu = kmalloc(fpu_size + 64);

    if (!t || !fpu)
        panic("sched_ap_enter: no memory for CPU %u's idle thread", c->index);
    t->affinity = (int)c->index;
    t->flags = THREAD_DETACHED;
    snprintf(t->name, sizeof(t->name), "idle%u", c->index);
    spin_init(&t->join_lock, "join");
    wq_init(&t->join_wq, "join");
    t->fpu_block = fpu;
    t->fpu = (void *)ALIGN_UP((uintptr_t)fpu, 64);
    sched_fpu_init_area(t->fpu);
    sched_thread_register(t);
    irq_disable();
    cpu_start(c, t);
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    irq_enable();
    idle_loop();
}
