/*
 * include/kernel/main.h - the kernel's C entry.
 *
 * Part of the kernel executable. boot/entry64.asm calls kmain with the multiboot2 magic and
 * the physical address of the boot information. What boot leaves behind is
 * read through core: the parsed boot information with mb2_boot_info
 * (core/multiboot2), the command line with cmdline_boot (core/cmdline).
 */
#ifndef BASALT_KERNEL_MAIN_H
#define BASALT_KERNEL_MAIN_H

#include <core/compiler.h>

/* Boot CPU, once, interrupts off, no locks held; never returns (the boot thread goes on). */
__noreturn void kmain(uint32_t magic, uint32_t mbi_phys);

#endif
