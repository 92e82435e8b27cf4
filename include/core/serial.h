/*
 * include/core/serial.h - 16550 UART driver (COM1, 115200 8N1), polled.
 *
 * Part of core. The first console: serial_init registers it with
 * core/console. Output converts "\n" to "\r\n". Input is polled
 * (serial_getc_nonblock); the interrupt-driven receive path arrives with
 * the interrupt layer.
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

/* A received byte (0..255), or -EAGAIN if none is waiting. */
int serial_getc_nonblock(void);

#endif
