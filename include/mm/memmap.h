/*
 * include/mm/memmap.h - cleaning the firmware's physical memory map.
 *
 * Part of mm; pure (host-tested by test/unit/test_memmap.c). Firmware maps
 * arrive unsorted, overlapping, with zero-length or wrapping entries, and
 * split across the multiboot2 map and the EFI map. memmap turns them into
 * one sorted list of disjoint ranges, each byte taking the most
 * restrictive type any input gave it, so nothing the firmware or the
 * kernel uses is ever handed out as free RAM.
 *
 * Priority, lowest first: usable < ACPI reclaimable < kernel-owned kinds
 * (MEMMAP_KERNEL, MEMMAP_BOOT_DATA, MEMMAP_LOW_MEMORY) < reserved (and
 * every unknown type) < ACPI NVS < bad.
 *
 * Locking: none; the functions work on the caller's arrays only (any
 * context, never sleep).
 */
#ifndef BASALT_MM_MEMMAP_H
#define BASALT_MM_MEMMAP_H

#include <core/compiler.h>
#include <core/multiboot2.h>    /* enum boot_mem_type: the firmware's types 1..5 */

/* Kernel-assigned types beyond the firmware's. */
#define MEMMAP_KERNEL       0x100   /* the kernel image */
#define MEMMAP_BOOT_DATA    0x101   /* multiboot info, modules, symbol table: keep */
#define MEMMAP_LOW_MEMORY   0x102   /* the first 1 MiB: BIOS data, trampolines */

#define MEMMAP_MAX_RANGES   512

struct mem_range {
    uint64_t base;
    uint64_t end;       /* exclusive; base < end */
    uint32_t type;
};

struct memmap {
    struct mem_range ranges[MEMMAP_MAX_RANGES];
    size_t count;
    bool overflow;      /* an add or a clean had to drop ranges */
};

/* Empties m. */
void memmap_init(struct memmap *m);

/*
 * Appends [base, base + length) with type. A zero length is ignored; a
 * range that wraps past 2^64 is clipped at 2^64 - 1. Returns 0, or
 * -ENOSPC (and sets overflow) when m is full.
 */
int memmap_add(struct memmap *m, uint64_t base, uint64_t length, uint32_t type);

/*
 * Sorts m by address, resolves overlaps by priority (see above) and merges
 * neighbours of the same type. Idempotent.
 */
void memmap_clean(struct memmap *m);

/* Marks [base, end) as type on top of what is there, then cleans m. */
int memmap_reserve(struct memmap *m, uint64_t base, uint64_t end, uint32_t type);

/*
 * Converts a UEFI memory type (UEFI spec table 7-5: EfiConventionalMemory
 * = 7, EfiACPIReclaimMemory = 9, ...) into a boot_mem_type. Boot-services
 * code/data and loader code/data are usable once the kernel runs
 * (the kernel reserves what the loader left it separately).
 */
uint32_t memmap_efi_type(uint32_t efi_type);

/*
 * Adds every descriptor of a UEFI memory map (desc_size bytes apart,
 * UEFI EFI_MEMORY_DESCRIPTOR: u32 type, u64 physical start, u64 virtual
 * start, u64 number of 4 KiB pages, u64 attributes). Returns 0 or the
 * first error of memmap_add; -EINVAL for a desc_size below 40.
 */
int memmap_add_efi(struct memmap *m, const void *descs, size_t size, size_t desc_size);

/* Sum of bytes of type in m. */
uint64_t memmap_total(const struct memmap *m, uint32_t type);

/* End of the highest range of type (0 if none). */
uint64_t memmap_highest(const struct memmap *m, uint32_t type);

/* A short name for any type, the kernel's included. */
const char *memmap_type_name(uint32_t type);

#endif
