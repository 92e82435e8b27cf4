/*
 * include/dev/virtio.h - VirtIO 1.x devices over modern PCI: the transport
 * (capabilities, status, feature negotiation, queues, interrupts) and the
 * split virtqueue.
 *
 * Part of dev. A driver (dev/virtio_rng, dev/virtio_blk) binds a PCI
 * function through a pci_driver whose table uses VIRTIO_PCI_ID, then:
 *
 *   virtio_dev_init(vd, pci, name)   map common/notify/ISR/device config,
 *                                    reset, ACKNOWLEDGE | DRIVER
 *   virtio_negotiate(vd, wanted)     offer wanted & device features; needs
 *                                    VERSION_1; FEATURES_OK must stick
 *   ...read the device configuration (virtio_cfg_read*)...
 *   virtio_setup_queues(vd, n, done) allocate rings, one MSI-X vector per
 *                                    queue (+ config), else one shared INTx
 *   virtio_driver_ok(vd)             DRIVER_OK: the device is live
 *
 * and on any failure virtio_dev_fail(vd) (FAILED status, resources freed).
 *
 * The features negotiated are remembered in vd->features and honoured: with
 * VIRTIO_F_EVENT_IDX the rings use the used_event / avail_event indexes to
 * suppress notifications and interrupts, otherwise the device's NO_NOTIFY
 * flag (the driver never sets NO_INTERRUPT: every chain has a waiter). For tests of the fallback paths, `virtio.noeventidx`
 * keeps EVENT_IDX from every device and `virtio.intx` makes every device
 * use INTx instead of MSI-X.
 *
 * Virtqueue use: virtq_add queues a descriptor chain (device-readable
 * segments first, then device-writable ones) with a token, sleeping while
 * the ring is full if allowed; virtq_kick notifies the device unless it
 * asked not to be; the interrupt handler drains the used ring and calls the
 * queue's done function once per finished chain, in interrupt context.
 *
 * Locking: each virtq has an irqsave spinlock (vq->lock, a leaf apart from
 * the scheduler's locks taken to wake sleepers) guarding its ring state.
 * done runs without it. The transport's registers are touched only by the
 * driver's probe (single-threaded) and the interrupt handlers (ISR read).
 */
#ifndef BASALT_DEV_VIRTIO_H
#define BASALT_DEV_VIRTIO_H

#include <core/compiler.h>
#include <dev/pci.h>
#include <sched/spinlock.h>
#include <sched/wait.h>

#define VIRTIO_PCI_VENDOR       0x1af4
#define VIRTIO_PCI_DEVICE_MIN   0x1000  /* 0x1000-0x103f transitional, 0x1040+ modern */
#define VIRTIO_PCI_DEVICE_MODERN 0x1040

/* Device types (VirtIO 1.2, 5). */
#define VIRTIO_ID_NET           1
#define VIRTIO_ID_BLOCK         2
#define VIRTIO_ID_CONSOLE       3
#define VIRTIO_ID_RNG           4

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE   1u
#define VIRTIO_STATUS_DRIVER        2u
#define VIRTIO_STATUS_DRIVER_OK     4u
#define VIRTIO_STATUS_FEATURES_OK   8u
#define VIRTIO_STATUS_NEEDS_RESET   64u
#define VIRTIO_STATUS_FAILED        128u

/* Transport feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC      28
#define VIRTIO_F_EVENT_IDX          29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33

/* Modern PCI capability (4.1.4): vendor capability with cfg_type. */
#define VIRTIO_PCI_CAP_COMMON_CFG   1
#define VIRTIO_PCI_CAP_NOTIFY_CFG   2
#define VIRTIO_PCI_CAP_ISR_CFG      3
#define VIRTIO_PCI_CAP_DEVICE_CFG   4
#define VIRTIO_PCI_CAP_PCI_CFG      5

struct virtio_pci_cap {
    uint8_t cap_vndr, cap_next, cap_len, cfg_type;
    uint8_t bar, id, padding[2];
    uint32_t offset, length;
};
_Static_assert(sizeof(struct virtio_pci_cap) == 16, "virtio_pci_cap layout");

struct virtio_pci_common_cfg {
    uint32_t device_feature_select;     /* rw */
    uint32_t device_feature;            /* ro */
    uint32_t driver_feature_select;     /* rw */
    uint32_t driver_feature;            /* rw */
    uint16_t config_msix_vector;        /* rw */
    uint16_t num_queues;                /* ro */
    uint8_t device_status;              /* rw */
    uint8_t config_generation;          /* ro */
    uint16_t queue_select;              /* rw */
    uint16_t queue_size;                /* rw */
    uint16_t queue_msix_vector;         /* rw */
    uint16_t queue_enable;              /* rw */
    uint16_t queue_notify_off;          /* ro */
    uint64_t queue_desc;                /* rw */
    uint64_t queue_driver;              /* rw */
    uint64_t queue_device;              /* rw */
} __packed;
_Static_assert(sizeof(struct virtio_pci_common_cfg) == 56, "virtio common cfg layout");

#define VIRTIO_MSI_NO_VECTOR    0xffffu
#define VIRTIO_ISR_QUEUE        1u
#define VIRTIO_ISR_CONFIG       2u

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
#define VIRTIO_MAX_QUEUES       4

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
    uint16_t *chain_len;            /* [l] descriptors in the chain at each head */
    uint16_t *next;                 /* [l] descriptor links, ours (the ring's copy is the device's) */
    bool broken;                    /* [l] the device broke the ring's rules: no more pops */
    uint16_t free_head, num_free;   /* [l] free descriptor list */
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
 * Lock legend: [c] constant once virtio_driver_ok ran; [p] probe only.
 */
struct virtio_dev {
    struct pci_dev *pci;                            /* [c] */
    char name[16];                                  /* [c] "virtio-blk0" */
    uint16_t type;                                  /* [c] VIRTIO_ID_* */
    volatile struct virtio_pci_common_cfg *common;  /* [p] */
    volatile uint8_t *notify_base;                  /* [c] */
    uint32_t notify_mult;                           /* [c] */
    uint32_t notify_len;                            /* [c] bytes in the notify window */
    volatile uint8_t *isr;                          /* [c] read clears */
    volatile uint8_t *device_cfg;                   /* [c] */
    uint32_t device_cfg_len;                        /* [c] */
    uint64_t device_features;                       /* [c] offered */
    uint64_t features;                              /* [c] negotiated */
    struct virtq *vq[VIRTIO_MAX_QUEUES];            /* [c] */
    unsigned nvqs;                                  /* [c] */
    uint64_t config_changes;                        /* atomic */
    struct virtio_dev *next;                        /* [virtio_list_lock] live devices */
};

/*
 * PCI match entries for a device type: the modern ID (0x1040 + type) and
 * the transitional one (legacy_id_, 0x1000-0x103f) that QEMU gives devices
 * on a conventional PCI bus. The driver still needs the modern interface.
 */
#define VIRTIO_PCI_MATCH(type_, legacy_id_)                                     \
    { .vendor = VIRTIO_PCI_VENDOR, .device = VIRTIO_PCI_DEVICE_MODERN + (type_), \
      .data = (type_) },                                                        \
    { .vendor = VIRTIO_PCI_VENDOR, .device = (legacy_id_), .data = (type_) }

/* VirtIO device type of a PCI function (modern or transitional), 0 if none. */
uint16_t virtio_pci_type(const struct pci_dev *pci);

/*
 * Finds the modern capabilities, maps their BARs, enables the function,
 * resets the device and sets ACKNOWLEDGE | DRIVER. Returns 0, -ENODEV (not
 * a modern VirtIO device: a capability is missing or out of its BAR), -EIO
 * (the reset did not complete).
 */
int virtio_dev_init(struct virtio_dev *vd, struct pci_dev *pci, const char *name);

/*
 * Negotiates: vd->features = device features & (wanted | VERSION_1), minus
 * any masked on the command line; sets FEATURES_OK and checks it stuck.
 * Returns 0, -ENODEV (no VERSION_1: a legacy-only device), -EIO (the
 * device refused the set).
 */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);

static inline bool virtio_has(const struct virtio_dev *vd, unsigned bit)
{
    return (vd->features >> bit) & 1;
}

/* Device-specific configuration, read consistently (config_generation). */
uint8_t virtio_cfg_read8(struct virtio_dev *vd, uint32_t off);
uint16_t virtio_cfg_read16(struct virtio_dev *vd, uint32_t off);
uint32_t virtio_cfg_read32(struct virtio_dev *vd, uint32_t off);
uint64_t virtio_cfg_read64(struct virtio_dev *vd, uint32_t off);

/*
 * Sets up queues 0..n-1 with done[i], at most max_size descriptors each
 * (0 = VIRTQ_MAX_SIZE), and their interrupts: MSI-X with one vector per
 * queue plus one for configuration changes when the device has enough,
 * else MSI-X with one shared vector, else INTx (shared, ISR-checked).
 * `virtio.intx` forces INTx. Returns 0, -EINVAL, -ENODEV (no such queue,
 * or no interrupt at all), -ENOMEM.
 */
int virtio_setup_queues(struct virtio_dev *vd, unsigned n, const virtq_done_fn *done,
                        uint16_t max_size);

/* Sets DRIVER_OK. */
void virtio_driver_ok(struct virtio_dev *vd);

/*
 * Lists vd for the shell's `virtio` once the driver has committed to it
 * (nothing after this may fail); a published device is never freed.
 */
void virtio_dev_publish(struct virtio_dev *vd);

/*
 * Resets the device, marks it FAILED and frees queues and interrupts
 * (idempotent; the rings are kept if the reset does not complete). Only
 * for a device that was never published.
 */
void virtio_dev_fail(struct virtio_dev *vd);

/* Interrupt mode in use ("MSI-X", "INTx", ...). */
const char *virtio_irq_mode(const struct virtio_dev *vd);

/*
 * Queues a chain of n_out device-readable then n_in device-writable
 * segments with token (not NULL). When the ring lacks room: sleeps until
 * it has some if may_sleep, else returns -ENOSPC. -EINVAL for an empty or
 * longer-than-the-ring chain. Returns 0. Does not notify: call virtq_kick.
 */
int virtq_add(struct virtq *vq, const struct virtq_seg *segs, unsigned n_out, unsigned n_in,
              void *token, bool may_sleep);

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
