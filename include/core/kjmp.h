/*
 * include/core/kjmp.h - non-local jumps inside the kernel (setjmp/longjmp).
 *
 * Part of core, implemented in src/core/kjmp.asm. Used by ktest to get
 * back from a failed assertion, a fault or a panic to the test runner.
 * Only callee-saved registers, RSP and RIP are restored; RFLAGS is not
 * (the caller restores the interrupt state it wants).
 */
#ifndef BASALT_CORE_KJMP_H
#define BASALT_CORE_KJMP_H

#include <core/compiler.h>

struct kjmp {
    uint64_t rbx, rbp, r12, r13, r14, r15, rsp, rip;
};

/* Saves the context; returns 0, or val when resumed by kjmp_jump. */
int kjmp_set(struct kjmp *env) __attribute__((returns_twice));

/* Resumes env's kjmp_set, which then returns val (1 if val is 0). */
__noreturn void kjmp_jump(struct kjmp *env, int val);

/* Calls fn(arg) with RSP at stack_top (16-byte aligned), then switches back. */
void kjmp_call_on_stack(void (*fn)(void *), void *arg, uintptr_t stack_top);

/*
 * Reads the 8 bytes at addr into *out. Returns 0, or -EFAULT when the read
 * faults (a page fault or general protection fault at that one instruction
 * is turned into the error return by core/trap, on any CPU).
 */
int probe_read_u64(const void *addr, uint64_t *out);

#endif
