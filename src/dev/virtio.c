/*
 * src/dev/virtio.c - the VirtIO 1.x modern PCI transport and the list of
 * live devices.
 *
 * Part of dev; the interface and the driver's sequence are in
 * include/dev/virtio.h. Layers:
 *   capabilities   find_cap_window maps each virtio_pci_cap's BAR window
 *   status         reset, ACKNOWLEDGE/DRIVER, FEATURES_OK, DRIVER_OK, FAILED
 *   queues         queue registers, notify addresses, MSI-X vectors; the
 *                  rings themselves are dev/virtq's (virtq_create)
 *   interrupts     per-queue MSI-X handlers, one shared MSI-X vector, or
 *                  INTx that reads (and so clears) the ISR register; each
 *                  drains its queues with virtq_drain
 *   devices        the published devices (virtio_devices, for the shell's
 *                  `virtio` in dev/virtio_cmds)
 *   watchdog       a delayed work item that gives every published queue a
 *                  look each VIRTQ_WATCHDOG_NS (virtq_watchdog, in dev/virtq)
 *                  and takes finished chains whose interrupt was lost
 */
#include <core/atomic.h>
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/mmio.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <dev/virtio.h>
#include <dev/virtq.h>
#include <sched/workqueue.h>

CMDLINE_PARAM(virtio_noeventidx, "virtio.noeventidx", CMDLINE_FLAG, 0, 0,
              "VirtIO: do not negotiate EVENT_IDX (use the ring flags to suppress notifications)");
CMDLINE_PARAM(virtio_intx, "virtio.intx", CMDLINE_FLAG, 0, 0,
              "VirtIO: use legacy INTx interrupts even when MSI-X is offered");

#define VIRTIO_RESET_TIMEOUT_NS     1000000000ull
#define VIRTIO_NOTIFY_CAP_MULT      16      /* notify_off_multiplier after the cap */
#define VIRTIO_TRANSITIONAL_LAST    0x103f


/* ---- transport -------------------------------------------------------------- */

uint16_t virtio_pci_type(const struct pci_dev *pci)
{
    if (pci->vendor != VIRTIO_PCI_VENDOR || pci->device < VIRTIO_PCI_DEVICE_MIN)
        return 0;
    if (pci->device >= VIRTIO_PCI_DEVICE_MODERN)
        return pci->device - VIRTIO_PCI_DEVICE_MODERN;
    if (pci->device <= VIRTIO_TRANSITIONAL_LAST)
        return pci->subsys_id;      /* transitional: the type is the subsystem ID */
    return 0;
}

static void set_status(struct virtio_dev *vd, uint8_t bits)
{
    vd->common->device_status = (uint8_t)(vd->common->device_status | bits);
}

/*
 * Maps the window a virtio_pci_cap at cap describes; NULL when its BAR is
 * not a mapped memory BAR or the window does not fit inside it.
 */
static volatile uint8_t *map_cap_window(struct virtio_dev *vd, uint8_t cap, uint32_t *len)
{
    struct pci_dev *pci = vd->pci;
    uint8_t bar = pci_cfg_read8(pci, cap + offsetof(struct virtio_pci_cap, bar));
    uint32_t off = pci_cfg_read32(pci, cap + offsetof(struct virtio_pci_cap, offset));
    uint32_t length = pci_cfg_read32(pci, cap + offsetof(struct virtio_pci_cap, length));
    uint8_t *base;

    if (bar >= PCI_MAX_BARS || pci->bar[bar].io || (uint64_t)off + length > pci->bar[bar].size) {
        pr_warn("%s: capability at %#x points outside BAR %u; ignored", vd->name, cap, bar);
        return NULL;
    }
    base = pci_map_bar(pci, bar);
    if (!base)
        return NULL;
    *len = length;
    return base + off;
}

/* Finds the first usable capability of each kind (4.1.4: the first one is preferred). */
static int find_caps(struct virtio_dev *vd)
{
    struct pci_dev *pci = vd->pci;
    uint32_t len;

    for (uint8_t cap = pci_find_cap(pci, PCI_CAP_VENDOR, 0); cap;
         cap = pci_find_cap(pci, PCI_CAP_VENDOR, cap)) {
        uint8_t type = pci_cfg_read8(pci, cap + offsetof(struct virtio_pci_cap, cfg_type));
        volatile uint8_t *w;

        switch (type) {
        case VIRTIO_PCI_CAP_COMMON_CFG:
            if (vd->common)
                break;
            w = map_cap_window(vd, cap, &len);
            if (w && len >= sizeof(struct virtio_pci_common_cfg))
                vd->common = (volatile struct virtio_pci_common_cfg *)w;
            break;
        case VIRTIO_PCI_CAP_NOTIFY_CFG: {
            uint32_t mult;

            if (vd->notify_base)
                break;
            /* the multiplier follows the cap: 20 bytes; 0 or an even number (4.1.4.4) */
            if (pci_cfg_read8(pci, cap + offsetof(struct virtio_pci_cap, cap_len)) <
                VIRTIO_NOTIFY_CAP_MULT + 4)
                break;
            mult = pci_cfg_read32(pci, cap + VIRTIO_NOTIFY_CAP_MULT);
            w = map_cap_window(vd, cap, &len);
            if (!w || len < sizeof(uint16_t) || (mult & 1))
                break;
            vd->notify_base = w;
            vd->notify_len = len;
            vd->notify_mult = mult;
            break;
        }
        case VIRTIO_PCI_CAP_ISR_CFG:
            if (vd->isr)
                break;
            w = map_cap_window(vd, cap, &len);
            if (w && len >= 1)
                vd->isr = w;
            break;
        case VIRTIO_PCI_CAP_DEVICE_CFG:
            if (!vd->device_cfg) {
                vd->device_cfg = map_cap_window(vd, cap, &len);
                vd->device_cfg_len = vd->device_cfg ? len : 0;
            }
            break;
        default:
            break;
        }
    }
    if (!vd->common || !vd->notify_base || !vd->isr) {
        pr_warn("%s: no modern VirtIO interface (common %s, notify %s, ISR %s)", vd->name,
                vd->common ? "ok" : "missing", vd->notify_base ? "ok" : "missing",
                vd->isr ? "ok" : "missing");
        return -ENODEV;
    }
    return 0;
}

/* Writes 0 to the status and waits for the device to read back 0 (4.1.4.3.2). */
static int reset_device(struct virtio_dev *vd)
{
    uint64_t start = time_ns();

    vd->common->device_status = 0;
    while (vd->common->device_status != 0) {
        if (time_ns() - start > VIRTIO_RESET_TIMEOUT_NS) {
            pr_err("%s: the device did not finish its reset in 1 s", vd->name);
            return -EIO;
        }
        cpu_relax();
    }
    return 0;
}

int virtio_dev_init(struct virtio_dev *vd, struct pci_dev *pci, const char *name)
{
    int err;

    memset(vd, 0, sizeof(*vd));
    vd->pci = pci;
    vd->type = virtio_pci_type(pci);
    strlcpy(vd->name, name, sizeof(vd->name));
    pci_enable_device(pci);
    err = find_caps(vd);
    if (err)
        return err;
    err = reset_device(vd);
    if (err)
        return err;
    set_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
    set_status(vd, VIRTIO_STATUS_DRIVER);
    return 0;
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
    volatile struct virtio_pci_common_cfg *c = vd->common;
    uint64_t dev;

    c->device_feature_select = 0;
    dev = c->device_feature;
    c->device_feature_select = 1;
    dev |= (uint64_t)c->device_feature << 32;
    vd->device_features = dev;
    vd->features = dev & (wanted | (1ull << VIRTIO_F_VERSION_1));
    if (cmdline_has(cmdline_boot(), "virtio.noeventidx"))
        vd->features &= ~(1ull << VIRTIO_F_EVENT_IDX);
    if (!virtio_has(vd, VIRTIO_F_VERSION_1)) {
        pr_warn("%s: the device does not offer VirtIO 1.0 (VERSION_1); legacy devices "
                "are not supported", vd->name);
        return -ENODEV;
    }
    c->driver_feature_select = 0;
    c->driver_feature = (uint32_t)vd->features;
    c->driver_feature_select = 1;
    c->driver_feature = (uint32_t)(vd->features >> 32);
    set_status(vd, VIRTIO_STATUS_FEATURES_OK);
    if (!(c->device_status & VIRTIO_STATUS_FEATURES_OK)) {
        pr_warn("%s: the device refused features %#llx", vd->name,
                (unsigned long long)vd->features);
        return -EIO;
    }
    return 0;
}

#define VIRTIO_CFG_RETRIES  64

/*
 * After a configuration read begun at generation gen: should it be read
 * again (the device changed the configuration meanwhile)? A device whose
 * generation never settles is reported and its last value used.
 */
static bool cfg_retry(struct virtio_dev *vd, uint8_t gen, unsigned *tries)
{
    if (gen == vd->common->config_generation)
        return false;
    if (++*tries < VIRTIO_CFG_RETRIES)
        return true;
    pr_warn("%s: configuration generation still changing after %u reads; using the last",
            vd->name, VIRTIO_CFG_RETRIES);
    return false;
}

/* Reads the device configuration until the generation counter is stable. */
#define CFG_READ(vd, off, type, bits)                                           \
    ({                                                                          \
        type v_;                                                                \
        uint8_t gen_;                                                           \
        unsigned tries_ = 0;                                                    \
        do {                                                                    \
            gen_ = (vd)->common->config_generation;                             \
            v_ = (off) + sizeof(type) <= (vd)->device_cfg_len                   \
                     ? mmio_read##bits((vd)->device_cfg, (off)) : (type)0;       \
        } while (cfg_retry((vd), gen_, &tries_));                               \
        v_;                                                                     \
    })

uint8_t virtio_cfg_read8(struct virtio_dev *vd, uint32_t off)
{
    return CFG_READ(vd, off, uint8_t, 8);
}

uint16_t virtio_cfg_read16(struct virtio_dev *vd, uint32_t off)
{
    return CFG_READ(vd, off, uint16_t, 16);
}

uint32_t virtio_cfg_read32(struct virtio_dev *vd, uint32_t off)
{
    return CFG_READ(vd, off, uint32_t, 32);
}

uint64_t virtio_cfg_read64(struct virtio_dev *vd, uint32_t off)
{
    unsigned tries = 0;
    uint64_t v;
    uint8_t gen;

    /* two 32-bit reads: 64-bit fields need not be read atomically (4.1.3.1) */
    do {
        gen = vd->common->config_generation;
        v = virtio_cfg_read32(vd, off) | ((uint64_t)virtio_cfg_read32(vd, off + 4) << 32);
    } while (cfg_retry(vd, gen, &tries));
    return v;
}

const char *virtio_irq_mode(const struct virtio_dev *vd)
{
    return pci_irq_mode_name(vd->pci->irq_mode);
}

/* ---- interrupts --------------------------------------------------------------- */

static bool queue_irq(void *ctx)
{
    struct virtq *vq = ctx;

    atomic_inc(&vq->interrupts);
    virtq_drain(vq);
    return true;
}

static bool config_irq(void *ctx)
{
    struct virtio_dev *vd = ctx;

    atomic_inc(&vd->config_changes);
    return true;
}

static void drain_all(struct virtio_dev *vd)
{
    for (unsigned i = 0; i < vd->nvqs; i++) {
        atomic_inc(&vd->vq[i]->interrupts);
        virtq_drain(vd->vq[i]);
    }
}

/* One MSI-X vector for every queue and configuration changes. */
static bool shared_msix_irq(void *ctx)
{
    drain_all(ctx);
    return true;
}

/* INTx: the ISR register says whether this device raised the shared line. */
static bool intx_irq(void *ctx)
{
    struct virtio_dev *vd = ctx;
    uint8_t isr = *vd->isr;         /* reading clears it and deasserts the line */

    if (!isr)
        return false;
    if (isr & VIRTIO_ISR_CONFIG)
        atomic_inc(&vd->config_changes);
    drain_all(vd);
    return true;
}

/* ---- queues ------------------------------------------------------------------- */

/* Allocates queue index's rings and programs the device's registers for it. */
static int setup_queue(struct virtio_dev *vd, unsigned index, virtq_done_fn done,
                       uint16_t max_size, uint16_t msix_vector)
{
    volatile struct virtio_pci_common_cfg *c = vd->common;
    struct vring_layout layout;
    struct virtq *vq;
    uint64_t bus, notify_off;
    uint16_t size;

    c->queue_select = (uint16_t)index;
    size = c->queue_size;
    if (size == 0) {
        pr_warn("%s: the device has no queue %u", vd->name, index);
        return -ENODEV;
    }
    size = vring_queue_size(size, max_size);
    notify_off = (uint64_t)c->queue_notify_off * vd->notify_mult;
    if (notify_off + sizeof(uint16_t) > vd->notify_len) {
        pr_warn("%s: queue %u's notify address (offset %#llx) is outside the notify window "
                "(%u bytes)", vd->name, index, (unsigned long long)notify_off, vd->notify_len);
        return -ENODEV;
    }
    vq = virtq_create(vd, (uint16_t)index, size, done, virtio_has(vd, VIRTIO_F_EVENT_IDX),
                      (volatile uint16_t *)(uintptr_t)(vd->notify_base + notify_off),
                      msix_vector, &bus, &layout);
    if (!vq)
        return -ENOMEM;

    c->queue_size = size;
    c->queue_desc = bus;
    c->queue_driver = bus + layout.avail_off;
    c->queue_device = bus + layout.used_off;
    if (msix_vector != VIRTIO_MSI_NO_VECTOR) {
        c->queue_msix_vector = msix_vector;
        if (c->queue_msix_vector != msix_vector) {
            pr_warn("%s: queue %u refused MSI-X vector %u", vd->name, index, msix_vector);
            virtq_destroy(vq);
            return -ENOSPC;
        }
    }
    c->queue_enable = 1;
    vd->vq[index] = vq;
    return 0;
}

/* Chooses the interrupt mode and attaches handlers; queues must exist. */
static int setup_interrupts(struct virtio_dev *vd, unsigned n, bool per_queue)
{
    struct pci_dev *pci = vd->pci;
    int err = 0;

    if (pci->irq_mode == PCI_IRQ_MSIX && per_queue) {
        err = pci_irq_request(pci, 0, config_irq, vd, vd->name);
        for (unsigned i = 0; !err && i < n; i++)
            err = pci_irq_request(pci, i + 1, queue_irq, vd->vq[i], vd->name);
    } else if (pci->irq_mode == PCI_IRQ_MSIX) {
        err = pci_irq_request(pci, 0, shared_msix_irq, vd, vd->name);
    } else {
        err = pci_irq_request(pci, 0, intx_irq, vd, vd->name);
    }
    return err;
}

int virtio_setup_queues(struct virtio_dev *vd, unsigned n, const virtq_done_fn *done,
                        uint16_t max_size)
{
    unsigned flags = PCI_IRQ_ALLOW_MSIX | PCI_IRQ_ALLOW_INTX;
    bool per_queue = false;
    int got, err;

    if (n == 0 || n > VIRTIO_MAX_QUEUES || !done)
        return -EINVAL;
    if (n > vd->common->num_queues) {
        pr_warn("%s: needs %u queues, the device has %u", vd->name, n, vd->common->num_queues);
        return -ENODEV;
    }
    if (max_size == 0 || max_size > VIRTQ_MAX_SIZE)
        max_size = VIRTQ_MAX_SIZE;
    if (cmdline_has(cmdline_boot(), "virtio.intx"))
        flags = PCI_IRQ_ALLOW_INTX;
    /* MSI is not part of the VirtIO PCI transport: MSI-X or INTx */
    got = pci_irq_alloc(vd->pci, 1, n + 1, flags);
    if (got < 0) {
        pr_warn("%s: no interrupt (%s)", vd->name, errno_name(got));
        return -ENODEV;
    }
    if (vd->pci->irq_mode == PCI_IRQ_MSIX) {
        per_queue = (unsigned)got >= n + 1;
        vd->common->config_msix_vector = 0;
        if (vd->common->config_msix_vector != 0) {
            pr_warn("%s: the device refused an MSI-X vector; using INTx", vd->name);
            pci_irq_free(vd->pci);
            got = pci_irq_alloc(vd->pci, 1, 1, PCI_IRQ_ALLOW_INTX);
            if (got < 0)
                return -ENODEV;
        }
    }
    for (unsigned i = 0; i < n; i++) {
        uint16_t vec = vd->pci->irq_mode != PCI_IRQ_MSIX ? VIRTIO_MSI_NO_VECTOR
                       : per_queue ? (uint16_t)(i + 1) : 0;

        err = setup_queue(vd, i, done[i], max_size, vec);
        if (err)
            return err;         /* virtio_dev_fail frees what was set up */
        vd->nvqs = i + 1;
    }
    err = setup_interrupts(vd, n, per_queue);
    if (err)
        pr_warn("%s: cannot attach its interrupt handlers (%s)", vd->name, errno_name(err));
    return err;
}

/* Devices that reached DRIVER_OK, for the shell; never removed. */
static spinlock_t virtio_list_lock = SPINLOCK_INIT("virtio_list_lock");
static struct virtio_dev *virtio_list;     /* [virtio_list_lock] in bring-up order */
static struct virtio_dev **virtio_list_tail = &virtio_list;    /* [virtio_list_lock] */

static bool watchdog_started;                  /* [virtio_list_lock] */
static struct delayed_work watchdog_work;       /* re-queues itself each VIRTQ_WATCHDOG_NS */

static void watchdog_fn(struct work *w);

int virtio_probe_begin(struct virtio_dev *vd, struct pci_dev *pci, const char *name,
                       uint64_t wanted)
{
    int err = virtio_dev_init(vd, pci, name);

    return err ? err : virtio_negotiate(vd, wanted);
}

void virtio_dev_publish(struct virtio_dev *vd)
{
    uint64_t flags = spin_lock_irqsave(&virtio_list_lock);
    bool start = !watchdog_started;

    watchdog_started = true;
    vd->next = NULL;
    *virtio_list_tail = vd;
    virtio_list_tail = &vd->next;
    spin_unlock_irqrestore(&virtio_list_lock, flags);
    if (start) {
        delayed_work_init(&watchdog_work, watchdog_fn);
        work_queue(&watchdog_work.work);        /* first look now, then every period */
    }
}

struct virtio_dev *virtio_devices(void)
{
    uint64_t flags = spin_lock_irqsave(&virtio_list_lock);
    struct virtio_dev *list = virtio_list;

    spin_unlock_irqrestore(&virtio_list_lock, flags);
    return list;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
    set_status(vd, VIRTIO_STATUS_DRIVER_OK);
    pr_info("%s: ready (%s, features %#llx, %u queue(s) of %u)", vd->name,
            virtio_irq_mode(vd), (unsigned long long)vd->features, vd->nvqs,
            vd->nvqs ? vd->vq[0]->size : 0);
}

void virtio_dev_fail(struct virtio_dev *vd)
{
    bool quiet = true;

    if (vd->common) {
        /* a reset stops the device from using the rings before they are freed */
        quiet = reset_device(vd) == 0;
        set_status(vd, VIRTIO_STATUS_FAILED);
    }
    pci_irq_free(vd->pci);
    if (!quiet)
        pr_err("%s: the device did not reset; its rings are left allocated (it may "
               "still write them)", vd->name);
    for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
        if (quiet)
            virtq_destroy(vd->vq[i]);
        vd->vq[i] = NULL;
    }
    vd->nvqs = 0;
}

/* ---- watchdog ---------------------------------------------------------------------- */

/* One look at every published queue, in a kworker; then queued again for the next. */
static void watchdog_fn(struct work *w)
{
    uint64_t flags = spin_lock_irqsave(&virtio_list_lock);
    struct virtio_dev *list = virtio_list;

    spin_unlock_irqrestore(&virtio_list_lock, flags);
    /* devices are never removed, and the list only grows at its tail */
    for (struct virtio_dev *vd = list; vd; vd = vd->next)
        for (unsigned i = 0; i < vd->nvqs; i++)
            virtq_watchdog(vd->vq[i]);
    work_queue_delayed(to_delayed_work(w), VIRTQ_WATCHDOG_NS);
}
