/*
 * test/unit/test_ansi.c - host tests for src/dev/ansi.c (ANSI escape parser).
 *
 * Feeds byte strings through ansi_feed and checks the events against
 * include/dev/ansi.h: printing and control characters, SGR colours (bold,
 * reverse, bright, 256-colour subset, skipped codes), clear, cursor moves,
 * swallowed sequences (private CSI, ESC + byte, OSC/DCS strings), limits
 * (parameter count, sequence length, saturation) and aborts (C0 controls,
 * bytes >= 0x80, ESC inside a sequence).
 */
#include "unit.h"

#define ESC "\x1b"
#define CSI ESC "["

#define DEF_FG ANSI_COLOR_WHITE
#define DEF_BG ANSI_COLOR_BLACK

static struct ansi_state st;

/* Everything the parser produced for one input, in a readable form. */
struct run {
    char printed[512];      /* ANSI_EV_PRINT characters (the first 511) */
    size_t nprinted;
    char controls[64];      /* ANSI_EV_CONTROL characters (the first 63) */
    size_t ncontrols;
    size_t sgr, clear, cursor, none;
    struct ansi_event last; /* the last event that was not ANSI_EV_NONE */
    bool any;
};

/* Feeds n bytes of s; checks the invariants every event must satisfy. */
static struct run feed_n(const char *s, size_t n)
{
    struct run r;
    memset(&r, 0, sizeof(r));
    for (size_t i = 0; i < n; i++) {
        struct ansi_event ev;
        memset(&ev, 0xa5, sizeof(ev));      /* every field must be filled in */
        enum ansi_event_type t = ansi_feed(&st, s[i], &ev);
        assert_int_equal(t, ev.type);
        assert_int_equal(ev.fg, ansi_fg(&st));
        assert_int_equal(ev.bg, ansi_bg(&st));
        assert_true(ev.fg < 16 && ev.bg < 16);
        if (t != ANSI_EV_PRINT && t != ANSI_EV_CONTROL)
            assert_int_equal(ev.ch, 0);
        if (t != ANSI_EV_CURSOR) {
            assert_int_equal(ev.row, 0);
            assert_int_equal(ev.col, 0);
        }
        switch (t) {
        case ANSI_EV_NONE:
            r.none++;
            break;
        case ANSI_EV_PRINT:
            if (r.nprinted < sizeof(r.printed) - 1)     /* counted beyond, not kept */
                r.printed[r.nprinted] = ev.ch;
            r.nprinted++;
            break;
        case ANSI_EV_CONTROL:
            assert_true(ev.ch == '\n' || ev.ch == '\r' || ev.ch == '\b' || ev.ch == '\t');
            if (r.ncontrols < sizeof(r.controls) - 1)
                r.controls[r.ncontrols] = ev.ch;
            r.ncontrols++;
            break;
        case ANSI_EV_SGR:
            r.sgr++;
            break;
        case ANSI_EV_CLEAR:
            r.clear++;
            break;
        case ANSI_EV_CURSOR:
            r.cursor++;
            break;
        default:
            fail_msg("unknown event type %d", (int)t);
        }
        if (t != ANSI_EV_NONE) {
            r.last = ev;
            r.any = true;
        }
    }
    return r;
}

static struct run feed(const char *s)
{
    return feed_n(s, strlen(s));
}

static void expect_colors(uint8_t fg, uint8_t bg)
{
    assert_int_equal(ansi_fg(&st), fg);
    assert_int_equal(ansi_bg(&st), bg);
}

static int setup(void **state)
{
    (void)state;
    memset(&st, 0x5a, sizeof(st));
    ansi_init(&st, DEF_FG, DEF_BG);
    return 0;
}

/* ---- ground state ------------------------------------------------------------ */

static void test_init(void **state)
{
    (void)state;
    expect_colors(DEF_FG, DEF_BG);
    ansi_init(&st, 17, 20);                 /* reduced modulo 16 */
    expect_colors(1, 4);
    ansi_init(&st, ANSI_COLOR_GREEN | ANSI_BRIGHT, ANSI_COLOR_BLUE);
    expect_colors(10, 4);
}

static void test_plain_text(void **state)
{
    (void)state;
    struct run r = feed("Hello, world! ~{}|");
    assert_string_equal(r.printed, "Hello, world! ~{}|");
    assert_int_equal(r.none, 0);
    /* bytes >= 0x80 (UTF-8, code page 437) are printed as they are */
    r = feed("\xc3\xa9\x80\xff");
    assert_int_equal(r.nprinted, 4);
    assert_memory_equal(r.printed, "\xc3\xa9\x80\xff", 4);
}

static void test_controls(void **state)
{
    (void)state;
    struct run r = feed("a\nb\rc\bd\te");
    assert_string_equal(r.printed, "abcde");
    assert_string_equal(r.controls, "\n\r\b\t");
    /* other C0 controls and DEL are swallowed */
    const char others[] = "\x01\x02\x07\x0b\x0c\x0e\x0f\x10\x1a\x1c\x1f\x7f";
    r = feed_n(others, sizeof(others) - 1);
    assert_false(r.any);
    assert_int_equal(r.none, sizeof(others) - 1);
    r = feed_n("x\0y", 3);
    assert_string_equal(r.printed, "xy");
}

/* ---- SGR ------------------------------------------------------------------- */

static void test_sgr_basic_colors(void **state)
{
    (void)state;
    for (int i = 0; i < 8; i++) {
        char seq[32];
        snprintf(seq, sizeof(seq), CSI "%d;%dm", 30 + i, 40 + (7 - i));
        struct run r = feed(seq);
        assert_int_equal(r.sgr, 1);                 /* once per sequence */
        assert_int_equal(r.none, strlen(seq) - 1);
        assert_int_equal(r.last.type, ANSI_EV_SGR);
        assert_int_equal(r.last.fg, i);
        assert_int_equal(r.last.bg, 7 - i);
        expect_colors((uint8_t)i, (uint8_t)(7 - i));
    }
    for (int i = 0; i < 8; i++) {
        char seq[32];
        snprintf(seq, sizeof(seq), CSI "%d;%dm", 90 + i, 100 + i);
        feed(seq);
        expect_colors((uint8_t)(8 + i), (uint8_t)(8 + i));
    }
}

static void test_sgr_defaults_and_reset(void **state)
{
    (void)state;
    feed(CSI "31;42m");
    expect_colors(ANSI_COLOR_RED, ANSI_COLOR_GREEN);
    feed(CSI "39m");
    expect_colors(DEF_FG, ANSI_COLOR_GREEN);
    feed(CSI "49m");
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "1;7;31;42m");
    feed(CSI "0m");
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "1;7;31;42m");
    struct run r = feed(CSI "m");                   /* no parameter means 0 */
    assert_int_equal(r.sgr, 1);
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "31m");
    feed(CSI ";1m");                                /* empty first parameter = 0, then bold */
    expect_colors(DEF_FG | ANSI_BRIGHT, DEF_BG);
}

static void test_sgr_bold(void **state)
{
    (void)state;
    feed(CSI "1m");
    expect_colors(DEF_FG + ANSI_BRIGHT, DEF_BG);
    feed(CSI "34m");
    expect_colors(ANSI_COLOR_BLUE + ANSI_BRIGHT, DEF_BG);    /* bold applies to later colours */
    feed(CSI "94m");
    expect_colors(ANSI_COLOR_BLUE + ANSI_BRIGHT, DEF_BG);    /* already bright */
    feed(CSI "44m");
    expect_colors(ANSI_COLOR_BLUE + ANSI_BRIGHT, ANSI_COLOR_BLUE);  /* background unaffected */
    feed(CSI "22m");
    expect_colors(ANSI_COLOR_BLUE + ANSI_BRIGHT, ANSI_COLOR_BLUE);  /* 94 is bright by itself */
    feed(CSI "34m");
    expect_colors(ANSI_COLOR_BLUE, ANSI_COLOR_BLUE);
}

static void test_sgr_reverse(void **state)
{
    (void)state;
    feed(CSI "31;42m");
    feed(CSI "7m");
    expect_colors(ANSI_COLOR_GREEN, ANSI_COLOR_RED);
    feed(CSI "1m");                                 /* bold brightens the (now background) fg */
    expect_colors(ANSI_COLOR_GREEN, ANSI_COLOR_RED + ANSI_BRIGHT);
    feed(CSI "27m");
    expect_colors(ANSI_COLOR_RED + ANSI_BRIGHT, ANSI_COLOR_GREEN);
    feed(CSI "7;7m");
    feed(CSI "27m");
    expect_colors(ANSI_COLOR_RED + ANSI_BRIGHT, ANSI_COLOR_GREEN);
}

static void test_sgr_extended(void **state)
{
    (void)state;
    feed(CSI "38;5;9m");
    expect_colors(9, DEF_BG);
    feed(CSI "48;5;14m");
    expect_colors(9, 14);
    feed(CSI "38;5;200m");                          /* n >= 16: not honoured */
    expect_colors(9, 14);
    feed(CSI "38;5;16;31m");                        /* ... and the rest still applies */
    expect_colors(ANSI_COLOR_RED, 14);
    feed(CSI "0m");
    feed(CSI "38;2;10;20;30;32m");                  /* true colour skipped, 32 applied */
    expect_colors(ANSI_COLOR_GREEN, DEF_BG);
    feed(CSI "48;2;1;2;3;44m");
    expect_colors(ANSI_COLOR_GREEN, ANSI_COLOR_BLUE);
    feed(CSI "0m");
    feed(CSI "38;5m");                              /* cut short: ignored */
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "38m");
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "38;2m");
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "1;38;9;1;31m");                       /* unknown format: the rest is ignored */
    expect_colors(DEF_FG + ANSI_BRIGHT, DEF_BG);
}

static void test_sgr_other_codes(void **state)
{
    (void)state;
    feed(CSI "31m");
    struct run r = feed(CSI "3;4;5;9;21;53;60;99;108;9999m");
    assert_int_equal(r.sgr, 1);
    expect_colors(ANSI_COLOR_RED, DEF_BG);
    r = feed(CSI "4;32m" "x");
    assert_string_equal(r.printed, "x");
    assert_int_equal(r.last.fg, ANSI_COLOR_GREEN);
}

static void test_sgr_max_params(void **state)
{
    (void)state;
    /* exactly ANSI_MAX_PARAMS parameters are kept */
    struct run r = feed(CSI "0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;31m");
    assert_int_equal(r.sgr, 1);
    expect_colors(ANSI_COLOR_RED, DEF_BG);
    /* one more: the sequence is abandoned up to its final byte */
    r = feed(CSI "0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;32mz");
    assert_int_equal(r.sgr, 0);
    assert_string_equal(r.printed, "z");
    expect_colors(ANSI_COLOR_RED, DEF_BG);
}

/* ---- clear and cursor ------------------------------------------------------ */

static void test_clear(void **state)
{
    (void)state;
    struct run r = feed(CSI "2J");
    assert_int_equal(r.clear, 1);
    assert_int_equal(r.last.type, ANSI_EV_CLEAR);
    r = feed(CSI "3J");
    assert_int_equal(r.clear, 1);
    feed(CSI "44m");
    r = feed(CSI "2J");
    assert_int_equal(r.last.bg, ANSI_COLOR_BLUE);   /* erase in the current background */
    /* other erase modes are swallowed */
    r = feed(CSI "J" CSI "0J" CSI "1J" CSI "4J" CSI "K" CSI "2K");
    assert_false(r.any);
}

static void test_cursor(void **state)
{
    (void)state;
    struct run r = feed(CSI "H");
    assert_int_equal(r.cursor, 1);
    assert_int_equal(r.last.type, ANSI_EV_CURSOR);
    assert_int_equal(r.last.row, 0);
    assert_int_equal(r.last.col, 0);
    r = feed(CSI "5;10H");
    assert_int_equal(r.last.row, 4);
    assert_int_equal(r.last.col, 9);
    r = feed(CSI "7;3f");
    assert_int_equal(r.last.row, 6);
    assert_int_equal(r.last.col, 2);
    r = feed(CSI ";5H");
    assert_int_equal(r.last.row, 0);
    assert_int_equal(r.last.col, 4);
    r = feed(CSI "12H");
    assert_int_equal(r.last.row, 11);
    assert_int_equal(r.last.col, 0);
    r = feed(CSI "0;0H");
    assert_int_equal(r.last.row, 0);
    assert_int_equal(r.last.col, 0);
    r = feed(CSI "1;1;9H");                         /* extra parameters ignored */
    assert_int_equal(r.last.row, 0);
    assert_int_equal(r.last.col, 0);
    /* unclamped, but saturated at ANSI_PARAM_MAX */
    r = feed(CSI "200;300H");
    assert_int_equal(r.last.row, 199);
    assert_int_equal(r.last.col, 299);
    r = feed(CSI "99999999;0000000000012H");
    assert_int_equal(r.last.row, ANSI_PARAM_MAX - 1);
    assert_int_equal(r.last.col, 11);
}

/* ---- swallowed sequences ---------------------------------------------------- */

static void test_swallowed(void **state)
{
    (void)state;
    static const char *const seqs[] = {
        CSI "?25l", CSI "?25h", CSI "?1049h", CSI ">c", CSI "=1m", CSI "1 q",
        CSI "38:5:1m",                          /* ':' sub-parameters */
        CSI "A", CSI "10B", CSI "s", CSI "u", CSI "6n", CSI "1;2r", CSI "@", CSI "~",
        ESC "c", ESC "7", ESC "8", ESC "M", ESC "=", ESC "(B", ESC ")0", ESC "#8", ESC "%G",
        ESC "]0;window title\x07", ESC "]8;;http://x\x1b\\", ESC "P1$r\x1b\\", ESC "X sos \x07",
        ESC "^pm\x07", ESC "_apc\x1b\\", ESC "]" "\x80\xff" "\x07",
    };
    feed(CSI "33m");
    for (size_t i = 0; i < ARRAY_SIZE(seqs); i++) {
        struct run r = feed(seqs[i]);
        if (r.any)
            fail_msg("sequence %zu (\\e%s) produced event %d", i, seqs[i] + 1, r.last.type);
        /* and the parser is back in the ground state */
        r = feed("z");
        if (r.nprinted != 1 || r.printed[0] != 'z')
            fail_msg("sequence %zu (\\e%s) was not finished", i, seqs[i] + 1);
        expect_colors(ANSI_COLOR_YELLOW, DEF_BG);
    }
}

static void test_long_sequence(void **state)
{
    (void)state;
    char seq[200];
    /* ANSI_MAX_SEQ bytes after ESC [ are fine (final byte included) */
    size_t n = 0;
    n += (size_t)sprintf(seq + n, CSI);
    for (int i = 0; i < ANSI_MAX_SEQ - 3; i++)
        seq[n++] = '0';
    n += (size_t)sprintf(seq + n, "31m");
    struct run r = feed(seq);
    assert_int_equal(r.sgr, 1);
    expect_colors(ANSI_COLOR_RED, DEF_BG);

    /* longer: abandoned, the rest swallowed up to the final byte */
    n = 0;
    n += (size_t)sprintf(seq + n, CSI);
    for (int i = 0; i < ANSI_MAX_SEQ + 20; i++)
        seq[n++] = '1';
    n += (size_t)sprintf(seq + n, "32mok");
    r = feed(seq);
    assert_int_equal(r.sgr, 0);
    assert_string_equal(r.printed, "ok");
    expect_colors(ANSI_COLOR_RED, DEF_BG);

    /* the final byte arriving exactly when the limit is passed ends it too */
    n = 0;
    n += (size_t)sprintf(seq + n, CSI);
    for (int i = 0; i < ANSI_MAX_SEQ; i++)
        seq[n++] = '0';
    n += (size_t)sprintf(seq + n, "mok");
    r = feed(seq);
    assert_int_equal(r.sgr, 0);
    assert_string_equal(r.printed, "ok");
}

static void test_param_saturation(void **state)
{
    (void)state;
    /* a huge parameter saturates; 30 + something is not a colour */
    struct run r = feed(CSI "99999999999999999999999999999999m");
    assert_int_equal(r.sgr, 1);
    expect_colors(DEF_FG, DEF_BG);
    feed(CSI "000000000000000000000000000031m");   /* leading zeros are still 31 */
    expect_colors(ANSI_COLOR_RED, DEF_BG);
}

/* ---- aborts ---------------------------------------------------------------- */

static void test_c0_aborts_sequence(void **state)
{
    (void)state;
    struct run r = feed(CSI "3\n1mX");
    assert_string_equal(r.controls, "\n");
    assert_string_equal(r.printed, "1mX");           /* the rest is plain text */
    expect_colors(DEF_FG, DEF_BG);
    r = feed(ESC "\rA");
    assert_string_equal(r.controls, "\r");
    assert_string_equal(r.printed, "A");
    r = feed(ESC "(\tB");
    assert_string_equal(r.controls, "\t");
    assert_string_equal(r.printed, "B");
    r = feed(ESC "]title\nC");                       /* '\n' ends a control string too */
    assert_string_equal(r.controls, "\n");
    assert_string_equal(r.printed, "C");
    r = feed(CSI "?25\bD");
    assert_string_equal(r.controls, "\b");
    assert_string_equal(r.printed, "D");
    /* a swallowed C0 control aborts the sequence as well */
    r = feed(CSI "3\x01" "1mE");
    assert_string_equal(r.printed, "1mE");
    assert_int_equal(r.sgr, 0);
}

static void test_esc_restarts(void **state)
{
    (void)state;
    struct run r = feed(CSI "3" CSI "31mX");
    assert_int_equal(r.sgr, 1);
    assert_string_equal(r.printed, "X");
    expect_colors(ANSI_COLOR_RED, DEF_BG);
    r = feed(ESC ESC ESC "[32mY");
    assert_int_equal(r.sgr, 1);
    assert_string_equal(r.printed, "Y");
    expect_colors(ANSI_COLOR_GREEN, DEF_BG);
    r = feed(ESC "]0;abc" CSI "33mZ");               /* ESC ends a string, starts anew */
    assert_string_equal(r.printed, "Z");
    expect_colors(ANSI_COLOR_YELLOW, DEF_BG);
    r = feed(ESC "(" CSI "34m");
    expect_colors(ANSI_COLOR_BLUE, DEF_BG);
}

static void test_high_byte_aborts_csi(void **state)
{
    (void)state;
    struct run r = feed(CSI "3\xc3" "1m");
    assert_int_equal(r.nprinted, 3);
    assert_memory_equal(r.printed, "\xc3" "1m", 3);
    assert_int_equal(r.sgr, 0);
    r = feed(ESC "\xe2");                            /* after a lone ESC too */
    assert_int_equal(r.nprinted, 1);
    assert_int_equal((unsigned char)r.printed[0], 0xe2);
    r = feed(ESC "(\x90" "x");
    assert_memory_equal(r.printed, "\x90x", 2);
    feed(CSI "0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0;0");   /* abandoned CSI ... */
    r = feed("\xa0" "x");                           /* ... is aborted by one too */
    assert_memory_equal(r.printed, "\xa0x", 2);
}

static void test_split_feeding(void **state)
{
    (void)state;
    /* a sequence split across calls behaves the same as in one piece */
    const char *text = "a" CSI "1;31mb" CSI "2J" CSI "3;4Hc\n";
    struct run whole = feed(text);
    ansi_init(&st, DEF_FG, DEF_BG);
    struct run parts;
    memset(&parts, 0, sizeof(parts));
    for (const char *p = text; *p; p++) {
        struct run one = feed_n(p, 1);
        memcpy(parts.printed + parts.nprinted, one.printed, one.nprinted);
        parts.nprinted += one.nprinted;
        parts.sgr += one.sgr;
        parts.clear += one.clear;
        parts.cursor += one.cursor;
        parts.ncontrols += one.ncontrols;
    }
    assert_int_equal(parts.nprinted, whole.nprinted);
    assert_memory_equal(parts.printed, whole.printed, whole.nprinted);
    assert_int_equal(parts.sgr, 1);
    assert_int_equal(parts.clear, 1);
    assert_int_equal(parts.cursor, 1);
    assert_int_equal(parts.ncontrols, 1);
}

static void test_random_bytes(void **state)
{
    (void)state;
    /* any byte soup: no crash, every event well-formed (checked in feed_n) */
    unsigned seed = 12345;
    char buf[4096];
    for (int round = 0; round < 64; round++) {
        for (size_t i = 0; i < sizeof(buf); i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned x = seed >> 16;
            /* bias towards the interesting bytes */
            static const char hot[] = "\x1b[;0123456789mHJ?]\x07\\:\n";
            buf[i] = (x & 1) ? hot[(x >> 1) % (sizeof(hot) - 1)] : (char)(x >> 8);
        }
        feed_n(buf, sizeof(buf));
        /* and "ESC c" -like garbage never leaves the parser stuck */
        struct run r = feed("\n" "\x1b" "[0m" "k");
        assert_int_equal(r.nprinted, 1);
        expect_colors(DEF_FG, DEF_BG);
    }
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_init),
        T(test_plain_text),
        T(test_controls),
        T(test_sgr_basic_colors),
        T(test_sgr_defaults_and_reset),
        T(test_sgr_bold),
        T(test_sgr_reverse),
        T(test_sgr_extended),
        T(test_sgr_other_codes),
        T(test_sgr_max_params),
        T(test_clear),
        T(test_cursor),
        T(test_swallowed),
        T(test_long_sequence),
        T(test_param_saturation),
        T(test_c0_aborts_sequence),
        T(test_esc_restarts),
        T(test_high_byte_aborts_csi),
        T(test_split_feeding),
        T(test_random_bytes),
    };
    return cmocka_run_group_tests_name("dev/ansi", tests, NULL, NULL);
}
