/*
 * src/core/tests/core_ktests.c - in-kernel tests of core.
 *
 * Part of core's ktests: descriptor tables, exceptions and their recovery,
 * symbols and backtraces, the log, the clock, the parsed boot information.
 * Pure helpers (strings, formatting, parsers) are tested more deeply on the
 * host in test/unit; here they are checked in the real kernel build.
 */
#include <core/backtrace.h>
#include <core/cpu.h>
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/gdt.h>
#include <core/kjmp.h>
#include <core/ksym.h>
#include <core/ktest.h>
#include <core/multiboot2.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/trap.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <core/layout.h>

#define NON_CANONICAL   0x8000000000000000ul
#define UNMAPPED_LOW    0x0000100000000000ul

/* ---- exceptions are delivered to the right vector and recovered -------- */

static void do_ud2(void *arg)
{
    (void)arg;
    x86_ud2();
}

static void do_int3(void *arg)
{
    (void)arg;
    x86_int3();
}

static void do_divide_by_zero(void *arg)
{
    /* a real divl: the compiler may legally rewrite 1 / x as x == 1 */
    x86_divl(0, 1, *(uint32_t *)arg);
}

static void do_read(void *arg)
{
    (void)*(volatile uint64_t *)arg;
}

static void do_write(void *arg)
{
    *(volatile uint64_t *)arg = 1;
}

static void do_nothing(void *arg)
{
    (void)arg;
}

KTEST(trap, invalid_opcode)
{
    struct ktest_fault f;
    KT_ASSERT_EQ(ktest_expect_fault(VEC_INVALID_OPCODE, do_ud2, NULL, &f), 0);
    KT_EXPECT_EQ(f.vector, (uint64_t)VEC_INVALID_OPCODE);
    KT_EXPECT_TRUE(f.rip >= (uintptr_t)do_ud2 && f.rip < (uintptr_t)do_ud2 + 32);
}

KTEST(trap, breakpoint)
{
    KT_EXPECT_EQ(ktest_expect_fault(VEC_BREAKPOINT, do_int3, NULL, NULL), 0);
}

KTEST(trap, divide_error)
{
    unsigned zero = 0;
    KT_EXPECT_EQ(ktest_expect_fault(VEC_DIVIDE, do_divide_by_zero, &zero, NULL), 0);
}

KTEST(trap, general_protection_non_canonical)
{
    KT_EXPECT_EQ(ktest_expect_fault(VEC_GP, do_read, (void *)NON_CANONICAL, NULL), 0);
}

KTEST(trap, page_fault_reports_address_and_access)
{
    struct ktest_fault f;

    KT_ASSERT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, do_write, (void *)UNMAPPED_LOW, &f), 0);
    KT_EXPECT_EQ(f.cr2, (uint64_t)UNMAPPED_LOW);
    KT_EXPECT_TRUE(f.error & PF_WRITE);
    KT_EXPECT_FALSE(f.error & PF_PRESENT);
    KT_EXPECT_FALSE(f.error & PF_USER);

    KT_ASSERT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, do_read, (void *)UNMAPPED_LOW, &f), 0);
    KT_EXPECT_FALSE(f.error & PF_WRITE);
}

/*
 * With RSP pointing at unmapped memory the CPU cannot push the #PF frame,
 * which escalates to #DF; its handler runs only because the double fault
 * gate switches to its own IST stack.
 */
static void do_fault_with_bad_stack(void *arg)
{
    x86_push_on_stack((uintptr_t)arg);
}

static void do_int2(void *arg)
{
    (void)arg;
    x86_int_nmi_vector();
}

static bool frame_on_ist(uintptr_t frame, int ist)
{
    uintptr_t lo, hi;

    gdt_ist_range(&this_cpu()->tables, ist, &lo, &hi);
    return frame >= lo && frame < hi;
}

KTEST(trap, double_fault_runs_on_its_ist_stack)
{
    struct ktest_fault f;

    KT_ASSERT_EQ(ktest_expect_fault(VEC_DOUBLE_FAULT, do_fault_with_bad_stack,
                                    (void *)(UNMAPPED_LOW + 0x1000), &f), 0);
    KT_EXPECT_TRUE(frame_on_ist(f.frame, IST_DOUBLE_FAULT));
}

KTEST(trap, nmi_gate_runs_on_its_ist_stack)
{
    struct ktest_fault f;

    KT_ASSERT_EQ(ktest_expect_fault(VEC_NMI, do_int2, NULL, &f), 0);
    KT_EXPECT_TRUE(frame_on_ist(f.frame, IST_NMI));
}

KTEST(trap, ordinary_faults_stay_on_the_current_stack)
{
    struct ktest_fault f;

    KT_ASSERT_EQ(ktest_expect_fault(VEC_INVALID_OPCODE, do_ud2, NULL, &f), 0);
    KT_EXPECT_FALSE(frame_on_ist(f.frame, IST_DOUBLE_FAULT));
    KT_EXPECT_FALSE(frame_on_ist(f.frame, IST_NMI));
}

KTEST(trap, expect_fault_without_fault)
{
    KT_EXPECT_EQ(ktest_expect_fault(VEC_PAGE_FAULT, do_nothing, NULL, NULL), -EINVAL);
}

KTEST(trap, names)
{
    KT_EXPECT_STREQ(trap_name(VEC_PAGE_FAULT), "#PF page fault");
    KT_EXPECT_STREQ(trap_name(VEC_DOUBLE_FAULT), "#DF double fault");
    KT_EXPECT_STREQ(trap_name(40), "interrupt");
}

/* ---- descriptor tables -------------------------------------------------- */

KTEST(gdt, loaded_with_tss_and_ist)
{
    struct desc_ptr gdtr, idtr;
    const uint64_t *gdt;
    const struct tss *tss;
    uint64_t desc_lo, desc_hi, base;

    x86_sgdt(&gdtr);
    x86_sidt(&idtr);
    KT_EXPECT_EQ(x86_read_cs(), GDT_KERNEL_CODE);
    KT_EXPECT_EQ(x86_str(), GDT_TSS);
    KT_EXPECT_EQ(gdtr.limit, GDT_ENTRIES * 8 - 1);
    KT_EXPECT_EQ(idtr.limit, 256 * 16 - 1);

    gdt = (const uint64_t *)gdtr.base;
    desc_lo = gdt[GDT_TSS / 8];
    desc_hi = gdt[GDT_TSS / 8 + 1];
    base = ((desc_lo >> 16) & 0xFFFFFF) | (((desc_lo >> 56) & 0xFF) << 24) | (desc_hi << 32);
    tss = (const struct tss *)base;
    for (int i = 0; i < IST_COUNT; i++)
        KT_EXPECT_NE(tss->ist[i], 0ull);
    KT_EXPECT_EQ(tss->iomap_base, sizeof(struct tss));
}

KTEST(gdt, long_mode_nx_wp_enabled)
{
    KT_EXPECT_TRUE(rdmsr(MSR_EFER) & EFER_LME);
    KT_EXPECT_TRUE(rdmsr(MSR_EFER) & EFER_NXE);
    KT_EXPECT_TRUE(read_cr0() & CR0_WP);
    KT_EXPECT_TRUE(read_cr4() & CR4_PAE);
}

/* ---- kjmp ----------------------------------------------------------------- */

static struct kjmp jmp_env;

static __noinline void jump_back(int v)
{
    kjmp_jump(&jmp_env, v);
}

KTEST(kjmp, set_and_jump)
{
    volatile int rounds = 0;
    int r = kjmp_set(&jmp_env);

    if (rounds++ == 0) {
        KT_EXPECT_EQ(r, 0);
        jump_back(7);
    }
    KT_EXPECT_EQ(r, 7);
    KT_EXPECT_EQ(rounds, 2);
}

/* ---- symbols and backtraces --------------------------------------------- */

KTEST(ksym, lookup_known_functions)
{
    uintptr_t off = 1;
    const char *name;

    KT_ASSERT_GT(ksym_count(), 50u);
    name = ksym_lookup((uintptr_t)mb2_parse, &off);
    KT_EXPECT_STREQ(name, "mb2_parse");
    KT_EXPECT_EQ(off, 0ul);
    name = ksym_lookup((uintptr_t)printk + 5, &off);
    KT_EXPECT_STREQ(name, "printk");
    KT_EXPECT_EQ(off, 5ul);
    KT_EXPECT_EQ(ksym_address("panic"), (uintptr_t)panic);
    KT_EXPECT_TRUE(ksym_lookup(0x1000, NULL) == NULL);
}

static __noinline size_t inner_collect(uintptr_t *out, size_t max)
{
    return backtrace_collect(0, read_rbp(), out, max);
}

static __noinline size_t outer_collect(uintptr_t *out, size_t max)
{
    size_t n = inner_collect(out, max);
    barrier();
    return n;
}

KTEST(backtrace, walks_through_callers_to_kmain)
{
    uintptr_t addrs[BACKTRACE_MAX_DEPTH];
    size_t n = outer_collect(addrs, BACKTRACE_MAX_DEPTH);
    bool saw_outer = false, saw_runner = false, saw_kmain = false;

    KT_ASSERT_GE(n, 3u);
    for (size_t i = 0; i < n; i++) {
        const char *name = ksym_lookup(addrs[i] - 1, NULL);
        if (!name)
            continue;
        /* prefixes: an optimising build may clone a function as name.isra.0 */
        saw_outer |= strncmp(name, "outer_collect", 13) == 0;
        saw_runner |= strncmp(name, "ktest_run", 9) == 0 || strncmp(name, "run_one", 7) == 0;
        saw_kmain |= strncmp(name, "kmain", 5) == 0;
    }
    KT_EXPECT_TRUE(saw_outer);
    KT_EXPECT_TRUE(saw_runner);
    KT_EXPECT_TRUE(saw_kmain);
}

KTEST(backtrace, rejects_wild_frame_pointer)
{
    uintptr_t addrs[4];
    KT_EXPECT_EQ(backtrace_collect(0x1234, 0xdead0000beef0000ul, addrs, 4), 1u);
    KT_EXPECT_EQ(backtrace_collect(0, 0x10, addrs, 4), 0u);
}

/* ---- log, clock, boot information, command line ----------------------- */

KTEST(printk, ring_keeps_the_banner)
{
    static char buf[4096];
    size_t n = printk_ring_read(buf, sizeof(buf) - 1);

    buf[n] = '\0';
    KT_EXPECT_TRUE(strstr(buf, "Basalt ") != NULL);
}

KTEST(tsc, calibrated_and_monotonic)
{
    uint64_t a, b;

    /* QEMU's pc and q35 machines have a PIT: the rate must be measured */
    KT_EXPECT_TRUE(tsc_is_calibrated());
    KT_ASSERT_GT(tsc_khz(), 100000u);
    a = tsc_ns_since_boot();
    tsc_delay_ns(1000000);
    b = tsc_ns_since_boot();
    KT_EXPECT_GE(b - a, 1000000u);
}

KTEST(boot, information_parsed)
{
    const struct boot_info *bi = mb2_boot_info();
    uint64_t usable = 0;

    KT_EXPECT_EQ(strncmp(bi->loader_name, "GRUB", 4), 0);
    KT_ASSERT_GT(bi->mmap_count, 0u);
    for (size_t i = 0; i < bi->mmap_count; i++)
        if (bi->mmap[i].type == BOOT_MEM_USABLE)
            usable += bi->mmap[i].length;
    KT_EXPECT_GT(usable, 16ull << 20);
    KT_EXPECT_TRUE(bi->elf_shdrs != NULL);
    KT_EXPECT_TRUE(bi->rsdp != NULL);
}

KTEST(cmdline, kernel_command_line_has_ktest)
{
    /* booted to run the tests: the command line reached the kernel; the shell's
       `test` runs them after a boot whose command line may hold anything */
    if (ktest_at_boot())
        KT_EXPECT_TRUE(cmdline_has(cmdline_boot(), "ktest"));
}

KTEST(format, kernel_snprintf)
{
    char buf[64];

    KT_EXPECT_EQ(snprintf(buf, sizeof(buf), "%d %s %#x %p", -5, "ok", 255u, (void *)0x10), 29);
    KT_EXPECT_STREQ(buf, "-5 ok 0xff 0x0000000000000010");
    KT_EXPECT_EQ(snprintf(buf, 4, "%s", "truncate"), 8);
    KT_EXPECT_STREQ(buf, "tru");
}
