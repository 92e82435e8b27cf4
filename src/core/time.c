/*
 * src/core/time.c - monotonic clock, periodic tick, sleeping (see include/core/time.h).
 *
 * Part of core. Calibrations run for CALIBRATE_NS of the reference clock
 * with interrupts off.
 */
#include <core/time.h>
#include <core/apic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/irq.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/x86.h>

#define CALIBRATE_NS        10000000ull     /* 10 ms */
#define APIC_COUNT_START    0xFFFFFFFFu

/* Set at boot, before the other CPUs start; read-only afterwards. */
static const struct time_clocksource *offered;  /* the best registered source */
static bool clock_chosen;                       /* time_init ran: no more sources */
static const struct time_clocksource *clock;    /* what time_ns reads; NULL: the TSC */
static uint64_t clock_offset_ns;                /* time_ns when clock was chosen, minus its reading */
static char clock_name[64] = "TSC (calibrated against the PIT)";
static uint64_t apic_hz;

static volatile uint64_t ticks;
static bool tick_running[CPU_MAX];         /* by CPU index: may this CPU halt to wait? */

/* Filled once each, first free slot first (compare-and-swap); never emptied. */
static void (*tick_hooks[TIME_TICK_HOOKS])(void);
static bool (*sleeper)(uint64_t ns);

uint64_t time_ns(void)
{
    if (clock)
        return clock_offset_ns + clock->read_ns();
    return tsc_ns_since_boot();
}

uint64_t time_ticks(void)
{
    return ticks;
}

const char *time_source_name(void)
{
    return clock_name;
}

uint64_t time_apic_timer_hz(void)
{
    return apic_hz;
}

int time_clocksource_register(const struct time_clocksource *cs)
{
    if (!cs || !cs->name || !cs->read_ns)
        return -EINVAL;
    if (clock_chosen)
        return -EBUSY;
    if (cs->rating > TIME_RATING_TSC_PIT && (!offered || cs->rating > offered->rating))
        offered = cs;
    return 0;
}

int time_tick_hook_register(void (*fn)(void))
{
    if (!fn)
        return -EINVAL;
    for (size_t i = 0; i < TIME_TICK_HOOKS; i++) {
        void (*expected)(void) = NULL;
        if (__atomic_compare_exchange_n(&tick_hooks[i], &expected, fn, false,
                                        __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return 0;
    }
    return -ENOSPC;
}

void time_set_sleeper(bool (*sleep_ns)(uint64_t ns))
{
    __atomic_store_n(&sleeper, sleep_ns, __ATOMIC_RELEASE);
}

static bool on_tick(void *ctx)
{
    (void)ctx;
    if (this_cpu()->index == 0)
        ticks++;
    /* every CPU: the scheduler's time slices and sleepers, a clock's upkeep */
    for (size_t i = 0; i < TIME_TICK_HOOKS; i++) {
        void (*fn)(void) = __atomic_load_n(&tick_hooks[i], __ATOMIC_ACQUIRE);
        if (!fn)
            break;
        fn();
    }
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

/* TSC rate (kHz) measured against a registered clock source. */
static uint64_t tsc_khz_from(const struct time_clocksource *ref)
{
    return measure_rate(ref->read_ns, read_tsc, false) / 1000;
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

int time_init(void)
{
    uint64_t irq = irq_save();
    const struct time_clocksource *ref = offered;
    int err;

    clock_chosen = true;
    if (ref) {
        tsc_set_khz(tsc_khz_from(ref));
        if (tsc_is_invariant()) {
            snprintf(clock_name, sizeof(clock_name), "invariant TSC (calibrated against the %s)",
                     ref->name);
        } else {
            clock_offset_ns = tsc_ns_since_boot() - ref->read_ns();
            clock = ref;
            snprintf(clock_name, sizeof(clock_name), "%s", ref->name);
        }
    }
    apic_hz = apic_timer_rate();
    irq_restore(irq);

    pr_info("time: clock %s, TSC %llu.%03llu MHz, local APIC timer %llu.%03llu MHz",
            time_source_name(), (unsigned long long)(tsc_khz() / 1000),
            (unsigned long long)(tsc_khz() % 1000), (unsigned long long)(apic_hz / 1000000),
            (unsigned long long)(apic_hz / 1000 % 1000));
    if (apic_hz < TIME_HZ) {
        pr_err("time: local APIC timer runs at %llu Hz; no periodic tick",
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
    bool (*sleep)(uint64_t) = __atomic_load_n(&sleeper, __ATOMIC_ACQUIRE);

    if (sleep && sleep(ns))
        return;
    while (time_ns() < end) {
        /* halt only where a tick is sure to wake us; elsewhere spin */
        if (irq_enabled() && tick_running[this_cpu()->index])
            cpu_idle();
        else
            cpu_relax();
    }
}
