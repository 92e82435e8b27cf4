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
#define CALIBRATE_MS        5
#define CALIBRATE_WINDOWS   3
#define CALIBRATE_SPIN_LIMIT 10000000ull   /* port reads; ~10 ms needs far fewer */
#define DEFAULT_KHZ         1000000ull
#define CPUID_INVARIANT_TSC (1u << 8)     /* leaf 0x80000007 EDX */
#define MIN_PLAUSIBLE_KHZ   100000ull       /* 100 MHz */
#define MAX_PLAUSIBLE_KHZ   20000000ull     /* 20 GHz */

static uint64_t boot_tsc;
static uint64_t base_tsc, base_ns;     /* tsc_set_khz rebases here: time never steps back */
static uint64_t khz;
static bool calibrated;     /* khz was measured, not assumed */

void tsc_init_early(void)
{
    boot_tsc = rdtsc();
    base_tsc = boot_tsc;
}

/* The CPU's own word on its base frequency (CPUID leaf 0x16), in kHz; 0 if it says nothing. */
static uint64_t cpuid_khz(void)
{
    if (cpuid(0, 0).eax < 0x16)
        return 0;
    return (uint64_t)(cpuid(0x16, 0).eax & 0xFFFF) * 1000;
}

static bool plausible(uint64_t k)
{
    return k >= MIN_PLAUSIBLE_KHZ && k <= MAX_PLAUSIBLE_KHZ;
}

/*
 * One measurement over CALIBRATE_MS of PIT channel 2. Returns the TSC ticks
 * it took, or 0 when the PIT does not arm or never counts down.
 */
static uint64_t pit_window(void)
{
    uint16_t count = (uint16_t)(PIT_HZ * CALIBRATE_MS / 1000);
    uint8_t gate = inb(PIT_GATE_PORT);
    uint64_t start, end, spins = 0;
    bool armed, fired = false;

    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) | PIT_GATE_CH2));
    outb(PIT_COMMAND, PIT_CMD_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, (uint8_t)count);
    outb(PIT_CH2_DATA, (uint8_t)(count >> 8));
    /* mode 0 drives OUT2 low until the count runs out: high now means no PIT */
    armed = !(inb(PIT_GATE_PORT) & PIT_CH2_OUT);
    start = rdtsc();
    while (armed && !(fired = inb(PIT_GATE_PORT) & PIT_CH2_OUT))
        if (++spins > CALIBRATE_SPIN_LIMIT)
            break;
    end = rdtsc();
    outb(PIT_GATE_PORT, gate);
    return armed && fired ? end - start : 0;
}

/*
 * A stall of the CPU during a window (an emulator descheduled, an SMI) can
 * only make it look longer, so the shortest of a few windows is the best.
 */
int tsc_calibrate(void)
{
    uint64_t best = UINT64_MAX;

    for (int i = 0; i < CALIBRATE_WINDOWS; i++) {
        uint64_t ticks = pit_window();
        if (!ticks)
            break;
        best = MIN(best, ticks);
    }
    khz = best == UINT64_MAX ? 0 : best / CALIBRATE_MS;
    if (plausible(khz)) {
        calibrated = true;
        return 0;
    }
    /* no usable PIT: trust CPUID if it names a frequency, else guess */
    khz = cpuid_khz();
    if (!plausible(khz))
        khz = DEFAULT_KHZ;
    return -EIO;
}

bool tsc_is_calibrated(void)
{
    return calibrated;
}

uint64_t tsc_khz(void)
{
    return khz;
}

static uint64_t ticks_to_ns(uint64_t ticks, uint64_t k)
{
    uint64_t hz = k * 1000;
    /* split to avoid overflow: whole seconds, then the remainder */
    return (ticks / hz) * 1000000000ull + (ticks % hz) * 1000000000ull / hz;
}

uint64_t tsc_ns_since_boot(void)
{
    if (!khz)
        return 0;
    return base_ns + ticks_to_ns(rdtsc() - base_tsc, khz);
}

void tsc_set_khz(uint64_t new_khz)
{
    uint64_t irq = irq_save(), now = rdtsc();

    if (khz)
        base_ns += ticks_to_ns(now - base_tsc, khz);
    base_tsc = now;
    khz = new_khz;
    calibrated = true;
    irq_restore(irq);
}

bool tsc_is_invariant(void)
{
    return cpuid(0x80000000, 0).eax >= 0x80000007 &&
           (cpuid(0x80000007, 0).edx & CPUID_INVARIANT_TSC);
}

void tsc_delay_ns(uint64_t ns)
{
    uint64_t k = khz ? khz : DEFAULT_KHZ;
    uint64_t end = rdtsc() + ns * k / 1000000;

    while (rdtsc() < end)
        cpu_relax();
}
