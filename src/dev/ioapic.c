/*
 * src/dev/ioapic.c - I/O APIC driver (see include/dev/ioapic.h).
 *
 * Part of dev. Registers are reached through IOREGSEL (offset 0) and IOWIN
 * (offset 0x10); redirection entry n is registers 0x10 + 2n (low dword)
 * and 0x11 + 2n (high dword), per the 82093AA data sheet.
 */
#include <dev/ioapic.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/x86.h>
#include <mm/vmm.h>
#include <core/spinlock.h>

#define IOREGSEL            0x00
#define IOWIN               0x10
#define REG_VERSION         0x01
#define REG_REDIR(n)        (0x10 + 2 * (n))
#define VERSION_MAX_ENTRY(v) (((v) >> 16) & 0xFF)
#define IOAPIC_VERSION_MIN  0x11
#define IOAPIC_VERSION_MAX  0x2F

#define ENTRY_MASKED        (1u << 16)
#define ENTRY_LEVEL         (1u << 15)
#define ENTRY_ACTIVE_LOW    (1u << 13)
#define ENTRY_DEST_SHIFT    24              /* in the high dword */

/* Constant once ioapic_add has filled it (platform setup, boot CPU, before the other CPUs start). */
struct ioapic {
    volatile uint32_t *regs;
    uint8_t id;
    uint32_t gsi_base;
    uint32_t entries;
};

static struct ioapic ioapics[IOAPIC_MAX];
static size_t count;
/* IOREGSEL/IOWIN of every I/O APIC: one select-then-access at a time (irqsave) */
static spinlock_t ioapic_lock = SPINLOCK_INIT("ioapic_lock");

/*
 * read_reg/write_reg: ioapic_lock held, or from ioapic_add before the
 * I/O APIC is published (count not yet raised), so no assert here.
 */
static uint32_t read_reg(struct ioapic *io, uint32_t reg)
{
    io->regs[IOREGSEL / 4] = reg;
    return io->regs[IOWIN / 4];
}

static void write_reg(struct ioapic *io, uint32_t reg, uint32_t value)
{
    io->regs[IOREGSEL / 4] = reg;
    io->regs[IOWIN / 4] = value;
}

static struct ioapic *serving(uint32_t gsi)
{
    for (size_t i = 0; i < count; i++)
        if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].entries)
            return &ioapics[i];
    return NULL;
}

int ioapic_add(uint8_t id, uint64_t phys, uint32_t gsi_base)
{
    struct ioapic *io;
    uint32_t version;

    if (count == IOAPIC_MAX)
        return -ENOSPC;
    io = &ioapics[count];
    io->regs = vmm_ioremap(phys, 0x20, VMM_WRITE);
    if (!io->regs)
        return -ENOMEM;
    version = read_reg(io, REG_VERSION);
    /* real I/O APICs report version 0x11-0x2F; unclaimed MMIO reads 0 or all ones */
    if ((version & 0xFF) < IOAPIC_VERSION_MIN || (version & 0xFF) > IOAPIC_VERSION_MAX ||
        VERSION_MAX_ENTRY(version) == 0) {
        vmm_iounmap((void *)io->regs);
        return -ENODEV;
    }
    io->id = id;
    io->gsi_base = gsi_base;
    io->entries = VERSION_MAX_ENTRY(version) + 1;
    for (uint32_t n = 0; n < io->entries; n++) {
        write_reg(io, REG_REDIR(n), ENTRY_MASKED);
        write_reg(io, REG_REDIR(n) + 1, 0);
    }
    count++;
    return 0;
}

int ioapic_route(uint32_t gsi, uint8_t vector, unsigned flags, uint32_t dest_apic_id)
{
    struct ioapic *io = serving(gsi);
    uint32_t n, low = vector;

    if (!io)
        return -ENODEV;
    n = gsi - io->gsi_base;
    if (flags & IRQ_LEVEL)
        low |= ENTRY_LEVEL;
    if (flags & IRQ_ACTIVE_LOW)
        low |= ENTRY_ACTIVE_LOW;
    /* write the destination first, then unmask with the low dword */
    uint64_t irq = spin_lock_irqsave(&ioapic_lock);
    write_reg(io, REG_REDIR(n), ENTRY_MASKED);
    write_reg(io, REG_REDIR(n) + 1, dest_apic_id << ENTRY_DEST_SHIFT);
    write_reg(io, REG_REDIR(n), low);
    spin_unlock_irqrestore(&ioapic_lock, irq);
    return 0;
}

void ioapic_mask(uint32_t gsi)
{
    struct ioapic *io = serving(gsi);
    uint64_t irq;

    if (!io)
        return;
    irq = spin_lock_irqsave(&ioapic_lock);
    write_reg(io, REG_REDIR(gsi - io->gsi_base), ENTRY_MASKED);
    spin_unlock_irqrestore(&ioapic_lock, irq);
}

int ioapic_read_entry(uint32_t gsi, uint64_t *entry)
{
    struct ioapic *io = serving(gsi);
    uint32_t n;

    if (!io)
        return -ENODEV;
    n = gsi - io->gsi_base;
    uint64_t irq = spin_lock_irqsave(&ioapic_lock);
    *entry = read_reg(io, REG_REDIR(n)) | ((uint64_t)read_reg(io, REG_REDIR(n) + 1) << 32);
    spin_unlock_irqrestore(&ioapic_lock, irq);
    return 0;
}

size_t ioapic_count(void)
{
    return count;
}
