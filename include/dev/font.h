/*
 * include/dev/font.h - the built-in bitmap console font.
 *
 * Part of dev. The data is generated at build time by cmake/psf2c.py from
 * a PSF font (CMake cache variable BASALT_FONT, by default Debian's
 * console-setup Lat15-VGA16, 8x16) into font_data.c in the build tree;
 * dev/fbcon draws text with it.
 *
 * Glyph c (0..FONT_GLYPH_COUNT-1) is the glyph for Unicode code point c,
 * so bytes are drawn as Latin-1; code points the font lacks show '?'.
 * Each glyph is font_height rows of font_row_bytes bytes; within a row the
 * most significant bit of the first byte is the leftmost pixel.
 */
#ifndef BASALT_DEV_FONT_H
#define BASALT_DEV_FONT_H

#include <core/compiler.h>

#define FONT_GLYPH_COUNT    256
#define FONT_MAX_WIDTH      32      /* psf2c.py refuses wider fonts */
#define FONT_MAX_HEIGHT     64      /* ... and taller ones */

extern const unsigned font_width;       /* pixels, 1..FONT_MAX_WIDTH */
extern const unsigned font_height;      /* pixels, 1..FONT_MAX_HEIGHT */
extern const unsigned font_row_bytes;   /* (font_width + 7) / 8 */
extern const unsigned font_glyph_bytes; /* font_height * font_row_bytes */

/* FONT_GLYPH_COUNT glyphs of font_glyph_bytes bytes each. */
extern const uint8_t font_glyphs[];

#endif
