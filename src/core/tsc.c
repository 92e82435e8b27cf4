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
#define PIT_CMD_CH2_MODE0_LOHI  0xB0    /* channel 2, lobyte/hibyte, mode 0 */
#define CALIBRATE_MS        5
#define CALIBRATE_WINDOWS   3
#define PIT_CMD_CH2_LATCH   0x80    /* counter latch, channel 2 */
#define PAIR_SLACK_TICKS    24      /* ~20 us of PIT time between the two reads */
#define PAIR_TRIES          1000
#define PIT_GIVE_UP_TSC     2000000000ull   /* ~1 s of TSC: the PIT does not count */
#define CALIBRATE_SPIN_LIMIT 10000000ull   /* port reads; ~10 ms needs far fewer */
#define DEFAULT_KHZ         1000000ull
#define CPUID_INVARIANT_TSC (1u << 8)     /* leaf 0x80000007 EDX */
#define MIN_PLAUSIBLE_KHZ   100000ull       /* 100 MHz */
#define MAX_PLAUSIBLE_KHZ   20000000ull     /* 20 GHz */

static uint64_t boot_tsc;
static uint64_t base_tsc, base_ns;     /* tsc_set_khz rebases here: time never steps back */
static uint64_t khz;
static bool calibrated;     /* khz was measured, not assumed */
static uint64_t pit_khz;    /* what the PIT measured, kept as an independent reference */

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

/* Latches and reads PIT channel 2's count (it counts down at PIT_HZ). */
static uint16_t pit_ch2_count(void)
{
    uint8_t lo, hi;

    outb(PIT_COMMAND, PIT_CMD_CH2_LATCH);
    lo = inb(PIT_CH2_DATA);
    hi = inb(PIT_CH2_DATA);
    return (uint16_t)(lo | (hi << 8));
}

/*
 * A TSC reading bracketed by two PIT readings at most PAIR_SLACK_TICKS
 * apart (an emulated CPU may stall between any two instructions: such a
 * pair is taken again). Returns false if no tight pair could be had.
 */
static bool pit_pair(uint16_t *pit, uint64_t *tsc)
{
    for (int i = 0; i < PAIR_TRIES; i++) {
        uint16_t a = pit_ch2_count();
        uint64_t t = rdtsc();
        uint16_t b = pit_ch2_count();
        if ((uint16_t)(a - b) <= PAIR_SLACK_TICKS) {
            *pit = (uint16_t)(a - (uint16_t)(a - b) / 2);
            *tsc = t;
            return true;
        }
    }
    return false;
}

/*
 * The TSC rate over CALIBRATE_MS of PIT channel 2, counting down freely
 * from 0xFFFF, read at both ends in tight pairs: a stall anywhere in
 * between cannot skew it. Returns the rate in kHz, or 0 when the PIT does
 * not count.
 */
static uint64_t pit_measure(void)
{
    uint8_t gate = inb(PIT_GATE_PORT);
    uint16_t p0, p1;
    uint64_t t0, t1, spins = 0, khz_out = 0;

    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) | PIT_GATE_CH2));
    outb(PIT_COMMAND, PIT_CMD_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, 0xFF);
    outb(PIT_CH2_DATA, 0xFF);
    if (!pit_pair(&p0, &t0))
        goto out;
    do {
        if (!pit_pair(&p1, &t1) || ++spins > CALIBRATE_SPIN_LIMIT ||
            t1 - t0 > PIT_GIVE_UP_TSC)
            goto out;                   /* no PIT counting there */
    } while ((uint16_t)(p0 - p1) < PIT_HZ * CALIBRATE_MS / 1000);
    /* ns = PIT ticks * 1e9 / PIT_HZ; kHz = TSC ticks * 1e6 / ns */
    uint64_t ns = (uint64_t)(uint16_t)(p0 - p1) * 1000000000ull / PIT_HZ;
    khz_out = (t1 - t0) * 1000000ull / ns;
out:
    outb(PIT_GATE_PORT, gate);
    return khz_out;
}

/* The median of a few measurements: one disturbed beyond the pairing cannot win. */
int tsc_calibrate(void)
{
    uint64_t m[CALIBRATE_WINDOWS];
    int n = 0;

    for (int i = 0; i < CALIBRATE_WINDOWS; i++) {
        uint64_t k = pit_measure();
        if (!k)
            break;
        /* insertion sort */
        int j = n++;
        while (j > 0 && m[j - 1] > k) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = k;
    }
    khz = n ? m[n / 2] : 0;
    if (n == CALIBRATE_WINDOWS && plausible(khz)) {
        calibrated = true;
        pit_khz = khz;
        return 0;
    }
    /* no usable PIT: trust CPUID if it names a frequency, else guess */
    khz = cpuid_khz();
    if (!plausible(khz))
        khz = DEFAULT_KHZ;
    return -EIO;
}

uint64_t tsc_pit_khz(void)
{
    return pit_khz;
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
