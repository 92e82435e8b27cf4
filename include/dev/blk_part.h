/*
 * include/dev/blk_part.h - partition tables: the MBR (DOS) table with its
 * chain of extended boot records, and the GUID partition table (GPT) behind
 * a protective MBR, parsed into a list of partitions numbered as Linux
 * numbers them (vda1, vda2, ...).
 *
 * Part of dev; pure (no locks, no allocation, no printing, no device
 * access): the caller reads sectors through a callback, so the parser runs
 * on the host for the unit tests (test/unit/test_blk_part.c) as in the
 * kernel. Stack use: about 1.6 KiB (two sectors and the EBR trail).
 *
 * Units: 512-byte sectors throughout (BLK_PART_SECTOR), as in dev/blk. A
 * disk with 4 KiB logical blocks is read through the same 512-byte sector
 * callback (the caller reads the block and hands back the asked-for
 * eighth), and tables are looked for where a 512-byte-sector label puts
 * them: an MBR in sector 0 with LBAs in 512-byte units, a GPT header at
 * sector 1. A label written for 4 KiB sectors (GPT header at byte 4096,
 * LBAs in 4 KiB units) is not recognised: its protective MBR leads to
 * -EUCLEAN, a DOS table's LBAs would be misread by a factor of 8, so such
 * disks are not supported (virtio-blk disks made by QEMU have 512-byte
 * sectors).
 *
 * What is a table, in this order:
 *   1. sector 0 must end in 0x55 0xAA and each of its four entries' boot
 *      flags must be 0x00 or 0x80 (as Linux's msdos parser: a FAT or
 *      other boot sector is not a table); otherwise: no table, count 0.
 *   2. an entry of type 0xEE (protective MBR, also a hybrid one) means GPT:
 *      the header at LBA 1 is checked (below); if it fails, the backup
 *      header at the disk's last LBA is, as Linux does (Linux also falls
 *      back to the alternate header). Neither valid: -EUCLEAN, count 0
 *      (Linux then shows the disk whole; the caller may do so too, but
 *      must not write to it as if it were blank).
 *   3. otherwise the four entries are the DOS table: type 0 or size 0 is
 *      an empty slot; primaries are partitions 1..4 by slot; extended
 *      entries (0x05, 0x0F, 0x85) are reported themselves (flag
 *      BLK_PART_F_EXTENDED, full size; Linux registers them too, with
 *      1 KiB) and their EBR chain is walked: each EBR's first non-empty,
 *      non-extended entry is a logical partition (start relative to that
 *      EBR), its first extended entry points at the next EBR (start
 *      relative to the outermost extended partition); logicals are
 *      numbered 5, 6, ... in chain order. The walk stops at an EBR without
 *      the 0x55AA signature or without a link, at a link leaving the
 *      extended partition or the disk (info->ebr_error -ERANGE), at an EBR
 *      seen before (-ELOOP) or after BLK_PART_MAX_EBR EBRs (-E2BIG); the
 *      logicals found so far are kept (as Linux does: it stops too).
 *      All primaries empty: count 0 (use the disk whole).
 *
 * GPT header checks (UEFI 2.x 5.3.2): signature "EFI PART", revision major
 * 1, header size 92..512, header CRC32 (computed with the CRC field
 * zeroed), my_lba the LBA it was read from, first usable <= last usable <
 * disk sectors, first usable above 1, entry size 128, 256 or 512 bytes,
 * 1..BLK_PART_GPT_MAX_ENTRIES entries, the entry array inside the disk and
 * outside the usable range and the header, and the entry array's CRC32.
 * Entries: a zero type GUID is unused; the partition is number index + 1.
 *
 * Partitions that do not fit (decided as Linux does): overlapping
 * partitions are accepted (Linux's scan accepts them too; only its BLKPG
 * ioctl refuses overlaps). A DOS partition starting at or past the end of
 * the disk is skipped (BLK_PART_SKIP_PAST_END); one that starts inside but
 * ends past the end is cut at the end and flagged BLK_PART_F_TRUNCATED
 * (Linux: "extends beyond EOD, truncated"). A GPT entry with first > last
 * (BLK_PART_SKIP_INVERTED) or outside the header's usable range
 * (BLK_PART_SKIP_OUTSIDE_USABLE) is skipped (Linux's is_pte_valid). Skips
 * are reported in info; the table itself stays valid.
 */
#ifndef BASALT_DEV_BLK_PART_H
#define BASALT_DEV_BLK_PART_H

#include <core/compiler.h>

#define BLK_PART_SECTOR             512u
#define BLK_PART_MAX_EBR            64      /* EBRs walked in one extended partition chain */
#define BLK_PART_GPT_MAX_ENTRIES    4096u   /* entries a GPT header may announce */
#define BLK_PART_NAME_MAX           36      /* GPT name: 36 UTF-16 code units */
#define BLK_PART_SKIPS_MAX          8       /* skip records kept in struct blk_part_info */

enum blk_part_scheme {
    BLK_PART_NONE,                  /* no table: use the disk whole */
    BLK_PART_MBR,
    BLK_PART_GPT,
};

/* Flags of one partition. */
#define BLK_PART_F_EXTENDED     (1u << 0)   /* DOS extended container, not a data partition */
#define BLK_PART_F_TRUNCATED    (1u << 1)   /* ran past the end of the disk, cut there */
#define BLK_PART_F_BOOTABLE     (1u << 2)   /* DOS boot flag 0x80 */

struct blk_part {
    uint32_t number;                /* Linux's: 1-4 primary, 5+ logical; GPT index + 1 */
    uint32_t flags;                 /* BLK_PART_F_* */
    uint64_t start;                 /* first sector (512-byte units) */
    uint64_t sectors;               /* length in sectors, at least 1 */
    uint8_t mbr_type;               /* DOS: the type byte; GPT: 0 */
    uint8_t type_guid[16];          /* GPT: type GUID as on disk; DOS: zero */
    uint8_t uuid[16];               /* GPT: unique GUID as on disk; DOS: zero */
    char name[BLK_PART_NAME_MAX + 1]; /* GPT name as ASCII ('?' for other characters), NUL-ended; DOS: "" */
};

enum blk_part_skip {
    BLK_PART_SKIP_PAST_END = 1,     /* starts at or past the end of the disk */
    BLK_PART_SKIP_INVERTED,         /* GPT: first LBA above last LBA */
    BLK_PART_SKIP_OUTSIDE_USABLE,   /* GPT: not inside first..last usable LBA */
};

struct blk_part_skip_rec {
    uint32_t number;                /* the number the partition would have had */
    enum blk_part_skip reason;
};

/* What blk_part_parse found besides the partitions (optional). */
struct blk_part_info {
    enum blk_part_scheme scheme;
    bool gpt_backup_used;           /* primary GPT header or array bad, backup used */
    int gpt_primary_error;          /* why the primary was refused (-EUCLEAN...), 0 if used */
    int ebr_error;                  /* 0, or why an EBR walk stopped early: -ERANGE, -ELOOP, -E2BIG */
    uint32_t skipped;               /* partitions skipped (all of them) */
    struct blk_part_skip_rec skips[BLK_PART_SKIPS_MAX]; /* the first BLK_PART_SKIPS_MAX */
};

/*
 * Reads the 512 bytes of sector lba into buf. Returns 0 or a negative
 * errno, which blk_part_parse returns as it is. Only asked for sectors
 * below disk_sectors.
 */
typedef int (*blk_part_read_fn)(void *ctx, uint64_t lba, void *buf);

/*
 * Parses the partition table of a disk of disk_sectors sectors, reading
 * it through read(ctx, ...), into parts[0..*count), in table order (DOS:
 * primaries by slot, extended entries among them, then the logicals; GPT:
 * by entry index). info, if not NULL, receives the scheme and what was
 * skipped. Returns:
 *   0         a table was parsed (*count may be 0: no table or all empty,
 *             use the disk whole; info->scheme says which);
 *   -EUCLEAN  a protective MBR, but neither GPT header (with its entry
 *             array) is valid; *count 0;
 *   -ENOSPC   more partitions than max: parts holds the first max, *count
 *             is max;
 *   -EINVAL   read or count NULL, parts NULL with max above 0;
 *   a negative errno from read (the walk stops; *count what was found).
 * Never reads outside the disk or writes outside parts[0..max) and info.
 * Context: any in which read may run; no lock taken.
 */
int blk_part_parse(blk_part_read_fn read, void *ctx, uint64_t disk_sectors,
                   struct blk_part *parts, size_t max, size_t *count,
                   struct blk_part_info *info);

/*
 * Formats a GUID as stored in a GPT (first three fields little-endian) as
 * the usual 36-character text, upper-case ("0FC63DAF-8483-4772-8E79-
 * 3D69D8477DE4"), into out[37]. Cannot fail.
 */
void blk_part_guid_format(const uint8_t guid[16], char out[37]);

#endif
