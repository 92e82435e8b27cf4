/*
 * src/dev/hpet.c - HPET main counter (see include/dev/hpet.h).
 *
 * Part of dev. Register offsets from the IA-PC HPET specification 1.0a,
 * section 2.3: capabilities/ID at 0x000, configuration at 0x010, main
 * counter at 0x0F0.
 */
#include <dev/hpet.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <core/time.h>
#include <core/tsc.h>
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
/*
 * A 32-bit counter extended in software: the last 64-bit value handed out.
 * Every CPU reads the clock, so it is advanced by compare-and-swap (a
 * reading older than the stored one is retried), never under a lock.
 */
static uint64_t extended;

/* core/time prefers it to the PIT-calibrated TSC */
static const struct time_clocksource hpet_clock = {
    .name = "HPET",
    .read_ns = hpet_ns,
    .rating = TIME_RATING_TSC_PIT + 100,
};

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
        pr_warn("time: the HPET counter does not advance; not using it");
        return false;
    }
    khz = (t1 - t0) * 1000000ull / (h1 - h0);
    if (khz * 100 < pit * (100 - HPET_MAX_DISAGREEMENT_PCT) ||
        khz * 100 > pit * (100 + HPET_MAX_DISAGREEMENT_PCT)) {
        pr_warn("time: the HPET says the TSC runs at %llu kHz, the PIT %llu kHz; "
                "not using the HPET", (unsigned long long)khz, (unsigned long long)pit);
        return false;
    }
    return true;
}

/* Tick hook (every CPU, interrupts off): a 32-bit counter must be read once per wrap. */
static void hpet_tick(void)
{
    if (regs && this_cpu()->index == 0)
        (void)hpet_counter();
}

int hpet_init(uint64_t phys)
{
    uint64_t cap, irq = irq_save();
    int err = -ENODEV;

    regs = vmm_ioremap(phys, 0x400, VMM_WRITE);
    if (!regs) {
        err = -ENOMEM;
        goto fail;
    }
    cap = regs[REG_CAP_ID / 8];
    period_fs = cap >> CAP_PERIOD_SHIFT;
    if (cap == UINT64_MAX || cap == 0 || period_fs == 0 || period_fs > MAX_PERIOD_FS)
        goto fail;
    counter_64 = cap & CAP_COUNTER_64;
    regs[REG_CONFIG / 8] |= CONFIG_ENABLE;
    start = hpet_counter();
    if (!hpet_agrees_with_pit())
        goto fail;
    if (!counter_64 && (err = time_tick_hook_register(hpet_tick)) < 0)
        goto fail;
    err = time_clocksource_register(&hpet_clock);
    if (err < 0)
        goto fail;              /* the hook left behind sees regs NULL and does nothing */
    irq_restore(irq);
    return 0;

fail:
    if (regs)
        vmm_iounmap((void *)regs);
    regs = NULL;
    irq_restore(irq);
    pr_warn("time: HPET at %#llx unusable; using the TSC", (unsigned long long)phys);
    return err;
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
    uint64_t old, value;

    if (counter_64)
        return regs[REG_COUNTER / 8];
    old = __atomic_load_n(&extended, __ATOMIC_ACQUIRE);
    do {
        uint32_t low = (uint32_t)regs[REG_COUNTER / 8];
        value = (old & ~0xFFFFFFFFull) | low;
        if (low < (uint32_t)old)
            value += 1ull << 32;        /* wrapped since the stored reading */
    } while (!__atomic_compare_exchange_n(&extended, &old, value, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    return value;
}

uint64_t hpet_ns(void)
{
    uint64_t ticks = hpet_counter() - start;

    /* split so ticks * period never overflows: whole millions, then the rest */
    return (ticks / FS_PER_NS) * period_fs + (ticks % FS_PER_NS) * period_fs / FS_PER_NS;
}
