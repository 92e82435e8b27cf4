/*
 * include/dev/mouse.h - the PS/2 mouse: movement and button events.
 *
 * Part of dev. dev/ps2 probes the mouse on port 2 (reset, defaults: 100
 * samples/s, 4 counts/mm, stream mode; data reporting on) and then routes
 * its bytes here in interrupt context. The handler decodes the 3-byte
 * packets (dev/mouse_packet: sync-bit checks and resynchronisation, 9-bit
 * deltas, overflow, buttons; dy > 0 is down) and puts one event per packet
 * in a 128-event lock-free ring (core/input_ring), of which the handler is
 * the only producer and the reader the only consumer. A full ring drops new
 * events (counted, see mouse_dropped).
 *
 * Locking: one consumer at a time (callers serialise); any context with or
 * without interrupts, the interrupt handler excepted.
 */
#ifndef BASALT_DEV_MOUSE_H
#define BASALT_DEV_MOUSE_H

#include <core/compiler.h>
#include <dev/mouse_packet.h>

/*
 * Takes the oldest mouse event into *ev. Returns 0, -EAGAIN when none is
 * waiting, or -ENODEV when there is no mouse.
 */
int mouse_read_event(struct mouse_event *ev);

/* True when a mouse was found and its interrupt is attached. */
bool mouse_present(void);

/* Events dropped because the ring was full. */
uint32_t mouse_dropped(void);

/* Bytes or partial packets dropped to regain packet sync. */
uint32_t mouse_resyncs(void);

/*
 * For dev/ps2 only. mouse_ps2_probe resets and sets up the mouse on port
 * (polled; its interrupt still off) and returns 0, or -ENODEV when no
 * mouse answers (logged). mouse_ps2_start then attaches the interrupt
 * handler and returns 0 or the error of ps2_port_attach (logged).
 * Context: boot thread, from ps2_init.
 */
int mouse_ps2_probe(unsigned port);
int mouse_ps2_start(unsigned port);

#endif
