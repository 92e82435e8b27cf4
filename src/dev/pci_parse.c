/*
 * src/dev/pci_parse.c - PCI capability-list walk and BAR decoding.
 *
 * Part of dev; pure (see include/dev/pci_parse.h for the contract).
 */
#include <dev/pci_parse.h>

#define PCI_CAP_FIRST   0x40    /* capabilities live after the standard header */

enum pci_parse_caps_end pci_parse_caps(struct pci_dev *dev, pci_parse_read8_fn read8,
                                       const void *ctx, uint8_t *cut_at)
{
    uint8_t seen[256 / 8] = {0};
    enum pci_parse_caps_end end = PCI_PARSE_CAPS_END;
    uint8_t ptr = read8(ctx, PCI_CAP_PTR) & 0xfc;

    while (ptr) {
        uint8_t id;

        if (ptr < PCI_CAP_FIRST)
            end = PCI_PARSE_CAPS_HEADER;
        else if (dev->cap_count == PCI_MAX_CAPS)
            end = PCI_PARSE_CAPS_TOO_MANY;
        else if (seen[ptr / 8] & (1u << (ptr % 8)))
            end = PCI_PARSE_CAPS_LOOP;
        else if (ptr + 2u > dev->cfg_size)
            end = PCI_PARSE_CAPS_PAST_END;
        if (end != PCI_PARSE_CAPS_END) {
            dev->caps_truncated = true;
            *cut_at = ptr;
            return end;
        }
        seen[ptr / 8] |= (uint8_t)(1u << (ptr % 8));
        id = read8(ctx, ptr);
        dev->caps[dev->cap_count].id = id;
        dev->caps[dev->cap_count].offset = ptr;
        dev->cap_count++;
        if (id == PCI_CAP_MSI && !dev->msi_cap)
            dev->msi_cap = ptr;
        else if (id == PCI_CAP_MSIX && !dev->msix_cap)
            dev->msix_cap = ptr;
        else if (id == PCI_CAP_PCIE && !dev->pcie_cap)
            dev->pcie_cap = ptr;
        ptr = read8(ctx, ptr + 1) & 0xfc;
    }
    return end;
}

const char *pci_parse_caps_end_name(enum pci_parse_caps_end end)
{
    switch (end) {
    case PCI_PARSE_CAPS_END:        return "end";
    case PCI_PARSE_CAPS_HEADER:     return "pointer into the header";
    case PCI_PARSE_CAPS_TOO_MANY:   return "too many";
    case PCI_PARSE_CAPS_LOOP:       return "loop";
    case PCI_PARSE_CAPS_PAST_END:   return "pointer past the end";
    }
    return "?";
}

uint8_t pci_parse_find_cap(const struct pci_cap *caps, unsigned count, uint8_t id,
                           uint8_t after)
{
    bool past = after == 0;

    for (unsigned i = 0; i < count; i++) {
        if (past && caps[i].id == id)
            return caps[i].offset;
        if (caps[i].offset == after)
            past = true;
    }
    return 0;
}

unsigned pci_parse_bar_count(uint8_t header_type)
{
    return header_type == 0 ? 6 : header_type == 1 ? 2 : 0;
}

uint64_t pci_parse_bar_size(uint64_t mask)
{
    return mask & (~mask + 1);
}

void pci_parse_bars(struct pci_bar *bars, unsigned nbars, pci_parse_probe_fn probe, void *ctx)
{
    for (unsigned i = 0; i < nbars; i++) {
        uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
        uint32_t orig, mask = probe(ctx, off, &orig);
        struct pci_bar *b = &bars[i];

        if (mask == 0 || mask == 0xffffffffu)
            continue;               /* no BAR here */
        if (orig & 1) {
            uint32_t m = mask & ~3u;

            if (!(m & 0xffff0000u))
                m |= 0xffff0000u;   /* 16-bit I/O decoder */
            b->io = true;
            b->base = orig & ~3u;
            b->size = pci_parse_bar_size(m);
            continue;
        }
        b->prefetch = orig & 8;
        b->base = orig & ~0xfu;
        if (((orig >> 1) & 3) == 2 && i + 1 < nbars) {
            uint32_t orig_hi, mask_hi = probe(ctx, (uint16_t)(off + 4), &orig_hi);
            uint64_t m = ((uint64_t)mask_hi << 32) | (mask & ~0xfu);

            b->mem64 = true;
            b->base |= (uint64_t)orig_hi << 32;
            b->size = pci_parse_bar_size(m);
            i++;                    /* the upper half is not a BAR of its own */
        } else {
            b->size = pci_parse_bar_size(mask & ~0xfu);
        }
    }
}
