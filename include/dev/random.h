/*
 * include/dev/random.h - the kernel's entropy source.
 *
 * Part of dev. Drivers of hardware random number generators register a
 * source (dev/virtio_rng does); random_get_bytes reads from the best one
 * present: a registered device first, then the CPU's RDRAND. It is meant
 * for seeds (stack canaries, AT_RANDOM), not bulk data.
 *
 * Locking: random_lock (a mutex) serialises readers and guards the source
 * list; a source's read function is called with it held and may sleep.
 */
#ifndef BASALT_DEV_RANDOM_H
#define BASALT_DEV_RANDOM_H

#include <core/compiler.h>

struct random_source {
    const char *name;               /* "virtio-rng0" */
    /*
     * Fills buf[0..n) (n >= 1); returns 0 or a negative errno. May sleep.
     * -ETIMEDOUT or -ENODEV say the source is gone for good: it is retired.
     */
    int (*read)(struct random_source *src, void *buf, size_t n);
    void *priv;
    struct random_source *next;     /* [random_lock] */
    bool retired;                   /* [random_lock] failed for good: skipped */
};

/* Adds src (used before RDRAND). Returns 0 or -EINVAL. */
int random_register_source(struct random_source *src);

/*
 * n random bytes into buf. Thread context. Tries the newest source not
 * retired; one that reports itself gone (-ETIMEDOUT, -ENODEV) is retired
 * (logged once) and the next one, at last RDRAND, is tried. Returns 0;
 * -ENODEV when there is no source left (no device and no RDRAND); or the
 * failing source's error. *source (may be NULL) gets the source's name.
 */
int random_get_bytes(void *buf, size_t n, const char **source);

#endif
