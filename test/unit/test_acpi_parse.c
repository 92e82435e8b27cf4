/*
 * test/unit/test_acpi_parse.c - host tests for src/dev/acpi_parse.c.
 *
 * Real tables first: the fixtures in fixtures/acpi/ are the ACPI tables of
 * QEMU 7.2's pc and q35 machines under SeaBIOS and OVMF with -smp 4,
 * captured by the kernel (acpi.dump) and converted by dump2fixture.py. Each
 * must give QEMU's known topology: 4 CPUs with APIC IDs 0-3, one I/O APIC
 * at 0xfec00000 with GSI base 0, ISA IRQ 0 -> GSI 2 and IRQs 5, 9, 10, 11
 * level/active-high, LINT1 as NMI, the HPET at 0xfed00000, MCFG at
 * 0xb0000000 on q35 only, the PM1a control block and \_S5.
 *
 * Then broken firmware, made from the real tables: bad checksums (the table
 * is skipped, the rest still parsed), lengths below a header or absurd, MADT
 * entries of length 0 (run in a child with a deadline: it must not loop
 * forever), overrunning or too short, a broken RSDP, an XSDT in unmapped
 * memory or with a bad checksum (fallback to the RSDT), a root table with no
 * entries, overflowing lists, the legacy BIOS-area RSDP scan, \_S5 AML
 * variants, and random corruption with checksums repaired so the parser
 * reads deep (AddressSanitizer and UBSan watch every run).
 *
 * The map callback hands the parser a fresh heap copy of exactly the bytes
 * asked for, so reading one byte past a mapped range is an ASan report.
 */
#include <ctype.h>
#include "unit.h"
#include <dev/acpi_parse.h>

/* ---- fixtures ------------------------------------------------------------- */

#define MAX_BLOCKS  64
#define MAX_REPORTS 512

struct block {
    uint64_t addr;
    size_t len;
    uint8_t *data;
};

struct fixture {
    uint8_t rsdp[64];
    size_t rsdp_len;
    uint64_t rsdp_at;           /* 0 when the fixture does not say */
    struct block blocks[MAX_BLOCKS];
    size_t nblocks;
    uint64_t deny_lo, deny_hi;  /* map() refuses ranges touching [lo, hi) */
    void **copies;              /* what map() handed out, freed at teardown */
    size_t ncopies, copies_cap;
    size_t map_calls;
    struct { char sig[5]; uint64_t addr; uint32_t len; } tables[32];    /* "table" lines */
    size_t ntables;
    char *reports[MAX_REPORTS];
    size_t nreports;
};

static struct fixture *fx;
static struct acpi_info *info;

static char *fixture_path(const char *name)
{
    const char *slash = strrchr(__FILE__, '/');
    size_t dirlen = slash ? (size_t)(slash - __FILE__) : 1;
    char *path = malloc(dirlen + strlen(name) + 32);

    assert_non_null(path);
    sprintf(path, "%.*s/fixtures/acpi/%s.txt", (int)dirlen, slash ? __FILE__ : ".", name);
    return path;
}

static struct block *block_for(uint64_t addr)
{
    for (size_t i = 0; i < fx->nblocks; i++)
        if (fx->blocks[i].addr + fx->blocks[i].len == addr)
            return &fx->blocks[i];
    return NULL;
}

/* Adds bytes at addr, growing the block that ends there or starting a new one. */
static void fx_add(uint64_t addr, const uint8_t *data, size_t len)
{
    struct block *b = block_for(addr);

    if (!b) {
        assert_true(fx->nblocks < MAX_BLOCKS);
        b = &fx->blocks[fx->nblocks++];
        b->addr = addr;
        b->len = 0;
        b->data = NULL;
    }
    b->data = realloc(b->data, b->len + len);
    assert_non_null(b->data);
    memcpy(b->data + b->len, data, len);
    b->len += len;
}

static size_t unhex(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1])) {
        unsigned v;
        assert_true(n < max);
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void load(const char *name)
{
    char *path = fixture_path(name);
    FILE *f = fopen(path, "r");
    char line[512];
    uint8_t buf[256];

    if (!f)
        fail_msg("cannot open fixture %s", path);
    while (fgets(line, sizeof(line), f)) {
        unsigned long long addr;
        char hex[256];
        if (line[0] == '#' || line[0] == '\n')
            continue;
        if (sscanf(line, "rsdp-at %llx", &addr) == 1) {
            fx->rsdp_at = addr;
        } else if (sscanf(line, "rsdp %255s", hex) == 1) {
            fx->rsdp_len = unhex(hex, fx->rsdp, sizeof(fx->rsdp));
        } else if (sscanf(line, "mem %llx %255s", &addr, hex) == 2) {
            size_t n = unhex(hex, buf, sizeof(buf));
            fx_add(addr, buf, n);
        } else if (strncmp(line, "table ", 6) == 0) {
            unsigned len;
            assert_true(fx->ntables < ARRAY_SIZE(fx->tables));
            assert_int_equal(sscanf(line, "table %4s %llx %u", fx->tables[fx->ntables].sig,
                                    &addr, &len), 3);
            fx->tables[fx->ntables].addr = addr;
            fx->tables[fx->ntables++].len = len;
        } else {
            fail_msg("%s: unknown line: %s", path, line);
        }
    }
    fclose(f);
    free(path);
    assert_true(fx->rsdp_len >= 20);
    assert_true(fx->nblocks > 0);
}

/* A writable pointer to fixture memory at pa (n bytes must be there). */
static uint8_t *at(uint64_t pa, size_t n)
{
    for (size_t i = 0; i < fx->nblocks; i++) {
        struct block *b = &fx->blocks[i];
        if (pa >= b->addr && pa - b->addr + n <= b->len)
            return b->data + (pa - b->addr);
    }
    fail_msg("no fixture memory at %#llx", (unsigned long long)pa);
    return NULL;
}

static uint32_t get32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void put32(uint8_t *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

/* Recomputes the checksum of the table at pa from its (current) length. */
static void fix_checksum(uint64_t pa)
{
    uint8_t *t = at(pa, 36);
    uint32_t len = get32(t + 4);
    uint8_t sum = 0;

    t = at(pa, len);
    t[9] = 0;
    for (uint32_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + t[i]);
    t[9] = (uint8_t)-sum;
}

static const void *fx_map(void *ctx, uint64_t pa, size_t len)
{
    struct fixture *f = ctx;
    void *copy;

    f->map_calls++;
    if (f->deny_hi > f->deny_lo && pa < f->deny_hi && pa + len > f->deny_lo)
        return NULL;
    for (size_t i = 0; i < f->nblocks; i++) {
        struct block *b = &f->blocks[i];
        if (pa < b->addr || pa - b->addr > b->len || len > b->len - (pa - b->addr))
            continue;
        copy = malloc(len);
        assert_non_null(copy);
        memcpy(copy, b->data + (pa - b->addr), len);
        if (f->ncopies == f->copies_cap) {
            f->copies_cap = f->copies_cap ? 2 * f->copies_cap : 64;
            f->copies = realloc(f->copies, f->copies_cap * sizeof(void *));
            assert_non_null(f->copies);
        }
        f->copies[f->ncopies++] = copy;
        return copy;
    }
    return NULL;
}

static void fx_report(void *ctx, const char *msg)
{
    struct fixture *f = ctx;

    if (f->nreports < MAX_REPORTS)
        f->reports[f->nreports++] = strdup(msg);
}

static const struct acpi_env *env(void)
{
    static struct acpi_env e;

    e.map = fx_map;
    e.report = fx_report;
    e.ctx = fx;
    return &e;
}

static void print_reports(void)
{
    for (size_t i = 0; i < fx->nreports; i++)
        print_message("  report: %s\n", fx->reports[i]);
}

static bool reported(const char *needle)
{
    for (size_t i = 0; i < fx->nreports; i++)
        if (strstr(fx->reports[i], needle))
            return true;
    return false;
}

#define assert_reported(needle)                                                  \
    do {                                                                         \
        if (!reported(needle)) {                                                 \
            print_reports();                                                     \
            fail_msg("no report contains \"%s\"", needle);                       \
        }                                                                        \
    } while (0)

static void free_copies(void)
{
    for (size_t i = 0; i < fx->ncopies; i++)
        free(fx->copies[i]);
    fx->ncopies = 0;
}

static void clear_reports(void)
{
    for (size_t i = 0; i < fx->nreports; i++)
        free(fx->reports[i]);
    fx->nreports = 0;
}

static int setup(void **state)
{
    (void)state;
    fx = calloc(1, sizeof(*fx));
    info = malloc(sizeof(*info));
    if (!fx || !info)
        return -1;
    memset(info, 0xa5, sizeof(*info));      /* acpi_parse must clear it */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free_copies();
    free(fx->copies);
    clear_reports();
    for (size_t i = 0; i < fx->nblocks; i++)
        free(fx->blocks[i].data);
    free(fx);
    free(info);
    fx = NULL;
    info = NULL;
    return 0;
}

/* Checks the loader's RSDP copy and parses; returns acpi_parse's result. */
static int parse(void)
{
    struct acpi_rsdp rsdp;
    const char *why = NULL;

    if (acpi_rsdp_check(fx->rsdp, fx->rsdp_len, &rsdp, &why) != 0)
        fail_msg("fixture RSDP rejected: %s", why);
    return acpi_parse(env(), &rsdp, info);
}

/* The parsed record of sig (which must be listed). */
static const struct acpi_table *table(const char *sig)
{
    for (size_t i = 0; i < info->table_count; i++)
        if (strcmp(info->tables[i].signature, sig) == 0)
            return &info->tables[i];
    fail_msg("no %s in the table list", sig);
    return NULL;
}

/* Where the fixture says table sig lies (root tables included). */
static uint64_t fx_table(const char *sig)
{
    for (size_t i = 0; i < fx->ntables; i++)
        if (strcmp(fx->tables[i].sig, sig) == 0)
            return fx->tables[i].addr;
    fail_msg("the fixture has no %s", sig);
    return 0;
}

/* The signatures of the table list, blank-separated. */
static const char *table_list(void)
{
    static char list[ACPI_MAX_TABLES * 5 + 1];

    list[0] = '\0';
    for (size_t i = 0; i < info->table_count; i++) {
        if (i)
            strcat(list, " ");
        strcat(list, info->tables[i].signature);
    }
    return list;
}

/* ---- synthetic tables and patches ------------------------------------------ */

struct bytes {
    uint8_t b[16384];
    size_t n;
};

static void push(struct bytes *s, const void *p, size_t n)
{
    assert_true(s->n + n <= sizeof(s->b));
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void push8(struct bytes *s, uint8_t v)
{
    push(s, &v, 1);
}

static void push16(struct bytes *s, uint16_t v)
{
    push(s, &v, 2);
}

static void push32(struct bytes *s, uint32_t v)
{
    push(s, &v, 4);
}

static void push64(struct bytes *s, uint64_t v)
{
    push(s, &v, 8);
}

static void add_zeros(uint64_t pa, size_t len)
{
    uint8_t *z = calloc(1, len);
    assert_non_null(z);
    fx_add(pa, z, len);
    free(z);
}

/* Writes a table with a valid header and checksum at pa (fresh memory). */
static uint64_t synth(uint64_t pa, const char *sig, const struct bytes *body)
{
    uint8_t *t = calloc(1, 36 + body->n);

    assert_non_null(t);
    memcpy(t, sig, 4);
    put32(t + 4, (uint32_t)(36 + body->n));
    t[8] = 1;
    memcpy(t + 10, "BASALT", 6);
    memcpy(t + 16, "UNITTEST", 8);
    memcpy(t + 36, body->b, body->n);
    fx_add(pa, t, 36 + body->n);
    free(t);
    fix_checksum(pa);
    return pa;
}

/* Points entry i of the RSDT (pc/q35 BIOS fixtures) at pa. */
static void rsdt_set(size_t i, uint64_t pa)
{
    uint64_t rsdt = fx_table("RSDT");

    put32(at(rsdt + 36 + 4 * i, 4), (uint32_t)pa);
    fix_checksum(rsdt);
}

/* Appends an RSDT entry (the RSDT is the last table of its fixture block). */
static void rsdt_append(uint64_t pa)
{
    uint64_t rsdt = fx_table("RSDT");
    uint32_t len = get32(at(rsdt + 4, 4));
    uint8_t entry[4];

    assert_non_null(block_for(rsdt + len));
    put32(entry, (uint32_t)pa);
    fx_add(rsdt + len, entry, 4);
    put32(at(rsdt + 4, 4), len + 4);
    fix_checksum(rsdt);
}

/* The MADT body header: local APIC address and PCAT_COMPAT. */
static void madt_begin(struct bytes *s)
{
    s->n = 0;
    push32(s, 0xfee00000u);
    push32(s, 1);
}

static void madt_lapic(struct bytes *s, uint8_t uid, uint8_t id, uint32_t flags)
{
    push8(s, ACPI_MADT_LAPIC);
    push8(s, 8);
    push8(s, uid);
    push8(s, id);
    push32(s, flags);
}

static void madt_x2apic(struct bytes *s, uint32_t id, uint32_t uid, uint32_t flags)
{
    push8(s, ACPI_MADT_X2APIC);
    push8(s, 16);
    push16(s, 0);
    push32(s, id);
    push32(s, flags);
    push32(s, uid);
}

static void madt_ioapic(struct bytes *s, uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    push8(s, ACPI_MADT_IOAPIC);
    push8(s, 12);
    push8(s, id);
    push8(s, 0);
    push32(s, addr);
    push32(s, gsi_base);
}

static void madt_override(struct bytes *s, uint8_t src, uint32_t gsi, uint16_t flags)
{
    push8(s, ACPI_MADT_OVERRIDE);
    push8(s, 10);
    push8(s, 0);
    push8(s, src);
    push32(s, gsi);
    push16(s, flags);
}

/* Replaces the pc-bios fixture's MADT with body s (placed at fresh memory). */
static void use_madt(const struct bytes *s)
{
    rsdt_set(1, synth(0x1000000, "APIC", s));
}

/* ---- the real QEMU tables --------------------------------------------------- */

struct qemu_machine {
    const char *fixture;
    bool xsdt;
    const char *tables;
    bool q35;
    uint16_t pm1a_cnt;
};

static void check_qemu(const struct qemu_machine *m)
{
    static const uint8_t level_irqs[] = { 5, 9, 10, 11 };

    load(m->fixture);
    assert_int_equal(parse(), 0);
    if (fx->nreports)
        print_reports();
    assert_int_equal(fx->nreports, 0);
    assert_int_equal(info->problems, 0);

    assert_string_equal(info->rsdp.oem_id, "BOCHS");
    assert_int_equal(info->rsdp.revision >= 2, m->xsdt);
    assert_int_equal(info->xsdt, m->xsdt);
    assert_int_equal(info->root_address, fx_table(m->xsdt ? "XSDT" : "RSDT"));
    assert_string_equal(table_list(), m->tables);
    for (size_t i = 0; i < info->table_count; i++) {
        assert_int_equal(info->tables[i].status, ACPI_TABLE_OK);
        assert_int_equal(info->tables[i].address, fx_table(info->tables[i].signature));
    }
    assert_string_equal(table("APIC")->oem_id, "BOCHS");
    assert_string_equal(table("APIC")->oem_table_id, "BXPC");

    /* MADT: -smp 4 */
    assert_true(info->has_madt);
    assert_int_equal(info->lapic_address, 0xfee00000u);
    assert_int_equal(info->madt_flags & 1, 1);
    assert_int_equal(info->cpu_count, 4);
    assert_int_equal(info->cpus_enabled, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(info->cpus[i].apic_id, i);
        assert_int_equal(info->cpus[i].uid, i);
        assert_true(info->cpus[i].enabled);
        assert_false(info->cpus[i].x2apic);
    }
    assert_int_equal(info->ioapic_count, 1);
    assert_int_equal(info->ioapics[0].id, 0);
    assert_int_equal(info->ioapics[0].address, 0xfec00000u);
    assert_int_equal(info->ioapics[0].gsi_base, 0);
    assert_int_equal(info->override_count, 5);
    assert_int_equal(info->overrides[0].bus, 0);
    assert_int_equal(info->overrides[0].source, 0);
    assert_int_equal(info->overrides[0].gsi, 2);
    assert_int_equal(info->overrides[0].polarity, ACPI_POLARITY_CONFORMS);
    assert_int_equal(info->overrides[0].trigger, ACPI_TRIGGER_CONFORMS);
    for (size_t i = 0; i < ARRAY_SIZE(level_irqs); i++) {
        const struct acpi_override *o = &info->overrides[i + 1];
        assert_int_equal(o->bus, 0);
        assert_int_equal(o->source, level_irqs[i]);
        assert_int_equal(o->gsi, level_irqs[i]);
        assert_int_equal(o->flags, 0xd);
        assert_int_equal(o->polarity, ACPI_POLARITY_HIGH);
        assert_int_equal(o->trigger, ACPI_TRIGGER_LEVEL);
    }
    assert_int_equal(info->nmi_count, 1);
    assert_int_equal(info->nmis[0].uid, UINT32_MAX);
    assert_int_equal(info->nmis[0].lint, 1);
    assert_int_equal(info->nmi_source_count, 0);

    /* HPET: QEMU's block ID 0x8086a201 */
    assert_true(info->hpet.present);
    assert_int_equal(info->hpet.address, 0xfed00000u);
    assert_int_equal(info->hpet.space, ACPI_GAS_MEMORY);
    assert_int_equal(info->hpet.comparators, 3);
    assert_true(info->hpet.counter_64);
    assert_true(info->hpet.legacy_replacement);
    assert_int_equal(info->hpet.pci_vendor, 0x8086);
    assert_int_equal(info->hpet.number, 0);

    /* MCFG: q35 only */
    assert_int_equal(info->has_mcfg, m->q35);
    if (m->q35) {
        assert_int_equal(info->mcfg_count, 1);
        assert_int_equal(info->mcfg[0].base, 0xb0000000u);
        assert_int_equal(info->mcfg[0].segment, 0);
        assert_int_equal(info->mcfg[0].start_bus, 0);
        assert_int_equal(info->mcfg[0].end_bus, 255);
    } else {
        assert_int_equal(info->mcfg_count, 0);
    }

    /* FADT and \_S5 */
    assert_true(info->fadt.present);
    assert_int_equal(info->fadt.revision, m->q35 ? 3 : 1);
    assert_false(info->fadt.hw_reduced);
    assert_int_equal(info->fadt.sci_irq, 9);
    assert_int_equal(info->fadt.pm1a_cnt.space, ACPI_GAS_IO);
    assert_int_equal(info->fadt.pm1a_cnt.address, m->pm1a_cnt);
    assert_int_equal(info->fadt.pm1a_cnt.bit_width, 16);
    assert_int_equal(info->fadt.pm1b_cnt.address, 0);
    assert_int_equal(info->fadt.pm1a_evt.address, m->pm1a_cnt - 4u);
    assert_int_equal(info->fadt.pm1_cnt_len, 2);
    assert_int_equal(info->fadt.century, 0x32);      /* QEMU's RTC century register */
    assert_false(info->fadt.iapc_boot_arch & ACPI_BOOT_NO_CMOS_RTC);
    assert_int_equal(info->fadt.dsdt, fx_table("DSDT"));
    assert_int_equal(info->fadt.facs, fx_table("FACS"));
    assert_int_equal(info->fadt.reset_supported, m->q35);
    if (m->q35) {
        assert_int_equal(info->fadt.reset_reg.space, ACPI_GAS_IO);
        assert_int_equal(info->fadt.reset_reg.address, 0xcf9);
        assert_int_equal(info->fadt.reset_value, 0xf);
        assert_true(info->fadt.smi_cmd != 0);
    }
    assert_true(info->s5.present);
    assert_false(info->s5.from_ssdt);
    assert_int_equal(info->s5.slp_typa, 0);
    assert_int_equal(info->s5.slp_typb, 0);
}

static void test_qemu_pc_bios(void **state)
{
    static const struct qemu_machine m = { "pc-bios", false,
        "FACP APIC HPET WAET DSDT FACS", false, 0x604 };
    (void)state;
    check_qemu(&m);
}

static void test_qemu_pc_uefi(void **state)
{
    static const struct qemu_machine m = { "pc-uefi", true,
        "FACP APIC HPET WAET BGRT DSDT FACS", false, 0xb004 };
    (void)state;
    check_qemu(&m);
}

static void test_qemu_q35_bios(void **state)
{
    static const struct qemu_machine m = { "q35-bios", false,
        "FACP APIC HPET MCFG WAET DSDT FACS", true, 0x604 };
    (void)state;
    check_qemu(&m);
}

static void test_qemu_q35_uefi(void **state)
{
    static const struct qemu_machine m = { "q35-uefi", true,
        "FACP APIC HPET MCFG WAET BGRT DSDT FACS", true, 0x604 };
    (void)state;
    check_qemu(&m);
}

/* The info lookup finds only valid tables. */
static void test_info_table_lookup(void **state)
{
    (void)state;
    load("q35-uefi");
    at(fx_table("WAET"), 36)[9] ^= 0x5a;
    assert_int_equal(parse(), 0);
    assert_non_null(acpi_info_table(info, "MCFG"));
    assert_int_equal(acpi_info_table(info, "MCFG")->address, fx_table("MCFG"));
    assert_null(acpi_info_table(info, "WAET"));         /* listed, but skipped */
    assert_null(acpi_info_table(info, "SSDT"));
    assert_string_equal(acpi_table_status_name(table("WAET")->status), "bad checksum");
}

/* ---- broken tables ------------------------------------------------------------ */

static void test_bad_checksum_fadt_skipped_rest_parsed(void **state)
{
    char msg[80];
    (void)state;
    load("q35-uefi");
    at(fx_table("FACP") + 9, 1)[0] ^= 1;
    assert_int_equal(parse(), 0);
    snprintf(msg, sizeof(msg), "skipping FACP at %#llx: bad checksum",
             (unsigned long long)fx_table("FACP"));
    assert_reported(msg);
    assert_int_equal(table("FACP")->status, ACPI_TABLE_BAD_CHECKSUM);
    assert_false(info->fadt.present);
    assert_false(info->s5.present);
    /* without the FADT there is no DSDT or FACS to list */
    assert_string_equal(table_list(), "FACP APIC HPET MCFG WAET BGRT");
    assert_true(info->has_madt);
    assert_int_equal(info->cpus_enabled, 4);
    assert_true(info->hpet.present);
    assert_int_equal(info->mcfg_count, 1);
}

static void test_bad_checksum_madt(void **state)
{
    (void)state;
    load("pc-bios");
    at(fx_table("APIC") + 50, 1)[0] += 1;
    assert_int_equal(parse(), 0);
    assert_reported("skipping APIC at");
    assert_int_equal(table("APIC")->status, ACPI_TABLE_BAD_CHECKSUM);
    assert_false(info->has_madt);
    assert_int_equal(info->cpu_count, 0);
    assert_int_equal(info->ioapic_count, 0);
    assert_true(info->fadt.present);
    assert_true(info->s5.present);
    assert_true(info->hpet.present);
}

static void test_length_shorter_than_header(void **state)
{
    (void)state;
    load("pc-bios");
    put32(at(fx_table("HPET") + 4, 4), 20);
    assert_int_equal(parse(), 0);
    assert_reported("skipping HPET at");
    assert_reported("length 20 is shorter than the header");
    assert_int_equal(table("HPET")->status, ACPI_TABLE_BAD_LENGTH);
    assert_int_equal(table("HPET")->length, 20);
    assert_false(info->hpet.present);
    assert_true(info->has_madt);
}

static void test_length_zero(void **state)
{
    (void)state;
    load("pc-bios");
    put32(at(fx_table("APIC") + 4, 4), 0);
    assert_int_equal(parse(), 0);
    assert_reported("length 0 is shorter than the header");
    assert_false(info->has_madt);
    assert_true(info->fadt.present);
}

static void test_length_absurd(void **state)
{
    static const uint32_t lengths[] = { ACPI_TABLE_MAX_LEN + 1, 0x7fffffff, 0xffffffff };
    (void)state;
    load("q35-bios");
    for (size_t i = 0; i < ARRAY_SIZE(lengths); i++) {
        clear_reports();
        put32(at(fx_table("MCFG") + 4, 4), lengths[i]);
        assert_int_equal(parse(), 0);
        assert_reported("skipping MCFG at");
        assert_reported("absurd length");
        assert_false(info->has_mcfg);
        assert_true(info->has_madt);
        assert_true(info->fadt.present);
    }
}

/* A sane length that runs past mapped memory: the table cannot be mapped. */
static void test_length_past_mapped_memory(void **state)
{
    (void)state;
    load("q35-uefi");
    put32(at(fx_table("APIC") + 4, 4), 0x10000);
    assert_int_equal(parse(), 0);
    assert_reported("cannot map its 65536 bytes");
    assert_int_equal(table("APIC")->status, ACPI_TABLE_UNMAPPED);
    assert_false(info->has_madt);
    assert_true(info->hpet.present);
}

static void test_valid_but_too_short_for_its_kind(void **state)
{
    (void)state;
    load("pc-bios");
    put32(at(fx_table("HPET") + 4, 4), 40);
    fix_checksum(fx_table("HPET"));
    put32(at(fx_table("FACP") + 4, 4), 100);
    fix_checksum(fx_table("FACP"));
    assert_int_equal(parse(), 0);
    assert_reported("HPET at");
    assert_reported("is 40 bytes, expected 56");
    assert_reported("shorter than an ACPI 1.0 FADT");
    assert_int_equal(table("HPET")->status, ACPI_TABLE_OK);
    assert_false(info->hpet.present);
    assert_false(info->fadt.present);
    assert_false(info->s5.present);
}

/* The first MADT entry claims length 0 (then 1): the walk must end. */
static void madt_entry_len_small(void *arg)
{
    uint8_t len = (uint8_t)(uintptr_t)arg;
    uint64_t madt = fx_table("APIC");

    at(madt + 44 + 1, 1)[0] = len;
    fix_checksum(madt);
    assert_int_equal(parse(), 0);
    assert_true(info->has_madt);
    assert_int_equal(info->cpu_count, 0);
    assert_int_equal(info->ioapic_count, 0);
    assert_true(reported("MADT entry at offset 44 has length"));
    assert_true(info->fadt.present);
}

static void test_madt_entry_length_zero(void **state)
{
    (void)state;
    load("q35-bios");
    assert_true(run_in_child(madt_entry_len_small, (void *)(uintptr_t)0, 10));
    assert_true(run_in_child(madt_entry_len_small, (void *)(uintptr_t)1, 10));
}

/* Length 0 half-way: the entries before it count. */
static void madt_entry_len_zero_third(void *arg)
{
    uint64_t madt = fx_table("APIC");

    (void)arg;
    at(madt + 44 + 2 * 8 + 1, 1)[0] = 0;       /* the third local APIC entry */
    fix_checksum(madt);
    assert_int_equal(parse(), 0);
    assert_int_equal(info->cpu_count, 2);
    assert_true(reported("MADT entry at offset 60 has length 0"));
}

static void test_madt_entry_length_zero_midway(void **state)
{
    (void)state;
    load("pc-uefi");
    assert_true(run_in_child(madt_entry_len_zero_third, NULL, 10));
}

static void test_madt_entry_runs_past_end(void **state)
{
    uint64_t madt;
    uint32_t len;
    (void)state;
    load("pc-bios");
    madt = fx_table("APIC");
    len = get32(at(madt + 4, 4));
    /* QEMU's last entry is the 6-byte local APIC NMI */
    assert_int_equal(at(madt + len - 6, 1)[0], ACPI_MADT_LAPIC_NMI);
    at(madt + len - 6 + 1, 1)[0] = 7;
    fix_checksum(madt);
    assert_int_equal(parse(), 0);
    assert_reported("runs past the table's end");
    assert_int_equal(info->cpu_count, 4);
    assert_int_equal(info->override_count, 5);
    assert_int_equal(info->nmi_count, 0);
}

/* Every entry type, short entries, unknown types, duplicates. */
static void test_madt_synthetic_entries(void **state)
{
    struct bytes *s = calloc(1, sizeof(*s));
    (void)state;
    load("pc-bios");
    madt_begin(s);
    madt_lapic(s, 0, 0, ACPI_CPU_ENABLED);
    madt_lapic(s, 1, 1, 0);                            /* disabled */
    madt_lapic(s, 2, 2, ACPI_CPU_ONLINE_CAPABLE);      /* hot-pluggable */
    madt_lapic(s, 3, 1, ACPI_CPU_ENABLED);             /* duplicate APIC ID */
    madt_x2apic(s, 0x1234, 77, ACPI_CPU_ENABLED);
    push8(s, ACPI_MADT_LAPIC);                         /* too short: skipped */
    push8(s, 6);
    push32(s, 0);
    push8(s, 0x7f);                                    /* unknown type: skipped */
    push8(s, 5);
    push8(s, 1);
    push8(s, 2);
    push8(s, 3);
    madt_ioapic(s, 8, 0xfec01000u, 24);
    madt_override(s, 9, 20, 0xf);                      /* level, active low */
    push8(s, ACPI_MADT_NMI_SOURCE);
    push8(s, 8);
    push16(s, 0x5);                                    /* edge, active high */
    push32(s, 23);
    push8(s, ACPI_MADT_LAPIC_NMI);
    push8(s, 6);
    push8(s, 2);
    push16(s, 0);
    push8(s, 0);
    push8(s, ACPI_MADT_X2APIC_NMI);
    push8(s, 12);
    push16(s, 0xd);
    push32(s, 77);
    push8(s, 1);
    push8(s, 0);
    push16(s, 0);
    push8(s, ACPI_MADT_LAPIC_OVERRIDE);
    push8(s, 12);
    push16(s, 0);
    push64(s, 0x123456789000ull);
    push8(s, 0);                                       /* one stray byte */
    use_madt(s);
    free(s);

    assert_int_equal(parse(), 0);
    assert_int_equal(info->cpu_count, 4);
    assert_int_equal(info->cpus_enabled, 2);
    assert_false(info->cpus[1].enabled);
    assert_false(info->cpus[1].online_capable);
    assert_false(info->cpus[2].enabled);
    assert_true(info->cpus[2].online_capable);
    assert_true(info->cpus[3].x2apic);
    assert_int_equal(info->cpus[3].apic_id, 0x1234);
    assert_int_equal(info->cpus[3].uid, 77);
    assert_reported("lists APIC ID 1 twice");
    assert_reported("(type 0) is 6 bytes, expected 8; skipped");
    assert_reported("1 stray bytes");
    assert_int_equal(info->ioapic_count, 1);
    assert_int_equal(info->ioapics[0].id, 8);
    assert_int_equal(info->ioapics[0].gsi_base, 24);
    assert_int_equal(info->override_count, 1);
    assert_int_equal(info->overrides[0].polarity, ACPI_POLARITY_LOW);
    assert_int_equal(info->overrides[0].trigger, ACPI_TRIGGER_LEVEL);
    assert_int_equal(info->nmi_source_count, 1);
    assert_int_equal(info->nmi_sources[0].gsi, 23);
    assert_int_equal(info->nmi_sources[0].trigger, ACPI_TRIGGER_EDGE);
    assert_int_equal(info->nmi_count, 2);
    assert_int_equal(info->nmis[0].uid, 2);
    assert_false(info->nmis[0].x2apic);
    assert_int_equal(info->nmis[1].uid, 77);
    assert_int_equal(info->nmis[1].lint, 1);
    assert_true(info->nmis[1].x2apic);
    assert_int_equal(info->nmis[1].polarity, ACPI_POLARITY_HIGH);
    assert_int_equal(info->lapic_address, 0x123456789000ull);
}

/* More entries than the lists hold: the rest are dropped and reported once. */
static void test_madt_overflowing_lists(void **state)
{
    struct bytes *s = calloc(1, sizeof(*s));
    size_t n = 0;
    (void)state;
    load("pc-bios");
    madt_begin(s);
    for (uint32_t i = 0; i < 300; i++)
        madt_x2apic(s, i, i, ACPI_CPU_ENABLED);
    for (uint8_t i = 0; i < 20; i++)
        madt_ioapic(s, i, 0xfec00000u + i * 0x1000u, i * 24u);
    for (uint8_t i = 0; i < 50; i++)
        madt_override(s, i, i, 0);
    use_madt(s);
    free(s);

    assert_int_equal(parse(), 0);
    assert_int_equal(info->cpu_count, ACPI_MAX_CPUS);
    assert_int_equal(info->cpus_enabled, ACPI_MAX_CPUS);
    assert_int_equal(info->cpus_dropped, 300 - ACPI_MAX_CPUS);
    assert_int_equal(info->ioapic_count, ACPI_MAX_IOAPICS);
    assert_int_equal(info->ioapics_dropped, 20 - ACPI_MAX_IOAPICS);
    assert_int_equal(info->override_count, ACPI_MAX_OVERRIDES);
    assert_int_equal(info->overrides_dropped, 50 - ACPI_MAX_OVERRIDES);
    for (size_t i = 0; i < fx->nreports; i++)
        if (strstr(fx->reports[i], "more than"))
            n++;
    assert_int_equal(n, 3);
    assert_reported("more than 256 CPUs; APIC ID 256 and later are ignored");
}

/* ---- the RSDP ------------------------------------------------------------------ */

static void test_rsdp_v1(void **state)
{
    struct acpi_rsdp r;
    const char *why = NULL;
    uint8_t copy[20];
    (void)state;
    load("pc-bios");
    assert_int_equal(fx->rsdp_len, 20);
    assert_int_equal(acpi_rsdp_check(fx->rsdp, 20, &r, &why), 0);
    assert_int_equal(r.revision, 0);
    assert_int_equal(r.length, 20);
    assert_int_equal(r.xsdt, 0);
    assert_int_equal(r.rsdt, fx_table("RSDT"));
    assert_int_equal(r.address, ACPI_RSDP_LOADER_COPY);

    memcpy(copy, fx->rsdp, 20);
    copy[12] ^= 0x20;                                   /* OEM ID */
    assert_int_equal(acpi_rsdp_check(copy, 20, &r, &why), -EINVAL);
    assert_string_equal(why, "bad checksum");
    memcpy(copy, fx->rsdp, 20);
    copy[0] = 'X';
    assert_int_equal(acpi_rsdp_check(copy, 20, &r, &why), -EINVAL);
    assert_non_null(strstr(why, "signature"));
    assert_int_equal(acpi_rsdp_check(fx->rsdp, 19, &r, &why), -EINVAL);
    assert_int_equal(acpi_rsdp_check(NULL, 36, &r, NULL), -EINVAL);
}

static void test_rsdp_v2(void **state)
{
    struct acpi_rsdp r;
    const char *why = NULL;
    uint8_t copy[64];
    (void)state;
    load("q35-uefi");
    assert_int_equal(fx->rsdp_len, 36);
    assert_int_equal(acpi_rsdp_check(fx->rsdp, 36, &r, &why), 0);
    assert_int_equal(r.revision, 2);
    assert_int_equal(r.length, 36);
    assert_int_equal(r.xsdt, fx_table("XSDT"));
    assert_int_equal(r.rsdt, fx_table("RSDT"));

    memcpy(copy, fx->rsdp, 36);
    copy[30] ^= 1;                                      /* in the extended part */
    assert_int_equal(acpi_rsdp_check(copy, 36, &r, &why), -EINVAL);
    assert_string_equal(why, "bad extended checksum");
    /* a v2 RSDP with only its v1 part readable is not silently downgraded */
    assert_int_equal(acpi_rsdp_check(fx->rsdp, 20, &r, &why), -EINVAL);
    assert_non_null(strstr(why, "cut short"));
    memcpy(copy, fx->rsdp, 36);
    put32(copy + 20, 100);                              /* length beyond the copy */
    assert_int_equal(acpi_rsdp_check(copy, 36, &r, &why), -EINVAL);
    assert_non_null(strstr(why, "beyond"));
    put32(copy + 20, 24);
    assert_int_equal(acpi_rsdp_check(copy, 36, &r, &why), -EINVAL);
    assert_non_null(strstr(why, "below 36"));
}

/* The BIOS-area scan: a decoy with a bad checksum is passed over. */
static void test_rsdp_scan_bios_area(void **state)
{
    struct acpi_rsdp r;
    (void)state;
    load("pc-bios");
    add_zeros(0x400, 0x100);                            /* BDA: no EBDA */
    add_zeros(0xe0000, 0x20000);
    memcpy(at(0xe0000, 20), fx->rsdp, 20);
    at(0xe0000 + 9, 1)[0] ^= 0xff;                      /* decoy: bad checksum */
    memcpy(at(0xf5a10, 20), fx->rsdp, 20);
    memcpy(at(0xf5b08, 20), fx->rsdp, 20);              /* not 16-byte aligned: ignored */
    assert_int_equal(acpi_rsdp_scan(env(), &r), 0);
    assert_int_equal(r.address, 0xf5a10);
    assert_int_equal(r.rsdt, fx_table("RSDT"));
    assert_reported("RSDP candidate at 0xe0000 passed over: bad checksum");
    assert_int_equal(acpi_parse(env(), &r, info), 0);
    assert_int_equal(info->cpus_enabled, 4);
    assert_int_equal(info->rsdp.address, 0xf5a10);

    /* the last possible slot, 20 bytes before the end of the area */
    memset(at(0xf5a10, 20), 0, 20);
    memcpy(at(0xfffe0, 20), fx->rsdp, 20);
    assert_int_equal(acpi_rsdp_scan(env(), &r), 0);
    assert_int_equal(r.address, 0xfffe0);
    memset(at(0xfffe0, 20), 0, 20);
    assert_int_equal(acpi_rsdp_scan(env(), &r), -ENOENT);
}

/* The EBDA is searched first. */
static void test_rsdp_scan_ebda(void **state)
{
    struct acpi_rsdp r;
    (void)state;
    load("pc-bios");
    add_zeros(0x400, 0x100);
    at(0x40e, 2)[0] = 0xc0;                             /* segment 0x9fc0 */
    at(0x40f, 1)[0] = 0x9f;
    add_zeros(0x9fc00, 0x400);
    add_zeros(0xe0000, 0x20000);
    memcpy(at(0x9fc20, 20), fx->rsdp, 20);
    memcpy(at(0xf5a10, 20), fx->rsdp, 20);
    assert_int_equal(acpi_rsdp_scan(env(), &r), 0);
    assert_int_equal(r.address, 0x9fc20);

    /* an absurd EBDA segment is not followed */
    at(0x40f, 1)[0] = 0xff;
    assert_int_equal(acpi_rsdp_scan(env(), &r), 0);
    assert_int_equal(r.address, 0xf5a10);
}

static void test_rsdp_scan_nothing_mapped(void **state)
{
    struct acpi_rsdp r;
    (void)state;
    load("pc-bios");
    assert_int_equal(acpi_rsdp_scan(env(), &r), -ENOENT);
    assert_int_equal(fx->nreports, 0);
}

/* ---- root tables ---------------------------------------------------------------- */

static void test_xsdt_unmapped_falls_back_to_rsdt(void **state)
{
    (void)state;
    load("q35-uefi");
    fx->deny_lo = fx_table("XSDT");
    fx->deny_hi = fx->deny_lo + 1;
    assert_int_equal(parse(), 0);
    assert_reported("skipping XSDT at");
    assert_reported("falling back to the RSDT");
    assert_false(info->xsdt);
    assert_int_equal(info->root_address, fx_table("RSDT"));
    assert_string_equal(table_list(), "FACP APIC HPET MCFG WAET BGRT DSDT FACS");
    assert_int_equal(info->cpus_enabled, 4);
    assert_true(info->s5.present);
}

static void test_xsdt_bad_checksum_falls_back_to_rsdt(void **state)
{
    (void)state;
    load("pc-uefi");
    at(fx_table("XSDT") + 40, 1)[0] ^= 0x80;
    assert_int_equal(parse(), 0);
    assert_reported("bad checksum");
    assert_false(info->xsdt);
    assert_true(info->hpet.present);
}

static void test_no_usable_root(void **state)
{
    struct acpi_rsdp r;
    (void)state;
    load("q35-uefi");
    assert_int_equal(acpi_rsdp_check(fx->rsdp, fx->rsdp_len, &r, NULL), 0);
    fx->deny_lo = 0;
    fx->deny_hi = UINT64_MAX;                           /* nothing maps */
    assert_int_equal(acpi_parse(env(), &r, info), -EINVAL);
    assert_int_equal(info->table_count, 0);
    assert_false(info->has_madt);

    /* an XSDT that cannot be read and no RSDT to fall back on */
    clear_reports();
    r.rsdt = 0;
    assert_int_equal(acpi_parse(env(), &r, info), -EINVAL);
    assert_reported("cannot map its header");
}

static void test_rsdt_wrong_signature(void **state)
{
    (void)state;
    load("pc-bios");
    memcpy(at(fx_table("RSDT"), 4), "XSDT", 4);
    fix_checksum(fx_table("RSDT"));
    assert_int_equal(parse(), -EINVAL);
    assert_reported("expected RSDT");
}

static void test_zero_tables(void **state)
{
    (void)state;
    load("pc-bios");
    put32(at(fx_table("RSDT") + 4, 4), 36);
    fix_checksum(fx_table("RSDT"));
    assert_int_equal(parse(), 0);
    assert_int_equal(info->table_count, 0);
    assert_false(info->has_madt);
    assert_false(info->fadt.present);
    assert_false(info->hpet.present);
    assert_false(info->s5.present);
    assert_int_equal(fx->nreports, 0);
}

static void test_root_entries_unmapped_or_null(void **state)
{
    (void)state;
    load("pc-bios");
    rsdt_set(2, 0xdead0000u);                           /* HPET -> nowhere */
    rsdt_set(3, 0);                                     /* WAET -> null */
    add_zeros(fx_table("RSDT") + 52, 2);                /* and two stray bytes */
    put32(at(fx_table("RSDT") + 4, 4), 54);
    fix_checksum(fx_table("RSDT"));
    assert_int_equal(parse(), 0);
    assert_reported("skipping table at 0xdead0000: cannot map its header");
    assert_reported("RSDT entry 3 is a null address; skipped");
    assert_reported("RSDT has 2 stray bytes");
    assert_string_equal(table_list(), "FACP APIC ???? DSDT FACS");
    assert_int_equal(info->tables[2].status, ACPI_TABLE_UNMAPPED);
    assert_false(info->hpet.present);
    assert_true(info->has_madt);
}

static void test_too_many_tables(void **state)
{
    struct bytes *s = calloc(1, sizeof(*s));
    uint64_t waet;
    (void)state;
    load("pc-bios");
    waet = fx_table("WAET");
    for (int i = 0; i < 100; i++)
        push64(s, waet);
    synth(0x2000000, "XSDT", s);
    free(s);
    /* make the RSDP an ACPI 2.0 one pointing at the new XSDT */
    memset(fx->rsdp + 20, 0, 16);
    fx->rsdp[15] = 2;
    put32(fx->rsdp + 20, 36);
    put64(fx->rsdp + 24, 0x2000000);
    fx->rsdp_len = 36;
    fx->rsdp[8] = 0;
    fx->rsdp[8] = (uint8_t)-acpi_checksum(fx->rsdp, 20);
    fx->rsdp[32] = (uint8_t)-acpi_checksum(fx->rsdp, 36);
    assert_int_equal(parse(), 0);
    assert_true(info->xsdt);
    assert_int_equal(info->table_count, ACPI_MAX_TABLES);
    assert_int_equal(info->tables_dropped, 1);
    assert_reported("more than 64 tables");
}

static void test_duplicate_table_ignored(void **state)
{
    (void)state;
    load("pc-bios");
    rsdt_append(fx_table("APIC"));
    assert_int_equal(parse(), 0);
    assert_reported("a second APIC at");
    assert_int_equal(info->cpu_count, 4);               /* not 8 */
}

/* ---- FADT, DSDT and \_S5 ----------------------------------------------------------- */

static void test_dsdt_bad_checksum(void **state)
{
    (void)state;
    load("q35-bios");
    at(fx_table("DSDT") + 100, 1)[0] ^= 4;
    assert_int_equal(parse(), 0);
    assert_reported("skipping DSDT at");
    assert_reported("no \\_S5 object found");
    assert_int_equal(table("DSDT")->status, ACPI_TABLE_BAD_CHECKSUM);
    assert_true(info->fadt.present);
    assert_false(info->s5.present);
}

static void test_dsdt_pointer_wrong_table(void **state)
{
    uint64_t fadt;
    (void)state;
    load("q35-bios");
    fadt = fx_table("FACP");
    put32(at(fadt + 40, 4), (uint32_t)fx_table("APIC"));
    put64(at(fadt + 140, 8), fx_table("APIC"));
    fix_checksum(fadt);
    assert_int_equal(parse(), 0);
    assert_reported("skipping APIC at");
    assert_reported("expected DSDT");
    assert_int_equal(table("APIC")->status, ACPI_TABLE_OK);     /* the real listing */
    assert_int_equal(info->tables[5].status, ACPI_TABLE_BAD_SIGNATURE);
    assert_false(info->s5.present);
}

static void test_fadt_fields(void **state)
{
    uint64_t fadt;
    uint8_t *f;
    (void)state;
    load("q35-bios");
    fadt = fx_table("FACP");
    f = at(fadt, 244);
    /* X_PM1a_CNT_BLK wins over PM1a_CNT_BLK when set */
    f[172] = ACPI_GAS_IO;
    f[173] = 16;
    put64(f + 176, 0x1234);
    /* hardware-reduced, and a reset register nobody can use */
    put32(f + 112, get32(f + 112) | ACPI_FADT_HW_REDUCED);
    f[116] = 9;                                         /* unknown address space */
    fix_checksum(fadt);
    assert_int_equal(parse(), 0);
    assert_int_equal(info->fadt.pm1a_cnt.address, 0x1234);
    assert_true(info->fadt.hw_reduced);
    assert_false(info->fadt.reset_supported);
    assert_reported("RESET_REG_SUP but its reset register");

    /* with X_ and legacy blocks both 0: no power-off, reported */
    clear_reports();
    put64(f + 176, 0);
    put32(f + 64, 0);
    put32(f + 112, get32(f + 112) & ~ACPI_FADT_HW_REDUCED);
    fix_checksum(fadt);
    assert_int_equal(parse(), 0);
    assert_int_equal(info->fadt.pm1a_cnt.address, 0);
    assert_reported("no PM1a control block");
}

static void test_mcfg_and_hpet_bad_entries(void **state)
{
    uint64_t mcfg, hpet;
    (void)state;
    load("q35-bios");
    mcfg = fx_table("MCFG");
    at(mcfg + 44 + 10, 1)[0] = 5;                       /* start bus 5 ... */
    at(mcfg + 44 + 11, 1)[0] = 4;                       /* ... end bus 4 */
    fix_checksum(mcfg);
    hpet = fx_table("HPET");
    at(hpet + 40, 1)[0] = ACPI_GAS_IO;
    fix_checksum(hpet);
    assert_int_equal(parse(), 0);
    assert_reported("MCFG entry 0 (segment 0, buses 5-4");
    assert_true(info->has_mcfg);
    assert_int_equal(info->mcfg_count, 0);
    assert_reported("HPET at");
    assert_reported("gives no memory address");
    assert_false(info->hpet.present);
}

/* \_S5 found in an SSDT when the DSDT has none. */
static void test_s5_in_ssdt(void **state)
{
    static const uint8_t aml[] = { 0x10, 0x0a, '\\', 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                   0x0a, 0x05, 0x0a, 0x06, 0x00, 0x00 };
    struct bytes *s = calloc(1, sizeof(*s));
    uint64_t dsdt;
    uint32_t len;
    uint8_t *d;
    (void)state;
    load("pc-bios");
    dsdt = fx_table("DSDT");
    len = get32(at(dsdt + 4, 4));
    d = at(dsdt, len);
    for (uint32_t i = 0; i + 4 <= len; i++)
        if (memcmp(d + i, "_S5_", 4) == 0)
            d[i + 2] = '6';                             /* _S5_ -> _S6_ */
    fix_checksum(dsdt);
    push(s, aml, sizeof(aml));
    rsdt_append(synth(0x3000000, "SSDT", s));
    free(s);
    assert_int_equal(parse(), 0);
    assert_true(info->s5.present);
    assert_true(info->s5.from_ssdt);
    assert_int_equal(info->s5.slp_typa, 5);
    assert_int_equal(info->s5.slp_typb, 6);
}

/* acpi_find_s5 on hand-made AML (a 36-byte header first). */
static int s5(const uint8_t *body, size_t n, uint8_t *a, uint8_t *b, const char **why)
{
    uint8_t *t = calloc(1, 36 + n);                    /* exact size: ASan sees overreads */
    int ret;

    assert_non_null(t);
    memcpy(t + 36, body, n);
    ret = acpi_find_s5(t, 36 + n, a, b, why);
    free(t);
    return ret;
}

static void test_s5_aml_variants(void **state)
{
    uint8_t a = 0xee, b = 0xee;
    const char *why = NULL;
    (void)state;
#define AML(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })
    /* Zero/One ops, BytePrefix, WordPrefix */
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x00, 0x01, 0x00, 0x00),
                        &a, &b, &why), 0);
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(s5(AML(0x08, '\\', '_', 'S', '5', '_', 0x12, 0x07, 0x02, 0x0b, 0x07, 0x00,
                            0x0a, 0x03), &a, &b, &why), 0);
    assert_int_equal(a, 7);
    assert_int_equal(b, 3);
    /* a two-byte PkgLength: 70 = lead 0x46 (low nibble 6, one more byte) + 0x04 << 4 */
    {
        uint8_t big[5 + 1 + 70] = { 0x08, '_', 'S', '5', '_', 0x12, 0x46, 0x04, 0x02,
                                    0x0c, 0x02, 0x00, 0x00, 0x00, 0x0a, 0x02 };
        assert_int_equal(s5(big, sizeof(big), &a, &b, &why), 0);
        assert_int_equal(a, 2);
        assert_int_equal(b, 2);
        assert_int_equal(s5(big, sizeof(big) - 1, &a, &b, &why), -EINVAL);  /* one byte short */
        assert_non_null(strstr(why, "out of bounds"));
    }
    /* ACPI 1.0 style: one integer holding both values */
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x01, 0x0b, 0x05, 0x07),
                        &a, &b, &why), 0);
    assert_int_equal(a, 5);
    assert_int_equal(b, 7);
    /* a reference (no NameOp) is not a definition; a later definition is found */
    assert_int_equal(s5(AML(0x70, '_', 'S', '5', '_', 0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02,
                            0x01, 0x01), &a, &b, &why), 0);
    assert_int_equal(a, 1);
    assert_int_equal(s5(AML(0x70, '_', 'S', '5', '_', 0x00), &a, &b, &why), -ENOENT);
    assert_int_equal(s5(AML(0x00), &a, &b, &why), -ENOENT);
    /* malformed ones */
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x14, 0x04, 0x00), &a, &b, &why), -EINVAL);
    assert_non_null(strstr(why, "not a package"));
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12), &a, &b, &why), -EINVAL);
    assert_non_null(strstr(why, "cut off"));
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x40), &a, &b, &why), -EINVAL);
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x02, 0x00, 0x00), &a, &b,
                        &why), -EINVAL);
    assert_non_null(strstr(why, "out of bounds"));
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x01), &a, &b, &why), -EINVAL);
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x02, 0x00), &a, &b, &why), -EINVAL);
    assert_non_null(strstr(why, "empty"));
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x0a, 0x05), &a, &b,
                        &why), -EINVAL);                /* second element cut off */
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0a, 0x08, 0x00), &a,
                        &b, &why), -EINVAL);
    assert_non_null(strstr(why, "3 bits"));
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0xff, 0x00), &a, &b,
                        &why), -EINVAL);                /* Ones */
    assert_int_equal(s5(AML(0x08, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x0d, 0x00, 0x00), &a,
                        &b, &why), -EINVAL);            /* a string: not an integer */
    assert_non_null(strstr(why, "integers"));
    /* a header-only table, and NULL */
    assert_int_equal(acpi_find_s5((const uint8_t *)"DSDT", 4, &a, &b, NULL), -ENOENT);
    assert_int_equal(acpi_find_s5(NULL, 100, &a, &b, NULL), -ENOENT);
#undef AML
}

/* ---- random corruption ------------------------------------------------------------- */

/*
 * Flips random bytes of one random table (or its length), then repairs the
 * checksum so the parser gets past it and into the entries; ASan and UBSan
 * judge. The results must stay inside their capacities.
 */
static void fuzz_fixture(const char *name, uint64_t seed)
{
    int deep = 0;               /* runs where the corrupted table was parsed */

    load(name);
    rng_state = seed;
    for (int iter = 0; iter < 400; iter++) {
        size_t pick = rnd_below(fx->ntables);
        uint64_t pa = fx->tables[pick].addr;
        uint32_t len = fx->tables[pick].len;
        uint8_t *t = at(pa, len), *saved = malloc(len);
        int flips = 1 + (int)rnd_below(8), ret;

        assert_non_null(saved);
        memcpy(saved, t, len);
        for (int i = 0; i < flips; i++) {
            size_t off = rnd_below(16) == 0 ? 4 + rnd_below(4) : rnd_below(len);
            t[off] = (uint8_t)rnd();
        }
        if (strcmp(fx->tables[pick].sig, "FACS") != 0 && get32(t + 4) >= 36 &&
            get32(t + 4) <= len && rnd_below(8) != 0)
            fix_checksum(pa);
        ret = parse();
        assert_true(ret == 0 || ret == -EINVAL);
        assert_true(info->table_count <= ACPI_MAX_TABLES);
        assert_true(info->cpu_count <= ACPI_MAX_CPUS);
        assert_true(info->cpus_enabled <= info->cpu_count);
        assert_true(info->ioapic_count <= ACPI_MAX_IOAPICS);
        assert_true(info->override_count <= ACPI_MAX_OVERRIDES);
        assert_true(info->mcfg_count <= ACPI_MAX_MCFG);
        assert_true(!info->s5.present || (info->s5.slp_typa < 8 && info->s5.slp_typb < 8));
        for (size_t i = 0; i < info->table_count; i++)
            if (info->tables[i].address == pa && info->tables[i].status == ACPI_TABLE_OK) {
                deep++;
                break;
            }
        memcpy(t, saved, len);
        free(saved);
        free_copies();
        clear_reports();
    }
    print_message("%s: the corrupted table was parsed in %d of 400 runs\n", name, deep);
    assert_true(deep >= 100);
}

static void fuzz_all(void *arg)
{
    static const char *const names[] = { "pc-bios", "pc-uefi", "q35-bios", "q35-uefi" };
    size_t i = (size_t)(uintptr_t)arg;

    fuzz_fixture(names[i], 0x9e3779b97f4a7c15ull * (i + 1));
}

static void test_random_corruption(void **state)
{
    (void)state;
    /* in children, with a deadline: a hang is a failure too */
    for (uintptr_t i = 0; i < 4; i++) {
        assert_true(run_in_child(fuzz_all, (void *)i, 60));
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_qemu_pc_bios),
        T(test_qemu_pc_uefi),
        T(test_qemu_q35_bios),
        T(test_qemu_q35_uefi),
        T(test_info_table_lookup),
        T(test_bad_checksum_fadt_skipped_rest_parsed),
        T(test_bad_checksum_madt),
        T(test_length_shorter_than_header),
        T(test_length_zero),
        T(test_length_absurd),
        T(test_length_past_mapped_memory),
        T(test_valid_but_too_short_for_its_kind),
        T(test_madt_entry_length_zero),
        T(test_madt_entry_length_zero_midway),
        T(test_madt_entry_runs_past_end),
        T(test_madt_synthetic_entries),
        T(test_madt_overflowing_lists),
        T(test_rsdp_v1),
        T(test_rsdp_v2),
        T(test_rsdp_scan_bios_area),
        T(test_rsdp_scan_ebda),
        T(test_rsdp_scan_nothing_mapped),
        T(test_xsdt_unmapped_falls_back_to_rsdt),
        T(test_xsdt_bad_checksum_falls_back_to_rsdt),
        T(test_no_usable_root),
        T(test_rsdt_wrong_signature),
        T(test_zero_tables),
        T(test_root_entries_unmapped_or_null),
        T(test_too_many_tables),
        T(test_duplicate_table_ignored),
        T(test_dsdt_bad_checksum),
        T(test_dsdt_pointer_wrong_table),
        T(test_fadt_fields),
        T(test_mcfg_and_hpet_bad_entries),
        T(test_s5_in_ssdt),
        T(test_s5_aml_variants),
        T(test_random_corruption),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
