/*
 * src/dev/tests/blk_part_ktests.c - in-kernel tests of dev/blk_part (suite
 * blkpart): the partition table parser built freestanding, run on tables
 * crafted here in a small in-memory disk: a DOS table with a primary and
 * an extended partition holding two logicals, a GPT (CRCs computed with
 * core/crc32) whose primary header is then damaged so the backup is used,
 * and a disk without a table. The parser's rules are tested in depth on
 * the host against sfdisk images (test/unit/test_blk_part.c).
 *
 * The same tables on dev/ramdisk RAM disks ("bpta") test dev/blk's
 * partition devices: blk_scan_partitions registers "bpta1"..., whose
 * requests land at the partition's offset on the disk, are range-checked
 * against the partition, and come back to their submitter unchanged.
 */
#include <dev/blk_part.h>
#include <dev/blk.h>
#include <dev/ramdisk.h>
#include <core/crc32.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/string.h>
#include <core/atomic.h>
#include <core/format.h>

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

/* ---- partition devices (dev/blk) on RAM disks --------------------------------------- */

/* A RAM disk holding kdisk (block_size bytes per block); NULL when refused (test failed). */
static struct ramdisk *kdisk_ramdisk(uint32_t block_size)
{
    struct ramdisk *rd;
    int err = ramdisk_create("bpt", KDISK_SECTORS, block_size, 8, 0, &rd);

    if (err) {
        ktest_fail(__FILE__, __LINE__, "ramdisk_create: %s", errno_name(err));
        return NULL;
    }
    memcpy(rd->data, kdisk, sizeof(kdisk));
    return rd;
}

/* The registered partition name + number of rd, checked against its table entry. */
static struct blk_dev *kdisk_part(struct ramdisk *rd, unsigned number, uint64_t start,
                                  uint64_t sectors)
{
    char name[BLK_NAME_MAX];
    struct blk_dev *p;

    snprintf(name, sizeof(name), "%s%u", rd->dev.name, number);
    p = blk_find(name);
    if (!p) {
        ktest_fail(__FILE__, __LINE__, "no partition %s", name);
        return NULL;
    }
    KT_EXPECT_TRUE(p->whole == &rd->dev);
    KT_EXPECT_EQ(p->partno, number);
    KT_EXPECT_EQ(p->start_sector, start);
    KT_EXPECT_EQ(p->sectors, sectors);
    KT_EXPECT_EQ(p->block_size, rd->dev.block_size);
    return p;
}

static void kdisk_done(struct blk_request *rq)
{
    (void)rq;
}

KTEST(blkpart, mbr_partitions_become_devices)
{
    static uint8_t sec[BLK_PART_SECTOR];
    struct blk_request rq;
    struct blk_dev *p1, *p5, *p6;
    struct blk_batch b;
    struct ramdisk *rd;
    int at = -1;

    memset(kdisk, 0, sizeof(kdisk));
    mbr_entry(kdisk[0], 0, 0x83, 2, 8);         /* 1: 2..9 */
    mbr_entry(kdisk[0], 1, 0x05, 16, 40);       /* 2: extended 16..55, not registered */
    mbr_entry(kdisk[16], 0, 0x83, 1, 9);        /* 5: 17..25 */
    mbr_entry(kdisk[16], 1, 0x05, 16, 24);
    mbr_entry(kdisk[32], 0, 0x82, 2, 20);       /* 6: 34..53 */
    rd = kdisk_ramdisk(512);
    KT_ASSERT_NOT_NULL(rd);
    rd->dev.major = 254;                        /* as the second virtio-blk disk: 254:16 */
    rd->dev.minor = 16;
    KT_EXPECT_EQ(blk_scan_partitions(&rd->dev), 3);
    KT_EXPECT_EQ(blk_scan_partitions(&rd->dev), -EINVAL);      /* once */
    p1 = kdisk_part(rd, 1, 2, 8);
    p5 = kdisk_part(rd, 5, 17, 9);
    p6 = kdisk_part(rd, 6, 34, 20);
    if (!p1 || !p5 || !p6)
        goto out;
    KT_EXPECT_EQ(p1->major, 254u);
    KT_EXPECT_EQ(p1->minor, 17u);
    KT_EXPECT_EQ(p5->minor, 21u);
    KT_EXPECT_EQ(p6->minor, 22u);
    /* the partitions follow their disk in the registry, in table order */
    for (size_t i = 0; i < blk_count(); i++)
        if (blk_get(i) == &rd->dev)
            at = (int)i;
    KT_EXPECT_TRUE(at >= 0 && blk_get((size_t)at + 1) == p1 && blk_get((size_t)at + 2) == p5 &&
                   blk_get((size_t)at + 3) == p6);

    /* sector 3 of vd?5 is sector 20 of the disk */
    memset(sec, 0x5c, sizeof(sec));
    KT_EXPECT_EQ(blk_write(p5, 3, 1, sec), 0);
    KT_EXPECT_EQ(rd->data[20 * 512], 0x5c);
    KT_EXPECT_EQ(rd->data[20 * 512 + 511], 0x5c);
    KT_EXPECT_EQ(rd->data[19 * 512], 0);
    KT_EXPECT_EQ(rd->data[21 * 512], 0);
    KT_EXPECT_EQ(p5->writes, 1ull);
    KT_EXPECT_EQ(rd->dev.writes, 1ull);         /* counted on the disk too */
    memset(sec, 0, sizeof(sec));
    KT_EXPECT_EQ(blk_read(p5, 3, 1, sec), 0);
    KT_EXPECT_EQ(sec[0], 0x5c);
    /* the partition's end is the limit, not the disk's */
    KT_EXPECT_EQ(blk_read(p5, 9, 1, sec), -ERANGE);
    KT_EXPECT_EQ(blk_read(p5, 8, 2, sec), -ERANGE);
    KT_EXPECT_EQ(blk_read(p5, 8, 1, sec), 0);
    /* a request comes back as it was sent: the partition and its own sector */
    rq = (struct blk_request){ .op = BLK_OP_READ, .lba = 4, .count = 1, .buf = sec,
                               .done = kdisk_done };
    KT_EXPECT_EQ(blk_submit(p1, &rq), 0);      /* the RAM disk completes inside submit */
    KT_EXPECT_EQ(rq.status, 0);
    KT_EXPECT_TRUE(rq.dev == p1);
    KT_EXPECT_EQ(rq.lba, 4u);
    KT_EXPECT_EQ(atomic_load(&p1->inflight), 0u);
    KT_EXPECT_EQ(atomic_load(&rd->dev.inflight), 0u);
    /* a merged batch on a partition */
    blk_batch_init(&b, p6, BLK_OP_WRITE);
    memset(sec, 0x66, sizeof(sec));
    for (unsigned i = 0; i < 4; i++)
        KT_EXPECT_EQ(blk_batch_add(&b, i, 1, sec), 0);
    KT_EXPECT_EQ(blk_batch_finish(&b), 0);
    KT_EXPECT_EQ(b.requests, 4u);               /* the same memory: no merge without SG */
    KT_EXPECT_EQ(rd->data[37 * 512], 0x66);
    KT_EXPECT_EQ(rd->data[38 * 512], 0);
    /* partitions leave with their disk, not on their own */
    KT_EXPECT_EQ(blk_unregister(p1), -EINVAL);
out:
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
    KT_EXPECT_TRUE(blk_find("bpta1") == NULL);
    KT_EXPECT_TRUE(blk_find("bpta") == NULL);
}

KTEST(blkpart, gpt_partitions_and_bare_disks)
{
    static const uint8_t linux_fs[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
                                          0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };
    struct ramdisk *rd;
    size_t before = blk_count();

    memset(kdisk, 0, sizeof(kdisk));
    mbr_entry(kdisk[0], 0, 0xee, 1, KDISK_SECTORS - 1);
    for (unsigned copy = 0; copy < 2; copy++) {
        uint8_t *e = kdisk[copy ? 59 : 2] + 128;    /* entry 2 */

        memcpy(e, linux_fs, 16);
        e[16] = 0x42;
        put64(e + 32, 10);
        put64(e + 40, 29);
    }
    gpt_header(1, KDISK_SECTORS - 1, 2);
    gpt_header(KDISK_SECTORS - 1, 1, 59);
    rd = kdisk_ramdisk(512);
    KT_ASSERT_NOT_NULL(rd);
    KT_EXPECT_EQ(blk_scan_partitions(&rd->dev), 1);
    KT_EXPECT_TRUE(kdisk_part(rd, 2, 10, 20) != NULL);
    KT_EXPECT_EQ(blk_count(), before + 2);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
    KT_EXPECT_EQ(blk_count(), before);

    /* no table: the disk is used whole */
    memset(kdisk, 0, sizeof(kdisk));
    rd = kdisk_ramdisk(512);
    KT_ASSERT_NOT_NULL(rd);
    KT_EXPECT_EQ(blk_scan_partitions(&rd->dev), 0);
    KT_EXPECT_EQ(blk_count(), before + 1);
    /* a protective MBR without a valid GPT: logged, and the disk stays whole */
    mbr_entry(rd->data, 0, 0xee, 1, KDISK_SECTORS - 1);
    KT_EXPECT_EQ(blk_scan_partitions(&rd->dev), 0);
    KT_EXPECT_EQ(blk_count(), before + 1);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
}

KTEST(blkpart, partitions_must_fit_the_logical_blocks)
{
    struct ramdisk *rd;

    memset(kdisk, 0, sizeof(kdisk));
    mbr_entry(kdisk[0], 0, 0x83, 2, 8);         /* 1: not on a 4 KiB boundary: skipped */
    mbr_entry(kdisk[0], 1, 0x83, 16, 16);       /* 2: 16..31, two blocks */
    mbr_entry(kdisk[0], 2, 0x83, 40, 12);       /* 3: 1.5 blocks: skipped */
    rd = kdisk_ramdisk(4096);
    KT_ASSERT_NOT_NULL(rd);
    KT_EXPECT_EQ(blk_scan_partitions(&rd->dev), 1);
    KT_EXPECT_TRUE(kdisk_part(rd, 2, 16, 16) != NULL);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
}
