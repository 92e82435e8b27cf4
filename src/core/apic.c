/*
 * src/core/apic.c - local APIC driver (see include/core/apic.h).
 *
 * Part of core. Register offsets are the xAPIC MMIO offsets (Intel SDM
 * vol. 3, table 11-1); in x2APIC mode register r is MSR 0x800 + r/16, and
 * the ICR is one 64-bit MSR (0x830) instead of two 32-bit registers.
 */
#include <core/apic.h>
#include <core/errno.h>
#include <core/x86.h>
#include <core/irq.h>

#define MSR_APIC_BASE       0x1B
#define APIC_BASE_BSP       (1ull << 8)
#define APIC_BASE_X2APIC    (1ull << 10)
#define APIC_BASE_ENABLE    (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ull
#define MSR_X2APIC_FIRST    0x800

#define CPUID_1_EDX_APIC    (1u << 9)
#define CPUID_1_ECX_X2APIC  (1u << 21)

/* Register offsets (xAPIC). */
#define REG_ID              0x020
#define REG_TPR             0x080
#define REG_EOI             0x0B0
#define REG_SVR             0x0F0
#define REG_ESR             0x280
#define REG_ICR_LOW         0x300
#define REG_ICR_HIGH        0x310
#define REG_LVT_TIMER       0x320
#define REG_LVT_LINT0       0x350
#define REG_LVT_LINT1       0x360
#define REG_LVT_ERROR       0x370
#define REG_TIMER_INITIAL   0x380
#define REG_TIMER_CURRENT   0x390
#define REG_TIMER_DIVIDE    0x3E0

#define SVR_ENABLE          (1u << 8)
#define LVT_MASKED          (1u << 16)
#define LVT_DELIVERY_NMI    (4u << 8)
#define LVT_TIMER_PERIODIC  (1u << 17)
#define TIMER_DIVIDE_BY_16  0x3
#define ICR_DELIVERY_INIT   (5u << 8)
#define ICR_DELIVERY_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT    (1u << 14)
#define ICR_PENDING         (1u << 12)
#define ICR_DEST_SELF       (1u << 18)
#define ICR_DEST_ALL_BUT_SELF (3u << 18)
#define ICR_DELIVERY_NMI    (4u << 8)
#define ICR_SPIN_LIMIT      1000000

static volatile uint32_t *mmio;     /* xAPIC registers; NULL in x2APIC mode */
static bool x2apic;

/* Without a working local APIC (apic_init_cpu failed) reads give 0 and writes are dropped. */
static uint32_t apic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(MSR_X2APIC_FIRST + reg / 16);
    return mmio ? mmio[reg / 4] : 0;
}

static void apic_write(uint32_t reg, uint32_t value)
{
    if (x2apic)
        wrmsr(MSR_X2APIC_FIRST + reg / 16, value);
    else if (mmio)
        mmio[reg / 4] = value;
}

static void write_icr(uint32_t dest, uint32_t low)
{
    uint64_t irq;

    if (!x2apic && !mmio)
        return;                         /* no local APIC: nothing to send with */
    if (x2apic) {
        /* x2APIC MSR writes are not serialising (SDM 11.12.3): make earlier stores visible */
        mfence_lfence();
        wrmsr(MSR_X2APIC_FIRST + REG_ICR_LOW / 16, ((uint64_t)dest << 32) | low);
        return;
    }
    irq = irq_save();                   /* the two halves must not be split by an interrupt */
    apic_wait_icr_idle();
    mmio[REG_ICR_HIGH / 4] = dest << 24;
    mmio[REG_ICR_LOW / 4] = low;        /* writing the low half sends it */
    irq_restore(irq);
}

bool apic_is_x2apic(void)
{
    return x2apic;
}

uint64_t apic_mmio_phys(void)
{
    struct cpuid_regs r = cpuid(1, 0);

    if (!(r.edx & CPUID_1_EDX_APIC) || (r.ecx & CPUID_1_ECX_X2APIC))
        return 0;
    return rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
}

void apic_set_mmio(volatile void *regs)
{
    mmio = regs;
}

int apic_init_cpu(void)
{
    struct cpuid_regs r = cpuid(1, 0);
    uint64_t base = rdmsr(MSR_APIC_BASE);

    if (!(r.edx & CPUID_1_EDX_APIC))
        return -ENODEV;
    if (r.ecx & CPUID_1_ECX_X2APIC) {
        /* xAPIC must be enabled before x2APIC (SDM 11.12.5) */
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
        x2apic = true;
    } else {
        if (!mmio)
            return -ENXIO;              /* the boot code mapped no register page */
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
    }
    apic_write(REG_TPR, 0);
    apic_write(REG_LVT_LINT0, LVT_MASKED);
    apic_write(REG_LVT_LINT1, LVT_DELIVERY_NMI);
    apic_write(REG_LVT_ERROR, LVT_MASKED);
    apic_write(REG_LVT_TIMER, LVT_MASKED);
    apic_write(REG_ESR, 0);
    apic_write(REG_SVR, SVR_ENABLE | IRQ_VEC_SPURIOUS);
    apic_eoi();                         /* drop anything latched before */
    return 0;
}

uint32_t apic_id(void)
{
    uint32_t id = apic_read(REG_ID);

    return x2apic ? id : id >> 24;
}

void apic_eoi(void)
{
    apic_write(REG_EOI, 0);
}

void apic_wait_icr_idle(void)
{
    if (x2apic || !mmio)
        return;                         /* x2APIC ICR writes never pend */
    for (int i = 0; i < ICR_SPIN_LIMIT && (mmio[REG_ICR_LOW / 4] & ICR_PENDING); i++)
        cpu_relax();
}

void apic_send_ipi(uint32_t dest_apic_id, uint8_t vector)
{
    write_icr(dest_apic_id, vector);
}

void apic_send_self_ipi(uint8_t vector)
{
    write_icr(0, ICR_DEST_SELF | vector);
}

void apic_send_nmi_all_others(void)
{
    write_icr(0, ICR_DEST_ALL_BUT_SELF | ICR_DELIVERY_NMI | ICR_LEVEL_ASSERT);
}

void apic_send_init(uint32_t dest_apic_id)
{
    write_icr(dest_apic_id, ICR_DELIVERY_INIT | ICR_LEVEL_ASSERT);
}

void apic_send_startup(uint32_t dest_apic_id, uint8_t page)
{
    write_icr(dest_apic_id, ICR_DELIVERY_STARTUP | page);
}

void apic_timer_periodic(uint8_t vector, uint32_t initial_count)
{
    apic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    apic_write(REG_LVT_TIMER, LVT_TIMER_PERIODIC | vector);
    apic_write(REG_TIMER_INITIAL, initial_count);
}

void apic_timer_oneshot(uint8_t vector, uint32_t initial_count)
{
    apic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    apic_write(REG_LVT_TIMER, vector);
    apic_write(REG_TIMER_INITIAL, initial_count);
}

void apic_timer_count_down(uint32_t initial_count)
{
    apic_write(REG_TIMER_DIVIDE, TIMER_DIVIDE_BY_16);
    apic_write(REG_LVT_TIMER, LVT_MASKED);
    apic_write(REG_TIMER_INITIAL, initial_count);
}

void apic_timer_stop(void)
{
    apic_write(REG_LVT_TIMER, LVT_MASKED);
    apic_write(REG_TIMER_INITIAL, 0);
}

uint32_t apic_timer_current(void)
{
    return apic_read(REG_TIMER_CURRENT);
}
