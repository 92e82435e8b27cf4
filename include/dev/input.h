/*
 * include/dev/input.h - input devices: bring-up and the echo for tests.
 *
 * Part of dev. input_init brings up the PS/2 controller with its keyboard
 * and mouse (dev/ps2, dev/kbd, dev/mouse); more input devices (USB HID)
 * join here later.
 *
 * Kernel parameters:
 *   kbd.echo    log each key press as "kbd: 'a'", "kbd: ^C", "kbd: <up>"
 *               (dev/kbd_scan's kbd_scan_describe)
 *   mouse.echo  log each mouse packet as "mouse: dx=10 dy=-5 buttons=left"
 * They let a test drive the machine through the QEMU monitor (sendkey,
 * mouse_move, mouse_button) and read the result on serial.
 */
#ifndef BASALT_DEV_INPUT_H
#define BASALT_DEV_INPUT_H

#include <core/compiler.h>

/*
 * Brings up the input devices, logging what it finds and what is missing
 * ("ps2: no controller ..."); never fails the boot. Returns 0 when some
 * input device works, -ENODEV when there is none. Context: boot thread,
 * once, after the interrupt controllers are up (it requests IRQs 1 and 12)
 * and after serial_enable_rx_irq (it sets up console input, dev/coninput).
 */
int input_init(void);

/*
 * With kbd.echo or mouse.echo on the command line, logs the events of the
 * devices asked for, forever, reading them through kbd_read_event and
 * mouse_read_event and halting with interrupts on while none is waiting;
 * otherwise returns at once. Context: the boot thread once boot is done
 * (it stands in for the input consumer the scheduler will run later).
 */
void input_echo_loop(void);

#endif
