/*
 * src/core/tests/calendar_ktests.c - core/calendar in the kernel build:
 * the pure date arithmetic, host-tested in test/unit/test_calendar.c, run
 * freestanding on a few known dates (the Unix epoch, a leap day, the RTC
 * registers of QEMU's -rtc base=2030-06-15T12:34:56, a garbage register).
 */
#include <core/calendar.h>
#include <core/errno.h>
#include <core/ktest.h>

KTEST(calendar, known_dates)
{
    struct calendar_tm tm = { .year = 2000, .month = 2, .day = 29, .hour = 12 };
    int64_t secs = 0;
    char text[32];

    KT_ASSERT_EQ(calendar_to_unix(&tm, &secs), 0);
    KT_EXPECT_EQ(secs, 951825600);
    KT_ASSERT_EQ(calendar_from_unix(0, &tm), 0);
    KT_EXPECT_EQ(calendar_format_date(&tm, text, sizeof(text)), 28);
    KT_EXPECT_STREQ(text, "Thu Jan  1 00:00:00 UTC 1970");
    KT_ASSERT_EQ(calendar_from_unix(-1, &tm), 0);
    KT_EXPECT_EQ(calendar_format_iso(&tm, text, sizeof(text)), 19);
    KT_EXPECT_STREQ(text, "1969-12-31 23:59:59");
    tm.month = 2;
    tm.day = 29;
    tm.year = 2100;
    KT_EXPECT_EQ(calendar_to_unix(&tm, &secs), -EINVAL);
}

KTEST(calendar, rtc_registers)
{
    struct calendar_rtc_regs regs = { .second = 0x56, .minute = 0x34, .hour = 0x12, .day = 0x15,
                                      .month = 0x06, .year = 0x30, .century = 0x20,
                                      .binary = false, .hour24 = true };
    struct calendar_tm tm;
    char text[32];

    KT_ASSERT_EQ(calendar_rtc_decode(&regs, &tm), 0);
    KT_EXPECT_EQ(calendar_format_date(&tm, text, sizeof(text)), 28);
    KT_EXPECT_STREQ(text, "Sat Jun 15 12:34:56 UTC 2030");
    regs.hour24 = false;
    regs.hour = 0x12;           /* 12 AM */
    KT_ASSERT_EQ(calendar_rtc_decode(&regs, &tm), 0);
    KT_EXPECT_EQ(tm.hour, 0);
    regs.month = 0x1a;          /* not BCD */
    KT_EXPECT_EQ(calendar_rtc_decode(&regs, &tm), -EINVAL);
}
