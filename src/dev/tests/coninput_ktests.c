/*
 * src/dev/tests/coninput_ktests.c - in-kernel tests of console input.
 *
 * Part of dev's ktests. A reader thread pinned to CPU 0 (serial's rule)
 * waits in coninput_wait with a far deadline; the test checks that it
 * sleeps on the console wait queue (ps shows it blocked on "console
 * input"), then delivers input and checks that it woke with the event long
 * before its deadline: only the interrupt handlers' wake-ups can do that.
 *
 * coninput.*: a key injected through the i8042 (ps2_inject, IRQ 1, as in
 * ps2_ktests.c), and the deadline alone. coninput_typed.* is KTEST_MANUAL:
 * it needs a byte typed on the serial port after its prompt line, which
 * the ctest entry input.coninput_serial sends (basalt_qemu.py --send-after).
 */
#include <core/errno.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/time.h>
#include <core/x86.h>
#include <dev/coninput.h>
#include <dev/kbd.h>
#include <dev/ps2.h>
#include <sched/sched.h>
#include <sched/thread.h>

#define MS                  (1000ull * 1000)
#define READER_DEADLINE_NS  (10000 * MS)    /* what a broken wake-up would wait for */
#define WOKE_WITHIN_NS      (2000 * MS)
#define BLOCKED_WITHIN_NS   (1000 * MS)

struct reader {
    struct coninput_event ev;
    int rc;
    uint64_t woke_ns;
};

static void *reader_main(void *arg)
{
    struct reader *r = arg;

    r->rc = coninput_wait(&r->ev, time_ns() + READER_DEADLINE_NS);
    r->woke_ns = time_ns();
    return NULL;
}

/* True once the thread named name sleeps on the console wait queue (bounded wait). */
static bool sleeps_on_console_input(const char *name)
{
    static struct sched_thread_info threads[128];
    uint64_t end = time_ns() + BLOCKED_WITHIN_NS;

    do {
        size_t n = sched_list_threads(threads, ARRAY_SIZE(threads));
        for (size_t i = 0; i < n; i++)
            if (strcmp(threads[i].name, name) == 0 && threads[i].wait_reason &&
                strcmp(threads[i].wait_reason, "console input") == 0)
                return true;
        time_sleep_ns(MS);
    } while (time_ns() < end);
    return false;
}

/* Empties both sources, so the reader finds nothing queued. */
static void drain(void)
{
    struct coninput_event ev;

    time_sleep_ns(20 * MS);         /* answers to LED updates of earlier tests */
    while (coninput_read(&ev) == 0)
        ;
}

KTEST(coninput, key_wakes_a_sleeping_reader)
{
    static const uint8_t a[] = { 0x1E, 0x9E };     /* 'a' pressed, released (set 1) */
    struct reader r = { .rc = 1 };
    struct coninput_event ev;
    struct thread *t;
    uint64_t sent;

    KT_ASSERT_TRUE(kbd_present());
    drain();
    t = thread_create("kt-coninput", reader_main, &r, THREAD_CPU(0));
    KT_ASSERT_TRUE(t != NULL);
    KT_EXPECT_TRUE(sleeps_on_console_input("kt-coninput"));
    sent = time_ns();
    for (size_t i = 0; i < sizeof(a); i++) {
        uint64_t flags = irq_save();
        KT_EXPECT_EQ(ps2_inject(PS2_PORT1, a[i]), 0);
        irq_restore(flags);
        time_sleep_ns(MS);
    }
    KT_ASSERT_EQ(thread_join(t, NULL), 0);
    KT_EXPECT_EQ(r.rc, 0);
    KT_EXPECT_LT(r.woke_ns - sent, WOKE_WITHIN_NS);
    KT_EXPECT_TRUE(r.ev.source == CONINPUT_KBD);
    KT_EXPECT_EQ(r.ev.key.key, KBD_KEY_A);
    KT_EXPECT_TRUE(r.ev.key.pressed);
    /* the release follows, then nothing */
    time_sleep_ns(10 * MS);
    KT_ASSERT_EQ(coninput_read(&ev), 0);
    KT_EXPECT_TRUE(ev.source == CONINPUT_KBD);
    KT_EXPECT_EQ(ev.key.key, KBD_KEY_A);
    KT_EXPECT_FALSE(ev.key.pressed);
    KT_EXPECT_EQ(coninput_read(&ev), -EAGAIN);
}

KTEST(coninput, wait_ends_at_the_deadline)
{
    struct coninput_event ev;
    uint64_t start;

    drain();
    start = time_ns();
    KT_EXPECT_EQ(coninput_wait(&ev, start + 20 * MS), -ETIMEDOUT);
    KT_EXPECT_GE(time_ns() - start, 20 * MS);
    KT_EXPECT_LT(time_ns() - start, 500 * MS);
    /* a deadline already passed: a look, no sleep */
    KT_EXPECT_EQ(coninput_wait(&ev, 0), -ETIMEDOUT);
}

/* Serial: the receive interrupt's hook must wake the reader (needs a byte typed after the line). */
KTEST_F(coninput_typed, serial_byte_wakes_a_sleeping_reader, KTEST_MANUAL)
{
    struct reader r = { .rc = 1 };
    struct thread *t;
    uint64_t asked;

    drain();
    t = thread_create("kt-conserial", reader_main, &r, THREAD_CPU(0));
    KT_ASSERT_TRUE(t != NULL);
    KT_EXPECT_TRUE(sleeps_on_console_input("kt-conserial"));
    asked = time_ns();
    pr_info("ktest: coninput: waiting for serial input");
    KT_ASSERT_EQ(thread_join(t, NULL), 0);
    KT_EXPECT_EQ(r.rc, 0);
    KT_EXPECT_LT(r.woke_ns - asked, WOKE_WITHIN_NS);
    KT_EXPECT_TRUE(r.ev.source == CONINPUT_SERIAL);
    KT_EXPECT_EQ(r.ev.byte, 'x');
}
