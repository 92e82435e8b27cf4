/*
 * src/core/format.c - vsnprintf/snprintf (see include/core/format.h).
 *
 * Part of core; pure, used by printk and by anything that builds text.
 * Output goes through a small cursor that counts every character but
 * stores only what fits, which gives C99's return value for free.
 */
#include <core/format.h>
#include <core/string.h>

struct out {
    char *buf;
    size_t size;
    size_t len;     /* characters produced so far, stored or not */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_n(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

enum {
    F_LEFT = 1 << 0,
    F_PLUS = 1 << 1,
    F_SPACE = 1 << 2,
    F_ZERO = 1 << 3,
    F_ALT = 1 << 4,
    F_UPPER = 1 << 5,
};

struct spec {
    unsigned flags;
    int width;      /* -1 when absent */
    int prec;       /* -1 when absent */
};

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
    size_t len = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
    int pad = sp->width > (int)len ? sp->width - (int)len : 0;

    if (!(sp->flags & F_LEFT))
        put_n(o, ' ', pad);
    for (size_t i = 0; i < len; i++)
        put(o, s[i]);
    if (sp->flags & F_LEFT)
        put_n(o, ' ', pad);
}

static void put_num(struct out *o, uint64_t v, bool negative, bool is_signed, unsigned base,
                    const struct spec *sp)
{
    const char *digits = (sp->flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    const char *prefix = "";
    char sign = 0;

    if (!(v == 0 && sp->prec == 0))     /* "%.0d" of 0 prints no digit */
        do {
            tmp[n++] = digits[v % base];
            v /= base;
        } while (v);

    /* '+' and ' ' apply to signed conversions only */
    if (negative)
        sign = '-';
    else if (is_signed && (sp->flags & F_PLUS))
        sign = '+';
    else if (is_signed && (sp->flags & F_SPACE))
        sign = ' ';

    int zeros = sp->prec > n ? sp->prec - n : 0;
    if (sp->flags & F_ALT) {
        /* '#': 0x for a non-zero hex value; octal output must start with a 0 */
        if (base == 16 && n > 0 && !(n == 1 && tmp[0] == '0'))
            prefix = (sp->flags & F_UPPER) ? "0X" : "0x";
        else if (base == 8 && zeros == 0 && (n == 0 || tmp[n - 1] != '0'))
            prefix = "0";
    }

    int body = (sign ? 1 : 0) + (int)strlen(prefix) + zeros + n;
    int pad = sp->width > body ? sp->width - body : 0;

    /* '0' pads with zeros after the sign unless left-aligned or a precision is given */
    if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0) {
        zeros += pad;
        pad = 0;
    }
    if (!(sp->flags & F_LEFT))
        put_n(o, ' ', pad);
    if (sign)
        put(o, sign);
    for (const char *p = prefix; *p; p++)
        put(o, *p);
    put_n(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (sp->flags & F_LEFT)
        put_n(o, ' ', pad);
}

enum length { L_INT, L_CHAR, L_SHORT, L_LONG, L_LLONG, L_SIZE, L_PTRDIFF, L_INTMAX };

static uint64_t fetch_unsigned(va_list *ap, enum length len)
{
    switch (len) {
    case L_CHAR:    return (unsigned char)va_arg(*ap, unsigned int);
    case L_SHORT:   return (unsigned short)va_arg(*ap, unsigned int);
    case L_LONG:    return va_arg(*ap, unsigned long);
    case L_LLONG:   return va_arg(*ap, unsigned long long);
    case L_SIZE:    return va_arg(*ap, size_t);
    case L_PTRDIFF: return (uint64_t)va_arg(*ap, ptrdiff_t);
    case L_INTMAX:  return va_arg(*ap, uintmax_t);
    case L_INT:
    default:        return va_arg(*ap, unsigned int);
    }
}

static int64_t fetch_signed(va_list *ap, enum length len)
{
    switch (len) {
    case L_CHAR:    return (signed char)va_arg(*ap, int);
    case L_SHORT:   return (short)va_arg(*ap, int);
    case L_LONG:    return va_arg(*ap, long);
    case L_LLONG:   return va_arg(*ap, long long);
    case L_SIZE:    return (int64_t)va_arg(*ap, size_t);
    case L_PTRDIFF: return va_arg(*ap, ptrdiff_t);
    case L_INTMAX:  return va_arg(*ap, intmax_t);
    case L_INT:
    default:        return va_arg(*ap, int);
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = { buf, size, 0 };
    va_list ap;

    va_copy(ap, ap_in);
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(&o, *p);
            continue;
        }
        const char *start = p++;
        struct spec sp = { 0, -1, -1 };

        for (;; p++) {
            if (*p == '-') sp.flags |= F_LEFT;
            else if (*p == '+') sp.flags |= F_PLUS;
            else if (*p == ' ') sp.flags |= F_SPACE;
            else if (*p == '0') sp.flags |= F_ZERO;
            else if (*p == '#') sp.flags |= F_ALT;
            else break;
        }
        if (*p == '*') {
            int w = va_arg(ap, int);
            if (w < 0) {
                sp.flags |= F_LEFT;
                w = w == INT32_MIN ? FORMAT_MAX_WIDTH : -w;
            }
            sp.width = MIN(w, FORMAT_MAX_WIDTH);
            p++;
        } else {
            for (sp.width = 0; *p >= '0' && *p <= '9'; p++)
                sp.width = MIN(sp.width * 10 + (*p - '0'), FORMAT_MAX_WIDTH);
        }
        if (*p == '.') {
            p++;
            if (*p == '*') {
                int q = va_arg(ap, int);
                sp.prec = q < 0 ? -1 : MIN(q, FORMAT_MAX_WIDTH);
                p++;
            } else {
                for (sp.prec = 0; *p >= '0' && *p <= '9'; p++)
                    sp.prec = MIN(sp.prec * 10 + (*p - '0'), FORMAT_MAX_WIDTH);
            }
        }

        enum length len = L_INT;
        if (*p == 'h') {
            len = L_SHORT;
            if (*++p == 'h') {
                len = L_CHAR;
                p++;
            }
        } else if (*p == 'l') {
            len = L_LONG;
            if (*++p == 'l') {
                len = L_LLONG;
                p++;
            }
        } else if (*p == 'z') {
            len = L_SIZE;
            p++;
        } else if (*p == 't') {
            len = L_PTRDIFF;
            p++;
        } else if (*p == 'j') {
            len = L_INTMAX;
            p++;
        }

        switch (*p) {
        case 'd':
        case 'i': {
            int64_t v = fetch_signed(&ap, len);
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            put_num(&o, mag, v < 0, true, 10, &sp);
            break;
        }
        case 'u':
            put_num(&o, fetch_unsigned(&ap, len), false, false, 10, &sp);
            break;
        case 'X':
            sp.flags |= F_UPPER;
            fallthrough;
        case 'x':
            put_num(&o, fetch_unsigned(&ap, len), false, false, 16, &sp);
            break;
        case 'o':
            put_num(&o, fetch_unsigned(&ap, len), false, false, 8, &sp);
            break;
        case 'p': {
            /* always "0x" and 16 digits, then width and '-' as for a string */
            uint64_t v = (uint64_t)(uintptr_t)va_arg(ap, void *);
            char text[19] = { '0', 'x' };
            struct spec ps = { sp.flags & F_LEFT, sp.width, -1 };
            for (int i = 0; i < 16; i++)
                text[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xF];
            text[18] = '\0';
            put_str(&o, text, &ps);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            int pad = sp.width > 1 ? sp.width - 1 : 0;
            if (!(sp.flags & F_LEFT))
                put_n(&o, ' ', pad);
            put(&o, c);
            if (sp.flags & F_LEFT)
                put_n(&o, ' ', pad);
            break;
        }
        case 's': {
            const char *s = va_arg(ap, const char *);
            put_str(&o, s ? s : "(null)", &sp);
            break;
        }
        case '%':
            put(&o, '%');
            break;
        case '\0':
            /* a lone '%' at the end: copy it and stop */
            for (const char *q = start; q < p; q++)
                put(&o, *q);
            p--;
            break;
        default:
            for (const char *q = start; q <= p; q++)
                put(&o, *q);
            break;
        }
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
