/*
 * include/core/time.h - the monotonic clock, the periodic tick, sleeping.
 *
 * Part of core. time_init picks the clock: the HPET's main counter when the
 * firmware describes one (and then recalibrates the TSC against it), the
 * TSC when it is invariant (cheaper to read, same rate), and the
 * PIT-calibrated TSC when there is no HPET. It calibrates the local APIC
 * timer against that clock and starts a periodic tick of TIME_HZ on
 * IRQ_VEC_TIMER.
 *
 * Context: time_ns and time_ticks may be called from anywhere, interrupts
 * on or off. time_sleep_ns is a real sleep (sched_sleep_ns) from a thread
 * that may sleep; otherwise (before the scheduler, interrupts off, a
 * spinlock held) it waits, halting between ticks when interrupts are on.
 * The tick runs on every CPU; time_ticks counts the boot CPU's.
 */
#ifndef BASALT_CORE_TIME_H
#define BASALT_CORE_TIME_H

#include <core/compiler.h>

#define TIME_HZ 1000

enum time_source {
    TIME_SOURCE_TSC_PIT,        /* TSC calibrated against the PIT (no HPET) */
    TIME_SOURCE_HPET,           /* HPET main counter */
    TIME_SOURCE_TSC_HPET,       /* invariant TSC calibrated against the HPET */
};

/*
 * hpet_phys: the HPET the firmware described, or 0. Returns 0, or a
 * negative errno when the tick could not be started (the clock still
 * works; sleeps then busy-wait).
 */
int time_init(uint64_t hpet_phys);

/* On an application processor: starts its own periodic tick (same rate). */
void time_init_ap(void);

/* Nanoseconds since boot; never goes backwards. */
uint64_t time_ns(void);

/* Ticks of the periodic timer since it started. */
uint64_t time_ticks(void);

/* Waits at least ns nanoseconds. */
void time_sleep_ns(uint64_t ns);

enum time_source time_source(void);
const char *time_source_name(void);

/* Local APIC timer input frequency (after its divide-by-16), in Hz; 0 if not calibrated. */
uint64_t time_apic_timer_hz(void);

#endif
