/*
 * include/dev/vring.h - the arithmetic of a VirtIO split virtqueue (VirtIO
 * 1.x, 2.7): ring sizes and offsets for a queue size, 16-bit index
 * wrap-around, the event-index rule (vring_need_event, 2.7.10), the
 * used-index sanity check, and the free-descriptor chains over the
 * driver's private link array.
 *
 * Part of dev; pure (no MMIO, no locks, no allocation, no printing), so
 * the host unit tests (test/unit/test_vring.c) run it under ASan/UBSan.
 * dev/virtq is the kernel's virtqueue around it: it owns the DMA rings and
 * calls these with its vq->lock held.
 *
 * Queue sizes are powers of two from 1 to VRING_MAX_SIZE: ring slots are
 * the free-running 16-bit indexes modulo the size, which stays consistent
 * across the wrap from 65535 to 0 only for powers of two.
 *
 * Locking: none; a struct vring_chains belongs to its caller.
 */
#ifndef BASALT_DEV_VRING_H
#define BASALT_DEV_VRING_H

#include <core/compiler.h>

#define VRING_MAX_SIZE          32768   /* the largest split-ring queue size (2.7) */

/* Byte offsets of a split ring laid out in one block: descriptors, avail, used. */
struct vring_layout {
    size_t avail_off;       /* driver area: flags, idx, ring[size], used_event */
    size_t used_off;        /* device area: flags, idx, ring[size], avail_event */
    size_t used_event_off;  /* the driver's used_event (after avail's ring) */
    size_t avail_event_off; /* the device's avail_event (after used's ring) */
    size_t bytes;           /* the whole block */
};

/*
 * The layout of a ring of size entries: the descriptor table at 0 (16-byte
 * entries, 16-byte aligned), the avail ring right after it (2-byte
 * aligned), the used ring at the next 4-byte boundary (2.7, "Virtqueue
 * Alignment"). Returns the total bytes (also in l->bytes).
 */
size_t vring_layout(uint16_t size, struct vring_layout *l);

/*
 * The queue size to use when the device offers dev_size (its maximum; 0:
 * no such queue) and the driver wants at most max_size: the smaller one,
 * rounded down to a power of two. Returns 0 when dev_size or max_size is 0.
 */
uint16_t vring_queue_size(uint16_t dev_size, uint16_t max_size);

/* The ring slot of free-running index idx in a ring of size (a power of two). */
uint16_t vring_slot(uint16_t idx, uint16_t size);

/*
 * The VirtIO event-index rule (2.7.10): after the driver (or device) moved
 * its index from old_idx to new_idx, does the other side, which asked to
 * hear of index event, want a notification? True when event is in
 * [old_idx, new_idx) modulo 2^16; never when old_idx == new_idx.
 */
bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx);

/* Finished chains not yet taken: used_idx - last_used modulo 2^16. */
uint16_t vring_used_pending(uint16_t used_idx, uint16_t last_used);

/*
 * Has the device's used index run ahead of the ring: does it claim more
 * finished chains than the ring of size holds (a broken device)?
 */
bool vring_used_ahead(uint16_t used_idx, uint16_t last_used, uint16_t size);

/*
 * The free descriptors of a ring, as chains over the driver's own link
 * array (the ring's copy of the links is the device's to write; these are
 * trusted). A free descriptor links to the next free one; an allocated
 * chain keeps the links it was taken with, so next[] also walks it.
 * chain_len[head] is the length of the chain at head, 0 for a descriptor
 * that is not the head of an allocated chain.
 */
struct vring_chains {
    uint16_t *next;         /* size entries, the caller's */
    uint16_t *chain_len;    /* size entries, the caller's */
    uint16_t size;
    uint16_t free_head;     /* first free descriptor (size: none) */
    uint16_t num_free;
};

/* Makes all size descriptors free (next[i] = i + 1, chain_len[i] = 0). */
void vring_chains_init(struct vring_chains *c, uint16_t *next, uint16_t *chain_len,
                       uint16_t size);

/*
 * Takes a chain of n descriptors off the free list. Returns its head (walk
 * it with c->next), -EINVAL when n is 0 or above the ring's size, -ENOSPC
 * when fewer than n are free (nothing taken).
 */
int vring_chain_alloc(struct vring_chains *c, unsigned n);

/* Is id the head of an allocated chain (a used id the device may return)? */
bool vring_chain_owned(const struct vring_chains *c, uint32_t id);

/*
 * Puts the chain at head back on the free list. Returns its length, or
 * -EINVAL when head is not the head of an allocated chain (out of range,
 * never allocated, or already freed: nothing changes).
 */
int vring_chain_free(struct vring_chains *c, uint32_t head);

#endif
