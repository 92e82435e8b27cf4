/*
 * test/fuzz/fuzz_ext2_disk.c - libFuzzer target for src/fs/ext2_disk.c.
 *
 * The input is a whole ext2 image. It is walked as test/unit/ext2_walk.h
 * does (superblock, every group descriptor, the tree from the root inode:
 * directory blocks, inodes, block maps) under ASan and UBSan; a crash, a
 * sanitizer report, a hang (libFuzzer's -timeout) or a request for a block
 * past blocks_count (abort) is a finding. Then the first blocks of the
 * image are taken as directory and indirect blocks and edited with the
 * writing helpers (insert, find, remove, ext2_ind_check): an edit of a
 * block the iterator accepts must leave it acceptable, with the new name
 * findable and gone after its removal. The seeds are small mke2fs images
 * made at test time by ext2_disk_seeds.sh.
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

#define NAME "fuzz_name1"

/*
 * Iterates over blk: -1 if the iterator reports damage, else 1 when a used
 * entry called NAME starts at offset off, else 0.
 */
static int entry_at(const struct ext2_info *info, const uint8_t *blk, uint32_t off)
{
    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    int r, found = 0;

    ext2_dir_iter_init(&it, info, blk);
    while ((r = ext2_dir_next(&it, &ent)) == 1)
        if (ent.offset == off && ent.name_len == sizeof(NAME) - 1 &&
            memcmp(ent.name, NAME, sizeof(NAME) - 1) == 0)
            found = 1;
    return r < 0 ? -1 : found;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ext2_walk w;
    static uint8_t blk[EXT2_MAX_BLOCK_SIZE];

    ext2_walk_image(&w, data, size, 4000);
    if (w.bad_requests)
        abort();
    struct ext2_info info;
    const char *reason;
    if (size < EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE ||
        ext2_sb_check(data + EXT2_SUPER_OFFSET, size, &info, &reason) != 0)
        return 0;                       /* the superblock was refused */

    uint32_t bs = info.block_size;
    for (size_t b = 0; b < 64 && (b + 1) * bs <= size; b++) {
        uint32_t off;
        int r;

        memcpy(blk, data + b * bs, bs);
        (void)ext2_ind_check(&info, blk, (uint32_t)b, NULL, 0);
        bool valid = entry_at(&info, blk, UINT32_MAX) == 0;
        r = ext2_dir_insert(&info, blk, NAME, sizeof(NAME) - 1, 1, EXT2_FT_REG_FILE, &off);
        if (valid != (r != -EUCLEAN))
            abort();                    /* damage is reported exactly when present */
        if (r != 0)
            continue;
        if (entry_at(&info, blk, off) != 1)
            abort();                    /* the new entry is there, the block still valid */
        if (ext2_dir_remove(&info, blk, off) != 0 || entry_at(&info, blk, off) != 0)
            abort();
        (void)ext2_dir_block_has_names(&info, blk);
    }
    return 0;
}
