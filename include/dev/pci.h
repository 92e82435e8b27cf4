/*
 * include/dev/pci.h - the PCI bus: enumeration, capabilities, BARs and the
 * driver model; configuration access (dev/pci_cfg) and interrupts
 * (dev/pci_irq) have headers of their own, included here.
 *
 * Part of dev. pci_init finds every function on every bus, following
 * PCI-to-PCI bridges from bus 0, through ECAM (PCI Express memory-mapped
 * configuration, from the ACPI MCFG table) or, without an MCFG or with
 * pci.noecam, the legacy 0xCF8/0xCFC ports (256 bytes of configuration
 * space per function, segment 0 only). It sizes every BAR and records the
 * capabilities (the decoding and the guarded list walk are the pure
 * dev/pci_parse); it never reassigns what the firmware set up.
 *
 * Drivers register a match table with pci_register_driver; every unbound
 * device that matches an entry (vendor, device, class under a mask) is
 * offered to the driver's probe, in enumeration order. The first driver
 * whose probe returns 0 owns the device (dev->driver). A device nobody
 * claims is listed by the `pci` shell command (dev/pci_cmds), never an
 * error.
 *
 * Interrupts: pci_irq_alloc picks MSI-X, else MSI (one vector), else INTx
 * (the firmware's interrupt line, shared and level-triggered through the
 * I/O APIC), and pci_irq_request attaches a handler to one of the vectors
 * through core/irq. MSI and MSI-X messages target the boot CPU.
 *
 * Locking: pci_lock (a mutex) guards the device list's bindings and the
 * driver list; enumeration runs once at boot before drivers. Configuration
 * reads and writes may be called from any context: ECAM needs no lock, the
 * port mechanism takes pci_cfg_lock (irqsave spinlock, a leaf lock).
 * A device's own fields below the "driver" line belong to its driver.
 */
#ifndef BASALT_DEV_PCI_H
#define BASALT_DEV_PCI_H

#include <core/compiler.h>
#include <dev/pci_cfg.h>
#include <dev/pci_irq.h>

/* Configuration header offsets (PCI Local Bus 3.0, 6.1). */
#define PCI_VENDOR_ID           0x00
#define PCI_DEVICE_ID           0x02
#define PCI_COMMAND             0x04
#define PCI_STATUS              0x06
#define PCI_REVISION            0x08
#define PCI_PROG_IF             0x09
#define PCI_SUBCLASS            0x0a
#define PCI_CLASS               0x0b
#define PCI_HEADER_TYPE         0x0e
#define PCI_BAR0                0x10
#define PCI_PRIMARY_BUS         0x18    /* type 1 */
#define PCI_SECONDARY_BUS       0x19
#define PCI_SUBORDINATE_BUS     0x1a
#define PCI_SUBSYS_VENDOR       0x2c    /* type 0 */
#define PCI_SUBSYS_ID           0x2e
#define PCI_CAP_PTR             0x34
#define PCI_INTERRUPT_LINE      0x3c
#define PCI_INTERRUPT_PIN       0x3d

#define PCI_CMD_IO              (1u << 0)
#define PCI_CMD_MEMORY          (1u << 1)
#define PCI_CMD_BUS_MASTER      (1u << 2)
#define PCI_CMD_INTX_DISABLE    (1u << 10)
#define PCI_STATUS_CAP_LIST     (1u << 4)

#define PCI_HEADER_MULTIFUNC    0x80

/* Capability IDs. */
#define PCI_CAP_PM              0x01
#define PCI_CAP_MSI             0x05
#define PCI_CAP_VENDOR          0x09
#define PCI_CAP_PCIE            0x10
#define PCI_CAP_MSIX            0x11

/* MSI capability fields (PCI 3.0, 6.8.1), from the capability's offset. */
#define PCI_MSI_CTRL            0x02
#define PCI_MSI_CTRL_ENABLE     (1u << 0)
#define PCI_MSI_CTRL_MME_MASK   (7u << 4)   /* messages enabled: log2 */
#define PCI_MSI_CTRL_64BIT      (1u << 7)
#define PCI_MSI_CTRL_PVM        (1u << 8)   /* per-vector masking: a mask register */
#define PCI_MSI_ADDR_LO         0x04
#define PCI_MSI_ADDR_HI         0x08        /* 64-bit capability */
#define PCI_MSI_DATA_32         0x08
#define PCI_MSI_DATA_64         0x0c
#define PCI_MSI_MASK_32         0x0c
#define PCI_MSI_MASK_64         0x10

/* MSI-X capability fields (PCI 3.0, 6.8.2) and table entries. */
#define PCI_MSIX_CTRL           0x02
#define PCI_MSIX_CTRL_ENABLE    (1u << 15)
#define PCI_MSIX_CTRL_FUNC_MASK (1u << 14)
#define PCI_MSIX_CTRL_SIZE_MASK 0x07ffu     /* table size - 1 */
#define PCI_MSIX_TABLE          0x04        /* offset in its BAR | BAR index (BIR) */
#define PCI_MSIX_PBA            0x08        /* pending bits: same layout */
#define PCI_MSIX_BIR_MASK       0x7u
#define PCI_MSIX_ENTRY_SIZE     16
#define PCI_MSIX_ENTRY_ADDR_LO  0           /* entry words (32-bit) */
#define PCI_MSIX_ENTRY_ADDR_HI  1
#define PCI_MSIX_ENTRY_DATA     2
#define PCI_MSIX_ENTRY_CTRL     3
#define PCI_MSIX_ENTRY_MASKED   1u

#define PCI_ANY                 0xffffu
#define PCI_MAX_BARS            6
#define PCI_MAX_CAPS            16
#define PCI_CFG_SIZE_LEGACY     256
#define PCI_CFG_SIZE_ECAM       4096

struct pci_bar {
    uint64_t base;              /* bus address as the firmware assigned it (0: unassigned) */
    uint64_t size;              /* 0: no BAR */
    bool io;                    /* I/O ports, else memory */
    bool mem64;                 /* 64-bit memory BAR (takes two slots) */
    bool prefetch;
    void *virt;                 /* pci_map_bar's uncached mapping, or NULL */
};

struct pci_cap {
    uint8_t id;
    uint8_t offset;
};

struct pci_driver;

/*
 * A PCI function. Lock legend: [e] set by enumeration (boot, one thread),
 * read-only afterwards; [pci_lock] under pci_lock; [drv] owned by the bound
 * driver (written in its probe and later by it alone); [once] a flag set
 * at most once, racily, to silence a repeated report.
 */
struct pci_dev {
    uint16_t segment;                       /* [e] */
    uint8_t bus, slot, func;                /* [e] */
    uint16_t vendor, device;                /* [e] */
    uint16_t subsys_vendor, subsys_id;      /* [e] */
    uint8_t class_code, subclass, prog_if, revision;    /* [e] */
    uint8_t header_type;            /* [e] without the multi-function bit */
    uint8_t irq_pin;                /* [e] 1-4 = INTA-INTD, 0 = none */
    uint8_t irq_line;               /* [e] the firmware's legacy IRQ (0xff: none) */
    uint8_t secondary_bus;          /* [e] bridges */
    uint16_t cfg_size;              /* [e] 256 (ports) or 4096 (ECAM) */
    volatile uint8_t *ecam;         /* [e] this function's ECAM window, or NULL */
    struct pci_bar bar[PCI_MAX_BARS];       /* [e] */
    struct pci_cap caps[PCI_MAX_CAPS];      /* [e] */
    uint8_t cap_count;                      /* [e] */
    bool caps_truncated;            /* [e] a looping or overlong list was cut */
    uint8_t msi_cap, msix_cap, pcie_cap;    /* [e] offsets, 0 = absent */
    uint16_t msix_table_size;       /* [e] entries, from the MSI-X capability */
    struct pci_dev *next;           /* [e] enumeration order */
    bool cfg_warned;                /* [once] pci_cfg.c: a bad configuration access was reported */

    const struct pci_driver *driver;    /* [pci_lock] bound driver, or NULL */
    int probe_error;                /* [pci_lock] last failed probe's errno, 0 */

    void *driver_data;              /* [drv] */
    enum pci_irq_mode irq_mode;     /* [drv] */
    unsigned irq_count;             /* [drv] vectors granted by pci_irq_alloc */
    int irq_handle[PCI_MSIX_MAX_VECTORS];       /* [drv] core/irq handles, -1 free */
    uint8_t irq_vector[PCI_MSIX_MAX_VECTORS];   /* [drv] MSI/MSI-X CPU vector of each */
    volatile uint32_t *msix_table;  /* [drv] mapped MSI-X table */
};

/* One match rule; a table ends with an entry whose vendor is 0. */
struct pci_device_id {
    uint16_t vendor, device;        /* PCI_ANY matches all */
    uint32_t class_code;            /* (class << 16) | (subclass << 8) | prog_if */
    uint32_t class_mask;            /* 0: class ignored */
    uintptr_t data;                 /* for the driver */
};

struct pci_driver {
    const char *name;
    const struct pci_device_id *ids;
    /* 0 to take the device; a negative errno to leave it (logged). */
    int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
    void (*remove)(struct pci_dev *dev);    /* may be NULL */
    struct pci_driver *next;        /* [pci_lock] */
};

/*
 * Enumerates every bus (once; later calls return the first result).
 * Returns 0, or -ENODEV when not even a host bridge answers.
 */
int pci_init(void);

/*
 * Take and drop pci_lock, so that no device is bound or unbound meanwhile
 * (the shell's `pci` lists bindings under it). Thread context (a mutex);
 * not while probing (pci_register_driver holds it then).
 */
void pci_lock_bindings(void);
void pci_unlock_bindings(void);

/* Number of functions found, and the list in enumeration order. */
size_t pci_device_count(void);
struct pci_dev *pci_devices(void);

/* The function at segment 0 bus:slot.func, or NULL. */
struct pci_dev *pci_find(uint8_t bus, uint8_t slot, uint8_t func);
/* The n-th (from 0) function with these IDs, or NULL. */
struct pci_dev *pci_find_id(uint16_t vendor, uint16_t device, unsigned n);

/* Offset of the first capability with this ID after `after` (0: from the start), or 0. */
uint8_t pci_find_cap(const struct pci_dev *dev, uint8_t id, uint8_t after);

/*
 * Maps memory BAR i uncached (once; later calls return the same mapping).
 * Returns the virtual address, or NULL: no such BAR, an I/O BAR, or one
 * the firmware left unassigned, or no address space (each reported).
 */
void *pci_map_bar(struct pci_dev *dev, unsigned i);

/* Turns on memory and I/O decoding and bus mastering (DMA, and MSI writes). */
void pci_enable_device(struct pci_dev *dev);

/*
 * Adds drv and offers it every unbound matching device. Returns the number
 * of devices it bound (>= 0), or -EINVAL (no name, ids or probe), -EEXIST.
 */
int pci_register_driver(struct pci_driver *drv);

/* Unbinds drv from its devices (calling remove) and forgets it. */
void pci_unregister_driver(struct pci_driver *drv);

/* Does dev match id? (exported for tests) */
bool pci_id_matches(const struct pci_device_id *id, const struct pci_dev *dev);

/* Short class description ("VGA controller", "PCI bridge", ...), never NULL. */
const char *pci_class_name(uint8_t class_code, uint8_t subclass);

#endif
