/*
 * include/dev/virtio.h - VirtIO 1.x devices over modern PCI: the transport
 * (capabilities, status, feature negotiation, device configuration, queue
 * registers, interrupts) and the list of live devices.
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
 * The queues themselves (virtq_add, virtq_kick, virtq_drain, the
 * watchdog's virtq_watchdog) are dev/virtq, included here; the shell's
 * `virtio` is dev/virtio_cmds.
 *
 * The features negotiated are remembered in vd->features and honoured: with
 * VIRTIO_F_EVENT_IDX the queues suppress notifications and interrupts with
 * the event indexes (see dev/virtq). For tests of the fallback paths,
 * `virtio.noeventidx` keeps EVENT_IDX from every device and `virtio.intx`
 * makes every device use INTx instead of MSI-X.
 *
 * A published device is watched: a thread looks at each of its queues
 * every VIRTQ_WATCHDOG_NS (virtq_watchdog) for lost interrupts.
 *
 * Locking: the transport's registers are touched only by the driver's
 * probe (single-threaded) and the interrupt handlers (ISR read); the list
 * of published devices is under virtio_list_lock (an irqsave spinlock, a
 * leaf). Each queue has its own lock (see dev/virtq).
 */
#ifndef BASALT_DEV_VIRTIO_H
#define BASALT_DEV_VIRTIO_H

#include <core/compiler.h>
#include <dev/pci.h>
#include <dev/virtq.h>

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

#define VIRTIO_MAX_QUEUES       4

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

/*
 * The start every driver's probe shares: virtio_dev_init(vd, pci, name),
 * then virtio_negotiate(vd, wanted), with their returns. On failure the
 * caller unwinds with virtio_dev_fail (safe whichever step failed) and
 * frees its own state. Thread context (probe).
 */
int virtio_probe_begin(struct virtio_dev *vd, struct pci_dev *pci, const char *name,
                       uint64_t wanted);

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
 * Lists vd for the shell's `virtio` and the watchdog once the driver has
 * committed to it (nothing after this may fail); a published device is
 * never freed. Thread context; takes virtio_list_lock.
 */
void virtio_dev_publish(struct virtio_dev *vd);

/*
 * The published devices in bring-up order (linked by vd->next), or NULL.
 * Devices are never removed and the list only grows at its tail, so the
 * caller may walk it without a lock. Any context; takes virtio_list_lock.
 */
struct virtio_dev *virtio_devices(void);

/*
 * Resets the device, marks it FAILED and frees queues and interrupts
 * (idempotent; the rings are kept if the reset does not complete). Only
 * for a device that was never published.
 */
void virtio_dev_fail(struct virtio_dev *vd);

/* Interrupt mode in use ("MSI-X", "INTx", ...). */
const char *virtio_irq_mode(const struct virtio_dev *vd);

#endif
