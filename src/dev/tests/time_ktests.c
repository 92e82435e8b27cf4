/*
 * src/dev/tests/time_ktests.c - in-kernel tests of the clock and the tick.
 *
 * Part of dev's ktests. A 100 ms sleep is measured independently by the
 * HPET (when there is one) and the TSC and must be within 5 % by both; the
 * tick must run at TIME_HZ; the clock must never step back; a working HPET
 * registered itself as core/time's clock source. Plus the
 * interrupt-latency benchmark (bench.self_ipi_round_trip).
 */
#include <core/apic.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/hpet.h>

#define SLEEP_NS        100000000ull
#define TOLERANCE_NS    (SLEEP_NS / 20)     /* 5 % */

/*
 * Under emulation the host may not run the virtual CPU for a few
 * milliseconds; that delays a sleep's wake-up and drops ticks, on every
 * clock at once, and is no fault of the kernel. A wrong calibration, on the
 * other hand, is wrong every time. So each measurement is taken up to
 * ATTEMPTS times and the best one must meet the bound; the bound itself
 * (5 %, 10 % for the tick count) is not relaxed.
 */
#define ATTEMPTS 3

static uint64_t distance(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

struct sleep_sample {
    uint64_t tsc_ns, hpet_ns, ticks;
};

static struct sleep_sample measure_sleep(void)
{
    uint64_t flags = irq_save(), h0 = 0, t0, k0;
    struct sleep_sample s = { 0, 0, 0 };

    irq_enable();
    if (hpet_present())
        h0 = hpet_ns();
    t0 = tsc_ns_since_boot();
    k0 = time_ticks();
    time_sleep_ns(SLEEP_NS);
    s.ticks = time_ticks() - k0;
    s.tsc_ns = tsc_ns_since_boot() - t0;
    if (hpet_present())
        s.hpet_ns = hpet_ns() - h0;
    irq_restore(flags);
    if (!(flags & RFLAGS_IF))
        irq_disable();
    return s;
}

KTEST(time, sleep_100ms_within_5_percent_by_hpet_and_tsc)
{
    struct sleep_sample s = { 0, 0, 0 };

    for (int i = 0; i < ATTEMPTS; i++) {
        s = measure_sleep();
        /* never short, by either clock, on any attempt */
        KT_EXPECT_GE(s.tsc_ns, SLEEP_NS);
        if (hpet_present())
            KT_EXPECT_GE(s.hpet_ns, SLEEP_NS);
        if (s.tsc_ns <= SLEEP_NS + TOLERANCE_NS &&
            (!hpet_present() || s.hpet_ns <= SLEEP_NS + TOLERANCE_NS))
            break;
    }
    KT_EXPECT_LE(s.tsc_ns, SLEEP_NS + TOLERANCE_NS);
    if (hpet_present()) {
        KT_EXPECT_LE(s.hpet_ns, SLEEP_NS + TOLERANCE_NS);
        /* the two clocks agree on the same interval */
        KT_EXPECT_LE(distance(s.hpet_ns, s.tsc_ns), TOLERANCE_NS);
    }
}

/*
 * The tick's rate is the local APIC timer's calibration: read the timer's
 * counter against the clock directly (interrupts are not involved) and it
 * must run at time_apic_timer_hz() within 5 %; a timer running slow is
 * caught here. Each counter read is bracketed by two clock reads and used
 * only when they are close (timer_sample): under TCG an MMIO read can wait
 * milliseconds for the emulator's lock on a busy host, and a delayed read
 * inside a 0.5 ms window made the rate look 13 times too fast. Then the interrupts
 * themselves must arrive, and never more of them than the time that passed
 * allows (a timer running fast). How many arrive below that depends on the
 * host: an emulator that runs the CPU late merges ticks (4 of 100 were seen
 * with the 2-core host overloaded), so no lower bound beyond "some" is set.
 */
/* One (clock, counter) pair: false when the counter read took over 20 us. */
static bool timer_sample(uint64_t *ns, uint32_t *count)
{
    uint64_t a = time_ns();
    uint32_t c = apic_timer_current();
    uint64_t b = time_ns();

    if (b - a > 20000ull)
        return false;
    *ns = a + (b - a) / 2;
    *count = c;
    return true;
}

KTEST(time, tick_runs_at_time_hz)
{
    struct sleep_sample s = { 0, 0, 0 };
    uint64_t due = 0, rate = 0, want = time_apic_timer_hz();
    uint32_t c0, c1;
    uint64_t n0, n1;

    KT_ASSERT_GT(want, 0ull);
    /* half a tick period: the periodic counter reloads every 1/TIME_HZ s */
    for (int i = 0; i < 100 * ATTEMPTS; i++) {
        uint64_t flags = irq_save();
        bool ok = timer_sample(&n0, &c0);
        do {
            ok = ok && timer_sample(&n1, &c1);
        } while (ok && n1 - n0 < 500000ull / (TIME_HZ / 1000) && c1 <= c0);
        irq_restore(flags);
        if (!ok || c1 > c0 || n1 == n0)
            continue;                   /* a slow read, or it reloaded mid-window: measure again */
        rate = (uint64_t)(c0 - c1) * 1000000000ull / (n1 - n0);
        if (distance(rate, want) <= want / 20)
            break;
    }
    KT_EXPECT_LE(distance(rate, want), want / 20);

    s = measure_sleep();
    due = s.tsc_ns * TIME_HZ / 1000000000ull;       /* ticks owed for the time that passed */
    KT_EXPECT_LE(s.ticks, due + due / 10 + 1);
    KT_EXPECT_GT(s.ticks, 0ull);
}

/*
 * The clocks are calibrated against each other (TSC and APIC timer against
 * the HPET), so agreement among them proves little. The PIT is the
 * independent witness: its 1.193182 MHz is fixed by the hardware, and the
 * boot measured the TSC against it before the HPET was touched.
 */
KTEST(time, clock_agrees_with_the_pit)
{
    uint64_t pit = tsc_pit_khz(), now = tsc_khz();

    KT_ASSERT_GT(pit, 0ull);
    KT_EXPECT_LE(now > pit ? now - pit : pit - now, pit / 20);     /* within 5 % */
}

static uint64_t fake_read_ns(void)
{
    return 0;
}

/* dev/hpet offered itself at boot and won; the registrations are closed afterwards. */
KTEST(time, hpet_registered_as_the_clock_source)
{
    static const struct time_clocksource fake = { "fake", fake_read_ns, 1000 };
    static const struct time_clocksource nameless = { NULL, fake_read_ns, 1000 };

    if (hpet_present())
        KT_EXPECT_HAS(time_source_name(), "HPET");
    else
        KT_EXPECT_HAS(time_source_name(), "PIT");
    KT_EXPECT_EQ(time_clocksource_register(NULL), -EINVAL);
    KT_EXPECT_EQ(time_clocksource_register(&nameless), -EINVAL);
    KT_EXPECT_EQ(time_clocksource_register(&fake), -EBUSY);
    KT_EXPECT_FALSE(strstr(time_source_name(), "fake"));
    KT_EXPECT_EQ(time_tick_hook_register(NULL), -EINVAL);
}

KTEST(time, clock_never_steps_back)
{
    uint64_t prev = time_ns();

    for (int i = 0; i < 2000; i++) {
        uint64_t now = time_ns();
        KT_ASSERT_GE(now, prev);
        prev = now;
    }
    KT_EXPECT_GT(time_apic_timer_hz(), 1000000ull);
}

/* ---- benchmark: interrupt latency --------------------------------------- */

static volatile bool ipi_seen;

static bool on_bench_ipi(void *ctx)
{
    (void)ctx;
    ipi_seen = true;
    return true;
}

KTEST_F(bench, self_ipi_round_trip, KTEST_MANUAL)
{
    enum { ROUNDS = 2000 };
    uint64_t flags = irq_save(), t;
    uint8_t vector;
    int h = irq_request_vector(on_bench_ipi, NULL, "bench-ipi", &vector);

    KT_ASSERT_GE(h, 0);
    irq_enable();
    t = tsc_ns_since_boot();
    for (int i = 0; i < ROUNDS; i++) {
        ipi_seen = false;
        apic_send_self_ipi(vector);
        while (!ipi_seen)
            cpu_relax();
    }
    t = tsc_ns_since_boot() - t;
    irq_restore(flags);
    if (!(flags & RFLAGS_IF))
        irq_disable();
    irq_free(h);
    pr_info("bench: local APIC self-IPI round trip: %llu ns/op (%d ops)",
            (unsigned long long)(t / ROUNDS), ROUNDS);
}
