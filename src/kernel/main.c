/*
 * src/kernel/main.c - kmain: the kernel's boot sequence in named steps.
 *
 * Part of the kernel executable; reached from boot/entry64.asm on the boot stack with
 * interrupts off. Each step either succeeds, or reports what went wrong
 * and either carries on without the feature (no screen, no symbols) or
 * halts with a message when the kernel cannot go on (no boot information).
 *
 *   serial + early clock -> descriptor tables -> banner -> TSC calibration
 *   -> boot information -> command line -> memory (PMM, page tables, heap,
 *   vmalloc) -> screen console -> ACPI tables -> boot summary -> symbols
 *   -> interrupts (PIC off, local APIC, I/O APIC) -> wall clock (CMOS RTC)
 *   -> input (serial receive interrupt, PS/2) -> devices -> file systems
 *   (VFS, tmpfs root) -> ktest
 *   -> (acpi.poweroff_at_boot / acpi.reboot_at_boot)
 *   -> the shell (kernel/kshell), or idle with shell.off
 */
#include <kernel/main.h>
#include <core/apic.h>
#include <core/backtrace.h>
#include <core/cmdline.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/gdt.h>
#include <core/idt.h>
#include <core/ksym.h>
#include <core/ktest.h>
#include <core/multiboot2.h>
#include <core/panic.h>
#include <core/printk.h>
#include <core/serial.h>
#include <core/smp.h>
#include <sched/smpboot.h>
#include <core/string.h>
#include <core/time.h>
#include <core/calendar.h>
#include <core/walltime.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/acpi.h>
#include <dev/fbcon.h>
#include <dev/hpet.h>
#include <dev/input.h>
#include <dev/pci.h>
#include <dev/platform.h>
#include <dev/rtc.h>
#include <dev/virtio_blk.h>
#include <dev/virtio_rng.h>
#include <dev/vgatext.h>
#include <fs/vfs.h>
#include <generated/version.h>
#include <kernel/kshell.h>
#include <mm/kmalloc.h>
#include <core/layout.h>
#include <sched/thread.h>
#include <mm/memmap.h>
#include <mm/pagefault.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>
#include <sched/sched.h>
#include <sched/workqueue.h>

#define MBI_MAX_SIZE    (1u << 20)

CMDLINE_PARAM(ktest, "ktest", CMDLINE_FLAG_OR_STRING, 0, 0,
              "run the in-kernel tests (all, or those matching ktest=GLOB) and exit QEMU");
CMDLINE_PARAM(debug_panic_cpu, "debug.panic_cpu", CMDLINE_UINT, 0, CPU_MAX - 1,
              "panic on CPU N at the end of boot (exercises stopping the other CPUs)");
CMDLINE_PARAM(loglevel, "loglevel", CMDLINE_UINT, 0, 7,
              "console log threshold: 0 emergencies only .. 7 debug (default 6)");

extern const struct cmdline_param __start_cmdline_params[], __stop_cmdline_params[];
extern char boot_stack_bottom[], boot_stack_top[];

static struct boot_info boot;
static struct cmdline cmdline;
static const char *cmdline_text = "";      /* what the parser read */

static __noreturn void boot_halt(const char *why)
{
    pr_emerg("basalt: boot failed: %s", why);
    pr_emerg("basalt: halted.");
    cpu_halt_forever();
}

static void step_banner(void)
{
    pr_info("Basalt %s booting (x86_64, %s build, %s)", BASALT_VERSION,
            BASALT_BUILD_TYPE, BASALT_COMPILER);
}

static void step_descriptor_tables(void)
{
    uintptr_t lo, hi;

    cpu_init_bsp();
    idt_init();
    pagefault_init();           /* mm's #PF and #DF classification behind core/trap */
    backtrace_add_stack((uintptr_t)boot_stack_bottom, (uintptr_t)boot_stack_top);
    for (int ist = 1; ist <= IST_COUNT; ist++) {
        gdt_ist_range(&this_cpu()->tables, ist, &lo, &hi);
        backtrace_add_stack(lo, hi);
    }
}

static void step_boot_info(uint32_t magic, uint32_t mbi_phys)
{
    const char *why = NULL;
    size_t max;

    if (magic != MB2_BOOTLOADER_MAGIC)
        boot_halt("kmain: not started by a multiboot2 loader");
    /* a 32-bit address is always inside the boot direct map */
    if (mbi_phys == 0)
        boot_halt("kmain: no boot information address");
    max = MIN((size_t)MBI_MAX_SIZE, (size_t)(BOOT_DIRECT_MAP_LIMIT - mbi_phys));
    if (mb2_parse(phys_to_virt(mbi_phys), max, mbi_phys, &boot, &why) != 0) {
        pr_emerg("boot: multiboot2 information at %#x is malformed: %s", mbi_phys,
                 why);
        boot_halt("cannot go on without valid boot information");
    }
    mb2_set_boot_info(&boot);
}

static void step_memory(void)
{
    uint64_t start_ns = tsc_ns_since_boot();
    struct pmm_stats st;
    int err;

    err = pmm_init(&boot);
    if (err == -ENOENT)
        boot_halt("pmm_init: the firmware memory map holds no usable RAM");
    if (err)
        boot_halt("pmm_init: no room below 4 GiB for the frame bitmaps");
    if ((err = vmm_init()) != 0)
        boot_halt("vmm_init: out of memory building the kernel page tables");
    if ((err = kheap_init()) != 0 || (err = vmalloc_init()) != 0)
        boot_halt("kheap_init: out of memory setting up the heap");
    st = pmm_stats();
    pr_info("mm: %llu MiB usable, %llu KiB held for kernel and boot data, "
            "%llu of %llu frames free; direct map up to %#llx with %s pages",
            (unsigned long long)(st.usable_bytes >> 20),
            (unsigned long long)(st.reserved_bytes >> 10),
            (unsigned long long)st.free_frames, (unsigned long long)st.managed_frames,
            (unsigned long long)st.highest_ram, vmm_has_1g_pages() ? "1 GiB" : "2 MiB");
    uint64_t now = tsc_ns_since_boot(), us = now / 1000, mm_us = (now - start_ns) / 1000;
    pr_info("mm: heap ready %llu.%03llu ms after kernel entry (memory setup took "
            "%llu.%03llu ms)", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000),
            (unsigned long long)(mm_us / 1000), (unsigned long long)(mm_us % 1000));
}

static void step_screen(void)
{
    int err;
    const char *name;

    if (boot.has_framebuffer && boot.fb.type == BOOT_FB_RGB) {
        err = fbcon_init(&boot.fb);
        name = "fb";
    } else if (!boot.has_framebuffer && boot.efi) {
        /* UEFI machines have no legacy VGA to fall back on */
        pr_warn("console: no screen console (UEFI gave no framebuffer); serial only");
        return;
    } else {
        err = vgatext_init(boot.has_framebuffer ? &boot.fb : NULL);
        name = "vga";
    }
    if (err) {
        pr_warn("console: no screen console (%s: %s); serial only", name,
                errno_name(err));
        return;
    }
    /* the screen missed everything so far: show it the log */
    printk_replay(console_find(name));
}

static void step_acpi(void)
{
    int err = acpi_init(&boot);

    /* no ACPI is not fatal: the platform layer falls back to legacy defaults */
    if (err)
        pr_warn("acpi: no ACPI tables (%s)", errno_name(err));
}

static void report_cmdline_problem(void *ctx, const char *message)
{
    (void)ctx;
    pr_warn("cmdline: %s", message);
}

static void step_cmdline(void)
{
    /* one byte more than the parser reads, so it sees and reports an over-long line */
    static char unescaped[CMDLINE_MAX_LEN + 2];
    uint64_t level;

    cmdline_text = boot.cmdline;
    if (strncmp(boot.loader_name, "GRUB", 4) == 0) {
        size_t len = cmdline_unescape_grub(unescaped, sizeof(unescaped), boot.cmdline);
        if (len >= sizeof(unescaped))
            pr_warn("cmdline: command line is %zu bytes; only the first %d are read",
                    len, CMDLINE_MAX_LEN);
        cmdline_text = unescaped;
    }
    if (cmdline_parse(&cmdline, cmdline_text) != 0) {
        for (size_t i = 0; i < MIN(cmdline.error_count, (size_t)CMDLINE_MAX_ERRORS); i++)
            pr_warn("cmdline: %s", cmdline.errors[i]);
        if (cmdline.error_count > CMDLINE_MAX_ERRORS)
            pr_warn("cmdline: ... and %zu more problems",
                    cmdline.error_count - CMDLINE_MAX_ERRORS);
    }
    cmdline_check(&cmdline, __start_cmdline_params,
                  (size_t)(__stop_cmdline_params - __start_cmdline_params),
                  report_cmdline_problem, NULL);
    cmdline_set_boot(&cmdline);
    if (cmdline_uint(&cmdline, "loglevel", &level) == 0)
        printk_set_level((int)level);
}

static void step_summary(void)
{
    uint64_t usable = 0;

    pr_info("boot: loader '%s'", boot.loader_name);
    pr_info("boot: command line '%s'", cmdline_text);
    for (size_t i = 0; i < boot.mmap_count; i++)
        if (boot.mmap[i].type == BOOT_MEM_USABLE)
            usable += boot.mmap[i].length;
    pr_info("boot: memory map: %zu entries%s, %llu MiB usable", boot.mmap_count,
            boot.mmap_truncated ? " (truncated)" : "", (unsigned long long)(usable >> 20));
    for (size_t i = 0; i < boot.mmap_count; i++)
        pr_debug("boot:   [0x%016llx-0x%016llx] %s",
                 (unsigned long long)boot.mmap[i].base,
                 (unsigned long long)(boot.mmap[i].base + boot.mmap[i].length - 1),
                 memmap_type_name(boot.mmap[i].type));
    if (boot.has_framebuffer)
        pr_info("boot: framebuffer %ux%u %s, %u bpp, pitch %u, at %#llx",
                boot.fb.width, boot.fb.height,
                boot.fb.type == BOOT_FB_RGB ? "RGB" :
                boot.fb.type == BOOT_FB_EGA_TEXT ? "EGA text" : "indexed",
                boot.fb.bpp, boot.fb.pitch, (unsigned long long)boot.fb.addr);
    else
        pr_info("boot: no framebuffer information");
    if (boot.rsdp)
        pr_info("boot: ACPI RSDP v%u (%u bytes) from the loader", boot.rsdp_version,
                boot.rsdp_size);
    else
        pr_info("boot: no ACPI RSDP from the loader");
    pr_info("boot: %u ELF section headers, %zu modules%s, EFI memory map %s",
            boot.elf_shnum, boot.module_count, boot.modules_truncated ? " (truncated)" : "",
            boot.efi_mmap ? "present" : "absent");
    for (size_t i = 0; i < boot.module_count; i++)
        pr_info("boot:   module [%#llx-%#llx) '%s'",
                (unsigned long long)boot.modules[i].start,
                (unsigned long long)boot.modules[i].end, boot.modules[i].cmdline);
    pr_info("boot: kernel image [%#lx-%#lx) physical",
            (unsigned long)(uintptr_t)__kernel_phys_start,
            (unsigned long)(uintptr_t)__kernel_phys_end);
}

static void step_clock(void)
{
    if (tsc_calibrate() != 0)
        pr_warn("tsc: the PIT gave no usable measurement; assuming %llu MHz "
                "(timestamps approximate)", (unsigned long long)(tsc_khz() / 1000));
    else
        pr_info("tsc: %llu.%03llu MHz (calibrated against the PIT)",
                (unsigned long long)(tsc_khz() / 1000), (unsigned long long)(tsc_khz() % 1000));
}

/*
 * Interrupt controllers, clock and tick, then the other CPUs: all from the
 * ACPI tables. core/apic maps no memory: an xAPIC's register page is mapped
 * here (x2APIC needs none). The HPET registers itself with core/time, and
 * sched_init its tick hook, before interrupts are enabled.
 */
static void step_interrupts(void)
{
    static struct platform_topology topo;
    static uint32_t apic_ids[CPU_MAX];
    bool have_madt = platform_topology_from_acpi(&topo);
    uint64_t apic_regs = apic_mmio_phys(), hpet = platform_hpet_address();

    if (apic_regs)
        apic_set_mmio(vmm_ioremap(apic_regs, PAGE_SIZE, VMM_WRITE));    /* NULL: apic_init_cpu reports */
    if (platform_init_interrupts(have_madt ? &topo : NULL) != 0)
        return;                 /* reported; the kernel runs with interrupts off */
    if (hpet)
        (void)hpet_init(hpet);  /* reported; the clock is then the TSC */
    if (time_init() != 0)
        pr_warn("time: no periodic tick; sleeps busy-wait");
    sched_init();               /* this code path becomes thread "kmain" on CPU 0 */
    irq_enable();
    smpboot_start(apic_ids, platform_cpu_apic_ids(apic_ids, CPU_MAX));
    workqueue_init();           /* a worker thread per online CPU; failures reported */
}

/*
 * The wall clock: the CMOS RTC read once (after ACPI, which names the
 * century register, and after time_init chose the clock the wall clock
 * counts on). Without it the wall clock counts from 1970 (see core/walltime).
 */
static void step_wallclock(void)
{
    struct calendar_tm tm;
    char text[24];
    int64_t secs;
    uint64_t now;

    rtc_init();
    if (rtc_read(&tm) != 0) {   /* the cause is logged */
        pr_warn("rtc: no wall clock; dates count from 1970-01-01 at boot");
        return;
    }
    now = time_ns();
    if (calendar_to_unix(&tm, &secs) != 0)
        return;                 /* rtc_read validated it */
    walltime_set_base(secs * 1000000000ll - (int64_t)now);
    calendar_format_iso(&tm, text, sizeof(text));
    pr_info("rtc: %s UTC", text);
}

static void step_input(void)
{
    int err = serial_enable_rx_irq();

    /* without it serial input is polled, which works as well, just less idly */
    if (err && err != -ENODEV)
        pr_warn("serial: no receive interrupt (%s); input is polled",
                errno_name(err));
    input_init();               /* reports what it finds; never fatal */
}

/* Buses and the drivers of what is on them; each failure is reported, none is fatal. */
static void step_devices(void)
{
    if (pci_init() != 0)
        return;
    virtio_rng_init();
    virtio_blk_init();
}

/*
 * The VFS and a tmpfs root with the standard directories. Without a root
 * the kernel still runs (the shell's file commands then fail), so a
 * failure is reported, not fatal.
 */
static void step_filesystems(void)
{
    static const char *const dirs[] = { "/tmp", "/dev", "/proc", "/sys", "/mnt" };
    struct vfs_ctx *ctx;
    int err = vfs_init();

    if (!err)
        err = vfs_mount_root(NULL, "tmpfs", 0, "mode=0755");
    if (err) {
        pr_err("vfs: no root file system (%s)", errno_name(err));
        return;
    }
    ctx = vfs_kernel_ctx();
    for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        err = vfs_mkdir(ctx, NULL, dirs[i], 0755);
        if (err)
            pr_warn("vfs: mkdir %s: %s", dirs[i], errno_name(err));
    }
    err = vfs_chmod(ctx, NULL, "/tmp", 01777, 0);      /* past the kernel's umask */
    if (err)
        pr_warn("vfs: chmod /tmp: %s", errno_name(err));
}

static void step_symbols(void)
{
    int err = ksym_init(&boot, pmm_is_ram);

    if (err)
        pr_warn("ksym: no kernel symbol table (%s); backtraces show addresses only",
                errno_name(err));
    else
        pr_info("ksym: %zu function symbols", ksym_count());
}

static void debug_panic_here(void *arg)
{
    (void)arg;
    panic("debug_panic_here: requested on the command line, on CPU %u", this_cpu()->index);
}

/* debug.panic_cpu=N: a panic on CPU N must stop every other CPU and print once. */
static void step_debug_panic(void)
{
    uint64_t cpu;
    int err;

    if (cmdline_uint(&cmdline, "debug.panic_cpu", &cpu) != 0)
        return;
    err = smp_call((unsigned)cpu, debug_panic_here, NULL);
    /* only reached if the panic did not stop this CPU */
    pr_err("debug: CPU %llu did not panic (%s)", (unsigned long long)cpu,
           err ? errno_name(err) : "it returned");
}

static void *shell_thread(void *arg)
{
    kshell_run(arg);
    return NULL;
}

static void step_ktest(void)
{
    const struct cmdline_opt *opt = cmdline_find(&cmdline, "ktest");

    if (opt)
        ktest_boot(opt->value ? opt->value : "*");     /* exits QEMU */
}

void kmain(uint32_t magic, uint32_t mbi_phys)
{
    serial_init(SERIAL_COM1);
    tsc_init_early();
    step_descriptor_tables();
    step_banner();
    step_clock();
    step_boot_info(magic, mbi_phys);
    step_cmdline();
    step_memory();
    step_screen();
    step_acpi();
    step_summary();
    step_symbols();
    step_interrupts();
    step_wallclock();
    step_input();
    step_devices();
    step_filesystems();
    step_ktest();

    pr_info("basalt: boot complete");
    step_debug_panic();
    acpi_boot_actions();
    input_echo_loop();          /* only with kbd.echo / mouse.echo */
    /* the shell is a kernel thread on CPU 0 (its serial ring is fed by IRQ 4 there) */
    if (!cmdline_has(&cmdline, "shell.off")) {
        struct thread *shell = thread_create("shell", shell_thread, NULL, THREAD_CPU(0));
        if (!shell)
            pr_err("shell: no memory for its thread");
        else
            thread_join(shell, NULL);   /* never returns: the shell runs for good */
    }
    for (;;)
        cpu_idle();
}
