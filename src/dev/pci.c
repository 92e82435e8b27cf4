/*
 * src/dev/pci.c - the PCI bus: enumeration across bridges, BAR sizing and
 * mapping, capabilities, and driver binding.
 *
 * Part of dev; the interface and its contracts are in include/dev/pci.h.
 * Layers, bottom up:
 *   configuration access  dev/pci_cfg (ECAM windows mapped per bus at
 *                         enumeration, or the port pair under pci_cfg_lock)
 *   enumeration           scan_bus -> scan_function -> size_bars, walk_caps
 *                         (decoding and the guarded walk are dev/pci_parse);
 *                         bridges recurse into their secondary bus
 *   interrupts            dev/pci_irq: pci_irq_alloc / pci_irq_request
 *   driver model          pci_register_driver binds matching devices
 *   shell                 `pci [-v]` is dev/pci_cmds
 */
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <core/x86.h>
#include <dev/pci.h>
#include <dev/pci_cfg.h>
#include <dev/pci_parse.h>
#include <mm/kmalloc.h>
#include <mm/vmm.h>
#include <sched/sync.h>

#define PCI_BUSES               256
#define PCI_SLOTS               32
#define PCI_FUNCS               8

/* Guards the driver list and every device's binding; see pci.h. */
static struct mutex pci_lock = MUTEX_INIT("pci_lock");

static struct pci_dev *pci_list;            /* enumeration order; fixed after pci_init */
static struct pci_dev **pci_list_tail = &pci_list;
static size_t pci_count;
static struct pci_driver *pci_drivers;      /* [pci_lock] */
static int pci_init_result = 1;             /* 1: not yet run */

/* ---- enumeration ------------------------------------------------------------ */

/* pci_parse's probe: the sizing sequence on one BAR register of dev. */
static uint32_t probe_bar(void *ctx, uint16_t off, uint32_t *orig)
{
    struct pci_dev *dev = ctx;
    uint32_t mask;

    *orig = pci_cfg_read32(dev, off);
    pci_cfg_write32(dev, off, 0xffffffffu);
    mask = pci_cfg_read32(dev, off);
    pci_cfg_write32(dev, off, *orig);
    return mask;
}

/*
 * Sizes every BAR: write all ones, read back the mask, restore. Decoding
 * is off meanwhile so the device never answers at the probe address.
 */
static void size_bars(struct pci_dev *dev)
{
    unsigned nbars = pci_parse_bar_count(dev->header_type);
    uint16_t cmd = pci_cfg_read16(dev, PCI_COMMAND);
    uint64_t irq = irq_save();

    pci_cfg_write16(dev, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
    pci_parse_bars(dev->bar, nbars, probe_bar, dev);
    pci_cfg_write16(dev, PCI_COMMAND, cmd);
    irq_restore(irq);
}

/* pci_parse's reader: a byte of dev's configuration space. */
static uint8_t read_cfg8(const void *ctx, uint16_t off)
{
    return pci_cfg_read8(ctx, off);
}

/* Records the capability list, cutting loops and overlong lists. */
static void walk_caps(struct pci_dev *dev)
{
    enum pci_parse_caps_end end;
    uint8_t cut_at = 0;

    if (!(pci_cfg_read16(dev, PCI_STATUS) & PCI_STATUS_CAP_LIST))
        return;
    end = pci_parse_caps(dev, read_cfg8, dev, &cut_at);
    if (end != PCI_PARSE_CAPS_END)
        pr_warn("pci %02x:%02x.%u: capability list cut at %#x (%s)", dev->bus, dev->slot,
                dev->func, cut_at, pci_parse_caps_end_name(end));
    if (dev->msix_cap)
        dev->msix_table_size = (pci_cfg_read16(dev, dev->msix_cap + PCI_MSIX_CTRL) &
                                PCI_MSIX_CTRL_SIZE_MASK) + 1;
}

uint8_t pci_find_cap(const struct pci_dev *dev, uint8_t id, uint8_t after)
{
    return pci_parse_find_cap(dev->caps, dev->cap_count, id, after);
}

static void scan_bus(uint8_t bus, uint8_t *visited);

static void scan_function(uint8_t bus, uint8_t slot, uint8_t func, uint8_t *visited)
{
    struct pci_dev *dev = kzalloc(sizeof(*dev));
    volatile uint8_t *ecam = pci_cfg_ecam_function(bus, slot, func);
    uint32_t id, class_rev;

    if (!dev) {
        pr_err("pci %02x:%02x.%u: no memory for the device; skipped", bus, slot, func);
        return;
    }
    dev->bus = bus;
    dev->slot = slot;
    dev->func = func;
    dev->ecam = ecam;
    dev->cfg_size = ecam ? PCI_CFG_SIZE_ECAM : PCI_CFG_SIZE_LEGACY;
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
        uint32_t id = pci_cfg_raw_read32(bus, slot, 0, PCI_VENDOR_ID);
        unsigned nfunc = 1;

        if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
            continue;
        if ((pci_cfg_raw_read32(bus, slot, 0, PCI_HEADER_TYPE & ~3u) >> 16) & PCI_HEADER_MULTIFUNC)
            nfunc = PCI_FUNCS;
        for (uint8_t func = 0; func < nfunc; func++) {
            id = pci_cfg_raw_read32(bus, slot, func, PCI_VENDOR_ID);
            if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
                continue;
            scan_function(bus, slot, func, visited);
        }
    }
}

int pci_init(void)
{
    static uint8_t visited[PCI_BUSES / 8];

    if (pci_init_result != 1)
        return pci_init_result;
    pci_cfg_init();
    if (!pci_cfg_using_ecam() &&
        (pci_cfg_read32_ports(0, 0, 0, PCI_VENDOR_ID) & 0xffff) == 0xffff) {
        /* a configuration mechanism #1 host bridge always answers at 00:00.0 */
        pr_warn("pci: no host bridge answers at 00:00.0; no PCI");
        pci_init_result = -ENODEV;
        return pci_init_result;
    }
    scan_bus(0, visited);
    pr_info("pci: %zu functions (%s)", pci_count, pci_cfg_using_ecam() ? "ECAM" : "ports");
    pci_init_result = pci_count ? 0 : -ENODEV;
    return pci_init_result;
}

void pci_lock_bindings(void)
{
    mutex_lock(&pci_lock);
}

void pci_unlock_bindings(void)
{
    mutex_unlock(&pci_lock);
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
static bool try_bind_locked(struct pci_driver *drv, struct pci_dev *dev)
{
    mutex_assert_held(&pci_lock);
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
        if (!dev->driver && try_bind_locked(drv, dev))
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
