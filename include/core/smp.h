/*
 * include/core/smp.h - talking to the other CPUs.
 *
 * Part of core. Starting them is sched/smpboot's job (it needs memory and
 * the scheduler); it calls smp_init first.
 *
 * Cross-CPU calls: smp_call runs a function on another CPU (IPI on
 * IRQ_VEC_CALL) and waits for it. TLB shootdown: after a change to a kernel
 * mapping, smp_tlb_shootdown makes every other online CPU invalidate it.
 * smp_stop_others sends an NMI to every other CPU to stop it (panic).
 *
 * Locking: every target CPU has its own call slot, claimed by one sender
 * at a time. A CPU waiting in smp_call (for a slot or an answer) serves the
 * calls sent to it meanwhile, so CPUs calling each other, even with
 * interrupts off, cannot deadlock. A call that times out leaves its slot
 * claimed (the target may still run it), so later calls to that CPU fail
 * with -ETIMEDOUT too.
 */
#ifndef BASALT_CORE_SMP_H
#define BASALT_CORE_SMP_H

#include <core/compiler.h>

/*
 * Records the boot CPU's APIC ID and claims the call and stop vectors.
 * Boot CPU, once, before any other CPU starts; panics if the vectors are
 * taken (a broken boot order).
 */
void smp_init(void);

/* Runs fn(arg) on CPU index cpu and waits. Returns 0, -EINVAL, -ENODEV (offline) or -ETIMEDOUT. */
int smp_call(unsigned cpu, void (*fn)(void *), void *arg);

/*
 * Takes spinlock l (see core/spinlock.h), serving the cross-CPU calls sent
 * to this CPU while it waits. For locks whose holder may wait for a TLB
 * shootdown (vmalloc_lock, the vmm space locks): a CPU spinning for such a
 * lock with interrupts off would otherwise never answer the holder's IPI,
 * and both would hang. Not FIFO (a trylock loop); released by spin_unlock.
 * Any context that may take a plain spinlock; never an interrupt handler
 * whose CPU holds l.
 */
struct spinlock;
void smp_spin_lock_serving(struct spinlock *l);

/* Every other online CPU invalidates va (or its whole TLB when va is 0). */
void smp_tlb_shootdown(uintptr_t va);

/* NMI to every other CPU; each halts for good (used by panic). */
void smp_stop_others(void);

#endif
