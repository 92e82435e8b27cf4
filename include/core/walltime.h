/*
 * include/core/walltime.h - the wall clock: Unix time in nanoseconds, as
 * the RTC said at boot plus the monotonic clock since.
 *
 * Part of core (every layer needs the date: file times, logs, `date`).
 * The wall clock is a base, the Unix time at time_ns() == 0, plus
 * time_ns(): it never goes backwards unless the base is set again, and it
 * drifts with the monotonic clock (no NTP, no RTC re-reads).
 *
 * Who sets it: kmain's step_wallclock, once, from dev/rtc's reading at
 * boot (a later settimeofday may set it again). Until then, or when the
 * RTC could not be read, walltime_valid() is false and walltime_ns()
 * counts from the Unix epoch (1970-01-01 00:00:00 UTC at boot): callers
 * that stamp files may use it as it is; callers that show a date should
 * say it is unknown.
 *
 * Context: walltime_ns and walltime_valid from anywhere, interrupts on or
 * off, any CPU; walltime_set_base from a thread or at boot (one 64-bit
 * atomic store, no lock: a reader sees the old or the new base).
 */
#ifndef BASALT_CORE_WALLTIME_H
#define BASALT_CORE_WALLTIME_H

#include <core/compiler.h>

/* Sets the wall clock so that walltime_ns() == unix_ns_at_boot + time_ns(). */
void walltime_set_base(int64_t unix_ns_at_boot);

/* Has walltime_set_base been called (is the date known)? */
bool walltime_valid(void);

/* Unix time in nanoseconds (UTC): the base + time_ns(); the base is 0 until set. */
int64_t walltime_ns(void);

#endif
