/*
 * src/mm/memmap.c - cleaning the firmware's physical memory map.
 *
 * Part of mm; pure (see include/mm/memmap.h for the contract). No
 * allocation and a few words of stack: memmap_clean sorts the map in
 * place, drops what is obviously redundant, then sweeps over the address
 * space with the unprocessed input packed at the top of the map's own
 * array while the result grows from the bottom. Should the result ever
 * need more slots than are left (only a near-full map of heavy overlaps
 * can do that), the smallest piece is dropped: it becomes a hole, which
 * nothing treats as RAM, and overflow is set.
 */
#include <mm/memmap.h>
#include <core/errno.h>
#include <core/string.h>

#define EFI_PAGE_SHIFT      12
#define EFI_DESC_MIN_SIZE   40      /* u32 type, u32 pad, u64 phys, u64 virt, u64 pages, u64 attr */
#define EFI_DESC_TYPE       0
#define EFI_DESC_PHYS       8
#define EFI_DESC_PAGES      24

/*
 * Rank of a type in overlaps: higher is more restrictive and wins. Unknown
 * types count as reserved, just below the firmware's own "reserved"; the
 * kernel-owned kinds are one group, ordered among themselves so that the
 * result never depends on input order.
 */
static unsigned type_rank(uint32_t type)
{
    switch (type) {
    case BOOT_MEM_USABLE:           return 1;
    case BOOT_MEM_ACPI_RECLAIMABLE: return 2;
    case MEMMAP_LOW_MEMORY:         return 3;
    case MEMMAP_BOOT_DATA:          return 4;
    case MEMMAP_KERNEL:             return 5;
    case BOOT_MEM_RESERVED:         return 7;
    case BOOT_MEM_ACPI_NVS:         return 8;
    case BOOT_MEM_BAD:              return 9;
    default:                        return 6;
    }
}

/* True if type a takes precedence over type b where both claim a byte. */
static bool type_wins(uint32_t a, uint32_t b)
{
    unsigned ra = type_rank(a), rb = type_rank(b);

    return ra != rb ? ra > rb : a > b;      /* two unknown types: the larger */
}

void memmap_init(struct memmap *m)
{
    m->count = 0;
    m->overflow = false;
}

int memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type)
{
    uint64_t end = length > UINT64_MAX - base ? UINT64_MAX : base + length;

    if (end <= base)                        /* empty, or nothing left after clipping */
        return 0;
    if (m->count >= MEMMAP_MAX_RANGES) {
        m->overflow = true;
        return -ENOSPC;
    }
    m->ranges[m->count].base = base;
    m->ranges[m->count].end = end;
    m->ranges[m->count].type = type;
    m->count++;
    return 0;
}

/* Insertion sort by base: n <= 512, and firmware maps come nearly sorted. */
static void sort_by_base(struct mem_range *r, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct mem_range x = r[i];
        size_t j = i;
        while (j > 0 && r[j - 1].base > x.base) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
}

/* True if a alone decides every byte of b: a contains b and wins (or ties). */
static bool covers(const struct mem_range *a, const struct mem_range *b)
{
    return a->base <= b->base && b->end <= a->end &&
           (a->type == b->type || type_wins(a->type, b->type));
}

/*
 * Cheap reductions before the sweep, so that duplicated maps and ranges
 * nested in stronger ones do not use up slots the sweep needs: drops
 * invalid entries, joins overlapping or touching neighbours of one type,
 * and drops every range decided entirely by one other range. r is sorted
 * by base and stays so. Returns the new count.
 */
static size_t reduce(struct mem_range *r, size_t n)
{
    size_t w = 0;

    for (size_t i = 0; i < n; i++) {
        if (r[i].base >= r[i].end)
            continue;
        if (w > 0 && r[w - 1].type == r[i].type && r[i].base <= r[w - 1].end) {
            r[w - 1].end = MAX(r[w - 1].end, r[i].end);
            continue;
        }
        r[w++] = r[i];
    }
    n = w;

    /* Kept entries are r[0 .. w), unexamined ones r[i + 1 .. n). */
    w = 0;
    for (size_t i = 0; i < n; i++) {
        bool redundant = false;
        for (size_t j = 0; j < n && !redundant; j++)
            if ((j < w || j > i) && covers(&r[j], &r[i]))
                redundant = true;
        if (!redundant)
            r[w++] = r[i];
    }
    return w;
}

/*
 * Which of r[0 .. n) to give up when a slot is needed: the smallest (the
 * least RAM lost, if it is RAM), of equal sizes the weakest type.
 */
static size_t cheapest(const struct mem_range *r, size_t n)
{
    size_t best = 0;

    for (size_t i = 1; i < n; i++) {
        uint64_t len = r[i].end - r[i].base, best_len = r[best].end - r[best].base;
        if (len < best_len || (len == best_len && type_wins(r[best].type, r[i].type)))
            best = i;
    }
    return best;
}

/*
 * Appends [p, q) of type to the output r[0 .. o), whose free slots end at
 * lo, merging it into the last piece when they touch and agree. Without a
 * free slot the cheapest of the pieces, this one or an earlier, becomes a
 * hole. Returns the new o.
 */
static size_t emit(struct memmap *m, size_t o, size_t lo, uint64_t p, uint64_t q,
                   uint32_t type)
{
    struct mem_range *r = m->ranges;

    if (o > 0 && r[o - 1].end == p && r[o - 1].type == type) {
        r[o - 1].end = q;
        return o;
    }
    if (o == lo) {
        m->overflow = true;
        if (o == 0)
            return o;
        size_t victim = cheapest(r, o);
        uint64_t victim_len = r[victim].end - r[victim].base;
        if (q - p < victim_len || (q - p == victim_len && !type_wins(type, r[victim].type)))
            return o;
        memmove(&r[victim], &r[victim + 1], (o - victim - 1) * sizeof(*r));
        o--;
    }
    r[o].base = p;
    r[o].end = q;
    r[o].type = type;
    return o + 1;
}

/*
 * The sweep proper. Input (sorted by base, every base >= the position p
 * swept to) lives in r[lo .. MEMMAP_MAX_RANGES); output in r[0 .. o). At
 * each step the inputs starting at p are the ones covering p; the next
 * boundary q is the nearest of their ends and the next input's base.
 * [p, q) gets the strongest of their types, the inputs ending at q are
 * consumed, the others are clipped to start at q (which keeps the input
 * sorted), and only then is [p, q) written, into a slot consuming may
 * have freed.
 */
static void sweep(struct memmap *m)
{
    struct mem_range *r = m->ranges;
    size_t lo = MEMMAP_MAX_RANGES - m->count;
    size_t o = 0;

    memmove(&r[lo], &r[0], m->count * sizeof(*r));
    while (lo < MEMMAP_MAX_RANGES) {
        uint64_t p = r[lo].base;
        uint64_t q = r[lo].end;
        uint32_t type = r[lo].type;
        size_t act = lo + 1;

        for (; act < MEMMAP_MAX_RANGES && r[act].base == p; act++) {
            q = MIN(q, r[act].end);
            if (type_wins(r[act].type, type))
                type = r[act].type;
        }
        if (act < MEMMAP_MAX_RANGES && r[act].base < q)
            q = r[act].base;

        size_t keep = act;
        for (size_t i = act; i-- > lo;) {
            if (r[i].end == q)
                continue;
            r[--keep] = r[i];
            r[keep].base = q;
        }
        lo = keep;

        o = emit(m, o, lo, p, q, type);
    }
    m->count = o;
}

void memmap_clean(struct memmap *m)
{
    if (m->count > MEMMAP_MAX_RANGES) {     /* a caller wrote count itself */
        m->count = MEMMAP_MAX_RANGES;
        m->overflow = true;
    }
    sort_by_base(m->ranges, m->count);
    m->count = reduce(m->ranges, m->count);
    sweep(m);
}

int memmap_reserve(struct memmap *m, uint64_t base, uint64_t end, uint32_t type)
{
    bool had_overflow = m->overflow;
    bool dropped;

    if (base > end)
        return -EINVAL;
    m->overflow = false;
    memmap_clean(m);
    if (base < end && m->count >= MEMMAP_MAX_RANGES) {
        /*
         * No slot even after cleaning. Free one, never by dropping the
         * reservation: best a range it covers and overrides anyway (no
         * loss), else the cheapest range, which becomes a hole.
         */
        size_t victim = m->count;
        for (size_t i = 0; i < m->count && victim == m->count; i++)
            if (base <= m->ranges[i].base && m->ranges[i].end <= end &&
                type_wins(type, m->ranges[i].type))
                victim = i;
        if (victim == m->count) {
            victim = cheapest(m->ranges, m->count);
            m->overflow = true;
        }
        memmove(&m->ranges[victim], &m->ranges[victim + 1],
                (m->count - victim - 1) * sizeof(m->ranges[0]));
        m->count--;
    }
    if (base < end)
        memmap_add(m, base, end - base, type);
    memmap_clean(m);
    dropped = m->overflow;
    m->overflow = had_overflow || dropped;
    return dropped ? -ENOSPC : 0;
}

uint32_t memmap_efi_type(uint32_t efi_type)
{
    switch (efi_type) {
    case 1:     /* EfiLoaderCode */
    case 2:     /* EfiLoaderData */
    case 3:     /* EfiBootServicesCode */
    case 4:     /* EfiBootServicesData */
    case 7:     /* EfiConventionalMemory */
        return BOOT_MEM_USABLE;
    case 8:     /* EfiUnusableMemory */
        return BOOT_MEM_BAD;
    case 9:     /* EfiACPIReclaimMemory */
        return BOOT_MEM_ACPI_RECLAIMABLE;
    case 10:    /* EfiACPIMemoryNVS */
        return BOOT_MEM_ACPI_NVS;
    default:    /* EfiReservedMemoryType, runtime services, MMIO, PalCode, persistent, ... */
        return BOOT_MEM_RESERVED;
    }
}

int memmap_add_efi(struct memmap *m, const void *descs, size_t size, size_t desc_size)
{
    const unsigned char *d = descs;

    if (desc_size < EFI_DESC_MIN_SIZE)
        return -EINVAL;
    for (size_t off = 0; size - off >= desc_size; off += desc_size) {
        uint32_t type;
        uint64_t phys, pages;

        memcpy(&type, d + off + EFI_DESC_TYPE, sizeof(type));
        memcpy(&phys, d + off + EFI_DESC_PHYS, sizeof(phys));
        memcpy(&pages, d + off + EFI_DESC_PAGES, sizeof(pages));
        uint64_t length = pages > (UINT64_MAX >> EFI_PAGE_SHIFT) ? UINT64_MAX
                                                                 : pages << EFI_PAGE_SHIFT;
        int err = memmap_add(m, phys, length, memmap_efi_type(type));
        if (err)
            return err;
    }
    return 0;
}

uint64_t memmap_total(const struct memmap *m, uint32_t type)
{
    uint64_t total = 0;

    for (size_t i = 0; i < m->count; i++) {
        const struct mem_range *r = &m->ranges[i];
        if (r->type != type || r->end <= r->base)
            continue;
        uint64_t len = r->end - r->base;
        total = len > UINT64_MAX - total ? UINT64_MAX : total + len;   /* uncleaned overlaps */
    }
    return total;
}

uint64_t memmap_highest(const struct memmap *m, uint32_t type)
{
    uint64_t highest = 0;

    for (size_t i = 0; i < m->count; i++)
        if (m->ranges[i].type == type && m->ranges[i].end > m->ranges[i].base)
            highest = MAX(highest, m->ranges[i].end);
    return highest;
}

const char *memmap_type_name(uint32_t type)
{
    switch (type) {
    case BOOT_MEM_USABLE:           return "usable";
    case BOOT_MEM_RESERVED:         return "reserved";
    case BOOT_MEM_ACPI_RECLAIMABLE: return "ACPI reclaimable";
    case BOOT_MEM_ACPI_NVS:         return "ACPI NVS";
    case BOOT_MEM_BAD:              return "bad";
    case MEMMAP_KERNEL:             return "kernel";
    case MEMMAP_BOOT_DATA:          return "boot data";
    case MEMMAP_LOW_MEMORY:         return "low memory";
    default:                        return "unknown";
    }
}
