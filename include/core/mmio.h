/*
 * include/core/mmio.h - reads and writes of memory-mapped device registers.
 *
 * Part of core. A register is named by a mapping (vmm_ioremap, pci_map_bar)
 * and a byte offset; each access is one volatile load or store of exactly
 * its width, which is what devices need (no merging, no tearing, no
 * reordering by the compiler). x86 keeps uncached accesses in program
 * order, so no fences are needed between them. The offset must be aligned
 * to the width; the address arithmetic goes through uintptr_t so the
 * alignment is the caller's promise, not the compiler's guess.
 */
#ifndef BASALT_CORE_MMIO_H
#define BASALT_CORE_MMIO_H

#include <core/compiler.h>

#define MMIO_ACCESSORS(bits)                                                    \
    static inline uint##bits##_t mmio_read##bits(const volatile void *base, size_t off) \
    {                                                                           \
        return *(const volatile uint##bits##_t *)((uintptr_t)base + off);       \
    }                                                                           \
    static inline void mmio_write##bits(volatile void *base, size_t off, uint##bits##_t v) \
    {                                                                           \
        *(volatile uint##bits##_t *)((uintptr_t)base + off) = v;                \
    }

MMIO_ACCESSORS(8)
MMIO_ACCESSORS(16)
MMIO_ACCESSORS(32)
MMIO_ACCESSORS(64)

#undef MMIO_ACCESSORS

#endif
