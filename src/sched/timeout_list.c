/*
 * src/sched/timeout_list.c - a list of deadlines kept sorted (see
 * include/sched/timeout_list.h).
 *
 * Part of sched; pure: the caller holds its lock around every call.
 */
#include <sched/timeout_list.h>
#include <core/errno.h>

void timeout_list_init(struct timeout_list *l)
{
    l->head = NULL;
}

void timeout_list_node_init(struct timeout_node *n)
{
    n->next = NULL;
    n->armed = false;
}

int timeout_list_insert(struct timeout_list *l, struct timeout_node *n, uint64_t deadline)
{
    struct timeout_node **pp = &l->head;

    if (n->armed)
        return -EALREADY;
    while (*pp && (*pp)->deadline <= deadline)
        pp = &(*pp)->next;
    n->deadline = deadline;
    n->next = *pp;
    *pp = n;
    n->armed = true;
    return 0;
}

bool timeout_list_remove(struct timeout_list *l, struct timeout_node *n)
{
    if (!n->armed)
        return false;
    for (struct timeout_node **pp = &l->head; *pp; pp = &(*pp)->next)
        if (*pp == n) {
            *pp = n->next;
            break;
        }
    n->next = NULL;
    n->armed = false;
    return true;
}

struct timeout_node *timeout_list_pop_due(struct timeout_list *l, uint64_t now)
{
    struct timeout_node *n = l->head;

    if (!n || n->deadline > now)
        return NULL;
    l->head = n->next;
    n->next = NULL;
    n->armed = false;
    return n;
}

uint64_t timeout_list_next(const struct timeout_list *l)
{
    return l->head ? l->head->deadline : UINT64_MAX;
}

bool timeout_list_armed(const struct timeout_node *n)
{
    return n->armed;
}
