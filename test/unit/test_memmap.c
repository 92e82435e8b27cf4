/*
 * test/unit/test_memmap.c - host tests for src/mm/memmap.c.
 *
 * Adding (zero length, wrap-around, a full map), the overlap priorities
 * pair by pair, real firmware maps (QEMU SeaBIOS e820, an OVMF-style EFI
 * map read from unaligned descriptors of 48 bytes), duplicated, nested and
 * chained inputs on a full map, overflow that must only ever lose RAM
 * (never turn reserved bytes usable), reservations, and a randomized test
 * comparing memmap_clean with a per-unit model at low addresses, above
 * 2^52 and at the top of the address space. The map lives on the heap.
 */
#include "unit.h"
#include <mm/memmap.h>

#define KiB     0x400ull
#define MiB     0x100000ull
#define GiB     0x40000000ull

enum {
    USABLE = BOOT_MEM_USABLE,
    RESERVED = BOOT_MEM_RESERVED,
    RECLAIM = BOOT_MEM_ACPI_RECLAIMABLE,
    NVS = BOOT_MEM_ACPI_NVS,
    BAD = BOOT_MEM_BAD,
};

static struct memmap *m;

static int setup(void **state)
{
    (void)state;
    m = malloc(sizeof(*m));
    if (!m)
        return -1;
    memset(m, 0xa5, sizeof(*m));
    memmap_init(m);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(m);
    m = NULL;
    return 0;
}

static void add(uint64_t base, uint64_t len, uint32_t type)
{
    assert_int_equal(memmap_add(m, base, len, type), 0);
}

/* The output contract: sorted, non-empty, disjoint, equal neighbours merged. */
static void check_clean(const struct memmap *map)
{
    assert_true(map->count <= MEMMAP_MAX_RANGES);
    for (size_t i = 0; i < map->count; i++) {
        const struct mem_range *r = &map->ranges[i];
        if (r->base >= r->end)
            fail_msg("range %zu empty: %#lx-%#lx", i, (unsigned long)r->base,
                     (unsigned long)r->end);
        if (i > 0) {
            const struct mem_range *p = &map->ranges[i - 1];
            if (p->end > r->base)
                fail_msg("ranges %zu and %zu overlap or are unsorted", i - 1, i);
            if (p->end == r->base && p->type == r->type)
                fail_msg("ranges %zu and %zu not merged", i - 1, i);
        }
    }
}

static void expect_ranges(const struct mem_range *want, size_t n)
{
    if (m->count != n) {
        for (size_t i = 0; i < m->count; i++)
            print_message("  %zu: %#lx-%#lx %s\n", i, (unsigned long)m->ranges[i].base,
                          (unsigned long)m->ranges[i].end,
                          memmap_type_name(m->ranges[i].type));
        fail_msg("count %zu, want %zu", m->count, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (m->ranges[i].base != want[i].base || m->ranges[i].end != want[i].end ||
            m->ranges[i].type != want[i].type)
            fail_msg("range %zu: %#lx-%#lx type %#x, want %#lx-%#lx type %#x", i,
                     (unsigned long)m->ranges[i].base, (unsigned long)m->ranges[i].end,
                     m->ranges[i].type, (unsigned long)want[i].base,
                     (unsigned long)want[i].end, want[i].type);
    }
}

/* The type m gives to address a, or 0 for a hole (0 is never an output here). */
static uint32_t type_at(uint64_t a)
{
    for (size_t i = 0; i < m->count; i++)
        if (m->ranges[i].base <= a && a < m->ranges[i].end)
            return m->ranges[i].type;
    return 0;
}

/* --- the model's priority: the documented order, lowest first -------------- */

static const uint32_t order[] = {
    USABLE, RECLAIM, MEMMAP_LOW_MEMORY, MEMMAP_BOOT_DATA, MEMMAP_KERNEL,
    /* unknown types (as reserved, below it) go here */
    RESERVED, NVS, BAD,
};

static unsigned model_rank(uint32_t type)
{
    for (unsigned i = 0; i < ARRAY_SIZE(order); i++)
        if (order[i] == type)
            return i < 5 ? i : i + 1;
    return 5;
}

static bool model_wins(uint32_t a, uint32_t b)
{
    return model_rank(a) != model_rank(b) ? model_rank(a) > model_rank(b) : a > b;
}

/* --- adding --------------------------------------------------------------- */

static void test_add_basic(void **state)
{
    (void)state;
    assert_int_equal(m->count, 0);
    assert_false(m->overflow);
    add(0x1000, 0, USABLE);                         /* zero length: ignored */
    assert_int_equal(m->count, 0);
    add(0x1000, 0x2000, USABLE);
    assert_int_equal(m->count, 1);
    assert_int_equal(m->ranges[0].base, 0x1000);
    assert_int_equal(m->ranges[0].end, 0x3000);
    assert_int_equal(m->ranges[0].type, USABLE);
    add(0x7000, 0x1000, 0x12345);                   /* unknown types kept as given */
    assert_int_equal(m->ranges[1].type, 0x12345);
}

static void test_add_wrapping(void **state)
{
    (void)state;
    add(0xfffffffffffff000ull, 0x2000, RESERVED);   /* wraps: clipped at 2^64 - 1 */
    add(0x10000, UINT64_MAX, USABLE);
    add(UINT64_MAX, 1, USABLE);                     /* nothing left after clipping */
    add(UINT64_MAX, UINT64_MAX, USABLE);
    add(UINT64_MAX - 1, 1, BAD);                    /* exactly reaches 2^64 - 1: fine */
    assert_int_equal(m->count, 3);
    assert_int_equal(m->ranges[0].base, 0xfffffffffffff000ull);
    assert_int_equal(m->ranges[0].end, UINT64_MAX);
    assert_int_equal(m->ranges[1].end, UINT64_MAX);
    assert_int_equal(m->ranges[2].base, UINT64_MAX - 1);
    assert_int_equal(m->ranges[2].end, UINT64_MAX);
    memmap_clean(m);
    const struct mem_range want[] = {
        { 0x10000, 0xfffffffffffff000ull, USABLE },
        { 0xfffffffffffff000ull, UINT64_MAX - 1, RESERVED },
        { UINT64_MAX - 1, UINT64_MAX, BAD },
    };
    expect_ranges(want, ARRAY_SIZE(want));
}

static void test_add_full(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)
        add((uint64_t)i * 0x2000, 0x1000, USABLE);
    assert_false(m->overflow);
    assert_int_equal(memmap_add(m, 0x10000000, 0x1000, USABLE), -ENOSPC);
    assert_true(m->overflow);
    assert_int_equal(m->count, MEMMAP_MAX_RANGES);
    assert_int_equal(memmap_add(m, 0x10000000, 0, USABLE), 0);    /* empty: still fine */
    memmap_init(m);
    assert_int_equal(m->count, 0);
    assert_false(m->overflow);
}

/* --- cleaning ------------------------------------------------------------- */

static void test_clean_empty(void **state)
{
    (void)state;
    memmap_clean(m);
    assert_int_equal(m->count, 0);
    assert_false(m->overflow);
}

static void test_clean_merges_and_sorts(void **state)
{
    (void)state;
    add(0x5000, 0x1000, USABLE);
    add(0x0000, 0x1000, USABLE);
    add(0x1000, 0x1000, USABLE);            /* touching: merged */
    add(0x3000, 0x1000, USABLE);            /* after a hole: separate */
    add(0x4000, 0x1000, RECLAIM);           /* touching, other type: separate */
    add(0x4800, 0x1000, RECLAIM);           /* overlapping same type: merged */
    memmap_clean(m);
    const struct mem_range want[] = {
        { 0x0000, 0x2000, USABLE },
        { 0x3000, 0x4000, USABLE },
        { 0x4000, 0x5800, RECLAIM },
        { 0x5800, 0x6000, USABLE },
    };
    expect_ranges(want, ARRAY_SIZE(want));
    assert_false(m->overflow);
}

/* Every pair of types, both ways round, small inside big. */
static void test_clean_priorities(void **state)
{
    (void)state;
    static const uint32_t types[] = {
        USABLE, RECLAIM, MEMMAP_LOW_MEMORY, MEMMAP_BOOT_DATA, MEMMAP_KERNEL,
        0, 6, 7, 0x103, 0xffffffffu, RESERVED, NVS, BAD,
    };
    for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
        for (size_t j = 0; j < ARRAY_SIZE(types); j++) {
            uint32_t big = types[i], small = types[j];
            memmap_init(m);
            add(0x10000, 0x30000, big);
            add(0x20000, 0x10000, small);
            memmap_clean(m);
            if (big == small || model_wins(big, small)) {
                const struct mem_range want[] = { { 0x10000, 0x40000, big } };
                expect_ranges(want, 1);
            } else {
                const struct mem_range want[] = {
                    { 0x10000, 0x20000, big },
                    { 0x20000, 0x30000, small },
                    { 0x30000, 0x40000, big },
                };
                expect_ranges(want, 3);
            }
        }
    }
    /* the documented order, checked directly for the named types */
    for (size_t i = 0; i + 1 < ARRAY_SIZE(order); i++) {
        memmap_init(m);
        add(0, 0x2000, order[i + 1]);
        add(0x1000, 0x2000, order[i]);
        memmap_clean(m);
        const struct mem_range want[] = {
            { 0, 0x2000, order[i + 1] }, { 0x2000, 0x3000, order[i] },
        };
        expect_ranges(want, 2);
    }
    /* an unknown type is below reserved and above the kernel's kinds */
    memmap_init(m);
    add(0, 0x3000, 0x42);
    add(0, 0x1000, MEMMAP_KERNEL);
    add(0x2000, 0x1000, RESERVED);
    memmap_clean(m);
    const struct mem_range want[] = { { 0, 0x2000, 0x42 }, { 0x2000, 0x3000, RESERVED } };
    expect_ranges(want, 2);
}

static const struct mem_range seabios[] = {
    { 0x0, 0x9fc00, USABLE },
    { 0x9fc00, 0xa0000, RESERVED },
    { 0xf0000, 0x100000, RESERVED },
    { 0x100000, 0xbffe0000, USABLE },
    { 0xbffe0000, 0xc0000000, RESERVED },
    { 0xfeffc000, 0xff000000, RESERVED },
    { 0xfffc0000, 0x100000000, RESERVED },
    { 0x100000000, 0x240000000, USABLE },
};

static void add_seabios(const size_t *perm)
{
    for (size_t i = 0; i < ARRAY_SIZE(seabios); i++) {
        const struct mem_range *r = &seabios[perm ? perm[i] : i];
        add(r->base, r->end - r->base, r->type);
    }
}

static void test_clean_seabios(void **state)
{
    (void)state;
    add_seabios(NULL);
    memmap_clean(m);
    expect_ranges(seabios, ARRAY_SIZE(seabios));
    assert_int_equal(memmap_total(m, USABLE), 0x9fc00 + (0xbffe0000 - 0x100000) + 0x140000000);
    assert_int_equal(memmap_total(m, RESERVED), 0x400 + 0x10000 + 0x20000 + 0x4000 + 0x40000);
    assert_int_equal(memmap_total(m, NVS), 0);
    assert_int_equal(memmap_highest(m, USABLE), 0x240000000);
    assert_int_equal(memmap_highest(m, RESERVED), 0x100000000);
    assert_int_equal(memmap_highest(m, BAD), 0);

    /* any order, and the whole map twice over, give the same result */
    rng_state = 0x5eab105;
    for (int round = 0; round < 200; round++) {
        size_t perm[ARRAY_SIZE(seabios)];
        for (size_t i = 0; i < ARRAY_SIZE(perm); i++)
            perm[i] = i;
        for (size_t i = ARRAY_SIZE(perm) - 1; i > 0; i--) {
            size_t j = rnd_below(i + 1), t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        memmap_init(m);
        add_seabios(perm);
        if (round & 1)
            add_seabios(NULL);
        memmap_clean(m);
        expect_ranges(seabios, ARRAY_SIZE(seabios));
        assert_false(m->overflow);
    }
}

static void test_clean_idempotent(void **state)
{
    (void)state;
    rng_state = 0x1de;
    for (int i = 0; i < 300; i++)
        add(rnd_below(1 << 20) * 0x1000, rnd_below(64) * 0x1000,
            (uint32_t)rnd_below(7));
    memmap_clean(m);
    check_clean(m);
    size_t n = m->count;
    struct mem_range *copy = malloc(n * sizeof(*copy));
    memcpy(copy, m->ranges, n * sizeof(*copy));
    memmap_clean(m);
    memmap_clean(m);
    expect_ranges(copy, n);
    free(copy);
    assert_false(m->overflow);
}

static void test_clean_high_addresses(void **state)
{
    (void)state;
    add(1ull << 60, 0x1000, RESERVED);
    add(1ull << 52, 1ull << 52, USABLE);
    add(0, 0x1000, USABLE);
    add((1ull << 52) + 0x1000, 0x1000, BAD);
    add(0xfffffffffff00000ull, 0x100000, RESERVED);
    memmap_clean(m);
    const struct mem_range want[] = {
        { 0, 0x1000, USABLE },
        { 1ull << 52, (1ull << 52) + 0x1000, USABLE },
        { (1ull << 52) + 0x1000, (1ull << 52) + 0x2000, BAD },
        { (1ull << 52) + 0x2000, 1ull << 53, USABLE },
        { 1ull << 60, (1ull << 60) + 0x1000, RESERVED },
        { 0xfffffffffff00000ull, UINT64_MAX, RESERVED },
    };
    expect_ranges(want, ARRAY_SIZE(want));
}

static void test_clean_drops_invalid_entries(void **state)
{
    (void)state;
    add(0x1000, 0x1000, USABLE);
    /* written by hand, as a careless caller might */
    m->ranges[m->count++] = (struct mem_range){ 0x5000, 0x5000, RESERVED };
    m->ranges[m->count++] = (struct mem_range){ 0x9000, 0x8000, RESERVED };
    memmap_clean(m);
    const struct mem_range want[] = { { 0x1000, 0x2000, USABLE } };
    expect_ranges(want, 1);

    /* a count past the array is clamped, and that is overflow */
    memmap_init(m);
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)
        add(0x1000, 0x1000, USABLE);
    m->count = MEMMAP_MAX_RANGES + 10;
    memmap_clean(m);
    expect_ranges(want, 1);
    assert_true(m->overflow);
}

/* --- a full map: reductions, overflow, safety ----------------------------- */

static void test_full_duplicates(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)
        add(0x100000, 0x100000, USABLE);
    memmap_clean(m);
    const struct mem_range want[] = { { 0x100000, 0x200000, USABLE } };
    expect_ranges(want, 1);
    assert_false(m->overflow);
}

static void test_full_chain(void **state)
{
    (void)state;
    /* each overlaps the next: one range, no overflow */
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)
        add((uint64_t)(MEMMAP_MAX_RANGES - 1 - i) * 0x1000, 0x2000, RESERVED);
    memmap_clean(m);
    const struct mem_range want[] = { { 0, (MEMMAP_MAX_RANGES + 1) * 0x1000ull, RESERVED } };
    expect_ranges(want, 1);
    assert_false(m->overflow);
}

static void test_full_nested(void **state)
{
    (void)state;
    /* 511 usable ranges inside one reserved range: all of it reserved */
    add(0, 1ull << 40, RESERVED);
    for (unsigned i = 1; i < MEMMAP_MAX_RANGES; i++)
        add((uint64_t)i * 0x10000, 0x1000, USABLE);
    memmap_clean(m);
    const struct mem_range want[] = { { 0, 1ull << 40, RESERVED } };
    expect_ranges(want, 1);
    assert_false(m->overflow);
}

static void test_full_overflow_is_safe(void **state)
{
    (void)state;
    /* one usable range with 511 reserved pages inside: 1023 pieces needed */
    add(0, 1ull << 40, USABLE);
    for (unsigned i = 1; i < MEMMAP_MAX_RANGES; i++)
        add((uint64_t)i * 0x10000, 0x1000, RESERVED);
    memmap_clean(m);
    check_clean(m);
    assert_true(m->overflow);
    assert_true(m->count <= MEMMAP_MAX_RANGES);
    /* holes are allowed, usable reserved bytes are not */
    for (unsigned i = 1; i < MEMMAP_MAX_RANGES; i++) {
        uint64_t a = (uint64_t)i * 0x10000;
        assert_int_not_equal(type_at(a), USABLE);
        assert_int_not_equal(type_at(a + 0xfff), USABLE);
    }
    assert_true(memmap_total(m, USABLE) <= (1ull << 40) - 511 * 0x1000ull);
    /*
     * The smallest pieces go first: the reserved specks, not the RAM
     * between them (all of which is kept but the first piece, which met a
     * map with no output yet to give up).
     */
    assert_int_equal(memmap_total(m, USABLE), (1ull << 40) - 0x10000 - 511 * 0x1000ull);
    assert_int_equal(memmap_highest(m, USABLE), 1ull << 40);
}

/* --- reservations ----------------------------------------------------------- */

static void test_reserve(void **state)
{
    (void)state;
    add_seabios(NULL);
    memmap_clean(m);
    uint64_t usable = memmap_total(m, USABLE);

    assert_int_equal(memmap_reserve(m, 0x100000, 0x400000, MEMMAP_KERNEL), 0);
    assert_int_equal(memmap_reserve(m, 0x400000, 0x401000, MEMMAP_BOOT_DATA), 0);
    assert_int_equal(memmap_reserve(m, 0, 0x100000, MEMMAP_LOW_MEMORY), 0);
    const struct mem_range want[] = {
        { 0x0, 0x9fc00, MEMMAP_LOW_MEMORY },
        { 0x9fc00, 0xa0000, RESERVED },          /* stronger: stays */
        { 0xa0000, 0xf0000, MEMMAP_LOW_MEMORY }, /* a hole: takes the new type */
        { 0xf0000, 0x100000, RESERVED },
        { 0x100000, 0x400000, MEMMAP_KERNEL },
        { 0x400000, 0x401000, MEMMAP_BOOT_DATA },
        { 0x401000, 0xbffe0000, USABLE },
        { 0xbffe0000, 0xc0000000, RESERVED },
        { 0xfeffc000, 0xff000000, RESERVED },
        { 0xfffc0000, 0x100000000, RESERVED },
        { 0x100000000, 0x240000000, USABLE },
    };
    expect_ranges(want, ARRAY_SIZE(want));
    assert_int_equal(memmap_total(m, USABLE), usable - 0x9fc00 - 0x301000);
    assert_int_equal(memmap_total(m, MEMMAP_KERNEL), 0x300000);

    /* a weaker type never overrides: reserving "usable" changes nothing */
    assert_int_equal(memmap_reserve(m, 0x9f000, 0x101000, USABLE), 0);
    expect_ranges(want, ARRAY_SIZE(want));

    assert_int_equal(memmap_reserve(m, 0x2000, 0x1000, RESERVED), -EINVAL);
    assert_int_equal(memmap_reserve(m, 0x2000, 0x2000, RESERVED), 0);
    expect_ranges(want, ARRAY_SIZE(want));
    assert_false(m->overflow);
}

static void test_reserve_cleans_first(void **state)
{
    (void)state;
    /* full of duplicates: cleaning makes room, no overflow */
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)
        add(0, 0x100000, USABLE);
    assert_int_equal(memmap_reserve(m, 0x1000, 0x2000, MEMMAP_KERNEL), 0);
    const struct mem_range want[] = {
        { 0, 0x1000, USABLE }, { 0x1000, 0x2000, MEMMAP_KERNEL }, { 0x2000, 0x100000, USABLE },
    };
    expect_ranges(want, 3);
    assert_false(m->overflow);
}

static void test_reserve_full_map(void **state)
{
    (void)state;
    /* 512 disjoint ranges that cannot merge: the reservation still holds */
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES; i++)
        add((uint64_t)i * 0x10000, 0x10000, (i & 1) ? RESERVED : USABLE);
    memmap_clean(m);
    assert_int_equal(m->count, MEMMAP_MAX_RANGES);
    assert_false(m->overflow);

    uint64_t kbase = 200 * 0x10000ull + 0x4000, kend = kbase + 0x8000;
    assert_int_equal(memmap_reserve(m, kbase, kend, MEMMAP_KERNEL), -ENOSPC);
    assert_true(m->overflow);
    check_clean(m);
    assert_int_equal(memmap_total(m, MEMMAP_KERNEL), kend - kbase);
    for (uint64_t a = kbase; a < kend; a += 0x1000)
        assert_int_equal(type_at(a), MEMMAP_KERNEL);
    /* every reserved range of the input is still there */
    for (unsigned i = 1; i < MEMMAP_MAX_RANGES; i += 2)
        assert_int_equal(type_at((uint64_t)i * 0x10000), RESERVED);
    /* overflow stays set, and a later reserve that fits succeeds */
    assert_int_equal(memmap_reserve(m, 0x10000, 0x20000, BAD), 0);
    assert_true(m->overflow);
    assert_int_equal(type_at(0x10000), BAD);
}

/* --- UEFI ------------------------------------------------------------------- */

static void test_efi_type(void **state)
{
    (void)state;
    static const uint32_t want[] = {
        RESERVED,   /* 0 EfiReservedMemoryType */
        USABLE,     /* 1 EfiLoaderCode */
        USABLE,     /* 2 EfiLoaderData */
        USABLE,     /* 3 EfiBootServicesCode */
        USABLE,     /* 4 EfiBootServicesData */
        RESERVED,   /* 5 EfiRuntimeServicesCode */
        RESERVED,   /* 6 EfiRuntimeServicesData */
        USABLE,     /* 7 EfiConventionalMemory */
        BAD,        /* 8 EfiUnusableMemory */
        RECLAIM,    /* 9 EfiACPIReclaimMemory */
        NVS,        /* 10 EfiACPIMemoryNVS */
        RESERVED,   /* 11 EfiMemoryMappedIO */
        RESERVED,   /* 12 EfiMemoryMappedIOPortSpace */
        RESERVED,   /* 13 EfiPalCode */
        RESERVED,   /* 14 EfiPersistentMemory */
        RESERVED,   /* 15 EfiUnacceptedMemoryType */
        RESERVED,   /* 16 */
    };
    for (uint32_t t = 0; t < ARRAY_SIZE(want); t++)
        assert_int_equal(memmap_efi_type(t), want[t]);
    assert_int_equal(memmap_efi_type(0x70000000), RESERVED);   /* OEM */
    assert_int_equal(memmap_efi_type(0x80000000), RESERVED);   /* OS loader */
    assert_int_equal(memmap_efi_type(UINT32_MAX), RESERVED);
}

struct efi_desc {
    uint32_t type;
    uint64_t phys;
    uint64_t pages;
};

/* Lays descs out as EFI_MEMORY_DESCRIPTORs desc_size apart, at buf. */
static void put_efi(unsigned char *buf, const struct efi_desc *descs, size_t n,
                    size_t desc_size)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *d = buf + i * desc_size;
        uint64_t virt = 0, attr = 0xf;
        uint32_t pad = 0xdeadbeef;
        memset(d, 0xcc, desc_size);
        memcpy(d + 0, &descs[i].type, 4);
        memcpy(d + 4, &pad, 4);
        memcpy(d + 8, &descs[i].phys, 8);
        memcpy(d + 16, &virt, 8);
        memcpy(d + 24, &descs[i].pages, 8);
        memcpy(d + 32, &attr, 8);
    }
}

/* Something like OVMF's map on QEMU q35 with 2 GiB, out of order. */
static const struct efi_desc ovmf[] = {
    { 3, 0x0, 1 },                  /* BootServicesCode */
    { 7, 0x1000, 0x9f },            /* Conventional */
    { 7, 0x100000, 0x700 },
    { 10, 0x800000, 8 },            /* ACPI NVS */
    { 7, 0x808000, 3 },
    { 10, 0x80b000, 1 },
    { 7, 0x80c000, 4 },
    { 10, 0x810000, 0xf0 },
    { 4, 0x900000, 0x700 },         /* BootServicesData */
    { 7, 0x1000000, 0x6e000 },
    { 2, 0x6f000000, 0x800 },       /* LoaderData */
    { 1, 0x6f800000, 0x100 },       /* LoaderCode */
    { 4, 0x6f900000, 0xf000 },
    { 9, 0x7e900000, 0x10 },        /* ACPI reclaim */
    { 0, 0x7e910000, 0x100 },       /* Reserved */
    { 6, 0x7ea10000, 0x100 },       /* RuntimeServicesData */
    { 5, 0x7eb10000, 0x80 },        /* RuntimeServicesCode */
    { 4, 0x7eb90000, 0x1460 },
    { 10, 0x7fff0000, 0x10 },
    { 11, 0xb0000000, 0x10000 },    /* MMIO: PCIe ECAM */
    { 11, 0xffc00000, 0x400 },      /* MMIO: flash */
    { 8, 0x100000000, 0x10 },       /* Unusable */
    { 14, 0x100010000, 0x10 },      /* Persistent */
    { 12, 0xfd00000000, 0x1 },      /* MMIO port space */
};

static void test_efi_ovmf(void **state)
{
    (void)state;
    size_t n = ARRAY_SIZE(ovmf), desc_size = 48;
    unsigned char *raw = malloc(n * desc_size + 3);
    unsigned char *buf = raw + 3;                   /* deliberately unaligned */
    put_efi(buf, ovmf, n, desc_size);
    assert_int_equal(memmap_add_efi(m, buf, n * desc_size, desc_size), 0);
    assert_int_equal(m->count, n);
    free(raw);

    memmap_clean(m);
    check_clean(m);
    const struct mem_range want[] = {
        { 0x0, 0xa0000, USABLE },
        { 0x100000, 0x800000, USABLE },
        { 0x800000, 0x808000, NVS },
        { 0x808000, 0x80b000, USABLE },
        { 0x80b000, 0x80c000, NVS },
        { 0x80c000, 0x810000, USABLE },
        { 0x810000, 0x900000, NVS },
        { 0x900000, 0x7e900000, USABLE },
        { 0x7e900000, 0x7e910000, RECLAIM },
        { 0x7e910000, 0x7eb90000, RESERVED },
        { 0x7eb90000, 0x7fff0000, USABLE },
        { 0x7fff0000, 0x80000000, NVS },
        { 0xb0000000, 0xc0000000, RESERVED },
        { 0xffc00000, 0x100000000, RESERVED },
        { 0x100000000, 0x100010000, BAD },
        { 0x100010000, 0x100020000, RESERVED },
        { 0xfd00000000, 0xfd00001000, RESERVED },
    };
    expect_ranges(want, ARRAY_SIZE(want));
}

static void test_efi_layouts(void **state)
{
    (void)state;
    static const struct efi_desc d[] = {
        { 7, 0x100000, 0x100 },
        { 7, 0x200000, 0 },                         /* no pages: ignored */
        { 11, 0xfffffffffffff000ull, 2 },           /* wraps: clipped */
        { 7, 0x1000000, 0x0010000000000000ull },    /* pages * 4096 overflows */
    };
    unsigned char *buf = malloc(4 * 40);
    put_efi(buf, d, 4, 40);                         /* the bare 40-byte layout */
    assert_int_equal(memmap_add_efi(m, buf, 4 * 40, 40), 0);
    free(buf);
    assert_int_equal(m->count, 3);
    assert_int_equal(m->ranges[0].end, 0x200000);
    assert_int_equal(m->ranges[1].base, 0xfffffffffffff000ull);
    assert_int_equal(m->ranges[1].end, UINT64_MAX);
    assert_int_equal(m->ranges[1].type, RESERVED);
    assert_int_equal(m->ranges[2].base, 0x1000000);
    assert_int_equal(m->ranges[2].end, UINT64_MAX);

    /* a trailing partial descriptor is not read */
    memmap_init(m);
    buf = malloc(2 * 64 + 40);
    put_efi(buf, d, 2, 64);
    assert_int_equal(memmap_add_efi(m, buf, 2 * 64 + 40, 64), 0);
    assert_int_equal(m->count, 1);
    free(buf);

    assert_int_equal(memmap_add_efi(m, NULL, 0, 48), 0);
    assert_int_equal(memmap_add_efi(m, NULL, 0, 39), -EINVAL);
    assert_int_equal(memmap_add_efi(m, d, sizeof(d), 0), -EINVAL);
    assert_int_equal(m->count, 1);
}

static void test_efi_full(void **state)
{
    (void)state;
    for (unsigned i = 0; i < MEMMAP_MAX_RANGES - 1; i++)
        add((uint64_t)i << 20, 0x1000, USABLE);
    static const struct efi_desc d[] = { { 7, 0x80000000, 1 }, { 7, 0x90000000, 1 } };
    unsigned char buf[2 * 48];
    put_efi(buf, d, 2, 48);
    assert_int_equal(memmap_add_efi(m, buf, sizeof(buf), 48), -ENOSPC);
    assert_true(m->overflow);
    assert_int_equal(m->count, MEMMAP_MAX_RANGES);
    assert_int_equal(m->ranges[MEMMAP_MAX_RANGES - 1].base, 0x80000000);
}

/* --- queries ---------------------------------------------------------------- */

static void test_total_highest(void **state)
{
    (void)state;
    assert_int_equal(memmap_total(m, USABLE), 0);
    assert_int_equal(memmap_highest(m, USABLE), 0);
    add(0x5000, 0x1000, USABLE);
    add(0x1000, 0x1000, USABLE);
    add(0x9000, 0x3000, RESERVED);
    assert_int_equal(memmap_total(m, USABLE), 0x2000);
    assert_int_equal(memmap_highest(m, USABLE), 0x6000);       /* unsorted is fine */
    assert_int_equal(memmap_highest(m, RESERVED), 0xc000);
    /* uncleaned overlaps saturate rather than wrap */
    add(0, UINT64_MAX, BAD);
    add(0, UINT64_MAX, BAD);
    assert_int_equal(memmap_total(m, BAD), UINT64_MAX);
    assert_int_equal(memmap_highest(m, BAD), UINT64_MAX);
}

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(memmap_type_name(USABLE), "usable");
    assert_string_equal(memmap_type_name(RESERVED), "reserved");
    assert_string_equal(memmap_type_name(RECLAIM), "ACPI reclaimable");
    assert_string_equal(memmap_type_name(NVS), "ACPI NVS");
    assert_string_equal(memmap_type_name(BAD), "bad");
    assert_string_equal(memmap_type_name(MEMMAP_KERNEL), "kernel");
    assert_string_equal(memmap_type_name(MEMMAP_BOOT_DATA), "boot data");
    assert_string_equal(memmap_type_name(MEMMAP_LOW_MEMORY), "low memory");
    assert_string_equal(memmap_type_name(0), "unknown");
    assert_string_equal(memmap_type_name(6), "unknown");
    assert_string_equal(memmap_type_name(UINT32_MAX), "unknown");
}

/* --- randomized, against a model ------------------------------------------- */

#define MAX_GRID    2048

static const uint32_t random_types[] = {
    USABLE, USABLE, USABLE, RESERVED, RECLAIM, NVS, BAD,
    MEMMAP_KERNEL, MEMMAP_BOOT_DATA, MEMMAP_LOW_MEMORY, 0, 6, 0x4000, 0xffffffffu,
};

static void dump(const char *what, const struct mem_range *r, size_t n, bool lengths)
{
    for (size_t i = 0; i < n; i++)
        print_message("%s %zu: %#lx %s%#lx %s\n", what, i, (unsigned long)r[i].base,
                      lengths ? "+" : "-", (unsigned long)r[i].end,
                      memmap_type_name(r[i].type));
}

/*
 * nranges random ranges on a grid of `grid` units of `unit` bytes from
 * `origin` (duplicates, nesting, zero lengths, every type). Each unit must
 * come out as the model's winner of the ranges covering it, or a hole
 * where nothing covers it; the result must be clean; and cleaning a
 * shuffled copy of the input must give the very same map. With
 * may_overflow, the map may lose pieces (overflow set) but only to holes:
 * what is left must still agree with the model.
 */
static void random_round(uint64_t origin, uint64_t unit, size_t grid, size_t nranges,
                         bool may_overflow)
{
    static struct mem_range in[MEMMAP_MAX_RANGES];
    static uint32_t model[MAX_GRID];
    static bool covered[MAX_GRID];
    size_t maxlen = 6;

    memmap_init(m);
    for (size_t i = 0; i < nranges; i++) {
        uint64_t s = rnd_below(grid);
        uint64_t len = rnd_below(8) == 0 ? 0 : 1 + rnd_below(rnd_below(4) ? maxlen : grid - s);
        if (s + len > grid)
            len = grid - s;
        if (i > 0 && rnd_below(10) == 0) {          /* an exact duplicate */
            in[i] = in[rnd_below(i)];
        } else {
            in[i].base = origin + s * unit;
            in[i].end = len * unit;                 /* a length, not an end */
            in[i].type = random_types[rnd_below(ARRAY_SIZE(random_types))];
            if (may_overflow) {             /* usable expanses strewn with specks */
                in[i].end = (i < 8 ? grid - s : 1 + rnd_below(2)) * unit;
                in[i].type = i < 8 ? USABLE : in[i].type == USABLE ? RESERVED : in[i].type;
            }
        }
        add(in[i].base, in[i].end, in[i].type);
    }
    /* type 0 is a valid input type here: holes are told apart by covered[] */
    for (size_t u = 0; u < grid; u++) {
        uint64_t a = origin + u * unit;
        covered[u] = false;
        model[u] = 0;
        for (size_t i = 0; i < nranges; i++) {
            uint64_t end = in[i].end > UINT64_MAX - in[i].base ? UINT64_MAX
                                                                : in[i].base + in[i].end;
            if (in[i].base <= a && a < end &&
                (!covered[u] || model_wins(in[i].type, model[u]))) {
                model[u] = in[i].type;
                covered[u] = true;
            }
        }
    }
    memmap_clean(m);
    check_clean(m);
    if (!may_overflow)
        assert_false(m->overflow);
    for (size_t u = 0; u < grid; u++) {
        /* the unit's first byte and its last but one (its last may be 2^64 - 1) */
        uint64_t probes[2] = { origin + u * unit, origin + u * unit + unit - 2 };
        for (size_t k = 0; k < 2; k++) {
            const struct mem_range *hit = NULL;
            for (size_t i = 0; i < m->count; i++)
                if (m->ranges[i].base <= probes[k] && probes[k] < m->ranges[i].end)
                    hit = &m->ranges[i];
            bool ok = hit ? covered[u] && hit->type == model[u] : !covered[u] || m->overflow;
            if (!ok) {
                dump("in", in, nranges, true);
                dump("out", m->ranges, m->count, false);
                fail_msg("unit %zu: %s %#x, model %s %#x", u, hit ? "type" : "hole",
                         hit ? hit->type : 0, covered[u] ? "type" : "hole", model[u]);
            }
        }
    }
    if (m->overflow)
        return;

    /* the same input in another order: the same output */
    size_t n = m->count;
    struct mem_range *out = malloc((n ? n : 1) * sizeof(*out));
    memcpy(out, m->ranges, n * sizeof(*out));
    for (size_t i = nranges; i > 1; i--) {
        size_t j = rnd_below(i);
        struct mem_range t = in[i - 1];
        in[i - 1] = in[j];
        in[j] = t;
    }
    memmap_init(m);
    for (size_t i = 0; i < nranges; i++)
        add(in[i].base, in[i].end, in[i].type);
    memmap_clean(m);
    expect_ranges(out, n);
    free(out);
}

static void test_random_model(void **state)
{
    (void)state;
    rng_state = 0xba5a17;
    for (int round = 0; round < 3000; round++) {
        size_t n = 1 + rnd_below(round % 10 == 0 ? 200 : 40);
        switch (round % 4) {
        case 0: random_round(0, 0x1000, 96, n, false); break;
        case 1: random_round(0x100000000ull, 0x100000, 96, n, false); break;
        case 2: random_round(1ull << 52, 1ull << 44, 96, n, false); break;   /* above 2^52 */
        default: random_round(0ull - 96 * 0x1000ull, 0x1000, 96, n, false); break; /* to 2^64 */
        }
    }
}

/* Full maps of scattered, nested ranges: whatever is lost is lost to holes. */
static void test_random_overflow(void **state)
{
    (void)state;
    int overflows = 0;
    rng_state = 0x0f10;
    for (int round = 0; round < 60; round++) {
        size_t n = MEMMAP_MAX_RANGES - (size_t)(round % 20) * 16;
        random_round(0x100000, 0x1000, MAX_GRID, n, true);
        overflows += m->overflow;
    }
    /* both sides of the limit were reached */
    assert_in_range(overflows, 10, 50);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_add_basic),
        T(test_add_wrapping),
        T(test_add_full),
        T(test_clean_empty),
        T(test_clean_merges_and_sorts),
        T(test_clean_priorities),
        T(test_clean_seabios),
        T(test_clean_idempotent),
        T(test_clean_high_addresses),
        T(test_clean_drops_invalid_entries),
        T(test_full_duplicates),
        T(test_full_chain),
        T(test_full_nested),
        T(test_full_overflow_is_safe),
        T(test_reserve),
        T(test_reserve_cleans_first),
        T(test_reserve_full_map),
        T(test_efi_type),
        T(test_efi_layouts),
        T(test_efi_ovmf),
        T(test_efi_full),
        T(test_total_highest),
        T(test_type_names),
        T(test_random_model),
        T(test_random_overflow),
    };
    return cmocka_run_group_tests_name("mm/memmap", tests, NULL, NULL);
}
