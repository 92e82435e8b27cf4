/*
 * include/dev/fbcon.h - the framebuffer text console (UEFI boot).
 *
 * Part of dev. Under UEFI there is no text mode: GRUB hands over a linear
 * RGB framebuffer (15/16, 24 or 32 bits per pixel). fbcon_init registers a
 * console named "fb" with core/console that draws the kernel log on it
 * with the built-in font (dev/font): the 16 ANSI colours through
 * dev/textgrid and dev/ansi (SGR 30-37, 90-97, 40-47, 100-107, bold as
 * bright; default light grey on black), '\n' '\r' '\b' '\t' (tab stops
 * every 8 columns), scrolling, and an underline cursor. Bytes are drawn as
 * Latin-1.
 *
 * Drawing goes to a shadow buffer in RAM (vmalloc'd at fbcon_init; a ring
 * of text rows, so a scroll moves no pixels in RAM) and each write ends by
 * copying the changed part to the framebuffer, which is never read back.
 * Without memory for the shadow it draws straight on the framebuffer and
 * warns.
 *
 * Context: boot (single-threaded) for init; the console's write is
 * serialised by its caller (printk's lock).
 */
#ifndef BASALT_DEV_FBCON_H
#define BASALT_DEV_FBCON_H

#include <core/multiboot2.h>

/*
 * Takes over the framebuffer fb (from the loader; physical address),
 * maps it write-combining with vmm_ioremap and allocates the shadow with
 * vmalloc (so it needs mm up), clears it and registers the "fb" console.
 * A shadow that cannot be allocated is not an error: a warning is logged
 * and drawing goes straight to the framebuffer.
 *
 * Returns 0; -ENODEV if fb is not a BOOT_FB_RGB framebuffer; -ENOMEM if it
 * cannot be mapped; -ERANGE if it is not inside the physical address space
 * or its geometry is absurd (zero or huge sizes, bpp not
 * 15/16/24/32, pitch below width * bytes per pixel, misaligned address or
 * pitch, colour fields outside the pixel, or less than one character cell);
 * -EBUSY if the console is already registered.
 */
int fbcon_init(const struct boot_framebuffer *fb);

/*
 * Read-back, for tests (src/dev/tests/console_ktests.c). fbcon_size gives
 * the screen's size in character cells (0 x 0 before fbcon_init succeeded).
 * fbcon_cell_mismatches compares the framebuffer's pixels of cell (row,
 * col), 0-based, with glyph ch drawn in ANSI colours fg on bg (0..15) and
 * returns how many differ: 0 means the cell shows exactly that; -1 if there
 * is no screen or the cell is off it. The cell under the cursor has its
 * underline inverted.
 */
void fbcon_size(unsigned *cols, unsigned *rows);
int fbcon_cell_mismatches(unsigned row, unsigned col, uint8_t ch, uint8_t fg, uint8_t bg);

/*
 * More read-back, for tests; they read the framebuffer, which fbcon itself
 * never does. fbcon_read_line copies pixel line y of the framebuffer (width
 * times bytes per pixel, as the loader described it) into buf and returns
 * that length; -ENODEV without fbcon, -ERANGE if y is off the screen or len
 * is too small. fbcon_shadow_mismatches counts the pixel lines of the text
 * area whose framebuffer bytes differ from the shadow's (0 after every
 * write); -ENODEV when drawing goes straight to the framebuffer.
 */
int fbcon_read_line(unsigned y, void *buf, size_t len);
int fbcon_shadow_mismatches(void);

/*
 * For tests: is drawing going through the shadow? fbcon_set_shadow(false)
 * makes fbcon draw straight on the framebuffer, exactly as when the shadow
 * could not be allocated (the same warning is logged); true goes back to
 * the shadow (kept from before, else allocated). Either way the screen is
 * cleared with the cursor home. Returns 0; -ENODEV without fbcon; -ENOMEM
 * when no shadow can be allocated (drawing stays direct). Nothing else may
 * write the console meanwhile: the caller stands in for printk's lock, as
 * the console ktests do.
 */
bool fbcon_has_shadow(void);
int fbcon_set_shadow(bool on);

#endif
