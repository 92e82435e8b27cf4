/*
 * include/dev/pci_irq.h - PCI device interrupts: MSI-X, MSI or INTx
 * vectors attached to handlers through core/irq.
 *
 * Part of dev; included by dev/pci.h, whose struct pci_dev holds the
 * state below (irq_mode, irq_count, irq_handle, irq_vector, msix_table;
 * the capability offsets and MSI-X table size come from enumeration).
 * MSI and MSI-X messages target the boot CPU; INTx is the firmware's
 * interrupt line, shared and level-triggered through the I/O APIC.
 *
 * Locking: a device's interrupt state belongs to its bound driver, which
 * calls these from thread context (probe, remove) one at a time.
 */
#ifndef BASALT_DEV_PCI_IRQ_H
#define BASALT_DEV_PCI_IRQ_H

#include <core/compiler.h>

struct pci_dev;

enum pci_irq_mode {
    PCI_IRQ_NONE,
    PCI_IRQ_INTX,
    PCI_IRQ_MSI,
    PCI_IRQ_MSIX,
};

/* pci_irq_alloc flags: the modes to try (any combination; best first). */
#define PCI_IRQ_ALLOW_INTX      (1u << 0)
#define PCI_IRQ_ALLOW_MSI       (1u << 1)
#define PCI_IRQ_ALLOW_MSIX      (1u << 2)
#define PCI_IRQ_ALLOW_ALL       (PCI_IRQ_ALLOW_INTX | PCI_IRQ_ALLOW_MSI | PCI_IRQ_ALLOW_MSIX)

#define PCI_MSIX_MAX_VECTORS    32      /* most vectors one device gets */

/*
 * Allocates between min and max interrupt vectors (1 <= min <= max <=
 * PCI_MSIX_MAX_VECTORS) in the best mode flags allow: MSI-X (up to the
 * table size), MSI (exactly one), INTx (exactly one, shared). Handlers are
 * attached with pci_irq_request. Returns the number of vectors, or
 * -ENOSPC (no CPU vectors), -ENODEV (no allowed mode can give min),
 * -EBUSY (already allocated), -EINVAL. MSI and MSI-X messages are memory
 * writes by the device: they only arrive with bus mastering on
 * (pci_enable_device).
 */
int pci_irq_alloc(struct pci_dev *dev, unsigned min, unsigned max, unsigned flags);

/*
 * Attaches fn(ctx) to vector index (< the count pci_irq_alloc returned)
 * and unmasks it. With INTx, fn shares the line and must return false when
 * its device did not interrupt. Returns 0, -EINVAL, -EBUSY (index taken),
 * or core/irq's error.
 */
int pci_irq_request(struct pci_dev *dev, unsigned index, bool (*fn)(void *ctx), void *ctx,
                    const char *name);

/* Detaches every handler, masks and disables MSI/MSI-X, frees the vectors. */
void pci_irq_free(struct pci_dev *dev);

/* "MSI-X", "MSI", "INTx" or "none". */
const char *pci_irq_mode_name(enum pci_irq_mode mode);

#endif
