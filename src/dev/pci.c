/*
 * src/dev/pci.c - the PCI bus: configuration access (ECAM or 0xCF8 ports),
 * enumeration across bridges, capabilities, BAR sizing and mapping, MSI-X /
 * MSI / INTx interrupts, and driver binding.
 *
 * Part of dev; the interface and its contracts are in include/dev/pci.h.
 * Layers, bottom up:
 *   configuration access  cfg_addr_* (ECAM windows mapped per bus at
 *                         enumeration) or the port pair under pci_cfg_lock
 *   enumeration           scan_bus -> scan_function -> size_bars, walk_caps;
 *                         bridges recurse into their secondary bus
 *   interrupts            pci_irq_alloc / pci_irq_request over core/irq
 *   driver model          pci_register_driver binds matching devices
 *   shell                 `pci [-v]`
 */
#include <core/atomic.h>
#include <core/cmdline.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/mmio.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/string.h>
#include <core/x86.h>
#include <dev/acpi.h>
#include <dev/pci.h>
#include <mm/kmalloc.h>
#include <mm/vmm.h>
#include <core/spinlock.h>
#include <sched/sync.h>

CMDLINE_PARAM(pci_noecam, "pci.noecam", CMDLINE_FLAG, 0, 0,
              "reach PCI configuration space through the 0xCF8 ports even when ACPI offers ECAM");

#define PCI_CFG_ADDRESS_PORT    0xcf8
#define PCI_CFG_DATA_PORT       0xcfc
#define PCI_CFG_ENABLE          (1u << 31)
#define PCI_BUSES               256
#define PCI_SLOTS               32
#define PCI_FUNCS               8
#define ECAM_BUS_SIZE           (1u << 20)  /* 32 slots * 8 functions * 4 KiB */

/* Message address for xAPIC physical destination (Intel SDM 3, 11.11.1). */
#define MSI_ADDRESS_BASE        0xfee00000u
#define MSI_ADDRESS_DEST_SHIFT  12

/* Guards the driver list and every device's binding; see pci.h. */
static struct mutex pci_lock = MUTEX_INIT("pci_lock");
/* The 0xCF8/0xCFC pair: one address-then-data access at a time. A leaf. */
static spinlock_t pci_cfg_lock = SPINLOCK_INIT("pci_cfg_lock");

static struct pci_dev *pci_list;            /* enumeration order; fixed after pci_init */
static struct pci_dev **pci_list_tail = &pci_list;
static size_t pci_count;
static struct pci_driver *pci_drivers;      /* [pci_lock] */
static int pci_init_result = 1;             /* 1: not yet run */
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
static uint32_t raw_read32(uint8_t bus, uint8_t slot, uint8_t func, uint16_t off)
{
    volatile uint8_t *w = ecam_bus(bus);

    if (w)
        return mmio_read32(w, ((uint32_t)slot << 15) + ((uint32_t)func << 12) + off);
    return pci_cfg_read32_ports(bus, slot, func, (uint8_t)off);
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

bool pci_using_ecam(void)
{
    return pci_ecam;
}

/* ---- enumeration ------------------------------------------------------------ */

/*
 * A BAR's size from the address bits that stuck at 1: its lowest set bit
 * (not ~mask + 1, which a BAR with hard-wired upper zeroes would make huge).
 */
static uint64_t bar_size(uint64_t mask)
{
    return mask & (~mask + 1);
}

/*
 * Sizes every BAR: write all ones, read back the mask, restore. Decoding
 * is off meanwhile so the device never answers at the probe address.
 */
static void size_bars(struct pci_dev *dev)
{
    unsigned nbars = dev->header_type == 0 ? 6 : dev->header_type == 1 ? 2 : 0;
    uint16_t cmd = pci_cfg_read16(dev, PCI_COMMAND);
    uint64_t irq = irq_save();

    pci_cfg_write16(dev, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    for (unsigned i = 0; i < nbars; i++) {
        uint16_t off = PCI_BAR0 + 4 * i;
        uint32_t orig = pci_cfg_read32(dev, off), mask;
        struct pci_bar *b = &dev->bar[i];

        pci_cfg_write32(dev, off, 0xffffffffu);
        mask = pci_cfg_read32(dev, off);
        pci_cfg_write32(dev, off, orig);
        if (mask == 0 || mask == 0xffffffffu)
            continue;               /* no BAR here */
        if (orig & 1) {
            uint32_t m = mask & ~3u;

            if (!(m & 0xffff0000u))
                m |= 0xffff0000u;   /* 16-bit I/O decoder */
            b->io = true;
            b->base = orig & ~3u;
            b->size = bar_size(m);
            continue;
        }
        b->prefetch = orig & 8;
        b->base = orig & ~0xfu;
        if (((orig >> 1) & 3) == 2 && i + 1 < nbars) {
            uint32_t orig_hi = pci_cfg_read32(dev, off + 4), mask_hi;
            uint64_t m;

            pci_cfg_write32(dev, off + 4, 0xffffffffu);
            mask_hi = pci_cfg_read32(dev, off + 4);
            pci_cfg_write32(dev, off + 4, orig_hi);
            m = ((uint64_t)mask_hi << 32) | (mask & ~0xfu);
            b->mem64 = true;
            b->base |= (uint64_t)orig_hi << 32;
            b->size = bar_size(m);
            i++;                    /* the upper half is not a BAR of its own */
        } else {
            b->size = bar_size(mask & ~0xfu);
        }
    }
    pci_cfg_write16(dev, PCI_COMMAND, cmd);
    irq_restore(irq);
}

/* Records the capability list, cutting loops and overlong lists. */
static void walk_caps(struct pci_dev *dev)
{
    uint8_t seen[256 / 8] = {0};
    uint8_t ptr;

    if (!(pci_cfg_read16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return;
    ptr = pci_cfg_read8(dev, PCI_CAP_PTR) & 0xfc;
    while (ptr) {
        uint8_t id;

        if (ptr < 0x40 || (seen[ptr / 8] & (1u << (ptr % 8))) || dev->cap_count == PCI_MAX_CAPS) {
            dev->caps_truncated = true;
            pr_warn("pci %02x:%02x.%u: capability list cut at %#x (%s)", dev->bus, dev->slot,
                    dev->func, ptr, ptr < 0x40 ? "pointer into the header"
                    : dev->cap_count == PCI_MAX_CAPS ? "too many" : "loop");
            break;
        }
        seen[ptr / 8] |= (uint8_t)(1u << (ptr % 8));
        id = pci_cfg_read8(dev, ptr);
        dev->caps[dev->cap_count].id = id;
        dev->caps[dev->cap_count].offset = ptr;
        dev->cap_count++;
        if (id == PCI_CAP_MSI && !dev->msi_cap)
            dev->msi_cap = ptr;
        else if (id == PCI_CAP_MSIX && !dev->msix_cap)
            dev->msix_cap = ptr;
        else if (id == PCI_CAP_PCIE && !dev->pcie_cap)
            dev->pcie_cap = ptr;
        ptr = pci_cfg_read8(dev, ptr + 1) & 0xfc;
    }
    if (dev->msix_cap)
        dev->msix_table_size = (pci_cfg_read16(dev, dev->msix_cap + PCI_MSIX_CTRL) &
                                PCI_MSIX_CTRL_SIZE_MASK) + 1;
}

uint8_t pci_find_cap(const struct pci_dev *dev, uint8_t id, uint8_t after)
{
    bool past = after == 0;

    for (unsigned i = 0; i < dev->cap_count; i++) {
        if (past && dev->caps[i].id == id)
            return dev->caps[i].offset;
        if (dev->caps[i].offset == after)
            past = true;
    }
    return 0;
}

static void scan_bus(uint8_t bus, uint8_t *visited);

static void scan_function(uint8_t bus, uint8_t slot, uint8_t func, uint8_t *visited)
{
    struct pci_dev *dev = kzalloc(sizeof(*dev));
    volatile uint8_t *w = ecam_bus(bus);
    uint32_t id, class_rev;

    if (!dev) {
        pr_err("pci %02x:%02x.%u: no memory for the device; skipped", bus, slot, func);
        return;
    }
    dev->bus = bus;
    dev->slot = slot;
    dev->func = func;
    dev->ecam = w ? w + ((uint32_t)slot << 15) + ((uint32_t)func << 12) : NULL;
    dev->cfg_size = w ? PCI_CFG_SIZE_ECAM : PCI_CFG_SIZE_LEGACY;
    id = pci_cfg_read32(dev, PCI_VENDOR_ID);
    dev->vendor = (uint16_t)id;
    dev->device = (uint16_t)(id >> 16);
    class_rev = pci_cfg_read32(dev, PCI_REVISION);
    dev->revision = (uint8_t)class_rev;
    dev->prog_if = (uint8_t)(class_rev >> 8);
    dev->subclass = (uint8_t)(class_rev >> 16);
    dev->class_code = (uint8_t)(class_rev >> 24);
    dev->header_type = pci_cfg_read8(dev, PCI_HEADER_TYPE) & 0x7f;
    dev->irq_line = pci_cfg_read8(dev, PCI_INTERRUPT_LINE);
    dev->irq_pin = pci_cfg_read8(dev, PCI_INTERRUPT_PIN);
    if (dev->irq_pin > 4)
        dev->irq_pin = 0;
    if (dev->header_type == 0) {
        dev->subsys_vendor = pci_cfg_read16(dev, PCI_SUBSYS_VENDOR);
        dev->subsys_id = pci_cfg_read16(dev, PCI_SUBSYS_ID);
    }
    for (unsigned i = 0; i < PCI_MSIX_MAX_VECTORS; i++)
        dev->irq_handle[i] = -1;
    size_bars(dev);
    walk_caps(dev);
    *pci_list_tail = dev;
    pci_list_tail = &dev->next;
    pci_count++;

    if (dev->header_type == 1) {
        uint8_t sec = pci_cfg_read8(dev, PCI_SECONDARY_BUS);

        dev->secondary_bus = sec;
        if (sec == 0 || sec <= bus)
            pr_warn("pci %02x:%02x.%u: bridge without a valid secondary bus (%u); "
                    "the firmware did not configure it, devices behind it are not seen",
                    bus, slot, func, sec);
        else
            scan_bus(sec, visited);
    }
}

static void scan_bus(uint8_t bus, uint8_t *visited)
{
    if (visited[bus / 8] & (1u << (bus % 8))) {
        pr_warn("pci: bus %02x reached twice (a bridge loop?); not rescanned", bus);
        return;
    }
    visited[bus / 8] |= (uint8_t)(1u << (bus % 8));
    for (uint8_t slot = 0; slot < PCI_SLOTS; slot++) {
        uint32_t id = raw_read32(bus, slot, 0, PCI_VENDOR_ID);
        unsigned nfunc = 1;

        if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
            continue;
        if ((raw_read32(bus, slot, 0, PCI_HEADER_TYPE & ~3u) >> 16) & PCI_HEADER_MULTIFUNC)
            nfunc = PCI_FUNCS;
        for (uint8_t func = 0; func < nfunc; func++) {
            id = raw_read32(bus, slot, func, PCI_VENDOR_ID);
            if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
                continue;
            scan_function(bus, slot, func, visited);
        }
    }
}

/* Picks segment 0's ECAM range from the MCFG, unless told not to. */
static void choose_config_mechanism(void)
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

int pci_init(void)
{
    static uint8_t visited[PCI_BUSES / 8];

    if (pci_init_result != 1)
        return pci_init_result;
    choose_config_mechanism();
    if (!pci_ecam && (pci_cfg_read32_ports(0, 0, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff) {
        /* a configuration mechanism #1 host bridge always answers at 00:00.0 */
        pr_warn("pci: no host bridge answers at 00:00.0; no PCI");
        pci_init_result = -ENODEV;
        return pci_init_result;
    }
    scan_bus(0, visited);
    pr_info("pci: %zu functions (%s)", pci_count, pci_ecam ? "ECAM" : "ports");
    pci_init_result = pci_count ? 0 : -ENODEV;
    return pci_init_result;
}

size_t pci_device_count(void)
{
    return pci_count;
}

struct pci_dev *pci_devices(void)
{
    return pci_list;
}

struct pci_dev *pci_find(uint8_t bus, uint8_t slot, uint8_t func)
{
    for (struct pci_dev *d = pci_list; d; d = d->next)
        if (d->bus == bus && d->slot == slot && d->func == func)
            return d;
    return NULL;
}

struct pci_dev *pci_find_id(uint16_t vendor, uint16_t device, unsigned n)
{
    for (struct pci_dev *d = pci_list; d; d = d->next)
        if (d->vendor == vendor && d->device == device && n-- == 0)
            return d;
    return NULL;
}

/* ---- BARs and enabling ------------------------------------------------------ */

void *pci_map_bar(struct pci_dev *dev, unsigned i)
{
    struct pci_bar *b;

    if (i >= PCI_MAX_BARS || !dev->bar[i].size) {
        pr_warn("pci %02x:%02x.%u: no BAR %u", dev->bus, dev->slot, dev->func, i);
        return NULL;
    }
    b = &dev->bar[i];
    if (b->virt)
        return b->virt;
    if (b->io || b->base == 0) {
        pr_warn("pci %02x:%02x.%u: BAR %u is %s; not mapped", dev->bus, dev->slot, dev->func,
                i, b->io ? "an I/O port range" : "unassigned by the firmware");
        return NULL;
    }
    b->virt = vmm_ioremap(b->base, b->size, VMM_WRITE | VMM_NOCACHE);
    if (!b->virt)
        pr_err("pci %02x:%02x.%u: cannot map BAR %u (%#llx, %llu bytes)", dev->bus, dev->slot,
               dev->func, i, (unsigned long long)b->base, (unsigned long long)b->size);
    return b->virt;
}

void pci_enable_device(struct pci_dev *dev)
{
    uint16_t cmd = pci_cfg_read16(dev, PCI_COMMAND);

    /*
     * Bus mastering is set whatever the firmware left: SeaBIOS and OVMF
     * each leave it on for some devices and off for others, and not the
     * same ones (the e1000e has it under OVMF, not under SeaBIOS). Without
     * it neither DMA nor an MSI write (a memory write to 0xFEExxxxx)
     * leaves the device.
     */
    cmd |= PCI_CMD_MEMORY | PCI_CMD_IO | PCI_CMD_BUS_MASTER;
    pci_cfg_write16(dev, PCI_COMMAND, cmd);
}

/* ---- interrupts --------------------------------------------------------------- */

const char *pci_irq_mode_name(enum pci_irq_mode mode)
{
    switch (mode) {
    case PCI_IRQ_MSIX: return "MSI-X";
    case PCI_IRQ_MSI:  return "MSI";
    case PCI_IRQ_INTX: return "INTx";
    default:           return "none";
    }
}

static void set_intx_disabled(struct pci_dev *dev, bool disabled)
{
    uint16_t cmd = pci_cfg_read16(dev, PCI_COMMAND);

    cmd = disabled ? (cmd | PCI_CMD_INTX_DISABLE) : (cmd & ~PCI_CMD_INTX_DISABLE);
    pci_cfg_write16(dev, PCI_COMMAND, cmd);
}

/* Sets or clears entry i's mask bit, keeping the reserved bits of Vector Control. */
static void msix_set_masked(struct pci_dev *dev, unsigned i, bool masked)
{
    volatile uint32_t *ctrl = &dev->msix_table[i * 4 + PCI_MSIX_ENTRY_CTRL];

    *ctrl = masked ? (*ctrl | PCI_MSIX_ENTRY_MASKED) : (*ctrl & ~PCI_MSIX_ENTRY_MASKED);
}

/* Maps the MSI-X table, masks every entry and enables MSI-X (function masked until done). */
static int msix_setup(struct pci_dev *dev)
{
    uint32_t table = pci_cfg_read32(dev, dev->msix_cap + PCI_MSIX_TABLE);
    unsigned bir = table & PCI_MSIX_BIR_MASK;
    uint32_t offset = table & ~PCI_MSIX_BIR_MASK;
    uint16_t ctrl;
    uint8_t *bar;

    if (bir >= PCI_MAX_BARS || (uint64_t)offset + dev->msix_table_size * PCI_MSIX_ENTRY_SIZE >
        dev->bar[bir].size) {
        pr_warn("pci %02x:%02x.%u: MSI-X table outside BAR %u; MSI-X not used", dev->bus,
                dev->slot, dev->func, bir);
        return -ENODEV;
    }
    bar = pci_map_bar(dev, bir);
    if (!bar)
        return -ENODEV;
    dev->msix_table = (volatile uint32_t *)(uintptr_t)(bar + offset);
    ctrl = pci_cfg_read16(dev, dev->msix_cap + PCI_MSIX_CTRL);
    pci_cfg_write16(dev, dev->msix_cap + PCI_MSIX_CTRL, ctrl | PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_FUNC_MASK);
    for (unsigned i = 0; i < dev->msix_table_size; i++)
        msix_set_masked(dev, i, true);
    set_intx_disabled(dev, true);
    pci_cfg_write16(dev, dev->msix_cap + PCI_MSIX_CTRL,
                    (ctrl | PCI_MSIX_CTRL_ENABLE) & ~PCI_MSIX_CTRL_FUNC_MASK);
    return 0;
}

int pci_irq_alloc(struct pci_dev *dev, unsigned min, unsigned max, unsigned flags)
{
    if (min == 0 || min > max || max > PCI_MSIX_MAX_VECTORS || !(flags & PCI_IRQ_ALLOW_ALL))
        return -EINVAL;
    if (dev->irq_mode != PCI_IRQ_NONE)
        return -EBUSY;
    if ((flags & PCI_IRQ_ALLOW_MSIX) && dev->msix_cap && dev->msix_table_size >= min &&
        msix_setup(dev) == 0) {
        dev->irq_mode = PCI_IRQ_MSIX;
        dev->irq_count = max < dev->msix_table_size ? max : dev->msix_table_size;
        return (int)dev->irq_count;
    }
    if ((flags & PCI_IRQ_ALLOW_MSI) && dev->msi_cap && min == 1) {
        dev->irq_mode = PCI_IRQ_MSI;
        dev->irq_count = 1;
        return 1;
    }
    if ((flags & PCI_IRQ_ALLOW_INTX) && dev->irq_pin && min == 1) {
        if (dev->irq_line == 0xff || dev->irq_line == 0) {
            pr_warn("pci %02x:%02x.%u: INT%c# has no interrupt line from the firmware",
                    dev->bus, dev->slot, dev->func, 'A' + dev->irq_pin - 1);
            return -ENODEV;
        }
        dev->irq_mode = PCI_IRQ_INTX;
        dev->irq_count = 1;
        return 1;
    }
    return -ENODEV;
}

static uint32_t msi_address(void)
{
    /* every device interrupt goes to the boot CPU */
    return MSI_ADDRESS_BASE | (cpu_get(0)->apic_id << MSI_ADDRESS_DEST_SHIFT);
}

static void msi_program(struct pci_dev *dev, uint8_t vector)
{
    uint16_t ctrl = pci_cfg_read16(dev, dev->msi_cap + PCI_MSI_CTRL);

    pci_cfg_write32(dev, dev->msi_cap + PCI_MSI_ADDR_LO, msi_address());
    if (ctrl & PCI_MSI_CTRL_64BIT) {
        pci_cfg_write32(dev, dev->msi_cap + PCI_MSI_ADDR_HI, 0);
        pci_cfg_write16(dev, dev->msi_cap + PCI_MSI_DATA_64, vector);
    } else {
        pci_cfg_write16(dev, dev->msi_cap + PCI_MSI_DATA_32, vector);
    }
    /* a vector left masked (by firmware, or an earlier user) would only ever set its pending bit */
    if (ctrl & PCI_MSI_CTRL_PVM)
        pci_cfg_write32(dev, dev->msi_cap + (ctrl & PCI_MSI_CTRL_64BIT ? PCI_MSI_MASK_64
                                                                       : PCI_MSI_MASK_32), 0);
    set_intx_disabled(dev, true);
    /* one message: MME = 0 */
    pci_cfg_write16(dev, dev->msi_cap + PCI_MSI_CTRL,
                    (ctrl & ~PCI_MSI_CTRL_MME_MASK) | PCI_MSI_CTRL_ENABLE);
}

int pci_irq_request(struct pci_dev *dev, unsigned index, bool (*fn)(void *ctx), void *ctx,
                    const char *name)
{
    uint8_t vector = 0;
    int h;

    if (!fn || index >= dev->irq_count || dev->irq_mode == PCI_IRQ_NONE)
        return -EINVAL;
    if (dev->irq_handle[index] >= 0)
        return -EBUSY;
    if (dev->irq_mode == PCI_IRQ_INTX) {
        /*
         * The firmware's line is an ISA IRQ number in PIC terms; core/irq
         * applies the MADT's override for it (QEMU marks the PCI lines 5,
         * 9, 10 and 11 level-triggered). Lines above 15 are GSIs.
         */
        if (dev->irq_line < 16)
            h = irq_request_legacy(dev->irq_line, fn, ctx, name, IRQ_SHARED);
        else
            h = irq_request_gsi(dev->irq_line, fn, ctx, name,
                                IRQ_SHARED | IRQ_LEVEL | IRQ_ACTIVE_LOW);
        if (h < 0)
            return h;
        dev->irq_handle[index] = h;
        set_intx_disabled(dev, false);
        return 0;
    }
    h = irq_request_vector(fn, ctx, name, &vector);
    if (h < 0)
        return h;
    dev->irq_handle[index] = h;
    dev->irq_vector[index] = vector;
    if (dev->irq_mode == PCI_IRQ_MSI) {
        msi_program(dev, vector);
    } else {
        volatile uint32_t *e = dev->msix_table + index * 4;

        e[PCI_MSIX_ENTRY_ADDR_LO] = msi_address();
        e[PCI_MSIX_ENTRY_ADDR_HI] = 0;
        e[PCI_MSIX_ENTRY_DATA] = vector;       /* fixed delivery, edge */
        msix_set_masked(dev, index, false);
        (void)e[PCI_MSIX_ENTRY_CTRL];          /* posted write: flush before use */
    }
    return 0;
}

void pci_irq_free(struct pci_dev *dev)
{
    if (dev->irq_mode == PCI_IRQ_MSIX && dev->msix_table) {
        for (unsigned i = 0; i < dev->msix_table_size; i++)
            msix_set_masked(dev, i, true);
        pci_cfg_write16(dev, dev->msix_cap + PCI_MSIX_CTRL,
                        pci_cfg_read16(dev, dev->msix_cap + PCI_MSIX_CTRL) & ~PCI_MSIX_CTRL_ENABLE);
    } else if (dev->irq_mode == PCI_IRQ_MSI) {
        pci_cfg_write16(dev, dev->msi_cap + PCI_MSI_CTRL,
                        pci_cfg_read16(dev, dev->msi_cap + PCI_MSI_CTRL) & ~PCI_MSI_CTRL_ENABLE);
    } else if (dev->irq_mode == PCI_IRQ_INTX) {
        set_intx_disabled(dev, true);
    }
    for (unsigned i = 0; i < PCI_MSIX_MAX_VECTORS; i++) {
        if (dev->irq_handle[i] >= 0)
            irq_free(dev->irq_handle[i]);
        dev->irq_handle[i] = -1;
        dev->irq_vector[i] = 0;
    }
    dev->irq_mode = PCI_IRQ_NONE;
    dev->irq_count = 0;
}

/* ---- driver model --------------------------------------------------------------- */

bool pci_id_matches(const struct pci_device_id *id, const struct pci_dev *dev)
{
    uint32_t cls = ((uint32_t)dev->class_code << 16) | ((uint32_t)dev->subclass << 8) |
                   dev->prog_if;

    if (id->vendor != PCI_ANY && id->vendor != dev->vendor)
        return false;
    if (id->device != PCI_ANY && id->device != dev->device)
        return false;
    return (cls & id->class_mask) == (id->class_code & id->class_mask);
}

/* Offers dev to drv; true if drv took it. pci_lock held. */
static bool try_bind(struct pci_driver *drv, struct pci_dev *dev)
{
    for (const struct pci_device_id *id = drv->ids; id->vendor; id++) {
        int err;

        if (!pci_id_matches(id, dev))
            continue;
        err = drv->probe(dev, id);
        if (err) {
            dev->probe_error = err;
            pr_warn("pci %02x:%02x.%u: %s did not take the device (%s)", dev->bus,
                    dev->slot, dev->func, drv->name, errno_name(err));
            return false;
        }
        dev->driver = drv;
        dev->probe_error = 0;
        pr_info("pci %02x:%02x.%u: bound to %s", dev->bus, dev->slot, dev->func, drv->name);
        return true;
    }
    return false;
}

int pci_register_driver(struct pci_driver *drv)
{
    int bound = 0;

    if (!drv || !drv->name || !drv->ids || !drv->probe)
        return -EINVAL;
    mutex_lock(&pci_lock);
    for (struct pci_driver *d = pci_drivers; d; d = d->next) {
        if (d == drv) {
            mutex_unlock(&pci_lock);
            return -EEXIST;
        }
    }
    drv->next = pci_drivers;
    pci_drivers = drv;
    for (struct pci_dev *dev = pci_list; dev; dev = dev->next)
        if (!dev->driver && try_bind(drv, dev))
            bound++;
    mutex_unlock(&pci_lock);
    return bound;
}

void pci_unregister_driver(struct pci_driver *drv)
{
    mutex_lock(&pci_lock);
    for (struct pci_driver **p = &pci_drivers; *p; p = &(*p)->next) {
        if (*p == drv) {
            *p = drv->next;
            break;
        }
    }
    for (struct pci_dev *dev = pci_list; dev; dev = dev->next) {
        if (dev->driver != drv)
            continue;
        if (drv->remove)
            drv->remove(dev);
        dev->driver = NULL;
        dev->driver_data = NULL;
    }
    drv->next = NULL;
    mutex_unlock(&pci_lock);
}

/* ---- names and the shell ---------------------------------------------------------- */

const char *pci_class_name(uint8_t class_code, uint8_t subclass)
{
    static const struct {
        uint8_t cls, sub;           /* sub 0xff: any */
        const char *name;
    } names[] = {
        {0x01, 0x01, "IDE interface"},      {0x01, 0x06, "SATA controller"},
        {0x01, 0x08, "NVM controller"},     {0x01, 0x00, "SCSI controller"},
        {0x01, 0xff, "Mass storage controller"},
        {0x02, 0x00, "Ethernet controller"}, {0x02, 0xff, "Network controller"},
        {0x03, 0x00, "VGA controller"},     {0x03, 0xff, "Display controller"},
        {0x04, 0xff, "Multimedia controller"}, {0x05, 0xff, "Memory controller"},
        {0x06, 0x00, "Host bridge"},        {0x06, 0x01, "ISA bridge"},
        {0x06, 0x04, "PCI bridge"},         {0x06, 0x80, "Bridge"},
        {0x06, 0xff, "Bridge"},             {0x07, 0xff, "Communication controller"},
        {0x08, 0xff, "System peripheral"},  {0x09, 0xff, "Input device controller"},
        {0x0c, 0x03, "USB controller"},     {0x0c, 0x05, "SMBus"},
        {0x0c, 0xff, "Serial bus controller"}, {0x10, 0xff, "Encryption controller"},
        {0xff, 0xff, "Unassigned class"},
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        if (names[i].cls == class_code && (names[i].sub == subclass || names[i].sub == 0xff))
            return names[i].name;
    return "Unclassified device";
}

static void print_device_detail(const struct pci_dev *d)
{
    for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
        const struct pci_bar *b = &d->bar[i];

        if (!b->size)
            continue;
        shell_printf("        BAR%u: %s at %#llx, %llu bytes%s%s\n", i,
                     b->io ? "I/O ports" : b->mem64 ? "memory (64-bit)" : "memory (32-bit)",
                     (unsigned long long)b->base, (unsigned long long)b->size,
                     b->prefetch ? ", prefetchable" : "", b->base ? "" : ", unassigned");
    }
    if (d->cap_count) {
        shell_printf("        capabilities:");
        for (unsigned i = 0; i < d->cap_count; i++)
            shell_printf(" %02x@%02x", d->caps[i].id, d->caps[i].offset);
        shell_printf("%s\n", d->caps_truncated ? " (cut)" : "");
    }
    if (d->msix_cap)
        shell_printf("        MSI-X: %u vectors\n", d->msix_table_size);
    if (d->irq_pin)
        shell_printf("        INT%c# line %u\n", 'A' + d->irq_pin - 1, d->irq_line);
    if (d->irq_mode != PCI_IRQ_NONE)
        shell_printf("        interrupts: %s, %u vector(s)\n", pci_irq_mode_name(d->irq_mode),
                     d->irq_count);
    if (d->header_type == 1)
        shell_printf("        secondary bus %02x\n", d->secondary_bus);
}

static int cmd_pci(int argc, char **argv)
{
    bool verbose = false;

    if (argc > 2 || (argc == 2 && strcmp(argv[1], "-v") != 0)) {
        shell_error("pci: unknown argument '%s'", argv[argc - 1]);
        return SHELL_USAGE;
    }
    verbose = argc == 2;
    if (pci_init_result != 0) {
        shell_printf("pci: no PCI bus found\n");
        return 0;
    }
    mutex_lock(&pci_lock);
    for (const struct pci_dev *d = pci_list; d; d = d->next) {
        shell_printf("%02x:%02x.%u %s [%02x%02x]: %04x:%04x (rev %02x)  %s\n", d->bus, d->slot,
                     d->func, pci_class_name(d->class_code, d->subclass), d->class_code,
                     d->subclass, d->vendor, d->device, d->revision,
                     d->driver ? d->driver->name : "(no driver)");
        if (verbose)
            print_device_detail(d);
    }
    mutex_unlock(&pci_lock);
    shell_printf("%zu functions, configuration through %s\n", pci_count,
                 pci_ecam ? "ECAM" : "the 0xCF8 ports");
    return 0;
}
SHELL_COMMAND("pci", "[-v]", "list PCI functions like lspci: address, class, IDs, driver (-v: BARs, "
              "capabilities, interrupts)", cmd_pci);
