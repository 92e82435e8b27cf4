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
 * and, for reads and writes, count at most dev->max_sectors (-EINVAL).
 */
int blk_check_request(const struct blk_dev *dev, const struct blk_request *rq);

/*
 * The most sectors one request of a sync transfer carries on dev: its
 * max_sectors rounded down to whole blocks (at least one block for a disk
 * that passed blk_check_disk).
 */
uint32_t blk_split_sectors(const struct blk_dev *dev);

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
