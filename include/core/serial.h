/*
 * include/core/serial.h - 16550 UART driver (COM1, 115200 8N1), polled.
 *
 * Part of core. The first console: serial_init registers it with
 * core/console. Output converts "\n" to "\r\n". Input is polled
 * (serial_getc_nonblock) until serial_enable_rx_irq switches it to the
 * receive interrupt (IRQ 4), whose handler moves every received byte into
 * a 256-byte ring that serial_getc_nonblock then reads. A full ring turns
 * the receive interrupt off and leaves the bytes in the UART, so the
 * sender is flow-controlled (QEMU waits) and nothing is lost; reading
 * turns it back on. A higher layer that waits for input (dev/coninput)
 * registers a receive hook, which the interrupt handler calls after it
 * filled the ring: core never calls up.
 *
 * Locking: output is serialised by printk's log lock (core/printk). Input has
 * one consumer (the shell), which reads with interrupts off on the CPU the
 * interrupt is routed to (the boot CPU): the ring is single-producer
 * single-consumer and lock-free, and the pause/resume of the interrupt is
 * ordered by interrupts being off on that CPU.
 */
#ifndef BASALT_CORE_SERIAL_H
#define BASALT_CORE_SERIAL_H

#include <core/compiler.h>

#define SERIAL_COM1 0x3F8

/*
 * Programs the UART at port for 115200 8N1 with FIFOs and registers it as
 * the console "serial". Returns 0, or -ENODEV if no UART answers there (the
 * kernel then runs without serial output).
 */
int serial_init(uint16_t port);

void serial_putc(char c);
void serial_write(const char *s, size_t n);

/* A received byte (0..255), or -EAGAIN if none is waiting (or there is no UART). */
int serial_getc_nonblock(void);

/*
 * Switches input to the receive interrupt: requests ISA IRQ 4 and enables
 * the UART's received-data interrupt. Needs the interrupt controllers
 * (after platform setup). Returns 0; -ENODEV without a UART; -EALREADY on
 * a second call; or the error of irq_request_legacy (input stays polled).
 */
int serial_enable_rx_irq(void);

/*
 * Called by the receive interrupt handler after it moved count (>= 1) bytes
 * into the ring, so that a reader sleeping for input can be woken; the
 * bytes are read as always with serial_getc_nonblock. Context: interrupt,
 * interrupts off, on the CPU the interrupt is routed to; must not call
 * serial_getc_nonblock nor take a lock that is held around it with
 * interrupts on.
 */
typedef void (*serial_rx_hook_fn)(unsigned count);

/*
 * Registers the receive hook (NULL: none), replacing any earlier one.
 * Returns 0 when the receive interrupt is on (the hook will be called), or
 * -ENODEV when input is polled (no UART, or serial_enable_rx_irq did not
 * succeed): the hook is registered but never called, so the reader must
 * poll. Context: thread; the pointer is swapped atomically.
 */
int serial_set_rx_hook(serial_rx_hook_fn fn);

/* Bytes the receive interrupt has taken from the UART so far. */
uint64_t serial_rx_count(void);

#endif
