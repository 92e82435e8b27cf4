/*
 * include/dev/coninput.h - console input: what is typed on the serial port
 * and the PS/2 keyboard, for the one thread that reads the console.
 *
 * Part of dev. Two interrupt-driven sources feed it, each into its own
 * lock-free ring: the COM1 receive interrupt (core/serial's ring; serial
 * calls the receive hook that coninput_init registers with
 * serial_set_rx_hook) and the PS/2 keyboard interrupt (dev/kbd's ring; kbd
 * calls coninput_kick). Both hooks wake the reader sleeping on one wait
 * queue. The reader takes events with coninput_read (never blocks) or
 * coninput_wait (sleeps until an event or a deadline): serial bytes first,
 * then key events, each source in the order it arrived. Today the kernel
 * shell (kernel/kshell) is the reader; the tty of user space takes its
 * place later.
 *
 * Lock legend: coninput_lock (spinlock, taken with interrupts off) guards
 * the wait queue [l] and serialises readers; the rings need no lock (one
 * producer, the interrupt handler; one consumer at a time, under the lock).
 *
 * No lost wake-up: a waiter checks both rings with the lock held and
 * queues itself before releasing it (wq_sleep_locked_timeout); a producer
 * puts its data in the ring first and then takes the lock to wake, so it
 * either finds the waiter queued or the waiter's check finds the data.
 *
 * Readers: serial input is read with interrupts off on the CPU its
 * interrupt is routed to (core/serial's rule, CPU 0: pin the reader there).
 */
#ifndef BASALT_DEV_CONINPUT_H
#define BASALT_DEV_CONINPUT_H

#include <core/compiler.h>
#include <dev/kbd_scan.h>

enum coninput_source {
    CONINPUT_SERIAL,            /* a byte from the serial port */
    CONINPUT_KBD,               /* a key event from the PS/2 keyboard */
};

struct coninput_event {
    enum coninput_source source;
    uint8_t byte;               /* CONINPUT_SERIAL: the byte as received */
    struct kbd_event key;       /* CONINPUT_KBD: press, repeat or release */
};

/*
 * Registers the serial receive hook. Context: boot thread, once, after
 * serial_enable_rx_irq (bytes received before are in the ring already and
 * are read all the same). Never fails.
 */
void coninput_init(void);

/*
 * Takes the oldest waiting event into *ev: 0, or -EAGAIN when neither
 * source has one. Never blocks. Context: thread, any interrupt state, no
 * spinlock held (takes coninput_lock); see "Readers" above.
 */
int coninput_read(struct coninput_event *ev);

/*
 * Like coninput_read, but waits for an event until time_ns() reaches
 * deadline_ns (UINT64_MAX: no deadline). Returns 0, or -ETIMEDOUT with
 * nothing taken. With the scheduler (sched_can_sleep) it sleeps on the
 * console wait queue; before it (or with interrupts off, as during early
 * boot) it halts with interrupts on until the next interrupt and looks
 * again. Context: a thread that may sleep, or the boot CPU before the
 * scheduler runs.
 */
int coninput_wait(struct coninput_event *ev, uint64_t deadline_ns);

/*
 * Wakes the reader after a source put input in its ring. Context: any,
 * interrupt handlers included (dev/kbd calls it from its handler after
 * queueing an event); takes coninput_lock with interrupts off, so it must
 * not be called with it held.
 */
void coninput_kick(void);

#endif
