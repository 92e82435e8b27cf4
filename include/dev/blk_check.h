/*
 * include/dev/blk_check.h - the block layer's rules as pure functions: what
 * a disk, a name prefix and a request must look like, which name a new disk
 * gets, how a large transfer is cut into requests, and a disk size as text.
 *
 * Part of dev; pure (host-tested by test/unit/test_blk_check.c). dev/blk
 * (the registry and the request path) calls these; nothing here locks,
 * allocates or touches a device. The errors are the ones include/dev/blk.h
 * promises its callers.
 */
#ifndef BASALT_DEV_BLK_CHECK_H
#define BASALT_DEV_BLK_CHECK_H

#include <core/compiler.h>
#include <dev/blk.h>

/* Longest name prefix: prefix + one letter + NUL fit in BLK_NAME_MAX. */
#define BLK_PREFIX_MAX      (BLK_NAME_MAX - 2)

/* 0 if prefix is 1..BLK_PREFIX_MAX lowercase letters, else -EINVAL. */
int blk_check_prefix(const char *prefix);

/*
 * The driver-filled fields of dev: capacity above 0 and a whole number of
 * blocks, block_size 512 * 2^k (up to 64 KiB), max_sectors at least one
 * block, ops with a submit function. Returns 0 or -EINVAL.
 */
int blk_check_disk(const struct blk_dev *dev);

/*
 * A transfer of count sectors at lba on dev, of any length (the sync
 * helpers check the whole transfer with this before cutting it up).
 * op READ/WRITE: count above 0, buf not NULL, lba and count whole blocks
 * (-EINVAL); lba + count within the disk, without overflow (-ERANGE); a
 * write to a read-only disk (-EROFS). op FLUSH: always 0 (lba, count and
 * buf are ignored). Any other op: -EINVAL. The first failing check, in
 * that order, decides.
 */
int blk_check_transfer(const struct blk_dev *dev, enum blk_op op, uint64_t lba, uint32_t count,
                       const void *buf);

/*
 * One request for blk_submit: blk_check_transfer, and also a done function
 * and, for reads and writes, count at most dev->max_sectors (-EINVAL). A
 * scatter-gather request (nsegs above 0; buf is not looked at) also needs
 * segs, nsegs <= dev->max_segs, every segment a non-NULL buffer of a
 * multiple of 512 bytes above 0, the lengths adding up to count * 512 and
 * the pages they touch at most dev->max_segs (-EINVAL).
 */
int blk_check_request(const struct blk_dev *dev, const struct blk_request *rq);

/*
 * The most sectors one request of a sync transfer carries on dev: its
 * max_sectors rounded down to whole blocks (at least one block for a disk
 * that passed blk_check_disk).
 */
uint32_t blk_split_sectors(const struct blk_dev *dev);

/* Page size the scatter-gather limits count in (x86: 4 KiB). */
#define BLK_PAGE_SIZE       4096u

/* Pages [buf, buf + len) touches (len above 0). */
uint32_t blk_pages_touched(uintptr_t buf, size_t len);

/*
 * The merge planner of blk_batch: one request being built from transfers
 * (pieces) of whole blocks. It knows the request's first sector and
 * length, its segments' count and pages, and where its last segment lies
 * in memory; blk_plan_next says what a new piece (lba, count sectors at
 * buf) does with it:
 *   BLK_PLAN_START   the plan is empty: the piece begins a request;
 *   BLK_PLAN_EXTEND  the piece continues both the sectors and the last
 *                    segment's memory: that segment grows;
 *   BLK_PLAN_NEWSEG  it continues the sectors but not the memory: a new
 *                    segment (only when max_segs >= 2);
 *   BLK_PLAN_SUBMIT  it cannot join (not contiguous, or max_sectors or the
 *                    pages limit would be passed): submit the request,
 *                    reset the plan, then START with the piece.
 * A request of one segment goes out in the single-buffer form, which any
 * driver takes up to max_sectors whatever the pages; one of more segments
 * must keep its pages within max_segs. blk_plan_apply records a step.
 * Pure: the caller keeps the segment array itself.
 */
struct blk_plan {
    uint64_t lba;               /* first sector */
    uint32_t count;             /* sectors so far; 0: empty */
    uint32_t nsegs;
    uint32_t pages;             /* pages the segments touch, summed per segment */
    uintptr_t seg_start;        /* the last segment */
    size_t seg_len;
};

enum blk_plan_step {
    BLK_PLAN_START,
    BLK_PLAN_EXTEND,
    BLK_PLAN_NEWSEG,
    BLK_PLAN_SUBMIT,
};

/* An empty plan. */
void blk_plan_reset(struct blk_plan *p);
enum blk_plan_step blk_plan_next(const struct blk_plan *p, uint32_t max_sectors,
                                 uint32_t max_segs, uint64_t lba, uint32_t count, uintptr_t buf);
/* Records step for the piece: START and SUBMIT begin a new request with it. */
void blk_plan_apply(struct blk_plan *p, enum blk_plan_step step, uint64_t lba, uint32_t count,
                    uintptr_t buf);

/*
 * Names a new disk: prefix followed by the first letter 'a'..'z' that no
 * name in taken[0..n) uses with that same prefix (names of other prefixes
 * never collide: "vd" + 'a' differs from any "v" + letter). Writes the name
 * to out[BLK_NAME_MAX] and returns 0, or -ENOSPC when all 26 are used,
 * -EINVAL for a bad prefix.
 */
int blk_pick_name(const char *prefix, const char *const *taken, size_t n,
                  char out[BLK_NAME_MAX]);

/*
 * A capacity in sectors as text with one decimal, in the largest unit that
 * keeps the number at least 1: "512 B", "64.0 KiB", "1.5 MiB", "2.0 GiB",
 * "3.2 TiB" (rounded down). Returns what snprintf returns.
 */
int blk_format_size(char *buf, size_t size, uint64_t sectors);

#endif
