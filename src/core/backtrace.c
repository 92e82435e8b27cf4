/*
 * src/core/backtrace.c - frame-pointer stack walker (see include/core/backtrace.h).
 *
 * Part of core. A frame is read only if its 16 bytes lie inside the kernel
 * image (which holds the boot and IST stacks) or inside a registered stack.
 */
#include <core/backtrace.h>
#include <core/format.h>
#include <core/ksym.h>
#include <core/printk.h>
#include <core/x86.h>
#include <core/layout.h>

#define MAX_EXTRA_STACKS (4 + 3 * 64)     /* boot stack + every CPU's IST stacks */

static struct {
    uintptr_t lo, hi;
} extra_stacks[MAX_EXTRA_STACKS];
static size_t extra_count;
static uintptr_t noted_stack_top;      /* RSP of a faulting frame, for the next print */

void backtrace_add_stack(uintptr_t lo, uintptr_t hi)
{
    if (extra_count < MAX_EXTRA_STACKS)
        extra_stacks[extra_count++] = (typeof(extra_stacks[0])){ lo, hi };
}

static bool (*stack_lookup)(uintptr_t addr, size_t len);  /* set once at boot */

void backtrace_set_stack_lookup(bool (*fn)(uintptr_t addr, size_t len))
{
    stack_lookup = fn;
}

static bool frame_readable(uintptr_t fp)
{
    uintptr_t end = fp + 16;

    if (fp % 8 || end < fp)
        return false;
    if (fp >= (uintptr_t)__data_start && end <= (uintptr_t)__kernel_end)
        return true;
    if (stack_lookup && stack_lookup(fp, 16))
        return true;
    for (size_t i = 0; i < extra_count; i++)
        if (fp >= extra_stacks[i].lo && end <= extra_stacks[i].hi)
            return true;
    return false;
}

size_t backtrace_collect(uintptr_t rip, uintptr_t rbp, uintptr_t *out, size_t max)
{
    size_t n = 0;

    if (max && rip)
        out[n++] = rip;
    while (n < max && frame_readable(rbp)) {
        const uintptr_t *frame = (const uintptr_t *)rbp;
        uintptr_t next = frame[0], ret = frame[1];

        if (!ret)
            break;
        out[n++] = ret;
        if (next <= rbp)        /* stacks grow down: callers sit higher */
            break;
        rbp = next;
    }
    return n;
}

void backtrace_note_stack_top(uintptr_t rsp)
{
    noted_stack_top = rsp;
}

static bool in_text(uintptr_t a)
{
    return a >= (uintptr_t)__text_start && a < (uintptr_t)__text_end;
}

/*
 * A leaf function may run without a frame of its own (GCC omits it even
 * with -fno-omit-frame-pointer), so the frame walk skips its caller. The
 * word at the faulting RSP is then that caller's return address: show it,
 * marked "?" as a guess, when it points into kernel text.
 */
static void print_leaf_caller_guess(uintptr_t rip, uintptr_t rsp, uintptr_t next)
{
    uintptr_t top, off;
    const char *fn;

    if (!rip || !rsp || !frame_readable(rsp & ~7ul))
        return;
    top = *(const uintptr_t *)(rsp & ~7ul);
    if (!in_text(top) || top == next)
        return;
    fn = ksym_lookup(top - 1, &off);
    pr_emerg("  ?  0x%016lx %s+0x%lx (from the stack top)", (unsigned long)top,
             fn ? fn : "?", (unsigned long)(off + 1));
}

void backtrace_print_from(uintptr_t rip, uintptr_t rbp)
{
    uintptr_t addrs[BACKTRACE_MAX_DEPTH];
    size_t n = backtrace_collect(rip, rbp, addrs, BACKTRACE_MAX_DEPTH);
    uintptr_t rsp = noted_stack_top;
    char name[96];

    noted_stack_top = 0;
    pr_emerg("backtrace:");
    for (size_t i = 0; i < n; i++) {
        /*
         * A return address may already lie in the next function (after a
         * call to a noreturn function), so name the call itself: addr - 1.
         * Only rip, when given, is an exact address.
         */
        bool exact = i == 0 && rip != 0;
        uintptr_t off;
        const char *fn = ksym_lookup(exact ? addrs[i] : addrs[i] - 1, &off);

        if (fn)
            snprintf(name, sizeof(name), "%s+0x%lx", fn, (unsigned long)(exact ? off : off + 1));
        else
            snprintf(name, sizeof(name), "?");
        pr_emerg("  #%zu 0x%016lx %s", i, (unsigned long)addrs[i], name);
        if (i == 0)
            print_leaf_caller_guess(rip, rsp, n > 1 ? addrs[1] : 0);
    }
    if (n == 0)
        pr_emerg("  (no frames)");
}

__noinline void backtrace_print(void)
{
    backtrace_print_from(0, read_rbp());
}
