/*
 * include/dev/rtc.h - the PC's CMOS real-time clock (Motorola MC146818 and
 * its compatibles) read through I/O ports 0x70 (index) and 0x71 (data).
 *
 * Part of dev. rtc_read takes a consistent snapshot of the clock: it
 * waits (bounded) until register A's update-in-progress bit is clear,
 * reads the time and date registers and register B, and repeats until
 * two snapshots in a row agree (an update between two register reads
 * would otherwise mix two seconds, e.g. 12:59:59 + 13:00:00 = 12:00:00
 * or 13:59:00). Register B says whether the values are BCD or binary and
 * whether the hour is 12- or 24-hour (bit 7 = PM); dev/rtc hands the raw
 * bytes to core/calendar (calendar_rtc_decode), which validates them.
 * The century comes from the register the ACPI FADT names (QEMU: 0x32),
 * else 00-69 are 20xx and 70-99 19xx (see calendar_year_from_2digit).
 * The RTC keeps UTC here (QEMU's default; a PC dual-booting Windows may
 * keep local time, which Basalt cannot tell).
 *
 * Kernel parameter: `rtc.off` makes rtc_init act as if there were no
 * CMOS clock (rtc_read returns -ENODEV): the kernel without a wall clock,
 * for tests.
 *
 * NMIs: bit 7 of the index written to port 0x70 masks NMIs on PC chipsets.
 * dev/rtc writes indexes with bit 7 clear, as Linux does: NMIs stay
 * enabled, and nothing else in Basalt masks them through this port.
 *
 * Locking: rtc_lock (irqsave spinlock, a leaf: nothing is taken under it)
 *   guards the CMOS index/data port pair: every write of an index and the
 *   data access that follows it, so that two CPUs (or an interrupt) never
 *   interleave an index and another's data. A whole snapshot (8 registers)
 *   is read under one hold (about 10 microseconds); waiting for an update
 *   to end polls register A with the lock dropped between polls.
 *   rtc_century_index is written once by rtc_init (boot, single CPU) and
 *   read-only afterwards.
 */
#ifndef BASALT_DEV_RTC_H
#define BASALT_DEV_RTC_H

#include <core/compiler.h>
#include <core/calendar.h>

#define RTC_PORT_INDEX      0x70
#define RTC_PORT_DATA       0x71
#define RTC_NMI_DISABLE     0x80        /* in the index byte; never set by dev/rtc */

/* Register indexes. */
#define RTC_REG_SECONDS     0x00
#define RTC_REG_MINUTES     0x02
#define RTC_REG_HOURS       0x04
#define RTC_REG_DAY         0x07        /* day of the month */
#define RTC_REG_MONTH       0x08
#define RTC_REG_YEAR        0x09
#define RTC_REG_A           0x0a
#define RTC_REG_B           0x0b
#define RTC_REG_FIRST_FREE  0x0e        /* first index past the clock's own registers */

#define RTC_A_UIP           0x80        /* update in progress: the time registers are changing */
#define RTC_B_SET           0x80        /* updates halted while software sets the clock */
#define RTC_B_BINARY        0x04        /* DM: binary values (else BCD) */
#define RTC_B_24H           0x02        /* 24-hour mode (else 12-hour with bit 7 = PM) */

/* How long rtc_read waits for register A's UIP bit to clear (an update takes < 2 ms). */
#define RTC_UIP_TIMEOUT_NS  20000000ull
/* How many snapshots rtc_read takes at most looking for two that agree. */
#define RTC_READ_ATTEMPTS   8

/*
 * Learns the platform's RTC from the ACPI FADT: the century register's
 * index (used when it is in RTC_REG_FIRST_FREE..0x7f; another value is
 * reported and ignored) and the "no CMOS RTC" boot flag; and `rtc.off`.
 * Call once at boot after acpi_init, before other CPUs use the RTC;
 * without ACPI there is no century register. Logs what it found at debug level.
 */
void rtc_init(void);

/*
 * Reads the clock into *tm (UTC, weekday and yday filled). Any thread or
 * boot context, interrupts on or off (takes rtc_lock with irqsave; the
 * caller must not hold it); busy-waits up to RTC_UIP_TIMEOUT_NS per
 * snapshot, so it may take a few milliseconds. Returns 0, or:
 *   -ENODEV     the FADT says there is no CMOS RTC, or rtc.off;
 *   -ETIMEDOUT  update-in-progress never cleared (no RTC at 0x70: the
 *               port reads 0xff);
 *   -EIO        no two snapshots agreed in RTC_READ_ATTEMPTS;
 *   -EINVAL     the registers hold no valid date (a dead CMOS battery:
 *               BCD nibbles above 9, month 0, ...).
 * Each failure logs one warning line naming the cause (and the raw
 * registers for -EINVAL); *tm is written only on success.
 */
int rtc_read(struct calendar_tm *tm);

#endif
