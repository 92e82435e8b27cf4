/*
 * include/dev/pic.h - the legacy 8259 interrupt controllers, switched off.
 *
 * Part of dev. Basalt routes every interrupt through the I/O APIC, so the
 * two 8259s are remapped to vectors 32-47 (away from the CPU exceptions,
 * so a spurious IRQ 7 or 15 they still raise lands somewhere harmless and
 * is counted by core/irq) and then fully masked.
 *
 * Context: platform setup, boot CPU, once, before the I/O APIC is used;
 * no lock, cannot fail.
 */
#ifndef BASALT_DEV_PIC_H
#define BASALT_DEV_PIC_H

/* Remaps both 8259s to IRQ_VEC_LEGACY_BASE and masks every line. */
void pic_disable(void);

#endif
