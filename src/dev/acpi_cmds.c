/*
 * src/dev/acpi_cmds.c - the shell's power commands: reboot and poweroff,
 * through dev/acpi.
 *
 * Part of dev. Each command registers itself with SHELL_COMMAND
 * (include/core/shell.h), first runs the shutdown hook (fs writes every
 * file system back: acpi_prepare_shutdown), and returns only when the
 * machine did not reset or switch off, after saying so.
 */
#include <core/shell.h>
#include <core/errno.h>
#include <dev/acpi.h>

static int cmd_reboot(int argc, char **argv)
{
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    (void)acpi_prepare_shutdown();      /* file systems written back (logged on failure) */
    err = acpi_reboot();
    shell_error("reboot: the machine did not reset (%s)", errno_name(err));
    return err;
}
SHELL_COMMAND("reboot", "", "reset the machine", cmd_reboot);

static int cmd_poweroff(int argc, char **argv)
{
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    (void)acpi_prepare_shutdown();      /* file systems written back (logged on failure) */
    err = acpi_poweroff();
    shell_error("poweroff: the machine is still on (%s)", errno_name(err));
    return err;
}
SHELL_COMMAND("poweroff", "", "switch the machine off (ACPI S5)", cmd_poweroff);
