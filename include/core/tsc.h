/*
 * include/core/tsc.h - time since boot from the CPU's time-stamp counter.
 *
 * Part of core. tsc_init_early records the TSC at kernel entry;
 * tsc_calibrate measures its frequency against PIT channel 2 (the platform
 * layer replaces this with the HPET later). Until calibration,
 * tsc_ns_since_boot returns 0, which printk shows as 0.000000.
 */
#ifndef BASALT_CORE_TSC_H
#define BASALT_CORE_TSC_H

#include <core/compiler.h>

void tsc_init_early(void);

/*
 * Measures the TSC rate over ~10 ms of PIT channel 2. Returns 0, or
 * -ETIMEDOUT if the PIT never counts down (a default of 1 GHz is then
 * assumed and timestamps are approximate).
 */
int tsc_calibrate(void);

uint64_t tsc_khz(void);
uint64_t tsc_ns_since_boot(void);

/* Busy-waits at least ns nanoseconds (needs calibration). */
void tsc_delay_ns(uint64_t ns);

#endif
