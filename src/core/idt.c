/*
 * src/core/idt.c - IDT setup (see include/core/idt.h).
 *
 * Part of core; x86 descriptor detail.
 */
#include <core/idt.h>
#include <core/gdt.h>
#include <core/trap.h>

#define GATE_PRESENT        0x80
#define GATE_INTERRUPT      0x0E    /* interrupt gate: IF cleared on entry */

extern const uint64_t isr_stub_table[IDT_VECTORS];     /* src/core/isr.asm */

static struct idt_gate idt[IDT_VECTORS] __aligned(16);

static void set_gate(int vec, uint64_t handler, uint8_t ist)
{
    idt[vec] = (struct idt_gate){
        .offset_lo = (uint16_t)handler,
        .selector = GDT_KERNEL_CODE,
        .ist = ist,
        .type_attr = GATE_PRESENT | GATE_INTERRUPT,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_hi = (uint32_t)(handler >> 32),
    };
}

void idt_load(void)
{
    struct desc_ptr ptr = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };

    x86_lidt(&ptr);
}

void idt_init(void)
{
    for (int v = 0; v < IDT_VECTORS; v++)
        set_gate(v, isr_stub_table[v], 0);
    set_gate(VEC_DOUBLE_FAULT, isr_stub_table[VEC_DOUBLE_FAULT], IST_DOUBLE_FAULT);
    set_gate(VEC_NMI, isr_stub_table[VEC_NMI], IST_NMI);
    set_gate(VEC_MACHINE_CHECK, isr_stub_table[VEC_MACHINE_CHECK], IST_MACHINE_CHECK);
    idt_load();
}
