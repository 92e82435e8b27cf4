/*
 * include/core/smp.h - starting the other CPUs, and talking to them.
 *
 * Part of core. smp_init starts every application processor the firmware
 * lists (INIT, then STARTUP IPIs into boot/ap_trampoline.asm), one at a
 * time; each sets up its own descriptor tables, IST stacks, IDT, local
 * APIC and per-CPU area, says it is online, and waits in hlt with
 * interrupts on until there is work (the scheduler takes them later).
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
 * Starts the CPUs whose local APIC IDs are apic_ids[0..n) (the boot CPU's
 * own ID is skipped). Returns how many came online (the boot CPU
 * included); a CPU that does not answer within a second is reported and
 * left out.
 */
unsigned smp_init(const uint32_t *apic_ids, size_t n);

/* Runs fn(arg) on CPU index cpu and waits. Returns 0, -EINVAL, -ENODEV (offline) or -ETIMEDOUT. */
int smp_call(unsigned cpu, void (*fn)(void *), void *arg);

/* Every other online CPU invalidates va (or its whole TLB when va is 0). */
void smp_tlb_shootdown(uintptr_t va);

/* NMI to every other CPU; each halts for good (used by panic). */
void smp_stop_others(void);

/* Microseconds the last smp_init took to bring every CPU up. */
uint64_t smp_bringup_us(void);

/* How many CPUs the firmware listed (1 before smp_init). */
unsigned smp_expected_cpus(void);

#endif
