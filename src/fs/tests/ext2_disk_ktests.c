/*
 * src/fs/tests/ext2_disk_ktests.c - in-kernel tests of the ext2 on-disk
 * layer (suite ext2_disk), on a tiny file system crafted in memory.
 *
 * Part of fs's ktests. Proves src/fs/ext2_disk.c builds and runs
 * freestanding; the thorough tests run on the host against mke2fs images
 * (test/unit/test_ext2_disk.c). The image: 1 KiB blocks, 64 blocks, one
 * group of 16 inodes: superblock in block 1, descriptors in 2, bitmaps in 3
 * and 4, the inode table in 5-6, the root directory's block 7, and a file
 * (inode 12) whose only data block, 9, sits behind the indirect block 8.
 */
#include <fs/ext2_disk.h>
#include <core/errno.h>
#include <core/ktest.h>
#include <core/string.h>

#define KBS     1024u
#define KBLOCKS 64u

static uint8_t kimg[KBLOCKS * KBS];

static void put_dirent(uint8_t *p, uint32_t ino, uint16_t rec_len, const char *name, uint8_t ft)
{
    size_t len = strlen(name);

    ext2_put32(p, ino);
    ext2_put16(p + 4, rec_len);
    p[6] = (uint8_t)len;
    p[7] = ft;
    memcpy(p + 8, name, len);
}

static uint8_t *kblock(uint32_t n)
{
    return kimg + n * KBS;
}

static void kimg_build(void)
{
    memset(kimg, 0, sizeof(kimg));
    uint8_t *sb = kimg + EXT2_SUPER_OFFSET;
    ext2_put32(sb + 0, 16);                  /* s_inodes_count */
    ext2_put32(sb + 4, KBLOCKS);             /* s_blocks_count */
    ext2_put32(sb + 20, 1);                  /* s_first_data_block */
    ext2_put32(sb + 32, 8192);               /* s_blocks_per_group */
    ext2_put32(sb + 36, 8192);               /* s_frags_per_group */
    ext2_put32(sb + 40, 16);                 /* s_inodes_per_group */
    ext2_put16(sb + 56, EXT2_MAGIC);
    ext2_put32(sb + 76, EXT2_DYNAMIC_REV);
    ext2_put32(sb + 84, 11);                 /* s_first_ino */
    ext2_put16(sb + 88, 128);                /* s_inode_size */
    ext2_put32(sb + 96, EXT2_FEATURE_INCOMPAT_FILETYPE);

    uint8_t *gd = kblock(2);
    ext2_put32(gd + 0, 3);
    ext2_put32(gd + 4, 4);
    ext2_put32(gd + 8, 5);

    uint8_t *root = kblock(5) + 1 * 128;        /* inode 2 */
    ext2_put16(root + 0, EXT2_S_IFDIR | 0755);
    ext2_put32(root + 4, KBS);
    ext2_put16(root + 26, 3);
    ext2_put32(root + 28, 2);
    ext2_put32(root + 40, 7);
    uint8_t *file = kblock(6) + 3 * 128;        /* inode 12 */
    ext2_put16(file + 0, EXT2_S_IFREG | 0644);
    ext2_put32(file + 4, 13 * KBS);
    ext2_put16(file + 26, 1);
    ext2_put32(file + 28, 4);
    ext2_put32(file + 40 + 4 * EXT2_IND_BLOCK, 8);
    ext2_put32(kblock(8), 9);

    put_dirent(kblock(7), 2, 12, ".", EXT2_FT_DIR);
    put_dirent(kblock(7) + 12, 2, 12, "..", EXT2_FT_DIR);
    put_dirent(kblock(7) + 24, 12, KBS - 24, "hello", EXT2_FT_REG_FILE);
}

static int kread(void *ctx, uint32_t block, void *buf)
{
    (void)ctx;
    if (block >= KBLOCKS)
        return -EIO;
    memcpy(buf, kblock(block), KBS);
    return 0;
}

static int kload_inode(const struct ext2_info *info, const struct ext2_group *gd, uint32_t ino,
                       struct ext2_inode *inode)
{
    uint32_t block, offset;
    int err = ext2_inode_pos(info, ino, gd, &block, &offset);

    if (err)
        return err;
    return ext2_inode_parse(info, ino, kblock(block) + offset, inode);
}

KTEST(ext2_disk, crafted_image_walk)
{
    static uint8_t scratch[KBS];
    struct ext2_info info;
    struct ext2_group gd;
    struct ext2_inode root, file;
    const char *reason = "unset";

    kimg_build();
    KT_ASSERT_EQ(ext2_sb_check(kimg + EXT2_SUPER_OFFSET, sizeof(kimg), &info, &reason), 0);
    KT_EXPECT_TRUE(reason == NULL);
    KT_EXPECT_EQ(info.block_size, KBS);
    KT_EXPECT_EQ(info.group_count, 1u);
    KT_EXPECT_EQ(info.inode_table_blocks, 2u);
    KT_EXPECT_TRUE(info.filetype);

    uint32_t block, offset;
    KT_ASSERT_EQ(ext2_group_desc_pos(&info, 0, &block, &offset), 0);
    KT_EXPECT_EQ(block, 2u);
    KT_ASSERT_EQ(ext2_group_parse(&info, 0, kblock(block) + offset, &gd), 0);

    KT_ASSERT_EQ(kload_inode(&info, &gd, EXT2_ROOT_INO, &root), 0);
    KT_EXPECT_EQ(ext2_ft_from_mode(root.mode), EXT2_FT_DIR);
    uint32_t phys;
    KT_ASSERT_EQ(ext2_bmap(&info, &root, 0, kread, NULL, scratch, &phys), 0);
    KT_ASSERT_EQ(phys, 7u);

    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    uint32_t found = 0;
    ext2_dir_iter_init(&it, &info, kblock(phys));
    int n = 0, r;
    while ((r = ext2_dir_next(&it, &ent)) == 1) {
        n++;
        if (ent.name_len == 5 && memcmp(ent.name, "hello", 5) == 0) {
            found = ent.inode;
            KT_EXPECT_EQ(ent.file_type, EXT2_FT_REG_FILE);
        }
    }
    KT_EXPECT_EQ(r, 0);
    KT_EXPECT_EQ(n, 3);
    KT_ASSERT_EQ(found, 12u);

    KT_ASSERT_EQ(kload_inode(&info, &gd, found, &file), 0);
    KT_EXPECT_EQ(file.size, 13u * KBS);
    KT_ASSERT_EQ(ext2_bmap(&info, &file, 12, kread, NULL, scratch, &phys), 0);
    KT_EXPECT_EQ(phys, 9u);
    KT_ASSERT_EQ(ext2_bmap(&info, &file, 3, kread, NULL, scratch, &phys), 0);
    KT_EXPECT_EQ(phys, 0u);                     /* a hole */
}

KTEST(ext2_disk, crafted_image_damage)
{
    static uint8_t scratch[KBS];
    struct ext2_info info;
    struct ext2_group gd;
    struct ext2_inode file;
    const char *reason;
    uint32_t phys;

    kimg_build();
    ext2_put32(kblock(8), 8);                        /* the indirect block names itself */
    KT_ASSERT_EQ(ext2_sb_check(kimg + EXT2_SUPER_OFFSET, sizeof(kimg), &info, &reason), 0);
    KT_ASSERT_EQ(ext2_group_parse(&info, 0, kblock(2), &gd), 0);
    KT_ASSERT_EQ(kload_inode(&info, &gd, 12, &file), 0);
    KT_EXPECT_EQ(ext2_bmap(&info, &file, 12, kread, NULL, scratch, &phys), -EUCLEAN);

    ext2_put32(kblock(7) + 24 + 4, KBS);             /* "hello" crosses the block */
    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    ext2_dir_iter_init(&it, &info, kblock(7));
    KT_EXPECT_EQ(ext2_dir_next(&it, &ent), 1);
    KT_EXPECT_EQ(ext2_dir_next(&it, &ent), 1);
    KT_EXPECT_EQ(ext2_dir_next(&it, &ent), -EUCLEAN);

    ext2_put32(kblock(2) + 8, KBLOCKS - 1);          /* inode table runs past the end */
    KT_EXPECT_EQ(ext2_group_parse(&info, 0, kblock(2), &gd), -EUCLEAN);

    ext2_put32(kimg + EXT2_SUPER_OFFSET + 96, EXT2_FEATURE_INCOMPAT_FILETYPE | 0x40);
    KT_EXPECT_EQ(ext2_sb_check(kimg + EXT2_SUPER_OFFSET, sizeof(kimg), &info, &reason), -EINVAL);
    KT_EXPECT_STREQ(reason, "extent");
}
