/*
 * src/dev/tests/acpi_ktests.c - in-kernel tests of dev/acpi on the machine
 * QEMU gives us.
 *
 * Part of dev's ktests. They check what acpi_init found against what QEMU
 * builds: the CPU count QEMU reports through fw_cfg (and the boot CPU's own
 * APIC ID), one I/O APIC at 0xfec00000 with GSI base 0, the ISA IRQ 0 ->
 * GSI 2 override, the HPET at 0xfed00000 exactly when one answers there
 * (-machine hpet=off has none), MCFG only on q35 (told apart by
 * the host bridge's PCI ID), and the FADT fields power-off needs. Every
 * table recorded as valid is mapped again here and its checksum re-summed.
 * A machine without ACPI (-no-acpi: the loader found no RSDP, and neither
 * did acpi_init) skips them; ACPI that the loader found but acpi_init
 * refused fails them.
 */
#include <core/ktest.h>
#include <core/multiboot2.h>
#include <core/x86.h>
#include <dev/acpi.h>
#include <core/layout.h>
#include <mm/pmm.h>
#include <mm/vmm.h>

#define IOAPIC_BASE     0xfec00000u
#define HPET_BASE       0xfed00000u
#define Q35_MCFG_BASE   0xb0000000u

#define FW_CFG_SELECTOR 0x510
#define FW_CFG_DATA     0x511
#define FW_CFG_SIGNATURE 0x00
#define FW_CFG_NB_CPUS  0x05

/* QEMU's fw_cfg value of key (n <= 4 bytes, little endian), or -1 without fw_cfg. */
static long fw_cfg_read(uint16_t key, unsigned n)
{
    uint32_t v = 0;

    outw(FW_CFG_SELECTOR, FW_CFG_SIGNATURE);
    if (inb(FW_CFG_DATA) != 'Q' || inb(FW_CFG_DATA) != 'E' || inb(FW_CFG_DATA) != 'M' ||
        inb(FW_CFG_DATA) != 'U')
        return -1;
    outw(FW_CFG_SELECTOR, key);
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)inb(FW_CFG_DATA) << (8 * i);
    return (long)v;
}

/* Vendor and device ID of PCI 00:00.0 (the host bridge). */
static uint32_t host_bridge_id(void)
{
    outl(0xcf8, 0x80000000u);
    return inl(0xcfc);
}

#define PCI_ID_Q35      0x29c08086u     /* Intel 82G33/Q35 MCH */
#define PCI_ID_I440FX   0x12378086u     /* Intel 440FX */

static const struct acpi_info *need_acpi(void)
{
    const struct acpi_info *a = acpi_get();

    if (!a && !mb2_boot_info()->rsdp)
        KT_SKIP("no ACPI: the loader handed over no RSDP and none was found");
    KT_ASSERT_NOT_NULL(a);
    return a;
}

KTEST(acpi, tables_found_and_checksummed)
{
    const struct acpi_info *a = need_acpi();

    KT_EXPECT_GE(a->table_count, 4u);
    KT_EXPECT_TRUE(acpi_info_table(a, "FACP") != NULL);
    KT_EXPECT_TRUE(acpi_info_table(a, "APIC") != NULL);
    KT_EXPECT_TRUE(acpi_info_table(a, "DSDT") != NULL);
    KT_EXPECT_EQ(a->problems, 0u);
    for (size_t i = 0; i < a->table_count; i++) {
        const struct acpi_table *t = &a->tables[i];
        const uint8_t *p;
        void *io = NULL;

        KT_EXPECT_EQ(t->status, ACPI_TABLE_OK);
        if (t->status != ACPI_TABLE_OK || strcmp(t->signature, "FACS") == 0)
            continue;   /* the FACS has no checksum */
        if (pmm_is_ram(t->address, t->length))
            p = phys_to_virt(t->address);
        else
            p = io = vmm_ioremap(t->address, t->length, 0);
        KT_ASSERT_NOT_NULL(p);
        KT_EXPECT_EQ(acpi_checksum(p, t->length), 0);
        KT_EXPECT_EQ(memcmp(p, t->signature, 4), 0);
        if (io)
            vmm_iounmap(io);
    }
}

KTEST(acpi, madt_cpus_match_qemu)
{
    const struct acpi_info *a = need_acpi();
    uint32_t bsp_apic_id = cpuid(1, 0).ebx >> 24;
    long nb_cpus = fw_cfg_read(FW_CFG_NB_CPUS, 2);
    bool bsp_listed = false;

    KT_ASSERT_TRUE(a->has_madt);
    KT_EXPECT_GE(a->cpus_enabled, 1u);
    KT_EXPECT_EQ(a->lapic_address, 0xfee00000u);
    if (nb_cpus > 0)
        KT_EXPECT_EQ(a->cpus_enabled, (size_t)nb_cpus);
    for (size_t i = 0; i < a->cpu_count; i++)
        if (a->cpus[i].enabled && a->cpus[i].apic_id == bsp_apic_id)
            bsp_listed = true;
    KT_EXPECT_TRUE(bsp_listed);
    /* QEMU wires LINT1 of every CPU to NMI */
    KT_EXPECT_GE(a->nmi_count, 1u);
}

KTEST(acpi, madt_one_ioapic)
{
    const struct acpi_info *a = need_acpi();

    KT_ASSERT_EQ(a->ioapic_count, 1u);
    KT_EXPECT_EQ(a->ioapics[0].address, IOAPIC_BASE);
    KT_EXPECT_EQ(a->ioapics[0].gsi_base, 0u);
}

KTEST(acpi, madt_irq0_goes_to_gsi2)
{
    const struct acpi_info *a = need_acpi();
    bool found = false;

    for (size_t i = 0; i < a->override_count; i++) {
        const struct acpi_override *o = &a->overrides[i];
        if (o->bus == 0 && o->source == 0) {
            KT_EXPECT_EQ(o->gsi, 2u);
            found = true;
        }
        if (o->bus == 0 && o->source == 9) {    /* the SCI: level, active high */
            KT_EXPECT_EQ(o->trigger, ACPI_TRIGGER_LEVEL);
            KT_EXPECT_EQ(o->polarity, ACPI_POLARITY_HIGH);
        }
    }
    KT_EXPECT_TRUE(found);
}

/*
 * The HPET's general capabilities register (vendor, timer count) read at
 * the standard address, or 0 when no HPET answers there (-machine hpet=off:
 * the bus then reads all ones).
 */
static uint32_t hpet_capabilities(void)
{
    volatile uint32_t *regs = vmm_ioremap(HPET_BASE, 8, 0);
    uint32_t cap;

    if (!regs)
        return 0;
    cap = regs[0];
    vmm_iounmap((void *)regs);
    return cap == 0xffffffffu ? 0 : cap;
}

KTEST(acpi, hpet_matches_the_hardware)
{
    const struct acpi_info *a = need_acpi();
    uint32_t cap = hpet_capabilities();

    if (!cap) {
        KT_EXPECT_FALSE(a->hpet.present);
        return;
    }
    KT_ASSERT_TRUE(a->hpet.present);
    KT_EXPECT_EQ(a->hpet.address, HPET_BASE);
    KT_EXPECT_EQ(a->hpet.comparators, ((cap >> 8) & 0x1f) + 1);
    KT_EXPECT_EQ(a->hpet.pci_vendor, cap >> 16);
    KT_EXPECT_GE(a->hpet.comparators, 3u);
}

KTEST(acpi, mcfg_on_q35_only)
{
    const struct acpi_info *a = need_acpi();
    uint32_t id = host_bridge_id();

    if (id == PCI_ID_Q35) {
        KT_ASSERT_EQ(a->mcfg_count, 1u);
        KT_EXPECT_EQ(a->mcfg[0].base, Q35_MCFG_BASE);
        KT_EXPECT_EQ(a->mcfg[0].segment, 0u);
        KT_EXPECT_EQ(a->mcfg[0].start_bus, 0u);
        KT_EXPECT_EQ(a->mcfg[0].end_bus, 255u);
    } else {
        KT_EXPECT_EQ(id, PCI_ID_I440FX);
        KT_EXPECT_EQ(a->mcfg_count, 0u);
    }
}

KTEST(acpi, fadt_has_what_poweroff_needs)
{
    const struct acpi_info *a = need_acpi();

    KT_ASSERT_TRUE(a->fadt.present);
    KT_EXPECT_FALSE(a->fadt.hw_reduced);
    KT_EXPECT_EQ(a->fadt.sci_irq, 9u);
    KT_EXPECT_EQ(a->fadt.pm1a_cnt.space, ACPI_GAS_IO);
    KT_EXPECT_NE(a->fadt.pm1a_cnt.address, 0u);
    KT_EXPECT_EQ(a->fadt.pm1_cnt_len, 2u);
    KT_EXPECT_TRUE(a->s5.present);
    KT_EXPECT_LE(a->s5.slp_typa, 7u);
    if (host_bridge_id() == PCI_ID_Q35) {
        KT_EXPECT_TRUE(a->fadt.reset_supported);
        KT_EXPECT_EQ(a->fadt.reset_reg.address, 0xcf9u);
    }
}
