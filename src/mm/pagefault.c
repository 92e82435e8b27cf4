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
#include <mm/layout.h>
#include <mm/vmalloc.h>

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

    if (!vmalloc_guard_lookup(addr, &name, &lo, &hi))
        return false;
    last_guard_hit = addr;
    printk(LOG_EMERG, "kernel stack overflow: %#lx is in the guard page below stack '%s' "
           "[%#lx-%#lx)", (unsigned long)addr, name, (unsigned long)lo, (unsigned long)hi);
    return true;
}

bool pagefault_handle(struct trap_frame *f)
{
    uintptr_t addr = read_cr2();
    bool from_user = (f->cs & 3) != 0;
    char sym[96];

    if ((from_user || addr < USER_END) && user_handler && user_handler(f, addr))
        return true;
    if (pagefault_check_stack_overflow(addr))
        return false;
    printk(LOG_EMERG, "page fault: %s %s %#lx (%s) at RIP %#lx <%s>",
           from_user ? "user" : "kernel",
           (f->error & PF_FETCH) ? "instruction fetch from" :
           (f->error & PF_WRITE) ? "write to" : "read from",
           (unsigned long)addr,
           (f->error & PF_PRESENT) ? "protection violation on a present page" :
                                     "page not present",
           (unsigned long)f->rip, ksym_format(f->rip, sym, sizeof(sym)));
    if (addr < PAGE_SIZE)
        printk(LOG_EMERG, "page fault: looks like a NULL pointer dereference");
    return false;
}
