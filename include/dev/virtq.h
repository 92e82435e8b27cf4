/*
 * include/dev/virtq.h - the split virtqueue of a VirtIO device (VirtIO
 * 1.x, 2.7): the rings in DMA memory, adding descriptor chains, notifying
 * the device, draining finished chains, and the lost-interrupt watchdog's
 * look at a queue.
 *
 * Part of dev. dev/virtio (the PCI transport) creates a device's queues
 * with virtq_create while it sets them up and frees them with
 * virtq_destroy; its interrupt handlers call virtq_drain. Drivers
 * (dev/virtio_blk, dev/virtio_rng) use virtq_add, virtq_kick and the done
 * function they gave. The ring arithmetic (layout, indexes, event index,
 * free chains) is the pure dev/vring.
 *
 * Use: virtq_add queues a descriptor chain (device-readable segments
 * first, then device-writable ones) with a token, sleeping while the ring
 * is full if allowed; virtq_kick notifies the device unless it asked not
 * to be; the interrupt handler drains the used ring and calls the queue's
 * done function once per finished chain, in interrupt context.
 *
 * With VIRTIO_F_EVENT_IDX (vq->event_idx) the rings use the used_event /
 * avail_event indexes to suppress notifications and interrupts, otherwise
 * the device's NO_NOTIFY flag (the driver never sets NO_INTERRUPT: every
 * chain has a waiter).
 *
 * Locking: each virtq has an irqsave spinlock (vq->lock, a leaf apart from
 * the scheduler's locks taken to wake sleepers) guarding its ring state.
 * done runs without it.
 */
#ifndef BASALT_DEV_VIRTQ_H
#define BASALT_DEV_VIRTQ_H

#include <core/compiler.h>
#include <dev/vring.h>
#include <core/spinlock.h>
#include <sched/wait.h>

/* Split virtqueue (2.7). */
#define VIRTQ_DESC_F_NEXT       1u
#define VIRTQ_DESC_F_WRITE      2u
#define VIRTQ_DESC_F_INDIRECT   4u
#define VIRTQ_AVAIL_F_NO_INTERRUPT  1u
#define VIRTQ_USED_F_NO_NOTIFY      1u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc layout");

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];        /* queue size entries, then used_event */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem layout");

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[];  /* queue size entries, then avail_event */
};

#define VIRTQ_MAX_SIZE          256     /* we ask for at most this many descriptors */

struct virtq;
struct virtio_dev;

/* A finished chain: its token and the bytes the device wrote. Interrupt context. */
typedef void (*virtq_done_fn)(struct virtq *vq, void *token, uint32_t len);

/* One buffer of a chain. */
struct virtq_seg {
    uint64_t addr;              /* bus address */
    uint32_t len;
};

/*
 * Lock legend: [l] vq->lock; [c] constant after setup; [a] atomic counter.
 */
struct virtq {
    spinlock_t lock;
    struct virtio_dev *vd;          /* [c] */
    uint16_t index, size;           /* [c] queue number; descriptors */
    struct virtq_desc *desc;        /* [l] the rings, in one DMA block */
    struct virtq_avail *avail;      /* [l] */
    struct virtq_used *used;        /* [l] read-only for us except avail_event */
    void *ring_mem;                 /* [c] */
    size_t ring_bytes;              /* [c] */
    volatile uint16_t *notify;      /* [c] where to write the queue index */
    bool event_idx;                 /* [c] VIRTIO_F_EVENT_IDX negotiated */
    virtq_done_fn done;             /* [c] */
    void **token;                   /* [l] per head descriptor */
    struct vring_chains chains;     /* [l] free descriptors; our own links (the ring's
                                       copy is the device's) and chain lengths */
    bool broken;                    /* [l] the device broke the ring's rules: no more pops */
    uint16_t avail_shadow;          /* [l] our next avail->idx */
    uint16_t kicked_idx;            /* [l] avail idx at the last kick decision */
    uint16_t last_used;             /* [l] next used entry to read */
    struct wait_queue space_wq;     /* [l] threads waiting for descriptors */
    uint64_t added, kicks, kicks_suppressed, completions, interrupts;  /* [a] */
    /* virtq_watchdog's previous look */
    uint16_t wd_last_used;          /* [l] last_used then */
    bool wd_pending;                /* [l] the used ring held chains not taken yet */
    unsigned wd_idle;               /* [l] looks in a row: chains out, none finished */
    uint64_t lost_interrupts;       /* [a] finished chains the watchdog had to take */
    uint64_t renotifies;            /* [a] notifications the watchdog sent again */
    uint16_t msix_vector;           /* [c] MSI-X table index, or VIRTIO_MSI_NO_VECTOR */
};

/*
 * Allocates queue index of vd with size descriptors (a power of two, at
 * most VIRTQ_MAX_SIZE): its rings in DMA memory and its bookkeeping, every
 * descriptor free. notify is where virtq_kick writes the queue index. The
 * rings' bus addresses are *bus plus the offsets in *layout, for the
 * transport to give the device. Returns the queue, or NULL (no memory).
 * Probe context (may sleep).
 */
struct virtq *virtq_create(struct virtio_dev *vd, uint16_t index, uint16_t size,
                           virtq_done_fn done, bool event_idx, volatile uint16_t *notify,
                           uint16_t msix_vector, uint64_t *bus, struct vring_layout *layout);

/* Frees vq and its rings (NULL: nothing). The device must no longer use them. */
void virtq_destroy(struct virtq *vq);

/*
 * Queues a chain of n_out device-readable then n_in device-writable
 * segments with token (not NULL). When the ring lacks room: sleeps until
 * it has some if may_sleep, else returns -ENOSPC. -EINVAL for an empty or
 * longer-than-the-ring chain. Returns 0. Does not notify: call virtq_kick.
 */
int virtq_add(struct virtq *vq, const struct virtq_seg *segs, unsigned n_out, unsigned n_in,
              void *token, bool may_sleep);

/*
 * Queues an indirect chain (VIRTIO_F_INDIRECT_DESC must be negotiated):
 * one ring descriptor pointing at table_bus, a table of n descriptors the
 * caller built in DMA memory (flags NEXT/WRITE, next = index in the table,
 * readable ones first; n at most the queue size) and keeps unchanged until
 * the chain finishes. Sleeps for a free ring slot as virtq_add does.
 * Returns 0, -EINVAL (n 0 or above the size, no token) or -ENOSPC.
 */
int virtq_add_indirect(struct virtq *vq, uint64_t table_bus, unsigned n, void *token,
                       bool may_sleep);

/* Notifies the device of new chains, unless it suppressed notifications. */
void virtq_kick(struct virtq *vq);

/*
 * Takes every finished chain off the used ring and calls vq->done for each.
 * Called by the interrupt handlers; also usable for polling. Returns how
 * many finished.
 */
unsigned virtq_drain(struct virtq *vq);

/*
 * The watchdog's look at vq (the watchdog work item calls it every
 * VIRTQ_WATCHDOG_NS for every published device; tests may call it too).
 * Notifications can be lost: QEMU before 8.1 under TCG with one vCPU drops
 * the guest's memory barriers, so the used_event / avail_event handshakes
 * can miss (QEMU commit c914d46d0a). When the used ring held finished
 * chains at the previous look and still holds them, unread, their
 * interrupt was lost: takes them (vq->done with interrupts off, as from
 * the handler), counts them in lost_interrupts and reports the queue's
 * indexes. When chains are out and none finished since the previous look,
 * notifies the device again (a lost notification, or a slow device: a
 * second one is harmless) and reports a queue that stays so for
 * VIRTQ_STALL_REPORT_NS. Returns the chains it took. Thread context.
 */
#define VIRTQ_WATCHDOG_NS       250000000ull
#define VIRTQ_STALL_REPORT_NS   5000000000ull
unsigned virtq_watchdog(struct virtq *vq);

#endif
