/*
 * include/kernel/syscall.h - the Linux x86-64 system call table and its handlers.
 *
 * Part of the kernel executable. core/usermode calls syscall_dispatch for
 * every SYSCALL (its hook, registered by syscall_init): rax is the number
 * (include/uapi/unistd.h), rdi, rsi, rdx, r10, r8, r9 the arguments; the
 * result (a value or a negative errno) goes back in rax. A number with no
 * handler returns -ENOSYS and is logged once per number, naming the
 * calling program ("basalt: hello (pid 7) called unimplemented system
 * call 999").
 *
 * Handlers take their arguments with their natural C types, as the man
 * pages give them; the table calls them through one six-argument type
 * (the psABI passes each integer or pointer argument in its own register,
 * and a handler reads only the low bits of a narrower one, exactly as
 * Linux truncates). Handlers that need the caller's registers (fork,
 * clone, execve, arch_prctl) call syscall_frame().
 *
 * Every handler: thread context of the calling process, interrupts on, no
 * lock held on entry or exit; may sleep; reaches user memory only through
 * core/uaccess; returns 0 / a value or a negative Linux errno, and never
 * panics on any argument.
 *
 * The handlers live with the code they drive: src/kernel/proc*.c
 * (processes, credentials, limits), exec.c, sys_file.c / sys_fs.c / pipe
 * (files), sys_mm.c (memory), sys_misc.c (time, uname, random, reboot...).
 */
#ifndef BASALT_KERNEL_SYSCALL_H
#define BASALT_KERNEL_SYSCALL_H

#include <core/compiler.h>
#include <core/uaccess.h>
#include <uapi/unistd.h>

struct trap_frame;

/* Registers syscall_dispatch as core/usermode's syscall hook. Boot, once. */
void syscall_init(void);

/* Runs the system call in f (the hook). */
void syscall_dispatch(struct trap_frame *f);

/* The user frame of the calling thread's current system call. */
struct trap_frame *syscall_frame(void);

/* Unimplemented numbers seen so far (tests). */
unsigned syscall_unknown_count(void);

/*
 * SYSCALL_HANDLER marks a handler declaration. While issue 13 is built by
 * several people at once it makes each one weak, so the table links before
 * every handler exists (a missing one reads as NULL: -ENOSYS); the
 * integration removes it.
 */
#define SYSCALL_HANDLER __attribute__((weak))

struct linux_stat;
struct linux_statfs;
struct linux_timespec;
struct linux_timeval;
struct linux_iovec;
struct linux_rlimit;
struct linux_rusage;
struct linux_tms;
struct linux_utsname;
struct linux_sysinfo;
struct linux_siginfo;
struct linux_statx;
struct linux_cpu_set;
struct linux_utimbuf;

/* ---- processes (src/kernel/proc*.c) */
SYSCALL_HANDLER long sys_fork(void);
SYSCALL_HANDLER long sys_vfork(void);
SYSCALL_HANDLER long sys_clone(unsigned long flags, void __user *stack, int __user *parent_tid,
                               int __user *child_tid, unsigned long tls);
SYSCALL_HANDLER long sys_exit(int status);
SYSCALL_HANDLER long sys_exit_group(int status);
SYSCALL_HANDLER long sys_wait4(int pid, int __user *status, int options, struct linux_rusage __user *ru);
SYSCALL_HANDLER long sys_waitid(int idtype, int id, struct linux_siginfo __user *info, int options,
                                struct linux_rusage __user *ru);
SYSCALL_HANDLER long sys_getpid(void);
SYSCALL_HANDLER long sys_getppid(void);
SYSCALL_HANDLER long sys_gettid(void);
SYSCALL_HANDLER long sys_set_tid_address(int __user *tidptr);
SYSCALL_HANDLER long sys_kill(int pid, int sig);
SYSCALL_HANDLER long sys_setpgid(int pid, int pgid);
SYSCALL_HANDLER long sys_getpgid(int pid);
SYSCALL_HANDLER long sys_getpgrp(void);
SYSCALL_HANDLER long sys_setsid(void);
SYSCALL_HANDLER long sys_getsid(int pid);
SYSCALL_HANDLER long sys_getuid(void);
SYSCALL_HANDLER long sys_geteuid(void);
SYSCALL_HANDLER long sys_getgid(void);
SYSCALL_HANDLER long sys_getegid(void);
SYSCALL_HANDLER long sys_setuid(uint32_t uid);
SYSCALL_HANDLER long sys_setgid(uint32_t gid);
SYSCALL_HANDLER long sys_setreuid(uint32_t ruid, uint32_t euid);
SYSCALL_HANDLER long sys_setregid(uint32_t rgid, uint32_t egid);
SYSCALL_HANDLER long sys_setresuid(uint32_t ruid, uint32_t euid, uint32_t suid);
SYSCALL_HANDLER long sys_setresgid(uint32_t rgid, uint32_t egid, uint32_t sgid);
SYSCALL_HANDLER long sys_getresuid(uint32_t __user *ruid, uint32_t __user *euid, uint32_t __user *suid);
SYSCALL_HANDLER long sys_getresgid(uint32_t __user *rgid, uint32_t __user *egid, uint32_t __user *sgid);
SYSCALL_HANDLER long sys_setfsuid(uint32_t uid);
SYSCALL_HANDLER long sys_setfsgid(uint32_t gid);
SYSCALL_HANDLER long sys_getgroups(int size, uint32_t __user *list);
SYSCALL_HANDLER long sys_setgroups(int size, const uint32_t __user *list);
SYSCALL_HANDLER long sys_getrlimit(unsigned resource, struct linux_rlimit __user *rlim);
SYSCALL_HANDLER long sys_setrlimit(unsigned resource, const struct linux_rlimit __user *rlim);
SYSCALL_HANDLER long sys_prlimit64(int pid, unsigned resource, const struct linux_rlimit __user *new_rlim,
                                   struct linux_rlimit __user *old_rlim);
SYSCALL_HANDLER long sys_getrusage(int who, struct linux_rusage __user *ru);
SYSCALL_HANDLER long sys_times(struct linux_tms __user *buf);
SYSCALL_HANDLER long sys_prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4,
                               unsigned long a5);
SYSCALL_HANDLER long sys_sched_yield(void);

/* ---- exec (src/kernel/exec.c) */
SYSCALL_HANDLER long sys_execve(const char __user *path, const char __user *const __user *argv,
                                const char __user *const __user *envp);
SYSCALL_HANDLER long sys_execveat(int dirfd, const char __user *path, const char __user *const __user *argv,
                                  const char __user *const __user *envp, int flags);

/* ---- files (src/kernel/sys_file.c, sys_fs.c, pipe.c) */
SYSCALL_HANDLER long sys_read(int fd, void __user *buf, size_t count);
SYSCALL_HANDLER long sys_write(int fd, const void __user *buf, size_t count);
SYSCALL_HANDLER long sys_pread64(int fd, void __user *buf, size_t count, int64_t off);
SYSCALL_HANDLER long sys_pwrite64(int fd, const void __user *buf, size_t count, int64_t off);
SYSCALL_HANDLER long sys_readv(int fd, const struct linux_iovec __user *iov, int iovcnt);
SYSCALL_HANDLER long sys_writev(int fd, const struct linux_iovec __user *iov, int iovcnt);
SYSCALL_HANDLER long sys_preadv(int fd, const struct linux_iovec __user *iov, int iovcnt, int64_t off);
SYSCALL_HANDLER long sys_pwritev(int fd, const struct linux_iovec __user *iov, int iovcnt, int64_t off);
SYSCALL_HANDLER long sys_open(const char __user *path, int flags, uint32_t mode);
SYSCALL_HANDLER long sys_openat(int dirfd, const char __user *path, int flags, uint32_t mode);
SYSCALL_HANDLER long sys_creat(const char __user *path, uint32_t mode);
SYSCALL_HANDLER long sys_close(int fd);
SYSCALL_HANDLER long sys_close_range(unsigned first, unsigned last, unsigned flags);
SYSCALL_HANDLER long sys_lseek(int fd, int64_t off, int whence);
SYSCALL_HANDLER long sys_stat(const char __user *path, struct linux_stat __user *st);
SYSCALL_HANDLER long sys_lstat(const char __user *path, struct linux_stat __user *st);
SYSCALL_HANDLER long sys_fstat(int fd, struct linux_stat __user *st);
SYSCALL_HANDLER long sys_newfstatat(int dirfd, const char __user *path, struct linux_stat __user *st, int flags);
SYSCALL_HANDLER long sys_statx(int dirfd, const char __user *path, int flags, unsigned mask,
                               struct linux_statx __user *stx);
SYSCALL_HANDLER long sys_statfs(const char __user *path, struct linux_statfs __user *st);
SYSCALL_HANDLER long sys_fstatfs(int fd, struct linux_statfs __user *st);
SYSCALL_HANDLER long sys_ioctl(int fd, unsigned long cmd, unsigned long arg);
SYSCALL_HANDLER long sys_access(const char __user *path, int mode);
SYSCALL_HANDLER long sys_faccessat(int dirfd, const char __user *path, int mode);
SYSCALL_HANDLER long sys_faccessat2(int dirfd, const char __user *path, int mode, int flags);
SYSCALL_HANDLER long sys_pipe(int __user *fds);
SYSCALL_HANDLER long sys_pipe2(int __user *fds, int flags);
SYSCALL_HANDLER long sys_dup(int fd);
SYSCALL_HANDLER long sys_dup2(int oldfd, int newfd);
SYSCALL_HANDLER long sys_dup3(int oldfd, int newfd, int flags);
SYSCALL_HANDLER long sys_fcntl(int fd, int cmd, unsigned long arg);
SYSCALL_HANDLER long sys_flock(int fd, int op);
SYSCALL_HANDLER long sys_sendfile(int out_fd, int in_fd, int64_t __user *off, size_t count);
SYSCALL_HANDLER long sys_fsync(int fd);
SYSCALL_HANDLER long sys_fdatasync(int fd);
SYSCALL_HANDLER long sys_sync(void);
SYSCALL_HANDLER long sys_syncfs(int fd);
SYSCALL_HANDLER long sys_truncate(const char __user *path, int64_t len);
SYSCALL_HANDLER long sys_ftruncate(int fd, int64_t len);
SYSCALL_HANDLER long sys_fallocate(int fd, int mode, int64_t off, int64_t len);
SYSCALL_HANDLER long sys_getdents(int fd, void __user *buf, unsigned count);
SYSCALL_HANDLER long sys_getdents64(int fd, void __user *buf, unsigned count);
SYSCALL_HANDLER long sys_getcwd(char __user *buf, size_t size);
SYSCALL_HANDLER long sys_chdir(const char __user *path);
SYSCALL_HANDLER long sys_fchdir(int fd);
SYSCALL_HANDLER long sys_chroot(const char __user *path);
SYSCALL_HANDLER long sys_rename(const char __user *oldpath, const char __user *newpath);
SYSCALL_HANDLER long sys_renameat(int olddirfd, const char __user *oldpath, int newdirfd,
                                  const char __user *newpath);
SYSCALL_HANDLER long sys_renameat2(int olddirfd, const char __user *oldpath, int newdirfd,
                                   const char __user *newpath, unsigned flags);
SYSCALL_HANDLER long sys_mkdir(const char __user *path, uint32_t mode);
SYSCALL_HANDLER long sys_mkdirat(int dirfd, const char __user *path, uint32_t mode);
SYSCALL_HANDLER long sys_rmdir(const char __user *path);
SYSCALL_HANDLER long sys_link(const char __user *oldpath, const char __user *newpath);
SYSCALL_HANDLER long sys_linkat(int olddirfd, const char __user *oldpath, int newdirfd,
                                const char __user *newpath, int flags);
SYSCALL_HANDLER long sys_unlink(const char __user *path);
SYSCALL_HANDLER long sys_unlinkat(int dirfd, const char __user *path, int flags);
SYSCALL_HANDLER long sys_symlink(const char __user *target, const char __user *linkpath);
SYSCALL_HANDLER long sys_symlinkat(const char __user *target, int newdirfd, const char __user *linkpath);
SYSCALL_HANDLER long sys_readlink(const char __user *path, char __user *buf, size_t size);
SYSCALL_HANDLER long sys_readlinkat(int dirfd, const char __user *path, char __user *buf, size_t size);
SYSCALL_HANDLER long sys_chmod(const char __user *path, uint32_t mode);
SYSCALL_HANDLER long sys_fchmod(int fd, uint32_t mode);
SYSCALL_HANDLER long sys_fchmodat(int dirfd, const char __user *path, uint32_t mode);
SYSCALL_HANDLER long sys_chown(const char __user *path, uint32_t uid, uint32_t gid);
SYSCALL_HANDLER long sys_fchown(int fd, uint32_t uid, uint32_t gid);
SYSCALL_HANDLER long sys_lchown(const char __user *path, uint32_t uid, uint32_t gid);
SYSCALL_HANDLER long sys_fchownat(int dirfd, const char __user *path, uint32_t uid, uint32_t gid, int flags);
SYSCALL_HANDLER long sys_umask(uint32_t mask);
SYSCALL_HANDLER long sys_mknod(const char __user *path, uint32_t mode, uint32_t dev);
SYSCALL_HANDLER long sys_mknodat(int dirfd, const char __user *path, uint32_t mode, uint32_t dev);
SYSCALL_HANDLER long sys_utimensat(int dirfd, const char __user *path,
                                   const struct linux_timespec __user *times, int flags);
SYSCALL_HANDLER long sys_utime(const char __user *path, const struct linux_utimbuf __user *times);
SYSCALL_HANDLER long sys_utimes(const char __user *path, const struct linux_timeval __user *times);
SYSCALL_HANDLER long sys_futimesat(int dirfd, const char __user *path, const struct linux_timeval __user *times);
SYSCALL_HANDLER long sys_mount(const char __user *source, const char __user *target,
                               const char __user *fstype, unsigned long flags, const void __user *data);
SYSCALL_HANDLER long sys_umount2(const char __user *target, int flags);

/* ---- memory (src/kernel/sys_mm.c) */
SYSCALL_HANDLER long sys_mmap(unsigned long addr, unsigned long len, unsigned long prot,
                              unsigned long flags, unsigned long fd, unsigned long off);
SYSCALL_HANDLER long sys_munmap(unsigned long addr, size_t len);
SYSCALL_HANDLER long sys_mprotect(unsigned long addr, size_t len, unsigned long prot);
SYSCALL_HANDLER long sys_brk(unsigned long brk);
SYSCALL_HANDLER long sys_mremap(unsigned long old, size_t old_len, size_t new_len, unsigned long flags,
                                unsigned long new_addr);
SYSCALL_HANDLER long sys_madvise(unsigned long addr, size_t len, int advice);
SYSCALL_HANDLER long sys_msync(unsigned long addr, size_t len, int flags);
SYSCALL_HANDLER long sys_mincore(unsigned long addr, size_t len, unsigned char __user *vec);
SYSCALL_HANDLER long sys_arch_prctl(int code, unsigned long addr);

/* ---- time, identity, misc (src/kernel/sys_misc.c) */
SYSCALL_HANDLER long sys_nanosleep(const struct linux_timespec __user *req, struct linux_timespec __user *rem);
SYSCALL_HANDLER long sys_clock_nanosleep(int clock, int flags, const struct linux_timespec __user *req,
                                         struct linux_timespec __user *rem);
SYSCALL_HANDLER long sys_clock_gettime(int clock, struct linux_timespec __user *tp);
SYSCALL_HANDLER long sys_clock_getres(int clock, struct linux_timespec __user *tp);
SYSCALL_HANDLER long sys_gettimeofday(struct linux_timeval __user *tv, void __user *tz);
SYSCALL_HANDLER long sys_time(int64_t __user *t);
SYSCALL_HANDLER long sys_uname(struct linux_utsname __user *buf);
SYSCALL_HANDLER long sys_sethostname(const char __user *name, size_t len);
SYSCALL_HANDLER long sys_sysinfo(struct linux_sysinfo __user *info);
SYSCALL_HANDLER long sys_getrandom(void __user *buf, size_t len, unsigned flags);
SYSCALL_HANDLER long sys_reboot(int magic1, int magic2, unsigned cmd, void __user *arg);
SYSCALL_HANDLER long sys_sched_getaffinity(int pid, size_t len, struct linux_cpu_set __user *mask);
SYSCALL_HANDLER long sys_getcpu(unsigned __user *cpu, unsigned __user *node, void __user *cache);
SYSCALL_HANDLER long sys_set_robust_list(void __user *head, size_t len);

#endif
