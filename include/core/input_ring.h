/*
 * include/core/input_ring.h - lock-free single-producer single-consumer ring
 * of fixed-size input events.
 *
 * Part of core; pure (host-tested by test/unit/test_input_ring.c). The input
 * drivers (core/serial, dev/kbd, dev/mouse) write from their interrupt handler
 * (the one producer) and readers take them out in thread context (the one
 * consumer) without disabling interrupts: the producer only ever writes
 * `head`, the consumer only `tail`, and each publishes its index with a
 * release store after touching the slot, read by the other side with an
 * acquire load. head and tail run freely (mod 2^32); the capacity is a
 * power of two, so head - tail is the fill level even across wrap-around.
 *
 * A full ring refuses the new event (the oldest ones are kept: they are
 * what the reader sees next) and counts it in `dropped`.
 *
 * Locking: none. At most one producer and one consumer at a time; callers
 * serialise producers among themselves (an interrupt handler is already
 * serialised) and consumers among themselves.
 */
#ifndef BASALT_CORE_INPUT_RING_H
#define BASALT_CORE_INPUT_RING_H

#include <core/compiler.h>

struct input_ring {
    uint8_t *slots;         /* capacity * elem_size bytes, owned by the caller */
    uint32_t elem_size;
    uint32_t capacity;      /* a power of two */
    uint32_t head;          /* next slot to write; producer only */
    uint32_t tail;          /* next slot to read; consumer only */
    uint32_t dropped;       /* events refused because the ring was full; producer only */
};

/*
 * Sets r up over storage (capacity slots of elem_size bytes). Returns 0, or
 * -EINVAL when capacity is not a power of two (or is 0 or above 2^31) or
 * elem_size is 0. Not concurrent with anything on r.
 */
int input_ring_init(struct input_ring *r, void *storage, uint32_t elem_size,
                    uint32_t capacity);

/*
 * Producer: copies elem_size bytes from elem into the ring. Returns true,
 * or false when the ring is full (the event is dropped and counted).
 * Callable from interrupt handlers.
 */
bool input_ring_put(struct input_ring *r, const void *elem);

/*
 * Consumer: moves the oldest event into elem. Returns true, or false when
 * the ring is empty (elem untouched).
 */
bool input_ring_get(struct input_ring *r, void *elem);

/* Events waiting (a snapshot: either side may move it at once). Any context. */
uint32_t input_ring_count(const struct input_ring *r);

/* Events dropped because the ring was full, since init. Any context. */
uint32_t input_ring_dropped(const struct input_ring *r);

#endif
