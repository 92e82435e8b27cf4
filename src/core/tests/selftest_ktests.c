/*
 * src/core/tests/selftest_ktests.c - tests that fail on purpose.
 *
 * Part of core's ktests. They prove the runner can fail and survives what a
 * broken test does: a failed assertion, a CPU exception and a panic each
 * fail only their own test, and the run reaches its closing line. Two more
 * prove skipping: a skip is reported with its reason and counted apart,
 * and a test that failed before it skipped stays failed. Marked
 * KTEST_MANUAL: they run only with `ktest=selftest.*` (ctest entries
 * ktest.selftest_must_fail and ktest.selftest_recovers).
 */
#include <core/ktest.h>
#include <core/panic.h>
#include <core/string.h>

/* Not mapped by the boot page tables (only the first 4 GiB are). */
#define UNMAPPED_ADDRESS 0x0000100000000000ul

KTEST_F(selftest, assert_eq, KTEST_MANUAL)
{
    int two = 2;
    KT_ASSERT_EQ(two + 1, 4);
}

KTEST_F(selftest, page_fault, KTEST_MANUAL)
{
    volatile uint64_t *p = (volatile uint64_t *)UNMAPPED_ADDRESS;
    (void)*p;
}

KTEST_F(selftest, panic, KTEST_MANUAL)
{
    panic("ktest_fn_selftest_panic: deliberate panic");
}

KTEST_F(selftest, skip, KTEST_MANUAL)
{
    KT_SKIP("deliberate skip %d", 42);
    ktest_fail(__FILE__, __LINE__, "ran on after KT_SKIP");
}

KTEST_F(selftest, fail_then_skip, KTEST_MANUAL)
{
    KT_EXPECT_EQ(1 + 1, 3);
    KT_SKIP("a failed test must not turn into a skip");
}
