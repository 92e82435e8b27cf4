/*
 * include/dev/textgrid.h - a grid of character cells driven by an ANSI stream.
 *
 * Part of dev; pure (host-tested by test/unit/test_textgrid.c). The one
 * place that knows how text moves across a screen: printing with a
 * pending wrap (a full line followed by '\n' leaves no empty line), '\n',
 * '\r', '\b', tab stops every TEXTGRID_TAB columns, scrolling at the
 * bottom, SGR colours, clear and cursor moves. A screen console
 * (dev/vgatext, dev/fbcon) only supplies how to draw a cell, scroll, clear
 * and set colours.
 *
 * Locking: none; the console layer serialises writes (printk's lock).
 */
#ifndef BASALT_DEV_TEXTGRID_H
#define BASALT_DEV_TEXTGRID_H

#include <core/compiler.h>
#include <dev/ansi.h>

#define TEXTGRID_TAB 8

/* What a screen supplies; each screen is one of a kind, so no context pointer. */
struct textgrid_ops {
    /* Draws c (a Latin-1 byte) in cell (row, col) with the current colours. */
    void (*put)(unsigned row, unsigned col, uint8_t c);
    /* Moves every row up by one and blanks the last row. */
    void (*scroll)(void);
    /* Blanks the whole screen with the current background. */
    void (*clear)(void);
    /* The current colours changed to fg, bg (ANSI numbers 0-15). */
    void (*colours)(uint8_t fg, uint8_t bg);
};

/* Locking: none of its own; every field is written under the console's writer lock (printk's). */
struct textgrid {
    unsigned cols, rows;
    unsigned row, col;          /* cursor; col == cols means a pending wrap */
    struct ansi_state ansi;
    const struct textgrid_ops *ops;
};

/*
 * Sets g up for a cols x rows screen (both > 0), cursor home, colours
 * fg on bg (reported through ops->colours right away).
 */
void textgrid_init(struct textgrid *g, unsigned cols, unsigned rows, uint8_t fg, uint8_t bg,
                   const struct textgrid_ops *ops);

/* Interprets s[0..n) (text, controls, ANSI escapes) onto the grid. */
void textgrid_write(struct textgrid *g, const char *s, size_t n);

/* Clears the screen and puts the cursor home. */
void textgrid_clear(struct textgrid *g);

/* The column the cursor is drawn in (a pending wrap shows on the last column). */
static inline unsigned textgrid_cursor_col(const struct textgrid *g)
{
    return g->col < g->cols ? g->col : g->cols - 1;
}

#endif
