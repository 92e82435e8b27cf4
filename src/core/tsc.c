/*
 * src/core/tsc.c - boot-relative time from the TSC (see include/core/tsc.h).
 *
 * Part of core. Calibration gates PIT channel 2 through port 0x61 and
 * counts TSC ticks while the PIT counts down a known interval; this is the
 * only PIT use until the platform layer owns the timers.
 */
#include <core/tsc.h>
#include <core/errno.h>
#include <core/x86.h>

#define PIT_HZ              1193182u
#define PIT_CH2_DATA        0x42
#define PIT_COMMAND         0x43
#define PIT_GATE_PORT       0x61        /* bit 0: ch2 gate, bit 1: speaker, bit 5: ch2 out */
#define PIT_GATE_CH2        0x01
#define PIT_SPEAKER         0x02
#define PIT_CH2_OUT         0x20
#define PIT_CMD_CH2_MODE0_LOHI  0xB0    /* channel 2, lobyte/hibyte, mode 0 */
#define CALIBRATE_MS        10
#define CALIBRATE_SPIN_LIMIT 100000000ull
#define DEFAULT_KHZ         1000000ull

static uint64_t boot_tsc;
static uint64_t khz;

void tsc_init_early(void)
{
    boot_tsc = rdtsc();
}

int tsc_calibrate(void)
{
    uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
    uint8_t gate = inb(PIT_GATE_PORT);
    uint64_t start, end, spins = 0;

    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) | PIT_GATE_CH2));
    outb(PIT_COMMAND, PIT_CMD_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, (uint8_t)count);
    outb(PIT_CH2_DATA, (uint8_t)(count >> 8));
    start = rdtsc();
    while (!(inb(PIT_GATE_PORT) & PIT_CH2_OUT))
        if (++spins > CALIBRATE_SPIN_LIMIT)
            break;
    end = rdtsc();
    outb(PIT_GATE_PORT, gate);

    if (spins > CALIBRATE_SPIN_LIMIT || end <= start) {
        khz = DEFAULT_KHZ;
        return -ETIMEDOUT;
    }
    khz = (end - start) / CALIBRATE_MS;
    return 0;
}

uint64_t tsc_khz(void)
{
    return khz;
}

uint64_t tsc_ns_since_boot(void)
{
    if (!khz)
        return 0;
    uint64_t ticks = rdtsc() - boot_tsc;
    uint64_t hz = khz * 1000;
    /* split to avoid overflow: whole seconds, then the remainder */
    return (ticks / hz) * 1000000000ull + (ticks % hz) * 1000000000ull / hz;
}

void tsc_delay_ns(uint64_t ns)
{
    uint64_t k = khz ? khz : DEFAULT_KHZ;
    uint64_t end = rdtsc() + ns * k / 1000000;

    while (rdtsc() < end)
        cpu_relax();
}
