/*
 * src/core/lockdep_graph.c - the lock-order graph: class table, edge
 * bitmap with sites, bounded reachability search, once-per-pair reports,
 * and the table-overflow switch-off (see include/core/lockdep_graph.h).
 *
 * Part of core; pure. core/lockdep calls it under its ld_lock. The edge
 * masks and the disabled flag are written with atomic stores so that
 * lockdep's lockless fast path may read them.
 */
#include <core/lockdep_graph.h>
#include <core/atomic.h>
#include <core/errno.h>
#include <core/string.h>

void lockdep_graph_init(struct lockdep_graph *g)
{
    memset(g, 0, sizeof(*g));
}

bool lockdep_graph_enabled(const struct lockdep_graph *g)
{
    return !atomic_load(&g->disabled);
}

/* Bit b of the class set m. */
static bool set_has(const uint64_t *m, unsigned b)
{
    return (m[b / 64] >> (b % 64)) & 1;
}

bool lockdep_graph_has_edge(const struct lockdep_graph *g, unsigned a, unsigned b)
{
    return (atomic_load(&g->edge[a][b / 64]) >> (b % 64)) & 1;
}

const char *lockdep_graph_class_name(const struct lockdep_graph *g, unsigned cls)
{
    return g->cls_name[cls];
}

/* Turns checking off; -ENOSPC the first time (the caller reports it), else -ECANCELED. */
static int overflow(struct lockdep_graph *g)
{
    if (g->disabled)
        return -ECANCELED;
    atomic_store(&g->disabled, true);
    return -ENOSPC;
}

int lockdep_graph_class(struct lockdep_graph *g, const char *name, unsigned kind)
{
    if (g->disabled)
        return -ECANCELED;
    for (unsigned i = 0; i < g->ncls; i++)
        if (g->cls_name[i] == name && g->cls_kind[i] == kind)
            return (int)i;
    if (g->ncls == LOCKDEP_MAX_CLASSES)
        return overflow(g);
    g->cls_name[g->ncls] = name;
    g->cls_kind[g->ncls] = (uint8_t)kind;
    return (int)g->ncls++;
}

/*
 * Depth-first over the edge masks. A class is pushed at most once (seen),
 * so the stack never holds more than LOCKDEP_MAX_CLASSES entries; each
 * entry carries the first hop out of from that led to it.
 */
bool lockdep_graph_reaches(const struct lockdep_graph *g, unsigned from, unsigned to,
                           unsigned *hop)
{
    uint64_t seen[LOCKDEP_GRAPH_WORDS] = { 0 };
    unsigned stack[LOCKDEP_MAX_CLASSES], first[LOCKDEP_MAX_CLASSES];
    unsigned sp = 0, n = from, f = 0;

    seen[from / 64] |= 1ull << (from % 64);
    for (;;) {
        for (unsigned w = 0; w < LOCKDEP_GRAPH_WORDS; w++) {
            for (uint64_t m = g->edge[n][w]; m; m &= m - 1) {
                unsigned b = w * 64 + (unsigned)__builtin_ctzll(m);
                unsigned b_first = n == from ? b : f;

                if (b == to) {
                    *hop = b_first;
                    return true;
                }
                if (!set_has(seen, b) && sp < LOCKDEP_MAX_CLASSES) {
                    seen[b / 64] |= 1ull << (b % 64);
                    stack[sp] = b;
                    first[sp++] = b_first;
                }
            }
        }
        if (sp == 0)
            return false;
        n = stack[--sp];
        f = first[sp];
    }
}

int lockdep_graph_add_edge(struct lockdep_graph *g, int a, int b, uintptr_t site,
                           struct lockdep_graph_inversion *inv)
{
    unsigned hop;

    if (a < 0 || b < 0 || (unsigned)a >= g->ncls || (unsigned)b >= g->ncls)
        return -EINVAL;
    if (g->disabled)
        return -ECANCELED;
    if (a == b || set_has(g->edge[a], (unsigned)b))
        return 0;
    if (lockdep_graph_reaches(g, (unsigned)b, (unsigned)a, &hop)) {
        if (set_has(g->reported[a], (unsigned)b))
            return -EALREADY;
        g->reported[a][b / 64] |= 1ull << (b % 64);
        inv->hop = hop;
        inv->hop_site = g->edge_site[b][hop];
        return -EDEADLK;
    }
    if (g->nedges == LOCKDEP_MAX_EDGES)
        return overflow(g);
    g->edge_site[a][b] = site;
    atomic_store(&g->edge[a][b / 64], g->edge[a][b / 64] | (1ull << (b % 64)));
    g->nedges++;
    return 0;
}
