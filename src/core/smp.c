/*
 * src/core/smp.c - cross-CPU calls, TLB shootdown and stopping the other
 * CPUs (see include/core/smp.h).
 *
 * Part of core. Starting the other CPUs needs memory and the scheduler,
 * so it lives above, in sched/smpboot.
 */
#include <core/smp.h>
#include <core/apic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <core/x86.h>
#include <core/spinlock.h>

/*
 * How long a call waits for its target: 5 s, Linux's csd_lock_timeout. A
 * vCPU of an 8-CPU guest on a loaded 2-core host can go unscheduled for
 * over a second (seen: a TLB shootdown at 1 s), which is no kernel bug.
 */
#define CALL_TIMEOUT_NS     5000000000ull
/*
 * One call slot per target CPU. A sender claims the slot (busy), fills it,
 * bumps requested and sends the IPI; the target runs it and sets done =
 * requested. A CPU waiting for anything here (a slot to come free, or an
 * answer) serves calls sent to itself meanwhile, so two CPUs calling each
 * other, even with interrupts off (a TLB shootdown from inside vmm), cannot
 * deadlock.
 */
struct call_slot {
    int busy;                       /* claimed by a sender (atomic exchange) */
    void (*fn)(void *);             /* [busy] */
    void *arg;                      /* [busy] */
    uint64_t requested;             /* [busy] written by the sender */
    uint64_t started;               /* written by the target: it began this request */
    uint64_t done;                  /* written by the target: it finished it */
};
static struct call_slot call_slots[CPU_MAX];

/* Runs the call sent to this CPU, if one is pending. */
static void serve_own_call(void)
{
    struct call_slot *s = &call_slots[this_cpu()->index];
    uint64_t req = __atomic_load_n(&s->requested, __ATOMIC_ACQUIRE);

    /* "started", not "done": a call that itself waits must not run again from its wait */
    if (s->started != req) {
        s->started = req;
        s->fn(s->arg);
        __atomic_store_n(&s->done, req, __ATOMIC_RELEASE);
    }
}

static bool on_call_ipi(void *ctx)
{
    (void)ctx;
    serve_own_call();
    return true;
}

static bool on_stop_ipi(void *ctx)
{
    (void)ctx;
    cpu_halt_forever();
}

void smp_init(void)
{
    this_cpu()->apic_id = apic_id();
    if (irq_request_fixed(IRQ_VEC_CALL, on_call_ipi, NULL, "smp-call") < 0 ||
        irq_request_fixed(IRQ_VEC_STOP, on_stop_ipi, NULL, "smp-stop") < 0)
        panic("smp_init: the cross-CPU call vectors are taken");
}

int smp_call(unsigned cpu, void (*fn)(void *), void *arg)
{
    struct cpu *c = cpu_get(cpu);
    struct call_slot *s;
    uint64_t end, req;
    int err = 0;

    if (!c || !fn)
        return -EINVAL;
    preempt_disable();            /* this_cpu() must not change under us */
    if (c == this_cpu()) {
        fn(arg);
        goto out;
    }
    err = -ENODEV;
    if (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
        goto out;
    s = &call_slots[cpu];
    end = time_ns() + CALL_TIMEOUT_NS;
    while (__atomic_exchange_n(&s->busy, 1, __ATOMIC_ACQUIRE)) {
        serve_own_call();
        if (time_ns() > end) {
            err = -ETIMEDOUT;
            goto out;
        }
        cpu_relax();
    }
    s->fn = fn;
    s->arg = arg;
    req = s->requested + 1;
    __atomic_store_n(&s->requested, req, __ATOMIC_RELEASE);
    apic_send_ipi(c->apic_id, IRQ_VEC_CALL);
    err = 0;
    while (__atomic_load_n(&s->done, __ATOMIC_ACQUIRE) != req) {
        serve_own_call();
        if (time_ns() > end) {
            /* leave the slot claimed: the target may still run fn later */
            err = -ETIMEDOUT;
            goto out;
        }
        cpu_relax();
    }
    __atomic_store_n(&s->busy, 0, __ATOMIC_RELEASE);
out:
    preempt_enable();
    return err;
}

void smp_spin_lock_serving(spinlock_t *l)
{
    while (!spin_trylock(l)) {
        /* with interrupts on, the IPI itself runs the call */
        if (!irq_enabled()) {
            preempt_disable();
            serve_own_call();
            preempt_enable();
        }
        cpu_relax();
    }
}

static void flush_one(void *arg)
{
    uintptr_t va = (uintptr_t)arg;

    if (va)
        invlpg(va);
    else
        flush_tlb_all();
}

void smp_tlb_shootdown(uintptr_t va)
{
    unsigned n = cpu_count();
    struct cpu *me;

    if (n <= 1)
        return;
    preempt_disable();            /* "every other CPU" must not change under us */
    me = this_cpu();
    for (unsigned i = 0; i < n; i++) {
        struct cpu *c = cpu_get(i);
        if (c && c != me && __atomic_load_n(&c->online, __ATOMIC_ACQUIRE) && smp_call(i, flush_one, (void *)va) != 0)
            panic("smp_tlb_shootdown: CPU %u did not acknowledge (va %#lx)", i,
                  (unsigned long)va);
    }
    preempt_enable();
}

void smp_stop_others(void)
{
    if (cpu_count() > 1)
        apic_send_nmi_all_others();
}
