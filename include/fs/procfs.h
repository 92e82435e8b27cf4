/*
 * include/fs/procfs.h - the proc file system (type "proc", PROC_SUPER_MAGIC):
 * read-only files generated from the kernel's state in Linux's formats,
 * so that Linux tools (busybox free, uptime, mount, cat, ...) read them.
 *
 * Part of fs. Files (each made when opened; see include/fs/pseudo.h):
 *   meminfo cpuinfo uptime loadavg stat mounts filesystems partitions
 *   diskstats devices interrupts version cmdline swaps (no swap: the
 *   header) modules (none: empty), and
 *   sys/kernel/{ostype,osrelease,version,hostname},
 *   <id>/{comm,stat,status,cmdline} for every live thread (listed after
 *   the fixed entries by increasing id; made when listed or looked up,
 *   gone once the thread is freed), and self, a symlink made at each
 *   readlink that names the reader's id.
 * Differences from Linux, until the issues that bring what they need:
 *   - per-thread, not per-process, directories: <id> is a thread id
 *     (sched/thread.h) where Linux names a process by its tgid; every
 *     thread is a kernel thread (cmdline empty, stat's flags PF_KTHREAD,
 *     PPid the creating thread), the idle threads are listed too, and
 *     waits show as S (no signals yet, so D is never shown); the
 *     user-space issue adds processes and the other per-process files;
 *   - /proc/mounts shows the kernel's view (vfs_kernel_ctx), not the
 *     reader's mount namespace, and is not a symlink to self/mounts;
 *   - /proc/stat counts CPU time by the tick: "system" is the time a CPU
 *     ran any thread (all threads are kernel threads), "idle" the rest;
 *     user, nice, iowait, irq, softirq and steal are 0;
 *   - /proc/interrupts has one count column ("total"): the kernel counts
 *     interrupts per vector, not per CPU; rows are named by GSI when
 *     routed through the I/O APIC, else "V" + the CPU vector (MSI/MSI-X,
 *     the local timer);
 *   - sys/kernel/hostname is read-only ("(none)" until sethostname exists).
 * Writes: every file is read-only; opening one for writing is -EACCES and
 * creating or removing names in /proc is -EACCES (see pseudo.h).
 */
#ifndef BASALT_FS_PROCFS_H
#define BASALT_FS_PROCFS_H

#include <core/compiler.h>

/* The release name (uname -r, /proc/sys/kernel/osrelease): "0.1.0-basalt". */
extern const char procfs_osrelease[];

/* Registers the "proc" type (from vfs_init). 0 or -errno. */
int procfs_init(void);

#endif
