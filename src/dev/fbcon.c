/*
 * src/dev/fbcon.c - the framebuffer text console (UEFI boot).
 *
 * Part of dev; see include/dev/fbcon.h. The framebuffer is reached through
 * the boot direct map. The 16 palette colours are turned into pixel values
 * once, from the loader's channel positions and sizes; glyphs are drawn a
 * row at a time from dev/font, writing whole pixels; scrolling moves pixel
 * rows with memmove and clears the last text row. Escape sequences are
 * decoded by dev/ansi. The cursor may sit one past the last column
 * ("pending wrap") so that a full line followed by '\n' does not leave an
 * empty line. The cursor is an underline drawn by XOR at the end of each
 * write and removed (XOR again) at the start of the next.
 */
#include <dev/fbcon.h>
#include <dev/ansi.h>
#include <dev/textgrid.h>
#include <dev/font.h>
#include <core/console.h>
#include <core/errno.h>
#include <core/string.h>
#include <mm/layout.h>
#include <mm/vmm.h>

#define FB_MAX_DIM          16384       /* pixels; anything larger is absurd */
#define CURSOR_HEIGHT       2           /* pixel rows of the underline */

/* The standard VGA palette, in ANSI order (see dev/ansi.h). */
static const uint8_t vga_rgb[16][3] = {
    {0x00, 0x00, 0x00}, {0xAA, 0x00, 0x00}, {0x00, 0xAA, 0x00}, {0xAA, 0x55, 0x00},
    {0x00, 0x00, 0xAA}, {0xAA, 0x00, 0xAA}, {0x00, 0xAA, 0xAA}, {0xAA, 0xAA, 0xAA},
    {0x55, 0x55, 0x55}, {0xFF, 0x55, 0x55}, {0x55, 0xFF, 0x55}, {0xFF, 0xFF, 0x55},
    {0x55, 0x55, 0xFF}, {0xFF, 0x55, 0xFF}, {0x55, 0xFF, 0xFF}, {0xFF, 0xFF, 0xFF},
};

static struct fbcon {
    uint8_t *base;              /* pixel (x, y) at base + y * pitch + x * bpp */
    size_t pitch;               /* bytes per pixel row */
    unsigned width, height;     /* pixels */
    unsigned bytespp;           /* 2, 3 or 4 */
    unsigned cols, rows;        /* character cells */
    uint32_t palette[16];       /* pixel values of the ANSI colours */
    uint32_t fg, bg;            /* current pixel values */
    uint32_t cursor_xor;        /* every colour bit set */
    bool cursor_shown;
    struct textgrid grid;       /* cursor, wrapping, escapes (dev/textgrid) */
} fbc;

/* An 8-bit intensity scaled to a size-bit channel at bit pos. */
static uint32_t channel(uint8_t v8, uint8_t pos, uint8_t size)
{
    uint32_t v;

    if (size <= 8)
        v = (uint32_t)v8 >> (8 - size);
    else
        v = (uint32_t)v8 << (size - 8) | (uint32_t)v8 >> (16 - size);
    return v << pos;
}

static uint32_t rgb_pixel(const struct boot_framebuffer *fb, uint8_t r, uint8_t g, uint8_t b)
{
    return channel(r, fb->red_pos, fb->red_size) |
           channel(g, fb->green_pos, fb->green_size) |
           channel(b, fb->blue_pos, fb->blue_size);
}

static uint8_t *pixel_addr(unsigned x, unsigned y)
{
    return fbc.base + (size_t)y * fbc.pitch + (size_t)x * fbc.bytespp;
}

/* Writes n pixels of value v starting at p. */
static void fill_pixels(uint8_t *p, unsigned n, uint32_t v)
{
    switch (fbc.bytespp) {
    case 4: {
        uint32_t *q = (uint32_t *)(void *)p;
        for (unsigned i = 0; i < n; i++)
            q[i] = v;
        break;
    }
    case 3:
        for (unsigned i = 0; i < n; i++, p += 3) {
            p[0] = (uint8_t)v;
            p[1] = (uint8_t)(v >> 8);
            p[2] = (uint8_t)(v >> 16);
        }
        break;
    default: {
        uint16_t *q = (uint16_t *)(void *)p;
        for (unsigned i = 0; i < n; i++)
            q[i] = (uint16_t)v;
        break;
    }
    }
}

/* Sets pixel rows y0..y0+n-1 (the full width) to v. */
static void fill_rows(unsigned y0, unsigned n, uint32_t v)
{
    size_t row_bytes = (size_t)fbc.width * fbc.bytespp;

    for (unsigned y = y0; y < y0 + n; y++) {
        if (v == 0)
            memset(pixel_addr(0, y), 0, row_bytes);
        else
            fill_pixels(pixel_addr(0, y), fbc.width, v);
    }
}

static void clear_screen(void)
{
    fill_rows(0, fbc.height, fbc.bg);
}

/* Draws byte c (a Latin-1 code point) in cell (row, col). */
static void draw_glyph(unsigned row, unsigned col, uint8_t c)
{
    const uint8_t *g = font_glyphs + (size_t)c * font_glyph_bytes;
    uint8_t *line = pixel_addr(col * font_width, row * font_height);
    uint32_t fg = fbc.fg, bg = fbc.bg;

    for (unsigned y = 0; y < font_height; y++, line += fbc.pitch, g += font_row_bytes) {
        uint32_t bits = 0;      /* this glyph row, leftmost pixel in bit 31 */

        for (unsigned i = 0; i < font_row_bytes; i++)
            bits |= (uint32_t)g[i] << (24 - 8 * i);

        switch (fbc.bytespp) {
        case 4: {
            uint32_t *p = (uint32_t *)(void *)line;
            for (unsigned x = 0; x < font_width; x++, bits <<= 1)
                p[x] = (bits & 0x80000000u) ? fg : bg;
            break;
        }
        case 3: {
            uint8_t *p = line;
            for (unsigned x = 0; x < font_width; x++, bits <<= 1, p += 3) {
                uint32_t v = (bits & 0x80000000u) ? fg : bg;
                p[0] = (uint8_t)v;
                p[1] = (uint8_t)(v >> 8);
                p[2] = (uint8_t)(v >> 16);
            }
            break;
        }
        default: {
            uint16_t *p = (uint16_t *)(void *)line;
            for (unsigned x = 0; x < font_width; x++, bits <<= 1)
                p[x] = (uint16_t)((bits & 0x80000000u) ? fg : bg);
            break;
        }
        }
    }
}

/* Inverts the underline of the cursor's cell; doing it twice restores it. */
static void toggle_cursor(void)
{
    unsigned col = textgrid_cursor_col(&fbc.grid);
    unsigned h = MIN((unsigned)CURSOR_HEIGHT, font_height);
    unsigned y0 = (fbc.grid.row + 1) * font_height - h;
    uint32_t m = fbc.cursor_xor;

    for (unsigned y = y0; y < y0 + h; y++) {
        uint8_t *p = pixel_addr(col * font_width, y);

        for (unsigned x = 0; x < font_width; x++, p += fbc.bytespp) {
            switch (fbc.bytespp) {
            case 4:
                *(uint32_t *)(void *)p ^= m;
                break;
            case 3:
                p[0] ^= (uint8_t)m;
                p[1] ^= (uint8_t)(m >> 8);
                p[2] ^= (uint8_t)(m >> 16);
                break;
            default:
                *(uint16_t *)(void *)p ^= (uint16_t)m;
                break;
            }
        }
    }
    fbc.cursor_shown = !fbc.cursor_shown;
}

static void hide_cursor(void)
{
    if (fbc.cursor_shown)
        toggle_cursor();
}

static void show_cursor(void)
{
    if (!fbc.cursor_shown)
        toggle_cursor();
}

static void scroll_up(void)
{
    size_t text_row = (size_t)font_height * fbc.pitch;

    memmove(fbc.base, fbc.base + text_row, (size_t)(fbc.rows - 1) * text_row);
    fill_rows((fbc.rows - 1) * font_height, font_height, fbc.bg);
}

static void grid_put(void *ctx, unsigned row, unsigned col, uint8_t c)
{
    (void)ctx;
    draw_glyph(row, col, c);
}

static void grid_scroll(void *ctx)
{
    (void)ctx;
    scroll_up();
}

static void grid_clear(void *ctx)
{
    (void)ctx;
    clear_screen();
}

static void grid_colours(void *ctx, uint8_t fg, uint8_t bg)
{
    (void)ctx;
    fbc.fg = fbc.palette[fg & 15];
    fbc.bg = fbc.palette[bg & 15];
}

static const struct textgrid_ops fb_grid_ops = {
    .put = grid_put, .scroll = grid_scroll, .clear = grid_clear, .colours = grid_colours,
};

static void fb_write(struct console *con, const char *s, size_t n)
{
    (void)con;
    hide_cursor();
    textgrid_write(&fbc.grid, s, n);
    show_cursor();
}

static void fb_clear(struct console *con)
{
    (void)con;
    fbc.cursor_shown = false;           /* wiped with everything else */
    textgrid_clear(&fbc.grid);
    show_cursor();
}

static struct console fb_console = {
    .name = "fb",
    .write = fb_write,
    .clear = fb_clear,
    .screen = true,
};

void fbcon_size(unsigned *cols, unsigned *rows)
{
    *cols = fbc.base ? fbc.cols : 0;
    *rows = fbc.base ? fbc.rows : 0;
}

static uint32_t read_pixel(const uint8_t *p)
{
    switch (fbc.bytespp) {
    case 4:
        return *(const volatile uint32_t *)(const void *)p;
    case 3: {
        const volatile uint8_t *q = p;
        return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16;
    }
    default:
        return *(const volatile uint16_t *)(const void *)p;
    }
}

int fbcon_cell_mismatches(unsigned row, unsigned col, uint8_t ch, uint8_t fg, uint8_t bg)
{
    const uint8_t *g = font_glyphs + (size_t)ch * font_glyph_bytes;
    uint32_t fgv, bgv;
    int bad = 0;

    if (!fbc.base || row >= fbc.rows || col >= fbc.cols)
        return -1;
    fgv = fbc.palette[fg & 15];
    bgv = fbc.palette[bg & 15];
    /* the mapping is write-combining: drain pending writes before reading */
    __asm__ __volatile__("mfence" ::: "memory");
    for (unsigned y = 0; y < font_height; y++, g += font_row_bytes) {
        const uint8_t *line = pixel_addr(col * font_width, row * font_height + y);
        uint32_t bits = 0;

        for (unsigned i = 0; i < font_row_bytes; i++)
            bits |= (uint32_t)g[i] << (24 - 8 * i);
        for (unsigned x = 0; x < font_width; x++, bits <<= 1, line += fbc.bytespp)
            if (read_pixel(line) != ((bits & 0x80000000u) ? fgv : bgv))
                bad++;
    }
    return bad;
}

/* A colour channel must be non-empty and lie inside the pixel. */
static bool channel_ok(uint8_t pos, uint8_t size, unsigned bpp)
{
    return size >= 1 && size <= 16 && (unsigned)pos + size <= bpp;
}

int fbcon_init(const struct boot_framebuffer *fb)
{
    static bool registered;
    unsigned bytespp;

    if (registered)
        return -EBUSY;
    if (!fb || fb->type != BOOT_FB_RGB)
        return -ENODEV;

    switch (fb->bpp) {
    case 15:
    case 16:
        bytespp = 2;
        break;
    case 24:
        bytespp = 3;
        break;
    case 32:
        bytespp = 4;
        break;
    default:
        return -ERANGE;
    }
    if (fb->width == 0 || fb->height == 0 ||
        fb->width > FB_MAX_DIM || fb->height > FB_MAX_DIM ||
        fb->pitch < (uint64_t)fb->width * bytespp ||
        (bytespp != 3 && (fb->addr % bytespp != 0 || fb->pitch % bytespp != 0)) ||
        fb->addr >= PHYS_ADDR_LIMIT ||
        (uint64_t)fb->pitch * fb->height > PHYS_ADDR_LIMIT - fb->addr)
        return -ERANGE;
    if (!channel_ok(fb->red_pos, fb->red_size, fb->bpp) ||
        !channel_ok(fb->green_pos, fb->green_size, fb->bpp) ||
        !channel_ok(fb->blue_pos, fb->blue_size, fb->bpp))
        return -ERANGE;
    if (fb->width / font_width == 0 || fb->height / font_height == 0)
        return -ERANGE;

    /* write-combining: a framebuffer is written in bursts and never read back by the CPU */
    fbc.base = vmm_ioremap(fb->addr, (size_t)fb->pitch * fb->height, VMM_WRITE | VMM_WC);
    if (!fbc.base)
        return -ENOMEM;
    fbc.pitch = fb->pitch;
    fbc.width = fb->width;
    fbc.height = fb->height;
    fbc.bytespp = bytespp;
    fbc.cols = fb->width / font_width;
    fbc.rows = fb->height / font_height;
    for (unsigned i = 0; i < ARRAY_SIZE(vga_rgb); i++)
        fbc.palette[i] = rgb_pixel(fb, vga_rgb[i][0], vga_rgb[i][1], vga_rgb[i][2]);
    fbc.cursor_xor = rgb_pixel(fb, 0xFF, 0xFF, 0xFF);
    textgrid_init(&fbc.grid, fbc.cols, fbc.rows, ANSI_COLOR_WHITE, ANSI_COLOR_BLACK,
                  &fb_grid_ops, NULL);

    fb_clear(&fb_console);
    console_register(&fb_console);
    registered = true;
    return 0;
}
