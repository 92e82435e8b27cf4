/*
 * include/core/irq.h - interrupt registration and dispatch.
 *
 * Part of core. One API hands out interrupts three ways: by legacy ISA IRQ
 * (translated to a GSI through the MADT's interrupt source overrides), by
 * GSI (routed through the I/O APIC), or as a freshly allocated vector (for
 * MSI/MSI-X and IPIs). Each registration carries a handler, a context
 * pointer and a name. Several handlers may share a GSI when all of them
 * ask for IRQ_SHARED; on an interrupt every handler of the vector runs.
 * End-of-interrupt is sent exactly once per interrupt, by the dispatcher,
 * after the handlers. Interrupts nobody claims are counted (per vector and
 * as spurious), never fatal.
 *
 * Vectors:   0-31 exceptions | 32-47 legacy PIC (masked; spurious ones are
 *            counted) | 48-239 allocated | 240-254 fixed system vectors
 *            (IRQ_VEC_*) | 255 local APIC spurious.
 *
 * Locking: irq_table_lock (irqsave, src/core/irq.c) guards the handler
 * table; the irq_request_* calls, irq_free and irq_stats take it (none is
 * held on entry) and may run on any CPU, with interrupts on or off, before
 * or after the scheduler. Dispatch reads the table without the lock, so an
 * interrupt on one CPU may run a handler while another CPU registers or
 * frees one. The rule: a handler runs only between its irq_request_* and
 * the return of its irq_free. irq_free unlinks the handler, then waits
 * until every other CPU that might still be running it has left that
 * vector's dispatch, so after it returns the handler's ctx may be freed.
 * irq_free therefore spins (briefly) and must not be called from an
 * interrupt handler. Handlers run with interrupts off, on the interrupted
 * stack, with no irq lock held, and must not sleep.
 */
#ifndef BASALT_CORE_IRQ_H
#define BASALT_CORE_IRQ_H

#include <core/compiler.h>

#define IRQ_VEC_LEGACY_BASE     32
#define IRQ_VEC_DYNAMIC_FIRST   48
#define IRQ_VEC_DYNAMIC_LAST    239
#define IRQ_VEC_TIMER           240     /* local APIC timer */
#define IRQ_VEC_TLB_SHOOTDOWN   241
#define IRQ_VEC_STOP            242     /* panic: stop this CPU */
#define IRQ_VEC_RESCHEDULE      243
#define IRQ_VEC_CALL            244     /* run a function on another CPU */
#define IRQ_VEC_SPURIOUS        255
#define IRQ_VECTORS             256

/* Flags for irq_request_*. */
#define IRQ_SHARED              (1u << 0)   /* may share the line with other IRQ_SHARED handlers */
#define IRQ_LEVEL               (1u << 1)   /* GSI: level-triggered (else edge) */
#define IRQ_ACTIVE_LOW          (1u << 2)   /* GSI: active low (else high) */

/*
 * A handler returns true if its device raised the interrupt. A vector on
 * which no handler claims an interrupt counts it as unhandled.
 */
typedef bool (*irq_handler_fn)(void *ctx);

/*
 * Routes legacy ISA IRQ irq (0-15) to a handler, honouring the MADT's
 * overrides (QEMU sends IRQ 0 to GSI 2) and their trigger/polarity.
 * Returns a handle (>= 0) for irq_free, or -EINVAL (bad irq), -EBUSY (the
 * line is taken and not shared by both), -ENOSPC (no vector or slot left),
 * -ENODEV (no I/O APIC serves the GSI).
 */
int irq_request_legacy(unsigned irq, irq_handler_fn fn, void *ctx, const char *name,
                       unsigned flags);

/*
 * Same by GSI, with IRQ_LEVEL / IRQ_ACTIVE_LOW from the caller. Sharing a
 * line needs IRQ_SHARED on both sides and the same trigger and polarity
 * (-EBUSY otherwise).
 */
int irq_request_gsi(uint32_t gsi, irq_handler_fn fn, void *ctx, const char *name,
                    unsigned flags);

/*
 * A new vector in 48-239 (for MSI/MSI-X), not routed anywhere: the caller
 * programs its device with it. Returns a handle and the vector in *vector.
 */
int irq_request_vector(irq_handler_fn fn, void *ctx, const char *name, uint8_t *vector);

/* Installs a handler on one of the fixed system vectors (240-254). */
int irq_request_fixed(uint8_t vector, irq_handler_fn fn, void *ctx, const char *name);

/*
 * Removes a registration; the line is masked when its last handler goes.
 * On return no CPU runs the handler (see Locking). Returns 0, -EINVAL (bad
 * handle) or -ENOENT (not registered, or being freed by another call).
 */
int irq_free(int handle);

/* Per-vector counters. */
struct irq_vector_stats {
    uint8_t vector;
    uint64_t count;         /* interrupts delivered on this vector */
    uint64_t unhandled;     /* of those, claimed by no handler */
    const char *name;       /* first handler's name, or NULL */
    uint32_t gsi;           /* routed GSI, or UINT32_MAX */
};

/* Fills out[0..max) with every vector that has handlers or counts; returns the count. */
size_t irq_stats(struct irq_vector_stats *out, size_t max);

/* Spurious interrupts: APIC vector 255 plus PIC IRQ 7/15 spurious. */
uint64_t irq_spurious_count(void);

/* Called by core/trap for vectors >= 32, interrupts off. */
struct trap_frame;
void irq_dispatch(struct trap_frame *f);

/*
 * Registers the preemption point run at the end of every irq_dispatch,
 * after the EOI, interrupts still off (the scheduler's, once, at its init:
 * core cannot call sched). Before it is set an interrupt just returns.
 */
void irq_set_exit_hook(void (*fn)(void));

/*
 * The interrupt controller underneath (core/apic + dev/ioapic), set by
 * platform setup: route/mask a GSI, and send EOI.
 */
struct irq_chip {
    int (*route_gsi)(uint32_t gsi, uint8_t vector, unsigned flags);   /* unmasked */
    void (*mask_gsi)(uint32_t gsi);
    void (*eoi)(void);
    /* legacy IRQ -> GSI and flags (MADT overrides) */
    uint32_t (*legacy_to_gsi)(unsigned irq, unsigned *flags);
};
/* Boot CPU, once, before any GSI is requested; no lock (read-only afterwards). */
void irq_set_chip(const struct irq_chip *chip);

#endif
