/*
 * include/dev/platform.h - bringing up the PC's interrupt hardware.
 *
 * Part of dev. platform_init_interrupts switches the 8259s off, enables
 * the boot CPU's local APIC, registers the I/O APICs and the ISA IRQ
 * overrides the firmware described (the MADT), and installs the result as
 * core/irq's interrupt chip. Without a firmware description it assumes the
 * standard PC: one I/O APIC at 0xFEC00000 serving GSIs from 0, and ISA IRQ 0
 * wired to GSI 2 (as every PC chipset since the PIIX does).
 */
#ifndef BASALT_DEV_PLATFORM_H
#define BASALT_DEV_PLATFORM_H

#include <core/compiler.h>

#define PLATFORM_MAX_IOAPICS    16
#define PLATFORM_MAX_OVERRIDES  48

struct platform_topology {
    struct {
        uint8_t id;
        uint64_t addr;
        uint32_t gsi_base;
    } ioapics[PLATFORM_MAX_IOAPICS];
    size_t ioapic_count;
    struct {
        uint8_t irq;            /* ISA IRQ */
        uint32_t gsi;
        unsigned flags;         /* IRQ_LEVEL | IRQ_ACTIVE_LOW */
    } overrides[PLATFORM_MAX_OVERRIDES];
    size_t override_count;
};

/*
 * Sets up interrupts from t (NULL: the standard PC). Returns 0, or a
 * negative errno when no local APIC or no I/O APIC works; the kernel then
 * runs with interrupts off.
 */
int platform_init_interrupts(const struct platform_topology *t);

/* Fills t from the ACPI MADT; false when there is none (or it lists no I/O APIC). */
bool platform_topology_from_acpi(struct platform_topology *t);

/* The local APIC IDs of the usable CPUs the MADT lists (at most max); 0 without a MADT. */
size_t platform_cpu_apic_ids(uint32_t *ids, size_t max);

/* The HPET the firmware describes (ACPI HPET table), or 0 for none. */
uint64_t platform_hpet_address(void);

#endif
