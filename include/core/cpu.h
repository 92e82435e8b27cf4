/*
 * include/core/cpu.h - per-CPU data.
 *
 * Part of core. Every CPU has a struct cpu, reached through the GS base
 * (this_cpu()), holding its descriptor tables and bookkeeping. Per-CPU
 * variables are declared anywhere with DEFINE_PER_CPU; the linker gathers
 * their initial values in a read-only image (.percpu, in .rodata), every
 * CPU gets its own copy (the boot CPU's in .bss), and this_cpu_ptr(&var) /
 * per_cpu_ptr(&var, cpu) find it, as in Linux. Touching a per-CPU
 * variable directly faults: the image is read-only.
 *
 * Locking: a CPU's struct and per-CPU variables are written only by that
 * CPU (or by the boot CPU before it starts), so no lock is needed; other
 * CPUs read the online flag with acquire ordering.
 */
#ifndef BASALT_CORE_CPU_H
#define BASALT_CORE_CPU_H

#include <core/compiler.h>
#include <core/gdt.h>
#include <core/x86.h>

struct thread;

#define CPU_MAX 64

struct cpu {
    struct cpu *self;               /* at offset 0: gs:0 reads it */
    unsigned index;                 /* 0 = boot CPU */
    uint32_t apic_id;
    volatile bool online;           /* set by the CPU itself once it runs kernel code */
    uintptr_t percpu_offset;        /* this CPU's copy of .percpu minus the template */
    uintptr_t stack_top;            /* the stack it started on */
    uint64_t irqs;                  /* interrupts taken on this CPU */
    /* sched: written by this CPU only (gs-relative, one instruction each) */
    volatile uint32_t preempt_count;    /* > 0: no preemption (spinlock held, ...) */
    volatile uint32_t need_resched;     /* set by the tick / a wake-up: switch soon */
    struct thread *current;             /* the thread running here (NULL before sched_init) */
    struct thread *idle;                /* this CPU's idle thread */
    volatile uint32_t irq_depth;        /* > 0: in irq_dispatch's handlers (core/irq) */
    struct cpu_tables tables;       /* GDT, TSS, IST stacks */
};

_Static_assert(offsetof(struct cpu, self) == 0, "this_cpu() reads gs:0");

/* The calling CPU's struct (GS base). Valid after cpu_init_bsp / on APs at entry. */
static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ __volatile__("mov %%gs:0, %0" : "=r"(c));
    return c;
}

/* Is this CPU running an interrupt handler (irq_dispatch)? */
static inline bool cpu_in_irq(void)
{
    return x86_gs_read32(offsetof(struct cpu, irq_depth)) != 0;
}

/* The thread running on this CPU, read with one gs-relative load (migration-safe). */
static inline struct thread *this_cpu_current(void)
{
    return (struct thread *)x86_gs_read64(offsetof(struct cpu, current));
}

/* The struct of CPU index i, or NULL. */
struct cpu *cpu_get(unsigned i);

/* CPUs that have come up so far (the boot CPU included). */
unsigned cpu_count(void);

/* Sets up the boot CPU: struct, GS base, descriptor tables. */
void cpu_init_bsp(void);

/* Bytes cpu_create needs for one CPU: its struct and its .percpu copy. */
size_t cpu_create_size(void);

/*
 * Creates the struct for a new CPU (the next index, apic_id) with its own
 * copy of the .percpu image, in mem: cpu_create_size() zeroed bytes the
 * caller allocated (core has no allocator; the CPU keeps them forever).
 * Returns it, or NULL when CPU_MAX is reached. It is not visible to
 * cpu_get/cpu_count until cpu_publish, which the AP bring-up calls once
 * the CPU is online. Boot CPU, during AP bring-up (not reentrant).
 */
struct cpu *cpu_create(uint32_t apic_id, void *mem);
void cpu_publish(struct cpu *c);

/* Called first thing on an application processor: GS base, tables, IDT. */
void cpu_start_ap(struct cpu *c);

/* ---- per-CPU variables ------------------------------------------------------ */

#define DEFINE_PER_CPU(type, name) \
    __section(".percpu") __aligned(8) type name

extern char __percpu_start[], __percpu_end[];

#define per_cpu_ptr(var, cpu) \
    ((__typeof__(var))((uintptr_t)(var) + cpu_get(cpu)->percpu_offset))
#define this_cpu_ptr(var) \
    ((__typeof__(var))((uintptr_t)(var) + this_cpu()->percpu_offset))

#endif
