/*
 * src/core/printk.c - the kernel log (see include/core/printk.h).
 *
 * Part of core. Each call formats one line into a stack buffer, appends it
 * to a 64 KiB ring (kept whatever the level, for a later dmesg) and, when
 * the level passes the threshold, writes it to the consoles. A console
 * registered late can replay the ring (printk_replay).
 *
 * Locking: the log lock (log_owner below), taken with interrupts off,
 * guards the ring, line_open, lines_cut and the console writes, so lines
 * from several CPUs never interleave. It is the innermost lock of the
 * kernel: any code may print while holding any other lock, and nothing is
 * taken under it except the consoles' own device access. A panic breaks it.
 */
#include <core/printk.h>
#include <core/console.h>
#include <core/cpu.h>
#include <core/panic.h>
#include <core/format.h>
#include <core/string.h>
#include <core/tsc.h>
#include <core/x86.h>

#define PRINTK_LINE_MAX     512
#define PRINTK_RING_SIZE    65536       /* power of two */

static int log_threshold = LOG_INFO;    /* console threshold: one word, read without the lock */
static bool line_open;                  /* [log] the consoles' last byte was not '\n' (a prompt) */
static uint64_t lines_cut;              /* [log] times a log line had to start a new line */
static char ring[PRINTK_RING_SIZE];     /* [log] */
static uint64_t ring_head;              /* [log] total bytes ever written */

static void ring_append(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ring[(ring_head + i) & (PRINTK_RING_SIZE - 1)] = s[i];
    ring_head += n;
}

/* A log line starts at column 0: below a waiting prompt, not after it. */
static void start_line(void)
{
    if (line_open) {
        console_write("\n", 1);
        line_open = false;
        lines_cut++;
    }
}

/*
 * The log lock [log]: one CPU writes a line at a time, so lines from
 * several CPUs never interleave. It is a bare atomic owner word, not a
 * core spinlock, because lock debugging itself prints. It is re-entered by its
 * owner (an exception while printing prints too), and broken once a panic
 * is in progress (the owner may have been stopped by the panic's NMI).
 * Taken with interrupts off.
 */
static int log_owner = -1;             /* CPU index holding the lock, or -1 */

static bool log_lock(void)
{
    int me = (int)this_cpu()->index, none = -1;

    if (__atomic_load_n(&log_owner, __ATOMIC_ACQUIRE) == me)
        return false;                   /* nested: already ours */
    while (!__atomic_compare_exchange_n(&log_owner, &none, me, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
        if (panic_in_progress())
            return false;               /* the holder may be stopped for good */
        none = -1;
        cpu_relax();
    }
    return true;
}

static void log_unlock(bool taken)
{
    if (taken)
        __atomic_store_n(&log_owner, -1, __ATOMIC_RELEASE);
}

static const char *level_colour(int level)
{
    if (level <= LOG_ERR)
        return ANSI_BOLD ANSI_RED;
    if (level == LOG_WARNING)
        return ANSI_YELLOW;
    if (level == LOG_DEBUG)
        return ANSI_GREY;
    return NULL;
}

void vprintk(int level, const char *fmt, va_list ap)
{
    char line[PRINTK_LINE_MAX];
    uint64_t ns = tsc_ns_since_boot();
    size_t n, prefix;
    uint64_t flags;

    n = (size_t)snprintf(line, sizeof(line), "[%5llu.%06llu] ",
                         (unsigned long long)(ns / 1000000000ull),
                         (unsigned long long)(ns % 1000000000ull / 1000));
    prefix = n;
    n += (size_t)vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (n > sizeof(line) - 2)
        n = sizeof(line) - 2;           /* truncated: keep room for '\n' */
    if (n == 0 || line[n - 1] != '\n')
        line[n++] = '\n';
    line[n] = '\0';

    flags = irq_save();
    bool taken = log_lock();
    ring_append(line, n);
    if (level <= log_threshold) {
        const char *colour = level_colour(level);
        start_line();
        line_open = false;
        if (colour) {
            console_write(line, prefix);
            console_write(colour, strlen(colour));
            console_write(line + prefix, n - prefix - 1);
            console_write(ANSI_RESET "\n", sizeof(ANSI_RESET));
        } else {
            console_write(line, n);
        }
    }
    log_unlock(taken);
    irq_restore(flags);
}

void printk(int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(level, fmt, ap);
    va_end(ap);
}

void printk_raw(const char *fmt, ...)
{
    char buf[PRINTK_LINE_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    uint64_t flags = irq_save();
    bool taken = log_lock();
    ring_append(buf, (size_t)n);
    start_line();
    console_write(buf, (size_t)n);
    if (n > 0)
        line_open = buf[n - 1] != '\n';
    log_unlock(taken);
    irq_restore(flags);
}

void printk_write(const char *s, size_t n)
{
    uint64_t flags = irq_save();
    bool taken = log_lock();

    console_write(s, n);
    if (n > 0)
        line_open = s[n - 1] != '\n';
    log_unlock(taken);
    irq_restore(flags);
}

uint64_t printk_lines_cut(void)
{
    return READ_ONCE(lines_cut);
}

size_t printk_write_screens(const char *s, size_t n)
{
    uint64_t flags = irq_save();
    size_t count = console_write_screens(s, n);

    irq_restore(flags);
    return count;
}

void printk_set_level(int level)
{
    if (level < LOG_EMERG)
        level = LOG_EMERG;
    if (level > LOG_DEBUG)
        level = LOG_DEBUG;
    log_threshold = level;
}

int printk_get_level(void)
{
    return log_threshold;
}

size_t printk_ring_read(char *buf, size_t n)
{
    uint64_t flags = irq_save();
    uint64_t avail = ring_head < PRINTK_RING_SIZE ? ring_head : PRINTK_RING_SIZE;
    uint64_t start = ring_head - avail;

    if (n > avail)
        n = avail;
    /* the newest n bytes would cut lines; hand out the oldest ones kept */
    for (size_t i = 0; i < n; i++)
        buf[i] = ring[(start + i) & (PRINTK_RING_SIZE - 1)];
    irq_restore(flags);
    return n;
}

void printk_replay(struct console *con)
{
    uint64_t flags = irq_save();
    uint64_t avail = ring_head < PRINTK_RING_SIZE ? ring_head : PRINTK_RING_SIZE;
    uint64_t start = ring_head - avail;
    uint64_t pos = start & (PRINTK_RING_SIZE - 1);

    if (pos + avail <= PRINTK_RING_SIZE) {
        con->write(con, &ring[pos], avail);
    } else {
        con->write(con, &ring[pos], PRINTK_RING_SIZE - pos);
        con->write(con, ring, avail - (PRINTK_RING_SIZE - pos));
    }
    irq_restore(flags);
}
