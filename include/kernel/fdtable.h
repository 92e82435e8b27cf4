/*
 * include/kernel/fdtable.h - a process's file descriptors.
 *
 * Part of the kernel executable (src/kernel/fdtable.c). A table maps small
 * integers to open files (fs/vfs struct file, referenced) with a per-slot
 * close-on-exec flag. fork gives the child a copy of the table (each file
 * gets one more reference, so parent and child share the open file and
 * its offset, as Linux does); clone(CLONE_FILES) in issue 14 shares the
 * table itself (fdtable_get). New descriptors take the lowest free number
 * (POSIX); the table grows up to the process's RLIMIT_NOFILE (-EMFILE
 * beyond it).
 *
 * Lock legend: [t] the table's spinlock (no sleeping under it: file
 * references are taken under it, files are closed after dropping it);
 * [a] atomic. Lock order: p->lock -> table lock -> nothing.
 */
#ifndef BASALT_KERNEL_FDTABLE_H
#define BASALT_KERNEL_FDTABLE_H

#include <core/compiler.h>

struct file;
struct fdtable;

#define FD_CLOEXEC_FLAG     1       /* fcntl F_GETFD/F_SETFD's FD_CLOEXEC */

/* An empty table; NULL when out of memory. */
struct fdtable *fdtable_create(void);
/* A copy (fork); NULL when out of memory. */
struct fdtable *fdtable_copy(struct fdtable *src);
void fdtable_get(struct fdtable *t);
/* Drops a reference; the last closes every file. May sleep. */
void fdtable_put(struct fdtable *t);

/*
 * Installs f at the lowest free descriptor >= min, below limit (the
 * caller's RLIMIT_NOFILE), taking a new reference on f. cloexec sets the
 * flag. Returns the descriptor or -EMFILE / -ENOMEM.
 */
int fdtable_install(struct fdtable *t, struct file *f, int min, unsigned limit, bool cloexec);

/*
 * Puts f at exactly fd (dup2/dup3), closing what was there (after
 * dropping the lock). Returns fd, -EBADF (fd < 0 or >= limit), -ENOMEM.
 */
int fdtable_install_at(struct fdtable *t, struct file *f, int fd, unsigned limit, bool cloexec);

/* The file at fd with a new reference (file_put it), or NULL (-EBADF for the caller). */
struct file *fdtable_get_file(struct fdtable *t, int fd);

/* Closes fd. 0 or -EBADF. */
int fdtable_close(struct fdtable *t, int fd);

/* close_range(2) over [first, last]; with cloexec only sets the flags. */
void fdtable_close_range(struct fdtable *t, unsigned first, unsigned last, bool cloexec);

/* Closes every descriptor marked close-on-exec (execve). */
void fdtable_close_on_exec(struct fdtable *t);

/* The close-on-exec flag of fd: 0/1, or -EBADF; set it with fdtable_set_cloexec. */
int fdtable_get_cloexec(struct fdtable *t, int fd);
int fdtable_set_cloexec(struct fdtable *t, int fd, bool on);

/* Calls fn for every open descriptor in order (/proc/<pid>/fd), lock held: fn must not sleep. */
void fdtable_for_each(struct fdtable *t, void (*fn)(int fd, struct file *f, void *arg), void *arg);

/* Open descriptors (tests). */
unsigned fdtable_count(struct fdtable *t);

#endif
