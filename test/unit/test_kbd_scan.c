/*
 * test/unit/test_kbd_scan.c - host tests for src/dev/kbd_scan.c (scan code
 * set 1 decoder and US keymap).
 *
 * Types whole rows of the keyboard and compares the characters with the US
 * layout, unshifted, shifted and with Caps Lock; checks releases, Ctrl
 * characters, extended keys (every 0xE0 code the decoder knows), fake
 * shifts, Print Screen and Pause sequences, the keypad under Num Lock,
 * autorepeat, LEDs, key names and the echo text; and feeds random byte
 * streams to check the invariants every event must satisfy.
 */
#include "unit.h"

static struct kbd_scan s;

static int setup(void **state)
{
    (void)state;
    memset(&s, 0xa5, sizeof(s));
    kbd_scan_init(&s, 0);
    return 0;
}

/* Feeds bytes; returns the number of events, the last in *last. */
static size_t feed(const uint8_t *bytes, size_t n, struct kbd_event *last)
{
    size_t events = 0;
    for (size_t i = 0; i < n; i++) {
        struct kbd_event ev;
        memset(&ev, 0x5a, sizeof(ev));
        if (kbd_scan_feed(&s, bytes[i], &ev)) {
            events++;
            if (last)
                *last = ev;
        }
    }
    return events;
}

#define FEED(last, ...) feed((const uint8_t[]){ __VA_ARGS__ }, \
                             sizeof((const uint8_t[]){ __VA_ARGS__ }), (last))

/* Presses and releases the key with make code `code`; returns the press's character. */
static uint8_t type_code(uint8_t code)
{
    struct kbd_event press, release;
    assert_int_equal(feed(&code, 1, &press), 1);
    assert_true(press.pressed);
    assert_false(press.repeat);
    uint8_t brk = code | 0x80;
    assert_int_equal(feed(&brk, 1, &release), 1);
    assert_false(release.pressed);
    assert_int_equal(release.ch, 0);
    assert_int_equal(release.key, press.key);
    return press.ch;
}

/* The characters typed by make codes first..first+strlen(want)-1. */
static void expect_row(uint8_t first, const char *want)
{
    for (size_t i = 0; want[i]; i++) {
        uint8_t c = type_code((uint8_t)(first + i));
        if (c != (uint8_t)want[i])
            fail_msg("code %#x: got %#x, want %#x ('%c')", first + (unsigned)i, c,
                     (uint8_t)want[i], want[i]);
    }
}

static void expect_rows(const char *digits, const char *qrow, const char *arow,
                        const char *zrow)
{
    expect_row(0x02, digits);       /* 1 .. = */
    expect_row(0x10, qrow);         /* q .. ] */
    expect_row(0x1E, arow);         /* a .. ` */
    expect_row(0x2B, zrow);         /* \ .. / */
}

static void test_init_state(void **state)
{
    (void)state;
    assert_int_equal(s.mods, 0);
    assert_int_equal(s.prefix, 0);
    assert_int_equal(s.ignored, 0);
    for (unsigned k = 0; k < KBD_KEY_COUNT; k++)
        assert_false(kbd_scan_is_down(&s, k));
    kbd_scan_init(&s, KBD_MOD_NUMLOCK | KBD_MOD_LSHIFT);   /* only locks are taken */
    assert_int_equal(s.mods, KBD_MOD_NUMLOCK);
    assert_false(kbd_scan_is_down(&s, 1000));
}

static void test_us_layout_plain(void **state)
{
    (void)state;
    expect_rows("1234567890-=", "qwertyuiop[]", "asdfghjkl;'`", "\\zxcvbnm,./");
    assert_int_equal(type_code(0x39), ' ');
    assert_int_equal(type_code(0x1C), '\n');
    assert_int_equal(type_code(0x0F), '\t');
    assert_int_equal(type_code(0x0E), '\b');
    assert_int_equal(type_code(0x01), 0x1b);
    assert_int_equal(type_code(0x37), '*');
    assert_int_equal(type_code(0x4A), '-');
    assert_int_equal(type_code(0x4E), '+');
    for (uint8_t f = 0x3B; f <= 0x44; f++)          /* F1..F10 */
        assert_int_equal(type_code(f), 0);
    assert_int_equal(type_code(0x57), 0);           /* F11 */
    assert_int_equal(type_code(0x58), 0);           /* F12 */
    assert_int_equal(s.ignored, 0);
}

static void test_shift(void **state)
{
    (void)state;
    struct kbd_event ev;

    assert_int_equal(FEED(&ev, 0x2A), 1);           /* left shift down */
    assert_int_equal(ev.key, KBD_KEY_LEFTSHIFT);
    assert_int_equal(ev.ch, 0);
    assert_int_equal(ev.mods, KBD_MOD_LSHIFT);
    expect_rows("!@#$%^&*()_+", "QWERTYUIOP{}", "ASDFGHJKL:\"~", "|ZXCVBNM<>?");
    assert_int_equal(FEED(&ev, 0xAA), 1);           /* left shift up */
    assert_int_equal(ev.mods, 0);
    assert_int_equal(type_code(0x1E), 'a');

    FEED(&ev, 0x36);                                /* right shift */
    assert_int_equal(ev.key, KBD_KEY_RIGHTSHIFT);
    assert_int_equal(ev.mods, KBD_MOD_RSHIFT);
    assert_int_equal(type_code(0x1E), 'A');
    FEED(&ev, 0x2A);                                /* both, then one released */
    FEED(&ev, 0xB6);
    assert_int_equal(ev.mods, KBD_MOD_LSHIFT);
    assert_int_equal(type_code(0x02), '!');
    FEED(&ev, 0xAA);
    assert_int_equal(type_code(0x02), '1');
}

static void test_caps_lock(void **state)
{
    (void)state;
    struct kbd_event ev;

    assert_int_equal(FEED(&ev, 0x3A), 1);
    assert_int_equal(ev.key, KBD_KEY_CAPSLOCK);
    assert_true(ev.mods & KBD_MOD_CAPSLOCK);
    assert_int_equal(kbd_scan_leds(&s), KBD_LED_CAPSLOCK);
    FEED(&ev, 0x3A, 0x3A);                          /* autorepeat does not toggle */
    assert_true(ev.repeat);
    assert_true(ev.mods & KBD_MOD_CAPSLOCK);
    FEED(&ev, 0xBA);
    assert_true(ev.mods & KBD_MOD_CAPSLOCK);        /* release does not toggle */
    /* letters only */
    expect_rows("1234567890-=", "QWERTYUIOP[]", "ASDFGHJKL;'`", "\\ZXCVBNM,./");
    FEED(NULL, 0x2A);                               /* shift inverts it back */
    expect_rows("!@#$%^&*()_+", "qwertyuiop{}", "asdfghjkl:\"~", "|zxcvbnm<>?");
    FEED(NULL, 0xAA);
    FEED(&ev, 0x3A, 0xBA);                          /* off again */
    assert_false(ev.mods & KBD_MOD_CAPSLOCK);
    assert_int_equal(kbd_scan_leds(&s), 0);
    assert_int_equal(type_code(0x1E), 'a');
}

static void test_ctrl(void **state)
{
    (void)state;
    struct kbd_event ev;

    FEED(&ev, 0x1D);
    assert_int_equal(ev.key, KBD_KEY_LEFTCTRL);
    assert_int_equal(ev.mods, KBD_MOD_LCTRL);
    assert_int_equal(type_code(0x2E), 0x03);        /* ^C */
    assert_int_equal(type_code(0x1E), 0x01);        /* ^A */
    assert_int_equal(type_code(0x2C), 0x1a);        /* ^Z */
    assert_int_equal(type_code(0x1A), 0x1b);        /* ^[ */
    assert_int_equal(type_code(0x2B), 0x1c);        /* ^\ */
    assert_int_equal(type_code(0x1B), 0x1d);        /* ^] */
    assert_int_equal(type_code(0x39), 0);           /* ^space: NUL, no character */
    assert_int_equal(type_code(0x02), '1');         /* digits stay */
    assert_int_equal(type_code(0x1C), '\n');        /* so do Enter ... */
    assert_int_equal(type_code(0x0E), '\b');        /* ... and Backspace */
    FEED(NULL, 0x2A);
    assert_int_equal(type_code(0x1E), 0x01);        /* ^A with shift too */
    assert_int_equal(type_code(0x07), 0x1e);        /* ^^ */
    assert_int_equal(type_code(0x0C), 0x1f);        /* ^_ */
    assert_int_equal(type_code(0x35), 0x7f);        /* ^? */
    assert_int_equal(type_code(0x03), 0);           /* ^@ is NUL: none */
    FEED(NULL, 0xAA, 0x9D);
    assert_int_equal(s.mods, 0);
    FEED(&ev, 0xE0, 0x1D);                          /* right ctrl works the same */
    assert_int_equal(ev.key, KBD_KEY_RIGHTCTRL);
    assert_int_equal(ev.mods, KBD_MOD_RCTRL);
    assert_int_equal(type_code(0x2E), 0x03);
    FEED(&ev, 0xE0, 0x9D);
    assert_int_equal(ev.mods, 0);
}

static void test_alt_and_meta_keep_characters(void **state)
{
    (void)state;
    struct kbd_event ev;

    FEED(&ev, 0x38);
    assert_int_equal(ev.mods, KBD_MOD_LALT);
    assert_int_equal(type_code(0x2D), 'x');
    FEED(&ev, 0xE0, 0x38);
    assert_int_equal(ev.key, KBD_KEY_RIGHTALT);
    assert_int_equal(ev.mods, KBD_MOD_LALT | KBD_MOD_RALT);
    FEED(&ev, 0xB8, 0xE0, 0xB8, 0xE0, 0x5B);
    assert_int_equal(ev.key, KBD_KEY_LEFTMETA);
    assert_int_equal(ev.mods, KBD_MOD_LMETA);
    assert_int_equal(type_code(0x2D), 'x');
    FEED(&ev, 0xE0, 0xDB);
    assert_int_equal(ev.mods, 0);
}

static void test_extended_keys(void **state)
{
    (void)state;
    static const struct {
        uint8_t code;
        unsigned key;
        uint8_t ch;
    } ext[] = {
        { 0x1C, KBD_KEY_KPENTER, '\n' }, { 0x35, KBD_KEY_KPSLASH, '/' },
        { 0x37, KBD_KEY_SYSRQ, 0 }, { 0x46, KBD_KEY_PAUSE, 0 },
        { 0x47, KBD_KEY_HOME, 0 }, { 0x48, KBD_KEY_UP, 0 }, { 0x49, KBD_KEY_PAGEUP, 0 },
        { 0x4B, KBD_KEY_LEFT, 0 }, { 0x4D, KBD_KEY_RIGHT, 0 }, { 0x4F, KBD_KEY_END, 0 },
        { 0x50, KBD_KEY_DOWN, 0 }, { 0x51, KBD_KEY_PAGEDOWN, 0 },
        { 0x52, KBD_KEY_INSERT, 0 }, { 0x53, KBD_KEY_DELETE, 0 },
        { 0x5D, KBD_KEY_COMPOSE, 0 }, { 0x20, KBD_KEY_MUTE, 0 },
        { 0x2E, KBD_KEY_VOLUMEDOWN, 0 }, { 0x30, KBD_KEY_VOLUMEUP, 0 },
        { 0x5E, KBD_KEY_POWER, 0 }, { 0x5F, KBD_KEY_SLEEP, 0 }, { 0x63, KBD_KEY_WAKEUP, 0 },
    };
    struct kbd_event ev;

    for (size_t i = 0; i < ARRAY_SIZE(ext); i++) {
        assert_int_equal(FEED(&ev, 0xE0, ext[i].code), 1);
        assert_int_equal(ev.key, ext[i].key);
        assert_int_equal(ev.scancode, 0xE000 | ext[i].code);
        assert_true(ev.pressed);
        assert_int_equal(ev.ch, ext[i].ch);
        assert_true(kbd_scan_is_down(&s, ext[i].key));
        assert_int_equal(FEED(&ev, 0xE0, ext[i].code | 0x80), 1);
        assert_int_equal(ev.key, ext[i].key);
        assert_false(ev.pressed);
        assert_false(kbd_scan_is_down(&s, ext[i].key));
    }
    /* the plain code is a different key: keypad 8 vs. up */
    FEED(&ev, 0x48);
    assert_int_equal(ev.key, KBD_KEY_KP8);
    assert_int_equal(ev.scancode, 0x48);
    assert_int_equal(s.ignored, 0);
}

static void test_fake_shifts_and_print_screen(void **state)
{
    (void)state;
    struct kbd_event ev;

    /* Print Screen: E0 2A E0 37 / E0 B7 E0 AA: one key, shifts untouched */
    assert_int_equal(FEED(&ev, 0xE0, 0x2A, 0xE0, 0x37), 1);
    assert_int_equal(ev.key, KBD_KEY_SYSRQ);
    assert_true(ev.pressed);
    assert_int_equal(ev.mods, 0);
    assert_int_equal(FEED(&ev, 0xE0, 0xB7, 0xE0, 0xAA), 1);
    assert_false(ev.pressed);
    /* navigation keys wrapped in fake shift release/press with shift held */
    FEED(NULL, 0x2A);
    assert_int_equal(FEED(&ev, 0xE0, 0xAA, 0xE0, 0x52), 1);
    assert_int_equal(ev.key, KBD_KEY_INSERT);
    assert_int_equal(ev.mods, KBD_MOD_LSHIFT);      /* the real shift stays held */
    assert_int_equal(FEED(&ev, 0xE0, 0xD2, 0xE0, 0x2A), 1);
    assert_int_equal(ev.mods, KBD_MOD_LSHIFT);
    FEED(&ev, 0xAA);
    assert_int_equal(ev.mods, 0);
    /* Alt-Print Screen sends 0x54 */
    FEED(&ev, 0x54);
    assert_int_equal(ev.key, KBD_KEY_SYSRQ);
    assert_int_equal(ev.scancode, 0x54);
}

static void test_pause(void **state)
{
    (void)state;
    struct kbd_event ev;

    assert_int_equal(FEED(&ev, 0xE1, 0x1D, 0x45), 1);
    assert_int_equal(ev.key, KBD_KEY_PAUSE);
    assert_int_equal(ev.scancode, 0xE11D);
    assert_true(ev.pressed);
    assert_int_equal(ev.mods, 0);                   /* the 1D is no Ctrl */
    assert_int_equal(FEED(&ev, 0xE1, 0x9D, 0xC5), 1);
    assert_false(ev.pressed);
    assert_int_equal(s.mods, 0);
    assert_false(kbd_scan_is_down(&s, KBD_KEY_LEFTCTRL));
    /* Ctrl-Break: E0 46 */
    FEED(NULL, 0x1D);
    assert_int_equal(FEED(&ev, 0xE0, 0x46, 0xE0, 0xC6), 2);
    assert_int_equal(ev.key, KBD_KEY_PAUSE);
    FEED(NULL, 0x9D);
    /* a broken sequence is dropped; the byte that broke it is decoded */
    uint32_t ignored = s.ignored;
    assert_int_equal(FEED(&ev, 0xE1, 0x1D, 0x30), 1);
    assert_int_equal(ev.key, KBD_KEY_B);
    assert_int_equal(ev.mods, 0);
    assert_int_equal(s.ignored, ignored + 1);
    assert_int_equal(FEED(&ev, 0xE1, 0xB0), 1);     /* E1 then a key */
    assert_int_equal(ev.key, KBD_KEY_B);
    assert_false(ev.pressed);
    assert_int_equal(FEED(&ev, 0xE1, 0x1D, 0xC5), 1);   /* press/release mismatch */
    assert_int_equal(ev.key, KBD_KEY_NUMLOCK);
    assert_false(ev.pressed);
    assert_int_equal(s.ignored, ignored + 3);
    assert_false(kbd_scan_is_down(&s, KBD_KEY_PAUSE));
    assert_int_equal(type_code(0x1E), 'a');
}

static void test_keypad_num_lock(void **state)
{
    (void)state;
    static const uint8_t pad[] = { 0x47, 0x48, 0x49, 0x4B, 0x4C, 0x4D, 0x4F, 0x50, 0x51, 0x52, 0x53 };
    const char *digits = "789456123" "0.";
    struct kbd_event ev;

    for (size_t i = 0; i < sizeof(pad); i++)        /* Num Lock off: navigation */
        assert_int_equal(type_code(pad[i]), 0);
    FEED(&ev, 0x45, 0xC5);
    assert_true(ev.mods & KBD_MOD_NUMLOCK);
    assert_int_equal(kbd_scan_leds(&s), KBD_LED_NUMLOCK);
    for (size_t i = 0; i < sizeof(pad); i++)
        assert_int_equal(type_code(pad[i]), (uint8_t)digits[i]);
    FEED(NULL, 0x2A);                               /* shift: navigation again */
    for (size_t i = 0; i < sizeof(pad); i++)
        assert_int_equal(type_code(pad[i]), 0);
    FEED(NULL, 0xAA);
    assert_int_equal(FEED(&ev, 0xE0, 0x35), 1);     /* keypad / is not a digit */
    assert_int_equal(ev.ch, '/');
    kbd_scan_init(&s, KBD_MOD_NUMLOCK | KBD_MOD_SCROLLLOCK);
    assert_int_equal(kbd_scan_leds(&s), KBD_LED_NUMLOCK | KBD_LED_SCROLLLOCK);
    assert_int_equal(type_code(0x4F), '1');
    FEED(&ev, 0x46, 0xC6);
    assert_false(ev.mods & KBD_MOD_SCROLLLOCK);
}

static void test_autorepeat(void **state)
{
    (void)state;
    struct kbd_event ev;

    FEED(&ev, 0x1E);
    assert_false(ev.repeat);
    for (int i = 0; i < 3; i++) {
        FEED(&ev, 0x1E);
        assert_true(ev.pressed);
        assert_true(ev.repeat);
        assert_int_equal(ev.ch, 'a');               /* repeats type too */
    }
    FEED(&ev, 0x9E);
    assert_false(ev.repeat);
    FEED(&ev, 0x9E);                                /* a stray release is still reported */
    assert_false(ev.pressed);
    FEED(&ev, 0x1E);
    assert_false(ev.repeat);
}

static void test_unknown_and_prefix_noise(void **state)
{
    (void)state;
    struct kbd_event ev;

    assert_int_equal(FEED(&ev, 0x59, 0x5A, 0x7F, 0x55, 0xD9), 0);   /* past F12 */
    assert_int_equal(s.ignored, 5);
    assert_int_equal(FEED(&ev, 0xE0, 0x11), 0);     /* unknown extended */
    assert_int_equal(s.ignored, 6);
    assert_int_equal(FEED(&ev, 0xE0, 0xE0, 0x48), 1);   /* doubled prefix */
    assert_int_equal(ev.key, KBD_KEY_UP);
    assert_int_equal(s.ignored, 7);
    assert_int_equal(FEED(&ev, 0xE0, 0xE1, 0x1D, 0x45), 1);
    assert_int_equal(ev.key, KBD_KEY_PAUSE);
    assert_int_equal(s.prefix, 0);
}

static void test_key_names(void **state)
{
    (void)state;
    struct kbd_event ev;

    assert_string_equal(kbd_scan_key_name(KBD_KEY_UP), "up");
    assert_string_equal(kbd_scan_key_name(KBD_KEY_A), "a");
    assert_string_equal(kbd_scan_key_name(KBD_KEY_F12), "f12");
    assert_string_equal(kbd_scan_key_name(KBD_KEY_LEFTSHIFT), "leftshift");
    assert_null(kbd_scan_key_name(0));
    assert_null(kbd_scan_key_name(84));
    assert_null(kbd_scan_key_name(KBD_KEY_COUNT));
    assert_null(kbd_scan_key_name(100000));
    /* every key the decoder can produce has a name */
    for (unsigned b = 0; b < 0x80; b++) {
        for (int ext = 0; ext < 2; ext++) {
            kbd_scan_init(&s, 0);
            size_t n = ext ? FEED(&ev, 0xE0, (uint8_t)b) : FEED(&ev, (uint8_t)b);
            if (b == 0xE0 || b == 0xE1 || n == 0)
                continue;
            if (!kbd_scan_key_name(ev.key))
                fail_msg("key %u (code %s%#x) has no name", ev.key, ext ? "E0 " : "", b);
        }
    }
}

/* The echo text of the press that bytes end with. */
static const char *describe(const uint8_t *bytes, size_t n)
{
    static char buf[64];
    struct kbd_event ev;

    kbd_scan_init(&s, 0);
    assert_true(feed(bytes, n, &ev) > 0);
    size_t len = kbd_scan_describe(&ev, buf, sizeof(buf));
    assert_int_equal(len, strlen(buf));
    return buf;
}

#define DESCRIBE(...) describe((const uint8_t[]){ __VA_ARGS__ }, \
                               sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void test_describe(void **state)
{
    (void)state;
    assert_string_equal(DESCRIBE(0x23), "'h'");
    assert_string_equal(DESCRIBE(0x2A, 0x1E), "'A'");
    assert_string_equal(DESCRIBE(0x39), "' '");
    assert_string_equal(DESCRIBE(0x28), "'\\''");
    assert_string_equal(DESCRIBE(0x2B), "'\\\\'");
    assert_string_equal(DESCRIBE(0x1D, 0x2E), "^C");
    assert_string_equal(DESCRIBE(0x1D, 0x1A), "^[");
    assert_string_equal(DESCRIBE(0x1D, 0x2A, 0x35), "^?");
    assert_string_equal(DESCRIBE(0xE0, 0x48), "<up>");
    assert_string_equal(DESCRIBE(0x1C), "<enter>");
    assert_string_equal(DESCRIBE(0x01), "<esc>");
    assert_string_equal(DESCRIBE(0x0F), "<tab>");
    assert_string_equal(DESCRIBE(0x0E), "<backspace>");
    assert_string_equal(DESCRIBE(0x3B), "<f1>");
    assert_string_equal(DESCRIBE(0x1D, 0x2A, 0x3B), "<ctrl-shift-f1>");
    assert_string_equal(DESCRIBE(0x1D, 0x02), "<ctrl-1>");
    assert_string_equal(DESCRIBE(0x1D, 0x1C), "<ctrl-enter>");
    assert_string_equal(DESCRIBE(0x1D, 0x39), "<ctrl-space>");
    assert_string_equal(DESCRIBE(0x38, 0x2D), "<alt-x>");
    assert_string_equal(DESCRIBE(0x38, 0x2A, 0x2D), "<alt-X>");
    assert_string_equal(DESCRIBE(0x38, 0x1D, 0x2E), "<ctrl-alt-c>");
    assert_string_equal(DESCRIBE(0xE0, 0x5B, 0x26), "<meta-l>");
    assert_string_equal(DESCRIBE(0x2A, 0xE0, 0x4B), "<shift-left>");
    assert_string_equal(DESCRIBE(0x4F), "<kp1>");
    assert_string_equal(DESCRIBE(0x45, 0xC5, 0x4F), "'1'");
    assert_string_equal(DESCRIBE(0xE1, 0x1D, 0x45), "<pause>");
    /* releases, modifiers and locks alone say nothing */
    assert_string_equal(DESCRIBE(0x23, 0xA3), "");
    assert_string_equal(DESCRIBE(0x2A), "");
    assert_string_equal(DESCRIBE(0xE0, 0x38), "");
    assert_string_equal(DESCRIBE(0x3A), "");
    /* truncation: snprintf-like */
    struct kbd_event ev;
    char small[4];
    kbd_scan_init(&s, 0);
    FEED(&ev, 0x1D, 0x2A, 0x3B);
    assert_int_equal(kbd_scan_describe(&ev, small, sizeof(small)), strlen("<ctrl-shift-f1>"));
    assert_string_equal(small, "<ct");
    assert_int_equal(kbd_scan_describe(&ev, small, 0), strlen("<ctrl-shift-f1>"));
}

/* Random bytes: no crash, and every event is self-consistent. */
static void test_random_streams(void **state)
{
    (void)state;
    char buf[64];

    rng_state = 0x5ca9c0de;
    for (int round = 0; round < 50; round++) {
        kbd_scan_init(&s, (uint16_t)rnd());
        for (int i = 0; i < 20000; i++) {
            struct kbd_event ev;
            /* mostly plausible codes, sometimes prefixes, sometimes anything */
            uint8_t b = (uint8_t)(rnd_below(4) == 0 ? rnd() : rnd_below(8) == 0 ? 0xE0 + rnd_below(2)
                                  : rnd_below(0x59) | (rnd_below(2) << 7));
            if (!kbd_scan_feed(&s, b, &ev))
                continue;
            assert_true(ev.key > 0 && ev.key < KBD_KEY_COUNT);
            assert_non_null(kbd_scan_key_name(ev.key));
            assert_int_equal(kbd_scan_is_down(&s, ev.key), ev.pressed);
            assert_int_equal(ev.mods, s.mods);
            if (!ev.pressed) {
                assert_int_equal(ev.ch, 0);
                assert_false(ev.repeat);
            }
            size_t len = kbd_scan_describe(&ev, buf, sizeof(buf));
            assert_true(len < sizeof(buf));
            assert_int_equal(len, strlen(buf));
            assert_int_equal(len == 0, !ev.pressed || ev.key == KBD_KEY_LEFTSHIFT ||
                             ev.key == KBD_KEY_RIGHTSHIFT || ev.key == KBD_KEY_LEFTCTRL ||
                             ev.key == KBD_KEY_RIGHTCTRL || ev.key == KBD_KEY_LEFTALT ||
                             ev.key == KBD_KEY_RIGHTALT || ev.key == KBD_KEY_LEFTMETA ||
                             ev.key == KBD_KEY_RIGHTMETA || ev.key == KBD_KEY_CAPSLOCK ||
                             ev.key == KBD_KEY_NUMLOCK || ev.key == KBD_KEY_SCROLLLOCK);
            /* held modifier keys and modifier bits agree */
            assert_int_equal(!!(s.mods & KBD_MOD_LSHIFT),
                             kbd_scan_is_down(&s, KBD_KEY_LEFTSHIFT));
            assert_int_equal(!!(s.mods & KBD_MOD_RCTRL),
                             kbd_scan_is_down(&s, KBD_KEY_RIGHTCTRL));
        }
    }
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init_state),
        T(test_us_layout_plain),
        T(test_shift),
        T(test_caps_lock),
        T(test_ctrl),
        T(test_alt_and_meta_keep_characters),
        T(test_extended_keys),
        T(test_fake_shifts_and_print_screen),
        T(test_pause),
        T(test_keypad_num_lock),
        T(test_autorepeat),
        T(test_unknown_and_prefix_noise),
        T(test_key_names),
        T(test_describe),
        T(test_random_streams),
    };
    return cmocka_run_group_tests_name("dev/kbd_scan", tests, NULL, NULL);
}
