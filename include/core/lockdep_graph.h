/*
 * include/core/lockdep_graph.h - the lock-order graph behind lockdep: lock
 * classes, the "held A while taking B" edges, and inversion detection.
 *
 * Part of core; pure (no printing, no per-CPU state, no locks, no
 * allocation), so the host unit tests (test/unit/test_lockdep_graph.c) run
 * it under ASan/UBSan. core/lockdep is the kernel's checker around it: it
 * owns one graph, tracks the locks each CPU and thread holds, calls these
 * with its ld_lock held, and prints the reports.
 *
 * A class is a (name pointer, kind) pair: the same name string for a
 * spinlock and for a mutex gives two classes; two different pointers to
 * equal text give two classes too. Class indexes run from 0 to
 * LOCKDEP_MAX_CLASSES - 1 in order of first use. The edge a -> b (bit b of
 * edge[a]) means "b was taken while a was held", recorded with the site of
 * that first acquisition. Adding a -> b when b already reaches a through
 * recorded edges is an inversion: it is not recorded, and it is returned
 * for reporting once per (a, b) pair.
 *
 * The reachability search visits each class at most once, so it is bounded
 * by the class table: its stack never holds more than LOCKDEP_MAX_CLASSES
 * entries and it costs O(classes + edges). It is complete within that
 * bound: a path through any number of classes (up to every class in the
 * table) is found; no chain is long enough to escape it.
 *
 * Tables are fixed. When the class table (LOCKDEP_MAX_CLASSES) or the edge
 * table (LOCKDEP_MAX_EDGES) is full, the graph turns itself off: the call
 * that overflowed returns -ENOSPC once, and every later call returns
 * -ECANCELED and changes nothing (classes already known stay known).
 *
 * Locking (lock legend of struct lockdep_graph):
 *   [caller] the caller's lock (lockdep's ld_lock) is held around every
 *            call except the two lockless readers below.
 *   [ro]     written under [caller], may be read without it with the
 *            lockless readers (lockdep_graph_has_edge, lockdep_graph_enabled):
 *            a stale read only makes the caller take the lock and ask again.
 */
#ifndef BASALT_CORE_LOCKDEP_GRAPH_H
#define BASALT_CORE_LOCKDEP_GRAPH_H

#include <core/compiler.h>
#include <core/lockdep.h>       /* LOCKDEP_MAX_CLASSES, LOCKDEP_MAX_EDGES */

/* Each class's out-edges, and its reported pairs, are a bit set of classes. */
#define LOCKDEP_GRAPH_WORDS     ((LOCKDEP_MAX_CLASSES + 63) / 64)
_Static_assert(LOCKDEP_MAX_CLASSES <= 0xffff - 1, "lock class caches are uint16_t + 1");

/* One lock-order graph. All zero (static or lockdep_graph_init) is empty and on. */
struct lockdep_graph {
    bool disabled;                              /* [ro] a table overflowed */
    unsigned ncls;                              /* [caller] classes used */
    unsigned nedges;                            /* [caller] edges recorded */
    const char *cls_name[LOCKDEP_MAX_CLASSES];  /* [caller] class -> name */
    uint8_t cls_kind[LOCKDEP_MAX_CLASSES];      /* [caller] class -> kind */
    uint64_t edge[LOCKDEP_MAX_CLASSES][LOCKDEP_GRAPH_WORDS];        /* [ro] bit b of edge[a]: a -> b */
    uintptr_t edge_site[LOCKDEP_MAX_CLASSES][LOCKDEP_MAX_CLASSES];  /* [caller] */
    uint64_t reported[LOCKDEP_MAX_CLASSES][LOCKDEP_GRAPH_WORDS];    /* [caller] bit b of [a]: (a, b) reported */
};

/* An inversion found when adding a -> b: b already reaches a. */
struct lockdep_graph_inversion {
    unsigned hop;           /* the first class after b on a path b -> ... -> a */
    uintptr_t hop_site;     /* where b -> hop was recorded (hop == a: b then a) */
};

/* Empties g (all classes and edges gone, checking on). g is not in use. */
void lockdep_graph_init(struct lockdep_graph *g);

/*
 * The class of (name, kind), added if new. Caller holds its lock. Returns
 * the class index (0 .. LOCKDEP_MAX_CLASSES - 1); -ENOSPC when the class
 * table is full (g is now off: report it); -ECANCELED when g was off.
 */
int lockdep_graph_class(struct lockdep_graph *g, const char *name, unsigned kind);

/*
 * Class b taken while class a is held, at site. Caller holds its lock.
 * Returns 0 when a -> b is recorded now, was recorded already, or a == b
 * (a class nested in itself is not an order: ignored, never recorded);
 * -EDEADLK when b already reaches a and (a, b) was not reported yet: *inv
 * tells the path's first hop and its site, and the pair is now reported;
 * -EALREADY for the same inversion again (nothing to report); -ENOSPC when
 * a -> b is new but the edge table is full (g is now off: report it;
 * an inversion is still found and returned first); -ECANCELED when g was
 * off; -EINVAL when a or b is not a class of g.
 */
int lockdep_graph_add_edge(struct lockdep_graph *g, int a, int b, uintptr_t site,
                           struct lockdep_graph_inversion *inv);

/*
 * True when a -> b is recorded. Lockless (a racing add may be missed: ask
 * again under the lock before acting on false). a and b are classes of g.
 */
bool lockdep_graph_has_edge(const struct lockdep_graph *g, unsigned a, unsigned b);

/* False once a table overflowed. Lockless, as lockdep_graph_has_edge. */
bool lockdep_graph_enabled(const struct lockdep_graph *g);

/*
 * True when a path of recorded edges leads from class from to class to
 * (from == to: only through a cycle, which an inversion-free graph lacks).
 * Sets *hop to the path's first class after from. Caller holds its lock.
 */
bool lockdep_graph_reaches(const struct lockdep_graph *g, unsigned from, unsigned to,
                           unsigned *hop);

/* The name of class cls (as given to lockdep_graph_class). Caller holds its lock. */
const char *lockdep_graph_class_name(const struct lockdep_graph *g, unsigned cls);

#endif
