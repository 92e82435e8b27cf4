/*
 * src/dev/tests/ps2_ktests.c - in-kernel tests of the PS/2 controller,
 * keyboard and mouse drivers.
 *
 * Part of dev's ktests. They expect QEMU's i8042 with its keyboard and
 * mouse (machines pc and q35). Bytes are injected with the controller's
 * "write output buffer" commands (ps2_inject: 0xD2 for port 1, 0xD3 for
 * port 2), which raise IRQ 1 / IRQ 12 exactly as device data would, so
 * each test runs the whole path: interrupt, routing by the status
 * register, decoder, ring, kbd_read_event / kbd_getc / mouse_read_event.
 * The decoders' corner cases are covered on the host (test/unit).
 * A machine without an i8042 (-machine i8042=off: its status port reads
 * 0xff, read here directly, not through the driver) skips them; a
 * controller that answers but that the driver missed fails them.
 */
#include <core/errno.h>
#include <core/irq.h>
#include <core/ktest.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/kbd.h>
#include <dev/mouse.h>
#include <dev/ps2.h>

#define I8042_STATUS_PORT   0x64
#define WAIT_NS     (200ull * 1000 * 1000)
#define QUIET_NS    (10ull * 1000 * 1000)

/* Skips the running test when no i8042 answers at its status port. */
static void skip_without_i8042(void)
{
    if (inb(I8042_STATUS_PORT) == 0xff)
        KT_SKIP("no i8042 PS/2 controller (its status port reads 0xff)");
}

/* Waits with interrupts on until port has delivered `want` more bytes (bounded). */
static bool wait_bytes(unsigned port, uint64_t before, uint64_t want)
{
    uint64_t end = tsc_ns_since_boot() + WAIT_NS;

    while (ps2_get_stats().bytes[port] < before + want) {
        if (tsc_ns_since_boot() > end)
            return false;
        cpu_idle();
    }
    return true;
}

/* Waits until the controller has been quiet for QUIET_NS (answers to LED updates). */
static void settle(void)
{
    uint64_t end = tsc_ns_since_boot() + WAIT_NS, t;
    struct ps2_stats last = ps2_get_stats(), now;

    for (t = tsc_ns_since_boot(); tsc_ns_since_boot() < end;) {
        now = ps2_get_stats();
        if (now.bytes[0] != last.bytes[0] || now.bytes[1] != last.bytes[1]) {
            last = now;
            t = tsc_ns_since_boot();
        } else if (tsc_ns_since_boot() - t > QUIET_NS) {
            return;
        }
        cpu_relax();
    }
}

/* Delivers bytes to port as if its device sent them, one interrupt each. */
static bool inject(unsigned port, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t before = ps2_get_stats().bytes[port];

        if (ps2_inject(port, bytes[i]) != 0 || !wait_bytes(port, before, 1))
            return false;
    }
    return true;
}

static void drain(void)
{
    struct kbd_event k;
    struct mouse_event m;

    settle();
    while (kbd_read_event(&k) == 0)
        ;
    while (mouse_read_event(&m) == 0)
        ;
}

static bool irq_named(const char *name, uint32_t *gsi)
{
    struct irq_vector_stats st[64];
    size_t n = irq_stats(st, 64);

    for (size_t i = 0; i < n; i++)
        if (st[i].name && strcmp(st[i].name, name) == 0) {
            *gsi = st[i].gsi;
            return true;
        }
    return false;
}

KTEST(ps2, controller_and_devices_present)
{
    skip_without_i8042();
    KT_EXPECT_TRUE(ps2_controller_present());
    KT_EXPECT_TRUE(ps2_port_usable(PS2_PORT1));
    KT_EXPECT_TRUE(ps2_port_usable(PS2_PORT2));
    KT_EXPECT_TRUE(kbd_present());
    KT_EXPECT_TRUE(mouse_present());
}

KTEST(ps2, irq1_and_irq12_registered)
{
    uint32_t gsi = 0;

    skip_without_i8042();
    KT_EXPECT_TRUE(irq_named("ps2-kbd", &gsi));
    KT_EXPECT_EQ(gsi, 1u);
    gsi = 0;
    KT_EXPECT_TRUE(irq_named("ps2-mouse", &gsi));
    KT_EXPECT_EQ(gsi, 12u);
}

KTEST(ps2, keyboard_bytes_become_events)
{
    static const uint8_t bytes[] = {
        0x23, 0xA3,                 /* h */
        0xE0, 0x48, 0xE0, 0xC8,     /* up (extended) */
        0x2A, 0x1E, 0x9E, 0xAA,     /* shift-a */
        0x1D, 0x2E, 0xAE, 0x9D,     /* ctrl-c */
    };
    uint64_t flags = irq_save();
    struct kbd_event ev;

    skip_without_i8042();
    drain();
    KT_ASSERT_TRUE(inject(PS2_PORT1, bytes, sizeof(bytes)));

    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_H);
    KT_EXPECT_TRUE(ev.pressed);
    KT_EXPECT_EQ(ev.ch, 'h');
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_H);
    KT_EXPECT_FALSE(ev.pressed);

    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_UP);
    KT_EXPECT_EQ(ev.scancode, 0xE048);
    KT_EXPECT_TRUE(ev.pressed);
    KT_EXPECT_EQ(ev.ch, 0);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_UP);
    KT_EXPECT_FALSE(ev.pressed);

    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_LEFTSHIFT);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_A);
    KT_EXPECT_EQ(ev.ch, 'A');
    KT_EXPECT_TRUE(ev.mods & KBD_MOD_LSHIFT);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);       /* a released */
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);       /* shift released */
    KT_EXPECT_EQ(ev.mods & KBD_MOD_SHIFT, 0u);

    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_LEFTCTRL);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_C);
    KT_EXPECT_EQ(ev.ch, 0x03);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.mods & KBD_MOD_CTRL, 0u);
    KT_EXPECT_EQ(kbd_read_event(&ev), -EAGAIN);
    irq_restore(flags);
}

KTEST(ps2, kbd_getc_types_characters)
{
    static const uint8_t bytes[] = {
        0x23, 0xA3, 0x17, 0x97,     /* h i */
        0xE0, 0x4B, 0xE0, 0xCB,     /* left arrow: no character */
        0x39, 0xB9, 0x1C, 0x9C,     /* space, enter */
    };
    uint64_t flags = irq_save();

    skip_without_i8042();
    drain();
    KT_ASSERT_TRUE(inject(PS2_PORT1, bytes, sizeof(bytes)));
    KT_EXPECT_EQ(kbd_getc(), 'h');
    KT_EXPECT_EQ(kbd_getc(), 'i');
    KT_EXPECT_EQ(kbd_getc(), ' ');
    KT_EXPECT_EQ(kbd_getc(), '\n');
    KT_EXPECT_EQ(kbd_getc(), -EAGAIN);
    irq_restore(flags);
}

/* Caps Lock: the LED update's answers from the keyboard must not become key events. */
KTEST(ps2, caps_lock_toggles_and_updates_leds)
{
    static const uint8_t caps[] = { 0x3A, 0xBA }, a[] = { 0x1E, 0x9E };
    uint64_t flags = irq_save();
    struct kbd_event ev;

    skip_without_i8042();
    drain();
    KT_ASSERT_TRUE(inject(PS2_PORT1, caps, sizeof(caps)));
    settle();                                   /* 0xED, ack, mask, ack */
    KT_ASSERT_TRUE(inject(PS2_PORT1, a, sizeof(a)));
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_CAPSLOCK);
    KT_EXPECT_TRUE(ev.mods & KBD_MOD_CAPSLOCK);
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);       /* caps released */
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.key, KBD_KEY_A);
    KT_EXPECT_EQ(ev.ch, 'A');
    KT_ASSERT_EQ(kbd_read_event(&ev), 0);       /* a released */
    KT_EXPECT_EQ(kbd_read_event(&ev), -EAGAIN);
    KT_ASSERT_TRUE(inject(PS2_PORT1, caps, sizeof(caps)));   /* off again */
    settle();
    drain();
    KT_EXPECT_EQ(kbd_getc(), -EAGAIN);
    irq_restore(flags);
}

KTEST(ps2, mouse_packets_become_events)
{
    static const uint8_t bytes[] = {
        0x00,                       /* no sync bit: dropped */
        0x09, 0x0A, 0x05,           /* left held, dx 10, dy 5 up */
        0x38, 0xFE, 0xFB,           /* dx -2, dy -5 (down), no button */
    };
    uint64_t flags = irq_save();
    uint32_t resyncs = mouse_resyncs();
    struct mouse_event ev;

    skip_without_i8042();
    drain();
    KT_ASSERT_TRUE(inject(PS2_PORT2, bytes, sizeof(bytes)));
    KT_ASSERT_EQ(mouse_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.dx, 10);
    KT_EXPECT_EQ(ev.dy, -5);
    KT_EXPECT_EQ(ev.buttons, MOUSE_BUTTON_LEFT);
    KT_ASSERT_EQ(mouse_read_event(&ev), 0);
    KT_EXPECT_EQ(ev.dx, -2);
    KT_EXPECT_EQ(ev.dy, 5);
    KT_EXPECT_EQ(ev.buttons, 0);
    KT_EXPECT_EQ(ev.changed, MOUSE_BUTTON_LEFT);
    KT_EXPECT_EQ(mouse_read_event(&ev), -EAGAIN);
    KT_EXPECT_EQ(mouse_resyncs(), resyncs + 1);
    irq_restore(flags);
}

static void ignore_byte(uint8_t b, void *ctx)
{
    (void)b;
    (void)ctx;
}

KTEST(ps2, bad_requests_are_refused)
{
    skip_without_i8042();
    KT_EXPECT_EQ(ps2_command(PS2_PORTS, PS2_DEV_IDENTIFY, NULL, 0, NULL, 0, 10), -EINVAL);
    KT_EXPECT_EQ(ps2_write(PS2_PORTS, 0), -EINVAL);
    KT_EXPECT_EQ(ps2_inject(7, 0), -EINVAL);
    KT_EXPECT_EQ(ps2_port_attach(PS2_PORT1, ignore_byte, NULL, "x"), -EBUSY);
    KT_EXPECT_EQ(ps2_port_attach(PS2_PORT1, NULL, NULL, "x"), -EINVAL);
}
