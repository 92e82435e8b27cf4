/*
 * src/dev/tests/rtc_ktests.c - in-kernel tests of the CMOS clock (dev/rtc)
 * and the wall clock set from it at boot (core/walltime).
 *
 * QEMU's RTC starts at the host's UTC time unless told otherwise (-rtc
 * base=...), so a read must give a valid date of 2024 or later; two reads
 * 1.1 s apart must differ by 1 or 2 seconds (the RTC ticks once a second);
 * the wall clock must agree with the RTC within 2 s; the registers must
 * read the same under the lock from several CPUs at once (no interleaved
 * index/data pairs: every read is a valid date).
 */
#include <core/calendar.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/cpu.h>
#include <core/time.h>
#include <core/walltime.h>
#include <dev/rtc.h>
#include <sched/thread.h>

static int64_t rtc_secs(void)
{
    struct calendar_tm tm;
    int64_t secs = 0;

    KT_ASSERT_EQ(rtc_read(&tm), 0);
    KT_ASSERT_EQ(calendar_to_unix(&tm, &secs), 0);
    return secs;
}

KTEST(rtc, read_valid_date)
{
    struct calendar_tm tm;

    KT_ASSERT_EQ(rtc_read(&tm), 0);
    KT_EXPECT_EQ(calendar_validate(&tm), 0);
    KT_EXPECT_GE(tm.year, 2024);
    KT_EXPECT_LE(tm.year, 2200);
}

KTEST(rtc, ticks_once_a_second)
{
    int64_t a = rtc_secs(), b;

    time_sleep_ns(1100000000ull);
    b = rtc_secs();
    KT_EXPECT_GE(b - a, 1);
    KT_EXPECT_LE(b - a, 2);
}

KTEST(rtc, wall_clock_agrees)
{
    int64_t wall, rtc;

    KT_ASSERT_TRUE(walltime_valid());
    rtc = rtc_secs();
    wall = walltime_ns() / 1000000000;
    /* the base is the RTC's whole second at boot: the wall clock lags by < 1 s, plus drift */
    KT_EXPECT_GE(wall, rtc - 2);
    KT_EXPECT_LE(wall, rtc + 2);
}

static int reads_failed;

static void *read_many(void *arg)
{
    struct calendar_tm tm;

    (void)arg;
    for (int i = 0; i < 50; i++)
        if (rtc_read(&tm) != 0)
            __atomic_add_fetch(&reads_failed, 1, __ATOMIC_RELAXED);
    return NULL;
}

KTEST(rtc, concurrent_reads)
{
    struct thread *t[4];
    unsigned n = cpu_count() < 4 ? cpu_count() : 4;

    if (n < 2)
        KT_SKIP("needs a second CPU for a concurrent reader (%u online)", cpu_count());
    reads_failed = 0;
    for (unsigned i = 0; i < n; i++) {
        t[i] = thread_create("kt-rtc", read_many, NULL, THREAD_CPU(i));
        KT_ASSERT_TRUE(t[i] != NULL);
    }
    for (unsigned i = 0; i < n; i++)
        KT_EXPECT_EQ(thread_join(t[i], NULL), 0);
    KT_EXPECT_EQ(__atomic_load_n(&reads_failed, __ATOMIC_RELAXED), 0);
}
