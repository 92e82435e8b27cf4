/*
 * include/core/usermode.h - entering and leaving user mode: SYSCALL/SYSRET,
 * interrupts and exceptions from ring 3, the way back.
 *
 * Part of core (the x86 detail of user mode lives here, in
 * src/core/usermode.c and src/core/usermode.asm). core knows nothing of
 * processes: the layers above register what a system call, a user fault
 * and the return to user mode mean (hooks, set once at boot).
 *
 * Entry. SYSCALL (STAR/LSTAR/FMASK set on every CPU by usermode_init_cpu)
 * lands on the calling thread's kernel stack (its top is kept in struct
 * cpu and TSS.RSP0, loaded by the scheduler's switch), after swapgs. The
 * stub builds a struct trap_frame exactly as an interrupt from ring 3 does
 * (vector USERMODE_VEC_SYSCALL, error 0, rip = RCX, rflags = R11, cs/ss the
 * user selectors, rsp the user's) at the very top of the kernel stack, so
 * usermode_frame(t) finds it for either kind of entry, and calls the
 * syscall hook with interrupts on. Interrupts and exceptions from ring 3
 * swapgs on the way in and out (src/core/isr.asm).
 *
 * Return. Every way back to ring 3 goes through one path: the return hook
 * runs (interrupts on; it may sleep or switch: signal delivery goes there
 * in the next issue), then interrupts off, then SYSRET when the frame came
 * from SYSCALL and its RIP is canonical user space and RCX == RIP, R11 ==
 * RFLAGS hold, else IRET (so a frame whose RIP was changed to a
 * non-canonical address faults in user mode, never in ring 0).
 *
 * User faults. An exception raised in ring 3 other than #PF (which goes to
 * mm/pagefault first) goes to the user-fault hook, which must not return
 * unless the fault was dealt with (it kills the process otherwise).
 *
 * Protection: usermode_init_cpu turns on SMEP, SMAP and UMIP where the CPU
 * has them (CPUID 7.EBX bits 7 and 20, 7.ECX bit 2); core/uaccess opens
 * the SMAP window (stac/clac) only inside its copy routines.
 */
#ifndef BASALT_CORE_USERMODE_H
#define BASALT_CORE_USERMODE_H

#include <core/compiler.h>
#include <core/trap.h>

/* trap_frame.vector of a frame built by the SYSCALL entry. */
#define USERMODE_VEC_SYSCALL    0x100

/* RFLAGS a new user context starts with: IF set, IOPL 0, reserved bit 1. */
#define USERMODE_RFLAGS         0x202ul

/*
 * The system call hook: f->rax holds the number, rdi, rsi, rdx, r10, r8, r9
 * the arguments; it stores the result in f->rax. Runs in the calling
 * thread, interrupts on, no lock held; may sleep. It may rewrite the whole
 * frame (execve, rt_sigreturn): the return path honours any change.
 */
typedef void (*usermode_syscall_fn)(struct trap_frame *f);

/*
 * The user-fault hook: an exception other than #PF raised in ring 3
 * (#DE, #UD, #GP, #NM, #MF, #AC, #XM, #BP, #DB ...). Interrupts on.
 * Returns only if the thread may go back to user mode (after changing f).
 */
typedef void (*usermode_fault_fn)(struct trap_frame *f);

/* Runs before every return to ring 3, interrupts on, may sleep. */
typedef void (*usermode_return_fn)(struct trap_frame *f);

/* Boot CPU, once each, before the first user thread; no lock. */
void usermode_set_syscall_hook(usermode_syscall_fn fn);
void usermode_set_fault_hook(usermode_fault_fn fn);
void usermode_set_return_hook(usermode_return_fn fn);

/*
 * Per CPU, at bring-up (boot CPU and each AP, interrupts off): the
 * SYSCALL MSRs (EFER.SCE, STAR, LSTAR, FMASK clearing IF, DF, TF, AC),
 * SMEP/SMAP/UMIP when present.
 */
void usermode_init_cpu(void);

/* Feature flags the boot CPU turned on (every CPU must match). */
bool usermode_has_smep(void);
bool usermode_has_smap(void);
bool usermode_has_umip(void);

/*
 * Sets the kernel stack top the calling CPU enters on from ring 3 (TSS.RSP0
 * and the SYSCALL stack). The scheduler calls it on every switch to a
 * thread; interrupts off.
 */
void usermode_set_kernel_stack(uintptr_t top);

/*
 * The user frame of a thread whose kernel stack tops at stack_top: the
 * struct trap_frame every entry from ring 3 builds at the top of it.
 */
static inline struct trap_frame *usermode_frame_at(uintptr_t stack_top)
{
    return (struct trap_frame *)(stack_top - sizeof(struct trap_frame));
}

/*
 * Goes to user mode with the registers in f, which must be the frame at
 * the top of the calling thread's kernel stack (usermode_frame_at): a new
 * process fills it (rip, rsp, rflags USERMODE_RFLAGS, the user selectors
 * from usermode_fill_frame, every other register as it wants) and calls
 * this. Runs the return hook first. Never returns; the kernel stack below
 * the frame is discarded. Thread context, interrupts on or off.
 */
__noreturn void usermode_enter(struct trap_frame *f);

/* Zeroes f and sets cs/ss to the user selectors, rip, rsp, rflags. */
void usermode_fill_frame(struct trap_frame *f, uintptr_t rip, uintptr_t rsp);

/* Was f built by an entry from ring 3? */
static inline bool usermode_frame_is_user(const struct trap_frame *f)
{
    return (f->cs & 3) == 3;
}

/* Loads the calling thread's FS / user GS base into the CPU now (arch_prctl). */
void usermode_load_fs_base(uint64_t base);
void usermode_load_user_gs_base(uint64_t base);

#endif
