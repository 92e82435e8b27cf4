/*
 * src/dev/ps2.c - i8042 PS/2 controller (see include/dev/ps2.h).
 *
 * Part of dev. The bring-up follows the usual recipe (OSDev's "8042"
 * page, Linux's i8042.c): both ports off, output buffer drained,
 * configuration byte with port interrupts off and translation on,
 * controller self-test (0xAA -> 0x55), dual-channel check, interface tests
 * (0xAB / 0xA9 -> 0x00), ports on, then the device drivers probe. Every
 * wait on the controller is bounded by a deadline on the TSC clock.
 *
 * Once a port is attached the configuration byte is only ever written
 * (from the shadow copy `config`), never read: the controller answers a
 * read through the output buffer, where the interrupt handler would take
 * it for device data.
 */
#include <dev/ps2.h>
#include <core/errno.h>
#include <core/irq.h>
#include <core/printk.h>
#include <core/tsc.h>
#include <core/x86.h>
#include <dev/kbd.h>
#include <dev/mouse.h>

#define PS2_DATA            0x60
#define PS2_STATUS          0x64    /* read */
#define PS2_COMMAND         0x64    /* write */

#define ST_OUTPUT_FULL      (1u << 0)
#define ST_INPUT_FULL       (1u << 1)
#define ST_FROM_PORT2       (1u << 5)
#define ST_TIMEOUT_ERR      (1u << 6)
#define ST_PARITY_ERR       (1u << 7)

#define CMD_READ_CONFIG     0x20
#define CMD_WRITE_CONFIG    0x60
#define CMD_DISABLE_PORT2   0xA7
#define CMD_ENABLE_PORT2    0xA8
#define CMD_TEST_PORT2      0xA9
#define CMD_SELF_TEST       0xAA
#define CMD_TEST_PORT1      0xAB
#define CMD_DISABLE_PORT1   0xAD
#define CMD_ENABLE_PORT1    0xAE
#define CMD_INJECT_PORT1    0xD2
#define CMD_INJECT_PORT2    0xD3
#define CMD_WRITE_PORT2     0xD4

#define CFG_PORT1_IRQ       (1u << 0)
#define CFG_PORT2_IRQ       (1u << 1)
#define CFG_PORT1_CLOCK_OFF (1u << 4)
#define CFG_PORT2_CLOCK_OFF (1u << 5)
#define CFG_TRANSLATE       (1u << 6)

#define SELF_TEST_OK        0x55
#define PORT_TEST_OK        0x00

#define CTRL_TIMEOUT_MS     20      /* a controller takes or answers a byte in microseconds */
#define SELF_TEST_TIMEOUT_MS 500
#define FLUSH_MAX           64      /* a real output buffer holds 1 byte (QEMU's a few) */
#define ACK_TIMEOUT_MS      200     /* devices acknowledge within ~20 ms; be generous */
#define SEND_TRIES          3

/*
 * usable: constant after ps2_init; fn, ctx, irq_handle: written by
 * ps2_port_attach with interrupts off, before the port's interrupt bit is set
 * in the controller; read by the handler.
 */
struct port {
    bool usable;
    ps2_byte_fn fn;
    void *ctx;
    int irq_handle;
};

static bool present;
static bool dual;
static uint8_t config;
static struct port ports[PS2_PORTS];
static struct ps2_stats stats;

static const unsigned port_irq[PS2_PORTS] = { 1, 12 };

static uint64_t deadline_after(unsigned ms)
{
    return tsc_ns_since_boot() + (uint64_t)ms * 1000000ull;
}

/* Waits until the controller can take a byte. */
static int wait_input_empty(unsigned ms)
{
    uint64_t end = deadline_after(ms);

    while (inb(PS2_STATUS) & ST_INPUT_FULL) {
        if (tsc_ns_since_boot() > end)
            return -ETIMEDOUT;
        cpu_relax();
    }
    return 0;
}

/* Waits for a byte in the output buffer; returns the status it came with. */
static int wait_output_full(unsigned ms, uint8_t *status)
{
    uint64_t end = deadline_after(ms);
    uint8_t st;

    while (!((st = inb(PS2_STATUS)) & ST_OUTPUT_FULL)) {
        if (tsc_ns_since_boot() > end)
            return -ETIMEDOUT;
        cpu_relax();
    }
    *status = st;
    return 0;
}

static int ctrl_command(uint8_t cmd)
{
    int err = wait_input_empty(CTRL_TIMEOUT_MS);

    if (!err)
        outb(PS2_COMMAND, cmd);
    return err;
}

static int ctrl_data(uint8_t byte)
{
    int err = wait_input_empty(CTRL_TIMEOUT_MS);

    if (!err)
        outb(PS2_DATA, byte);
    return err;
}

/* A controller command that answers with one byte (polled; port interrupts off). */
static int ctrl_query(uint8_t cmd, unsigned ms, uint8_t *answer)
{
    uint8_t st;
    int err = ctrl_command(cmd);

    if (!err)
        err = wait_output_full(ms, &st);
    if (!err)
        *answer = inb(PS2_DATA);
    return err;
}

static int write_config(uint8_t cfg)
{
    int err = ctrl_command(CMD_WRITE_CONFIG);

    if (!err)
        err = ctrl_data(cfg);
    if (!err)
        config = cfg;
    return err;
}

/* Drains stale bytes; false if the output buffer never empties. */
static bool flush_output(void)
{
    for (int i = 0; i < FLUSH_MAX; i++) {
        if (!(inb(PS2_STATUS) & ST_OUTPUT_FULL))
            return true;
        (void)inb(PS2_DATA);
        io_wait();
    }
    return !(inb(PS2_STATUS) & ST_OUTPUT_FULL);
}

static bool port_ok(unsigned port)
{
    return present && port < PS2_PORTS && ports[port].usable;
}

static int send_to_device(unsigned port, uint8_t byte)
{
    int err = 0;

    if (port == PS2_PORT2)
        err = ctrl_command(CMD_WRITE_PORT2);
    if (!err)
        err = ctrl_data(byte);
    return err;
}

/* Polled read of the next byte from port's device; bytes from the other port are dropped. */
static int read_from_device(unsigned port, unsigned ms, uint8_t *byte)
{
    uint64_t end = deadline_after(ms);

    for (;;) {
        uint8_t st = inb(PS2_STATUS);

        if (st & ST_OUTPUT_FULL) {
            uint8_t b = inb(PS2_DATA);
            unsigned from = (dual && (st & ST_FROM_PORT2)) ? PS2_PORT2 : PS2_PORT1;

            if (st & (ST_TIMEOUT_ERR | ST_PARITY_ERR)) {
                stats.errors++;
                /* a timeout flag means the device never answered */
                if (from == port && (st & ST_TIMEOUT_ERR))
                    return -ETIMEDOUT;
                continue;
            }
            if (from == port) {
                *byte = b;
                return 0;
            }
            stats.unrouted++;
            continue;
        }
        if (tsc_ns_since_boot() > end)
            return -ETIMEDOUT;
        cpu_relax();
    }
}

int ps2_command(unsigned port, uint8_t cmd, const uint8_t *args, size_t nargs,
                uint8_t *resp, size_t nresp, unsigned timeout_ms)
{
    int err;

    if (!port_ok(port) || (nargs && !args) || (nresp && !resp))
        return -EINVAL;
    for (size_t i = 0; i <= nargs; i++) {
        uint8_t out = i == 0 ? cmd : args[i - 1], ack = 0;

        for (int tries = 0;; tries++) {
            if ((err = send_to_device(port, out)) != 0)
                return err;
            if ((err = read_from_device(port, ACK_TIMEOUT_MS, &ack)) != 0)
                return err;
            if (ack == PS2_DEV_ACK)
                break;
            if (ack != PS2_DEV_RESEND || tries + 1 == SEND_TRIES)
                return -EIO;
        }
    }
    for (size_t i = 0; i < nresp; i++)
        if ((err = read_from_device(port, timeout_ms, &resp[i])) != 0)
            return err;
    return 0;
}

int ps2_write(unsigned port, uint8_t byte)
{
    if (!port_ok(port))
        return -EINVAL;
    return send_to_device(port, byte);
}

int ps2_inject(unsigned port, uint8_t byte)
{
    int err;

    if (!port_ok(port))
        return -EINVAL;
    err = ctrl_command(port == PS2_PORT1 ? CMD_INJECT_PORT1 : CMD_INJECT_PORT2);
    if (!err)
        err = ctrl_data(byte);
    return err;
}

/* One handler for IRQ 1 and IRQ 12: the status register says whose byte it is. */
static bool ps2_irq(void *unused)
{
    uint8_t st = inb(PS2_STATUS), b;
    unsigned from;

    (void)unused;
    if (!(st & ST_OUTPUT_FULL))
        return false;
    b = inb(PS2_DATA);
    if (st & (ST_TIMEOUT_ERR | ST_PARITY_ERR)) {
        stats.errors++;
        return true;
    }
    from = (dual && (st & ST_FROM_PORT2)) ? PS2_PORT2 : PS2_PORT1;
    if (!ports[from].fn) {
        stats.unrouted++;
        return true;
    }
    stats.bytes[from]++;
    ports[from].fn(b, ports[from].ctx);
    return true;
}

static int port_attach(unsigned port, ps2_byte_fn fn, void *ctx, const char *name)
{
    uint8_t bit = port == PS2_PORT1 ? CFG_PORT1_IRQ : CFG_PORT2_IRQ;
    uint64_t flags;
    int h, err;

    if (!port_ok(port) || !fn)
        return -EINVAL;
    if (ports[port].fn)
        return -EBUSY;
    h = irq_request_legacy(port_irq[port], ps2_irq, NULL, name, 0);
    if (h < 0)
        return h;
    flags = irq_save();
    ports[port].fn = fn;
    ports[port].ctx = ctx;
    ports[port].irq_handle = h;
    err = write_config(config | bit);
    if (err) {
        ports[port].fn = NULL;
        irq_restore(flags);
        irq_free(h);
        return err;
    }
    /*
     * A byte already waiting raised no edge when the interrupt was off, and
     * a real controller sends no more until it is read: take it now. (If
     * the interrupt does arrive too, the handler finds the buffer empty.)
     */
    if (inb(PS2_STATUS) & ST_OUTPUT_FULL)
        ps2_irq(NULL);
    irq_restore(flags);
    return 0;
}

int ps2_port_attach(unsigned port, ps2_byte_fn fn, void *ctx, const char *name)
{
    int err = port_attach(port, fn, ctx, name);

    if (err)
        pr_warn("ps2: cannot attach %s on port %u (%s); device unused", name,
                port + 1, errno_name(err));
    return err;
}

bool ps2_controller_present(void)
{
    return present;
}

bool ps2_port_usable(unsigned port)
{
    return port_ok(port);
}

struct ps2_stats ps2_get_stats(void)
{
    uint64_t flags = irq_save();
    struct ps2_stats s = stats;

    irq_restore(flags);
    return s;
}

static int no_controller(const char *why)
{
    pr_info("ps2: no controller (%s)", why);
    present = false;
    return -ENODEV;
}

/* Controller set-up up to the point where the devices can be probed. */
static int bring_up(void)
{
    uint8_t st = inb(PS2_STATUS), cfg, answer;
    bool maybe_dual;

    if (st == 0xFF)
        return no_controller("status port reads 0xff");
    if (ctrl_command(CMD_DISABLE_PORT1) || ctrl_command(CMD_DISABLE_PORT2))
        return no_controller("it never takes a command");
    if (!flush_output())
        return no_controller("its output buffer never empties");
    if (ctrl_query(CMD_READ_CONFIG, CTRL_TIMEOUT_MS, &cfg))
        return no_controller("no answer to 'read configuration'");
    maybe_dual = (cfg & CFG_PORT2_CLOCK_OFF) != 0;      /* port 2 was just disabled */
    cfg &= (uint8_t)~(CFG_PORT1_IRQ | CFG_PORT2_IRQ);
    cfg |= CFG_TRANSLATE;
    if (write_config(cfg))
        return no_controller("it does not take its configuration");

    if (ctrl_query(CMD_SELF_TEST, SELF_TEST_TIMEOUT_MS, &answer))
        return no_controller("no answer to the self-test");
    if (answer != SELF_TEST_OK) {
        pr_warn("ps2: controller self-test answered %#04x, not 0x55", answer);
        return no_controller("self-test failed");
    }
    /* the self-test may have reset the controller */
    if (write_config(cfg))
        return no_controller("it does not take its configuration");
    present = true;

    dual = false;
    if (maybe_dual && ctrl_command(CMD_ENABLE_PORT2) == 0 &&
        ctrl_query(CMD_READ_CONFIG, CTRL_TIMEOUT_MS, &answer) == 0) {
        dual = (answer & CFG_PORT2_CLOCK_OFF) == 0;
        ctrl_command(CMD_DISABLE_PORT2);
    }
    flush_output();

    ports[PS2_PORT1].usable = ctrl_query(CMD_TEST_PORT1, CTRL_TIMEOUT_MS, &answer) == 0 &&
                              answer == PORT_TEST_OK;
    if (!ports[PS2_PORT1].usable)
        pr_warn("ps2: port 1 failed its interface test (%#04x)", answer);
    if (dual) {
        ports[PS2_PORT2].usable = ctrl_query(CMD_TEST_PORT2, CTRL_TIMEOUT_MS, &answer) == 0 &&
                                  answer == PORT_TEST_OK;
        if (!ports[PS2_PORT2].usable)
            pr_warn("ps2: port 2 failed its interface test (%#04x)", answer);
    }

    /*
     * Enabling a port clears its clock-off bit: the shadow copy follows
     * (reading the byte back could pick up a keystroke instead).
     */
    flush_output();
    if (ports[PS2_PORT1].usable && ctrl_command(CMD_ENABLE_PORT1) == 0)
        config &= (uint8_t)~CFG_PORT1_CLOCK_OFF;
    if (ports[PS2_PORT2].usable && ctrl_command(CMD_ENABLE_PORT2) == 0)
        config &= (uint8_t)~CFG_PORT2_CLOCK_OFF;
    pr_info("ps2: i8042 controller, %s (configuration %#04x)",
            dual ? "2 ports" : "1 port", config);
    return 0;
}

/* Turns off a port nothing answered on, so it cannot feed the output buffer. */
static void disable_port(unsigned port)
{
    ctrl_command(port == PS2_PORT1 ? CMD_DISABLE_PORT1 : CMD_DISABLE_PORT2);
    ports[port].usable = false;
}

int ps2_init(void)
{
    bool kbd = false, mouse = false;
    int err = bring_up();

    if (err)
        return err;
    /* probe both (polled) before either interrupts: see kbd_ps2_probe */
    if (ports[PS2_PORT1].usable)
        kbd = kbd_ps2_probe(PS2_PORT1) == 0;
    if (!kbd) {
        pr_info("ps2: no keyboard on port 1");
        if (ports[PS2_PORT1].usable)
            disable_port(PS2_PORT1);
    }
    if (ports[PS2_PORT2].usable)
        mouse = mouse_ps2_probe(PS2_PORT2) == 0;
    if (!mouse) {
        pr_info("ps2: no mouse %s", dual ? "on port 2" : "(single-port controller)");
        if (ports[PS2_PORT2].usable)
            disable_port(PS2_PORT2);
    }
    if (kbd)
        kbd_ps2_start(PS2_PORT1);
    if (mouse)
        mouse_ps2_start(PS2_PORT2);
    return 0;
}
