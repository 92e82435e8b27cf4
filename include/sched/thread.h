/*
 * include/sched/thread.h - kernel threads.
 *
 * Part of sched, above the spinlocks and below the scheduler's users.
 * A thread has a name, a 16 KiB kernel stack above a guard page (mm/
 * vmalloc), a 64-byte aligned FPU/SSE/AVX save area (xsave when the CPU
 * has it, else fxsave; saved and restored eagerly on every switch), a
 * state and, while it waits, a wait reason. thread_create starts it on the
 * least loaded CPU (or the one it is pinned to); it runs fn(arg) and ends
 * by returning or by thread_exit. A joinable thread's stack and struct are
 * freed by thread_join; a detached one's after it exits (by the reaper,
 * sched_reap, run by thread_create and the idle threads).
 *
 * Lock legend for struct thread:
 *   [rq]   the run queue lock of the CPU it is queued/sleeping on
 *   [a]    atomic
 *   [j]    join_lock
 *   [all]  sched's threads_lock (the list of every thread)
 *   [c]    set at creation, then read-only
 *   [own]  touched only by the thread itself
 */
#ifndef BASALT_SCHED_THREAD_H
#define BASALT_SCHED_THREAD_H

#include <core/compiler.h>
#include <core/lockdep.h>
#include <core/spinlock.h>
#include <sched/wait.h>

#define THREAD_NAME_LEN     32
#define THREAD_STACK_SIZE   (16 * 1024)

enum thread_state {
    THREAD_RUNNABLE,        /* on a run queue */
    THREAD_RUNNING,         /* on a CPU */
    THREAD_BLOCKED,         /* on a wait queue */
    THREAD_WAKING,          /* being woken (sched_wake owns the enqueue) */
    THREAD_SLEEPING,        /* on a CPU's sleep list until wake_at */
    THREAD_DEAD,            /* exited; freed once joined / reaped */
};

/* Flags for thread_create. THREAD_CPU(n): pinned to CPU n. */
#define THREAD_DETACHED     (1u << 0)
#define THREAD_PINNED       (1u << 1)
#define THREAD_CPU(n)       (THREAD_PINNED | ((unsigned)(n) << 8))

typedef void *(*thread_fn)(void *arg);

struct thread {
    uintptr_t rsp;                  /* [own] saved by sched_switch_stacks */
    void *fpu;                      /* [own] 64-byte aligned save area */
    void *fpu_block;                /* [c] its allocation */
    volatile uint32_t state;        /* [a] enum thread_state */
    volatile uint32_t on_cpu;       /* [a] 1 while its context is live on a CPU */
    int cpu;                        /* [rq] CPU it runs or is queued on */
    int affinity;                   /* [c] pinned CPU, or -1 */
    unsigned flags;                 /* [c] THREAD_* */
    const char *wait_reason;        /* [own] what it waits for, or NULL */
    uint64_t wake_at;               /* [rq] sleeping: time_ns to wake at */
    uint64_t slice_end;             /* [rq] time_ns its slice ends */
    struct thread *rq_next;         /* [rq] run queue or sleep list link */
    struct thread *all_next;        /* [all] every thread */
    thread_fn fn;                   /* [c] */
    void *arg;                      /* [c] */
    void *ret;                      /* [j] exit value */
    bool exited;                    /* [j] thread_exit has run */
    spinlock_t join_lock;
    struct wait_queue join_wq;      /* [j] threads in thread_join */
    void *stack;                    /* [c] lowest address, or NULL (boot stack) */
    uint64_t switches;              /* [rq] times switched to */
    struct lockdep_held ld_held;    /* [own] lockdep: mutexes held, in order (debug) */
    int tid;                        /* [c] thread id, > 0, never reused (see thread_tid) */
    int ptid;                       /* [c] id of the thread that created it; 0 for the boot thread */
    /*
     * User mode (issue 13). A kernel thread has uspace NULL and runs on the
     * kernel's tables. A thread that enters user mode sets these for itself
     * (interrupts off while it changes uspace); the switch loads them for the
     * incoming thread: CR3 = uspace (vmm_kernel when NULL), FS base, the user
     * GS base (MSR_KERNEL_GS_BASE while in the kernel), TSS.RSP0 and the
     * SYSCALL entry stack = the top of its kernel stack. owner is the kernel
     * layer's process (opaque below it).
     */
    struct vmm_space *uspace;       /* [own] page tables it runs on, or NULL */
    uint64_t fs_base;               /* [own] user FS base (arch_prctl) */
    uint64_t user_gs_base;          /* [own] user GS base (arch_prctl) */
    void *owner;                    /* [own] struct process * (src/kernel), or NULL */
    char name[THREAD_NAME_LEN];     /* [c] */
};

/*
 * Creates a thread running fn(arg), runnable at once. flags: THREAD_DETACHED,
 * THREAD_CPU(n). Returns it, or NULL (out of memory, or n not online).
 * Context: thread context, no spinlock held (may allocate).
 */
struct thread *thread_create(const char *name, thread_fn fn, void *arg, unsigned flags);

/*
 * Waits for a joinable thread t to exit, stores its exit value in *ret (if
 * ret is not NULL), and frees it. Returns 0, or -EINVAL (NULL, detached,
 * or t is the caller), or -EDEADLK (debug builds: atomic context).
 * Context: thread context, no spinlock held.
 */
int thread_join(struct thread *t, void **ret);

/* Ends the calling thread with exit value ret. Never returns. */
__noreturn void thread_exit(void *ret);

/* The calling thread (NULL before sched_init). */
struct thread *thread_self(void);

/*
 * The calling thread's id (0 before sched_init). Ids are given in creation
 * order from 1 (the boot thread, "kmain"); the idle threads have theirs too.
 * An id is never given twice while the kernel runs (no wrap: 2^31 threads),
 * so a name such as /proc/<id> never comes to mean another thread.
 */
int thread_tid(void);

const char *thread_state_name(enum thread_state s);

/*
 * The top of t's kernel stack (the first byte above it); 0 for a thread on
 * the boot stack. A thread in user mode enters the kernel at this address.
 */
uintptr_t thread_stack_top(const struct thread *t);

/* Threads alive (created and not yet freed), the boot and idle threads included. */
unsigned thread_count(void);

#endif
