/*
 * src/core/calendar.c - civil dates <-> day numbers and Unix seconds, and
 * the decoding of the PC real-time clock's registers (BCD, 12-hour,
 * century). Pure; the contracts are in include/core/calendar.h.
 *
 * Day numbers: the days before January 1st of year y, counted from
 * 0001-01-01, are 365 (y - 1) plus the leap days of the years 1..y-1,
 * (y-1)/4 - (y-1)/100 + (y-1)/400 with floor division (which keeps the
 * formula right for years <= 0 as well); the Unix day number subtracts
 * that count for 1970 (719162). The inverse estimates the year from the
 * mean Gregorian year (146097 days per 400 years) and corrects it by at
 * most a step or two, then walks the months.
 */
#include <core/calendar.h>
#include <core/errno.h>
#include <core/format.h>

#define DAYS_BEFORE_1970    719162      /* 0001-01-01 .. 1970-01-01 */
#define DAYS_PER_400_YEARS  146097

static const char *const weekday_names[7] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const month_names[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};
/* Days before the first of each month in a common year. */
static const int16_t days_before_month[12] = {
    0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
};

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool calendar_is_leap(int64_t year)
{
    if (year % 4 != 0)
        return false;
    if (year % 100 != 0)
        return true;
    return year % 400 == 0;
}

int calendar_days_in_month(int64_t year, int month)
{
    static const uint8_t len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    if (month < 1 || month > 12)
        return 0;
    return len[month - 1] + (month == 2 && calendar_is_leap(year));
}

/* Days from 0001-01-01 to year-01-01 (negative for years < 1). */
static int64_t days_before_year(int64_t year)
{
    int64_t y = year - 1;

    return 365 * y + floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

int64_t calendar_days_from_civil(int64_t year, int month, int day)
{
    int64_t days = days_before_year(year) - DAYS_BEFORE_1970;

    days += days_before_month[month - 1] + (month > 2 && calendar_is_leap(year));
    return days + day - 1;
}

void calendar_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
    int64_t y = 1970 + floor_div(days * 400, DAYS_PER_400_YEARS);
    int64_t doy;
    int m = 1;

    /* the estimate is off by at most one year either way */
    while (calendar_days_from_civil(y, 1, 1) > days)
        y--;
    while (calendar_days_from_civil(y + 1, 1, 1) <= days)
        y++;
    doy = days - calendar_days_from_civil(y, 1, 1);
    while (m < 12 && doy >= calendar_days_in_month(y, m)) {
        doy -= calendar_days_in_month(y, m);
        m++;
    }
    *year = y;
    *month = m;
    *day = (int)doy + 1;
}

int calendar_weekday(int64_t days)
{
    return (int)(((days % 7) + 7 + 4) % 7);     /* day 0 was a Thursday */
}

int calendar_validate(const struct calendar_tm *tm)
{
    if (tm->year < CALENDAR_YEAR_MIN || tm->year > CALENDAR_YEAR_MAX)
        return -ERANGE;
    if (tm->month < 1 || tm->month > 12)
        return -EINVAL;
    if (tm->day < 1 || tm->day > calendar_days_in_month(tm->year, tm->month))
        return -EINVAL;
    if (tm->hour < 0 || tm->hour > 23 || tm->minute < 0 || tm->minute > 59 ||
        tm->second < 0 || tm->second > 59)
        return -EINVAL;
    return 0;
}

int calendar_to_unix(const struct calendar_tm *tm, int64_t *secs)
{
    int err = calendar_validate(tm);

    if (err)
        return err;
    *secs = calendar_days_from_civil(tm->year, tm->month, tm->day) * CALENDAR_SECS_PER_DAY +
            tm->hour * 3600 + tm->minute * 60 + tm->second;
    return 0;
}

int calendar_from_unix(int64_t secs, struct calendar_tm *tm)
{
    int64_t days, rem, year;
    int month, day;

    if (secs < CALENDAR_UNIX_MIN || secs > CALENDAR_UNIX_MAX)
        return -ERANGE;
    days = floor_div(secs, CALENDAR_SECS_PER_DAY);
    rem = secs - days * CALENDAR_SECS_PER_DAY;
    calendar_civil_from_days(days, &year, &month, &day);
    tm->year = (int)year;
    tm->month = month;
    tm->day = day;
    tm->hour = (int)(rem / 3600);
    tm->minute = (int)(rem / 60 % 60);
    tm->second = (int)(rem % 60);
    tm->weekday = calendar_weekday(days);
    tm->yday = (int)(days - calendar_days_from_civil(year, 1, 1));
    return 0;
}

int calendar_bcd_decode(uint8_t bcd, int *out)
{
    unsigned hi = bcd >> 4, lo = bcd & 0xf;

    if (hi > 9 || lo > 9)
        return -EINVAL;
    *out = (int)(hi * 10 + lo);
    return 0;
}

int calendar_hour12_to_24(int hour12, bool pm, int *out)
{
    if (hour12 < 1 || hour12 > 12)
        return -EINVAL;
    *out = hour12 % 12 + (pm ? 12 : 0);
    return 0;
}

int calendar_year_from_2digit(int yy, int century, int *year)
{
    if (yy < 0 || yy > 99)
        return -EINVAL;
    if (century == CALENDAR_NO_CENTURY) {
        *year = yy < 70 ? 2000 + yy : 1900 + yy;
        return 0;
    }
    if (century < 0 || century > 99)
        return -EINVAL;
    *year = century * 100 + yy;
    return 0;
}

/* One register: BCD or binary as register B says. */
static int rtc_field(uint8_t raw, bool binary, int *out)
{
    if (binary) {
        *out = raw;
        return 0;
    }
    return calendar_bcd_decode(raw, out);
}

int calendar_rtc_decode(const struct calendar_rtc_regs *regs, struct calendar_tm *tm)
{
    struct calendar_tm t = { 0 };
    int yy, century = CALENDAR_NO_CENTURY, hour;
    int64_t secs;
    int err;

    if (regs->century != CALENDAR_NO_CENTURY) {
        if (regs->century < 0 || regs->century > 0xff)
            return -EINVAL;
        err = rtc_field((uint8_t)regs->century, regs->binary, &century);
        if (err)
            return err;
    }
    if ((err = rtc_field(regs->second, regs->binary, &t.second)) ||
        (err = rtc_field(regs->minute, regs->binary, &t.minute)) ||
        (err = rtc_field(regs->day, regs->binary, &t.day)) ||
        (err = rtc_field(regs->month, regs->binary, &t.month)) ||
        (err = rtc_field(regs->year, regs->binary, &yy)))
        return err;
    if (regs->hour24) {
        /* a PM bit here makes the hour >= 80 (BCD) or >= 128: refused below */
        if ((err = rtc_field(regs->hour, regs->binary, &t.hour)))
            return err;
    } else {
        if ((err = rtc_field((uint8_t)(regs->hour & ~CALENDAR_RTC_PM), regs->binary, &hour)) ||
            (err = calendar_hour12_to_24(hour, regs->hour & CALENDAR_RTC_PM, &t.hour)))
            return err;
    }
    if ((err = calendar_year_from_2digit(yy, century, &t.year)))
        return err;
    if ((err = calendar_to_unix(&t, &secs)))
        return -EINVAL;         /* any out-of-range field (a year 0) is a garbage clock */
    return calendar_from_unix(secs, tm);
}

/* snprintf's result as this module's: the length, or -ENOSPC (buf then ""). */
static int formatted(int n, char *buf, size_t size)
{
    if (n < 0 || (size_t)n >= size) {
        if (size > 0)
            buf[0] = '\0';
        return -ENOSPC;
    }
    return n;
}

int calendar_format_date(const struct calendar_tm *tm, char *buf, size_t size)
{
    int err = calendar_validate(tm);
    int64_t days;

    if (err) {
        if (size > 0)
            buf[0] = '\0';
        return err;
    }
    days = calendar_days_from_civil(tm->year, tm->month, tm->day);
    return formatted(snprintf(buf, size, "%s %s %2d %02d:%02d:%02d UTC %d",
                              weekday_names[calendar_weekday(days)], month_names[tm->month - 1],
                              tm->day, tm->hour, tm->minute, tm->second, tm->year),
                     buf, size);
}

int calendar_format_iso(const struct calendar_tm *tm, char *buf, size_t size)
{
    int err = calendar_validate(tm);

    if (err) {
        if (size > 0)
            buf[0] = '\0';
        return err;
    }
    return formatted(snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d", tm->year,
                              tm->month, tm->day, tm->hour, tm->minute, tm->second),
                     buf, size);
}
