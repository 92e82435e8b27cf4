# test/unit/tests.cmake - the list of host unit tests, kept in one place.
#
# Included by test/unit/CMakeLists.txt, which builds test_<name> from
# test_<name>.c, and by test/unit/HostUnitTests.cmake, which registers each
# as the ctest test unit.<name>. Adding a module's tests: write
# test_<name>.c, add <name> below (and the kernel source it tests, if new,
# to BASALT_UNIT_KERNEL_SOURCES).

set(BASALT_UNIT_TESTS
    string
    format
    errno
    cmdline
    multiboot2
    ansi
    textgrid
    memmap
    frame_bitmap
    vrange
    slab_class
    input_ring
    kbd_scan
    mouse_packet
    acpi_parse
    lineedit
    shell_parse
    blk_check
    vring
    pci_parse
    lockdep_graph
    timeout_list
    inflate
    ext2_disk
    calendar
    cpio
    blk_part
    vfs_util
)

# Pure kernel sources compiled for the host (paths relative to BASALT_ROOT).
# They form one static library that every test links; each test program
# pulls in only the objects it uses.
set(BASALT_UNIT_KERNEL_SOURCES
    src/core/string.c
    src/core/format.c
    src/core/errno.c
    src/core/cmdline.c
    src/core/multiboot2.c
    src/dev/ansi.c
    src/dev/textgrid.c
    src/mm/memmap.c
    src/mm/frame_bitmap.c
    src/mm/vrange.c
    src/mm/slab_class.c
    src/core/input_ring.c
    src/dev/kbd_scan.c
    src/dev/mouse_packet.c
    src/dev/acpi_parse.c
    src/kernel/lineedit.c
    src/core/shell_parse.c
    src/dev/blk_check.c
    src/dev/vring.c
    src/dev/pci_parse.c
    src/core/lockdep_graph.c
    src/sched/timeout_list.c
    src/core/crc32.c
    src/fs/inflate.c
    src/fs/ext2_disk.c
    src/core/calendar.c
    src/fs/cpio.c
    src/dev/blk_part.c
    src/fs/vfs_util.c
)
