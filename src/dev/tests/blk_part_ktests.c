/*
 * src/dev/tests/blk_part_ktests.c - in-kernel tests of dev/blk_part (suite
 * blkpart): the partition table parser built freestanding, run on tables
 * crafted here in a small in-memory disk: a DOS table with a primary and
 * an extended partition holding two logicals, a GPT (CRCs computed with
 * core/crc32) whose primary header is then damaged so the backup is used,
 * and a disk without a table. The parser's rules are tested in depth on
 * the host against sfdisk images (test/unit/test_blk_part.c).
 */
#include <dev/blk_part.h>
#include <core/crc32.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/string.h>

#define KDISK_SECTORS   64

static uint8_t kdisk[KDISK_SECTORS][BLK_PART_SECTOR];

static int kdisk_read(void *ctx, uint64_t lba, void *buf)
{
    (void)ctx;
    if (lba >= KDISK_SECTORS)
        return -ERANGE;         /* the parser promises never to ask */
    memcpy(buf, kdisk[lba], BLK_PART_SECTOR);
    return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static void mbr_entry(uint8_t *sec, unsigned slot, uint8_t type, uint32_t start, uint32_t size)
{
    uint8_t *e = sec + 446 + 16 * slot;

    e[4] = type;
    put32(e + 8, start);
    put32(e + 12, size);
    sec[510] = 0x55;
    sec[511] = 0xaa;
}

KTEST(blkpart, dos_logicals)
{
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    memset(kdisk, 0, sizeof(kdisk));
    mbr_entry(kdisk[0], 0, 0x83, 2, 8);         /* vd?1: 2..9 */
    mbr_entry(kdisk[0], 1, 0x05, 16, 40);       /* vd?2: extended 16..55 */
    mbr_entry(kdisk[16], 0, 0x83, 1, 9);        /* vd?5: 17..25 */
    mbr_entry(kdisk[16], 1, 0x05, 16, 24);      /* next EBR at 32 */
    mbr_entry(kdisk[32], 0, 0x82, 2, 20);       /* vd?6: 34..53 */
    KT_ASSERT_EQ(blk_part_parse(kdisk_read, NULL, KDISK_SECTORS, parts, 8, &n, &info), 0);
    KT_EXPECT_EQ((int)info.scheme, BLK_PART_MBR);
    KT_EXPECT_EQ(info.ebr_error, 0);
    KT_ASSERT_EQ(n, 4u);
    KT_EXPECT_EQ(parts[0].number, 1u);
    KT_EXPECT_EQ(parts[0].start, 2u);
    KT_EXPECT_EQ(parts[1].flags, (uint32_t)BLK_PART_F_EXTENDED);
    KT_EXPECT_EQ(parts[2].number, 5u);
    KT_EXPECT_EQ(parts[2].start, 17u);
    KT_EXPECT_EQ(parts[2].sectors, 9u);
    KT_EXPECT_EQ(parts[3].number, 6u);
    KT_EXPECT_EQ(parts[3].start, 34u);
    KT_EXPECT_EQ(parts[3].mbr_type, 0x82u);

    /* The second EBR links back to the first: the loop is caught. */
    mbr_entry(kdisk[32], 1, 0x05, 0, 1);
    KT_ASSERT_EQ(blk_part_parse(kdisk_read, NULL, KDISK_SECTORS, parts, 8, &n, &info), 0);
    KT_EXPECT_EQ(info.ebr_error, -ELOOP);
    KT_EXPECT_EQ(n, 4u);
}

/* A GPT header at lba for a 64-sector disk, its 4-entry array at entries. */
static void gpt_header(uint64_t lba, uint64_t alt, uint64_t entries)
{
    uint8_t *h = kdisk[lba];

    memset(h, 0, BLK_PART_SECTOR);
    memcpy(h, "EFI PART", 8);
    put32(h + 8, 0x00010000);
    put32(h + 12, 92);
    put64(h + 24, lba);
    put64(h + 32, alt);
    put64(h + 40, 4);                           /* usable 4..58 */
    put64(h + 48, 58);
    put64(h + 72, entries);
    put32(h + 80, 4);
    put32(h + 84, 128);
    put32(h + 88, crc32_update(0, kdisk[entries], 4 * 128));
    put32(h + 16, crc32_update(0, h, 92));
}

KTEST(blkpart, gpt_backup)
{
    static const uint8_t linux_fs[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
                                          0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };
    struct blk_part parts[4];
    struct blk_part_info info;
    char guid[37];
    size_t n;

    memset(kdisk, 0, sizeof(kdisk));
    mbr_entry(kdisk[0], 0, 0xee, 1, KDISK_SECTORS - 1);
    for (unsigned copy = 0; copy < 2; copy++) {
        uint8_t *e = kdisk[copy ? 59 : 2] + 128;    /* entry 2 (vd?2) */

        memcpy(e, linux_fs, 16);
        e[16] = 0x42;
        put64(e + 32, 10);
        put64(e + 40, 29);
        e[56] = 'k';
        e[58] = 't';
    }
    gpt_header(1, KDISK_SECTORS - 1, 2);
    gpt_header(KDISK_SECTORS - 1, 1, 59);
    KT_ASSERT_EQ(blk_part_parse(kdisk_read, NULL, KDISK_SECTORS, parts, 4, &n, &info), 0);
    KT_EXPECT_EQ((int)info.scheme, BLK_PART_GPT);
    KT_EXPECT_FALSE(info.gpt_backup_used);
    KT_ASSERT_EQ(n, 1u);
    KT_EXPECT_EQ(parts[0].number, 2u);
    KT_EXPECT_EQ(parts[0].start, 10u);
    KT_EXPECT_EQ(parts[0].sectors, 20u);
    KT_EXPECT_STREQ(parts[0].name, "kt");
    blk_part_guid_format(parts[0].type_guid, guid);
    KT_EXPECT_STREQ(guid, "0FC63DAF-8483-4772-8E79-3D69D8477DE4");

    kdisk[1][0] = 'X';                          /* primary signature gone */
    KT_ASSERT_EQ(blk_part_parse(kdisk_read, NULL, KDISK_SECTORS, parts, 4, &n, &info), 0);
    KT_EXPECT_TRUE(info.gpt_backup_used);
    KT_ASSERT_EQ(n, 1u);
    KT_EXPECT_EQ(parts[0].start, 10u);

    kdisk[KDISK_SECTORS - 1][0] = 'X';          /* and the backup's */
    KT_EXPECT_EQ(blk_part_parse(kdisk_read, NULL, KDISK_SECTORS, parts, 4, &n, &info), -EUCLEAN);
    KT_EXPECT_EQ(n, 0u);
}

KTEST(blkpart, no_table)
{
    struct blk_part parts[4];
    struct blk_part_info info;
    size_t n = 1;

    memset(kdisk, 0, sizeof(kdisk));
    KT_ASSERT_EQ(blk_part_parse(kdisk_read, NULL, KDISK_SECTORS, parts, 4, &n, &info), 0);
    KT_EXPECT_EQ(n, 0u);
    KT_EXPECT_EQ((int)info.scheme, BLK_PART_NONE);
}
