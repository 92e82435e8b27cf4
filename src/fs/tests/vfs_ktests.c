/*
 * src/fs/tests/vfs_ktests.c - in-kernel tests of the VFS on tmpfs: the
 * conformance suite (include/fs/vfs_conformance.h) case by case on a fresh
 * tmpfs mount each, then what only a RAM file system can show quickly:
 * mounts (nested, "..", -EBUSY, -EINVAL, read-only and remount), the
 * dentry cache's counters and reclaim, the page cache's tmpfs pages.
 *
 * Part of fs (tests). Needs the boot step's tmpfs root with /tmp.
 */
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/string.h>
#include <fs/pagecache.h>
#include <fs/vfs.h>
#include <fs/vfs_conformance.h>
#include <sched/thread.h>

static struct vfs_ctx *kctx(void)
{
    struct vfs_ctx *ctx = vfs_kernel_ctx();

    if (!ctx)
        KT_SKIP("no root file system mounted");
    return ctx;
}

/* A fresh tmpfs mounted on a new directory under /tmp. */
static void mount_fresh(struct vfs_ctx *ctx, char *dir, size_t len, unsigned long flags)
{
    static unsigned seq;

    snprintf(dir, len, "/tmp/vfsk%u", seq++);
    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, dir, 0755), 0);
    KT_ASSERT_EQ(vfs_mount(ctx, "tmpfs", dir, "tmpfs", flags, ""), 0);
}

static void unmount_fresh(struct vfs_ctx *ctx, const char *dir)
{
    KT_EXPECT_EQ(vfs_umount(ctx, dir, 0), 0);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, dir), 0);
}

static void run_case(const char *name)
{
    struct vfs_ctx *ctx = kctx();
    char dir[32];

    mount_fresh(ctx, dir, sizeof(dir), 0);
    KT_EXPECT_EQ(vfs_conformance_run_one(dir, name), 0);
    unmount_fresh(ctx, dir);
}

KTEST(vfs_tmpfs, basic_io) { run_case("basic_io"); }
KTEST(vfs_tmpfs, dirs) { run_case("dirs"); }
KTEST(vfs_tmpfs, paths) { run_case("paths"); }
KTEST(vfs_tmpfs, symlinks) { run_case("symlinks"); }
KTEST(vfs_tmpfs, links) { run_case("links"); }
KTEST(vfs_tmpfs, rename) { run_case("rename"); }
KTEST(vfs_tmpfs, open_unlinked) { run_case("open_unlinked"); }
KTEST(vfs_tmpfs, perms) { run_case("perms"); }
KTEST(vfs_tmpfs, attrs) { run_case("attrs"); }
KTEST(vfs_tmpfs, chdir) { run_case("chdir"); }
KTEST(vfs_tmpfs, bigdir) { run_case("bigdir"); }

/* The whole suite twice in one directory: every case cleans up after itself
 * (a file system shares one directory across all cases, as ext2's ktest does). */
KTEST(vfs_tmpfs, whole_suite_leaves_dir_empty)
{
    struct vfs_ctx *ctx = kctx();
    struct linux_stat st;
    struct file *f;
    char dir[32], buf[256];

    mount_fresh(ctx, dir, sizeof(dir), 0);
    for (size_t i = 0; i < vfs_conformance_ncases; i++) {
        if (strcmp(vfs_conformance_cases[i], "bigdir") == 0)
            continue;           /* slow; it has its own ktest */
        KT_EXPECT_EQ(vfs_conformance_run_one(dir, vfs_conformance_cases[i]), 0);
        KT_EXPECT_EQ(vfs_conformance_run_one(dir, vfs_conformance_cases[i]), 0);
    }
    KT_ASSERT_EQ(vfs_open(ctx, NULL, dir, O_RDONLY | O_DIRECTORY, 0, &f), 0);
    KT_EXPECT_EQ(vfs_getdents(f, buf, sizeof(buf)), 2 * (ssize_t)LINUX_DIRENT64_RECLEN(2));
    file_put(f);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, dir, &st, 0), 0);
    KT_EXPECT_EQ(st.st_nlink, 2u);
    unmount_fresh(ctx, dir);
}

KTEST(vfs_tmpfs, every_case_has_a_ktest)
{
    KT_EXPECT_EQ(vfs_conformance_ncases, 11u);
    KT_EXPECT_EQ(vfs_conformance_run_one("/tmp", "no-such-case"), -1);
}

/* The root, whatever it is (tmpfs, an initramfs, root=): "/.." is "/", and
 * /tmp is a world-writable sticky directory (the tests below need it). */
KTEST(vfs, root_dotdot_and_tmp)
{
    struct vfs_ctx *ctx = kctx();
    struct linux_stat st, root;

    KT_ASSERT_EQ(vfs_stat(ctx, NULL, "/", &root, 0), 0);
    KT_EXPECT_TRUE(S_ISDIR(root.st_mode));
    KT_ASSERT_EQ(vfs_stat(ctx, NULL, "/../..", &st, 0), 0);
    KT_EXPECT_EQ(st.st_ino, root.st_ino);
    KT_EXPECT_EQ(st.st_dev, root.st_dev);
    KT_ASSERT_EQ(vfs_stat(ctx, NULL, "/tmp", &st, 0), 0);
    KT_EXPECT_TRUE(S_ISDIR(st.st_mode));
    KT_EXPECT_EQ(st.st_mode & 07777, 01777u);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, "/tmp/../tmp/./..", &st, 0), 0);
    KT_EXPECT_EQ(st.st_ino, root.st_ino);
}

static void find_tmpfs(const struct fs_type *t, void *arg)
{
    if (strcmp(t->name, "tmpfs") == 0)
        *(bool *)arg = true;
}

KTEST(vfs, fs_registry)
{
    static struct fs_type dup = { .name = "tmpfs" };
    bool seen = false;

    KT_EXPECT_TRUE(vfs_find_fs("tmpfs") != NULL);
    KT_EXPECT_TRUE(vfs_find_fs("nosuchfs") == NULL);
    vfs_for_each_fs(find_tmpfs, &seen);
    KT_EXPECT_TRUE(seen);
    KT_EXPECT_EQ(vfs_register_fs(&dup), -EINVAL);       /* no fill_super */
}

KTEST(vfs_mount, nested_mounts_and_dotdot)
{
    struct vfs_ctx *ctx = kctx();
    struct linux_stat outer, inner, st;
    char a[32], sub[48], path[64];
    struct file *f;

    mount_fresh(ctx, a, sizeof(a), 0);
    snprintf(sub, sizeof(sub), "%s/sub", a);
    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, sub, 0755), 0);
    KT_ASSERT_EQ(vfs_mount(ctx, "tmpfs", sub, "tmpfs", 0, ""), 0);
    snprintf(path, sizeof(path), "%s/inside", sub);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY, 0644, &f), 0);
    file_put(f);
    KT_ASSERT_EQ(vfs_stat(ctx, NULL, a, &outer, 0), 0);
    KT_ASSERT_EQ(vfs_stat(ctx, NULL, sub, &inner, 0), 0);
    KT_EXPECT_NE(outer.st_dev, inner.st_dev);
    /* ".." from the inner mount's root climbs into the outer file system */
    snprintf(path, sizeof(path), "%s/..", sub);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), 0);
    KT_EXPECT_EQ(st.st_ino, outer.st_ino);
    KT_EXPECT_EQ(st.st_dev, outer.st_dev);
    snprintf(path, sizeof(path), "%s/inside/../../sub/inside", sub);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), -ENOTDIR);
    snprintf(path, sizeof(path), "%s/../sub/inside", sub);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), 0);
    KT_EXPECT_EQ(st.st_dev, inner.st_dev);
    /* a child mount keeps the parent busy; not a mount root is -EINVAL */
    KT_EXPECT_EQ(vfs_umount(ctx, a, 0), -EBUSY);
    KT_EXPECT_EQ(vfs_umount(ctx, "/tmp", 0), -EINVAL);
    KT_EXPECT_EQ(vfs_umount(ctx, "/tmp/vfsk-none", 0), -ENOENT);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, sub), -EBUSY);
    KT_EXPECT_EQ(vfs_rename(ctx, NULL, sub, NULL, "/tmp/elsewhere"), -EXDEV);
    KT_EXPECT_EQ(vfs_umount(ctx, sub, 0), 0);
    /* the directory underneath is back, empty */
    snprintf(path, sizeof(path), "%s/inside", sub);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), -ENOENT);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, sub, &st, 0), 0);
    KT_EXPECT_EQ(st.st_dev, outer.st_dev);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, sub), 0);
    unmount_fresh(ctx, a);
}

KTEST(vfs_mount, umount_busy_while_in_use)
{
    struct vfs_ctx *ctx = kctx();
    struct vfs_ctx c;
    char a[32], path[64];
    struct file *f;

    mount_fresh(ctx, a, sizeof(a), 0);
    snprintf(path, sizeof(path), "%s/f", a);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_RDWR, 0644, &f), 0);
    KT_EXPECT_EQ(vfs_umount(ctx, a, 0), -EBUSY);
    file_put(f);
    /* a working directory inside */
    KT_ASSERT_EQ(vfs_ctx_clone(ctx, &c), 0);
    KT_EXPECT_EQ(vfs_chdir(&c, a), 0);
    KT_EXPECT_EQ(vfs_umount(ctx, a, 0), -EBUSY);
    vfs_ctx_release(&c);
    KT_EXPECT_EQ(vfs_umount(ctx, "/", 0), -EBUSY);
    unmount_fresh(ctx, a);
}

KTEST(vfs_mount, read_only_and_remount)
{
    struct vfs_ctx *ctx = kctx();
    struct linux_statfs sfs;
    char a[32], path[64];
    struct file *f;

    mount_fresh(ctx, a, sizeof(a), MS_RDONLY);
    snprintf(path, sizeof(path), "%s/f", a);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY, 0644, &f), -EROFS);
    KT_EXPECT_EQ(vfs_mkdir(ctx, NULL, path, 0755), -EROFS);
    KT_EXPECT_EQ(vfs_statfs(ctx, NULL, a, &sfs), 0);
    KT_EXPECT_TRUE(sfs.f_flags & ST_RDONLY);
    KT_EXPECT_EQ(sfs.f_type, TMPFS_MAGIC);
    KT_ASSERT_EQ(vfs_mount(ctx, NULL, a, NULL, MS_REMOUNT, ""), 0);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY, 0644, &f), 0);
    KT_EXPECT_EQ(vfs_write(f, "rw", 2), 2);
    file_put(f);
    KT_ASSERT_EQ(vfs_mount(ctx, NULL, a, NULL, MS_REMOUNT | MS_RDONLY, ""), 0);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, path, O_WRONLY, 0, &f), -EROFS);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, path, O_RDONLY | O_TRUNC, 0, &f), -EROFS);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, path), -EROFS);
    KT_EXPECT_EQ(vfs_chmod(ctx, NULL, path, 0600, 0), -EROFS);
    KT_EXPECT_EQ(vfs_truncate(ctx, NULL, path, 0), -EROFS);
    KT_EXPECT_EQ(vfs_access(ctx, NULL, path, W_OK), -EROFS);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_RDONLY, 0, &f), 0);
    file_put(f);
    KT_EXPECT_EQ(vfs_mount(ctx, NULL, "/tmp", NULL, MS_REMOUNT, ""), -EINVAL);
    unmount_fresh(ctx, a);
}

KTEST(vfs_mount, bad_mounts)
{
    struct vfs_ctx *ctx = kctx();
    struct file *f;

    KT_ASSERT_EQ(vfs_open(ctx, NULL, "/tmp/vfsk-file", O_CREAT | O_WRONLY, 0644, &f), 0);
    file_put(f);
    KT_EXPECT_EQ(vfs_mount(ctx, "tmpfs", "/tmp/vfsk-file", "tmpfs", 0, ""), -ENOTDIR);
    KT_EXPECT_EQ(vfs_mount(ctx, "tmpfs", "/tmp", "nosuchfs", 0, ""), -ENODEV);
    KT_EXPECT_EQ(vfs_mount(ctx, "tmpfs", "/tmp/vfsk-missing", "tmpfs", 0, ""), -ENOENT);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, "/tmp/vfsk-file"), 0);
}

struct mount_seen {
    const char *want;
    const char *type;           /* NULL: any */
    bool seen;
};

static void look_for_mount(struct mount *m, const char *mp, void *arg)
{
    struct mount_seen *s = arg;

    if (strcmp(mp, s->want) == 0 && (!s->type || strcmp(m->sb->type->name, s->type) == 0))
        s->seen = true;
}

KTEST(vfs_mount, for_each_mount_and_path_name)
{
    struct vfs_ctx *ctx = kctx();
    struct mount_seen s = { .type = "tmpfs" };
    struct mount_seen r = { .want = "/" };     /* the root, whatever its type */
    char a[32];

    mount_fresh(ctx, a, sizeof(a), 0);
    s.want = a;
    vfs_for_each_mount(ctx, look_for_mount, &s);
    vfs_for_each_mount(ctx, look_for_mount, &r);
    KT_EXPECT_TRUE(s.seen);
    KT_EXPECT_TRUE(r.seen);
    unmount_fresh(ctx, a);
    s.seen = false;
    vfs_for_each_mount(ctx, look_for_mount, &s);
    KT_EXPECT_FALSE(s.seen);
}

KTEST(vfs_dcache, negative_entries_and_shrink)
{
    struct vfs_ctx *ctx = kctx();
    uint64_t pos0, neg0, pos1, neg1;
    struct linux_stat st;
    char a[32], path[64];
    struct file *f;

    mount_fresh(ctx, a, sizeof(a), 0);
    dcache_counts(&pos0, &neg0);
    for (int i = 0; i < 50; i++) {
        snprintf(path, sizeof(path), "%s/missing%d", a, i);
        KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), -ENOENT);
    }
    dcache_counts(&pos1, &neg1);
    KT_EXPECT_GE(neg1, neg0 + 50);
    /* a negative entry turns positive when the name is created */
    snprintf(path, sizeof(path), "%s/missing7", a);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY, 0644, &f), 0);
    KT_EXPECT_EQ(vfs_write(f, "kept", 4), 4);
    file_put(f);
    dcache_counts(&pos0, &neg0);
    KT_EXPECT_EQ(pos0, pos1 + 1);
    KT_EXPECT_EQ(neg0, neg1 - 1);
    /* reclaim drops unused negative entries but never tmpfs names */
    KT_EXPECT_GT(dcache_shrink(1000000), 0u);
    dcache_counts(&pos1, &neg1);
    KT_EXPECT_LT(neg1, neg0);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), 0);
    KT_EXPECT_EQ(st.st_size, 4);
    /* rmdir takes the directory's cached negative entries with it */
    snprintf(path, sizeof(path), "%s/d", a);
    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, path, 0755), 0);
    for (int i = 0; i < 20; i++) {
        snprintf(path, sizeof(path), "%s/d/no%d", a, i);
        KT_EXPECT_EQ(vfs_stat(ctx, NULL, path, &st, 0), -ENOENT);
    }
    dcache_counts(&pos0, &neg0);
    snprintf(path, sizeof(path), "%s/d", a);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, path), 0);
    dcache_counts(&pos1, &neg1);
    KT_EXPECT_LE(neg1 + 20, neg0);
    KT_EXPECT_EQ(pos1 + 1, pos0);
    unmount_fresh(ctx, a);
}

KTEST(vfs_pagecache, tmpfs_pages_are_unevictable)
{
    struct vfs_ctx *ctx = kctx();
    struct pagecache_stats s0, s1;
    static uint8_t data[8192];
    char a[32], path[64];
    struct file *f;

    mount_fresh(ctx, a, sizeof(a), 0);
    snprintf(path, sizeof(path), "%s/f", a);
    s0 = pagecache_stats();
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_RDWR, 0644, &f), 0);
    memset(data, 0xab, sizeof(data));
    KT_EXPECT_EQ(vfs_write(f, data, sizeof(data)), (ssize_t)sizeof(data));
    s1 = pagecache_stats();
    KT_EXPECT_EQ(s1.unevictable, s0.unevictable + 2);
    KT_EXPECT_EQ(s1.dirty, s0.dirty);           /* nothing to write back */
    pagecache_reclaim(1000000);
    memset(data, 0, sizeof(data));
    KT_EXPECT_EQ(vfs_pread(f, data, sizeof(data), 0), (ssize_t)sizeof(data));
    KT_EXPECT_EQ(data[0], 0xab);
    KT_EXPECT_EQ(data[8191], 0xab);
    file_put(f);
    unmount_fresh(ctx, a);
    /* the unmount freed them */
    KT_EXPECT_EQ(pagecache_stats().unevictable, s0.unevictable);
}

KTEST(vfs, permission_rules)
{
    static const struct cred user = { .uid = 5, .gid = 6, .ngroups = 1, .groups = { 7 } };
    struct inode i = { 0 };

    i.mode = S_IFREG | 0640;
    i.uid = 1;
    i.gid = 7;
    KT_EXPECT_EQ(vfs_permission(&i, R_OK, &user), 0);          /* supplementary group */
    KT_EXPECT_EQ(vfs_permission(&i, W_OK, &user), -EACCES);
    KT_EXPECT_EQ(vfs_permission(&i, R_OK | W_OK, &vfs_root_cred), 0);
    KT_EXPECT_EQ(vfs_permission(&i, X_OK, &vfs_root_cred), -EACCES);
    i.mode = S_IFDIR | 0700;
    KT_EXPECT_EQ(vfs_permission(&i, X_OK, &vfs_root_cred), 0);
    KT_EXPECT_EQ(vfs_permission(&i, X_OK, &user), -EACCES);
    i.mode = S_IFREG | 0070;
    i.uid = 5;                          /* the owner's bits count, not the group's */
    KT_EXPECT_EQ(vfs_permission(&i, R_OK, &user), -EACCES);
}

/* ---- concurrency: threads creating, renaming (both directions across two
 * directories), removing and looking up in one tmpfs; afterwards the mount
 * must come off (a leaked reference would make umount -EBUSY) and the
 * directories must hold exactly what the threads left. */

#define STRESS_THREADS  4
#define STRESS_ROUNDS   100

struct stress {
    const char *dir;
    int id;
    int errors;
    int last_err, last_line;
};

#define STRESS_CHECK(s, cond, err)                                              \
    do {                                                                        \
        if (!(cond)) {                                                          \
            (s)->errors++;                                                      \
            (s)->last_err = (int)(err);                                         \
            (s)->last_line = __LINE__;                                          \
        }                                                                       \
    } while (0)

static void *stress_thread(void *arg)
{
    struct stress *s = arg;
    struct vfs_ctx *ctx = vfs_kernel_ctx();
    char p1[96], p2[96];
    struct linux_stat st;
    struct file *f;
    int err;

    for (int r = 0; r < STRESS_ROUNDS; r++) {
        switch (s->id) {
        case 0:         /* create, write, read back, unlink */
            snprintf(p1, sizeof(p1), "%s/d1/c%d", s->dir, r % 7);
            err = vfs_open(ctx, NULL, p1, O_CREAT | O_RDWR | O_TRUNC, 0644, &f);
            STRESS_CHECK(s, err == 0, err);
            if (!err) {
                char b[8] = { 0 };
                STRESS_CHECK(s, vfs_write(f, "abc", 3) == 3, -1);
                STRESS_CHECK(s, vfs_pread(f, b, 3, 0) == 3 && b[0] == 'a', -2);
                file_put(f);
            }
            err = vfs_unlink(ctx, NULL, p1);
            STRESS_CHECK(s, err == 0, err);
            break;
        case 1:         /* d1/m -> d2/m and back */
        case 2:         /* d2/n -> d1/n and back: the other lock order */
            snprintf(p1, sizeof(p1), "%s/%s/%c", s->dir, s->id == 1 ? "d1" : "d2", s->id == 1 ? 'm' : 'n');
            snprintf(p2, sizeof(p2), "%s/%s/%c", s->dir, s->id == 1 ? "d2" : "d1", s->id == 1 ? 'm' : 'n');
            err = vfs_rename(ctx, NULL, p1, NULL, p2);
            STRESS_CHECK(s, err == 0, err);
            err = vfs_stat(ctx, NULL, p2, &st, 0);
            STRESS_CHECK(s, err == 0, err);
            err = vfs_rename(ctx, NULL, p2, NULL, p1);
            STRESS_CHECK(s, err == 0, err);
            break;
        default:        /* directories come and go; lookups inside and through ".." */
            snprintf(p1, sizeof(p1), "%s/d2/sub%d", s->dir, r % 5);
            err = vfs_mkdir(ctx, NULL, p1, 0755);
            STRESS_CHECK(s, err == 0, err);
            snprintf(p2, sizeof(p2), "%s/d2/sub%d/../../d1/nothing", s->dir, r % 5);
            err = vfs_stat(ctx, NULL, p2, &st, 0);
            STRESS_CHECK(s, err == -ENOENT, err);
            snprintf(p2, sizeof(p2), "%s/d2/sub%d/x", s->dir, r % 5);
            err = vfs_stat(ctx, NULL, p2, &st, 0);
            STRESS_CHECK(s, err == -ENOENT, err);
            err = vfs_rmdir(ctx, NULL, p1);
            STRESS_CHECK(s, err == 0, err);
            break;
        }
    }
    return NULL;
}

KTEST(vfs_tmpfs, concurrent_changes_leave_no_references)
{
    struct vfs_ctx *ctx = kctx();
    struct stress st[STRESS_THREADS];
    struct thread *t[STRESS_THREADS];
    char dir[32], path[64];
    struct file *f;

    mount_fresh(ctx, dir, sizeof(dir), 0);
    snprintf(path, sizeof(path), "%s/d1", dir);
    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, path, 0755), 0);
    snprintf(path, sizeof(path), "%s/d2", dir);
    KT_ASSERT_EQ(vfs_mkdir(ctx, NULL, path, 0755), 0);
    snprintf(path, sizeof(path), "%s/d1/m", dir);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY, 0644, &f), 0);
    file_put(f);
    snprintf(path, sizeof(path), "%s/d2/n", dir);
    KT_ASSERT_EQ(vfs_open(ctx, NULL, path, O_CREAT | O_WRONLY, 0644, &f), 0);
    file_put(f);
    for (int i = 0; i < STRESS_THREADS; i++) {
        st[i] = (struct stress){ .dir = dir, .id = i };
        t[i] = thread_create("vfs-stress", stress_thread, &st[i], THREAD_CPU(i & 1));
        if (!t[i])
            t[i] = thread_create("vfs-stress", stress_thread, &st[i], 0);
        KT_ASSERT_TRUE(t[i] != NULL);
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        KT_EXPECT_EQ(thread_join(t[i], NULL), 0);
        if (st[i].errors)
            ktest_fail(__FILE__, __LINE__, "thread %d: %d errors, last %d at line %d",
                       i, st[i].errors, st[i].last_err, st[i].last_line);
    }
    /* what is left: d1 {m}, d2 {n} */
    snprintf(path, sizeof(path), "%s/d1/m", dir);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, path), 0);
    snprintf(path, sizeof(path), "%s/d2/n", dir);
    KT_EXPECT_EQ(vfs_unlink(ctx, NULL, path), 0);
    snprintf(path, sizeof(path), "%s/d1", dir);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, path), 0);
    snprintf(path, sizeof(path), "%s/d2", dir);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, path), 0);
    unmount_fresh(ctx, dir);
}
