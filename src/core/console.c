/*
 * src/core/console.c - the list of output consoles (see include/core/console.h).
 *
 * Part of core. A singly linked list built during boot; console_write
 * fans text out to every member in registration order.
 */
#include <core/console.h>
#include <core/errno.h>
#include <core/string.h>

static struct console *console_list;

int console_register(struct console *con)
{
    struct console **pp = &console_list;

    for (; *pp; pp = &(*pp)->next)
        if (*pp == con)
            return -EEXIST;     /* linking it twice would make the list a loop */
    con->next = NULL;
    *pp = con;
    return 0;
}

void console_write(const char *s, size_t n)
{
    for (struct console *c = console_list; c; c = c->next)
        c->write(c, s, n);
}

size_t console_write_screens(const char *s, size_t n)
{
    size_t count = 0;

    for (struct console *c = console_list; c; c = c->next)
        if (c->screen) {
            c->write(c, s, n);
            count++;
        }
    return count;
}

void console_clear(void)
{
    for (struct console *c = console_list; c; c = c->next)
        if (c->clear)
            c->clear(c);
}

struct console *console_find(const char *name)
{
    for (struct console *c = console_list; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
