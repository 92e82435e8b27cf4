/*
 * test/unit/test_slab_class.c - host tests for src/mm/slab_class.c.
 *
 * The computed class of every request size is compared with a plain search
 * of the class list, the waste bound is checked for every size, and
 * slab_objects_per_slab is compared with a model that places objects one
 * by one, plus overflow-prone extremes.
 */
#include "unit.h"
#include <mm/slab_class.h>

static const size_t expected_sizes[SLAB_CLASS_COUNT] = {
    16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048,
};

static void test_sizes(void **state)
{
    (void)state;
    for (int i = 0; i < SLAB_CLASS_COUNT; i++)
        assert_int_equal(slab_class_size(i), expected_sizes[i]);
    assert_int_equal(slab_class_size(0), SLAB_MIN_SIZE);
    assert_int_equal(slab_class_size(SLAB_CLASS_COUNT - 1), SLAB_MAX_SIZE);
    assert_int_equal(slab_class_size(-1), 0);
    assert_int_equal(slab_class_size(SLAB_CLASS_COUNT), 0);
    assert_int_equal(slab_class_size(INT_MIN), 0);
    assert_int_equal(slab_class_size(INT_MAX), 0);
}

static void test_index_boundaries(void **state)
{
    (void)state;
    assert_int_equal(slab_class_index(0), -1);
    assert_int_equal(slab_class_index(1), 0);
    assert_int_equal(slab_class_index(16), 0);
    assert_int_equal(slab_class_index(17), 1);
    assert_int_equal(slab_class_index(24), 1);
    assert_int_equal(slab_class_index(25), 2);
    assert_int_equal(slab_class_index(32), 2);
    assert_int_equal(slab_class_index(33), 3);
    assert_int_equal(slab_class_index(1536), 13);
    assert_int_equal(slab_class_index(1537), 14);
    assert_int_equal(slab_class_index(2048), 14);
    assert_int_equal(slab_class_index(2049), -1);
    assert_int_equal(slab_class_index(4096), -1);
    assert_int_equal(slab_class_index(SIZE_MAX), -1);
    assert_int_equal(slab_class_index((size_t)1 << 63), -1);
}

/* Every size 0 .. 3 * SLAB_MAX_SIZE against a linear search of the list. */
static void test_index_exhaustive(void **state)
{
    (void)state;
    for (size_t size = 0; size <= 3 * SLAB_MAX_SIZE; size++) {
        int want = -1;
        if (size > 0)
            for (int i = 0; i < SLAB_CLASS_COUNT; i++)
                if (expected_sizes[i] >= size) {
                    want = i;
                    break;
                }
        int got = slab_class_index(size);
        if (got != want)
            fail_msg("slab_class_index(%zu) = %d, want %d", size, got, want);
    }
}

/* Above the smallest class no request wastes a third of its object or more. */
static void test_waste_bound(void **state)
{
    (void)state;
    for (size_t size = SLAB_MIN_SIZE + 1; size <= SLAB_MAX_SIZE; size++) {
        size_t obj = slab_class_size(slab_class_index(size));
        assert_true(obj >= size);
        assert_true((obj - size) * 3 < obj);
    }
}

static void test_objects_examples(void **state)
{
    (void)state;
    assert_int_equal(slab_objects_per_slab(4096, 0, 16, 16), 256);
    assert_int_equal(slab_objects_per_slab(4096, 64, 16, 16), 252);
    assert_int_equal(slab_objects_per_slab(4096, 40, 24, 8), 169);
    assert_int_equal(slab_objects_per_slab(4096, 40, 24, 16), 126);    /* start 48, stride 32 */
    assert_int_equal(slab_objects_per_slab(4096, 64, 2048, 8), 1);
    assert_int_equal(slab_objects_per_slab(8192, 64, 2048, 8), 3);
    assert_int_equal(slab_objects_per_slab(4096, 0, 4096, 8), 1);
    assert_int_equal(slab_objects_per_slab(4096, 1, 4096, 8), 0);
    assert_int_equal(slab_objects_per_slab(4096, 0, 4097, 8), 0);
    assert_int_equal(slab_objects_per_slab(4096, 4096, 1, 1), 0);
    assert_int_equal(slab_objects_per_slab(4096, 5000, 1, 1), 0);
    /* the last object needs its own size, not a whole stride */
    assert_int_equal(slab_objects_per_slab(100, 0, 24, 64), 2);
    /* align 0 means 1; obj_size 0 and a non power of two give 0 */
    assert_int_equal(slab_objects_per_slab(100, 1, 3, 0), 33);
    assert_int_equal(slab_objects_per_slab(4096, 0, 0, 8), 0);
    assert_int_equal(slab_objects_per_slab(4096, 0, 16, 24), 0);
    assert_int_equal(slab_objects_per_slab(0, 0, 1, 1), 0);
}

static void test_objects_extremes(void **state)
{
    (void)state;
    size_t top = (size_t)1 << 63;
    /* nothing may overflow */
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, SIZE_MAX, 1, 1), 0);
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, SIZE_MAX - 1, 1, 1), 1);
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, top + 1, 1, top), 0); /* header rounds past SIZE_MAX */
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, 1, 1, top), 1);
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, 0, top + 1, top), 1); /* stride past SIZE_MAX */
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, 0, 1, top), 2);
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, 0, SIZE_MAX, 1), 1);
    assert_int_equal(slab_objects_per_slab(SIZE_MAX, 0, 1, 1), SIZE_MAX);
}

/* Places objects one at a time: the definition the formula must match. */
static size_t model_objects(size_t slab, size_t header, size_t obj, size_t align)
{
    size_t n = 0;
    size_t at = (header + align - 1) / align * align;
    while (at + obj <= slab) {
        n++;
        at += (obj + align - 1) / align * align;
    }
    return n;
}

static void test_objects_model(void **state)
{
    (void)state;
    static const size_t slabs[] = { 0, 64, 100, 4096, 8192, 16384 };
    static const size_t headers[] = { 0, 1, 8, 24, 40, 64, 100, 4095, 4096 };
    static const size_t aligns[] = { 1, 2, 8, 16, 64, 128, 4096 };
    for (size_t s = 0; s < ARRAY_SIZE(slabs); s++)
        for (size_t h = 0; h < ARRAY_SIZE(headers); h++)
            for (size_t a = 0; a < ARRAY_SIZE(aligns); a++)
                for (size_t obj = 1; obj <= 2100; obj += (obj < 64 ? 1 : 7)) {
                    size_t want = model_objects(slabs[s], headers[h], obj, aligns[a]);
                    size_t got = slab_objects_per_slab(slabs[s], headers[h], obj, aligns[a]);
                    if (got != want)
                        fail_msg("objects(%zu, %zu, %zu, %zu) = %zu, want %zu", slabs[s],
                                 headers[h], obj, aligns[a], got, want);
                }
    /* every class in a 4 KiB slab with a 64-byte header: at least one object */
    for (int i = 0; i < SLAB_CLASS_COUNT; i++)
        assert_true(slab_objects_per_slab(4096, 64, slab_class_size(i), 16) >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_index_boundaries),
        cmocka_unit_test(test_index_exhaustive),
        cmocka_unit_test(test_waste_bound),
        cmocka_unit_test(test_objects_examples),
        cmocka_unit_test(test_objects_extremes),
        cmocka_unit_test(test_objects_model),
    };
    return cmocka_run_group_tests_name("mm/slab_class", tests, NULL, NULL);
}
