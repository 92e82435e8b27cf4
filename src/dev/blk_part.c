/*
 * src/dev/blk_part.c - the MBR/EBR and GPT partition table parser. Reads
 * sectors one at a time into buffers on its own stack through the caller's
 * callback; every offset and count taken from the disk is range-checked
 * before use, and every walk is bounded (BLK_PART_MAX_EBR EBRs,
 * BLK_PART_GPT_MAX_ENTRIES entries). See include/dev/blk_part.h for the
 * rules, and for where they follow Linux.
 */
#include <dev/blk_part.h>
#include <core/crc32.h>
#include <core/errno.h>
#include <core/string.h>

/* The MBR and an EBR: four 16-byte entries at 446, signature 0x55 0xAA at 510. */
#define MBR_ENTRIES_OFF     446u
#define MBR_ENTRY_SIZE      16u
#define MBR_SIG_OFF         510u
#define MBR_TYPE_GPT        0xeeu

/* GPT header fields (UEFI 2.x, table 5-5) and entry fields (table 5-6). */
#define GPT_HDR_MIN         92u
#define GPT_OFF_REVISION    8u
#define GPT_OFF_HDR_SIZE    12u
#define GPT_OFF_HDR_CRC     16u
#define GPT_OFF_MY_LBA      24u
#define GPT_OFF_FIRST_USE   40u
#define GPT_OFF_LAST_USE    48u
#define GPT_OFF_ENTRIES_LBA 72u
#define GPT_OFF_NUM_ENTRIES 80u
#define GPT_OFF_ENTRY_SIZE  84u
#define GPT_OFF_ENTRIES_CRC 88u
#define GPT_ENT_TYPE        0u
#define GPT_ENT_UUID        16u
#define GPT_ENT_FIRST       32u
#define GPT_ENT_LAST        40u
#define GPT_ENT_NAME        56u

struct parse {
    blk_part_read_fn read;
    void *ctx;
    uint64_t disk;                  /* sectors */
    struct blk_part *parts;
    size_t max;
    size_t n;                       /* parts filled */
    bool full;                      /* a partition did not fit in parts */
    struct blk_part_info *info;     /* never NULL here (a local one if the caller's was) */
};

struct gpt_hdr {
    uint64_t first_usable, last_usable, entries_lba;
    uint32_t num_entries, entry_size, entries_crc;
};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void add_part(struct parse *p, const struct blk_part *part)
{
    if (p->n < p->max)
        p->parts[p->n++] = *part;
    else
        p->full = true;
}

static void skip_part(struct parse *p, uint32_t number, enum blk_part_skip reason)
{
    struct blk_part_info *info = p->info;

    if (info->skipped < BLK_PART_SKIPS_MAX)
        info->skips[info->skipped] = (struct blk_part_skip_rec){ .number = number, .reason = reason };
    info->skipped++;
}

static bool mbr_signed(const uint8_t *sec)
{
    return sec[MBR_SIG_OFF] == 0x55 && sec[MBR_SIG_OFF + 1] == 0xaa;
}

static const uint8_t *mbr_entry(const uint8_t *sec, unsigned i)
{
    return sec + MBR_ENTRIES_OFF + i * MBR_ENTRY_SIZE;
}

/* Reads the MBR or EBR at lba into sec: 1 if it carries the signature, 0 if not, or a read error. */
static int read_signed(struct parse *p, uint64_t lba, uint8_t *sec)
{
    int err = p->read(p->ctx, lba, sec);

    if (err)
        return err;
    return mbr_signed(sec) ? 1 : 0;
}

static bool mbr_extended(uint8_t type)
{
    return type == 0x05 || type == 0x0f || type == 0x85;
}

/* A DOS partition: skipped if it starts past the disk, cut if it ends past it. */
static void dos_add(struct parse *p, uint32_t number, const uint8_t *ent, uint64_t start, uint32_t flags)
{
    struct blk_part part = { .number = number, .flags = flags, .start = start,
                             .sectors = get32(ent + 12), .mbr_type = ent[4] };

    if (ent[0] == 0x80)
        part.flags |= BLK_PART_F_BOOTABLE;
    if (start >= p->disk) {
        skip_part(p, number, BLK_PART_SKIP_PAST_END);
        return;
    }
    if (part.sectors > p->disk - start) {
        part.sectors = p->disk - start;
        part.flags |= BLK_PART_F_TRUNCATED;
    }
    add_part(p, &part);
}

/*
 * Walks the EBR chain of the extended partition [ext_start, ext_end),
 * numbering logicals from *number on. Returns 0 (the walk ended, early or
 * not: info->ebr_error says why if early) or a read error.
 */
static int walk_ebrs(struct parse *p, uint64_t ext_start, uint64_t ext_end, uint32_t *number)
{
    uint64_t trail[BLK_PART_MAX_EBR];
    uint8_t sec[BLK_PART_SECTOR];
    uint64_t ebr = ext_start;
    size_t seen = 0;

    for (;;) {
        const uint8_t *link = NULL;
        bool logical_done = false;
        int err;

        if (seen == BLK_PART_MAX_EBR) {
            p->info->ebr_error = -E2BIG;
            return 0;
        }
        for (size_t i = 0; i < seen; i++) {
            if (trail[i] == ebr) {
                p->info->ebr_error = -ELOOP;
                return 0;
            }
        }
        trail[seen++] = ebr;
        err = read_signed(p, ebr, sec);
        if (err <= 0)
            return err;
        for (unsigned i = 0; i < 4; i++) {
            const uint8_t *ent = mbr_entry(sec, i);

            if (ent[4] == 0 || get32(ent + 12) == 0)
                continue;
            if (mbr_extended(ent[4])) {
                if (!link)
                    link = ent;
            } else if (!logical_done) {
                dos_add(p, (*number)++, ent, ebr + get32(ent + 8), 0);
                logical_done = true;
            }
        }
        if (!link)
            return 0;
        /* Links are relative to the outermost extended partition; ext_end <= disk. */
        uint64_t next = ext_start + get32(link + 8);
        if (next >= ext_end) {
            p->info->ebr_error = -ERANGE;
            return 0;
        }
        ebr = next;
    }
}

static int parse_mbr(struct parse *p, const uint8_t *sec)
{
    uint32_t logical = 5;

    p->info->scheme = BLK_PART_MBR;
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *ent = mbr_entry(sec, i);

        if (ent[4] == 0 || get32(ent + 12) == 0)
            continue;
        dos_add(p, i + 1, ent, get32(ent + 8), mbr_extended(ent[4]) ? BLK_PART_F_EXTENDED : 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *ent = mbr_entry(sec, i);
        uint64_t start = get32(ent + 8), size = get32(ent + 12);

        if (!mbr_extended(ent[4]) || size == 0 || start >= p->disk)
            continue;
        int err = walk_ebrs(p, start, start + size < p->disk ? start + size : p->disk, &logical);
        if (err)
            return err;
    }
    return 0;
}

/*
 * Reads and checks the GPT header at lba and its entry array (header.h
 * lists the checks). Returns 0 with *h filled, -EUCLEAN, or a read error.
 */
static int gpt_check(struct parse *p, uint64_t lba, struct gpt_hdr *h)
{
    static const uint8_t zero_crc[4];
    uint8_t sec[BLK_PART_SECTOR];
    uint32_t hsize, crc;
    uint64_t array_sectors, bytes;
    int err;

    err = p->read(p->ctx, lba, sec);
    if (err)
        return err;
    if (memcmp(sec, "EFI PART", 8) != 0)
        return -EUCLEAN;
    if (get32(sec + GPT_OFF_REVISION) >> 16 != 1)
        return -EUCLEAN;
    hsize = get32(sec + GPT_OFF_HDR_SIZE);
    if (hsize < GPT_HDR_MIN || hsize > BLK_PART_SECTOR)
        return -EUCLEAN;
    crc = crc32_update(0, sec, GPT_OFF_HDR_CRC);
    crc = crc32_update(crc, zero_crc, sizeof(zero_crc));
    crc = crc32_update(crc, sec + GPT_OFF_HDR_CRC + 4, hsize - GPT_OFF_HDR_CRC - 4);
    if (crc != get32(sec + GPT_OFF_HDR_CRC))
        return -EUCLEAN;
    if (get64(sec + GPT_OFF_MY_LBA) != lba)
        return -EUCLEAN;

    h->first_usable = get64(sec + GPT_OFF_FIRST_USE);
    h->last_usable = get64(sec + GPT_OFF_LAST_USE);
    h->entries_lba = get64(sec + GPT_OFF_ENTRIES_LBA);
    h->num_entries = get32(sec + GPT_OFF_NUM_ENTRIES);
    h->entry_size = get32(sec + GPT_OFF_ENTRY_SIZE);
    h->entries_crc = get32(sec + GPT_OFF_ENTRIES_CRC);

    /* The usable range: inside the disk, not sector 0, not the header. */
    if (h->first_usable == 0 || h->first_usable > h->last_usable || h->last_usable >= p->disk)
        return -EUCLEAN;
    if (lba >= h->first_usable && lba <= h->last_usable)
        return -EUCLEAN;
    if (h->entry_size != 128 && h->entry_size != 256 && h->entry_size != 512)
        return -EUCLEAN;
    if (h->num_entries == 0 || h->num_entries > BLK_PART_GPT_MAX_ENTRIES)
        return -EUCLEAN;
    /* The array: inside the disk, not sector 0, not the header, not usable space. */
    bytes = (uint64_t)h->num_entries * h->entry_size;
    array_sectors = (bytes + BLK_PART_SECTOR - 1) / BLK_PART_SECTOR;
    if (h->entries_lba == 0 || h->entries_lba >= p->disk || array_sectors > p->disk - h->entries_lba)
        return -EUCLEAN;
    if (lba >= h->entries_lba && lba < h->entries_lba + array_sectors)
        return -EUCLEAN;
    if (h->entries_lba <= h->last_usable && h->entries_lba + array_sectors > h->first_usable)
        return -EUCLEAN;

    crc = 0;
    for (uint64_t s = 0; s < array_sectors; s++) {
        uint64_t left = bytes - s * BLK_PART_SECTOR;

        err = p->read(p->ctx, h->entries_lba + s, sec);
        if (err)
            return err;
        crc = crc32_update(crc, sec, left < BLK_PART_SECTOR ? (size_t)left : BLK_PART_SECTOR);
    }
    if (crc != h->entries_crc)
        return -EUCLEAN;
    return 0;
}

/* The UTF-16LE name at src (36 code units) as ASCII, '?' for anything else. */
static void gpt_name(const uint8_t *src, char *out)
{
    size_t o = 0;

    for (unsigned k = 0; k < BLK_PART_NAME_MAX; k++) {
        uint16_t u = get16(src + 2 * k);

        if (u == 0)
            break;
        if (u >= 0xd800 && u <= 0xdbff && k + 1 < BLK_PART_NAME_MAX) {
            uint16_t lo = get16(src + 2 * (k + 1));

            if (lo >= 0xdc00 && lo <= 0xdfff)
                k++;            /* one character, one '?' */
        }
        out[o++] = (u >= 0x20 && u < 0x7f) ? (char)u : '?';
    }
    out[o] = '\0';
}

static int gpt_entries(struct parse *p, const struct gpt_hdr *h)
{
    static const uint8_t zero_guid[16];
    uint8_t sec[BLK_PART_SECTOR];
    uint64_t loaded = UINT64_MAX;

    for (uint32_t i = 0; i < h->num_entries; i++) {
        uint64_t off = (uint64_t)i * h->entry_size;
        uint64_t lba = h->entries_lba + off / BLK_PART_SECTOR;
        const uint8_t *ent = sec + off % BLK_PART_SECTOR;   /* entry sizes divide 512 */
        struct blk_part part = { .number = i + 1 };
        uint64_t first, last;

        if (lba != loaded) {
            int err = p->read(p->ctx, lba, sec);

            if (err)
                return err;
            loaded = lba;
        }
        if (memcmp(ent + GPT_ENT_TYPE, zero_guid, 16) == 0)
            continue;
        first = get64(ent + GPT_ENT_FIRST);
        last = get64(ent + GPT_ENT_LAST);
        if (first > last) {
            skip_part(p, part.number, BLK_PART_SKIP_INVERTED);
            continue;
        }
        if (first < h->first_usable || last > h->last_usable) {
            skip_part(p, part.number, BLK_PART_SKIP_OUTSIDE_USABLE);
            continue;
        }
        part.start = first;
        part.sectors = last - first + 1;
        memcpy(part.type_guid, ent + GPT_ENT_TYPE, 16);
        memcpy(part.uuid, ent + GPT_ENT_UUID, 16);
        gpt_name(ent + GPT_ENT_NAME, part.name);
        add_part(p, &part);
    }
    return 0;
}

static int parse_gpt(struct parse *p)
{
    struct gpt_hdr h;
    int err;

    p->info->scheme = BLK_PART_GPT;
    err = gpt_check(p, 1, &h);
    if (err == -EUCLEAN) {
        p->info->gpt_primary_error = err;
        if (p->disk - 1 <= 1)
            return -EUCLEAN;
        err = gpt_check(p, p->disk - 1, &h);
        if (err)
            return err;
        p->info->gpt_backup_used = true;
    } else if (err) {
        return err;
    }
    return gpt_entries(p, &h);
}

int blk_part_parse(blk_part_read_fn read, void *ctx, uint64_t disk_sectors,
                   struct blk_part *parts, size_t max, size_t *count,
                   struct blk_part_info *info)
{
    struct blk_part_info local;
    uint8_t sec[BLK_PART_SECTOR];
    bool gpt = false;
    int err;

    if (!read || !count || (!parts && max))
        return -EINVAL;
    *count = 0;
    if (!info)
        info = &local;
    memset(info, 0, sizeof(*info));
    info->scheme = BLK_PART_NONE;

    struct parse p = { .read = read, .ctx = ctx, .disk = disk_sectors, .parts = parts,
                       .max = max, .info = info };

    if (disk_sectors < 2)           /* nothing but a boot sector: no table */
        return 0;
    err = read_signed(&p, 0, sec);
    if (err <= 0)
        return err;
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *ent = mbr_entry(sec, i);

        if (ent[0] != 0 && ent[0] != 0x80)
            return 0;               /* a boot sector, not a table */
        if (ent[4] == MBR_TYPE_GPT)
            gpt = true;
    }
    err = gpt ? parse_gpt(&p) : parse_mbr(&p, sec);
    if (err == -EUCLEAN)
        p.n = 0;
    *count = p.n;
    if (!err && p.full)
        err = -ENOSPC;
    return err;
}

void blk_part_guid_format(const uint8_t guid[16], char out[37])
{
    static const char hex[] = "0123456789ABCDEF";
    /* Byte order of the text: fields 1-3 little-endian, the rest as stored. */
    static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
    size_t o = 0;

    for (unsigned i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[guid[order[i]] >> 4];
        out[o++] = hex[guid[order[i]] & 0xf];
    }
    out[o] = '\0';
}
