/*
 * include/dev/virtio_blk.h - the VirtIO block device driver.
 *
 * Part of dev. Each virtio-blk function becomes a dev/blk disk named vda,
 * vdb, ... in PCI enumeration order, with the device's serial as its model.
 * Reads, writes and flushes are queued on the device's request queue and
 * completed by its interrupt (MSI-X, or INTx); device errors come back as
 * -EIO (-EOPNOTSUPP for a request type the device does not support).
 */
#ifndef BASALT_DEV_VIRTIO_BLK_H
#define BASALT_DEV_VIRTIO_BLK_H

#include <core/compiler.h>

struct blk_dev;
struct virtq;

/*
 * Registers the PCI driver. Boot thread, once, after PCI enumeration; may
 * sleep (device set-up). Returns the number of disks bound, or a negative errno.
 */
int virtio_blk_init(void);

/* The request queue of a virtio-blk disk (for tests), or NULL for another driver's disk. Any context, no lock. */
struct virtq *virtio_blk_queue(struct blk_dev *disk);

#endif
