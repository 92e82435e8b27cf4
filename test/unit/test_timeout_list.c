/*
 * test/unit/test_timeout_list.c - host tests for src/sched/timeout_list.c
 * (the sorted deadline list under the scheduler's timeouts).
 *
 * Each test starts from an empty list and a pool of never-armed nodes.
 * Covered: ascending order, equal deadlines kept in insertion order; a
 * second insert of an armed node refused (-EALREADY, list unchanged);
 * removal from the head, the middle and the tail, and of a node that is
 * not on the list (returns false, changes nothing); popping the due
 * entries at boundaries (deadline == now is due, now one below is not,
 * now 0, entries at 0); UINT64_MAX deadlines (never due before now ==
 * UINT64_MAX, after every other deadline, next-deadline of an empty list);
 * a popped or removed node can be inserted again; and a random model
 * check against a sorted array for a few thousand operations.
 */
#include "unit.h"
#include <sched/timeout_list.h>

#define NPOOL 64

static struct timeout_list list;
static struct timeout_node pool[NPOOL];

static int setup(void **state)
{
    (void)state;
    memset(pool, 0xa5, sizeof(pool));       /* node_init must not rely on zeroed memory */
    for (unsigned i = 0; i < NPOOL; i++)
        timeout_list_node_init(&pool[i]);
    list.head = &pool[0];                   /* init must empty it */
    timeout_list_init(&list);
    return 0;
}

static unsigned idx(const struct timeout_node *n)
{
    assert_true(n >= pool && n < pool + NPOOL);
    return (unsigned)(n - pool);
}

/*
 * Asserts the list holds exactly pool[want[0]], pool[want[1]], ... in that
 * order, sorted, all armed, and that every other node is not armed.
 */
static void expect(const unsigned *want, unsigned n)
{
    bool on[NPOOL] = { false };
    const struct timeout_node *p = list.head;

    for (unsigned i = 0; i < n; i++, p = p->next) {
        assert_non_null(p);
        assert_int_equal(idx(p), want[i]);
        assert_true(timeout_list_armed(p));
        if (p->next)
            assert_true(p->deadline <= p->next->deadline);
        on[want[i]] = true;
    }
    assert_null(p);
    for (unsigned i = 0; i < NPOOL; i++)
        if (!on[i])
            assert_false(timeout_list_armed(&pool[i]));
    assert_int_equal(timeout_list_next(&list), n ? list.head->deadline : UINT64_MAX);
}

#define EXPECT(...) do {                                            \
        static const unsigned w_[] = { __VA_ARGS__ };               \
        expect(w_, sizeof(w_) / sizeof(w_[0]));                     \
    } while (0)

static void ins(unsigned i, uint64_t deadline)
{
    assert_int_equal(timeout_list_insert(&list, &pool[i], deadline), 0);
    assert_int_equal(pool[i].deadline, deadline);
}

static int pop(uint64_t now)
{
    struct timeout_node *n = timeout_list_pop_due(&list, now);

    if (!n)
        return -1;
    assert_false(timeout_list_armed(n));
    return (int)idx(n);
}

static void test_empty(void **state)
{
    (void)state;
    expect(NULL, 0);
    assert_int_equal(timeout_list_next(&list), UINT64_MAX);
    assert_int_equal(pop(0), -1);
    assert_int_equal(pop(UINT64_MAX), -1);
    assert_false(timeout_list_remove(&list, &pool[0]));
    expect(NULL, 0);
}

static void test_order(void **state)
{
    (void)state;
    ins(0, 50);
    ins(1, 10);
    ins(2, 30);
    ins(3, 70);
    ins(4, 20);
    EXPECT(1, 4, 2, 0, 3);
    assert_int_equal(timeout_list_next(&list), 10);
}

static void test_equal_deadlines_stable(void **state)
{
    static const unsigned order[] = { 1, 3, 6, 5, 0, 2, 4 };

    (void)state;
    ins(0, 20);
    ins(1, 10);
    ins(2, 20);         /* after 0 */
    ins(3, 10);         /* after 1 */
    ins(4, 20);         /* after 2 */
    ins(5, 15);
    ins(6, 10);         /* after 3 */
    expect(order, 7);
    for (unsigned i = 0; i < 7; i++)            /* and they pop in that order */
        assert_int_equal(pop(20), (int)order[i]);
    assert_int_equal(pop(20), -1);
    expect(NULL, 0);
}

static void test_insert_armed_refused(void **state)
{
    (void)state;
    ins(0, 10);
    ins(1, 20);
    assert_int_equal(timeout_list_insert(&list, &pool[0], 30), -EALREADY);
    assert_int_equal(timeout_list_insert(&list, &pool[1], 5), -EALREADY);
    EXPECT(0, 1);
    assert_int_equal(pool[0].deadline, 10);
    assert_int_equal(pool[1].deadline, 20);
}

static void test_remove_head_middle_tail(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 5; i++)
        ins(i, 10 * (i + 1));
    EXPECT(0, 1, 2, 3, 4);
    assert_true(timeout_list_remove(&list, &pool[0]));     /* head */
    EXPECT(1, 2, 3, 4);
    assert_int_equal(timeout_list_next(&list), 20);
    assert_true(timeout_list_remove(&list, &pool[2]));     /* middle */
    EXPECT(1, 3, 4);
    assert_true(timeout_list_remove(&list, &pool[4]));     /* tail */
    EXPECT(1, 3);
    ins(5, 100);                                            /* the new tail links */
    EXPECT(1, 3, 5);
    assert_true(timeout_list_remove(&list, &pool[3]));
    assert_true(timeout_list_remove(&list, &pool[5]));
    assert_true(timeout_list_remove(&list, &pool[1]));     /* the last one */
    expect(NULL, 0);
}

static void test_remove_not_on_list(void **state)
{
    (void)state;
    ins(0, 10);
    ins(1, 20);
    assert_false(timeout_list_remove(&list, &pool[7]));    /* never armed */
    EXPECT(0, 1);
    assert_true(timeout_list_remove(&list, &pool[1]));
    assert_false(timeout_list_remove(&list, &pool[1]));    /* twice */
    EXPECT(0);
    assert_int_equal(pop(10), 0);
    assert_false(timeout_list_remove(&list, &pool[0]));    /* popped */
    expect(NULL, 0);
}

static void test_pop_boundaries(void **state)
{
    (void)state;
    ins(0, 0);
    ins(1, 100);
    ins(2, 100);
    ins(3, 101);
    assert_int_equal(pop(0), 0);                /* deadline 0 due at now 0 */
    assert_int_equal(pop(0), -1);
    assert_int_equal(pop(99), -1);              /* one below: not due */
    EXPECT(1, 2, 3);
    assert_int_equal(pop(100), 1);              /* deadline == now: due */
    assert_int_equal(pop(100), 2);
    assert_int_equal(pop(100), -1);             /* 101 is not */
    EXPECT(3);
    assert_int_equal(timeout_list_next(&list), 101);
    assert_int_equal(pop(1000), 3);             /* long overdue */
    expect(NULL, 0);
}

static void test_uint64_max(void **state)
{
    (void)state;
    ins(0, UINT64_MAX);
    ins(1, UINT64_MAX - 1);
    ins(2, UINT64_MAX);
    ins(3, 5);
    EXPECT(3, 1, 0, 2);
    assert_int_equal(pop(UINT64_MAX - 2), 3);
    assert_int_equal(pop(UINT64_MAX - 2), -1);
    assert_int_equal(pop(UINT64_MAX - 1), 1);
    assert_int_equal(pop(UINT64_MAX - 1), -1);  /* UINT64_MAX not due yet */
    EXPECT(0, 2);
    assert_int_equal(timeout_list_next(&list), UINT64_MAX);
    assert_int_equal(pop(UINT64_MAX), 0);
    assert_int_equal(pop(UINT64_MAX), 2);
    assert_int_equal(pop(UINT64_MAX), -1);
    expect(NULL, 0);
}

static void test_reinsert(void **state)
{
    (void)state;
    ins(0, 10);
    ins(1, 20);
    assert_int_equal(pop(10), 0);
    ins(0, 30);                                 /* popped: may be armed again */
    EXPECT(1, 0);
    assert_true(timeout_list_remove(&list, &pool[1]));
    ins(1, 30);                                 /* removed: too, after 0 */
    EXPECT(0, 1);
}

/* ---- random model ------------------------------------------------------------ */

struct ref {
    unsigned id;
    uint64_t deadline;
};

static struct ref model[NPOOL];
static unsigned nmodel;

static void model_check(void)
{
    unsigned want[NPOOL];

    for (unsigned i = 0; i < nmodel; i++) {
        want[i] = model[i].id;
        assert_int_equal(pool[model[i].id].deadline, model[i].deadline);
    }
    expect(want, nmodel);
}

/* A deadline from a small range (many equal ones), or an extreme. */
static uint64_t rnd_deadline(void)
{
    switch (rnd_below(16)) {
    case 0:  return UINT64_MAX;
    case 1:  return UINT64_MAX - rnd_below(3);
    case 2:  return 0;
    default: return rnd_below(40);
    }
}

static void test_random_model(void **state)
{
    unsigned ops[4] = { 0 }, popped = 0;

    (void)state;
    rng_state = 0x7133d011ull;
    nmodel = 0;
    for (unsigned step = 0; step < 5000; step++) {
        unsigned op = (unsigned)rnd_below(4), id = (unsigned)rnd_below(NPOOL);
        bool armed = false;
        unsigned at = 0;

        for (unsigned i = 0; i < nmodel; i++)
            if (model[i].id == id) {
                armed = true;
                at = i;
            }
        ops[op]++;
        if (op == 0 || op == 1) {               /* insert (twice as often) */
            uint64_t d = rnd_deadline();
            unsigned pos = 0;

            if (armed) {
                assert_int_equal(timeout_list_insert(&list, &pool[id], d), -EALREADY);
            } else {
                assert_int_equal(timeout_list_insert(&list, &pool[id], d), 0);
                while (pos < nmodel && model[pos].deadline <= d)
                    pos++;
                memmove(&model[pos + 1], &model[pos], (nmodel - pos) * sizeof(model[0]));
                model[pos] = (struct ref){ id, d };
                nmodel++;
            }
        } else if (op == 2) {                   /* remove, armed or not */
            assert_int_equal(timeout_list_remove(&list, &pool[id]), armed);
            if (armed) {
                memmove(&model[at], &model[at + 1], (nmodel - at - 1) * sizeof(model[0]));
                nmodel--;
            }
        } else {                                /* pop everything due */
            uint64_t now;
            int got;

            if (nmodel && rnd_below(2))         /* exactly some entry's deadline */
                now = model[rnd_below(nmodel)].deadline;
            else
                now = rnd_deadline();
            while ((got = pop(now)) >= 0) {
                assert_true(nmodel > 0);
                assert_int_equal(got, model[0].id);
                assert_true(model[0].deadline <= now);
                memmove(&model[0], &model[1], (nmodel - 1) * sizeof(model[0]));
                nmodel--;
                popped++;
            }
            assert_true(nmodel == 0 || model[0].deadline > now);
        }
        model_check();
    }
    /* the run exercised every operation, with full and empty lists */
    for (unsigned i = 0; i < 4; i++)
        assert_true(ops[i] > 500);
    assert_true(popped > 500);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_empty),
        T(test_order),
        T(test_equal_deadlines_stable),
        T(test_insert_armed_refused),
        T(test_remove_head_middle_tail),
        T(test_remove_not_on_list),
        T(test_pop_boundaries),
        T(test_uint64_max),
        T(test_reinsert),
        T(test_random_model),
    };
    return cmocka_run_group_tests_name("sched/timeout_list", tests, NULL, NULL);
}
