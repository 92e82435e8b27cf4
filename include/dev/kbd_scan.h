/*
 * include/dev/kbd_scan.h - keyboard scan code set 1 to key events and
 * characters (US layout).
 *
 * Part of dev; pure (host-tested by test/unit/test_kbd_scan.c). dev/kbd
 * feeds it every byte the keyboard sends through the i8042 with the
 * controller's set 2 -> set 1 translation on; it keeps the decoding state
 * (prefixes, held keys, modifiers, lock keys) and turns the bytes into key
 * events.
 *
 * Scan code set 1: a key's make code is one byte nn (0x01..0x58), or 0xE0 nn
 * for the extended keys (arrows, right Ctrl/Alt, the navigation block,
 * keypad Enter and /, Windows keys, some media keys); its break code is the
 * same with bit 7 set. Pause sends E1 1D 45 E1 9D C5 on press and nothing on
 * release (reported as a press then a release). The "fake shifts" E0 2A,
 * E0 AA, E0 36, E0 B6 that keyboards wrap around Print Screen and the
 * navigation keys are swallowed. A byte that is none of these (an unknown
 * code, a stray prefix sequence) makes no event and is counted in `ignored`;
 * a byte that breaks a Pause sequence drops the sequence (counted) and is
 * then decoded on its own.
 * Protocol bytes (ACK 0xFA, resend 0xFE, echo 0xEE, errors 0x00/0xFF) are the
 * driver's business and must not be fed here.
 *
 * Key codes are Linux's input event codes (KEY_A = 30, KEY_UP = 103, ...),
 * so events can reach a future evdev-style interface unchanged; for the
 * ordinary keys the code equals the set-1 make code.
 *
 * Characters (struct kbd_event.ch, on presses and autorepeats only): US
 * layout; Shift for the shifted symbols; Caps Lock inverts Shift for the
 * letters only; Ctrl with a letter or one of [ \ ] ^ _ gives the control
 * character 0x01..0x1f (Ctrl-C = 0x03), Ctrl with '?' gives DEL 0x7f, and
 * Ctrl with space or '@' gives no character (NUL cannot be told from
 * "none"); Alt and the Windows keys leave the character alone (readers look
 * at mods). Enter and keypad Enter give '\n', Tab '\t', Backspace '\b',
 * Escape 0x1b. Keypad digits and '.' give characters when Num Lock xor
 * Shift is on, and act as navigation keys (no character) otherwise.
 * Arrows, function keys, Insert, Delete, Home, ... give no character.
 *
 * Locking: none; one state per keyboard, fed by one context (the IRQ handler).
 */
#ifndef BASALT_DEV_KBD_SCAN_H
#define BASALT_DEV_KBD_SCAN_H

#include <core/compiler.h>

/* Key codes (Linux input event codes). */
enum kbd_key {
    KBD_KEY_NONE = 0,
    KBD_KEY_ESC = 1,
    KBD_KEY_1 = 2, KBD_KEY_2, KBD_KEY_3, KBD_KEY_4, KBD_KEY_5,
    KBD_KEY_6, KBD_KEY_7, KBD_KEY_8, KBD_KEY_9, KBD_KEY_0,
    KBD_KEY_MINUS = 12, KBD_KEY_EQUAL, KBD_KEY_BACKSPACE, KBD_KEY_TAB,
    KBD_KEY_Q = 16, KBD_KEY_W, KBD_KEY_E, KBD_KEY_R, KBD_KEY_T, KBD_KEY_Y,
    KBD_KEY_U, KBD_KEY_I, KBD_KEY_O, KBD_KEY_P,
    KBD_KEY_LEFTBRACE = 26, KBD_KEY_RIGHTBRACE, KBD_KEY_ENTER, KBD_KEY_LEFTCTRL,
    KBD_KEY_A = 30, KBD_KEY_S, KBD_KEY_D, KBD_KEY_F, KBD_KEY_G, KBD_KEY_H,
    KBD_KEY_J, KBD_KEY_K, KBD_KEY_L,
    KBD_KEY_SEMICOLON = 39, KBD_KEY_APOSTROPHE, KBD_KEY_GRAVE, KBD_KEY_LEFTSHIFT,
    KBD_KEY_BACKSLASH = 43,
    KBD_KEY_Z = 44, KBD_KEY_X, KBD_KEY_C, KBD_KEY_V, KBD_KEY_B, KBD_KEY_N, KBD_KEY_M,
    KBD_KEY_COMMA = 51, KBD_KEY_DOT, KBD_KEY_SLASH, KBD_KEY_RIGHTSHIFT,
    KBD_KEY_KPASTERISK = 55, KBD_KEY_LEFTALT, KBD_KEY_SPACE, KBD_KEY_CAPSLOCK,
    KBD_KEY_F1 = 59, KBD_KEY_F2, KBD_KEY_F3, KBD_KEY_F4, KBD_KEY_F5,
    KBD_KEY_F6, KBD_KEY_F7, KBD_KEY_F8, KBD_KEY_F9, KBD_KEY_F10,
    KBD_KEY_NUMLOCK = 69, KBD_KEY_SCROLLLOCK,
    KBD_KEY_KP7 = 71, KBD_KEY_KP8, KBD_KEY_KP9, KBD_KEY_KPMINUS,
    KBD_KEY_KP4 = 75, KBD_KEY_KP5, KBD_KEY_KP6, KBD_KEY_KPPLUS,
    KBD_KEY_KP1 = 79, KBD_KEY_KP2, KBD_KEY_KP3, KBD_KEY_KP0, KBD_KEY_KPDOT,
    KBD_KEY_102ND = 86, KBD_KEY_F11, KBD_KEY_F12,
    KBD_KEY_KPENTER = 96, KBD_KEY_RIGHTCTRL, KBD_KEY_KPSLASH,
    KBD_KEY_SYSRQ = 99,             /* Print Screen / SysRq */
    KBD_KEY_RIGHTALT = 100,
    KBD_KEY_HOME = 102, KBD_KEY_UP, KBD_KEY_PAGEUP, KBD_KEY_LEFT, KBD_KEY_RIGHT,
    KBD_KEY_END = 107, KBD_KEY_DOWN, KBD_KEY_PAGEDOWN, KBD_KEY_INSERT, KBD_KEY_DELETE,
    KBD_KEY_MUTE = 113, KBD_KEY_VOLUMEDOWN, KBD_KEY_VOLUMEUP, KBD_KEY_POWER,
    KBD_KEY_PAUSE = 119,            /* Pause, and Ctrl-Break */
    KBD_KEY_LEFTMETA = 125, KBD_KEY_RIGHTMETA, KBD_KEY_COMPOSE,
    KBD_KEY_SLEEP = 142, KBD_KEY_WAKEUP,
    KBD_KEY_COUNT = 256,            /* codes are below this */
};

/* Modifier and lock state (struct kbd_event.mods). */
#define KBD_MOD_LSHIFT      (1u << 0)
#define KBD_MOD_RSHIFT      (1u << 1)
#define KBD_MOD_LCTRL       (1u << 2)
#define KBD_MOD_RCTRL       (1u << 3)
#define KBD_MOD_LALT        (1u << 4)
#define KBD_MOD_RALT        (1u << 5)
#define KBD_MOD_LMETA       (1u << 6)
#define KBD_MOD_RMETA       (1u << 7)
#define KBD_MOD_CAPSLOCK    (1u << 8)   /* lock on */
#define KBD_MOD_NUMLOCK     (1u << 9)
#define KBD_MOD_SCROLLLOCK  (1u << 10)
#define KBD_MOD_SHIFT       (KBD_MOD_LSHIFT | KBD_MOD_RSHIFT)
#define KBD_MOD_CTRL        (KBD_MOD_LCTRL | KBD_MOD_RCTRL)
#define KBD_MOD_ALT         (KBD_MOD_LALT | KBD_MOD_RALT)
#define KBD_MOD_META        (KBD_MOD_LMETA | KBD_MOD_RMETA)
#define KBD_MOD_LOCKS       (KBD_MOD_CAPSLOCK | KBD_MOD_NUMLOCK | KBD_MOD_SCROLLLOCK)

/* PS/2 "set LEDs" (0xED) argument bits. */
#define KBD_LED_SCROLLLOCK  (1u << 0)
#define KBD_LED_NUMLOCK     (1u << 1)
#define KBD_LED_CAPSLOCK    (1u << 2)

struct kbd_event {
    uint16_t key;           /* enum kbd_key */
    uint16_t scancode;      /* set-1 make code: 0x00nn, 0xE0nn, or 0xE11D for Pause */
    uint16_t mods;          /* KBD_MOD_* in force after this event */
    uint8_t ch;             /* the character for a press or repeat (see above), else 0 */
    bool pressed;           /* false: released */
    bool repeat;            /* a press of a key already held (typematic repeat) */
};

struct kbd_scan {
    uint8_t prefix;         /* 0, 0xE0, or 0xE1 */
    uint8_t e1_count;       /* bytes seen after 0xE1 */
    uint8_t e1_first;       /* the first of them */
    uint16_t mods;
    uint32_t down[KBD_KEY_COUNT / 32];  /* keys held */
    uint32_t ignored;       /* bytes that made no event */
};

/* Resets s: no prefix, nothing held, locks as given (KBD_MOD_LOCKS bits). */
void kbd_scan_init(struct kbd_scan *s, uint16_t locks);

/*
 * Feeds one byte. Returns true and fills *ev when the byte completes a key
 * event; false when it is a prefix, part of the Pause sequence, a fake
 * shift, or unknown (*ev is then untouched).
 */
bool kbd_scan_feed(struct kbd_scan *s, uint8_t byte, struct kbd_event *ev);

/* True while key is held. */
bool kbd_scan_is_down(const struct kbd_scan *s, unsigned key);

/* The PS/2 LED mask (KBD_LED_*) for the lock state in s. */
uint8_t kbd_scan_leds(const struct kbd_scan *s);

/* The key's name in lower case ("a", "up", "f1", "leftshift"), or NULL when unknown. */
const char *kbd_scan_key_name(unsigned key);

/*
 * Describes a press for logs and echo: "'a'" for a printable character
 * typed without Ctrl, Alt or Meta (quote and backslash escaped: "'\''",
 * "'\\'"), "^C" for a control character that Ctrl made from a printing
 * key, "<alt-x>" / "<ctrl-1>" for another printable character typed with
 * modifiers, otherwise the key name with the held modifiers: "<up>",
 * "<enter>", "<ctrl-shift-f1>", "<ctrl-space>". Writes at most size - 1
 * bytes and a NUL (size > 0); returns the length it wanted (as snprintf).
 * A release, or a modifier or lock key alone, gives "" and 0.
 */
size_t kbd_scan_describe(const struct kbd_event *ev, char *buf, size_t size);

#endif
