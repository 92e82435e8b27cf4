/*
 * src/fs/tests/vfs_diskfs_ktests.c - the VFS with a disk-style file system:
 * a tiny read-only "vfsktfs" on a RAM disk whose inodes are found by number
 * (inode_get/read_inode, like ext2) and whose files go through the page
 * cache with get_block. Shows what tmpfs cannot: inodes read on lookup,
 * dentries and inodes given back by reclaim and read again, every inode
 * freed at umount.
 *
 * Part of fs (tests). Root (ino 1) holds f0..f99 (ino 2..101); file ino i
 * is 100 + i bytes in device block i (1 KiB blocks), every byte = i.
 */
#include <core/atomic.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/ktest.h>
#include <core/time.h>
#include <core/string.h>
#include <dev/ramdisk.h>
#include <fs/pagecache.h>
#include <fs/vfs.h>
#include <mm/kmalloc.h>
#include <sched/thread.h>

#define KT_NFILES   100u
#define KT_BS       1024u

static uint32_t kt_reads, kt_frees;     /* [a] */

static const struct inode_ops ktfs_dir_iops;
static const struct file_ops ktfs_dir_fops;

static int ktfs_get_block(struct inode *inode, uint64_t iblock, bool create, uint64_t *pblock)
{
    if (create)
        return -EROFS;
    *pblock = iblock == 0 ? inode->ino : 0;
    return 0;
}

static const struct pc_aops ktfs_aops = { .get_block = ktfs_get_block };

static int ktfs_read_inode(struct inode *inode)
{
    atomic_inc(&kt_reads);
    if (inode->ino == 1) {
        inode->mode = S_IFDIR | 0755;
        inode->nlink = 2;
        inode->iops = &ktfs_dir_iops;
        inode->fops = &ktfs_dir_fops;
        inode->size = KT_BS;
        return 0;
    }
    if (inode->ino < 2 || inode->ino >= 2 + KT_NFILES)
        return -EUCLEAN;
    inode->mode = S_IFREG | 0644;
    inode->nlink = 1;
    inode->size = 100 + inode->ino;
    inode->blocks = 2;
    inode->fops = &pagecache_file_ops;
    inode->aops = &ktfs_aops;
    return 0;
}

static void ktfs_free_inode(struct inode *inode)
{
    atomic_inc(&kt_frees);
    kfree(inode);
}

static int ktfs_lookup(struct inode *dir, struct dentry *d)
{
    uint64_t n;
    struct inode *inode;
    int err;

    if (d->name_len < 2 || d->name[0] != 'f' || str_to_u64(d->name + 1, d->name_len - 1, 10, &n) ||
        n >= KT_NFILES)
        return 0;
    err = inode_get(dir->sb, n + 2, &inode);
    if (err)
        return err;
    d_instantiate(d, inode);
    return 0;
}

static int ktfs_iterate(struct file *f, struct dir_ctx *ctx)
{
    char name[8];

    (void)f;
    while (ctx->pos < KT_NFILES + 2) {
        bool ok;
        if (ctx->pos < 2) {
            ok = ctx->emit(ctx, "..", ctx->pos + 1, 1, DT_DIR);
        } else {
            int len = snprintf(name, sizeof(name), "f%llu", (unsigned long long)(ctx->pos - 2));
            ok = ctx->emit(ctx, name, (size_t)len, ctx->pos, DT_REG);
        }
        if (!ok)
            break;
        ctx->pos++;
    }
    return 0;
}

static const struct inode_ops ktfs_dir_iops = { .lookup = ktfs_lookup };
static const struct file_ops ktfs_dir_fops = { .iterate = ktfs_iterate };

static const struct super_ops ktfs_sops = {
    .read_inode = ktfs_read_inode,
    .free_inode = ktfs_free_inode,
};

/* Option "fail": reads the root, releases it and refuses (a damaged image). */
static int ktfs_fill_super(struct super_block *sb, struct blk_dev *bdev, const char *data)
{
    int err;

    (void)bdev;
    sb->ops = &ktfs_sops;
    sb->magic = 0x6b746673;
    sb->block_size = KT_BS;
    sb->max_bytes = 1 << 20;
    sb->flags |= SB_RDONLY;
    err = inode_get(sb, 1, &sb->root);
    if (!err && strcmp(data, "fail") == 0) {
        inode_put(sb->root);
        return -EUCLEAN;
    }
    return err;
}

static struct fs_type ktfs_type = {
    .name = "vfsktfs",
    .flags = FS_REQUIRES_DEV,
    .fill_super = ktfs_fill_super,
};

KTEST(vfs_diskfs, inodes_read_reclaimed_and_freed)
{
    struct vfs_ctx *ctx = vfs_kernel_ctx();
    uint32_t reads0, frees0, reads1;
    struct ramdisk *rd;
    struct linux_stat st;
    char src[24], path[64];
    uint8_t buf[256];
    struct file *f;
    bool ok = true;

    if (!ctx)
        KT_SKIP("no root file system mounted");
    if (!vfs_find_fs("vfsktfs"))
        KT_ASSERT_EQ(vfs_register_fs(&ktfs_type), 0);
    KT_ASSERT_EQ(ramdisk_create("ktfs", (2 + KT_NFILES) * (KT_BS / 512), 512, 256, 16, &rd), 0);
    for (unsigned b = 0; b < 2 + KT_NFILES; b++)
        memset(rd->data + (size_t)b * KT_BS, (int)b, KT_BS);
    snprintf(src, sizeof(src), "/dev/%s", rd->dev.name);
    vfs_mkdir(ctx, NULL, "/tmp/vfsktfs", 0755);
    reads0 = atomic_load(&kt_reads);
    frees0 = atomic_load(&kt_frees);
    /* a refused mount leaves no inode behind (the one it read is freed) */
    KT_EXPECT_EQ(vfs_mount(ctx, src, "/tmp/vfsktfs", "vfsktfs", 0, "fail"), -EUCLEAN);
    KT_EXPECT_EQ(atomic_load(&kt_reads) - reads0, 1u);
    KT_EXPECT_EQ(atomic_load(&kt_frees) - frees0, 1u);
    reads0 = atomic_load(&kt_reads);
    frees0 = atomic_load(&kt_frees);
    KT_ASSERT_EQ(vfs_mount(ctx, src, "/tmp/vfsktfs", "vfsktfs", 0, ""), 0);
    KT_EXPECT_EQ(vfs_mount(ctx, src, "/tmp", "vfsktfs", 0, ""), -EBUSY);    /* the device is in use */

    /* every file: looked up (read_inode), read through the page cache */
    for (unsigned i = 0; i < KT_NFILES; i++) {
        snprintf(path, sizeof(path), "/tmp/vfsktfs/f%u", i);
        if (vfs_open(ctx, NULL, path, O_RDONLY, 0, &f) != 0) {
            ok = false;
            continue;
        }
        if (vfs_read(f, buf, sizeof(buf)) != 100 + 2 + (ssize_t)i || buf[0] != 2 + i || buf[99] != 2 + i)
            ok = false;
        file_put(f);
    }
    KT_EXPECT_TRUE(ok);
    KT_EXPECT_EQ(atomic_load(&kt_reads) - reads0, 1 + KT_NFILES);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, "/tmp/vfsktfs/f100", &st, 0), -ENOENT);
    KT_EXPECT_EQ(vfs_open(ctx, NULL, "/tmp/vfsktfs/f1", O_WRONLY, 0, &f), -EROFS);

    /* memory pressure: pages, then unused dentries and their inodes go */
    pagecache_reclaim(1000000);
    KT_EXPECT_GE(dcache_shrink(1000000), (size_t)KT_NFILES);
    KT_EXPECT_GE(atomic_load(&kt_frees) - frees0, KT_NFILES);
    /* and come back from the disk */
    reads1 = atomic_load(&kt_reads);
    KT_EXPECT_EQ(vfs_stat(ctx, NULL, "/tmp/vfsktfs/f42", &st, 0), 0);
    KT_EXPECT_EQ(st.st_size, 144);
    KT_EXPECT_EQ(st.st_ino, 44u);
    KT_EXPECT_EQ(atomic_load(&kt_reads) - reads1, 1u);

    KT_EXPECT_EQ(vfs_umount(ctx, "/tmp/vfsktfs", 0), 0);
    /* every inode read was freed, none twice */
    KT_EXPECT_EQ(atomic_load(&kt_frees) - frees0, atomic_load(&kt_reads) - reads0);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, "/tmp/vfsktfs"), 0);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
}

/* Lookups of the same names on two CPUs while a third thread keeps
 * reclaiming dentries and inodes: every stat sees the right file. The
 * lookup threads go on past their 5 rounds until reclaim has made the fs
 * read an inode again (3 s at most): on one fast CPU the shrinker may not
 * have run at all during the first 5. */
struct ktfs_stress {
    int id;
    int errors;
};

static volatile bool ktfs_stop;
static uint32_t ktfs_reads0;            /* kt_reads before the mount */
static uint64_t ktfs_deadline;          /* time_ns() the lookup threads stop by */

static void *ktfs_stress_thread(void *arg)
{
    struct ktfs_stress *s = arg;
    struct vfs_ctx *ctx = vfs_kernel_ctx();
    struct linux_stat st;
    char path[64];

    for (int r = 0; r < 5 || (atomic_load(&kt_reads) - ktfs_reads0 <= 1 + KT_NFILES &&
                                time_ns() < ktfs_deadline); r++) {
        for (unsigned i = 0; i < KT_NFILES; i++) {
            unsigned n = s->id ? KT_NFILES - 1 - i : i;
            snprintf(path, sizeof(path), "/tmp/vfsktfs/f%u", n);
            if (vfs_stat(ctx, NULL, path, &st, 0) != 0 || st.st_ino != n + 2 ||
                st.st_size != (int64_t)(100 + n + 2))
                s->errors++;
        }
    }
    return NULL;
}

static void *ktfs_shrink_thread(void *arg)
{
    (void)arg;
    while (!ktfs_stop)
        dcache_shrink(7);
    return NULL;
}

KTEST(vfs_diskfs, lookups_race_reclaim)
{
    struct vfs_ctx *ctx = vfs_kernel_ctx();
    struct ktfs_stress s[2] = { { .id = 0 }, { .id = 1 } };
    struct thread *t[3];
    uint32_t reads0, frees0;
    struct ramdisk *rd;
    char src[24];

    if (!ctx)
        KT_SKIP("no root file system mounted");
    if (!vfs_find_fs("vfsktfs"))
        KT_ASSERT_EQ(vfs_register_fs(&ktfs_type), 0);
    KT_ASSERT_EQ(ramdisk_create("ktfs", (2 + KT_NFILES) * (KT_BS / 512), 512, 256, 16, &rd), 0);
    snprintf(src, sizeof(src), "/dev/%s", rd->dev.name);
    vfs_mkdir(ctx, NULL, "/tmp/vfsktfs", 0755);
    reads0 = atomic_load(&kt_reads);
    frees0 = atomic_load(&kt_frees);
    KT_ASSERT_EQ(vfs_mount(ctx, src, "/tmp/vfsktfs", "vfsktfs", 0, ""), 0);
    ktfs_stop = false;
    ktfs_reads0 = reads0;
    ktfs_deadline = time_ns() + 3000000000ull;
    t[0] = thread_create("ktfs-a", ktfs_stress_thread, &s[0], THREAD_CPU(0));
    t[1] = thread_create("ktfs-b", ktfs_stress_thread, &s[1], THREAD_CPU(1));
    if (!t[1])
        t[1] = thread_create("ktfs-b", ktfs_stress_thread, &s[1], 0);
    t[2] = thread_create("ktfs-shrink", ktfs_shrink_thread, NULL, 0);
    KT_ASSERT_TRUE(t[0] && t[1] && t[2]);
    thread_join(t[0], NULL);
    thread_join(t[1], NULL);
    ktfs_stop = true;
    thread_join(t[2], NULL);
    KT_EXPECT_EQ(s[0].errors, 0);
    KT_EXPECT_EQ(s[1].errors, 0);
    KT_EXPECT_GT(atomic_load(&kt_reads) - reads0, 1 + KT_NFILES);    /* reclaim did bite */
    KT_EXPECT_EQ(vfs_umount(ctx, "/tmp/vfsktfs", 0), 0);
    KT_EXPECT_EQ(atomic_load(&kt_frees) - frees0, atomic_load(&kt_reads) - reads0);
    KT_EXPECT_EQ(vfs_rmdir(ctx, NULL, "/tmp/vfsktfs"), 0);
    KT_EXPECT_EQ(ramdisk_destroy(rd), 0);
}
