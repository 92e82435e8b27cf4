/*
 * src/sched/smpboot.c - starting the application processors (see
 * include/sched/smpboot.h).
 *
 * Part of sched: the lowest layer with everything bring-up needs (core's
 * local APIC IPIs and per-CPU structs, mm's low memory, page tables and
 * stacks, and the scheduler's idle thread for each new CPU). The
 * trampoline page is a free page of low memory; its page table is a
 * throwaway address space with the trampoline page mapped to itself (the
 * AP turns paging on while running there) plus the shared kernel half.
 * Each AP gets a struct cpu (core/cpu) and a guarded 16 KiB kernel stack
 * from vmalloc.
 */
#include <sched/smpboot.h>
#include <core/apic.h>
#include <core/cpu.h>
#include <core/layout.h>
#include <core/printk.h>
#include <core/smp.h>
#include <core/string.h>
#include <core/time.h>
#include <core/x86.h>
#include <mm/kmalloc.h>
#include <mm/memmap.h>
#include <mm/pmm.h>
#include <mm/vmalloc.h>
#include <mm/vmm.h>
#include <sched/sched.h>

#define AP_STACK_SIZE       (16 * 1024)
#define INIT_DELAY_NS       10000000ull     /* 10 ms after INIT (SDM 8.4.4.1) */
#define SIPI_DELAY_NS       200000ull       /* 200 us between STARTUPs */
#define ONLINE_TIMEOUT_NS   1000000000ull   /* 1 s */
#define LOW_MEMORY_TOP      0x100000ull

extern const uint8_t ap_trampoline_start[], ap_trampoline_end[];
extern const uint8_t ap_tramp_gdtr_base[], ap_tramp_jmp32[], ap_tramp_jmp64[];
extern const uint8_t ap_tramp_cr3[], ap_tramp_stack[], ap_tramp_entry[], ap_tramp_arg[];
extern const uint8_t ap_tramp_off_protected_mode[], ap_tramp_off_long_mode[],
    ap_tramp_off_gdt[];

static uint64_t bringup_us;
static unsigned expected = 1;

uint64_t smpboot_us(void)
{
    return bringup_us;
}

unsigned smpboot_expected_cpus(void)
{
    return expected;
}

/* Address of symbol sym inside the copy of the trampoline at page. */
static void *in_page(uint8_t *page, const uint8_t *sym)
{
    return page + (sym - ap_trampoline_start);
}

/* A usable page of the firmware's low memory (the pmm keeps all of it out). */
static uint64_t find_trampoline_page(void)
{
    const struct memmap *m = pmm_memmap();

    for (size_t i = 0; i < m->count; i++) {
        uint64_t lo = ALIGN_UP(MAX(m->ranges[i].base, 0x1000ull), PAGE_SIZE);
        if (m->ranges[i].type == MEMMAP_LOW_MEMORY && lo + PAGE_SIZE <= m->ranges[i].end &&
            lo + PAGE_SIZE <= LOW_MEMORY_TOP)
            return lo;
    }
    return 0;
}

static __noreturn void ap_main(struct cpu *c)
{
    /* descriptor tables first: an NMI must never meet the trampoline's GDT or no IDT */
    cpu_start_ap(c);
    vmm_init_cpu();
    vmm_space_switch(&vmm_kernel);
    apic_init_cpu();
    time_init_ap();
    /* the boot context becomes this CPU's idle thread; sched marks it online */
    sched_ap_enter(c);
}

static bool wait_online(struct cpu *c, uint64_t timeout_ns)
{
    uint64_t end = time_ns() + timeout_ns;

    while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
        if (time_ns() > end)
            return false;
    return true;
}

/*
 * Returns true once the AP is online and published. An AP that does not
 * answer is parked with another INIT and never published; its struct and
 * stack are kept (it may still be running the trampoline).
 */
static bool start_ap(uint8_t *page, uint64_t page_pa, uint32_t apic_id, bool *stray)
{
    void *mem = kzalloc(cpu_create_size());
    struct cpu *c = mem ? cpu_create(apic_id, mem) : NULL;
    uint8_t *stack;

    if (!c) {
        kfree(mem);
        return false;
    }
    stack = vmalloc_stack(AP_STACK_SIZE, "ap-boot");
    if (!stack)
        return false;
    c->stack_top = (uintptr_t)stack + AP_STACK_SIZE;
    *(volatile uint64_t *)in_page(page, ap_tramp_stack) = c->stack_top;
    *(volatile uint64_t *)in_page(page, ap_tramp_arg) = (uint64_t)(uintptr_t)c;
    barrier();

    apic_send_init(apic_id);
    time_sleep_ns(INIT_DELAY_NS);
    for (int sipi = 0; sipi < 2 && !c->online; sipi++) {
        apic_send_startup(apic_id, (uint8_t)(page_pa >> PAGE_SHIFT));
        wait_online(c, SIPI_DELAY_NS);
    }
    if (!wait_online(c, ONLINE_TIMEOUT_NS)) {
        apic_send_init(apic_id);        /* park it */
        *stray = true;
        return false;
    }
    cpu_publish(c);
    return true;
}

unsigned smpboot_start(const uint32_t *apic_ids, size_t n)
{
    uint64_t page_pa = find_trampoline_page(), start = time_ns();
    uint32_t self = apic_id();
    struct vmm_space *tramp;
    uint8_t *page;
    unsigned online = 1;

    expected = n ? (unsigned)n : 1;
    smp_init();
    if (n == 0) {
        pr_warn("smp: the firmware lists no CPUs (no MADT); using the boot CPU only");
        return 1;
    }
    if (n == 1) {
        pr_info("smp: 1 of 1 CPUs online");
        return 1;
    }
    if (!page_pa) {
        pr_warn("smp: no free page below 1 MiB for the trampoline; one CPU only");
        return 1;
    }
    tramp = vmm_space_create_low();
    if (!tramp || vmm_map(tramp, page_pa, page_pa, VMM_PAGE_4K,
                          VMM_USER | VMM_WRITE | VMM_EXEC) != 0) {
        pr_warn("smp: out of memory for the trampoline; one CPU only");
        vmm_space_destroy(tramp);
        return 1;
    }
    page = phys_to_virt(page_pa);
    memcpy(page, ap_trampoline_start, (size_t)(ap_trampoline_end - ap_trampoline_start));
    *(volatile uint32_t *)in_page(page, ap_tramp_gdtr_base) =
        (uint32_t)(page_pa + (uintptr_t)ap_tramp_off_gdt);
    *(volatile uint32_t *)in_page(page, ap_tramp_jmp32) =
        (uint32_t)(page_pa + (uintptr_t)ap_tramp_off_protected_mode);
    *(volatile uint32_t *)in_page(page, ap_tramp_jmp64) =
        (uint32_t)(page_pa + (uintptr_t)ap_tramp_off_long_mode);
    *(volatile uint64_t *)in_page(page, ap_tramp_cr3) = tramp->pml4;
    *(volatile uint64_t *)in_page(page, ap_tramp_entry) = (uint64_t)(uintptr_t)ap_main;

    bool stray = false;
    for (size_t i = 0; i < n; i++) {
        if (apic_ids[i] == self)
            continue;
        if (!apic_is_x2apic() && apic_ids[i] > 0xFF) {
            pr_warn("smp: APIC ID %u needs x2APIC; CPU left out", apic_ids[i]);
            continue;
        }
        if (start_ap(page, page_pa, apic_ids[i], &stray))
            online++;
        else
            pr_warn("smp: CPU with APIC ID %u did not come up; left out",
                    apic_ids[i]);
    }
    bringup_us = (time_ns() - start) / 1000;
    /* a late AP might still walk the trampoline's tables: keep them then */
    if (!stray)
        vmm_space_destroy(tramp);
    pr_info("smp: %u of %zu CPUs online (bring-up took %llu.%03llu ms)", online, n,
            (unsigned long long)(bringup_us / 1000), (unsigned long long)(bringup_us % 1000));
    return online;
}
