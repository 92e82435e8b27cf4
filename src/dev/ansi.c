/*
 * src/dev/ansi.c - ANSI escape-sequence parser shared by the screen consoles.
 *
 * Part of dev; see include/dev/ansi.h for what is understood. A small
 * VT100-style state machine (ground, ESC, ESC + intermediates, CSI, CSI
 * being ignored, control string). Pure: no hardware and no globals, so the
 * host unit tests build this file as is.
 */
#include <dev/ansi.h>

enum ansi_mode {
    MODE_GROUND = 0,    /* plain text */
    MODE_ESC,           /* after ESC */
    MODE_ESC_INTER,     /* ESC + intermediate bytes: swallow to the final */
    MODE_CSI,           /* after ESC [: collecting parameters */
    MODE_CSI_IGNORE,    /* abandoned CSI: swallow to the final byte */
    MODE_STRING,        /* OSC/DCS/SOS/PM/APC: swallow to BEL or ESC \ */
};

#define ESC     0x1b
#define BEL     0x07
#define DEL     0x7f

static bool is_c0(uint8_t b)
{
    return b < 0x20;
}

void ansi_init(struct ansi_state *st, uint8_t def_fg, uint8_t def_bg)
{
    *st = (struct ansi_state){
        .mode = MODE_GROUND,
        .def_fg = def_fg & 15,
        .def_bg = def_bg & 15,
        .fg = def_fg & 15,
        .bg = def_bg & 15,
    };
}

uint8_t ansi_fg(const struct ansi_state *st)
{
    uint8_t f = st->fg;

    if (st->bold && f < ANSI_BRIGHT)
        f += ANSI_BRIGHT;
    return st->reverse ? st->bg : f;
}

uint8_t ansi_bg(const struct ansi_state *st)
{
    uint8_t f = st->fg;

    if (!st->reverse)
        return st->bg;
    if (st->bold && f < ANSI_BRIGHT)
        f += ANSI_BRIGHT;
    return f;
}

/* Parameter i of the current CSI, 0 when absent. */
static unsigned param(const struct ansi_state *st, unsigned i)
{
    return i < st->nparams ? st->params[i] : 0;
}

/*
 * 38;5;n and 48;5;n (n < 16 honoured) and 38;2;r;g;b (skipped). Returns how
 * many parameters after params[i] were consumed, or -1 when the format is
 * unknown and the rest of the sequence must be ignored.
 */
static int sgr_extended(const struct ansi_state *st, unsigned i, uint8_t *color)
{
    switch (param(st, i + 1)) {
    case 5:
        if (i + 2 >= st->nparams)
            return -1;
        if (st->params[i + 2] < 16)
            *color = (uint8_t)st->params[i + 2];
        return 2;
    case 2:
        return 4;
    default:
        return -1;
    }
}

static void apply_sgr(struct ansi_state *st)
{
    unsigned n = st->nparams ? st->nparams : 1;

    for (unsigned i = 0; i < n; i++) {
        unsigned p = param(st, i);
        int used;

        if (p == 0) {
            st->fg = st->def_fg;
            st->bg = st->def_bg;
            st->bold = false;
            st->reverse = false;
        } else if (p == 1) {
            st->bold = true;
        } else if (p == 22) {
            st->bold = false;
        } else if (p == 7) {
            st->reverse = true;
        } else if (p == 27) {
            st->reverse = false;
        } else if (p >= 30 && p <= 37) {
            st->fg = (uint8_t)(p - 30);
        } else if (p == 39) {
            st->fg = st->def_fg;
        } else if (p >= 40 && p <= 47) {
            st->bg = (uint8_t)(p - 40);
        } else if (p == 49) {
            st->bg = st->def_bg;
        } else if (p >= 90 && p <= 97) {
            st->fg = (uint8_t)(p - 90 + ANSI_BRIGHT);
        } else if (p >= 100 && p <= 107) {
            st->bg = (uint8_t)(p - 100 + ANSI_BRIGHT);
        } else if (p == 38 || p == 48) {
            used = sgr_extended(st, i, p == 38 ? &st->fg : &st->bg);
            if (used < 0)
                return;
            i += (unsigned)used;
        }
        /* Anything else (underline, blink, italic...) is not shown. */
    }
}

/* A CSI final byte arrived: act on it. */
static enum ansi_event_type csi_dispatch(struct ansi_state *st, uint8_t final,
                                         struct ansi_event *ev)
{
    unsigned row, col;

    if (st->ignore)
        return ANSI_EV_NONE;
    switch (final) {
    case 'm':
        apply_sgr(st);
        return ANSI_EV_SGR;
    case 'J':
        return param(st, 0) == 2 || param(st, 0) == 3 ? ANSI_EV_CLEAR : ANSI_EV_NONE;
    case 'H':
    case 'f':
        row = param(st, 0);
        col = param(st, 1);
        ev->row = (uint16_t)(row ? row - 1 : 0);
        ev->col = (uint16_t)(col ? col - 1 : 0);
        return ANSI_EV_CURSOR;
    default:
        return ANSI_EV_NONE;
    }
}

/* A plain byte outside any sequence. */
static enum ansi_event_type ground(struct ansi_state *st, uint8_t b, struct ansi_event *ev)
{
    st->mode = MODE_GROUND;
    switch (b) {
    case ESC:
        st->mode = MODE_ESC;
        return ANSI_EV_NONE;
    case '\n':
    case '\r':
    case '\b':
    case '\t':
        ev->ch = (char)b;
        return ANSI_EV_CONTROL;
    default:
        if (is_c0(b) || b == DEL)
            return ANSI_EV_NONE;
        ev->ch = (char)b;
        return ANSI_EV_PRINT;
    }
}

static void csi_start(struct ansi_state *st)
{
    st->mode = MODE_CSI;
    st->nparams = 0;
    st->seq_len = 0;
    st->ignore = false;
    st->params[0] = 0;
}

static enum ansi_event_type csi_byte(struct ansi_state *st, uint8_t b, struct ansi_event *ev)
{
    if (++st->seq_len > ANSI_MAX_SEQ) {
        /* Too long: abandon; swallow the rest up to its final byte. */
        st->mode = b >= 0x40 && b <= 0x7e ? MODE_GROUND : MODE_CSI_IGNORE;
        return ANSI_EV_NONE;
    }
    if (b >= '0' && b <= '9') {
        if (st->nparams == 0)
            st->nparams = 1;
        uint16_t *p = &st->params[st->nparams - 1];
        unsigned v = (unsigned)*p * 10 + (unsigned)(b - '0');
        *p = (uint16_t)(v > ANSI_PARAM_MAX ? ANSI_PARAM_MAX : v);
        return ANSI_EV_NONE;
    }
    if (b == ';') {
        if (st->nparams == 0)
            st->nparams = 1;           /* empty first parameter */
        if (st->nparams >= ANSI_MAX_PARAMS) {
            st->mode = MODE_CSI_IGNORE;
            return ANSI_EV_NONE;
        }
        st->params[st->nparams++] = 0;
        return ANSI_EV_NONE;
    }
    if (b >= 0x20 && b <= 0x3f) {
        /* ':' sub-parameters, '<=>?' private markers, intermediates. */
        st->ignore = true;
        return ANSI_EV_NONE;
    }
    if (b >= 0x40 && b <= 0x7e) {
        st->mode = MODE_GROUND;
        return csi_dispatch(st, b, ev);
    }
    return ANSI_EV_NONE;               /* DEL: ignored inside a sequence */
}

enum ansi_event_type ansi_feed(struct ansi_state *st, char c, struct ansi_event *ev)
{
    uint8_t b = (uint8_t)c;
    enum ansi_event_type t = ANSI_EV_NONE;

    ev->ch = 0;
    ev->row = 0;
    ev->col = 0;

    /* Inside any sequence a C0 control aborts it and then acts normally. */
    if (st->mode != MODE_GROUND && is_c0(b)) {
        if (st->mode == MODE_STRING && b == BEL)
            st->mode = MODE_GROUND;    /* BEL ends a control string */
        else
            t = ground(st, b, ev);
        goto out;
    }

    switch (st->mode) {
    case MODE_ESC:
        if (b == '[') {
            csi_start(st);
        } else if (b == ']' || b == 'P' || b == 'X' || b == '^' || b == '_') {
            st->mode = MODE_STRING;
        } else if (b >= 0x20 && b <= 0x2f) {
            st->mode = MODE_ESC_INTER;
        } else if (b >= 0x30 && b <= 0x7e) {
            st->mode = MODE_GROUND;    /* two-byte sequence: swallowed */
        } else if (b >= 0x80) {
            t = ground(st, b, ev);
        }
        break;
    case MODE_ESC_INTER:
        if (b >= 0x30 && b <= 0x7e)
            st->mode = MODE_GROUND;
        else if (b >= 0x80)
            t = ground(st, b, ev);
        break;
    case MODE_CSI:
        if (b >= 0x80)
            t = ground(st, b, ev);
        else
            t = csi_byte(st, b, ev);
        break;
    case MODE_CSI_IGNORE:
        if (b >= 0x40 && b <= 0x7e)
            st->mode = MODE_GROUND;
        else if (b >= 0x80)
            t = ground(st, b, ev);
        break;
    case MODE_STRING:
        break;                         /* swallowed up to BEL or ESC */
    default:
        t = ground(st, b, ev);
        break;
    }
out:
    ev->type = t;
    ev->fg = ansi_fg(st);
    ev->bg = ansi_bg(st);
    return t;
}
