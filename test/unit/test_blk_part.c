/*
 * test/unit/test_blk_part.c - host tests for src/dev/blk_part.c (the
 * MBR/EBR and GPT partition table parser).
 *
 * The disks are made at test time by sfdisk (Debian's fdisk package, see
 * scripts/deps) in a temporary directory and read into memory; what the
 * parser finds is compared with `sfdisk --json` of the same image (number,
 * start, size, type, and for GPT the unique GUID and the name): a DOS table
 * with four primaries, one with an extended partition and three logicals,
 * a GPT with five named partitions, the same GPT with its primary header
 * damaged (the backup is used), an empty disk. Then damage, made in memory
 * on those images or crafted here: a bad MBR signature and boot flag, EBR
 * loops, an EBR link out of the extended partition, a chain longer than
 * BLK_PART_MAX_EBR, wrong GPT header and entry-array CRCs (one copy, both),
 * absurd header fields, partitions past the end of the disk or outside the
 * usable range, non-ASCII names, read errors, a too-small result array, and
 * random corruption of the table sectors. The read callback fails the test
 * if the parser asks for a sector outside the disk; ASan and UBSan watch
 * the rest.
 */
#include "unit.h"
#include <core/crc32.h>
#include <dev/blk_part.h>

static char tmpdir[64];

struct img {
    uint8_t *data;
    uint64_t sectors;
};

struct rctx {
    const struct img *img;
    uint64_t disk;                  /* the disk_sectors given to the parser */
    uint64_t fail_lba;              /* this sector fails with -EIO (UINT64_MAX: none) */
    unsigned reads;
};

static int mem_read(void *ctx, uint64_t lba, void *buf)
{
    struct rctx *r = ctx;

    assert_true(lba < r->disk);                 /* never outside the disk */
    assert_true(lba < r->img->sectors);
    r->reads++;
    if (lba == r->fail_lba)
        return -EIO;
    memcpy(buf, r->img->data + lba * BLK_PART_SECTOR, BLK_PART_SECTOR);
    return 0;
}

static int parse_n(const struct img *img, uint64_t disk, struct blk_part *parts, size_t max,
                   size_t *count, struct blk_part_info *info)
{
    struct rctx r = { .img = img, .disk = disk, .fail_lba = UINT64_MAX };

    return blk_part_parse(mem_read, &r, disk, parts, max, count, info);
}

static int parse(const struct img *img, struct blk_part *parts, size_t max, size_t *count,
                 struct blk_part_info *info)
{
    return parse_n(img, img->sectors, parts, max, count, info);
}

/* ---- images made by sfdisk ---------------------------------------------- */

static void path_of(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", tmpdir, name);
}

static struct img load(const char *name)
{
    char path[128];
    struct img img;
    FILE *f;
    long size;

    path_of(path, sizeof(path), name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size > 0 && size % BLK_PART_SECTOR == 0);
    rewind(f);
    img.data = malloc((size_t)size);
    assert_non_null(img.data);
    assert_int_equal(fread(img.data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    img.sectors = (uint64_t)size / BLK_PART_SECTOR;
    return img;
}

/*
 * An image of mib MiB named name, partitioned by the sfdisk script (NULL:
 * left blank), loaded into memory. Made once per run (sfdisk syncs, which
 * is slow on a busy machine); tests change only their copy in memory.
 */
static struct img make(const char *name, unsigned mib, const char *script)
{
    char path[128], cmd[512];

    path_of(path, sizeof(path), name);
    if (access(path, F_OK) == 0)
        return load(name);
    snprintf(cmd, sizeof(cmd), "rm -f '%s' && truncate -s %uM '%s'", path, mib, path);
    assert_int_equal(system(cmd), 0);
    if (script) {
        FILE *p;

        snprintf(cmd, sizeof(cmd), "sfdisk -q '%s' >/dev/null", path);
        p = popen(cmd, "w");
        assert_non_null(p);
        fputs(script, p);
        assert_int_equal(pclose(p), 0);
    }
    return load(name);
}

struct expect {
    uint32_t number;
    uint64_t start, size;
    char type[40], uuid[40], name[40];
};

/* The string value of "key" in obj (up to end), or "" if absent. */
static void json_str(const char *obj, const char *end, const char *key, char *out, size_t len)
{
    const char *k = strstr(obj, key);
    size_t n = 0;

    out[0] = '\0';
    if (!k || k >= end)
        return;
    k = strchr(k + strlen(key), '"');
    assert_non_null(k);
    for (k++; *k && *k != '"' && n + 1 < len; k++)
        out[n++] = *k;
    out[n] = '\0';
}

static uint64_t json_num(const char *obj, const char *end, const char *key)
{
    const char *k = strstr(obj, key);

    assert_true(k && k < end);
    return strtoull(k + strlen(key), NULL, 10);
}

/* Parses `sfdisk --json` of the image name into e[], returns the count. */
static size_t sfdisk_json(const char *name, struct expect *e, size_t max)
{
    static char text[65536];
    char path[128], cmd[512];
    size_t len, n = 0;
    FILE *p;

    path_of(path, sizeof(path), name);
    snprintf(cmd, sizeof(cmd), "sfdisk --json '%s'", path);
    p = popen(cmd, "r");
    assert_non_null(p);
    len = fread(text, 1, sizeof(text) - 1, p);
    text[len] = '\0';
    assert_int_equal(pclose(p), 0);
    for (const char *o = strstr(text, "\"node\":"); o; o = strstr(o + 1, "\"node\":")) {
        const char *end = strchr(o, '}');
        char node[128];
        size_t l;

        assert_non_null(end);
        assert_true(n < max);
        json_str(o, end, "\"node\":", node, sizeof(node));
        l = strlen(node);
        while (l > 0 && node[l - 1] >= '0' && node[l - 1] <= '9')
            l--;
        e[n].number = (uint32_t)strtoul(node + l, NULL, 10);
        e[n].start = json_num(o, end, "\"start\":");
        e[n].size = json_num(o, end, "\"size\":");
        json_str(o, end, "\"type\":", e[n].type, sizeof(e[n].type));
        json_str(o, end, "\"uuid\":", e[n].uuid, sizeof(e[n].uuid));
        json_str(o, end, "\"name\":", e[n].name, sizeof(e[n].name));
        n++;
    }
    return n;
}

/* parts[0..n) must be exactly what sfdisk --json says of image name. */
static void assert_matches_sfdisk(const char *name, const struct blk_part *parts, size_t n, bool gpt)
{
    struct expect e[64];
    size_t ne = sfdisk_json(name, e, 64);

    assert_int_equal(n, ne);
    for (size_t i = 0; i < n; i++) {
        char type[40];

        assert_int_equal(parts[i].number, e[i].number);
        assert_int_equal(parts[i].start, e[i].start);
        assert_int_equal(parts[i].sectors, e[i].size);
        if (gpt) {
            char uuid[40];

            blk_part_guid_format(parts[i].type_guid, type);
            blk_part_guid_format(parts[i].uuid, uuid);
            assert_string_equal(uuid, e[i].uuid);
            assert_string_equal(parts[i].name, e[i].name);
            assert_int_equal(parts[i].mbr_type, 0);
        } else {
            snprintf(type, sizeof(type), "%x", parts[i].mbr_type);
            assert_string_equal(parts[i].name, "");
        }
        assert_string_equal(type, e[i].type);
    }
}

#define DOS4_SCRIPT "label: dos\n,2MiB,83,*\n,2MiB,82\n,2MiB,c\n,,83\n"
#define DOSEXT_SCRIPT "label: dos\n,2MiB,83\n,,5\n,2MiB,83\n,2MiB,82\n,,c\n"
#define GPT5_SCRIPT "label: gpt\n"                                      \
    "size=2MiB, type=U, name=\"EFI system\"\n"                           \
    "size=1MiB, type=S, name=\"swap\"\n"                                 \
    "size=3MiB, type=L, name=\"root\"\n"                                 \
    "size=1MiB, type=H, name=\"home-partition-with-a-long-name-36c\"\n"  \
    "type=L, name=\"data\"\n"

/* ---- GPT editing helpers ------------------------------------------------ */

static uint8_t *sector(const struct img *img, uint64_t lba)
{
    return img->data + lba * BLK_PART_SECTOR;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

/* Recomputes the header CRC of the GPT header at lba (after an edit). */
static void fix_hdr_crc(const struct img *img, uint64_t lba)
{
    uint8_t *h = sector(img, lba);
    uint32_t size = rd32(h + 12);

    wr32(h + 16, 0);        /* an absurd size is refused whatever the CRC: keep in the sector */
    wr32(h + 16, crc32_update(0, h, size < BLK_PART_SECTOR ? size : BLK_PART_SECTOR));
}

/* Recomputes the entry-array CRC, then the header CRC, of the header at lba. */
static void fix_gpt(const struct img *img, uint64_t lba)
{
    uint8_t *h = sector(img, lba);
    uint64_t bytes = (uint64_t)rd32(h + 80) * rd32(h + 84);

    wr32(h + 88, crc32_update(0, sector(img, rd64(h + 72)), bytes));
    fix_hdr_crc(img, lba);
}

/* Entry idx (0-based) of the array of the header at lba. */
static uint8_t *entry(const struct img *img, uint64_t lba, unsigned idx)
{
    const uint8_t *h = sector(img, lba);

    return sector(img, rd64(h + 72)) + (size_t)idx * rd32(h + 84);
}

/* ---- well-formed tables ------------------------------------------------- */

static void test_dos_primaries(void **state)
{
    struct img img = make("dos4", 16, DOS4_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(info.scheme, BLK_PART_MBR);
    assert_int_equal(info.skipped, 0);
    assert_int_equal(n, 4);
    assert_matches_sfdisk("dos4", parts, n, false);
    assert_true(parts[0].flags & BLK_PART_F_BOOTABLE);
    assert_int_equal(parts[1].flags, 0);
    free(img.data);
}

static void test_dos_logicals(void **state)
{
    struct img img = make("dosext", 16, DOSEXT_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(info.scheme, BLK_PART_MBR);
    assert_int_equal(info.ebr_error, 0);
    assert_int_equal(n, 5);                     /* 1, 2 (extended), 5, 6, 7 */
    assert_matches_sfdisk("dosext", parts, n, false);
    assert_int_equal(parts[1].flags, BLK_PART_F_EXTENDED);
    assert_int_equal(parts[2].number, 5);
    assert_int_equal(parts[4].number, 7);
    free(img.data);
}

static void test_gpt_named(void **state)
{
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(info.scheme, BLK_PART_GPT);
    assert_false(info.gpt_backup_used);
    assert_int_equal(n, 5);
    assert_matches_sfdisk("gpt5", parts, n, true);
    assert_string_equal(parts[3].name, "home-partition-with-a-long-name-36c");
    free(img.data);
}

static void test_gpt_backup(void **state)
{
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    sector(&img, 1)[60] ^= 0x40;                /* the disk GUID: header CRC now wrong */
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_true(info.gpt_backup_used);
    assert_int_equal(info.gpt_primary_error, -EUCLEAN);
    assert_matches_sfdisk("gpt5", parts, n, true);  /* sfdisk saw the intact file */

    memset(sector(&img, 1), 0, BLK_PART_SECTOR);    /* primary header gone */
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_true(info.gpt_backup_used);
    assert_int_equal(n, 5);
    free(img.data);
}

static void test_empty_disk(void **state)
{
    struct img img = make("empty", 4, NULL);
    struct blk_part parts[4];
    struct blk_part_info info;
    size_t n = 99;

    (void)state;
    assert_int_equal(parse(&img, parts, 4, &n, &info), 0);
    assert_int_equal(n, 0);
    assert_int_equal(info.scheme, BLK_PART_NONE);
    /* A signed MBR whose entries are all empty: a table, but nothing in it. */
    sector(&img, 0)[510] = 0x55;
    sector(&img, 0)[511] = 0xaa;
    assert_int_equal(parse(&img, parts, 4, &n, &info), 0);
    assert_int_equal(n, 0);
    assert_int_equal(info.scheme, BLK_PART_MBR);
    /* Disks too small for a table. */
    assert_int_equal(parse_n(&img, 1, parts, 4, &n, &info), 0);
    assert_int_equal(n, 0);
    assert_int_equal(parse_n(&img, 0, parts, 4, &n, &info), 0);
    assert_int_equal(n, 0);
    free(img.data);
}

/* ---- damaged DOS tables ------------------------------------------------- */

static void test_dos_not_a_table(void **state)
{
    struct img img = make("dos4", 16, DOS4_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    sector(&img, 0)[511] = 0xab;                /* signature */
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(n, 0);
    assert_int_equal(info.scheme, BLK_PART_NONE);
    sector(&img, 0)[511] = 0xaa;
    sector(&img, 0)[446 + 16] = 0x12;           /* entry 2's boot flag: a boot sector */
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(n, 0);
    assert_int_equal(info.scheme, BLK_PART_NONE);
    free(img.data);
}

/* The sector of the i-th EBR (0-based) of image dosext, following links. */
static uint64_t ebr_lba(const struct img *img, unsigned i)
{
    uint64_t ext = rd32(sector(img, 0) + 446 + 16 + 8);     /* slot 2 is the extended one */
    uint64_t lba = ext;

    while (i--)
        lba = ext + rd32(sector(img, lba) + 446 + 16 + 8);
    return lba;
}

static void test_ebr_loops(void **state)
{
    struct img img = make("dosext", 16, DOSEXT_SCRIPT);
    struct blk_part parts[16];
    struct blk_part_info info;
    uint8_t *last, *first;
    size_t n;

    (void)state;
    /* The third EBR links back to the first. */
    last = sector(&img, ebr_lba(&img, 2)) + 446 + 16;
    memcpy(last, sector(&img, ebr_lba(&img, 0)) + 446 + 16, 16);
    wr32(last + 8, 0);
    assert_int_equal(parse(&img, parts, 16, &n, &info), 0);
    assert_int_equal(info.ebr_error, -ELOOP);
    assert_int_equal(n, 5);                     /* 1, 2, 5, 6, 7: found before the loop */
    assert_int_equal(parts[4].number, 7);

    /* The first EBR links to itself. */
    first = sector(&img, ebr_lba(&img, 0)) + 446 + 16;
    wr32(first + 8, 0);
    assert_int_equal(parse(&img, parts, 16, &n, &info), 0);
    assert_int_equal(info.ebr_error, -ELOOP);
    assert_int_equal(n, 3);
    assert_int_equal(parts[2].number, 5);
    free(img.data);
}

static void test_ebr_outside(void **state)
{
    struct img img = make("dosext", 16, DOSEXT_SCRIPT);
    struct blk_part parts[16];
    struct blk_part_info info;
    uint8_t *link = sector(&img, ebr_lba(&img, 0)) + 446 + 16;
    size_t n;

    (void)state;
    wr32(link + 8, 0xfffffff0u);                /* far past the disk */
    assert_int_equal(parse(&img, parts, 16, &n, &info), 0);
    assert_int_equal(info.ebr_error, -ERANGE);
    assert_int_equal(n, 3);
    wr32(link + 8, rd32(sector(&img, 0) + 446 + 16 + 12));  /* just past the extended partition */
    assert_int_equal(parse(&img, parts, 16, &n, &info), 0);
    assert_int_equal(info.ebr_error, -ERANGE);
    assert_int_equal(n, 3);
    free(img.data);
}

static void mbr_entry(uint8_t *sec, unsigned slot, uint8_t type, uint32_t start, uint32_t size)
{
    uint8_t *e = sec + 446 + 16 * slot;

    e[4] = type;
    wr32(e + 8, start);
    wr32(e + 12, size);
    sec[510] = 0x55;
    sec[511] = 0xaa;
}

static void test_ebr_chain_too_long(void **state)
{
    struct img img = { .sectors = 1024 };
    struct blk_part parts[100];
    struct blk_part_info info;
    size_t n;

    (void)state;
    img.data = calloc(img.sectors, BLK_PART_SECTOR);
    assert_non_null(img.data);
    mbr_entry(sector(&img, 0), 0, 0x0f, 1, 1000);
    for (unsigned k = 0; k < 100; k++) {        /* EBR k at 1 + 2k, its logical right after */
        mbr_entry(sector(&img, 1 + 2 * k), 0, 0x83, 1, 1);
        mbr_entry(sector(&img, 1 + 2 * k), 1, 0x05, 2 * (k + 1), 2);
    }
    assert_int_equal(parse(&img, parts, 100, &n, &info), 0);
    assert_int_equal(info.ebr_error, -E2BIG);
    assert_int_equal(n, 1 + BLK_PART_MAX_EBR);
    assert_int_equal(parts[BLK_PART_MAX_EBR].number, 4 + BLK_PART_MAX_EBR);
    assert_int_equal(parts[BLK_PART_MAX_EBR].start, 2 + 2 * (BLK_PART_MAX_EBR - 1));
    free(img.data);
}

static void test_dos_past_end(void **state)
{
    struct img img = make("dos4", 16, DOS4_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    uint64_t p3 = rd32(sector(&img, 0) + 446 + 32 + 8);
    size_t n;

    (void)state;
    /* A disk that ends 10 sectors into partition 3: 3 cut, 4 skipped. */
    assert_int_equal(parse_n(&img, p3 + 10, parts, 8, &n, &info), 0);
    assert_int_equal(n, 3);
    assert_int_equal(parts[2].sectors, 10);
    assert_true(parts[2].flags & BLK_PART_F_TRUNCATED);
    assert_false(parts[1].flags & BLK_PART_F_TRUNCATED);
    assert_int_equal(info.skipped, 1);
    assert_int_equal(info.skips[0].number, 4);
    assert_int_equal(info.skips[0].reason, BLK_PART_SKIP_PAST_END);

    /* Overlapping partitions are kept, as Linux keeps them. */
    wr32(sector(&img, 0) + 446 + 16 + 8, rd32(sector(&img, 0) + 446 + 8) + 1);
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(n, 4);
    assert_int_equal(info.skipped, 0);
    free(img.data);
}

/* ---- damaged GPTs ------------------------------------------------------- */

static void test_gpt_header_crc_both(void **state)
{
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n = 99;

    (void)state;
    sector(&img, 1)[16] ^= 1;
    sector(&img, img.sectors - 1)[16] ^= 1;
    assert_int_equal(parse(&img, parts, 8, &n, &info), -EUCLEAN);
    assert_int_equal(n, 0);
    assert_int_equal(info.scheme, BLK_PART_GPT);
    free(img.data);
}

static void test_gpt_array_crc(void **state)
{
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    entry(&img, 1, 2)[100] ^= 0x20;             /* a name byte of the primary array */
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_true(info.gpt_backup_used);
    assert_matches_sfdisk("gpt5", parts, n, true);
    entry(&img, img.sectors - 1, 2)[100] ^= 0x20;   /* and of the backup */
    assert_int_equal(parse(&img, parts, 8, &n, &info), -EUCLEAN);
    assert_int_equal(n, 0);
    free(img.data);
}

/* Header field edits that make the (re-CRCed) primary header invalid. */
struct hdr_edit {
    unsigned off, width;
    uint64_t value;
};

static void test_gpt_absurd_header(void **state)
{
    static const struct hdr_edit edits[] = {
        { 8, 4, 0x00020000 },       /* revision 2.0 */
        { 12, 4, 91 },              /* header size too small */
        { 12, 4, 513 },             /* header size above a sector */
        { 24, 8, 2 },               /* my_lba */
        { 40, 8, 0 },               /* first usable 0 */
        { 40, 8, 32740 },           /* first usable above last usable (32734) */
        { 48, 8, 1ull << 40 },      /* last usable past the disk */
        { 72, 8, 1ull << 40 },      /* entries past the disk */
        { 72, 8, 1 },               /* entries over the header */
        { 72, 8, 2048 },            /* entries in the usable range */
        { 72, 8, 32760 },           /* entries run past the end */
        { 80, 4, 0 },               /* no entries */
        { 80, 4, 0xffffffffu },     /* absurd entry count */
        { 80, 4, BLK_PART_GPT_MAX_ENTRIES + 1 },
        { 84, 4, 0 },               /* entry sizes */
        { 84, 4, 100 },
        { 84, 4, 1024 },
        { 84, 4, 0x80000000u },
    };
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    uint8_t primary[BLK_PART_SECTOR], backup[BLK_PART_SECTOR];
    uint64_t last = img.sectors - 1;
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    memcpy(primary, sector(&img, 1), BLK_PART_SECTOR);
    memcpy(backup, sector(&img, last), BLK_PART_SECTOR);
    for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
        const struct hdr_edit *e = &edits[i];

        memcpy(sector(&img, 1), primary, BLK_PART_SECTOR);
        memcpy(sector(&img, last), backup, BLK_PART_SECTOR);
        if (e->width == 4)
            wr32(sector(&img, 1) + e->off, (uint32_t)e->value);
        else
            wr64(sector(&img, 1) + e->off, e->value);
        fix_hdr_crc(&img, 1);
        print_message("edit %zu: offset %u = %llu\n", i, e->off, (unsigned long long)e->value);
        assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
        assert_true(info.gpt_backup_used);
        assert_int_equal(n, 5);
        /* The same damage in the backup too: no valid GPT. */
        if (e->width == 4)
            wr32(sector(&img, last) + e->off, (uint32_t)e->value);
        else
            wr64(sector(&img, last) + e->off, e->value);
        fix_hdr_crc(&img, last);
        assert_int_equal(parse(&img, parts, 8, &n, &info), -EUCLEAN);
        assert_int_equal(n, 0);
    }
    free(img.data);
}

static void test_gpt_bad_entries(void **state)
{
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct blk_part parts[8];
    struct blk_part_info info;
    uint64_t last_usable = rd64(sector(&img, 1) + 48);
    size_t n;

    (void)state;
    wr64(entry(&img, 1, 4) + 40, last_usable + 1);          /* 5 ends past the usable range */
    wr64(entry(&img, 1, 1) + 32, rd64(entry(&img, 1, 1) + 40) + 1);  /* 2: first > last */
    fix_gpt(&img, 1);
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_false(info.gpt_backup_used);
    assert_int_equal(n, 3);
    assert_int_equal(parts[0].number, 1);
    assert_int_equal(parts[1].number, 3);
    assert_int_equal(parts[2].number, 4);
    assert_int_equal(info.skipped, 2);
    assert_int_equal(info.skips[0].number, 2);
    assert_int_equal(info.skips[0].reason, BLK_PART_SKIP_INVERTED);
    assert_int_equal(info.skips[1].number, 5);
    assert_int_equal(info.skips[1].reason, BLK_PART_SKIP_OUTSIDE_USABLE);

    /* Start below the first usable LBA: skipped too. */
    wr64(entry(&img, 1, 0) + 32, 1);
    fix_gpt(&img, 1);
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(n, 2);
    assert_int_equal(info.skips[0].number, 1);
    assert_int_equal(info.skips[0].reason, BLK_PART_SKIP_OUTSIDE_USABLE);

    /* A zero type GUID is an unused slot, not a skip. */
    memset(entry(&img, 1, 0), 0, 16);
    fix_gpt(&img, 1);
    assert_int_equal(parse(&img, parts, 8, &n, &info), 0);
    assert_int_equal(n, 2);
    assert_int_equal(info.skipped, 2);
    free(img.data);
}

static void test_gpt_names(void **state)
{
    /* "é", a surrogate pair (U+1F600), a control char, then "ok", in UTF-16LE. */
    static const uint16_t name[] = { 0x00e9, 0xd83d, 0xde00, 0x0007, 'o', 'k', 0 };
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct blk_part parts[8];
    size_t n;

    (void)state;
    uint8_t *e = entry(&img, 1, 0);

    memset(e + 56, 0, 72);
    for (size_t i = 0; i < sizeof(name) / sizeof(name[0]); i++) {
        e[56 + 2 * i] = (uint8_t)name[i];
        e[57 + 2 * i] = (uint8_t)(name[i] >> 8);
    }
    fix_gpt(&img, 1);
    assert_int_equal(parse(&img, parts, 8, &n, NULL), 0);
    assert_string_equal(parts[0].name, "???ok");
    /* A name filling all 36 units, no NUL: 36 characters. */
    for (unsigned i = 0; i < 36; i++) {
        e[56 + 2 * i] = 'x';
        e[57 + 2 * i] = 0;
    }
    fix_gpt(&img, 1);
    assert_int_equal(parse(&img, parts, 8, &n, NULL), 0);
    assert_int_equal(strlen(parts[0].name), 36);
    free(img.data);
}

/* ---- caller errors, read errors, room --------------------------------- */

static void test_errors(void **state)
{
    struct img img = make("gpt5", 16, GPT5_SCRIPT);
    struct rctx r = { .img = &img, .disk = img.sectors, .fail_lba = UINT64_MAX };
    struct blk_part parts[8];
    struct blk_part_info info;
    size_t n;

    (void)state;
    assert_int_equal(blk_part_parse(NULL, &r, img.sectors, parts, 8, &n, NULL), -EINVAL);
    assert_int_equal(blk_part_parse(mem_read, &r, img.sectors, parts, 8, NULL, NULL), -EINVAL);
    assert_int_equal(blk_part_parse(mem_read, &r, img.sectors, NULL, 8, &n, NULL), -EINVAL);

    /* Room for 2 of 5. */
    assert_int_equal(parse(&img, parts, 2, &n, &info), -ENOSPC);
    assert_int_equal(n, 2);
    assert_int_equal(parts[1].number, 2);
    assert_int_equal(parse(&img, NULL, 0, &n, &info), -ENOSPC);
    assert_int_equal(n, 0);

    /* Read errors come back as they are: sector 0, the header, the array. */
    for (uint64_t lba = 0; lba < 3; lba++) {
        r.fail_lba = lba;
        assert_int_equal(blk_part_parse(mem_read, &r, img.sectors, parts, 8, &n, NULL), -EIO);
    }
    free(img.data);

    img = make("dosext", 16, DOSEXT_SCRIPT);
    r = (struct rctx){ .img = &img, .disk = img.sectors, .fail_lba = ebr_lba(&img, 1) };
    assert_int_equal(blk_part_parse(mem_read, &r, img.sectors, parts, 8, &n, NULL), -EIO);
    assert_int_equal(n, 3);                     /* 1, 2, 5 found before the failed EBR */
    free(img.data);
}

/* ---- random damage -------------------------------------------------------- */

static void fuzz(const char *name, const char *script, const uint64_t *lbas, size_t nlbas)
{
    struct img img = make(name, 16, script);
    uint8_t *orig = malloc(img.sectors * BLK_PART_SECTOR);
    struct blk_part parts[16];
    struct blk_part_info info;
    size_t n;

    assert_non_null(orig);
    memcpy(orig, img.data, img.sectors * BLK_PART_SECTOR);
    srand(12345);
    for (int iter = 0; iter < 3000; iter++) {
        int flips = 1 + rand() % 8;

        for (int f = 0; f < flips; f++) {
            uint64_t lba = lbas[rand() % nlbas];

            sector(&img, lba)[rand() % BLK_PART_SECTOR] ^= (uint8_t)(1u << (rand() % 8));
        }
        int err = parse(&img, parts, 16, &n, &info);

        assert_true(err == 0 || err == -EUCLEAN || err == -ENOSPC);
        assert_true(n <= 16);
        for (size_t i = 0; i < n; i++) {
            assert_true(parts[i].sectors > 0);
            assert_true(parts[i].start < img.sectors);
            assert_true(parts[i].sectors <= img.sectors - parts[i].start);
        }
        if (iter % 4 == 3) {                    /* back to the intact table now and then */
            for (size_t k = 0; k < nlbas; k++)
                memcpy(sector(&img, lbas[k]), orig + lbas[k] * BLK_PART_SECTOR, BLK_PART_SECTOR);
        }
    }
    free(orig);
    free(img.data);
}

static void test_fuzz(void **state)
{
    struct img img = make("dosext", 16, DOSEXT_SCRIPT);
    uint64_t dos[4] = { 0, ebr_lba(&img, 0), ebr_lba(&img, 1), ebr_lba(&img, 2) };
    uint64_t last = img.sectors - 1;
    uint64_t gpt[4] = { 1, 2, last, last - 32 };

    (void)state;
    free(img.data);
    fuzz("fuzzdos", DOSEXT_SCRIPT, dos, 4);
    fuzz("fuzzgpt", GPT5_SCRIPT, gpt, 4);
}

static void test_guid_format(void **state)
{
    static const uint8_t g[16] = { 0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
                                   0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4 };
    char out[37];

    (void)state;
    blk_part_guid_format(g, out);
    assert_string_equal(out, "0FC63DAF-8483-4772-8E79-3D69D8477DE4");
}

static int setup(void **state)
{
    const char *path = getenv("PATH");
    char newpath[4096];

    (void)state;
    snprintf(newpath, sizeof(newpath), "%s:/usr/sbin:/sbin", path ? path : "/usr/bin:/bin");
    setenv("PATH", newpath, 1);
    if (system("command -v sfdisk >/dev/null") != 0) {
        fprintf(stderr, "sfdisk not found: install Debian's fdisk (scripts/deps)\n");
        return -1;
    }
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/basalt-blkpart.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dos_primaries),
        cmocka_unit_test(test_dos_logicals),
        cmocka_unit_test(test_gpt_named),
        cmocka_unit_test(test_gpt_backup),
        cmocka_unit_test(test_empty_disk),
        cmocka_unit_test(test_dos_not_a_table),
        cmocka_unit_test(test_ebr_loops),
        cmocka_unit_test(test_ebr_outside),
        cmocka_unit_test(test_ebr_chain_too_long),
        cmocka_unit_test(test_dos_past_end),
        cmocka_unit_test(test_gpt_header_crc_both),
        cmocka_unit_test(test_gpt_array_crc),
        cmocka_unit_test(test_gpt_absurd_header),
        cmocka_unit_test(test_gpt_bad_entries),
        cmocka_unit_test(test_gpt_names),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_fuzz),
        cmocka_unit_test(test_guid_format),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
