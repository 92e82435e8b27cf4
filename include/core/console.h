/*
 * include/core/console.h - where kernel text goes: a list of output sinks.
 *
 * Part of core. printk (core/printk) formats a line and hands it to
 * console_write, which gives it to every registered console: the serial
 * port (core/serial), the VGA text screen (dev/vgatext) or the framebuffer
 * (dev/fbcon). Sinks interpret the ANSI colour escapes (the SGR codes
 * below and the rest of the 16 colours: 40-47 and 100-107 backgrounds,
 * 90-97 foregrounds, bold as bright; dev/ansi has the full list) or pass
 * them on (serial).
 *
 * Locking: consoles are registered during single-threaded boot only; the
 * list is then read-only. Writers are serialised by printk's lock.
 * Context: console_register in the boot thread before other CPUs start;
 * the rest in any context, with printk's log lock held for the writers
 * (console_write, console_write_screens, console_clear); none sleeps or
 * fails except as stated.
 */
#ifndef BASALT_CORE_CONSOLE_H
#define BASALT_CORE_CONSOLE_H

#include <core/compiler.h>

struct console {
    const char *name;
    /* Writes n bytes (may include '\n', '\r', '\b', '\t' and SGR escapes). */
    void (*write)(struct console *con, const char *s, size_t n);
    /* Clears the screen; NULL for a stream such as serial. */
    void (*clear)(struct console *con);
    bool screen;            /* draws on a display (vga, fb): console_write_screens */
    struct console *next;
};

/*
 * Adds con to the list; it receives everything written from now on.
 * Returns 0, or -EEXIST if con is registered already.
 */
int console_register(struct console *con);

/* Hands s[0..n) to every console. */
void console_write(const char *s, size_t n);

/*
 * Hands s[0..n) to the screen consoles only (console.screen set: VGA text,
 * framebuffer), not to serial. Returns how many screen consoles took it.
 */
size_t console_write_screens(const char *s, size_t n);

/* Clears every console that can be cleared. */
void console_clear(void);

/* The first registered console with this name, or NULL. */
struct console *console_find(const char *name);

/* ANSI SGR sequences understood by every console. */
#define ANSI_RESET      "\033[0m"
#define ANSI_BOLD       "\033[1m"
#define ANSI_RED        "\033[31m"
#define ANSI_GREEN      "\033[32m"
#define ANSI_YELLOW     "\033[33m"
#define ANSI_BLUE       "\033[34m"
#define ANSI_MAGENTA    "\033[35m"
#define ANSI_CYAN       "\033[36m"
#define ANSI_WHITE      "\033[37m"
#define ANSI_GREY       "\033[90m"

#endif
