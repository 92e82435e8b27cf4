# test/qemu/FsBootTests.cmake - the fs.* ctests of the boot-to-root path
# (kernel/rootfs, kernel/initramfs) on the build's images (images/).
#
# Included by test/CMakeLists.txt. Each boots through test/qemu/fs_boot.py,
# which copies the disk image, boots, and checks the disk on the host
# afterwards (e2fsck -fn; debugfs cat), except fs.iso_*, which boot the
# shipped basalt.iso as it is. Label fs.
#   fs.initramfs          the initramfs module unpacked into a tmpfs root,
#                         devtmpfs, proc, sysfs mounted on it:
#                         rootfs.initramfs_tree and the initramfs.* ktests
#                         (every entry type, hard links, gzip + concatenated
#                         archives, damaged archives) pass
#   fs.iso_initramfs      the shipped ISO carries the initramfs and unpacks it;
#   fs.iso_shell          its files at the shell prompt (typed over serial)
#   fs.root_vda           root=/dev/vda rw on data.ext2: the disk's files (up
#                         to big.dat's triple-indirect blocks) read, a write
#                         workload (rootfs.disk_write_workload), then on the
#                         host e2fsck -fn passes and debugfs shows the files
#   fs.root_vda1          the same with root=/dev/vda1 on data-part.img
#   fs.root_lowmem        -m 32M, root=/dev/vda (ro): the files read, big.dat
#                         (66 MiB) too, and no write (read-only root)
#   fs.root_bigread       -m 64M, root=/dev/vda: all of /test/big.dat (66
#                         MiB, more than the RAM) read and compared with
#                         its pattern (rootfs.big_file_read): the page cache
#                         must reclaim as it goes
#   fs.initramfs_over_root  an initramfs without /init and root=/dev/vda: the
#                         disk is mounted on /root and becomes the root
#   fs.initramfs_rdinit   an initramfs with an executable /init and root=:
#                         /init is init and root= is left alone (Linux)
#   fs.init_args          init= naming a file that is not executable is
#                         reported; unknown words and the words after -- are
#                         init's argv/envp (kernel/initargs), a module's
#                         parameter is not
#   fs.initramfs_truncated / fs.initramfs_badmagic  damaged archives: the
#                         error line, the boot goes on, no panic
#   fs.shell_*            the same through the shell's file commands (cmd=):
#                         initramfs ls/cat; on root=/dev/vda rw and
#                         root=/dev/vda1 rw mkdir, write, mv, ln, ln -s, rm,
#                         sync, poweroff, then e2fsck -fn and debugfs cat;
#                         -m 32M cat, and write refused with EROFS
#
# Each test names the pieces of the file-system work it needs (NEEDS); it is
# registered only when all are in FS_BOOT_PIECES, the list of those merged
# into this tree: vfs (VFS + tmpfs), ext2 (the driver), part (partition
# devices vda1.., from the cache branch), shell (the file commands), reclaim
# (reading a file larger than RAM works: the page cache and the allocations
# on its read path give memory back).
set(FS_BOOT_PIECES vfs ext2 part shell reclaim)

set(BASALT_FS_BOOT "${CMAKE_CURRENT_SOURCE_DIR}/qemu/fs_boot.py")
set(FS_IMAGES --images "${BASALT_IMAGES_DIR}")
function(fs_boot_test name)
    cmake_parse_arguments(PARSE_ARGV 1 T "" "TIMEOUT" "NEEDS;LABELS;ARGS")
    foreach(piece IN LISTS T_NEEDS)
        if(NOT piece IN_LIST FS_BOOT_PIECES)
            return()
        endif()
    endforeach()
    basalt_qemu_test(${name} TIMEOUT ${T_TIMEOUT} DRIVER "${BASALT_FS_BOOT}"
        LABELS fs ${T_LABELS} ARGS ${FS_IMAGES} ${T_ARGS})
endfunction()

fs_boot_test(fs.initramfs TIMEOUT 90 NEEDS vfs LABELS ktest bios
    ARGS --initrd initramfs.cpio.gz --ktest [[*initramfs*]]
         --expect [[^initramfs: unpacked module 0 \([0-9]+ bytes\): 13 entries in 1 archives \(gzip\), 0 failed$]]
         --expect [[^rootfs: mounted devtmpfs on /dev, proc on /proc, sysfs on /sys$]]
         --expect [[^init: none found]]
         --reject [[^ktest: SKIP]] ${KTEST_PASS})
if("vfs" IN_LIST FS_BOOT_PIECES)
basalt_qemu_test(fs.iso_initramfs TIMEOUT 60 ISO "${PROJECT_BINARY_DIR}/basalt.iso"
    LABELS fs bios
    ARGS --expect [[^initramfs: unpacked module 0 .*, 0 failed$]]
         --expect ${BOOTED_RE} --until ${BOOTED_RE})
# ... and a user at its prompt sees the tree
basalt_qemu_test(fs.iso_shell TIMEOUT 60 ISO "${PROJECT_BINARY_DIR}/basalt.iso"
    LABELS fs shell bios
    ARGS --send-after [[^basalt> $]] [[cat /etc/hostname /etc/welcome\r]]
         --send-after [[^basalt> $]] [[ls -l /etc\r]]
         --send-after [[^basalt> $]] [[poweroff\r]]
         --expect [[^basalt$]] --expect [[^Welcome to Basalt\.$]]
         --expect [[^lrwxrwxrwx +1 +0 +0 +4 .* issue -> motd$]]
         --exit poweroff)
endif()
fs_boot_test(fs.root_vda TIMEOUT 120 NEEDS vfs ext2 LABELS ktest bios
    ARGS --disk data.ext2 --cmdline "root=/dev/vda rw" --ktest [[rootfs.disk*]]
         --expect [[^rootfs: /dev/vda \(ext2, rw\) mounted as /$]]
         --reject [[^ktest: SKIP]] ${KTEST_PASS}
         --fsck --host-cat /ktest/file.txt [[written by rootfs.disk_write_workload\n]]
         --host-cat /ktest/hard.txt [[written by rootfs.disk_write_workload\n]]
         --host-link /ktest/sym file.txt --host-missing /ktest/tmp.txt
         --host-missing /ktest/gone.txt --host-big)
fs_boot_test(fs.root_vda1 TIMEOUT 120 NEEDS vfs ext2 part LABELS ktest bios
    ARGS --disk data-part.img --cmdline "root=/dev/vda1 rw" --ktest [[rootfs.disk*]]
         --expect [[^rootfs: /dev/vda1 \(ext2, rw\) mounted as /$]]
         --reject [[^ktest: SKIP]] ${KTEST_PASS}
         --fsck --host-cat /ktest/file.txt [[written by rootfs.disk_write_workload\n]]
         --host-link /ktest/sym file.txt --host-missing /ktest/gone.txt)
fs_boot_test(fs.root_lowmem TIMEOUT 240 NEEDS vfs ext2 reclaim LABELS ktest bios
    ARGS --disk data.ext2 --mem 32M --cmdline "root=/dev/vda" --ktest [[rootfs.*]]
         --expect [[^rootfs: /dev/vda \(ext2, ro\) mounted as /$]]
         --expect-unordered [[^ktest: PASS rootfs.disk_root_files]]
         --expect-unordered [[^ktest: PASS rootfs.big_file_read]]
         --expect-unordered [[^rootfs: big\.dat: read 66 MiB in [0-9]+ ms with [0-9]+ MiB of RAM, every block as written$]]
         --expect-unordered [[^ktest: SKIP rootfs.disk_write_workload]]
         ${KTEST_PASS} --fsck --host-missing /ktest)
fs_boot_test(fs.root_bigread TIMEOUT 300 NEEDS vfs ext2 reclaim LABELS ktest bios
    ARGS --disk data.ext2 --mem 64M --cmdline "root=/dev/vda" --ktest rootfs.big_file_read
         --expect [[^rootfs: big\.dat: read 66 MiB in [0-9]+ ms with [0-9]+ MiB of RAM, every block as written$]]
         ${KTEST_PASS} --fsck)
fs_boot_test(fs.initramfs_over_root TIMEOUT 120 NEEDS vfs ext2 LABELS ktest bios
    ARGS --disk data.ext2 --initrd initramfs.cpio.gz --cmdline "root=/dev/vda"
         --ktest [[rootfs.disk_root_files]]
         --expect [[^initramfs: unpacked]]
         --expect [[^rootfs: /dev/vda \(ext2, ro\) mounted on /root and made the root$]]
         ${KTEST_PASS} --fsck)
fs_boot_test(fs.initramfs_rdinit TIMEOUT 60 NEEDS vfs LABELS bios
    ARGS --disk data.ext2 --initrd initramfs-init.cpio.gz --cmdline "root=/dev/vda"
         --expect [[^initramfs: unpacked module 0 .*: 14 entries in 1 archives \(gzip\), 0 failed$]]
         --expect [[^init: /init from the initramfs \(no user space yet: the kernel shell stands in for it\)$]]
         --reject [[^rootfs: /dev/vda]] --expect ${BOOTED_RE} --until ${BOOTED_RE})
fs_boot_test(fs.init_args TIMEOUT 60 NEEDS vfs LABELS bios
    ARGS --initrd initramfs.cpio.gz --cmdline "init=/etc/hostname quiet LANG=C mod.opt=1 -- single x=y"
         --expect-unordered [[^cmdline: unknown option 'quiet' \(passed to init\)$]]
         --expect-unordered [[^cmdline: unknown option 'mod\.opt' \(ignored\)$]]
         --expect [[^init: init=/etc/hostname is not an executable file in the root; trying the defaults$]]
         --expect [[^init: none found \(tried init=, /sbin/init /etc/init /bin/init /bin/sh\)]]
         --expect [[^init: argv 'quiet' 'single' 'x=y' envp 'HOME=/' 'TERM=linux' 'LANG=C'$]]
         --expect ${BOOTED_RE} --until ${BOOTED_RE})
fs_boot_test(fs.initramfs_truncated TIMEOUT 60 NEEDS vfs LABELS negative bios
    ARGS --initrd initramfs-truncated.cpio.gz
         --expect [[^initramfs: gzip data at offset 0: truncated; keeping the 0 entries unpacked so far$]]
         --expect [[^initramfs: partly unpacked module 0]]
         --expect ${BOOTED_RE} --until ${BOOTED_RE})
fs_boot_test(fs.initramfs_badmagic TIMEOUT 60 NEEDS vfs LABELS negative bios
    ARGS --initrd initramfs-badmagic.cpio
         --expect [[^initramfs: damaged cpio archive at offset [0-9]+: malformed; keeping the 2 entries unpacked so far$]]
         --expect [[^initramfs: partly unpacked module 0 \([0-9]+ bytes\): 2 entries in 1 archives, 0 failed$]]
         --expect ${BOOTED_RE} --until ${BOOTED_RE})

# --- through the shell (cmd=): what a user types ---------------------------------
fs_boot_test(fs.shell_initramfs TIMEOUT 60 NEEDS vfs shell LABELS shell bios
    ARGS --initrd initramfs.cpio.gz --shell [[ls /etc; cat /etc/hostname /etc/issue; poweroff]]
         --expect [[^hostname$]] --expect [[^basalt$]] --expect [[^Welcome to Basalt\.$]]
         --exit poweroff)
set(FS_SHELL_WORKLOAD [[mkdir /work; write /work/a.txt hello from the shell; mv /work/a.txt /work/b.txt; ln /work/b.txt /work/c.txt; ln -s b.txt /work/d; write /work/gone.txt x; rm /work/gone.txt; cat /work/d; sync; poweroff]])
set(FS_SHELL_CHECKS --expect [[^hello from the shell$]] --exit poweroff --fsck
    --host-cat /work/b.txt [[hello from the shell\n]] --host-cat /work/c.txt [[hello from the shell\n]]
    --host-link /work/d b.txt --host-missing /work/a.txt --host-missing /work/gone.txt
    --host-cat /test/hello.txt [[hello from the data disk\n]])
fs_boot_test(fs.shell_root_vda TIMEOUT 120 NEEDS vfs ext2 shell LABELS shell bios
    ARGS --disk data.ext2 --cmdline "root=/dev/vda rw" --shell "${FS_SHELL_WORKLOAD}"
         ${FS_SHELL_CHECKS})
fs_boot_test(fs.shell_root_vda1 TIMEOUT 120 NEEDS vfs ext2 part shell LABELS shell bios
    ARGS --disk data-part.img --cmdline "root=/dev/vda1 rw" --shell "${FS_SHELL_WORKLOAD}"
         ${FS_SHELL_CHECKS})
fs_boot_test(fs.shell_lowmem TIMEOUT 120 NEEDS vfs ext2 shell LABELS shell bios
    ARGS --disk data.ext2 --mem 32M --cmdline "root=/dev/vda"
         --shell [[cat /test/hello.txt; write /test/no.txt x; poweroff]]
         --expect [[^hello from the data disk$]] --expect [[^write: /test/no\.txt: EROFS$]]
         --exit poweroff --fsck --host-missing /test/no.txt)
