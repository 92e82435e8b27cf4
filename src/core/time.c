/*
 * src/core/time.c - monotonic clock, periodic tick, sleeping (see include/core/time.h).
 *
 * Part of core. Calibrations run for CALIBRATE_NS of the reference clock
 * with interrupts off.
 */
#include <core/time.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/apic.h>
#include <dev/hpet.h>
#include <core/cpu.h>
#include <sched/sched.h>

#define CALIBRATE_NS        10000000ull     /* 10 ms */
#define APIC_COUNT_START    0xFFFFFFFFu

static enum time_source source = TIME_SOURCE_TSC_PIT;
static uint64_t hpet_offset_ns;             /* time_ns at hpet_init */
static volatile uint64_t ticks;
static bool tick_running[CPU_MAX];         /* by CPU index: may this CPU halt to wait? */
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
    if (this_cpu()->index == 0) {
        ticks++;
        if (source == TIME_SOURCE_HPET)
            (void)hpet_counter();   /* keeps a 32-bit counter's wrap count current */
    }
    sched_tick();               /* every CPU: time slices and sleepers */
    return true;
}

/*
 * A reading of the reference clock and the measured counter taken close
 * together: under emulation the CPU may stall between two reads, which
 * would skew a 10 ms calibration by whole milliseconds. A pair whose two
 * reference reads lie more than PAIR_SLACK_NS apart is taken again.
 */
#define PAIR_SLACK_NS   20000ull
#define PAIR_TRIES      100

struct pair {
    uint64_t ref_ns;
    uint64_t count;
};

static struct pair read_pair(uint64_t (*ref)(void), uint64_t (*counter)(void))
{
    struct pair p = { 0, 0 };

    for (int i = 0; i < PAIR_TRIES; i++) {
        uint64_t a = ref(), c = counter(), b = ref();
        p = (struct pair){ a + (b - a) / 2, c };
        if (b - a <= PAIR_SLACK_NS)
            break;
    }
    return p;
}

static uint64_t read_tsc(void)
{
    return rdtsc();
}

static uint64_t read_apic_timer(void)
{
    return apic_timer_current();
}

/* counter ticks per second, measured against ref over at least CALIBRATE_NS */
static uint64_t measure_rate(uint64_t (*ref)(void), uint64_t (*counter)(void), bool down)
{
    struct pair p0 = read_pair(ref, counter), p1;
    uint64_t start = rdtsc(), limit = tsc_khz() * (CALIBRATE_NS / 1000000) * 100;

    do {
        p1 = read_pair(ref, counter);
    } while (p1.ref_ns - p0.ref_ns < CALIBRATE_NS && rdtsc() - start < limit);
    if (p1.ref_ns <= p0.ref_ns)
        return 0;                       /* the reference clock stood still */
    uint64_t counted = down ? p0.count - p1.count : p1.count - p0.count;
    return counted * 1000000000ull / (p1.ref_ns - p0.ref_ns);
}

/* TSC rate (kHz) measured against the HPET. */
static uint64_t tsc_khz_from_hpet(void)
{
    return measure_rate(hpet_ns, read_tsc, false) / 1000;
}

/* Local APIC timer ticks per second, measured against time_ns. */
static uint64_t apic_timer_rate(void)
{
    uint64_t hz;

    apic_timer_count_down(APIC_COUNT_START);
    hz = measure_rate(time_ns, read_apic_timer, true);
    apic_timer_stop();
    return hz;
}

/*
 * An HPET whose counter does not move, or whose stated period is wrong,
 * would make every clock in the kernel wrong (the TSC and the local APIC
 * timer are calibrated against it). Check it against the PIT's independent
 * measurement of the TSC: more than HPET_MAX_DISAGREEMENT_PCT apart (a dead
 * counter, a period off by a factor), and the HPET is not used. The wait is bounded by the TSC, so a dead counter
 * cannot hang the boot.
 */
#define HPET_MAX_DISAGREEMENT_PCT   10
#define HPET_CHECK_NS               5000000ull

static bool hpet_agrees_with_pit(void)
{
    uint64_t pit = tsc_pit_khz(), h0, h1, t0, t1, tsc_limit, khz;

    if (!pit)
        return true;                    /* nothing to compare with */
    tsc_limit = pit * (HPET_CHECK_NS / 1000) / 1000 * 4;    /* 4x the window, in TSC ticks */
    h0 = hpet_ns();
    t0 = rdtsc();
    do {
        h1 = hpet_ns();
        t1 = rdtsc();
    } while (h1 - h0 < HPET_CHECK_NS && t1 - t0 < tsc_limit);
    if (h1 - h0 < HPET_CHECK_NS) {
        printk(LOG_WARNING, "time: the HPET counter does not advance; not using it");
        return false;
    }
    khz = (t1 - t0) * 1000000ull / (h1 - h0);
    if (khz * 100 < pit * (100 - HPET_MAX_DISAGREEMENT_PCT) ||
        khz * 100 > pit * (100 + HPET_MAX_DISAGREEMENT_PCT)) {
        printk(LOG_WARNING, "time: the HPET says the TSC runs at %llu kHz, the PIT %llu kHz; "
               "not using the HPET", (unsigned long long)khz, (unsigned long long)pit);
        return false;
    }
    return true;
}

int time_init(uint64_t hpet_phys)
{
    uint64_t irq = irq_save();
    int err;

    if (hpet_phys && hpet_init(hpet_phys) == 0 && hpet_agrees_with_pit()) {
        uint64_t k = tsc_khz_from_hpet();
        tsc_set_khz(k);
        if (tsc_is_invariant()) {
            source = TIME_SOURCE_TSC_HPET;
        } else {
            hpet_offset_ns = tsc_ns_since_boot() - hpet_ns();
            source = TIME_SOURCE_HPET;
        }
    } else if (hpet_phys) {
        printk(LOG_WARNING, "time: HPET at %#llx unusable; using the TSC",
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
    tick_running[this_cpu()->index] = true;
    return 0;
}

void time_init_ap(void)
{
    if (apic_hz >= TIME_HZ) {
        apic_timer_periodic(IRQ_VEC_TIMER, (uint32_t)(apic_hz / TIME_HZ));
        tick_running[this_cpu()->index] = true;
    }
}

void time_sleep_ns(uint64_t ns)
{
    uint64_t end = time_ns() + ns;

    if (sched_can_sleep()) {
        sched_sleep_ns(ns);
        return;
    }
    while (time_ns() < end) {
        /* halt only where a tick is sure to wake us; elsewhere spin */
        if (irq_enabled() && tick_running[this_cpu()->index])
            cpu_idle();
        else
            cpu_relax();
    }
}
