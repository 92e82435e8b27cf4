/*
 * include/kernel/rootfs.h - the boot step that sets up "/": the initramfs,
 * the root= device, the standard mounts, and which init would run.
 *
 * Part of the kernel executable (src/kernel/rootfs.c), called by kmain after
 * the devices are up and before the ktests. The sequence (Linux's, see
 * docs/architecture.md "Boot to root"):
 *   1. vfs_init registers the file systems.
 *   2. With a multiboot module (the initramfs): a tmpfs root, every module
 *      unpacked into it (kernel/initramfs; damage is reported and the boot
 *      goes on with what was unpacked). If rdinit= (default /init) is an
 *      executable file there, that is init and root= is left to it.
 *      Otherwise, with root=, the device is mounted on /root (made if
 *      missing) and becomes the root (a chroot of the kernel's context).
 *   3. Without a module: root= mounted as "/" directly (vfs_mount_root),
 *      else a tmpfs root. A root= that cannot be mounted is reported and
 *      the boot goes on with the tmpfs root (Linux would panic).
 *   4. devtmpfs on /dev, proc on /proc, sysfs on /sys, tmpfs on /tmp: each
 *      when its type is registered and the directory exists (on a tmpfs
 *      root the four directories and /mnt are made in any case, and /tmp,
 *      in RAM already, gets no tmpfs of its own).
 *   5. init: the initramfs's rdinit, else init=, else the first of
 *      /sbin/init /etc/init /bin/init /bin/sh that exists; reported with its
 *      argv/envp (kernel/initargs). Until user space exists the caller
 *      starts the kernel shell instead.
 * Command line: root=/dev/vdX[N], rootfstype= (default ext2), rootflags=
 * (the -o string), ro/rw (default ro, as Linux; the last one wins),
 * rdinit=, init=.
 *
 * Context: kmain's thread, once; may sleep.
 */
#ifndef BASALT_KERNEL_ROOTFS_H
#define BASALT_KERNEL_ROOTFS_H

#include <core/compiler.h>

struct boot_info;
struct cmdline;
struct init_args;

/* Runs steps 1-5 above; never fails the boot (each problem has its log line). */
void rootfs_init(const struct boot_info *boot, const struct cmdline *cl,
                 const struct init_args *ia);

/* The init program the boot chose (a path in the root), or NULL if none was found. */
const char *rootfs_init_path(void);

#endif
