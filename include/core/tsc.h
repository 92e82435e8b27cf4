/*
 * include/core/tsc.h - time since boot from the CPU's time-stamp counter.
 *
 * Part of core. tsc_init_early records the TSC at kernel entry;
 * tsc_calibrate measures its frequency against PIT channel 2 (the platform
 * layer replaces this with the HPET later). Until calibration,
 * tsc_ns_since_boot returns 0, which printk shows as 0.000000.
 *
 * Context: tsc_init_early, tsc_calibrate and tsc_set_khz run on the boot
 * CPU during boot, before the other CPUs start (their state is written
 * with no lock and is read-only afterwards); the readers and
 * tsc_delay_ns run in any context on any CPU, take no lock, never sleep.
 */
#ifndef BASALT_CORE_TSC_H
#define BASALT_CORE_TSC_H

#include <core/compiler.h>

/* Records the TSC at kernel entry (the zero of time since boot). Cannot fail. */
void tsc_init_early(void);

/*
 * Measures the TSC rate against PIT channel 2 (the median of three 5 ms
 * windows, each read at both ends in tight PIT/TSC/PIT pairs). Returns 0, or -EIO
 * when the PIT does not arm, never counts down, or gives a rate outside
 * 100 MHz..20 GHz; the rate is then taken from CPUID leaf 0x16 if the CPU
 * reports one, else assumed to be 1 GHz (timestamps are approximate).
 */
int tsc_calibrate(void);

uint64_t tsc_khz(void);

/* The rate the PIT measured at boot (0 if it could not): a reference independent of the HPET. */
uint64_t tsc_pit_khz(void);

/* True when tsc_khz was measured against the PIT rather than assumed. */
bool tsc_is_calibrated(void);
uint64_t tsc_ns_since_boot(void);

/*
 * A better measurement of the rate (core/time, against the HPET). Time
 * since boot continues from where it was: it never steps backwards.
 */
void tsc_set_khz(uint64_t khz);

/* Does the TSC tick at a constant rate in every power state (CPUID 0x80000007)? */
bool tsc_is_invariant(void);

/* Busy-waits at least ns nanoseconds (needs calibration). */
void tsc_delay_ns(uint64_t ns);

#endif
