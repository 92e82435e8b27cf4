/*
 * include/fs/pagecache.h - the page cache: file data in page-sized pieces,
 * indexed by (inode, page index), shared by read, write and (later) mmap.
 *
 * Part of fs. src/fs/pagecache.c keeps the index, the generic file read
 * and write paths, read-ahead, truncation and reclaim; src/fs/writeback.c
 * the writeback of dirty pages (in large merged requests, dev/blk's
 * blk_batch) and the flusher thread that runs it every 5 s and when dirty
 * pages pass a share of RAM.
 *
 * A file system with data on a block device supplies get_block (file block
 * -> device block, allocating when asked); the cache does the I/O itself,
 * in units of sb->block_size, and merges contiguous blocks into one
 * request. A RAM file system (tmpfs) supplies no get_block: its pages are
 * created zeroed, never written back and never reclaimed ("unevictable").
 *
 * Errors: 0 / a count, or a negative errno (-EIO, -ENOSPC from get_block,
 * -ENOMEM, -EFBIG past sb->max_bytes).
 *
 * Locking: each mapping has a mutex [ml] serialising changes to its pages
 * (insert, truncate, writeback of that inode); a global spinlock
 * pagecache_lock [pl] guards the LRU list and the counters. Lock order:
 * inode->lock > mapping lock > the fs's locks (get_block takes them) >
 * pagecache_lock. Callers of the read/write paths hold nothing; writers
 * hold inode->lock (vfs_write takes it for regular files).
 */
#ifndef BASALT_FS_PAGECACHE_H
#define BASALT_FS_PAGECACHE_H

#include <core/compiler.h>
#include <core/list.h>
#include <sched/sync.h>
#include <fs/vfs.h>

struct inode;
struct file;

#define PC_UPTODATE     0x1     /* data valid */
#define PC_DIRTY        0x2     /* newer than the disk */
#define PC_WRITEBACK    0x4     /* being written */
#define PC_UNEVICTABLE  0x8     /* RAM file system page: never reclaimed */

/*
 * One cached page. Legend: [ml] its mapping's lock; [pl] pagecache_lock;
 * [c] constant while in the cache.
 */
struct pc_page {
    struct inode *inode;            /* [c] */
    uint64_t index;                 /* [c] file offset / PAGE_SIZE */
    void *data;                     /* [c] PAGE_SIZE bytes, direct-mapped frame */
    uint32_t flags;                 /* [ml] PC_* */
    uint32_t refs;                  /* [pl] users besides the cache itself */
    struct list_node lru_link;      /* [pl] global LRU, least recently used first */
    struct list_node map_link;      /* [ml] in the mapping's hash bucket */
};

/* Per-inode state (inode->mapping), created on first use. */
struct pc_mapping {
    struct mutex lock;              /* the [ml] lock */
    struct list_node *buckets;      /* [ml] hash of pages by index */
    uint32_t nbuckets;              /* [ml] power of two, grows with the file */
    uint64_t npages;                /* [ml] */
    uint64_t ndirty;                /* [ml] */
    uint64_t ra_next;               /* [ml] read-ahead: index expected next */
    uint32_t ra_window;             /* [ml] pages read ahead last time */
};

/*
 * What a file system gives the cache. get_block maps file block iblock
 * (units of sb->block_size) to a device block in *pblock (0 = a hole when
 * !create); with create it allocates (zeroing is the cache's job for new
 * data blocks it fills) and returns -ENOSPC when full. Called with the
 * mapping lock held and, for create, inode->lock too. NULL for RAM
 * file systems.
 */
struct pc_aops {
    int (*get_block)(struct inode *inode, uint64_t iblock, bool create, uint64_t *pblock);
};

/* The file_ops for regular files of page-cache file systems (read, write,
 * llseek, fsync through the cache). */
extern const struct file_ops pagecache_file_ops;

/*
 * Reads len bytes at pos into buf (kernel memory), stopping at inode->size;
 * starts read-ahead on sequential access. Returns bytes read (0 at EOF) or
 * -errno (only when nothing was read). No locks needed by the caller.
 */
ssize_t pagecache_read(struct inode *inode, void *buf, size_t len, uint64_t pos);
/*
 * Writes len bytes of buf at pos, allocating blocks now (get_block create:
 * a full disk fails here with -ENOSPC, not later) and extending
 * inode->size. Caller holds inode->lock. Returns bytes written (short when
 * the disk fills part way) or -errno when nothing was written.
 */
ssize_t pagecache_write(struct inode *inode, const void *buf, size_t len, uint64_t pos);
/*
 * The file shrinks or grows to size: pages wholly past it are dropped
 * (dirty or not), the tail of the last partial page is zeroed. Call before
 * the fs frees its blocks. Caller holds inode->lock. 0 or -errno.
 */
int pagecache_truncate(struct inode *inode, uint64_t size);
/* Drops every page of the inode (eviction, unmount after writeback). */
void pagecache_drop_inode(struct inode *inode);
/*
 * Frees the per-inode state of an inode nobody can reach any more (unhashed,
 * no references) whose pages are all gone; false (nothing done) if it still
 * has pages. Takes no lock and never sleeps: for dcache_shrink's reclaim.
 */
bool pagecache_free_empty_mapping(struct inode *inode);
/*
 * Writes the inode's dirty pages to the device in merged requests and, with
 * wait, waits for them. 0 or the first error (the pages stay dirty).
 */
int pagecache_writeback_inode(struct inode *inode, bool wait);
/*
 * Frees up to n clean, unreferenced, evictable pages (oldest first).
 * Returns how many. Any thread; registered with mm as a reclaim hook.
 */
size_t pagecache_reclaim(size_t n);

struct pagecache_stats {
    uint64_t pages, dirty, writeback, unevictable;
    uint64_t hits, misses, readahead_pages, reclaimed;
};
struct pagecache_stats pagecache_stats(void);

/* The flusher (src/fs/writeback.c): wakes every 5 s, or at once when dirty
 * pages exceed writeback_dirty_limit() pages, and writes back every dirty
 * inode, buffer and superblock (vfs_sync). writeback_init also registers
 * fs's hooks below it: mm's reclaim hook (writeback_reclaim) and dev/acpi's
 * shutdown hook (vfs_sync before poweroff and reboot). Boot, once, after
 * workqueue_init and vfs_init's caches. */
int writeback_init(void);
/* Dirty page-cache pages above which writers kick the flusher: 10% of RAM. */
uint64_t writeback_dirty_limit(void);
/* Asks the flusher to run now (a writer crossed the limit). Any thread. */
void writeback_kick(void);
/*
 * mm's reclaim hook: frees up to want frames' worth of clean cached pages,
 * buffers and dentries (pagecache_reclaim, bcache_reclaim, dcache_shrink;
 * in an interrupt handler only the buffer cache, whose lock is irqsave).
 * Never sleeps, only trylocks. Returns how many objects it freed.
 */
size_t writeback_reclaim(size_t want);

struct writeback_stats {
    uint64_t runs;                  /* flusher runs (periodic and kicked) */
    uint64_t kicks;                 /* writeback_kick calls that queued a run */
    uint64_t errors;                /* runs whose vfs_sync failed */
    uint64_t shutdown_syncs;        /* syncs before poweroff/reboot */
    uint64_t reclaim_calls;         /* writeback_reclaim calls, and objects freed */
    uint64_t reclaimed;
};
struct writeback_stats writeback_stats(void);

/*
 * mmap: fills *b (mm/uvm.h) with a backing that maps f's pages straight
 * from the cache: ops->fault reads the page in and returns its frame with
 * a pmm_page_get reference (the page stays pinned in the cache, never
 * reclaimed, while any mapping holds the frame: its pmm count is above 1);
 * a shared writable fault marks it dirty. Takes a file reference (dropped
 * by ops->put). b->writable: f is open for writing. Returns 0, or -ENODEV
 * for a file without page-cache data (devices, directories, pipes).
 */
struct uvm_backing;
int pagecache_mmap_backing(struct file *f, struct uvm_backing *b);

int pagecache_init(void);

#endif
