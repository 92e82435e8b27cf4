/*
 * src/core/irq.c - interrupt registration and dispatch (see include/core/irq.h).
 *
 * Part of core. A table of 256 vectors, each with a list of actions taken
 * from a fixed pool (the pool index is the handle irq_free takes). The
 * controller specifics (I/O APIC routing, local APIC EOI, MADT overrides)
 * come through struct irq_chip, set by dev/platform.
 *
 * Locking: irq_table_lock (irqsave) serialises every change to the table
 * and the pool. Dispatch takes no lock: it reads a vector's action list
 * with acquire loads while registrations come and go on other CPUs, and
 * publishes in running[] which vector this CPU is dispatching. An action
 * is linked whole (release store) and, once unlinked, its slot is reused
 * only after irq_free has seen every other CPU leave that vector's
 * dispatch (or enter it anew, when the unlinked action is out of reach):
 * so a handler never runs after irq_free returned, and a dispatcher never
 * follows a slot being rewritten. Order: irq_table_lock -> the chip's locks
 * (ioapic_lock); handlers run with no irq lock held.
 */
#include <core/irq.h>
#include <core/cpu.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/trap.h>
#include <core/x86.h>
#include <core/preempt.h>
#include <core/spinlock.h>

#define MAX_ACTIONS     256
#define NO_GSI          UINT32_MAX

/* Legacy 8259 ports, for the spurious IRQ 15 case (EOI to the master only). */
#define PIC_MASTER_CMD  0x20
#define PIC_EOI         0x20
#define PIC_SPURIOUS_MASTER (IRQ_VEC_LEGACY_BASE + 7)
#define PIC_SPURIOUS_SLAVE  (IRQ_VEC_LEGACY_BASE + 15)

/*
 * Lock legend: [t] irq_table_lock; [t/r] written under irq_table_lock with
 * release stores, read by dispatch with acquire loads; [p] set before the
 * action is published, constant until its slot is reused; [a] atomic.
 */
struct irq_action {
    irq_handler_fn fn;          /* [p] */
    void *ctx;                  /* [p] */
    const char *name;           /* [p] */
    unsigned flags;             /* [p] */
    uint8_t vector;             /* [p] */
    bool used;                  /* [t] slot taken (stays so until irq_free's wait ends) */
    bool dying;                 /* [t] unlinked by irq_free, slot not yet free */
    struct irq_action *next;    /* [t/r] */
};

struct irq_vector {
    struct irq_action *actions; /* [t/r] */
    uint32_t gsi;               /* [t] NO_GSI unless routed from a GSI */
    unsigned gsi_flags;         /* [t] */
    uint64_t count;             /* [a] */
    uint64_t unhandled;         /* [a] */
    bool reserved;              /* [t] allocated (even if its last action went away) */
};

/*
 * running[cpu]: bits 0-15 = vector + 1 while that CPU runs the vector's
 * handlers (0 otherwise), bits 16-63 = how many dispatches it began. [a]
 */
#define RUNNING_VECTOR_MASK 0xFFFFull
#define RUNNING_SEQ_ONE     0x10000ull

static spinlock_t irq_table_lock = SPINLOCK_INIT("irq_table_lock");
static struct irq_action actions[MAX_ACTIONS];
static struct irq_vector vectors[IRQ_VECTORS];
static uint64_t running[CPU_MAX];
static uint64_t spurious;
static const struct irq_chip *chip;

void irq_set_chip(const struct irq_chip *c)
{
    chip = c;
    for (int v = 0; v < IRQ_VECTORS; v++)
        vectors[v].gsi = NO_GSI;
}

/* irq_table_lock held. */
static struct irq_action *action_new(irq_handler_fn fn, void *ctx, const char *name,
                                     unsigned flags)
{
    spin_assert_held(&irq_table_lock);
    for (int i = 0; i < MAX_ACTIONS; i++)
        if (!actions[i].used) {
            actions[i] = (struct irq_action){ .fn = fn, .ctx = ctx, .name = name,
                                              .flags = flags, .used = true };
            return &actions[i];
        }
    return NULL;
}

/* irq_table_lock held. Appends a (filled in) to vector's list: dispatch sees it whole. */
static int attach(uint8_t vector, struct irq_action *a)
{
    struct irq_action **pp = &vectors[vector].actions;

    spin_assert_held(&irq_table_lock);
    while (*pp)
        pp = &(*pp)->next;
    a->vector = vector;
    a->next = NULL;
    __atomic_store_n(pp, a, __ATOMIC_RELEASE);
    if (!vectors[vector].reserved) {
        /* a vector handed out afresh starts its counts afresh */
        vectors[vector].count = 0;
        vectors[vector].unhandled = 0;
    }
    vectors[vector].reserved = true;
    return (int)(a - actions);
}

/* irq_table_lock held. */
static int free_dynamic_vector(void)
{
    spin_assert_held(&irq_table_lock);
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
    uint64_t irq = spin_lock_irqsave(&irq_table_lock);
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
                spin_unlock_irqrestore(&irq_table_lock, irq);
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
    spin_unlock_irqrestore(&irq_table_lock, irq);
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
    uint64_t irq = spin_lock_irqsave(&irq_table_lock);
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
    spin_unlock_irqrestore(&irq_table_lock, irq);
    return handle;
}

int irq_request_fixed(uint8_t vector, irq_handler_fn fn, void *ctx, const char *name)
{
    uint64_t irq = spin_lock_irqsave(&irq_table_lock);
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
    spin_unlock_irqrestore(&irq_table_lock, irq);
    return handle;
}

/*
 * Waits until no other CPU runs vector's handlers with a view of the list
 * from before the caller's unlink: a CPU seen in the vector is waited for
 * until it leaves or begins another dispatch (which reads the new list).
 */
static void wait_dispatchers(uint8_t vector)
{
    unsigned n = cpu_count(), me;

    preempt_disable();
    me = this_cpu()->index;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);      /* the unlink before the loads of running[] */
    for (unsigned i = 0; i < n && i < CPU_MAX; i++) {
        uint64_t seen = __atomic_load_n(&running[i], __ATOMIC_SEQ_CST);
        if (i == me || (seen & RUNNING_VECTOR_MASK) != (uint64_t)vector + 1)
            continue;
        while (__atomic_load_n(&running[i], __ATOMIC_ACQUIRE) == seen)
            cpu_relax();
    }
    preempt_enable();
}

int irq_free(int handle)
{
    uint64_t irq;
    struct irq_action *a, **pp;
    struct irq_vector *v;
    uint8_t vector;

    if (handle < 0 || handle >= MAX_ACTIONS)
        return -EINVAL;
    irq = spin_lock_irqsave(&irq_table_lock);
    a = &actions[handle];
    if (!a->used || a->dying) {
        spin_unlock_irqrestore(&irq_table_lock, irq);
        return -ENOENT;
    }
    vector = a->vector;
    v = &vectors[vector];
    for (pp = &v->actions; *pp && *pp != a; pp = &(*pp)->next)
        ;
    if (*pp)
        __atomic_store_n(pp, a->next, __ATOMIC_RELEASE);
    a->dying = true;                    /* a->next stays valid for dispatchers still on it */
    if (!v->actions) {
        if (v->gsi != NO_GSI && chip)
            chip->mask_gsi(v->gsi);
        v->gsi = NO_GSI;
        v->reserved = false;
    }
    spin_unlock_irqrestore(&irq_table_lock, irq);

    wait_dispatchers(vector);

    irq = spin_lock_irqsave(&irq_table_lock);
    a->used = false;
    a->dying = false;
    spin_unlock_irqrestore(&irq_table_lock, irq);
    return 0;
}

static void (*exit_hook)(void);         /* written once by sched_init, before the other CPUs start */

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
    /* tell irq_free which vector this CPU runs before reading its list (see the top) */
    uint64_t *mine = &running[this_cpu()->index];
    uint64_t outer = *mine, mark = ((outer & ~RUNNING_VECTOR_MASK) + RUNNING_SEQ_ONE) |
                                   ((uint64_t)vector + 1);
    __atomic_store_n(mine, mark, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (struct irq_action *a = __atomic_load_n(&v->actions, __ATOMIC_ACQUIRE); a;
         a = __atomic_load_n(&a->next, __ATOMIC_ACQUIRE))
        handled |= a->fn(a->ctx);
    __atomic_store_n(mine, (mark & ~RUNNING_VECTOR_MASK) | (outer & RUNNING_VECTOR_MASK),
                     __ATOMIC_RELEASE);
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
    uint64_t irq = spin_lock_irqsave(&irq_table_lock);

    for (int v = IRQ_VEC_LEGACY_BASE; v < IRQ_VECTORS && n < max; v++) {
        const struct irq_vector *iv = &vectors[v];
        if (!iv->actions && !iv->count)
            continue;
        out[n++] = (struct irq_vector_stats){
            .vector = (uint8_t)v, .count = iv->count, .unhandled = iv->unhandled,
            .name = iv->actions ? iv->actions->name : NULL, .gsi = iv->gsi };
    }
    spin_unlock_irqrestore(&irq_table_lock, irq);
    return n;
}

uint64_t irq_spurious_count(void)
{
    return __atomic_load_n(&spurious, __ATOMIC_RELAXED);
}
