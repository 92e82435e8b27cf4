/*
 * include/dev/virtio_rng.h - the VirtIO entropy device driver.
 *
 * Part of dev. Each virtio-rng function becomes an entropy source of
 * dev/random named "virtio-rngN": a read queues one device-writable buffer
 * on the request queue and sleeps until the device's interrupt says it is
 * filled.
 */
#ifndef BASALT_DEV_VIRTIO_RNG_H
#define BASALT_DEV_VIRTIO_RNG_H

#include <core/compiler.h>

/*
 * Registers the PCI driver. Boot thread, once, after PCI enumeration; may
 * sleep. Returns the number of devices bound, or a negative errno.
 */
int virtio_rng_init(void);

#endif
