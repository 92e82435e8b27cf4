/*
 * include/core/format.h - printf-style formatting into a buffer.
 *
 * Part of core; pure (host-tested by test/unit/test_format.c). Supports
 * %d %i %u %x %X %o %c %s %p %% with the flags '-', '+', ' ', '0', '#',
 * a width and precision (numbers or '*') and the length modifiers hh, h,
 * l, ll, z, t and j. %p prints 0x and 16 hex digits. A NULL %s prints
 * "(null)". Unknown conversions are copied through verbatim. '+' and ' '
 * apply to signed conversions only. Widths and precisions are clamped to
 * FORMAT_MAX_WIDTH.
 *
 * Context: any, including interrupt handlers and panics (printk uses it);
 * no locks, never sleeps, touches only the caller's buffer.
 */
#ifndef BASALT_CORE_FORMAT_H
#define BASALT_CORE_FORMAT_H

#include <core/compiler.h>
#include <stdarg.h>

#define FORMAT_MAX_WIDTH 4096

/*
 * Formats into buf[0..size), always NUL-terminated when size > 0. Returns
 * the length the full output would have (like C99), so a result >= size
 * means truncation. Never writes past buf + size.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf_like(3, 4);

#endif
