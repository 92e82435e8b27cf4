/*
 * include/dev/pci_parse.h - the pure part of PCI enumeration: walking a
 * function's capability list and decoding its BARs from the values the
 * sizing probe reads back.
 *
 * Part of dev; pure (no port or MMIO access, no locks, no printing), so the
 * host unit tests (test/unit/test_pci_parse.c) run it against crafted
 * configuration spaces. Configuration space is reached only through the
 * caller's callbacks; dev/pci passes its pci_cfg_* accessors, so the
 * kernel reads and writes exactly the registers it did before.
 *
 * The configuration space is not trusted: the capability walk stops at a
 * pointer into the standard header (below 0x40), a pointer it has seen
 * already (a loop), a capability header that would lie past the end of the
 * space, and after PCI_MAX_CAPS entries. A BAR that reads back as 0 or all
 * ones is no BAR; a 64-bit BAR in the last slot is decoded as 32-bit (its
 * upper half would be outside the header).
 *
 * Locking: none; everything is in the caller's struct pci_dev.
 */
#ifndef BASALT_DEV_PCI_PARSE_H
#define BASALT_DEV_PCI_PARSE_H

#include <core/compiler.h>
#include <dev/pci.h>

/* Reads the byte at off of the function's configuration space. */
typedef uint8_t (*pci_parse_read8_fn)(const void *ctx, uint16_t off);

/*
 * Sizes the 32-bit BAR register at off the PCI way: saves it (*orig),
 * writes all ones, reads back what stuck (the return value), restores.
 */
typedef uint32_t (*pci_parse_probe_fn)(void *ctx, uint16_t off, uint32_t *orig);

/* Why a capability walk stopped. */
enum pci_parse_caps_end {
    PCI_PARSE_CAPS_END,         /* a 0 next pointer: the whole list */
    PCI_PARSE_CAPS_HEADER,      /* a pointer into the header (below 0x40) */
    PCI_PARSE_CAPS_TOO_MANY,    /* PCI_MAX_CAPS recorded and more follow */
    PCI_PARSE_CAPS_LOOP,        /* a capability seen before */
    PCI_PARSE_CAPS_PAST_END,    /* a capability header past dev->cfg_size */
};

/*
 * Walks the list from the pointer at PCI_CAP_PTR (the caller has checked
 * PCI_STATUS_CAP_LIST), recording each capability in dev->caps /
 * dev->cap_count and the first MSI, MSI-X and PCI Express ones in
 * dev->msi_cap, msix_cap, pcie_cap; reads through read8(ctx, off) with off
 * < dev->cfg_size. A list cut short sets dev->caps_truncated and *cut_at to
 * the pointer refused. Returns why the walk stopped.
 */
enum pci_parse_caps_end pci_parse_caps(struct pci_dev *dev, pci_parse_read8_fn read8,
                                       const void *ctx, uint8_t *cut_at);

/* A short reason for a cut list ("loop", "pointer into the header", ...). */
const char *pci_parse_caps_end_name(enum pci_parse_caps_end end);

/*
 * Offset of the first capability with this ID recorded after the one at
 * `after` (0: from the start), or 0.
 */
uint8_t pci_parse_find_cap(const struct pci_cap *caps, unsigned count, uint8_t id,
                           uint8_t after);

/* BAR slots of a header type: 6 (type 0), 2 (type 1, bridges), else 0. */
unsigned pci_parse_bar_count(uint8_t header_type);

/*
 * A BAR's size from the address bits that stuck at 1: its lowest set bit
 * (not ~mask + 1, which a BAR with hard-wired upper zeroes would make
 * huge). 0 for a mask of 0.
 */
uint64_t pci_parse_bar_size(uint64_t mask);

/*
 * Fills bars[0..nbars-1] (zeroed by the caller) by probing each register
 * at PCI_BAR0 + 4 * i in order with probe(ctx, ...): base, size, I/O or
 * memory, 64-bit (then the next slot, the upper half, is probed too and
 * left empty), prefetchable. The caller turns decoding off around it.
 */
void pci_parse_bars(struct pci_bar *bars, unsigned nbars, pci_parse_probe_fn probe, void *ctx);

#endif
