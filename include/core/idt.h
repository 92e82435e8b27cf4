/*
 * include/core/idt.h - the interrupt descriptor table.
 *
 * Part of core. All 256 vectors point at the stubs in src/core/isr.asm;
 * double fault, NMI and machine check use their IST stacks (core/gdt).
 * One IDT serves every CPU.
 *
 * Context: idt_init on the boot CPU, once, before the other CPUs start;
 * idt_load on each application processor as it starts. The table is
 * read-only afterwards (no lock); neither fails.
 */
#ifndef BASALT_CORE_IDT_H
#define BASALT_CORE_IDT_H

#include <core/compiler.h>

#define IDT_VECTORS 256

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __packed;
_Static_assert(sizeof(struct idt_gate) == 16, "IDT gate layout (Intel SDM vol. 3 fig. 6-8)");

/* Fills the IDT and loads it on the calling CPU. */
void idt_init(void);

/* Loads the already filled IDT (for application processors). */
void idt_load(void);

#endif
