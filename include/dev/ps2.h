/*
 * include/dev/ps2.h - the i8042 PS/2 controller and its two ports.
 *
 * Part of dev. ps2_init brings the controller up (devices disabled, output
 * buffer flushed, configuration byte with interrupts off and set-1
 * translation on, self-test, port tests, ports enabled) and then lets the
 * device drivers probe their port: dev/kbd on port 1, dev/mouse on port 2.
 * Every wait is bounded: a missing controller is reported as
 * "ps2: no controller" and a silent device as missing, and boot goes on.
 * A machine without an i8042 (QEMU -machine pc,i8042=off) reads 0xff from
 * the status port; that is recognised before anything is waited on.
 *
 * The drivers talk to their device in two ways. While probing (before
 * ps2_port_attach, the port's interrupt off) they use the polled
 * ps2_command. Afterwards the controller interrupts (IRQ 1 for port 1,
 * IRQ 12 for port 2; both go to one handler that routes each byte by the
 * status register's "from port 2" bit) and hands every byte to the port's
 * ps2_byte_fn, in interrupt context; ps2_write then sends single bytes
 * without waiting for the answer, which arrives through the byte callback.
 *
 * Locking: ps2_init, ps2_command and ps2_port_attach run in the boot thread
 * before the port interrupts; ps2_write and ps2_inject with interrupts off
 * or from the byte callbacks. There is no lock: interrupts off excludes
 * only this CPU's handler, so those callers must run on the CPU the
 * controller's interrupts are routed to (the boot CPU); a caller on
 * another CPU is not excluded from the handler.
 */
#ifndef BASALT_DEV_PS2_H
#define BASALT_DEV_PS2_H

#include <core/compiler.h>

#define PS2_PORT1   0       /* the keyboard port (IRQ 1) */
#define PS2_PORT2   1       /* the auxiliary (mouse) port (IRQ 12) */
#define PS2_PORTS   2

/* Device commands and answers shared by keyboards and mice. */
#define PS2_DEV_RESET           0xFF
#define PS2_DEV_RESEND          0xFE
#define PS2_DEV_SET_DEFAULTS    0xF6
#define PS2_DEV_DISABLE_SCAN    0xF5    /* keyboard: scanning; mouse: data reporting */
#define PS2_DEV_ENABLE_SCAN     0xF4
#define PS2_DEV_IDENTIFY        0xF2
#define PS2_DEV_ACK             0xFA
#define PS2_DEV_SELF_TEST_OK    0xAA

/* Called in interrupt context with each byte the port's device sends. */
typedef void (*ps2_byte_fn)(uint8_t byte, void *ctx);

/*
 * Brings the controller up and probes the devices (dev/kbd, dev/mouse),
 * logging what it found. Returns 0, or -ENODEV when there is no working
 * controller (logged as "ps2: no controller ..."). Missing devices are
 * logged and are not an error. Context: boot thread, once, interrupts on
 * or off.
 */
int ps2_init(void);

/* True when ps2_init found a working controller. */
bool ps2_controller_present(void);

/* True when port exists on the controller and passed its interface test. */
bool ps2_port_usable(unsigned port);

/*
 * Polled device command for probing: sends cmd and then each of
 * args[0..nargs) to the device on port, each acknowledged by 0xFA within
 * 200 ms (a 0xFE "resend" is retried up to twice), then reads nresp answer
 * bytes into resp, waiting up to timeout_ms for each. Bytes from the other
 * port are dropped meanwhile. Returns 0; -EINVAL for a bad port or a port
 * not usable; -ETIMEDOUT when the device does not answer in time (no
 * device); -EIO when it answers with something other than an
 * acknowledgement.
 * Context: boot thread, before ps2_port_attach(port).
 */
int ps2_command(unsigned port, uint8_t cmd, const uint8_t *args, size_t nargs,
                uint8_t *resp, size_t nresp, unsigned timeout_ms);

/*
 * Routes port's bytes to fn(byte, ctx) from now on: requests the port's
 * IRQ and turns on its interrupt in the controller. Returns 0, -EINVAL (bad
 * port, port not usable, fn NULL), -EBUSY (already attached), or the error
 * of irq_request_legacy; a failure is logged with name ("ps2-kbd"), so
 * the device drivers only pass it on. Context: boot thread.
 */
int ps2_port_attach(unsigned port, ps2_byte_fn fn, void *ctx, const char *name);

/*
 * Sends one byte to the device on port without waiting for its answer
 * (which comes through the byte callback). Returns 0, -EINVAL (bad or
 * unusable port), or -ETIMEDOUT when the controller does not take the byte
 * within 20 ms (it normally takes microseconds). Context: any, interrupts
 * off (the byte callbacks use it).
 */
int ps2_write(unsigned port, uint8_t byte);

/*
 * For tests: makes the controller deliver byte as if the device on port had
 * sent it (commands 0xD2/0xD3), interrupt included. Returns 0, -EINVAL, or
 * -ETIMEDOUT. Context: any, interrupts off.
 */
int ps2_inject(unsigned port, uint8_t byte);

/* Counters for logs and tests. */
struct ps2_stats {
    uint64_t bytes[PS2_PORTS];      /* bytes delivered to each port's callback */
    uint64_t unrouted;              /* bytes read for a port with no callback */
    uint64_t errors;                /* bytes flagged with a parity or timeout error */
};
/*
 * A copy of the counters, taken with interrupts off. Any context, never
 * sleeps; on a CPU other than the interrupt's the copy is not a snapshot
 * (each counter is read whole, but they may be from different moments).
 */
struct ps2_stats ps2_get_stats(void);

#endif
