/*
 * include/core/ktest.h - in-kernel tests.
 *
 * Part of core. A test is a function declared with KTEST(suite, name); the
 * linker gathers the descriptors in the .ktests section. Booting with
 * `ktest` runs every test, `ktest=GLOB` those whose "suite.name" matches
 * the glob. The runner prints one line per test:
 *     ktest: PASS suite.name (0.042 ms)
 *     ktest: FAIL suite.name (file.c:12: expected a == b: 3 (0x3) vs 4 (0x4))
 *     ktest: SKIP suite.name (no framebuffer: GRUB loaded no video driver)
 * then exactly "N passed, M failed, K skipped" (always all three), and exits
 * QEMU through isa-debug-exit (port 0xf4: 0x10 = pass, 0x11 = fail; QEMU
 * exits 33 or 35). Skipped tests count neither as passed nor as failed: a
 * run passes when none failed, whatever it skipped.
 *
 * A test that needs hardware this machine lacks (a framebuffer, a disk,
 * HPET, RDRAND, SMEP, a second CPU...) calls KT_SKIP("why") once it has
 * found the thing absent; it must still fail when the thing is present
 * but broken, so it skips on the firmware's or CPUID's word, never on the
 * failure of the code under test.
 *
 * A failed KT_ASSERT_* ends its test; a failed KT_EXPECT_* records the
 * failure and goes on. A fault or a panic inside a test fails that test
 * and the run continues with the next one.
 *
 * KTEST_MANUAL tests (selftest.*, which fail on purpose to prove the
 * runner can fail) run only when the filter names their suite exactly,
 * as in `ktest=selftest.*`.
 *
 * The runner is also the shell's `test [FILTER]` command: then the tests run
 * after boot with everything up, and QEMU stays on.
 *
 * Context: tests run on the boot CPU in the boot thread (or the shell's).
 */
#ifndef BASALT_CORE_KTEST_H
#define BASALT_CORE_KTEST_H

#include <core/compiler.h>
#include <core/string.h>

#define KTEST_MANUAL    (1u << 0)

struct ktest {
    const char *suite;
    const char *name;
    void (*fn)(void);
    unsigned flags;
    const char *file;
    int line;
};

#define KTEST_F(suite_, name_, flags_)                                          \
    static void ktest_fn_##suite_##_##name_(void);                              \
    static const struct ktest ktest_desc_##suite_##_##name_                     \
        __section(".ktests") __used __aligned(8) = {                            \
            .suite = #suite_, .name = #name_, .fn = ktest_fn_##suite_##_##name_,\
            .flags = (flags_), .file = __FILE__, .line = __LINE__ };            \
    static void ktest_fn_##suite_##_##name_(void)

#define KTEST(suite_, name_) KTEST_F(suite_, name_, 0)

/* Records a failure of the running test (message printed under its line). */
void ktest_fail(const char *file, int line, const char *fmt, ...) __printf_like(3, 4);

/* Ends the running test now (after a ktest_fail). */
__noreturn void ktest_abort(void);

/* Fails and ends the running test: used by panic and by the trap handler. */
__noreturn void ktest_abort_current(const char *fmt, ...) __printf_like(1, 2);

/*
 * Registers how a worker thread that fails an assertion ends itself (the
 * scheduler's thread exit; sched_init sets it: core cannot call sched).
 */
void ktest_set_thread_exit_hook(__noreturn void (*fn)(void));

/*
 * Ends the running test as skipped, with the reason printed on its SKIP
 * line. Only from the test's own thread (ktest_on_runner_cpu); elsewhere
 * it fails the test instead. A test that failed before it skips stays
 * failed.
 */
__noreturn void ktest_skip(const char *fmt, ...) __printf_like(1, 2);

#define KT_SKIP(...)    ktest_skip(__VA_ARGS__)

/* True while a test function is running. */
bool ktest_running(void);

/*
 * True while a test runs and the caller is the test's own thread on its
 * CPU: only there can a failure, a fault or a panic jump back to the
 * runner. A KT_ASSERT failing elsewhere records the failure and ends that
 * thread (a worker) or stops that CPU (in an smp_call); a panic elsewhere
 * stops the machine.
 */
bool ktest_on_runner_cpu(void);

/*
 * Runs fn(arg) expecting it to raise CPU exception `vector`. Returns 0 if
 * it did (fault details in *out if out is not NULL), -EINVAL if fn returned
 * normally. A different exception fails the test as usual.
 */
struct ktest_fault {
    uint64_t vector, error, cr2, rip;
    uintptr_t frame;        /* where the handler's trap frame was: shows which stack */
};
int ktest_expect_fault(int vector, void (*fn)(void *), void *arg, struct ktest_fault *out);

/*
 * Called by the trap handler for every exception while a test runs: if the
 * test expects this vector, resumes ktest_expect_fault (does not return).
 */
struct trap_frame;
void ktest_trap_hook(const struct trap_frame *f);

/*
 * Runs the tests matching filter ("*" for all). Returns the number that
 * failed (skipped ones are not failures), or -ENOENT when the filter
 * matches no test (a typo must not pass).
 */
int ktest_run(const char *filter);

/* Tells QEMU the verdict through isa-debug-exit, then halts. */
__noreturn void ktest_exit(bool passed);

/*
 * Boot-time ktest mode (the `ktest` kernel parameter): runs the tests
 * matching filter, then ktest_exit with the verdict (a filter that matches
 * nothing fails). The shell's `test` calls ktest_run instead, which returns
 * and can be called again.
 */
__noreturn void ktest_boot(const char *filter);

/* True during ktest_boot's run: the kernel was booted to run tests and exit. */
bool ktest_at_boot(void);

/* ---- benchmarks (KTEST_MANUAL tests in the suite "bench") ------------------- */

/* Nanoseconds since tsc_start (an rdtsc() value), by the calibrated TSC. */
uint64_t ktest_bench_ns_since(uint64_t tsc_start);

/* Prints "bench: <what>: <ns/op> ns/op (<ops> ops)", the line docs/benchmarks.md quotes. */
void ktest_bench_report(const char *what, uint64_t ns, uint64_t ops);

/* ---- assertions ------------------------------------------------------------ */

#define KT_CHECK_OP_(a, op, b, fatal)                                           \
    do {                                                                        \
        __typeof__(a) kt_a_ = (a);                                              \
        __typeof__(b) kt_b_ = (b);                                              \
        if (!(kt_a_ op kt_b_)) {                                                \
            ktest_fail(__FILE__, __LINE__,                                      \
                       "expected %s %s %s: %lld (%#llx) vs %lld (%#llx)", #a, #op, #b, \
                       (long long)(uintptr_t)kt_a_, (unsigned long long)(uintptr_t)kt_a_, \
                       (long long)(uintptr_t)kt_b_, (unsigned long long)(uintptr_t)kt_b_); \
            if (fatal)                                                          \
                ktest_abort();                                                  \
        }                                                                       \
    } while (0)

#define KT_CHECK_TRUE_(c, want, fatal)                                          \
    do {                                                                        \
        if (!(c) != !(want)) {                                                  \
            ktest_fail(__FILE__, __LINE__, "expected %s to be %s", #c,          \
                       (want) ? "true" : "false");                              \
            if (fatal)                                                          \
                ktest_abort();                                                  \
        }                                                                       \
    } while (0)

#define KT_CHECK_STREQ_(a, b, fatal)                                            \
    do {                                                                        \
        const char *kt_sa_ = (a), *kt_sb_ = (b);                                \
        if (!kt_sa_ || !kt_sb_ || strcmp(kt_sa_, kt_sb_) != 0) {                \
            ktest_fail(__FILE__, __LINE__, "expected %s == %s: \"%s\" vs \"%s\"", \
                       #a, #b, kt_sa_ ? kt_sa_ : "(null)", kt_sb_ ? kt_sb_ : "(null)"); \
            if (fatal)                                                          \
                ktest_abort();                                                  \
        }                                                                       \
    } while (0)

#define KT_CHECK_HAS_(s, part, fatal)                                           \
    do {                                                                        \
        const char *kt_s_ = (s), *kt_p_ = (part);                               \
        if (!kt_s_ || !kt_p_ || !strstr(kt_s_, kt_p_)) {                        \
            ktest_fail(__FILE__, __LINE__, "expected %s to contain \"%s\": \"%s\"", \
                       #s, kt_p_ ? kt_p_ : "(null)", kt_s_ ? kt_s_ : "(null)"); \
            if (fatal)                                                          \
                ktest_abort();                                                  \
        }                                                                       \
    } while (0)

#define KT_EXPECT_EQ(a, b)      KT_CHECK_OP_(a, ==, b, 0)
#define KT_EXPECT_NE(a, b)      KT_CHECK_OP_(a, !=, b, 0)
#define KT_EXPECT_LT(a, b)      KT_CHECK_OP_(a, <, b, 0)
#define KT_EXPECT_LE(a, b)      KT_CHECK_OP_(a, <=, b, 0)
#define KT_EXPECT_GT(a, b)      KT_CHECK_OP_(a, >, b, 0)
#define KT_EXPECT_GE(a, b)      KT_CHECK_OP_(a, >=, b, 0)
#define KT_EXPECT_TRUE(c)       KT_CHECK_TRUE_(c, 1, 0)
#define KT_EXPECT_FALSE(c)      KT_CHECK_TRUE_(c, 0, 0)
#define KT_EXPECT_STREQ(a, b)   KT_CHECK_STREQ_(a, b, 0)
#define KT_EXPECT_HAS(s, part)  KT_CHECK_HAS_(s, part, 0)      /* strstr(s, part) */

#define KT_ASSERT_EQ(a, b)      KT_CHECK_OP_(a, ==, b, 1)
#define KT_ASSERT_NE(a, b)      KT_CHECK_OP_(a, !=, b, 1)
#define KT_ASSERT_LT(a, b)      KT_CHECK_OP_(a, <, b, 1)
#define KT_ASSERT_LE(a, b)      KT_CHECK_OP_(a, <=, b, 1)
#define KT_ASSERT_GT(a, b)      KT_CHECK_OP_(a, >, b, 1)
#define KT_ASSERT_GE(a, b)      KT_CHECK_OP_(a, >=, b, 1)
#define KT_ASSERT_TRUE(c)       KT_CHECK_TRUE_(c, 1, 1)
#define KT_ASSERT_FALSE(c)      KT_CHECK_TRUE_(c, 0, 1)
#define KT_ASSERT_STREQ(a, b)   KT_CHECK_STREQ_(a, b, 1)
#define KT_ASSERT_HAS(s, part)  KT_CHECK_HAS_(s, part, 1)
#define KT_ASSERT_NOT_NULL(p)   KT_CHECK_TRUE_((p) != NULL, 1, 1)

#endif
