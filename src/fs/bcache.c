/*
 * src/fs/bcache.c - the buffer cache: file-system metadata blocks cached by
 * (device, block, size) (see include/fs/bcache.h).
 *
 * Part of fs, on dev/blk. A buffer is a struct buf with its data (size
 * bytes: kmalloc below a page, whole frames from pmm from a page up), in a hash table of BCACHE_BUCKETS chains; unreferenced
 * buffers sit on the LRU list (oldest first), dirty ones on the dirty list.
 * Reading a block that is not cached inserts the buffer first, marked
 * BUF_READING, and reads outside the lock; a second reader of the same
 * block waits for it. Writing (bcache_sync, bcache_write_now) clears DIRTY,
 * marks BUF_WRITING and holds a reference while the block is on its way;
 * bcache_sync sorts what it writes by device and block and sends it through
 * one blk_batch per device, so neighbouring blocks become one request.
 *
 * Reclaim (bcache_reclaim) may run from mm's reclaim hook, in any context:
 * it only trylocks bcache_lock and frees clean unreferenced buffers.
 *
 * Locking: bcache_lock [bl], irqsave (the reclaim hook may run in an
 * interrupt handler, and bcache_wq sleeps under it), guards the hash, the
 * lists, the flags, the references and the counters. Buffer data is the
 * owning file system's. No allocation, I/O or kfree happens under it.
 */
#include <fs/bcache.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/spinlock.h>
#include <core/string.h>
#include <core/layout.h>
#include <core/x86.h>
#include <dev/blk.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>
#include <sched/wait.h>

#define BCACHE_BUCKETS      1024u           /* power of two */
#define BUF_READING         0x100           /* being read: not UPTODATE yet, readers wait */
#define BUF_WRITING         0x200           /* being written: writers wait */
#define BCACHE_SHARE        8               /* clean buffers beyond RAM / this are trimmed */

static spinlock_t bcache_lock = SPINLOCK_INIT("bcache_lock");
static struct wait_queue bcache_wq = WAIT_QUEUE_INIT("bcache");    /* [bl] READING/WRITING ends */
static struct list_node buckets[BCACHE_BUCKETS];                    /* [bl] */
static struct list_node lru = LIST_HEAD_INIT(lru);                  /* [bl] refs == 0, oldest first */
static struct list_node dirty_list = LIST_HEAD_INIT(dirty_list);    /* [bl] DIRTY, in dirtying order */
static bool bcache_ready;                                           /* [bl] buckets initialised */
static uint64_t nbuffers, ndirty, nbytes, nhits, nmisses;           /* [bl] */
static uint32_t nwriting;                                           /* [bl] buffers WRITING */
static uint64_t bcache_limit;       /* bytes of buffers kept before trimming; set once (racy, idempotent) */

/* Initialises the hash on first use. Caller holds bcache_lock. */
static void bcache_setup_locked(void)
{
    spin_assert_held(&bcache_lock);
    if (bcache_ready)
        return;
    for (unsigned i = 0; i < BCACHE_BUCKETS; i++)
        list_init(&buckets[i]);
    bcache_ready = true;
}

static struct list_node *bucket_of(const struct blk_dev *dev, uint64_t block, uint32_t size)
{
    uint64_t h = ((uintptr_t)dev >> 4) * 0x9e3779b97f4a7c15ull ^ block * 0xbf58476d1ce4e5b9ull ^
                 size;

    h ^= h >> 29;
    return &buckets[h & (BCACHE_BUCKETS - 1)];
}

/* The cached buffer of (dev, block, size), or NULL. Caller holds bcache_lock. */
static struct buf *find_locked(struct blk_dev *dev, uint64_t block, uint32_t size)
{
    struct list_node *h = bucket_of(dev, block, size);

    spin_assert_held(&bcache_lock);
    list_for_each(n, h) {
        struct buf *b = list_entry(n, struct buf, hash_link);

        if (b->dev == dev && b->block == block && b->size == size)
            return b;
    }
    return NULL;
}

/* Takes a reference (off the LRU when it was unreferenced). Caller holds bcache_lock. */
static void get_locked(struct buf *b)
{
    spin_assert_held(&bcache_lock);
    if (b->refs++ == 0)
        list_del(&b->lru_link);
}

/* Drops a reference (onto the LRU when it was the last). Caller holds bcache_lock. */
static void put_locked(struct buf *b)
{
    spin_assert_held(&bcache_lock);
    if (b->refs == 0)
        panic("bcache: buffer %llu of %s put more often than taken",
              (unsigned long long)b->block, b->dev->name);
    if (--b->refs == 0)
        list_add_tail(&lru, &b->lru_link);
}

/* Takes b out of the cache (unreferenced, not busy). Caller holds bcache_lock. */
static void unhash_locked(struct buf *b)
{
    spin_assert_held(&bcache_lock);
    list_del(&b->hash_link);
    list_del(&b->lru_link);
    if (b->flags & BUF_DIRTY) {
        list_del(&b->dirty_link);
        ndirty--;
    }
    nbuffers--;
    nbytes -= b->size;
}

/*
 * Buffer data: blocks of a page or more are whole frames (a 4 KiB block is
 * one frame: page aligned, one scatter-gather segment, and no run of
 * contiguous pages to find when memory is fragmented); smaller ones share
 * kmalloc's slab pages.
 */
static void *data_alloc(uint32_t size)
{
    uint64_t pa;

    if (size < PAGE_SIZE)
        return kmalloc(size);
    if (pmm_alloc_contig(size / PAGE_SIZE, 0, 0, &pa))
        return NULL;
    return phys_to_virt(pa);
}

static void data_free(void *data, uint32_t size)
{
    if (size < PAGE_SIZE)
        kfree(data);
    else if (data)
        pmm_free_contig(virt_to_phys(data), size / PAGE_SIZE);
}

static void buf_free(struct buf *b)
{
    data_free(b->data, b->size);
    kfree(b);
}

static struct buf *buf_alloc(struct blk_dev *dev, uint64_t block, uint32_t size)
{
    struct buf *b = kzalloc(sizeof(*b));

    if (!b)
        return NULL;
    b->data = data_alloc(size);
    if (!b->data) {
        kfree(b);
        return NULL;
    }
    b->dev = dev;
    b->block = block;
    b->size = size;
    list_init(&b->hash_link);
    list_init(&b->lru_link);
    list_init(&b->dirty_link);
    return b;
}

/* 0 if (dev, block, size) names blocks a buffer can hold, else -EINVAL / -ERANGE. */
static int check_block(const struct blk_dev *dev, uint64_t block, uint32_t size)
{
    uint64_t spb;

    if (!dev || size < BLK_SECTOR_SIZE || size > BLK_MAX_BLOCK_SIZE || (size & (size - 1)) ||
        size % dev->block_size)
        return -EINVAL;
    spb = size / BLK_SECTOR_SIZE;
    if (block >= dev->sectors / spb)
        return -ERANGE;
    return 0;
}

/* Frees clean unreferenced buffers from the LRU's old end while over the soft limit. */
static void trim(void)
{
    struct list_node gone = LIST_HEAD_INIT(gone);
    uint64_t limit, f;

    if (!bcache_limit)
        bcache_limit = pmm_stats().managed_frames * PAGE_SIZE / BCACHE_SHARE;
    limit = bcache_limit;
    f = spin_lock_irqsave(&bcache_lock);
    if (nbytes <= limit) {
        spin_unlock_irqrestore(&bcache_lock, f);
        return;
    }

    list_for_each_safe(n, &lru) {
        struct buf *b = list_entry(n, struct buf, lru_link);

        if (nbytes <= limit)
            break;
        if (b->flags & BUF_DIRTY)
            continue;
        unhash_locked(b);
        list_add(&gone, &b->lru_link);
    }
    spin_unlock_irqrestore(&bcache_lock, f);
    list_for_each_safe(n, &gone)
        buf_free(list_entry(n, struct buf, lru_link));
}

/*
 * The referenced buffer of (dev, block, size), inserted if absent. *fresh:
 * this call inserted it, or found it neither UPTODATE nor being read, and
 * it is now marked BUF_READING for the caller to fill. Waits while another
 * thread reads it.
 */
static struct buf *lookup(struct blk_dev *dev, uint64_t block, uint32_t size, bool *fresh,
                          int *err)
{
    struct buf *b, *nb = NULL;
    uint64_t f;

    *fresh = false;
    *err = check_block(dev, block, size);
    if (*err)
        return NULL;
    f = spin_lock_irqsave(&bcache_lock);
    bcache_setup_locked();
    for (;;) {
        b = find_locked(dev, block, size);
        if (b) {
            get_locked(b);
            while (b->flags & BUF_READING)
                wq_sleep_locked(&bcache_wq, &bcache_lock, &f);
            if (!(b->flags & BUF_UPTODATE)) {
                b->flags |= BUF_READING;    /* an earlier read failed: this caller tries */
                *fresh = true;
                nmisses++;
            } else {
                nhits++;
            }
            break;
        }
        if (nb) {
            list_add(bucket_of(dev, block, size), &nb->hash_link);
            nb->refs = 1;
            nb->flags = BUF_READING;
            nbuffers++;
            nbytes += size;
            nmisses++;
            b = nb;
            nb = NULL;
            *fresh = true;
            break;
        }
        /* allocate outside the lock, then look again: another thread may have inserted it */
        spin_unlock_irqrestore(&bcache_lock, f);
        nb = buf_alloc(dev, block, size);
        if (!nb) {
            *err = -ENOMEM;
            return NULL;
        }
        f = spin_lock_irqsave(&bcache_lock);
    }
    spin_unlock_irqrestore(&bcache_lock, f);
    if (nb)
        buf_free(nb);
    return b;
}

/* Ends the caller's BUF_READING of b: uptodate or not, and wakes the waiters. */
static void read_done(struct buf *b, bool uptodate)
{
    uint64_t f = spin_lock_irqsave(&bcache_lock);

    b->flags &= ~BUF_READING;
    if (uptodate)
        b->flags |= BUF_UPTODATE;
    wq_wake_all_locked(&bcache_wq, &bcache_lock);
    spin_unlock_irqrestore(&bcache_lock, f);
}

struct buf *bcache_read(struct blk_dev *dev, uint64_t block, uint32_t size, int *err)
{
    uint32_t spb = size / BLK_SECTOR_SIZE;
    bool fresh;
    struct buf *b = lookup(dev, block, size, &fresh, err);

    if (!b)
        return NULL;
    if (fresh) {
        *err = blk_read(dev, block * spb, spb, b->data);
        read_done(b, *err == 0);
        if (*err) {
            pr_err("bcache: %s: reading block %llu (%u bytes) failed: %s", dev->name,
                   (unsigned long long)block, size, errno_name(*err));
            bcache_put(b);
            return NULL;
        }
    }
    trim();
    *err = 0;
    return b;
}

struct buf *bcache_get_zero(struct blk_dev *dev, uint64_t block, uint32_t size, int *err)
{
    bool fresh;
    struct buf *b = lookup(dev, block, size, &fresh, err);

    if (!b)
        return NULL;
    memset(b->data, 0, size);
    if (fresh)
        read_done(b, true);
    *err = 0;
    return b;
}

void bcache_dirty(struct buf *b)
{
    uint64_t f = spin_lock_irqsave(&bcache_lock);

    b->flags |= BUF_UPTODATE;
    if (!(b->flags & BUF_DIRTY)) {
        b->flags |= BUF_DIRTY;
        list_add_tail(&dirty_list, &b->dirty_link);
        ndirty++;
    }
    spin_unlock_irqrestore(&bcache_lock, f);
}

void bcache_put(struct buf *b)
{
    uint64_t f;

    if (!b)
        return;
    f = spin_lock_irqsave(&bcache_lock);
    put_locked(b);
    spin_unlock_irqrestore(&bcache_lock, f);
}

/*
 * Claims dirty b for writing: waits for a write in progress, then clears
 * DIRTY and sets WRITING with a reference held. Returns false (nothing
 * claimed) when b is clean by then. Caller holds bcache_lock (irqsave, *f).
 */
static bool claim_write_locked(struct buf *b, uint64_t *f)
{
    spin_assert_held(&bcache_lock);
    while (b->flags & BUF_WRITING)
        wq_sleep_locked(&bcache_wq, &bcache_lock, f);
    if (!(b->flags & BUF_DIRTY))
        return false;
    b->flags = (b->flags & ~BUF_DIRTY) | BUF_WRITING;
    list_del(&b->dirty_link);
    ndirty--;
    nwriting++;
    get_locked(b);
    return true;
}

/* Ends a claimed write: dirty again on failure; drops the reference, wakes waiters. */
static void write_done_locked(struct buf *b, int err)
{
    spin_assert_held(&bcache_lock);
    b->flags &= ~BUF_WRITING;
    nwriting--;
    if (err && !(b->flags & BUF_DIRTY)) {
        b->flags |= BUF_DIRTY;
        list_add_tail(&dirty_list, &b->dirty_link);
        ndirty++;
    }
    put_locked(b);
    wq_wake_all_locked(&bcache_wq, &bcache_lock);
}

int bcache_write_now(struct buf *b)
{
    uint32_t spb = b->size / BLK_SECTOR_SIZE;
    uint64_t f = spin_lock_irqsave(&bcache_lock);
    int err = 0;

    if (claim_write_locked(b, &f)) {
        spin_unlock_irqrestore(&bcache_lock, f);
        err = blk_write(b->dev, b->block * spb, spb, b->data);
        if (err)
            pr_err("bcache: %s: writing block %llu failed: %s", b->dev->name,
                   (unsigned long long)b->block, errno_name(err));
        f = spin_lock_irqsave(&bcache_lock);
        write_done_locked(b, err);
    }
    spin_unlock_irqrestore(&bcache_lock, f);
    return err;
}

/* Orders buffers by device, then block (insertion sort: runs are mostly ordered). */
static void sort_bufs(struct buf **v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct buf *x = v[i];
        size_t j = i;

        while (j > 0 && (v[j - 1]->dev > x->dev ||
                         (v[j - 1]->dev == x->dev && v[j - 1]->block > x->block))) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* Writes v[0..n) (one device, claimed, sorted) in one merged batch. 0 or the first error. */
static int write_run(struct buf **v, size_t n)
{
    struct blk_batch batch;
    int err;

    blk_batch_init(&batch, v[0]->dev, BLK_OP_WRITE);
    for (size_t i = 0; i < n; i++) {
        uint32_t spb = v[i]->size / BLK_SECTOR_SIZE;

        if (blk_batch_add(&batch, v[i]->block * spb, spb, v[i]->data))
            break;
    }
    err = blk_batch_finish(&batch);
    if (err)
        pr_err("bcache: %s: writing %zu buffers failed: %s", v[0]->dev->name, n,
               errno_name(err));
    return err;
}

int bcache_sync(struct blk_dev *dev)
{
    struct buf **v = NULL;
    size_t want, n = 0;
    uint64_t f;
    int err = 0, e;

    /* how many to claim: allocate outside the lock, then take what fits */
    f = spin_lock_irqsave(&bcache_lock);
    want = (size_t)ndirty;
    spin_unlock_irqrestore(&bcache_lock, f);
    if (want) {
        v = kmalloc(want * sizeof(*v));
        if (!v)
            return -ENOMEM;
    }
    f = spin_lock_irqsave(&bcache_lock);
    list_for_each_safe(node, &dirty_list) {
        struct buf *b = list_entry(node, struct buf, dirty_link);

        if (n == want)
            break;
        if ((dev && b->dev != dev) || (b->flags & BUF_WRITING))
            continue;               /* being written: waited for below */
        b->flags = (b->flags & ~BUF_DIRTY) | BUF_WRITING;
        list_del(&b->dirty_link);
        ndirty--;
        nwriting++;
        get_locked(b);
        v[n++] = b;
    }
    spin_unlock_irqrestore(&bcache_lock, f);

    sort_bufs(v, n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;

        while (j < n && v[j]->dev == v[i]->dev)
            j++;
        e = write_run(&v[i], j - i);
        f = spin_lock_irqsave(&bcache_lock);
        for (size_t k = i; k < j; k++)
            write_done_locked(v[k], e);
        spin_unlock_irqrestore(&bcache_lock, f);
        if (!err)
            err = e;
        /* the device's cache, once per device written (or the one asked for, below) */
        if (!e && v[i]->dev != dev && (e = blk_flush(v[i]->dev)) != 0 && !err)
            err = e;
        i = j;
    }
    kfree(v);
    /* writes other threads started before this call must be on the disk too */
    f = spin_lock_irqsave(&bcache_lock);
    while (nwriting)
        wq_sleep_locked(&bcache_wq, &bcache_lock, &f);
    spin_unlock_irqrestore(&bcache_lock, f);
    if (dev && (e = blk_flush(dev)) != 0 && !err)
        err = e;
    return err;
}

size_t bcache_invalidate(struct blk_dev *dev)
{
    struct list_node gone = LIST_HEAD_INIT(gone);
    size_t left = 0, dropped_dirty = 0;
    uint64_t f = spin_lock_irqsave(&bcache_lock);

    bcache_setup_locked();
    for (unsigned i = 0; i < BCACHE_BUCKETS; i++) {
        list_for_each_safe(n, &buckets[i]) {
            struct buf *b = list_entry(n, struct buf, hash_link);

            if (b->dev != dev)
                continue;
            if (b->refs) {
                left++;
                continue;
            }
            if (b->flags & BUF_DIRTY)
                dropped_dirty++;
            unhash_locked(b);
            list_add(&gone, &b->lru_link);
        }
    }
    spin_unlock_irqrestore(&bcache_lock, f);
    if (dropped_dirty)
        pr_warn("bcache: %s: dropped %zu dirty buffers that were never written", dev->name,
                dropped_dirty);
    list_for_each_safe(n, &gone)
        buf_free(list_entry(n, struct buf, lru_link));
    return left;
}

size_t bcache_reclaim(size_t want)
{
    struct list_node gone = LIST_HEAD_INIT(gone);
    size_t n = 0;
    uint64_t f;

    /* maybe from mm's reclaim hook, with any lock held: never wait for bcache_lock */
    f = irq_save();
    if (!spin_trylock(&bcache_lock)) {
        irq_restore(f);
        return 0;
    }
    list_for_each_safe(node, &lru) {
        struct buf *b = list_entry(node, struct buf, lru_link);

        if (n == want)
            break;
        if (b->flags & BUF_DIRTY)
            continue;
        unhash_locked(b);
        list_add(&gone, &b->lru_link);
        n++;
    }
    spin_unlock_irqrestore(&bcache_lock, f);
    list_for_each_safe(node, &gone)
        buf_free(list_entry(node, struct buf, lru_link));
    return n;
}

struct bcache_stats bcache_stats(void)
{
    uint64_t f = spin_lock_irqsave(&bcache_lock);
    struct bcache_stats s = { .buffers = nbuffers, .dirty = ndirty, .bytes = nbytes,
                              .hits = nhits, .misses = nmisses };

    spin_unlock_irqrestore(&bcache_lock, f);
    return s;
}

int bcache_init(void)
{
    uint64_t f = spin_lock_irqsave(&bcache_lock);

    bcache_setup_locked();
    spin_unlock_irqrestore(&bcache_lock, f);
    return 0;
}
