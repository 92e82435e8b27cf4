/*
 * src/dev/textgrid.c - character-cell screen logic (see include/dev/textgrid.h).
 *
 * Part of dev; pure. Shared by the VGA text and framebuffer consoles.
 */
#include <dev/textgrid.h>

void textgrid_init(struct textgrid *g, unsigned cols, unsigned rows, uint8_t fg, uint8_t bg,
                   const struct textgrid_ops *ops)
{
    g->cols = cols;
    g->rows = rows;
    g->row = 0;
    g->col = 0;
    g->ops = ops;
    ansi_init(&g->ansi, fg, bg);
    ops->colours(ansi_fg(&g->ansi), ansi_bg(&g->ansi));
}

static void newline(struct textgrid *g)
{
    g->col = 0;
    if (g->row + 1 < g->rows)
        g->row++;
    else
        g->ops->scroll();
}

static void put_char(struct textgrid *g, uint8_t c)
{
    if (g->col >= g->cols)
        newline(g);                     /* the pending wrap happens now */
    g->ops->put(g->row, g->col, c);
    g->col++;
}

static void control(struct textgrid *g, char c)
{
    switch (c) {
    case '\n':
        newline(g);
        break;
    case '\r':
        g->col = 0;
        break;
    case '\b':
        if (g->col >= g->cols)
            g->col = g->cols - 1;
        if (g->col > 0)
            g->col--;
        break;
    case '\t':
        if (g->col >= g->cols)
            newline(g);
        g->col = MIN((g->col + TEXTGRID_TAB) & ~(unsigned)(TEXTGRID_TAB - 1), g->cols);
        break;
    default:
        break;
    }
}

void textgrid_clear(struct textgrid *g)
{
    g->ops->clear();
    g->row = 0;
    g->col = 0;
}

void textgrid_write(struct textgrid *g, const char *s, size_t n)
{
    struct ansi_event ev;

    for (size_t i = 0; i < n; i++) {
        switch (ansi_feed(&g->ansi, s[i], &ev)) {
        case ANSI_EV_PRINT:
            put_char(g, (uint8_t)ev.ch);
            break;
        case ANSI_EV_CONTROL:
            control(g, ev.ch);
            break;
        case ANSI_EV_SGR:
            g->ops->colours(ev.fg, ev.bg);
            break;
        case ANSI_EV_CLEAR:
            g->ops->clear();      /* ESC[2J keeps the cursor where it is */
            break;
        case ANSI_EV_CURSOR:
            g->row = MIN(ev.row, g->rows - 1);
            g->col = MIN(ev.col, g->cols - 1);
            break;
        case ANSI_EV_NONE:
            break;
        }
    }
}
