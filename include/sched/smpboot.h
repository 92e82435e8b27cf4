/*
 * include/sched/smpboot.h - starting the application processors.
 *
 * Part of sched. smpboot_start starts every application processor the
 * firmware lists (INIT, then STARTUP IPIs into boot/ap_trampoline.asm),
 * one at a time; each sets up its own descriptor tables, IST stacks, IDT,
 * local APIC and per-CPU area, then becomes that CPU's idle thread
 * (sched_ap_enter), says it is online, and runs threads from then on.
 *
 * Context: the boot CPU, once, in kmain after sched_init and time_init,
 * interrupts on. No lock: nothing else starts CPUs.
 */
#ifndef BASALT_SCHED_SMPBOOT_H
#define BASALT_SCHED_SMPBOOT_H

#include <core/compiler.h>

/*
 * Starts the CPUs whose local APIC IDs are apic_ids[0..n) (the boot CPU's
 * own ID is skipped). Returns how many came online (the boot CPU
 * included); a CPU that does not answer within a second is reported and
 * left out, as is one without memory for its structs.
 */
unsigned smpboot_start(const uint32_t *apic_ids, size_t n);

/* Microseconds the last smpboot_start took to bring every CPU up. */
uint64_t smpboot_us(void);

/* How many CPUs the firmware listed (1 before smpboot_start). */
unsigned smpboot_expected_cpus(void);

#endif
