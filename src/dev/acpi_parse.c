/*
 * src/dev/acpi_parse.c - the ACPI table parser (see include/dev/acpi_parse.h).
 *
 * Part of dev; pure: no hardware, no globals, no printing. Memory comes only
 * through env->map, problems leave only through env->report, results only
 * through the caller's struct acpi_info. Built as is by the host unit tests.
 *
 * Every read is bounded by a length this file has checked: a table is first
 * mapped for its header only, its claimed length is checked (at least a
 * header, at most ACPI_TABLE_MAX_LEN, no address wrap), then the whole table
 * is mapped and checksummed. Entry walks (root tables, MADT, MCFG) stop at
 * the table's end; an entry whose length is 0 or 1 ends the MADT walk, so a
 * corrupt table can never loop forever.
 */
#include <dev/acpi_parse.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/string.h>

#define HDR_LEN     sizeof(struct acpi_sdt_header)

/* ---- little helpers -------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p)
{
    return rd32(p) | ((uint64_t)rd32(p + 4) << 32);
}

uint8_t acpi_checksum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < n; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum;
}

/* Copies n firmware characters as a NUL-terminated string; unprintables become '?'. */
static void copy_text(char *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
    dst[n] = '\0';
}

/* Same, but trailing blanks (OEM IDs are blank-padded) are dropped. */
static void copy_id(char *dst, const uint8_t *src, size_t n)
{
    copy_text(dst, src, n);
    while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
        dst[--n] = '\0';
}

static __printf_like(3, 4) void report(const struct acpi_env *env, struct acpi_info *info,
                                       const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    if (info)
        info->problems++;
    if (!env->report)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    env->report(env->ctx, msg);
}

static const void *map(const struct acpi_env *env, uint64_t pa, size_t len)
{
    if (len == 0 || pa + len < pa)
        return NULL;
    return env->map(env->ctx, pa, len);
}

const char *acpi_table_status_name(unsigned status)
{
    switch (status) {
    case ACPI_TABLE_OK:             return "ok";
    case ACPI_TABLE_UNMAPPED:       return "cannot be mapped";
    case ACPI_TABLE_BAD_LENGTH:     return "bad length";
    case ACPI_TABLE_BAD_CHECKSUM:   return "bad checksum";
    case ACPI_TABLE_BAD_SIGNATURE:  return "unexpected signature";
    case ACPI_TABLE_TOO_SHORT:      return "too short for its kind";
    default:                        return "?";
    }
}

static uint8_t decode_polarity(uint16_t flags)
{
    return (uint8_t)(flags & ACPI_IRQ_POLARITY_MASK);
}

static uint8_t decode_trigger(uint16_t flags)
{
    return (uint8_t)((flags & ACPI_IRQ_TRIGGER_MASK) >> 2);
}

/* ---- RSDP ------------------------------------------------------------------ */

int acpi_rsdp_check(const void *p, size_t avail, struct acpi_rsdp *out, const char **why)
{
    const uint8_t *b = p;
    const char *dummy;

    if (!why)
        why = &dummy;
    if (!p || avail < ACPI_RSDP_V1_LEN) {
        *why = "shorter than 20 bytes";
        return -EINVAL;
    }
    if (memcmp(b, "RSD PTR ", 8) != 0) {
        *why = "no 'RSD PTR ' signature";
        return -EINVAL;
    }
    if (acpi_checksum(b, ACPI_RSDP_V1_LEN) != 0) {
        *why = "bad checksum";
        return -EINVAL;
    }
    memset(out, 0, sizeof(*out));
    out->address = ACPI_RSDP_LOADER_COPY;
    out->revision = b[offsetof(struct acpi_rsdp_raw, revision)];
    out->rsdt = rd32(b + offsetof(struct acpi_rsdp_raw, rsdt_address));
    copy_id(out->oem_id, b + offsetof(struct acpi_rsdp_raw, oem_id), 6);
    out->length = ACPI_RSDP_V1_LEN;
    if (out->revision < 2)
        return 0;

    if (avail < sizeof(struct acpi_rsdp_raw)) {
        *why = "ACPI 2.0 RSDP cut short (fewer than 36 bytes readable)";
        return -EINVAL;
    }
    uint32_t len = rd32(b + offsetof(struct acpi_rsdp_raw, length));
    if (len < sizeof(struct acpi_rsdp_raw) || len > avail) {
        *why = len < sizeof(struct acpi_rsdp_raw) ? "ACPI 2.0 RSDP length below 36"
                                                   : "ACPI 2.0 RSDP length beyond the readable bytes";
        return -EINVAL;
    }
    if (acpi_checksum(b, len) != 0) {
        *why = "bad extended checksum";
        return -EINVAL;
    }
    out->length = len;
    out->xsdt = rd64(b + offsetof(struct acpi_rsdp_raw, xsdt_address));
    return 0;
}

static int scan_area(const struct acpi_env *env, uint64_t pa, size_t len, struct acpi_rsdp *out)
{
    const uint8_t *area = map(env, pa, len);
    const char *why;

    if (!area)
        return -ENOENT;
    for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= len; off += 16) {
        if (memcmp(area + off, "RSD PTR ", 8) != 0)
            continue;
        if (acpi_rsdp_check(area + off, len - off, out, &why) == 0) {
            out->address = pa + off;
            return 0;
        }
        report(env, NULL, "RSDP candidate at %#llx passed over: %s",
               (unsigned long long)(pa + off), why);
    }
    return -ENOENT;
}

#define BDA_EBDA_SEGMENT    0x40eu
#define EBDA_SCAN_LEN       1024u
#define LOW_MEMORY_END      0xa0000u
#define BIOS_AREA_START     0xe0000u
#define BIOS_AREA_LEN       0x20000u

int acpi_rsdp_scan(const struct acpi_env *env, struct acpi_rsdp *out)
{
    const uint8_t *bda = map(env, BDA_EBDA_SEGMENT, 2);

    if (bda) {
        uint64_t ebda = (uint64_t)rd16(bda) << 4;
        /* a plausible EBDA lies above the BDA and below the VGA hole */
        if (ebda > 0x400 && ebda + EBDA_SCAN_LEN <= LOW_MEMORY_END &&
            scan_area(env, ebda, EBDA_SCAN_LEN, out) == 0)
            return 0;
    }
    return scan_area(env, BIOS_AREA_START, BIOS_AREA_LEN, out);
}

/* ---- tables ----------------------------------------------------------------- */

/*
 * Maps, checks and (if rec is not NULL) describes the table at pa. what
 * names the table in reports when the header is unreadable. Returns the
 * mapped table (its length in *len) or NULL after reporting why not.
 */
static const uint8_t *load_table(const struct acpi_env *env, struct acpi_info *info, uint64_t pa,
                                 const char *what, const char *want_sig, struct acpi_table *rec,
                                 uint32_t *len_out)
{
    const uint8_t *h = map(env, pa, HDR_LEN);
    const uint8_t *t;
    char sig[5];
    uint32_t len;

    if (rec) {
        memset(rec, 0, sizeof(*rec));
        rec->address = pa;
        /* until the header is read, the name the caller expects, or "????" */
        strlcpy(rec->signature, strlen(what) == 4 ? what : "????", sizeof(rec->signature));
        rec->status = ACPI_TABLE_UNMAPPED;
    }
    if (!h) {
        report(env, info, "skipping %s at %#llx: cannot map its header", what,
               (unsigned long long)pa);
        return NULL;
    }
    copy_text(sig, h, 4);
    len = rd32(h + offsetof(struct acpi_sdt_header, length));
    if (rec) {
        memcpy(rec->signature, sig, sizeof(sig));
        copy_id(rec->oem_id, h + offsetof(struct acpi_sdt_header, oem_id), 6);
        copy_id(rec->oem_table_id, h + offsetof(struct acpi_sdt_header, oem_table_id), 8);
        rec->revision = h[offsetof(struct acpi_sdt_header, revision)];
        rec->length = len;
        rec->status = ACPI_TABLE_BAD_LENGTH;
    }
    if (want_sig && memcmp(h, want_sig, 4) != 0) {
        report(env, info, "skipping %s at %#llx: expected %s", sig, (unsigned long long)pa,
               want_sig);
        if (rec)
            rec->status = ACPI_TABLE_BAD_SIGNATURE;
        return NULL;
    }
    if (len < HDR_LEN) {
        report(env, info, "skipping %s at %#llx: length %u is shorter than the header", sig,
               (unsigned long long)pa, len);
        return NULL;
    }
    if (len > ACPI_TABLE_MAX_LEN || pa + len < pa) {
        report(env, info, "skipping %s at %#llx: absurd length %u", sig, (unsigned long long)pa,
               len);
        return NULL;
    }
    t = map(env, pa, len);
    if (!t) {
        report(env, info, "skipping %s at %#llx: cannot map its %u bytes", sig,
               (unsigned long long)pa, len);
        if (rec)
            rec->status = ACPI_TABLE_UNMAPPED;
        return NULL;
    }
    if (acpi_checksum(t, len) != 0) {
        report(env, info, "skipping %s at %#llx: bad checksum", sig, (unsigned long long)pa);
        if (rec)
            rec->status = ACPI_TABLE_BAD_CHECKSUM;
        return NULL;
    }
    if (rec)
        rec->status = ACPI_TABLE_OK;
    *len_out = len;
    return t;
}

static struct acpi_table *new_record(const struct acpi_env *env, struct acpi_info *info,
                                     uint64_t pa)
{
    if (info->table_count == ACPI_MAX_TABLES) {
        if (info->tables_dropped++ == 0)
            report(env, info, "more than %d tables; ignoring the one at %#llx and any later",
                   ACPI_MAX_TABLES, (unsigned long long)pa);
        return NULL;
    }
    return &info->tables[info->table_count++];
}

/* ---- MADT ------------------------------------------------------------------ */

static void add_cpu(const struct acpi_env *env, struct acpi_info *info, uint32_t apic_id,
                    uint32_t uid, uint32_t flags, bool x2apic)
{
    struct acpi_cpu *c;

    for (size_t i = 0; i < info->cpu_count; i++)
        if (info->cpus[i].apic_id == apic_id) {
            report(env, info, "MADT lists APIC ID %u twice; the second entry is ignored",
                   apic_id);
            return;
        }
    if (info->cpu_count == ACPI_MAX_CPUS) {
        if (info->cpus_dropped++ == 0)
            report(env, info, "MADT lists more than %d CPUs; APIC ID %u and later are ignored",
                   ACPI_MAX_CPUS, apic_id);
        return;
    }
    c = &info->cpus[info->cpu_count++];
    c->apic_id = apic_id;
    c->uid = uid;
    c->enabled = (flags & ACPI_CPU_ENABLED) != 0;
    c->online_capable = !c->enabled && (flags & ACPI_CPU_ONLINE_CAPABLE) != 0;
    c->x2apic = x2apic;
    if (c->enabled)
        info->cpus_enabled++;
}

static void add_nmi(const struct acpi_env *env, struct acpi_info *info, uint32_t uid,
                    uint8_t lint, uint16_t flags, bool x2apic)
{
    struct acpi_nmi *n;

    if (info->nmi_count == ACPI_MAX_NMIS) {
        if (info->nmis_dropped++ == 0)
            report(env, info, "MADT lists more than %d local NMIs; the rest are ignored",
                   ACPI_MAX_NMIS);
        return;
    }
    n = &info->nmis[info->nmi_count++];
    n->uid = uid;
    n->lint = lint;
    n->flags = flags;
    n->polarity = decode_polarity(flags);
    n->trigger = decode_trigger(flags);
    n->x2apic = x2apic;
}

/* The shortest entry of each type this parser reads (0: type not read). */
static uint8_t madt_min_len(uint8_t type)
{
    switch (type) {
    case ACPI_MADT_LAPIC:           return sizeof(struct acpi_madt_lapic);
    case ACPI_MADT_IOAPIC:          return sizeof(struct acpi_madt_ioapic);
    case ACPI_MADT_OVERRIDE:        return sizeof(struct acpi_madt_override);
    case ACPI_MADT_NMI_SOURCE:      return sizeof(struct acpi_madt_nmi_source);
    case ACPI_MADT_LAPIC_NMI:       return sizeof(struct acpi_madt_lapic_nmi);
    case ACPI_MADT_LAPIC_OVERRIDE:  return sizeof(struct acpi_madt_lapic_override);
    case ACPI_MADT_X2APIC:          return sizeof(struct acpi_madt_x2apic);
    case ACPI_MADT_X2APIC_NMI:      return sizeof(struct acpi_madt_x2apic_nmi);
    default:                        return 0;
    }
}

static void madt_entry(const struct acpi_env *env, struct acpi_info *info, const uint8_t *e)
{
    switch (e[0]) {
    case ACPI_MADT_LAPIC:
        add_cpu(env, info, e[offsetof(struct acpi_madt_lapic, apic_id)],
                e[offsetof(struct acpi_madt_lapic, uid)],
                rd32(e + offsetof(struct acpi_madt_lapic, flags)), false);
        break;
    case ACPI_MADT_X2APIC:
        add_cpu(env, info, rd32(e + offsetof(struct acpi_madt_x2apic, x2apic_id)),
                rd32(e + offsetof(struct acpi_madt_x2apic, uid)),
                rd32(e + offsetof(struct acpi_madt_x2apic, flags)), true);
        break;
    case ACPI_MADT_IOAPIC: {
        struct acpi_ioapic *io;
        if (info->ioapic_count == ACPI_MAX_IOAPICS) {
            if (info->ioapics_dropped++ == 0)
                report(env, info, "MADT lists more than %d I/O APICs; the rest are ignored",
                       ACPI_MAX_IOAPICS);
            break;
        }
        io = &info->ioapics[info->ioapic_count++];
        io->id = e[offsetof(struct acpi_madt_ioapic, id)];
        io->address = rd32(e + offsetof(struct acpi_madt_ioapic, address));
        io->gsi_base = rd32(e + offsetof(struct acpi_madt_ioapic, gsi_base));
        break;
    }
    case ACPI_MADT_OVERRIDE: {
        struct acpi_override *o;
        uint16_t flags = rd16(e + offsetof(struct acpi_madt_override, flags));
        if (info->override_count == ACPI_MAX_OVERRIDES) {
            if (info->overrides_dropped++ == 0)
                report(env, info, "MADT lists more than %d interrupt overrides; the rest are "
                       "ignored", ACPI_MAX_OVERRIDES);
            break;
        }
        o = &info->overrides[info->override_count++];
        o->bus = e[offsetof(struct acpi_madt_override, bus)];
        o->source = e[offsetof(struct acpi_madt_override, source)];
        o->gsi = rd32(e + offsetof(struct acpi_madt_override, gsi));
        o->flags = flags;
        o->polarity = decode_polarity(flags);
        o->trigger = decode_trigger(flags);
        break;
    }
    case ACPI_MADT_NMI_SOURCE: {
        struct acpi_nmi_source *s;
        uint16_t flags = rd16(e + offsetof(struct acpi_madt_nmi_source, flags));
        if (info->nmi_source_count == ACPI_MAX_NMI_SOURCES) {
            if (info->nmi_sources_dropped++ == 0)
                report(env, info, "MADT lists more than %d NMI sources; the rest are ignored",
                       ACPI_MAX_NMI_SOURCES);
            break;
        }
        s = &info->nmi_sources[info->nmi_source_count++];
        s->gsi = rd32(e + offsetof(struct acpi_madt_nmi_source, gsi));
        s->flags = flags;
        s->polarity = decode_polarity(flags);
        s->trigger = decode_trigger(flags);
        break;
    }
    case ACPI_MADT_LAPIC_NMI: {
        uint8_t uid = e[offsetof(struct acpi_madt_lapic_nmi, uid)];
        add_nmi(env, info, uid == 0xff ? UINT32_MAX : uid,
                e[offsetof(struct acpi_madt_lapic_nmi, lint)],
                rd16(e + offsetof(struct acpi_madt_lapic_nmi, flags)), false);
        break;
    }
    case ACPI_MADT_X2APIC_NMI:
        add_nmi(env, info, rd32(e + offsetof(struct acpi_madt_x2apic_nmi, uid)),
                e[offsetof(struct acpi_madt_x2apic_nmi, lint)],
                rd16(e + offsetof(struct acpi_madt_x2apic_nmi, flags)), true);
        break;
    case ACPI_MADT_LAPIC_OVERRIDE:
        info->lapic_address = rd64(e + offsetof(struct acpi_madt_lapic_override, address));
        break;
    default:
        break;
    }
}

static void parse_madt(const struct acpi_env *env, struct acpi_info *info, const uint8_t *t,
                       uint32_t len, uint64_t pa)
{
    size_t off = sizeof(struct acpi_madt_raw);

    if (len < sizeof(struct acpi_madt_raw)) {
        report(env, info, "APIC at %#llx is %u bytes, too short for a MADT; ignored",
               (unsigned long long)pa, len);
        return;
    }
    info->has_madt = true;
    info->lapic_address = rd32(t + offsetof(struct acpi_madt_raw, lapic_address));
    info->madt_flags = rd32(t + offsetof(struct acpi_madt_raw, flags));
    while (off + sizeof(struct acpi_madt_entry) <= len) {
        uint8_t type = t[off], elen = t[off + 1], min;

        if (elen < sizeof(struct acpi_madt_entry)) {
            report(env, info, "MADT entry at offset %zu has length %u; the rest of the MADT "
                   "is ignored", off, elen);
            return;
        }
        if (off + elen > len) {
            report(env, info, "MADT entry at offset %zu (type %u, %u bytes) runs past the "
                   "table's end; ignored", off, type, elen);
            return;
        }
        min = madt_min_len(type);
        if (min && elen < min)
            report(env, info, "MADT entry at offset %zu (type %u) is %u bytes, expected %u; "
                   "skipped", off, type, elen, min);
        else if (min)
            madt_entry(env, info, t + off);
        off += elen;
    }
    if (off != len)
        report(env, info, "MADT has %zu stray bytes at its end", (size_t)(len - off));
}

/* ---- HPET and MCFG ---------------------------------------------------------- */

static void parse_hpet(const struct acpi_env *env, struct acpi_info *info, const uint8_t *t,
                       uint32_t len, uint64_t pa)
{
    struct acpi_hpet *h = &info->hpet;
    const uint8_t *gas = t + offsetof(struct acpi_hpet_raw, base);
    uint32_t id;

    if (len < sizeof(struct acpi_hpet_raw)) {
        report(env, info, "HPET at %#llx is %u bytes, expected %zu; ignored",
               (unsigned long long)pa, len, sizeof(struct acpi_hpet_raw));
        return;
    }
    id = rd32(t + offsetof(struct acpi_hpet_raw, block_id));
    h->space = gas[offsetof(struct acpi_gas_raw, space_id)];
    h->address = rd64(gas + offsetof(struct acpi_gas_raw, address));
    if (h->space != ACPI_GAS_MEMORY || h->address == 0) {
        report(env, info, "HPET at %#llx gives no memory address (space %u, address %#llx); "
               "ignored", (unsigned long long)pa, h->space, (unsigned long long)h->address);
        memset(h, 0, sizeof(*h));
        return;
    }
    h->present = true;
    h->comparators = (uint8_t)(((id >> 8) & 0x1f) + 1);
    h->counter_64 = (id >> 13) & 1;
    h->legacy_replacement = (id >> 15) & 1;
    h->pci_vendor = (uint16_t)(id >> 16);
    h->number = t[offsetof(struct acpi_hpet_raw, number)];
    h->min_tick = rd16(t + offsetof(struct acpi_hpet_raw, min_tick));
    h->page_protection = t[offsetof(struct acpi_hpet_raw, page_protection)];
}

static void parse_mcfg(const struct acpi_env *env, struct acpi_info *info, const uint8_t *t,
                       uint32_t len, uint64_t pa)
{
    size_t n, extra;

    if (len < sizeof(struct acpi_mcfg_raw)) {
        report(env, info, "MCFG at %#llx is %u bytes, too short; ignored",
               (unsigned long long)pa, len);
        return;
    }
    info->has_mcfg = true;
    n = (len - sizeof(struct acpi_mcfg_raw)) / sizeof(struct acpi_mcfg_alloc);
    extra = (len - sizeof(struct acpi_mcfg_raw)) % sizeof(struct acpi_mcfg_alloc);
    if (extra)
        report(env, info, "MCFG has %zu stray bytes at its end", extra);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = t + sizeof(struct acpi_mcfg_raw) + i * sizeof(struct acpi_mcfg_alloc);
        struct acpi_mcfg_entry m = {
            .base = rd64(e + offsetof(struct acpi_mcfg_alloc, base)),
            .segment = rd16(e + offsetof(struct acpi_mcfg_alloc, segment)),
            .start_bus = e[offsetof(struct acpi_mcfg_alloc, start_bus)],
            .end_bus = e[offsetof(struct acpi_mcfg_alloc, end_bus)],
        };
        if (m.end_bus < m.start_bus || m.base == 0) {
            report(env, info, "MCFG entry %zu (segment %u, buses %u-%u, base %#llx) is "
                   "invalid; skipped", i, m.segment, m.start_bus, m.end_bus,
                   (unsigned long long)m.base);
            continue;
        }
        if (info->mcfg_count == ACPI_MAX_MCFG) {
            info->mcfg_dropped = n - i;
            report(env, info, "MCFG has more than %d entries; the rest are ignored",
                   ACPI_MAX_MCFG);
            return;
        }
        info->mcfg[info->mcfg_count++] = m;
    }
}

/* ---- FADT ------------------------------------------------------------------ */

static struct acpi_gas gas_from(const struct acpi_gas_raw *r)
{
    struct acpi_gas g = {
        .space = r->space_id, .bit_width = r->bit_width, .bit_offset = r->bit_offset,
        .access_size = r->access_size, .address = r->address,
    };
    return g;
}

/* The X_ block when it is set, else the legacy I/O port block of len bytes. */
static struct acpi_gas pm_block(const struct acpi_gas_raw *x, uint32_t port, uint8_t len)
{
    struct acpi_gas g = { 0 };

    if (x->address) {
        g = gas_from(x);
        if (!g.bit_width)
            g.bit_width = (uint8_t)(len * 8);
    } else if (port) {
        g.space = ACPI_GAS_IO;
        g.bit_width = (uint8_t)(len * 8);
        g.address = port;
    }
    return g;
}

static void parse_fadt(const struct acpi_env *env, struct acpi_info *info, const uint8_t *t,
                       uint32_t len, uint64_t pa)
{
    struct acpi_fadt_raw raw;
    struct acpi_fadt *f = &info->fadt;

    if (len < ACPI_FADT_V1_LEN) {
        report(env, info, "FACP at %#llx is %u bytes, shorter than an ACPI 1.0 FADT (%u); "
               "ignored", (unsigned long long)pa, len, ACPI_FADT_V1_LEN);
        return;
    }
    /* fields past the table's length read as 0, which means "absent" for all of them */
    memset(&raw, 0, sizeof(raw));
    memcpy(&raw, t, MIN((size_t)len, sizeof(raw)));

    memset(f, 0, sizeof(*f));
    f->present = true;
    f->revision = raw.header.revision;
    f->minor_version = raw.minor_version;
    f->length = len;
    f->flags = raw.flags;
    f->hw_reduced = (raw.flags & ACPI_FADT_HW_REDUCED) != 0;
    f->sci_irq = raw.sci_int;
    f->iapc_boot_arch = raw.iapc_boot_arch;
    f->century = raw.century;
    f->smi_cmd = raw.smi_cmd;
    f->acpi_enable = raw.acpi_enable;
    f->acpi_disable = raw.acpi_disable;
    f->pm1_evt_len = raw.pm1_evt_len;
    f->pm1_cnt_len = raw.pm1_cnt_len;
    f->pm1a_evt = pm_block(&raw.x_pm1a_evt_blk, raw.pm1a_evt_blk, raw.pm1_evt_len);
    f->pm1b_evt = pm_block(&raw.x_pm1b_evt_blk, raw.pm1b_evt_blk, raw.pm1_evt_len);
    f->pm1a_cnt = pm_block(&raw.x_pm1a_cnt_blk, raw.pm1a_cnt_blk, raw.pm1_cnt_len);
    f->pm1b_cnt = pm_block(&raw.x_pm1b_cnt_blk, raw.pm1b_cnt_blk, raw.pm1_cnt_len);
    f->sleep_control = gas_from(&raw.sleep_control_reg);
    f->sleep_status = gas_from(&raw.sleep_status_reg);
    f->dsdt = raw.x_dsdt ? raw.x_dsdt : raw.dsdt;
    f->facs = raw.x_firmware_ctrl ? raw.x_firmware_ctrl : raw.firmware_ctrl;

    if (len > offsetof(struct acpi_fadt_raw, reset_value) && (raw.flags & ACPI_FADT_RESET_REG_SUP)) {
        f->reset_reg = gas_from(&raw.reset_reg);
        f->reset_value = raw.reset_value;
        if (f->reset_reg.address == 0 || f->reset_reg.space > ACPI_GAS_PCI_CONFIG ||
            (f->reset_reg.space == ACPI_GAS_IO && f->reset_reg.address > 0xffff))
            report(env, info, "FADT sets RESET_REG_SUP but its reset register (space %u, "
                   "address %#llx) is unusable", f->reset_reg.space,
                   (unsigned long long)f->reset_reg.address);
        else
            f->reset_supported = true;
    }
    if (!f->hw_reduced && f->pm1a_cnt.address == 0)
        report(env, info, "FADT has no PM1a control block: no ACPI power-off");
}

/* ---- \_S5 --------------------------------------------------------------------- */

#define AML_ZERO_OP         0x00
#define AML_ONE_OP          0x01
#define AML_NAME_OP         0x08
#define AML_BYTE_PREFIX     0x0a
#define AML_WORD_PREFIX     0x0b
#define AML_DWORD_PREFIX    0x0c
#define AML_QWORD_PREFIX    0x0e
#define AML_PACKAGE_OP      0x12
#define AML_ONES_OP         0xff
#define AML_ROOT_CHAR       '\\'

/* One integer data object at *p (below end); advances *p. */
static int aml_integer(const uint8_t *aml, size_t *p, size_t end, uint64_t *v)
{
    size_t n;

    if (*p >= end)
        return -EINVAL;
    switch (aml[*p]) {
    case AML_ZERO_OP:       *v = 0; (*p)++; return 0;
    case AML_ONE_OP:        *v = 1; (*p)++; return 0;
    case AML_ONES_OP:       *v = UINT64_MAX; (*p)++; return 0;
    case AML_BYTE_PREFIX:   n = 1; break;
    case AML_WORD_PREFIX:   n = 2; break;
    case AML_DWORD_PREFIX:  n = 4; break;
    case AML_QWORD_PREFIX:  n = 8; break;
    default:                return -EINVAL;
    }
    if (end - *p - 1 < n)
        return -EINVAL;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v |= (uint64_t)aml[*p + 1 + i] << (8 * i);
    *p += 1 + n;
    return 0;
}

/* The package after the name "_S5_" (p is the byte after the name). */
static int s5_package(const uint8_t *aml, size_t len, size_t p, uint8_t *typa, uint8_t *typb,
                      const char **why)
{
    size_t nbytes, pkglen, end, count;
    uint64_t a, b;

    if (p >= len || aml[p] != AML_PACKAGE_OP) {
        *why = "\\_S5 is not a package";
        return -EINVAL;
    }
    p++;
    if (p >= len) {
        *why = "\\_S5 package cut off by the table's end";
        return -EINVAL;
    }
    nbytes = aml[p] >> 6;
    if (p + 1 + nbytes > len) {
        *why = "\\_S5 package cut off by the table's end";
        return -EINVAL;
    }
    if (nbytes == 0) {
        pkglen = aml[p] & 0x3f;
    } else {
        pkglen = aml[p] & 0x0f;
        for (size_t i = 1; i <= nbytes; i++)
            pkglen |= (size_t)aml[p + i] << (4 + 8 * (i - 1));
    }
    /* the length counts itself and must leave room for NumElements */
    if (pkglen < nbytes + 2 || pkglen > len - p) {
        *why = "\\_S5 package length out of bounds";
        return -EINVAL;
    }
    end = p + pkglen;
    p += 1 + nbytes;
    count = aml[p++];
    if (count == 0) {
        *why = "\\_S5 package is empty";
        return -EINVAL;
    }
    if (aml_integer(aml, &p, end, &a) != 0 || (count >= 2 && aml_integer(aml, &p, end, &b) != 0)) {
        *why = "\\_S5 package does not start with integers";
        return -EINVAL;
    }
    if (count == 1) {   /* ACPI 1.0 style: one integer, SLP_TYPb in its second byte */
        b = (a >> 8) & 0xff;
        a &= 0xff;
    }
    if (a > 7 || b > 7) {
        *why = "\\_S5 SLP_TYP values do not fit in 3 bits";
        return -EINVAL;
    }
    *typa = (uint8_t)a;
    *typb = (uint8_t)b;
    return 0;
}

int acpi_find_s5(const uint8_t *aml, size_t len, uint8_t *typa, uint8_t *typb, const char **why)
{
    const char *dummy;
    int ret = -ENOENT;

    if (!why)
        why = &dummy;
    for (size_t i = HDR_LEN + 1; aml && i + 4 <= len; i++) {
        if (aml[i] != '_' || memcmp(aml + i, "_S5_", 4) != 0)
            continue;
        if (aml[i - 1] != AML_NAME_OP &&
            !(aml[i - 1] == AML_ROOT_CHAR && i >= HDR_LEN + 2 && aml[i - 2] == AML_NAME_OP))
            continue;       /* a reference to \_S5, not its definition */
        if (s5_package(aml, len, i + 4, typa, typb, why) == 0)
            return 0;
        ret = -EINVAL;
    }
    return ret;
}

/* ---- the walk --------------------------------------------------------------- */

static void record_facs(const struct acpi_env *env, struct acpi_info *info, uint64_t pa)
{
    struct acpi_table *rec = new_record(env, info, pa);
    const uint8_t *h;
    uint32_t len;

    if (!rec)
        return;
    memset(rec, 0, sizeof(*rec));
    strlcpy(rec->signature, "FACS", sizeof(rec->signature));
    rec->address = pa;
    rec->status = ACPI_TABLE_UNMAPPED;
    h = map(env, pa, ACPI_FACS_MIN_LEN);
    if (!h) {
        report(env, info, "skipping FACS at %#llx: cannot map it", (unsigned long long)pa);
        return;
    }
    len = rd32(h + 4);
    rec->length = len;
    rec->revision = h[32];      /* Version */
    if (memcmp(h, "FACS", 4) != 0) {
        copy_text(rec->signature, h, 4);
        rec->status = ACPI_TABLE_BAD_SIGNATURE;
        report(env, info, "skipping %s at %#llx: expected FACS", rec->signature,
               (unsigned long long)pa);
        return;
    }
    if (len < ACPI_FACS_MIN_LEN || len > ACPI_TABLE_MAX_LEN) {
        rec->status = ACPI_TABLE_BAD_LENGTH;
        report(env, info, "skipping FACS at %#llx: bad length %u", (unsigned long long)pa, len);
        return;
    }
    rec->status = ACPI_TABLE_OK;
}

/* Parses a valid table by kind; the first of each kind wins. */
static void dispatch(const struct acpi_env *env, struct acpi_info *info, const uint8_t *t,
                     uint32_t len, uint64_t pa)
{
    static const struct {
        char sig[5];
        size_t seen;            /* offset of the "already parsed" flag in acpi_info */
        void (*parse)(const struct acpi_env *, struct acpi_info *, const uint8_t *, uint32_t,
                      uint64_t);
    } kinds[] = {
        { "APIC", offsetof(struct acpi_info, has_madt), parse_madt },
        { "HPET", offsetof(struct acpi_info, hpet.present), parse_hpet },
        { "MCFG", offsetof(struct acpi_info, has_mcfg), parse_mcfg },
        { "FACP", offsetof(struct acpi_info, fadt.present), parse_fadt },
    };

    for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
        if (memcmp(t, kinds[k].sig, 4) != 0)
            continue;
        if (*(bool *)((char *)info + kinds[k].seen))
            report(env, info, "a second %s at %#llx is ignored", kinds[k].sig,
                   (unsigned long long)pa);
        else
            kinds[k].parse(env, info, t, len, pa);
        return;
    }
}

/* Looks for \_S5 in one recorded table (DSDT or SSDT). Returns 0 when found. */
static int s5_in(const struct acpi_env *env, struct acpi_info *info, const struct acpi_table *rec)
{
    const uint8_t *t = map(env, rec->address, rec->length);
    const char *why = NULL;
    int ret;

    if (!t)
        return -ENOENT;
    ret = acpi_find_s5(t, rec->length, &info->s5.slp_typa, &info->s5.slp_typb, &why);
    if (ret == -EINVAL)
        report(env, info, "%s at %#llx: %s", rec->signature, (unsigned long long)rec->address,
               why);
    return ret;
}

static void find_s5(const struct acpi_env *env, struct acpi_info *info, size_t dsdt_index)
{
    if (dsdt_index < info->table_count && s5_in(env, info, &info->tables[dsdt_index]) == 0) {
        info->s5.present = true;
        return;
    }
    for (size_t i = 0; i < info->table_count; i++) {
        const struct acpi_table *rec = &info->tables[i];
        if (rec->status == ACPI_TABLE_OK && strcmp(rec->signature, "SSDT") == 0 &&
            s5_in(env, info, rec) == 0) {
            info->s5.present = true;
            info->s5.from_ssdt = true;
            return;
        }
    }
    if (info->fadt.present && !info->fadt.hw_reduced)
        report(env, info, "no \\_S5 object found: no ACPI power-off");
}

static const uint8_t *load_root(const struct acpi_env *env, struct acpi_info *info,
                                const struct acpi_rsdp *rsdp, uint32_t *len)
{
    const uint8_t *root;

    if (rsdp->revision >= 2 && rsdp->xsdt) {
        root = load_table(env, info, rsdp->xsdt, "XSDT", "XSDT", NULL, len);
        if (root) {
            info->xsdt = true;
            info->root_address = rsdp->xsdt;
            return root;
        }
        if (!rsdp->rsdt)
            return NULL;
        report(env, info, "falling back to the RSDT at %#llx", (unsigned long long)rsdp->rsdt);
    }
    if (!rsdp->rsdt) {
        report(env, info, "the RSDP gives no RSDT address");
        return NULL;
    }
    root = load_table(env, info, rsdp->rsdt, "RSDT", "RSDT", NULL, len);
    if (root)
        info->root_address = rsdp->rsdt;
    return root;
}

int acpi_parse(const struct acpi_env *env, const struct acpi_rsdp *rsdp, struct acpi_info *out)
{
    const uint8_t *root;
    uint32_t root_len = 0;
    size_t entsize, count, dsdt_index = SIZE_MAX;

    memset(out, 0, sizeof(*out));
    out->rsdp = *rsdp;
    root = load_root(env, out, rsdp, &root_len);
    if (!root)
        return -EINVAL;
    out->root_length = root_len;
    entsize = out->xsdt ? 8 : 4;
    count = (root_len - HDR_LEN) / entsize;
    if ((root_len - HDR_LEN) % entsize)
        report(env, out, "%s has %zu stray bytes at its end", out->xsdt ? "XSDT" : "RSDT",
               (size_t)((root_len - HDR_LEN) % entsize));

    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = root + HDR_LEN + i * entsize;
        uint64_t pa = out->xsdt ? rd64(e) : rd32(e);
        struct acpi_table *rec;
        const uint8_t *t;
        uint32_t len;

        if (pa == 0) {
            report(env, out, "%s entry %zu is a null address; skipped",
                   out->xsdt ? "XSDT" : "RSDT", i);
            continue;
        }
        rec = new_record(env, out, pa);
        if (!rec)
            break;
        t = load_table(env, out, pa, "table", NULL, rec, &len);
        if (t)
            dispatch(env, out, t, len, pa);
    }

    if (out->fadt.present && out->fadt.dsdt) {
        struct acpi_table *rec = new_record(env, out, out->fadt.dsdt);
        uint32_t len;
        if (rec) {
            dsdt_index = (size_t)(rec - out->tables);
            load_table(env, out, out->fadt.dsdt, "DSDT", "DSDT", rec, &len);
        }
    } else if (out->fadt.present) {
        report(env, out, "the FADT gives no DSDT address");
    }
    if (out->fadt.present && out->fadt.facs)
        record_facs(env, out, out->fadt.facs);
    if (out->fadt.present)
        find_s5(env, out, dsdt_index < out->table_count &&
                out->tables[dsdt_index].status == ACPI_TABLE_OK ? dsdt_index : SIZE_MAX);
    return 0;
}

const struct acpi_table *acpi_info_table(const struct acpi_info *info, const char *sig)
{
    for (size_t i = 0; i < info->table_count; i++)
        if (info->tables[i].status == ACPI_TABLE_OK && strcmp(info->tables[i].signature, sig) == 0)
            return &info->tables[i];
    return NULL;
}
