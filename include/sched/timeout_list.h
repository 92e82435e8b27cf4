/*
 * include/sched/timeout_list.h - a list of deadlines kept sorted: the pure
 * part of the scheduler's timeout list (src/sched/sched_timeout.c).
 *
 * Part of sched; pure (no locks, no per-CPU state, no printing, no
 * allocation), so the host unit tests (test/unit/test_timeout_list.c) run
 * it under ASan/UBSan. Intrusive: a struct timeout_node lives inside its
 * owner's record (struct sched_timeout), which container_of recovers.
 *
 * Entries are in ascending deadline order; an entry inserted with a
 * deadline equal to others' goes after them (equal deadlines fire in the
 * order they were inserted). Any uint64_t is a deadline, UINT64_MAX too
 * (due only at now == UINT64_MAX).
 *
 * Locking (lock legend of both structs):
 *   [caller] the caller's lock is held around every call and every access
 *            to the fields: sched_timeout.c's timeouts_lock for the kernel's
 *            one list. These functions take no lock and do not check it.
 */
#ifndef BASALT_SCHED_TIMEOUT_LIST_H
#define BASALT_SCHED_TIMEOUT_LIST_H

#include <core/compiler.h>

struct timeout_node {
    uint64_t deadline;              /* [caller] set by timeout_list_insert */
    struct timeout_node *next;      /* [caller] next later (or equal) deadline */
    bool armed;                     /* [caller] on a list */
};

struct timeout_list {
    struct timeout_node *head;      /* [caller] earliest deadline, NULL if empty */
};

/* An empty list (all zero is empty too). */
#define TIMEOUT_LIST_INIT       { NULL }

/* Empties l (forgets its entries: they must not be armed any more). */
void timeout_list_init(struct timeout_list *l);

/* Marks n as on no list: before its first insert (all zero is the same). */
void timeout_list_node_init(struct timeout_node *n);

/*
 * Puts n on l with deadline, after every entry whose deadline is <= it.
 * Returns 0, or -EALREADY when n is armed already (n and l unchanged).
 */
int timeout_list_insert(struct timeout_list *l, struct timeout_node *n, uint64_t deadline);

/*
 * Takes n off l if it is armed. Returns true if it was on the list, false
 * (nothing changed) if it was not. n must not be armed on another list.
 */
bool timeout_list_remove(struct timeout_list *l, struct timeout_node *n);

/*
 * Takes the first entry off l if its deadline is <= now and returns it (not
 * armed any more), else returns NULL. Calling it until it returns NULL pops
 * every entry due at now, earliest first.
 */
struct timeout_node *timeout_list_pop_due(struct timeout_list *l, uint64_t now);

/* The earliest deadline on l, UINT64_MAX when l is empty. */
uint64_t timeout_list_next(const struct timeout_list *l);

/* Is n on a list? */
bool timeout_list_armed(const struct timeout_node *n);

#endif
