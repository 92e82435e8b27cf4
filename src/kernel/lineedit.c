/*
 * src/kernel/lineedit.c - the shell's line editor (see include/kernel/lineedit.h).
 *
 * Part of the kernel executable; pure (host-tested by
 * test/unit/test_lineedit.c): no hardware, no globals. The editor never
 * redraws the whole line for a change in the middle: it rewrites from the
 * change to the end and walks back with '\b', which is what a serial
 * terminal and the screen consoles both understand.
 */
#include <kernel/lineedit.h>
#include <core/errno.h>
#include <core/string.h>
#include <dev/kbd_scan.h>

enum {
    DEC_GROUND,
    DEC_ESC,        /* after ESC */
    DEC_CSI,        /* after ESC [ */
    DEC_SS3,        /* after ESC O */
};

#define ESC         0x1b
#define CSI_PARAM_MAX 9999

void lineedit_decoder_init(struct lineedit_decoder *d)
{
    memset(d, 0, sizeof(*d));
    d->state = DEC_GROUND;
}

/* The key of a single byte in the ground state (control keys included). */
static int key_from_char(uint8_t c)
{
    if (c >= 0x20 && c < 0x7f)
        return c;
    switch (c) {
    case '\r':
    case '\n':
        return LINEEDIT_KEY_ENTER;
    case 0x7f:
    case '\b':
        return LINEEDIT_KEY_BACKSPACE;
    case '\t':
        return LINEEDIT_KEY_TAB;
    case 0x01:
        return LINEEDIT_KEY_HOME;           /* ^A */
    case 0x02:
        return LINEEDIT_KEY_LEFT;           /* ^B */
    case 0x03:
        return LINEEDIT_KEY_CANCEL;         /* ^C */
    case 0x04:
        return LINEEDIT_KEY_DELETE;         /* ^D */
    case 0x05:
        return LINEEDIT_KEY_END;            /* ^E */
    case 0x06:
        return LINEEDIT_KEY_RIGHT;          /* ^F */
    case 0x0b:
        return LINEEDIT_KEY_KILL_END;       /* ^K */
    case 0x0c:
        return LINEEDIT_KEY_CLEAR;          /* ^L */
    case 0x0e:
        return LINEEDIT_KEY_DOWN;           /* ^N */
    case 0x10:
        return LINEEDIT_KEY_UP;             /* ^P */
    case 0x15:
        return LINEEDIT_KEY_KILL_START;     /* ^U */
    case 0x17:
        return LINEEDIT_KEY_KILL_WORD;      /* ^W */
    default:
        return LINEEDIT_KEY_NONE;
    }
}

/* The key a CSI or SS3 sequence ends with, from its final byte and parameters. */
static int key_from_final(const struct lineedit_decoder *d, uint8_t final)
{
    uint16_t p1 = d->nparams > 0 ? d->params[0] : 0;
    uint16_t mod = d->nparams > 1 ? d->params[1] : 1;
    bool ctrl = mod == 5;                   /* xterm: 1 + 4 (Ctrl) */

    switch (final) {
    case 'A':
        return LINEEDIT_KEY_UP;
    case 'B':
        return LINEEDIT_KEY_DOWN;
    case 'C':
        return ctrl ? LINEEDIT_KEY_WORD_RIGHT : LINEEDIT_KEY_RIGHT;
    case 'D':
        return ctrl ? LINEEDIT_KEY_WORD_LEFT : LINEEDIT_KEY_LEFT;
    case 'H':
        return LINEEDIT_KEY_HOME;
    case 'F':
        return LINEEDIT_KEY_END;
    case '~':
        if (d->state != DEC_CSI)
            return LINEEDIT_KEY_NONE;
        switch (p1) {
        case 1:
        case 7:
            return LINEEDIT_KEY_HOME;
        case 3:
            return LINEEDIT_KEY_DELETE;
        case 4:
        case 8:
            return LINEEDIT_KEY_END;
        default:
            return LINEEDIT_KEY_NONE;
        }
    default:
        return LINEEDIT_KEY_NONE;
    }
}

static int decode_ground(struct lineedit_decoder *d, uint8_t byte)
{
    bool after_cr = d->after_cr;

    d->after_cr = byte == '\r';
    if (byte == ESC) {
        d->state = DEC_ESC;
        return LINEEDIT_KEY_NONE;
    }
    if (byte == '\n' && after_cr)
        return LINEEDIT_KEY_NONE;           /* the LF of a CR LF */
    return key_from_char(byte);
}

int lineedit_decode(struct lineedit_decoder *d, uint8_t byte)
{
    int key;

    switch (d->state) {
    case DEC_ESC:
        d->state = DEC_GROUND;
        d->nparams = 0;
        d->params[0] = d->params[1] = 0;
        if (byte == '[') {
            d->state = DEC_CSI;
            return LINEEDIT_KEY_NONE;
        }
        if (byte == 'O') {
            d->state = DEC_SS3;
            return LINEEDIT_KEY_NONE;
        }
        if (byte == 'b')
            return LINEEDIT_KEY_WORD_LEFT;  /* Meta-b */
        if (byte == 'f')
            return LINEEDIT_KEY_WORD_RIGHT; /* Meta-f */
        /* ESC then anything else: the ESC is dropped, the byte counts alone */
        return decode_ground(d, byte);
    case DEC_CSI:
    case DEC_SS3:
        if (byte < 0x20 || byte >= 0x7f) {
            /* a control byte (DEL too) ends the sequence and counts on its own */
            d->state = DEC_GROUND;
            return decode_ground(d, byte);
        }
        if (byte >= '0' && byte <= '9' && d->state == DEC_CSI) {
            if (d->nparams == 0)
                d->nparams = 1;
            if (d->nparams <= 2) {
                uint16_t *p = &d->params[d->nparams - 1];
                *p = (uint16_t)MIN(*p * 10u + (byte - '0'), (unsigned)CSI_PARAM_MAX);
            }
            return LINEEDIT_KEY_NONE;
        }
        if (byte == ';' && d->state == DEC_CSI) {
            if (d->nparams == 0)
                d->nparams = 1;
            if (d->nparams < 3)
                d->nparams++;
            return LINEEDIT_KEY_NONE;
        }
        if (byte >= 0x40 && byte <= 0x7e) {
            key = key_from_final(d, byte);
            d->state = DEC_GROUND;
            return key;
        }
        return LINEEDIT_KEY_NONE;       /* intermediates and private markers: swallowed */
    default:
        return decode_ground(d, byte);
    }
}

int lineedit_key_from_kbd(const struct kbd_event *ev)
{
    bool ctrl = (ev->mods & KBD_MOD_CTRL) != 0;

    if (!ev->pressed)
        return LINEEDIT_KEY_NONE;
    switch (ev->key) {
    case KBD_KEY_ENTER:
    case KBD_KEY_KPENTER:
        return LINEEDIT_KEY_ENTER;
    case KBD_KEY_BACKSPACE:
        return LINEEDIT_KEY_BACKSPACE;
    case KBD_KEY_TAB:
        return LINEEDIT_KEY_TAB;
    case KBD_KEY_DELETE:
        return LINEEDIT_KEY_DELETE;
    case KBD_KEY_LEFT:
        return ctrl ? LINEEDIT_KEY_WORD_LEFT : LINEEDIT_KEY_LEFT;
    case KBD_KEY_RIGHT:
        return ctrl ? LINEEDIT_KEY_WORD_RIGHT : LINEEDIT_KEY_RIGHT;
    case KBD_KEY_UP:
        return LINEEDIT_KEY_UP;
    case KBD_KEY_DOWN:
        return LINEEDIT_KEY_DOWN;
    case KBD_KEY_HOME:
        return LINEEDIT_KEY_HOME;
    case KBD_KEY_END:
        return LINEEDIT_KEY_END;
    default:
        break;
    }
    if (ev->ch == 0) {
        /* keypad keys acting as navigation keys (Num Lock off) */
        switch (ev->key) {
        case KBD_KEY_KP4:
            return LINEEDIT_KEY_LEFT;
        case KBD_KEY_KP6:
            return LINEEDIT_KEY_RIGHT;
        case KBD_KEY_KP8:
            return LINEEDIT_KEY_UP;
        case KBD_KEY_KP2:
            return LINEEDIT_KEY_DOWN;
        case KBD_KEY_KP7:
            return LINEEDIT_KEY_HOME;
        case KBD_KEY_KP1:
            return LINEEDIT_KEY_END;
        case KBD_KEY_KPDOT:
            return LINEEDIT_KEY_DELETE;
        default:
            return LINEEDIT_KEY_NONE;
        }
    }
    if (ev->mods & (KBD_MOD_ALT | KBD_MOD_META)) {
        if (ev->ch == 'b')
            return LINEEDIT_KEY_WORD_LEFT;
        if (ev->ch == 'f')
            return LINEEDIT_KEY_WORD_RIGHT;
        return LINEEDIT_KEY_NONE;
    }
    if (ev->ch == ESC)
        return LINEEDIT_KEY_NONE;
    return key_from_char(ev->ch);
}

/* ---- output ---------------------------------------------------------------- */

static void out(struct lineedit *le, const char *s, size_t n)
{
    if (n && le->write)
        le->write(le->ctx, s, n);
}

static void out_repeat(struct lineedit *le, char c, size_t n)
{
    char chunk[32];

    memset(chunk, c, sizeof(chunk));
    while (n > 0) {
        size_t k = MIN(n, sizeof(chunk));
        out(le, chunk, k);
        n -= k;
    }
}

/* Cursor back to column `to` of the line (from le->cursor). */
static void move_left_to(struct lineedit *le, size_t to)
{
    out_repeat(le, '\b', le->cursor - to);
    le->cursor = to;
}

/*
 * The line changed from position `from` on and used to be old_len long:
 * rewrite from `from`, blank what is left of the old line, put the cursor
 * at le->cursor. The terminal's cursor is at `from` on entry.
 */
static void refresh_from(struct lineedit *le, size_t from, size_t old_len)
{
    size_t blank = old_len > le->len ? old_len - le->len : 0;

    out(le, le->buf + from, le->len - from);
    out_repeat(le, ' ', blank);
    out_repeat(le, '\b', le->len + blank - le->cursor);
}

/* Replaces the whole line with s, cursor at the end. */
static void set_line(struct lineedit *le, const char *s)
{
    size_t old_len = le->len;

    move_left_to(le, 0);
    le->len = strlcpy(le->buf, s, sizeof(le->buf));
    if (le->len > LINEEDIT_MAX)
        le->len = LINEEDIT_MAX;
    le->cursor = le->len;
    refresh_from(le, 0, old_len);
}

/* Deletes buf[from, to) with the terminal cursor at le->cursor == to or from. */
static void delete_range(struct lineedit *le, size_t from, size_t to)
{
    size_t old_len = le->len;

    if (from >= to)
        return;
    move_left_to(le, from);
    memmove(le->buf + from, le->buf + to, le->len - to + 1);
    le->len -= to - from;
    refresh_from(le, from, old_len);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static size_t word_left(const struct lineedit *le)
{
    size_t i = le->cursor;

    while (i > 0 && is_blank(le->buf[i - 1]))
        i--;
    while (i > 0 && !is_blank(le->buf[i - 1]))
        i--;
    return i;
}

static size_t word_right(const struct lineedit *le)
{
    size_t i = le->cursor;

    while (i < le->len && is_blank(le->buf[i]))
        i++;
    while (i < le->len && !is_blank(le->buf[i]))
        i++;
    return i;
}

/* ---- the editor ------------------------------------------------------------ */

void lineedit_init(struct lineedit *le, lineedit_write_fn write, void *ctx)
{
    memset(le, 0, sizeof(*le));
    le->write = write;
    le->ctx = ctx;
}

void lineedit_start(struct lineedit *le, const char *prompt)
{
    le->prompt = prompt;
    le->buf[0] = '\0';
    le->len = le->cursor = 0;
    le->hist_pos = 0;
    if (prompt)
        out(le, prompt, strlen(prompt));
}

const char *lineedit_line(const struct lineedit *le)
{
    return le->buf;
}

size_t lineedit_cursor(const struct lineedit *le)
{
    return le->cursor;
}

int lineedit_insert(struct lineedit *le, const char *s)
{
    size_t n = strlen(s), room = LINEEDIT_MAX - le->len, at = le->cursor;
    int err = 0;

    if (n > room) {
        n = room;
        err = -ENOSPC;
    }
    if (n == 0)
        return err;
    memmove(le->buf + at + n, le->buf + at, le->len - at + 1);
    memcpy(le->buf + at, s, n);
    le->len += n;
    le->cursor += n;
    /* the terminal cursor is at `at`: rewrite from there */
    out(le, le->buf + at, le->len - at);
    out_repeat(le, '\b', le->len - le->cursor);
    return err;
}

void lineedit_redraw(struct lineedit *le)
{
    if (le->prompt)
        out(le, le->prompt, strlen(le->prompt));
    out(le, le->buf, le->len);
    out_repeat(le, '\b', le->len - le->cursor);
}

void lineedit_history_add(struct lineedit *le, const char *line)
{
    const char *p = line;

    while (is_blank(*p))
        p++;
    if (*p == '\0')
        return;
    if (le->hist_count > 0) {
        char cut[LINEEDIT_MAX + 1];
        strlcpy(cut, line, sizeof(cut));
        if (strcmp(lineedit_history_get(le, 0), cut) == 0)
            return;
    }
    strlcpy(le->history[le->hist_next], line, LINEEDIT_MAX + 1);
    le->hist_next = (le->hist_next + 1) % LINEEDIT_HISTORY;
    if (le->hist_count < LINEEDIT_HISTORY)
        le->hist_count++;
}

unsigned lineedit_history_count(const struct lineedit *le)
{
    return le->hist_count;
}

const char *lineedit_history_get(const struct lineedit *le, unsigned i)
{
    if (i >= le->hist_count)
        return NULL;
    return le->history[(le->hist_next + LINEEDIT_HISTORY - 1 - i) % LINEEDIT_HISTORY];
}

static void history_move(struct lineedit *le, bool older)
{
    if (older) {
        if (le->hist_pos >= le->hist_count)
            return;
        if (le->hist_pos == 0)
            strlcpy(le->saved, le->buf, sizeof(le->saved));
        le->hist_pos++;
        set_line(le, lineedit_history_get(le, le->hist_pos - 1));
    } else {
        if (le->hist_pos == 0)
            return;
        le->hist_pos--;
        set_line(le, le->hist_pos == 0 ? le->saved : lineedit_history_get(le, le->hist_pos - 1));
    }
}

enum lineedit_result lineedit_key(struct lineedit *le, int key)
{
    char c;

    if (key >= 0x20 && key < 0x7f) {
        c = (char)key;
        char s[2] = { c, '\0' };
        lineedit_insert(le, s);
        return LINEEDIT_CONTINUE;
    }
    switch (key) {
    case LINEEDIT_KEY_ENTER:
        /* the terminal cursor to the end first, so "\n" does not cut the line */
        out(le, le->buf + le->cursor, le->len - le->cursor);
        le->cursor = le->len;
        out(le, "\n", 1);
        lineedit_history_add(le, le->buf);
        le->hist_pos = 0;
        return LINEEDIT_DONE;
    case LINEEDIT_KEY_CANCEL:
        out(le, le->buf + le->cursor, le->len - le->cursor);
        out(le, "^C\n", 3);
        le->buf[0] = '\0';
        le->len = le->cursor = 0;
        le->hist_pos = 0;
        return LINEEDIT_CANCELLED;
    case LINEEDIT_KEY_TAB:
        return LINEEDIT_COMPLETE;
    case LINEEDIT_KEY_CLEAR:
        return LINEEDIT_CLEAR;
    case LINEEDIT_KEY_BACKSPACE:
        if (le->cursor > 0)
            delete_range(le, le->cursor - 1, le->cursor);
        break;
    case LINEEDIT_KEY_DELETE:
        if (le->cursor < le->len) {
            size_t at = le->cursor;
            /* delete_range walks left from `to`: the terminal is at `at` */
            size_t old_len = le->len;
            memmove(le->buf + at, le->buf + at + 1, le->len - at);
            le->len--;
            refresh_from(le, at, old_len);
        }
        break;
    case LINEEDIT_KEY_LEFT:
        if (le->cursor > 0)
            move_left_to(le, le->cursor - 1);
        break;
    case LINEEDIT_KEY_RIGHT:
        if (le->cursor < le->len) {
            out(le, le->buf + le->cursor, 1);
            le->cursor++;
        }
        break;
    case LINEEDIT_KEY_HOME:
        move_left_to(le, 0);
        break;
    case LINEEDIT_KEY_END:
        out(le, le->buf + le->cursor, le->len - le->cursor);
        le->cursor = le->len;
        break;
    case LINEEDIT_KEY_WORD_LEFT:
        move_left_to(le, word_left(le));
        break;
    case LINEEDIT_KEY_WORD_RIGHT: {
        size_t to = word_right(le);
        out(le, le->buf + le->cursor, to - le->cursor);
        le->cursor = to;
        break;
    }
    case LINEEDIT_KEY_KILL_END:
        if (le->cursor < le->len) {
            size_t old_len = le->len;
            le->len = le->cursor;
            le->buf[le->len] = '\0';
            refresh_from(le, le->cursor, old_len);
        }
        break;
    case LINEEDIT_KEY_KILL_START:
        delete_range(le, 0, le->cursor);
        break;
    case LINEEDIT_KEY_KILL_WORD:
        delete_range(le, word_left(le), le->cursor);
        break;
    case LINEEDIT_KEY_UP:
        history_move(le, true);
        break;
    case LINEEDIT_KEY_DOWN:
        history_move(le, false);
        break;
    default:
        break;                              /* LINEEDIT_KEY_NONE, unknown keys */
    }
    return LINEEDIT_CONTINUE;
}
