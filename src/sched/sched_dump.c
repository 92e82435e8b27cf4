/*
 * src/sched/sched_dump.c - the task dump (sched_dump_tasks, run by panic)
 * and the backtrace of a switched-out thread from its saved frame.
 *
 * Part of sched. Takes no lock: see sched_dump_tasks in include/sched/sched.h.
 */
#include <sched/sched.h>
#include <sched/thread.h>
#include <core/atomic.h>
#include <core/backtrace.h>
#include <core/ksym.h>
#include <core/panic.h>
#include <core/printk.h>
#include "sched_internal.h"

extern char boot_stack_bottom[], boot_stack_top[];

/*
 * The saved frame of a thread switched out by sched_switch_stacks: r15, r14,
 * r13, r12, rbx, rbp, then the return address, from t->rsp upwards.
 */
#define SWITCH_FRAME_RBP    5
#define SWITCH_FRAME_RIP    6

size_t sched_thread_backtrace(struct thread *t, uintptr_t *out, size_t max)
{
    uintptr_t lo, hi, rsp = t->rsp;
    const uintptr_t *frame = (const uintptr_t *)rsp;

    if (t->stack) {
        lo = (uintptr_t)t->stack;
        hi = lo + THREAD_STACK_SIZE;
    } else {
        lo = (uintptr_t)boot_stack_bottom;
        hi = (uintptr_t)boot_stack_top;
    }
    if (atomic_load(&t->on_cpu) || rsp < lo || rsp + (SWITCH_FRAME_RIP + 1) * 8 > hi)
        return 0;
    return backtrace_collect(frame[SWITCH_FRAME_RIP], frame[SWITCH_FRAME_RBP], out, max);
}

void sched_dump_tasks(void)
{
    int level = panic_in_progress() ? LOG_EMERG : LOG_INFO;
    uintptr_t pcs[BACKTRACE_MAX_DEPTH];
    char sym[64];

    printk(level, "sched: %u threads, %llu switches", thread_count(),
           (unsigned long long)sched_switch_count());
    for (struct thread *t = sched_threads_first_unlocked(); t; t = t->all_next) {
        uint32_t state = atomic_load(&t->state);
        size_t n = 0;

        printk(level, "sched:   %-20s %-8s cpu %d%s%s", t->name,
               thread_state_name((enum thread_state)state), t->cpu,
               t->wait_reason ? " waiting for " : "", t->wait_reason ? t->wait_reason : "");
        if (state != THREAD_DEAD)       /* skips those on a CPU */
            n = sched_thread_backtrace(t, pcs, BACKTRACE_MAX_DEPTH);
        for (size_t i = 0; i < n; i++)
            printk(level, "sched:     #%zu %#lx %s", i, (unsigned long)pcs[i],
                   ksym_format(pcs[i], sym, sizeof(sym)));
    }
}
