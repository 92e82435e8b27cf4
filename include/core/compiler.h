/*
 * include/core/compiler.h - compiler attributes and small generic macros.
 *
 * Part of core; included everywhere. Pure: also compiles on the host for
 * the unit tests in test/unit.
 */
#ifndef BASALT_CORE_COMPILER_H
#define BASALT_CORE_COMPILER_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define __packed            __attribute__((packed))
#define __aligned(x)        __attribute__((aligned(x)))
#define __noreturn          __attribute__((noreturn))
#define __used              __attribute__((used))
#define __unused            __attribute__((unused))
#define __section(s)        __attribute__((section(s)))
#define __printf_like(f, a) __attribute__((format(printf, f, a)))
#define __noinline          __attribute__((noinline))
#ifndef __always_inline            /* glibc defines it too (host unit tests) */
#define __always_inline     inline __attribute__((always_inline))
#endif
#define fallthrough         __attribute__((fallthrough))

#define likely(x)           __builtin_expect(!!(x), 1)
#define unlikely(x)         __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)       (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Round to a power-of-two boundary. */
#define ALIGN_DOWN(x, a)    ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a)      ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a)    (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define MIN(a, b)           ((a) < (b) ? (a) : (b))
#define MAX(a, b)           ((a) > (b) ? (a) : (b))

#define STRINGIFY_(x)       #x
#define STRINGIFY(x)        STRINGIFY_(x)

/* Compiler barrier: no memory access moves across it. */
#define barrier()           __asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x)        (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v)    (*(volatile __typeof__(x) *)&(x) = (v))

#endif
