/*
 * src/dev/pci_cfg.c - PCI configuration space access: ECAM (PCI Express
 * memory-mapped configuration, from the ACPI MCFG table) or the legacy
 * 0xCF8/0xCFC port pair.
 *
 * Part of dev; the interface is in include/dev/pci_cfg.h. pci_cfg_init
 * picks the mechanism once, before enumeration (dev/pci); ECAM windows are
 * mapped per bus as enumeration first reaches them (pci_cfg_ecam_function,
 * pci_cfg_raw_read32). The port pair is used under pci_cfg_lock, one
 * address-then-data access at a time.
 */
#include <core/cmdline.h>
#include <core/mmio.h>
#include <core/printk.h>
#include <core/x86.h>
#include <dev/acpi.h>
#include <dev/pci.h>
#include <dev/pci_cfg.h>
#include <mm/vmm.h>
#include <core/spinlock.h>

CMDLINE_PARAM(pci_noecam, "pci.noecam", CMDLINE_FLAG, 0, 0,
              "reach PCI configuration space through the 0xCF8 ports even when ACPI offers ECAM");

#define PCI_CFG_ADDRESS_PORT    0xcf8
#define PCI_CFG_DATA_PORT       0xcfc
#define PCI_CFG_ENABLE          (1u << 31)
#define PCI_BUSES               256
#define ECAM_BUS_SIZE           (1u << 20)  /* 32 slots * 8 functions * 4 KiB */

/* The 0xCF8/0xCFC pair: one address-then-data access at a time. A leaf. */
static spinlock_t pci_cfg_lock = SPINLOCK_INIT("pci_cfg_lock");

static bool pci_ecam;                       /* configuration through ECAM */
static uint64_t ecam_base;                  /* segment 0's ECAM, bus 0 */
static uint8_t ecam_start_bus, ecam_end_bus;
static volatile uint8_t *ecam_window[PCI_BUSES];    /* mapped per bus */

/* ---- configuration access ------------------------------------------------ */

static uint32_t port_address(uint8_t bus, uint8_t slot, uint8_t func, uint8_t off)
{
    return PCI_CFG_ENABLE | ((uint32_t)bus << 16) | ((uint32_t)slot << 11) |
           ((uint32_t)func << 8) | (off & 0xfcu);
}

uint32_t pci_cfg_read32_ports(uint8_t bus, uint8_t slot, uint8_t func, uint8_t off)
{
    uint64_t flags = spin_lock_irqsave(&pci_cfg_lock);
    uint32_t v;

    outl(PCI_CFG_ADDRESS_PORT, port_address(bus, slot, func, off));
    v = inl(PCI_CFG_DATA_PORT);
    spin_unlock_irqrestore(&pci_cfg_lock, flags);
    return v;
}

static void port_write32(uint8_t bus, uint8_t slot, uint8_t func, uint8_t off, uint32_t v)
{
    uint64_t flags = spin_lock_irqsave(&pci_cfg_lock);

    outl(PCI_CFG_ADDRESS_PORT, port_address(bus, slot, func, off));
    outl(PCI_CFG_DATA_PORT, v);
    spin_unlock_irqrestore(&pci_cfg_lock, flags);
}

/* The ECAM window of bus (mapped on first use during enumeration), or NULL. */
static volatile uint8_t *ecam_bus(uint8_t bus)
{
    if (!pci_ecam || bus < ecam_start_bus || bus > ecam_end_bus)
        return NULL;
    if (!ecam_window[bus]) {
        void *w = vmm_ioremap(ecam_base + ((uint64_t)bus << 20), ECAM_BUS_SIZE,
                              VMM_WRITE | VMM_NOCACHE);
        if (!w) {
            pr_err("pci: cannot map the ECAM window of bus %02x", bus);
            return NULL;
        }
        ecam_window[bus] = w;
    }
    return ecam_window[bus];
}

/*
 * Raw 32-bit access to a function by address, before a struct pci_dev
 * exists (enumeration). Through ECAM when the bus is in its range.
 */
uint32_t pci_cfg_raw_read32(uint8_t bus, uint8_t slot, uint8_t func, uint16_t off)
{
    volatile uint8_t *w = ecam_bus(bus);

    if (w)
        return mmio_read32(w, ((uint32_t)slot << 15) + ((uint32_t)func << 12) + off);
    return pci_cfg_read32_ports(bus, slot, func, (uint8_t)off);
}

volatile uint8_t *pci_cfg_ecam_function(uint8_t bus, uint8_t slot, uint8_t func)
{
    volatile uint8_t *w = ecam_bus(bus);

    return w ? w + ((uint32_t)slot << 15) + ((uint32_t)func << 12) : NULL;
}

/*
 * Is a width-byte access at off inside dev's configuration space and
 * aligned? The first bad one per device is reported (a loop of them would
 * flood the log); dev is never really const: every pci_dev is pci.c's.
 */
static bool cfg_offset_ok(const struct pci_dev *dev, uint16_t off, unsigned width)
{
    if (off % width == 0 && off + width <= dev->cfg_size)
        return true;
    if (!dev->cfg_warned) {
        ((struct pci_dev *)dev)->cfg_warned = true;
        pr_warn("pci %02x:%02x.%u: bad configuration access: %u bytes at %#x (reported once)",
                dev->bus, dev->slot, dev->func, width, off);
    }
    return false;
}

uint32_t pci_cfg_read32(const struct pci_dev *dev, uint16_t off)
{
    if (!cfg_offset_ok(dev, off, 4))
        return 0xffffffffu;
    if (dev->ecam)
        return mmio_read32(dev->ecam, off);
    return pci_cfg_read32_ports(dev->bus, dev->slot, dev->func, (uint8_t)off);
}

uint16_t pci_cfg_read16(const struct pci_dev *dev, uint16_t off)
{
    if (!cfg_offset_ok(dev, off, 2))
        return 0xffff;
    if (dev->ecam)
        return mmio_read16(dev->ecam, off);
    return (uint16_t)(pci_cfg_read32(dev, off & ~3u) >> ((off & 2) * 8));
}

uint8_t pci_cfg_read8(const struct pci_dev *dev, uint16_t off)
{
    if (!cfg_offset_ok(dev, off, 1))
        return 0xff;
    if (dev->ecam)
        return mmio_read8(dev->ecam, off);
    return (uint8_t)(pci_cfg_read32(dev, off & ~3u) >> ((off & 3) * 8));
}

void pci_cfg_write32(const struct pci_dev *dev, uint16_t off, uint32_t v)
{
    if (!cfg_offset_ok(dev, off, 4))
        return;
    if (dev->ecam)
        mmio_write32(dev->ecam, off, v);
    else
        port_write32(dev->bus, dev->slot, dev->func, (uint8_t)off, v);
}

/*
 * Narrow writes through the ports are read-modify-write of the dword: the
 * port mechanism moves 32 bits. Safe for the registers drivers write this
 * way (command, capability control words), whose neighbours are read-only
 * or write-1-to-clear status bits that read back as 0 here... except
 * PCI_STATUS, so the command register is written with status bits masked.
 */
static void cfg_write_narrow(const struct pci_dev *dev, uint16_t off, uint32_t v, unsigned width)
{
    uint32_t shift = (off & 3u) * 8, mask = (width == 1 ? 0xffu : 0xffffu) << shift;
    uint32_t old;
    uint64_t flags;

    flags = spin_lock_irqsave(&pci_cfg_lock);
    outl(PCI_CFG_ADDRESS_PORT, port_address(dev->bus, dev->slot, dev->func, (uint8_t)off));
    old = inl(PCI_CFG_DATA_PORT);
    if ((off & ~3u) == PCI_COMMAND)
        old &= 0x0000ffffu;     /* never write 1s back into the RW1C status bits */
    outl(PCI_CFG_DATA_PORT, (old & ~mask) | ((v << shift) & mask));
    spin_unlock_irqrestore(&pci_cfg_lock, flags);
}

void pci_cfg_write16(const struct pci_dev *dev, uint16_t off, uint16_t v)
{
    if (!cfg_offset_ok(dev, off, 2))
        return;
    if (dev->ecam)
        mmio_write16(dev->ecam, off, v);
    else
        cfg_write_narrow(dev, off, v, 2);
}

void pci_cfg_write8(const struct pci_dev *dev, uint16_t off, uint8_t v)
{
    if (!cfg_offset_ok(dev, off, 1))
        return;
    if (dev->ecam)
        mmio_write8(dev->ecam, off, v);
    else
        cfg_write_narrow(dev, off, v, 1);
}

bool pci_cfg_using_ecam(void)
{
    return pci_ecam;
}

/* Picks segment 0's ECAM range from the MCFG, unless told not to. */
void pci_cfg_init(void)
{
    const struct acpi_info *a = acpi_get();

    if (cmdline_has(cmdline_boot(), "pci.noecam")) {
        pr_info("pci: ECAM off (pci.noecam); using the 0xCF8 ports");
        return;
    }
    if (!a || !a->has_mcfg) {
        pr_info("pci: no MCFG table; using the 0xCF8 ports");
        return;
    }
    for (size_t i = 0; i < a->mcfg_count; i++) {
        const struct acpi_mcfg_entry *e = &a->mcfg[i];

        if (e->segment != 0)
            continue;
        if (e->start_bus > e->end_bus || (e->base & (ECAM_BUS_SIZE - 1))) {
            pr_warn("pci: MCFG entry %zu is invalid (buses %u-%u at %#llx); ignored", i,
                    e->start_bus, e->end_bus, (unsigned long long)e->base);
            continue;
        }
        /* base is where bus 0 would be, even when the range starts later */
        ecam_base = e->base;
        ecam_start_bus = e->start_bus;
        ecam_end_bus = e->end_bus;
        pci_ecam = true;
        pr_info("pci: ECAM at %#llx for buses %02x-%02x", (unsigned long long)e->base,
                e->start_bus, e->end_bus);
        return;
    }
    pr_info("pci: the MCFG has no usable entry for segment 0; using the 0xCF8 ports");
}
