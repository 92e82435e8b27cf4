/*
 * include/fs/sysfs.h - the sysfs file system (type "sysfs", SYSFS_MAGIC):
 * the kernel's devices as directories of one-value files in Linux's
 * formats.
 *
 * Part of fs; reads dev's PCI and block registries. The tree (built at
 * mount time, from the devices present then):
 *   bus/pci/devices/SSSS:BB:DD.F/{vendor,device,class,revision,irq,
 *       resource,subsystem_vendor,subsystem_device,uevent}   ("0x1af4\n", ...)
 *   block/<disk>/{size,stat,dev,ro,removable,uevent}, and each partition as
 *       block/<disk>/<part>/{size,start,dev,partition,stat,ro,uevent}
 *   class/block/<name> and dev/block/<major>:<minor>: symlinks into block/
 *   devices/system/cpu/{online,present,possible,kernel_max,cpuN/} ("0-1\n":
 *       glibc's get_nprocs reads "online")
 *   kernel/{uevent_seqnum, mm/}, and the empty top directories Linux has
 *   (firmware, fs, module, power)
 * Differences from Linux: PCI devices are directories in bus/pci/devices
 * (Linux: symlinks into devices/pci0000:00/...), disks live in block/
 * (Linux: symlinks into devices/); a disk registered after the mount (the
 * blk ktests' RAM disks) appears only in a later mount. "irq" is the
 * firmware's legacy line (0 when none), whatever MSI/MSI-X the driver
 * chose. Every file is read-only (-EACCES on writes, see pseudo.h).
 */
#ifndef BASALT_FS_SYSFS_H
#define BASALT_FS_SYSFS_H

#include <core/compiler.h>

/* Registers the "sysfs" type (from vfs_init). 0 or -errno. */
int sysfs_init(void);

#endif
