/*
 * include/kernel/exec.h - running a program: execve's work.
 *
 * Part of the kernel executable (src/kernel/exec.c: open, check, load,
 * commit; src/kernel/elf_load.c: the pure ELF checks and the initial stack
 * layout, also built on the host for unit tests and a fuzzer).
 *
 * exec loads static ELF64 x86-64 executables (ET_EXEC) and static-PIE
 * (ET_DYN, at a random base), maps each PT_LOAD privately from the file
 * (mm/uvm over fs's page-cache backing) with its own protection, zero-fills
 * the rest up to p_memsz, loads a PT_INTERP interpreter the same way (its
 * base in AT_BASE, its entry the one jumped to), honours PT_GNU_STACK, and
 * runs "#!" scripts (one optional argument; the script path replaces
 * argv[0] as Linux does; at most 4 levels, then -ELOOP). The new stack is
 * Linux's: argc, argv[], NULL, envp[], NULL, auxv pairs (AT_PHDR, AT_PHENT,
 * AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID, AT_EUID,
 * AT_GID, AT_EGID, AT_SECURE, AT_RANDOM, AT_HWCAP, AT_CLKTCK, AT_EXECFN,
 * AT_PLATFORM, AT_NULL), then the strings; rsp 16-byte aligned at argc.
 * Stack top, mmap base and PIE base are randomised (ASLR).
 *
 * Everything that can fail happens before the commit point: a bad file
 * leaves the calling process as it was (-ENOENT, -EACCES, -ENOEXEC for a
 * truncated or foreign file, -EINVAL for inconsistent headers, -E2BIG,
 * -ENOMEM, -ELOOP). After it: the new address space replaces the old, the
 * close-on-exec descriptors are closed, comm/exe/arg ranges updated, FS
 * base cleared, the FPU state reset, a vfork parent released, and the
 * frame set to enter the program.
 */
#ifndef BASALT_KERNEL_EXEC_H
#define BASALT_KERNEL_EXEC_H

#include <core/compiler.h>

struct trap_frame;

/* Limits (Linux's): total argv + envp bytes, and the count of each. */
#define EXEC_ARG_MAX        (128u * 1024u)
#define EXEC_ARGC_MAX       0x7fffffff

/*
 * Replaces the calling process's program with path (resolved against dirfd
 * as openat does; AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW as execveat(2)).
 * argv and envp are kernel arrays of kernel strings (NULL-terminated;
 * envp may be NULL). On success fills frame (rip, rsp, registers zeroed,
 * USERMODE_RFLAGS) and returns 0; the caller returns to user mode with it.
 * On failure returns -errno and nothing changed. Thread context, no lock.
 */
int exec_kernel(struct trap_frame *frame, int dirfd, const char *path, char *const argv[],
                char *const envp[], int flags);

#endif
