/*
 * src/core/trap.c - exception reports and trap dispatch (see include/core/trap.h).
 *
 * Part of core. Kernel-mode exceptions are bugs: they are reported (name,
 * decoded error code, CR2, registers, symbolised RIP) and end in panic_at,
 * which adds the backtrace from the faulting frame. While a ktest runs, a
 * fault the test expects goes back to it (ktest_trap_hook) and any other
 * fault fails just that test (panic does that).
 */
#include <core/trap.h>
#include <core/cpu.h>
#include <core/format.h>
#include <core/irq.h>
#include <core/ksym.h>
#include <core/ktest.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/backtrace.h>
#include <core/serial.h>
#include <core/string.h>
#include <core/x86.h>

static const char *const exception_names[32] = {
    [VEC_DIVIDE] = "#DE divide error",
    [VEC_DEBUG] = "#DB debug",
    [VEC_NMI] = "NMI non-maskable interrupt",
    [VEC_BREAKPOINT] = "#BP breakpoint",
    [VEC_OVERFLOW] = "#OF overflow",
    [VEC_BOUND] = "#BR bound range exceeded",
    [VEC_INVALID_OPCODE] = "#UD invalid opcode",
    [VEC_NO_FPU] = "#NM device not available",
    [VEC_DOUBLE_FAULT] = "#DF double fault",
    [VEC_COPROC_SEG] = "coprocessor segment overrun",
    [VEC_INVALID_TSS] = "#TS invalid TSS",
    [VEC_SEG_NOT_PRESENT] = "#NP segment not present",
    [VEC_STACK_FAULT] = "#SS stack-segment fault",
    [VEC_GP] = "#GP general protection fault",
    [VEC_PAGE_FAULT] = "#PF page fault",
    [VEC_FPU_ERROR] = "#MF x87 floating-point error",
    [VEC_ALIGNMENT] = "#AC alignment check",
    [VEC_MACHINE_CHECK] = "#MC machine check",
    [VEC_SIMD] = "#XM SIMD floating-point exception",
    [VEC_VIRT] = "#VE virtualization exception",
    [VEC_CONTROL_PROT] = "#CP control protection exception",
    [VEC_HV_INJECTION] = "#HV hypervisor injection",
    [VEC_VMM_COMM] = "#VC VMM communication",
    [VEC_SECURITY] = "#SX security exception",
};

/* exceptions being handled on each CPU (by index; written only by that CPU) */
static int exception_depth[CPU_MAX];

const char *trap_name(uint64_t vector)
{
    if (vector < 32 && exception_names[vector])
        return exception_names[vector];
    return vector < 32 ? "reserved exception" : "interrupt";
}

static void describe_error(const struct trap_frame *f, char *buf, size_t size)
{
    if (f->vector == VEC_PAGE_FAULT) {
        snprintf(buf, size, "%s, %s%s, %s mode",
                 (f->error & PF_FETCH) ? "instruction fetch" :
                 (f->error & PF_WRITE) ? "write" : "read",
                 (f->error & PF_PRESENT) ? "protection violation" : "page not present",
                 (f->error & PF_RESERVED) ? ", reserved bit set" : "",
                 (f->error & PF_USER) ? "user" : "kernel");
    } else if (f->error && (f->vector == VEC_GP || f->vector == VEC_SEG_NOT_PRESENT ||
                            f->vector == VEC_STACK_FAULT || f->vector == VEC_INVALID_TSS)) {
        /* selector error code: bit 0 external, bits 1-2 table, bits 3+ index */
        static const char *const tables[4] = { "GDT", "IDT", "LDT", "IDT" };
        snprintf(buf, size, "selector %#llx in %s%s", (unsigned long long)(f->error >> 3),
                 tables[(f->error >> 1) & 3], (f->error & 1) ? ", external" : "");
    } else {
        snprintf(buf, size, "no details");
    }
}

void trap_report(const struct trap_frame *f)
{
    char what[96], sym[96];

    describe_error(f, what, sizeof(what));
    pr_emerg("EXCEPTION: %s (vector %llu, error %#llx: %s)", trap_name(f->vector),
             (unsigned long long)f->vector, (unsigned long long)f->error, what);
    pr_emerg("  RIP %016llx <%s>  CS %04llx  RFLAGS %016llx",
             (unsigned long long)f->rip, ksym_format(f->rip, sym, sizeof(sym)),
             (unsigned long long)f->cs, (unsigned long long)f->rflags);
    pr_emerg("  RSP %016llx  SS %04llx  CR2 %016llx  CR3 %016llx",
             (unsigned long long)f->rsp, (unsigned long long)f->ss,
             (unsigned long long)read_cr2(), (unsigned long long)read_cr3());
    pr_emerg("  RAX %016llx  RBX %016llx  RCX %016llx  RDX %016llx",
             (unsigned long long)f->rax, (unsigned long long)f->rbx,
             (unsigned long long)f->rcx, (unsigned long long)f->rdx);
    pr_emerg("  RSI %016llx  RDI %016llx  RBP %016llx  R8  %016llx",
             (unsigned long long)f->rsi, (unsigned long long)f->rdi,
             (unsigned long long)f->rbp, (unsigned long long)f->r8);
    pr_emerg("  R9  %016llx  R10 %016llx  R11 %016llx  R12 %016llx",
             (unsigned long long)f->r9, (unsigned long long)f->r10,
             (unsigned long long)f->r11, (unsigned long long)f->r12);
    pr_emerg("  R13 %016llx  R14 %016llx  R15 %016llx  CR0 %016llx",
             (unsigned long long)f->r13, (unsigned long long)f->r14,
             (unsigned long long)f->r15, (unsigned long long)read_cr0());
}

void trap_reset_depth(void)
{
    exception_depth[this_cpu()->index] = 0;
}

/* A fault while reporting a fault: say so with the least machinery possible. */
static __noreturn void nested_fault(const struct trap_frame *f)
{
    static const char msg[] = "\nEXCEPTION: fault while handling an exception; halting\n";
    char line[96];

    serial_write(msg, sizeof(msg) - 1);
    snprintf(line, sizeof(line), "EXCEPTION: vector %llu at RIP %#llx, CR2 %#llx\n",
             (unsigned long long)f->vector, (unsigned long long)f->rip,
             (unsigned long long)read_cr2());
    serial_write(line, strlen(line));
    cpu_halt_forever();
}

extern const char probe_read_insn[], probe_read_fixup[];    /* src/core/kjmp.asm */

/* A fault at an instruction that is allowed to fault: resume at its fixup. */
static bool trap_fixup(struct trap_frame *f)
{
    if ((f->vector == VEC_PAGE_FAULT || f->vector == VEC_GP) &&
        f->rip == (uintptr_t)probe_read_insn) {
        f->rip = (uintptr_t)probe_read_fixup;
        return true;
    }
    return false;
}

static const struct trap_fault_hooks *fault_hooks;    /* written once at boot */

void trap_set_fault_hooks(const struct trap_fault_hooks *hooks)
{
    fault_hooks = hooks;
}

void trap_dispatch(struct trap_frame *f)
{
    if (f->vector >= VEC_FIRST_IRQ) {
        irq_dispatch(f);
        return;
    }
    if (trap_fixup(f))
        return;
    if (f->vector == VEC_NMI && panic_in_progress())
        cpu_halt_forever();         /* another CPU panicked: stop here, quietly */
    int *depth = &exception_depth[this_cpu()->index];
    if ((*depth)++ > 0 && !ktest_running())
        nested_fault(f);
    /* a double fault after a stack overflow: CR2 still names the guard page */
    if (f->vector == VEC_DOUBLE_FAULT && fault_hooks)
        fault_hooks->double_fault_addr(read_cr2());
    if (ktest_running())
        ktest_trap_hook(f);         /* returns only if the test did not expect it */
    if (f->vector == VEC_PAGE_FAULT && fault_hooks && fault_hooks->page_fault(f)) {
        (*depth)--;
        return;
    }

    trap_report(f);
    backtrace_note_stack_top(f->rsp);
    panic_at(f->rip, f->rbp, "trap_dispatch: unhandled %s in %s mode at %#llx",
             trap_name(f->vector), (f->cs & 3) ? "user" : "kernel",
             (unsigned long long)f->rip);
}
