/*
 * src/mm/pagefault.c - page-fault classification (see include/mm/pagefault.h).
 *
 * Part of mm. Runs in the trap path with interrupts off, so it only reads:
 * the vmalloc area list and the fault's error code.
 */
#include <mm/pagefault.h>
#include <core/ksym.h>
#include <core/printk.h>
#include <core/trap.h>
#include <core/x86.h>
#include <core/layout.h>
#include <mm/vmalloc.h>

extern char __boot_stack_guard[], boot_stack_bottom[];     /* src/kernel.ld, boot/entry64.asm */

static pagefault_user_fn user_handler;
static uintptr_t last_guard_hit;

void pagefault_set_user_handler(pagefault_user_fn fn)
{
    user_handler = fn;
}

uintptr_t pagefault_last_guard_hit(void)
{
    return last_guard_hit;
}

bool pagefault_check_stack_overflow(uintptr_t addr)
{
    const char *name;
    uintptr_t lo, hi;
    bool is_stack;

    if (addr >= (uintptr_t)__boot_stack_guard && addr < (uintptr_t)boot_stack_bottom) {
        last_guard_hit = addr;
        pr_emerg("kernel stack overflow: %#lx is in the guard page below the boot "
                 "stack", (unsigned long)addr);
        return true;
    }
    if (!vmalloc_guard_lookup(addr, &name, &lo, &hi, &is_stack))
        return false;
    last_guard_hit = addr;
    if (is_stack)
        pr_emerg("kernel stack overflow: %#lx is in the guard page below stack '%s' "
                 "[%#lx-%#lx)", (unsigned long)addr, name, (unsigned long)lo, (unsigned long)hi);
    else
        pr_emerg("vmalloc overrun: %#lx is in the guard page between the area "
                 "below and '%s' [%#lx-%#lx)", (unsigned long)addr, name, (unsigned long)lo,
                 (unsigned long)hi);
    return is_stack;
}

bool pagefault_handle(struct trap_frame *f)
{
    uintptr_t addr = read_cr2();
    bool from_user = (f->cs & 3) != 0;
    char sym[96];

    /*
     * Only faults raised in user mode go to the process code: a kernel
     * fault on a user address is a kernel bug until copy-from-user paths
     * mark their instructions as allowed to fault.
     */
    if (from_user && user_handler && user_handler(f, addr))
        return true;
    if (pagefault_check_stack_overflow(addr))
        return false;
    pr_emerg("page fault: %s %s %#lx (%s) at RIP %#lx <%s>",
             from_user ? "user" : "kernel",
             (f->error & PF_FETCH) ? "instruction fetch from" :
             (f->error & PF_WRITE) ? "write to" : "read from",
             (unsigned long)addr,
             (f->error & PF_PRESENT) ? "protection violation on a present page" :
                                     "page not present",
             (unsigned long)f->rip, ksym_format(f->rip, sym, sizeof(sym)));
    if (addr < PAGE_SIZE)
        pr_emerg("page fault: looks like a NULL pointer dereference");
    return false;
}

static void note_double_fault(uintptr_t cr2)
{
    (void)pagefault_check_stack_overflow(cr2);
}

static const struct trap_fault_hooks fault_hooks = {
    .page_fault = pagefault_handle,
    .double_fault_addr = note_double_fault,
};

void pagefault_init(void)
{
    trap_set_fault_hooks(&fault_hooks);
}
