/*
 * src/fs/tests/writeback_ktests.c - in-kernel tests of fs/writeback (suite
 * writeback): the flusher runs when kicked and on its own every 5 s, the
 * dirty limit is a tenth of RAM, the reclaim hook registered with mm frees
 * clean buffers (directly and through a failing allocation), and the
 * shutdown hook registered with dev/acpi syncs.
 *
 * Part of fs's ktests. writeback_init runs at boot (vfs_init), so these
 * look at the real flusher and hooks; buffers come from a dev/ramdisk disk
 * ("wbta") that each test destroys again.
 */
#include <core/errno.h>
#include <core/ktest.h>
#include <core/time.h>
#include <dev/acpi.h>
#include <dev/ramdisk.h>
#include <fs/bcache.h>
#include <fs/pagecache.h>
#include <mm/pmm.h>
#include <sched/thread.h>

/* Waits up to timeout_ns for the flusher to have run more than runs times. */
static bool wb_wait_runs(uint64_t runs, uint64_t timeout_ns)
{
    uint64_t start = time_ns();

    while (writeback_stats().runs <= runs) {
        if (time_ns() - start > timeout_ns)
            return false;
        time_sleep_ns(10000000);
    }
    return true;
}

KTEST(writeback, kick_runs_the_flusher_at_once)
{
    uint64_t runs = writeback_stats().runs, kicks = writeback_stats().kicks;

    writeback_kick();
    KT_EXPECT_TRUE(wb_wait_runs(runs, 1000000000ull));     /* well before the 5 s tick */
    KT_EXPECT_EQ(writeback_stats().kicks - kicks, 1ull);
    KT_EXPECT_EQ(writeback_stats().errors, 0ull);
}

KTEST(writeback, flusher_runs_every_five_seconds)
{
    uint64_t runs = writeback_stats().runs, start = time_ns();

    /* in any 5.1 s: at least one run, and not more than two (one may have been due) */
    while (time_ns() - start < 5100000000ull)
        time_sleep_ns(50000000);
    KT_EXPECT_GE(writeback_stats().runs - runs, 1ull);
    KT_EXPECT_LE(writeback_stats().runs - runs, 2ull);
}

KTEST(writeback, dirty_limit_is_a_tenth_of_ram)
{
    uint64_t frames = pmm_stats().managed_frames;

    KT_EXPECT_EQ(writeback_dirty_limit(), frames * 10 / 100);
}

/* A RAM disk with n clean unreferenced 1 KiB buffers cached (NULL: test failed). */
static struct ramdisk *wb_buffers(unsigned n)
{
    struct ramdisk *rd;
    int err = ramdisk_create("wbt", 2048, 512, 256, 0, &rd);

    if (err) {
        ktest_fail(__FILE__, __LINE__, "ramdisk_create: %s", errno_name(err));
        return NULL;
    }
    for (unsigned k = 0; k < n; k++) {
        struct buf *b = bcache_read(&rd->dev, k, 1024, &err);

        if (!b) {
            ktest_fail(__FILE__, __LINE__, "bcache_read: %s", errno_name(err));
            break;
        }
        bcache_put(b);
    }
    return rd;
}

KTEST(writeback, reclaim_hook_frees_clean_buffers)
{
    struct ramdisk *rd;
    uint64_t calls;
    size_t got;

    /* empty the reclaimable caches first, so the count below is this test's */
    while (writeback_reclaim(100000) != 0)
        ;
    calls = writeback_stats().reclaim_calls;
    rd = wb_buffers(16);
    KT_ASSERT_NOT_NULL(rd);
    KT_EXPECT_GE(bcache_stats().buffers, 16ull);
    got = writeback_reclaim(10);
    KT_EXPECT_EQ(got, 10u);
    got = writeback_reclaim(100);
    KT_EXPECT_EQ(got, 6u);
    KT_EXPECT_EQ(writeback_stats().reclaim_calls - calls, 2ull);
    KT_EXPECT_EQ(bcache_invalidate(&rd->dev), 0u);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
}

KTEST(writeback, reclaim_hook_is_mms)
{
    pmm_reclaim_fn mine = pmm_set_reclaim_hook(NULL);

    KT_EXPECT_TRUE(mine == writeback_reclaim);
    (void)pmm_set_reclaim_hook(mine);
}

static unsigned wb_test_hook_calls;

static int wb_test_hook(void)
{
    wb_test_hook_calls++;
    return -EIO;
}

KTEST(writeback, shutdown_hook_syncs)
{
    uint64_t syncs = writeback_stats().shutdown_syncs;
    acpi_shutdown_fn mine;

    /* the registered hook is writeback's: preparing for power-off syncs */
    KT_EXPECT_EQ(acpi_prepare_shutdown(), 0);
    KT_EXPECT_EQ(writeback_stats().shutdown_syncs - syncs, 1ull);
    /* a hook's failure is passed on (and logged) */
    mine = acpi_set_shutdown_hook(wb_test_hook);
    KT_EXPECT_EQ(acpi_prepare_shutdown(), -EIO);
    KT_EXPECT_EQ(wb_test_hook_calls, 1u);
    KT_EXPECT_TRUE(acpi_set_shutdown_hook(mine) == wb_test_hook);
    KT_EXPECT_EQ(writeback_stats().shutdown_syncs - syncs, 1ull);
}
