/*
 * src/dev/virtq.c - split virtqueues: rings, adding and draining chains,
 * notifications, the watchdog's look at a queue.
 *
 * Part of dev; the interface is in include/dev/virtq.h, the ring
 * arithmetic in dev/vring. Pieces:
 *   rings          virtq_create / virtq_destroy: one DMA block laid out by
 *                  vring_layout, the private link array (vring_chains)
 *   virtqueue      virtq_add (descriptor free list), virtq_add_indirect
 *                  (one ring slot for a driver-built table), virtq_kick (honours
 *                  EVENT_IDX or NO_NOTIFY), virtq_drain (used ring, then
 *                  used_event or flags to ask for the next interrupt)
 *   watchdog       virtq_watchdog: takes finished chains whose interrupt
 *                  was lost, notifies a stalled device again
 *
 * Ordering: x86 keeps stores in order and loads in order, so publishing a
 * chain needs only compiler barriers; the two store-then-load points
 * (avail idx then the device's notification hint, used_event then used
 * idx) take a full fence.
 */
#include <core/atomic.h>
#include <core/errno.h>
#include <core/printk.h>
#include <dev/dma.h>
#include <dev/virtio.h>
#include <dev/virtq.h>
#include <mm/kmalloc.h>

/* ---- rings ------------------------------------------------------------------------ */

void virtq_destroy(struct virtq *vq)
{
    if (!vq)
        return;
    dma_free(vq->ring_mem, vq->ring_bytes);
    kfree(vq->token);
    kfree(vq->chains.chain_len);
    kfree(vq->chains.next);
    kfree(vq);
}

struct virtq *virtq_create(struct virtio_dev *vd, uint16_t index, uint16_t size,
                           virtq_done_fn done, bool event_idx, volatile uint16_t *notify,
                           uint16_t msix_vector, uint64_t *bus, struct vring_layout *layout)
{
    struct virtq *vq = kzalloc(sizeof(*vq));
    uint16_t *next, *chain_len;

    if (!vq)
        return NULL;
    spin_init(&vq->lock, "virtq");
    wq_init(&vq->space_wq, "virtq space");
    vq->vd = vd;
    vq->index = index;
    vq->size = size;
    vq->done = done;
    vq->event_idx = event_idx;
    vq->ring_bytes = vring_layout(size, layout);
    vq->ring_mem = dma_alloc(vq->ring_bytes, bus);
    vq->token = kzalloc(sizeof(void *) * size);
    chain_len = kzalloc(sizeof(uint16_t) * size);
    next = kzalloc(sizeof(uint16_t) * size);
    vq->chains.next = next;
    vq->chains.chain_len = chain_len;
    if (!vq->ring_mem || !vq->token || !chain_len || !next) {
        virtq_destroy(vq);
        return NULL;
    }
    vq->desc = vq->ring_mem;
    vq->avail = (struct virtq_avail *)((uintptr_t)vq->ring_mem + layout->avail_off);
    vq->used = (struct virtq_used *)((uintptr_t)vq->ring_mem + layout->used_off);
    vring_chains_init(&vq->chains, next, chain_len, size);
    vq->notify = notify;
    vq->msix_vector = msix_vector;
    return vq;
}

/* ---- virtqueue -------------------------------------------------------------------- */

int virtq_add(struct virtq *vq, const struct virtq_seg *segs, unsigned n_out, unsigned n_in,
              void *token, bool may_sleep)
{
    unsigned n = n_out + n_in;
    uint16_t head, i;
    uint64_t flags;

    if (n == 0 || n > vq->size || !token)
        return -EINVAL;
    flags = spin_lock_irqsave(&vq->lock);
    while (vq->chains.num_free < n) {
        if (!may_sleep) {
            spin_unlock_irqrestore(&vq->lock, flags);
            return -ENOSPC;
        }
        wq_sleep_locked(&vq->space_wq, &vq->lock, &flags);
    }
    /* cannot fail: 0 < n <= size, and n are free */
    head = i = (uint16_t)vring_chain_alloc(&vq->chains, n);
    for (unsigned s = 0; s < n; s++) {
        struct virtq_desc *d = &vq->desc[i];

        d->addr = segs[s].addr;
        d->len = segs[s].len;
        d->flags = (uint16_t)((s >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
                              (s + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
        d->next = vq->chains.next[i];   /* the free list's links became the chain's */
        i = vq->chains.next[i];
    }
    vq->token[head] = token;
    vq->avail->ring[vring_slot(vq->avail_shadow, vq->size)] = head;
    barrier();     /* the entry before the index (x86 keeps stores in order) */
    vq->avail_shadow++;
    *(volatile uint16_t *)&vq->avail->idx = vq->avail_shadow;
    atomic_inc(&vq->added);
    spin_unlock_irqrestore(&vq->lock, flags);
    return 0;
}

int virtq_add_indirect(struct virtq *vq, uint64_t table_bus, unsigned n, void *token,
                       bool may_sleep)
{
    uint16_t head;
    uint64_t flags;

    if (n == 0 || n > vq->size || !token)
        return -EINVAL;
    flags = spin_lock_irqsave(&vq->lock);
    while (vq->chains.num_free < 1) {
        if (!may_sleep) {
            spin_unlock_irqrestore(&vq->lock, flags);
            return -ENOSPC;
        }
        wq_sleep_locked(&vq->space_wq, &vq->lock, &flags);
    }
    head = (uint16_t)vring_chain_alloc(&vq->chains, 1);
    /* INDIRECT alone: never NEXT with it, and WRITE is the table's business (2.7.5.3) */
    vq->desc[head].addr = table_bus;
    vq->desc[head].len = (uint32_t)(n * sizeof(struct virtq_desc));
    vq->desc[head].flags = VIRTQ_DESC_F_INDIRECT;
    vq->desc[head].next = vq->chains.next[head];
    vq->token[head] = token;
    vq->avail->ring[vring_slot(vq->avail_shadow, vq->size)] = head;
    barrier();     /* the entry before the index (x86 keeps stores in order) */
    vq->avail_shadow++;
    *(volatile uint16_t *)&vq->avail->idx = vq->avail_shadow;
    atomic_inc(&vq->added);
    spin_unlock_irqrestore(&vq->lock, flags);
    return 0;
}

void virtq_kick(struct virtq *vq)
{
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    uint16_t old = vq->kicked_idx, new_idx = vq->avail_shadow;
    bool notify;

    vq->kicked_idx = new_idx;
    atomic_fence();         /* publish avail->idx before reading the device's hint */
    if (vq->event_idx) {
        uint16_t avail_event = *(volatile uint16_t *)&vq->used->ring[vq->size];

        notify = vring_need_event(avail_event, new_idx, old);
    } else {
        notify = !(*(volatile uint16_t *)&vq->used->flags & VIRTQ_USED_F_NO_NOTIFY);
    }
    if (old == new_idx)
        notify = false;
    spin_unlock_irqrestore(&vq->lock, flags);
    if (notify) {
        *vq->notify = vq->index;
        atomic_inc(&vq->kicks);
    } else if (old != new_idx) {
        atomic_inc(&vq->kicks_suppressed);
    }
}

/*
 * The next finished chain's token (and written length), or NULL when the
 * used ring is empty, after asking for an interrupt at the next entry.
 */
static void *pop_used(struct virtq *vq, uint32_t *len)
{
    volatile struct virtq_used *used = vq->used;
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    void *token = NULL;

    for (;;) {
        struct virtq_used_elem e;
        uint16_t used_idx, pending;

        if (vq->broken)
            break;
        used_idx = used->idx;
        pending = vring_used_pending(used_idx, vq->last_used);
        if (vring_used_ahead(used_idx, vq->last_used, vq->size)) {
            vq->broken = true;
            pr_err("%s: queue %u: the device claims %u finished chains in a ring of %u; "
                   "queue stopped", vq->vd->name, vq->index, pending, vq->size);
            break;
        }
        if (pending == 0) {
            if (vq->event_idx) {
                /* interrupt me when the entry after the last one I saw is used */
                *(volatile uint16_t *)&vq->avail->ring[vq->size] = vq->last_used;
                atomic_fence();
                if (vq->last_used != used->idx)
                    continue;
            }
            break;
        }
        barrier();     /* the entry after the index (x86 keeps loads in order) */
        e.id = used->ring[vring_slot(vq->last_used, vq->size)].id;
        e.len = used->ring[vring_slot(vq->last_used, vq->size)].len;
        vq->last_used++;
        if (!vring_chain_owned(&vq->chains, e.id)) {
            pr_err("%s: queue %u: the device returned descriptor %u, which it does not own; "
                   "ignored", vq->vd->name, vq->index, e.id);
            continue;
        }
        token = vq->token[e.id];
        vq->token[e.id] = NULL;
        /* our own copy of the links: the device can write the ring, not these */
        vring_chain_free(&vq->chains, e.id);
        *len = e.len;
        if (wq_has_sleepers(&vq->space_wq))
            wq_wake_all_locked(&vq->space_wq, &vq->lock);
        break;
    }
    spin_unlock_irqrestore(&vq->lock, flags);
    return token;
}

unsigned virtq_drain(struct virtq *vq)
{
    unsigned n = 0;
    uint32_t len = 0;
    void *token;

    while ((token = pop_used(vq, &len)) != NULL) {
        atomic_inc(&vq->completions);
        vq->done(vq, token, len);
        n++;
    }
    return n;
}

/* ---- watchdog ---------------------------------------------------------------------- */

/* Indexes of a queue for a report, taken under vq->lock. */
struct virtq_snapshot {
    uint16_t out, avail_idx, kicked_idx, used_idx, last_used, used_event, avail_event;
};

static void snapshot(struct virtq *vq, struct virtq_snapshot *s)
{
    volatile struct virtq_used *used = vq->used;

    s->out = (uint16_t)(vq->size - vq->chains.num_free);
    s->avail_idx = vq->avail_shadow;
    s->kicked_idx = vq->kicked_idx;
    s->used_idx = used->idx;
    s->last_used = vq->last_used;
    s->used_event = *(volatile uint16_t *)&vq->avail->ring[vq->size];
    s->avail_event = *(volatile uint16_t *)&used->ring[vq->size];
}

unsigned virtq_watchdog(struct virtq *vq)
{
    uint64_t flags = spin_lock_irqsave(&vq->lock);
    struct virtq_snapshot s;
    bool lost, idle;
    unsigned n = 0;

    snapshot(vq, &s);
    lost = !vq->broken && vq->wd_pending && s.used_idx != s.last_used &&
           s.last_used == vq->wd_last_used;
    idle = !vq->broken && s.out && s.used_idx == s.last_used && s.last_used == vq->wd_last_used;
    vq->wd_pending = s.used_idx != s.last_used;
    vq->wd_last_used = s.last_used;
    vq->wd_idle = idle ? vq->wd_idle + 1 : 0;
    spin_unlock_irqrestore(&vq->lock, flags);

    if (lost) {
        flags = irq_save();     /* done runs as it would in the interrupt handler */
        n = virtq_drain(vq);
        irq_restore(flags);
    }
    if (n) {
        atomic_fetch_add(&vq->lost_interrupts, n);
        pr_warn("%s: queue %u: took %u finished chain(s) whose interrupt never came "
                "(avail idx %u, used idx %u, last used %u, used_event %u, avail_event %u, "
                "%u descriptors out)", vq->vd->name, vq->index, n, s.avail_idx, s.used_idx,
                s.last_used, s.used_event, s.avail_event, s.out);
    } else if (idle) {
        *vq->notify = vq->index;
        atomic_inc(&vq->renotifies);
        if ((uint64_t)vq->wd_idle * VIRTQ_WATCHDOG_NS == VIRTQ_STALL_REPORT_NS)
            pr_warn("%s: queue %u: %u descriptors out and nothing finished for %llu ms "
                    "(avail idx %u, kicked %u, used idx %u, used_event %u, avail_event %u); "
                    "notifying it again", vq->vd->name, vq->index, s.out,
                    (unsigned long long)(VIRTQ_STALL_REPORT_NS / 1000000), s.avail_idx,
                    s.kicked_idx, s.used_idx, s.used_event, s.avail_event);
    }
    return n;
}

