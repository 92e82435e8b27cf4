/*
 * include/core/printk.h - the kernel log.
 *
 * Part of core. printk formats a message, stamps it with the time since
 * boot, keeps it in an in-memory ring (printk_ring_read) and writes it to
 * every console when its level is at or above the current threshold
 * (command line `loglevel=N`, default LOG_INFO). Levels are Linux's.
 *
 * Line format:  "[    1.234567] text"; warnings and errors are coloured.
 *
 * Context: callable from any context, including exception handlers and
 * before the heap exists; never sleeps. Locking: one global log lock,
 * taken inside with interrupts off, re-entrant on the CPU that holds it
 * (src/core/printk.c); the innermost lock, so callers may hold any other.
 */
#ifndef BASALT_CORE_PRINTK_H
#define BASALT_CORE_PRINTK_H

#include <core/compiler.h>
#include <stdarg.h>

enum log_level {
    LOG_EMERG = 0,
    LOG_ALERT = 1,
    LOG_CRIT = 2,
    LOG_ERR = 3,
    LOG_WARNING = 4,
    LOG_NOTICE = 5,
    LOG_INFO = 6,
    LOG_DEBUG = 7,
};

void printk(int level, const char *fmt, ...) __printf_like(2, 3);
void vprintk(int level, const char *fmt, va_list ap);

/* Raw text to the consoles: no timestamp, no level filtering, no newline added. */
void printk_raw(const char *fmt, ...) __printf_like(1, 2);

/*
 * Raw bytes to the consoles under the log's lock, without a timestamp and
 * not kept in the log ring: for interactive output (the shell's echo and
 * its commands' results). printk_write_screens writes to the screen
 * consoles only and returns how many there are (console_write_screens).
 */
void printk_write(const char *s, size_t n);
size_t printk_write_screens(const char *s, size_t n);

/*
 * A log line (printk, printk_raw) always starts at column 0: when the last
 * bytes written to the consoles did not end a line (a prompt waiting for
 * input), it writes '\n' first. printk_lines_cut counts those cuts, so the
 * owner of the prompt can tell it was interrupted and draw it again.
 */
uint64_t printk_lines_cut(void);

/* Threshold: messages with level <= threshold are printed. */
void printk_set_level(int level);
int printk_get_level(void);

struct console;
/* Writes the whole log ring (everything logged so far) to one console. */
void printk_replay(struct console *con);

/* Copies up to n bytes of the log ring, oldest first; returns the count. */
size_t printk_ring_read(char *buf, size_t n);

/*
 * The one logging style: pr_err("pci: ..."), pr_warn, pr_info, ...; each
 * line starts with its subsystem's name. printk(level, ...) itself only
 * where the level is computed. Lines end in '\n' if the format does not;
 * a line is one call.
 */
#define pr_emerg(...)   printk(LOG_EMERG, __VA_ARGS__)
#define pr_err(...)     printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)    printk(LOG_WARNING, __VA_ARGS__)
#define pr_notice(...)  printk(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)    printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)   printk(LOG_DEBUG, __VA_ARGS__)

#endif
