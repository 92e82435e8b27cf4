/*
 * src/core/cpu.c - per-CPU structs and variables (see include/core/cpu.h).
 *
 * Part of core. The boot CPU's struct is static and uses the .percpu
 * template itself (offset 0); every other CPU gets a kmalloc'd struct and
 * a copy of the template.
 */
#include <core/cpu.h>
#include <core/idt.h>
#include <core/string.h>
#include <core/x86.h>
#include <mm/kmalloc.h>

static struct cpu bsp;
static struct cpu *cpus[CPU_MAX];
static unsigned ncpus;

static void set_gs_base(struct cpu *c)
{
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

struct cpu *cpu_get(unsigned i)
{
    return i < ncpus ? cpus[i] : NULL;
}

unsigned cpu_count(void)
{
    return __atomic_load_n(&ncpus, __ATOMIC_ACQUIRE);
}

void cpu_init_bsp(void)
{
    bsp.self = &bsp;
    bsp.index = 0;
    bsp.percpu_offset = 0;          /* the template is the boot CPU's copy */
    cpus[0] = &bsp;
    ncpus = 1;
    gdt_init_cpu(&bsp.tables);
    set_gs_base(&bsp);          /* after the GDT: loading GS with a selector clears its base */
    bsp.online = true;
}

struct cpu *cpu_create(uint32_t apic_id)
{
    size_t size = (size_t)(__percpu_end - __percpu_start);
    struct cpu *c;
    char *copy = NULL;

    if (ncpus >= CPU_MAX)
        return NULL;
    c = kzalloc(sizeof(*c));
    if (size)
        copy = kmalloc(size);
    if (!c || (size && !copy)) {
        kfree(c);
        kfree(copy);
        return NULL;
    }
    if (size)
        memcpy(copy, __percpu_start, size);
    c->self = c;
    c->index = ncpus;
    c->apic_id = apic_id;
    c->percpu_offset = (uintptr_t)copy - (uintptr_t)__percpu_start;
    cpus[ncpus] = c;
    __atomic_store_n(&ncpus, ncpus + 1, __ATOMIC_RELEASE);
    return c;
}

void cpu_start_ap(struct cpu *c)
{
    gdt_init_cpu(&c->tables);
    set_gs_base(c);             /* after the GDT: loading GS with a selector clears its base */
    idt_load();
}
