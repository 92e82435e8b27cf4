/*
 * src/sched/sched_internal.h - what the scheduler's files (sched.c,
 * sched_timeout.c, sched_threads.c, sched_dump.c), thread.c and wait.c share.
 *
 * Part of sched; not for other modules.
 */
#ifndef BASALT_SCHED_INTERNAL_H
#define BASALT_SCHED_INTERNAL_H

#include <sched/thread.h>

/* sched.c */
void sched_fpu_init_area(void *area);
size_t sched_fpu_area_size(void);
void sched_enqueue_new(struct thread *t);
__noreturn void sched_exit_current(void);

/* sched_timeout.c */

/*
 * Fires the timeouts due at now (sched_tick, interrupts off, no lock held).
 * A trylock: when another CPU's tick (or an arm) holds timeouts_lock, this
 * tick leaves the list to the next one.
 */
void sched_timeouts_tick(uint64_t now);

/* sched_threads.c */

/* Adds t to / removes t from the registry. Any context; takes threads_lock. */
void sched_thread_register(struct thread *t);
void sched_thread_unregister(struct thread *t);

/*
 * The first registered thread (then ->all_next), read without threads_lock:
 * only for the task dump, which runs from panic with the other CPUs stopped.
 */
struct thread *sched_threads_first_unlocked(void);

/* thread.c */
void thread_free(struct thread *t);

/* switch.asm */
void sched_switch_stacks(uintptr_t *save_rsp, uintptr_t new_rsp);
void sched_thread_entry(void);
void sched_fpu_save(void *area, uint64_t use_xsave);
void sched_fpu_restore(const void *area, uint64_t use_xsave);

#endif
