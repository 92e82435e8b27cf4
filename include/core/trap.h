/*
 * include/core/trap.h - interrupt and exception entry: the trap frame and dispatch.
 *
 * Part of core. src/core/isr.asm has one stub per vector; each pushes the
 * same struct trap_frame and calls trap_dispatch. Exceptions (vectors
 * 0-31) are reported in full (vector name, error code decoded, CR2, all
 * registers, a symbolised backtrace) and are fatal in kernel mode; during a
 * ktest they fail the running test instead (core/ktest). Vectors 32-255
 * are interrupts: they go to core/irq.
 */
#ifndef BASALT_CORE_TRAP_H
#define BASALT_CORE_TRAP_H

#include <core/compiler.h>

/* Exception vectors (Intel SDM vol. 3 table 6-1). */
enum {
    VEC_DIVIDE = 0, VEC_DEBUG = 1, VEC_NMI = 2, VEC_BREAKPOINT = 3,
    VEC_OVERFLOW = 4, VEC_BOUND = 5, VEC_INVALID_OPCODE = 6, VEC_NO_FPU = 7,
    VEC_DOUBLE_FAULT = 8, VEC_COPROC_SEG = 9, VEC_INVALID_TSS = 10,
    VEC_SEG_NOT_PRESENT = 11, VEC_STACK_FAULT = 12, VEC_GP = 13,
    VEC_PAGE_FAULT = 14, VEC_FPU_ERROR = 16, VEC_ALIGNMENT = 17,
    VEC_MACHINE_CHECK = 18, VEC_SIMD = 19, VEC_VIRT = 20, VEC_CONTROL_PROT = 21,
    VEC_HV_INJECTION = 28, VEC_VMM_COMM = 29, VEC_SECURITY = 30,
    VEC_FIRST_IRQ = 32,
};

/* Page-fault error code bits. */
#define PF_PRESENT      (1u << 0)
#define PF_WRITE        (1u << 1)
#define PF_USER         (1u << 2)
#define PF_RESERVED     (1u << 3)
#define PF_FETCH        (1u << 4)

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector;
    uint64_t error;         /* CPU error code, or 0 */
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "trap frame matches isr.asm");
_Static_assert(offsetof(struct trap_frame, vector) == 15 * 8, "trap frame matches isr.asm");

/* Called by isr.asm for every vector, interrupts disabled. */
void trap_dispatch(struct trap_frame *f);

/*
 * What memory management makes of a fault (mm registers them once at boot,
 * pagefault_init: core cannot call mm). page_fault handles vector 14 and
 * returns true if the faulting code may resume (false: fatal, after saying
 * what it knows). double_fault_addr gets CR2 on a double fault, so a kernel
 * stack overflow (which ends in #DF) is named. Both run in the trap path,
 * interrupts off. Until they are set every #PF is reported and fatal.
 */
struct trap_fault_hooks {
    bool (*page_fault)(struct trap_frame *f);
    void (*double_fault_addr)(uintptr_t cr2);
};
/* Boot CPU, once, before the other CPUs start; no lock (read-only afterwards). */
void trap_set_fault_hooks(const struct trap_fault_hooks *hooks);

/* "page fault", "general protection fault", ...; "vector N" beyond 31. */
const char *trap_name(uint64_t vector);

/* Prints the full report of an exception (no backtrace: the caller adds one). */
void trap_report(const struct trap_frame *f);

/*
 * A second exception while one is being handled (outside a ktest) means
 * the reporting path itself faulted: it prints one raw serial line and
 * halts instead of recursing. ktest calls this after it has jumped out of
 * a handler, which never returned to decrement the depth.
 */
void trap_reset_depth(void);

#endif
