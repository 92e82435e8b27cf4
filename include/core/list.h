/*
 * include/core/list.h - intrusive doubly linked circular lists.
 *
 * Part of core. A struct list_node is embedded in the listed object; the
 * head is a node of its own whose next/prev point at itself when empty.
 * No locking here: every list is guarded by whatever lock its owner's
 * legend names.
 */
#ifndef BASALT_CORE_LIST_H
#define BASALT_CORE_LIST_H

#include <core/compiler.h>

struct list_node {
    struct list_node *next, *prev;
};

#define LIST_HEAD_INIT(h) { &(h), &(h) }

static inline void list_init(struct list_node *h) { h->next = h->prev = h; }
static inline bool list_empty(const struct list_node *h) { return h->next == h; }
/* Is n on some list? (Nodes are list_init'ed, and list_del re-inits them.) */
static inline bool list_linked(const struct list_node *n) { return n->next != n; }

static inline void list_insert_between(struct list_node *n, struct list_node *prev,
                                       struct list_node *next)
{
    n->prev = prev;
    n->next = next;
    prev->next = n;
    next->prev = n;
}
/* Adds n right after h (at the front) / right before h (at the back). */
static inline void list_add(struct list_node *h, struct list_node *n) { list_insert_between(n, h, h->next); }
static inline void list_add_tail(struct list_node *h, struct list_node *n) { list_insert_between(n, h->prev, h); }
/* Unlinks n and re-initialises it (so list_linked(n) is false afterwards). */
static inline void list_del(struct list_node *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    list_init(n);
}

#define list_entry(node, type, member) container_of(node, type, member)
#define list_first(h, type, member) (list_empty(h) ? NULL : list_entry((h)->next, type, member))
#define list_for_each(pos, h) for (struct list_node *pos = (h)->next; pos != (h); pos = pos->next)
/* Safe against removing pos inside the loop. */
#define list_for_each_safe(pos, h)                                              \
    for (struct list_node *pos = (h)->next, *pos##_next = pos->next; pos != (h); \
         pos = pos##_next, pos##_next = pos->next)

#endif
