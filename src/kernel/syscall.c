/*
 * src/kernel/syscall.c - the system call table and dispatch (Linux x86-64 ABI).
 *
 * Part of the kernel executable; see include/kernel/syscall.h for the
 * contract. The table is indexed by the numbers of include/uapi/unistd.h;
 * each entry is a handler with its own C prototype, called through the
 * six-register type syscall_fn (see the header for why that is sound on
 * x86-64). The unimplemented-number log keeps one bit per number.
 */
#include <core/atomic.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/usermode.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>
#include <sched/thread.h>

typedef long (*syscall_fn)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

#define ENTRY(name) [SYS_##name] = (syscall_fn)(void *)sys_##name

static const syscall_fn syscall_table[SYS_TABLE_SIZE] = {
    /* processes */
    ENTRY(fork), ENTRY(vfork), ENTRY(clone), ENTRY(exit), ENTRY(exit_group),
    ENTRY(wait4), ENTRY(waitid), ENTRY(getpid), ENTRY(getppid), ENTRY(gettid),
    ENTRY(set_tid_address), ENTRY(kill), ENTRY(setpgid), ENTRY(getpgid),
    ENTRY(getpgrp), ENTRY(setsid), ENTRY(getsid), ENTRY(getuid), ENTRY(geteuid),
    ENTRY(getgid), ENTRY(getegid), ENTRY(setuid), ENTRY(setgid), ENTRY(setreuid),
    ENTRY(setregid), ENTRY(setresuid), ENTRY(setresgid), ENTRY(getresuid),
    ENTRY(getresgid), ENTRY(setfsuid), ENTRY(setfsgid), ENTRY(getgroups),
    ENTRY(setgroups), ENTRY(getrlimit), ENTRY(setrlimit), ENTRY(prlimit64),
    ENTRY(getrusage), ENTRY(times), ENTRY(prctl), ENTRY(sched_yield),
    /* exec */
    ENTRY(execve), ENTRY(execveat),
    /* files */
    ENTRY(read), ENTRY(write), ENTRY(pread64), ENTRY(pwrite64), ENTRY(readv),
    ENTRY(writev), ENTRY(preadv), ENTRY(pwritev), ENTRY(open), ENTRY(openat),
    ENTRY(creat), ENTRY(close), ENTRY(close_range), ENTRY(lseek), ENTRY(stat),
    ENTRY(lstat), ENTRY(fstat), ENTRY(newfstatat), ENTRY(statx), ENTRY(statfs),
    ENTRY(fstatfs), ENTRY(ioctl), ENTRY(access), ENTRY(faccessat),
    ENTRY(faccessat2), ENTRY(pipe), ENTRY(pipe2), ENTRY(dup), ENTRY(dup2),
    ENTRY(dup3), ENTRY(fcntl), ENTRY(flock), ENTRY(sendfile), ENTRY(fsync),
    ENTRY(fdatasync), ENTRY(sync), ENTRY(syncfs), ENTRY(truncate),
    ENTRY(ftruncate), ENTRY(fallocate), ENTRY(getdents), ENTRY(getdents64),
    ENTRY(getcwd), ENTRY(chdir), ENTRY(fchdir), ENTRY(chroot), ENTRY(rename),
    ENTRY(renameat), ENTRY(renameat2), ENTRY(mkdir), ENTRY(mkdirat),
    ENTRY(rmdir), ENTRY(link), ENTRY(linkat), ENTRY(unlink), ENTRY(unlinkat),
    ENTRY(symlink), ENTRY(symlinkat), ENTRY(readlink), ENTRY(readlinkat),
    ENTRY(chmod), ENTRY(fchmod), ENTRY(fchmodat), ENTRY(chown), ENTRY(fchown),
    ENTRY(lchown), ENTRY(fchownat), ENTRY(umask), ENTRY(mknod), ENTRY(mknodat),
    ENTRY(utimensat), ENTRY(utime), ENTRY(utimes), ENTRY(futimesat),
    ENTRY(mount), ENTRY(umount2),
    /* memory */
    ENTRY(mmap), ENTRY(munmap), ENTRY(mprotect), ENTRY(brk), ENTRY(mremap),
    ENTRY(madvise), ENTRY(msync), ENTRY(mincore), ENTRY(arch_prctl),
    /* time, identity, misc */
    ENTRY(nanosleep), ENTRY(clock_nanosleep), ENTRY(clock_gettime),
    ENTRY(clock_getres), ENTRY(gettimeofday), ENTRY(time), ENTRY(uname),
    ENTRY(sethostname), ENTRY(sysinfo), ENTRY(getrandom), ENTRY(reboot),
    ENTRY(sched_getaffinity), ENTRY(getcpu), ENTRY(set_robust_list),
};

/* One bit per number logged as unimplemented (set with atomic or). */
static uint64_t unknown_seen[(SYS_TABLE_SIZE + 63) / 64 + 1];
static uint32_t unknown_count;

static void log_unknown(uint64_t nr)
{
    struct process *p = proc_current();
    size_t slot = nr < SYS_TABLE_SIZE ? nr / 64 : ARRAY_SIZE(unknown_seen) - 1;
    uint64_t bit = nr < SYS_TABLE_SIZE ? 1ull << (nr % 64) : 1ull;

    if (atomic_fetch_or(&unknown_seen[slot], bit) & bit)
        return;
    atomic_inc(&unknown_count);
    pr_warn("basalt: %s (pid %d) called unimplemented system call %llu\n",
            p ? p->comm : "?", p ? p->pid : 0, (unsigned long long)nr);
}

void syscall_dispatch(struct trap_frame *f)
{
    uint64_t nr = f->rax;
    syscall_fn fn = nr < SYS_TABLE_SIZE ? syscall_table[nr] : NULL;

    if (!fn) {
        log_unknown(nr);
        f->rax = (uint64_t)-ENOSYS;
        return;
    }
    f->rax = (uint64_t)fn(f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9);
}

struct trap_frame *syscall_frame(void)
{
    return usermode_frame_at(thread_stack_top(thread_self()));
}

unsigned syscall_unknown_count(void)
{
    return atomic_load(&unknown_count);
}

void syscall_init(void)
{
    usermode_set_syscall_hook(syscall_dispatch);
}
