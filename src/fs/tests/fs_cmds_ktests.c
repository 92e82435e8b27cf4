/*
 * src/fs/tests/fs_cmds_ktests.c - in-kernel tests of the shell's file
 * commands (src/fs/fs_cmds.c).
 *
 * Part of fs's ktests. Each test mounts a fresh tmpfs on a directory of
 * its own (under /tmp when there is one, else under /), makes it the
 * kernel context's working directory, and runs command lines through
 * shell_execute with the output captured, so it sees exactly what a user
 * would: the output lines, the error lines ("mkdir: x/y: ENOENT") and the
 * results. What the commands did is checked through the VFS as well. The
 * `mount vda` test needs an ext2 disk and skips without one; the
 * shell.files ctest drives the same commands over the serial console.
 */
#include <core/calendar.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/shell.h>
#include <core/string.h>
#include <dev/blk.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>

#define OUT_SIZE    8192

static char out[OUT_SIZE];
static char tdir[64];           /* the test's tmpfs mount point, absolute */
static char line[512];

/* Runs a command line with the output captured into out; returns its result. */
static int run(const char *cmd)
{
    return shell_execute_captured(cmd, out, sizeof(out));
}

/* Runs a formatted command line. */
static int runf(const char *fmt, ...) __printf_like(1, 2);
static int runf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    return run(line);
}

/* A formatted string (for expected text) in a static buffer of its own. */
static const char *fmt(const char *f, ...) __printf_like(1, 2);
static const char *fmt(const char *f, ...)
{
    static char buf[512];
    va_list ap;

    va_start(ap, f);
    vsnprintf(buf, sizeof(buf), f, ap);
    va_end(ap);
    return buf;
}

#define EXPECT_OUT_HAS(text)    KT_EXPECT_HAS(out, text)
#define EXPECT_OUT_LACKS(text)  KT_EXPECT_TRUE(strstr(out, text) == NULL)

static struct vfs_ctx *ctx(void)
{
    struct vfs_ctx *c = vfs_kernel_ctx();

    KT_ASSERT_NOT_NULL(c);
    return c;
}

/* Leaves the test directory: cwd back at /, its tmpfs unmounted, the directory gone. */
static void teardown(void)
{
    struct vfs_ctx *c = ctx();

    vfs_chdir(c, "/");
    while (vfs_umount(c, tdir, 0) == 0)
        ;
    vfs_rmdir(c, NULL, tdir);
}

/*
 * A fresh tmpfs on tdir, the working directory there. What an earlier,
 * failed test left behind goes first.
 */
static void setup(void)
{
    struct vfs_ctx *c = ctx();
    struct linux_stat st;

    if (vfs_stat(c, NULL, "/tmp", &st, 0) == 0 && S_ISDIR(st.st_mode))
        strlcpy(tdir, "/tmp/kt-fs-cmds", sizeof(tdir));
    else
        strlcpy(tdir, "/kt-fs-cmds", sizeof(tdir));
    teardown();
    KT_ASSERT_EQ(vfs_mkdir(c, NULL, tdir, 0755), 0);
    KT_ASSERT_EQ(vfs_mount(c, "tmpfs", tdir, "tmpfs", 0, ""), 0);
    KT_ASSERT_EQ(vfs_chdir(c, tdir), 0);
}

/* Stats path (not following a last symlink) relative to the working directory. */
static int lstat_of(const char *path, struct linux_stat *st)
{
    return vfs_stat(ctx(), NULL, path, st, AT_SYMLINK_NOFOLLOW);
}

static bool exists(const char *path)
{
    struct linux_stat st;

    return lstat_of(path, &st) == 0;
}

KTEST(fs_cmds, commands_are_registered)
{
    static const char *const names[] = {
        "mount", "umount", "ls", "cat", "write", "mkdir", "rm", "rmdir", "mv", "ln",
        "stat", "df", "sync", "hexdump", "cd", "pwd", "date",
    };

    for (size_t i = 0; i < ARRAY_SIZE(names); i++)
        KT_EXPECT_TRUE(shell_find(names[i]) != NULL);
}

KTEST(fs_cmds, pwd_and_cd)
{
    setup();
    KT_EXPECT_EQ(run("pwd"), 0);
    KT_EXPECT_STREQ(out, fmt("%s\n", tdir));
    KT_EXPECT_EQ(run("mkdir sub; cd sub; pwd"), 0);
    KT_EXPECT_STREQ(out, fmt("%s/sub\n", tdir));
    KT_EXPECT_EQ(run("cd ..; pwd"), 0);
    KT_EXPECT_STREQ(out, fmt("%s\n", tdir));
    KT_EXPECT_EQ(run("cd nowhere"), -ENOENT);
    EXPECT_OUT_HAS("cd: nowhere: ENOENT");
    KT_EXPECT_EQ(run("write f; cd f"), -ENOTDIR);
    EXPECT_OUT_HAS("cd: f: ENOTDIR");
    KT_EXPECT_EQ(run("cd; pwd"), 0);
    KT_EXPECT_STREQ(out, "/\n");
    KT_EXPECT_EQ(runf("cd %s/sub; pwd", tdir), 0);
    KT_EXPECT_STREQ(out, fmt("%s/sub\n", tdir));
    KT_EXPECT_EQ(run("cd a b"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: cd [DIR]");
    teardown();
}

KTEST(fs_cmds, write_and_cat)
{
    setup();
    KT_EXPECT_EQ(run("write f hello  'big world'"), 0);
    KT_EXPECT_EQ(run("cat f"), 0);
    KT_EXPECT_STREQ(out, "hello big world\n");
    KT_EXPECT_EQ(run("write -a f more; cat f"), 0);
    KT_EXPECT_STREQ(out, "hello big world\nmore\n");
    KT_EXPECT_EQ(run("write f again; cat f"), 0);
    KT_EXPECT_STREQ(out, "again\n");
    KT_EXPECT_EQ(run("write g; cat g"), 0);
    KT_EXPECT_STREQ(out, "");
    KT_EXPECT_TRUE(exists("g"));
    KT_EXPECT_EQ(run("write h two; cat f h"), 0);
    KT_EXPECT_STREQ(out, "again\ntwo\n");
    /* a missing file among others: its error, the others printed */
    KT_EXPECT_EQ(run("cat f missing h"), -ENOENT);
    EXPECT_OUT_HAS("again\n");
    EXPECT_OUT_HAS("cat: missing: ENOENT");
    EXPECT_OUT_HAS("two\n");
    KT_EXPECT_EQ(run("mkdir d; cat d"), -EISDIR);
    EXPECT_OUT_HAS("cat: d: EISDIR");
    KT_EXPECT_EQ(run("write d x"), -EISDIR);
    EXPECT_OUT_HAS("write: d: EISDIR");
    KT_EXPECT_EQ(run("write nodir/f x"), -ENOENT);
    EXPECT_OUT_HAS("write: nodir/f: ENOENT");
    KT_EXPECT_EQ(run("cat"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: cat PATH...");
    KT_EXPECT_EQ(run("write"), SHELL_USAGE);
    teardown();
}

KTEST(fs_cmds, mkdir_and_rmdir)
{
    struct linux_stat st;

    setup();
    KT_EXPECT_EQ(run("mkdir a"), 0);
    KT_ASSERT_EQ(lstat_of("a", &st), 0);
    KT_EXPECT_TRUE(S_ISDIR(st.st_mode));
    KT_EXPECT_EQ(st.st_mode & 0777u, 0755u);            /* 0777 less the umask 022 */
    KT_EXPECT_EQ(run("mkdir a"), -EEXIST);
    EXPECT_OUT_HAS("mkdir: a: EEXIST");
    KT_EXPECT_EQ(run("mkdir x/y"), -ENOENT);
    EXPECT_OUT_HAS("mkdir: x/y: ENOENT");
    KT_EXPECT_EQ(run("mkdir -p x/y/z"), 0);
    KT_EXPECT_STREQ(out, "");
    KT_ASSERT_EQ(lstat_of("x/y/z", &st), 0);
    KT_EXPECT_TRUE(S_ISDIR(st.st_mode));
    KT_EXPECT_EQ(run("mkdir -p x/y/z x//y/w/"), 0);       /* existing ones are fine */
    KT_EXPECT_TRUE(exists("x/y/w"));
    KT_EXPECT_EQ(run("write f; mkdir -p f/g"), -ENOTDIR);
    EXPECT_OUT_HAS("mkdir: f: ENOTDIR");
    KT_EXPECT_EQ(run("rmdir x"), -ENOTEMPTY);
    EXPECT_OUT_HAS("rmdir: x: ENOTEMPTY");
    KT_EXPECT_EQ(run("rmdir x/y/z x/y/w x/y x"), 0);
    KT_EXPECT_FALSE(exists("x"));
    KT_EXPECT_EQ(run("rmdir f"), -ENOTDIR);
    EXPECT_OUT_HAS("rmdir: f: ENOTDIR");
    KT_EXPECT_EQ(run("rmdir gone"), -ENOENT);
    EXPECT_OUT_HAS("rmdir: gone: ENOENT");
    KT_EXPECT_EQ(run("mkdir"), SHELL_USAGE);
    KT_EXPECT_EQ(run("mkdir -q a"), SHELL_USAGE);
    EXPECT_OUT_HAS("mkdir: unknown option -q");
    teardown();
}

KTEST(fs_cmds, ls_lists_sorted_names)
{
    setup();
    KT_ASSERT_EQ(run("write b; write a; mkdir c; write .hidden; write B"), 0);
    KT_EXPECT_EQ(run("ls"), 0);
    KT_EXPECT_STREQ(out, "B\na\nb\nc\n");               /* byte order, no dot files */
    KT_EXPECT_EQ(run("ls -a"), 0);
    KT_EXPECT_STREQ(out, ".\n..\n.hidden\nB\na\nb\nc\n");
    KT_EXPECT_EQ(runf("ls %s", tdir), 0);
    KT_EXPECT_STREQ(out, "B\na\nb\nc\n");
    KT_EXPECT_EQ(run("ls a"), 0);
    KT_EXPECT_STREQ(out, "a\n");
    KT_EXPECT_EQ(run("ls c"), 0);
    KT_EXPECT_STREQ(out, "");
    /* files first, then each directory under a header */
    KT_EXPECT_EQ(run("write c/in; ls c a ."), 0);
    KT_EXPECT_STREQ(out, "a\n\nc:\nin\n\n.:\nB\na\nb\nc\n");
    KT_EXPECT_EQ(run("ls missing a"), -ENOENT);
    EXPECT_OUT_HAS("ls: missing: ENOENT");
    EXPECT_OUT_HAS("a\n");
    KT_EXPECT_EQ(run("ls -z"), SHELL_USAGE);
    EXPECT_OUT_HAS("ls: unknown option -z");
    EXPECT_OUT_HAS("usage: ls [-l] [-a] [PATH...]");
    teardown();
}

KTEST(fs_cmds, ls_l_shows_mode_links_owner_size_date)
{
    struct calendar_tm tm;

    setup();
    KT_ASSERT_EQ(run("mkdir d; write d/f hello; ln -s f d/s; ln d/f d/h"), 0);
    KT_EXPECT_EQ(run("ls -l d"), 0);
    EXPECT_OUT_HAS("total ");
    /* f and h: one inode with 2 links and 6 bytes; s: a symlink of 1 byte */
    EXPECT_OUT_HAS("-rw-r--r-- 2 0 0 6 ");
    EXPECT_OUT_HAS(" f\n");
    EXPECT_OUT_HAS(" h\n");
    EXPECT_OUT_HAS("lrwxrwxrwx 1 0 0 1 ");
    EXPECT_OUT_HAS(" s -> f\n");
    /* the date is now's: this month, and a time (not a year) */
    KT_ASSERT_EQ(calendar_from_unix(vfs_now().tv_sec, &tm), 0);
    static const char *const months[] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    };
    EXPECT_OUT_HAS(fmt("%s %2d ", months[tm.month - 1], tm.day));
    EXPECT_OUT_LACKS(fmt(" %d f\n", tm.year));
    /* a directory line, and a symlink operand shown itself */
    KT_EXPECT_EQ(run("ls -l"), 0);
    EXPECT_OUT_HAS("drwxr-xr-x ");
    EXPECT_OUT_HAS(" d\n");
    KT_EXPECT_EQ(run("ls -l d/s"), 0);
    EXPECT_OUT_HAS("lrwxrwxrwx 1 0 0 1 ");
    EXPECT_OUT_HAS(" d/s -> f\n");
    EXPECT_OUT_LACKS("total");
    /* -la lists . and .. too */
    KT_EXPECT_EQ(run("ls -la d"), 0);
    EXPECT_OUT_HAS(" .\n");
    EXPECT_OUT_HAS(" ..\n");
    teardown();
}

KTEST(fs_cmds, rm_files_and_trees)
{
    setup();
    KT_ASSERT_EQ(run("write f; write keep x"), 0);
    KT_EXPECT_EQ(run("rm f"), 0);
    KT_EXPECT_FALSE(exists("f"));
    KT_EXPECT_EQ(run("rm f"), -ENOENT);
    EXPECT_OUT_HAS("rm: f: ENOENT");
    KT_EXPECT_EQ(run("rm -f f"), 0);
    KT_EXPECT_STREQ(out, "");
    KT_EXPECT_EQ(run("mkdir d; rm d"), -EISDIR);
    EXPECT_OUT_HAS("rm: d: EISDIR");
    KT_EXPECT_TRUE(exists("d"));
    /* a tree three deep with files, an empty directory and a symlink out of it */
    KT_ASSERT_EQ(run("mkdir -p d/a/b/c d/e; write d/1; write d/a/2; write d/a/b/3; "
                     "write d/a/b/c/4; ln -s ../../keep d/a/b/l"), 0);
    KT_EXPECT_EQ(run("rm -r d"), 0);
    KT_EXPECT_STREQ(out, "");
    KT_EXPECT_FALSE(exists("d"));
    KT_EXPECT_EQ(run("cat keep"), 0);                    /* the symlink's target stays */
    KT_EXPECT_STREQ(out, "x\n");
    /* a directory holding more names than one read returns */
    KT_ASSERT_EQ(run("mkdir big"), 0);
    for (int i = 0; i < 200; i++)
        KT_ASSERT_EQ(runf("write big/file-with-a-long-name-%03d", i), 0);
    KT_EXPECT_EQ(run("rm -R big"), 0);
    KT_EXPECT_FALSE(exists("big"));
    /* 100 levels deep: the walk keeps no stack frame per level */
    char deep[256] = "mkdir -p deep";
    for (int i = 0; i < 100; i++)
        strlcpy(deep + strlen(deep), "/d", sizeof(deep) - strlen(deep));
    KT_ASSERT_EQ(run(deep), 0);
    KT_ASSERT_EQ(runf("write %s/leaf", deep + strlen("mkdir -p ")), 0);
    KT_EXPECT_EQ(run("rm -r deep"), 0);
    KT_EXPECT_FALSE(exists("deep"));
    /* a symlink to a directory is removed, not followed */
    KT_ASSERT_EQ(run("mkdir t; write t/x; ln -s t ls; rm ls"), 0);
    KT_EXPECT_FALSE(exists("ls"));
    KT_EXPECT_TRUE(exists("t/x"));
    KT_EXPECT_EQ(run("rm -r /"), -EPERM);
    EXPECT_OUT_HAS("rm: refusing to remove '/'");
    KT_EXPECT_EQ(run("rm -r t/.."), -EPERM);
    KT_EXPECT_TRUE(exists("t/x"));
    KT_EXPECT_EQ(run("rm"), SHELL_USAGE);
    teardown();
}

KTEST(fs_cmds, mv_renames_and_moves_into_directories)
{
    setup();
    KT_ASSERT_EQ(run("write a A; mkdir d"), 0);
    KT_EXPECT_EQ(run("mv a b; cat b"), 0);
    KT_EXPECT_STREQ(out, "A\n");
    KT_EXPECT_FALSE(exists("a"));
    KT_EXPECT_EQ(run("mv b d; cat d/b"), 0);            /* into the directory */
    KT_EXPECT_STREQ(out, "A\n");
    KT_EXPECT_EQ(run("write x X; write y Y; mv x y; cat y"), 0);    /* over a file */
    KT_EXPECT_STREQ(out, "X\n");
    KT_EXPECT_EQ(run("write z; mv y z d; ls d"), 0);    /* several into one */
    KT_EXPECT_STREQ(out, "b\ny\nz\n");
    KT_EXPECT_EQ(run("write p; write q; mv p q r"), -ENOTDIR);
    EXPECT_OUT_HAS("mv: r: ENOTDIR");
    KT_EXPECT_EQ(run("mv missing there"), -ENOENT);
    EXPECT_OUT_HAS("mv: missing: ENOENT");
    /* a directory into itself: EINVAL, reported as such (the result is not the usage's) */
    KT_EXPECT_EQ(run("mkdir -p e/f; mv e e/f"), -EIO);
    EXPECT_OUT_HAS("mv: e -> e/f/e: EINVAL");
    EXPECT_OUT_LACKS("usage:");
    KT_EXPECT_EQ(run("mv onlyone"), SHELL_USAGE);
    teardown();
}

KTEST(fs_cmds, ln_makes_hard_and_symbolic_links)
{
    struct linux_stat st;

    setup();
    KT_ASSERT_EQ(run("write f data; mkdir d"), 0);
    KT_EXPECT_EQ(run("ln f h"), 0);
    KT_ASSERT_EQ(lstat_of("f", &st), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);
    KT_EXPECT_EQ(run("ln -s f s; cat s"), 0);
    KT_EXPECT_STREQ(out, "data\n");
    KT_ASSERT_EQ(lstat_of("s", &st), 0);
    KT_EXPECT_TRUE(S_ISLNK(st.st_mode));
    KT_EXPECT_EQ(run("ln -s f s"), -EEXIST);
    EXPECT_OUT_HAS("ln: s: EEXIST");
    KT_EXPECT_EQ(run("ln missing m"), -ENOENT);
    EXPECT_OUT_HAS("ln: missing: ENOENT");
    KT_EXPECT_EQ(run("ln -s missing dangling"), 0);     /* a symlink's target need not exist */
    KT_EXPECT_EQ(run("cat dangling"), -ENOENT);
    KT_EXPECT_EQ(run("ln f d; cat d/f"), 0);            /* into a directory */
    KT_EXPECT_STREQ(out, "data\n");
    KT_EXPECT_EQ(run("ln d e"), -EPERM);                /* no hard links to directories */
    EXPECT_OUT_HAS("ln: e: EPERM");
    KT_EXPECT_EQ(run("ln f"), SHELL_USAGE);
    EXPECT_OUT_HAS("usage: ln [-s] TARGET LINK");
    teardown();
}

KTEST(fs_cmds, stat_shows_what_coreutils_shows)
{
    struct linux_stat st;
    struct calendar_tm tm;

    setup();
    KT_ASSERT_EQ(run("write f hello; ln -s f s; mkdir d"), 0);
    KT_ASSERT_EQ(lstat_of("f", &st), 0);
    KT_EXPECT_EQ(run("stat f"), 0);
    EXPECT_OUT_HAS("  File: f\n");
    EXPECT_OUT_HAS(fmt("  Size: 6         \tBlocks: %-10lld IO Block: %-6lld regular file\n",
                       (long long)st.st_blocks, (long long)st.st_blksize));
    EXPECT_OUT_HAS(fmt("\tInode: %-11llu Links: 1\n", (unsigned long long)st.st_ino));
    EXPECT_OUT_HAS("Access: (0644/-rw-r--r--)  Uid: (    0/    root)   Gid: (    0/    root)\n");
    KT_ASSERT_EQ(calendar_from_unix((int64_t)st.st_mtime_sec, &tm), 0);
    EXPECT_OUT_HAS(fmt("Modify: %04d-%02d-%02d %02d:%02d:%02d.%09llu +0000\n", tm.year,
                       tm.month, tm.day, tm.hour, tm.minute, tm.second,
                       (unsigned long long)st.st_mtime_nsec));
    EXPECT_OUT_HAS("Access: 2");
    EXPECT_OUT_HAS("Change: ");
    EXPECT_OUT_HAS(" Birth: -\n");
    KT_EXPECT_EQ(run("stat s"), 0);
    EXPECT_OUT_HAS("  File: s -> f\n");
    EXPECT_OUT_HAS("symbolic link\n");
    EXPECT_OUT_HAS("Access: (0777/lrwxrwxrwx)");
    KT_EXPECT_EQ(run("stat -L s"), 0);
    EXPECT_OUT_HAS("regular file\n");
    KT_EXPECT_EQ(run("write e; stat d e"), 0);
    EXPECT_OUT_HAS("  File: d\n");
    EXPECT_OUT_HAS(" directory\n");
    EXPECT_OUT_HAS("Access: (0755/drwxr-xr-x)");
    EXPECT_OUT_HAS(" regular empty file\n");
    KT_EXPECT_EQ(run("stat missing"), -ENOENT);
    EXPECT_OUT_HAS("stat: missing: ENOENT");
    KT_EXPECT_EQ(run("stat"), SHELL_USAGE);
    teardown();
}

KTEST(fs_cmds, hexdump_prints_like_hexdump_C)
{
    setup();
    KT_ASSERT_EQ(run("write f hello"), 0);
    KT_EXPECT_EQ(run("hexdump f"), 0);
    KT_EXPECT_STREQ(out, "00000000  68 65 6c 6c 6f 0a                                 |hello.|\n"
                         "00000006\n");
    KT_EXPECT_EQ(run("hexdump -C f"), 0);
    KT_EXPECT_HAS(out, "|hello.|");
    /* 63 a's and a newline: repeated lines become one '*' */
    KT_ASSERT_EQ(run("write g aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), 0);
    KT_EXPECT_EQ(run("hexdump g"), 0);
    KT_EXPECT_STREQ(out,
        "00000000  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n"
        "*\n"
        "00000030  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 0a  |aaaaaaaaaaaaaaa.|\n"
        "00000040\n");
    KT_EXPECT_EQ(run("hexdump -s 16 -n 16 g"), 0);
    KT_EXPECT_STREQ(out,
        "00000010  61 61 61 61 61 61 61 61  61 61 61 61 61 61 61 61  |aaaaaaaaaaaaaaaa|\n"
        "00000020\n");
    KT_EXPECT_EQ(run("hexdump -s60 g"), 0);
    KT_EXPECT_STREQ(out, "0000003c  61 61 61 0a                                       |aaa.|\n"
                         "00000040\n");
    KT_EXPECT_EQ(run("hexdump -s 100 g"), 0);           /* past the end: where it ends */
    KT_EXPECT_STREQ(out, "00000040\n");
    KT_EXPECT_EQ(run("write e; hexdump e"), 0);
    KT_EXPECT_STREQ(out, "");
    KT_EXPECT_EQ(run("hexdump missing"), -ENOENT);
    EXPECT_OUT_HAS("hexdump: missing: ENOENT");
    KT_EXPECT_EQ(run("hexdump -n zz g"), SHELL_USAGE);
    EXPECT_OUT_HAS("hexdump: 'zz' is not a length");
    KT_EXPECT_EQ(run("hexdump g -n"), SHELL_USAGE);
    EXPECT_OUT_HAS("hexdump: option -n needs a value");
    teardown();
}

KTEST(fs_cmds, mount_umount_and_the_mount_list)
{
    setup();
    KT_EXPECT_EQ(run("mount"), 0);
    EXPECT_OUT_HAS(fmt("tmpfs %s tmpfs rw", tdir));
    KT_ASSERT_EQ(run("mkdir m; mount -t tmpfs tmpfs m; write m/x inside"), 0);
    KT_EXPECT_EQ(run("mount"), 0);
    EXPECT_OUT_HAS(fmt("tmpfs %s/m tmpfs rw", tdir));
    EXPECT_OUT_HAS(" 0 0\n");
    /* busy while the working directory is inside */
    KT_EXPECT_EQ(run("cd m; umount ."), -EBUSY);
    EXPECT_OUT_HAS("umount: .: EBUSY");
    KT_EXPECT_EQ(run("cd ..; umount m"), 0);
    KT_EXPECT_FALSE(exists("m/x"));
    KT_EXPECT_EQ(run("mount"), 0);
    EXPECT_OUT_LACKS(fmt("%s/m ", tdir));
    /* a pseudo file system named as the source needs no -t; read-only mounts */
    KT_EXPECT_EQ(run("mount tmpfs m; write m/y; mount -o remount,ro m"), 0);
    KT_EXPECT_EQ(run("mount"), 0);
    EXPECT_OUT_HAS(fmt("tmpfs %s/m tmpfs ro", tdir));
    KT_EXPECT_EQ(run("write m/z"), -EROFS);
    EXPECT_OUT_HAS("write: m/z: EROFS");
    KT_EXPECT_EQ(run("mount -o remount,rw m; write m/z"), 0);
    KT_EXPECT_EQ(run("umount m"), 0);
    KT_EXPECT_EQ(run("mount -t tmpfs -o ro tmpfs m"), 0);
    KT_EXPECT_EQ(run("mkdir m/d"), -EROFS);
    KT_EXPECT_EQ(run("umount m"), 0);
    /* errors */
    KT_EXPECT_EQ(run("mount -t nosuchfs x m"), -ENODEV);
    EXPECT_OUT_HAS("mount: nosuchfs: ENODEV");
    KT_EXPECT_EQ(run("mount -t tmpfs tmpfs nowhere"), -ENOENT);
    EXPECT_OUT_HAS("mount: tmpfs on nowhere: ENOENT");
    KT_EXPECT_EQ(run("umount m"), -EIO);                /* EINVAL: not a mount point */
    EXPECT_OUT_HAS("umount: m: EINVAL");
    KT_EXPECT_EQ(run("umount nowhere"), -ENOENT);
    EXPECT_OUT_HAS("umount: nowhere: ENOENT");
    KT_EXPECT_EQ(run("umount"), SHELL_USAGE);
    KT_EXPECT_EQ(run("mount a b c"), SHELL_USAGE);
    KT_EXPECT_EQ(run("mount -t"), SHELL_USAGE);
    teardown();
}

KTEST(fs_cmds, df_and_sync)
{
    setup();
    KT_EXPECT_EQ(run("df"), 0);
    EXPECT_OUT_HAS("Filesystem     1K-blocks    Used Available Use% Mounted on\n");
    KT_EXPECT_EQ(run("mkdir sub; df sub"), 0);
    EXPECT_OUT_HAS("Filesystem     1K-blocks    Used Available Use% Mounted on\ntmpfs ");
    EXPECT_OUT_HAS(fmt("%% %s\n", tdir));
    KT_EXPECT_EQ(run("df missing"), -ENOENT);
    EXPECT_OUT_HAS("df: missing: ENOENT");
    KT_EXPECT_EQ(run("write f x; sync"), 0);
    KT_EXPECT_STREQ(out, "");
    KT_EXPECT_EQ(run("sync now"), SHELL_USAGE);
    teardown();
}

/* Whether disk d holds an ext2 file system (its superblock's magic at byte 1080). */
static bool disk_has_ext2(struct blk_dev *d)
{
    uint32_t per_block = d->block_size / BLK_SECTOR_SIZE;
    uint8_t *buf = kmalloc(MAX(d->block_size, 4096u));
    bool ext2 = false;

    KT_ASSERT_NOT_NULL(buf);
    /* sectors 0..7 in whole blocks: the superblock is at 1024..2047 */
    if (blk_read(d, 0, MAX(per_block, 8u), buf) == 0)
        ext2 = buf[1080] == 0x53 && buf[1081] == 0xef;
    kfree(buf);
    return ext2;
}

static void find_source(struct mount *m, const char *mountpoint, void *arg)
{
    (void)mountpoint;
    if (strcmp(m->source, "/dev/vda") == 0)
        *(bool *)arg = true;
}

/*
 * `mount vda` mounts the data disk (ext2) on "/" and the shell follows it
 * there; `umount /` brings back the root below. Needs a disk vda holding
 * an ext2 file system that is not mounted yet.
 */
KTEST(fs_cmds, mount_vda_becomes_the_root)
{
    struct vfs_ctx *c = ctx();
    struct path before = c->root;
    struct linux_statfs sf;
    struct blk_dev *d = blk_find("vda");
    bool mounted = false;

    if (!vfs_find_fs("ext2"))
        KT_SKIP("no ext2 driver");
    if (!d)
        KT_SKIP("no disk vda");
    if (!disk_has_ext2(d))
        KT_SKIP("vda holds no ext2 file system");
    vfs_for_each_mount(c, find_source, &mounted);
    if (mounted)
        KT_SKIP("vda is mounted already");
    if (run("mount vda") != 0) {
        ktest_fail(__FILE__, __LINE__, "mount vda: %s", out);
        ktest_abort();
    }
    KT_EXPECT_TRUE(c->root.mnt != before.mnt);
    KT_ASSERT_EQ(vfs_statfs(c, NULL, "/", &sf), 0);
    KT_EXPECT_EQ(sf.f_type, (int64_t)EXT2_SUPER_MAGIC);
    KT_EXPECT_EQ(run("pwd"), 0);
    KT_EXPECT_STREQ(out, "/\n");
    KT_EXPECT_EQ(run("mount"), 0);
    EXPECT_OUT_HAS("/dev/vda / ext2 rw");
    EXPECT_OUT_LACKS("tmpfs / ");                       /* the root below is out of sight */
    KT_EXPECT_EQ(run("df /"), 0);
    EXPECT_OUT_HAS("/dev/vda ");
    KT_EXPECT_EQ(run("ls -a /"), 0);
    EXPECT_OUT_HAS("..\n");
    KT_EXPECT_EQ(run("umount /"), 0);
    KT_EXPECT_TRUE(c->root.mnt == before.mnt);
    KT_EXPECT_TRUE(c->root.dentry == before.dentry);
    KT_EXPECT_EQ(run("mount"), 0);
    EXPECT_OUT_LACKS("/dev/vda");
    /* the first root stays */
    KT_EXPECT_EQ(run("umount /"), -EBUSY);
    EXPECT_OUT_HAS("umount: /: EBUSY");
}
