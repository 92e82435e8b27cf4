/*
 * src/dev/hpet.c - HPET main counter (see include/dev/hpet.h).
 *
 * Part of dev. Register offsets from the IA-PC HPET specification 1.0a,
 * section 2.3: capabilities/ID at 0x000, configuration at 0x010, main
 * counter at 0x0F0.
 */
#include <dev/hpet.h>
#include <core/errno.h>
#include <core/x86.h>
#include <mm/vmm.h>

#define REG_CAP_ID          0x000
#define REG_CONFIG          0x010
#define REG_COUNTER         0x0F0
#define CAP_COUNTER_64      (1ull << 13)
#define CAP_PERIOD_SHIFT    32
#define CONFIG_ENABLE       (1ull << 0)
#define MAX_PERIOD_FS       100000000ull    /* 100 ns */
#define FS_PER_NS           1000000ull

static volatile uint64_t *regs;
static uint64_t period_fs;
static bool counter_64;
static uint64_t start;
static uint64_t high;           /* software upper half of a 32-bit counter */
static uint32_t last_low;

int hpet_init(uint64_t phys)
{
    uint64_t cap;

    regs = vmm_ioremap(phys, 0x400, VMM_WRITE);
    if (!regs)
        return -ENOMEM;
    cap = regs[REG_CAP_ID / 8];
    period_fs = cap >> CAP_PERIOD_SHIFT;
    if (cap == UINT64_MAX || cap == 0 || period_fs == 0 || period_fs > MAX_PERIOD_FS) {
        vmm_iounmap((void *)regs);
        regs = NULL;
        return -ENODEV;
    }
    counter_64 = cap & CAP_COUNTER_64;
    regs[REG_CONFIG / 8] |= CONFIG_ENABLE;
    start = hpet_counter();
    return 0;
}

bool hpet_present(void)
{
    return regs != NULL;
}

uint64_t hpet_period_fs(void)
{
    return period_fs;
}

uint64_t hpet_counter(void)
{
    uint64_t irq, value;
    uint32_t low;

    if (counter_64)
        return regs[REG_COUNTER / 8];
    irq = irq_save();
    low = (uint32_t)regs[REG_COUNTER / 8];
    if (low < last_low)
        high += 1ull << 32;
    last_low = low;
    value = high | low;
    irq_restore(irq);
    return value;
}

uint64_t hpet_ns(void)
{
    uint64_t ticks = hpet_counter() - start;

    /* split so ticks * period never overflows: whole millions, then the rest */
    return (ticks / FS_PER_NS) * period_fs + (ticks % FS_PER_NS) * period_fs / FS_PER_NS;
}
