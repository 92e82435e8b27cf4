/*
 * include/sched/sched.h - the scheduler: per-CPU run queues, preemption, sleeping.
 *
 * Part of sched. Every CPU has a run queue (FIFO, round robin) and a sleep
 * list, both under its rq lock, and an idle thread that halts when the
 * queue is empty and steals work from the busiest other queue first. The
 * boot code path becomes CPU 0's first thread ("kmain", pinned to CPU 0);
 * each application processor's boot context becomes its idle thread.
 * The 1 kHz tick on every CPU ends time slices (SCHED_SLICE_NS) and wakes
 * sleepers; the switch happens at the preemption point at the end of
 * irq_dispatch, when need_resched is set and the preempt count is 0, or
 * when a spin_unlock / preempt_enable brings the count back to 0.
 *
 * Timeouts (struct sched_timeout) are one list for all CPUs, sorted by
 * deadline (sched/timeout_list), under timeouts_lock; any CPU's tick fires the due ones by
 * sched_wake (or by their callback), so a thread that migrates needs
 * nothing moved.
 *
 * Lock order: a thread's join_lock / any wait-queue guard -> timeouts_lock
 * -> work_lock (sched/workqueue, taken by timeout callbacks) -> rq lock (of
 * any CPU, one at a time) -> threads_lock. The mm locks (vmalloc_lock ->
 * kheap_lock -> pmm_lock) are never taken under an rq lock.
 */
#ifndef BASALT_SCHED_SCHED_H
#define BASALT_SCHED_SCHED_H

#include <core/compiler.h>
#include <core/preempt.h>
#include <sched/timeout_list.h>

#define SCHED_SLICE_NS      10000000ull     /* 10 ms */

struct cpu;
struct thread;

/* Boot CPU, before smp_init: makes the caller CPU 0's first thread, creates its idle thread. */
void sched_init(void);

/* On an AP after its tick started: turns its boot context into its idle thread. */
__noreturn void sched_ap_enter(struct cpu *c);

/* True once the calling context may sleep (a thread, interrupts on, no spinlock held). */
bool sched_can_sleep(void);

/* Gives the CPU to another runnable thread, if any. */
void sched_yield(void);

/*
 * Sleeps at least ns nanoseconds (tick resolution). Context: may sleep.
 * Returns 0, or -EDEADLK (debug builds: atomic context, reported, no sleep).
 */
int sched_sleep_ns(uint64_t ns);

/*
 * Makes a BLOCKED thread runnable (any context, any lock order position of
 * a wait-queue guard). Returns true if it was blocked.
 */
bool sched_wake(struct thread *t);

/* Blocks the caller if its state is BLOCKED (set under a guard); no-op if already woken. */
void sched_block(void);

/*
 * A deadline on the one timeout list. Either for a thread about to block
 * (wq_sleep_locked_timeout): when time_ns() reaches it, a tick calls
 * sched_wake(t); or, armed with sched_timeout_arm_fn, a callback that the
 * tick calls instead (sched_timeout_fire_fn). The record lives wherever its
 * owner keeps it (a sleeper's stack, a struct delayed_work); fields [tl]
 * are under timeouts_lock, the others are set by the arm.
 */
struct sched_timeout;

/*
 * A timeout callback. Runs in a tick (interrupt context, interrupts off)
 * with timeouts_lock held: it must be short, may take only locks that come
 * after timeouts_lock in the order (see the top of this file), and must not
 * arm or disarm any timeout.
 */
typedef void (*sched_timeout_fire_fn)(struct sched_timeout *to);

struct sched_timeout {
    struct thread *t;               /* thread to wake, when fire is NULL */
    sched_timeout_fire_fn fire;     /* callback, or NULL */
    struct timeout_node node;       /* [tl] deadline (time_ns), link, armed (sched/timeout_list) */
    bool fired;                     /* [tl] a tick took it off and woke t / called fire */
};

/*
 * Puts to on the list for t. Arm only after t's state is BLOCKED (a tick on
 * another CPU may fire at once). Any context; no rq lock held. to must not
 * be armed already.
 */
void sched_timeout_arm(struct sched_timeout *to, struct thread *t, uint64_t deadline_ns);

/*
 * Puts to on the list with a callback: when time_ns() reaches deadline_ns a
 * tick takes it off and calls fire(to) (see sched_timeout_fire_fn). Any
 * context; no lock held that comes after timeouts_lock. to must not be
 * armed already.
 */
void sched_timeout_arm_fn(struct sched_timeout *to, sched_timeout_fire_fn fire,
                          uint64_t deadline_ns);

/*
 * Takes to off the list if it is still there. On return no tick touches to
 * any more (it may go out of scope; a callback that was running has
 * returned). Returns true if it had fired. Any context; no lock held that
 * comes after timeouts_lock.
 */
bool sched_timeout_disarm(struct sched_timeout *to);

/*
 * Like sched_timeout_disarm, but returns true if this call took to off the
 * list (it was armed and had not fired), false if it was not on it.
 */
bool sched_timeout_cancel(struct sched_timeout *to);

/*
 * Thread timeouts (timed waits) armed now, on every CPU (tests). Callback
 * timeouts are not counted: their owners keep them armed as long as they
 * like (a periodic delayed work item), see sched_timeout_armed.
 */
unsigned sched_timeout_count(void);

/* Is to on the list now? (A snapshot, under timeouts_lock; tests.) */
bool sched_timeout_armed(struct sched_timeout *to);

/* Tick hook (sched_init registers it with core/time): every CPU, interrupts off. */
void sched_tick(void);

/*
 * Preemption point at the end of irq_dispatch, interrupts off (core/irq
 * calls it through irq_set_exit_hook, registered by sched_init).
 */
void sched_irq_exit(void);

/*
 * Runs a pending reschedule if preemption and interrupts allow (core's
 * preempt_enable and spin_unlock call it through preempt_set_resched_hook).
 */
void sched_preempt_check(void);

/* Frees exited detached threads. Context: thread, no spinlock held. */
void sched_reap(void);

/*
 * Prints every thread: name, state, CPU, wait reason, and a backtrace of
 * each one that is switched out (from its saved frame). Takes no lock (it
 * runs from panic with the other CPUs stopped): elsewhere the list may be
 * read while it changes. Lines are LOG_EMERG during a panic, else LOG_INFO.
 */
void sched_dump_tasks(void);

/*
 * Return addresses of a switched-out thread t, walked from the frame
 * sched_switch_stacks saved (0 when t is on a CPU or its saved RSP is not
 * on its stack). Returns how many were stored in out (at most max).
 */
size_t sched_thread_backtrace(struct thread *t, uintptr_t *out, size_t max);

/* Context switches so far on every CPU. */
uint64_t sched_switch_count(void);

/* Number of CPUs running the scheduler. */
unsigned sched_cpu_count(void);

/*
 * CPU time by the tick (procfs /proc/stat and uptime): on every tick each
 * CPU counts whether it found its idle thread or another running. Read
 * racily (a count may be one tick behind). cpu: an index; unknown: zeros.
 */
struct sched_cpu_ticks {
    uint64_t busy, idle;            /* ticks of 1/TIME_HZ s */
};
struct sched_cpu_ticks sched_cpu_ticks(unsigned cpu);

/*
 * Load averages (/proc/loadavg): every SCHED_LOAD_TICKS ticks CPU 0 decays
 * the 1-, 5- and 15-minute averages towards the threads running or
 * runnable then, as Linux does; fixed point with SCHED_LOAD_SHIFT fraction
 * bits. sched_nr_running counts those threads now (racy snapshot).
 */
#define SCHED_LOAD_SHIFT    11
#define SCHED_LOAD_TICKS    5000u       /* 5 s of TIME_HZ (1000) ticks */
void sched_loadavg(uint64_t avg[3]);
unsigned sched_nr_running(void);

/* One line of a thread listing (the shell's ps, /proc/<id>). */
struct sched_thread_info {
    char name[32];
    const char *state;
    int cpu;
    const char *wait_reason;    /* NULL when not waiting */
    int tid, ptid;              /* struct thread's tid and ptid */
    uint32_t run_state;         /* enum thread_state */
    uint64_t switches;          /* times switched to (racy) */
};

/* Copies up to max threads' descriptions (under threads_lock); returns how many. */
size_t sched_list_threads(struct sched_thread_info *out, size_t max);

/*
 * Describes the live thread whose id is tid in *out (under threads_lock).
 * Returns 0, or -ENOENT when no registered thread has that id (never
 * created, or freed: joined or reaped; an exited thread not yet freed is
 * still found, in state THREAD_DEAD). Any context.
 */
int sched_thread_info(int tid, struct sched_thread_info *out);

/* The id given to the thread created last (/proc/loadavg's last field). Any context. */
int sched_last_tid(void);

#endif
