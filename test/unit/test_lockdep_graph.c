/*
 * test/unit/test_lockdep_graph.c - host tests for src/core/lockdep_graph.c
 * (the lock-order graph behind lockdep).
 *
 * Each test starts from a fresh graph. Covered: class lookup and insert
 * (order of first use, same name pointer and kind = same class, same name
 * with another kind = another class), the class table filling up (checking
 * switches off once, with -ENOSPC, then -ECANCELED); edges recorded once
 * with the first site; self edges ignored as lockdep does (a class nested
 * in itself is no order); a direct inversion (A -> B then B -> A) and a
 * transitive one (A -> B -> C then C -> A) with the path's first hop and
 * its site (what lockdep's report prints); consistent orders (chains,
 * diamonds) never reported; each pair reported once; the search's bound
 * (the longest possible chain, through every class of the table, and the
 * widest fan-out are still searched completely); the edge table filling
 * up (switch-off, and an inversion still found first); bad class indexes;
 * and a random model run against a reachability matrix.
 */
#include "unit.h"
#include <core/lockdep_graph.h>

#define NCLS LOCKDEP_MAX_CLASSES

enum { SPIN, MUTEX };

/* Distinct name pointers: &names[i]. */
static const char names[NCLS + 8][8] = { "L" };

static struct lockdep_graph *g;

static int setup(void **state)
{
    (void)state;
    g = malloc(sizeof(*g));
    assert_non_null(g);
    memset(g, 0xa5, sizeof(*g));            /* init must not rely on zeroed memory */
    lockdep_graph_init(g);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(g);
    g = NULL;
    return 0;
}

/* Classes 0 .. n-1, made in order from names[0 .. n-1]. */
static void make_classes(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(lockdep_graph_class(g, names[i], SPIN), (int)i);
}

static int add(int a, int b, uintptr_t site)
{
    struct lockdep_graph_inversion inv = { 0xdead, 0xdead };
    int err = lockdep_graph_add_edge(g, a, b, site, &inv);

    if (err != -EDEADLK) {                  /* inv is written only for a report */
        assert_int_equal(inv.hop, 0xdead);
        assert_int_equal(inv.hop_site, 0xdead);
    }
    return err;
}

/* ---- classes ----------------------------------------------------------------- */

static void test_class_lookup_insert(void **state)
{
    (void)state;
    assert_true(lockdep_graph_enabled(g));
    assert_int_equal(lockdep_graph_class(g, "alpha", SPIN), 0);
    assert_int_equal(lockdep_graph_class(g, names[1], SPIN), 1);
    assert_int_equal(lockdep_graph_class(g, names[2], MUTEX), 2);
    /* looked up again: the same class, nothing added */
    assert_int_equal(lockdep_graph_class(g, names[1], SPIN), 1);
    assert_int_equal(lockdep_graph_class(g, names[2], MUTEX), 2);
    assert_int_equal(g->ncls, 3);
    assert_ptr_equal(lockdep_graph_class_name(g, 1), names[1]);
    assert_string_equal(lockdep_graph_class_name(g, 0), "alpha");
}

static void test_class_same_name_other_kind(void **state)
{
    static const char text1[] = "same", text2[] = "same";

    (void)state;
    assert_int_equal(lockdep_graph_class(g, text1, SPIN), 0);
    assert_int_equal(lockdep_graph_class(g, text1, MUTEX), 1);     /* another kind */
    assert_int_equal(lockdep_graph_class(g, text2, SPIN), 2);      /* another pointer */
    assert_int_equal(lockdep_graph_class(g, text1, SPIN), 0);
    assert_int_equal(lockdep_graph_class(g, text1, MUTEX), 1);
    /* three nodes of the graph: 0 -> 1 -> 2, then 2 -> 0 closes a cycle through all */
    assert_int_equal(add(0, 1, 0x10), 0);
    assert_int_equal(add(1, 2, 0x20), 0);
    assert_int_equal(add(2, 0, 0x30), -EDEADLK);                  /* 0 -> 1 -> 2 */
}

static void test_class_table_full(void **state)
{
    (void)state;
    make_classes(NCLS);
    assert_true(lockdep_graph_enabled(g));
    assert_int_equal(lockdep_graph_class(g, names[NCLS - 1], SPIN), NCLS - 1);  /* known: fine */
    assert_int_equal(add(0, 1, 0x10), 0);
    assert_int_equal(lockdep_graph_class(g, names[NCLS], SPIN), -ENOSPC);       /* one too many */
    assert_false(lockdep_graph_enabled(g));
    assert_int_equal(g->ncls, NCLS);
    /* off from now on: reported once, then everything refused */
    assert_int_equal(lockdep_graph_class(g, names[NCLS + 1], SPIN), -ECANCELED);
    assert_int_equal(lockdep_graph_class(g, names[0], SPIN), -ECANCELED);
    assert_int_equal(add(1, 2, 0x20), -ECANCELED);
    assert_int_equal(add(1, 0, 0x20), -ECANCELED);                 /* not even an inversion */
    assert_false(lockdep_graph_has_edge(g, 1, 2));
    assert_true(lockdep_graph_has_edge(g, 0, 1));                  /* what was, stays */
}

/* ---- edges ------------------------------------------------------------------- */

static void test_edge_insert_and_duplicate(void **state)
{
    (void)state;
    make_classes(3);
    assert_false(lockdep_graph_has_edge(g, 0, 1));
    assert_int_equal(add(0, 1, 0x100), 0);
    assert_true(lockdep_graph_has_edge(g, 0, 1));
    assert_false(lockdep_graph_has_edge(g, 1, 0));               /* directed */
    assert_int_equal(g->nedges, 1);
    assert_int_equal(add(0, 1, 0x200), 0);                       /* again: known */
    assert_int_equal(add(0, 1, 0x300), 0);
    assert_int_equal(g->nedges, 1);
    assert_int_equal(g->edge_site[0][1], 0x100);                 /* the first site kept */
    assert_int_equal(add(0, 2, 0x400), 0);
    assert_int_equal(g->nedges, 2);
    /* the kept site is the one an inversion names */
    struct lockdep_graph_inversion inv;
    assert_int_equal(lockdep_graph_add_edge(g, 1, 0, 0x500, &inv), -EDEADLK);
    assert_int_equal(inv.hop, 1);
    assert_int_equal(inv.hop_site, 0x100);
}

static void test_self_edge_ignored(void **state)
{
    (void)state;
    make_classes(2);
    assert_int_equal(add(0, 0, 0x10), 0);          /* A while holding A: no order */
    assert_false(lockdep_graph_has_edge(g, 0, 0));
    assert_int_equal(g->nedges, 0);
    assert_int_equal(add(0, 1, 0x20), 0);
    assert_int_equal(add(1, 1, 0x30), 0);
    assert_int_equal(add(0, 0, 0x40), 0);          /* not an inversion either */
    unsigned hop = 99;
    assert_false(lockdep_graph_reaches(g, 0, 0, &hop));   /* no cycle was made */
    assert_int_equal(hop, 99);
    assert_int_equal(g->nedges, 1);
    assert_true(lockdep_graph_enabled(g));
}

static void test_bad_class(void **state)
{
    (void)state;
    make_classes(2);
    assert_int_equal(add(-1, 0, 0x10), -EINVAL);   /* lockdep's "not looked up yet" */
    assert_int_equal(add(0, -1, 0x10), -EINVAL);
    assert_int_equal(add(0, 2, 0x10), -EINVAL);    /* not a class yet */
    assert_int_equal(add(NCLS, 0, 0x10), -EINVAL);
    assert_int_equal(g->nedges, 0);
    assert_true(lockdep_graph_enabled(g));
}

/* ---- inversions -------------------------------------------------------------- */

static void test_direct_inversion(void **state)
{
    struct lockdep_graph_inversion inv;

    (void)state;
    make_classes(2);                                /* A = 0, B = 1 */
    assert_int_equal(add(0, 1, 0x1000), 0);         /* A then B */
    assert_int_equal(lockdep_graph_add_edge(g, 1, 0, 0x2000, &inv), -EDEADLK);  /* B then A */
    assert_int_equal(inv.hop, 1);                   /* "but A then B at 0x1000" */
    assert_int_equal(inv.hop_site, 0x1000);
    assert_false(lockdep_graph_has_edge(g, 1, 0)); /* the inversion is not recorded */
    assert_int_equal(g->nedges, 1);
    assert_int_equal(add(0, 1, 0x3000), 0);         /* the right order stays fine */
}

static void test_transitive_inversion(void **state)
{
    struct lockdep_graph_inversion inv;

    (void)state;
    make_classes(3);                                /* A, B, C */
    assert_int_equal(add(0, 1, 0x100), 0);          /* A -> B */
    assert_int_equal(add(1, 2, 0x200), 0);          /* B -> C */
    assert_int_equal(lockdep_graph_add_edge(g, 2, 0, 0x300, &inv), -EDEADLK);  /* C -> A */
    assert_int_equal(inv.hop, 1);                   /* "but A then B at 0x100" */
    assert_int_equal(inv.hop_site, 0x100);
    assert_false(lockdep_graph_has_edge(g, 2, 0));
    /* the other inversions of that cycle are found too */
    assert_int_equal(lockdep_graph_add_edge(g, 2, 1, 0x400, &inv), -EDEADLK);  /* C -> B */
    assert_int_equal(inv.hop, 2);
    assert_int_equal(inv.hop_site, 0x200);
    assert_int_equal(lockdep_graph_add_edge(g, 1, 0, 0x500, &inv), -EDEADLK);  /* B -> A */
    assert_int_equal(inv.hop, 1);
    assert_int_equal(inv.hop_site, 0x100);
}

static void test_consistent_orders_not_reported(void **state)
{
    (void)state;
    make_classes(8);
    for (int round = 0; round < 3; round++) {
        /* a diamond 0 -> {1, 2} -> 3, its shortcut 0 -> 3, and a chain 3 -> 4 -> ... -> 7 */
        assert_int_equal(add(0, 1, 1), 0);
        assert_int_equal(add(0, 2, 2), 0);
        assert_int_equal(add(1, 3, 3), 0);
        assert_int_equal(add(2, 3, 4), 0);
        assert_int_equal(add(0, 3, 5), 0);
        for (int i = 3; i < 7; i++)
            assert_int_equal(add(i, i + 1, (uintptr_t)(10 + i)), 0);
        assert_int_equal(add(0, 7, 20), 0);         /* a shortcut over the chain */
        assert_int_equal(add(1, 2, 21), 0);         /* siblings: one order between them */
    }
    assert_int_equal(g->nedges, 11);
    for (unsigned a = 0; a < 8; a++)
        for (unsigned w = 0; w < LOCKDEP_GRAPH_WORDS; w++)
            assert_int_equal(g->reported[a][w], 0);
}

static void test_each_pair_reported_once(void **state)
{
    struct lockdep_graph_inversion inv;

    (void)state;
    make_classes(3);
    assert_int_equal(add(0, 1, 0x10), 0);
    assert_int_equal(lockdep_graph_add_edge(g, 1, 0, 0x20, &inv), -EDEADLK);
    for (int i = 0; i < 5; i++)
        assert_int_equal(add(1, 0, 0x20), -EALREADY);        /* the same pair: quiet */
    /* another pair closing a cycle is its own report, then quiet */
    assert_int_equal(add(1, 2, 0x30), 0);
    assert_int_equal(lockdep_graph_add_edge(g, 2, 0, 0x40, &inv), -EDEADLK);
    assert_int_equal(inv.hop, 1);
    assert_int_equal(add(2, 0, 0x40), -EALREADY);
    assert_int_equal(lockdep_graph_add_edge(g, 2, 1, 0x50, &inv), -EDEADLK);
    assert_int_equal(add(2, 1, 0x50), -EALREADY);
    assert_int_equal(add(1, 0, 0x20), -EALREADY);
    assert_int_equal(g->nedges, 2);
}

/*
 * The search's bound is the class table: it visits a class at most once,
 * so it has no depth limit of its own to run past. The longest chain there
 * can be (through all LOCKDEP_MAX_CLASSES classes) is found from end to
 * end, and a fan-out to every class fills its stack without overflowing.
 */
static void test_search_bound_longest_chain(void **state)
{
    struct lockdep_graph_inversion inv;
    unsigned hop;

    (void)state;
    make_classes(NCLS);
    for (int i = 0; i + 1 < NCLS; i++)
        assert_int_equal(add(i, i + 1, (uintptr_t)(0x1000 + i)), 0);
    assert_true(lockdep_graph_reaches(g, 0, NCLS - 1, &hop));
    assert_int_equal(hop, 1);
    assert_false(lockdep_graph_reaches(g, NCLS - 1, 0, &hop));
    /* last then first closes a cycle through every class */
    assert_int_equal(lockdep_graph_add_edge(g, NCLS - 1, 0, 0x8000, &inv), -EDEADLK);
    assert_int_equal(inv.hop, 1);
    assert_int_equal(inv.hop_site, 0x1000);
    /* and from the middle of the chain */
    assert_int_equal(lockdep_graph_add_edge(g, NCLS - 2, 1, 0x8001, &inv), -EDEADLK);
    assert_int_equal(inv.hop, 2);
    assert_int_equal(inv.hop_site, 0x1001);
    /* a shortcut along the chain is consistent, and the path found first then */
    assert_int_equal(add(0, NCLS - 1, 0x9000), 0);
    assert_int_equal(add(NCLS - 1, 0, 0x8000), -EALREADY);
    assert_int_equal(lockdep_graph_add_edge(g, NCLS - 1, 1, 0x8002, &inv), -EDEADLK);
    assert_int_equal(inv.hop, 2);
}

static void test_search_bound_widest_fan(void **state)
{
    struct lockdep_graph_inversion inv;

    (void)state;
    make_classes(NCLS);
    /* 1 -> every class 2 .. NCLS-1: all pushed at once; only the last leads on, to 0 */
    for (int i = 2; i < NCLS; i++)
        assert_int_equal(add(1, i, (uintptr_t)(0x100 + i)), 0);
    for (int i = 2; i < NCLS - 1; i++)                  /* and they reach each other */
        assert_int_equal(add(i, i + 1, (uintptr_t)(0x200 + i)), 0);
    assert_int_equal(add(NCLS - 1, 0, 0x300), 0);
    assert_int_equal(lockdep_graph_add_edge(g, 0, 1, 0x400, &inv), -EDEADLK);
    assert_true(inv.hop >= 2 && inv.hop < NCLS);        /* some path 1 -> hop -> ... -> 0 */
    assert_true(lockdep_graph_has_edge(g, 1, inv.hop));
    assert_int_equal(inv.hop_site, 0x100 + inv.hop);
}

/* ---- edge table overflow ----------------------------------------------------- */

/* Fills the edge table with consistent edges i -> j (i < j); returns the next free pair. */
static void fill_edges(int *next_a, int *next_b)
{
    int n = 0;

    make_classes(NCLS);
    for (int a = 0; a < NCLS; a++)
        for (int b = a + 1; b < NCLS; b++) {
            if (n == LOCKDEP_MAX_EDGES) {
                *next_a = a;
                *next_b = b;
                return;
            }
            assert_int_equal(add(a, b, (uintptr_t)n), 0);
            n++;
        }
    fail_msg("the edge table is larger than the i < j pairs");
}

static void test_edge_table_full(void **state)
{
    int a, b;

    (void)state;
    fill_edges(&a, &b);
    assert_int_equal(g->nedges, LOCKDEP_MAX_EDGES);
    assert_true(lockdep_graph_enabled(g));
    assert_int_equal(add(0, 1, 0x77), 0);               /* known edge: no new entry */
    assert_int_equal(add(5, 5, 0x77), 0);               /* self: none either */
    assert_true(lockdep_graph_enabled(g));
    assert_int_equal(add(a, b, 0x77), -ENOSPC);         /* one too many: off */
    assert_false(lockdep_graph_enabled(g));
    assert_false(lockdep_graph_has_edge(g, (unsigned)a, (unsigned)b));
    assert_int_equal(g->nedges, LOCKDEP_MAX_EDGES);
    /* reported once; then nothing is checked any more */
    assert_int_equal(add(a, b, 0x77), -ECANCELED);
    assert_int_equal(add(1, 0, 0x77), -ECANCELED);      /* an inversion, unseen */
    assert_int_equal(lockdep_graph_class(g, names[0], SPIN), -ECANCELED);
}

static void test_edge_table_full_inversion_first(void **state)
{
    struct lockdep_graph_inversion inv;
    int a, b;

    (void)state;
    fill_edges(&a, &b);
    /* full, but 1 -> 0 is an inversion: reported, not an overflow */
    assert_int_equal(lockdep_graph_add_edge(g, 1, 0, 0x88, &inv), -EDEADLK);
    assert_int_equal(inv.hop, 1);
    assert_true(lockdep_graph_enabled(g));
    assert_int_equal(add(1, 0, 0x88), -EALREADY);
    assert_true(lockdep_graph_enabled(g));
}

static void test_init_resets(void **state)
{
    (void)state;
    make_classes(4);
    assert_int_equal(add(0, 1, 1), 0);
    assert_int_equal(add(1, 0, 1), -EDEADLK);
    lockdep_graph_init(g);
    assert_true(lockdep_graph_enabled(g));
    assert_false(lockdep_graph_has_edge(g, 0, 1));
    assert_int_equal(lockdep_graph_class(g, names[3], SPIN), 0);   /* numbering restarts */
    assert_int_equal(lockdep_graph_class(g, names[2], SPIN), 1);
    assert_int_equal(add(1, 0, 1), 0);
    assert_int_equal(add(0, 1, 1), -EDEADLK);
}

/* ---- random model ------------------------------------------------------------ */

#define MCLS 24

/* reach[i][j]: a path of model edges leads from i to j (i != j). */
static bool medge[MCLS][MCLS], reach[MCLS][MCLS], mreported[MCLS][MCLS];

static void model_close(void)
{
    for (int i = 0; i < MCLS; i++)
        for (int j = 0; j < MCLS; j++)
            reach[i][j] = medge[i][j];
    for (int k = 0; k < MCLS; k++)
        for (int i = 0; i < MCLS; i++)
            for (int j = 0; j < MCLS; j++)
                if (reach[i][k] && reach[k][j])
                    reach[i][j] = true;
}

static void test_random_model(void **state)
{
    unsigned outcomes[3] = { 0 };

    (void)state;
    memset(medge, 0, sizeof(medge));
    memset(mreported, 0, sizeof(mreported));
    model_close();
    make_classes(MCLS);
    rng_state = 0x10cd3f00dull;
    for (int op = 0; op < 4000; op++) {
        int a = (int)rnd_below(MCLS), b = (int)rnd_below(MCLS);
        uintptr_t site = (uintptr_t)op + 1;
        struct lockdep_graph_inversion inv;
        int err = lockdep_graph_add_edge(g, a, b, site, &inv);

        if (a == b || medge[a][b]) {
            assert_int_equal(err, 0);
        } else if (reach[b][a]) {
            assert_int_equal(err, mreported[a][b] ? -EALREADY : -EDEADLK);
            if (err == -EDEADLK) {
                assert_true(medge[b][inv.hop]);
                assert_true(inv.hop == (unsigned)a || reach[inv.hop][a]);
                assert_int_equal(inv.hop_site, g->edge_site[b][inv.hop]);
                outcomes[1]++;
            } else {
                outcomes[2]++;
            }
            mreported[a][b] = true;
        } else {
            assert_int_equal(err, 0);
            medge[a][b] = true;
            assert_int_equal(g->edge_site[a][b], site);
            model_close();
            outcomes[0]++;
        }
        for (int i = 0; i < MCLS; i++)
            for (int j = 0; j < MCLS; j++)
                assert_int_equal(lockdep_graph_has_edge(g, (unsigned)i, (unsigned)j), medge[i][j]);
    }
    for (int i = 0; i < 3; i++)
        if (outcomes[i] < 20)
            fail_msg("outcome %d seen only %u times", i, outcomes[i]);
    assert_true(lockdep_graph_enabled(g));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_class_lookup_insert),
        T(test_class_same_name_other_kind),
        T(test_class_table_full),
        T(test_edge_insert_and_duplicate),
        T(test_self_edge_ignored),
        T(test_bad_class),
        T(test_direct_inversion),
        T(test_transitive_inversion),
        T(test_consistent_orders_not_reported),
        T(test_each_pair_reported_once),
        T(test_search_bound_longest_chain),
        T(test_search_bound_widest_fan),
        T(test_edge_table_full),
        T(test_edge_table_full_inversion_first),
        T(test_init_resets),
        T(test_random_model),
    };
    return cmocka_run_group_tests_name("core/lockdep_graph", tests, NULL, NULL);
}
