/*
 * include/core/x86.h - small named helpers for x86-64 instructions.
 *
 * Part of core. Port I/O, MSRs, control registers, CPUID, TSC and the
 * interrupt flag are reached only through these helpers, so portable code
 * never carries inline asm. Descriptor tables live in core/gdt and core/idt.
 */
#ifndef BASALT_CORE_X86_H
#define BASALT_CORE_X86_H

#include <core/compiler.h>

/* ---- port I/O ---------------------------------------------------------- */
static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint16_t inw(uint16_t port)
{
    uint16_t v;
    __asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}
static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}
/* A short delay for slow legacy devices (a write to an unused port). */
static inline void io_wait(void)
{
    outb(0x80, 0);
}

/* ---- MSRs -------------------------------------------------------------- */
#define MSR_EFER            0xC0000080u
#define MSR_FS_BASE         0xC0000100u
#define MSR_GS_BASE         0xC0000101u
#define MSR_KERNEL_GS_BASE  0xC0000102u
#define EFER_SCE            (1u << 0)
#define EFER_LME            (1u << 8)
#define EFER_NXE            (1u << 11)

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                         : "memory");
}

/* Full fence: every earlier load and store is globally visible before what follows. */
static inline void mfence_lfence(void)
{
    __asm__ __volatile__("mfence; lfence" : : : "memory");
}

/* ---- control registers -------------------------------------------------- */
#define CR0_MP              (1ull << 1)
#define CR0_EM              (1ull << 2)
#define CR0_NE              (1ull << 5)
#define CR0_WP              (1ull << 16)
#define CR0_NW              (1ull << 29)
#define CR0_CD              (1ull << 30)
#define CR0_PG              (1ull << 31)
#define CR4_PAE             (1ull << 5)
#define CR4_PGE             (1ull << 7)
#define CR0_MP              (1ull << 1)
#define CR0_EM              (1ull << 2)
#define CR0_TS              (1ull << 3)
#define CR4_OSFXSR          (1ull << 9)
#define CR4_OSXMMEXCPT      (1ull << 10)
#define CR4_OSXSAVE         (1ull << 18)
#define CR4_UMIP            (1ull << 11)
#define CR4_SMEP            (1ull << 20)
#define CR4_SMAP            (1ull << 21)

#define X86_DEFINE_CR(n)                                                    \
    static inline uint64_t read_cr##n(void)                                 \
    {                                                                       \
        uint64_t v;                                                         \
        __asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v));               \
        return v;                                                           \
    }                                                                       \
    static inline void write_cr##n(uint64_t v)                              \
    {                                                                       \
        __asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory");      \
    }
X86_DEFINE_CR(0)
X86_DEFINE_CR(2)
X86_DEFINE_CR(3)
X86_DEFINE_CR(4)
#undef X86_DEFINE_CR

/* Extended control registers (XCR0: the state components xsave handles). */
#define XCR0_X87            (1ull << 0)
#define XCR0_SSE            (1ull << 1)
#define XCR0_AVX            (1ull << 2)
static inline uint64_t xgetbv(uint32_t xcr)
{
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void xsetbv(uint32_t xcr, uint64_t v)
{
    __asm__ __volatile__("xsetbv" : : "c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void invlpg(uintptr_t va)
{
    __asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* Drops every TLB entry of this CPU, global ones included. */
static inline void flush_tlb_all(void)
{
    uint64_t cr4 = read_cr4();

    if (cr4 & CR4_PGE) {
        /* global entries survive a CR3 reload: toggling PGE drops them too */
        write_cr4(cr4 & ~CR4_PGE);
        write_cr4(cr4);
    } else {
        write_cr3(read_cr3());
    }
}

/* ---- CPUID and TSC ------------------------------------------------------ */
struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};
static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ __volatile__("cpuid"
                         : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                         : "a"(leaf), "c"(subleaf));
    return r;
}
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* RDRAND (CPUID.1:ECX bit 30): true with a random value, false when the CPU had none ready. */
#define CPUID_1_ECX_RDRAND  (1u << 30)
static inline bool x86_has_rdrand(void)
{
    return cpuid(1, 0).ecx & CPUID_1_ECX_RDRAND;
}
static inline bool x86_rdrand64(uint64_t *v)
{
    bool ok;
    __asm__ __volatile__("rdrand %0" : "=r"(*v), "=@ccc"(ok));
    return ok;
}

/* ---- interrupt flag and halting ----------------------------------------- */
#define RFLAGS_IF           (1ull << 9)

static inline uint64_t read_rflags(void)
{
    uint64_t f;
    __asm__ __volatile__("pushfq; popq %0" : "=r"(f) : : "memory");
    return f;
}
/*
 * irq_save/irq_restore are the only way code outside the interrupt layer
 * turns interrupts off: they nest, so a caller never re-enables interrupts
 * it did not disable.
 */
static inline uint64_t irq_save(void)
{
    uint64_t f = read_rflags();
    __asm__ __volatile__("cli" : : : "memory");
    return f;
}
static inline void irq_restore(uint64_t flags)
{
    if (flags & RFLAGS_IF)
        __asm__ __volatile__("sti" : : : "memory");
}
static inline void irq_enable(void)
{
    __asm__ __volatile__("sti" : : : "memory");
}
static inline void irq_disable(void)
{
    __asm__ __volatile__("cli" : : : "memory");
}
static inline bool irq_enabled(void)
{
    return (read_rflags() & RFLAGS_IF) != 0;
}
static inline void cpu_relax(void)
{
    __asm__ __volatile__("pause" : : : "memory");
}
static inline void cpu_halt(void)
{
    __asm__ __volatile__("hlt" : : : "memory");
}
/* Enables interrupts and halts until one arrives (sti's one-instruction
 * shadow means no interrupt can slip in between the two). */
static inline void cpu_idle(void)
{
    __asm__ __volatile__("sti; hlt" : : : "memory");
}
/* Stops this CPU for good: interrupts off, hlt forever. */
static inline __noreturn void cpu_halt_forever(void)
{
    for (;;)
        __asm__ __volatile__("cli; hlt" : : : "memory");
}

/* ---- descriptor-table registers ------------------------------------------- */
struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __packed;
_Static_assert(sizeof(struct desc_ptr) == 10, "GDTR/IDTR layout");

static inline void x86_lgdt(const struct desc_ptr *p)
{
    __asm__ __volatile__("lgdt %0" : : "m"(*p) : "memory");
}
static inline void x86_lidt(const struct desc_ptr *p)
{
    __asm__ __volatile__("lidt %0" : : "m"(*p) : "memory");
}
static inline void x86_sgdt(struct desc_ptr *p)
{
    __asm__ __volatile__("sgdt %0" : "=m"(*p));
}
static inline void x86_sidt(struct desc_ptr *p)
{
    __asm__ __volatile__("sidt %0" : "=m"(*p));
}
static inline uint16_t x86_str(void)
{
    uint16_t sel;
    __asm__ __volatile__("str %0" : "=r"(sel));
    return sel;
}
static inline uint16_t x86_read_cs(void)
{
    uint16_t sel;
    __asm__ __volatile__("mov %%cs, %0" : "=r"(sel));
    return sel;
}

/* ---- raising exceptions on purpose (ktests of the trap path) -------------- */
static inline void x86_ud2(void)
{
    __asm__ __volatile__("ud2");
}
static inline void x86_int3(void)
{
    __asm__ __volatile__("int3");
}
/* A software "int 2": enters the NMI gate (and its IST stack) without an NMI. */
static inline void x86_int_nmi_vector(void)
{
    __asm__ __volatile__("int $2");
}
/* divl: (high:low) / divisor; #DE when divisor is 0 or the quotient overflows. */
static inline uint32_t x86_divl(uint32_t high, uint32_t low, uint32_t divisor)
{
    __asm__ __volatile__("divl %2" : "+a"(low), "+d"(high) : "r"(divisor));
    return low;
}
/* Loads RSP with sp and pushes: with sp unmapped the CPU cannot deliver the #PF. */
static inline void x86_push_on_stack(uintptr_t sp)
{
    __asm__ __volatile__("mov %0, %%rsp\n\tpushq $0" : : "r"(sp) : "memory");
}

/* ---- GS-relative per-CPU access (off: a constant offset into struct cpu) --
 * One instruction each, so an interrupt or a migration cannot split them. */
#define x86_gs_read64(off)                                                      \
    ({                                                                          \
        uint64_t gs_v_;                                                         \
        __asm__ __volatile__("movq %%gs:%c1, %0" : "=r"(gs_v_) : "i"(off));     \
        gs_v_;                                                                  \
    })
#define x86_gs_read32(off)                                                      \
    ({                                                                          \
        uint32_t gs_v_;                                                         \
        __asm__ __volatile__("movl %%gs:%c1, %0" : "=r"(gs_v_) : "i"(off));     \
        gs_v_;                                                                  \
    })
#define x86_gs_inc32(off) __asm__ __volatile__("incl %%gs:%c0" : : "i"(off) : "memory")
#define x86_gs_dec32(off) __asm__ __volatile__("decl %%gs:%c0" : : "i"(off) : "memory")

/* ---- frame pointer (for backtraces) -------------------------------------- */
static inline uintptr_t read_rbp(void)
{
    uintptr_t v;
    __asm__ __volatile__("mov %%rbp, %0" : "=r"(v));
    return v;
}

#endif
