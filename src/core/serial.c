/*
 * src/core/serial.c - 16550 UART driver for COM1 (see include/core/serial.h).
 *
 * Part of core: the first console, up before anything else so every later
 * step can report. Polled output; the UART is probed through its scratch
 * register and loopback mode so a machine without COM1 does not hang.
 */
#include <core/serial.h>
#include <core/console.h>
#include <core/errno.h>
#include <core/x86.h>

/* Register offsets from the base port. */
#define UART_THR    0   /* transmit holding (write), receive buffer (read) */
#define UART_IER    1   /* interrupt enable; divisor high byte when DLAB=1 */
#define UART_FCR    2   /* FIFO control */
#define UART_LCR    3   /* line control */
#define UART_MCR    4   /* modem control */
#define UART_LSR    5   /* line status */
#define UART_SCR    7   /* scratch */

#define LCR_DLAB        0x80
#define LCR_8N1         0x03
#define FCR_ENABLE_CLEAR_14 0xC7    /* enable, clear both FIFOs, 14-byte trigger */
#define MCR_DTR_RTS_OUT2    0x0B
#define MCR_LOOPBACK        0x1E
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20
#define UART_CLOCK_HZ   115200
#define TX_SPIN_LIMIT   100000      /* give up on a stuck transmitter */
#define LOOPBACK_SPIN_LIMIT 100000  /* port reads: far more than one character time */

static uint16_t serial_port;

static void serial_console_write(struct console *con, const char *s, size_t n)
{
    (void)con;
    serial_write(s, n);
}

static struct console serial_console = {
    .name = "serial",
    .write = serial_console_write,
};

int serial_init(uint16_t port)
{
    uint16_t divisor = UART_CLOCK_HZ / 115200;

    /* Probe: the scratch register must hold a value. */
    outb(port + UART_SCR, 0x5A);
    if (inb(port + UART_SCR) != 0x5A)
        return -ENODEV;

    outb(port + UART_IER, 0);
    outb(port + UART_LCR, LCR_DLAB);
    outb(port + UART_THR, (uint8_t)divisor);
    outb(port + UART_IER, (uint8_t)(divisor >> 8));
    outb(port + UART_LCR, LCR_8N1);
    outb(port + UART_FCR, FCR_ENABLE_CLEAR_14);

    /* Loopback self-test: a byte sent must come back (a real UART takes ~87 us). */
    outb(port + UART_MCR, MCR_LOOPBACK);
    while (inb(port + UART_LSR) & LSR_DATA_READY)
        (void)inb(port + UART_THR);                     /* drain stale input */
    outb(port + UART_THR, 0xAE);
    for (int spins = 0; !(inb(port + UART_LSR) & LSR_DATA_READY); spins++)
        if (spins > LOOPBACK_SPIN_LIMIT)
            return -ENODEV;
    if (inb(port + UART_THR) != 0xAE)
        return -ENODEV;
    outb(port + UART_MCR, MCR_DTR_RTS_OUT2);

    serial_port = port;
    return console_register(&serial_console);
}

static void serial_put_raw(char c)
{
    for (int spins = 0; spins < TX_SPIN_LIMIT; spins++)
        if (inb(serial_port + UART_LSR) & LSR_THR_EMPTY)
            break;
    outb(serial_port + UART_THR, (uint8_t)c);
}

void serial_putc(char c)
{
    if (!serial_port)
        return;
    if (c == '\n')
        serial_put_raw('\r');
    serial_put_raw(c);
}

void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        serial_putc(s[i]);
}

int serial_getc_nonblock(void)
{
    if (!serial_port || !(inb(serial_port + UART_LSR) & LSR_DATA_READY))
        return -EAGAIN;
    return inb(serial_port + UART_THR);
}
