/*
 * include/dev/kbd.h - the PS/2 keyboard: key events and characters.
 *
 * Part of dev. dev/ps2 probes the keyboard on port 1 (reset, scan code set
 * 2, which the controller translates to set 1, LEDs off, scanning on) and
 * then routes its bytes here in interrupt context. The interrupt handler
 * decodes them (dev/kbd_scan: key codes, modifiers, US layout characters),
 * keeps the Caps/Num/Scroll Lock LEDs in step, and puts each key event in
 * a 128-event lock-free ring (core/input_ring): the handler is the only
 * producer, the reader the only consumer. A full ring drops new events
 * (counted, see kbd_dropped).
 *
 * kbd_read_event and kbd_getc consume the same ring: kbd_getc skips the
 * events that type no character. Neither blocks: each queued event wakes
 * the console reader (dev/coninput, coninput_kick), which is how a thread
 * sleeps until a key comes; other callers poll.
 *
 * Locking: one consumer at a time (callers serialise); any context with or
 * without interrupts, the interrupt handler excepted.
 */
#ifndef BASALT_DEV_KBD_H
#define BASALT_DEV_KBD_H

#include <core/compiler.h>
#include <dev/kbd_scan.h>

/*
 * Takes the oldest key event (press, repeat or release) into *ev. Returns 0,
 * -EAGAIN when none is waiting, or -ENODEV when there is no keyboard.
 */
int kbd_read_event(struct kbd_event *ev);

/*
 * Takes the next typed character (0x01..0xff; see dev/kbd_scan.h for the
 * US layout, Shift, Caps Lock and Ctrl rules), discarding releases and the
 * key events that type nothing (arrows, modifiers, function keys). Returns
 * the character, -EAGAIN when none is waiting, or -ENODEV when there is no
 * keyboard.
 */
int kbd_getc(void);

/* True when a keyboard was found and its interrupt is attached. */
bool kbd_present(void);

/* Events dropped because the ring was full. */
uint32_t kbd_dropped(void);

/*
 * For dev/ps2 only. kbd_ps2_probe resets and sets up the keyboard on port
 * (polled; its interrupt still off) and returns 0, or -ENODEV when no
 * keyboard answers (logged). kbd_ps2_start then attaches the interrupt
 * handler and returns 0 or the error of ps2_port_attach (logged).
 * Context: boot thread, from ps2_init.
 */
int kbd_ps2_probe(unsigned port);
int kbd_ps2_start(unsigned port);

#endif
