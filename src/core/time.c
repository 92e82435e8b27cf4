/*
 * src/core/time.c - monotonic clock, periodic tick, sleeping (see include/core/time.h).
 *
 * Part of core. Calibrations run for CALIBRATE_NS of the reference clock
 * with interrupts off.
 */
#include <core/time.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/apic.h>
#include <dev/hpet.h>

#define CALIBRATE_NS        10000000ull     /* 10 ms */
#define APIC_COUNT_START    0xFFFFFFFFu

static enum time_source source = TIME_SOURCE_TSC_PIT;
static uint64_t hpet_offset_ns;             /* time_ns at hpet_init */
static volatile uint64_t ticks;
static uint64_t apic_hz;

static const char *const source_names[] = {
    [TIME_SOURCE_TSC_PIT] = "TSC (calibrated against the PIT)",
    [TIME_SOURCE_HPET] = "HPET",
    [TIME_SOURCE_TSC_HPET] = "invariant TSC (calibrated against the HPET)",
};

uint64_t time_ns(void)
{
    if (source == TIME_SOURCE_HPET)
        return hpet_offset_ns + hpet_ns();
    return tsc_ns_since_boot();
}

uint64_t time_ticks(void)
{
    return ticks;
}

enum time_source time_source(void)
{
    return source;
}

const char *time_source_name(void)
{
    return source_names[source];
}

uint64_t time_apic_timer_hz(void)
{
    return apic_hz;
}

static bool on_tick(void *ctx)
{
    (void)ctx;
    ticks++;
    if (source == TIME_SOURCE_HPET)
        (void)hpet_counter();   /* keeps a 32-bit counter's wrap count current */
    return true;
}

/* TSC rate measured against the HPET over CALIBRATE_NS. */
static uint64_t tsc_khz_from_hpet(void)
{
    uint64_t h0 = hpet_ns(), t0 = rdtsc(), h1, t1;

    do {
        h1 = hpet_ns();
    } while (h1 - h0 < CALIBRATE_NS);
    t1 = rdtsc();
    return (t1 - t0) * 1000000ull / (h1 - h0);
}

/* Local APIC timer ticks per second, measured against time_ns. */
static uint64_t apic_timer_rate(void)
{
    uint64_t n0, n1;
    uint32_t left;

    apic_timer_count_down(APIC_COUNT_START);
    n0 = time_ns();
    do {
        n1 = time_ns();
    } while (n1 - n0 < CALIBRATE_NS);
    left = apic_timer_current();
    apic_timer_stop();
    return (uint64_t)(APIC_COUNT_START - left) * 1000000000ull / (n1 - n0);
}

int time_init(uint64_t hpet_phys)
{
    uint64_t irq = irq_save();
    int err;

    if (hpet_phys && hpet_init(hpet_phys) == 0) {
        uint64_t k = tsc_khz_from_hpet();
        tsc_set_khz(k);
        if (tsc_is_invariant()) {
            source = TIME_SOURCE_TSC_HPET;
        } else {
            hpet_offset_ns = tsc_ns_since_boot() - hpet_ns();
            source = TIME_SOURCE_HPET;
        }
    } else if (hpet_phys) {
        printk(LOG_WARNING, "time: HPET at %#llx does not answer; using the TSC",
               (unsigned long long)hpet_phys);
    }
    apic_hz = apic_timer_rate();
    irq_restore(irq);

    printk(LOG_INFO, "time: clock %s, TSC %llu.%03llu MHz, local APIC timer %llu.%03llu MHz",
           time_source_name(), (unsigned long long)(tsc_khz() / 1000),
           (unsigned long long)(tsc_khz() % 1000), (unsigned long long)(apic_hz / 1000000),
           (unsigned long long)(apic_hz / 1000 % 1000));
    if (apic_hz < TIME_HZ) {
        printk(LOG_ERR, "time: local APIC timer runs at %llu Hz; no periodic tick",
               (unsigned long long)apic_hz);
        return -EIO;
    }
    err = irq_request_fixed(IRQ_VEC_TIMER, on_tick, NULL, "tick");
    if (err < 0)
        return err;
    apic_timer_periodic(IRQ_VEC_TIMER, (uint32_t)(apic_hz / TIME_HZ));
    return 0;
}

void time_sleep_ns(uint64_t ns)
{
    uint64_t end = time_ns() + ns;

    while (time_ns() < end) {
        if (irq_enabled())
            cpu_idle();         /* the next tick (at most 1/TIME_HZ away) wakes us */
        else
            cpu_relax();
    }
}
