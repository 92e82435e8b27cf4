/*
 * src/dev/platform.c - interrupt bring-up for PCs (see include/dev/platform.h).
 *
 * Part of dev. Glues dev/pic, core/apic and dev/ioapic under core/irq's
 * struct irq_chip. Every interrupt is delivered to the boot CPU for now;
 * the SMP work spreads them.
 */
#include <dev/platform.h>
#include <core/apic.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <dev/acpi.h>
#include <dev/ioapic.h>
#include <dev/pic.h>

#define PC_IOAPIC_ADDR  0xFEC00000ull

static struct platform_topology topo;
static uint32_t boot_apic_id;

static const struct platform_topology pc_default = {
    .ioapics = { { .id = 0, .addr = PC_IOAPIC_ADDR, .gsi_base = 0 } },
    .ioapic_count = 1,
    .overrides = { { .irq = 0, .gsi = 2, .flags = 0 } },
    .override_count = 1,
};

static int route_gsi(uint32_t gsi, uint8_t vector, unsigned flags)
{
    return ioapic_route(gsi, vector, flags, boot_apic_id);
}

static uint32_t legacy_to_gsi(unsigned irq, unsigned *flags)
{
    for (size_t i = 0; i < topo.override_count; i++)
        if (topo.overrides[i].irq == irq) {
            *flags = topo.overrides[i].flags;
            return topo.overrides[i].gsi;
        }
    *flags = 0;                 /* ISA default: edge, active high */
    return irq;
}

static const struct irq_chip pc_chip = {
    .route_gsi = route_gsi,
    .mask_gsi = ioapic_mask,
    .eoi = apic_eoi,
    .legacy_to_gsi = legacy_to_gsi,
};

int platform_init_interrupts(const struct platform_topology *t)
{
    int err;

    topo = t ? *t : pc_default;
    pic_disable();
    err = apic_init_cpu();
    if (err) {
        pr_err("apic: no local APIC (%d); interrupts stay off", err);
        return err;
    }
    boot_apic_id = apic_id();
    for (size_t i = 0; i < topo.ioapic_count; i++) {
        err = ioapic_add(topo.ioapics[i].id, topo.ioapics[i].addr, topo.ioapics[i].gsi_base);
        if (err)
            pr_warn("ioapic: I/O APIC %u at %#llx unusable (%d); skipped",
                    topo.ioapics[i].id, (unsigned long long)topo.ioapics[i].addr, err);
    }
    if (ioapic_count() == 0) {
        pr_err("ioapic: no working I/O APIC; interrupts stay off");
        return -ENODEV;
    }
    irq_set_chip(&pc_chip);
    pr_info("apic: local APIC %u in %s mode; %zu I/O APIC(s), %zu ISA overrides%s",
            boot_apic_id, apic_is_x2apic() ? "x2APIC" : "xAPIC", ioapic_count(),
            topo.override_count, t ? "" : " (standard PC assumed: no MADT)");
    return 0;
}

bool platform_topology_from_acpi(struct platform_topology *t)
{
    const struct acpi_info *a = acpi_get();

    if (!a || !a->has_madt || a->ioapic_count == 0)
        return false;
    *t = (struct platform_topology){ 0 };
    for (size_t i = 0; i < a->ioapic_count && i < PLATFORM_MAX_IOAPICS; i++) {
        t->ioapics[i].id = a->ioapics[i].id;
        t->ioapics[i].addr = a->ioapics[i].address;
        t->ioapics[i].gsi_base = a->ioapics[i].gsi_base;
        t->ioapic_count++;
    }
    for (size_t i = 0; i < a->override_count && t->override_count < PLATFORM_MAX_OVERRIDES; i++) {
        const struct acpi_override *o = &a->overrides[i];
        unsigned flags = 0;
        if (o->bus != 0 || o->source >= 16)
            continue;                   /* only ISA IRQs are overridden */
        if (o->trigger == ACPI_TRIGGER_LEVEL)
            flags |= IRQ_LEVEL;
        if (o->polarity == ACPI_POLARITY_LOW)
            flags |= IRQ_ACTIVE_LOW;
        t->overrides[t->override_count].irq = o->source;
        t->overrides[t->override_count].gsi = o->gsi;
        t->overrides[t->override_count].flags = flags;
        t->override_count++;
    }
    return true;
}

size_t platform_cpu_apic_ids(uint32_t *ids, size_t max)
{
    const struct acpi_info *a = acpi_get();
    size_t n = 0;

    if (!a || !a->has_madt)
        return 0;
    for (size_t i = 0; i < a->cpu_count && n < max; i++)
        if (a->cpus[i].enabled)
            ids[n++] = a->cpus[i].apic_id;
    return n;
}

uint64_t platform_hpet_address(void)
{
    const struct acpi_info *a = acpi_get();

    return a && a->hpet.present ? a->hpet.address : 0;
}
