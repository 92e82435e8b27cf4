/*
 * test/unit/test_textgrid.c - host tests for src/dev/textgrid.c.
 *
 * Drives a small grid (8 x 3) whose drawing callbacks write into a char
 * array, and checks what the screen consoles rely on: printing, the
 * pending wrap (a full line then '\n' leaves no empty line), scrolling,
 * '\r', '\b', tabs, SGR colours reported to the console, clear, cursor
 * moves clamped to the screen.
 */
#include "unit.h"
#include <dev/textgrid.h>

#define COLS 8
#define ROWS 3

static char screen[ROWS][COLS + 1];
static uint8_t fg_now, bg_now;
static int scrolls, clears;
static struct textgrid g;

static void put(unsigned row, unsigned col, uint8_t c)
{
    assert_true(row < ROWS && col < COLS);
    screen[row][col] = (char)c;
}

static void scroll(void)
{
    memmove(screen[0], screen[1], sizeof(screen) - sizeof(screen[0]));
    memset(screen[ROWS - 1], '.', COLS);
    scrolls++;
}

static void clear(void)
{
    for (int r = 0; r < ROWS; r++)
        memset(screen[r], '.', COLS);
    clears++;
}

static void colours(uint8_t fg, uint8_t bg)
{
    fg_now = fg;
    bg_now = bg;
}

static const struct textgrid_ops ops = { put, scroll, clear, colours };

static int setup(void **state)
{
    (void)state;
    for (int r = 0; r < ROWS; r++) {
        memset(screen[r], '.', COLS);
        screen[r][COLS] = '\0';
    }
    scrolls = clears = 0;
    textgrid_init(&g, COLS, ROWS, ANSI_COLOR_WHITE, ANSI_COLOR_BLACK, &ops);
    return 0;
}

static void put_str(const char *s)
{
    textgrid_write(&g, s, strlen(s));
}

static void test_init_reports_colours(void **state)
{
    (void)state;
    assert_int_equal(fg_now, ANSI_COLOR_WHITE);
    assert_int_equal(bg_now, ANSI_COLOR_BLACK);
    assert_int_equal(g.row, 0);
    assert_int_equal(g.col, 0);
}

static void test_print_and_newline(void **state)
{
    (void)state;
    put_str("ab\ncd");
    assert_string_equal(screen[0], "ab......");
    assert_string_equal(screen[1], "cd......");
    assert_int_equal(g.row, 1);
    assert_int_equal(g.col, 2);
}

static void test_pending_wrap_leaves_no_empty_line(void **state)
{
    (void)state;
    put_str("12345678");            /* exactly one full line */
    assert_int_equal(g.col, COLS);  /* pending wrap, still on row 0 */
    assert_int_equal(textgrid_cursor_col(&g), COLS - 1);
    put_str("\nx");
    assert_string_equal(screen[1], "x.......");
    put_str("\r");
    put_str("12345678z");           /* the 9th character wraps */
    assert_string_equal(screen[2], "z.......");
}

static void test_scrolls_at_the_bottom(void **state)
{
    (void)state;
    put_str("a\nb\nc\nd");
    assert_int_equal(scrolls, 1);
    assert_string_equal(screen[0], "b.......");
    assert_string_equal(screen[2], "d.......");
    assert_int_equal(g.row, ROWS - 1);
}

static void test_carriage_return_backspace_tab(void **state)
{
    (void)state;
    put_str("abc\rX");
    assert_string_equal(screen[0], "Xbc.....");
    put_str("\b\bY");               /* '\b' stops at column 0 */
    assert_string_equal(screen[0], "Ybc.....");
    put_str("\r\t");
    assert_int_equal(g.col, COLS);  /* one tab stop per 8 columns: the edge, pending */
    put_str("T");                   /* wraps to the next line */
    assert_string_equal(screen[0], "Ybc.....");
    assert_string_equal(screen[1], "T.......");
    assert_int_equal(g.col, 1);
    put_str("\t");
    assert_int_equal(g.col, COLS);
}

static void test_sgr_clear_and_cursor_moves(void **state)
{
    (void)state;
    put_str("\x1b[31;44mab");
    assert_int_equal(fg_now, ANSI_COLOR_RED);
    assert_int_equal(bg_now, ANSI_COLOR_BLUE);
    put_str("\x1b[0m");
    assert_int_equal(fg_now, ANSI_COLOR_WHITE);
    put_str("\x1b[2J");
    assert_int_equal(clears, 1);
    assert_string_equal(screen[0], "........");
    put_str("\x1b[2;3Hq");          /* 1-based row;col */
    assert_string_equal(screen[1], "..q.....");
    put_str("\x1b[99;99Hz");        /* clamped to the last cell */
    assert_int_equal(screen[ROWS - 1][COLS - 1], 'z');
    textgrid_clear(&g);
    assert_int_equal(clears, 2);
    assert_int_equal(g.row, 0);
    assert_int_equal(g.col, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_reports_colours, setup),
        cmocka_unit_test_setup(test_print_and_newline, setup),
        cmocka_unit_test_setup(test_pending_wrap_leaves_no_empty_line, setup),
        cmocka_unit_test_setup(test_scrolls_at_the_bottom, setup),
        cmocka_unit_test_setup(test_carriage_return_backspace_tab, setup),
        cmocka_unit_test_setup(test_sgr_clear_and_cursor_moves, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
