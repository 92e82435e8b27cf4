/*
 * src/dev/fbcon.c - the framebuffer text console (UEFI boot).
 *
 * Part of dev; see include/dev/fbcon.h. dev/textgrid decides what goes
 * where (wrapping, controls, escapes, the 16 ANSI colours from dev/ansi);
 * this file draws it. The 16 palette colours are turned into pixel values
 * once, from the loader's channel positions and sizes.
 *
 * Drawing goes to a shadow of the text area in RAM, and each write ends by
 * copying what changed to the framebuffer, which is mapped write-combining
 * and never read back:
 *
 * - the shadow is a ring of text rows: scrolling moves the ring's top by
 *   one row and blanks the row that comes in at the bottom, so it costs
 *   one text row of RAM whatever the screen size, and several scrolls in
 *   one write cost one copy;
 * - each ring row records its fill colour and where else there may be
 *   ink: in how many cells from the left (its extent), on which pixel
 *   lines (from each glyph's ink lines, computed from the font once); each
 *   framebuffer row records the same of what it shows. After a scroll or a
 *   clear a row's copy covers only the cells and lines where the old and
 *   new contents can differ (the whole row when the fills differ);
 *   otherwise only what was drawn since the last copy;
 * - glyph rows are built two pixels per 64-bit store at 32 bits per
 *   pixel, four pixels per lookup in a table of patterns in the current
 *   colours at 16 and 24;
 * - the pixel lines below the last text row are cleared on the
 *   framebuffer itself, and only when their colour changes.
 *
 * If the shadow cannot be allocated, drawing goes straight to the
 * framebuffer, as it did before the shadow: correct, but scrolling and the
 * cursor then read the framebuffer back, which is slow on real hardware.
 *
 * The cursor is an underline inverted (XOR) at the end of each write and
 * restored (XOR again) at the start of the next.
 */
#include <dev/fbcon.h>
#include <dev/ansi.h>
#include <dev/textgrid.h>
#include <dev/font.h>
#include <core/console.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/layout.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>

#define FB_MAX_DIM          16384       /* pixels; anything larger is absurd */
#define CURSOR_HEIGHT       2           /* pixel rows of the underline */
#define PATTERN_PIXELS      4           /* glyph bits drawn per table lookup */
#define PATTERN_BYTESPP     3           /* the table serves 2 and 3 bytes per pixel */

/* The standard VGA palette, in ANSI order (see dev/ansi.h). */
static const uint8_t vga_rgb[16][3] = {
    {0x00, 0x00, 0x00}, {0xAA, 0x00, 0x00}, {0x00, 0xAA, 0x00}, {0xAA, 0x55, 0x00},
    {0x00, 0x00, 0xAA}, {0xAA, 0x00, 0xAA}, {0x00, 0xAA, 0xAA}, {0xAA, 0xAA, 0xAA},
    {0x55, 0x55, 0x55}, {0xFF, 0x55, 0x55}, {0x55, 0xFF, 0x55}, {0xFF, 0xFF, 0x55},
    {0x55, 0x55, 0xFF}, {0xFF, 0x55, 0xFF}, {0x55, 0xFF, 0xFF}, {0xFF, 0xFF, 0xFF},
};

/*
 * What a text row holds: every pixel is fill, except perhaps in cells
 * [0, ext) on the pixel lines whose bits are set in ink (bit y: line y of
 * the row).
 */
struct row_state {
    uint64_t ink;
    uint32_t fill;
    uint16_t ext;
};

/* A framebuffer text row: what it shows, and what was drawn in the shadow since. */
struct fb_row {
    struct row_state shown;
    uint64_t dirty_lines;               /* pixel lines ... */
    uint16_t dirty_lo, dirty_hi;        /* ... of cells [lo, hi); empty when lo >= hi */
};

static struct fbcon {
    uint8_t *fb;                /* pixel (x, y) at fb + y * pitch + x * bytespp */
    size_t pitch;               /* bytes per framebuffer pixel line */
    unsigned width, height;     /* pixels */
    unsigned bytespp;           /* 2, 3 or 4 */
    size_t line_bytes;          /* width * bytespp */
    unsigned cols, rows;        /* character cells */
    uint32_t palette[16];       /* pixel values of the ANSI colours */
    uint32_t fg, bg;            /* current pixel values */
    uint32_t cursor_xor;        /* every colour bit set */
    bool cursor_shown;
    struct textgrid grid;       /* cursor, wrapping, escapes (dev/textgrid) */

    /* Where drawing goes: text row r starts at draw + ring(r) * font_height * draw_pitch. */
    uint8_t *draw;
    size_t draw_pitch;
    unsigned top;               /* ring row shown as screen row 0 (0 when direct) */

    /* The shadow; NULL when drawing directly on the framebuffer. */
    void *shadow;               /* one allocation: pixels, ring_state, fb_rows */
    void *spare;                /* the shadow while a test runs without it */
    struct row_state *ring_state;       /* per ring row */
    struct fb_row *fb_rows;             /* per screen row */
    bool moved;                 /* scrolled or cleared since the last copy */
    bool fb_unknown;            /* copy everything next time */
    bool strip_known;           /* the pixel lines below the last text row ... */
    uint32_t strip_fill;        /* ... are all this colour */

    uint8_t pattern[1 << PATTERN_PIXELS][PATTERN_PIXELS * PATTERN_BYTESPP];
    uint32_t pattern_fg, pattern_bg;
    bool pattern_ok;
    uint64_t all_lines;                 /* a bit for each pixel line of a text row */
    uint64_t glyph_ink[FONT_GLYPH_COUNT];       /* the lines each glyph sets pixels on */
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

/* ---- pixels ------------------------------------------------------------------ */

static void store_pixel(uint8_t *p, uint32_t v)
{
    switch (fbc.bytespp) {
    case 4:
        __builtin_memcpy(p, &v, 4);
        break;
    case 3:
        p[0] = (uint8_t)v;
        p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16);
        break;
    default: {
        uint16_t w = (uint16_t)v;
        __builtin_memcpy(p, &w, 2);
        break;
    }
    }
}

static uint32_t load_pixel(const uint8_t *p)
{
    uint32_t v = 0;

    for (unsigned i = 0; i < fbc.bytespp; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* Sets the n pixels at p to v. */
static void fill_pixels(uint8_t *p, unsigned n, uint32_t v)
{
    uint32_t low = v & 0xff;
    uint32_t mask = fbc.bytespp == 4 ? 0xffffffffu : (1u << (8 * fbc.bytespp)) - 1;

    if ((v & mask) == (low * 0x01010101u & mask)) {     /* every byte alike: black, white */
        memset(p, (int)low, (size_t)n * fbc.bytespp);
        return;
    }
    for (unsigned i = 0; i < n; i++, p += fbc.bytespp)
        store_pixel(p, v);
}

/* ---- the drawing surface (shadow ring or framebuffer) -------------------------- */

static unsigned ring_row(unsigned row)
{
    unsigned i = fbc.top + row;

    return i < fbc.rows ? i : i - fbc.rows;
}

/* The first pixel line of screen text row `row` where drawing goes. */
static uint8_t *row_base(unsigned row)
{
    return fbc.draw + (size_t)ring_row(row) * font_height * fbc.draw_pitch;
}

/*
 * Lines `lines` of cell (row, col) were drawn on: the row's ink and extent
 * grow, and the next copy covers the cell on those lines and on any the
 * cell may have had ink on before.
 */
static void mark_drawn(unsigned row, unsigned col, uint64_t lines)
{
    struct row_state *rs;
    struct fb_row *fr;

    if (!fbc.shadow)
        return;
    rs = &fbc.ring_state[ring_row(row)];
    fr = &fbc.fb_rows[row];
    fr->dirty_lines |= lines | (col < rs->ext ? rs->ink : 0);
    fr->dirty_lo = (uint16_t)MIN(fr->dirty_lo, col);
    fr->dirty_hi = (uint16_t)MAX(fr->dirty_hi, col + 1);
    rs->ink |= lines;
    rs->ext = (uint16_t)MAX(rs->ext, col + 1);
}

/* Fills text row `row` (the full width) with v. */
static void clear_row(unsigned row, uint32_t v)
{
    uint8_t *line = row_base(row);

    for (unsigned y = 0; y < font_height; y++, line += fbc.draw_pitch)
        fill_pixels(line, fbc.width, v);
    if (fbc.shadow) {
        fbc.ring_state[ring_row(row)] = (struct row_state){ .fill = v };
        fbc.moved = true;
    }
}

/* The pixel lines below the last text row: on the framebuffer itself, written only. */
static void clear_strip(uint32_t v)
{
    if (fbc.strip_known && fbc.strip_fill == v)
        return;
    for (unsigned y = fbc.rows * font_height; y < fbc.height; y++)
        fill_pixels(fbc.fb + (size_t)y * fbc.pitch, fbc.width, v);
    fbc.strip_known = true;
    fbc.strip_fill = v;
}

static void clear_screen(void)
{
    for (unsigned r = 0; r < fbc.rows; r++)
        clear_row(r, fbc.bg);
    clear_strip(fbc.bg);
}

/* The four-pixel patterns in the current colours: entry n has bit 3 of n leftmost. */
static void update_patterns(void)
{
    if (fbc.pattern_ok && fbc.pattern_fg == fbc.fg && fbc.pattern_bg == fbc.bg)
        return;
    for (unsigned n = 0; n < ARRAY_SIZE(fbc.pattern); n++)
        for (unsigned i = 0; i < PATTERN_PIXELS; i++)
            store_pixel(fbc.pattern[n] + i * fbc.bytespp,
                        (n >> (PATTERN_PIXELS - 1 - i)) & 1 ? fbc.fg : fbc.bg);
    fbc.pattern_fg = fbc.fg;
    fbc.pattern_bg = fbc.bg;
    fbc.pattern_ok = true;
}

/* One glyph row (leftmost pixel in bit 31 of bits) at p, 32 bits per pixel: two pixels per store. */
static void glyph_row_32(uint8_t *p, uint32_t bits)
{
    uint64_t bg2 = (uint64_t)fbc.bg << 32 | fbc.bg;
    uint64_t diff = ((uint64_t)fbc.fg << 32 | fbc.fg) ^ bg2;
    unsigned x = 0;

    for (; x + 2 <= font_width; x += 2, bits <<= 2, p += 8) {
        /* the left pixel is the low half: it comes first in memory */
        uint64_t mask = (-(uint64_t)(bits >> 31) & 0xffffffffu) |
                        (-(uint64_t)(bits >> 30 & 1) << 32);
        uint64_t two = bg2 ^ (diff & mask);

        __builtin_memcpy(p, &two, 8);
    }
    if (x < font_width)
        store_pixel(p, bits >> 31 ? fbc.fg : fbc.bg);
}

/* The same at 2 or 3 bytes per pixel: four pixels at a time from the pattern table. */
static void glyph_row_table(uint8_t *p, uint32_t bits)
{
    size_t chunk = (size_t)PATTERN_PIXELS * fbc.bytespp;

    for (unsigned x = 0; x < font_width; x += PATTERN_PIXELS, bits <<= PATTERN_PIXELS, p += chunk) {
        const uint8_t *src = fbc.pattern[bits >> (32 - PATTERN_PIXELS)];

        if (font_width - x < PATTERN_PIXELS)
            memcpy(p, src, (size_t)(font_width - x) * fbc.bytespp);
        else if (fbc.bytespp == 3)
            __builtin_memcpy(p, src, PATTERN_PIXELS * 3);      /* constant sizes: */
        else
            __builtin_memcpy(p, src, PATTERN_PIXELS * 2);      /* a move or two */
    }
}

/* Draws byte c (a Latin-1 code point) in cell (row, col). */
static void draw_glyph(unsigned row, unsigned col, uint8_t c)
{
    const uint8_t *g = font_glyphs + (size_t)c * font_glyph_bytes;
    uint8_t *line = row_base(row) + (size_t)col * font_width * fbc.bytespp;
    bool wide = fbc.bytespp == 4;
    uint64_t lines;

    if (!wide)
        update_patterns();
    for (unsigned y = 0; y < font_height; y++, line += fbc.draw_pitch, g += font_row_bytes) {
        uint32_t bits = 0;      /* this glyph row, leftmost pixel in bit 31 */

        for (unsigned i = 0; i < font_row_bytes; i++)
            bits |= (uint32_t)g[i] << (24 - 8 * i);
        if (wide)
            glyph_row_32(line, bits);
        else
            glyph_row_table(line, bits);
    }
    /* a background other than the row's fill is ink on every line */
    lines = fbc.shadow && fbc.bg == fbc.ring_state[ring_row(row)].fill ? fbc.glyph_ink[c]
                                                                        : fbc.all_lines;
    mark_drawn(row, col, lines);
}

/* Inverts the underline of the cursor's cell; doing it twice restores it. */
static void toggle_cursor(void)
{
    unsigned row = fbc.grid.row, col = textgrid_cursor_col(&fbc.grid);
    unsigned h = MIN((unsigned)CURSOR_HEIGHT, font_height);
    uint8_t *line = row_base(row) + (size_t)(font_height - h) * fbc.draw_pitch +
                    (size_t)col * font_width * fbc.bytespp;

    for (unsigned y = 0; y < h; y++, line += fbc.draw_pitch) {
        uint8_t *p = line;

        for (unsigned x = 0; x < font_width; x++, p += fbc.bytespp)
            for (unsigned i = 0; i < fbc.bytespp; i++)
                p[i] ^= (uint8_t)(fbc.cursor_xor >> (8 * i));
    }
    mark_drawn(row, col, fbc.all_lines & ~(fbc.all_lines >> h));
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
    if (fbc.shadow) {
        /* the old top row comes round as the new, blank, bottom row */
        fbc.top = ring_row(1);
        clear_row(fbc.rows - 1, fbc.bg);
        return;
    }
    size_t text_row = (size_t)font_height * fbc.pitch;

    memmove(fbc.fb, fbc.fb + text_row, (size_t)(fbc.rows - 1) * text_row);
    clear_row(fbc.rows - 1, fbc.bg);
}

/* n bytes to the framebuffer, 32 at a time: whole write-combining lines, few loop turns. */
static void copy_to_fb(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (; n >= 32; n -= 32, dst += 32, src += 32) {
        uint64_t a, b, c, d;

        __builtin_memcpy(&a, src, 8);
        __builtin_memcpy(&b, src + 8, 8);
        __builtin_memcpy(&c, src + 16, 8);
        __builtin_memcpy(&d, src + 24, 8);
        __builtin_memcpy(dst, &a, 8);
        __builtin_memcpy(dst + 8, &b, 8);
        __builtin_memcpy(dst + 16, &c, 8);
        __builtin_memcpy(dst + 24, &d, 8);
    }
    memcpy(dst, src, n);
}

/* Copies what changed in the shadow since the last call to the framebuffer. */
static void flush(void)
{
    if (!fbc.shadow)
        return;
    for (unsigned r = 0; r < fbc.rows; r++) {
        const struct row_state *now = &fbc.ring_state[ring_row(r)];
        struct fb_row *fr = &fbc.fb_rows[r];
        size_t x0 = 0, x1;      /* pixels */
        uint64_t lines;

        if (fbc.fb_unknown || (fbc.moved && now->fill != fr->shown.fill)) {
            x1 = fbc.width;
            lines = fbc.all_lines;
        } else if (fbc.moved) {
            /* elsewhere both are fill */
            x1 = (size_t)MAX(now->ext, fr->shown.ext) * font_width;
            lines = now->ink | fr->shown.ink;
        } else {
            x0 = (size_t)fr->dirty_lo * font_width;
            x1 = (size_t)fr->dirty_hi * font_width;
            lines = fr->dirty_lines;
        }
        if (x0 < x1) {
            const uint8_t *src = row_base(r) + x0 * fbc.bytespp;
            uint8_t *dst = fbc.fb + (size_t)r * font_height * fbc.pitch + x0 * fbc.bytespp;

            for (; lines; lines &= lines - 1) {
                unsigned y = (unsigned)__builtin_ctzll(lines);

                copy_to_fb(dst + y * fbc.pitch, src + y * fbc.draw_pitch, (x1 - x0) * fbc.bytespp);
            }
        }
        fr->shown = *now;
        fr->dirty_lines = 0;
        fr->dirty_lo = (uint16_t)fbc.cols;
        fr->dirty_hi = 0;
    }
    fbc.moved = false;
    fbc.fb_unknown = false;
}

/* ---- the console ------------------------------------------------------------- */

static void grid_colours(uint8_t fg, uint8_t bg)
{
    fbc.fg = fbc.palette[fg & 15];
    fbc.bg = fbc.palette[bg & 15];
}

static const struct textgrid_ops fb_grid_ops = {
    .put = draw_glyph, .scroll = scroll_up, .clear = clear_screen, .colours = grid_colours,
};

static void fb_write(struct console *con, const char *s, size_t n)
{
    (void)con;
    hide_cursor();
    textgrid_write(&fbc.grid, s, n);
    show_cursor();
    flush();
}

static void fb_clear(struct console *con)
{
    (void)con;
    fbc.cursor_shown = false;           /* wiped with everything else */
    textgrid_clear(&fbc.grid);
    show_cursor();
    flush();
}

static struct console fb_console = {
    .name = "fb",
    .write = fb_write,
    .clear = fb_clear,
    .screen = true,
};

/* The shadow: the pixels (8-byte aligned lines, starting on a page), then the row tables. */
static size_t shadow_line_bytes(void)
{
    return ALIGN_UP(fbc.line_bytes, (size_t)8);
}

static size_t shadow_pixel_bytes(void)
{
    return ALIGN_UP((size_t)fbc.rows * font_height * shadow_line_bytes(), (size_t)64);
}

static size_t shadow_bytes(void)
{
    return shadow_pixel_bytes() + (size_t)fbc.rows * (sizeof(struct row_state) + sizeof(struct fb_row));
}

/*
 * Draws through the shadow at mem (shadow_bytes() of it), or straight on
 * the framebuffer when mem is NULL (saying why: `why`). The screen's
 * contents are forgotten: the caller clears it.
 */
static void use_shadow(void *mem, const char *why)
{
    fbc.shadow = mem;
    fbc.top = 0;
    fbc.cursor_shown = false;
    if (!mem) {
        fbc.draw = fbc.fb;
        fbc.draw_pitch = fbc.pitch;
        pr_warn("fbcon: no shadow buffer (%s); drawing straight on the "
                "framebuffer, scrolling reads it back (slow)", why);
        return;
    }
    fbc.draw = mem;
    fbc.ring_state = (struct row_state *)(void *)(fbc.draw + shadow_pixel_bytes());
    fbc.fb_rows = (struct fb_row *)(fbc.ring_state + fbc.rows);
    fbc.draw_pitch = shadow_line_bytes();
    for (unsigned r = 0; r < fbc.rows; r++)
        fbc.fb_rows[r] = (struct fb_row){ .dirty_lo = (uint16_t)fbc.cols };
    fbc.fb_unknown = true;
    fbc.strip_known = false;
    fbc.moved = false;
}

void fbcon_size(unsigned *cols, unsigned *rows)
{
    *cols = fbc.fb ? fbc.cols : 0;
    *rows = fbc.fb ? fbc.rows : 0;
}

/* ---- read-back, for tests ------------------------------------------------------ */

bool fbcon_has_shadow(void)
{
    return fbc.shadow != NULL;
}

int fbcon_set_shadow(bool on)
{
    void *mem;

    if (!fbc.fb)
        return -ENODEV;
    if (on == (fbc.shadow != NULL))
        return 0;
    if (on) {
        mem = fbc.spare ? fbc.spare : vmalloc(shadow_bytes());
        fbc.spare = NULL;
        use_shadow(mem, "out of memory");
    } else {
        fbc.spare = fbc.shadow;     /* kept: a write racing with this must not touch freed memory */
        use_shadow(NULL, "turned off by fbcon_set_shadow");
    }
    fb_clear(&fb_console);
    return on && !fbc.shadow ? -ENOMEM : 0;
}

int fbcon_read_line(unsigned y, void *buf, size_t len)
{
    if (!fbc.fb)
        return -ENODEV;
    if (y >= fbc.height || len < fbc.line_bytes)
        return -ERANGE;
    /* the mapping is write-combining: drain pending writes before reading */
    __asm__ __volatile__("mfence" ::: "memory");
    memcpy(buf, fbc.fb + (size_t)y * fbc.pitch, fbc.line_bytes);
    return (int)fbc.line_bytes;
}

int fbcon_shadow_mismatches(void)
{
    int bad = 0;

    if (!fbc.shadow)
        return -ENODEV;
    __asm__ __volatile__("mfence" ::: "memory");
    for (unsigned r = 0; r < fbc.rows; r++) {
        const uint8_t *s = row_base(r);

        for (unsigned y = 0; y < font_height; y++, s += fbc.draw_pitch)
            if (memcmp(fbc.fb + ((size_t)r * font_height + y) * fbc.pitch, s,
                       fbc.line_bytes) != 0)
                bad++;
    }
    return bad;
}

int fbcon_cell_mismatches(unsigned row, unsigned col, uint8_t ch, uint8_t fg, uint8_t bg)
{
    const uint8_t *g = font_glyphs + (size_t)ch * font_glyph_bytes;
    uint32_t fgv, bgv;
    int bad = 0;

    if (!fbc.fb || row >= fbc.rows || col >= fbc.cols)
        return -1;
    fgv = fbc.palette[fg & 15];
    bgv = fbc.palette[bg & 15];
    __asm__ __volatile__("mfence" ::: "memory");
    for (unsigned y = 0; y < font_height; y++, g += font_row_bytes) {
        const uint8_t *line = fbc.fb + ((size_t)row * font_height + y) * fbc.pitch +
                              (size_t)col * font_width * fbc.bytespp;
        uint32_t bits = 0;

        for (unsigned i = 0; i < font_row_bytes; i++)
            bits |= (uint32_t)g[i] << (24 - 8 * i);
        for (unsigned x = 0; x < font_width; x++, bits <<= 1, line += fbc.bytespp)
            if (load_pixel(line) != ((bits & 0x80000000u) ? fgv : bgv))
                bad++;
    }
    return bad;
}

/* ---- set-up ------------------------------------------------------------------ */

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
    fbc.fb = vmm_ioremap(fb->addr, (size_t)fb->pitch * fb->height, VMM_WRITE | VMM_WC);
    if (!fbc.fb)
        return -ENOMEM;
    fbc.pitch = fb->pitch;
    fbc.width = fb->width;
    fbc.height = fb->height;
    fbc.bytespp = bytespp;
    fbc.line_bytes = (size_t)fb->width * bytespp;
    fbc.cols = fb->width / font_width;
    fbc.rows = fb->height / font_height;
    for (unsigned i = 0; i < ARRAY_SIZE(vga_rgb); i++)
        fbc.palette[i] = rgb_pixel(fb, vga_rgb[i][0], vga_rgb[i][1], vga_rgb[i][2]);
    fbc.cursor_xor = rgb_pixel(fb, 0xFF, 0xFF, 0xFF);
    fbc.all_lines = font_height >= 64 ? ~0ull : (1ull << font_height) - 1;
    for (unsigned c = 0; c < FONT_GLYPH_COUNT; c++)
        for (unsigned y = 0; y < font_height; y++)
            for (unsigned i = 0; i < font_row_bytes; i++)
                if (font_glyphs[(size_t)c * font_glyph_bytes + y * font_row_bytes + i])
                    fbc.glyph_ink[c] |= 1ull << y;
    use_shadow(vmalloc(shadow_bytes()), "out of memory");
    textgrid_init(&fbc.grid, fbc.cols, fbc.rows, ANSI_COLOR_WHITE, ANSI_COLOR_BLACK,
                  &fb_grid_ops);

    /* before registering: the screen shows this once, when boot replays the log to it */
    if (fbc.shadow)
        pr_info("fbcon: %ux%u cells of %ux%u pixels, through a %zu KiB shadow buffer",
                fbc.cols, fbc.rows, font_width, font_height, shadow_bytes() >> 10);
    fb_clear(&fb_console);
    console_register(&fb_console);
    registered = true;
    return 0;
}
