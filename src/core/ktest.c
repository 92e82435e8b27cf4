/*
 * src/core/ktest.c - the in-kernel test runner (see include/core/ktest.h).
 *
 * Part of core. The runner saves a kjmp context before each test; a fatal
 * assertion, a panic or an unexpected exception jumps back to it, so one
 * broken test cannot end the run. ktest_expect_fault nests a second
 * context for faults a test provokes on purpose. ktest_skip leaves through
 * the same context, marking the test skipped unless it already failed.
 *
 * State is touched only by the boot CPU with interrupts off.
 */
#include <core/ktest.h>
#include <core/cpu.h>
#include <core/format.h>
#include <core/kjmp.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/trap.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <core/errno.h>
#include <core/cpu.h>
#include <core/preempt.h>

#define DEBUG_EXIT_PORT     0xF4
#define DEBUG_EXIT_PASS     0x10        /* QEMU exits (0x10 << 1) | 1 = 33 */
#define DEBUG_EXIT_FAIL     0x11        /* QEMU exits 35 */
#define FIRST_MSG_LEN       200

extern const struct ktest __start_ktests[], __stop_ktests[];

static const struct ktest *current;
static unsigned runner_cpu;             /* the CPU running the tests */
static const void *runner_thread;       /* and the thread (NULL before the scheduler) */
static struct kjmp test_env;
static unsigned current_failures;
static bool current_skipped;
static char first_msg[FIRST_MSG_LEN];
static char skip_msg[FIRST_MSG_LEN];

static struct kjmp fault_env;
static bool fault_armed;
static int fault_vector;
static struct ktest_fault fault_seen;

static void (*thread_exit_hook)(void);  /* written once by sched_init */

void ktest_set_thread_exit_hook(__noreturn void (*fn)(void))
{
    thread_exit_hook = fn;
}

bool ktest_running(void)
{
    return current != NULL;
}

bool ktest_on_runner_cpu(void)
{
    return current != NULL && this_cpu()->index == runner_cpu && this_cpu_current() == runner_thread;
}

static void vrecord(const char *file, int line, const char *fmt, va_list ap)
{
    char msg[FIRST_MSG_LEN];
    int n = 0;

    if (file)
        n = snprintf(msg, sizeof(msg), "%s:%d: ", file, line);
    if (n < (int)sizeof(msg))
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
    if (current_failures++ == 0)
        strlcpy(first_msg, msg, sizeof(first_msg));
    else
        pr_err("ktest:   also: %s", msg);
}

void ktest_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(file, line, fmt, ap);
    va_end(ap);
}

void ktest_abort(void)
{
    if (!current)
        panic("ktest_abort: no test is running (a KT_ASSERT outside a test?)");
    if (!ktest_on_runner_cpu()) {
        /*
         * The runner's stack is not ours to jump to (another CPU, or a
         * worker thread): the failure is recorded and this context stops.
         */
        pr_err("ktest: assertion failed outside the test's own thread (CPU %u); "
               "it stops here", this_cpu()->index);
        if (this_cpu_current() && this_cpu_current() != runner_thread && thread_exit_hook)
            thread_exit_hook();
        cpu_halt_forever();
    }
    fault_armed = false;
    kjmp_jump(&test_env, 1);
}

void ktest_abort_current(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrecord(NULL, 0, fmt, ap);
    va_end(ap);
    ktest_abort();
}

void ktest_skip(const char *fmt, ...)
{
    va_list ap;

    if (!current)
        panic("ktest_skip: no test is running (a KT_SKIP outside a test?)");
    if (!ktest_on_runner_cpu())
        ktest_abort_current("ktest_skip outside the test's own thread (CPU %u)",
                            this_cpu()->index);
    va_start(ap, fmt);
    vsnprintf(skip_msg, sizeof(skip_msg), fmt, ap);
    va_end(ap);
    current_skipped = true;
    fault_armed = false;
    kjmp_jump(&test_env, 1);
}

int ktest_expect_fault(int vector, void (*fn)(void *), void *arg, struct ktest_fault *out)
{
    int faulted;

    fault_vector = vector;
    fault_armed = true;
    faulted = kjmp_set(&fault_env);
    if (!faulted)
        fn(arg);
    fault_armed = false;
    if (!faulted)
        return -EINVAL;
    trap_reset_depth();             /* the handler we left never returned */
    if (out)
        *out = fault_seen;
    return 0;
}

void ktest_trap_hook(const struct trap_frame *f)
{
    if (!ktest_on_runner_cpu() || !fault_armed || f->vector != (uint64_t)fault_vector)
        return;
    fault_seen = (struct ktest_fault){
        .vector = f->vector, .error = f->error, .cr2 = read_cr2(), .rip = f->rip,
        .frame = (uintptr_t)f };
    fault_armed = false;
    kjmp_jump(&fault_env, 1);
}

/* Does filter select t? Manual tests need their suite named without wildcards. */
static bool selected(const struct ktest *t, const char *filter)
{
    char full[128];
    const char *dot = strchr(filter, '.');
    size_t suite_len = dot ? (size_t)(dot - filter) : strlen(filter);

    snprintf(full, sizeof(full), "%s.%s", t->suite, t->name);
    if (!str_glob_match(filter, full))
        return false;
    if (t->flags & KTEST_MANUAL)
        return strlen(t->suite) == suite_len && strncmp(filter, t->suite, suite_len) == 0;
    return true;
}

enum outcome { OUTCOME_PASS, OUTCOME_FAIL, OUTCOME_SKIP };

static enum outcome run_one(const struct ktest *t)
{
    uint64_t flags = read_rflags();
    uint32_t preempt = preempt_count();
    uint64_t start;

    current = t;
    runner_cpu = this_cpu()->index;
    runner_thread = this_cpu_current();
    current_failures = 0;
    current_skipped = false;
    first_msg[0] = '\0';
    skip_msg[0] = '\0';
    start = tsc_ns_since_boot();
    if (kjmp_set(&test_env) == 0)
        t->fn();
    /* back here normally or through kjmp_jump: restore the interrupt state */
    trap_reset_depth();
    if (preempt_count() != preempt) {
        /* a test left through kjmp with a spinlock held (or leaked one) */
        if (current_failures == 0)
            pr_warn("ktest: %s.%s changed the preempt count %u -> %u; reset",
                    t->suite, t->name, preempt, preempt_count());
        this_cpu()->preempt_count = preempt;
    }
    irq_restore(flags);
    if (!(flags & RFLAGS_IF))
        irq_disable();
    current = NULL;

    uint64_t us = (tsc_ns_since_boot() - start) / 1000;
    if (current_failures != 0) {
        pr_err("ktest: FAIL %s.%s (%s)", t->suite, t->name, first_msg);
        return OUTCOME_FAIL;
    }
    if (current_skipped) {
        pr_warn("ktest: SKIP %s.%s (%s)", t->suite, t->name, skip_msg);
        return OUTCOME_SKIP;
    }
    pr_info("ktest: PASS %s.%s (%llu.%03llu ms)", t->suite, t->name,
            (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    return OUTCOME_PASS;
}

int ktest_run(const char *filter)
{
    unsigned passed = 0, failed = 0, skipped = 0, total = 0;

    for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++)
        if (selected(t, filter))
            total++;
    pr_info("ktest: running %u of %zu tests (filter '%s')", total,
            (size_t)(__stop_ktests - __start_ktests), filter);
    if (total == 0) {
        pr_err("ktest: no test matches '%s'", filter);
        printk_raw("0 passed, 0 failed, 0 skipped\n");
        return -ENOENT;
    }
    for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
        if (!selected(t, filter))
            continue;
        switch (run_one(t)) {
        case OUTCOME_PASS:
            passed++;
            break;
        case OUTCOME_FAIL:
            failed++;
            break;
        case OUTCOME_SKIP:
            skipped++;
            break;
        }
    }
    /* the closing line is bare: test drivers match it exactly */
    printk_raw("%u passed, %u failed, %u skipped\n", passed, failed, skipped);
    return (int)failed;
}

static bool at_boot;

bool ktest_at_boot(void)
{
    return at_boot;
}

void ktest_boot(const char *filter)
{
    int failed;

    at_boot = true;
    failed = ktest_run(filter);
    at_boot = false;
    ktest_exit(failed == 0);
}

uint64_t ktest_bench_ns_since(uint64_t tsc_start)
{
    return (rdtsc() - tsc_start) * 1000000ull / tsc_khz();
}

void ktest_bench_report(const char *what, uint64_t ns, uint64_t ops)
{
    pr_info("bench: %s: %llu.%01llu ns/op (%llu ops)", what,
            (unsigned long long)(ns / ops), (unsigned long long)(ns * 10 / ops % 10),
            (unsigned long long)ops);
}

void ktest_exit(bool passed)
{
    outb(DEBUG_EXIT_PORT, passed ? DEBUG_EXIT_PASS : DEBUG_EXIT_FAIL);
    /* not under QEMU with isa-debug-exit: stay here */
    pr_info("ktest: done (%s); halting", passed ? "pass" : "fail");
    cpu_halt_forever();
}
