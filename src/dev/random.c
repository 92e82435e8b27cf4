/*
 * src/dev/random.c - the kernel entropy source: registered hardware
 * generators, then RDRAND; and the `random N` shell command.
 *
 * Part of dev; contracts in include/dev/random.h.
 */
#include <core/errno.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/string.h>
#include <core/x86.h>
#include <dev/random.h>
#include <mm/kmalloc.h>
#include <sched/sync.h>

#define RDRAND_RETRIES      10      /* Intel's advice for a transient underflow */
#define RANDOM_SHELL_MAX    4096

static struct mutex random_lock = MUTEX_INIT("random_lock");
static struct random_source *random_sources;   /* [random_lock] newest first */

int random_register_source(struct random_source *src)
{
    if (!src || !src->name || !src->read)
        return -EINVAL;
    mutex_lock(&random_lock);
    src->next = random_sources;
    random_sources = src;
    mutex_unlock(&random_lock);
    pr_info("random: entropy source %s", src->name);
    return 0;
}

static int rdrand_fill(uint8_t *buf, size_t n)
{
    while (n) {
        uint64_t v;
        size_t take = n < sizeof(v) ? n : sizeof(v);
        unsigned tries = 0;

        while (!x86_rdrand64(&v))
            if (++tries == RDRAND_RETRIES)
                return -EIO;
        memcpy(buf, &v, take);
        buf += take;
        n -= take;
    }
    return 0;
}

int random_get_bytes(void *buf, size_t n, const char **source)
{
    struct random_source *src;
    int err = -ENODEV;
    const char *name = NULL;

    if (n == 0)
        return 0;
    mutex_lock(&random_lock);
    for (src = random_sources; src; src = src->next) {
        if (src->retired)
            continue;
        name = src->name;
        err = src->read(src, buf, n);
        if (err != -ETIMEDOUT && err != -ENODEV)
            break;
        src->retired = true;
        pr_err("random: entropy source %s failed (%s); no longer used", src->name,
               errno_name(err));
        name = NULL;
        err = -ENODEV;
    }
    if (!src && x86_has_rdrand()) {
        name = "rdrand";
        err = rdrand_fill(buf, n);
    }
    mutex_unlock(&random_lock);
    if (source)
        *source = name;
    return err;
}

static int cmd_random(int argc, char **argv)
{
    const char *source = NULL;
    uint8_t *buf;
    uint64_t n;
    int err;

    if (argc != 2)
        return SHELL_USAGE;
    if ((err = shell_parse_u64("random", "byte count", argv[1], 1, RANDOM_SHELL_MAX, &n)))
        return err;
    buf = kmalloc(n);
    if (!buf) {
        shell_error("random: no memory for %llu bytes", (unsigned long long)n);
        return -ENOMEM;
    }
    err = random_get_bytes(buf, n, &source);
    if (err == -ENODEV) {
        shell_error("random: no entropy source (no virtio-rng device and no RDRAND)");
        goto out;
    }
    if (err) {
        shell_error("random: %s failed (%s)", source, errno_name(err));
        goto out;
    }
    for (uint64_t i = 0; i < n; i++)
        shell_printf("%02x%s", buf[i], (i % 32 == 31 || i + 1 == n) ? "\n" : "");
    shell_printf("(%llu bytes from %s)\n", (unsigned long long)n, source);
out:
    kfree(buf);
    return err;
}
SHELL_COMMAND("random", "N", "print N random bytes (1..4096) in hex from the entropy source",
              cmd_random);
