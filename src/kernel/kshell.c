/*
 * src/kernel/kshell.c - the interactive kernel shell: prompt, input, the
 * cmd= boot list (see include/kernel/kshell.h).
 *
 * Part of the kernel executable. The text work is pure and lives
 * elsewhere: kernel/lineedit (keys, editing, history) and core/shell_parse
 * (command lists, words); running a command is core/shell's. What is here
 * is the glue to the machine: waiting for console input (dev/coninput),
 * redrawing the prompt when a log line pushed it up, Tab completion (of
 * command names, and of paths from the VFS's directories), and the
 * commands given on the kernel command line.
 */
#include <kernel/kshell.h>
#include <core/cmdline.h>
#include <core/console.h>
#include <core/printk.h>
#include <core/shell.h>
#include <core/shell_parse.h>
#include <core/string.h>
#include <core/time.h>
#include <dev/coninput.h>
#include <fs/vfs.h>
#include <kernel/lineedit.h>
#include <mm/kmalloc.h>

CMDLINE_PARAM(shell_cmd, "cmd", CMDLINE_STRING, 0, 0,
              "shell commands to run after boot, ';'-separated: cmd='mem; test irq.*; poweroff'");
CMDLINE_PARAM(shell_off, "shell.off", CMDLINE_FLAG, 0, 0,
              "no shell after boot: the boot CPU idles");

#define SHELL_PROMPT        ANSI_BOLD ANSI_GREEN "basalt>" ANSI_RESET " "
#define SHELL_MAX_COMMANDS  128     /* for completion */
#define SHELL_MAX_PATHS     256     /* names offered when completing a path */
#define DIRENT_BUF          4096
#define CLEAR_SCREEN        "\033[2J\033[H"
/* How long the shell sleeps before it looks whether a log line pushed the prompt up. */
#define REDRAW_CHECK_NS     (50ull * 1000 * 1000)

_Static_assert(LINEEDIT_MAX <= SHELL_EXECUTE_MAX, "a typed line must fit shell_execute");

static struct lineedit editor;
static struct lineedit_decoder serial_decoder;
static uint64_t cuts_seen;          /* printk_lines_cut() when the prompt was last intact */

/*
 * The commands of cmd=: each kept in the history (so the up arrow brings
 * it back), echoed after a prompt, and run. The list may be longer than a
 * typed line (shell_execute's limit), hence a copy of its own.
 */
static void run_boot_list(const char *list)
{
    size_t len = strlen(list);
    char *copy = kmalloc(len + 1), *cursor = copy, *cmd;

    if (!copy) {
        shell_error("shell: out of memory for the %zu-byte cmd= list", len);
        return;
    }
    memcpy(copy, list, len + 1);
    while ((cmd = shell_next_command(&cursor)) != NULL) {
        lineedit_history_add(&editor, cmd);
        shell_printf("%s%s\n", SHELL_PROMPT, cmd);
        shell_run_command(cmd);
    }
    kfree(copy);
}

static void editor_write(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    shell_write(s, n);
}

/*
 * The next key from the serial port or the keyboard, whichever has one.
 * Sleeps on the console wait queue (dev/coninput), which the serial
 * receive and keyboard interrupts wake; every REDRAW_CHECK_NS it wakes by
 * itself to draw the prompt again if a log line pushed it up meanwhile.
 */
static int next_key(void)
{
    struct coninput_event ev;
    int key;

    for (;;) {
        /* a log line pushed the prompt up: draw it again below */
        if (printk_lines_cut() != cuts_seen) {
            cuts_seen = printk_lines_cut();
            lineedit_redraw(&editor);
        }
        if (coninput_wait(&ev, time_ns() + REDRAW_CHECK_NS) != 0)
            continue;
        if (ev.source == CONINPUT_SERIAL)
            key = lineedit_decode(&serial_decoder, ev.byte);
        else
            key = lineedit_key_from_kbd(&ev.key);
        if (key != LINEEDIT_KEY_NONE)
            return key;
    }
}

/*
 * Offers the completion of prefix among names[0..n): inserts what they
 * all share; when that is nothing, lists them under the line. One match
 * gets end ("/" after a directory, " " after anything else) unless the
 * line already goes on with it.
 */
static void offer(const char *prefix, const char *const *names, size_t n, const char *end)
{
    const char *line = lineedit_line(&editor);
    char ext[LINEEDIT_MAX + 1];
    size_t matches = shell_complete(prefix, names, n, ext, sizeof(ext)), plen = strlen(prefix);

    if (matches == 1) {
        lineedit_insert(&editor, ext);
        if (line[lineedit_cursor(&editor)] != end[0])
            lineedit_insert(&editor, end);
    } else if (matches > 1 && ext[0]) {
        lineedit_insert(&editor, ext);
    } else if (matches > 1) {
        shell_write("\n", 1);
        for (size_t i = 0; i < n; i++)
            if (strncmp(names[i], prefix, plen) == 0)
                shell_printf("%s  ", names[i]);
        shell_write("\n", 1);
        lineedit_redraw(&editor);
    }
}

/*
 * Tab in an argument: completes the path word under the cursor from its
 * directory's entries (dot files only when the name typed starts with a
 * dot; at most SHELL_MAX_PATHS names are offered). A directory without
 * entries to offer, or no file system yet, completes nothing.
 */
static void complete_path(size_t word)
{
    const char *line = lineedit_line(&editor);
    size_t cursor = lineedit_cursor(&editor), slash = word, n = 0, len;
    struct vfs_ctx *ctx = vfs_kernel_ctx();
    char dir[LINEEDIT_MAX + 2], prefix[LINEEDIT_MAX + 1];
    char *buf = NULL, *names[SHELL_MAX_PATHS];
    struct file *f = NULL;
    struct linux_stat st;
    ssize_t got;

    if (!ctx)
        return;
    for (size_t i = word; i < cursor; i++)
        if (line[i] == '/')
            slash = i + 1;
    /* the directory part as typed ("" is the working directory), the name's start */
    memcpy(dir, line + word, slash - word);
    dir[slash - word] = '\0';
    memcpy(prefix, line + slash, cursor - slash);
    prefix[cursor - slash] = '\0';
    len = cursor - slash;
    if (vfs_open(ctx, NULL, dir[0] ? dir : ".", O_RDONLY | O_DIRECTORY, 0, &f) != 0)
        return;
    if (!(buf = kmalloc(DIRENT_BUF)))
        goto out;
    while (n < SHELL_MAX_PATHS && (got = vfs_getdents(f, buf, DIRENT_BUF)) > 0) {
        for (size_t off = 0; off < (size_t)got && n < SHELL_MAX_PATHS;) {
            const struct linux_dirent64 *d = (const void *)(buf + off);
            size_t nl = strlen(d->d_name);
            if (d->d_reclen == 0)
                goto done;
            off += d->d_reclen;
            if (strncmp(d->d_name, prefix, len) != 0 || strcmp(d->d_name, ".") == 0 ||
                strcmp(d->d_name, "..") == 0 || (d->d_name[0] == '.' && prefix[0] != '.'))
                continue;
            if (!(names[n] = kmalloc(nl + 1)))
                goto done;
            memcpy(names[n++], d->d_name, nl + 1);
        }
    }
done:
    /* listed in name order (at most SHELL_MAX_PATHS: an insertion sort will do) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    if (n == 1) {
        /* one name: a directory gets its slash (the word so far plus the name, stat'ed) */
        size_t dl = strlen(dir);
        if (dl + strlen(names[0]) < sizeof(dir)) {
            strlcpy(dir + dl, names[0], sizeof(dir) - dl);
            offer(prefix, (const char *const *)names, n,
                  vfs_stat(ctx, NULL, dir, &st, 0) == 0 && S_ISDIR(st.st_mode) ? "/" : " ");
        }
    } else {
        offer(prefix, (const char *const *)names, n, " ");
    }
    for (size_t i = 0; i < n; i++)
        kfree(names[i]);
out:
    kfree(buf);
    file_put(f);
}

/* Tab: completes the command name (first word) or the path (later words) under the cursor. */
static void complete_word(void)
{
    static const char *names[SHELL_MAX_COMMANDS];
    const char *line = lineedit_line(&editor);
    size_t cursor = lineedit_cursor(&editor), n = 0, count, word = 0, cmd = 0;
    const struct shell_command *all = shell_commands(&count);
    char prefix[LINEEDIT_MAX + 1];

    /* the word under the cursor starts after the last blank or ';' before it,
     * its command after the last ';' and the blanks that follow */
    for (size_t i = 0; i < cursor; i++) {
        if (line[i] == ' ' || line[i] == '\t' || line[i] == ';')
            word = i + 1;
        if (line[i] == ';')
            cmd = i + 1;
    }
    while (cmd < cursor && (line[cmd] == ' ' || line[cmd] == '\t'))
        cmd++;
    if (word > cmd) {
        complete_path(word);
        return;
    }
    memcpy(prefix, line + word, cursor - word);
    prefix[cursor - word] = '\0';
    for (size_t i = 0; i < count && n < SHELL_MAX_COMMANDS; i++)
        names[n++] = all[i].name;
    offer(prefix, names, n, " ");
}

/* Reads and runs one line from the keyboard or serial. */
static void read_and_run(void)
{
    lineedit_start(&editor, SHELL_PROMPT);
    cuts_seen = printk_lines_cut();
    for (;;) {
        switch (lineedit_key(&editor, next_key())) {
        case LINEEDIT_DONE:
            shell_execute(lineedit_line(&editor));     /* at most LINEEDIT_MAX bytes */
            return;
        case LINEEDIT_CANCELLED:
            return;
        case LINEEDIT_COMPLETE:
            complete_word();
            break;
        case LINEEDIT_CLEAR:
            shell_write(CLEAR_SCREEN, sizeof(CLEAR_SCREEN) - 1);
            lineedit_redraw(&editor);
            break;
        case LINEEDIT_CONTINUE:
            break;
        }
    }
}

void kshell_run(void *arg)
{
    const char *boot_list = cmdline_value(cmdline_boot(), "cmd");
    size_t count;

    (void)arg;
    shell_check_commands();
    lineedit_init(&editor, editor_write, NULL);
    lineedit_decoder_init(&serial_decoder);
    if (boot_list)
        run_boot_list(boot_list);
    shell_commands(&count);
    shell_printf("%sbasalt shell:%s %zu commands; 'help' lists them\n", ANSI_BOLD, ANSI_RESET,
                 count);
    for (;;)
        read_and_run();
}
