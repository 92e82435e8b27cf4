/*
 * include/core/string.h - memory and string routines for the kernel.
 *
 * Part of core; pure (also built on the host by test/unit, where the names
 * are renamed with a k_ prefix so they do not clash with the C library).
 * The compiler may emit calls to memcpy/memmove/memset/memcmp itself, so
 * these four keep their standard names and semantics.
 *
 * Context: any, including interrupt handlers and panics; no locks, never
 * sleeps, touches only the caller's buffers.
 */
#ifndef BASALT_CORE_STRING_H
#define BASALT_CORE_STRING_H

#include <core/compiler.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);

/*
 * Copies src into dst[0..size), always NUL-terminating when size > 0.
 * Returns strlen(src): a result >= size means the copy was truncated.
 */
size_t strlcpy(char *dst, const char *src, size_t size);

/*
 * Parses an unsigned integer from s[0..len) in base 10, or 16 with a
 * 0x/0X prefix (base 0), or the given base (2..16). The whole range must
 * be digits. Returns 0 and sets *out, -EINVAL for no digits or a stray
 * character, -ERANGE when the value does not fit in 64 bits.
 */
int str_to_u64(const char *s, size_t len, unsigned base, uint64_t *out);

/*
 * Glob match: '*' matches any run (also empty), '?' one character, every
 * other character itself. Used for ktest filters ("mm.*").
 */
bool str_glob_match(const char *pattern, const char *text);

#endif
