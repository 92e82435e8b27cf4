/*
 * src/core/layout.c - compile-time checks of the virtual layout (include/core/layout.h).
 *
 * Part of core. It pins down the constants the boot code (boot/x86.inc)
 * and mm's page tables assume.
 */
#include <core/layout.h>

_Static_assert(KERNEL_VMA == 0xffffffff80000000ul, "boot/x86.inc KERNEL_VMA must match");
_Static_assert(DIRECT_MAP_BASE == 0xffff800000000000ul, "PML4 slot 256 (boot/x86.inc)");
_Static_assert(USER_END <= DIRECT_MAP_BASE, "user space below the kernel half");
_Static_assert(VMALLOC_BASE > DIRECT_MAP_BASE && VMALLOC_BASE < KERNEL_VMA,
               "vmalloc sits between the direct map and the image");
