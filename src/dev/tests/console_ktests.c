/*
 * src/dev/tests/console_ktests.c - in-kernel tests of the screen consoles.
 *
 * Part of dev's ktests. The screen console that boot set up for this
 * firmware (step_screen in core/main.c: "fb" for an RGB framebuffer, as
 * under UEFI, else "vga") must be registered and must really draw: text is
 * written through the console's write, exactly as printk does, and read
 * back from the screen (vgatext_cell_at, fbcon_cell_mismatches): characters,
 * the 16 colours from SGR escapes, clearing, cursor moves and scrolling.
 * Only one of the two consoles exists in a given boot; the same tests check
 * whichever it is. A UEFI boot whose loader handed over no framebuffer
 * (GRUB without a video driver, a headless machine) has neither: there the
 * console.screen_* tests skip, on the boot information's word (never
 * because a console failed to come up, which fails them). The ANSI parser
 * itself is tested on the host (test/unit/test_ansi.c).
 *
 * The console.fb_* tests are the framebuffer console's own (they skip
 * where the loader gave no RGB framebuffer, as under BIOS): the
 * framebuffer must equal fbcon's shadow buffer after every write (drawing,
 * overwriting, clearing and scrolling in colour), a scroll must move the
 * framebuffer's pixel rows up by exactly one text row, the 16 colours must
 * be the VGA palette's pixels in the loader's pixel format, and drawing
 * straight on the framebuffer (the fallback without a shadow) must work
 * too. The ctest entries console.uefi.* run them at 16, 24 and 32 bits per
 * pixel.
 *
 * The tests scribble on the screen and leave it cleared, in the default
 * colours, with the cursor at the top left. They call the console's write
 * directly, as printk does. They run in kmain's thread with interrupts on,
 * so a line another thread prints meanwhile would reach the screen as well.
 */
#include <core/console.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/multiboot2.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/string.h>
#include <dev/ansi.h>
#include <dev/fbcon.h>
#include <dev/font.h>
#include <dev/vgatext.h>
#include <mm/kmalloc.h>

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
/* Skips the running test when this boot has no screen to test (see the header). */
static void skip_without_screen(void)
{
    const struct boot_info *bi = mb2_boot_info();

    if (bi->efi && !bi->has_framebuffer)
        KT_SKIP("no framebuffer: the UEFI loader handed over none, so no screen console");
}

static void get_screen(struct screen *s)
{
    const struct boot_info *bi = mb2_boot_info();

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
        skip_without_screen();                                                  \
        get_screen(s);                                                          \
        KT_ASSERT_NOT_NULL((s)->con);                                           \
        KT_ASSERT_GE((s)->cols, 16u);                                           \
        KT_ASSERT_GE((s)->rows, 4u);                                            \
    } while (0)

KTEST(console, screen_console_registered)
{
    struct screen s;

    skip_without_screen();
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

/* Every one of the 16 colours, as foreground (30-37, 90-97, bold 30-37) and background (40-47, 100-107). */
KTEST(console, screen_shows_16_colours)
{
    struct screen s;
    char buf[32];

    GET_SCREEN(&s);
    reset(&s);
    for (unsigned i = 0; i < 16; i++) {
        snprintf(buf, sizeof(buf), "\033[%u;%um%c", i < 8 ? 30 + i : 90 + i - 8,
                 i < 8 ? 40 + (7 - i) : 100 + (15 - i), 'a' + i);
        put(&s, buf);
    }
    put(&s, ANSI_RESET "\n");
    for (unsigned i = 0; i < 8; i++) {
        snprintf(buf, sizeof(buf), "\033[1;%umB", 30 + i);
        put(&s, buf);
    }
    put(&s, ANSI_RESET "\033[38;5;13m\033[48;5;9mx" ANSI_RESET);
    for (unsigned i = 0; i < 16; i++)
        EXPECT_CELL(&s, 0, i, (char)('a' + i), (uint8_t)i, (uint8_t)(i < 8 ? 7 - i : 23 - i));
    for (unsigned i = 0; i < 8; i++)
        EXPECT_CELL(&s, 1, i, 'B', (uint8_t)(i + ANSI_BRIGHT), BLACK);
    EXPECT_CELL(&s, 1, 8, 'x', ANSI_COLOR_MAGENTA + ANSI_BRIGHT, RED + ANSI_BRIGHT);
    reset(&s);
}

/* ---- the framebuffer console's own ------------------------------------------------ */

/* The VGA palette the framebuffer must show, in ANSI order, as 0xRRGGBB. */
static const uint32_t vga_palette[16] = {
    0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
    0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};

struct fb_test {
    struct screen s;
    const struct boot_framebuffer *fb;
    unsigned bytespp;
    size_t line_bytes;          /* one pixel line as fbcon_read_line gives it */
};

/* Skips the test unless this boot's screen is an RGB framebuffer. */
static void fb_test_setup(struct fb_test *t)
{
    const struct boot_info *bi = mb2_boot_info();

    if (!bi->has_framebuffer)
        KT_SKIP("no framebuffer from the loader");
    if (bi->fb.type != BOOT_FB_RGB)
        KT_SKIP("the loader's framebuffer is not RGB (type %u: VGA text or indexed)",
                (unsigned)bi->fb.type);
    get_screen(&t->s);
    t->fb = &bi->fb;
    t->bytespp = (t->fb->bpp + 7u) / 8u;
    t->line_bytes = (size_t)t->fb->width * t->bytespp;
}

#define FB_TEST_SETUP(t)                                                        \
    do {                                                                        \
        fb_test_setup(t);                                                       \
        KT_ASSERT_NOT_NULL((t)->s.con);                                         \
        KT_ASSERT_GE((t)->s.cols, 16u);                                         \
        KT_ASSERT_GE((t)->s.rows, 4u);                                          \
    } while (0)

/* Pixel lines [y, y + n) of the framebuffer, into a kmalloc'd buffer (NULL when out of memory). */
static uint8_t *fb_lines(const struct fb_test *t, unsigned y, unsigned n)
{
    uint8_t *buf = kmalloc(t->line_bytes * n);

    for (unsigned i = 0; buf && i < n; i++)
        if (fbcon_read_line(y + i, buf + i * t->line_bytes, t->line_bytes) !=
            (int)t->line_bytes) {
            kfree(buf);
            return NULL;
        }
    return buf;
}

/* Do the framebuffer's pixel lines of text row `row` hold exactly `want` (from fb_lines)? */
static bool fb_row_is(const struct fb_test *t, unsigned row, const uint8_t *want)
{
    uint8_t *now = fb_lines(t, row * font_height, font_height);
    bool same = now && memcmp(now, want, t->line_bytes * font_height) == 0;

    kfree(now);
    return same;
}

/* Pixel value of 0xRRGGBB in the loader's format (channels of at most 8 bits). */
static uint32_t fb_rgb(const struct boot_framebuffer *fb, uint32_t rgb)
{
    return (rgb >> 16 & 0xff) >> (8 - fb->red_size) << fb->red_pos |
           (rgb >> 8 & 0xff) >> (8 - fb->green_size) << fb->green_pos |
           (rgb & 0xff) >> (8 - fb->blue_size) << fb->blue_pos;
}

/* The framebuffer's pixel in the middle of cell (row, col), above the cursor's underline. */
static uint32_t fb_cell_pixel(const struct fb_test *t, unsigned row, unsigned col)
{
    uint8_t *line = fb_lines(t, row * font_height + font_height / 4, 1);
    uint32_t v = 0;

    if (!line)
        return 0xdeadbeef;
    for (unsigned i = 0; i < t->bytespp; i++)
        v |= (uint32_t)line[(col * font_width + font_width / 2) * t->bytespp + i] << (8 * i);
    kfree(line);
    return v;
}

KTEST(console, fb_colours_are_the_vga_palette)
{
    struct fb_test t;
    char buf[32];

    FB_TEST_SETUP(&t);
    KT_ASSERT_LE(t.fb->red_size, 8u);
    KT_ASSERT_LE(t.fb->green_size, 8u);
    KT_ASSERT_LE(t.fb->blue_size, 8u);
    reset(&t.s);
    /* a reversed blank shows the foreground on every pixel, a plain one the background */
    for (unsigned i = 0; i < 16; i++) {
        snprintf(buf, sizeof(buf), "\033[%u;7m \033[0;%um ", i < 8 ? 30 + i : 90 + i - 8,
                 i < 8 ? 40 + i : 100 + i - 8);
        put(&t.s, buf);
    }
    put(&t.s, ANSI_RESET);
    for (unsigned i = 0; i < 16; i++) {
        KT_EXPECT_EQ(fb_cell_pixel(&t, 0, 2 * i), fb_rgb(t.fb, vga_palette[i]));
        KT_EXPECT_EQ(fb_cell_pixel(&t, 0, 2 * i + 1), fb_rgb(t.fb, vga_palette[i]));
    }
    reset(&t.s);
}

/* After every write the framebuffer equals the shadow, whatever the write did. */
KTEST(console, fb_framebuffer_matches_shadow)
{
    static const char *const steps[] = {
        "plain text, then more",                                /* the default colours */
        "\r\033[31;43mred on yellow\033[0m",                    /* a background unlike the fill */
        "\n\tgjpqy|_^\b\bAB\rcover",                            /* tabs, backspaces, overwriting */
        "\033[3;20H\033[1;34mbold blue\033[0m at 3;20",
        "\033[2;9H--------",                                    /* fewer lines inked than gjpqy|AB */
        "\033[44m\033[2J\033[Hon blue\n\033[0mback in black",   /* clear in another colour */
        "\033[2J\033[H\033[0mcleared\n",
    };
    struct fb_test t;

    FB_TEST_SETUP(&t);
    KT_ASSERT_TRUE(fbcon_has_shadow());
    reset(&t.s);
    KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
    for (unsigned i = 0; i < ARRAY_SIZE(steps); i++) {
        put(&t.s, steps[i]);
        KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
    }
    EXPECT_CELL(&t.s, 0, 0, 'c', WHITE, BLACK);
    EXPECT_CELL(&t.s, 0, 7, ' ', WHITE, BLACK);

    /* typing at the bottom, a scroll in colour, and one write that scrolls several times */
    for (unsigned r = 0; r < t.s.rows + 2; r++) {
        char line[40];

        snprintf(line, sizeof(line), "\033[%um line %u\033[0m\n", 31 + r % 7, r);
        put(&t.s, line);
        KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
    }
    put(&t.s, "\033[41mred row\n\033[0m\n\n\nthree more\n");
    KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
    reset(&t.s);
    KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
}

/* Rows of distinct text; the cursor ends at the start of the last row. */
static void fill_rows(const struct fb_test *t)
{
    char line[48];

    reset(&t->s);
    for (unsigned r = 0; r + 1 < t->s.rows; r++) {
        snprintf(line, sizeof(line), "\033[%u;%umrow %u %s\033[0m\n", 31 + r % 7, 40 + r % 2, r,
                 r % 3 ? "gjpqy" : "ABC|_");
        put(&t->s, line);
    }
}

/* Scrolling moves the framebuffer's pixel rows up by exactly one text row per line fed. */
static void check_scroll(const struct fb_test *t)
{
    unsigned last = t->s.rows - 1;
    uint8_t *row1, *row3, *row_last;
    char move[24];

    fill_rows(t);
    put(&t->s, "\033[35mlast\033[0m");
    /* park the cursor's underline on row 2, which is not compared, for the copies */
    snprintf(move, sizeof(move), "\033[3;%uH", t->s.cols);
    put(&t->s, move);
    row1 = fb_lines(t, 1 * font_height, font_height);
    row3 = fb_lines(t, 3 * font_height, font_height);
    row_last = fb_lines(t, last * font_height, font_height);
    KT_ASSERT_NOT_NULL(row1);
    KT_ASSERT_NOT_NULL(row3);
    KT_ASSERT_NOT_NULL(row_last);
    snprintf(move, sizeof(move), "\033[%u;5H\n", t->s.rows);
    put(&t->s, move);
    KT_EXPECT_TRUE(fb_row_is(t, 0, row1));
    KT_EXPECT_TRUE(fb_row_is(t, last - 1, row_last));
    EXPECT_CELL(&t->s, last - 1, 0, 'l', ANSI_COLOR_MAGENTA, BLACK);
    for (unsigned c = 1; c < t->s.cols; c++)
        EXPECT_CELL(&t->s, last, c, ' ', WHITE, BLACK);
    /* two more in one write */
    put(&t->s, "\n\n");
    KT_EXPECT_TRUE(fb_row_is(t, 0, row3));
    KT_EXPECT_TRUE(fb_row_is(t, last - 3, row_last));
    kfree(row1);
    kfree(row3);
    kfree(row_last);
    reset(&t->s);
}

KTEST(console, fb_scroll_moves_pixel_rows)
{
    struct fb_test t;

    FB_TEST_SETUP(&t);
    check_scroll(&t);
    if (fbcon_has_shadow())
        KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
}

/* The last line of the log ring that contains what, into line (empty if none). */
static void last_log_line_with(const char *what, char *line, size_t size)
{
    size_t cap = 65536, n;
    char *ring = kmalloc(cap + 1), *hit = NULL, *end;

    line[0] = '\0';
    if (!ring)
        return;
    n = printk_ring_read(ring, cap);
    ring[n] = '\0';
    for (char *p = strstr(ring, what); p; p = strstr(p + 1, what))
        hit = p;
    if (hit) {
        end = strchr(hit, '\n');
        snprintf(line, size, "%.*s", (int)(end ? (size_t)(end - hit) : strlen(hit)), hit);
    }
    kfree(ring);
}

/* Without the shadow (as when it cannot be allocated) drawing goes straight to the framebuffer. */
KTEST(console, fb_draws_without_shadow)
{
    struct fb_test t;
    char warning[160];

    FB_TEST_SETUP(&t);
    KT_ASSERT_TRUE(fbcon_has_shadow());
    KT_ASSERT_EQ(fbcon_set_shadow(false), 0);
    KT_EXPECT_FALSE(fbcon_has_shadow());
    KT_EXPECT_EQ(fbcon_shadow_mismatches(), -ENODEV);
    last_log_line_with("fbcon: no shadow buffer", warning, sizeof(warning));
    KT_EXPECT_TRUE(strstr(warning, "turned off by fbcon_set_shadow") != NULL);
    KT_EXPECT_TRUE(strstr(warning, "drawing straight on the framebuffer") != NULL);

    reset(&t.s);
    put(&t.s, "AB" ANSI_RED "\033[44mCD" ANSI_RESET);
    EXPECT_CELL(&t.s, 0, 0, 'A', WHITE, BLACK);
    EXPECT_CELL(&t.s, 0, 3, 'D', RED, BLUE);
    check_scroll(&t);

    /* and back: the shadow again, in step with the framebuffer */
    KT_EXPECT_EQ(fbcon_set_shadow(true), 0);
    KT_ASSERT_TRUE(fbcon_has_shadow());
    put(&t.s, "shadow again\n");
    EXPECT_CELL(&t.s, 0, 0, 's', WHITE, BLACK);
    KT_EXPECT_EQ(fbcon_shadow_mismatches(), 0);
    reset(&t.s);
}
