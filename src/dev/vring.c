/*
 * src/dev/vring.c - split-virtqueue arithmetic: layout, indexes, event
 * index, free-descriptor chains.
 *
 * Part of dev; pure (see include/dev/vring.h for the contract). Every
 * index is a uint16_t that wraps at 65536; differences are taken modulo
 * 2^16, as the VirtIO specification does.
 */
#include <dev/vring.h>
#include <core/errno.h>

size_t vring_layout(uint16_t size, struct vring_layout *l)
{
    l->avail_off = (size_t)size * 16;               /* struct virtq_desc */
    l->used_event_off = l->avail_off + 4 + 2 * (size_t)size;
    /* avail: flags, idx, ring[size], used_event; used is 4-byte aligned */
    l->used_off = (l->used_event_off + 2 + 3) & ~(size_t)3;
    l->avail_event_off = l->used_off + 4 + 8 * (size_t)size;   /* struct virtq_used_elem */
    l->bytes = l->avail_event_off + 2;
    return l->bytes;
}

uint16_t vring_queue_size(uint16_t dev_size, uint16_t max_size)
{
    uint16_t size = dev_size < max_size ? dev_size : max_size;

    while (size & (size - 1))
        size &= (uint16_t)(size - 1);   /* split rings index modulo a power of two */
    return size;
}

uint16_t vring_slot(uint16_t idx, uint16_t size)
{
    return (uint16_t)(idx % size);
}

bool vring_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

uint16_t vring_used_pending(uint16_t used_idx, uint16_t last_used)
{
    return (uint16_t)(used_idx - last_used);
}

bool vring_used_ahead(uint16_t used_idx, uint16_t last_used, uint16_t size)
{
    return vring_used_pending(used_idx, last_used) > size;
}

void vring_chains_init(struct vring_chains *c, uint16_t *next, uint16_t *chain_len,
                       uint16_t size)
{
    c->next = next;
    c->chain_len = chain_len;
    c->size = size;
    for (uint16_t i = 0; i < size; i++) {
        next[i] = (uint16_t)(i + 1);    /* size ends the list: never followed */
        chain_len[i] = 0;
    }
    c->free_head = 0;
    c->num_free = size;
}

int vring_chain_alloc(struct vring_chains *c, unsigned n)
{
    uint16_t head = c->free_head, last = head;

    if (n == 0 || n > c->size)
        return -EINVAL;
    if (n > c->num_free)
        return -ENOSPC;
    for (unsigned k = 1; k < n; k++)
        last = c->next[last];
    c->free_head = c->next[last];
    c->num_free = (uint16_t)(c->num_free - n);
    c->chain_len[head] = (uint16_t)n;
    return head;
}

bool vring_chain_owned(const struct vring_chains *c, uint32_t id)
{
    return id < c->size && c->chain_len[id] != 0;
}

int vring_chain_free(struct vring_chains *c, uint32_t head)
{
    uint16_t last, n;

    if (!vring_chain_owned(c, head))
        return -EINVAL;
    last = (uint16_t)head;
    n = c->chain_len[head];
    for (uint16_t k = 1; k < n; k++)
        last = c->next[last];
    c->next[last] = c->free_head;
    c->free_head = (uint16_t)head;
    c->num_free = (uint16_t)(c->num_free + n);
    c->chain_len[head] = 0;
    return n;
}
