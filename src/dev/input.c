/*
 * src/dev/input.c - input device bring-up and the kbd.echo / mouse.echo
 * loop (see include/dev/input.h).
 *
 * Part of dev. The echo loop is an ordinary consumer of the keyboard and
 * mouse rings, so the tests that use it prove the whole path: controller
 * interrupt, decoder, ring, kbd_read_event / mouse_read_event.
 */
#include <dev/input.h>
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/printk.h>
#include <core/x86.h>
#include <dev/coninput.h>
#include <dev/kbd.h>
#include <dev/mouse.h>
#include <dev/ps2.h>

CMDLINE_PARAM(kbd_echo, "kbd.echo", CMDLINE_FLAG, 0, 0,
              "log every key press after boot (kbd: 'a', kbd: <up>); for tests");
CMDLINE_PARAM(mouse_echo, "mouse.echo", CMDLINE_FLAG, 0, 0,
              "log every mouse packet after boot (mouse: dx=1 dy=2 buttons=left); for tests");

int input_init(void)
{
    int err;

    coninput_init();            /* serial's receive interrupt is on by now */
    err = ps2_init();

    if (err)
        return err;
    return kbd_present() || mouse_present() ? 0 : -ENODEV;
}

void input_echo_loop(void)
{
    const struct cmdline *cl = cmdline_boot();
    bool keys = cmdline_has(cl, "kbd.echo"), moves = cmdline_has(cl, "mouse.echo");
    struct kbd_event kev;
    struct mouse_event mev;
    char text[64];

    if (keys && !kbd_present()) {
        pr_warn("input: kbd.echo: there is no keyboard");
        keys = false;
    }
    if (moves && !mouse_present()) {
        pr_warn("input: mouse.echo: there is no mouse");
        moves = false;
    }
    if (!keys && !moves)
        return;
    pr_info("input: echoing %s", keys && moves ? "keys and mouse events"
                                          : keys ? "keys" : "mouse events");
    for (;;) {
        uint64_t flags = irq_save();
        int k = keys ? kbd_read_event(&kev) : -EAGAIN;
        int m = moves ? mouse_read_event(&mev) : -EAGAIN;

        if (k != 0 && m != 0) {
            /* nothing waiting: sleep until the next interrupt (sti; hlt cannot miss it) */
            cpu_idle();
            continue;
        }
        irq_restore(flags);
        if (k == 0 && kbd_scan_describe(&kev, text, sizeof(text)) > 0)
            pr_info("kbd: %s", text);
        if (m == 0) {
            mouse_packet_describe(&mev, text, sizeof(text));
            pr_info("mouse: %s", text);
        }
    }
}
