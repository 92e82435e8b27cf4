/*
 * src/dev/coninput.c - console input: the serial port and the PS/2
 * keyboard behind one wait queue (see include/dev/coninput.h).
 *
 * Part of dev. Holds no data of its own: the bytes stay in core/serial's
 * ring and the key events in dev/kbd's until the reader takes them. What
 * is here is the waiting: the wait queue both interrupt handlers wake, and
 * the fall-back to halting before the scheduler runs.
 */
#include <dev/coninput.h>
#include <core/errno.h>
#include <core/serial.h>
#include <core/time.h>
#include <core/x86.h>
#include <dev/kbd.h>
#include <sched/sched.h>
#include <sched/wait.h>

/* Without the serial receive interrupt, serial input is looked at this often. */
#define CONINPUT_POLL_NS    (10ull * 1000 * 1000)

static spinlock_t coninput_lock = SPINLOCK_INIT("coninput");
static struct wait_queue coninput_wq = WAIT_QUEUE_INIT("console input");   /* [l] */
static bool serial_polled = true;       /* set once by coninput_init */

/* Serial receive hook: interrupt context, interrupts off. */
static void serial_rx(unsigned count)
{
    (void)count;
    coninput_kick();
}

void coninput_init(void)
{
    serial_polled = serial_set_rx_hook(serial_rx) != 0;
}

void coninput_kick(void)
{
    uint64_t flags = spin_lock_irqsave(&coninput_lock);

    wq_wake_all_locked(&coninput_wq, &coninput_lock);
    spin_unlock_irqrestore(&coninput_lock, flags);
}

/* One event from either ring, serial first: 0 or -EAGAIN. Serial's rule: interrupts off. */
static int take(struct coninput_event *ev)
{
    int c = serial_getc_nonblock();

    if (c >= 0) {
        ev->source = CONINPUT_SERIAL;
        ev->byte = (uint8_t)c;
        return 0;
    }
    if (kbd_read_event(&ev->key) == 0) {
        ev->source = CONINPUT_KBD;
        ev->byte = 0;
        return 0;
    }
    return -EAGAIN;
}

int coninput_read(struct coninput_event *ev)
{
    uint64_t flags = spin_lock_irqsave(&coninput_lock);
    int err = take(ev);

    spin_unlock_irqrestore(&coninput_lock, flags);
    return err;
}

/* Before the scheduler: look, and halt until the next interrupt while nothing is there. */
static int wait_halting(struct coninput_event *ev, uint64_t deadline_ns)
{
    uint64_t flags = irq_save();
    int err;

    for (;;) {
        irq_disable();
        if ((err = take(ev)) == 0)
            break;
        if (time_ns() >= deadline_ns) {
            err = -ETIMEDOUT;
            break;
        }
        /* sti; hlt: an interrupt that comes after the look still ends the halt */
        cpu_idle();
    }
    irq_restore(flags);
    return err;
}

int coninput_wait(struct coninput_event *ev, uint64_t deadline_ns)
{
    uint64_t flags, wake_at;
    int err;

    if (!sched_can_sleep())
        return wait_halting(ev, deadline_ns);
    flags = spin_lock_irqsave(&coninput_lock);
    for (;;) {
        if ((err = take(ev)) == 0)
            break;
        if (time_ns() >= deadline_ns) {
            err = -ETIMEDOUT;
            break;
        }
        wake_at = deadline_ns;
        if (serial_polled)
            wake_at = MIN(wake_at, time_ns() + CONINPUT_POLL_NS);
        if (wake_at == UINT64_MAX)
            wq_sleep_locked(&coninput_wq, &coninput_lock, &flags);
        else
            (void)wq_sleep_locked_timeout(&coninput_wq, &coninput_lock, &flags, wake_at);
    }
    spin_unlock_irqrestore(&coninput_lock, flags);
    return err;
}
