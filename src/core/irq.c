/*
 * src/core/irq.c - interrupt registration and dispatch (see include/core/irq.h).
 *
 * Part of core. A table of 256 vectors, each with a list of actions taken
 * from a fixed pool (the pool index is the handle irq_free takes). The
 * controller specifics (I/O APIC routing, local APIC EOI, MADT overrides)
 * come through struct irq_chip, set by dev/platform.
 *
 * Locking: table changes run with interrupts off (one CPU changes them at
 * a time until the scheduler brings spinlocks); dispatch reads the table
 * with interrupts off.
 */
#include <core/irq.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/trap.h>
#include <core/x86.h>

#define MAX_ACTIONS     256
#define NO_GSI          UINT32_MAX

/* Legacy 8259 ports, for the spurious IRQ 15 case (EOI to the master only). */
#define PIC_MASTER_CMD  0x20
#define PIC_EOI         0x20
#define PIC_SPURIOUS_MASTER (IRQ_VEC_LEGACY_BASE + 7)
#define PIC_SPURIOUS_SLAVE  (IRQ_VEC_LEGACY_BASE + 15)

struct irq_action {
    irq_handler_fn fn;
    void *ctx;
    const char *name;
    unsigned flags;
    uint8_t vector;
    bool used;
    struct irq_action *next;
};

struct irq_vector {
    struct irq_action *actions;
    uint32_t gsi;               /* NO_GSI unless routed from a GSI */
    unsigned gsi_flags;
    uint64_t count;
    uint64_t unhandled;
    bool reserved;              /* allocated (even if its last action went away) */
};

static struct irq_action actions[MAX_ACTIONS];
static struct irq_vector vectors[IRQ_VECTORS];
static uint64_t spurious;
static const struct irq_chip *chip;

void irq_set_chip(const struct irq_chip *c)
{
    chip = c;
    for (int v = 0; v < IRQ_VECTORS; v++)
        vectors[v].gsi = NO_GSI;
}

static struct irq_action *action_new(irq_handler_fn fn, void *ctx, const char *name,
                                     unsigned flags)
{
    for (int i = 0; i < MAX_ACTIONS; i++)
        if (!actions[i].used) {
            actions[i] = (struct irq_action){ .fn = fn, .ctx = ctx, .name = name,
                                              .flags = flags, .used = true };
            return &actions[i];
        }
    return NULL;
}

static int attach(uint8_t vector, struct irq_action *a)
{
    struct irq_action **pp = &vectors[vector].actions;

    while (*pp)
        pp = &(*pp)->next;
    a->vector = vector;
    a->next = NULL;
    *pp = a;
    if (!vectors[vector].reserved) {
        /* a vector handed out afresh starts its counts afresh */
        vectors[vector].count = 0;
        vectors[vector].unhandled = 0;
    }
    vectors[vector].reserved = true;
    return (int)(a - actions);
}

static int free_dynamic_vector(void)
{
    for (int v = IRQ_VEC_DYNAMIC_FIRST; v <= IRQ_VEC_DYNAMIC_LAST; v++)
        if (!vectors[v].reserved && !vectors[v].actions)
            return v;
    return -ENOSPC;
}

static int vector_of_gsi(uint32_t gsi)
{
    for (int v = IRQ_VEC_DYNAMIC_FIRST; v <= IRQ_VEC_DYNAMIC_LAST; v++)
        if (vectors[v].gsi == gsi)
            return v;
    return -ENOENT;
}

int irq_request_gsi(uint32_t gsi, irq_handler_fn fn, void *ctx, const char *name,
                    unsigned flags)
{
    uint64_t irq = irq_save();
    struct irq_action *a;
    int vector, err, handle = -EINVAL;

    if (!fn || !chip)
        goto out;
    vector = vector_of_gsi(gsi);
    if (vector >= 0) {
        /* the line exists: both sides must agree to share it */
        struct irq_action *first = vectors[vector].actions;
        handle = -EBUSY;
        if (first && !((first->flags & IRQ_SHARED) && (flags & IRQ_SHARED)))
            goto out;
        /* one line has one trigger mode and polarity */
        if ((flags & (IRQ_LEVEL | IRQ_ACTIVE_LOW)) !=
            (vectors[vector].gsi_flags & (IRQ_LEVEL | IRQ_ACTIVE_LOW)))
            goto out;
        handle = -ENOSPC;
        if (!(a = action_new(fn, ctx, name, flags)))
            goto out;
        handle = attach((uint8_t)vector, a);
        if (!first) {
            err = chip->route_gsi(gsi, (uint8_t)vector, vectors[vector].gsi_flags);
            if (err) {
                irq_restore(irq);
                irq_free(handle);
                return err;
            }
        }
        goto out;
    }
    handle = vector = free_dynamic_vector();
    if (vector < 0)
        goto out;
    handle = -ENOSPC;
    if (!(a = action_new(fn, ctx, name, flags)))
        goto out;
    err = chip->route_gsi(gsi, (uint8_t)vector, flags);
    if (err) {
        a->used = false;
        handle = err;
        goto out;
    }
    vectors[vector].gsi = gsi;
    vectors[vector].gsi_flags = flags;
    handle = attach((uint8_t)vector, a);
out:
    irq_restore(irq);
    return handle;
}

int irq_request_legacy(unsigned irq, irq_handler_fn fn, void *ctx, const char *name,
                       unsigned flags)
{
    unsigned line_flags = 0;
    uint32_t gsi;

    if (irq >= 16 || !chip)
        return -EINVAL;
    gsi = chip->legacy_to_gsi(irq, &line_flags);
    /* trigger and polarity come from the firmware; sharing from the caller */
    return irq_request_gsi(gsi, fn, ctx, name, line_flags | (flags & IRQ_SHARED));
}

int irq_request_vector(irq_handler_fn fn, void *ctx, const char *name, uint8_t *vector)
{
    uint64_t irq = irq_save();
    struct irq_action *a;
    int v = free_dynamic_vector(), handle = v;

    if (v >= 0 && fn) {
        handle = -ENOSPC;
        if ((a = action_new(fn, ctx, name, 0))) {
            handle = attach((uint8_t)v, a);
            *vector = (uint8_t)v;
        }
    } else if (!fn) {
        handle = -EINVAL;
    }
    irq_restore(irq);
    return handle;
}

int irq_request_fixed(uint8_t vector, irq_handler_fn fn, void *ctx, const char *name)
{
    uint64_t irq = irq_save();
    struct irq_action *a;
    int handle = -EINVAL;

    if (fn && vector > IRQ_VEC_DYNAMIC_LAST && vector < IRQ_VEC_SPURIOUS) {
        handle = -EBUSY;
        if (!vectors[vector].actions) {
            handle = -ENOSPC;
            if ((a = action_new(fn, ctx, name, 0)))
                handle = attach(vector, a);
        }
    }
    irq_restore(irq);
    return handle;
}

int irq_free(int handle)
{
    uint64_t irq;
    struct irq_action *a, **pp;
    struct irq_vector *v;

    if (handle < 0 || handle >= MAX_ACTIONS)
        return -EINVAL;
    irq = irq_save();
    a = &actions[handle];
    if (!a->used) {
        irq_restore(irq);
        return -ENOENT;
    }
    v = &vectors[a->vector];
    for (pp = &v->actions; *pp && *pp != a; pp = &(*pp)->next)
        ;
    if (*pp)
        *pp = a->next;
    a->used = false;
    if (!v->actions) {
        if (v->gsi != NO_GSI && chip)
            chip->mask_gsi(v->gsi);
        v->gsi = NO_GSI;
        v->reserved = false;
    }
    irq_restore(irq);
    return 0;
}

static void (*exit_hook)(void);         /* written once by sched_init, before SMP */

void irq_set_exit_hook(void (*fn)(void))
{
    exit_hook = fn;
}

void irq_dispatch(struct trap_frame *f)
{
    uint8_t vector = (uint8_t)f->vector;
    struct irq_vector *v = &vectors[vector];
    bool handled = false;

    this_cpu()->irqs++;
    if (vector == IRQ_VEC_SPURIOUS) {
        __atomic_fetch_add(&spurious, 1, __ATOMIC_RELAXED);    /* no EOI for these */
        return;
    }
    if (vector >= IRQ_VEC_LEGACY_BASE && vector < IRQ_VEC_DYNAMIC_FIRST) {
        /* the 8259s are masked: anything from them is spurious */
        __atomic_fetch_add(&spurious, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&v->count, 1, __ATOMIC_RELAXED);
        if (vector == PIC_SPURIOUS_SLAVE)
            outb(PIC_MASTER_CMD, PIC_EOI);  /* the master did see the cascade */
        return;
    }
    __atomic_fetch_add(&v->count, 1, __ATOMIC_RELAXED);
    this_cpu()->irq_depth++;    /* cpu_in_irq: sleeping here is reported */
    for (struct irq_action *a = v->actions; a; a = a->next)
        handled |= a->fn(a->ctx);
    this_cpu()->irq_depth--;
    if (!handled)
        __atomic_fetch_add(&v->unhandled, 1, __ATOMIC_RELAXED);
    if (chip)
        chip->eoi();
    if (exit_hook)
        exit_hook();            /* the preemption point: may switch threads */
}

size_t irq_stats(struct irq_vector_stats *out, size_t max)
{
    size_t n = 0;
    uint64_t irq = irq_save();

    for (int v = IRQ_VEC_LEGACY_BASE; v < IRQ_VECTORS && n < max; v++) {
        const struct irq_vector *iv = &vectors[v];
        if (!iv->actions && !iv->count)
            continue;
        out[n++] = (struct irq_vector_stats){
            .vector = (uint8_t)v, .count = iv->count, .unhandled = iv->unhandled,
            .name = iv->actions ? iv->actions->name : NULL, .gsi = iv->gsi };
    }
    irq_restore(irq);
    return n;
}

uint64_t irq_spurious_count(void)
{
    return spurious;
}
