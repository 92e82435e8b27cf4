/*
 * include/core/calendar.h - civil dates and times (proleptic Gregorian, UTC)
 * and the decoding of a PC real-time clock's registers.
 *
 * Part of core, pure: no locks, no logging, no allocation, no hardware;
 * every function may be called from any context and is host-tested
 * (test/unit/test_calendar.c). Used by dev/rtc (the CMOS clock), by the
 * shell's `date` and, later, by the file systems' timestamps.
 *
 * Conventions:
 *   - The calendar is the proleptic Gregorian one: a year is a leap year
 *     when divisible by 4, except centuries, except every 400th year (1900
 *     and 2100 are not, 2000 and 2400 are). Supported years are
 *     CALENDAR_YEAR_MIN..CALENDAR_YEAR_MAX (1..9999).
 *   - Unix seconds count from 1970-01-01 00:00:00 UTC, negative before it,
 *     with no leap seconds (every day has 86400 s).
 *   - A second of 60 (a leap second, which struct tm admits) is refused:
 *     Unix time cannot represent it and the MC146818 never shows it.
 *   - Months and days count from 1 (unlike struct tm's tm_mon); the year
 *     is the full year (2026, not 126).
 *   - Days are numbered from the Unix epoch: day 0 is 1970-01-01, a
 *     Thursday.
 *
 * Errors: -EINVAL for a field out of its range (month 13, February 30,
 * hour 24, a BCD byte with a nibble above 9, a 12-hour hour of 0),
 * -ERANGE for a year or a Unix time outside the supported years, -ENOSPC
 * when a formatting buffer is too small.
 */
#ifndef BASALT_CORE_CALENDAR_H
#define BASALT_CORE_CALENDAR_H

#include <core/compiler.h>

#define CALENDAR_YEAR_MIN   1
#define CALENDAR_YEAR_MAX   9999

/* 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC in Unix seconds. */
#define CALENDAR_UNIX_MIN   (-62135596800ll)
#define CALENDAR_UNIX_MAX   253402300799ll

#define CALENDAR_SECS_PER_DAY   86400

/* A broken-down UTC time. */
struct calendar_tm {
    int year;           /* CALENDAR_YEAR_MIN..CALENDAR_YEAR_MAX */
    int month;          /* 1..12 */
    int day;            /* 1..days in that month */
    int hour;           /* 0..23 */
    int minute;         /* 0..59 */
    int second;         /* 0..59 */
    int weekday;        /* 0 = Sunday..6 = Saturday: output only (from_unix) */
    int yday;           /* 0..365, day of the year: output only (from_unix) */
};

/* Is year a leap year (any year, the proleptic rule)? */
bool calendar_is_leap(int64_t year);

/* Days in month (1..12) of year: 28..31, or 0 for a month out of range. */
int calendar_days_in_month(int64_t year, int month);

/*
 * Day number (0 = 1970-01-01) of year-month-day. Does not validate: the
 * caller passes a month 1..12, a day 1..31 and a year within +-10^9;
 * a day past the month's end counts on into the next month.
 */
int64_t calendar_days_from_civil(int64_t year, int month, int day);

/* The date of day number days (0 = 1970-01-01), for |days| <= 10^11. */
void calendar_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* Weekday of day number days: 0 = Sunday..6 = Saturday. */
int calendar_weekday(int64_t days);

/*
 * Checks every field of tm except weekday and yday (which are ignored).
 * Returns 0, -ERANGE for a year outside the supported years, -EINVAL for
 * another field out of range.
 */
int calendar_validate(const struct calendar_tm *tm);

/* tm (validated as above) in Unix seconds at *secs; on failure *secs is untouched. */
int calendar_to_unix(const struct calendar_tm *tm, int64_t *secs);

/*
 * secs (Unix seconds) broken down into *tm, weekday and yday included.
 * Returns 0, or -ERANGE outside CALENDAR_UNIX_MIN..CALENDAR_UNIX_MAX
 * (*tm untouched).
 */
int calendar_from_unix(int64_t secs, struct calendar_tm *tm);

/*
 * A packed BCD byte (0x00..0x99) as a number 0..99 at *out. Returns 0, or
 * -EINVAL when either nibble is above 9 (*out untouched).
 */
int calendar_bcd_decode(uint8_t bcd, int *out);

/*
 * A 12-hour clock's hour (1..12) with its AM/PM in 24-hour form at *out:
 * 12 AM is 0, 1..11 AM are 1..11, 12 PM is 12, 1..11 PM are 13..23.
 * Returns 0, or -EINVAL for hour12 outside 1..12 (*out untouched).
 */
int calendar_hour12_to_24(int hour12, bool pm, int *out);

/*
 * The full year of a two-digit year yy (0..99). century is the century
 * register's value (0..99; e.g. 20) when the platform has one (the ACPI
 * FADT's CENTURY field names its CMOS index), or CALENDAR_NO_CENTURY:
 * then 00..69 are 2000..2069 and 70..99 are 1970..1999 (the RTC is never
 * set before the Unix epoch). Returns 0, -EINVAL for yy or century out of
 * range (*year untouched).
 */
#define CALENDAR_NO_CENTURY (-1)
int calendar_year_from_2digit(int yy, int century, int *year);

/*
 * The MC146818 registers as read, before decoding: BCD or binary
 * according to register B's DM bit, the hour with bit 7 = PM in 12-hour
 * mode (register B's 24/12 bit clear).
 */
#define CALENDAR_RTC_PM     0x80
struct calendar_rtc_regs {
    uint8_t second, minute, hour, day, month, year;
    int century;        /* raw century register byte (0..255), or CALENDAR_NO_CENTURY */
    bool binary;        /* register B bit 2 (DM): values are binary, not BCD */
    bool hour24;        /* register B bit 1 (24/12): 24-hour mode */
};

/*
 * Decodes regs into *tm (weekday and yday filled) and validates it: a
 * byte that is not BCD in BCD mode, a field out of range, a 12-hour hour
 * of 0 or above 12, a PM bit in 24-hour mode, an impossible date
 * (2023-02-29) are all -EINVAL (a garbage clock). Returns 0 or -EINVAL;
 * *tm is only written on success.
 */
int calendar_rtc_decode(const struct calendar_rtc_regs *regs, struct calendar_tm *tm);

/*
 * Formats tm as `date -u` does: "Wed Dec  2 13:45:07 UTC 2026" (day of
 * the month padded to two columns with a space), weekday computed from
 * the date. Returns the length (28 for a 4-digit year), -EINVAL/-ERANGE
 * for an invalid tm, -ENOSPC when size is too small (buf then holds "" if
 * size > 0).
 */
int calendar_format_date(const struct calendar_tm *tm, char *buf, size_t size);

/*
 * Formats tm as "2026-12-02 13:45:07" (ISO 8601 with a space). Returns
 * the length (19 for a 4-digit year) or the errors of calendar_format_date.
 */
int calendar_format_iso(const struct calendar_tm *tm, char *buf, size_t size);

#endif
