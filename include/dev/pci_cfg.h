/*
 * include/dev/pci_cfg.h - PCI configuration space access: ECAM (PCI
 * Express memory-mapped configuration, segment 0's range from the ACPI
 * MCFG table) or the legacy 0xCF8/0xCFC ports.
 *
 * Part of dev; included by dev/pci.h, whose struct pci_dev the accessors
 * take (dev->ecam: the function's ECAM window, else the ports;
 * dev->cfg_size: 4096 or 256). dev/pci's enumeration calls pci_cfg_init
 * once, then reaches functions that have no struct pci_dev yet through
 * pci_cfg_raw_read32 and pci_cfg_ecam_function.
 *
 * Locking: any context. ECAM needs no lock; the ports are used under
 * pci_cfg_lock (an irqsave spinlock, a leaf), one address-then-data
 * access at a time.
 */
#ifndef BASALT_DEV_PCI_CFG_H
#define BASALT_DEV_PCI_CFG_H

#include <core/compiler.h>

struct pci_dev;

/*
 * Picks segment 0's ECAM range from the MCFG (unless pci.noecam), else the
 * ports; reports the choice. Boot, before enumeration; called once.
 */
void pci_cfg_init(void);

/*
 * Configuration space of dev. off must be naturally aligned and below
 * dev->cfg_size; otherwise reads return all ones and writes are dropped
 * (each reported as a warning).
 */
uint8_t pci_cfg_read8(const struct pci_dev *dev, uint16_t off);
uint16_t pci_cfg_read16(const struct pci_dev *dev, uint16_t off);
uint32_t pci_cfg_read32(const struct pci_dev *dev, uint16_t off);
void pci_cfg_write8(const struct pci_dev *dev, uint16_t off, uint8_t v);
void pci_cfg_write16(const struct pci_dev *dev, uint16_t off, uint16_t v);
void pci_cfg_write32(const struct pci_dev *dev, uint16_t off, uint32_t v);

/*
 * Reads a function's configuration through the 0xCF8 ports, bypassing
 * ECAM (for tests that compare the two mechanisms). Segment 0, off < 256.
 */
uint32_t pci_cfg_read32_ports(uint8_t bus, uint8_t slot, uint8_t func, uint8_t off);

/* Is configuration space reached through ECAM (else the 0xCF8 ports)? */
bool pci_cfg_using_ecam(void);

/*
 * 32 bits at off of the function at bus:slot.func before a struct pci_dev
 * exists (enumeration): through ECAM when the bus is in its range (its
 * window mapped on first use), else the ports.
 */
uint32_t pci_cfg_raw_read32(uint8_t bus, uint8_t slot, uint8_t func, uint16_t off);

/*
 * The ECAM window (4 KiB) of bus:slot.func, mapping its bus's 1 MiB on
 * first use; NULL without ECAM for that bus (or when it cannot be mapped,
 * reported). Boot (enumeration) context.
 */
volatile uint8_t *pci_cfg_ecam_function(uint8_t bus, uint8_t slot, uint8_t func);

#endif
