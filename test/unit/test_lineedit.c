/*
 * test/unit/test_lineedit.c - host tests for src/kernel/lineedit.c (the
 * shell's line editor).
 *
 * The editor's echo goes to a model terminal that understands exactly what
 * the editor promises to write: printable characters (overwriting at the
 * cursor), '\b' (left, never past column 0) and '\n'. After every key the
 * terminal must show the prompt and the line with its cursor where the
 * editor's is. Covered: the serial byte decoder (every escape sequence,
 * CR LF, noise inside sequences), PS/2 key events, insertion and deletion
 * anywhere, word moves, kill keys, cancel, a full line, history browsing
 * (saved line, duplicates, blanks, wrap-around), and random key streams.
 */
#include "unit.h"

/* ---- the model terminal ------------------------------------------------------ */

#define TERM_COLS   1024

static struct {
    char row[TERM_COLS + 1];    /* the current row; spaces where nothing was drawn */
    size_t col, width;          /* cursor; columns ever drawn on this row */
    char done[8][TERM_COLS + 1];/* rows ended by '\n', newest last */
    size_t done_count;
    size_t bytes;
} term;

static void term_reset(void)
{
    memset(&term, 0, sizeof(term));
    memset(term.row, ' ', TERM_COLS);
}

static void term_write(void *ctx, const char *s, size_t n)
{
    assert_ptr_equal(ctx, &term);
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        term.bytes++;
        if (c == '\b') {
            if (term.col > 0)
                term.col--;
        } else if (c == '\n') {
            size_t slot = term.done_count++ % 8, w = term.width;
            while (w > 0 && term.row[w - 1] == ' ')
                w--;                /* blanks left by shortening are not text */
            memcpy(term.done[slot], term.row, w);
            term.done[slot][w] = '\0';
            memset(term.row, ' ', TERM_COLS);
            term.col = term.width = 0;
        } else {
            assert_true(c >= 0x20 && c < 0x7f);     /* nothing else may be written */
            assert_true(term.col < TERM_COLS);
            term.row[term.col++] = c;
            if (term.col > term.width)
                term.width = term.col;
        }
    }
}

/* The row without trailing blanks. */
static const char *term_text(void)
{
    static char buf[TERM_COLS + 1];
    size_t n = term.width;

    memcpy(buf, term.row, n);
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return buf;
}

static const char *term_last_done(void)
{
    assert_true(term.done_count > 0);
    return term.done[(term.done_count - 1) % 8];
}

/* ---- the editor under test -------------------------------------------------- */

#define PROMPT "> "

static struct lineedit *le;

static int setup(void **state)
{
    (void)state;
    le = malloc(sizeof(*le));
    memset(le, 0xa5, sizeof(*le));
    term_reset();
    lineedit_init(le, term_write, &term);
    lineedit_start(le, PROMPT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(le);
    return 0;
}

/* The terminal shows prompt + line (maybe followed by blanks), cursor in step. */
static void check_display(void)
{
    char want[TERM_COLS + 1];

    snprintf(want, sizeof(want), "%s%s", PROMPT, lineedit_line(le));
    size_t n = strlen(want);
    while (n > 0 && want[n - 1] == ' ')
        n--;
    want[n] = '\0';
    assert_string_equal(term_text(), want);
    assert_int_equal(term.col, strlen(PROMPT) + lineedit_cursor(le));
    assert_int_equal(strlen(lineedit_line(le)), le->len);
    assert_true(le->cursor <= le->len);
}

static enum lineedit_result key(int k)
{
    enum lineedit_result r = lineedit_key(le, k);
    if (r == LINEEDIT_CONTINUE || r == LINEEDIT_COMPLETE || r == LINEEDIT_CLEAR)
        check_display();
    return r;
}

static void type(const char *s)
{
    for (; *s; s++)
        assert_int_equal(key((unsigned char)*s), LINEEDIT_CONTINUE);
}

static void keys(int k, int times)
{
    while (times-- > 0)
        assert_int_equal(key(k), LINEEDIT_CONTINUE);
}

/* Enter: returns the finished line (as the terminal showed it too). */
static const char *enter(void)
{
    assert_int_equal(key(LINEEDIT_KEY_ENTER), LINEEDIT_DONE);
    char want[TERM_COLS + 1];
    snprintf(want, sizeof(want), "%s%s", PROMPT, lineedit_line(le));
    size_t n = strlen(want);
    while (n > 0 && want[n - 1] == ' ')
        want[--n] = '\0';
    assert_string_equal(term_last_done(), want);
    assert_int_equal(term.col, 0);
    return lineedit_line(le);
}

/* ---- 1. the serial decoder ---------------------------------------------------- */

static int decode_all(const char *bytes, size_t n, int *out, size_t max)
{
    struct lineedit_decoder d;
    size_t count = 0;

    lineedit_decoder_init(&d);
    for (size_t i = 0; i < n; i++) {
        int k = lineedit_decode(&d, (uint8_t)bytes[i]);
        if (k != LINEEDIT_KEY_NONE) {
            assert_true(count < max);
            out[count++] = k;
        }
    }
    return (int)count;
}

#define EXPECT_KEYS(bytes, ...)                                                 \
    do {                                                                        \
        const int want_[] = { __VA_ARGS__ };                                    \
        int got_[64];                                                           \
        int n_ = decode_all(bytes, sizeof(bytes) - 1, got_, 64);                \
        assert_int_equal(n_, (int)ARRAY_SIZE(want_));                           \
        for (int i_ = 0; i_ < n_; i_++)                                         \
            assert_int_equal(got_[i_], want_[i_]);                              \
    } while (0)

#define EXPECT_NO_KEYS(bytes)                                                   \
    do {                                                                        \
        int got_[64];                                                           \
        assert_int_equal(decode_all(bytes, sizeof(bytes) - 1, got_, 64), 0);    \
    } while (0)

static void test_decode_printable_and_controls(void **state)
{
    (void)state;
    EXPECT_KEYS("az AZ~!", 'a', 'z', ' ', 'A', 'Z', '~', '!');
    EXPECT_KEYS("\x7f\x08\t", LINEEDIT_KEY_BACKSPACE, LINEEDIT_KEY_BACKSPACE, LINEEDIT_KEY_TAB);
    EXPECT_KEYS("\x01\x02\x03\x04\x05\x06", LINEEDIT_KEY_HOME, LINEEDIT_KEY_LEFT,
                LINEEDIT_KEY_CANCEL, LINEEDIT_KEY_DELETE, LINEEDIT_KEY_END, LINEEDIT_KEY_RIGHT);
    EXPECT_KEYS("\x0b\x0c\x0e\x10\x15\x17", LINEEDIT_KEY_KILL_END, LINEEDIT_KEY_CLEAR,
                LINEEDIT_KEY_DOWN, LINEEDIT_KEY_UP, LINEEDIT_KEY_KILL_START,
                LINEEDIT_KEY_KILL_WORD);
    /* unused controls and bytes >= 0x80 give nothing */
    EXPECT_NO_KEYS("\x00\x07\x11\x1f\x80\xc3\xa9\xff");
}

static void test_decode_enter(void **state)
{
    (void)state;
    EXPECT_KEYS("\r", LINEEDIT_KEY_ENTER);
    EXPECT_KEYS("\n", LINEEDIT_KEY_ENTER);
    EXPECT_KEYS("\r\n", LINEEDIT_KEY_ENTER);             /* one Enter, not two */
    EXPECT_KEYS("\r\r", LINEEDIT_KEY_ENTER, LINEEDIT_KEY_ENTER);
    EXPECT_KEYS("\n\n", LINEEDIT_KEY_ENTER, LINEEDIT_KEY_ENTER);
    EXPECT_KEYS("a\r\nb\r\n", 'a', LINEEDIT_KEY_ENTER, 'b', LINEEDIT_KEY_ENTER);
    EXPECT_KEYS("\r\x1b[A\n", LINEEDIT_KEY_ENTER, LINEEDIT_KEY_UP, LINEEDIT_KEY_ENTER);
}

static void test_decode_escape_sequences(void **state)
{
    (void)state;
    EXPECT_KEYS("\x1b[A\x1b[B\x1b[C\x1b[D", LINEEDIT_KEY_UP, LINEEDIT_KEY_DOWN,
                LINEEDIT_KEY_RIGHT, LINEEDIT_KEY_LEFT);
    EXPECT_KEYS("\x1bOA\x1bOB\x1bOC\x1bOD", LINEEDIT_KEY_UP, LINEEDIT_KEY_DOWN,
                LINEEDIT_KEY_RIGHT, LINEEDIT_KEY_LEFT);
    EXPECT_KEYS("\x1b[H\x1b[F\x1bOH\x1bOF", LINEEDIT_KEY_HOME, LINEEDIT_KEY_END,
                LINEEDIT_KEY_HOME, LINEEDIT_KEY_END);
    EXPECT_KEYS("\x1b[1~\x1b[7~\x1b[4~\x1b[8~\x1b[3~", LINEEDIT_KEY_HOME, LINEEDIT_KEY_HOME,
                LINEEDIT_KEY_END, LINEEDIT_KEY_END, LINEEDIT_KEY_DELETE);
    EXPECT_KEYS("\x1b[1;5C\x1b[1;5D\x1b" "f\x1b" "b", LINEEDIT_KEY_WORD_RIGHT,
                LINEEDIT_KEY_WORD_LEFT, LINEEDIT_KEY_WORD_RIGHT, LINEEDIT_KEY_WORD_LEFT);
    /* other modifiers are plain arrows */
    EXPECT_KEYS("\x1b[1;2C\x1b[1;3D", LINEEDIT_KEY_RIGHT, LINEEDIT_KEY_LEFT);
}

static void test_decode_unknown_and_broken_sequences(void **state)
{
    (void)state;
    /* unknown finals, private sequences, Page Up/Down, F-keys: swallowed whole */
    EXPECT_KEYS("\x1b[5~\x1b[6~\x1b[?25l\x1b[2J\x1b[15~\x1bOP x", ' ', 'x');
    /* huge parameters saturate; many parameters are fine */
    EXPECT_KEYS("\x1b[99999999999~\x1b[1;2;3;4;5;6A", LINEEDIT_KEY_UP);
    /* a control byte ends a sequence and counts on its own */
    EXPECT_KEYS("\x1b[1\r", LINEEDIT_KEY_ENTER);
    EXPECT_KEYS("\x1bO\x7f" "a", LINEEDIT_KEY_BACKSPACE, 'a');
    EXPECT_KEYS("\x1b[\x1b[A", LINEEDIT_KEY_UP);            /* ESC restarts */
    /* ESC then something else: the ESC is dropped */
    EXPECT_KEYS("\x1bx\x1b\x1b[B", 'x', LINEEDIT_KEY_DOWN);
    EXPECT_KEYS("\x1b\r", LINEEDIT_KEY_ENTER);
    /* a byte >= 0x80 inside a CSI ends it and gives nothing */
    EXPECT_KEYS("\x1b[\xc3" "A", 'A');
}

/* ---- 2. PS/2 key events ------------------------------------------------------ */

static int kbd(uint16_t k, uint8_t ch, uint16_t mods, bool pressed)
{
    struct kbd_event ev = { .key = k, .ch = ch, .mods = mods, .pressed = pressed };
    return lineedit_key_from_kbd(&ev);
}

static void test_kbd_events(void **state)
{
    (void)state;
    assert_int_equal(kbd(KBD_KEY_A, 'a', 0, true), 'a');
    assert_int_equal(kbd(KBD_KEY_A, 'A', KBD_MOD_LSHIFT, true), 'A');
    assert_int_equal(kbd(KBD_KEY_A, 'a', 0, false), LINEEDIT_KEY_NONE);     /* release */
    assert_int_equal(kbd(KBD_KEY_ENTER, '\n', 0, true), LINEEDIT_KEY_ENTER);
    assert_int_equal(kbd(KBD_KEY_KPENTER, '\n', 0, true), LINEEDIT_KEY_ENTER);
    assert_int_equal(kbd(KBD_KEY_BACKSPACE, '\b', 0, true), LINEEDIT_KEY_BACKSPACE);
    assert_int_equal(kbd(KBD_KEY_TAB, '\t', 0, true), LINEEDIT_KEY_TAB);
    assert_int_equal(kbd(KBD_KEY_DELETE, 0, 0, true), LINEEDIT_KEY_DELETE);
    assert_int_equal(kbd(KBD_KEY_LEFT, 0, 0, true), LINEEDIT_KEY_LEFT);
    assert_int_equal(kbd(KBD_KEY_RIGHT, 0, 0, true), LINEEDIT_KEY_RIGHT);
    assert_int_equal(kbd(KBD_KEY_LEFT, 0, KBD_MOD_LCTRL, true), LINEEDIT_KEY_WORD_LEFT);
    assert_int_equal(kbd(KBD_KEY_RIGHT, 0, KBD_MOD_RCTRL, true), LINEEDIT_KEY_WORD_RIGHT);
    assert_int_equal(kbd(KBD_KEY_UP, 0, 0, true), LINEEDIT_KEY_UP);
    assert_int_equal(kbd(KBD_KEY_DOWN, 0, 0, true), LINEEDIT_KEY_DOWN);
    assert_int_equal(kbd(KBD_KEY_HOME, 0, 0, true), LINEEDIT_KEY_HOME);
    assert_int_equal(kbd(KBD_KEY_END, 0, 0, true), LINEEDIT_KEY_END);
    /* Ctrl characters come as control bytes */
    assert_int_equal(kbd(KBD_KEY_C, 0x03, KBD_MOD_LCTRL, true), LINEEDIT_KEY_CANCEL);
    assert_int_equal(kbd(KBD_KEY_A, 0x01, KBD_MOD_LCTRL, true), LINEEDIT_KEY_HOME);
    assert_int_equal(kbd(KBD_KEY_U, 0x15, KBD_MOD_LCTRL, true), LINEEDIT_KEY_KILL_START);
    /* keypad: digits under Num Lock, navigation without */
    assert_int_equal(kbd(KBD_KEY_KP4, '4', KBD_MOD_NUMLOCK, true), '4');
    assert_int_equal(kbd(KBD_KEY_KP4, 0, 0, true), LINEEDIT_KEY_LEFT);
    assert_int_equal(kbd(KBD_KEY_KP6, 0, 0, true), LINEEDIT_KEY_RIGHT);
    assert_int_equal(kbd(KBD_KEY_KP8, 0, 0, true), LINEEDIT_KEY_UP);
    assert_int_equal(kbd(KBD_KEY_KP2, 0, 0, true), LINEEDIT_KEY_DOWN);
    assert_int_equal(kbd(KBD_KEY_KP7, 0, 0, true), LINEEDIT_KEY_HOME);
    assert_int_equal(kbd(KBD_KEY_KP1, 0, 0, true), LINEEDIT_KEY_END);
    assert_int_equal(kbd(KBD_KEY_KPDOT, 0, 0, true), LINEEDIT_KEY_DELETE);
    /* Alt-b / Alt-f move by words; other Alt keys and Escape, F-keys, modifiers: nothing */
    assert_int_equal(kbd(KBD_KEY_B, 'b', KBD_MOD_LALT, true), LINEEDIT_KEY_WORD_LEFT);
    assert_int_equal(kbd(KBD_KEY_F, 'f', KBD_MOD_RALT, true), LINEEDIT_KEY_WORD_RIGHT);
    assert_int_equal(kbd(KBD_KEY_X, 'x', KBD_MOD_LALT, true), LINEEDIT_KEY_NONE);
    assert_int_equal(kbd(KBD_KEY_ESC, 0x1b, 0, true), LINEEDIT_KEY_NONE);
    assert_int_equal(kbd(KBD_KEY_F1, 0, 0, true), LINEEDIT_KEY_NONE);
    assert_int_equal(kbd(KBD_KEY_LEFTSHIFT, 0, KBD_MOD_LSHIFT, true), LINEEDIT_KEY_NONE);
}

/* ---- 3. editing ------------------------------------------------------------------ */

static void test_start_writes_the_prompt(void **state)
{
    (void)state;
    assert_memory_equal(term.row, "> ", 2);
    assert_int_equal(term.width, 2);
    assert_string_equal(lineedit_line(le), "");
    assert_int_equal(lineedit_cursor(le), 0);
    check_display();
}

static void test_type_and_enter(void **state)
{
    (void)state;
    type("echo hi");
    assert_string_equal(enter(), "echo hi");
    assert_int_equal(lineedit_history_count(le), 1);
    assert_string_equal(lineedit_history_get(le, 0), "echo hi");
}

static void test_insert_in_the_middle(void **state)
{
    (void)state;
    /* "eho hi", four to the left (cursor after 'e'), 'c' */
    type("eho hi");
    keys(LINEEDIT_KEY_LEFT, 5);
    type("c");
    assert_int_equal(lineedit_cursor(le), 2);
    /* Enter in the middle keeps the whole line */
    assert_string_equal(enter(), "echo hi");
}

static void test_cursor_moves_stop_at_the_ends(void **state)
{
    (void)state;
    keys(LINEEDIT_KEY_LEFT, 3);
    keys(LINEEDIT_KEY_RIGHT, 3);
    keys(LINEEDIT_KEY_BACKSPACE, 2);
    keys(LINEEDIT_KEY_DELETE, 2);
    assert_int_equal(term.bytes, strlen(PROMPT));          /* nothing to do: nothing written */
    type("abc");
    keys(LINEEDIT_KEY_RIGHT, 4);
    assert_int_equal(lineedit_cursor(le), 3);
    keys(LINEEDIT_KEY_HOME, 1);
    assert_int_equal(lineedit_cursor(le), 0);
    keys(LINEEDIT_KEY_LEFT, 2);
    assert_int_equal(lineedit_cursor(le), 0);
    keys(LINEEDIT_KEY_END, 1);
    assert_int_equal(lineedit_cursor(le), 3);
}

static void test_backspace_and_delete(void **state)
{
    (void)state;
    type("hello world");
    keys(LINEEDIT_KEY_BACKSPACE, 2);
    assert_string_equal(lineedit_line(le), "hello wor");
    keys(LINEEDIT_KEY_HOME, 1);
    keys(LINEEDIT_KEY_DELETE, 1);
    assert_string_equal(lineedit_line(le), "ello wor");
    keys(LINEEDIT_KEY_RIGHT, 4);
    keys(LINEEDIT_KEY_BACKSPACE, 1);
    assert_string_equal(lineedit_line(le), "ell wor");
    keys(LINEEDIT_KEY_DELETE, 1);
    assert_string_equal(lineedit_line(le), "ellwor");
    assert_int_equal(lineedit_cursor(le), 3);
    assert_string_equal(enter(), "ellwor");
}

static void test_words_and_kills(void **state)
{
    (void)state;
    type("one  two three");
    keys(LINEEDIT_KEY_WORD_LEFT, 1);
    assert_int_equal(lineedit_cursor(le), 9);
    keys(LINEEDIT_KEY_WORD_LEFT, 1);
    assert_int_equal(lineedit_cursor(le), 5);
    keys(LINEEDIT_KEY_WORD_LEFT, 5);
    assert_int_equal(lineedit_cursor(le), 0);
    keys(LINEEDIT_KEY_WORD_RIGHT, 1);
    assert_int_equal(lineedit_cursor(le), 3);
    keys(LINEEDIT_KEY_WORD_RIGHT, 1);
    assert_int_equal(lineedit_cursor(le), 8);
    keys(LINEEDIT_KEY_KILL_WORD, 1);                /* "two" */
    assert_string_equal(lineedit_line(le), "one   three");
    assert_int_equal(lineedit_cursor(le), 5);
    keys(LINEEDIT_KEY_KILL_END, 1);
    assert_string_equal(lineedit_line(le), "one  ");
    keys(LINEEDIT_KEY_LEFT, 2);
    keys(LINEEDIT_KEY_KILL_START, 1);
    assert_string_equal(lineedit_line(le), "  ");
    assert_int_equal(lineedit_cursor(le), 0);
    keys(LINEEDIT_KEY_KILL_START, 1);               /* nothing before the cursor */
    keys(LINEEDIT_KEY_END, 1);
    keys(LINEEDIT_KEY_KILL_END, 1);                 /* nothing after it */
    keys(LINEEDIT_KEY_KILL_WORD, 1);                /* only blanks before: all of them */
    assert_string_equal(lineedit_line(le), "");
}

static void test_cancel(void **state)
{
    (void)state;
    type("half a line");
    keys(LINEEDIT_KEY_LEFT, 4);
    assert_int_equal(key(LINEEDIT_KEY_CANCEL), LINEEDIT_CANCELLED);
    assert_string_equal(term_last_done(), "> half a line^C");
    assert_string_equal(lineedit_line(le), "");
    assert_int_equal(lineedit_history_count(le), 0);
    lineedit_start(le, PROMPT);
    check_display();
}

static void test_tab_and_clear_are_for_the_caller(void **state)
{
    (void)state;
    type("he");
    assert_int_equal(key(LINEEDIT_KEY_TAB), LINEEDIT_COMPLETE);
    assert_int_equal(lineedit_insert(le, "lp"), 0);
    check_display();
    assert_string_equal(lineedit_line(le), "help");
    keys(LINEEDIT_KEY_LEFT, 2);
    assert_int_equal(key(LINEEDIT_KEY_CLEAR), LINEEDIT_CLEAR);
    /* the caller clears the screen; redraw puts everything back */
    term_reset();
    lineedit_redraw(le);
    check_display();
    assert_int_equal(lineedit_cursor(le), 2);
}

static void test_full_line(void **state)
{
    (void)state;
    for (int i = 0; i < LINEEDIT_MAX + 10; i++)
        type("x");
    assert_int_equal(strlen(lineedit_line(le)), LINEEDIT_MAX);
    keys(LINEEDIT_KEY_HOME, 1);
    assert_int_equal(lineedit_insert(le, "ab"), -ENOSPC);
    check_display();
    keys(LINEEDIT_KEY_DELETE, 1);
    assert_int_equal(lineedit_insert(le, "ab"), -ENOSPC);     /* one fits */
    check_display();
    assert_int_equal(lineedit_line(le)[0], 'a');
    assert_int_equal(lineedit_line(le)[1], 'x');
    assert_int_equal(lineedit_insert(le, ""), 0);
}

static void test_unknown_keys_are_ignored(void **state)
{
    (void)state;
    type("ab");
    keys(LINEEDIT_KEY_NONE, 1);
    keys(0x7f, 1);
    keys(0x1f, 1);
    keys(0x5000, 1);
    assert_string_equal(lineedit_line(le), "ab");
}

/* ---- history --------------------------------------------------------------------- */

static void run_line(const char *s)
{
    type(s);
    enter();
    lineedit_start(le, PROMPT);
}

static void test_history_up_and_down(void **state)
{
    (void)state;
    run_line("first");
    run_line("second");
    run_line("third");
    type("new li");
    keys(LINEEDIT_KEY_UP, 1);
    assert_string_equal(lineedit_line(le), "third");
    keys(LINEEDIT_KEY_UP, 1);
    assert_string_equal(lineedit_line(le), "second");
    keys(LINEEDIT_KEY_UP, 2);
    assert_string_equal(lineedit_line(le), "first");      /* stops at the oldest */
    keys(LINEEDIT_KEY_DOWN, 1);
    assert_string_equal(lineedit_line(le), "second");
    keys(LINEEDIT_KEY_DOWN, 2);
    assert_string_equal(lineedit_line(le), "new li");     /* the line being typed is back */
    keys(LINEEDIT_KEY_DOWN, 1);
    assert_string_equal(lineedit_line(le), "new li");
    /* edit a recalled line: the history entry stays as it was */
    keys(LINEEDIT_KEY_UP, 2);
    keys(LINEEDIT_KEY_BACKSPACE, 3);
    type("ond!");
    assert_string_equal(enter(), "second!");
    assert_string_equal(lineedit_history_get(le, 0), "second!");
    assert_string_equal(lineedit_history_get(le, 1), "third");
    assert_string_equal(lineedit_history_get(le, 2), "second");
    assert_null(lineedit_history_get(le, 4));
}

static void test_history_up_reruns_the_previous_line(void **state)
{
    (void)state;
    run_line("echo again");
    keys(LINEEDIT_KEY_UP, 1);
    assert_string_equal(enter(), "echo again");
    assert_int_equal(lineedit_history_count(le), 1);      /* a repeat is not added */
}

static void test_history_skips_blanks_and_repeats(void **state)
{
    (void)state;
    run_line("");
    run_line("   ");
    assert_int_equal(lineedit_history_count(le), 0);
    keys(LINEEDIT_KEY_UP, 1);                               /* empty history: nothing */
    assert_string_equal(lineedit_line(le), "");
    run_line("a");
    run_line("a");
    run_line("b");
    run_line("a");
    assert_int_equal(lineedit_history_count(le), 3);
    lineedit_history_add(le, "a");                          /* same as the newest */
    assert_int_equal(lineedit_history_count(le), 3);
}

static void test_history_wraps(void **state)
{
    char line[32];

    (void)state;
    for (int i = 0; i < LINEEDIT_HISTORY + 9; i++) {
        snprintf(line, sizeof(line), "line %d", i);
        lineedit_history_add(le, line);
    }
    assert_int_equal(lineedit_history_count(le), LINEEDIT_HISTORY);
    snprintf(line, sizeof(line), "line %d", LINEEDIT_HISTORY + 8);
    assert_string_equal(lineedit_history_get(le, 0), line);
    assert_string_equal(lineedit_history_get(le, LINEEDIT_HISTORY - 1), "line 9");
    assert_null(lineedit_history_get(le, LINEEDIT_HISTORY));
    keys(LINEEDIT_KEY_UP, LINEEDIT_HISTORY + 3);
    assert_string_equal(lineedit_line(le), "line 9");
    /* an over-long line is cut to what an editor line holds */
    char long_line[LINEEDIT_MAX + 50];
    memset(long_line, 'y', sizeof(long_line) - 1);
    long_line[sizeof(long_line) - 1] = '\0';
    lineedit_history_add(le, long_line);
    assert_int_equal(strlen(lineedit_history_get(le, 0)), LINEEDIT_MAX);
}

/* ---- random key streams ----------------------------------------------------------- */

static void test_random_keys(void **state)
{
    static const int specials[] = {
        LINEEDIT_KEY_BACKSPACE, LINEEDIT_KEY_DELETE, LINEEDIT_KEY_LEFT, LINEEDIT_KEY_RIGHT,
        LINEEDIT_KEY_UP, LINEEDIT_KEY_DOWN, LINEEDIT_KEY_HOME, LINEEDIT_KEY_END,
        LINEEDIT_KEY_WORD_LEFT, LINEEDIT_KEY_WORD_RIGHT, LINEEDIT_KEY_KILL_END,
        LINEEDIT_KEY_KILL_START, LINEEDIT_KEY_KILL_WORD, LINEEDIT_KEY_TAB, LINEEDIT_KEY_CLEAR,
        LINEEDIT_KEY_NONE,
    };

    (void)state;
    rng_state = 0x5eed1234abcdull;
    for (int round = 0; round < 20000; round++) {
        uint64_t r = rnd_below(100);
        if (r < 55) {
            key(' ' + (int)rnd_below(95));
        } else if (r < 97) {
            key(specials[rnd_below(ARRAY_SIZE(specials))]);
        } else if (r < 99) {
            enter();
            lineedit_start(le, PROMPT);
            check_display();
        } else {
            assert_int_equal(key(LINEEDIT_KEY_CANCEL), LINEEDIT_CANCELLED);
            lineedit_start(le, PROMPT);
        }
    }
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_decode_printable_and_controls),
        T(test_decode_enter),
        T(test_decode_escape_sequences),
        T(test_decode_unknown_and_broken_sequences),
        T(test_kbd_events),
        T(test_start_writes_the_prompt),
        T(test_type_and_enter),
        T(test_insert_in_the_middle),
        T(test_cursor_moves_stop_at_the_ends),
        T(test_backspace_and_delete),
        T(test_words_and_kills),
        T(test_cancel),
        T(test_tab_and_clear_are_for_the_caller),
        T(test_full_line),
        T(test_unknown_keys_are_ignored),
        T(test_history_up_and_down),
        T(test_history_up_reruns_the_previous_line),
        T(test_history_skips_blanks_and_repeats),
        T(test_history_wraps),
        T(test_random_keys),
    };
    return cmocka_run_group_tests_name("core/lineedit", tests, NULL, NULL);
}
