/*
 * include/dev/acpi.h - ACPI in the kernel: finding the tables at boot,
 * power-off and reboot.
 *
 * Part of dev. acpi_init finds the RSDP (the loader's copy from the
 * multiboot2 tag; otherwise the legacy BIOS area scan, which under UEFI is
 * only a last resort), reads every table through dev/acpi_parse (tables in
 * RAM through the direct map, the rest through temporary vmm_ioremap
 * windows, all unmapped again before it returns) and keeps the result for
 * acpi_get. Broken firmware tables are reported ("acpi: skipping FACP at
 * 0x7fe14ab: bad checksum") and skipped; the kernel then runs without what
 * they would have given.
 *
 * Kernel parameters:
 *   acpi.dump              print every table as hex over the consoles (see
 *                          test/unit/fixtures/acpi/dump2fixture.py)
 *   acpi.poweroff_at_boot  power off at the end of boot (tests)
 *   acpi.reboot_at_boot    reboot at the end of boot (tests)
 *
 * Locking: acpi_init runs once, during single-threaded boot; acpi_get's
 * result is read-only afterwards. acpi_poweroff and acpi_reboot disable
 * interrupts on the calling CPU; the other CPUs are not stopped first and
 * run until the machine goes off or resets.
 */
#ifndef BASALT_DEV_ACPI_H
#define BASALT_DEV_ACPI_H

#include <core/compiler.h>
#include <dev/acpi_parse.h>

struct boot_info;

/*
 * Finds and parses the ACPI tables and logs a summary. Needs the heap and
 * vmm_ioremap (after the memory step). Returns 0; -ENOENT when no valid
 * RSDP was found; -EINVAL when the RSDP leads to no usable root table;
 * -EALREADY on a second call. Without ACPI acpi_get returns NULL.
 */
int acpi_init(const struct boot_info *bi);

/* The parsed tables, or NULL when acpi_init has not succeeded. */
const struct acpi_info *acpi_get(void);

/*
 * Soft-off (S5): writes SLP_TYPx | SLP_EN to the PM1a (and PM1b) control
 * blocks, or to the sleep control register on hardware-reduced ACPI, after
 * turning ACPI mode on through SMI_CMD if the firmware left it off. Logs
 * "acpi: powering off" first. Returns only on failure: -ENODEV without
 * ACPI or a FADT, -EOPNOTSUPP without \_S5 or a PM1a control block, -EIO
 * when the machine was still running 500 ms after the write (interrupts
 * are then as they were). Never hangs.
 */
int acpi_poweroff(void);

/*
 * Before the machine goes off or resets on request (the shell's poweroff
 * and reboot, acpi.poweroff_at_boot / acpi.reboot_at_boot): a hook, so dev
 * needs nothing above it. fs registers one that writes every file system
 * back (fs/writeback). acpi_set_shutdown_hook returns the hook it replaces
 * (NULL: none); one hook, set at boot. acpi_prepare_shutdown runs it and
 * returns its result (0 without a hook); the callers log a failure and
 * power off anyway. Thread context (the hook sleeps for I/O), no lock held.
 * acpi_poweroff and acpi_reboot themselves never call it (a panic resets
 * without touching the disks).
 */
typedef int (*acpi_shutdown_fn)(void);
acpi_shutdown_fn acpi_set_shutdown_hook(acpi_shutdown_fn fn);
int acpi_prepare_shutdown(void);

/*
 * Resets the machine: the FADT reset register when RESET_REG_SUP (I/O,
 * memory or PCI configuration space), then the keyboard controller's reset
 * line (0xfe to port 0x64), then a triple fault; each gets 200 ms before the
 * next is tried, and each attempt is logged after "acpi: rebooting". Works
 * without ACPI (the last two need none). Does not return on any PC; should
 * all three fail it returns -EIO.
 */
int acpi_reboot(void);

/*
 * Acts on acpi.poweroff_at_boot / acpi.reboot_at_boot, if given: called by
 * kmain once boot is complete. Returns only when neither was given or the
 * action failed (reported).
 */
void acpi_boot_actions(void);

#endif
