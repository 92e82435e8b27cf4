/*
 * src/dev/kbd.c - PS/2 keyboard driver (see include/dev/kbd.h).
 *
 * Part of dev. Probing is polled (dev/ps2's ps2_command); afterwards
 * everything happens in kbd_byte, called from the controller's interrupt
 * handler with interrupts off: protocol bytes are filtered out, the rest go
 * through the set-1 decoder, and events go into the ring, which wakes the
 * console reader (dev/coninput).
 *
 * LEDs: when a lock key toggles, the handler sends 0xED and, on the
 * keyboard's 0xFA, the LED mask; the answers come back through kbd_byte, so
 * nothing waits. A toggle while an update is in flight is remembered and
 * sent afterwards. A 0xFE (resend) or 100 ms without an answer ends the
 * update, so a lost answer can never wedge the driver.
 */
#include <dev/kbd.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <dev/coninput.h>
#include <core/input_ring.h>
#include <dev/ps2.h>

#define KBD_RING_SIZE       128
#define KBD_RESET_TIMEOUT_MS 1000   /* self-test takes up to ~750 ms on real keyboards */
#define KBD_ANSWER_TIMEOUT_MS 100
#define LED_TIMEOUT_NS      (100ull * 1000 * 1000)

#define KBD_SET_LEDS        0xED
#define KBD_SCANCODE_SET    0xF0
#define KBD_ECHO            0xEE
#define KBD_ERROR           0x00    /* key detection error / overrun (translated) */
#define KBD_OVERRUN         0xFF

enum led_state {
    LED_IDLE,
    LED_WAIT_CMD_ACK,
    LED_WAIT_MASK_ACK,
};

static struct kbd_event ring_slots[KBD_RING_SIZE];
static struct input_ring ring;
static struct kbd_scan scan;
static unsigned kbd_port;
static bool attached;
static enum led_state led;
static bool led_again;
static uint64_t led_since_ns;

/* Interrupt context. Starts an LED update, or queues one behind the current. */
static void led_update(void)
{
    if (led != LED_IDLE) {
        led_again = true;
        return;
    }
    led_again = false;
    if (ps2_write(kbd_port, KBD_SET_LEDS) == 0) {
        led = LED_WAIT_CMD_ACK;
        led_since_ns = tsc_ns_since_boot();
    }
}

/*
 * Interrupt context. True when b is the keyboard's answer to an LED update.
 * Scan codes already on their way may come first; they are data, and the
 * update goes on. An answer that never comes ends the update after
 * LED_TIMEOUT_NS (checked at the next byte), so the driver cannot wedge.
 */
static bool led_answer(uint8_t b)
{
    if (led != LED_IDLE && tsc_ns_since_boot() - led_since_ns > LED_TIMEOUT_NS)
        led = LED_IDLE;
    if (led == LED_IDLE)
        return false;
    if (b == PS2_DEV_ACK && led == LED_WAIT_CMD_ACK) {
        led = ps2_write(kbd_port, kbd_scan_leds(&scan)) == 0 ? LED_WAIT_MASK_ACK : LED_IDLE;
        led_since_ns = tsc_ns_since_boot();
        return true;
    }
    if (b == PS2_DEV_ACK) {
        led = LED_IDLE;
        if (led_again)
            led_update();
        return true;
    }
    if (b == PS2_DEV_RESEND) {
        led = LED_IDLE;             /* refused: give up */
        return true;
    }
    return false;
}

/* Interrupt context: one byte from the keyboard. */
static void kbd_byte(uint8_t b, void *unused)
{
    struct kbd_event ev;
    uint16_t locks = scan.mods & KBD_MOD_LOCKS;

    (void)unused;
    if (led_answer(b))
        return;
    switch (b) {
    case PS2_DEV_ACK:
    case PS2_DEV_RESEND:
    case KBD_ECHO:
    case KBD_ERROR:
    case KBD_OVERRUN:
        return;                 /* never part of a set-1 scan code */
    default:
        break;
    }
    if (!kbd_scan_feed(&scan, b, &ev))
        return;
    input_ring_put(&ring, &ev);
    coninput_kick();
    if ((scan.mods & KBD_MOD_LOCKS) != locks)
        led_update();
}

int kbd_read_event(struct kbd_event *ev)
{
    if (!attached)
        return -ENODEV;
    return input_ring_get(&ring, ev) ? 0 : -EAGAIN;
}

int kbd_getc(void)
{
    struct kbd_event ev;

    if (!attached)
        return -ENODEV;
    while (input_ring_get(&ring, &ev))
        if (ev.pressed && ev.ch)
            return ev.ch;
    return -EAGAIN;
}

bool kbd_present(void)
{
    return attached;
}

uint32_t kbd_dropped(void)
{
    return attached ? input_ring_dropped(&ring) : 0;
}

int kbd_ps2_probe(unsigned port)
{
    static const uint8_t set2[] = { 2 }, leds_off[] = { 0 };
    uint8_t answer[2] = { 0, 0 };
    char id[16] = "none";
    int err;

    err = ps2_command(port, PS2_DEV_RESET, NULL, 0, answer, 1, KBD_RESET_TIMEOUT_MS);
    if (err) {
        pr_debug("kbd: no answer to reset on port %u (%s)", port + 1, errno_name(err));
        return -ENODEV;
    }
    if (answer[0] != PS2_DEV_SELF_TEST_OK) {
        pr_warn("kbd: keyboard self-test answered %#04x, not 0xaa", answer[0]);
        return -ENODEV;
    }
    ps2_command(port, PS2_DEV_DISABLE_SCAN, NULL, 0, NULL, 0, 0);
    /* AT keyboards answer no ID bytes, MF2 keyboards ab 83 (ab 41 translated) */
    if (ps2_command(port, PS2_DEV_IDENTIFY, NULL, 0, answer, 2, KBD_ANSWER_TIMEOUT_MS) == 0) {
        if (answer[0] != 0xAB) {
            pr_warn("kbd: the device on port %u is no keyboard (id %02x %02x)",
                    port + 1, answer[0], answer[1]);
            return -ENODEV;
        }
        snprintf(id, sizeof(id), "%02x %02x", answer[0], answer[1]);
    }
    err = ps2_command(port, KBD_SCANCODE_SET, set2, 1, NULL, 0, 0);
    if (err)        /* it stays in its default set, which is set 2 */
        pr_debug("kbd: selecting scan code set 2: %s", errno_name(err));
    ps2_command(port, KBD_SET_LEDS, leds_off, 1, NULL, 0, 0);
    err = ps2_command(port, PS2_DEV_ENABLE_SCAN, NULL, 0, NULL, 0, 0);
    if (err) {
        pr_warn("kbd: keyboard on port %u does not enable scanning (%s)",
                port + 1, errno_name(err));
        return -ENODEV;
    }
    kbd_scan_init(&scan, 0);
    input_ring_init(&ring, ring_slots, sizeof(ring_slots[0]), KBD_RING_SIZE);
    kbd_port = port;
    pr_info("ps2: keyboard on port %u (id %s), scan code set 2 translated to set 1",
            port + 1, id);
    return 0;
}

int kbd_ps2_start(unsigned port)
{
    int err = ps2_port_attach(port, kbd_byte, NULL, "ps2-kbd");

    attached = err == 0;
    return err;
}
