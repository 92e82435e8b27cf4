/*
 * src/fs/writeback.c - the flusher and fs's hooks into the layers below:
 * periodic and kicked writeback, memory reclaim, sync before power-off
 * (see include/fs/pagecache.h, writeback_*).
 *
 * Part of fs. The flusher is a delayed work item (sched/workqueue): every
 * WB_INTERVAL_NS it runs vfs_sync (every mounted file system's dirty pages,
 * inodes, metadata buffers and device caches) and arms itself again;
 * writeback_kick, called by writers once dirty pages pass the limit, runs
 * it at once instead. Runs are serialised by wb_lock, so a kick during a
 * run waits for it. The reclaim hook (registered with mm's pmm) and the
 * shutdown hook (registered with dev/acpi) are here too, since they are
 * what fs hands down at boot.
 *
 * Locking: wb_lock (mutex) serialises flusher runs; the counters are
 * atomics [a]; flusher, dirty_limit and wb_ready are set once at init [c].
 */
#include <fs/pagecache.h>
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/layout.h>
#include <core/printk.h>
#include <dev/acpi.h>
#include <fs/bcache.h>
#include <fs/vfs.h>
#include <mm/pmm.h>
#include <sched/sync.h>
#include <sched/workqueue.h>

#define WB_INTERVAL_NS      5000000000ull   /* the periodic run */
#define WB_DIRTY_PERCENT    10              /* of RAM, in dirty pages, before writers kick */

static struct delayed_work flusher;         /* [c] after init */
static struct mutex wb_lock;                /* serialises runs */
static bool wb_ready;                       /* [c] */
static uint64_t dirty_limit;                /* [c] pages */
static uint32_t kick_pending;               /* [a] a kicked run is queued, not started */
static struct writeback_stats wb_stats;     /* [a] each field */

static void flusher_run(struct work *w)
{
    int err;

    (void)w;
    atomic_store(&kick_pending, 0);
    mutex_lock(&wb_lock);
    err = vfs_sync();
    mutex_unlock(&wb_lock);
    atomic_inc(&wb_stats.runs);
    if (err) {
        /* said once per failing run; the dirty data stays dirty for the next */
        pr_warn("writeback: flushing failed: %s; retried in 5 s", errno_name(err));
        atomic_inc(&wb_stats.errors);
    }
    (void)work_queue_delayed(&flusher, WB_INTERVAL_NS);
}

uint64_t writeback_dirty_limit(void)
{
    return wb_ready ? dirty_limit : UINT64_MAX;
}

void writeback_kick(void)
{
    uint32_t none = 0;

    if (!wb_ready || !atomic_cmpxchg(&kick_pending, &none, 1))
        return;             /* not started yet, or a kicked run is on its way */
    atomic_inc(&wb_stats.kicks);
    /* run now instead of at the timer: disarm it, queue at once (the run re-arms) */
    (void)work_cancel_delayed(&flusher);
    (void)work_queue_delayed(&flusher, 0);
}

size_t writeback_reclaim(size_t want)
{
    size_t got = 0;

    atomic_inc(&wb_stats.reclaim_calls);
    /* page and dentry caches use locks interrupt handlers must not take */
    if (!cpu_in_irq())
        got += pagecache_reclaim(want);
    if (got < want)
        got += bcache_reclaim(want - got);
    if (got < want && !cpu_in_irq())
        got += dcache_shrink(want - got);
    atomic_fetch_add(&wb_stats.reclaimed, (uint64_t)got);
    return got;
}

/* dev/acpi's shutdown hook: everything on the disks before the power goes. */
static int writeback_shutdown(void)
{
    int err;

    atomic_inc(&wb_stats.shutdown_syncs);
    pr_info("writeback: syncing file systems before power-off");
    mutex_lock(&wb_lock);
    err = vfs_sync();
    mutex_unlock(&wb_lock);
    return err;
}

struct writeback_stats writeback_stats(void)
{
    struct writeback_stats s = {
        .runs = atomic_load(&wb_stats.runs),
        .kicks = atomic_load(&wb_stats.kicks),
        .errors = atomic_load(&wb_stats.errors),
        .shutdown_syncs = atomic_load(&wb_stats.shutdown_syncs),
        .reclaim_calls = atomic_load(&wb_stats.reclaim_calls),
        .reclaimed = atomic_load(&wb_stats.reclaimed),
    };

    return s;
}

int writeback_init(void)
{
    if (wb_ready)
        return -EALREADY;
    mutex_init(&wb_lock, "writeback");
    delayed_work_init(&flusher, flusher_run);
    dirty_limit = pmm_stats().managed_frames * WB_DIRTY_PERCENT / 100;
    wb_ready = true;
    (void)pmm_set_reclaim_hook(writeback_reclaim);
    (void)acpi_set_shutdown_hook(writeback_shutdown);
    (void)work_queue_delayed(&flusher, WB_INTERVAL_NS);
    pr_info("writeback: flusher every 5 s, or when dirty pages pass %llu (%u%% of RAM)",
            (unsigned long long)dirty_limit, WB_DIRTY_PERCENT);
    return 0;
}
