/*
 * include/kernel/lineedit.h - a line editor with history, for the kernel shell.
 *
 * Part of the kernel executable (used by kernel/kshell); pure
 * (host-tested by test/unit/test_lineedit.c). Three pieces, each a small
 * state machine the caller owns:
 *
 *  1. struct lineedit_decoder turns the bytes a terminal sends over serial
 *     into keys: printable ASCII as itself, CR or LF (a CR LF pair counts
 *     once) as Enter, DEL 0x7f and BS 0x08 as Backspace, the ANSI/VT100
 *     sequences ESC [ A/B/C/D (arrows), ESC [ H/F, ESC O H/F, ESC [ 1~ 7~
 *     (Home), ESC [ 4~ 8~ (End), ESC [ 3~ (Delete), ESC [ 1;5C/D and
 *     ESC f / ESC b (word right/left), and the Emacs control keys below.
 *     Unknown sequences are swallowed whole; a control byte inside a
 *     sequence ends it and counts on its own.
 *  2. lineedit_key_from_kbd does the same for PS/2 key events (dev/kbd):
 *     arrows and the navigation block by key code, characters by value.
 *  3. struct lineedit holds the line being edited, the cursor and a history
 *     of LINEEDIT_HISTORY lines, and echoes every change through a write
 *     callback: characters, '\b' to move left, spaces to blank out what a
 *     shorter line leaves behind, "\n" at the end. Only '\b', '\n' and
 *     printable characters are written, so any terminal and the kernel's
 *     screen consoles show the same thing (a line longer than the terminal
 *     is wide cannot be edited across the wrap: '\b' does not go up).
 *
 * Control keys: ^A Home, ^E End, ^B Left, ^F Right, ^P Up, ^N Down, ^D
 * Delete, ^H Backspace, ^K erase to the end, ^U erase to the start, ^W
 * erase the word before the cursor, ^C cancel the line, ^L clear the
 * screen (the caller's job), Tab complete (the caller's job).
 *
 * Locking: none; one editor per console session, used by one thread.
 */
#ifndef BASALT_KERNEL_LINEEDIT_H
#define BASALT_KERNEL_LINEEDIT_H

#include <core/compiler.h>

#define LINEEDIT_MAX        255     /* characters in a line */
#define LINEEDIT_HISTORY    32      /* lines kept */

/* Keys: 0x20..0x7e are the printable characters themselves. */
enum lineedit_key {
    LINEEDIT_KEY_NONE = 0,          /* nothing (yet): a byte inside a sequence */
    LINEEDIT_KEY_ENTER = 0x100,
    LINEEDIT_KEY_BACKSPACE,
    LINEEDIT_KEY_DELETE,
    LINEEDIT_KEY_LEFT,
    LINEEDIT_KEY_RIGHT,
    LINEEDIT_KEY_UP,
    LINEEDIT_KEY_DOWN,
    LINEEDIT_KEY_HOME,
    LINEEDIT_KEY_END,
    LINEEDIT_KEY_WORD_LEFT,
    LINEEDIT_KEY_WORD_RIGHT,
    LINEEDIT_KEY_KILL_END,          /* ^K */
    LINEEDIT_KEY_KILL_START,        /* ^U */
    LINEEDIT_KEY_KILL_WORD,         /* ^W */
    LINEEDIT_KEY_CANCEL,            /* ^C */
    LINEEDIT_KEY_CLEAR,             /* ^L */
    LINEEDIT_KEY_TAB,
};

/* ---- 1. serial bytes to keys --------------------------------------------- */

struct lineedit_decoder {
    uint8_t state;                  /* ground, after ESC, in CSI, after ESC O */
    uint8_t nparams;
    uint16_t params[2];
    bool after_cr;                  /* the last byte was CR: a LF now is its pair */
};

/* Resets d to the ground state. */
void lineedit_decoder_init(struct lineedit_decoder *d);

/*
 * Feeds one byte. Returns the key it completes (enum lineedit_key or a
 * printable character), or LINEEDIT_KEY_NONE when it completes nothing (a
 * byte inside an escape sequence, an unknown sequence, a byte >= 0x80, an
 * unused control character).
 */
int lineedit_decode(struct lineedit_decoder *d, uint8_t byte);

/* ---- 2. PS/2 key events to keys ----------------------------------------- */

struct kbd_event;

/*
 * The key for a PS/2 key event (press or autorepeat), or LINEEDIT_KEY_NONE
 * for releases and keys the editor has no use for (modifiers alone,
 * function keys, Escape). Keypad navigation keys count when Num Lock does
 * not make them digits.
 */
int lineedit_key_from_kbd(const struct kbd_event *ev);

/* ---- 3. the editor -------------------------------------------------------- */

/* Echo output: n bytes (characters, '\b', '\n'). */
typedef void (*lineedit_write_fn)(void *ctx, const char *s, size_t n);

enum lineedit_result {
    LINEEDIT_CONTINUE = 0,  /* keep feeding keys */
    LINEEDIT_DONE,          /* Enter: the line is in lineedit_line() (history updated, "\n" written) */
    LINEEDIT_CANCELLED,     /* ^C: "^C\n" written, the line dropped */
    LINEEDIT_COMPLETE,      /* Tab: the caller may lineedit_insert a completion */
    LINEEDIT_CLEAR,         /* ^L: the caller clears the screen and calls lineedit_redraw */
};

struct lineedit {
    char buf[LINEEDIT_MAX + 1];     /* the line, NUL-terminated */
    size_t len, cursor;             /* cursor: 0..len */
    const char *prompt;
    lineedit_write_fn write;
    void *ctx;
    char history[LINEEDIT_HISTORY][LINEEDIT_MAX + 1];
    unsigned hist_count;            /* lines kept, <= LINEEDIT_HISTORY */
    unsigned hist_next;             /* slot the next line goes to */
    unsigned hist_pos;              /* 0: the new line; k: the k-th newest shown */
    char saved[LINEEDIT_MAX + 1];   /* the new line while the history is browsed */
};

/* Sets le up, empty, with no history; output goes to write(ctx, ...). */
void lineedit_init(struct lineedit *le, lineedit_write_fn write, void *ctx);

/* Starts a new line: writes prompt (kept by reference; may be NULL) and empties the line. */
void lineedit_start(struct lineedit *le, const char *prompt);

/* Applies one key (enum lineedit_key or a printable character); see enum lineedit_result. */
enum lineedit_result lineedit_key(struct lineedit *le, int key);

/* The current line (after LINEEDIT_DONE: the finished line, until lineedit_start). */
const char *lineedit_line(const struct lineedit *le);

/* Where the cursor is in the line, 0..strlen(lineedit_line()). */
size_t lineedit_cursor(const struct lineedit *le);

/*
 * Inserts s at the cursor and echoes it. Returns 0, or -ENOSPC when the
 * line is full (what fits is inserted).
 */
int lineedit_insert(struct lineedit *le, const char *s);

/* Writes the prompt and the line again (on a fresh line) with the cursor where it was. */
void lineedit_redraw(struct lineedit *le);

/*
 * Adds line to the history (done by Enter): blank lines and a repeat of the
 * newest entry are not added; lines longer than LINEEDIT_MAX are cut.
 */
void lineedit_history_add(struct lineedit *le, const char *line);

/* History entries: i = 0 is the newest; NULL past the oldest. */
unsigned lineedit_history_count(const struct lineedit *le);
const char *lineedit_history_get(const struct lineedit *le, unsigned i);

#endif
