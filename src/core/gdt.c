/*
 * src/core/gdt.c - GDT and TSS setup (see include/core/gdt.h).
 *
 * Part of core; one of the few files with x86 descriptor detail.
 */
#include <core/gdt.h>
#include <core/string.h>

/* Access byte and flag bits of a segment descriptor (Intel SDM vol. 3 3.4.5). */
#define SEG_PRESENT     (1ull << 47)
#define SEG_DPL3        (3ull << 45)
#define SEG_CODE_DATA   (1ull << 44)    /* S: code/data, not system */
#define SEG_EXEC        (1ull << 43)
#define SEG_RW          (1ull << 41)    /* readable code / writable data */
#define SEG_LONG        (1ull << 53)    /* L: 64-bit code */
#define SEG_DB32        (1ull << 54)    /* D/B: 32-bit segment */
#define SEG_GRAN4K      (1ull << 55)
#define SEG_LIMIT_MAX   (0xFFFFull | (0xFull << 48))
#define SYS_TSS_AVAIL   (0x9ull << 40)  /* 64-bit TSS, available */

static const uint64_t gdt_template[GDT_TSS / 8] = {
    [0] = 0,
    [GDT_KERNEL_CODE / 8] = SEG_PRESENT | SEG_CODE_DATA | SEG_EXEC | SEG_RW | SEG_LONG |
                            SEG_GRAN4K | SEG_LIMIT_MAX,
    [GDT_KERNEL_DATA / 8] = SEG_PRESENT | SEG_CODE_DATA | SEG_RW | SEG_DB32 | SEG_GRAN4K |
                            SEG_LIMIT_MAX,
    [GDT_USER_CODE32 / 8] = SEG_PRESENT | SEG_DPL3 | SEG_CODE_DATA | SEG_EXEC | SEG_RW |
                            SEG_DB32 | SEG_GRAN4K | SEG_LIMIT_MAX,
    [GDT_USER_DATA / 8] = SEG_PRESENT | SEG_DPL3 | SEG_CODE_DATA | SEG_RW | SEG_DB32 |
                          SEG_GRAN4K | SEG_LIMIT_MAX,
    [GDT_USER_CODE64 / 8] = SEG_PRESENT | SEG_DPL3 | SEG_CODE_DATA | SEG_EXEC | SEG_RW |
                            SEG_LONG | SEG_GRAN4K | SEG_LIMIT_MAX,
};

static void tss_descriptor(uint64_t out[2], const struct tss *tss)
{
    uint64_t base = (uint64_t)(uintptr_t)tss;
    uint64_t limit = sizeof(*tss) - 1;

    out[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | SYS_TSS_AVAIL | SEG_PRESENT |
             (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    out[1] = base >> 32;
}

static void load_tables(const struct cpu_tables *t)
{
    struct desc_ptr ptr = { sizeof(t->gdt) - 1, (uint64_t)(uintptr_t)t->gdt };

    x86_lgdt(&ptr);
    __asm__ __volatile__(
        /* reload CS with a far return, then the data segments */
        "pushq %0\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w1, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "xorl %%eax, %%eax\n\t"
        "movw %%ax, %%fs\n\t"
        "movw %%ax, %%gs\n\t"
        "ltr %w2\n\t"
        :
        : "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
        : "rax", "memory");
}

void gdt_init_cpu(struct cpu_tables *t)
{
    memset(&t->tss, 0, sizeof(t->tss));
    memcpy(t->gdt, gdt_template, sizeof(gdt_template));
    tss_descriptor(&t->gdt[GDT_TSS / 8], &t->tss);
    for (int i = 0; i < IST_COUNT; i++)
        t->tss.ist[i] = (uint64_t)(uintptr_t)&t->ist_stacks[i][IST_STACK_SIZE];
    t->tss.iomap_base = sizeof(t->tss);         /* no I/O permission bitmap */
    load_tables(t);
}

void gdt_set_kernel_stack(struct cpu_tables *t, uintptr_t rsp0)
{
    t->tss.rsp[0] = rsp0;
}

void gdt_ist_range(const struct cpu_tables *t, int ist, uintptr_t *lo, uintptr_t *hi)
{
    *lo = (uintptr_t)&t->ist_stacks[ist - 1][0];
    *hi = (uintptr_t)&t->ist_stacks[ist - 1][IST_STACK_SIZE];
}
