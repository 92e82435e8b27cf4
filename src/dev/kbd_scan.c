/*
 * src/dev/kbd_scan.c - scan code set 1 decoder and US keymap (see
 * include/dev/kbd_scan.h).
 *
 * Part of dev; pure. Plain make codes 0x01..0x58 are already Linux key
 * codes; the extended (0xE0-prefixed) ones go through extended_keys[].
 * Characters come from two tables indexed by key code, unshifted and
 * shifted; the keypad is handled apart because Num Lock decides whether
 * its keys type digits.
 */
#include <dev/kbd_scan.h>
#include <core/format.h>
#include <core/string.h>

#define PREFIX_E0           0xE0
#define PREFIX_E1           0xE1
#define BREAK_BIT           0x80
#define LAST_PLAIN_CODE     0x58

/* 0xE0 nn -> key code (0: unknown, or a fake shift that is swallowed). */
static const uint8_t extended_keys[128] = {
    [0x10] = 0,                     /* previous track: not mapped */
    [0x1C] = KBD_KEY_KPENTER,
    [0x1D] = KBD_KEY_RIGHTCTRL,
    [0x20] = KBD_KEY_MUTE,
    [0x2E] = KBD_KEY_VOLUMEDOWN,
    [0x30] = KBD_KEY_VOLUMEUP,
    [0x35] = KBD_KEY_KPSLASH,
    [0x37] = KBD_KEY_SYSRQ,
    [0x38] = KBD_KEY_RIGHTALT,
    [0x46] = KBD_KEY_PAUSE,         /* Ctrl-Break */
    [0x47] = KBD_KEY_HOME,
    [0x48] = KBD_KEY_UP,
    [0x49] = KBD_KEY_PAGEUP,
    [0x4B] = KBD_KEY_LEFT,
    [0x4D] = KBD_KEY_RIGHT,
    [0x4F] = KBD_KEY_END,
    [0x50] = KBD_KEY_DOWN,
    [0x51] = KBD_KEY_PAGEDOWN,
    [0x52] = KBD_KEY_INSERT,
    [0x53] = KBD_KEY_DELETE,
    [0x5B] = KBD_KEY_LEFTMETA,
    [0x5C] = KBD_KEY_RIGHTMETA,
    [0x5D] = KBD_KEY_COMPOSE,
    [0x5E] = KBD_KEY_POWER,
    [0x5F] = KBD_KEY_SLEEP,
    [0x63] = KBD_KEY_WAKEUP,
};

/* Characters by key code: unshifted and shifted (US layout). */
static const char plain_chars[128] = {
    [KBD_KEY_ESC] = 0x1b,
    [KBD_KEY_1] = '1', [KBD_KEY_2] = '2', [KBD_KEY_3] = '3', [KBD_KEY_4] = '4',
    [KBD_KEY_5] = '5', [KBD_KEY_6] = '6', [KBD_KEY_7] = '7', [KBD_KEY_8] = '8',
    [KBD_KEY_9] = '9', [KBD_KEY_0] = '0',
    [KBD_KEY_MINUS] = '-', [KBD_KEY_EQUAL] = '=', [KBD_KEY_BACKSPACE] = '\b',
    [KBD_KEY_TAB] = '\t',
    [KBD_KEY_Q] = 'q', [KBD_KEY_W] = 'w', [KBD_KEY_E] = 'e', [KBD_KEY_R] = 'r',
    [KBD_KEY_T] = 't', [KBD_KEY_Y] = 'y', [KBD_KEY_U] = 'u', [KBD_KEY_I] = 'i',
    [KBD_KEY_O] = 'o', [KBD_KEY_P] = 'p',
    [KBD_KEY_LEFTBRACE] = '[', [KBD_KEY_RIGHTBRACE] = ']', [KBD_KEY_ENTER] = '\n',
    [KBD_KEY_A] = 'a', [KBD_KEY_S] = 's', [KBD_KEY_D] = 'd', [KBD_KEY_F] = 'f',
    [KBD_KEY_G] = 'g', [KBD_KEY_H] = 'h', [KBD_KEY_J] = 'j', [KBD_KEY_K] = 'k',
    [KBD_KEY_L] = 'l',
    [KBD_KEY_SEMICOLON] = ';', [KBD_KEY_APOSTROPHE] = '\'', [KBD_KEY_GRAVE] = '`',
    [KBD_KEY_BACKSLASH] = '\\',
    [KBD_KEY_Z] = 'z', [KBD_KEY_X] = 'x', [KBD_KEY_C] = 'c', [KBD_KEY_V] = 'v',
    [KBD_KEY_B] = 'b', [KBD_KEY_N] = 'n', [KBD_KEY_M] = 'm',
    [KBD_KEY_COMMA] = ',', [KBD_KEY_DOT] = '.', [KBD_KEY_SLASH] = '/',
    [KBD_KEY_KPASTERISK] = '*', [KBD_KEY_SPACE] = ' ',
    [KBD_KEY_KPMINUS] = '-', [KBD_KEY_KPPLUS] = '+',
    [KBD_KEY_102ND] = '<',
    [KBD_KEY_KPENTER] = '\n', [KBD_KEY_KPSLASH] = '/',
};

static const char shifted_chars[128] = {
    [KBD_KEY_ESC] = 0x1b,
    [KBD_KEY_1] = '!', [KBD_KEY_2] = '@', [KBD_KEY_3] = '#', [KBD_KEY_4] = '$',
    [KBD_KEY_5] = '%', [KBD_KEY_6] = '^', [KBD_KEY_7] = '&', [KBD_KEY_8] = '*',
    [KBD_KEY_9] = '(', [KBD_KEY_0] = ')',
    [KBD_KEY_MINUS] = '_', [KBD_KEY_EQUAL] = '+', [KBD_KEY_BACKSPACE] = '\b',
    [KBD_KEY_TAB] = '\t',
    [KBD_KEY_Q] = 'Q', [KBD_KEY_W] = 'W', [KBD_KEY_E] = 'E', [KBD_KEY_R] = 'R',
    [KBD_KEY_T] = 'T', [KBD_KEY_Y] = 'Y', [KBD_KEY_U] = 'U', [KBD_KEY_I] = 'I',
    [KBD_KEY_O] = 'O', [KBD_KEY_P] = 'P',
    [KBD_KEY_LEFTBRACE] = '{', [KBD_KEY_RIGHTBRACE] = '}', [KBD_KEY_ENTER] = '\n',
    [KBD_KEY_A] = 'A', [KBD_KEY_S] = 'S', [KBD_KEY_D] = 'D', [KBD_KEY_F] = 'F',
    [KBD_KEY_G] = 'G', [KBD_KEY_H] = 'H', [KBD_KEY_J] = 'J', [KBD_KEY_K] = 'K',
    [KBD_KEY_L] = 'L',
    [KBD_KEY_SEMICOLON] = ':', [KBD_KEY_APOSTROPHE] = '"', [KBD_KEY_GRAVE] = '~',
    [KBD_KEY_BACKSLASH] = '|',
    [KBD_KEY_Z] = 'Z', [KBD_KEY_X] = 'X', [KBD_KEY_C] = 'C', [KBD_KEY_V] = 'V',
    [KBD_KEY_B] = 'B', [KBD_KEY_N] = 'N', [KBD_KEY_M] = 'M',
    [KBD_KEY_COMMA] = '<', [KBD_KEY_DOT] = '>', [KBD_KEY_SLASH] = '?',
    [KBD_KEY_KPASTERISK] = '*', [KBD_KEY_SPACE] = ' ',
    [KBD_KEY_KPMINUS] = '-', [KBD_KEY_KPPLUS] = '+',
    [KBD_KEY_102ND] = '>',
    [KBD_KEY_KPENTER] = '\n', [KBD_KEY_KPSLASH] = '/',
};

/* Keypad keys that type with Num Lock (digits and '.'). */
static const char keypad_chars[128] = {
    [KBD_KEY_KP7] = '7', [KBD_KEY_KP8] = '8', [KBD_KEY_KP9] = '9',
    [KBD_KEY_KP4] = '4', [KBD_KEY_KP5] = '5', [KBD_KEY_KP6] = '6',
    [KBD_KEY_KP1] = '1', [KBD_KEY_KP2] = '2', [KBD_KEY_KP3] = '3',
    [KBD_KEY_KP0] = '0', [KBD_KEY_KPDOT] = '.',
};

static const char *const key_names[KBD_KEY_COUNT] = {
    [KBD_KEY_ESC] = "esc",
    [KBD_KEY_1] = "1", [KBD_KEY_2] = "2", [KBD_KEY_3] = "3", [KBD_KEY_4] = "4",
    [KBD_KEY_5] = "5", [KBD_KEY_6] = "6", [KBD_KEY_7] = "7", [KBD_KEY_8] = "8",
    [KBD_KEY_9] = "9", [KBD_KEY_0] = "0",
    [KBD_KEY_MINUS] = "minus", [KBD_KEY_EQUAL] = "equal",
    [KBD_KEY_BACKSPACE] = "backspace", [KBD_KEY_TAB] = "tab",
    [KBD_KEY_Q] = "q", [KBD_KEY_W] = "w", [KBD_KEY_E] = "e", [KBD_KEY_R] = "r",
    [KBD_KEY_T] = "t", [KBD_KEY_Y] = "y", [KBD_KEY_U] = "u", [KBD_KEY_I] = "i",
    [KBD_KEY_O] = "o", [KBD_KEY_P] = "p",
    [KBD_KEY_LEFTBRACE] = "leftbrace", [KBD_KEY_RIGHTBRACE] = "rightbrace",
    [KBD_KEY_ENTER] = "enter", [KBD_KEY_LEFTCTRL] = "leftctrl",
    [KBD_KEY_A] = "a", [KBD_KEY_S] = "s", [KBD_KEY_D] = "d", [KBD_KEY_F] = "f",
    [KBD_KEY_G] = "g", [KBD_KEY_H] = "h", [KBD_KEY_J] = "j", [KBD_KEY_K] = "k",
    [KBD_KEY_L] = "l",
    [KBD_KEY_SEMICOLON] = "semicolon", [KBD_KEY_APOSTROPHE] = "apostrophe",
    [KBD_KEY_GRAVE] = "grave", [KBD_KEY_LEFTSHIFT] = "leftshift",
    [KBD_KEY_BACKSLASH] = "backslash",
    [KBD_KEY_Z] = "z", [KBD_KEY_X] = "x", [KBD_KEY_C] = "c", [KBD_KEY_V] = "v",
    [KBD_KEY_B] = "b", [KBD_KEY_N] = "n", [KBD_KEY_M] = "m",
    [KBD_KEY_COMMA] = "comma", [KBD_KEY_DOT] = "dot", [KBD_KEY_SLASH] = "slash",
    [KBD_KEY_RIGHTSHIFT] = "rightshift", [KBD_KEY_KPASTERISK] = "kpasterisk",
    [KBD_KEY_LEFTALT] = "leftalt", [KBD_KEY_SPACE] = "space",
    [KBD_KEY_CAPSLOCK] = "capslock",
    [KBD_KEY_F1] = "f1", [KBD_KEY_F2] = "f2", [KBD_KEY_F3] = "f3", [KBD_KEY_F4] = "f4",
    [KBD_KEY_F5] = "f5", [KBD_KEY_F6] = "f6", [KBD_KEY_F7] = "f7", [KBD_KEY_F8] = "f8",
    [KBD_KEY_F9] = "f9", [KBD_KEY_F10] = "f10",
    [KBD_KEY_NUMLOCK] = "numlock", [KBD_KEY_SCROLLLOCK] = "scrolllock",
    [KBD_KEY_KP7] = "kp7", [KBD_KEY_KP8] = "kp8", [KBD_KEY_KP9] = "kp9",
    [KBD_KEY_KPMINUS] = "kpminus",
    [KBD_KEY_KP4] = "kp4", [KBD_KEY_KP5] = "kp5", [KBD_KEY_KP6] = "kp6",
    [KBD_KEY_KPPLUS] = "kpplus",
    [KBD_KEY_KP1] = "kp1", [KBD_KEY_KP2] = "kp2", [KBD_KEY_KP3] = "kp3",
    [KBD_KEY_KP0] = "kp0", [KBD_KEY_KPDOT] = "kpdot",
    [KBD_KEY_102ND] = "102nd", [KBD_KEY_F11] = "f11", [KBD_KEY_F12] = "f12",
    [KBD_KEY_KPENTER] = "kpenter", [KBD_KEY_RIGHTCTRL] = "rightctrl",
    [KBD_KEY_KPSLASH] = "kpslash", [KBD_KEY_SYSRQ] = "sysrq",
    [KBD_KEY_RIGHTALT] = "rightalt",
    [KBD_KEY_HOME] = "home", [KBD_KEY_UP] = "up", [KBD_KEY_PAGEUP] = "pageup",
    [KBD_KEY_LEFT] = "left", [KBD_KEY_RIGHT] = "right", [KBD_KEY_END] = "end",
    [KBD_KEY_DOWN] = "down", [KBD_KEY_PAGEDOWN] = "pagedown",
    [KBD_KEY_INSERT] = "insert", [KBD_KEY_DELETE] = "delete",
    [KBD_KEY_MUTE] = "mute", [KBD_KEY_VOLUMEDOWN] = "volumedown",
    [KBD_KEY_VOLUMEUP] = "volumeup", [KBD_KEY_POWER] = "power",
    [KBD_KEY_PAUSE] = "pause",
    [KBD_KEY_LEFTMETA] = "leftmeta", [KBD_KEY_RIGHTMETA] = "rightmeta",
    [KBD_KEY_COMPOSE] = "compose",
    [KBD_KEY_SLEEP] = "sleep", [KBD_KEY_WAKEUP] = "wakeup",
};

/* Modifier bit of a modifier key, else 0. */
static uint16_t modifier_bit(unsigned key)
{
    switch (key) {
    case KBD_KEY_LEFTSHIFT:  return KBD_MOD_LSHIFT;
    case KBD_KEY_RIGHTSHIFT: return KBD_MOD_RSHIFT;
    case KBD_KEY_LEFTCTRL:   return KBD_MOD_LCTRL;
    case KBD_KEY_RIGHTCTRL:  return KBD_MOD_RCTRL;
    case KBD_KEY_LEFTALT:    return KBD_MOD_LALT;
    case KBD_KEY_RIGHTALT:   return KBD_MOD_RALT;
    case KBD_KEY_LEFTMETA:   return KBD_MOD_LMETA;
    case KBD_KEY_RIGHTMETA:  return KBD_MOD_RMETA;
    default:                 return 0;
    }
}

/* Lock bit toggled by a lock key, else 0. */
static uint16_t lock_bit(unsigned key)
{
    switch (key) {
    case KBD_KEY_CAPSLOCK:   return KBD_MOD_CAPSLOCK;
    case KBD_KEY_NUMLOCK:    return KBD_MOD_NUMLOCK;
    case KBD_KEY_SCROLLLOCK: return KBD_MOD_SCROLLLOCK;
    default:                 return 0;
    }
}

/* The character a press of key types with modifiers mods, or 0. */
static uint8_t key_char(unsigned key, uint16_t mods)
{
    bool shift = (mods & KBD_MOD_SHIFT) != 0;
    char c;

    if (key >= 128)
        return 0;
    if (keypad_chars[key]) {
        bool num = (mods & KBD_MOD_NUMLOCK) != 0;
        return num != shift ? (uint8_t)keypad_chars[key] : 0;
    }
    c = shift ? shifted_chars[key] : plain_chars[key];
    if (c >= 'a' && c <= 'z' && (mods & KBD_MOD_CAPSLOCK))
        c = (char)(c - 'a' + 'A');
    else if (c >= 'A' && c <= 'Z' && (mods & KBD_MOD_CAPSLOCK))
        c = (char)(c - 'A' + 'a');
    if (mods & KBD_MOD_CTRL) {
        if ((c >= 'a' && c <= 'z') || (c >= '@' && c <= '_'))
            return (uint8_t)(c & 0x1f);     /* '@' and space give NUL: none */
        if (c == '?')
            return 0x7f;
        if (c == ' ')
            return 0;
    }
    return (uint8_t)c;
}

void kbd_scan_init(struct kbd_scan *s, uint16_t locks)
{
    memset(s, 0, sizeof(*s));
    s->mods = locks & KBD_MOD_LOCKS;
}

bool kbd_scan_is_down(const struct kbd_scan *s, unsigned key)
{
    return key < KBD_KEY_COUNT && (s->down[key / 32] & (1u << (key % 32))) != 0;
}

static void set_down(struct kbd_scan *s, unsigned key, bool down)
{
    if (down)
        s->down[key / 32] |= 1u << (key % 32);
    else
        s->down[key / 32] &= ~(1u << (key % 32));
}

/* Builds the event for key going down or up; updates held keys and modifiers. */
static void key_event(struct kbd_scan *s, unsigned key, uint16_t scancode, bool pressed,
                      struct kbd_event *ev)
{
    bool repeat = pressed && kbd_scan_is_down(s, key);
    uint16_t mod = modifier_bit(key);

    set_down(s, key, pressed);
    if (mod) {
        if (pressed)
            s->mods |= mod;
        else
            s->mods &= (uint16_t)~mod;
    }
    if (pressed && !repeat)
        s->mods ^= lock_bit(key);
    ev->key = (uint16_t)key;
    ev->scancode = scancode;
    ev->mods = s->mods;
    ev->pressed = pressed;
    ev->repeat = repeat;
    ev->ch = pressed ? key_char(key, s->mods) : 0;
}

bool kbd_scan_feed(struct kbd_scan *s, uint8_t byte, struct kbd_event *ev)
{
    uint8_t code = byte & (uint8_t)~BREAK_BIT;
    bool pressed = (byte & BREAK_BIT) == 0;
    unsigned key;

    if (byte == PREFIX_E0 || byte == PREFIX_E1) {
        if (s->prefix != 0)
            s->ignored++;               /* a prefix that came to nothing */
        s->prefix = byte;
        s->e1_count = 0;
        return false;
    }
    if (s->prefix == PREFIX_E1) {
        /* Pause: E1 1D 45 (press) or E1 9D C5 (release) */
        if (s->e1_count == 0 && code == 0x1D) {
            s->e1_first = byte;
            s->e1_count = 1;
            return false;
        }
        s->prefix = 0;
        if (s->e1_count == 1 && code == 0x45 && ((byte ^ s->e1_first) & BREAK_BIT) == 0) {
            key_event(s, KBD_KEY_PAUSE, 0xE11D, pressed, ev);
            return true;
        }
        s->ignored++;   /* a broken Pause sequence is dropped; this byte stands alone */
    }
    if (s->prefix == PREFIX_E0) {
        s->prefix = 0;
        key = extended_keys[code];
        if (key == 0) {
            s->ignored++;               /* fake shift or unknown */
            return false;
        }
        key_event(s, key, (uint16_t)(0xE000 | code), pressed, ev);
        return true;
    }
    if (code == 0 || code > LAST_PLAIN_CODE || code == 0x55) {
        s->ignored++;
        return false;
    }
    key = code == 0x54 ? KBD_KEY_SYSRQ : code;  /* Alt-Print Screen */
    key_event(s, key, code, pressed, ev);
    return true;
}

uint8_t kbd_scan_leds(const struct kbd_scan *s)
{
    return (uint8_t)(((s->mods & KBD_MOD_SCROLLLOCK) ? KBD_LED_SCROLLLOCK : 0) |
                     ((s->mods & KBD_MOD_NUMLOCK) ? KBD_LED_NUMLOCK : 0) |
                     ((s->mods & KBD_MOD_CAPSLOCK) ? KBD_LED_CAPSLOCK : 0));
}

const char *kbd_scan_key_name(unsigned key)
{
    return key < KBD_KEY_COUNT ? key_names[key] : NULL;
}

size_t kbd_scan_describe(const struct kbd_event *ev, char *buf, size_t size)
{
    const char *name = kbd_scan_key_name(ev->key);
    uint16_t mods = ev->mods;
    uint8_t c = ev->ch;
    char one[2] = { (char)c, '\0' };
    bool printable = c >= 0x20 && c < 0x7f;
    bool ctrl_made = (mods & KBD_MOD_CTRL) && ev->key < 128 &&
                     (uint8_t)plain_chars[ev->key] >= 0x20 && (c < 0x20 || c == 0x7f);
    int n;

    if (size > 0)
        buf[0] = '\0';
    if (!ev->pressed || modifier_bit(ev->key) || lock_bit(ev->key))
        return 0;
    if (printable && !(mods & (KBD_MOD_CTRL | KBD_MOD_ALT | KBD_MOD_META))) {
        n = snprintf(buf, size, (c == '\'' || c == '\\') ? "'\\%c'" : "'%c'", c);
    } else if (c != 0 && ctrl_made && !(mods & (KBD_MOD_ALT | KBD_MOD_META))) {
        n = snprintf(buf, size, "^%c", c == 0x7f ? '?' : c + '@');
    } else {
        /* a printable character names itself (its shift is in it) */
        bool by_char = printable && c != ' ';
        n = snprintf(buf, size, "<%s%s%s%s%s>",
                     (mods & KBD_MOD_CTRL) ? "ctrl-" : "",
                     (mods & KBD_MOD_ALT) ? "alt-" : "",
                     (mods & KBD_MOD_META) ? "meta-" : "",
                     (mods & KBD_MOD_SHIFT) && !by_char ? "shift-" : "",
                     by_char ? one : name ? name : "?");
    }
    return n < 0 ? 0 : (size_t)n;
}
