/*
 * include/fs/bcache.h - the buffer cache: file-system metadata blocks
 * (superblocks, group descriptors, bitmaps, inode tables, directory and
 * indirect blocks) cached by (device, block number, block size).
 *
 * Part of fs, src/fs/bcache.c. A buffer is found or read with bcache_read,
 * changed in place by its user, marked dirty with bcache_dirty, and
 * released with bcache_put. Dirty buffers are written by the flusher
 * (include/fs/pagecache.h writeback_*), bcache_sync (sync, fsync, unmount)
 * and before reclaim; contiguous ones go out in one merged request.
 *
 * Errors: NULL-returning calls set *err to a negative errno (-EIO, -ENOMEM,
 * -ERANGE for a block past the device's end).
 *
 * Locking: bcache_lock [bl] (a spinlock) guards the hash, the LRU and the
 * counters; each buffer's data is guarded by the owning file system's lock
 * (ext2: its per-superblock mutex), never by the cache. The flusher writes a
 * dirty buffer's bytes as they are at that moment after clearing DIRTY, so a
 * change made during the write marks it dirty again and is written later.
 * Lock order: fs locks > bcache I/O (sleeps) > bcache_lock.
 */
#ifndef BASALT_FS_BCACHE_H
#define BASALT_FS_BCACHE_H

#include <core/compiler.h>
#include <core/list.h>

struct blk_dev;

#define BUF_UPTODATE    0x1
#define BUF_DIRTY       0x2

/* Legend: [c] constant while cached; [bl] bcache_lock; [fs] the owner fs's lock. */
struct buf {
    struct blk_dev *dev;            /* [c] */
    uint64_t block;                 /* [c] in units of size */
    uint32_t size;                  /* [c] 512..65536, a multiple of the device block */
    uint32_t flags;                 /* [bl] BUF_* */
    uint32_t refs;                  /* [bl] */
    uint8_t *data;                  /* [fs] size bytes */
    struct list_node hash_link;     /* [bl] */
    struct list_node lru_link;      /* [bl] unreferenced buffers, oldest first */
    struct list_node dirty_link;    /* [bl] dirty buffers, in dirtying order (sync sorts them) */
};

/*
 * Returns the buffer of (dev, block, size), read from the disk if not
 * cached, referenced; NULL with *err on failure. Thread context.
 */
struct buf *bcache_read(struct blk_dev *dev, uint64_t block, uint32_t size, int *err);
/* Like bcache_read but without reading: for a block about to be overwritten whole (zeroed). */
struct buf *bcache_get_zero(struct blk_dev *dev, uint64_t block, uint32_t size, int *err);
void bcache_dirty(struct buf *b);
void bcache_put(struct buf *b);
/* Writes b now if dirty and waits. 0 or -errno. */
int bcache_write_now(struct buf *b);
/* Writes every dirty buffer of dev (NULL: all devices), merged, and waits; then flushes the device cache. */
int bcache_sync(struct blk_dev *dev);
/* Drops every unreferenced buffer of dev (after bcache_sync; unmount). Returns how many remain referenced. */
size_t bcache_invalidate(struct blk_dev *dev);
/* Frees up to n clean unreferenced buffers; returns how many. */
size_t bcache_reclaim(size_t n);

struct bcache_stats {
    uint64_t buffers, dirty, bytes, hits, misses;
};
struct bcache_stats bcache_stats(void);

int bcache_init(void);

#endif
