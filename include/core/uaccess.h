/*
 * include/core/uaccess.h - copying to and from user memory.
 *
 * Part of core. Every system call touches user memory only through these.
 * Each checks that the whole range lies in user space ([USER_BASE,
 * UACCESS_END), no wrap-around) before touching it, opens the SMAP window
 * (stac) only around the copy loop and closes it (clac) after, and runs its
 * loads and stores from addresses listed in an exception table: a fault on
 * one that mm cannot resolve (demand paging and copy-on-write run first,
 * through mm/pagefault's user handler, for the current thread's address
 * space) resumes at the routine's fixup, which returns -EFAULT. So NULL,
 * unmapped, kernel, non-canonical and straddling pointers all give -EFAULT
 * and never a panic.
 *
 * Context: thread context (they may sleep while a page is brought in), no
 * spinlock held, the calling thread's user space loaded. A partial copy
 * before the fault may have written some bytes of dst.
 */
#ifndef BASALT_CORE_UACCESS_H
#define BASALT_CORE_UACCESS_H

#include <core/compiler.h>
#include <core/layout.h>

/* The end of the user range the copy routines accept (Linux's TASK_SIZE). */
#define UACCESS_END     (USER_END - 0x1000ul)

/* Marks a pointer into user memory (documentation only). */
#define __user

/* Is [p, p + n) inside user space? n == 0 is always true. */
bool uaccess_ok(const void __user *p, size_t n);

/* 0, or -EFAULT. */
int copy_from_user(void *dst, const void __user *src, size_t n);
int copy_to_user(void __user *dst, const void *src, size_t n);
int clear_user(void __user *dst, size_t n);

/*
 * Copies a NUL-terminated string of at most max - 1 characters plus its
 * NUL into dst (max bytes). Returns its length (without the NUL),
 * -ENAMETOOLONG if no NUL came within max bytes (dst then holds max bytes,
 * unterminated), or -EFAULT.
 */
long strncpy_from_user(char *dst, const char __user *src, size_t max);

/* Single values: 0 or -EFAULT. */
int get_user_u64(uint64_t *dst, const uint64_t __user *src);
int put_user_u64(uint64_t __user *dst, uint64_t v);
int get_user_u32(uint32_t *dst, const uint32_t __user *src);
int put_user_u32(uint32_t __user *dst, uint32_t v);

/*
 * The exception table: core/trap calls this for a fault in ring 0 that
 * nothing else resolved. If the faulting RIP is a listed user access, it
 * moves f->rip to the fixup and returns true.
 */
struct trap_frame;
bool uaccess_fixup(struct trap_frame *f);

#endif
