/*
 * test/unit/ext2_walk.h - a bounded walk over a whole ext2 image in memory
 * through src/fs/ext2_disk.c, for damaged-image tests: the host unit test's
 * random-corruption run and the libFuzzer target (test/fuzz) both use it.
 *
 * Checks the superblock, parses every group descriptor, then walks the
 * tree from the root inode: every directory block is mapped and iterated,
 * every regular file and slow symlink has its blocks mapped. A budget of
 * steps bounds the work on any input (directory cycles included). Whatever
 * the image holds, it must neither crash nor read outside the image (the
 * read callback checks the layer's promise that it only asks for blocks
 * below blocks_count). Include after unit.h or the C library headers and
 * <fs/ext2_disk.h>.
 */
#ifndef BASALT_TEST_EXT2_WALK_H
#define BASALT_TEST_EXT2_WALK_H

struct ext2_walk {
    const uint8_t *data;
    size_t size;
    struct ext2_info info;
    unsigned budget;                    /* steps left */
    unsigned entries, files, errors;
    unsigned bad_requests;              /* reads the layer should never have asked for */
    uint8_t scratch[EXT2_MAX_BLOCK_SIZE];
    uint8_t block[EXT2_MAX_BLOCK_SIZE];
};

static int ext2_walk_read(void *ctx, uint32_t block, void *buf)
{
    struct ext2_walk *w = ctx;
    uint64_t off = (uint64_t)block * w->info.block_size;

    if (block >= w->info.blocks_count) {
        w->bad_requests++;
        return -EIO;
    }
    if (off + w->info.block_size > w->size)
        return -EIO;                    /* a short image: the device ends early */
    memcpy(buf, w->data + off, w->info.block_size);
    return 0;
}

static int ext2_walk_inode(struct ext2_walk *w, uint32_t ino, struct ext2_inode *inode)
{
    uint32_t group, block, offset;
    struct ext2_group gd;
    int err = ext2_inode_group(&w->info, ino, &group);

    if (!err)
        err = ext2_group_desc_pos(&w->info, group, &block, &offset);
    if (!err)
        err = ext2_walk_read(w, block, w->block);
    if (!err)
        err = ext2_group_parse(&w->info, group, w->block + offset, &gd);
    if (!err)
        err = ext2_inode_pos(&w->info, ino, &gd, &block, &offset);
    if (!err)
        err = ext2_walk_read(w, block, w->block);
    if (!err)
        err = ext2_inode_parse(&w->info, ino, w->block + offset, inode);
    return err;
}

static void ext2_walk_dir(struct ext2_walk *w, uint32_t ino, unsigned depth)
{
    struct ext2_inode dir;

    if (depth > 8 || w->budget == 0 || ext2_walk_inode(w, ino, &dir) != 0)
        return;
    uint64_t nblocks = dir.size / w->info.block_size;
    for (uint64_t fb = 0; fb < nblocks && w->budget > 0; fb++, w->budget--) {
        uint32_t phys;
        uint8_t dblock[EXT2_MAX_BLOCK_SIZE];
        if (ext2_bmap(&w->info, &dir, fb, ext2_walk_read, w, w->scratch, &phys) != 0 ||
            phys == 0 || ext2_walk_read(w, phys, dblock) != 0) {
            w->errors++;
            continue;
        }
        struct ext2_dir_iter it;
        struct ext2_dirent ent;
        int r = 0;
        ext2_dir_iter_init(&it, &w->info, dblock);
        while (w->budget > 0 && (r = ext2_dir_next(&it, &ent)) == 1) {
            w->budget--;
            w->entries++;
            if (ent.name_len <= 2 && ent.name[0] == '.' &&
                (ent.name_len == 1 || ent.name[1] == '.'))
                continue;
            struct ext2_inode child;
            if (ext2_walk_inode(w, ent.inode, &child) != 0) {
                w->errors++;
                continue;
            }
            unsigned ft = ext2_ft_from_mode(child.mode);
            if (ft == EXT2_FT_DIR) {
                ext2_walk_dir(w, ent.inode, depth + 1);
            } else if (ft == EXT2_FT_REG_FILE || (ft == EXT2_FT_SYMLINK && !child.fast_symlink)) {
                w->files++;
                uint64_t n = (child.size + w->info.block_size - 1) / w->info.block_size;
                for (uint64_t b = 0; b < n && w->budget > 0; b++, w->budget--) {
                    if (ext2_bmap(&w->info, &child, b, ext2_walk_read, w, w->scratch, &phys))
                        w->errors++;
                    if (n > 64 && b == 31)
                        b = n - 32;     /* the first and the last blocks of large files */
                }
            }
        }
        if (r < 0)
            w->errors++;
    }
}

/* Walks the image; returns ext2_sb_check's result (0: it was walked). */
static int ext2_walk_image(struct ext2_walk *w, const uint8_t *data, size_t size, unsigned budget)
{
    const char *reason;

    memset(w, 0, sizeof(*w));
    w->data = data;
    w->size = size;
    w->budget = budget;
    if (size < EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE)
        return -EINVAL;
    int err = ext2_sb_check(data + EXT2_SUPER_OFFSET, size, &w->info, &reason);
    if (err)
        return err;
    for (uint32_t g = 0; g < w->info.group_count && w->budget > 0; g++, w->budget--) {
        uint32_t block, offset;
        struct ext2_group gd;
        if (ext2_group_desc_pos(&w->info, g, &block, &offset) != 0 ||
            ext2_walk_read(w, block, w->block) != 0 ||
            ext2_group_parse(&w->info, g, w->block + offset, &gd) != 0)
            w->errors++;
        (void)ext2_group_has_super(&w->info, g);
    }
    ext2_walk_dir(w, EXT2_ROOT_INO, 0);
    return 0;
}

#endif
