/*
 * include/dev/vgatext.h - the VGA text-mode console (BIOS boot).
 *
 * Part of dev. Under BIOS boot GRUB leaves the screen in 80x25 colour text
 * mode at physical 0xB8000; vgatext_init registers a console named "vga"
 * with core/console that draws the kernel log there: ANSI colours through
 * dev/ansi (16 foreground and 16 background colours, default light grey on
 * black), '\n' '\r' '\b' '\t' (tab stops every 8 columns), scrolling, and
 * the hardware cursor (CRT controller, ports 0x3D4/0x3D5). Bytes are
 * drawn as Latin-1, like dev/fbcon, mapped onto the VGA font's code page 437.
 *
 * Context: boot (single-threaded) for init; the console's write is
 * serialised by its caller (printk's lock).
 */
#ifndef BASALT_DEV_VGATEXT_H
#define BASALT_DEV_VGATEXT_H

#include <core/multiboot2.h>

/*
 * Takes over the text screen and registers the "vga" console. fb is the
 * loader's framebuffer: NULL means there was none and the standard 80x25
 * screen at 0xB8000 is assumed; a BOOT_FB_EGA_TEXT framebuffer gives the
 * address, size in characters and pitch to use. The screen is mapped
 * uncached with vmm_ioremap (so it needs mm up) and cleared.
 *
 * Returns 0; -ENODEV if fb is not a text framebuffer; -ENOMEM if it cannot
 * be mapped; -ERANGE if its geometry is absurd; -EBUSY if the console is
 * already registered.
 */
int vgatext_init(const struct boot_framebuffer *fb);

/*
 * Read-back, for tests (src/dev/tests/console_ktests.c). vgatext_size gives
 * the screen's size in characters (0 x 0 before vgatext_init succeeded).
 * vgatext_cell_at returns the cell at (row, col), 0-based: the CP437
 * character in bits 0-7 and the VGA attribute in bits 8-15 (background in
 * 12-15, foreground in 8-11); -1 if there is no screen or the cell is off it.
 */
void vgatext_size(unsigned *cols, unsigned *rows);
int vgatext_cell_at(unsigned row, unsigned col);

#endif
