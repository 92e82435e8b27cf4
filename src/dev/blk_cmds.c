/*
 * src/dev/blk_cmds.c - the shell's block-device commands: `blk` lists the
 * disks (a small lsblk), `blkread DEV LBA` dumps one sector like
 * `hexdump -C`.
 *
 * Part of dev, above dev/blk (the registry and blk_read); the commands
 * register themselves with SHELL_COMMAND (include/core/shell.h). Every
 * error is said in one line and returned as a negative errno; the kernel
 * carries on. Tested by the blk.shell_* ktests and the blk.shell ctest.
 */
#include <dev/blk.h>
#include <dev/blk_check.h>
#include <core/atomic.h>
#include <core/console.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/shell.h>
#include <core/string.h>
#include <mm/kmalloc.h>

#define HEAD    ANSI_BOLD
#define OFF     ANSI_RESET

#define BLK_DUMP_WIDTH  16              /* bytes per hexdump line */

/* ---- blk ------------------------------------------------------------------------ */

static int blk_cmd_list(int argc, char **argv)
{
    size_t n = blk_count();
    char size[24];

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    if (n == 0) {
        shell_printf("no disks\n");
        return 0;
    }
    shell_printf(HEAD "%-6s %12s %10s %6s %-4s %-6s %-12s %-20s %8s %8s %6s" OFF "\n", "NAME",
                 "SECTORS", "SIZE", "BLOCK", "MODE", "WCACHE", "DRIVER", "MODEL", "READS",
                 "WRITES", "ERRORS");
    for (size_t i = 0; i < n; i++) {
        struct blk_dev *d = blk_get(i);
        if (!d)
            break;                      /* a test disk went away meanwhile */
        blk_format_size(size, sizeof(size), d->sectors);
        shell_printf("%-6s %12llu %10s %6u %-4s %-6s %-12s %-20s %8llu %8llu %6llu\n", d->name,
                     (unsigned long long)d->sectors, size, d->block_size,
                     d->read_only ? "ro" : "rw", d->write_cache ? "yes" : "no",
                     d->driver ? d->driver : "-", d->model[0] ? d->model : "-",
                     (unsigned long long)atomic_load(&d->reads),
                     (unsigned long long)atomic_load(&d->writes),
                     (unsigned long long)atomic_load(&d->errors));
    }
    return 0;
}
SHELL_COMMAND("blk", "", "list the disks: size, block size, mode, cache, driver, model, "
              "reads/writes/errors", blk_cmd_list);

/* ---- blkread ------------------------------------------------------------------------ */

/* Prints p[0..BLK_DUMP_WIDTH) as one hexdump -C line at offset off. */
static void blk_dump_line(size_t off, const uint8_t *p)
{
    char line[96];
    size_t len = (size_t)snprintf(line, sizeof(line), "%08zx ", off);

    for (size_t i = 0; i < BLK_DUMP_WIDTH; i++)
        len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%02x", i == 8 ? "  " : " ",
                                p[i]);
    len += (size_t)snprintf(line + len, sizeof(line) - len, "  |");
    for (size_t i = 0; i < BLK_DUMP_WIDTH; i++)
        line[len++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    line[len] = '\0';
    shell_printf("%s|\n", line);
}

/*
 * Dumps p[0..len) as hexdump -C does: a run of lines equal to the one
 * before is shown as one "*", and the last line is the length.
 */
static void blk_dump(const uint8_t *p, size_t len)
{
    bool starred = false;

    for (size_t off = 0; off < len; off += BLK_DUMP_WIDTH) {
        if (off > 0 && memcmp(p + off, p + off - BLK_DUMP_WIDTH, BLK_DUMP_WIDTH) == 0) {
            if (!starred)
                shell_printf("*\n");
            starred = true;
            continue;
        }
        starred = false;
        blk_dump_line(off, p + off);
    }
    shell_printf("%08zx\n", len);
}

static int blk_cmd_read(int argc, char **argv)
{
    struct blk_dev *dev;
    uint64_t lba, first;
    uint32_t per_block;
    uint8_t *buf = NULL;
    int err;

    if (argc != 3)
        return SHELL_USAGE;
    dev = blk_find(argv[1]);
    if (!dev) {
        shell_error("blkread: no disk named %s", argv[1]);
        return -ENODEV;
    }
    if ((err = shell_parse_u64("blkread", "sector number", argv[2], 0, UINT64_MAX, &lba)))
        return err;
    if (lba >= dev->sectors) {
        shell_error("blkread: sector %llu is past the end of %s (%llu sectors)",
                    (unsigned long long)lba, dev->name, (unsigned long long)dev->sectors);
        return -ERANGE;
    }
    /* requests cover whole blocks: read the block holding the sector */
    per_block = dev->block_size / BLK_SECTOR_SIZE;
    first = ALIGN_DOWN(lba, (uint64_t)per_block);
    buf = kmalloc(dev->block_size);
    if (!buf) {
        shell_error("blkread: out of memory");
        err = -ENOMEM;
        goto out;
    }
    err = blk_read(dev, first, per_block, buf);
    if (err) {
        shell_error("blkread: reading sector %llu of %s failed: %s", (unsigned long long)lba,
                    dev->name, errno_name(err));
        goto out;
    }
    blk_dump(buf + (lba - first) * BLK_SECTOR_SIZE, BLK_SECTOR_SIZE);
out:
    kfree(buf);
    return err;
}
SHELL_COMMAND("blkread", "DEV LBA", "dump 512-byte sector LBA of disk DEV (hexdump -C style)",
              blk_cmd_read);
