/*
 * src/dev/mouse.c - PS/2 mouse driver (see include/dev/mouse.h).
 *
 * Part of dev. Probing is polled (dev/ps2's ps2_command); afterwards
 * mouse_byte, called from the controller's interrupt handler with
 * interrupts off, feeds the packet decoder and queues its events. Only the
 * standard 3-byte protocol is used (no IntelliMouse wheel negotiation).
 */
#include <dev/mouse.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/input_ring.h>
#include <dev/ps2.h>

#define MOUSE_RING_SIZE         128
#define MOUSE_RESET_TIMEOUT_MS  1000

/* Device IDs of mice: standard, wheel (IntelliMouse), 5-button. */
#define MOUSE_ID_STANDARD       0x00
#define MOUSE_ID_WHEEL          0x03
#define MOUSE_ID_5BUTTON        0x04

static struct mouse_event ring_slots[MOUSE_RING_SIZE];
static struct input_ring ring;
static struct mouse_packet packet;
static bool attached;

/* Interrupt context: one byte from the mouse. */
static void mouse_byte(uint8_t b, void *unused)
{
    struct mouse_event ev;

    (void)unused;
    if (mouse_packet_feed(&packet, b, tsc_ns_since_boot(), &ev))
        input_ring_put(&ring, &ev);
}

int mouse_read_event(struct mouse_event *ev)
{
    if (!attached)
        return -ENODEV;
    return input_ring_get(&ring, ev) ? 0 : -EAGAIN;
}

bool mouse_present(void)
{
    return attached;
}

uint32_t mouse_dropped(void)
{
    return attached ? input_ring_dropped(&ring) : 0;
}

uint32_t mouse_resyncs(void)
{
    return READ_ONCE(packet.resyncs);
}

int mouse_ps2_probe(unsigned port)
{
    uint8_t answer[2] = { 0, 0 };
    int err;

    /* reset: acknowledge, self-test passed (0xaa), device ID */
    err = ps2_command(port, PS2_DEV_RESET, NULL, 0, answer, 2, MOUSE_RESET_TIMEOUT_MS);
    if (err) {
        pr_debug("mouse: no answer to reset on port %u (%s)", port + 1,
                 errno_name(err));
        return -ENODEV;
    }
    if (answer[0] != PS2_DEV_SELF_TEST_OK) {
        pr_warn("mouse: self-test answered %#04x, not 0xaa", answer[0]);
        return -ENODEV;
    }
    if (answer[1] != MOUSE_ID_STANDARD && answer[1] != MOUSE_ID_WHEEL &&
        answer[1] != MOUSE_ID_5BUTTON) {
        pr_warn("mouse: the device on port %u is no mouse (id %#04x)", port + 1,
                answer[1]);
        return -ENODEV;
    }
    err = ps2_command(port, PS2_DEV_SET_DEFAULTS, NULL, 0, NULL, 0, 0);
    if (!err)
        err = ps2_command(port, PS2_DEV_ENABLE_SCAN, NULL, 0, NULL, 0, 0);
    if (err) {
        pr_warn("mouse: mouse on port %u does not enable data reporting (%s)",
                port + 1, errno_name(err));
        return -ENODEV;
    }
    mouse_packet_init(&packet);
    input_ring_init(&ring, ring_slots, sizeof(ring_slots[0]), MOUSE_RING_SIZE);
    pr_info("ps2: mouse on port %u (id %02x), 3-byte packets", port + 1, answer[1]);
    return 0;
}

int mouse_ps2_start(unsigned port)
{
    int err = ps2_port_attach(port, mouse_byte, NULL, "ps2-mouse");

    attached = err == 0;
    return err;
}
