/*
 * src/fs/fs_cmds.c - the shell's file commands: mount, umount, ls, cat,
 * write, mkdir, rm, rmdir, mv, ln, stat, df, sync, hexdump, cd, pwd.
 *
 * Part of fs, above the VFS (include/fs/vfs.h), registered with
 * SHELL_COMMAND (include/core/shell.h). Every command works in
 * vfs_kernel_ctx(): the kernel's root, working directory and root
 * credentials, as a root shell on Linux does; `cd` changes that working
 * directory for the shell, the boot code and everything else using the
 * kernel context. Output follows the Linux tool each command is named
 * after (ls -l, coreutils stat, df -k, hexdump -C, /proc/mounts lines). A
 * failed operation prints one line naming the command, the path and the
 * errno ("mkdir: /a/b: ENOENT") and the command carries on with its next
 * operand; its result is that errno (-EIO for -EINVAL, which the shell
 * would take for bad usage).
 *
 * `mount DEV` without a PATH mounts on "/" and moves the context's root
 * and working directory onto the new file system (Linux's switch_root
 * without the chroot dance); `umount /` undoes it.
 *
 * Locking: none of its own; the VFS locks what it touches. The kernel
 * context's root and cwd are changed unlocked, as vfs_chdir does: one
 * user at a time (the shell after boot). The commands run in the calling
 * thread and may sleep. Tested by the fs_cmds.* ktests
 * (src/fs/tests/fs_cmds_ktests.c) and the shell.files, shell.mount_vda and
 * fs_cmds.ktest_vda ctests.
 */
#include <core/calendar.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/shell.h>
#include <core/string.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>

#define IO_SIZE         4096            /* bytes per read/getdents/write round */
#define DUMP_WIDTH      16              /* bytes per hexdump line */
#define HALF_YEAR_SECS  15778476        /* ls -l: older (or future) mtimes show the year */

/* ---- helpers shared by the commands ------------------------------------------------ */

/* The kernel's context, or NULL after saying there is no file system yet. */
static struct vfs_ctx *cmd_ctx(const char *cmd)
{
    struct vfs_ctx *ctx = vfs_kernel_ctx();

    if (!ctx)
        shell_error("%s: no root file system is mounted", cmd);
    return ctx;
}

/* An errno as a command result: never -EINVAL, which makes the shell print the usage. */
static int cmd_result(int err)
{
    return err == SHELL_USAGE ? -EIO : err;
}

/* Says "CMD: PATH: ENAME" and returns the command's result for err. */
static int cmd_fail(const char *cmd, const char *path, int err)
{
    shell_error("%s: %s: %s", cmd, path, errno_name(err));
    return cmd_result(err);
}

static int cmd_no_memory(const char *cmd)
{
    shell_error("%s: out of memory", cmd);
    return -ENOMEM;
}

/* Letters given as options: bit (c - 'A'); values of options that take one. */
struct cmd_opts {
    uint64_t set;
    const char *arg['z' - 'A' + 1];
};
#define OPT(c)          (1ull << ((c) - 'A'))
#define OPT_ARG(o, c)   ((o)->arg[(c) - 'A'])

/*
 * Parses the options in argv[1..*argc) against spec ("an:": letters, a ':'
 * after one that takes a value, "-n16" or "-n 16"). Options may stand
 * anywhere among the operands; "--" ends them; "-" alone is an operand.
 * The operands are moved to argv[1..*argc) in their order (argv[*argc] is
 * NULL). Returns 0, or SHELL_USAGE after an error line.
 */
static int cmd_opts_parse(int *argc, char **argv, const char *spec, struct cmd_opts *o)
{
    int n = 1;
    bool done = false;

    memset(o, 0, sizeof(*o));
    for (int i = 1; i < *argc; i++) {
        char *w = argv[i];
        if (done || w[0] != '-' || w[1] == '\0') {
            argv[n++] = w;
            continue;
        }
        if (strcmp(w, "--") == 0) {
            done = true;
            continue;
        }
        for (char *c = w + 1; *c; c++) {
            const char *s = *c >= 'A' && *c <= 'z' ? strchr(spec, *c) : NULL;
            if (!s) {
                shell_error("%s: unknown option -%c", argv[0], *c);
                return SHELL_USAGE;
            }
            o->set |= OPT(*c);
            if (s[1] != ':')
                continue;
            if (c[1]) {
                o->arg[*c - 'A'] = c + 1;
            } else if (i + 1 < *argc) {
                o->arg[*c - 'A'] = argv[++i];
            } else {
                shell_error("%s: option -%c needs a value", argv[0], *c);
                return SHELL_USAGE;
            }
            break;
        }
    }
    argv[n] = NULL;
    *argc = n;
    return 0;
}

/*
 * dir + "/" + name in a new kmalloc'd string (no doubled slash) into *out.
 * Returns 0, -ENAMETOOLONG (PATH_MAX) or -ENOMEM.
 */
static int path_join(const char *dir, const char *name, char **out)
{
    size_t dl = strlen(dir), nl = strlen(name);
    bool slash = dl > 0 && dir[dl - 1] != '/';
    char *p;

    *out = NULL;
    if (dl + slash + nl + 1 > PATH_MAX)
        return -ENAMETOOLONG;
    p = kmalloc(dl + slash + nl + 1);
    if (!p)
        return -ENOMEM;
    memcpy(p, dir, dl);
    if (slash)
        p[dl] = '/';
    memcpy(p + dl + slash, name, nl + 1);
    *out = p;
    return 0;
}

/* The last component of path into buf (trailing slashes dropped; "/" stays "/"). */
static void path_basename(const char *path, char *buf, size_t size)
{
    size_t end = strlen(path), start;

    while (end > 1 && path[end - 1] == '/')
        end--;
    start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (start == end && end > 0)
        start = end - 1;                /* "/" */
    snprintf(buf, size, "%.*s", (int)(end - start), path + start);
}

/* ls -l's ten-character mode string ("drwxr-xr-x"); out has room for 11. */
static void mode_string(uint32_t mode, char *out)
{
    static const char rwx[] = "rwxrwxrwx";
    char type;

    switch (mode & S_IFMT) {
    case S_IFREG:  type = '-'; break;
    case S_IFDIR:  type = 'd'; break;
    case S_IFLNK:  type = 'l'; break;
    case S_IFCHR:  type = 'c'; break;
    case S_IFBLK:  type = 'b'; break;
    case S_IFIFO:  type = 'p'; break;
    case S_IFSOCK: type = 's'; break;
    default:       type = '?'; break;
    }
    out[0] = type;
    for (int i = 0; i < 9; i++)
        out[1 + i] = mode & (0400u >> i) ? rwx[i] : '-';
    if (mode & S_ISUID)
        out[3] = mode & S_IXUSR ? 's' : 'S';
    if (mode & S_ISGID)
        out[6] = mode & 0010 ? 's' : 'S';
    if (mode & S_ISVTX)
        out[9] = mode & 0001 ? 't' : 'T';
    out[10] = '\0';
}

/* Major and minor of a device number in the Linux user encoding (linux_makedev). */
static uint32_t dev_major(uint64_t dev)
{
    return (uint32_t)(((dev >> 8) & 0xfffu) | ((dev >> 32) & ~0xfffull));
}

static uint32_t dev_minor(uint64_t dev)
{
    return (uint32_t)((dev & 0xffu) | ((dev >> 12) & ~0xffull));
}

/* stat's name of a file type ("regular empty file", "directory", ...). */
static const char *type_name(const struct linux_stat *st)
{
    switch (st->st_mode & S_IFMT) {
    case S_IFREG:  return st->st_size == 0 ? "regular empty file" : "regular file";
    case S_IFDIR:  return "directory";
    case S_IFLNK:  return "symbolic link";
    case S_IFCHR:  return "character special file";
    case S_IFBLK:  return "block special file";
    case S_IFIFO:  return "fifo";
    case S_IFSOCK: return "socket";
    default:       return "weird file";
    }
}

static const char *const month_abbr[12] = {
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Moves names[i] down the max-heap names[0..n) to where it belongs. */
static void sift_down(char **names, size_t i, size_t n)
{
    for (;;) {
        size_t c = 2 * i + 1;
        char *t;
        if (c >= n)
            return;
        if (c + 1 < n && strcmp(names[c + 1], names[c]) > 0)
            c++;
        if (strcmp(names[c], names[i]) <= 0)
            return;
        t = names[c];
        names[c] = names[i];
        names[i] = t;
        i = c;
    }
}

/* Sorts names[0..n) by strcmp (ls's C-locale order): a heap sort, no recursion. */
static void sort_names(char **names, size_t n)
{
    for (size_t i = n / 2; i-- > 0;)
        sift_down(names, i, n);
    for (size_t end = n; end-- > 1;) {
        char *t = names[0];
        names[0] = names[end];
        names[end] = t;
        sift_down(names, 0, end);
    }
}

/* ---- pwd, cd ----------------------------------------------------------------------- */

static int cmd_pwd(int argc, char **argv)
{
    struct vfs_ctx *ctx;
    char *buf;
    ssize_t n;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("pwd")))
        return -ENODEV;
    if (!(buf = kmalloc(PATH_MAX)))
        return cmd_no_memory("pwd");
    n = vfs_getcwd(ctx, buf, PATH_MAX);
    if (n < 0) {
        shell_error("pwd: %s", errno_name((int)n));
        kfree(buf);
        return cmd_result((int)n);
    }
    shell_printf("%s\n", buf);
    kfree(buf);
    return 0;
}
SHELL_COMMAND("pwd", "", "print the working directory", cmd_pwd);

static int cmd_cd(int argc, char **argv)
{
    struct vfs_ctx *ctx;
    const char *dir = argc > 1 ? argv[1] : "/";
    int err;

    if (argc > 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("cd")))
        return -ENODEV;
    err = vfs_chdir(ctx, dir);
    return err ? cmd_fail("cd", dir, err) : 0;
}
SHELL_COMMAND("cd", "[DIR]", "change the working directory (to / without DIR)", cmd_cd);

/* ---- ls ------------------------------------------------------------------------------ */

struct ls_entry {
    const char *name;
    struct linux_stat st;
    bool have_st;               /* -l: st is valid (a failed stat prints ? fields) */
    char target[128];           /* -l: a symlink's target, cut to fit */
};

/* Column widths of an ls -l listing. */
struct ls_widths {
    int links, uid, gid, size;
};

/* The size column: bytes, or "MAJOR, MINOR" for a device file. */
static void ls_size(const struct linux_stat *st, char *buf, size_t size)
{
    if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
        snprintf(buf, size, "%u, %u", dev_major(st->st_rdev), dev_minor(st->st_rdev));
    else
        snprintf(buf, size, "%lld", (long long)st->st_size);
}

static int num_width(uint64_t v)
{
    int w = 1;

    while (v >= 10) {
        v /= 10;
        w++;
    }
    return w;
}

static void ls_widen(struct ls_widths *w, const struct linux_stat *st)
{
    char size[32];

    ls_size(st, size, sizeof(size));
    w->links = MAX(w->links, num_width(st->st_nlink));
    w->uid = MAX(w->uid, num_width(st->st_uid));
    w->gid = MAX(w->gid, num_width(st->st_gid));
    w->size = MAX(w->size, (int)strlen(size));
}

/* ls -l's date: "Dec  2 15:47" within half a year of now, else "Dec  2  2025". */
static void ls_date(int64_t t, char *buf, size_t size)
{
    int64_t now = vfs_now().tv_sec;
    struct calendar_tm tm;

    if (calendar_from_unix(t, &tm) != 0) {
        snprintf(buf, size, "%12s", "?");
        return;
    }
    if (t > now - HALF_YEAR_SECS && t <= now)
        snprintf(buf, size, "%s %2d %02d:%02d", month_abbr[tm.month - 1], tm.day, tm.hour,
                 tm.minute);
    else
        snprintf(buf, size, "%s %2d  %4d", month_abbr[tm.month - 1], tm.day, tm.year);
}

static void ls_print_long(const struct ls_entry *e, const struct ls_widths *w)
{
    char mode[11], size[32], date[24];

    if (!e->have_st) {
        shell_printf("?????????? %*s %-*s %-*s %*s %12s %s\n", w->links, "?", w->uid, "?",
                     w->gid, "?", w->size, "?", "?", e->name);
        return;
    }
    mode_string(e->st.st_mode, mode);
    ls_size(&e->st, size, sizeof(size));
    ls_date((int64_t)e->st.st_mtime_sec, date, sizeof(date));
    shell_printf("%s %*llu %-*u %-*u %*s %s %s%s%s\n", mode, w->links,
                 (unsigned long long)e->st.st_nlink, w->uid, e->st.st_uid, w->gid,
                 e->st.st_gid, w->size, size, date, e->name,
                 S_ISLNK(e->st.st_mode) ? " -> " : "", S_ISLNK(e->st.st_mode) ? e->target : "");
}

/* -l: stats name (relative to base) without following it, and reads a symlink's target. */
static void ls_fill(struct vfs_ctx *ctx, const struct path *base, struct ls_entry *e)
{
    ssize_t n;

    e->have_st = vfs_stat(ctx, base, e->name, &e->st, AT_SYMLINK_NOFOLLOW) == 0;
    e->target[0] = '\0';
    if (e->have_st && S_ISLNK(e->st.st_mode)) {
        n = vfs_readlink(ctx, base, e->name, e->target, sizeof(e->target) - 1);
        e->target[n > 0 ? n : 0] = '\0';
    }
}

/*
 * Reads the names in open directory f into a new array *names (each
 * kmalloc'd), leaving out those starting with '.' unless all. Returns the
 * count or -errno; on error nothing is left allocated.
 */
static ssize_t dir_names(struct file *f, bool all, char ***names)
{
    char *buf = kmalloc(IO_SIZE), **v = NULL;
    size_t n = 0, cap = 0;
    ssize_t got, err = 0;

    *names = NULL;
    if (!buf)
        return -ENOMEM;
    while ((got = vfs_getdents(f, buf, IO_SIZE)) > 0) {
        for (size_t off = 0; off < (size_t)got;) {
            const struct linux_dirent64 *d = (const void *)(buf + off);
            off += d->d_reclen;
            if (d->d_reclen == 0) {
                err = -EIO;             /* a malformed record: never loop on it */
                goto out;
            }
            if (d->d_name[0] == '.' && !all)
                continue;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 32;
                char **nv = krealloc(v, ncap * sizeof(*v));
                if (!nv) {
                    err = -ENOMEM;
                    goto out;
                }
                v = nv;
                cap = ncap;
            }
            size_t len = strlen(d->d_name);
            if (!(v[n] = kmalloc(len + 1))) {
                err = -ENOMEM;
                goto out;
            }
            memcpy(v[n++], d->d_name, len + 1);
        }
    }
    if (got < 0)
        err = got;
out:
    kfree(buf);
    if (err) {
        for (size_t i = 0; i < n; i++)
            kfree(v[i]);
        kfree(v);
        return err;
    }
    *names = v;
    return (ssize_t)n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        kfree(names[i]);
    kfree(names);
}

/* Lists directory path (header first when asked). Returns 0 or the command's result. */
static int ls_dir(struct vfs_ctx *ctx, const char *path, bool all, bool lng, bool header)
{
    struct path dir = { 0 };
    struct file *f = NULL;
    struct ls_entry *e = NULL;
    struct ls_widths w = { 1, 1, 1, 1 };
    char **names = NULL;
    ssize_t n = 0;
    uint64_t total = 0;
    int err;

    err = vfs_lookup(ctx, NULL, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &dir);
    if (!err)
        err = vfs_open_path(ctx, &dir, O_RDONLY | O_DIRECTORY, &f);
    if (!err && (n = dir_names(f, all, &names)) < 0)
        err = (int)n;
    if (err) {
        n = 0;
        err = cmd_fail("ls", path, err);
        goto out;
    }
    sort_names(names, (size_t)n);
    if (header)
        shell_printf("%s:\n", path);
    if (!lng) {
        for (ssize_t i = 0; i < n; i++)
            shell_printf("%s\n", names[i]);
        goto out;
    }
    if (n > 0 && !(e = kzalloc((size_t)n * sizeof(*e)))) {
        err = cmd_no_memory("ls");
        goto out;
    }
    for (ssize_t i = 0; i < n; i++) {
        e[i].name = names[i];
        ls_fill(ctx, &dir, &e[i]);
        if (e[i].have_st) {
            ls_widen(&w, &e[i].st);
            total += ((uint64_t)e[i].st.st_blocks + 1) / 2;
        }
    }
    shell_printf("total %llu\n", (unsigned long long)total);
    for (ssize_t i = 0; i < n; i++)
        ls_print_long(&e[i], &w);
out:
    kfree(e);
    free_names(names, (size_t)n);
    if (f)
        file_put(f);
    if (dir.mnt)
        path_put(&dir);
    return err;
}

static int cmd_ls(int argc, char **argv)
{
    static const char *const here[] = { ".", NULL };
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    struct linux_stat st;
    struct ls_widths w = { 1, 1, 1, 1 };
    const char *const *ops;
    int nops, err, rc = 0, files = 0, dirs_done = 0;
    bool lng, all;

    if ((err = cmd_opts_parse(&argc, argv, "la", &o)))
        return err;
    if (!(ctx = cmd_ctx("ls")))
        return -ENODEV;
    lng = o.set & OPT('l');
    all = o.set & OPT('a');
    ops = argc > 1 ? (const char *const *)argv + 1 : here;
    nops = argc > 1 ? argc - 1 : 1;
    /* operands that are not directories first (as ls does), then each directory */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1 && lng && files > 0) {
            /* the files' lines share their widths */
            for (int i = 0; i < nops; i++) {
                struct ls_entry e = { .name = ops[i] };
                ls_fill(ctx, NULL, &e);
                if (e.have_st && !S_ISDIR(e.st.st_mode))
                    ls_widen(&w, &e.st);
            }
            for (int i = 0; i < nops; i++) {
                struct ls_entry e = { .name = ops[i] };
                ls_fill(ctx, NULL, &e);
                if (e.have_st && !S_ISDIR(e.st.st_mode))
                    ls_print_long(&e, &w);
            }
        }
        for (int i = 0; i < nops; i++) {
            /* -l shows a symlink operand itself; without -l ls follows it */
            err = vfs_stat(ctx, NULL, ops[i], &st, lng ? AT_SYMLINK_NOFOLLOW : 0);
            if (pass == 0) {
                if (err)
                    rc = cmd_fail("ls", ops[i], err);
                else if (!S_ISDIR(st.st_mode) && !lng)
                    shell_printf("%s\n", ops[i]);
                if (!err && !S_ISDIR(st.st_mode))
                    files++;
                continue;
            }
            if (err || !S_ISDIR(st.st_mode))
                continue;
            if (files > 0 || dirs_done > 0)
                shell_printf("\n");
            err = ls_dir(ctx, ops[i], all, lng, nops > 1);
            if (err)
                rc = err;
            dirs_done++;
        }
    }
    return rc;
}
SHELL_COMMAND("ls", "[-l] [-a] [PATH...]",
              "list directories (-l: mode, links, uid, gid, size, date; -a: dot files too)",
              cmd_ls);

/* ---- cat, write ---------------------------------------------------------------------- */

static int cmd_cat(int argc, char **argv)
{
    struct vfs_ctx *ctx;
    struct file *f;
    char *buf;
    ssize_t n;
    int err, rc = 0;

    if (argc < 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("cat")))
        return -ENODEV;
    if (!(buf = kmalloc(IO_SIZE)))
        return cmd_no_memory("cat");
    for (int i = 1; i < argc; i++) {
        err = vfs_open(ctx, NULL, argv[i], O_RDONLY, 0, &f);
        if (err) {
            rc = cmd_fail("cat", argv[i], err);
            continue;
        }
        while ((n = vfs_read(f, buf, IO_SIZE)) > 0)
            shell_write(buf, (size_t)n);
        if (n < 0)
            rc = cmd_fail("cat", argv[i], (int)n);
        file_put(f);
    }
    kfree(buf);
    return rc;
}
SHELL_COMMAND("cat", "PATH...", "print files", cmd_cat);

/* Writes all of buf[0..len) to f. 0 or -errno. */
static int write_all(struct file *f, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = vfs_write(f, buf, len);
        if (n < 0)
            return (int)n;
        if (n == 0)
            return -EIO;                /* nothing moved: never spin on it */
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int cmd_write(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    struct file *f;
    char *text;
    size_t len = 0;
    int err, flags;

    if ((err = cmd_opts_parse(&argc, argv, "a", &o)))
        return err;
    if (argc < 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("write")))
        return -ENODEV;
    /* the words joined by single spaces, and a newline as echo ends its line */
    for (int i = 2; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if (!(text = kmalloc(len + 1)))
        return cmd_no_memory("write");
    len = 0;
    for (int i = 2; i < argc; i++) {
        size_t l = strlen(argv[i]);
        memcpy(text + len, argv[i], l);
        len += l;
        text[len++] = i + 1 < argc ? ' ' : '\n';
    }
    flags = O_WRONLY | O_CREAT | (o.set & OPT('a') ? O_APPEND : O_TRUNC);
    err = vfs_open(ctx, NULL, argv[1], flags, 0666, &f);
    if (!err) {
        err = write_all(f, text, len);
        file_put(f);
    }
    kfree(text);
    return err ? cmd_fail("write", argv[1], err) : 0;
}
SHELL_COMMAND("write", "[-a] PATH [TEXT...]",
              "write TEXT and a newline to PATH (created or emptied; -a appends; no TEXT: "
              "an empty file)", cmd_write);

/* ---- mkdir, rmdir, rm ---------------------------------------------------------------- */

/* mkdir -p: makes each missing directory along path. 0 or -errno; *where says which failed. */
static int mkdir_parents(struct vfs_ctx *ctx, char *path, const char **where)
{
    struct linux_stat st;
    size_t len = strlen(path);
    int err;

    *where = path;
    for (size_t i = 1; i <= len; i++) {
        if (i < len && (path[i] != '/' || path[i - 1] == '/'))
            continue;
        char saved = path[i];
        path[i] = '\0';
        err = vfs_mkdir(ctx, NULL, path, 0777);
        if (err == -EEXIST) {
            err = vfs_stat(ctx, NULL, path, &st, 0);
            if (!err && !S_ISDIR(st.st_mode))
                err = -ENOTDIR;
        }
        if (err)
            return err;                 /* path is cut at the component that failed */
        path[i] = saved;
    }
    return 0;
}

static int cmd_mkdir(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    const char *where;
    int err, rc = 0;

    if ((err = cmd_opts_parse(&argc, argv, "p", &o)))
        return err;
    if (argc < 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("mkdir")))
        return -ENODEV;
    for (int i = 1; i < argc; i++) {
        if (o.set & OPT('p'))
            err = mkdir_parents(ctx, argv[i], &where);
        else
            err = vfs_mkdir(ctx, NULL, where = argv[i], 0777);
        if (err)
            rc = cmd_fail("mkdir", where, err);
    }
    return rc;
}
SHELL_COMMAND("mkdir", "[-p] DIR...", "make directories (-p: with their parents, no error "
              "if they exist)", cmd_mkdir);

static int cmd_rmdir(int argc, char **argv)
{
    struct vfs_ctx *ctx;
    int err, rc = 0;

    if (argc < 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("rmdir")))
        return -ENODEV;
    for (int i = 1; i < argc; i++)
        if ((err = vfs_rmdir(ctx, NULL, argv[i])))
            rc = cmd_fail("rmdir", argv[i], err);
    return rc;
}
SHELL_COMMAND("rmdir", "DIR...", "remove empty directories", cmd_rmdir);

/*
 * One round of rm -r in directory path: reads one batch of its entries,
 * unlinks the non-directories among them and names the first
 * subdirectory in *sub (a kmalloc'd name, NULL if none). Returns the
 * number of entries seen (0: the directory is empty) or -errno with *where
 * set to the path that failed (a kmalloc'd copy or NULL for path itself).
 */
static ssize_t rm_round(struct vfs_ctx *ctx, const char *path, char *buf, char **sub,
                        char **where)
{
    struct file *f;
    ssize_t got, seen = 0;
    int err = 0;

    *sub = NULL;
    *where = NULL;
    err = vfs_open(ctx, NULL, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, &f);
    if (err)
        return err;
    /* a batch holding something besides "." and "..", or the end */
    do {
        got = vfs_getdents(f, buf, IO_SIZE);
        for (size_t off = 0; got > 0 && off < (size_t)got;) {
            const struct linux_dirent64 *d = (const void *)(buf + off);
            if (d->d_reclen == 0)
                break;
            off += d->d_reclen;
            if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
                seen++;
        }
    } while (got > 0 && seen == 0);
    file_put(f);
    if (got < 0)
        return got;
    for (size_t off = 0; seen > 0 && off < (size_t)got;) {
        const struct linux_dirent64 *d = (const void *)(buf + off);
        struct linux_stat st;
        char *child;
        if (d->d_reclen == 0)
            return -EIO;
        off += d->d_reclen;
        if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
            continue;
        if ((err = path_join(path, d->d_name, &child)))
            return err;
        err = vfs_stat(ctx, NULL, child, &st, AT_SYMLINK_NOFOLLOW);
        if (!err && S_ISDIR(st.st_mode)) {
            if (!*sub) {
                *sub = child;           /* descend there next */
                continue;
            }
        } else if (!err) {
            err = vfs_unlink(ctx, NULL, child);
        }
        if (err) {
            kfree(*sub);
            *sub = NULL;
            *where = child;
            return err;
        }
        kfree(child);
    }
    return seen;
}

/*
 * rm -r of directory top, without recursion (the stack stays small
 * whatever the depth): empties the deepest directory reached, removes it,
 * goes back up. Every round removes an entry, descends one level (bounded
 * by PATH_MAX) or stops at the first error, so it always ends. Returns 0
 * or the command's result after the error line.
 */
static int rm_tree(struct vfs_ctx *ctx, const char *top)
{
    char *path = NULL, *buf = kmalloc(IO_SIZE), *sub, *where;
    size_t depth = 0, top_len = strlen(top);
    ssize_t seen;
    int err = 0;

    if (!buf || !(path = kmalloc(PATH_MAX)) || top_len >= PATH_MAX) {
        err = top_len >= PATH_MAX ? cmd_fail("rm", top, -ENAMETOOLONG) : cmd_no_memory("rm");
        goto out;
    }
    memcpy(path, top, top_len + 1);
    for (;;) {
        seen = rm_round(ctx, path, buf, &sub, &where);
        if (seen < 0) {
            err = cmd_fail("rm", where ? where : path, (int)seen);
            kfree(where);
            goto out;
        }
        if (sub) {
            if (strlen(sub) >= PATH_MAX) {
                err = cmd_fail("rm", sub, -ENAMETOOLONG);
                kfree(sub);
                goto out;
            }
            strlcpy(path, sub, PATH_MAX);
            kfree(sub);
            depth++;
            continue;
        }
        if (seen > 0)
            continue;                   /* files went: look again */
        if ((err = vfs_rmdir(ctx, NULL, path))) {
            err = cmd_fail("rm", path, err);
            goto out;
        }
        if (depth == 0)
            break;
        /* up: cut the last component (path_join added exactly one '/') */
        *strrchr(path, '/') = '\0';
        if (path[0] == '\0')
            strlcpy(path, "/", PATH_MAX);
        depth--;
    }
out:
    kfree(path);
    kfree(buf);
    return err;
}

static int cmd_rm(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    struct linux_stat st;
    char base[NAME_MAX + 1];
    bool force, recursive;
    int err, rc = 0;

    if ((err = cmd_opts_parse(&argc, argv, "rRf", &o)))
        return err;
    if (argc < 2 && !(o.set & OPT('f')))
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("rm")))
        return -ENODEV;
    force = o.set & OPT('f');
    recursive = o.set & (OPT('r') | OPT('R'));
    for (int i = 1; i < argc; i++) {
        path_basename(argv[i], base, sizeof(base));
        if (strcmp(base, "/") == 0 || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
            shell_error("rm: refusing to remove '%s'", argv[i]);
            rc = -EPERM;
            continue;
        }
        err = vfs_stat(ctx, NULL, argv[i], &st, AT_SYMLINK_NOFOLLOW);
        if (err == -ENOENT && force)
            continue;
        if (!err && S_ISDIR(st.st_mode) && recursive) {
            if ((err = rm_tree(ctx, argv[i])))
                rc = err;               /* reported by rm_tree */
            continue;
        }
        if (!err)
            err = S_ISDIR(st.st_mode) ? -EISDIR : vfs_unlink(ctx, NULL, argv[i]);
        if (err)
            rc = cmd_fail("rm", argv[i], err);
    }
    return rc;
}
SHELL_COMMAND("rm", "[-r] [-f] PATH...", "remove files (-r: directories with all they hold; "
              "-f: missing ones are no error)", cmd_rm);

/* ---- mv, ln -------------------------------------------------------------------------- */

/*
 * The destination for src: dst itself, or dst/basename(src) when dst is a
 * directory (into_dir). Returns 0 with *out (kmalloc'd) or -errno.
 */
static int dest_path(const char *src, const char *dst, bool into_dir, char **out)
{
    char base[NAME_MAX + 1];
    size_t len;

    if (into_dir) {
        path_basename(src, base, sizeof(base));
        return path_join(dst, base, out);
    }
    len = strlen(dst);
    if (!(*out = kmalloc(len + 1)))
        return -ENOMEM;
    memcpy(*out, dst, len + 1);
    return 0;
}

/* Whether path names a directory (following symlinks): the "into DIR" form. */
static bool is_dir(struct vfs_ctx *ctx, const char *path)
{
    struct linux_stat st;

    return vfs_stat(ctx, NULL, path, &st, 0) == 0 && S_ISDIR(st.st_mode);
}

static int cmd_mv(int argc, char **argv)
{
    struct vfs_ctx *ctx;
    struct linux_stat st;
    const char *dst = argv[argc - 1];
    bool into;
    char *to;
    int err, rc = 0;

    if (argc < 3)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("mv")))
        return -ENODEV;
    into = is_dir(ctx, dst);
    if (argc > 3 && !into)
        return cmd_fail("mv", dst, -ENOTDIR);
    for (int i = 1; i < argc - 1; i++) {
        if ((err = vfs_stat(ctx, NULL, argv[i], &st, AT_SYMLINK_NOFOLLOW))) {
            rc = cmd_fail("mv", argv[i], err);
            continue;
        }
        if ((err = dest_path(argv[i], dst, into, &to))) {
            rc = cmd_fail("mv", dst, err);
            continue;
        }
        err = vfs_rename(ctx, NULL, argv[i], NULL, to);
        if (err) {
            shell_error("mv: %s -> %s: %s", argv[i], to, errno_name(err));
            rc = cmd_result(err);
        }
        kfree(to);
    }
    return rc;
}
SHELL_COMMAND("mv", "SRC... DST", "rename SRC to DST, or move SRCs into directory DST", cmd_mv);

static int cmd_ln(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    struct linux_stat st;
    char *to;
    int err;

    if ((err = cmd_opts_parse(&argc, argv, "s", &o)))
        return err;
    if (argc != 3)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("ln")))
        return -ENODEV;
    /* a hard link's target must exist (and is named in the error); a symlink's need not */
    if (!(o.set & OPT('s')) && (err = vfs_stat(ctx, NULL, argv[1], &st, AT_SYMLINK_NOFOLLOW)))
        return cmd_fail("ln", argv[1], err);
    if ((err = dest_path(argv[1], argv[2], is_dir(ctx, argv[2]), &to)))
        return cmd_fail("ln", argv[2], err);
    if (o.set & OPT('s'))
        err = vfs_symlink(ctx, argv[1], NULL, to);
    else
        err = vfs_link(ctx, NULL, argv[1], NULL, to, 0);
    if (err)
        err = cmd_fail("ln", to, err);
    kfree(to);
    return err;
}
SHELL_COMMAND("ln", "[-s] TARGET LINK", "make LINK a hard link to TARGET (-s: a symbolic "
              "link holding TARGET); LINK may be a directory to link into", cmd_ln);

/* ---- stat ---------------------------------------------------------------------------- */

/* "2026-12-02 15:47:16.123456789 +0000" */
static void stat_time(const char *what, uint64_t sec, uint64_t nsec)
{
    struct calendar_tm tm;

    if (calendar_from_unix((int64_t)sec, &tm) != 0) {
        shell_printf("%s: %lld s\n", what, (long long)sec);
        return;
    }
    shell_printf("%s: %04d-%02d-%02d %02d:%02d:%02d.%09llu +0000\n", what, tm.year, tm.month,
                 tm.day, tm.hour, tm.minute, tm.second, (unsigned long long)nsec);
}

/* "    root" for uid/gid 0; the kernel knows no other names (coreutils: UNKNOWN). */
static const char *id_name(uint32_t id)
{
    return id == 0 ? "root" : "UNKNOWN";
}

static int stat_one(struct vfs_ctx *ctx, const char *path, bool follow)
{
    struct linux_stat st;
    char mode[11], target[256];
    ssize_t n;
    int err;

    err = vfs_stat(ctx, NULL, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW);
    if (err)
        return cmd_fail("stat", path, err);
    target[0] = '\0';
    if (S_ISLNK(st.st_mode)) {
        n = vfs_readlink(ctx, NULL, path, target, sizeof(target) - 1);
        target[n > 0 ? n : 0] = '\0';
    }
    mode_string(st.st_mode, mode);
    shell_printf("  File: %s%s%s\n", path, S_ISLNK(st.st_mode) ? " -> " : "", target);
    shell_printf("  Size: %-10lld\tBlocks: %-10lld IO Block: %-6lld %s\n",
                 (long long)st.st_size, (long long)st.st_blocks, (long long)st.st_blksize,
                 type_name(&st));
    if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
        shell_printf("Device: %u,%u\tInode: %-11llu Links: %-5llu Device type: %u,%u\n",
                     dev_major(st.st_dev), dev_minor(st.st_dev),
                     (unsigned long long)st.st_ino, (unsigned long long)st.st_nlink,
                     dev_major(st.st_rdev), dev_minor(st.st_rdev));
    else
        shell_printf("Device: %u,%u\tInode: %-11llu Links: %llu\n", dev_major(st.st_dev),
                     dev_minor(st.st_dev), (unsigned long long)st.st_ino,
                     (unsigned long long)st.st_nlink);
    shell_printf("Access: (%04o/%s)  Uid: (%5u/%8s)   Gid: (%5u/%8s)\n",
                 st.st_mode & S_IALLUGO, mode, st.st_uid, id_name(st.st_uid), st.st_gid,
                 id_name(st.st_gid));
    stat_time("Access", st.st_atime_sec, st.st_atime_nsec);
    stat_time("Modify", st.st_mtime_sec, st.st_mtime_nsec);
    stat_time("Change", st.st_ctime_sec, st.st_ctime_nsec);
    shell_printf(" Birth: -\n");
    return 0;
}

static int cmd_stat(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    int err, rc = 0;

    if ((err = cmd_opts_parse(&argc, argv, "L", &o)))
        return err;
    if (argc < 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("stat")))
        return -ENODEV;
    for (int i = 1; i < argc; i++)
        if ((err = stat_one(ctx, argv[i], o.set & OPT('L'))))
            rc = err;
    return rc;
}
SHELL_COMMAND("stat", "[-L] PATH...", "a file's status as coreutils stat shows it (-L: "
              "follow symlinks)", cmd_stat);

/* ---- mount, umount, df --------------------------------------------------------------- */

/* Writes s with /proc/mounts' octal escapes for blanks and backslashes. */
static void write_escaped(const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            shell_printf("\\%03o", (unsigned)(unsigned char)*s);
        else
            shell_write(s, 1);
    }
}

/*
 * Whether m is reachable from ctx's root (Linux's /proc/mounts shows only
 * those): its chain of parents reaches the root's mount. After `mount
 * vda` the first root and what sits on it (/dev, /proc, ...) are not.
 * vfs_mount_lock held (a vfs_for_each_mount callback).
 */
static bool mount_visible(struct vfs_ctx *ctx, struct mount *m)
{
    for (; m != ctx->root.mnt; m = m->parent)
        if (m->parent == m)
            return false;
    return true;
}

/* One /proc/mounts line: "SOURCE MOUNTPOINT TYPE rw[,OPTIONS] 0 0". */
static void mount_line(struct mount *m, const char *mountpoint, void *arg)
{
    char opts[96];

    if (!mount_visible(arg, m))
        return;
    opts[0] = '\0';
    if (m->sb->ops && m->sb->ops->show_options)
        m->sb->ops->show_options(m->sb, opts, sizeof(opts));
    write_escaped(m->source);
    shell_write(" ", 1);
    write_escaped(mountpoint);
    shell_printf(" %s %s%s%s 0 0\n", m->sb->type->name,
                 (m->flags & MNT_RDONLY) || (m->sb->flags & SB_RDONLY) ? "ro" : "rw",
                 opts[0] ? "," : "", opts);
}

/*
 * After a mount on the kernel context's root directory: the context's
 * root and working directory move to the new file system (as switch_root
 * does on Linux), so "/" is the disk just mounted. Found with the mount
 * lock held (vfs_for_each_mount): the newest mount sitting on the root.
 */
struct root_follow {
    struct path root;           /* the context's root when the mount was made */
    struct path top;            /* the mount on it, referenced; {NULL} if none */
};

static void root_follow_find(struct mount *m, const char *mountpoint, void *arg)
{
    struct root_follow *rf = arg;

    (void)mountpoint;
    if (m == rf->root.mnt || m->parent != rf->root.mnt || m->mountpoint != rf->root.dentry)
        return;
    if (rf->top.mnt)
        path_put(&rf->top);
    rf->top.mnt = m;
    rf->top.dentry = m->root;
    path_get(&rf->top);
}

static void root_follow(struct vfs_ctx *ctx)
{
    struct root_follow rf = { .root = ctx->root };

    vfs_for_each_mount(ctx, root_follow_find, &rf);
    if (!rf.top.mnt)
        return;
    path_put(&ctx->cwd);
    path_put(&ctx->root);
    ctx->root = rf.top;
    ctx->cwd = rf.top;
    path_get(&ctx->cwd);
}

/* The mount below a file system stacked on "/", found under the mount lock. */
struct root_below {
    struct mount *top;
    struct path below;          /* referenced; {NULL} for the first root */
};

static void root_below_find(struct mount *m, const char *mountpoint, void *arg)
{
    struct root_below *rb = arg;

    (void)mountpoint;
    if (m != rb->top || m->parent == m)
        return;
    rb->below.mnt = m->parent;
    rb->below.dentry = m->mountpoint;
    path_get(&rb->below);
}

/*
 * umount of the file system `mount DEV` put on "/" (the context's root is
 * its root): the context's root and working directory go back to the
 * mount point below, the way root_follow came; the unmount then walks
 * "/" in a view of the context that still starts at the old root,
 * borrowing it (no reference: the mount tree keeps it), so only the
 * tree's and the walk's references remain, as vfs_umount requires. If
 * the unmount fails (a file open there: -EBUSY) the context comes back,
 * its working directory at "/". The first root cannot go (-EBUSY).
 */
static int umount_root(struct vfs_ctx *ctx)
{
    struct root_below rb = { .top = ctx->root.mnt };
    struct vfs_ctx view = *ctx;
    int err;

    if (ctx->root.dentry != ctx->root.mnt->root)
        return -EBUSY;                  /* a root inside a file system: not ours */
    vfs_for_each_mount(ctx, root_below_find, &rb);
    if (!rb.below.mnt)
        return -EBUSY;
    view.cwd = view.root;
    path_put(&ctx->cwd);
    path_put(&ctx->root);
    ctx->root = rb.below;
    ctx->cwd = rb.below;
    path_get(&ctx->cwd);
    err = vfs_umount(&view, "/", 0);
    if (err) {
        path_put(&ctx->cwd);
        path_put(&ctx->root);
        ctx->root = view.root;
        ctx->cwd = view.root;
        path_get(&ctx->root);
        path_get(&ctx->cwd);
    }
    return err;
}

/* Whether path names the context's root directory (the target of `mount vda`). */
static bool is_ctx_root(struct vfs_ctx *ctx, const char *path)
{
    struct path p;
    bool root;

    if (vfs_lookup(ctx, NULL, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p) != 0)
        return false;
    root = p.mnt == ctx->root.mnt && p.dentry == ctx->root.dentry;
    path_put(&p);
    return root;
}

/*
 * Splits mount's -o list: ro, rw and remount become flags, the rest is
 * passed to the file system (data, comma-separated). data has room for
 * strlen(opts) + 1.
 */
static void mount_options(const char *opts, unsigned long *flags, char *data)
{
    size_t dl = 0;

    data[0] = '\0';
    while (opts && *opts) {
        const char *end = strchr(opts, ',');
        size_t len = end ? (size_t)(end - opts) : strlen(opts);
        if (len == 2 && strncmp(opts, "ro", 2) == 0) {
            *flags |= MS_RDONLY;
        } else if (len == 2 && strncmp(opts, "rw", 2) == 0) {
            *flags &= ~(unsigned long)MS_RDONLY;
        } else if (len == 7 && strncmp(opts, "remount", 7) == 0) {
            *flags |= MS_REMOUNT;
        } else if (len > 0) {
            if (dl > 0)
                data[dl++] = ',';
            memcpy(data + dl, opts, len);
            dl += len;
            data[dl] = '\0';
        }
        opts = end ? end + 1 : opts + len;
    }
}

static int cmd_mount(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    const struct fs_type *type;
    const char *fstype, *target, *opts;
    unsigned long flags = 0;
    char source[64], *data = NULL;
    bool on_root;
    int err;

    if ((err = cmd_opts_parse(&argc, argv, "t:o:", &o)))
        return err;
    if (argc > 3)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("mount")))
        return -ENODEV;
    if (argc == 1 && !o.set) {
        vfs_for_each_mount(ctx, mount_line, ctx);
        return 0;
    }
    opts = OPT_ARG(&o, 'o');
    if (!(data = kmalloc(opts ? strlen(opts) + 1 : 1)))
        return cmd_no_memory("mount");
    mount_options(opts, &flags, data);
    if (flags & MS_REMOUNT) {
        /* mount -o remount,ro PATH: only the target */
        if (argc != 2) {
            kfree(data);
            return SHELL_USAGE;
        }
        err = vfs_mount(ctx, NULL, argv[1], NULL, flags, data);
        kfree(data);
        return err ? cmd_fail("mount", argv[1], err) : 0;
    }
    if (argc < 2) {
        kfree(data);
        return SHELL_USAGE;
    }
    /* mount DEV: the disk on "/" (mount vda: the data disk becomes the root) */
    target = argc == 3 ? argv[2] : "/";
    fstype = OPT_ARG(&o, 't');
    if (!fstype) {
        /* no -t: a pseudo file system named as the source (mount proc /proc), else ext2 */
        type = vfs_find_fs(argv[1]);
        fstype = type && !(type->flags & FS_REQUIRES_DEV) ? argv[1] : "ext2";
    }
    if (!(type = vfs_find_fs(fstype))) {
        kfree(data);
        return cmd_fail("mount", fstype, -ENODEV);
    }
    /* a device by its name alone: vda -> /dev/vda */
    if ((type->flags & FS_REQUIRES_DEV) && !strchr(argv[1], '/'))
        snprintf(source, sizeof(source), "/dev/%s", argv[1]);
    else
        strlcpy(source, argv[1], sizeof(source));
    on_root = is_ctx_root(ctx, target);
    err = vfs_mount(ctx, source, target, fstype, flags, data);
    kfree(data);
    if (err) {
        shell_error("mount: %s on %s: %s", source, target, errno_name(err));
        return cmd_result(err);
    }
    if (on_root)
        root_follow(ctx);
    return 0;
}
SHELL_COMMAND("mount", "[-t TYPE] [-o OPTS] [DEV [PATH]]",
              "list mounts (no arguments), or mount DEV on PATH (default /; type ext2; "
              "OPTS: ro, rw, remount, ...)", cmd_mount);

static int cmd_umount(int argc, char **argv)
{
    struct vfs_ctx *ctx;
    int err;

    if (argc != 2)
        return SHELL_USAGE;
    if (!(ctx = cmd_ctx("umount")))
        return -ENODEV;
    if (is_ctx_root(ctx, argv[1]))
        err = umount_root(ctx);
    else
        err = vfs_umount(ctx, argv[1], 0);
    return err ? cmd_fail("umount", argv[1], err) : 0;
}
SHELL_COMMAND("umount", "PATH", "unmount the file system mounted on PATH", cmd_umount);

/* A mount as df needs it, copied out under the mount lock. */
struct df_mount {
    char source[32];
    char *mountpoint;           /* kmalloc'd */
};

struct df_list {
    struct vfs_ctx *ctx;
    struct df_mount *v;
    size_t n, cap;
    int err;
};

static void df_collect(struct mount *m, const char *mountpoint, void *arg)
{
    struct df_list *l = arg;
    size_t len = strlen(mountpoint);

    if (l->err || !mount_visible(l->ctx, m))
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        struct df_mount *v = krealloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->err = -ENOMEM;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n].mountpoint = kmalloc(len + 1))) {
        l->err = -ENOMEM;
        return;
    }
    memcpy(l->v[l->n].mountpoint, mountpoint, len + 1);
    strlcpy(l->v[l->n].source, m->source, sizeof(l->v[l->n].source));
    l->n++;
}

/* One df -k line; file systems without blocks (proc, sysfs) only with all. */
static int df_line(struct vfs_ctx *ctx, const char *source, const char *mountpoint, bool all)
{
    struct linux_statfs st;
    uint64_t unit, blocks, used, avail;
    char pct[8];
    int err = vfs_statfs(ctx, NULL, mountpoint, &st);

    if (err)
        return cmd_fail("df", mountpoint, err);
    if (st.f_blocks == 0 && !all)
        return 0;
    unit = (uint64_t)(st.f_frsize > 0 ? st.f_frsize : st.f_bsize);
    blocks = st.f_blocks * unit / 1024;
    used = (st.f_blocks - MIN(st.f_bfree, st.f_blocks)) * unit / 1024;
    avail = st.f_bavail * unit / 1024;
    if (used + avail == 0)
        strlcpy(pct, "-", sizeof(pct));
    else
        snprintf(pct, sizeof(pct), "%llu%%",
                 (unsigned long long)((used * 100 + used + avail - 1) / (used + avail)));
    shell_printf("%-14s %9llu %7llu %9llu %4s %s\n", source, (unsigned long long)blocks,
                 (unsigned long long)used, (unsigned long long)avail, pct, mountpoint);
    return 0;
}

static int cmd_df(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    struct df_list l = { 0 };
    char *buf = NULL;
    int err, rc = 0;

    if ((err = cmd_opts_parse(&argc, argv, "ak", &o)))
        return err;
    if (!(ctx = cmd_ctx("df")))
        return -ENODEV;
    l.ctx = ctx;
    vfs_for_each_mount(ctx, df_collect, &l);
    if (l.err) {
        rc = cmd_no_memory("df");
        goto out;
    }
    shell_printf("%-14s %9s %7s %9s %4s %s\n", "Filesystem", "1K-blocks", "Used", "Available",
                 "Use%", "Mounted on");
    if (argc == 1) {
        for (size_t i = 0; i < l.n; i++) {
            /* a mount covered by a later one on the same place is out of sight */
            bool covered = false;
            for (size_t j = i + 1; j < l.n && !covered; j++)
                covered = strcmp(l.v[i].mountpoint, l.v[j].mountpoint) == 0;
            if (!covered &&
                (err = df_line(ctx, l.v[i].source, l.v[i].mountpoint, o.set & OPT('a'))))
                rc = err;
        }
        goto out;
    }
    /* df PATH: the file system holding PATH, named by its mount */
    if (!(buf = kmalloc(PATH_MAX))) {
        rc = cmd_no_memory("df");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        struct path p, top;
        ssize_t n;
        if ((err = vfs_lookup(ctx, NULL, argv[i], LOOKUP_FOLLOW, &p))) {
            rc = cmd_fail("df", argv[i], err);
            continue;
        }
        top.mnt = p.mnt;
        top.dentry = p.mnt->root;
        n = vfs_path_name(ctx, &top, buf, PATH_MAX);
        path_put(&p);
        if (n < 0) {
            rc = cmd_fail("df", argv[i], (int)n);
            continue;
        }
        err = -ENOENT;
        for (size_t j = l.n; j-- > 0;)
            if (strcmp(l.v[j].mountpoint, buf) == 0) {
                err = df_line(ctx, l.v[j].source, buf, true);
                break;
            }
        if (err == -ENOENT)
            err = cmd_fail("df", argv[i], err);
        if (err)
            rc = err;
    }
out:
    for (size_t i = 0; i < l.n; i++)
        kfree(l.v[i].mountpoint);
    kfree(l.v);
    kfree(buf);
    return rc;
}
SHELL_COMMAND("df", "[-a] [PATH...]", "file-system space in 1K blocks, as df -k shows it "
              "(-a: also those without blocks)", cmd_df);

static int cmd_sync(int argc, char **argv)
{
    int err;

    (void)argv;
    if (argc != 1)
        return SHELL_USAGE;
    if ((err = vfs_sync())) {
        shell_error("sync: %s", errno_name(err));
        return cmd_result(err);
    }
    return 0;
}
SHELL_COMMAND("sync", "", "write every cached change to the disks", cmd_sync);

/* ---- hexdump ------------------------------------------------------------------------- */

/* One hexdump -C line of p[0..len) (len <= DUMP_WIDTH) at offset off. */
static void dump_line(uint64_t off, const uint8_t *p, size_t len)
{
    char line[96];
    size_t n = (size_t)snprintf(line, sizeof(line), "%08llx ", (unsigned long long)off);

    for (size_t i = 0; i < DUMP_WIDTH; i++) {
        if (i == 8)
            line[n++] = ' ';
        if (i < len)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %02x", p[i]);
        else
            n += (size_t)snprintf(line + n, sizeof(line) - n, "   ");
    }
    n += (size_t)snprintf(line + n, sizeof(line) - n, "  |");
    for (size_t i = 0; i < len; i++)
        line[n++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
    line[n] = '\0';
    shell_printf("%s|\n", line);
}

static int cmd_hexdump(int argc, char **argv)
{
    struct cmd_opts o;
    struct vfs_ctx *ctx;
    struct file *f = NULL;
    uint8_t *buf = NULL, prev[DUMP_WIDTH];
    uint64_t skip = 0, left = UINT64_MAX, off, done = 0;
    bool have_prev = false, starred = false;
    ssize_t n;
    int err;

    if ((err = cmd_opts_parse(&argc, argv, "Cn:s:", &o)))
        return err;
    if (argc != 2)
        return SHELL_USAGE;
    if (OPT_ARG(&o, 'n') &&
        (err = shell_parse_u64("hexdump", "length", OPT_ARG(&o, 'n'), 0, UINT64_MAX, &left)))
        return err;
    if (OPT_ARG(&o, 's') &&
        (err = shell_parse_u64("hexdump", "offset", OPT_ARG(&o, 's'), 0, INT64_MAX, &skip)))
        return err;
    if (!(ctx = cmd_ctx("hexdump")))
        return -ENODEV;
    if (!(buf = kmalloc(IO_SIZE)))
        return cmd_no_memory("hexdump");
    if ((err = vfs_open(ctx, NULL, argv[1], O_RDONLY, 0, &f)))
        goto out;
    off = skip;
    while (left > 0) {
        n = vfs_pread(f, buf, (size_t)MIN(left, (uint64_t)IO_SIZE), off);
        if (n < 0) {
            err = (int)n;
            goto out;
        }
        if (n == 0)
            break;
        /* reads are whole lines except at the end (IO_SIZE is a multiple of DUMP_WIDTH) */
        for (ssize_t i = 0; i < n; i += DUMP_WIDTH) {
            size_t len = (size_t)MIN((ssize_t)DUMP_WIDTH, n - i);
            if (len == DUMP_WIDTH && have_prev && memcmp(buf + i, prev, DUMP_WIDTH) == 0) {
                if (!starred)
                    shell_printf("*\n");
                starred = true;
                continue;
            }
            starred = false;
            dump_line(off + (uint64_t)i, buf + i, len);
            memcpy(prev, buf + i, len);
            have_prev = len == DUMP_WIDTH;
        }
        off += (uint64_t)n;
        done += (uint64_t)n;
        left -= (uint64_t)n;
    }
    if (done > 0) {
        shell_printf("%08llx\n", (unsigned long long)off);
    } else if (skip > 0) {
        /* skipped past the end: hexdump names where the file ends */
        struct linux_stat st;
        if ((err = vfs_fstat(f, &st)))
            goto out;
        shell_printf("%08llx\n", (unsigned long long)MIN(skip, (uint64_t)st.st_size));
    }
out:
    if (f)
        file_put(f);
    kfree(buf);
    return err ? cmd_fail("hexdump", argv[1], err) : 0;
}
SHELL_COMMAND("hexdump", "[-C] [-n LEN] [-s OFF] PATH",
              "dump a file as hexdump -C does (-s: from byte OFF; -n: LEN bytes)", cmd_hexdump);
