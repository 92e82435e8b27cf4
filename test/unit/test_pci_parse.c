/*
 * test/unit/test_pci_parse.c - host tests for src/dev/pci_parse.c (the
 * PCI capability-list walk and BAR decoding).
 *
 * Each test builds a configuration space in a heap array of exactly 256
 * bytes (conventional) or 4 KiB (ECAM), so a read past it is an ASan
 * report, and walks it through a read8 callback that also fails the test
 * on an offset at or beyond the size. Capability lists: empty, a real
 * chain (with the first MSI, MSI-X and PCI Express recorded, later ones
 * not), the low two pointer bits ignored, loops (to itself, to an earlier
 * entry, a long cycle), pointers into the header (from CAP_PTR and from
 * the middle of a list), the last dword of the space, more than
 * PCI_MAX_CAPS entries, an ECAM space whose extended area is never read.
 * pci_parse_find_cap over the recorded list. BARs are emulated as
 * registers with writable bits, so the probe sees what hardware returns
 * after all ones are written: I/O (32- and 16-bit decoders), 32-bit and
 * 64-bit memory, prefetchable, a 64-bit BAR in the last slot (decoded as
 * 32-bit, no read past it), sizes above 4 GiB, absent BARs (0 and all
 * ones), bridges (two slots) and the original values restored.
 */
#include "unit.h"
#include <dev/pci_parse.h>

/* ---- a fake configuration space --------------------------------------------------- */

struct space {
    uint8_t *cfg;
    uint16_t size;
    uint32_t bar_rw[6];         /* writable bits of each BAR register */
    unsigned probes[6];         /* probe calls per BAR slot */
    unsigned reads;
};

static struct space *space_new(uint16_t size)
{
    struct space *s = calloc(1, sizeof(*s));

    assert_non_null(s);
    s->cfg = calloc(size, 1);
    assert_non_null(s->cfg);
    s->size = size;
    return s;
}

static void space_free(struct space *s)
{
    free(s->cfg);
    free(s);
}

static uint8_t read8(const void *ctx, uint16_t off)
{
    struct space *s = (struct space *)ctx;

    if (off >= s->size)
        fail_msg("read at %#x past the %u-byte configuration space", off, s->size);
    s->reads++;
    return s->cfg[off];
}

static uint32_t get32(const struct space *s, uint16_t off)
{
    uint32_t v;

    memcpy(&v, s->cfg + off, 4);
    return v;
}

static void put32(struct space *s, uint16_t off, uint32_t v)
{
    memcpy(s->cfg + off, &v, 4);
}

/* The BAR register at off as hardware has it: only its writable bits change. */
static void bar_write(struct space *s, uint16_t off, uint32_t v)
{
    unsigned i = (off - PCI_BAR0) / 4;

    put32(s, off, (v & s->bar_rw[i]) | (get32(s, off) & ~s->bar_rw[i]));
}

static uint32_t probe(void *ctx, uint16_t off, uint32_t *orig)
{
    struct space *s = ctx;
    uint32_t mask;

    assert_true(off >= PCI_BAR0 && off < PCI_BAR0 + 24 && off % 4 == 0);
    s->probes[(off - PCI_BAR0) / 4]++;
    *orig = get32(s, off);
    bar_write(s, off, 0xffffffffu);
    mask = get32(s, off);
    bar_write(s, off, *orig);
    return mask;
}

/* A capability with id at off, linking to next. */
static void cap(struct space *s, uint8_t off, uint8_t id, uint8_t next)
{
    s->cfg[off] = id;
    s->cfg[off + 1] = next;
}

static struct pci_dev *dev_for(const struct space *s)
{
    struct pci_dev *d = calloc(1, sizeof(*d));

    assert_non_null(d);
    d->cfg_size = s->size;
    return d;
}

/* ---- capability lists --------------------------------------------------------------- */

static void test_caps_empty(void **state)
{
    struct space *s = space_new(256);
    struct pci_dev *d = dev_for(s);
    uint8_t cut = 0x77;

    (void)state;
    assert_int_equal(pci_parse_caps(d, read8, s, &cut), PCI_PARSE_CAPS_END);
    assert_int_equal(d->cap_count, 0);
    assert_false(d->caps_truncated);
    assert_int_equal(cut, 0x77);                /* untouched */
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_MSI, 0), 0);
    free(d);
    space_free(s);
}

static void test_caps_chain(void **state)
{
    struct space *s = space_new(256);
    struct pci_dev *d = dev_for(s);
    uint8_t cut = 0;

    (void)state;
    s->cfg[PCI_CAP_PTR] = 0x40 | 3;             /* the low two bits are reserved */
    cap(s, 0x40, PCI_CAP_PM, 0x50 | 2);
    cap(s, 0x50, PCI_CAP_MSI, 0x60);
    cap(s, 0x60, PCI_CAP_VENDOR, 0x70);
    cap(s, 0x70, PCI_CAP_MSIX, 0x84);
    cap(s, 0x84, PCI_CAP_VENDOR, 0x98);
    cap(s, 0x98, PCI_CAP_PCIE, 0xa0);
    cap(s, 0xa0, PCI_CAP_MSI, 0xfc);            /* a second MSI: not the one used */
    cap(s, 0xfc, PCI_CAP_MSIX, 0x00);           /* the last dword of the space */
    assert_int_equal(pci_parse_caps(d, read8, s, &cut), PCI_PARSE_CAPS_END);
    assert_false(d->caps_truncated);
    assert_int_equal(d->cap_count, 8);
    assert_int_equal(d->caps[0].offset, 0x40);
    assert_int_equal(d->caps[0].id, PCI_CAP_PM);
    assert_int_equal(d->caps[7].offset, 0xfc);
    assert_int_equal(d->caps[7].id, PCI_CAP_MSIX);
    assert_int_equal(d->msi_cap, 0x50);
    assert_int_equal(d->msix_cap, 0x70);
    assert_int_equal(d->pcie_cap, 0x98);

    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_VENDOR, 0), 0x60);
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_VENDOR, 0x60), 0x84);
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_VENDOR, 0x84), 0);
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_MSI, 0x50), 0xa0);
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_MSIX, 0x70), 0xfc);
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, 0x42, 0), 0);
    /* after an offset that is no capability: nothing */
    assert_int_equal(pci_parse_find_cap(d->caps, d->cap_count, PCI_CAP_VENDOR, 0x44), 0);
    free(d);
    space_free(s);
}

static void expect_cut(struct space *s, enum pci_parse_caps_end want, uint8_t at,
                       unsigned count)
{
    struct pci_dev *d = dev_for(s);
    uint8_t cut = 0;

    assert_int_equal(pci_parse_caps(d, read8, s, &cut), want);
    assert_true(d->caps_truncated);
    assert_int_equal(cut, at);
    assert_int_equal(d->cap_count, count);
    free(d);
}

static void test_caps_loops(void **state)
{
    struct space *s = space_new(256);

    (void)state;
    s->cfg[PCI_CAP_PTR] = 0x40;
    cap(s, 0x40, PCI_CAP_PM, 0x40);             /* to itself */
    expect_cut(s, PCI_PARSE_CAPS_LOOP, 0x40, 1);

    cap(s, 0x40, PCI_CAP_PM, 0x48);
    cap(s, 0x48, PCI_CAP_MSI, 0x50);
    cap(s, 0x50, PCI_CAP_VENDOR, 0x48);         /* back to an earlier entry */
    expect_cut(s, PCI_PARSE_CAPS_LOOP, 0x48, 3);

    cap(s, 0x50, PCI_CAP_VENDOR, 0x4b);         /* the same, low bits set */
    expect_cut(s, PCI_PARSE_CAPS_LOOP, 0x48, 3);

    /* a cycle of 12 (below PCI_MAX_CAPS) through the whole space */
    for (unsigned i = 0; i < 12; i++)
        cap(s, (uint8_t)(0x40 + 16 * i), PCI_CAP_VENDOR, (uint8_t)(0x40 + 16 * ((i + 1) % 12)));
    expect_cut(s, PCI_PARSE_CAPS_LOOP, 0x40, 12);
    space_free(s);
}

static void test_caps_into_header(void **state)
{
    struct space *s = space_new(256);

    (void)state;
    s->cfg[PCI_CAP_PTR] = 0x10;                 /* CAP_PTR itself into the header */
    expect_cut(s, PCI_PARSE_CAPS_HEADER, 0x10, 0);

    s->cfg[PCI_CAP_PTR] = 0x03;                 /* reserved bits only: an empty list */
    {
        struct pci_dev *d = dev_for(s);
        uint8_t cut = 0;

        assert_int_equal(pci_parse_caps(d, read8, s, &cut), PCI_PARSE_CAPS_END);
        assert_false(d->caps_truncated);
        free(d);
    }

    s->cfg[PCI_CAP_PTR] = 0x40;
    cap(s, 0x40, PCI_CAP_PM, 0x50);
    cap(s, 0x50, PCI_CAP_MSI, 0x3c);            /* mid-list, just below 0x40 */
    expect_cut(s, PCI_PARSE_CAPS_HEADER, 0x3c, 2);

    cap(s, 0x50, PCI_CAP_MSI, PCI_CAP_PTR);     /* to the pointer register: a loop via it */
    expect_cut(s, PCI_PARSE_CAPS_HEADER, PCI_CAP_PTR, 2);
    space_free(s);
}

static void test_caps_past_end(void **state)
{
    struct space *s;

    (void)state;
    /* a space smaller than the pointers can reach: the guard stops there */
    s = space_new(128);
    s->cfg[PCI_CAP_PTR] = 0x40;
    cap(s, 0x40, PCI_CAP_PM, 0x7c);
    cap(s, 0x7c, PCI_CAP_MSI, 0xf0);            /* the last dword, then past the end */
    expect_cut(s, PCI_PARSE_CAPS_PAST_END, 0xf0, 2);
    space_free(s);

    /* ECAM: the list lives in the first 256 bytes; nothing above is read */
    s = space_new(4096);
    memset(s->cfg + 256, 0xff, 4096 - 256);
    s->cfg[PCI_CAP_PTR] = 0x40;
    cap(s, 0x40, PCI_CAP_PCIE, 0xfc);
    cap(s, 0xfc, PCI_CAP_MSIX, 0x00);
    {
        struct pci_dev *d = dev_for(s);
        uint8_t cut = 0;

        assert_int_equal(pci_parse_caps(d, read8, s, &cut), PCI_PARSE_CAPS_END);
        assert_int_equal(d->cap_count, 2);
        assert_int_equal(d->pcie_cap, 0x40);
        assert_int_equal(d->msix_cap, 0xfc);
        free(d);
    }
    space_free(s);
}

static void test_caps_too_many(void **state)
{
    struct space *s = space_new(256);
    unsigned n = PCI_MAX_CAPS + 4;

    (void)state;
    s->cfg[PCI_CAP_PTR] = 0x40;
    for (unsigned i = 0; i < n; i++)
        cap(s, (uint8_t)(0x40 + 8 * i), PCI_CAP_VENDOR,
            i + 1 < n ? (uint8_t)(0x40 + 8 * (i + 1)) : 0);
    expect_cut(s, PCI_PARSE_CAPS_TOO_MANY, (uint8_t)(0x40 + 8 * PCI_MAX_CAPS), PCI_MAX_CAPS);

    /* exactly PCI_MAX_CAPS: the whole list */
    s->cfg[0x40 + 8 * (PCI_MAX_CAPS - 1) + 1] = 0;
    {
        struct pci_dev *d = dev_for(s);
        uint8_t cut = 0;

        assert_int_equal(pci_parse_caps(d, read8, s, &cut), PCI_PARSE_CAPS_END);
        assert_int_equal(d->cap_count, PCI_MAX_CAPS);
        assert_false(d->caps_truncated);
        free(d);
    }
    space_free(s);
}

static void test_caps_random(void **state)
{
    (void)state;
    rng_state = 0xc0ffee1234ull;
    for (unsigned run = 0; run < 2000; run++) {
        struct space *s = space_new(run % 2 ? 4096 : 256);
        struct pci_dev *d = dev_for(s);
        uint8_t cut = 0;
        enum pci_parse_caps_end end;

        for (unsigned i = 0; i < 256; i++)
            s->cfg[i] = (uint8_t)rnd();
        end = pci_parse_caps(d, read8, s, &cut);
        assert_true(d->cap_count <= PCI_MAX_CAPS);
        assert_int_equal(d->caps_truncated, end != PCI_PARSE_CAPS_END);
        for (unsigned i = 0; i < d->cap_count; i++) {
            assert_true(d->caps[i].offset >= 0x40 && d->caps[i].offset % 4 == 0);
            for (unsigned j = 0; j < i; j++)
                assert_int_not_equal(d->caps[i].offset, d->caps[j].offset);
        }
        assert_true(s->reads <= 1 + 2 * PCI_MAX_CAPS);
        assert_non_null(pci_parse_caps_end_name(end));
        free(d);
        space_free(s);
    }
}

/* ---- BARs ------------------------------------------------------------------------------ */

/* BAR i as hardware: its value and which bits a write of all ones sets. */
static void bar(struct space *s, unsigned i, uint32_t value, uint32_t rw)
{
    put32(s, (uint16_t)(PCI_BAR0 + 4 * i), value);
    s->bar_rw[i] = rw;
}

static void test_bar_size(void **state)
{
    (void)state;
    assert_int_equal(pci_parse_bar_size(0), 0);
    assert_int_equal(pci_parse_bar_size(0xfffff000u), 0x1000);
    assert_int_equal(pci_parse_bar_size(0xffffffffffffff00ull), 0x100);
    /* hard-wired upper zeroes: the lowest set bit, not ~mask + 1 */
    assert_int_equal(pci_parse_bar_size(0x0000fff0u), 0x10);
    assert_int_equal(pci_parse_bar_size(0xffffffff00000000ull), 0x100000000ull);
    assert_int_equal(pci_parse_bar_size(0x8000000000000000ull), 0x8000000000000000ull);
    assert_int_equal(pci_parse_bar_count(0), 6);
    assert_int_equal(pci_parse_bar_count(1), 2);
    assert_int_equal(pci_parse_bar_count(2), 0);
    assert_int_equal(pci_parse_bar_count(0x7f), 0);
}

static void test_bars_type0(void **state)
{
    struct space *s = space_new(256);
    struct pci_bar b[PCI_MAX_BARS];

    (void)state;
    memset(b, 0, sizeof(b));
    bar(s, 0, 0xc001, 0xffffffe0u);                     /* I/O, 32 ports */
    bar(s, 1, 0xfebd1000u, 0xfffff000u);                /* 32-bit memory, 4 KiB */
    bar(s, 2, 0x0000000cu | 0xfe000000u, 0xffffc000u);  /* 64-bit prefetchable, 16 KiB */
    bar(s, 3, 0x00000001u, 0xffffffffu);                /* its upper half: at 4 GiB + */
    bar(s, 4, 0, 0);                                    /* nothing */
    bar(s, 5, 0xffffffffu, 0xffffffffu);                /* reads back all ones: no BAR */
    pci_parse_bars(b, pci_parse_bar_count(0), probe, s);

    assert_true(b[0].io);
    assert_int_equal(b[0].base, 0xc000);
    assert_int_equal(b[0].size, 32);
    assert_false(b[1].io || b[1].mem64 || b[1].prefetch);
    assert_int_equal(b[1].base, 0xfebd1000u);
    assert_int_equal(b[1].size, 0x1000);
    assert_true(b[2].mem64 && b[2].prefetch && !b[2].io);
    assert_int_equal(b[2].base, 0x1fe000000ull);
    assert_int_equal(b[2].size, 0x4000);
    assert_int_equal(b[3].size, 0);                     /* the upper half is no BAR */
    assert_int_equal(b[4].size, 0);
    assert_int_equal(b[5].size, 0);
    /* every register probed once and given its value back */
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(s->probes[i], 1);
    assert_int_equal(get32(s, PCI_BAR0), 0xc001);
    assert_int_equal(get32(s, PCI_BAR0 + 8), 0xfe00000cu);
    assert_int_equal(get32(s, PCI_BAR0 + 12), 1);
    space_free(s);
}

static void test_bars_io16_and_huge(void **state)
{
    struct space *s = space_new(256);
    struct pci_bar b[PCI_MAX_BARS];

    (void)state;
    memset(b, 0, sizeof(b));
    bar(s, 0, 0x0301, 0x0000fff8u);                     /* a 16-bit I/O decoder, 8 ports */
    bar(s, 1, 0x00000004u, 0x00000000u);                /* 64-bit, its size all in the upper half */
    bar(s, 2, 0x00000080u, 0xfffffff0u);                /* 8 GiB: upper mask 0xfffffffe */
    s->bar_rw[2] = 0xfffffffeu;
    pci_parse_bars(b, 6, probe, s);
    assert_true(b[0].io);
    assert_int_equal(b[0].base, 0x300);
    assert_int_equal(b[0].size, 8);
    assert_true(b[1].mem64);
    assert_false(b[1].prefetch);
    assert_int_equal(b[1].base, 0x8000000000ull);
    assert_int_equal(b[1].size, 0x200000000ull);
    assert_int_equal(b[2].size, 0);
    assert_int_equal(s->probes[2], 1);                  /* probed as BAR 1's upper half */
    assert_int_equal(s->probes[3], 1);
    space_free(s);
}

static void test_bar64_last_slot(void **state)
{
    struct space *s = space_new(256);
    struct pci_bar b[PCI_MAX_BARS];

    (void)state;
    memset(b, 0, sizeof(b));
    bar(s, 5, 0xfe000004u | 8, 0xfff00000u);            /* 64-bit prefetchable, 1 MiB, slot 5 */
    pci_parse_bars(b, 6, probe, s);
    /* no slot 6 to hold its upper half: decoded from the lower one */
    assert_false(b[5].mem64);
    assert_true(b[5].prefetch);
    assert_int_equal(b[5].base, 0xfe000000u);
    assert_int_equal(b[5].size, 0x100000);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(s->probes[i], 1);              /* nothing beyond BAR5 */

    /* a bridge: two slots, a 64-bit BAR in the second one */
    memset(b, 0, sizeof(b));
    memset(s->probes, 0, sizeof(s->probes));
    bar(s, 0, 0, 0);
    bar(s, 1, 0xf0000004u, 0xffff0000u);
    pci_parse_bars(b, pci_parse_bar_count(1), probe, s);
    assert_false(b[1].mem64);
    assert_int_equal(b[1].base, 0xf0000000u);
    assert_int_equal(b[1].size, 0x10000);
    assert_int_equal(s->probes[2], 0);                  /* BAR2's register is not a BAR here */
    space_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_empty),
        cmocka_unit_test(test_caps_chain),
        cmocka_unit_test(test_caps_loops),
        cmocka_unit_test(test_caps_into_header),
        cmocka_unit_test(test_caps_past_end),
        cmocka_unit_test(test_caps_too_many),
        cmocka_unit_test(test_caps_random),
        cmocka_unit_test(test_bar_size),
        cmocka_unit_test(test_bars_type0),
        cmocka_unit_test(test_bars_io16_and_huge),
        cmocka_unit_test(test_bar64_last_slot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
