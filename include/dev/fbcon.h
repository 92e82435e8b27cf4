/*
 * include/dev/fbcon.h - the framebuffer text console (UEFI boot).
 *
 * Part of dev. Under UEFI there is no text mode: GRUB hands over a linear
 * RGB framebuffer (typically 32 bits per pixel). fbcon_init registers a
 * console named "fb" with core/console that draws the kernel log on it
 * with the built-in font (dev/font): ANSI colours through dev/ansi (the
 * 16 standard VGA colours, default light grey on black), '\n' '\r' '\b'
 * '\t' (tab stops every 8 columns), scrolling by moving pixel rows, and an
 * underline cursor. Bytes are drawn as Latin-1. No heap: all state is
 * static.
 *
 * Context: boot (single-threaded) for init; the console's write is
 * serialised by its caller (printk's lock).
 */
#ifndef BASALT_DEV_FBCON_H
#define BASALT_DEV_FBCON_H

#include <core/multiboot2.h>

/*
 * Takes over the framebuffer fb (from the loader; physical address),
 * maps it write-combining with vmm_ioremap (so it needs mm up), clears it
 * and registers the "fb" console.
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
 * fbcon_cell_mismatches compares the pixels of cell (row, col), 0-based,
 * with glyph ch drawn in ANSI colours fg on bg (0..15) and returns how many
 * differ: 0 means the cell shows exactly that; -1 if there is no screen or
 * the cell is off it. The cell under the cursor has its underline inverted.
 */
void fbcon_size(unsigned *cols, unsigned *rows);
int fbcon_cell_mismatches(unsigned row, unsigned col, uint8_t ch, uint8_t fg, uint8_t bg);

#endif
