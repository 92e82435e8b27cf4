/*
 * src/dev/rtc_cmds.c - the shell's `date` (the wall clock, printed as
 * `date -u` does on Linux: "Wed Dec  2 13:45:07 UTC 2026") and `hwclock`
 * (the CMOS clock read now: "2026-12-02 13:45:07 UTC").
 *
 * Part of dev: `date` reads core/walltime (no lock); when the wall clock
 * was never set it reads the RTC to say why. `hwclock` calls rtc_read
 * (takes rtc_lock).
 */
#include <core/calendar.h>
#include <core/errno.h>
#include <core/shell.h>
#include <core/walltime.h>
#include <dev/rtc.h>

/* An RTC failure as a command result: never -EINVAL, which would print the usage. */
static int rtc_failure(int err)
{
    return err == -EINVAL ? -EIO : err;
}

static int cmd_date(int argc, char **argv)
{
    struct calendar_tm tm;
    char text[40];
    int64_t ns;
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    if (!walltime_valid()) {
        err = rtc_read(&tm);
        shell_error("date: no wall clock: the CMOS clock could not be read at boot (%s now)",
                    err ? errno_name(err) : "it reads");
        return err ? rtc_failure(err) : -EAGAIN;
    }
    ns = walltime_ns();
    err = calendar_from_unix(ns / 1000000000, &tm);
    if (!err)
        err = calendar_format_date(&tm, text, sizeof(text));
    if (err < 0) {
        shell_error("date: the wall clock (%lld s) is not a date of years %d-%d",
                    (long long)(ns / 1000000000), CALENDAR_YEAR_MIN, CALENDAR_YEAR_MAX);
        return -ERANGE;
    }
    shell_printf("%s\n", text);
    return 0;
}
SHELL_COMMAND("date", "", "the date and time (UTC), as date -u prints it", cmd_date);

static int cmd_hwclock(int argc, char **argv)
{
    struct calendar_tm tm;
    char text[32];
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    err = rtc_read(&tm);        /* logs the cause of a failure */
    if (err) {
        shell_error("hwclock: the CMOS clock could not be read (%s)", errno_name(err));
        return rtc_failure(err);
    }
    calendar_format_iso(&tm, text, sizeof(text));
    shell_printf("%s UTC\n", text);
    return 0;
}
SHELL_COMMAND("hwclock", "", "the CMOS real-time clock read now (UTC)", cmd_hwclock);
