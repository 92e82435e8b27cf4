/*
 * include/dev/ansi.h - ANSI escape-sequence parser shared by the screen consoles.
 *
 * Part of dev. The VGA text console (dev/vgatext) and the framebuffer
 * console (dev/fbcon) feed every byte they are given to ansi_feed, which
 * says what the byte means: a character to print, a control character to
 * act on, a colour change, a screen clear or a cursor move. Escape
 * sequences therefore exist once, here, and are never printed as garbage.
 *
 * Understood:
 *   '\n' '\r' '\b' '\t'        reported as ANSI_EV_CONTROL
 *   other C0 controls, DEL      swallowed (ANSI_EV_NONE)
 *   ESC [ params m              SGR: 0 reset, 1 bold (bright foreground),
 *                               22 normal, 7/27 reverse on/off, 30-37 and
 *                               90-97 foreground, 39 default foreground,
 *                               40-47 and 100-107 background, 49 default
 *                               background, 38;5;n / 48;5;n for n < 16;
 *                               other codes (and 38;2;r;g;b) are skipped.
 *                               No parameter means 0. Reported once per
 *                               sequence as ANSI_EV_SGR.
 *   ESC [ 2 J  (or 3 J)         ANSI_EV_CLEAR: erase the screen; the cursor
 *                               does not move (send ESC [ H to home it)
 *   ESC [ row ; col H (or f)    ANSI_EV_CURSOR, 1-based in, 0-based out
 * Every other sequence (other CSI finals, private CSI such as ESC[?25l,
 * ESC + one byte, ESC ( B, OSC/DCS strings ended by BEL or ESC \) is
 * swallowed whole. A CSI with more than ANSI_MAX_PARAMS parameters or longer
 * than ANSI_MAX_SEQ bytes is abandoned: the rest of it, up to its final
 * byte, is swallowed. A C0 control character inside any sequence aborts the
 * sequence and is then handled normally (so '\n' always ends garbage, and
 * ESC starts a new sequence); a byte >= 0x80 inside a CSI aborts it too and
 * is printed.
 *
 * Colours are palette indexes 0..15 in ANSI order: 0 black, 1 red, 2 green,
 * 3 yellow, 4 blue, 5 magenta, 6 cyan, 7 white (light grey), 8..15 their
 * bright versions. Bold turns a foreground 0..7 into 8..15.
 *
 * Pure: no hardware, no globals; all state is in struct ansi_state, which
 * the caller owns. Also compiles on the host for the unit tests.
 * Locking: none; one state per console, serialised by the console's caller.
 */
#ifndef BASALT_DEV_ANSI_H
#define BASALT_DEV_ANSI_H

#include <core/compiler.h>

#define ANSI_MAX_PARAMS     16      /* parameters kept per CSI sequence */
#define ANSI_MAX_SEQ        64      /* bytes after ESC [ before abandoning */
#define ANSI_PARAM_MAX      9999    /* larger parameter values saturate */

/* ANSI palette indexes (add ANSI_BRIGHT for the bright half). */
enum ansi_color {
    ANSI_COLOR_BLACK = 0,
    ANSI_COLOR_RED = 1,
    ANSI_COLOR_GREEN = 2,
    ANSI_COLOR_YELLOW = 3,
    ANSI_COLOR_BLUE = 4,
    ANSI_COLOR_MAGENTA = 5,
    ANSI_COLOR_CYAN = 6,
    ANSI_COLOR_WHITE = 7,
    ANSI_BRIGHT = 8,
};

enum ansi_event_type {
    ANSI_EV_NONE = 0,   /* byte consumed; nothing to do */
    ANSI_EV_PRINT,      /* draw ev.ch at the cursor */
    ANSI_EV_CONTROL,    /* ev.ch is '\n', '\r', '\b' or '\t' */
    ANSI_EV_SGR,        /* colours changed: ev.fg, ev.bg are the new ones */
    ANSI_EV_CLEAR,      /* erase the whole screen (in ev.bg) */
    ANSI_EV_CURSOR,     /* move the cursor to ev.row, ev.col (0-based, unclamped) */
};

struct ansi_event {
    enum ansi_event_type type;
    char ch;            /* PRINT, CONTROL */
    uint8_t fg, bg;     /* effective colours after this byte (always set) */
    uint16_t row, col;  /* CURSOR */
};

/* Parser state; treat the fields as private, use ansi_init/ansi_fg/ansi_bg. */
struct ansi_state {
    uint8_t mode;               /* where in a sequence we are */
    uint8_t nparams;            /* parameters started so far */
    uint8_t seq_len;            /* bytes since ESC [ */
    bool ignore;                /* private/intermediate: swallow at final */
    uint16_t params[ANSI_MAX_PARAMS];
    uint8_t fg, bg;             /* base colours, 0..15 */
    uint8_t def_fg, def_bg;     /* what 0, 39 and 49 restore */
    bool bold, reverse;
};

/*
 * Resets *st to the ground state with colours def_fg on def_bg (0..15;
 * larger values are reduced modulo 16).
 */
void ansi_init(struct ansi_state *st, uint8_t def_fg, uint8_t def_bg);

/*
 * Feeds one byte. Fills *ev (every field; fg/bg always hold the current
 * effective colours) and returns ev->type. Never fails: malformed input is
 * swallowed as described above.
 */
enum ansi_event_type ansi_feed(struct ansi_state *st, char c, struct ansi_event *ev);

/* The current effective foreground / background (bold and reverse applied). */
uint8_t ansi_fg(const struct ansi_state *st);
uint8_t ansi_bg(const struct ansi_state *st);

#endif
