/*
 * src/core/cpu.c - per-CPU structs and variables (see include/core/cpu.h).
 *
 * Part of core. The boot CPU's struct is static and uses the .percpu
 * template itself (offset 0); every other CPU gets a struct and a copy of
 * the template in memory the AP bring-up allocates for it.
 */
#include <core/cpu.h>
#include <core/idt.h>
#include <core/compiler.h>
#include <core/string.h>
#include <core/x86.h>

#define PERCPU_ALIGN 64

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

extern char __percpu_bsp[];         /* src/kernel.ld: the boot CPU's copy, in .bss */

void cpu_init_bsp(void)
{
    memcpy(__percpu_bsp, __percpu_start, (size_t)(__percpu_end - __percpu_start));
    bsp.self = &bsp;
    bsp.index = 0;
    bsp.percpu_offset = (uintptr_t)__percpu_bsp - (uintptr_t)__percpu_start;
    cpus[0] = &bsp;
    ncpus = 1;
    gdt_init_cpu(&bsp.tables);
    set_gs_base(&bsp);          /* after the GDT: loading GS with a selector clears its base */
    bsp.online = true;
}

size_t cpu_create_size(void)
{
    /* the image is 64-byte aligned: keep each copy so (allocators give 16) */
    return sizeof(struct cpu) + PERCPU_ALIGN + (size_t)(__percpu_end - __percpu_start);
}

struct cpu *cpu_create(uint32_t apic_id, void *mem)
{
    size_t size = (size_t)(__percpu_end - __percpu_start);
    struct cpu *c = mem;

    if (ncpus >= CPU_MAX)
        return NULL;
    char *aligned = (char *)ALIGN_UP((uintptr_t)(c + 1), PERCPU_ALIGN);
    memcpy(aligned, __percpu_start, size);      /* the pristine image, never a live copy */
    c->self = c;
    c->index = ncpus;
    c->apic_id = apic_id;
    c->percpu_offset = (uintptr_t)aligned - (uintptr_t)__percpu_start;
    return c;
}

void cpu_publish(struct cpu *c)
{
    cpus[c->index] = c;
    __atomic_store_n(&ncpus, c->index + 1, __ATOMIC_RELEASE);
}

void cpu_start_ap(struct cpu *c)
{
    gdt_init_cpu(&c->tables);
    set_gs_base(c);             /* after the GDT: loading GS with a selector clears its base */
    idt_load();
}
