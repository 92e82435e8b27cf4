/*
 * src/dev/pci_irq.c - PCI device interrupts: MSI-X, MSI and INTx vectors
 * over core/irq.
 *
 * Part of dev; the interface is in include/dev/pci_irq.h. pci_irq_alloc
 * chooses the mode (MSI-X table mapped through dev/pci's pci_map_bar,
 * every entry masked until a handler is attached), pci_irq_request takes a
 * CPU vector and programs the MSI-X entry or MSI capability, or attaches a
 * shared handler to the firmware's INTx line; pci_irq_free undoes both.
 * The fields it uses (irq_mode, irq_count, irq_handle, irq_vector,
 * msix_table) belong to the device's driver, which serialises the calls.
 */
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <dev/pci.h>
#include <dev/pci_irq.h>

/* Message address for xAPIC physical destination (Intel SDM 3, 11.11.1). */
#define MSI_ADDRESS_BASE        0xfee00000u
#define MSI_ADDRESS_DEST_SHIFT  12

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
