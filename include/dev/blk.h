/*
 * include/dev/blk.h - the block layer: a registry of disks and the requests
 * that move sectors to and from them.
 *
 * Part of dev. A driver (dev/virtio_blk today) fills a struct blk_dev with
 * its capacity, block size, limits and a submit function, and registers it
 * under a name prefix; the registry names it prefix + 'a', 'b', ... ("vda",
 * "vdb"), each prefix with its own letters. Prefixes in use: "vd" (virtio-blk),
 * "rd" (the RAM disks of the blk.* ktests, which unregister them again),
 * and whatever a dev/ramdisk creator picks ("bct" for the bcache.* ktests).
 * Callers either submit asynchronous requests (blk_submit: several
 * may be in flight; each finishes by calling its done function, usually
 * from the driver's interrupt handler) or use the synchronous helpers
 * (blk_read, blk_write, blk_flush), which split large transfers, keep up to
 * BLK_SYNC_INFLIGHT requests in flight and sleep until the last finishes.
 *
 * Units: every LBA and count is in 512-byte sectors (BLK_SECTOR_SIZE), as
 * in VirtIO and Linux, whatever the device's logical block size; a request
 * must start and end on a logical-block boundary.
 *
 * Buffers: any mapped kernel memory (direct map, kmalloc, vmalloc); the
 * driver translates it page by page. It must stay valid until done runs.
 *
 * Errors, all negative errnos, never ignored:
 *   -ENODEV  no such disk (blk_find fails with NULL; the shell says so)
 *   -ERANGE  the request runs past the end of the disk
 *   -EINVAL  count 0, not block-aligned, NULL buffer, bad op; for one
 *            request also no done function or count above max_sectors
 *   -EROFS   a write to a read-only disk
 *   -EIO     the device reported an I/O error
 *   -EOPNOTSUPP  the device cannot do this (flush without a write cache
 *            is not an error: it completes at once with 0)
 *   -ENOMEM  no memory for the request
 *
 * Checks are made in that order of kind: -EINVAL, then -ERANGE, then -EROFS
 * (dev/blk_check, pure and host-tested, holds them).
 *
 * Locking: blk_lock guards the registry [blk_lock] (taken briefly by
 * register, unregister, find and the iterators; never from interrupt
 * handlers). A driver's disk is never unregistered, so a pointer from
 * blk_find/blk_get stays valid; only the ktests' RAM disks are, by their
 * owner, once idle. Per-disk counters are atomics [a]. Requests carry no
 * lock: the submitter owns a request until its done function runs, then
 * owns it again.
 */
#ifndef BASALT_DEV_BLK_H
#define BASALT_DEV_BLK_H

#include <core/compiler.h>

#define BLK_SECTOR_SIZE     512u
#define BLK_SECTOR_SHIFT    9
#define BLK_NAME_MAX        8
#define BLK_MAX_BLOCK_SIZE  65536u  /* largest logical block size a disk may have */
#define BLK_MAX_DEVICES     26      /* whole disks: "vda".."vdz" per prefix, and in all */
#define BLK_MAX_PARTS       15      /* partitions registered per disk: numbers 1..15 */
#define BLK_MAX_ENTRIES     128     /* registry slots: whole disks and partitions */
#define BLK_SYNC_INFLIGHT   16      /* requests blk_read/blk_write keep queued */

enum blk_op {
    BLK_OP_READ,
    BLK_OP_WRITE,
    BLK_OP_FLUSH,                   /* lba, count and buf ignored */
};

struct blk_dev;
struct blk_request;

typedef void (*blk_done_fn)(struct blk_request *rq);

/*
 * One piece of a scatter-gather request's data: len bytes (a multiple of
 * 512, above 0) at buf, any mapped kernel memory.
 */
struct blk_seg {
    void *buf;
    uint32_t len;
};

/*
 * One transfer. The submitter fills op, lba, count, buf, done and ctx; the
 * layer and the driver own the rest until done(rq) runs, which may be in
 * interrupt context (done must not sleep) and on any CPU.
 *
 * Legend (ownership, no lock: one owner at a time): [s] written by the
 * submitter before blk_submit, constant while in flight; [f] written by
 * the layer or the driver while in flight, the submitter's again once
 * done(rq) has been called.
 */
struct blk_request {
    enum blk_op op;                 /* [s] */
    uint64_t lba;                   /* [s] first sector */
    uint32_t count;                 /* [s] sectors */
    void *buf;                      /* [s] count * 512 bytes (when nsegs is 0) */
    /*
     * [s] Scatter-gather (optional): when nsegs is above 0 the data is
     * segs[0..nsegs) in order, their lengths adding up to count * 512, and
     * buf is ignored. Only for disks with max_segs >= nsegs; the pages the
     * segments touch, counted segment by segment, are at most max_segs.
     * The array must stay valid until done runs. Zero (designated
     * initialisers) keeps the single-buffer form.
     */
    const struct blk_seg *segs;
    uint32_t nsegs;
    blk_done_fn done;               /* [s] called exactly once if blk_submit returned 0 */
    /*
     * On a partition the driver sees the request as one to the whole disk:
     * while in flight dev is the whole disk and lba counts from its start;
     * blk_complete puts both back (the partition, its own lba) before done.
     */
    void *ctx;                      /* [s] for the submitter */
    int status;                     /* [f] set before done: 0 or a negative errno */
    struct blk_dev *dev;            /* [f] set by blk_submit */
    void *driver_data;              /* [f] for the driver while in flight */
    struct blk_dev *part;           /* [f] the partition submitted to, NULL for a whole disk */
};

struct blk_dev_ops {
    /*
     * Queues rq (already checked by the layer: in range, aligned, within
     * max_sectors). Returns 0 (done will run exactly once, possibly before
     * submit returns) or a negative errno (done will not run). May sleep
     * while the device's queue is full; never called with spinlocks held.
     */
    int (*submit)(struct blk_dev *dev, struct blk_request *rq);
};

/*
 * A disk. Lock legend: [c] filled by the driver before blk_register and
 * constant afterwards; [blk_lock] under blk_lock; [a] atomic counters,
 * updated by blk_complete in any context and read without a lock.
 */
struct blk_dev {
    uint64_t sectors;               /* [c] capacity in 512-byte sectors */
    uint32_t block_size;            /* [c] logical block size, bytes: 512 * 2^k */
    uint32_t max_sectors;           /* [c] most sectors in one request (>= block_size/512) */
    /*
     * [c] Scatter-gather: the most pages the segments of one request may
     * touch in all (so also the most segments); 0 or 1: the driver takes
     * only single-buffer requests (nsegs 0). Copied to partitions.
     */
    uint32_t max_segs;
    bool read_only;                 /* [c] */
    bool write_cache;               /* [c] flush does something */
    const char *driver;             /* [c] "virtio-blk" */
    char model[24];                 /* [c] device identity, "" if unknown */
    const struct blk_dev_ops *ops;  /* [c] */
    void *priv;                     /* [c] the driver's */

    char name[BLK_NAME_MAX];        /* [blk_lock] "vda", "vda1", set by blk_register */
    /*
     * [c] Partitions (dev/blk_part tables read by blk_scan_partitions): a
     * partition is a blk_dev of its own, named disk + number ("vda1"; disk
     * + 'p' + number when the disk's name ends in a digit), whose requests
     * go to whole at start_sector + lba. NULL/0 for a whole disk.
     */
    struct blk_dev *whole;
    uint64_t start_sector;
    uint32_t partno;
    /*
     * [c] Linux's numbers: virtio-blk 254:16*disk (the driver sets them
     * right after blk_register, which picks the letter, before scanning);
     * a partition gets its disk's major and minor + partno. 0:0 unknown.
     */
    uint32_t major, minor;
    /*
     * [a] Completed requests by op, failed ones included; errors counts the
     * failed ones, sectors_* only what was transferred successfully.
     * Zeroed by blk_register.
     */
    uint64_t reads, writes, flushes, errors;
    uint64_t sectors_read, sectors_written;
    /*
     * [a] Transfers of a blk_batch that joined a request another transfer
     * had begun (Linux's "reads/writes merged"): pieces added minus
     * requests submitted. Counted when the batch submits the request.
     */
    uint64_t read_merges, write_merges;
    uint32_t inflight;              /* [a] submitted, done not yet called */
};

/*
 * Names dev prefix + the first unused letter and adds it to the registry.
 * Returns 0, -EINVAL (bad fields: zero capacity, block size not 512 * 2^k
 * up to 64 KiB, capacity not a whole number of blocks, max_sectors below
 * one block, no ops or no submit; bad prefix: not 1-6 letters a-z),
 * -EEXIST (dev is registered already) or -ENOSPC (all names of the prefix
 * or all BLK_MAX_DEVICES slots taken). Context: thread, takes blk_lock.
 */
int blk_register(struct blk_dev *dev, const char *prefix);

/*
 * Removes dev from the registry (its name becomes free again), and its
 * partitions with it (freed: blk_scan_partitions made them). For the
 * ktests' RAM disks: the caller guarantees that nobody submits to dev or
 * its partitions or keeps their pointers afterwards. Returns 0, -ENOENT
 * (not registered), -EINVAL (a partition: it goes with its disk) or
 * -EBUSY (requests in flight on the disk; nothing changed). Context:
 * thread, blk_lock.
 */
int blk_unregister(struct blk_dev *dev);

/*
 * Reads disk's partition table (dev/blk_part: MBR with logicals, or GPT)
 * and registers a blk_dev per data partition, numbered as Linux numbers
 * them: limits, mode and driver copied from the disk, sectors and
 * start_sector from the table, whole = disk. Extended DOS containers,
 * partitions numbered above BLK_MAX_PARTS, and partitions not aligned to
 * the disk's logical blocks are skipped with a log line. A disk without a
 * table (or with an unreadable one: logged) stays whole with no
 * partitions. Returns the number registered (0..BLK_MAX_PARTS) or a
 * negative errno (-EINVAL: not a registered whole disk, or scanned
 * already; -ENOMEM; a read error). Context: thread (reads, sleeps).
 */
int blk_scan_partitions(struct blk_dev *disk);

/* The disk named name ("vda"), or NULL. */
struct blk_dev *blk_find(const char *name);

/*
 * Number of registered disks and partitions, and the i-th in registration
 * order (or NULL); a disk's partitions follow it.
 */
size_t blk_count(void);
struct blk_dev *blk_get(size_t i);

/*
 * Checks rq against dev (the errors above), fills rq->dev and
 * hands it to the driver. On 0, rq->done runs exactly once with rq->status
 * set (possibly before blk_submit returns, possibly on another CPU in an
 * interrupt handler); on error it does not run. A flush on a disk without a
 * write cache completes at once with 0, without the driver. Counters are
 * updated at completion. Context: thread, no spinlock held (the driver may
 * sleep for queue space).
 */
int blk_submit(struct blk_dev *dev, struct blk_request *rq);

/*
 * Synchronous transfers of count sectors of any size: split into requests
 * of at most max_sectors (rounded down to whole blocks), up to
 * BLK_SYNC_INFLIGHT in flight; sleeps until all have finished. The whole
 * transfer is checked first (nothing is done when it fails); after a
 * request fails no more are submitted, and the ones in flight are waited
 * for. Returns 0 or the first error to occur (the layer's checks, -ENOMEM,
 * a driver's refusal, or a request's status). Thread context only, no
 * spinlock held (-EDEADLK in debug builds otherwise).
 */
int blk_read(struct blk_dev *dev, uint64_t lba, uint32_t count, void *buf);
int blk_write(struct blk_dev *dev, uint64_t lba, uint32_t count, const void *buf);
/* Flushes the device's write cache; 0 at once (no request) when it has none. */
int blk_flush(struct blk_dev *dev);

/*
 * For drivers: rq has finished with status (0 or a negative errno; a device
 * error is -EIO; a positive status is a driver bug, logged and made -EIO).
 * Updates the disk's counters, sets rq->status and calls rq->done; the
 * driver must not touch rq afterwards. Any context, including interrupt
 * handlers; no lock of the layer is taken.
 */
void blk_complete(struct blk_request *rq, int status);

/*
 * ---- merged synchronous batches (file-system I/O)
 *
 * A batch collects transfers of one op to one disk; a transfer whose first
 * sector follows the previous one's last (and whose buffer may be another
 * page) is merged into the same request, up to max_sectors, so sequential
 * I/O reaches the device as few large requests. blk_batch_add may submit
 * full requests early; blk_batch_finish submits the rest and sleeps until
 * every request has finished.
 *
 * Returns 0 or the first error (the layer's checks, a driver's -ENOMEM,
 * -EIO). After an error later adds are refused with it and finish still
 * waits for what is in flight. The batch's own bookkeeping needs no large
 * allocation, and without memory for it the batch still does its I/O (with
 * fewer merges, or one transfer at a time), so I/O that reclaim depends on
 * goes on when the heap is full. Thread context, no spinlock held. The struct lives on the
 * caller's stack; its fields are private to dev/blk.
 */
struct blk_batch {
    struct blk_dev *dev;
    enum blk_op op;
    void *priv;                     /* dev/blk's state */
    int error;
    /* readable after finish (tests, bench): transfers added, requests submitted */
    uint32_t pieces, requests;
};
void blk_batch_init(struct blk_batch *b, struct blk_dev *dev, enum blk_op op);
/*
 * buf: count * 512 bytes of any mapped kernel memory (a page, a direct-map
 * run, vmalloc), valid until finish returns; lba and count whole blocks.
 * A transfer longer than a request allows is split.
 */
int blk_batch_add(struct blk_batch *b, uint64_t lba, uint32_t count, void *buf);
int blk_batch_finish(struct blk_batch *b);

#endif
