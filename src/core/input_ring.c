/*
 * src/core/input_ring.c - lock-free SPSC event ring (see include/core/input_ring.h).
 *
 * Part of core; pure. The orderings: the producer fills the slot, then
 * publishes head with a release store; the consumer's acquire load of head
 * therefore sees the slot's bytes. Symmetrically the consumer copies the
 * slot out before its release store of tail, so the producer (acquire load
 * of tail) never overwrites a slot that is still being read.
 */
#include <core/input_ring.h>
#include <core/errno.h>
#include <core/string.h>

int input_ring_init(struct input_ring *r, void *storage, uint32_t elem_size,
                    uint32_t capacity)
{
    if (!r || !storage || elem_size == 0 || capacity == 0 || capacity > (1u << 31) ||
        (capacity & (capacity - 1)) != 0)
        return -EINVAL;
    r->slots = storage;
    r->elem_size = elem_size;
    r->capacity = capacity;
    r->head = 0;
    r->tail = 0;
    r->dropped = 0;
    return 0;
}

bool input_ring_put(struct input_ring *r, const void *elem)
{
    uint32_t head = r->head;    /* only we write it */
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);

    if (head - tail >= r->capacity) {
        __atomic_store_n(&r->dropped, r->dropped + 1, __ATOMIC_RELAXED);
        return false;
    }
    memcpy(r->slots + (size_t)(head & (r->capacity - 1)) * r->elem_size, elem, r->elem_size);
    __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
    return true;
}

bool input_ring_get(struct input_ring *r, void *elem)
{
    uint32_t tail = r->tail;    /* only we write it */
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

    if (head == tail)
        return false;
    memcpy(elem, r->slots + (size_t)(tail & (r->capacity - 1)) * r->elem_size, r->elem_size);
    __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

uint32_t input_ring_count(const struct input_ring *r)
{
    uint32_t tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
    uint32_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);

    /* tail is read first, so the producer may have moved on in between */
    return MIN(head - tail, r->capacity);
}

uint32_t input_ring_dropped(const struct input_ring *r)
{
    return __atomic_load_n(&r->dropped, __ATOMIC_RELAXED);
}
