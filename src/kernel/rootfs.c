/*
 * src/kernel/rootfs.c - the boot step that sets up "/": initramfs, root=,
 * the standard mounts and the choice of init (include/kernel/rootfs.h).
 *
 * Part of the kernel executable (top layer: the VFS, the boot information,
 * the command line). Runs once in kmain's thread; its state (the init
 * path) is written then and read-only afterwards, so no lock.
 */
#include <kernel/rootfs.h>
#include <core/cmdline.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/layout.h>
#include <core/multiboot2.h>
#include <core/printk.h>
#include <core/string.h>
#include <fs/vfs.h>
#include <kernel/initargs.h>
#include <kernel/initramfs.h>

CMDLINE_PARAM(root, "root", CMDLINE_STRING, 0, 0,
              "the root file system's device, e.g. root=/dev/vda1 (default: the initramfs)");
CMDLINE_PARAM(rootfstype, "rootfstype", CMDLINE_STRING, 0, 0,
              "the root file system's type (default ext2)");
CMDLINE_PARAM(rootflags, "rootflags", CMDLINE_STRING, 0, 0,
              "mount options for the root file system");
CMDLINE_PARAM(ro, "ro", CMDLINE_FLAG, 0, 0, "mount the root read-only (the default)");
CMDLINE_PARAM(rw, "rw", CMDLINE_FLAG, 0, 0, "mount the root read-write");

static const char *init_path;

const char *rootfs_init_path(void)
{
    return init_path;
}

/* MS_RDONLY unless rw comes after the last ro (Linux: the root is read-only by default). */
static unsigned long root_flags(const struct cmdline *cl)
{
    unsigned long flags = MS_RDONLY;

    for (size_t i = 0; i < cl->count; i++) {
        if (cl->opts[i].rejected)
            continue;
        if (strcmp(cl->opts[i].key, "rw") == 0)
            flags = 0;
        else if (strcmp(cl->opts[i].key, "ro") == 0)
            flags = MS_RDONLY;
    }
    return flags;
}

static bool is_file_at(struct vfs_ctx *ctx, const char *path, bool exec)
{
    struct linux_stat st;

    if (vfs_stat(ctx, NULL, path, &st, 0) != 0 || !S_ISREG(st.st_mode))
        return false;
    return !exec || (st.st_mode & 0111);
}

/* Unpacks every module into the (tmpfs) root. */
static void unpack_modules(const struct boot_info *boot, struct vfs_ctx *ctx)
{
    for (size_t i = 0; i < boot->module_count; i++) {
        const struct boot_module *m = &boot->modules[i];
        struct initramfs_stats st;
        int err;

        if (m->end <= m->start || m->end > BOOT_DIRECT_MAP_LIMIT) {
            pr_err("initramfs: module %zu at [%#llx-%#llx) is empty or out of reach; "
                   "not unpacked", i, (unsigned long long)m->start,
                   (unsigned long long)m->end);
            continue;
        }
        err = initramfs_unpack(ctx, phys_to_virt(m->start), (size_t)(m->end - m->start), &st);
        pr_info("initramfs: %s module %zu%s%s%s (%llu bytes): %zu entries in %zu archives%s, "
                "%zu failed", err ? "partly unpacked" : "unpacked", i,
                m->cmdline[0] ? " '" : "", m->cmdline, m->cmdline[0] ? "'" : "",
                (unsigned long long)(m->end - m->start), st.entries, st.archives,
                st.gzip_members ? " (gzip)" : "", st.failed);
    }
}

/* Mounts root= on /root and makes it the kernel context's root and cwd (a chroot). */
static int mount_root_over_initramfs(struct vfs_ctx *ctx, const char *dev, const char *type,
                                     unsigned long flags, const char *data)
{
    struct path p;
    int err = vfs_mkdir(ctx, NULL, "/root", 0700);

    if (err && err != -EEXIST)
        return err;
    if ((err = vfs_mount(ctx, dev, "/root", type, flags, data)) != 0)
        return err;
    if ((err = vfs_lookup(ctx, NULL, "/root", LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p)) != 0)
        return err;
    path_put(&ctx->root);
    ctx->root = p;              /* its reference passes to ctx */
    path_put(&ctx->cwd);
    path_get(&ctx->root);
    ctx->cwd = ctx->root;
    return 0;
}

static void standard_mounts(struct vfs_ctx *ctx)
{
    static const struct {
        const char *type, *dir;
        uint32_t mode;
    } mounts[] = {
        { "devtmpfs", "/dev", 0755 },
        { "proc", "/proc", 0555 },
        { "sysfs", "/sys", 0555 },
        { "tmpfs", "/tmp", 01777 },
    };
    bool tmpfs_root = strcmp(ctx->root.mnt->sb->type->name, "tmpfs") == 0;
    char done[96] = "";
    size_t at = 0;

    for (size_t i = 0; i < ARRAY_SIZE(mounts); i++) {
        struct linux_stat st;
        bool have_type = vfs_find_fs(mounts[i].type) != NULL;
        int err;

        /* a tmpfs root gets the mount points even for a type not built in */
        if (!have_type && !tmpfs_root)
            continue;
        err = vfs_stat(ctx, NULL, mounts[i].dir, &st, 0);
        if (err == -ENOENT && tmpfs_root) {
            err = vfs_mkdir(ctx, NULL, mounts[i].dir, mounts[i].mode);
            if (!err)
                err = vfs_chmod(ctx, NULL, mounts[i].dir, mounts[i].mode, 0);
            if (!err)
                err = vfs_stat(ctx, NULL, mounts[i].dir, &st, 0);
        }
        if (!have_type || (tmpfs_root && strcmp(mounts[i].type, "tmpfs") == 0))
            continue;
        if (err || !S_ISDIR(st.st_mode)) {
            pr_info("rootfs: no %s on %s (%s)", mounts[i].type, mounts[i].dir,
                    err ? errno_name(err) : "not a directory");
            continue;
        }
        err = vfs_mount(ctx, mounts[i].type, mounts[i].dir, mounts[i].type, 0, "");
        if (err)
            pr_err("rootfs: mounting %s on %s failed (%s)", mounts[i].type, mounts[i].dir,
                   errno_name(err));
        else if (at < sizeof(done))
            at += (size_t)snprintf(done + at, sizeof(done) - at, "%s%s on %s",
                                   at ? ", " : "", mounts[i].type, mounts[i].dir);
    }
    if (at)
        pr_info("rootfs: mounted %s", done);
    /* and the usual place for mounting more, on a tmpfs root */
    if (tmpfs_root) {
        int err = vfs_mkdir(ctx, NULL, "/mnt", 0755);

        if (err && err != -EEXIST)
            pr_warn("rootfs: mkdir /mnt: %s", errno_name(err));
    }
}

/* Step 5: which init would run. */
static void choose_init(struct vfs_ctx *ctx, const struct init_args *ia, bool from_initramfs)
{
    static const char *const fallbacks[] = { "/sbin/init", "/etc/init", "/bin/init", "/bin/sh" };

    if (from_initramfs) {
        init_path = ia->rdinit;
        pr_info("init: %s from the initramfs (no user space yet: the kernel shell stands "
                "in for it)", init_path);
        return;
    }
    if (ia->init) {
        if (is_file_at(ctx, ia->init, true))
            init_path = ia->init;
        else
            pr_err("init: init=%s is not an executable file in the root; trying the "
                   "defaults", ia->init);
    }
    for (size_t i = 0; !init_path && i < ARRAY_SIZE(fallbacks); i++)
        if (is_file_at(ctx, fallbacks[i], true))
            init_path = fallbacks[i];
    if (init_path)
        pr_info("init: %s (no user space yet: the kernel shell stands in for it)",
                init_path);
    else
        pr_info("init: none found (tried %s/sbin/init /etc/init /bin/init /bin/sh); the "
                "kernel shell stands in for it", ia->init ? "init=, " : "");
}

void rootfs_init(const struct boot_info *boot, const struct cmdline *cl,
                 const struct init_args *ia)
{
    const char *dev = cmdline_value(cl, "root");
    const char *type = cmdline_value(cl, "rootfstype");
    const char *data = cmdline_value(cl, "rootflags");
    unsigned long flags = root_flags(cl);
    bool from_initramfs = false;
    struct vfs_ctx *ctx;
    int err;

    if (!type)
        type = "ext2";
    if (!data)
        data = "";
    if ((err = vfs_init()) != 0) {
        pr_err("rootfs: no file systems (vfs_init: %s); no root", errno_name(err));
        return;
    }

    if (boot->module_count == 0 && dev) {
        err = vfs_mount_root(dev, type, flags, data);
        if (err == 0) {
            pr_info("rootfs: %s (%s, %s) mounted as /", dev, type,
                    flags & MS_RDONLY ? "ro" : "rw");
            goto mounted;
        }
        pr_err("rootfs: cannot mount root=%s as %s (%s); the root is an empty tmpfs",
               dev, type, errno_name(err));
    }
    if ((err = vfs_mount_root(NULL, "tmpfs", 0, "mode=0755")) != 0) {
        pr_err("rootfs: cannot mount a tmpfs root (%s); no root", errno_name(err));
        return;
    }
    ctx = vfs_kernel_ctx();
    if (boot->module_count) {
        unpack_modules(boot, ctx);
        from_initramfs = is_file_at(ctx, ia->rdinit, true);
        if (!from_initramfs && dev) {
            err = mount_root_over_initramfs(ctx, dev, type, flags, data);
            if (err)
                pr_err("rootfs: cannot mount root=%s as %s (%s); staying in the initramfs",
                       dev, type, errno_name(err));
            else
                pr_info("rootfs: %s (%s, %s) mounted on /root and made the root", dev, type,
                        flags & MS_RDONLY ? "ro" : "rw");
        }
    }
mounted:
    ctx = vfs_kernel_ctx();
    standard_mounts(ctx);
    choose_init(ctx, ia, from_initramfs);
}
