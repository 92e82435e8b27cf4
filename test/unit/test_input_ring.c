/*
 * test/unit/test_input_ring.c - host tests for src/core/input_ring.c (the
 * lock-free single-producer single-consumer event ring).
 *
 * Checks argument validation, FIFO order, the full ring (new events
 * refused and counted, old ones kept), index wrap-around at 2^32, a model
 * test against a plain queue, and a two-thread stress run in which a
 * producer and a consumer race through a million sequence-numbered events.
 */
#include "unit.h"

#include <pthread.h>
#include <sched.h>

struct ev {
    uint32_t seq;
    uint32_t check;     /* ~seq: a torn copy shows */
};

static struct ev store[8];
static struct input_ring r;

static void put_ok(uint32_t seq)
{
    struct ev e = { seq, ~seq };
    assert_true(input_ring_put(&r, &e));
}

static uint32_t get_ok(void)
{
    struct ev e;
    assert_true(input_ring_get(&r, &e));
    assert_int_equal(e.check, ~e.seq);
    return e.seq;
}

static void test_init_args(void **state)
{
    (void)state;
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 0), -EINVAL);
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 6), -EINVAL);
    assert_int_equal(input_ring_init(&r, store, 0, 8), -EINVAL);
    assert_int_equal(input_ring_init(&r, NULL, sizeof(store[0]), 8), -EINVAL);
    assert_int_equal(input_ring_init(NULL, store, sizeof(store[0]), 8), -EINVAL);
    assert_int_equal(input_ring_init(&r, store, 1, 0x80000000u), 0);   /* 2^31: the limit */
    assert_int_equal(input_ring_init(&r, store, 1, 0x80000001u), -EINVAL);
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 1), 0);
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 8), 0);
    assert_int_equal(input_ring_count(&r), 0);
    assert_int_equal(input_ring_dropped(&r), 0);
}

static void test_fifo(void **state)
{
    (void)state;
    struct ev e = { 77, 77 };

    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 8), 0);
    assert_false(input_ring_get(&r, &e));
    assert_int_equal(e.seq, 77);                    /* untouched when empty */
    for (uint32_t i = 0; i < 5; i++)
        put_ok(i);
    assert_int_equal(input_ring_count(&r), 5);
    for (uint32_t i = 0; i < 5; i++)
        assert_int_equal(get_ok(), i);
    assert_int_equal(input_ring_count(&r), 0);
    assert_false(input_ring_get(&r, &e));
}

static void test_full_drops_newest(void **state)
{
    (void)state;
    struct ev e = { 100, ~100u };

    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 8), 0);
    for (uint32_t i = 0; i < 8; i++)
        put_ok(i);
    assert_false(input_ring_put(&r, &e));
    assert_false(input_ring_put(&r, &e));
    assert_int_equal(input_ring_dropped(&r), 2);
    assert_int_equal(input_ring_count(&r), 8);
    assert_int_equal(get_ok(), 0);                  /* the oldest are kept */
    put_ok(8);                                      /* room for one again */
    for (uint32_t i = 1; i <= 8; i++)
        assert_int_equal(get_ok(), i);
    assert_int_equal(input_ring_dropped(&r), 2);
}

static void test_capacity_one(void **state)
{
    (void)state;
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 1), 0);
    for (uint32_t i = 0; i < 10; i++) {
        put_ok(i);
        struct ev e = { 0, 0 };
        assert_false(input_ring_put(&r, &e));
        assert_int_equal(get_ok(), i);
    }
    assert_int_equal(input_ring_dropped(&r), 10);
}

static void test_index_wraparound(void **state)
{
    (void)state;
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 8), 0);
    r.head = r.tail = UINT32_MAX - 3;               /* as after ~4 billion events */
    for (uint32_t i = 0; i < 8; i++)
        put_ok(i);
    assert_int_equal(input_ring_count(&r), 8);
    assert_false(input_ring_put(&r, &(struct ev){ 0, 0 }));
    for (uint32_t i = 0; i < 8; i++)
        assert_int_equal(get_ok(), i);
    assert_true(r.head < 8);                        /* wrapped */
    assert_int_equal(input_ring_count(&r), 0);
}

static void test_random_model(void **state)
{
    (void)state;
    uint32_t model[8], mhead = 0, mtail = 0, next = 0, dropped = 0;

    rng_state = 0x1a9b;
    assert_int_equal(input_ring_init(&r, store, sizeof(store[0]), 8), 0);
    for (int step = 0; step < 200000; step++) {
        if (rnd_below(2)) {
            struct ev e = { next, ~next };
            bool ok = input_ring_put(&r, &e);
            assert_int_equal(ok, mhead - mtail < 8);
            if (ok)
                model[mhead++ % 8] = next;
            else
                dropped++;
            next++;
        } else {
            struct ev e;
            bool ok = input_ring_get(&r, &e);
            assert_int_equal(ok, mhead != mtail);
            if (ok)
                assert_int_equal(e.seq, model[mtail++ % 8]);
        }
        assert_int_equal(input_ring_count(&r), mhead - mtail);
    }
    assert_int_equal(input_ring_dropped(&r), dropped);
}

/* ---- two threads: one producer, one consumer ---------------------------- */

#define STRESS_EVENTS 1000000u

static struct ev stress_store[64];
static struct input_ring stress;

static void *producer(void *arg)
{
    (void)arg;
    for (uint32_t seq = 0; seq < STRESS_EVENTS;) {
        struct ev e = { seq, ~seq };
        if (input_ring_put(&stress, &e))
            seq++;
        else
            sched_yield();
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    pthread_t t;
    uint32_t expect = 0;

    assert_int_equal(input_ring_init(&stress, stress_store, sizeof(stress_store[0]), 64), 0);
    assert_int_equal(pthread_create(&t, NULL, producer, NULL), 0);
    while (expect < STRESS_EVENTS) {
        struct ev e;
        if (!input_ring_get(&stress, &e)) {
            sched_yield();
            continue;
        }
        assert_int_equal(e.seq, expect);            /* in order, none lost or repeated */
        assert_int_equal(e.check, ~expect);         /* never a half-written slot */
        expect++;
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(input_ring_count(&stress), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_args),
        cmocka_unit_test(test_fifo),
        cmocka_unit_test(test_full_drops_newest),
        cmocka_unit_test(test_capacity_one),
        cmocka_unit_test(test_index_wraparound),
        cmocka_unit_test(test_random_model),
        cmocka_unit_test(test_two_threads),
    };
    return cmocka_run_group_tests_name("core/input_ring", tests, NULL, NULL);
}
