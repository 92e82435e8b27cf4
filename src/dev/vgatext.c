/*
 * src/dev/vgatext.c - the VGA text-mode console (BIOS boot).
 *
 * Part of dev; see include/dev/vgatext.h. The screen is an array of 16-bit
 * cells (character in the low byte, attribute in the high byte: background
 * in bits 4-7, foreground in bits 0-3) reached through the boot direct map.
 * Escape sequences are decoded by dev/ansi; this file only moves the
 * cursor and writes cells. The cursor may sit one past the last column
 * ("pending wrap") so that a full line followed by '\n' does not leave an
 * empty line.
 */
#include <dev/vgatext.h>
#include <dev/ansi.h>
#include <dev/textgrid.h>
#include <core/console.h>
#include <core/errno.h>
#include <core/string.h>
#include <core/x86.h>
#include <core/layout.h>
#include <mm/vmm.h>

#define VGA_DEFAULT_PHYS    0xB8000u
#define VGA_DEFAULT_COLS    80
#define VGA_DEFAULT_ROWS    25
#define VGA_MAX_DIM         256         /* a text mode wider/taller is absurd */

/* CRT controller (colour I/O base) and attribute controller ports. */
#define CRTC_INDEX          0x3D4
#define CRTC_DATA           0x3D5
#define CRTC_CURSOR_START   0x0A
#define CRTC_CURSOR_END     0x0B
#define CRTC_CURSOR_HIGH    0x0E
#define CRTC_CURSOR_LOW     0x0F
#define INPUT_STATUS_1      0x3DA       /* reading it resets the AC flip-flop */
#define AC_INDEX_WRITE      0x3C0
#define AC_DATA_READ        0x3C1
#define AC_PAS              0x20        /* keep the display on while indexing */
#define AC_MODE_CONTROL     0x10
#define AC_MODE_BLINK       0x08        /* attribute bit 7: blink, not bright bg */

/* ANSI palette order (dev/ansi) to VGA attribute colour numbers. */
static const uint8_t ansi_to_vga[16] = {
    0x0, 0x4, 0x2, 0x6, 0x1, 0x5, 0x3, 0x7,     /* black red green brown blue magenta cyan grey */
    0x8, 0xC, 0xA, 0xE, 0x9, 0xD, 0xB, 0xF,
};

/*
 * Bytes are Latin-1 (as on the framebuffer console); the VGA ROM font is
 * code page 437. Bytes 0x80..0xFF map to the CP437 character, else to the
 * unaccented letter, else to '?'.
 */
static const uint8_t latin1_to_cp437[128] = {
    0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,    /* 80..87 */
    0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,    /* 88..8F */
    0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,    /* 90..97 */
    0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F, 0x3F,    /* 98..9F */
    0xFF, 0xAD, 0x9B, 0x9C, 0x3F, 0x9D, 0x3F, 0x3F,    /* A0..A7 */
    0x3F, 0x3F, 0xA6, 0xAE, 0xAA, 0x3F, 0x3F, 0x3F,    /* A8..AF */
    0xF8, 0xF1, 0xFD, 0x3F, 0x3F, 0xE6, 0x3F, 0xFA,    /* B0..B7 */
    0x3F, 0x3F, 0xA7, 0xAF, 0xAC, 0xAB, 0x3F, 0xA8,    /* B8..BF */
    0x41, 0x41, 0x41, 0x41, 0x8E, 0x8F, 0x92, 0x80,    /* C0..C7 */
    0x45, 0x90, 0x45, 0x45, 0x49, 0x49, 0x49, 0x49,    /* C8..CF */
    0x3F, 0xA5, 0x4F, 0x4F, 0x4F, 0x4F, 0x99, 0x3F,    /* D0..D7 */
    0x3F, 0x55, 0x55, 0x55, 0x9A, 0x59, 0x3F, 0xE1,    /* D8..DF */
    0x85, 0xA0, 0x83, 0x61, 0x84, 0x86, 0x91, 0x87,    /* E0..E7 */
    0x8A, 0x82, 0x88, 0x89, 0x8D, 0xA1, 0x8C, 0x8B,    /* E8..EF */
    0x3F, 0xA4, 0x95, 0xA2, 0x93, 0x6F, 0x94, 0xF6,    /* F0..F7 */
    0x3F, 0x97, 0xA3, 0x96, 0x81, 0x79, 0x3F, 0x98,    /* F8..FF */
};

static struct vga {
    uint16_t *cells;            /* cell (r, c) is cells[r * stride + c] */
    unsigned stride;            /* cells per row (pitch / 2) */
    unsigned cols, rows;
    uint8_t attr;               /* current VGA attribute */
    struct textgrid grid;       /* cursor, wrapping, escapes (dev/textgrid) */
} vga;

static uint8_t vga_attr(uint8_t fg, uint8_t bg)
{
    return (uint8_t)(ansi_to_vga[bg & 15] << 4 | ansi_to_vga[fg & 15]);
}

static uint16_t vga_cell(uint8_t c, uint8_t attr)
{
    return (uint16_t)((uint16_t)attr << 8 | c);
}

static void fill_cells(uint16_t *p, size_t n, uint16_t cell)
{
    for (size_t i = 0; i < n; i++)
        p[i] = cell;
}

static void clear_row(unsigned row)
{
    fill_cells(vga.cells + (size_t)row * vga.stride, vga.cols, vga_cell((uint8_t)' ', vga.attr));
}

static void clear_screen(void)
{
    for (unsigned r = 0; r < vga.rows; r++)
        clear_row(r);
}

static void scroll_up(void)
{
    memmove(vga.cells, vga.cells + vga.stride,
            (size_t)(vga.rows - 1) * vga.stride * sizeof(uint16_t));
    clear_row(vga.rows - 1);
}

static void grid_put(unsigned row, unsigned col, uint8_t c)
{
    if (c >= 0x80)
        c = latin1_to_cp437[c - 0x80];
    vga.cells[(size_t)row * vga.stride + col] = vga_cell(c, vga.attr);
}

static void grid_colours(uint8_t fg, uint8_t bg)
{
    vga.attr = vga_attr(fg, bg);
}

static const struct textgrid_ops vga_grid_ops = {
    .put = grid_put, .scroll = scroll_up, .clear = clear_screen, .colours = grid_colours,
};

static void update_hw_cursor(void)
{
    uint16_t pos = (uint16_t)(vga.grid.row * vga.stride + textgrid_cursor_col(&vga.grid));

    outb(CRTC_INDEX, CRTC_CURSOR_LOW);
    outb(CRTC_DATA, (uint8_t)pos);
    outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
    outb(CRTC_DATA, (uint8_t)(pos >> 8));
}

static void vga_write(struct console *con, const char *s, size_t n)
{
    (void)con;
    textgrid_write(&vga.grid, s, n);
    update_hw_cursor();
}

static void vga_clear(struct console *con)
{
    (void)con;
    textgrid_clear(&vga.grid);
    update_hw_cursor();
}

static struct console vga_console = {
    .name = "vga",
    .write = vga_write,
    .clear = vga_clear,
    .screen = true,
};

/* An underline cursor, visible; and attribute bit 7 as bright background. */
static void setup_hardware(void)
{
    uint8_t v;

    outb(CRTC_INDEX, CRTC_CURSOR_START);
    v = inb(CRTC_DATA);
    outb(CRTC_DATA, (uint8_t)((v & 0xC0) | 14));    /* bit 5 clear: shown */
    outb(CRTC_INDEX, CRTC_CURSOR_END);
    v = inb(CRTC_DATA);
    outb(CRTC_DATA, (uint8_t)((v & 0xE0) | 15));

    (void)inb(INPUT_STATUS_1);
    outb(AC_INDEX_WRITE, AC_PAS | AC_MODE_CONTROL);
    v = inb(AC_DATA_READ);
    outb(AC_INDEX_WRITE, (uint8_t)(v & ~AC_MODE_BLINK));
}

void vgatext_size(unsigned *cols, unsigned *rows)
{
    *cols = vga.cells ? vga.cols : 0;
    *rows = vga.cells ? vga.rows : 0;
}

int vgatext_cell_at(unsigned row, unsigned col)
{
    if (!vga.cells || row >= vga.rows || col >= vga.cols)
        return -1;
    return *(volatile uint16_t *)&vga.cells[(size_t)row * vga.stride + col];
}

int vgatext_init(const struct boot_framebuffer *fb)
{
    uint64_t phys = VGA_DEFAULT_PHYS;
    uint64_t cols = VGA_DEFAULT_COLS, rows = VGA_DEFAULT_ROWS;
    uint64_t pitch = VGA_DEFAULT_COLS * 2;
    static bool registered;

    if (registered)
        return -EBUSY;
    if (fb) {
        if (fb->type != BOOT_FB_EGA_TEXT)
            return -ENODEV;
        phys = fb->addr;
        cols = fb->width;
        rows = fb->height;
        pitch = fb->pitch;
    }
    if (cols == 0 || rows == 0 || cols > VGA_MAX_DIM || rows > VGA_MAX_DIM ||
        pitch < cols * 2 || pitch % 2 != 0 || phys % 2 != 0 ||
        phys >= PHYS_ADDR_LIMIT || pitch * rows > PHYS_ADDR_LIMIT - phys)
        return -ERANGE;

    vga.cells = vmm_ioremap(phys, pitch * rows, VMM_WRITE);
    if (!vga.cells)
        return -ENOMEM;
    vga.stride = (unsigned)(pitch / 2);
    vga.cols = (unsigned)cols;
    vga.rows = (unsigned)rows;
    textgrid_init(&vga.grid, vga.cols, vga.rows, ANSI_COLOR_WHITE, ANSI_COLOR_BLACK,
                  &vga_grid_ops);

    setup_hardware();
    vga_clear(&vga_console);
    console_register(&vga_console);
    registered = true;
    return 0;
}
