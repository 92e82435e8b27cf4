/*
 * include/core/apic.h - the local APIC (xAPIC or x2APIC).
 *
 * Part of core. Each CPU has one. apic_init_cpu puts the calling CPU's
 * local APIC in x2APIC mode when the CPU supports it (registers are MSRs),
 * else in xAPIC mode (registers are memory mapped, uncached, at the
 * address IA32_APIC_BASE names: core maps no memory, so the boot code maps
 * that page and hands it over with apic_set_mmio); the rest of the kernel
 * never sees the difference. It enables the APIC with spurious vector IRQ_VEC_SPURIOUS,
 * masks LINT0 (the 8259s are off) and sets LINT1 to deliver NMIs.
 *
 * Context: every function acts on the calling CPU's local APIC; call with
 * interrupts off or preemption disabled.
 */
#ifndef BASALT_CORE_APIC_H
#define BASALT_CORE_APIC_H

#include <core/compiler.h>

/*
 * The physical address of the xAPIC register page the boot code must map
 * (uncached, writable, one page) for apic_set_mmio; 0 when none is needed:
 * the CPU has x2APIC (MSRs) or no local APIC. Boot CPU, before its
 * apic_init_cpu.
 */
uint64_t apic_mmio_phys(void);

/*
 * Hands over the mapping of apic_mmio_phys() (NULL if it could not be
 * mapped). Once, at boot, before the first apic_init_cpu; every CPU's xAPIC
 * answers at the same address.
 */
void apic_set_mmio(volatile void *regs);

/*
 * Returns 0, -ENODEV when the CPU has no local APIC (CPUID.1:EDX.APIC), or
 * -ENXIO when it needs the xAPIC register page and apic_set_mmio gave none.
 */
int apic_init_cpu(void);

bool apic_is_x2apic(void);

/* This CPU's APIC ID (8 bits in xAPIC mode, 32 in x2APIC mode). */
uint32_t apic_id(void);

/* End of interrupt for the interrupt being serviced. */
void apic_eoi(void);

/* Fixed-delivery IPI with vector to the CPU with this APIC ID. */
void apic_send_ipi(uint32_t dest_apic_id, uint8_t vector);

/* Fixed-delivery IPI with vector to the calling CPU itself. */
void apic_send_self_ipi(uint8_t vector);

/* An NMI to every CPU but the caller (stopping them on panic). */
void apic_send_nmi_all_others(void);

/* INIT and STARTUP IPIs for bringing up an application processor. */
void apic_send_init(uint32_t dest_apic_id);
void apic_send_startup(uint32_t dest_apic_id, uint8_t page);

/* Waits until the last IPI left the local APIC (xAPIC delivery status). */
void apic_wait_icr_idle(void);

/* Local APIC timer (vector, divide by 16). */
void apic_timer_periodic(uint8_t vector, uint32_t initial_count);
void apic_timer_oneshot(uint8_t vector, uint32_t initial_count);
void apic_timer_stop(void);
/* Counts down from initial_count with no interrupt (for calibration). */
void apic_timer_count_down(uint32_t initial_count);
uint32_t apic_timer_current(void);

#endif
