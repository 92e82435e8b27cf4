/*
 * src/fs/pagecache.c - the page cache: file data in page frames indexed by
 * (inode, page index); the generic read and write paths of regular files,
 * read-in through the fs's get_block with read-ahead, truncation, writeback
 * of one inode's dirty pages, reclaim of clean pages.
 *
 * Part of fs. Frames come from mm/pmm and are used through the direct map.
 * Locks (include/fs/pagecache.h): each mapping's mutex [ml] guards its
 * pages and their flags and is held across the I/O on them; the spinlock
 * pagecache_lock [pl] guards the global LRU and the counters. Order:
 * inode->lock > [ml] > the fs's locks (get_block) > [pl]. Reclaim holds
 * [pl] and only trylocks a mapping, so it never waits; a mapping the
 * reclaiming thread holds itself (it ran out of frames while filling that
 * file) is reclaimed from too, so one file larger than RAM can be read. For
 * that, code under [ml] keeps no page pointer across an allocation unless it
 * holds the page (refs, [pl]).
 *
 * I/O goes through pc_io_*: one dev/blk batch per read-in (a read-ahead
 * window) or per inode writeback, so contiguous blocks reach the device as
 * few large requests.
 */
#include <fs/pagecache.h>
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/layout.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/blk.h>
#include <fs/bcache.h>
#include <mm/kmalloc.h>
#include <mm/pmm.h>

#define PC_RA_MAX       32u     /* pages read ahead at most */
#define PC_BUCKETS_MIN  16u

static spinlock_t pagecache_lock = SPINLOCK_INIT("pagecache_lock");
static struct list_node pc_lru = LIST_HEAD_INIT(pc_lru);       /* [pl] */
static struct pagecache_stats pc_stats;                         /* [pl] */

/* ---- the I/O helper: one merged batch (dev/blk's blk_batch) per read-in or writeback */
struct pc_io {
    struct blk_batch b;
};

static void pc_io_init(struct pc_io *io, struct blk_dev *dev, enum blk_op op)
{
    blk_batch_init(&io->b, dev, op);
}

/* Errors are kept by the batch and returned by pc_io_finish. */
static void pc_io_add(struct pc_io *io, uint64_t lba, uint32_t sectors, void *buf)
{
    (void)blk_batch_add(&io->b, lba, sectors, buf);
}

static int pc_io_finish(struct pc_io *io)
{
    return blk_batch_finish(&io->b);
}

/* ---- mappings and pages */

static struct pc_mapping *mapping_get(struct inode *inode)
{
    struct pc_mapping *m = atomic_load_acquire(&inode->mapping), *expected = NULL;

    if (m)
        return m;
    m = kzalloc(sizeof(*m));
    if (!m)
        return NULL;
    m->buckets = kmalloc(PC_BUCKETS_MIN * sizeof(struct list_node));
    if (!m->buckets) {
        kfree(m);
        return NULL;
    }
    m->nbuckets = PC_BUCKETS_MIN;
    for (uint32_t i = 0; i < m->nbuckets; i++)
        list_init(&m->buckets[i]);
    mutex_init(&m->lock, "pc_mapping");
    if (!__atomic_compare_exchange_n(&inode->mapping, &expected, m, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        kfree(m->buckets);
        kfree(m);
        return expected;
    }
    return m;
}

static struct list_node *pc_bucket(struct pc_mapping *m, uint64_t index)
{
    return &m->buckets[(index * 0x9e3779b97f4a7c15ull >> 32) & (m->nbuckets - 1)];
}

static struct pc_page *pc_find(struct pc_mapping *m, uint64_t index)
{
    mutex_assert_held(&m->lock);
    list_for_each(n, pc_bucket(m, index)) {
        struct pc_page *pg = list_entry(n, struct pc_page, map_link);
        if (pg->index == index)
            return pg;
    }
    return NULL;
}

static void pc_grow(struct pc_mapping *m)
{
    uint32_t nb = m->nbuckets * 4;
    struct list_node *old = m->buckets, *nbk = kmalloc(nb * sizeof(struct list_node));
    uint32_t onb = m->nbuckets;

    if (!nbk)
        return;                 /* longer chains; still correct */
    for (uint32_t i = 0; i < nb; i++)
        list_init(&nbk[i]);
    m->buckets = nbk;
    m->nbuckets = nb;
    for (uint32_t i = 0; i < onb; i++) {
        list_for_each_safe(n, &old[i]) {
            struct pc_page *pg = list_entry(n, struct pc_page, map_link);
            list_del(&pg->map_link);
            list_add(pc_bucket(m, pg->index), &pg->map_link);
        }
    }
    kfree(old);
}

static struct pc_page *pc_alloc(struct inode *inode, uint64_t index, bool zero)
{
    struct pc_page *pg = kzalloc(sizeof(*pg));
    uint64_t pa;

    if (!pg) {
        /* the heap does not reclaim for itself: with RAM full of cached
         * pages, give some back and try once more */
        pagecache_reclaim(16);
        pg = kzalloc(sizeof(*pg));
        if (!pg)
            return NULL;
    }
    if (pmm_alloc(zero ? PMM_ZERO : 0, &pa)) {
        kfree(pg);
        return NULL;
    }
    pg->inode = inode;
    pg->index = index;
    pg->data = phys_to_virt(pa);
    list_init(&pg->lru_link);
    list_init(&pg->map_link);
    return pg;
}

static void pc_free(struct pc_page *pg)
{
    pmm_free(virt_to_phys(pg->data));
    kfree(pg);
}

/* Inserts a filled page: mapping lock held. */
static void pc_insert(struct pc_mapping *m, struct pc_page *pg)
{
    mutex_assert_held(&m->lock);
    if (m->npages >= 2ull * m->nbuckets)
        pc_grow(m);
    list_add(pc_bucket(m, pg->index), &pg->map_link);
    m->npages++;
    spin_lock(&pagecache_lock);
    list_add_tail(&pc_lru, &pg->lru_link);
    pc_stats.pages++;
    if (pg->flags & PC_UNEVICTABLE)
        pc_stats.unevictable++;
    spin_unlock(&pagecache_lock);
}

/* Takes pg out of its mapping (lock held) and the LRU; the caller frees it. */
static void pc_remove(struct pc_mapping *m, struct pc_page *pg)
{
    mutex_assert_held(&m->lock);
    list_del(&pg->map_link);
    m->npages--;
    if (pg->flags & PC_DIRTY)
        m->ndirty--;
    spin_lock(&pagecache_lock);
    list_del(&pg->lru_link);
    pc_stats.pages--;
    if (pg->flags & PC_UNEVICTABLE)
        pc_stats.unevictable--;
    if (pg->flags & PC_DIRTY)
        pc_stats.dirty--;
    spin_unlock(&pagecache_lock);
}

static void pc_touch(struct pc_page *pg)
{
    spin_lock(&pagecache_lock);
    list_del(&pg->lru_link);
    list_add_tail(&pc_lru, &pg->lru_link);
    pc_stats.hits++;
    spin_unlock(&pagecache_lock);
}

/* A user besides the cache: reclaim leaves the page alone while refs > 0. */
static void pc_hold(struct pc_page *pg)
{
    spin_lock(&pagecache_lock);
    pg->refs++;
    spin_unlock(&pagecache_lock);
}

static void pc_release(struct pc_page *pg)
{
    spin_lock(&pagecache_lock);
    pg->refs--;
    spin_unlock(&pagecache_lock);
}

static void pc_set_dirty(struct pc_mapping *m, struct pc_page *pg)
{
    if (pg->flags & (PC_DIRTY | PC_UNEVICTABLE))
        return;
    pg->flags |= PC_DIRTY;
    m->ndirty++;
    spin_lock(&pagecache_lock);
    pc_stats.dirty++;
    spin_unlock(&pagecache_lock);
}

static void pc_clear_dirty(struct pc_mapping *m, struct pc_page *pg)
{
    if (!(pg->flags & PC_DIRTY))
        return;
    pg->flags &= ~PC_DIRTY;
    m->ndirty--;
    spin_lock(&pagecache_lock);
    pc_stats.dirty--;
    spin_unlock(&pagecache_lock);
}

static bool is_ram_fs(const struct inode *inode)
{
    return !inode->aops || !inode->aops->get_block;
}

/*
 * Keeps some frames free before the cache takes more: the heap and the
 * buffer cache allocate without reclaiming (PMM_NORECLAIM), so with RAM
 * full of clean cached pages their allocations would fail while the page
 * cache's own succeed. Frees the oldest clean pages while fewer than
 * 1/64 of RAM (at least 64) frames are free. Any lock but [pl] may be held.
 */
static void pc_make_room(uint32_t pages)
{
    struct pmm_stats ps = pmm_stats();
    uint64_t low = ps.managed_frames / 64;

    if (low < 64)
        low = 64;
    if (ps.free_frames < low + pages)
        pagecache_reclaim((size_t)(low + pages - ps.free_frames));
}

/*
 * Reads pages [index, index + count) that are not cached yet (stopping at
 * end of file) from the device: one get_block per fs block, holes zeroed.
 * Mapping lock held. 0 or -errno (nothing is inserted on error).
 */
static int pc_readin(struct inode *inode, struct pc_mapping *m, uint64_t index, uint32_t count)
{
    struct super_block *sb = inode->sb;
    uint32_t bs = sb->block_size, per = (uint32_t)(PAGE_SIZE / bs), spb = bs / BLK_SECTOR_SIZE;
    uint64_t end_page = (inode->size + PAGE_SIZE - 1) / PAGE_SIZE;
    struct pc_page *pages[PC_RA_MAX];
    uint32_t n = 0;
    struct pc_io io;
    int err = 0;

    mutex_assert_held(&m->lock);
    if (bs > PAGE_SIZE || bs < BLK_SECTOR_SIZE || !sb->bdev)
        return -EINVAL;
    if (count > PC_RA_MAX)
        count = PC_RA_MAX;
    pc_make_room(count);
    pc_io_init(&io, sb->bdev, BLK_OP_READ);
    for (uint64_t idx = index; idx < index + count; idx++) {
        struct pc_page *pg;

        if (idx != index && idx >= end_page)
            break;
        if (pc_find(m, idx)) {
            if (idx == index)
                return 0;
            break;
        }
        pg = pc_alloc(inode, idx, false);
        if (!pg) {
            if (idx == index)
                err = -ENOMEM;
            break;
        }
        pages[n++] = pg;
        for (uint32_t b = 0; b < per; b++) {
            uint64_t iblock = idx * per + b, pblock = 0;
            uint8_t *dst = (uint8_t *)pg->data + b * bs;

            if (iblock * bs < inode->size) {
                err = inode->aops->get_block(inode, iblock, false, &pblock);
                if (err)
                    goto out;
            }
            if (pblock == 0)
                memset(dst, 0, bs);
            else
                pc_io_add(&io, pblock * spb, spb, dst);
        }
    }
out:
    {
        int e = pc_io_finish(&io);
        if (!err)
            err = e;
    }
    if (err) {
        if (err == -EIO)
            pr_err("pagecache: read error on %s, inode %llu page %llu", sb->bdev->name,
                   (unsigned long long)inode->ino, (unsigned long long)index);
        for (uint32_t i = 0; i < n; i++)
            pc_free(pages[i]);
        return err;
    }
    for (uint32_t i = 0; i < n; i++) {
        pages[i]->flags = PC_UPTODATE;
        pc_insert(m, pages[i]);
    }
    spin_lock(&pagecache_lock);
    pc_stats.misses++;
    if (n > 1)
        pc_stats.readahead_pages += n - 1;
    spin_unlock(&pagecache_lock);
    return 0;
}

ssize_t pagecache_read(struct inode *inode, void *buf, size_t len, uint64_t pos)
{
    struct pc_mapping *m;
    uint64_t size = inode->size;
    size_t done = 0;
    int err = 0;

    if (pos >= size || len == 0)
        return 0;
    if (len > size - pos)
        len = (size_t)(size - pos);
    m = mapping_get(inode);
    if (!m)
        return -ENOMEM;
    mutex_lock(&m->lock);
    while (done < len) {
        uint64_t p = pos + done, idx = p / PAGE_SIZE;
        size_t off = (size_t)(p % PAGE_SIZE), chunk = MIN(PAGE_SIZE - off, len - done);
        struct pc_page *pg = pc_find(m, idx);

        if (p >= inode->size)
            break;              /* truncated meanwhile */
        if (!pg && is_ram_fs(inode)) {
            memset((uint8_t *)buf + done, 0, chunk);        /* a hole */
            done += chunk;
            continue;
        }
        if (!pg) {
            uint32_t window = 1;
            if (idx == m->ra_next && idx != 0) {
                window = m->ra_window ? m->ra_window * 2 : 4;
                if (window > PC_RA_MAX)
                    window = PC_RA_MAX;
            } else if (idx == 0) {
                window = 4;
            }
            m->ra_window = window;
            err = pc_readin(inode, m, idx, window);
            if (err)
                break;
            pg = pc_find(m, idx);
            if (!pg) {
                err = -EIO;
                break;
            }
        } else {
            pc_touch(pg);
        }
        memcpy((uint8_t *)buf + done, (uint8_t *)pg->data + off, chunk);
        done += chunk;
        m->ra_next = idx + 1;
    }
    mutex_unlock(&m->lock);
    if (done)
        return (ssize_t)done;
    return err;
}

/* The page at idx for writing (read in when part of it holds file data). Mapping lock held. */
static int pc_get_for_write(struct inode *inode, struct pc_mapping *m, uint64_t idx, bool whole,
                            struct pc_page **out)
{
    struct pc_page *pg = pc_find(m, idx);
    int err;

    if (pg) {
        *out = pg;
        return 0;
    }
    if (!is_ram_fs(inode) && !whole && idx * PAGE_SIZE < inode->size) {
        err = pc_readin(inode, m, idx, 1);
        if (err)
            return err;
        pg = pc_find(m, idx);
        if (!pg)
            return -EIO;
        *out = pg;
        return 0;
    }
    if (!is_ram_fs(inode))
        pc_make_room(1);
    pg = pc_alloc(inode, idx, true);
    if (!pg)
        return -ENOMEM;
    pg->flags = PC_UPTODATE;
    if (is_ram_fs(inode)) {
        pg->flags |= PC_UNEVICTABLE;
        inode->blocks += PAGE_SIZE / 512;
    }
    pc_insert(m, pg);
    *out = pg;
    return 0;
}

ssize_t pagecache_write(struct inode *inode, const void *buf, size_t len, uint64_t pos)
{
    struct super_block *sb = inode->sb;
    struct pc_mapping *m;
    size_t done = 0;
    uint64_t dirty, limit;
    int err = 0;

    mutex_assert_held(&inode->lock);
    if (len == 0)
        return 0;
    if (pos >= sb->max_bytes)
        return -EFBIG;
    if (len > sb->max_bytes - pos)
        len = (size_t)(sb->max_bytes - pos);
    m = mapping_get(inode);
    if (!m)
        return -ENOMEM;
    mutex_lock(&m->lock);
    while (done < len) {
        uint64_t p = pos + done, idx = p / PAGE_SIZE;
        size_t off = (size_t)(p % PAGE_SIZE), chunk = MIN(PAGE_SIZE - off, len - done);
        struct pc_page *pg;

        err = pc_get_for_write(inode, m, idx, off == 0 && chunk == PAGE_SIZE, &pg);
        if (err)
            break;
        pc_hold(pg);            /* get_block may allocate, and reclaim must keep pg */
        if (!is_ram_fs(inode)) {
            uint32_t bs = sb->block_size;
            uint64_t first = p / bs, last = (p + chunk - 1) / bs;

            for (uint64_t b = first; b <= last; b++) {
                uint64_t pblock = 0;
                err = inode->aops->get_block(inode, b, true, &pblock);
                if (!err && pblock == 0)
                    err = -EIO;
                if (err) {
                    /* keep what fits in the blocks we got */
                    size_t ok = b * bs > p ? (size_t)(b * bs - p) : 0;
                    chunk = ok;
                    break;
                }
            }
        }
        if (chunk) {
            memcpy((uint8_t *)pg->data + off, (const uint8_t *)buf + done, chunk);
            pc_set_dirty(m, pg);
            done += chunk;
            if (pos + done > inode->size)
                inode->size = pos + done;
        }
        pc_release(pg);
        if (err)
            break;
    }
    mutex_unlock(&m->lock);
    spin_lock(&pagecache_lock);
    dirty = pc_stats.dirty;
    spin_unlock(&pagecache_lock);
    limit = writeback_dirty_limit();
    if (dirty > limit)
        writeback_kick();
    /* far past the limit (the flusher falls behind): the writer cleans its own file */
    if (dirty / 2 > limit && done)
        (void)pagecache_writeback_inode(inode, true);
    if (done)
        return (ssize_t)done;
    return err;
}

int pagecache_truncate(struct inode *inode, uint64_t size)
{
    struct pc_mapping *m = atomic_load_acquire(&inode->mapping);
    uint64_t keep = (size + PAGE_SIZE - 1) / PAGE_SIZE;     /* pages [0, keep) stay */
    size_t tail = (size_t)(size % PAGE_SIZE);
    struct pc_page *pg;
    int err = 0;

    mutex_assert_held(&inode->lock);
    if (!m) {
        if (tail == 0 || is_ram_fs(inode) || size >= inode->size)
            return 0;
        m = mapping_get(inode);
        if (!m)
            return -ENOMEM;
    }
    mutex_lock(&m->lock);
    for (uint32_t i = 0; i < m->nbuckets; i++) {
        list_for_each_safe(n, &m->buckets[i]) {
            pg = list_entry(n, struct pc_page, map_link);
            if (pg->index < keep)
                continue;
            pc_remove(m, pg);
            if (pg->flags & PC_UNEVICTABLE)
                inode->blocks -= PAGE_SIZE / 512;
            pc_free(pg);
        }
    }
    if (tail && size < inode->size) {
        /* zero the tail of the last page so a later extension reads zeros */
        pg = pc_find(m, size / PAGE_SIZE);
        if (!pg && !is_ram_fs(inode)) {
            err = pc_readin(inode, m, size / PAGE_SIZE, 1);
            pg = err ? NULL : pc_find(m, size / PAGE_SIZE);
        }
        if (pg) {
            memset((uint8_t *)pg->data + tail, 0, PAGE_SIZE - tail);
            pc_set_dirty(m, pg);
        }
    }
    mutex_unlock(&m->lock);
    return err;
}

void pagecache_drop_inode(struct inode *inode)
{
    struct pc_mapping *m = atomic_exchange(&inode->mapping, NULL);

    if (!m)
        return;
    mutex_lock(&m->lock);
    for (uint32_t i = 0; i < m->nbuckets; i++) {
        list_for_each_safe(n, &m->buckets[i]) {
            struct pc_page *pg = list_entry(n, struct pc_page, map_link);
            pc_remove(m, pg);
            pc_free(pg);
        }
    }
    mutex_unlock(&m->lock);
    kfree(m->buckets);
    kfree(m);
}

bool pagecache_free_empty_mapping(struct inode *inode)
{
    struct pc_mapping *m = atomic_load_acquire(&inode->mapping);

    if (!m)
        return true;
    if (atomic_load(&m->npages))
        return false;
    inode->mapping = NULL;
    kfree(m->buckets);
    kfree(m);
    return true;
}

static void sort_pages(struct pc_page **a, size_t n)
{
    /* shell sort by index: writeback submits blocks in file order */
    for (size_t gap = n / 2; gap > 0; gap /= 2) {
        for (size_t i = gap; i < n; i++) {
            struct pc_page *t = a[i];
            size_t j = i;
            while (j >= gap && a[j - gap]->index > t->index) {
                a[j] = a[j - gap];
                j -= gap;
            }
            a[j] = t;
        }
    }
}

/*
 * Writes up to cap of m's dirty pages (the first cap the bucket scan
 * meets, in index order) in one batch. Mapping lock held. Returns how many
 * were written, or -errno (those pages are dirty again).
 */
static ssize_t pc_writeback_some(struct inode *inode, struct pc_mapping *m,
                                 struct pc_page **list, size_t cap)
{
    struct super_block *sb = inode->sb;
    uint32_t bs = sb->block_size, per = (uint32_t)(PAGE_SIZE / bs), spb = bs / BLK_SECTOR_SIZE;
    struct pc_io io;
    size_t n = 0;
    int err = 0;

    mutex_assert_held(&m->lock);
    for (uint32_t i = 0; i < m->nbuckets && n < cap; i++) {
        list_for_each(pos, &m->buckets[i]) {
            struct pc_page *pg = list_entry(pos, struct pc_page, map_link);
            if (pg->flags & PC_DIRTY) {
                list[n++] = pg;
                if (n == cap)
                    break;
            }
        }
    }
    if (n == 0)
        return 0;
    sort_pages(list, n);
    pc_io_init(&io, sb->bdev, BLK_OP_WRITE);
    spin_lock(&pagecache_lock);
    pc_stats.writeback += n;
    spin_unlock(&pagecache_lock);
    for (size_t i = 0; i < n && !err; i++) {
        struct pc_page *pg = list[i];

        pg->flags |= PC_WRITEBACK;
        pc_clear_dirty(m, pg);
        for (uint32_t b = 0; b < per; b++) {
            uint64_t iblock = pg->index * per + b, pblock = 0;
            if (iblock * bs >= inode->size)
                break;
            err = inode->aops->get_block(inode, iblock, false, &pblock);
            if (err)
                break;
            if (pblock)
                pc_io_add(&io, pblock * spb, spb, (uint8_t *)pg->data + b * bs);
        }
    }
    {
        int e = pc_io_finish(&io);
        if (!err)
            err = e;
    }
    for (size_t i = 0; i < n; i++) {
        list[i]->flags &= ~PC_WRITEBACK;
        if (err)
            pc_set_dirty(m, list[i]);
    }
    spin_lock(&pagecache_lock);
    pc_stats.writeback -= n;
    spin_unlock(&pagecache_lock);
    return err ? err : (ssize_t)n;
}

int pagecache_writeback_inode(struct inode *inode, bool wait)
{
    struct pc_mapping *m = atomic_load_acquire(&inode->mapping);
    struct pc_page *small[64], **list = NULL;
    uint64_t frame = 0;
    size_t cap;
    int err = 0;

    (void)wait;                 /* the I/O is synchronous either way */
    if (!m || is_ram_fs(inode))
        return 0;
    mutex_lock(&m->lock);
    if (m->ndirty == 0)
        goto out;
    /*
     * All dirty pages in one sorted batch. Short of memory (when writeback
     * matters most): batches of a frame's worth (pmm reclaims for it, the
     * heap does not), else of 64 from the stack.
     */
    cap = m->ndirty;
    pc_make_room((uint32_t)(cap * sizeof(*list) / PAGE_SIZE + 1));
    list = kmalloc(cap * sizeof(*list));
    if (!list && pmm_alloc(0, &frame) == 0) {
        list = phys_to_virt(frame);
        cap = PAGE_SIZE / sizeof(*list);
    } else if (!list) {
        list = small;
        cap = ARRAY_SIZE(small);
    }
    for (;;) {
        ssize_t r = pc_writeback_some(inode, m, list, cap);
        if (r < 0) {
            err = (int)r;
            break;
        }
        if (r == 0 || m->ndirty == 0)
            break;
    }
    if (frame) {
        pmm_free(frame);
        list = NULL;
    } else if (list == small) {
        list = NULL;
    }
    if (err)
        pr_err("pagecache: writeback of inode %llu on %s failed (%d)",
               (unsigned long long)inode->ino, inode->sb->bdev ? inode->sb->bdev->name : "?", err);
out:
    mutex_unlock(&m->lock);
    kfree(list);
    return err;
}

size_t pagecache_reclaim(size_t want)
{
    struct list_node victims = LIST_HEAD_INIT(victims);
    size_t n = 0;

    if (!spin_trylock(&pagecache_lock))
        return 0;
    list_for_each_safe(pos, &pc_lru) {
        struct pc_page *pg = list_entry(pos, struct pc_page, lru_link);
        struct pc_mapping *m;
        bool mine;

        if (n >= want)
            break;
        if (pg->flags & (PC_UNEVICTABLE | PC_DIRTY | PC_WRITEBACK) || pg->refs)
            continue;
        m = pg->inode->mapping;
        if (!m)
            continue;
        /*
         * The mapping a thread itself holds (a big file's read-in needing
         * frames) is fair game too: every path that allocates under [ml]
         * holds no page pointer across it except with refs taken.
         */
        mine = !cpu_in_irq() && mutex_held_by_me(&m->lock);
        if (!mine && !mutex_trylock(&m->lock))
            continue;
        /* re-check under the mapping lock: flags are [ml] */
        if (!(pg->flags & (PC_UNEVICTABLE | PC_DIRTY | PC_WRITEBACK)) && !pg->refs) {
            list_del(&pg->map_link);
            m->npages--;
            list_del(&pg->lru_link);
            pc_stats.pages--;
            pc_stats.reclaimed++;
            list_add_tail(&victims, &pg->lru_link);
            n++;
        }
        if (!mine)
            mutex_unlock(&m->lock);
    }
    spin_unlock(&pagecache_lock);
    list_for_each_safe(pos, &victims)
        pc_free(list_entry(pos, struct pc_page, lru_link));
    return n;
}

struct pagecache_stats pagecache_stats(void)
{
    struct pagecache_stats s;

    spin_lock(&pagecache_lock);
    s = pc_stats;
    spin_unlock(&pagecache_lock);
    return s;
}

/* ---- the file operations of page-cache regular files */

static ssize_t pc_file_read(struct file *f, void *buf, size_t len, uint64_t *pos)
{
    ssize_t n = pagecache_read(f->inode, buf, len, *pos);

    if (n > 0)
        *pos += (uint64_t)n;
    return n;
}

/* vfs_write holds inode->lock for regular files. */
static ssize_t pc_file_write(struct file *f, const void *buf, size_t len, uint64_t *pos)
{
    ssize_t n = pagecache_write(f->inode, buf, len, *pos);

    if (n > 0) {
        *pos += (uint64_t)n;
        inode_touch(f->inode, VFS_TIME_M | VFS_TIME_C);
    }
    return n;
}

/* Does page idx hold data (cached, or a mapped block)? Mapping lock held. */
static bool pc_has_data(struct inode *inode, struct pc_mapping *m, uint64_t idx)
{
    uint32_t bs = inode->sb->block_size, per;

    if (m && pc_find(m, idx))
        return true;
    if (is_ram_fs(inode) || bs > PAGE_SIZE)
        return false;
    per = (uint32_t)(PAGE_SIZE / bs);
    for (uint32_t b = 0; b < per; b++) {
        uint64_t pblock = 0;
        if (inode->aops->get_block(inode, idx * per + b, false, &pblock) == 0 && pblock)
            return true;
    }
    return false;
}

static int64_t pc_file_llseek(struct file *f, int64_t off, int whence)
{
    struct inode *inode = f->inode;
    struct pc_mapping *m;
    int64_t size = (int64_t)inode->size, res = -ENXIO;
    uint64_t idx;

    if (whence != SEEK_DATA && whence != SEEK_HOLE)
        return vfs_generic_llseek(f, off, whence);
    if (off < 0 || off >= size)
        return -ENXIO;
    m = mapping_get(inode);
    if (!m)
        return -ENOMEM;
    mutex_lock(&m->lock);
    idx = (uint64_t)off / PAGE_SIZE;
    if (whence == SEEK_DATA && is_ram_fs(inode)) {
        /* only cached pages hold data: the lowest index at or after idx */
        uint64_t best = UINT64_MAX;
        for (uint32_t i = 0; i < m->nbuckets; i++) {
            list_for_each(n, &m->buckets[i]) {
                struct pc_page *pg = list_entry(n, struct pc_page, map_link);
                if (pg->index >= idx && pg->index < best)
                    best = pg->index;
            }
        }
        if (best != UINT64_MAX && (int64_t)(best * PAGE_SIZE) < size)
            res = (int64_t)(best * PAGE_SIZE) > off ? (int64_t)(best * PAGE_SIZE) : off;
    } else {
        for (; (int64_t)(idx * PAGE_SIZE) < size; idx++) {
            bool data = pc_has_data(inode, m, idx);
            if (data == (whence == SEEK_DATA)) {
                res = (int64_t)(idx * PAGE_SIZE) > off ? (int64_t)(idx * PAGE_SIZE) : off;
                break;
            }
        }
    }
    if (whence == SEEK_HOLE && res < 0)
        res = size;             /* the end of the file is a hole */
    mutex_unlock(&m->lock);
    if (res >= 0)
        f->pos = (uint64_t)res;
    return res;
}

const struct file_ops pagecache_file_ops = {
    .read = pc_file_read,
    .write = pc_file_write,
    .llseek = pc_file_llseek,
};

int pagecache_init(void)
{
    return 0;
}
