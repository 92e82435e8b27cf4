/*
 * include/dev/hpet.h - the High Precision Event Timer's main counter.
 *
 * Part of dev. Basalt uses the HPET as a clock: once it agrees with the
 * PIT it registers itself with core/time as a clock source, which reads
 * it (and calibrates the TSC and the local APIC timer against it); its
 * comparators are left alone. A 32-bit counter is extended to 64 bits in
 * software, so it must be read at least once per wrap: a tick hook does
 * that on the boot CPU.
 */
#ifndef BASALT_DEV_HPET_H
#define BASALT_DEV_HPET_H

#include <core/compiler.h>

/*
 * Maps the HPET block at phys, checks its capabilities (a period of at
 * most 100 ns, as the specification requires), starts the main counter,
 * checks its rate against the PIT's measurement of the TSC, and registers
 * it with core/time (clock source, and for a 32-bit counter the tick hook
 * that keeps its wrap count). At boot, before time_init, interrupts off or
 * on. Returns 0, -ENOMEM, -ENODEV when nothing sane answers there or it
 * disagrees with the PIT (reported; the HPET is then left unmapped), or
 * the error of a registration.
 */
int hpet_init(uint64_t phys);

/*
 * The readers below: any context, any CPU, no lock (the 64-bit extension
 * advances by compare-and-swap), never sleep. hpet_counter and hpet_ns
 * only once hpet_present() is true (the block is not mapped before).
 */
bool hpet_present(void);

/* Counter period in femtoseconds (10^-15 s). */
uint64_t hpet_period_fs(void);

/* The main counter, extended to 64 bits. */
uint64_t hpet_counter(void);

/* Nanoseconds since hpet_init. */
uint64_t hpet_ns(void);

#endif
