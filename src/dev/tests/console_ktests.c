/*
 * src/dev/tests/console_ktests.c - in-kernel tests of the screen consoles.
 *
 * Part of dev's ktests. The screen console that boot set up for this
 * firmware (step_screen in core/main.c: "fb" for an RGB framebuffer, as
 * under UEFI, else "vga") must be registered and must really draw: text is
 * written through the console's write, exactly as printk does, and read
 * back from the screen (vgatext_cell_at, fbcon_cell_mismatches): characters,
 * colours from SGR escapes, clearing, cursor moves and scrolling. Only one
 * of the two consoles exists in a given boot; the same tests check
 * whichever it is. The ANSI parser itself is tested on the host
 * (test/unit/test_ansi.c).
 *
 * The tests scribble on the screen and leave it cleared, in the default
 * colours, with the cursor at the top left. They call the console's write
 * directly: tests run on the boot CPU with interrupts off, and printk
 * writes nothing while a test runs unless the test prints.
 */
#include <core/console.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/main.h>
#include <core/multiboot2.h>
#include <core/string.h>
#include <dev/ansi.h>
#include <dev/fbcon.h>
#include <dev/vgatext.h>

#define WHITE       ANSI_COLOR_WHITE
#define BLACK       ANSI_COLOR_BLACK
#define RED         ANSI_COLOR_RED
#define BLUE        ANSI_COLOR_BLUE
#define BRIGHT_GREEN (ANSI_COLOR_GREEN + ANSI_BRIGHT)

struct screen {
    struct console *con;
    bool is_fb;
    unsigned cols, rows;
};

/* VGA attribute colour numbers in ANSI order (as in dev/vgatext.c). */
static const uint8_t ansi_to_vga[16] = {
    0x0, 0x4, 0x2, 0x6, 0x1, 0x5, 0x3, 0x7, 0x8, 0xC, 0xA, 0xE, 0x9, 0xD, 0xB, 0xF,
};

static int vga_cell(char ch, uint8_t fg, uint8_t bg)
{
    return (int)((unsigned)(ansi_to_vga[bg] << 4 | ansi_to_vga[fg]) << 8 | (uint8_t)ch);
}

/* Does cell (row, col) show ch in ANSI colours fg on bg? */
#define EXPECT_CELL(s, row, col, ch, fg, bg)                                    \
    do {                                                                        \
        if ((s)->is_fb)                                                         \
            KT_EXPECT_EQ(fbcon_cell_mismatches(row, col, ch, fg, bg), 0);       \
        else                                                                    \
            KT_EXPECT_EQ(vgatext_cell_at(row, col), vga_cell(ch, fg, bg));      \
    } while (0)

/* The screen console boot must have registered for this firmware. */
static void get_screen(struct screen *s)
{
    const struct boot_info *bi = kmain_boot_info();

    s->is_fb = bi->has_framebuffer && bi->fb.type == BOOT_FB_RGB;
    s->con = console_find(s->is_fb ? "fb" : "vga");
    if (s->is_fb)
        fbcon_size(&s->cols, &s->rows);
    else
        vgatext_size(&s->cols, &s->rows);
}

static void put(const struct screen *s, const char *text)
{
    s->con->write(s->con, text, strlen(text));
}

/* Default colours, cleared, cursor home: how the tests start and end. */
static void reset(const struct screen *s)
{
    put(s, ANSI_RESET "\033[2J\033[H");
}

#define GET_SCREEN(s)                                                           \
    do {                                                                        \
        get_screen(s);                                                          \
        KT_ASSERT_NOT_NULL((s)->con);                                           \
        KT_ASSERT_GE((s)->cols, 16u);                                           \
        KT_ASSERT_GE((s)->rows, 4u);                                            \
    } while (0)

KTEST(console, screen_console_registered)
{
    struct screen s;

    get_screen(&s);
    /* exactly the one this firmware's framebuffer calls for */
    KT_EXPECT_TRUE(s.con != NULL);
    KT_EXPECT_TRUE(console_find(s.is_fb ? "vga" : "fb") == NULL);
    KT_EXPECT_GT(s.cols, 0u);
    KT_EXPECT_GT(s.rows, 0u);
}

KTEST(console, screen_draws_text_in_sgr_colours)
{
    struct screen s;

    GET_SCREEN(&s);
    /* a cell that is not blank now must be blank after clearing (the
       cursor sits on cell 0, 0 then) */
    put(&s, "\033[H##");
    reset(&s);
    EXPECT_CELL(&s, 0, 1, ' ', WHITE, BLACK);

    put(&s, "AB" ANSI_RED "\033[44mCD" ANSI_BOLD "\033[32;40mE" ANSI_RESET "F");
    EXPECT_CELL(&s, 0, 0, 'A', WHITE, BLACK);
    EXPECT_CELL(&s, 0, 1, 'B', WHITE, BLACK);
    EXPECT_CELL(&s, 0, 2, 'C', RED, BLUE);
    EXPECT_CELL(&s, 0, 3, 'D', RED, BLUE);
    EXPECT_CELL(&s, 0, 4, 'E', BRIGHT_GREEN, BLACK);
    EXPECT_CELL(&s, 0, 5, 'F', WHITE, BLACK);
    EXPECT_CELL(&s, 0, 7, ' ', WHITE, BLACK);      /* 6 holds the cursor */

    /* '\n', '\r' overwriting, a cursor move */
    put(&s, "\nxy\rz\033[3;5Hk");
    EXPECT_CELL(&s, 1, 0, 'z', WHITE, BLACK);
    EXPECT_CELL(&s, 1, 1, 'y', WHITE, BLACK);
    EXPECT_CELL(&s, 2, 4, 'k', WHITE, BLACK);
    EXPECT_CELL(&s, 2, 3, ' ', WHITE, BLACK);
    reset(&s);
}

KTEST(console, screen_scrolls_up_one_row)
{
    struct screen s;
    char buf[32];

    GET_SCREEN(&s);
    reset(&s);
    put(&s, "\033[2;1HQ" ANSI_RED "R" ANSI_RESET);
    snprintf(buf, sizeof(buf), "\033[%u;1HZ", s.rows);
    put(&s, buf);
    EXPECT_CELL(&s, 1, 0, 'Q', WHITE, BLACK);
    EXPECT_CELL(&s, s.rows - 1, 0, 'Z', WHITE, BLACK);
    EXPECT_CELL(&s, 0, 0, ' ', WHITE, BLACK);

    /* a newline on the last row moves everything up one row */
    put(&s, "\n");
    EXPECT_CELL(&s, 0, 0, 'Q', WHITE, BLACK);
    EXPECT_CELL(&s, 0, 1, 'R', RED, BLACK);
    EXPECT_CELL(&s, 1, 0, ' ', WHITE, BLACK);
    EXPECT_CELL(&s, s.rows - 2, 0, 'Z', WHITE, BLACK);
    EXPECT_CELL(&s, s.rows - 1, 1, ' ', WHITE, BLACK);     /* 0 holds the cursor */

    /* so does writing past the end of the last row */
    for (unsigned c = 0; c < s.cols; c++)
        put(&s, "w");
    put(&s, "v");
    EXPECT_CELL(&s, 0, 0, ' ', WHITE, BLACK);
    EXPECT_CELL(&s, s.rows - 3, 0, 'Z', WHITE, BLACK);
    EXPECT_CELL(&s, s.rows - 2, s.cols - 1, 'w', WHITE, BLACK);
    EXPECT_CELL(&s, s.rows - 1, 0, 'v', WHITE, BLACK);
    reset(&s);
}
