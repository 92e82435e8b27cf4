/*
 * src/dev/rtc.c - the MC146818 CMOS real-time clock: consistent snapshots
 * of its registers, decoded by core/calendar. See include/dev/rtc.h for
 * the protocol and the lock legend.
 */
#include <dev/rtc.h>
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/spinlock.h>
#include <core/string.h>
#include <core/time.h>
#include <core/x86.h>
#include <dev/acpi.h>

CMDLINE_PARAM(rtc_off, "rtc.off", CMDLINE_FLAG, 0, 0,
              "act as if the machine had no CMOS clock (tests the kernel without a wall clock)");

static spinlock_t rtc_lock = SPINLOCK_INIT("rtc_lock");
static uint8_t rtc_century_index;       /* 0: none; set by rtc_init, read-only after */
static bool rtc_absent;                 /* the FADT says there is no CMOS RTC, or rtc.off */
static const char *rtc_absent_why = "";

/* The registers of one snapshot, compared as a whole. */
struct rtc_snapshot {
    uint8_t second, minute, hour, day, month, year, century, reg_b;
};

/* One CMOS register. Caller holds rtc_lock. */
static uint8_t cmos_read_locked(uint8_t index)
{
    spin_assert_held(&rtc_lock);
    outb(RTC_PORT_INDEX, index & (uint8_t)~RTC_NMI_DISABLE);    /* NMIs stay enabled */
    return inb(RTC_PORT_DATA);
}

void rtc_init(void)
{
    const struct acpi_info *acpi = acpi_get();
    uint8_t idx;

    if (cmdline_has(cmdline_boot(), "rtc.off")) {
        rtc_absent = true;
        rtc_absent_why = "rtc.off on the command line";
    }
    if (!acpi || !acpi->fadt.present)
        return;
    if (acpi->fadt.iapc_boot_arch & ACPI_BOOT_NO_CMOS_RTC) {
        rtc_absent = true;
        rtc_absent_why = "the ACPI FADT says this machine has none";
    }
    idx = acpi->fadt.century;
    if (idx != 0 && (idx < RTC_REG_FIRST_FREE || idx >= 0x80)) {
        pr_warn("rtc: the FADT names CMOS %#x as the century register; ignored "
                "(years 70-99 read as 19xx, 00-69 as 20xx)", idx);
        idx = 0;
    }
    rtc_century_index = idx;
    pr_debug("rtc: century register %s%#x%s", idx ? "at CMOS " : "", idx, idx ? "" : " (none)");
}

/*
 * Waits until register A's UIP bit is clear, polling with the lock dropped
 * between polls, then (lock held again, interrupts off) reads a snapshot:
 * an update starts no sooner than 244 us after UIP was seen clear, far
 * more than the reads take. Returns 0 or -ETIMEDOUT.
 */
static int read_snapshot(struct rtc_snapshot *s)
{
    uint64_t deadline = time_ns() + RTC_UIP_TIMEOUT_NS;
    uint64_t flags;

    for (;;) {
        flags = spin_lock_irqsave(&rtc_lock);
        if (!(cmos_read_locked(RTC_REG_A) & RTC_A_UIP))
            break;
        spin_unlock_irqrestore(&rtc_lock, flags);
        if (time_ns() > deadline)
            return -ETIMEDOUT;
        cpu_relax();
    }
    s->second = cmos_read_locked(RTC_REG_SECONDS);
    s->minute = cmos_read_locked(RTC_REG_MINUTES);
    s->hour = cmos_read_locked(RTC_REG_HOURS);
    s->day = cmos_read_locked(RTC_REG_DAY);
    s->month = cmos_read_locked(RTC_REG_MONTH);
    s->year = cmos_read_locked(RTC_REG_YEAR);
    s->century = rtc_century_index ? cmos_read_locked(rtc_century_index) : 0;
    s->reg_b = cmos_read_locked(RTC_REG_B);
    spin_unlock_irqrestore(&rtc_lock, flags);
    return 0;
}

static bool same_snapshot(const struct rtc_snapshot *a, const struct rtc_snapshot *b)
{
    return a->second == b->second && a->minute == b->minute && a->hour == b->hour &&
           a->day == b->day && a->month == b->month && a->year == b->year &&
           a->century == b->century && a->reg_b == b->reg_b;
}

int rtc_read(struct calendar_tm *tm)
{
    struct rtc_snapshot prev, cur;
    struct calendar_rtc_regs regs;
    bool agreed = false;
    int err;

    if (rtc_absent) {
        pr_warn("rtc: no CMOS clock: %s", rtc_absent_why);
        return -ENODEV;
    }
    if ((err = read_snapshot(&prev)) != 0)
        goto timeout;
    for (unsigned i = 1; i < RTC_READ_ATTEMPTS && !agreed; i++) {
        if ((err = read_snapshot(&cur)) != 0)
            goto timeout;
        agreed = same_snapshot(&prev, &cur);
        prev = cur;
    }
    if (!agreed) {
        pr_warn("rtc: the clock changed between each of %u reads; no time read",
                RTC_READ_ATTEMPTS);
        return -EIO;
    }
    regs = (struct calendar_rtc_regs){
        .second = cur.second, .minute = cur.minute, .hour = cur.hour, .day = cur.day,
        .month = cur.month, .year = cur.year,
        .century = rtc_century_index ? cur.century : CALENDAR_NO_CENTURY,
        .binary = (cur.reg_b & RTC_B_BINARY) != 0, .hour24 = (cur.reg_b & RTC_B_24H) != 0,
    };
    err = calendar_rtc_decode(&regs, tm);
    if (err) {
        pr_warn("rtc: the clock holds no valid date (dead battery?): "
                "%02x-%02x-%02x %02x:%02x:%02x century %02x, register B %#04x (%s, %s)",
                cur.year, cur.month, cur.day, cur.hour, cur.minute, cur.second, cur.century,
                cur.reg_b, regs.binary ? "binary" : "BCD", regs.hour24 ? "24-hour" : "12-hour");
        return -EINVAL;
    }
    return 0;

timeout:
    pr_warn("rtc: update in progress for more than %llu ms (no CMOS clock at port %#x?)",
            RTC_UIP_TIMEOUT_NS / 1000000, RTC_PORT_INDEX);
    return err;
}
