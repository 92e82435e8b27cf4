/*
 * include/core/ksym.h - kernel symbol lookup for backtraces.
 *
 * Part of core. Reads the kernel's own .symtab/.strtab, which GRUB loads
 * and describes in the multiboot2 ELF-sections tag, so no second link pass
 * is needed. mm/pmm keeps those pages reserved and direct-mapped, so
 * ksym_init runs after the memory manager.
 *
 * Context: ksym_init runs once on the boot CPU before the other CPUs start;
 * the table is read-only afterwards, so the lookups run in any context
 * (traps and panics included) on any CPU with no lock, and never sleep.
 */
#ifndef BASALT_CORE_KSYM_H
#define BASALT_CORE_KSYM_H

#include <core/compiler.h>

struct boot_info;

/*
 * Finds the symbol table through bi's ELF section headers. is_ram(pa, len)
 * says whether a range is RAM the direct map covers (mm's pmm_is_ram: core
 * cannot call mm, so the boot code passes it). Returns 0, or -ENOENT when
 * the loader gave no symbol table (backtraces then show bare addresses),
 * -EINVAL when the headers are inconsistent or point outside RAM.
 */
int ksym_init(const struct boot_info *bi, bool (*is_ram)(uint64_t pa, uint64_t len));

/* Number of function symbols known (0 before ksym_init). */
size_t ksym_count(void);

/*
 * The function containing addr: its name and addr's offset into it, or
 * NULL when addr is outside every known function.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset);

/* Address of the named function, or 0. */
uintptr_t ksym_address(const char *name);

/* Writes "name+0x1f" (or "?") into buf; returns buf. */
char *ksym_format(uintptr_t addr, char *buf, size_t size);

#endif
