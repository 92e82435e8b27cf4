/*
 * test/unit/unit.h - common include for the host unit test programs.
 *
 * Includes the C library and cmocka, then every kernel header under test
 * with the libc-named kernel functions renamed to k_* (see host_rename.h:
 * after this header, memcpy is glibc's and k_memcpy the kernel's), and
 * provides two helpers: known-bug markers and running code in a child
 * process (for inputs that make the kernel code trip a sanitizer, which
 * aborts the whole process).
 */
#ifndef BASALT_UNIT_H
#define BASALT_UNIT_H

#define _GNU_SOURCE             /* strerrorname_np */

/* The C library first: its declarations keep the plain names. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>
/* Not <errno.h>: core/errno.h defines the same E* names (ENOTSUP differently spelt). */

#include <cmocka.h>

/*
 * glibc's <sys/cdefs.h> defines __always_inline too; core/compiler.h
 * defines it unconditionally, and a differing redefinition is an error
 * under -Werror. The kernel's definition is the one that matters here.
 */
#undef __always_inline

#include "host_rename.h"
#include <core/compiler.h>
#include <core/string.h>
#include <core/format.h>
#include <core/errno.h>
#include <core/cmdline.h>
#include <core/multiboot2.h>
#include <kernel/initargs.h>
#include <kernel/lineedit.h>
#include <core/shell_parse.h>
#include <dev/ansi.h>
#include <core/input_ring.h>
#include <dev/kbd_scan.h>
#include <dev/mouse_packet.h>
#define BASALT_HOST_UNRENAME
#include "host_rename.h"

/*
 * Runs fn(arg) in a forked child, whose sanitizer abort (or crash) then
 * cannot take the rest of the test program down. The child is killed
 * after timeout_s seconds. Returns true when it exited normally with 0.
 */
static inline bool run_in_child(void (*fn)(void *), void *arg, unsigned timeout_s)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        print_error("fork failed\n");
        return false;
    }
    if (pid == 0) {
        alarm(timeout_s);
        fn(arg);
        _exit(0);               /* no atexit handlers: LeakSanitizer runs in the parent */
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    if (WIFSIGNALED(status))
        print_error("child died with signal %d\n", WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        print_error("child exited with status %d\n", WEXITSTATUS(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * A deterministic random source for model tests: xorshift64*, seeded by
 * each test (rng_state = seed) so every run draws the same numbers.
 */
static uint64_t rng_state __attribute__((unused));

static inline uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static inline uint64_t rnd_below(uint64_t n)
{
    return rnd() % n;
}

#endif
