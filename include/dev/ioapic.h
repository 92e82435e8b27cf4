/*
 * include/dev/ioapic.h - I/O APICs: routing GSIs to vectors.
 *
 * Part of dev. Each I/O APIC serves the GSIs [gsi_base, gsi_base +
 * entries). Redirection entries start masked; ioapic_route programs one
 * GSI (vector, edge/level, polarity, physical destination) and unmasks it.
 *
 * Locking: ioapic_lock (irqsave, src/dev/ioapic.c) keeps each index/data
 * register pair whole across CPUs; route, mask and read_entry take it
 * (any context, interrupt handlers included; it nests inside core/irq's
 * irq_table_lock and takes nothing else). ioapic_add runs at platform
 * setup, before any other CPU is started.
 */
#ifndef BASALT_DEV_IOAPIC_H
#define BASALT_DEV_IOAPIC_H

#include <core/compiler.h>

#define IOAPIC_MAX  16

/*
 * Maps the I/O APIC at phys (uncached), reads how many redirection entries
 * it has and masks them all. Returns 0, -ENOSPC (too many I/O APICs),
 * -ENOMEM, or -ENODEV (it does not answer: version register all ones or
 * no entries).
 */
int ioapic_add(uint8_t id, uint64_t phys, uint32_t gsi_base);

/* Routes gsi to vector on CPU dest_apic_id; flags IRQ_LEVEL / IRQ_ACTIVE_LOW. -ENODEV if no I/O APIC serves gsi. */
int ioapic_route(uint32_t gsi, uint8_t vector, unsigned flags, uint32_t dest_apic_id);

/* Masks gsi (no-op if nobody serves it). */
void ioapic_mask(uint32_t gsi);

/* Reads back gsi's redirection entry (for tests); -ENODEV if not served. */
int ioapic_read_entry(uint32_t gsi, uint64_t *entry);

size_t ioapic_count(void);

#endif
