/*
 * include/core/atomic.h - atomic operations on plain integers and pointers.
 *
 * Part of core. Thin wrappers over the compiler's __atomic builtins, so the
 * memory order is always spelled out at the call site's level of meaning:
 * atomic_load/atomic_store are relaxed, the _acquire/_release forms order
 * the accesses around them, the read-modify-write forms are sequentially
 * consistent. They work on any naturally aligned 1-8 byte object.
 */
#ifndef BASALT_CORE_ATOMIC_H
#define BASALT_CORE_ATOMIC_H

#include <core/compiler.h>

#define atomic_load(p)              __atomic_load_n((p), __ATOMIC_RELAXED)
#define atomic_load_acquire(p)      __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define atomic_store(p, v)          __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define atomic_store_release(p, v)  __atomic_store_n((p), (v), __ATOMIC_RELEASE)
/* Return the value before the operation. */
#define atomic_fetch_add(p, v)      __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_sub(p, v)      __atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_or(p, v)       __atomic_fetch_or((p), (v), __ATOMIC_SEQ_CST)
#define atomic_fetch_and(p, v)      __atomic_fetch_and((p), (v), __ATOMIC_SEQ_CST)
#define atomic_exchange(p, v)       __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
/* Return the value after the operation. */
#define atomic_add_return(p, v)     __atomic_add_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_sub_return(p, v)     __atomic_sub_fetch((p), (v), __ATOMIC_SEQ_CST)
#define atomic_inc(p)               ((void)__atomic_add_fetch((p), 1, __ATOMIC_SEQ_CST))
#define atomic_dec(p)               ((void)__atomic_sub_fetch((p), 1, __ATOMIC_SEQ_CST))
/* true (and *p = desired) when *p held *expected; else *expected = *p. */
#define atomic_cmpxchg(p, expected, desired)                                     \
    __atomic_compare_exchange_n((p), (expected), (desired), false,               \
                                __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)
#define atomic_fence()              __atomic_thread_fence(__ATOMIC_SEQ_CST)

#endif
