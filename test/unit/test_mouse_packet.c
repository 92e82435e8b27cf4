/*
 * test/unit/test_mouse_packet.c - host tests for src/dev/mouse_packet.c
 * (PS/2 mouse 3-byte packet decoder).
 *
 * Checks deltas over the whole 9-bit range (sign bits, screen orientation
 * of Y), overflow, buttons and their changes, resynchronisation on a first
 * byte without bit 3 and after a gap inside a packet, the description used
 * by mouse.echo, and a model test against an independent encoder with
 * random junk injected between packets.
 */
#include "unit.h"

#define MS (1000ull * 1000)

static struct mouse_packet p;
static uint64_t now;

static int setup(void **state)
{
    (void)state;
    memset(&p, 0xa5, sizeof(p));
    mouse_packet_init(&p);
    now = 1000 * MS;
    return 0;
}

/* Feeds 3 bytes 1 ms apart; returns true and *ev if a packet completed on the last. */
static bool feed3(uint8_t b0, uint8_t b1, uint8_t b2, struct mouse_event *ev)
{
    const uint8_t b[3] = { b0, b1, b2 };
    bool done = false;
    for (int i = 0; i < 3; i++) {
        now += MS;
        done = mouse_packet_feed(&p, b[i], now, ev);
        if (i < 2)
            assert_false(done);
    }
    return done;
}

/* The packet a mouse sends for a move of (dx, dy up) with buttons; no overflow. */
static void encode(int dx, int dy_up, uint8_t buttons, uint8_t out[3])
{
    out[0] = (uint8_t)(0x08 | (buttons & 7) | (dx < 0 ? 0x10 : 0) | (dy_up < 0 ? 0x20 : 0));
    out[1] = (uint8_t)(dx & 0xFF);
    out[2] = (uint8_t)(dy_up & 0xFF);
}

static void test_basic(void **state)
{
    (void)state;
    struct mouse_event ev;

    memset(&ev, 0x5a, sizeof(ev));
    assert_true(feed3(0x08, 10, 5, &ev));
    assert_int_equal(ev.dx, 10);
    assert_int_equal(ev.dy, -5);                    /* 5 up is -5 on screen */
    assert_int_equal(ev.buttons, 0);
    assert_int_equal(ev.changed, 0);
    assert_int_equal(ev.flags, 0);
    assert_int_equal(p.packets, 1);
    assert_int_equal(p.resyncs, 0);
}

static void test_full_delta_range(void **state)
{
    (void)state;
    struct mouse_event ev;
    uint8_t b[3];

    for (int d = -256; d <= 255; d++) {
        int up = -d - 1;                            /* also covers -256..255 */
        encode(d, up, 0, b);
        assert_true(feed3(b[0], b[1], b[2], &ev));
        assert_int_equal(ev.dx, d);
        assert_int_equal(ev.dy, -up);
        assert_int_equal(ev.flags, 0);
    }
    assert_true(feed3(0x08 | 0x10, 0x00, 0x00, &ev));   /* sign set, low 0: -256 */
    assert_int_equal(ev.dx, -256);
    assert_true(feed3(0x08 | 0x20, 0xFF, 0xFF, &ev));
    assert_int_equal(ev.dx, 255);
    assert_int_equal(ev.dy, 1);                     /* -1 up: 1 down */
}

static void test_overflow(void **state)
{
    (void)state;
    struct mouse_event ev;

    assert_true(feed3(0x08 | 0x40, 0x12, 0x00, &ev));           /* X overflow, positive */
    assert_int_equal(ev.dx, 255);
    assert_int_equal(ev.dy, 0);
    assert_int_equal(ev.flags, MOUSE_EV_X_OVERFLOW);
    assert_true(feed3(0x08 | 0x40 | 0x10, 0x12, 0x00, &ev));    /* X overflow, negative */
    assert_int_equal(ev.dx, -256);
    assert_true(feed3(0x08 | 0x80, 0x00, 0x34, &ev));           /* Y overflow up */
    assert_int_equal(ev.dy, -255);
    assert_int_equal(ev.flags, MOUSE_EV_Y_OVERFLOW);
    assert_true(feed3(0x08 | 0x80 | 0x20, 0x00, 0x34, &ev));    /* Y overflow down */
    assert_int_equal(ev.dy, 256);
    assert_true(feed3(0x08 | 0xC0 | 0x30, 1, 1, &ev));
    assert_int_equal(ev.flags, MOUSE_EV_X_OVERFLOW | MOUSE_EV_Y_OVERFLOW);
    assert_int_equal(ev.dx, -256);
    assert_int_equal(ev.dy, 256);
}

static void test_buttons(void **state)
{
    (void)state;
    struct mouse_event ev;

    assert_true(feed3(0x09, 0, 0, &ev));
    assert_int_equal(ev.buttons, MOUSE_BUTTON_LEFT);
    assert_int_equal(ev.changed, MOUSE_BUTTON_LEFT);
    assert_true(feed3(0x0B, 0, 0, &ev));
    assert_int_equal(ev.buttons, MOUSE_BUTTON_LEFT | MOUSE_BUTTON_RIGHT);
    assert_int_equal(ev.changed, MOUSE_BUTTON_RIGHT);
    assert_true(feed3(0x0B, 3, 0, &ev));            /* a drag: no change */
    assert_int_equal(ev.changed, 0);
    assert_true(feed3(0x0C, 0, 0, &ev));
    assert_int_equal(ev.buttons, MOUSE_BUTTON_MIDDLE);
    assert_int_equal(ev.changed, MOUSE_BUTTON_LEFT | MOUSE_BUTTON_RIGHT | MOUSE_BUTTON_MIDDLE);
    assert_true(feed3(0x08, 0, 0, &ev));
    assert_int_equal(ev.buttons, 0);
    assert_int_equal(ev.changed, MOUSE_BUTTON_MIDDLE);
}

static void test_resync_on_sync_bit(void **state)
{
    (void)state;
    struct mouse_event ev;

    /* a stream that lost its first byte: 10 5 | 08 01 02 */
    now += MS;
    assert_false(mouse_packet_feed(&p, 0x0A, now, &ev));   /* 0x0a has bit 3: taken as a start */
    now += MS;
    assert_false(mouse_packet_feed(&p, 0x05, now, &ev));
    now += MS;
    assert_true(mouse_packet_feed(&p, 0x08, now, &ev));    /* garbage packet, undetectable */
    /* bytes without bit 3 can never start a packet */
    for (uint8_t b = 0; b < 8; b++) {
        now += MS;
        assert_false(mouse_packet_feed(&p, b, now, &ev));
    }
    assert_int_equal(p.resyncs, 8);
    assert_true(feed3(0x08, 1, 2, &ev));
    assert_int_equal(ev.dx, 1);
    assert_int_equal(ev.dy, -2);
}

static void test_resync_on_gap(void **state)
{
    (void)state;
    struct mouse_event ev;

    now += MS;
    assert_false(mouse_packet_feed(&p, 0x09, now, &ev));
    now += MS;
    assert_false(mouse_packet_feed(&p, 0x7F, now, &ev));
    /* the third byte never came; the next packet starts after a pause */
    now += MOUSE_PACKET_GAP_NS + 1;
    assert_false(mouse_packet_feed(&p, 0x08, now, &ev));
    assert_int_equal(p.resyncs, 1);
    now += MS;
    assert_false(mouse_packet_feed(&p, 0x03, now, &ev));
    now += MS;
    assert_true(mouse_packet_feed(&p, 0x04, now, &ev));
    assert_int_equal(ev.dx, 3);
    assert_int_equal(ev.dy, -4);
    assert_int_equal(ev.buttons, 0);
    /* exactly the gap is still one packet; idle time between packets is no loss */
    now += MOUSE_PACKET_GAP_NS * 10;
    assert_false(mouse_packet_feed(&p, 0x08, now, &ev));
    now += MOUSE_PACKET_GAP_NS;
    assert_false(mouse_packet_feed(&p, 0x01, now, &ev));
    now += MOUSE_PACKET_GAP_NS;
    assert_true(mouse_packet_feed(&p, 0x01, now, &ev));
    assert_int_equal(p.resyncs, 1);
}

static void test_describe(void **state)
{
    (void)state;
    char buf[64];
    struct mouse_event ev = { .dx = 10, .dy = -5 };

    size_t len = mouse_packet_describe(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "dx=10 dy=-5 buttons=none");
    assert_int_equal(len, strlen(buf));
    ev.buttons = MOUSE_BUTTON_LEFT;
    mouse_packet_describe(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "dx=10 dy=-5 buttons=left");
    ev = (struct mouse_event){ .dx = -256, .dy = 256, .flags = MOUSE_EV_X_OVERFLOW,
                               .buttons = MOUSE_BUTTON_LEFT | MOUSE_BUTTON_MIDDLE |
                                          MOUSE_BUTTON_RIGHT };
    mouse_packet_describe(&ev, buf, sizeof(buf));
    assert_string_equal(buf, "dx=-256 dy=256 buttons=left+middle+right overflow");
    ev.buttons = MOUSE_BUTTON_RIGHT;
    ev.flags = 0;
    assert_int_equal(mouse_packet_describe(&ev, buf, 5), strlen("dx=-256 dy=256 buttons=right"));
    assert_string_equal(buf, "dx=-");
}

/* Random moves, encoded, with junk (bytes lacking bit 3) between packets. */
static void test_random_model(void **state)
{
    (void)state;
    uint32_t decoded = 0, sent = 0;

    rng_state = 0x3005e;
    for (int i = 0; i < 100000; i++) {
        int dx = (int)rnd_below(512) - 256, up = (int)rnd_below(512) - 256;
        uint8_t buttons = (uint8_t)rnd_below(8), b[3];
        struct mouse_event ev;

        while (rnd_below(4) == 0) {                 /* junk the decoder must skip */
            now += MS;
            assert_false(mouse_packet_feed(&p, (uint8_t)(rnd() & ~0x08u), now, &ev));
        }
        encode(dx, up, buttons, b);
        sent++;
        if (!feed3(b[0], b[1], b[2], &ev))
            fail_msg("packet %u not decoded", sent);
        decoded++;
        assert_int_equal(ev.dx, dx);
        assert_int_equal(ev.dy, -up);
        assert_int_equal(ev.buttons & MOUSE_BUTTON_LEFT, buttons & 1 ? MOUSE_BUTTON_LEFT : 0);
        assert_int_equal(ev.buttons & MOUSE_BUTTON_RIGHT, buttons & 2 ? MOUSE_BUTTON_RIGHT : 0);
        assert_int_equal(ev.buttons & MOUSE_BUTTON_MIDDLE, buttons & 4 ? MOUSE_BUTTON_MIDDLE : 0);
        now += rnd_below(20) * MS;
    }
    assert_int_equal(decoded, sent);
    assert_int_equal(p.packets, sent);
}

/* Anything at all: deltas stay in range and counters add up. */
static void test_random_bytes(void **state)
{
    (void)state;
    uint32_t events = 0;

    rng_state = 0xb17e5;
    for (int i = 0; i < 300000; i++) {
        struct mouse_event ev;
        now += rnd_below(4) == 0 ? rnd_below(2 * MOUSE_PACKET_GAP_NS) : rnd_below(MS);
        if (mouse_packet_feed(&p, (uint8_t)rnd(), now, &ev)) {
            events++;
            assert_true(ev.dx >= -256 && ev.dx <= 255);
            assert_true(ev.dy >= -255 && ev.dy <= 256);
            assert_true(ev.buttons < 8);
            assert_int_equal(ev.buttons, p.buttons);
        }
        assert_true(p.count < 3);
    }
    assert_int_equal(p.packets, events);
    assert_true(events > 1000 && p.resyncs > 1000);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_basic),
        T(test_full_delta_range),
        T(test_overflow),
        T(test_buttons),
        T(test_resync_on_sync_bit),
        T(test_resync_on_gap),
        T(test_describe),
        T(test_random_model),
        T(test_random_bytes),
    };
    return cmocka_run_group_tests_name("dev/mouse_packet", tests, NULL, NULL);
}
