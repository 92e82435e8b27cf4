/*
 * src/kernel/tests/shell_ktests.c - in-kernel tests of the shell's commands.
 *
 * Part of the kernel executable's ktests: the commands come from every
 * subsystem (core, mm, sched, dev) and the screen is read back through
 * dev's consoles, so these test the whole system. Lines go through
 * shell_execute with the shell's output captured (shell_execute_captured),
 * so the tests see exactly what a user would and the consoles stay quiet. Parsing and line editing are tested
 * on the host (test/unit/test_shell_parse.c, test_lineedit.c); typing at
 * the prompt over serial and PS/2 is tested end to end by the shell.*
 * ctest tests.
 */
#include <core/ktest.h>
#include <core/multiboot2.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/string.h>
#include <core/time.h>
#include <dev/fbcon.h>
#include <dev/vgatext.h>

#define OUT_SIZE    4096

static char out[OUT_SIZE];

/* Runs line with the output captured into out; returns the line's result. */
static int run(const char *line)
{
    return shell_execute_captured(line, out, sizeof(out));
}

#define EXPECT_OUT_HAS(text)    KT_EXPECT_HAS(out, text)

KTEST(shell, builtin_commands_are_registered)
{
    static const char *const required[] = {
        "help", "echo", "clear", "mem", "heap", "ps", "cpus", "irqs", "uptime", "log",
        "test", "write-framebuffer", "sleep", "reboot", "poweroff",
    };
    size_t n;
    const struct shell_command *all = shell_commands(&n);

    for (size_t i = 0; i < ARRAY_SIZE(required); i++)
        KT_EXPECT_TRUE(shell_find(required[i]) != NULL);
    for (size_t i = 0; i < n; i++) {
        KT_EXPECT_TRUE(all[i].name && all[i].name[0]);
        KT_EXPECT_TRUE(all[i].usage != NULL);
        KT_EXPECT_TRUE(all[i].help && all[i].help[0]);
        KT_EXPECT_TRUE(all[i].fn != NULL);
        for (size_t j = i + 1; j < n; j++)
            KT_EXPECT_TRUE(strcmp(all[i].name, all[j].name) != 0);
    }
}

KTEST(shell, help_lists_every_command)
{
    size_t n;
    const struct shell_command *all = shell_commands(&n);

    KT_ASSERT_EQ(run("help"), 0);
    for (size_t i = 0; i < n; i++)
        EXPECT_OUT_HAS(all[i].name);
    KT_ASSERT_EQ(run("help sleep"), 0);
    EXPECT_OUT_HAS("usage: sleep MS");
    KT_EXPECT_EQ(run("help frobnicate"), -ENOENT);
}

KTEST(shell, echo_joins_words_and_removes_quotes)
{
    KT_ASSERT_EQ(run("echo a 'b  c' \"d;e\" f\\ g"), 0);
    KT_EXPECT_STREQ(out, "a b  c d;e f g\n");
    KT_ASSERT_EQ(run("echo"), 0);
    KT_EXPECT_STREQ(out, "\n");
}

KTEST(shell, semicolons_separate_commands)
{
    KT_ASSERT_EQ(run("echo one; echo two;; echo 'three; four'  ;"), 0);
    KT_EXPECT_STREQ(out, "one\ntwo\nthree; four\n");
    KT_EXPECT_EQ(run("   "), 0);
    KT_EXPECT_STREQ(out, "");
}

KTEST(shell, unknown_command_and_bad_lines_are_reported)
{
    KT_EXPECT_EQ(run("frobnicate now"), -ENOENT);
    EXPECT_OUT_HAS("shell: unknown command 'frobnicate' (try 'help')");
    KT_EXPECT_EQ(run("echo 'open"), -EINVAL);
    EXPECT_OUT_HAS("unterminated ' quote");
    /* the second command still runs after the first failed */
    KT_EXPECT_EQ(run("frobnicate; echo after"), 0);
    EXPECT_OUT_HAS("after\n");
}

KTEST(shell, bad_arguments_print_the_usage)
{
    KT_EXPECT_EQ(run("sleep"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: sleep MS");
    KT_EXPECT_EQ(run("sleep soon"), SHELL_USAGE);
    EXPECT_OUT_HAS("sleep: 'soon' is not a number of milliseconds");
    EXPECT_OUT_HAS("usage: sleep MS");
    KT_EXPECT_EQ(run("log loud"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: log [LEVEL]");
    KT_EXPECT_EQ(run("mem extra"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: mem\n");
}

KTEST(shell, sleep_waits)
{
    uint64_t start = time_ns();

    KT_ASSERT_EQ(run("sleep 20"), 0);
    KT_EXPECT_GE(time_ns() - start, 20000000ull);
    EXPECT_OUT_HAS("slept 20 ms");
}

KTEST(shell, log_sets_the_level)
{
    int before = printk_get_level();

    KT_EXPECT_EQ(run("log debug"), 0);
    KT_EXPECT_EQ(printk_get_level(), LOG_DEBUG);
    KT_EXPECT_EQ(run("log 3"), 0);
    KT_EXPECT_EQ(printk_get_level(), LOG_ERR);
    KT_EXPECT_EQ(run("log WARN"), 0);
    KT_EXPECT_EQ(printk_get_level(), LOG_WARNING);
    EXPECT_OUT_HAS("log level 4 (warning)");
    printk_set_level(before);
}

KTEST(shell, status_commands_run)
{
    KT_EXPECT_EQ(run("mem"), 0);
    EXPECT_OUT_HAS("free");
    KT_EXPECT_EQ(run("heap"), 0);
    EXPECT_OUT_HAS("kmalloc-16");
    KT_EXPECT_EQ(run("cpus"), 0);
    EXPECT_OUT_HAS("boot CPU");
    KT_EXPECT_EQ(run("ps"), 0);
    EXPECT_OUT_HAS("THREAD");
    EXPECT_OUT_HAS("kmain");
    EXPECT_OUT_HAS("idle");
    KT_EXPECT_EQ(run("irqs"), 0);
    EXPECT_OUT_HAS("tick");
    EXPECT_OUT_HAS("com1");
    EXPECT_OUT_HAS("spurious: ");
    KT_EXPECT_EQ(run("uptime"), 0);
    EXPECT_OUT_HAS("up ");
}

/* The text reaches the screen (read back from it); the shell only reports that. */
KTEST(shell, write_framebuffer_draws_on_the_screen)
{
    static const char text[] = "XyZZy 42";
    unsigned cols = 0, rows = 0;
    bool fb;

    if (mb2_boot_info()->efi && !mb2_boot_info()->has_framebuffer)
        KT_SKIP("no screen console: the UEFI loader handed over no framebuffer");
    vgatext_size(&cols, &rows);
    fb = cols == 0;
    if (fb)
        fbcon_size(&cols, &rows);
    KT_ASSERT_GT(cols, 0u);     /* BIOS (VGA text) or a framebuffer: a screen console */
    printk_write_screens("\033[0m\033[2J\033[H", 11);
    KT_ASSERT_EQ(run("write-framebuffer XyZZy 42"), 0);
    EXPECT_OUT_HAS("write-framebuffer: drawn on 1 screen console");
    KT_EXPECT_TRUE(strstr(out, "XyZZy") == NULL);
    for (unsigned i = 0; i < sizeof(text) - 1; i++) {
        if (fb)
            KT_EXPECT_EQ(fbcon_cell_mismatches(0, i, (uint8_t)text[i], 7, 0), 0);
        else
            KT_EXPECT_EQ(vgatext_cell_at(0, i) & 0xff, (int)(uint8_t)text[i]);
    }
    printk_write_screens("\033[2J\033[H", 7);
}

/* A log line while a prompt waits goes below it, and the cut is counted for the redraw. */
KTEST(shell, log_lines_start_below_a_waiting_prompt)
{
    uint64_t before = printk_lines_cut();

    printk_write("ktest-prompt> ", 14);
    pr_info("ktest: this log line starts on a line of its own");
    KT_EXPECT_EQ(printk_lines_cut(), before + 1);
    pr_info("ktest: and so does this one, without another cut");
    KT_EXPECT_EQ(printk_lines_cut(), before + 1);
}
