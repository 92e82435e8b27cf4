/*
 * src/dev/tests/random_ktests.c - ktests of dev/random: a source that
 * reports itself gone is retired (once) and the next one, or RDRAND, or
 * -ENODEV, answers instead of a hang or a repeated failure; `random N`
 * refuses bad byte counts.
 *
 * Part of dev's ktests. The fake source stays registered (there is no
 * unregister), retired, so later readers skip it.
 */
#include <core/errno.h>
#include <core/ktest.h>
#include <core/shell.h>
#include <core/string.h>
#include <dev/random.h>

static unsigned dead_reads;

static int dead_read(struct random_source *src, void *buf, size_t n)
{
    (void)src;
    (void)buf;
    (void)n;
    dead_reads++;
    return -ETIMEDOUT;      /* as virtio-rng does when a request is lost */
}

static struct random_source dead_source = { .name = "ktest-dead", .read = dead_read };

KTEST(random, timed_out_source_is_retired)
{
    uint8_t buf[16];
    const char *src = NULL;
    int err;

    if (!dead_source.retired)   /* the shell's `test` may run this again */
        KT_ASSERT_EQ(random_register_source(&dead_source), 0);
    for (int i = 0; i < 2; i++) {
        err = random_get_bytes(buf, sizeof(buf), &src);
        KT_EXPECT_EQ(dead_reads, 1u);          /* asked once, then skipped */
        KT_EXPECT_TRUE(dead_source.retired);
        if (err == 0) {
            KT_ASSERT_NOT_NULL(src);
            KT_EXPECT_NE(strcmp(src, "ktest-dead"), 0);
        } else {
            KT_EXPECT_EQ(err, -ENODEV);        /* no device left and no RDRAND */
            KT_EXPECT_TRUE(src == NULL);
        }
    }
}

/* `random N` refuses what is not a byte count in 1..4096, with the range and the usage. */
KTEST(random, shell_refuses_bad_counts)
{
    static const char *const bad[] = { "random 0", "random 4097", "random many" };
    char out[256];

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        KT_EXPECT_EQ(shell_execute_captured(bad[i], out, sizeof(out)), SHELL_USAGE);
        KT_EXPECT_HAS(out, "is not a byte count (1..4096)");
        KT_EXPECT_HAS(out, "usage: random N");
    }
}
