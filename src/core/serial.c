/*
 * src/core/serial.c - 16550 UART driver for COM1 (see include/core/serial.h).
 *
 * Part of core: the first console, up before anything else so every later
 * step can report. Polled output; the UART is probed through its scratch
 * register and loopback mode so a machine without COM1 does not hang.
 * Input: polled, or (serial_enable_rx_irq) through the received-data
 * interrupt into a lock-free ring (core/input_ring) with flow control,
 * then the registered receive hook.
 */
#include <core/serial.h>
#include <core/console.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/x86.h>
#include <core/input_ring.h>

/* Register offsets from the base port. */
#define UART_THR    0   /* transmit holding (write), receive buffer (read) */
#define UART_IER    1   /* interrupt enable; divisor high byte when DLAB=1 */
#define UART_FCR    2   /* FIFO control (write), interrupt identification (read) */
#define UART_IIR    2
#define UART_LCR    3   /* line control */
#define UART_MCR    4   /* modem control */
#define UART_LSR    5   /* line status */
#define UART_SCR    7   /* scratch */

#define LCR_DLAB        0x80
#define LCR_8N1         0x03
#define FCR_ENABLE_CLEAR_14 0xC7    /* enable, clear both FIFOs, 14-byte trigger */
#define FCR_ENABLE_TRIGGER_1 0x01   /* enable, keep the contents, interrupt at every byte */
#define MCR_DTR_RTS_OUT2    0x0B
#define MCR_LOOPBACK        0x1E
#define IER_RX_DATA     0x01        /* received data available */
#define IIR_NONE_PENDING 0x01
#define LSR_DATA_READY  0x01
#define LSR_THR_EMPTY   0x20
#define UART_CLOCK_HZ   115200
#define TX_SPIN_LIMIT   100000      /* give up on a stuck transmitter */
#define LOOPBACK_SPIN_LIMIT 100000  /* port reads: far more than one character time */
#define RX_RING_SIZE    256
#define COM1_IRQ        4

static uint16_t serial_port;

static uint8_t rx_slots[RX_RING_SIZE];
static struct input_ring rx_ring;
static bool rx_irq_on;              /* input comes through the ring */
static volatile bool rx_paused;     /* the ring was full: the receive interrupt is off */
static bool rx_stale_edge;          /* the handler read a byte that raised an interrupt of its own */
static uint64_t rx_count;
static serial_rx_hook_fn rx_hook;   /* written by serial_set_rx_hook, read by the handler */

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

/*
 * Receive interrupt: move what the UART holds into the ring, as far as it
 * fits. A byte that arrives while the handler runs raises the (edge
 * triggered) line again, but the loop reads it at once; the interrupt that
 * follows then finds nothing, and is claimed rather than counted as
 * unhandled.
 */
static bool serial_rx_irq(void *ctx)
{
    bool mine = !(inb(serial_port + UART_IIR) & IIR_NONE_PENDING);
    unsigned got = 0;

    (void)ctx;
    while (inb(serial_port + UART_LSR) & LSR_DATA_READY) {
        if (input_ring_count(&rx_ring) >= RX_RING_SIZE) {
            /* full: leave the rest in the UART (the sender waits) until a read */
            outb(serial_port + UART_IER, 0);
            rx_paused = true;
            break;
        }
        uint8_t byte = inb(serial_port + UART_THR);
        input_ring_put(&rx_ring, &byte);
        rx_count++;
        got++;
    }
    if (!mine && got == 0 && rx_stale_edge)
        mine = true;
    rx_stale_edge = got > 1 || (got > 0 && !mine);
    if (got > 0) {
        serial_rx_hook_fn hook = READ_ONCE(rx_hook);
        if (hook)
            hook(got);
    }
    return mine || got > 0;
}

int serial_enable_rx_irq(void)
{
    int h;

    if (!serial_port)
        return -ENODEV;
    if (rx_irq_on)
        return -EALREADY;
    input_ring_init(&rx_ring, rx_slots, 1, RX_RING_SIZE);
    h = irq_request_legacy(COM1_IRQ, serial_rx_irq, NULL, "com1", 0);
    if (h < 0)
        return h;
    uint64_t flags = irq_save();
    rx_irq_on = true;
    /* an interrupt per byte: typed keys should not wait for the FIFO's timeout */
    outb(serial_port + UART_FCR, FCR_ENABLE_TRIGGER_1);
    outb(serial_port + UART_IER, IER_RX_DATA);
    irq_restore(flags);
    return 0;
}

int serial_set_rx_hook(serial_rx_hook_fn fn)
{
    WRITE_ONCE(rx_hook, fn);
    return rx_irq_on ? 0 : -ENODEV;
}

uint64_t serial_rx_count(void)
{
    return rx_count;
}

int serial_getc_nonblock(void)
{
    uint64_t flags;
    uint8_t byte;
    int c = -EAGAIN;

    if (!serial_port)
        return -EAGAIN;
    flags = irq_save();
    if (!rx_irq_on) {
        if (inb(serial_port + UART_LSR) & LSR_DATA_READY)
            c = inb(serial_port + UART_THR);
    } else if (input_ring_get(&rx_ring, &byte)) {
        c = byte;
        if (rx_paused) {
            /* room again: the UART raises the interrupt at once if bytes wait */
            rx_paused = false;
            outb(serial_port + UART_IER, IER_RX_DATA);
        }
    }
    irq_restore(flags);
    return c;
}
