/*
 * include/core/main.h - the kernel's C entry and what boot leaves behind.
 *
 * Part of core. boot/entry64.asm calls kmain with the multiboot2 magic and
 * the physical address of the boot information. After boot, other
 * subsystems read the parsed boot information and command line here.
 */
#ifndef BASALT_CORE_MAIN_H
#define BASALT_CORE_MAIN_H

#include <core/compiler.h>

struct boot_info;
struct cmdline;

__noreturn void kmain(uint32_t magic, uint32_t mbi_phys);

/* The parsed multiboot2 information (valid after the boot step that parses it). */
const struct boot_info *kmain_boot_info(void);

/* The parsed and checked kernel command line. */
const struct cmdline *kmain_cmdline(void);

#endif
