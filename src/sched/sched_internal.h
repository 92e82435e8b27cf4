/*
 * src/sched/sched_internal.h - what sched.c, thread.c and wait.c share.
 *
 * Part of sched; not for other modules.
 */
#ifndef BASALT_SCHED_INTERNAL_H
#define BASALT_SCHED_INTERNAL_H

#include <sched/thread.h>

/* sched.c */
void sched_fpu_init_area(void *area);
size_t sched_fpu_area_size(void);
void sched_thread_register(struct thread *t);
void sched_thread_unregister(struct thread *t);
void sched_enqueue_new(struct thread *t);
__noreturn void sched_exit_current(void);

/* thread.c */
void thread_free(struct thread *t);

/* switch.asm */
void sched_switch_stacks(uintptr_t *save_rsp, uintptr_t new_rsp);
void sched_thread_entry(void);
void sched_fpu_save(void *area, uint64_t use_xsave);
void sched_fpu_restore(const void *area, uint64_t use_xsave);

#endif
