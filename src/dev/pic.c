/*
 * src/dev/pic.c - remap and mask the legacy 8259 PICs (see include/dev/pic.h).
 *
 * Part of dev. The ICW sequence follows the 8259A data sheet: ICW1 starts
 * initialisation and asks for ICW4, ICW2 sets the vector base, ICW3 wires
 * the cascade on IRQ 2, ICW4 selects 8086 mode.
 */
#include <dev/pic.h>
#include <core/irq.h>
#include <core/x86.h>

#define PIC1_CMD        0x20
#define PIC1_DATA       0x21
#define PIC2_CMD        0xA0
#define PIC2_DATA       0xA1
#define ICW1_INIT_ICW4  0x11
#define ICW3_MASTER_HAS_SLAVE_ON_IRQ2   0x04
#define ICW3_SLAVE_ID_2 0x02
#define ICW4_8086       0x01
#define MASK_ALL        0xFF

void pic_disable(void)
{
    outb(PIC1_CMD, ICW1_INIT_ICW4);
    io_wait();
    outb(PIC2_CMD, ICW1_INIT_ICW4);
    io_wait();
    outb(PIC1_DATA, IRQ_VEC_LEGACY_BASE);
    io_wait();
    outb(PIC2_DATA, IRQ_VEC_LEGACY_BASE + 8);
    io_wait();
    outb(PIC1_DATA, ICW3_MASTER_HAS_SLAVE_ON_IRQ2);
    io_wait();
    outb(PIC2_DATA, ICW3_SLAVE_ID_2);
    io_wait();
    outb(PIC1_DATA, ICW4_8086);
    io_wait();
    outb(PIC2_DATA, ICW4_8086);
    io_wait();
    outb(PIC1_DATA, MASK_ALL);
    outb(PIC2_DATA, MASK_ALL);
}
