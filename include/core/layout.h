/*
 * include/core/layout.h - the kernel's virtual memory layout.
 *
 * Part of core (every layer needs the map; mm builds it). See
 * docs/architecture.md for the map:
 *   0x0000000000001000 .. 0x00007fffffffffff  user space (page 0 unmapped)
 *   0xffff800000000000 ..                     direct map of all RAM
 *   0xffffc00000000000 ..                     vmalloc and kernel stacks
 *   0xffffffff80000000 ..                     kernel image (virt = phys + KERNEL_VMA)
 * Until src/mm builds the full direct map, the boot tables
 * (boot/boot32.asm) map only the first BOOT_DIRECT_MAP_LIMIT bytes there.
 */
#ifndef BASALT_CORE_LAYOUT_H
#define BASALT_CORE_LAYOUT_H

#include <core/compiler.h>

#define PAGE_SHIFT              12
#define PAGE_SIZE               (1ul << PAGE_SHIFT)

#define USER_BASE               0x0000000000001000ul
#define USER_END                0x0000800000000000ul
#define DIRECT_MAP_BASE         0xffff800000000000ul
#define VMALLOC_BASE            0xffffc00000000000ul
#define DIRECT_MAP_WINDOW       (VMALLOC_BASE - DIRECT_MAP_BASE)    /* 64 TiB of RAM at most */
#define KERNEL_VMA              0xffffffff80000000ul

/* Physical addresses are 52 bits wide at most (x86-64 paging). */
#define PHYS_ADDR_LIMIT         (1ull << 52)

/* What boot/boot32.asm maps at DIRECT_MAP_BASE before mm takes over. */
#define BOOT_DIRECT_MAP_LIMIT   (4ul << 30)

static inline void *phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)(phys + DIRECT_MAP_BASE);
}

static inline uint64_t virt_to_phys(const void *virt)
{
    uintptr_t v = (uintptr_t)virt;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

/* Image bounds from src/kernel.ld. */
extern char __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];
extern char __bss_start[], __bss_end[];
extern char __kernel_end[];
extern char __kernel_phys_start[], __kernel_phys_end[];

#endif
