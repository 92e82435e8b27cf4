/*
 * test/fuzz/fuzz_ext2_disk.c - libFuzzer target for src/fs/ext2_disk.c.
 *
 * The input is a whole ext2 image. It is walked as test/unit/ext2_walk.h
 * does (superblock, every group descriptor, the tree from the root inode:
 * directory blocks, inodes, block maps) under ASan and UBSan; a crash, a
 * sanitizer report, a hang (libFuzzer's -timeout) or a request for a block
 * past blocks_count (abort) is a finding. The seeds are small mke2fs
 * images made at test time by ext2_disk_seeds.sh.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#undef __always_inline                  /* glibc's; core/compiler.h defines its own */
#include "../unit/host_rename.h"
#include <core/errno.h>
#include <fs/ext2_disk.h>
#define BASALT_HOST_UNRENAME
#include "../unit/host_rename.h"

#include "../unit/ext2_walk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ext2_walk w;

    ext2_walk_image(&w, data, size, 4000);
    if (w.bad_requests)
        abort();
    return 0;
}
