/*
 * test/unit/test_errno.c - host tests for src/core/errno.c (errno_name).
 *
 * Every number in include/core/errno.h must have its own name, with either
 * sign; unknown numbers give "E?". The numbers themselves are checked
 * against glibc (strerrorname_np), since they are Linux's system call ABI.
 */
#include "unit.h"

#define E(x) { x, #x }
static const struct {
    int num;
    const char *name;
} known[] = {
    E(EPERM),   E(ENOENT),  E(ESRCH),   E(EINTR),   E(EIO),        E(ENXIO),
    E(E2BIG),   E(ENOEXEC), E(EBADF),   E(ECHILD),  E(EAGAIN),     E(ENOMEM),
    E(EACCES),  E(EFAULT),  E(EBUSY),   E(EEXIST),  E(EXDEV),      E(ENODEV),
    E(ENOTDIR), E(EISDIR),  E(EINVAL),  E(ENFILE),  E(EMFILE),     E(ENOTTY),
    E(EFBIG),   E(ENOSPC),  E(ESPIPE),  E(EROFS),   E(EMLINK),     E(EPIPE),
    E(EDOM),    E(ERANGE),  E(EDEADLK), E(ENAMETOOLONG),           E(ENOSYS),
    E(ENOTEMPTY),           E(ELOOP),   E(ENODATA), E(ETIME),      E(EOVERFLOW),
    E(EILSEQ),  E(ENOTSUP), E(ETIMEDOUT),           E(EALREADY),   E(EINPROGRESS),
    E(EUCLEAN), E(ECANCELED),
};

static void test_every_name(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
        assert_string_equal(errno_name(known[i].num), known[i].name);
        assert_string_equal(errno_name(-known[i].num), known[i].name);
    }
    /* EOPNOTSUPP is ENOTSUP's alias (same number) */
    assert_int_equal(EOPNOTSUPP, ENOTSUP);
    assert_string_equal(errno_name(-EOPNOTSUPP), "ENOTSUP");
}

static void test_linux_numbers(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
        const char *glibc = strerrorname_np(known[i].num);
        assert_non_null(glibc);
        /* glibc names 95 EOPNOTSUPP; the rest must agree exactly */
        if (known[i].num == ENOTSUP)
            assert_string_equal(glibc, "EOPNOTSUPP");
        else if (strcmp(glibc, known[i].name) != 0)
            fail_msg("%s is %d in core/errno.h, but %d is %s on Linux", known[i].name,
                     known[i].num, known[i].num, glibc);
    }
}

static void test_unknown(void **state)
{
    (void)state;
    const int unknown[] = { 0, 15, 26, 37, 41, 60, 96, 126, 133, 1000, -1000, INT_MAX, -INT_MAX };
    for (size_t i = 0; i < ARRAY_SIZE(unknown); i++)
        assert_string_equal(errno_name(unknown[i]), "E?");
}

static void call_errno_name_int_min(void *arg)
{
    const char **out = arg;
    *out = errno_name(INT_MIN);
    if (strcmp(*out, "E?") != 0)
        _exit(1);
}

/*
 * Regression test (bug found by this suite, fixed): src/core/errno.c errno_name negates a negative err (`err =
 * -err`), which overflows for INT_MIN: UBSan "negation of -2147483648
 * cannot be represented in type 'int'". Expected "E?".
 */
static void test_int_min(void **state)
{
    (void)state;
    const char *name = NULL;
    assert_true(run_in_child(call_errno_name_int_min, &name, 10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_name),
        cmocka_unit_test(test_linux_numbers),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_int_min),
    };
    return cmocka_run_group_tests_name("core/errno", tests, NULL, NULL);
}
