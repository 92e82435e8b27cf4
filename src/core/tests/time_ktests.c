/*
 * src/core/tests/time_ktests.c - in-kernel tests of the clock and the tick.
 *
 * Part of core's ktests. A 100 ms sleep is measured independently by the
 * HPET (when there is one) and the TSC and must be within 5 % by both; the
 * tick must run at TIME_HZ; the clock must never step back. Plus the
 * interrupt-latency benchmark (bench.self_ipi_round_trip).
 */
#include <core/irq.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/time.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/apic.h>
#include <dev/hpet.h>

#define SLEEP_NS        100000000ull
#define TOLERANCE_NS    (SLEEP_NS / 20)     /* 5 % */

KTEST(time, sleep_100ms_within_5_percent_by_hpet_and_tsc)
{
    uint64_t flags = irq_save(), h0 = 0, h1 = 0, t0, t1;

    irq_enable();
    if (hpet_present())
        h0 = hpet_ns();
    t0 = tsc_ns_since_boot();
    time_sleep_ns(SLEEP_NS);
    t1 = tsc_ns_since_boot();
    if (hpet_present())
        h1 = hpet_ns();
    irq_restore(flags);
    if (!(flags & RFLAGS_IF))
        irq_disable();

    KT_EXPECT_GE(t1 - t0, SLEEP_NS - TOLERANCE_NS);
    KT_EXPECT_LE(t1 - t0, SLEEP_NS + TOLERANCE_NS);
    if (hpet_present()) {
        KT_EXPECT_GE(h1 - h0, SLEEP_NS - TOLERANCE_NS);
        KT_EXPECT_LE(h1 - h0, SLEEP_NS + TOLERANCE_NS);
    }
}

KTEST(time, tick_runs_at_time_hz)
{
    uint64_t flags = irq_save(), k0, k1;

    irq_enable();
    k0 = time_ticks();
    time_sleep_ns(SLEEP_NS);
    k1 = time_ticks();
    irq_restore(flags);
    if (!(flags & RFLAGS_IF))
        irq_disable();
    /* 100 ms at TIME_HZ is 100 ticks; allow 10 % */
    KT_EXPECT_GE(k1 - k0, (uint64_t)(TIME_HZ / 10 * 9 / 10));
    KT_EXPECT_LE(k1 - k0, (uint64_t)(TIME_HZ / 10 * 11 / 10));
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
    printk(LOG_INFO, "bench: local APIC self-IPI round trip: %llu ns/op (%d ops)",
           (unsigned long long)(t / ROUNDS), ROUNDS);
}
