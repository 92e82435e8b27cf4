/*
 * include/dev/mouse_packet.h - PS/2 mouse packet decoder (standard 3-byte
 * packets).
 *
 * Part of dev; pure (host-tested by test/unit/test_mouse_packet.c). dev/mouse
 * feeds it every byte the mouse sends once data reporting is on.
 *
 * Packet:  byte 0  bit 7 Y overflow, 6 X overflow, 5 Y sign, 4 X sign,
 *                  3 always 1, 2 middle, 1 right, 0 left button
 *          byte 1  X movement (low 8 bits of a 9-bit two's complement value)
 *          byte 2  Y movement (same; positive is up)
 *
 * Synchronisation: a first byte must have bit 3 set, so a byte without it
 * cannot start a packet and is dropped. Bytes of one packet arrive back to
 * back; when more than MOUSE_PACKET_GAP_NS passes between two bytes of a
 * packet the partial packet is dropped and the new byte starts a fresh one.
 * Either way the loss is counted in `resyncs`.
 *
 * Overflow: the movement byte is meaningless when its overflow bit is set;
 * the delta is then the largest one in the direction of the sign bit (255 or
 * -256) and the event says so (MOUSE_EV_X_OVERFLOW / MOUSE_EV_Y_OVERFLOW).
 *
 * Events use screen orientation, like Linux's evdev: dx > 0 is right and
 * dy > 0 is DOWN (the packet's Y is negated).
 *
 * Locking: none; one state per mouse, fed by one context (the IRQ handler).
 */
#ifndef BASALT_DEV_MOUSE_PACKET_H
#define BASALT_DEV_MOUSE_PACKET_H

#include <core/compiler.h>

#define MOUSE_BUTTON_LEFT       (1u << 0)
#define MOUSE_BUTTON_RIGHT      (1u << 1)
#define MOUSE_BUTTON_MIDDLE     (1u << 2)

#define MOUSE_EV_X_OVERFLOW     (1u << 0)
#define MOUSE_EV_Y_OVERFLOW     (1u << 1)

#define MOUSE_PACKET_GAP_NS     (250ull * 1000 * 1000)

struct mouse_event {
    int16_t dx;             /* > 0: right */
    int16_t dy;             /* > 0: down */
    uint8_t buttons;        /* MOUSE_BUTTON_* held after this packet */
    uint8_t changed;        /* MOUSE_BUTTON_* that changed with this packet */
    uint8_t flags;          /* MOUSE_EV_* */
};

struct mouse_packet {
    uint8_t bytes[3];
    uint8_t count;          /* bytes of the current packet so far */
    uint8_t buttons;        /* as of the last packet */
    uint64_t last_ns;       /* when the previous byte came */
    uint32_t packets;       /* complete packets decoded */
    uint32_t resyncs;       /* bytes or partial packets dropped to regain sync */
};

/* Resets p: no partial packet, no buttons held, counters zero. */
void mouse_packet_init(struct mouse_packet *p);

/*
 * Feeds one byte received at now_ns (any monotonic clock). Returns true and
 * fills *ev when the byte completes a packet; false otherwise (*ev untouched).
 */
bool mouse_packet_feed(struct mouse_packet *p, uint8_t byte, uint64_t now_ns,
                       struct mouse_event *ev);

/*
 * Describes an event for logs and echo: "dx=10 dy=-5 buttons=left+right"
 * ("buttons=none" when none is held; " overflow" appended when a delta
 * overflowed). Writes at most size - 1 bytes and a NUL (size > 0); returns
 * the length it wanted (as snprintf).
 */
size_t mouse_packet_describe(const struct mouse_event *ev, char *buf, size_t size);

#endif
