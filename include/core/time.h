/*
 * include/core/time.h - the monotonic clock, the periodic tick, sleeping.
 *
 * Part of core. The clock is the TSC (calibrated against the PIT at boot)
 * unless a better clock source registered itself before time_init (dev/hpet
 * does, once it agrees with the PIT): time_init then recalibrates the TSC
 * against that source and reads the TSC when it is invariant (cheaper,
 * same rate), else the source itself. It calibrates the local APIC timer
 * against the clock and starts a periodic tick of TIME_HZ on
 * IRQ_VEC_TIMER, which calls the registered tick hooks on every CPU.
 *
 * Context: time_ns and time_ticks may be called from anywhere, interrupts
 * on or off. time_sleep_ns is a real sleep (the sleeper the scheduler set)
 * from a thread that may sleep; otherwise (before the scheduler, interrupts
 * off, a spinlock held) it waits, halting between ticks when interrupts are
 * on. The tick runs on every CPU; time_ticks counts the boot CPU's.
 */
#ifndef BASALT_CORE_TIME_H
#define BASALT_CORE_TIME_H

#include <core/compiler.h>

#define TIME_HZ 1000

/* The TSC calibrated against the PIT: a source must be rated above it to be used. */
#define TIME_RATING_TSC_PIT 100

/* A clock better than the PIT-calibrated TSC, offered by a driver (dev/hpet). */
struct time_clocksource {
    const char *name;               /* for the boot log: "HPET" */
    /* ns since a fixed origin, never backwards; any context, interrupts on or off */
    uint64_t (*read_ns)(void);
    unsigned rating;                /* the highest registered wins if above TIME_RATING_TSC_PIT */
};

/*
 * Offers cs (which must stay valid forever) as the clock. At boot, before
 * time_init; one CPU at a time. Returns 0, -EINVAL for a source without a
 * name or reader, or -EBUSY once time_init has chosen the clock.
 */
int time_clocksource_register(const struct time_clocksource *cs);

/*
 * Has fn called on every tick on every CPU, after the boot CPU counted the
 * tick, in the order registered. fn runs in the timer interrupt with
 * interrupts off on that CPU (possibly on several CPUs at once) and must
 * not sleep or take a lock also taken with interrupts on. Register at boot,
 * before interrupts are enabled; may race with nothing but other
 * registrations. Returns 0, -EINVAL for NULL, or -ENOSPC when
 * TIME_TICK_HOOKS are already registered.
 */
#define TIME_TICK_HOOKS 4
int time_tick_hook_register(void (*fn)(void));

/*
 * The scheduler's sleep (set once, from sched_init): time_sleep_ns calls it
 * first; it returns true after the calling thread slept at least ns, false
 * when the caller may not sleep (time_sleep_ns then waits by itself).
 */
void time_set_sleeper(bool (*sleep_ns)(uint64_t ns));

/*
 * Chooses the clock (see above), calibrates the local APIC timer and starts
 * the boot CPU's tick. Returns 0, or a negative errno when the tick could
 * not be started (the clock still works; sleeps then busy-wait).
 */
int time_init(void);

/* On an application processor: starts its own periodic tick (same rate). */
void time_init_ap(void);

/* Nanoseconds since boot; never goes backwards. */
uint64_t time_ns(void);

/* Ticks of the periodic timer since it started. */
uint64_t time_ticks(void);

/* Waits at least ns nanoseconds. */
void time_sleep_ns(uint64_t ns);

/* The clock in words: "HPET", "invariant TSC (calibrated against the HPET)", ... */
const char *time_source_name(void);

/* Local APIC timer input frequency (after its divide-by-16), in Hz; 0 if not calibrated. */
uint64_t time_apic_timer_hz(void);

#endif
