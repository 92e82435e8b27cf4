/*
 * include/kernel/proc.h - processes: ids, the family tree, credentials,
 * limits, life and death.
 *
 * Part of the kernel executable (src/kernel/proc.c: table, fork, exit,
 * wait; proc_cred.c: credentials, groups, limits; proc_procfs.c:
 * /proc/<pid>). A process owns an address space (mm/uvm), a file table
 * (kernel/fdtable), a file-system context (root, cwd, umask, credentials:
 * fs/vfs's struct vfs_ctx) and one thread for now (issue 14 adds more:
 * the fields marked [thr] are per process but read by every thread, and
 * `threads` lists them). Process ids come from one counter, never reused
 * while a process, group or session still has the id; pid 1 is init.
 *
 * Life: proc_spawn (the kernel starts a program: the shell's exec, init),
 * fork/vfork/clone (proc_fork), execve (kernel/exec replaces the image),
 * exit (proc_exit: files closed, memory freed, children given to init,
 * parent woken, state ZOMBIE), wait4/waitid (the parent reaps: the struct
 * is freed). If pid 1 exits the kernel logs its status and powers off.
 * The exit status is encoded as Linux's wait(2) status: (code & 0xff) << 8
 * for exit, the signal number (| 0x80 with a core dump) for a kill.
 *
 * Faults: a user page fault mm cannot resolve, or another exception in
 * ring 3, kills the process (until signals exist, issue 14) with a log
 * line naming the program, pid, address and RIP:
 *   "basalt: segfault: hello (pid 7) at 0x0 rip 0x401020 (write to unmapped page)"
 * and status SIGSEGV (or SIGILL, SIGFPE, SIGBUS, SIGTRAP as Linux maps them).
 *
 * Lock legend for struct process:
 *   [c]     set at creation, constant after
 *   [tree]  proc_tree_lock (a mutex): pid table, parent/children links,
 *           state, exit status, pgid, sid
 *   [p]     the process's own lock (p->lock, a mutex)
 *   [a]     atomic
 *   [own]   touched only by the process's own threads (no other process
 *           ever reads it)
 * Lock order: proc_tree_lock -> p->lock -> (fs, mm locks). Never hold
 * either across a user copy that may fault on another process's memory.
 */
#ifndef BASALT_KERNEL_PROC_H
#define BASALT_KERNEL_PROC_H

#include <core/compiler.h>
#include <core/list.h>
#include <sched/sync.h>
#include <sched/wait.h>
#include <core/uaccess.h>
#include <fs/vfs.h>

struct thread;
struct uvm;
struct fdtable;
struct trap_frame;

#define PROC_COMM_LEN       16      /* Linux's TASK_COMM_LEN, NUL included */
#define PROC_NGROUPS_MAX    16      /* sizeof struct cred's groups */
#define PROC_PID_MAX        4194304 /* Linux's pid_max on 64-bit */

/* RLIMIT_* resource numbers (Linux x86-64, getrlimit(2)). */
enum {
    RLIMIT_CPU = 0, RLIMIT_FSIZE = 1, RLIMIT_DATA = 2, RLIMIT_STACK = 3,
    RLIMIT_CORE = 4, RLIMIT_RSS = 5, RLIMIT_NPROC = 6, RLIMIT_NOFILE = 7,
    RLIMIT_MEMLOCK = 8, RLIMIT_AS = 9, RLIMIT_LOCKS = 10, RLIMIT_SIGPENDING = 11,
    RLIMIT_MSGQUEUE = 12, RLIMIT_NICE = 13, RLIMIT_RTPRIO = 14, RLIMIT_RTTIME = 15,
    RLIMIT_NLIMITS = 16,
};
#define RLIM_INFINITY       (~0ull)

struct proc_rlimit {
    uint64_t cur, max;
};

enum proc_state {
    PROC_ALIVE,         /* running (or being created) */
    PROC_ZOMBIE,        /* exited; waits for its parent's wait */
};

/* Who a process is (credentials(7)); fs.cred points at fscred. */
struct proc_cred {
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
};

struct process {
    int pid;                        /* [c] */
    struct process *parent;         /* [tree] reparented to init when it exits first */
    struct list_node children;      /* [tree] its children (sibling links) */
    struct list_node sibling;       /* [tree] in parent->children */
    enum proc_state state;          /* [tree] */
    int exit_status;                /* [tree] wait(2) status, once ZOMBIE */
    int pgid, sid;                  /* [tree] process group and session */
    struct wait_queue child_wq;     /* its threads in wait4/waitid sleep here */
    struct mutex lock;              /* the [p] lock */
    uint32_t refs;                  /* [a] the table's + temporary users' (/proc, wait) */

    struct proc_cred ids;           /* [p] */
    struct cred fscred;             /* [p] fsuid/fsgid + supplementary groups, for fs */
    struct vfs_ctx fs;              /* [p] root, cwd, umask; fs.cred = &fscred */
    struct fdtable *files;          /* [p] */
    struct uvm *vm;                 /* [p] replaced by exec */
    struct proc_rlimit rlim[RLIMIT_NLIMITS];    /* [p] */
    char comm[PROC_COMM_LEN];       /* [p] the program's name (exec, PR_SET_NAME) */
    struct path exe;                /* [p] the executable (/proc/<pid>/exe); NULL members before exec */
    uintptr_t arg_start, arg_end;   /* [p] argv strings in user memory (/proc/<pid>/cmdline) */
    uintptr_t env_start, env_end;   /* [p] */

    struct thread *main_thread;     /* [p] its thread */
    struct list_node threads;       /* [p] [thr] every thread (issue 14) */
    int __user *clear_child_tid;    /* [own] set_tid_address */
    uint64_t start_ns;              /* [c] time_ns() at creation */
    uint64_t utime_ns, stime_ns;    /* [a] CPU time spent (user, system) */
    uint64_t cutime_ns, cstime_ns;  /* [tree] reaped children's (getrusage RUSAGE_CHILDREN) */
    struct completion *vfork_done;  /* [p] vfork: signalled at exec or exit */
};

/* Sets up the table and the fault hooks. Boot, once, after vfs_init. */
int proc_init(void);

/* The calling thread's process, or NULL for a kernel thread. */
struct process *proc_current(void);

/*
 * Finds a live or zombie process by pid and takes a reference
 * (proc_put drops it). NULL if none.
 */
struct process *proc_get(int pid);
void proc_put(struct process *p);

/*
 * Starts path as a new process (child of init, or of no one before init
 * exists) with argv/envp (kernel strings, NULL-terminated) and fds 0, 1, 2
 * on /dev/console. Root credentials, cwd and root "/", umask 022, Linux's
 * default limits. Returns the pid (> 0) once the program is loaded (exec
 * has succeeded), or -errno (-ENOENT, -ENOEXEC, -ENOMEM ...) and nothing
 * is left behind. Thread context, no lock held.
 */
int proc_spawn(const char *path, char *const argv[], char *const envp[]);

/*
 * Waits for the child pid of the kernel's (proc_spawn's) processes, reaps
 * it and returns its wait(2) status, or -ECHILD. Thread context.
 */
int proc_wait_spawned(int pid);

/*
 * Runs path as pid 1 (rdinit= / init=): as proc_spawn, then waits; when
 * init exits, logs "basalt: init exited with status N" and powers off.
 * Returns only on failure to start it (-errno).
 */
int proc_run_init(const char *path, char *const argv[], char *const envp[]);

/*
 * fork/vfork/clone's work: a copy of the calling process whose thread
 * resumes in user mode from a copy of frame with rax = 0 (and rsp =
 * new_stack when it is not 0). clone_flags: Linux's CLONE_* (process
 * flags: CLONE_VFORK, CLONE_VM only with CLONE_VFORK, CLONE_PARENT_SETTID,
 * CLONE_CHILD_SETTID, CLONE_CHILD_CLEARTID, CLONE_SETTLS; the exit signal
 * in the low byte; thread flags -EINVAL until issue 14). Returns the
 * child's pid or -errno (-EAGAIN over RLIMIT_NPROC, -ENOMEM).
 */
long proc_fork(struct trap_frame *frame, unsigned long clone_flags, uintptr_t new_stack,
               int __user *parent_tid, int __user *child_tid, uint64_t tls);

/* Ends the calling process with wait(2) status status. Never returns. */
__noreturn void proc_exit(int status);

/*
 * Kills the calling process for an unresolved fault in ring 3 (see the
 * top): logs what, where and the program, then proc_exit(sig).
 */
__noreturn void proc_fault_kill(int sig, uintptr_t addr, const struct trap_frame *f,
                                const char *what);

/* Processes alive or zombie (tests: churn returns to the baseline). */
unsigned proc_count(void);

/* Calls fn for each process in pid order, under proc_tree_lock (fn must not sleep on it). */
void proc_for_each(void (*fn)(struct process *p, void *arg), void *arg);

/* The wait(2) status encodings. */
static inline int proc_status_exited(int code) { return (code & 0xff) << 8; }
static inline int proc_status_signaled(int sig) { return sig & 0x7f; }

#endif
