/*
 * src/dev/tests/irq_ktests.c - in-kernel tests of interrupt registration.
 *
 * Part of dev's ktests. Allocated vectors are exercised with self-IPIs
 * through the local APIC (a second IPI on the same vector only arrives if
 * the first was acknowledged with exactly one EOI); a real ISA interrupt,
 * PIT channel 0 on IRQ 0, proves the I/O APIC routing and the MADT-style
 * IRQ 0 -> GSI 2 override end to end.
 */
#include <core/apic.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/ioapic.h>
#include <dev/pit.h>

#define UNUSED_GSI 23           /* the last I/O APIC input: nothing is wired there on QEMU */
#define IOAPIC_ENTRY_MASKED (1ull << 16)
#define IOAPIC_ENTRY_LEVEL  (1ull << 15)

struct counter {
    volatile unsigned hits;
    bool claim;
};

static bool count_hit(void *ctx)
{
    struct counter *c = ctx;
    c->hits++;
    return c->claim;
}

/* Waits (interrupts on) until *hits reaches want or 100 ms pass. */
static void wait_for(volatile unsigned *hits, unsigned want)
{
    uint64_t end = tsc_ns_since_boot() + 100000000ull;

    while (*hits < want && tsc_ns_since_boot() < end)
        cpu_idle();
}

static uint64_t vector_count(uint8_t vector, uint64_t *unhandled)
{
    struct irq_vector_stats st[64];
    size_t n = irq_stats(st, 64);

    for (size_t i = 0; i < n; i++)
        if (st[i].vector == vector) {
            if (unhandled)
                *unhandled = st[i].unhandled;
            return st[i].count;
        }
    return 0;
}

KTEST(irq, allocated_vector_receives_self_ipis)
{
    struct counter c = { 0, true };
    uint64_t unhandled = 0, flags = irq_save();
    uint8_t vector;
    int h = irq_request_vector(count_hit, &c, "ktest-vector", &vector);

    KT_ASSERT_GE(h, 0);
    KT_EXPECT_GE(vector, IRQ_VEC_DYNAMIC_FIRST);
    KT_EXPECT_LE(vector, IRQ_VEC_DYNAMIC_LAST);
    apic_send_self_ipi(vector);
    wait_for(&c.hits, 1);
    apic_send_self_ipi(vector);     /* arrives only if the first got its EOI */
    wait_for(&c.hits, 2);
    KT_EXPECT_EQ(c.hits, 2u);
    KT_EXPECT_EQ(vector_count(vector, &unhandled), 2ull);
    KT_EXPECT_EQ(unhandled, 0ull);
    KT_EXPECT_EQ(irq_free(h), 0);
    KT_EXPECT_EQ(irq_free(h), -ENOENT);
    irq_restore(flags);
}

KTEST(irq, unclaimed_interrupts_are_counted)
{
    struct counter c = { 0, false };        /* handler runs but does not claim */
    uint64_t unhandled = 0, flags = irq_save();
    uint8_t vector;
    int h = irq_request_vector(count_hit, &c, "ktest-unclaimed", &vector);

    KT_ASSERT_GE(h, 0);
    apic_send_self_ipi(vector);
    wait_for(&c.hits, 1);
    KT_EXPECT_EQ(c.hits, 1u);
    vector_count(vector, &unhandled);
    KT_EXPECT_EQ(unhandled, 1ull);
    irq_free(h);
    irq_restore(flags);
}

KTEST(irq, shared_line_runs_every_handler)
{
    struct counter a = { 0, true }, b = { 0, false }, c = { 0, true };
    uint64_t entry, flags = irq_save();
    struct irq_vector_stats st[64];
    int ha, hb, hc;
    uint8_t vector = 0;

    ha = irq_request_gsi(UNUSED_GSI, count_hit, &a, "ktest-a", IRQ_SHARED | IRQ_LEVEL);
    hb = irq_request_gsi(UNUSED_GSI, count_hit, &b, "ktest-b", IRQ_SHARED | IRQ_LEVEL);
    hc = irq_request_gsi(UNUSED_GSI, count_hit, &c, "ktest-c", 0);  /* not shared */
    /* shared, but edge-triggered: a line has one trigger mode */
    KT_EXPECT_EQ(irq_request_gsi(UNUSED_GSI, count_hit, &c, "ktest-d", IRQ_SHARED), -EBUSY);
    KT_ASSERT_GE(ha, 0);
    KT_ASSERT_GE(hb, 0);
    KT_EXPECT_EQ(hc, -EBUSY);
    for (size_t i = 0, n = irq_stats(st, 64); i < n; i++)
        if (st[i].gsi == UNUSED_GSI)
            vector = st[i].vector;
    KT_ASSERT_NE(vector, 0);
    KT_ASSERT_EQ(ioapic_read_entry(UNUSED_GSI, &entry), 0);
    KT_EXPECT_EQ(entry & 0xFF, (uint64_t)vector);
    KT_EXPECT_FALSE(entry & IOAPIC_ENTRY_MASKED);
    KT_EXPECT_TRUE(entry & IOAPIC_ENTRY_LEVEL);       /* the flags reached the I/O APIC */
    apic_send_self_ipi(vector);
    wait_for(&a.hits, 1);
    KT_EXPECT_EQ(a.hits, 1u);
    KT_EXPECT_EQ(b.hits, 1u);
    KT_EXPECT_EQ(irq_free(ha), 0);
    KT_ASSERT_EQ(ioapic_read_entry(UNUSED_GSI, &entry), 0);
    KT_EXPECT_FALSE(entry & IOAPIC_ENTRY_MASKED);       /* b still uses it */
    KT_EXPECT_EQ(irq_free(hb), 0);
    KT_ASSERT_EQ(ioapic_read_entry(UNUSED_GSI, &entry), 0);
    KT_EXPECT_TRUE(entry & IOAPIC_ENTRY_MASKED);        /* last one gone: masked */
    irq_restore(flags);
}

KTEST(irq, pit_interrupt_arrives_through_the_ioapic)
{
    struct counter c = { 0, true };
    uint64_t flags = irq_save();
    struct irq_vector_stats st[64];
    uint32_t gsi = 0;
    int h = irq_request_legacy(0, count_hit, &c, "ktest-pit", 0);

    KT_ASSERT_GE(h, 0);
    for (size_t i = 0, n = irq_stats(st, 64); i < n; i++)
        if (st[i].name && st[i].count == 0 && st[i].gsi != UINT32_MAX &&
            st[i].gsi < 16)
            gsi = st[i].gsi;
    KT_EXPECT_EQ(gsi, 2u);          /* the override, not IRQ 0 itself */
    KT_ASSERT_EQ(pit_start_periodic(1000), 0);
    wait_for(&c.hits, 5);
    pit_stop();
    KT_EXPECT_GE(c.hits, 5u);
    irq_free(h);
    irq_restore(flags);
}

KTEST(irq, bad_requests_are_refused)
{
    uint8_t v;

    KT_EXPECT_EQ(irq_request_legacy(16, count_hit, NULL, "x", 0), -EINVAL);
    KT_EXPECT_EQ(irq_request_vector(NULL, NULL, "x", &v), -EINVAL);
    KT_EXPECT_EQ(irq_request_fixed(IRQ_VEC_SPURIOUS, count_hit, NULL, "x"), -EINVAL);
    KT_EXPECT_EQ(irq_request_gsi(1000, count_hit, NULL, "x", 0), -ENODEV);
    KT_EXPECT_EQ(irq_free(-1), -EINVAL);
}
