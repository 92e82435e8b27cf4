/*
 * include/dev/pit.h - the 8254 programmable interval timer, channel 0.
 *
 * Part of dev. The PIT is the timer of last resort: when the firmware
 * describes no HPET it drives the clock, and it is what tests use to prove
 * that an ISA interrupt (IRQ 0, GSI 2 on PCs) travels through the I/O APIC.
 * (Channel 2 is core/tsc's, for TSC calibration.)
 *
 * Context: thread context, one user at a time (no lock; today only the
 * irq ktests use channel 0); each call programs the chip with interrupts
 * off on the calling CPU. Never sleeps.
 */
#ifndef BASALT_DEV_PIT_H
#define BASALT_DEV_PIT_H

#include <core/compiler.h>

#define PIT_HZ 1193182u

/* Channel 0 as a rate generator at hz (19..1193182). Returns 0 or -EINVAL. */
int pit_start_periodic(unsigned hz);

/* Channel 0 stopped (one-shot mode, never reloaded). */
void pit_stop(void);

#endif
