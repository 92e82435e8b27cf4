/*
 * src/dev/tests/fbcon_bench.c - framebuffer console benchmarks, run with `ktest=bench.*`.
 *
 * Part of dev's ktests (KTEST_MANUAL: never in a plain `ktest` run). They
 * time the "fb" console (dev/fbcon) through its write, exactly as printk
 * drives it, one line per write: filling a cleared screen with text,
 * scrolling a full screen of text off the top, and printing a screenful of
 * log lines at the bottom (every line scrolls). Lines are full width, so
 * every pixel row of the text area carries ink: the worst case for
 * scrolling. Figures go to docs/benchmarks.md; they are reported, never
 * judged. Without a framebuffer console (BIOS boot) they report that and
 * pass, so `ktest=bench.*` runs everywhere.
 */
#include <core/console.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/printk.h>
#include <core/string.h>
#include <core/x86.h>
#include <dev/fbcon.h>
#include <mm/kmalloc.h>

#define BENCH_SCREENS   5
#define LINE_MAX        1024    /* longer lines are cut (a 8 KiB-wide screen) */
#define LOG_MAX         16384   /* bytes of the log replayed */

struct bench_screen {
    struct console *con;
    unsigned cols, rows;
    char line[LINE_MAX + 2];    /* one full-width line of text, then "\n" */
    size_t len;                 /* characters in line, without the "\n" */
};

static struct bench_screen bs;

/* Finds the framebuffer console; skips the benchmark when this boot has none. */
static void bench_setup(void)
{
    bs.con = console_find("fb");
    if (!bs.con)
        KT_SKIP("no framebuffer console (a BIOS boot, or no framebuffer from the loader)");
    fbcon_size(&bs.cols, &bs.rows);
    bs.len = MIN((size_t)bs.cols, (size_t)LINE_MAX);
    for (size_t i = 0; i < bs.len; i++)
        bs.line[i] = (char)('!' + i % 94);          /* printable ASCII, every glyph inked */
    bs.line[bs.len] = '\n';
}

static void put(const char *s, size_t n)
{
    bs.con->write(bs.con, s, n);
}

static void clear_home(void)
{
    put("\033[0m\033[2J\033[H", 11);
}

/* Rows of full-width text from the top, the cursor left on the last row (no scroll). */
static void fill_screen(void)
{
    for (unsigned r = 0; r < bs.rows; r++)
        put(bs.line, r + 1 < bs.rows ? bs.len + 1 : bs.len);
}

/* BENCH_SCREENS rounds of prepare (not timed) then timed; reports the time per round. */
static void run(const char *what, void (*prepare)(void), void (*timed)(void))
{
    char buf[128];
    uint64_t ns = 0;

    for (int i = 0; i < BENCH_SCREENS; i++) {
        prepare();
        uint64_t t = rdtsc();
        timed();
        ns += ktest_bench_ns_since(t);
    }
    snprintf(buf, sizeof(buf), "fbcon %ux%u cells: %s (per screen)", bs.cols, bs.rows, what);
    ktest_bench_report(buf, ns, BENCH_SCREENS);
    clear_home();
}

KTEST_F(bench, fbcon_write_screen, KTEST_MANUAL)
{
    bench_setup();
    run("write a screenful of text, one line per write", clear_home, fill_screen);
}

static void full_screen(void)
{
    clear_home();
    fill_screen();
}

static void feed_rows(void)
{
    for (unsigned r = 0; r < bs.rows; r++)
        put("\n", 1);
}

KTEST_F(bench, fbcon_scroll_screen, KTEST_MANUAL)
{
    bench_setup();
    run("scroll a screenful of text off, one newline per write", full_screen, feed_rows);
}

/* A full screen, the cursor at the start of a blank last row: every line printed scrolls. */
static void full_screen_at_bottom(void)
{
    full_screen();
    put("\n", 1);
}

static void print_rows(void)
{
    for (unsigned r = 0; r < bs.rows; r++)
        put(bs.line, bs.len + 1);       /* as printk writes a line: text and "\n" */
}

KTEST_F(bench, fbcon_log_lines, KTEST_MANUAL)
{
    bench_setup();
    run("print a screenful of lines at the bottom, each scrolling", full_screen_at_bottom,
        print_rows);
}

static struct {
    char *text;
    size_t len, pos;            /* the next line starts at text + pos */
} logr;

/* The next bs.rows lines of the log, one per write, from its start again as needed. */
static void replay_rows(void)
{
    for (unsigned r = 0; r < bs.rows; r++) {
        const char *nl = memchr(logr.text + logr.pos, '\n', logr.len - logr.pos);
        size_t len = nl ? (size_t)(nl - (logr.text + logr.pos)) + 1 : logr.len - logr.pos;

        put(logr.text + logr.pos, len);
        logr.pos += len;
        if (logr.pos >= logr.len)
            logr.pos = 0;
    }
}

/* A screenful of the log first: from then on every line scrolls. */
static void log_at_bottom(void)
{
    clear_home();
    replay_rows();
}

KTEST_F(bench, fbcon_log_replay, KTEST_MANUAL)
{
    bench_setup();
    logr.text = kmalloc(LOG_MAX);
    KT_ASSERT_NOT_NULL(logr.text);
    logr.len = printk_ring_read(logr.text, LOG_MAX);
    logr.pos = 0;
    if (logr.len > 0)
        run("replay the kernel log at the bottom, one line per write", log_at_bottom, replay_rows);
    kfree(logr.text);
    KT_EXPECT_GT(logr.len, 0u);
}
