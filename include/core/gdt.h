/*
 * include/core/gdt.h - the global descriptor table and task-state segment.
 *
 * Part of core (x86 detail lives here and in core/idt). The layout suits
 * SYSCALL/SYSRET: kernel code, kernel data, then 32-bit user code (unused
 * placeholder SYSRET needs), user data, 64-bit user code, then the TSS.
 * The TSS carries the interrupt stack table (IST): double fault, NMI and
 * machine check run on their own stacks so a broken kernel stack still
 * gets reported. One set per CPU, inside its struct cpu (core/cpu).
 *
 * Context: gdt_init_cpu runs on each CPU as it starts, interrupts off;
 * gdt_set_kernel_stack on the CPU that owns t, interrupts off; a CPU's
 * tables are written only by that CPU, so there is no lock. None fails.
 */
#ifndef BASALT_CORE_GDT_H
#define BASALT_CORE_GDT_H

#include <core/compiler.h>
#include <core/x86.h>

#define GDT_KERNEL_CODE     0x08
#define GDT_KERNEL_DATA     0x10
#define GDT_USER_CODE32     0x18
#define GDT_USER_DATA       0x20
#define GDT_USER_CODE64     0x28
#define GDT_TSS             0x30
#define GDT_ENTRIES         8       /* the TSS descriptor takes two */

/* IST slots (1-based, as the IDT names them). */
#define IST_DOUBLE_FAULT    1
#define IST_NMI             2
#define IST_MACHINE_CHECK   3
#define IST_COUNT           3
#define IST_STACK_SIZE      16384

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __packed;
_Static_assert(sizeof(struct tss) == 104, "TSS layout (Intel SDM vol. 3 fig. 8-11)");
_Static_assert(offsetof(struct tss, ist) == 36, "TSS IST offset");

/* Descriptor tables of one CPU. */
struct cpu_tables {
    uint64_t gdt[GDT_ENTRIES] __aligned(16);
    struct tss tss __aligned(16);
    uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __aligned(16);
};

/* Builds t (GDT, TSS with IST stacks) and loads it on the calling CPU. */
void gdt_init_cpu(struct cpu_tables *t);

/* Sets the stack the CPU switches to on entry from user mode (TSS.RSP0). */
void gdt_set_kernel_stack(struct cpu_tables *t, uintptr_t rsp0);

/* [lo, hi) of IST stack slot ist (1-based) in t, for backtraces and tests. */
void gdt_ist_range(const struct cpu_tables *t, int ist, uintptr_t *lo, uintptr_t *hi);

#endif
