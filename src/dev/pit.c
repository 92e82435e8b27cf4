/*
 * src/dev/pit.c - 8254 PIT channel 0 (see include/dev/pit.h).
 *
 * Part of dev. Mode 2 (rate generator) reloads the divisor forever; mode 0
 * with no count written afterwards leaves the output idle.
 */
#include <dev/pit.h>
#include <core/errno.h>
#include <core/x86.h>

#define PIT_CH0_DATA            0x40
#define PIT_COMMAND             0x43
#define PIT_CMD_CH0_LOHI_MODE2  0x34
#define PIT_CMD_CH0_LOHI_MODE0  0x30

int pit_start_periodic(unsigned hz)
{
    uint32_t divisor;
    uint64_t irq;

    if (hz < 19 || hz > PIT_HZ)
        return -EINVAL;
    divisor = PIT_HZ / hz;
    irq = irq_save();
    outb(PIT_COMMAND, PIT_CMD_CH0_LOHI_MODE2);
    outb(PIT_CH0_DATA, (uint8_t)divisor);
    outb(PIT_CH0_DATA, (uint8_t)(divisor >> 8));
    irq_restore(irq);
    return 0;
}

void pit_stop(void)
{
    outb(PIT_COMMAND, PIT_CMD_CH0_LOHI_MODE0);
}
