/*
 * test/unit/test_calendar.c - host tests for src/core/calendar.c (civil
 * dates, Unix seconds, the RTC's BCD / 12-hour / century decoding).
 *
 * The reference is the host C library (timegm and gmtime_r, UTC, 64-bit
 * time_t), an implementation independent of the kernel's. Covered: every
 * day from 1970-01-01 to 2400-12-31 both ways (date -> day number -> date,
 * weekday, day of the year) against the reference, the first day of every
 * month over the whole supported range 0001..9999, random seconds over the
 * whole range, the range ends (-ERANGE one second beyond), leap years
 * (1900, 2000, 2100, 2400), every invalid field refused, BCD decoding of
 * all 256 bytes, the 12-hour edges (12 AM, 12 PM, 0 and 13 refused),
 * century handling with and without the century register, the full RTC
 * decode with garbage registers, and the `date -u` / ISO formatting.
 */
#include "unit.h"
#include <time.h>
#include <core/calendar.h>

static struct calendar_tm tm_of(int y, int mo, int d, int h, int mi, int s)
{
    struct calendar_tm t = { .year = y, .month = mo, .day = d, .hour = h,
                             .minute = mi, .second = s, .weekday = -1, .yday = -1 };
    return t;
}

/* The reference breakdown of secs, via glibc. */
static void ref_gmtime(int64_t secs, struct tm *out)
{
    time_t t = (time_t)secs;

    assert_non_null(gmtime_r(&t, out));
}

static void assert_matches_ref(const struct calendar_tm *t, const struct tm *r)
{
    assert_int_equal(t->year, r->tm_year + 1900);
    assert_int_equal(t->month, r->tm_mon + 1);
    assert_int_equal(t->day, r->tm_mday);
    assert_int_equal(t->hour, r->tm_hour);
    assert_int_equal(t->minute, r->tm_min);
    assert_int_equal(t->second, r->tm_sec);
    assert_int_equal(t->weekday, r->tm_wday);
    assert_int_equal(t->yday, r->tm_yday);
}

/* Every day 1970-01-01 .. 2400-12-31: both directions against the reference. */
static void test_every_day_1970_2400(void **state)
{
    int64_t end = calendar_days_from_civil(2400, 12, 31);
    unsigned leap_days = 0;

    (void)state;
    assert_int_equal(calendar_days_from_civil(1970, 1, 1), 0);
    for (int64_t d = 0; d <= end; d++) {
        struct tm r;
        struct calendar_tm t;
        int64_t y, secs;
        int m, day;

        ref_gmtime(d * 86400 + 45296, &r);     /* 12:34:56 on that day */
        calendar_civil_from_days(d, &y, &m, &day);
        assert_int_equal(y, r.tm_year + 1900);
        assert_int_equal(m, r.tm_mon + 1);
        assert_int_equal(day, r.tm_mday);
        assert_int_equal(calendar_days_from_civil(y, m, day), d);
        assert_int_equal(calendar_weekday(d), r.tm_wday);

        assert_int_equal(calendar_from_unix(d * 86400 + 45296, &t), 0);
        assert_matches_ref(&t, &r);
        assert_int_equal(calendar_to_unix(&t, &secs), 0);
        assert_int_equal(secs, (int64_t)timegm(&r));
        assert_int_equal(secs, d * 86400 + 45296);
        if (m == 2 && day == 29)
            leap_days++;
    }
    /* 1972..2400 every 4th year, less 2100, 2200, 2300 */
    assert_int_equal(leap_days, (2400 - 1972) / 4 + 1 - 3);
}

/* The first and last second of every month, years 1..9999, against timegm. */
static void test_every_month_full_range(void **state)
{
    (void)state;
    for (int y = CALENDAR_YEAR_MIN; y <= CALENDAR_YEAR_MAX; y++) {
        for (int m = 1; m <= 12; m++) {
            struct tm r = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = 1 };
            struct calendar_tm t = tm_of(y, m, 1, 0, 0, 0), back;
            int64_t secs;
            int len = calendar_days_in_month(y, m);

            assert_int_equal(calendar_to_unix(&t, &secs), 0);
            assert_int_equal(secs, (int64_t)timegm(&r));
            t = tm_of(y, m, len, 23, 59, 59);
            assert_int_equal(calendar_to_unix(&t, &secs), 0);
            r = (struct tm){ .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = len,
                             .tm_hour = 23, .tm_min = 59, .tm_sec = 59 };
            assert_int_equal(secs, (int64_t)timegm(&r));
            /* the day after the last is refused */
            t.day = len + 1;
            assert_int_equal(calendar_to_unix(&t, &secs), -EINVAL);
            assert_int_equal(calendar_from_unix((int64_t)timegm(&r), &back), 0);
            ref_gmtime((int64_t)timegm(&r), &r);
            assert_matches_ref(&back, &r);
        }
    }
}

/* Random seconds over the whole supported range, against gmtime_r. */
static void test_random_seconds(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t span = (uint64_t)(CALENDAR_UNIX_MAX - CALENDAR_UNIX_MIN) + 1;

    (void)state;
    for (unsigned i = 0; i < 200000; i++) {
        struct calendar_tm t;
        struct tm r;
        int64_t secs, back;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        secs = CALENDAR_UNIX_MIN + (int64_t)(x % span);
        if (i < 100000)         /* half of them near the epoch, negative included */
            secs = (int64_t)(x % (200ull * 365 * 86400)) - 100ll * 365 * 86400;
        ref_gmtime(secs, &r);
        assert_int_equal(calendar_from_unix(secs, &t), 0);
        assert_matches_ref(&t, &r);
        assert_int_equal(calendar_to_unix(&t, &back), 0);
        assert_int_equal(back, secs);
    }
}

static void test_range_ends(void **state)
{
    struct calendar_tm t = tm_of(1, 1, 1, 5, 5, 5), keep;
    int64_t secs = 42;

    (void)state;
    assert_int_equal(calendar_from_unix(CALENDAR_UNIX_MIN, &t), 0);
    assert_int_equal(t.year, 1);
    assert_int_equal(t.month, 1);
    assert_int_equal(t.day, 1);
    assert_int_equal(t.hour + t.minute + t.second, 0);
    assert_int_equal(t.weekday, 1);        /* 0001-01-01 (proleptic) was a Monday */
    assert_int_equal(calendar_from_unix(CALENDAR_UNIX_MAX, &t), 0);
    assert_int_equal(t.year, 9999);
    assert_int_equal(t.month, 12);
    assert_int_equal(t.day, 31);
    assert_int_equal(t.second, 59);
    assert_int_equal(t.yday, 364);

    keep = t;
    assert_int_equal(calendar_from_unix(CALENDAR_UNIX_MIN - 1, &t), -ERANGE);
    assert_int_equal(calendar_from_unix(CALENDAR_UNIX_MAX + 1, &t), -ERANGE);
    assert_int_equal(calendar_from_unix(INT64_MIN, &t), -ERANGE);
    assert_int_equal(calendar_from_unix(INT64_MAX, &t), -ERANGE);
    assert_memory_equal(&t, &keep, sizeof(t));

    t = tm_of(0, 12, 31, 23, 59, 59);
    assert_int_equal(calendar_to_unix(&t, &secs), -ERANGE);
    t = tm_of(10000, 1, 1, 0, 0, 0);
    assert_int_equal(calendar_to_unix(&t, &secs), -ERANGE);
    t = tm_of(INT32_MIN, 1, 1, 0, 0, 0);
    assert_int_equal(calendar_to_unix(&t, &secs), -ERANGE);
    assert_int_equal(secs, 42);
}

static void test_leap_years(void **state)
{
    struct calendar_tm t;
    int64_t secs;

    (void)state;
    assert_false(calendar_is_leap(1900));
    assert_true(calendar_is_leap(2000));
    assert_false(calendar_is_leap(2100));
    assert_true(calendar_is_leap(2400));
    assert_true(calendar_is_leap(2024));
    assert_false(calendar_is_leap(2023));
    assert_true(calendar_is_leap(0));
    assert_true(calendar_is_leap(-4));
    assert_false(calendar_is_leap(-100));
    static const struct { int year, month, days; } lengths[] = {
        { 1900, 2, 28 }, { 2000, 2, 29 }, { 2100, 2, 28 }, { 2026, 4, 30 },
        { 2026, 0, 0 }, { 2026, 13, 0 },
    };
    for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++)
        assert_int_equal(calendar_days_in_month(lengths[i].year, lengths[i].month),
                         lengths[i].days);

    t = tm_of(2000, 2, 29, 0, 0, 0);
    assert_int_equal(calendar_to_unix(&t, &secs), 0);
    assert_int_equal(secs, 951782400);
    t = tm_of(1900, 2, 29, 0, 0, 0);
    assert_int_equal(calendar_to_unix(&t, &secs), -EINVAL);
    t = tm_of(2100, 2, 29, 0, 0, 0);
    assert_int_equal(calendar_to_unix(&t, &secs), -EINVAL);
    /* days count across 2000-02-28 -> 02-29 -> 03-01 and 2100-02-28 -> 03-01 */
    assert_int_equal(calendar_days_from_civil(2000, 3, 1) - calendar_days_from_civil(2000, 2, 28), 2);
    assert_int_equal(calendar_days_from_civil(2100, 3, 1) - calendar_days_from_civil(2100, 2, 28), 1);
    /* known day numbers */
    assert_int_equal(calendar_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(calendar_days_from_civil(2000, 1, 1), 10957);
    assert_int_equal(calendar_weekday(-1), 3);     /* a Wednesday */
}

static void test_invalid_fields(void **state)
{
    static const struct { int y, mo, d, h, mi, s; } bad[] = {
        { 2026, 0, 1, 0, 0, 0 }, { 2026, 13, 1, 0, 0, 0 }, { 2026, -1, 1, 0, 0, 0 },
        { 2026, 1, 0, 0, 0, 0 }, { 2026, 1, 32, 0, 0, 0 }, { 2026, 4, 31, 0, 0, 0 },
        { 2026, 2, 29, 0, 0, 0 }, { 2026, 1, -5, 0, 0, 0 },
        { 2026, 1, 1, 24, 0, 0 }, { 2026, 1, 1, -1, 0, 0 },
        { 2026, 1, 1, 0, 60, 0 }, { 2026, 1, 1, 0, -1, 0 },
        { 2026, 1, 1, 0, 0, 60 },   /* leap second: refused (documented) */
        { 2026, 1, 1, 0, 0, -1 }, { 2026, 1, 1, 0, 0, INT32_MAX },
    };
    char buf[40] = "untouched";

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct calendar_tm t = tm_of(bad[i].y, bad[i].mo, bad[i].d, bad[i].h, bad[i].mi, bad[i].s);
        int64_t secs = 7;

        assert_int_equal(calendar_validate(&t), -EINVAL);
        assert_int_equal(calendar_to_unix(&t, &secs), -EINVAL);
        assert_int_equal(secs, 7);
        assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), -EINVAL);
        assert_string_equal(buf, "");
        assert_int_equal(calendar_format_iso(&t, buf, sizeof(buf)), -EINVAL);
    }
    struct calendar_tm ok = tm_of(2026, 12, 31, 23, 59, 59);
    assert_int_equal(calendar_validate(&ok), 0);
}

static void test_bcd(void **state)
{
    int v = -1;

    (void)state;
    for (unsigned b = 0; b < 256; b++) {
        int out = -1234;
        int err = calendar_bcd_decode((uint8_t)b, &out);

        if ((b >> 4) <= 9 && (b & 0xf) <= 9) {
            assert_int_equal(err, 0);
            assert_int_equal(out, (int)((b >> 4) * 10 + (b & 0xf)));
        } else {
            assert_int_equal(err, -EINVAL);
            assert_int_equal(out, -1234);
        }
    }
    assert_int_equal(calendar_bcd_decode(0x59, &v), 0);
    assert_int_equal(v, 59);
    assert_int_equal(calendar_bcd_decode(0x99, &v), 0);
    assert_int_equal(v, 99);
    assert_int_equal(calendar_bcd_decode(0x0a, &v), -EINVAL);
    assert_int_equal(calendar_bcd_decode(0xa0, &v), -EINVAL);
    assert_int_equal(calendar_bcd_decode(0xff, &v), -EINVAL);
    assert_int_equal(v, 99);
}

static void test_hour12(void **state)
{
    static const struct { int h12; bool pm; int h24; } cases[] = {
        { 12, false, 0 }, { 1, false, 1 }, { 11, false, 11 },
        { 12, true, 12 }, { 1, true, 13 }, { 11, true, 23 },
    };
    int out = -7;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(calendar_hour12_to_24(cases[i].h12, cases[i].pm, &out), 0);
        assert_int_equal(out, cases[i].h24);
    }
    out = -7;
    assert_int_equal(calendar_hour12_to_24(0, false, &out), -EINVAL);
    assert_int_equal(calendar_hour12_to_24(0, true, &out), -EINVAL);
    assert_int_equal(calendar_hour12_to_24(13, false, &out), -EINVAL);
    assert_int_equal(calendar_hour12_to_24(-1, true, &out), -EINVAL);
    assert_int_equal(out, -7);
}

static void test_century(void **state)
{
    int y = -5;

    (void)state;
    assert_int_equal(calendar_year_from_2digit(0, CALENDAR_NO_CENTURY, &y), 0);
    assert_int_equal(y, 2000);
    assert_int_equal(calendar_year_from_2digit(69, CALENDAR_NO_CENTURY, &y), 0);
    assert_int_equal(y, 2069);
    assert_int_equal(calendar_year_from_2digit(70, CALENDAR_NO_CENTURY, &y), 0);
    assert_int_equal(y, 1970);
    assert_int_equal(calendar_year_from_2digit(99, CALENDAR_NO_CENTURY, &y), 0);
    assert_int_equal(y, 1999);
    assert_int_equal(calendar_year_from_2digit(99, 20, &y), 0);
    assert_int_equal(y, 2099);
    assert_int_equal(calendar_year_from_2digit(5, 21, &y), 0);
    assert_int_equal(y, 2105);
    assert_int_equal(calendar_year_from_2digit(99, 19, &y), 0);
    assert_int_equal(y, 1999);
    y = -5;
    assert_int_equal(calendar_year_from_2digit(100, CALENDAR_NO_CENTURY, &y), -EINVAL);
    assert_int_equal(calendar_year_from_2digit(-1, 20, &y), -EINVAL);
    assert_int_equal(calendar_year_from_2digit(10, 100, &y), -EINVAL);
    assert_int_equal(calendar_year_from_2digit(10, -2, &y), -EINVAL);
    assert_int_equal(y, -5);
}

static struct calendar_rtc_regs bcd24(uint8_t s, uint8_t mi, uint8_t h, uint8_t d, uint8_t mo,
                                      uint8_t y, int century)
{
    struct calendar_rtc_regs r = { .second = s, .minute = mi, .hour = h, .day = d, .month = mo,
                                   .year = y, .century = century, .binary = false,
                                   .hour24 = true };
    return r;
}

static void test_rtc_decode(void **state)
{
    struct calendar_rtc_regs r;
    struct calendar_tm t, keep;
    char buf[40];

    (void)state;
    /* BCD, 24-hour, no century register: 2030-06-15 12:34:56 (a Saturday) */
    r = bcd24(0x56, 0x34, 0x12, 0x15, 0x06, 0x30, CALENDAR_NO_CENTURY);
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), 28);
    assert_string_equal(buf, "Sat Jun 15 12:34:56 UTC 2030");
    assert_int_equal(t.weekday, 6);
    assert_int_equal(t.yday, 165);
    /* with a BCD century register of 0x19: 1930 */
    r.century = 0x19;
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(t.year, 1930);
    /* without it, 99 is 1999 */
    r = bcd24(0x59, 0x59, 0x23, 0x31, 0x12, 0x99, CALENDAR_NO_CENTURY);
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(calendar_format_iso(&t, buf, sizeof(buf)), 19);
    assert_string_equal(buf, "1999-12-31 23:59:59");

    /* binary, 24-hour, binary century 20 */
    r = (struct calendar_rtc_regs){ .second = 7, .minute = 45, .hour = 13, .day = 2, .month = 12,
                                    .year = 26, .century = 20, .binary = true, .hour24 = true };
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), 28);
    assert_string_equal(buf, "Wed Dec  2 13:45:07 UTC 2026");

    /* 12-hour mode, BCD: 12 AM is 00, 12 PM is 12, 11 PM is 23 */
    r = bcd24(0, 0, 0x12, 1, 1, 0x24, CALENDAR_NO_CENTURY);
    r.hour24 = false;
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 0);
    r.hour = 0x12 | CALENDAR_RTC_PM;
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 12);
    r.hour = 0x11 | CALENDAR_RTC_PM;
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 23);
    /* 12-hour mode, binary: 1 PM */
    r.binary = true;
    r.year = 24;
    r.hour = 1 | CALENDAR_RTC_PM;
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(t.hour, 13);

    /* garbage: each refused with -EINVAL, *tm untouched */
    keep = t;
    static const struct calendar_rtc_regs garbage[] = {
        { 0x5a, 0, 0, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, true },    /* BCD nibble a */
        { 0x60, 0, 0, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, true },    /* second 60 */
        { 0, 0x60, 0, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, true },    /* minute 60 */
        { 0, 0, 0x24, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, true },    /* hour 24 */
        { 0, 0, 0x92, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, true },    /* PM bit in 24 h */
        { 0, 0, 0x00, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, false },   /* 12 h hour 0 */
        { 0, 0, 0x13, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, false },   /* 12 h hour 13 */
        { 0, 0, 0x8d, 1, 1, 0x24, CALENDAR_NO_CENTURY, false, false },   /* PM, nibble d */
        { 0, 0, 0, 0, 1, 0x24, CALENDAR_NO_CENTURY, false, true },       /* day 0 */
        { 0, 0, 0, 0x32, 1, 0x24, CALENDAR_NO_CENTURY, false, true },    /* day 32 */
        { 0, 0, 0, 0x29, 2, 0x23, CALENDAR_NO_CENTURY, false, true },    /* 2023-02-29 */
        { 0, 0, 0, 0x29, 2, 0x00, 0x21, false, true },                   /* 2100-02-29 */
        { 0, 0, 0, 1, 0, 0x24, CALENDAR_NO_CENTURY, false, true },       /* month 0 */
        { 0, 0, 0, 1, 0x13, 0x24, CALENDAR_NO_CENTURY, false, true },    /* month 13 */
        { 0, 0, 0, 1, 1, 0x9a, CALENDAR_NO_CENTURY, false, true },       /* year nibble */
        { 0, 0, 0, 1, 1, 100, CALENDAR_NO_CENTURY, true, true },         /* binary year 100 */
        { 0, 0, 0, 1, 1, 0x24, 0x2a, false, true },                      /* century nibble */
        { 0, 0, 0, 1, 1, 24, 100, true, true },                          /* binary century 100 */
        { 0, 0, 0, 1, 1, 0, 0, true, true },                             /* year 0000 */
        { 0, 0, 0, 1, 1, 24, 256, true, true },                          /* not a byte */
        { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, false, true },       /* a dead CMOS */
        { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, CALENDAR_NO_CENTURY, true, true },
    };
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++) {
        t = keep;
        assert_int_equal(calendar_rtc_decode(&garbage[i], &t), -EINVAL);
        assert_memory_equal(&t, &keep, sizeof(t));
    }
    /* 2000-02-29 with the century register: valid (2000 is a leap year) */
    r = bcd24(0, 0, 0, 0x29, 2, 0x00, 0x20);
    assert_int_equal(calendar_rtc_decode(&r, &t), 0);
    assert_int_equal(t.year, 2000);
}

static void test_format(void **state)
{
    struct calendar_tm t = tm_of(2026, 1, 9, 0, 0, 0);
    char buf[29], small[28];

    (void)state;
    assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), 28);
    assert_string_equal(buf, "Fri Jan  9 00:00:00 UTC 2026");
    t = tm_of(1999, 12, 31, 23, 59, 59);
    assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), 28);
    assert_string_equal(buf, "Fri Dec 31 23:59:59 UTC 1999");
    t = tm_of(2000, 1, 1, 0, 0, 0);
    assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), 28);
    assert_string_equal(buf, "Sat Jan  1 00:00:00 UTC 2000");
    /* one byte short: -ENOSPC, "" */
    assert_int_equal(calendar_format_date(&t, small, sizeof(small)), -ENOSPC);
    assert_string_equal(small, "");
    assert_int_equal(calendar_format_date(&t, small, 0), -ENOSPC);
    assert_int_equal(calendar_format_iso(&t, small, 19), -ENOSPC);
    assert_string_equal(small, "");
    assert_int_equal(calendar_format_iso(&t, small, 20), 19);
    assert_string_equal(small, "2000-01-01 00:00:00");
    t = tm_of(10000, 1, 1, 0, 0, 0);
    assert_int_equal(calendar_format_iso(&t, buf, sizeof(buf)), -ERANGE);
    /* every weekday name against the reference's strftime */
    for (int d = 1; d <= 7; d++) {
        struct tm r = { .tm_year = 2026 - 1900, .tm_mon = 1, .tm_mday = d, .tm_hour = 8 };
        char want[40];

        t = tm_of(2026, 2, d, 8, 0, 0);
        time_t secs = timegm(&r);
        gmtime_r(&secs, &r);
        strftime(want, sizeof(want), "%a %b %e %H:%M:%S UTC %Y", &r);
        assert_int_equal(calendar_format_date(&t, buf, sizeof(buf)), 28);
        assert_string_equal(buf, want);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_day_1970_2400),
        cmocka_unit_test(test_every_month_full_range),
        cmocka_unit_test(test_random_seconds),
        cmocka_unit_test(test_range_ends),
        cmocka_unit_test(test_leap_years),
        cmocka_unit_test(test_invalid_fields),
        cmocka_unit_test(test_bcd),
        cmocka_unit_test(test_hour12),
        cmocka_unit_test(test_century),
        cmocka_unit_test(test_rtc_decode),
        cmocka_unit_test(test_format),
    };
    return cmocka_run_group_tests_name("core/calendar", tests, NULL, NULL);
}
