/*
 * src/dev/platform.c - interrupt bring-up for PCs (see include/dev/platform.h).
 *
 * Part of dev. Glues dev/pic, dev/apic and dev/ioapic under core/irq's
 * struct irq_chip. Every interrupt is delivered to the boot CPU for now;
 * the SMP work spreads them.
 */
#include <dev/platform.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <dev/apic.h>
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
        printk(LOG_ERR, "apic: no local APIC (%d); interrupts stay off", err);
        return err;
    }
    boot_apic_id = apic_id();
    for (size_t i = 0; i < topo.ioapic_count; i++) {
        err = ioapic_add(topo.ioapics[i].id, topo.ioapics[i].addr, topo.ioapics[i].gsi_base);
        if (err)
            printk(LOG_WARNING, "ioapic: I/O APIC %u at %#llx unusable (%d); skipped",
                   topo.ioapics[i].id, (unsigned long long)topo.ioapics[i].addr, err);
    }
    if (ioapic_count() == 0) {
        printk(LOG_ERR, "ioapic: no working I/O APIC; interrupts stay off");
        return -ENODEV;
    }
    irq_set_chip(&pc_chip);
    printk(LOG_INFO, "apic: local APIC %u in %s mode; %zu I/O APIC(s), %zu ISA overrides%s",
           boot_apic_id, apic_is_x2apic() ? "x2APIC" : "xAPIC", ioapic_count(),
           topo.override_count, t ? "" : " (standard PC assumed: no MADT)");
    return 0;
}
