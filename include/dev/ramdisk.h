/*
 * include/dev/ramdisk.h - RAM disks: block devices whose sectors live in
 * kernel memory, for the ktests of the layers above dev/blk (buffer cache,
 * page cache, file systems) and for disk images carried in memory.
 *
 * Part of dev, a driver on dev/blk like dev/virtio_blk. A RAM disk is
 * registered under a prefix of the caller's choice ("ram" -> "rama"),
 * takes single-buffer and scatter-gather requests and completes each one
 * inside submit (thread context, so done runs before blk_submit returns).
 * The counters of struct blk_dev say how many requests arrived; requests
 * covering fail_lba end with -EIO, for error tests.
 *
 * Errors: -EINVAL (bad geometry, as blk_register), -ENOMEM, -ENOSPC (no
 * name left), -EBUSY (destroy with requests in flight).
 *
 * Locking: none of its own: data is copied with the caller's request, and
 * the owner serialises create/destroy and fail_lba changes (while idle).
 */
#ifndef BASALT_DEV_RAMDISK_H
#define BASALT_DEV_RAMDISK_H

#include <core/compiler.h>
#include <dev/blk.h>

#define RAMDISK_NONE    UINT64_MAX

/* Legend: [c] set at create, constant; [own] the creator's, changed while idle; [a] atomic. */
struct ramdisk {
    struct blk_dev dev;             /* registered; dev.priv is the ramdisk */
    uint8_t *data;                  /* [c] dev.sectors * 512 bytes (vmalloc), zeroed at create */
    uint64_t fail_lba;              /* [own] requests covering this sector fail (-EIO) */
    uint32_t sg_requests;           /* [a] requests that came with segments */
};

/*
 * Creates and registers a zeroed RAM disk of sectors sectors with the
 * given logical block size, largest request (max_sectors) and
 * scatter-gather limit (max_segs, 0: single buffers only). *out is the
 * disk. Thread context (allocates, takes blk_lock).
 */
int ramdisk_create(const char *prefix, uint64_t sectors, uint32_t block_size,
                   uint32_t max_sectors, uint32_t max_segs, struct ramdisk **out);

/* Unregisters and frees rd (NULL: nothing). 0 or -EBUSY (nothing changed). Thread context. */
int ramdisk_destroy(struct ramdisk *rd);

#endif
