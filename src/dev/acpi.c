/*
 * src/dev/acpi.c - ACPI in the kernel: table discovery at boot, the
 * acpi.dump hex dump, power-off and reboot (see include/dev/acpi.h).
 *
 * Part of dev. The parsing itself is dev/acpi_parse (pure, host-tested);
 * this file supplies its map callback, logs what it found, and drives the
 * hardware: PM1 control blocks, the reset register, the 8042, SMI_CMD.
 *
 * Mapping: a range the PMM calls RAM (ACPI reclaim/NVS memory under UEFI,
 * low memory) is read through the direct map; anything else (SeaBIOS keeps
 * its tables in e820 "reserved" memory) through vmm_ioremap windows, each
 * stretched over up to 16 following non-RAM pages because tables cluster.
 * The windows live only while acpi_init runs. Addresses beyond the CPU's
 * physical address width are refused, so a wild table pointer reads as
 * "cannot map" instead of faulting.
 */
#include <dev/acpi.h>
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/multiboot2.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <core/layout.h>
#include <mm/pmm.h>
#include <mm/vmm.h>

CMDLINE_PARAM(acpi_dump, "acpi.dump", CMDLINE_FLAG, 0, 0,
              "print every ACPI table as hex lines (for test fixtures)");
CMDLINE_PARAM(acpi_poweroff_at_boot, "acpi.poweroff_at_boot", CMDLINE_FLAG, 0, 0,
              "power the machine off through ACPI once boot is complete (tests)");
CMDLINE_PARAM(acpi_reboot_at_boot, "acpi.reboot_at_boot", CMDLINE_FLAG, 0, 0,
              "reboot the machine once boot is complete (tests)");

static struct acpi_info info;
static bool ready;
static bool init_done;

/* ---- mapping ----------------------------------------------------------------- */

#define MAP_WINDOWS         48
#define MAP_STRETCH_PAGES   16

/* Written only during acpi_init's parse, on the boot CPU in the boot thread; no lock. */
struct map_window {
    uint64_t base, end;         /* physical, page aligned */
    uint8_t *va;
};
static struct map_window windows[MAP_WINDOWS];
static size_t window_count;
static uint64_t phys_limit;     /* 1 << MAXPHYADDR */

static uint64_t cpu_phys_limit(void)
{
    unsigned bits = 36;         /* the architectural default without the leaf */

    if (cpuid(0x80000000u, 0).eax >= 0x80000008u)
        bits = cpuid(0x80000008u, 0).eax & 0xff;
    if (bits < 32 || bits > 52)
        bits = 36;
    return 1ull << bits;
}

static bool page_has_ram(uint64_t page)
{
    return pmm_is_ram(page, 1) || pmm_is_ram(page + PAGE_SIZE - 1, 1);
}

static const void *acpi_map(void *ctx, uint64_t pa, size_t len)
{
    uint64_t base, end;
    struct map_window *w;
    uint8_t *va;

    (void)ctx;
    if (len == 0 || pa >= phys_limit || len > phys_limit - pa)
        return NULL;
    if (pmm_is_ram(pa, len))
        return phys_to_virt(pa);
    for (size_t i = 0; i < window_count; i++) {
        w = &windows[i];
        if (pa >= w->base && pa + len <= w->end)
            return w->va + (pa - w->base);
    }
    if (window_count == MAP_WINDOWS)
        return NULL;
    base = ALIGN_DOWN(pa, PAGE_SIZE);
    end = ALIGN_UP(pa + len, PAGE_SIZE);
    for (int n = 0; n < MAP_STRETCH_PAGES && end + PAGE_SIZE <= phys_limit && !page_has_ram(end);
         n++)
        end += PAGE_SIZE;
    va = vmm_ioremap(base, (size_t)(end - base), 0);
    if (!va)
        return NULL;
    w = &windows[window_count++];
    w->base = base;
    w->end = end;
    w->va = va;
    return va + (pa - base);
}

static void unmap_all(void)
{
    for (size_t i = 0; i < window_count; i++)
        vmm_iounmap(windows[i].va);
    window_count = 0;
}

static void acpi_report(void *ctx, const char *message)
{
    (void)ctx;
    pr_warn("acpi: %s", message);
}

static const struct acpi_env env = { .map = acpi_map, .report = acpi_report, .ctx = NULL };

/* ---- acpi.dump ------------------------------------------------------------------ */

/*
 * Format (one printk line each; dump2fixture.py turns them into a fixture):
 *   acpi.dump: begin
 *   acpi.dump: rsdp <hex bytes>                     the RSDP used
 *   acpi.dump: rsdp-at <address>                    where it was found (BIOS scan)
 *   acpi.dump: table <SIG> <address> <length> <status>
 *   acpi.dump: mem <address> <up to 32 bytes of hex>
 *   acpi.dump: end <tables>
 * Addresses are hex with 0x; a table that cannot be mapped has no mem lines.
 */
#define DUMP_LINE_BYTES 32

static void dump_bytes(uint64_t pa, const uint8_t *p, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char line[DUMP_LINE_BYTES * 2 + 1];

    for (size_t off = 0; off < len; off += DUMP_LINE_BYTES) {
        size_t n = MIN((size_t)DUMP_LINE_BYTES, len - off);
        for (size_t i = 0; i < n; i++) {
            line[2 * i] = hex[p[off + i] >> 4];
            line[2 * i + 1] = hex[p[off + i] & 0xf];
        }
        line[2 * n] = '\0';
        pr_info("acpi.dump: mem %#llx %s", (unsigned long long)(pa + off), line);
    }
}

static void dump_table(const char *sig, uint64_t pa, uint32_t len, const char *status)
{
    const uint8_t *p;

    pr_info("acpi.dump: table %s %#llx %u %s", sig, (unsigned long long)pa, len, status);
    if (len < sizeof(struct acpi_sdt_header) || len > ACPI_TABLE_MAX_LEN)
        len = sizeof(struct acpi_sdt_header);   /* the header shows what is wrong */
    p = acpi_map(NULL, pa, len);
    if (p)
        dump_bytes(pa, p, len);
}

static void dump_root(const char *sig, uint64_t pa)
{
    const uint8_t *h = acpi_map(NULL, pa, sizeof(struct acpi_sdt_header));
    uint32_t len;

    if (!h) {
        pr_info("acpi.dump: table %s %#llx 0 cannot be mapped", sig,
                (unsigned long long)pa);
        return;
    }
    len = (uint32_t)h[4] | ((uint32_t)h[5] << 8) | ((uint32_t)h[6] << 16) |
          ((uint32_t)h[7] << 24);
    dump_table(sig, pa, len, "root");
}

static void dump_all(const struct acpi_rsdp *rsdp, const void *rsdp_bytes)
{
    char line[2 * sizeof(struct acpi_rsdp_raw) + 1];
    const uint8_t *b = rsdp_bytes;
    static const char hex[] = "0123456789abcdef";
    size_t n = MIN((size_t)rsdp->length, sizeof(struct acpi_rsdp_raw));

    pr_info("acpi.dump: begin");
    for (size_t i = 0; i < n; i++) {
        line[2 * i] = hex[b[i] >> 4];
        line[2 * i + 1] = hex[b[i] & 0xf];
    }
    line[2 * n] = '\0';
    pr_info("acpi.dump: rsdp %s", line);
    if (rsdp->address != ACPI_RSDP_LOADER_COPY)
        pr_info("acpi.dump: rsdp-at %#llx", (unsigned long long)rsdp->address);
    if (rsdp->revision >= 2 && rsdp->xsdt)
        dump_root("XSDT", rsdp->xsdt);
    if (rsdp->rsdt)
        dump_root("RSDT", rsdp->rsdt);
    for (size_t i = 0; i < info.table_count; i++) {
        const struct acpi_table *t = &info.tables[i];
        dump_table(t->signature, t->address, t->length,
                   t->status == ACPI_TABLE_OK ? "ok" : "skipped");
    }
    pr_info("acpi.dump: end %zu", info.table_count);
}

/* ---- the boot summary ------------------------------------------------------------ */

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static const char *gas_space_name(uint8_t space)
{
    switch (space) {
    case ACPI_GAS_MEMORY:       return "mem";
    case ACPI_GAS_IO:           return "io";
    case ACPI_GAS_PCI_CONFIG:   return "pci";
    default:                    return "space?";
    }
}

static void log_summary(const char *source)
{
    char list[ACPI_MAX_TABLES * 6 + 1];
    size_t pos = 0;
    const struct acpi_fadt *f = &info.fadt;

    list[0] = '\0';
    for (size_t i = 0; i < info.table_count && pos + 7 < sizeof(list); i++) {
        const struct acpi_table *t = &info.tables[i];
        pos += strlcpy(list + pos, " ", sizeof(list) - pos);
        pos += strlcpy(list + pos, t->signature, sizeof(list) - pos);
        if (t->status != ACPI_TABLE_OK)
            pos += strlcpy(list + pos, "!", sizeof(list) - pos);
    }
    pr_info("acpi: RSDP v%u %s, %zu %s:%s", info.rsdp.revision >= 2 ? 2 : 1,
            info.xsdt ? "XSDT" : "RSDT", info.table_count,
            plural(info.table_count, "table", "tables"), list);
    pr_info("acpi: RSDP %s, OEM '%s', %s at %#llx", source, info.rsdp.oem_id,
            info.xsdt ? "XSDT" : "RSDT", (unsigned long long)info.root_address);

    if (info.has_madt) {
        size_t disabled = info.cpu_count - info.cpus_enabled;
        pr_info("acpi: MADT %zu %s%s, %zu I/O %s, %zu %s; local APIC at %#llx",
                info.cpus_enabled, plural(info.cpus_enabled, "CPU", "CPUs"),
                disabled ? " (and more disabled)" : "", info.ioapic_count,
                plural(info.ioapic_count, "APIC", "APICs"), info.override_count,
                plural(info.override_count, "override", "overrides"),
                (unsigned long long)info.lapic_address);
        for (size_t i = 0; i < info.cpu_count; i++)
            pr_debug("acpi:   CPU uid %u %sAPIC ID %u%s", info.cpus[i].uid,
                     info.cpus[i].x2apic ? "x2" : "", info.cpus[i].apic_id,
                     info.cpus[i].enabled ? "" : " (disabled)");
        for (size_t i = 0; i < info.ioapic_count; i++)
            pr_info("acpi:   I/O APIC %u at %#x, GSI base %u", info.ioapics[i].id,
                    info.ioapics[i].address, info.ioapics[i].gsi_base);
        for (size_t i = 0; i < info.override_count; i++) {
            static const char *const pol[] = { "conforming", "high", "?", "low" };
            static const char *const trig[] = { "conforming", "edge", "?", "level" };
            const struct acpi_override *o = &info.overrides[i];
            pr_debug("acpi:   bus %u IRQ %u -> GSI %u, %s, active %s", o->bus,
                     o->source, o->gsi, trig[o->trigger & 3], pol[o->polarity & 3]);
        }
    } else {
        pr_warn("acpi: no MADT");
    }
    if (info.hpet.present)
        pr_info("acpi: HPET %u at %#llx, %u comparators, minimum tick %u",
                info.hpet.number, (unsigned long long)info.hpet.address, info.hpet.comparators,
                info.hpet.min_tick);
    else
        pr_info("acpi: no HPET table");
    for (size_t i = 0; i < info.mcfg_count; i++)
        pr_info("acpi: MCFG segment %u buses %u-%u at %#llx", info.mcfg[i].segment,
                info.mcfg[i].start_bus, info.mcfg[i].end_bus,
                (unsigned long long)info.mcfg[i].base);
    if (f->present) {
        pr_info("acpi: FADT rev %u%s: SCI IRQ %u, PM1a_CNT %s %#llx, reset %s%s %#llx "
                "<- %#x, S5 %s %u/%u", f->revision, f->hw_reduced ? " (hardware-reduced)" : "",
                f->sci_irq, gas_space_name(f->pm1a_cnt.space),
                (unsigned long long)f->pm1a_cnt.address,
                f->reset_supported ? "" : "(unsupported) ", gas_space_name(f->reset_reg.space),
                (unsigned long long)f->reset_reg.address, f->reset_value,
                info.s5.present ? "SLP_TYP" : "missing", info.s5.slp_typa, info.s5.slp_typb);
    } else {
        pr_warn("acpi: no FADT: no ACPI power-off or reset register");
    }
}

/* ---- acpi_init ---------------------------------------------------------------- */

static int find_rsdp(const struct boot_info *bi, struct acpi_rsdp *rsdp, const void **bytes,
                     const char **source)
{
    const char *why;

    if (bi->rsdp) {
        if (acpi_rsdp_check(bi->rsdp, bi->rsdp_size, rsdp, &why) == 0) {
            *bytes = bi->rsdp;
            *source = "from the loader";
            return 0;
        }
        pr_warn("acpi: the loader's RSDP copy is unusable: %s", why);
    }
    if (bi->efi)
        pr_warn("acpi: UEFI boot without a usable RSDP from the loader; scanning "
                "the BIOS area as a last resort");
    if (acpi_rsdp_scan(&env, rsdp) != 0)
        return -ENOENT;
    *bytes = acpi_map(NULL, rsdp->address, rsdp->length);
    *source = "found in the BIOS area";
    return *bytes ? 0 : -ENOENT;
}

int acpi_init(const struct boot_info *bi)
{
    struct acpi_rsdp rsdp;
    const void *rsdp_bytes = NULL;
    const char *source = "";
    int err;

    if (init_done)
        return -EALREADY;
    init_done = true;
    phys_limit = cpu_phys_limit();
    err = find_rsdp(bi, &rsdp, &rsdp_bytes, &source);
    if (err == 0) {
        err = acpi_parse(&env, &rsdp, &info);
        if (err == 0) {
            ready = true;
            log_summary(source);
        }
        if (cmdline_has(cmdline_boot(), "acpi.dump"))
            dump_all(&rsdp, rsdp_bytes);
    }
    unmap_all();
    return err;
}

const struct acpi_info *acpi_get(void)
{
    return ready ? &info : NULL;
}

/* ---- register access ------------------------------------------------------------ */

#define PCI_CONFIG_ADDRESS  0xcf8
#define PCI_CONFIG_DATA     0xcfc

static uint32_t port_read(uint16_t port, unsigned bits)
{
    return bits == 8 ? inb(port) : bits == 16 ? inw(port) : inl(port);
}

static void port_write(uint16_t port, unsigned bits, uint32_t v)
{
    if (bits == 8)
        outb(port, (uint8_t)v);
    else if (bits == 16)
        outw(port, (uint16_t)v);
    else
        outl(port, v);
}

static uint32_t mmio_read(const volatile void *va, unsigned bits)
{
    return bits == 8 ? *(const volatile uint8_t *)va
         : bits == 16 ? *(const volatile uint16_t *)va : *(const volatile uint32_t *)va;
}

static void mmio_write(volatile void *va, unsigned bits, uint32_t v)
{
    if (bits == 8)
        *(volatile uint8_t *)va = (uint8_t)v;
    else if (bits == 16)
        *(volatile uint16_t *)va = (uint16_t)v;
    else
        *(volatile uint32_t *)va = v;
}

/*
 * Reads or writes the register g describes, bits (8, 16 or 32) wide.
 * Returns 0, or -EOPNOTSUPP for an address space or address it cannot reach.
 */
static int gas_access(const struct acpi_gas *g, unsigned bits, uint32_t *val, bool write)
{
    switch (g->space) {
    case ACPI_GAS_IO:
        if (g->address > 0xffff)
            return -EOPNOTSUPP;
        if (write)
            port_write((uint16_t)g->address, bits, *val);
        else
            *val = port_read((uint16_t)g->address, bits);
        return 0;
    case ACPI_GAS_MEMORY: {
        void *va;
        if (g->address == 0 || g->address >= phys_limit || (g->address & (bits / 8 - 1)))
            return -EOPNOTSUPP;
        va = vmm_ioremap(g->address, bits / 8, VMM_WRITE);
        if (!va)
            return -EOPNOTSUPP;
        if (write)
            mmio_write(va, bits, *val);
        else
            *val = mmio_read(va, bits);
        vmm_iounmap(va);
        return 0;
    }
    case ACPI_GAS_PCI_CONFIG: {
        /* segment 0, bus 0; address = device << 32 | function << 16 | offset */
        uint32_t dev = (uint32_t)(g->address >> 32) & 0x1f;
        uint32_t fn = (uint32_t)(g->address >> 16) & 0x7;
        uint32_t off = (uint32_t)g->address & 0xff;
        if (bits != 8)
            return -EOPNOTSUPP;
        outl(PCI_CONFIG_ADDRESS, 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc));
        if (write)
            outb((uint16_t)(PCI_CONFIG_DATA + (off & 3)), (uint8_t)*val);
        else
            *val = inb((uint16_t)(PCI_CONFIG_DATA + (off & 3)));
        return 0;
    }
    default:
        return -EOPNOTSUPP;
    }
}

static int gas_read(const struct acpi_gas *g, unsigned bits, uint32_t *val)
{
    return gas_access(g, bits, val, false);
}

static int gas_write(const struct acpi_gas *g, unsigned bits, uint32_t val)
{
    return gas_access(g, bits, &val, true);
}

/* ---- power-off ---------------------------------------------------------------- */

#define ACPI_ENABLE_WAIT_NS     (300ull * 1000 * 1000)
#define POWEROFF_WAIT_NS        (500ull * 1000 * 1000)
#define RESET_WAIT_NS           (200ull * 1000 * 1000)

/* Puts the chipset in ACPI mode (SCI_EN) if the firmware left it in legacy mode. */
static void enable_acpi_mode(const struct acpi_fadt *f)
{
    uint32_t v = 0;
    uint64_t deadline;

    if (!f->smi_cmd || !f->acpi_enable || f->smi_cmd > 0xffff)
        return;         /* no SMI_CMD: the machine is always in ACPI mode */
    if (gas_read(&f->pm1a_cnt, 16, &v) != 0 || (v & ACPI_PM1_SCI_EN))
        return;
    pr_info("acpi: enabling ACPI mode (SMI_CMD %#x <- %#x)", f->smi_cmd, f->acpi_enable);
    outb((uint16_t)f->smi_cmd, f->acpi_enable);
    deadline = tsc_ns_since_boot() + ACPI_ENABLE_WAIT_NS;
    while (tsc_ns_since_boot() < deadline) {
        if (gas_read(&f->pm1a_cnt, 16, &v) == 0 && (v & ACPI_PM1_SCI_EN))
            return;
        cpu_relax();
    }
    pr_warn("acpi: SCI_EN still clear after the ACPI enable request");
}

static void pm1_write_sleep(const struct acpi_gas *cnt, uint8_t typ, bool enable)
{
    uint32_t v = 0;

    if (!cnt->address)
        return;
    gas_read(cnt, 16, &v);
    v &= ~(ACPI_PM1_SLP_TYP_MASK | ACPI_PM1_SLP_EN);
    v |= (uint32_t)typ << ACPI_PM1_SLP_TYP_SHIFT;
    if (enable)
        v |= ACPI_PM1_SLP_EN;
    gas_write(cnt, 16, v);
}

int acpi_poweroff(void)
{
    const struct acpi_fadt *f = &info.fadt;
    uint64_t flags;

    if (!ready || !f->present)
        return -ENODEV;
    if (!info.s5.present)
        return -EOPNOTSUPP;
    if (f->hw_reduced ? !f->sleep_control.address : !f->pm1a_cnt.address)
        return -EOPNOTSUPP;

    pr_notice("acpi: powering off");
    flags = irq_save();
    if (f->hw_reduced) {
        gas_write(&f->sleep_control, 8,
                  ((uint32_t)info.s5.slp_typa << ACPI_SLEEP_TYP_SHIFT) | ACPI_SLEEP_EN);
    } else {
        enable_acpi_mode(f);
        /* SLP_TYP into both blocks first, then SLP_EN (as ACPICA does) */
        pm1_write_sleep(&f->pm1a_cnt, info.s5.slp_typa, false);
        pm1_write_sleep(&f->pm1b_cnt, info.s5.slp_typb, false);
        pm1_write_sleep(&f->pm1a_cnt, info.s5.slp_typa, true);
        pm1_write_sleep(&f->pm1b_cnt, info.s5.slp_typb, true);
    }
    tsc_delay_ns(POWEROFF_WAIT_NS);
    irq_restore(flags);
    pr_err("acpi: power-off had no effect");
    return -EIO;
}

/* ---- reboot ------------------------------------------------------------------- */

#define I8042_STATUS        0x64
#define I8042_COMMAND       0x64
#define I8042_INPUT_FULL    (1u << 1)
#define I8042_PULSE_RESET   0xfe

int acpi_reboot(void)
{
    const struct acpi_fadt *f = &info.fadt;
    struct desc_ptr no_idt = { 0, 0 };

    pr_notice("acpi: rebooting");
    irq_disable();
    if (ready && f->present && f->reset_supported) {
        pr_info("acpi: reboot: FADT reset register (%s %#llx <- %#x)",
                gas_space_name(f->reset_reg.space), (unsigned long long)f->reset_reg.address,
                f->reset_value);
        if (gas_write(&f->reset_reg, 8, f->reset_value) == 0)
            tsc_delay_ns(RESET_WAIT_NS);
        pr_warn("acpi: reboot: the FADT reset register had no effect");
    }
    pr_info("acpi: reboot: keyboard controller reset line");
    for (int i = 0; i < 100000 && (inb(I8042_STATUS) & I8042_INPUT_FULL); i++)
        io_wait();
    outb(I8042_COMMAND, I8042_PULSE_RESET);
    tsc_delay_ns(RESET_WAIT_NS);
    pr_warn("acpi: reboot: the keyboard controller had no effect; triple faulting");
    /* no IDT: the breakpoint cannot be delivered, nor the #GP and #DF after it */
    x86_lidt(&no_idt);
    x86_int3();
    return -EIO;
}

static acpi_shutdown_fn shutdown_hook;     /* [a] set at boot by fs */

acpi_shutdown_fn acpi_set_shutdown_hook(acpi_shutdown_fn fn)
{
    return __atomic_exchange_n(&shutdown_hook, fn, __ATOMIC_ACQ_REL);
}

int acpi_prepare_shutdown(void)
{
    acpi_shutdown_fn fn = __atomic_load_n(&shutdown_hook, __ATOMIC_ACQUIRE);
    int err;

    if (!fn)
        return 0;
    err = fn();
    if (err)
        pr_err("acpi: preparing for power-off: %s; going on", errno_name(err));
    return err;
}

void acpi_boot_actions(void)
{
    const struct cmdline *cl = cmdline_boot();
    int err;

    if (cmdline_has(cl, "acpi.poweroff_at_boot")) {
        (void)acpi_prepare_shutdown();
        err = acpi_poweroff();
        pr_err("acpi: power-off failed: %s", errno_name(err));
    }
    if (cmdline_has(cl, "acpi.reboot_at_boot")) {
        (void)acpi_prepare_shutdown();
        err = acpi_reboot();
        pr_err("acpi: reboot failed: %s", errno_name(err));
    }
}
