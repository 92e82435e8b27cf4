/*
 * src/fs/writeback.c - the flusher and fs's hooks into the layers below:
 * periodic and kicked writeback, memory reclaim, sync before power-off
 * (see include/fs/pagecache.h, writeback_*).
 *
 * Part of fs. The flusher is a kernel thread ("writeback") that runs
 * vfs_sync (every mounted file system's dirty pages, inodes, metadata
 * buffers and device caches) each time it is woken: by a delayed work item
 * (sched/workqueue) every WB_INTERVAL_NS, or at once by writeback_kick,
 * which writers call once dirty pages pass the limit. The work item only
 * wakes the thread: a sync may wait seconds for the disk, and a kworker
 * held that long would hold up the other items of its CPU (among them
 * virtio's lost-interrupt watchdog, which such a wait may need). Wake-ups
 * while a run is pending coalesce. The reclaim hook (registered with mm's
 * pmm) and the shutdown hook (registered with dev/acpi) are here too,
 * since they are what fs hands down at boot.
 *
 * Locking: wb_lock (mutex) serialises the thread's runs and the shutdown
 * sync; the counters are atomics [a]; the thread, the work item, the
 * semaphore, dirty_limit and wb_ready are set once at init [c].
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
#include <sched/thread.h>
#include <sched/workqueue.h>

#define WB_INTERVAL_NS      5000000000ull   /* the periodic run */
#define WB_DIRTY_PERCENT    10              /* of RAM, in dirty pages, before writers kick */

static struct delayed_work tick;            /* [c] wakes the flusher every 5 s */
static struct semaphore wake;               /* [c] one up per coalesced wake-up */
static struct mutex wb_lock;                /* serialises syncs */
static bool wb_ready;                       /* [c] */
static uint64_t dirty_limit;                /* [c] pages */
static uint32_t wake_pending;               /* [a] a wake-up is posted, its run not begun */
static struct writeback_stats wb_stats;     /* [a] each field */

/* Posts a run of the flusher unless one is posted already. Any thread or work item. */
static bool flusher_wake(void)
{
    uint32_t none = 0;

    if (!atomic_cmpxchg(&wake_pending, &none, 1))
        return false;
    sem_up(&wake);
    return true;
}

static void *flusher_main(void *arg)
{
    (void)arg;
    for (;;) {
        int err;

        if (sem_down(&wake) != 0)
            continue;
        atomic_store(&wake_pending, 0);
        mutex_lock(&wb_lock);
        err = vfs_sync();
        mutex_unlock(&wb_lock);
        atomic_inc(&wb_stats.runs);
        if (err) {
            /* said once per failing run; the dirty data stays dirty for the next */
            pr_warn("writeback: flushing failed: %s; retried in 5 s", errno_name(err));
            atomic_inc(&wb_stats.errors);
        }
    }
    return NULL;
}

/* The periodic item: wakes the flusher and arms itself again. */
static void tick_fn(struct work *w)
{
    (void)flusher_wake();
    (void)work_queue_delayed(to_delayed_work(w), WB_INTERVAL_NS);
}

uint64_t writeback_dirty_limit(void)
{
    return wb_ready ? dirty_limit : UINT64_MAX;
}

void writeback_kick(void)
{
    /* not started yet, or a run is posted already: nothing to add */
    if (wb_ready && flusher_wake())
        atomic_inc(&wb_stats.kicks);
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
    sem_init(&wake, 0, "writeback");
    if (!thread_create("writeback", flusher_main, NULL, THREAD_DETACHED)) {
        pr_err("writeback: no flusher thread (out of memory); dirty data waits for sync");
        return -ENOMEM;
    }
    delayed_work_init(&tick, tick_fn);
    dirty_limit = pmm_stats().managed_frames * WB_DIRTY_PERCENT / 100;
    wb_ready = true;
    (void)pmm_set_reclaim_hook(writeback_reclaim);
    (void)acpi_set_shutdown_hook(writeback_shutdown);
    (void)work_queue_delayed(&tick, WB_INTERVAL_NS);
    pr_info("writeback: flusher every 5 s, or when dirty pages pass %llu (%u%% of RAM)",
            (unsigned long long)dirty_limit, WB_DIRTY_PERCENT);
    return 0;
}
