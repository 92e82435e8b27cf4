/*
 * test/unit/test_ext2_disk.c - host tests for src/fs/ext2_disk.c (the ext2
 * on-disk layer).
 *
 * The images are made at run time by ext2_images.sh (mke2fs -d from
 * staging folders the script builds) in a fresh temporary folder: 1, 2 and
 * 4 KiB blocks, revision 0, no sparse_super. Each image is read through the
 * layer only (superblock, group descriptors, inodes, ext2_bmap, directory
 * iteration), walked from the root inode by name, and compared with the
 * staging folder: every name, type, size, file content (holes included),
 * symlink target, and each directory's listing; the sparse-superblock
 * groups are compared with dumpe2fs's, block counts with debugfs's. Then a
 * small image is loaded into memory and damaged one structure at a time:
 * each damage gets its documented error, and a seeded run of random
 * damage walks the whole image (ext2_walk.h) with no sanitizer report.
 * The writing helpers: the encoders give back every descriptor, in-use
 * inode and the superblock of the images byte for byte, the bitmaps' free
 * bits match the descriptors' counts, block routes agree with ext2_bmap,
 * and directory blocks are filled, thinned, refilled and damaged.
 */
#include "unit.h"
#include <fs/ext2_disk.h>
#include "ext2_walk.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#ifndef EXT2_IMAGES_SCRIPT
#error "EXT2_IMAGES_SCRIPT (the path of ext2_images.sh) must be defined"
#endif

static char g_dir[64];

static int group_setup(void **state)
{
    char cmd[512];

    (void)state;
    strcpy(g_dir, "/tmp/basalt_ext2_XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(cmd, sizeof(cmd), "sh '%s' '%s/img'", EXT2_IMAGES_SCRIPT, g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/img/%s", g_dir, name);
}

/* ---- an image file read through the layer ---------------------------------------- */

struct img {
    int fd;                             /* the image file, or -1 ... */
    uint8_t *mem;                       /* ... the image in memory */
    uint64_t bytes;
    struct ext2_info info;
    const char *reason;
    unsigned bad_requests;              /* blocks >= blocks_count asked for */
    uint8_t scratch[EXT2_MAX_BLOCK_SIZE];
};

static int img_read(void *ctx, uint32_t block, void *buf)
{
    struct img *im = ctx;

    if (block >= im->info.blocks_count) {
        im->bad_requests++;
        return -EIO;
    }
    if (im->mem) {
        memcpy(buf, im->mem + (size_t)block * im->info.block_size, im->info.block_size);
        return 0;
    }
    ssize_t n = pread(im->fd, buf, im->info.block_size, (off_t)block * im->info.block_size);
    return n == (ssize_t)im->info.block_size ? 0 : -EIO;
}

static void img_open(struct img *im, const char *name)
{
    char path[256];
    uint8_t sb[EXT2_SUPER_SIZE];
    struct stat st;

    memset(im, 0, sizeof(*im));
    path_of(path, sizeof(path), name);
    im->fd = open(path, O_RDONLY);
    assert_true(im->fd >= 0);
    assert_int_equal(fstat(im->fd, &st), 0);
    im->bytes = (uint64_t)st.st_size;
    assert_int_equal(pread(im->fd, sb, sizeof(sb), EXT2_SUPER_OFFSET), (ssize_t)sizeof(sb));
    assert_int_equal(ext2_sb_check(sb, im->bytes, &im->info, &im->reason), 0);
    assert_null(im->reason);
    assert_false(im->info.read_only);
}

static void img_close(struct img *im)
{
    assert_int_equal(im->bad_requests, 0);
    close(im->fd);
}

static void img_group(struct img *im, uint32_t group, struct ext2_group *gd)
{
    uint8_t buf[EXT2_MAX_BLOCK_SIZE];
    uint32_t block, offset;

    assert_int_equal(ext2_group_desc_pos(&im->info, group, &block, &offset), 0);
    assert_int_equal(img_read(im, block, buf), 0);
    assert_int_equal(ext2_group_parse(&im->info, group, buf + offset, gd), 0);
}

static void img_inode(struct img *im, uint32_t ino, struct ext2_inode *inode)
{
    uint8_t buf[EXT2_MAX_BLOCK_SIZE];
    struct ext2_group gd;
    uint32_t group, block, offset;

    assert_int_equal(ext2_inode_group(&im->info, ino, &group), 0);
    img_group(im, group, &gd);
    assert_int_equal(ext2_inode_pos(&im->info, ino, &gd, &block, &offset), 0);
    assert_true(block >= gd.inode_table && block < gd.inode_table + im->info.inode_table_blocks);
    assert_int_equal(img_read(im, block, buf), 0);
    assert_int_equal(ext2_inode_parse(&im->info, ino, buf + offset, inode), 0);
}

/* File block fb of inode into buf (zeros for a hole); returns the block or 0. */
static uint32_t img_file_block(struct img *im, const struct ext2_inode *inode, uint64_t fb,
                               uint8_t *buf)
{
    uint32_t phys = 1234567;

    assert_int_equal(ext2_bmap(&im->info, inode, fb, img_read, im, im->scratch, &phys), 0);
    if (phys == 0)
        memset(buf, 0, im->info.block_size);
    else
        assert_int_equal(img_read(im, phys, buf), 0);
    return phys;
}

/* Calls fn for every entry of directory inode dir; returns the count. */
static unsigned img_dir_each(struct img *im, const struct ext2_inode *dir,
                             void (*fn)(const struct ext2_dirent *, void *), void *arg)
{
    uint8_t buf[EXT2_MAX_BLOCK_SIZE];
    unsigned count = 0;

    assert_int_equal(ext2_ft_from_mode(dir->mode), EXT2_FT_DIR);
    for (uint64_t fb = 0; fb < dir->size / im->info.block_size; fb++) {
        struct ext2_dir_iter it;
        struct ext2_dirent ent;
        int r;

        assert_int_not_equal(img_file_block(im, dir, fb, buf), 0);   /* no holes in dirs */
        ext2_dir_iter_init(&it, &im->info, buf);
        while ((r = ext2_dir_next(&it, &ent)) == 1) {
            assert_true(ent.offset + ent.rec_len <= im->info.block_size);
            fn(&ent, arg);
            count++;
        }
        assert_int_equal(r, 0);
    }
    return count;
}

struct lookup {
    const char *name;
    uint32_t ino;
    unsigned ft;
};

static void lookup_fn(const struct ext2_dirent *ent, void *arg)
{
    struct lookup *l = arg;

    if (ent->name_len == strlen(l->name) && memcmp(ent->name, l->name, ent->name_len) == 0) {
        assert_int_equal(l->ino, 0);    /* names are unique */
        l->ino = ent->inode;
        l->ft = ent->file_type;
    }
}

/* Walks path (relative to the root, '/'-separated) by name from inode 2. */
static uint32_t img_walk(struct img *im, const char *path, struct ext2_inode *inode)
{
    char copy[256], *save = NULL;
    uint32_t ino = EXT2_ROOT_INO;

    snprintf(copy, sizeof(copy), "%s", path);
    img_inode(im, ino, inode);
    for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        struct lookup l = { .name = part };
        img_dir_each(im, inode, lookup_fn, &l);
        assert_int_not_equal(l.ino, 0);
        ino = l.ino;
        img_inode(im, ino, inode);
    }
    return ino;
}

/* ---- comparison with the staging folder ----------------------------------------- */

struct names {
    char *v[1024];
    unsigned n;
    unsigned ft[1024];
    uint32_t ino[1024];
};

static void names_fn(const struct ext2_dirent *ent, void *arg)
{
    struct names *ns = arg;

    assert_true(ns->n < 1024);
    ns->ft[ns->n] = ent->file_type;
    ns->ino[ns->n] = ent->inode;
    ns->v[ns->n++] = strndup(ent->name, ent->name_len);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void names_free(struct names *ns)
{
    for (unsigned i = 0; i < ns->n; i++)
        free(ns->v[i]);
}

/* Compares one block of the file with the staging file's bytes. */
static void compare_block(struct img *im, const struct ext2_inode *inode, int fd, uint64_t fb,
                          const char *path)
{
    uint8_t got[EXT2_MAX_BLOCK_SIZE], want[EXT2_MAX_BLOCK_SIZE];
    uint32_t bs = im->info.block_size;

    memset(want, 0, bs);
    ssize_t n = pread(fd, want, bs, (off_t)(fb * bs));
    assert_true(n >= 0);
    img_file_block(im, inode, fb, got);
    if (memcmp(got, want, bs) != 0)
        fail_msg("%s: block %llu differs", path, (unsigned long long)fb);
}

/* Every block with data, and in holes a sample of blocks (all in small files). */
static void compare_file(struct img *im, const struct ext2_inode *inode, const char *path)
{
    uint32_t bs = im->info.block_size;
    int fd = open(path, O_RDONLY);
    uint64_t nblocks = (inode->size + bs - 1) / bs;
    uint64_t step = nblocks > 4096 ? nblocks / 1024 + 1 : 1;

    assert_true(fd >= 0);
    for (uint64_t fb = 0; fb < nblocks;) {
        off_t data = lseek(fd, (off_t)(fb * bs), SEEK_DATA);
        uint64_t data_fb = data < 0 ? nblocks : (uint64_t)data / bs;
        if (data_fb > fb) {                     /* fb is in a hole */
            compare_block(im, inode, fd, fb, path);
            fb = MIN(data_fb, fb + step);
            continue;
        }
        off_t hole = lseek(fd, (off_t)(fb * bs), SEEK_HOLE);
        uint64_t hole_fb = hole < 0 ? nblocks : ((uint64_t)hole + bs - 1) / bs;
        for (; fb < hole_fb && fb < nblocks; fb++)
            compare_block(im, inode, fd, fb, path);
    }
    if (nblocks > 0)
        compare_block(im, inode, fd, nblocks - 1, path);
    close(fd);
}

static void compare_tree(struct img *im, const struct ext2_inode *dir, const char *path)
{
    struct names ns = { .n = 0 };
    char *want[1024];
    unsigned nwant = 0;
    DIR *d = opendir(path);
    struct dirent *de;

    assert_non_null(d);
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, "lost+found") == 0)
            continue;
        assert_true(nwant < 1024);
        want[nwant++] = strdup(de->d_name);
    }
    closedir(d);
    img_dir_each(im, dir, names_fn, &ns);
    /* lost+found is mke2fs's own; the rest must be the staging folder's */
    struct names got = { .n = 0 };
    for (unsigned i = 0; i < ns.n; i++) {
        if (strcmp(ns.v[i], "lost+found") == 0)
            continue;
        got.v[got.n] = ns.v[i];
        got.ft[got.n] = ns.ft[i];
        got.ino[got.n++] = ns.ino[i];
    }
    assert_int_equal(got.n, nwant);
    qsort(want, nwant, sizeof(char *), cmp_str);
    for (unsigned i = 0; i < nwant; i++) {
        struct lookup l = { .name = want[i] };
        char sub[512];
        struct stat st;
        struct ext2_inode inode;

        img_dir_each(im, dir, lookup_fn, &l);
        if (l.ino == 0)
            fail_msg("%s/%s missing from the image", path, want[i]);
        if (strcmp(want[i], ".") == 0 || strcmp(want[i], "..") == 0)
            continue;
        snprintf(sub, sizeof(sub), "%s/%s", path, want[i]);
        assert_int_equal(lstat(sub, &st), 0);
        img_inode(im, l.ino, &inode);
        assert_int_equal(inode.mode & EXT2_S_IFMT, st.st_mode & S_IFMT);
        assert_int_equal(inode.mode & 07777, st.st_mode & 07777);
        if (im->info.filetype)
            assert_int_equal(l.ft, ext2_ft_from_mode(inode.mode));
        else
            assert_int_equal(l.ft, EXT2_FT_UNKNOWN);
        if (S_ISDIR(st.st_mode)) {
            compare_tree(im, &inode, sub);
        } else if (S_ISREG(st.st_mode)) {
            assert_int_equal(inode.size, (uint64_t)st.st_size);
            compare_file(im, &inode, sub);
        } else if (S_ISLNK(st.st_mode)) {
            char target[256];
            uint8_t block[EXT2_MAX_BLOCK_SIZE];
            ssize_t n = readlink(sub, target, sizeof(target));
            assert_true(n > 0);
            assert_int_equal(inode.size, (uint64_t)n);
            assert_int_equal(inode.fast_symlink, n <= (ssize_t)EXT2_FAST_SYMLINK_MAX);
            if (inode.fast_symlink) {
                assert_memory_equal(ext2_inode_symlink(&inode), target, (size_t)n);
            } else {
                assert_int_not_equal(img_file_block(im, &inode, 0, block), 0);
                assert_memory_equal(block, target, (size_t)n);
            }
        }
    }
    for (unsigned i = 0; i < nwant; i++)
        free(want[i]);
    names_free(&ns);
}

static void check_image(const char *name, const char *stage)
{
    struct img im;
    struct ext2_inode root;
    char path[256];

    img_open(&im, name);
    img_inode(&im, EXT2_ROOT_INO, &root);
    path_of(path, sizeof(path), stage);
    compare_tree(&im, &root, path);
    /* every group descriptor of the image is valid */
    for (uint32_t g = 0; g < im.info.group_count; g++) {
        struct ext2_group gd;
        img_group(&im, g, &gd);
    }
    img_close(&im);
}

static void test_tree_b1024(void **state) { (void)state; check_image("b1024.img", "stage"); }
static void test_tree_b2048(void **state) { (void)state; check_image("b2048.img", "stage"); }
static void test_tree_b4096(void **state) { (void)state; check_image("b4096.img", "stage"); }
static void test_tree_rev0(void **state) { (void)state; check_image("rev0.img", "stage_small"); }
static void test_tree_nosparse(void **state)
{
    (void)state;
    check_image("nosparse.img", "stage_small");
}

/* ---- figures ---------------------------------------------------------------------- */

static void test_info_figures(void **state)
{
    struct img im;

    (void)state;
    img_open(&im, "b1024.img");                 /* 64 MiB, 1 KiB blocks */
    assert_int_equal(im.info.rev_level, 1);
    assert_int_equal(im.info.block_size, 1024);
    assert_int_equal(im.info.first_data_block, 1);
    assert_int_equal(im.info.blocks_count, 65536);
    assert_int_equal(im.info.blocks_per_group, 8192);
    assert_int_equal(im.info.group_count, 8);
    assert_int_equal(im.info.addr_per_block, 256);
    assert_int_equal(im.info.desc_blocks, 1);
    assert_true(im.info.filetype && im.info.sparse_super && im.info.large_file);
    assert_int_equal(im.info.inodes_count, im.info.group_count * im.info.inodes_per_group);
    img_close(&im);

    img_open(&im, "b4096.img");
    assert_int_equal(im.info.block_size, 4096);
    assert_int_equal(im.info.first_data_block, 0);
    assert_int_equal(im.info.blocks_count, 16384);
    assert_int_equal(im.info.group_count, 1);
    assert_int_equal(im.info.addr_per_block, 1024);
    img_close(&im);

    img_open(&im, "rev0.img");
    assert_int_equal(im.info.rev_level, 0);
    assert_int_equal(im.info.inode_size, 128);
    assert_int_equal(im.info.first_ino, 11);
    assert_false(im.info.filetype || im.info.sparse_super || im.info.large_file);
    img_close(&im);
}

static void check_supers(const char *name)
{
    char path[256];
    struct img im;
    bool want[64] = { false };
    unsigned g;

    img_open(&im, name);
    snprintf(path, sizeof(path), "%s/img/%.*s.supers", g_dir, (int)(strlen(name) - 4), name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    while (fscanf(f, "%u", &g) == 1) {
        assert_true(g < 64);
        want[g] = true;
    }
    fclose(f);
    assert_true(im.info.group_count <= 64);
    for (g = 0; g < im.info.group_count; g++)
        assert_int_equal(ext2_group_has_super(&im.info, g), want[g]);
    assert_false(ext2_group_has_super(&im.info, im.info.group_count));
    img_close(&im);
}

static void test_sparse_super_groups(void **state)
{
    (void)state;
    check_supers("b1024.img");                  /* 0 1 3 5 7 */
    check_supers("nosparse.img");               /* all */
    check_supers("rev0.img");                   /* all */

    /* beyond the images' 8 groups: 9, 25, 27, 49, 125, 343 and not 15, 21, 45 */
    struct ext2_info info = { .group_count = 400, .sparse_super = true };
    const uint32_t yes[] = { 0, 1, 3, 5, 7, 9, 25, 27, 49, 81, 125, 243, 343 };
    const uint32_t no[] = { 2, 4, 6, 8, 10, 15, 21, 35, 45, 63, 75, 105, 399 };
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++)
        assert_true(ext2_group_has_super(&info, yes[i]));
    for (size_t i = 0; i < ARRAY_SIZE(no); i++)
        assert_false(ext2_group_has_super(&info, no[i]));
}

/* debugfs's "Blockcount:" for path in image name. */
static long debugfs_blockcount(const char *name, const char *path)
{
    char cmd[512], line[512];
    long count = -1;

    snprintf(cmd, sizeof(cmd), "debugfs -R 'stat %s' '%s/img/%s' 2>/dev/null", path, g_dir, name);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    while (fgets(line, sizeof(line), p)) {
        const char *at = strstr(line, "Blockcount: ");
        if (at)
            count = strtol(at + 12, NULL, 10);
    }
    pclose(p);
    return count;
}

static void check_huge(const char *name)
{
    struct img im;
    struct ext2_inode inode;
    uint8_t buf[EXT2_MAX_BLOCK_SIZE];

    img_open(&im, name);
    img_walk(&im, "huge", &inode);
    assert_int_equal(inode.size, 5ull * 1024 * 1024 * 1024 + 123);     /* i_size_high = 1 */
    assert_int_not_equal(inode.block[EXT2_TIND_BLOCK], 0);              /* triple indirect */
    assert_int_equal(inode.blocks, debugfs_blockcount(name, "/huge"));
    uint64_t first = (4ull * 1024 * 1024 + 8192) * 1024 / im.info.block_size;
    assert_int_not_equal(img_file_block(&im, &inode, first, buf), 0);
    assert_int_equal(img_file_block(&im, &inode, 0, buf), 0);          /* holes */
    assert_int_equal(img_file_block(&im, &inode, first - 1, buf), 0);
    /* the last block a 4 KiB-block file can have, and one past it */
    uint64_t apb = im.info.addr_per_block;
    uint64_t max = EXT2_NDIR_BLOCKS + apb + apb * apb + apb * apb * apb;
    uint32_t phys;
    assert_int_equal(ext2_bmap(&im.info, &inode, max - 1, img_read, &im, im.scratch, &phys), 0);
    assert_int_equal(phys, 0);
    assert_int_equal(ext2_bmap(&im.info, &inode, max, img_read, &im, im.scratch, &phys), -EFBIG);
    img_close(&im);
}

static void test_triple_indirect(void **state)
{
    (void)state;
    check_huge("b1024.img");
    check_huge("b4096.img");
}

static void test_holes_and_indirect(void **state)
{
    struct img im;
    struct ext2_inode inode;
    uint8_t buf[EXT2_MAX_BLOCK_SIZE];

    (void)state;
    img_open(&im, "b1024.img");
    img_walk(&im, "holes", &inode);
    assert_int_equal(inode.size, 300000);
    assert_int_not_equal(img_file_block(&im, &inode, 0, buf), 0);
    for (uint64_t fb = 3; fb < 103; fb++)
        assert_int_equal(img_file_block(&im, &inode, fb, buf), 0);
    assert_int_not_equal(img_file_block(&im, &inode, 103, buf), 0);
    assert_int_equal(img_file_block(&im, &inode, 200, buf), 0);
    assert_int_equal(inode.blocks, debugfs_blockcount("b1024.img", "/holes"));

    img_walk(&im, "big", &inode);               /* 400 blocks: double indirect */
    assert_int_not_equal(inode.block[EXT2_DIND_BLOCK], 0);
    assert_int_equal(inode.block[EXT2_TIND_BLOCK], 0);
    assert_int_not_equal(img_file_block(&im, &inode, 399, buf), 0);
    assert_int_equal(inode.blocks, debugfs_blockcount("b1024.img", "/big"));

    img_walk(&im, "dir/sub/deeper/leaf.txt", &inode);
    assert_int_equal(inode.size, 777);
    img_walk(&im, "many/entry_with_a_longish_name_299", &inode);
    assert_int_equal(inode.size, 10);
    img_close(&im);
}

static void count_fn(const struct ext2_dirent *ent, void *arg)
{
    (void)ent;
    (*(unsigned *)arg)++;
}

static void test_large_directory(void **state)
{
    struct img im;
    struct ext2_inode inode;
    unsigned n = 0;

    (void)state;
    img_open(&im, "b1024.img");
    img_walk(&im, "many", &inode);
    assert_true(inode.size > 1024);             /* several blocks */
    assert_int_equal(img_dir_each(&im, &inode, count_fn, &n), 302);
    assert_int_equal(n, 302);
    img_close(&im);
}

static void test_symlinks(void **state)
{
    struct img im;
    struct ext2_inode inode;

    (void)state;
    img_open(&im, "b2048.img");
    img_walk(&im, "fast_link", &inode);
    assert_true(inode.fast_symlink);
    assert_int_equal(inode.size, 9);
    assert_memory_equal(ext2_inode_symlink(&inode), "hello.txt", 9);
    assert_int_equal(inode.blocks, 0);
    uint32_t phys;
    assert_int_equal(ext2_bmap(&im.info, &inode, 0, img_read, &im, im.scratch, &phys), -EINVAL);
    img_walk(&im, "slow_link", &inode);
    assert_false(inode.fast_symlink);
    assert_int_equal(inode.size, 126);
    assert_int_not_equal(inode.blocks, 0);
    img_close(&im);
}

/* ext3 is ext2 with a journal (COMPAT): accepted; ext4's INCOMPAT features: refused. */
static void test_ext3_ext4(void **state)
{
    char path[256];
    uint8_t sb[EXT2_SUPER_SIZE];
    struct ext2_info info;
    const char *reason;

    (void)state;
    path_of(path, sizeof(path), "ext3.img");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, sb, sizeof(sb), EXT2_SUPER_OFFSET), (ssize_t)sizeof(sb));
    close(fd);
    assert_int_equal(ext2_sb_check(sb, 8 << 20, &info, &reason), 0);
    assert_true(info.feature_compat & EXT2_FEATURE_COMPAT_HAS_JOURNAL);
    assert_null(reason);

    path_of(path, sizeof(path), "ext4.img");
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, sb, sizeof(sb), EXT2_SUPER_OFFSET), (ssize_t)sizeof(sb));
    close(fd);
    assert_int_equal(ext2_sb_check(sb, 8 << 20, &info, &reason), -EINVAL);
    assert_string_equal(reason, "extent");
    assert_true(info.incompat_unsupported & 0x40);      /* extent */
    assert_true(info.incompat_unsupported & 0x200);     /* flex_bg */
}

/* ---- damage, one structure at a time ---------------------------------------------- */

static uint8_t *g_small;          /* small.img, loaded once per damage test */
static size_t g_small_size;

static int damage_setup(void **state)
{
    char path[256];
    struct stat st;

    (void)state;
    path_of(path, sizeof(path), "small.img");
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0)
        return -1;
    g_small_size = (size_t)st.st_size;
    g_small = malloc(g_small_size);
    ssize_t n = pread(fd, g_small, g_small_size, 0);
    close(fd);
    return n == (ssize_t)g_small_size ? 0 : -1;
}

static int damage_teardown(void **state)
{
    (void)state;
    free(g_small);
    return 0;
}

static uint8_t *sb_of(struct img *m)
{
    return m->mem + EXT2_SUPER_OFFSET;
}

static int mem_check(struct img *m, const char **reason)
{
    return ext2_sb_check(sb_of(m), g_small_size, &m->info, reason);
}

static void mem_open(struct img *m)
{
    const char *reason;

    memset(m, 0, sizeof(*m));
    m->fd = -1;
    m->mem = malloc(g_small_size);     /* a private copy to damage */
    memcpy(m->mem, g_small, g_small_size);
    assert_int_equal(mem_check(m, &reason), 0);
}

static void mem_close(struct img *m)
{
    assert_int_equal(m->bad_requests, 0);
    free(m->mem);
}

static uint8_t *mem_block(struct img *m, uint32_t block)
{
    return m->mem + (size_t)block * m->info.block_size;
}

static uint8_t *mem_gd(struct img *m, uint32_t group)
{
    uint32_t block, offset;

    assert_int_equal(ext2_group_desc_pos(&m->info, group, &block, &offset), 0);
    return mem_block(m, block) + offset;
}

/* The raw inode ino and its parsed form. */
static uint8_t *mem_inode(struct img *m, uint32_t ino, struct ext2_inode *inode)
{
    uint32_t group, block, offset;
    struct ext2_group gd;

    assert_int_equal(ext2_inode_group(&m->info, ino, &group), 0);
    assert_int_equal(ext2_group_parse(&m->info, group, mem_gd(m, group), &gd), 0);
    assert_int_equal(ext2_inode_pos(&m->info, ino, &gd, &block, &offset), 0);
    uint8_t *raw = mem_block(m, block) + offset;
    assert_int_equal(ext2_inode_parse(&m->info, ino, raw, inode), 0);
    return raw;
}

/* Inode number of name in the root directory's first block. */
static uint32_t mem_root_lookup(struct img *m, const char *name, uint8_t **entry)
{
    struct ext2_inode root;
    struct ext2_dir_iter it;
    struct ext2_dirent ent;

    mem_inode(m, EXT2_ROOT_INO, &root);
    uint8_t *blk = mem_block(m, root.block[0]);
    ext2_dir_iter_init(&it, &m->info, blk);
    while (ext2_dir_next(&it, &ent) == 1)
        if (ent.name_len == strlen(name) && memcmp(ent.name, name, ent.name_len) == 0) {
            if (entry)
                *entry = blk + ent.offset;
            return ent.inode;
        }
    fail_msg("%s not in the root directory", name);
    return 0;
}

static void test_damaged_superblock(void **state)
{
    struct img m;
    const char *reason;

    (void)state;
    mem_open(&m);
    uint8_t *sb = sb_of(&m);
    uint8_t saved[EXT2_SUPER_SIZE];
    memcpy(saved, sb, sizeof(saved));

#define EXPECT_REFUSED(what)                                                    \
    do {                                                                        \
        assert_int_equal(mem_check(&m, &reason), -EINVAL);                      \
        assert_string_equal(reason, what);                                      \
        memcpy(sb, saved, sizeof(saved));                                       \
        assert_int_equal(mem_check(&m, &reason), 0);                            \
    } while (0)

    ext2_put16(sb + 56, 0xEF54);
    EXPECT_REFUSED("bad magic");
    ext2_put32(sb + 76, 2);
    EXPECT_REFUSED("unknown revision");
    ext2_put32(sb + 24, 7);                          /* log_block_size */
    ext2_put32(sb + 28, 7);
    EXPECT_REFUSED("unsupported block size");
    ext2_put32(sb + 24, 3);                          /* 8 KiB */
    ext2_put32(sb + 28, 3);
    EXPECT_REFUSED("unsupported block size");
    ext2_put32(sb + 28, 1);                          /* fragments of 2 KiB */
    EXPECT_REFUSED("fragment size differs from block size");
    ext2_put32(sb + 32, 0);                          /* blocks_per_group */
    EXPECT_REFUSED("bad blocks per group");
    ext2_put32(sb + 32, 8193);
    EXPECT_REFUSED("bad blocks per group");
    ext2_put32(sb + 36, 4096);
    EXPECT_REFUSED("fragments per group differ from blocks per group");
    ext2_put32(sb + 40, 0);                          /* inodes_per_group */
    EXPECT_REFUSED("bad inodes per group");
    ext2_put32(sb + 40, 3);                          /* not whole blocks of the table */
    EXPECT_REFUSED("bad inodes per group");
    ext2_put16(sb + 88, 100);
    EXPECT_REFUSED("bad inode size");
    ext2_put16(sb + 88, 384);
    EXPECT_REFUSED("bad inode size");
    ext2_put16(sb + 88, 2048);
    EXPECT_REFUSED("bad inode size");
    ext2_put32(sb + 84, 5);                          /* s_first_ino */
    EXPECT_REFUSED("bad first inode");
    ext2_put32(sb + 20, 0);                          /* first_data_block with 1 KiB blocks */
    EXPECT_REFUSED("bad first data block");
    ext2_put32(sb + 4, 1);
    EXPECT_REFUSED("bad block count");
    ext2_put32(sb + 4, (uint32_t)(g_small_size / 1024) + 1);
    EXPECT_REFUSED("file system larger than the device");
    ext2_put32(sb + 0, m.info.inodes_count + 1);
    EXPECT_REFUSED("inode count disagrees with the groups");
    ext2_put16(sb + 206, 2000);                      /* reserved GDT blocks */
    EXPECT_REFUSED("metadata does not fit in group 0");

    /* a device one block short of the file system */
    assert_int_equal(ext2_sb_check(sb, g_small_size - 1, &m.info, &reason), -EINVAL);
    assert_string_equal(reason, "file system larger than the device");
#undef EXPECT_REFUSED
    mem_close(&m);
}

static void test_features(void **state)
{
    struct img m;
    const char *reason;

    (void)state;
    mem_open(&m);
    uint8_t *sb = sb_of(&m);
    uint32_t incompat = ext2_le32(sb + 96), ro = ext2_le32(sb + 100);

    ext2_put32(sb + 96, incompat | 0x40);            /* extent */
    assert_int_equal(mem_check(&m, &reason), -EINVAL);
    assert_string_equal(reason, "extent");
    assert_int_equal(m.info.incompat_unsupported, 0x40);
    ext2_put32(sb + 96, incompat | (1u << 20) | (1u << 31));
    assert_int_equal(mem_check(&m, &reason), -EINVAL);
    assert_string_equal(reason, "unknown INCOMPAT feature");
    assert_int_equal(m.info.incompat_unsupported, (1u << 20) | (1u << 31));
    ext2_put32(sb + 96, incompat);

    ext2_put32(sb + 100, ro | 0x20 | 0x400);         /* dir_nlink, metadata_csum */
    assert_int_equal(mem_check(&m, &reason), 0);
    assert_true(m.info.read_only);
    assert_string_equal(reason, "dir_nlink");
    assert_int_equal(m.info.ro_compat_unsupported, 0x420);
    ext2_put32(sb + 100, ro | (1u << 30));
    assert_int_equal(mem_check(&m, &reason), 0);
    assert_true(m.info.read_only);
    assert_string_equal(reason, "unknown RO_COMPAT feature");
    assert_int_equal(m.info.ro_compat_unsupported, 1u << 30);
    ext2_put32(sb + 100, ro);

    ext2_put32(sb + 92, 0xffffffffu);                /* COMPAT bits are ignored */
    ext2_put16(sb + 206, 0);
    assert_int_equal(mem_check(&m, &reason), 0);
    assert_null(reason);
    assert_false(m.info.read_only);

    assert_string_equal(ext2_feature_name(EXT2_FEAT_INCOMPAT, 1), "filetype");
    assert_string_equal(ext2_feature_name(EXT2_FEAT_RO_COMPAT, 1), "large_file");
    assert_string_equal(ext2_feature_name(EXT2_FEAT_COMPAT, 31), "unknown COMPAT feature");
    assert_string_equal(ext2_feature_name(EXT2_FEAT_COMPAT, 32), "unknown feature");
    mem_close(&m);
}

static void test_damaged_group_desc(void **state)
{
    struct img m;
    struct ext2_group gd;

    (void)state;
    mem_open(&m);
    uint8_t *raw = mem_gd(&m, 0);
    uint8_t saved[EXT2_GROUP_DESC_SIZE];
    memcpy(saved, raw, sizeof(saved));
    assert_int_equal(ext2_group_parse(&m.info, 0, raw, &gd), 0);

#define EXPECT_DAMAGED()                                                        \
    do {                                                                        \
        assert_int_equal(ext2_group_parse(&m.info, 0, raw, &gd), -EUCLEAN);     \
        memcpy(raw, saved, sizeof(saved));                                      \
    } while (0)

    ext2_put32(raw + 8, m.info.blocks_count - 1);    /* inode table runs past the end */
    EXPECT_DAMAGED();
    ext2_put32(raw + 8, 0xfffffff0u);
    EXPECT_DAMAGED();
    ext2_put32(raw + 0, m.info.blocks_count);        /* block bitmap past the end */
    EXPECT_DAMAGED();
    ext2_put32(raw + 4, 1);                          /* inode bitmap on the superblock */
    EXPECT_DAMAGED();
    ext2_put32(raw + 0, 2);                          /* block bitmap on the descriptors */
    EXPECT_DAMAGED();
    ext2_put32(raw + 0, gd.inode_bitmap);            /* both bitmaps in one block */
    EXPECT_DAMAGED();
    ext2_put32(raw + 4, gd.inode_table + 1);         /* inode bitmap inside the table */
    EXPECT_DAMAGED();
    ext2_put16(raw + 14, (uint16_t)(m.info.inodes_per_group + 1));
    EXPECT_DAMAGED();
#undef EXPECT_DAMAGED
    assert_int_equal(ext2_group_parse(&m.info, m.info.group_count, raw, &gd), -EINVAL);
    uint32_t b, o;
    assert_int_equal(ext2_group_desc_pos(&m.info, m.info.group_count, &b, &o), -EINVAL);
    mem_close(&m);
}

static void test_damaged_inodes(void **state)
{
    struct img m;
    struct ext2_inode inode;
    struct ext2_group gd;
    uint32_t group, b, o;

    (void)state;
    mem_open(&m);
    assert_int_equal(ext2_inode_group(&m.info, 0, &group), -EINVAL);
    assert_int_equal(ext2_inode_group(&m.info, m.info.inodes_count + 1, &group), -EINVAL);
    assert_int_equal(ext2_inode_group(&m.info, m.info.inodes_count, &group), 0);
    assert_int_equal(group, m.info.group_count - 1);
    assert_int_equal(ext2_group_parse(&m.info, 0, mem_gd(&m, 0), &gd), 0);
    if (m.info.group_count > 1)                 /* a descriptor of another group */
        assert_int_equal(ext2_inode_pos(&m.info, m.info.inodes_count, &gd, &b, &o), -EINVAL);

    uint32_t ino = mem_root_lookup(&m, "fast_link", NULL);
    uint8_t *raw = mem_inode(&m, ino, &inode);
    ext2_put32(raw + 4, 60);                         /* a fast symlink too long for i_block */
    assert_int_equal(ext2_inode_parse(&m.info, ino, raw, &inode), -EUCLEAN);
    ino = mem_root_lookup(&m, "slow_link", NULL);
    raw = mem_inode(&m, ino, &inode);
    ext2_put32(raw + 4, 1024);                       /* a slow one of a whole block */
    assert_int_equal(ext2_inode_parse(&m.info, ino, raw, &inode), -EUCLEAN);
    raw = mem_inode(&m, EXT2_ROOT_INO, &inode);
    ext2_put32(raw + 4, 1000);                       /* a directory of part of a block */
    assert_int_equal(ext2_inode_parse(&m.info, EXT2_ROOT_INO, raw, &inode), -EUCLEAN);
    ext2_put16(raw + 0, 0x0755);                     /* no file type */
    assert_int_equal(ext2_inode_parse(&m.info, EXT2_ROOT_INO, raw, &inode), -EUCLEAN);
    ext2_put16(raw + 0, 0xE1ED);                     /* a type that does not exist */
    assert_int_equal(ext2_inode_parse(&m.info, EXT2_ROOT_INO, raw, &inode), -EUCLEAN);
    mem_close(&m);
}

static void test_damaged_indirect(void **state)
{
    struct img m;
    struct ext2_inode inode;
    uint32_t phys;

    (void)state;
    mem_open(&m);
    uint32_t ino = mem_root_lookup(&m, "big", NULL);
    uint8_t *raw = mem_inode(&m, ino, &inode);
    uint32_t ind = inode.block[EXT2_IND_BLOCK], dind = inode.block[EXT2_DIND_BLOCK];
    assert_int_not_equal(ind, 0);
    assert_int_not_equal(dind, 0);
    assert_int_equal(ext2_bmap(&m.info, &inode, 12, img_read, &m, m.scratch, &phys), 0);
    assert_int_not_equal(phys, 0);

    uint32_t saved = ext2_le32(mem_block(&m, ind));
    ext2_put32(mem_block(&m, ind), ind);             /* the indirect block names itself */
    assert_int_equal(ext2_bmap(&m.info, &inode, 12, img_read, &m, m.scratch, &phys), -EUCLEAN);
    ext2_put32(mem_block(&m, ind), m.info.blocks_count);     /* a data block past the end */
    assert_int_equal(ext2_bmap(&m.info, &inode, 12, img_read, &m, m.scratch, &phys), -EUCLEAN);
    ext2_put32(mem_block(&m, ind), saved);

    saved = ext2_le32(mem_block(&m, dind));
    ext2_put32(mem_block(&m, dind), dind);           /* double indirect: a loop to itself */
    assert_int_equal(ext2_bmap(&m.info, &inode, 12 + 256, img_read, &m, m.scratch, &phys),
                     -EUCLEAN);
    ext2_put32(mem_block(&m, dind), 0xffffffffu);
    assert_int_equal(ext2_bmap(&m.info, &inode, 12 + 256, img_read, &m, m.scratch, &phys),
                     -EUCLEAN);
    ext2_put32(mem_block(&m, dind), saved);

    ext2_put32(raw + 40, m.info.blocks_count + 5);   /* a direct pointer out of range */
    ext2_put32(raw + 40 + 4 * EXT2_TIND_BLOCK, 0);   /* first data block is 1: 0 is a hole */
    ext2_put32(raw + 40 + 4 * EXT2_DIND_BLOCK, m.info.blocks_count);
    assert_int_equal(ext2_inode_parse(&m.info, ino, raw, &inode), 0);
    assert_int_equal(ext2_bmap(&m.info, &inode, 0, img_read, &m, m.scratch, &phys), -EUCLEAN);
    assert_int_equal(ext2_bmap(&m.info, &inode, 300, img_read, &m, m.scratch, &phys), -EUCLEAN);
    assert_int_equal(ext2_bmap(&m.info, &inode, 70000, img_read, &m, m.scratch, &phys), 0);
    assert_int_equal(phys, 0);
    mem_close(&m);
}

/* Iterates block until the end or an error; returns that and the count. */
static int iterate(struct img *m, const uint8_t *blk, unsigned *count)
{
    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    int r;

    *count = 0;
    ext2_dir_iter_init(&it, &m->info, blk);
    while ((r = ext2_dir_next(&it, &ent)) == 1)
        (*count)++;
    return r;
}

static void test_damaged_directory(void **state)
{
    struct img m;
    struct ext2_inode root;
    unsigned n, n0;
    uint8_t *entry;

    (void)state;
    mem_open(&m);
    mem_inode(&m, EXT2_ROOT_INO, &root);
    uint8_t *blk = mem_block(&m, root.block[0]);
    uint8_t saved[1024];
    memcpy(saved, blk, sizeof(saved));
    assert_int_equal(iterate(&m, blk, &n0), 0);
    assert_true(n0 >= 9);

#define EXPECT_DAMAGED()                                                        \
    do {                                                                        \
        assert_int_equal(iterate(&m, blk, &n), -EUCLEAN);                       \
        memcpy(blk, saved, sizeof(saved));                                      \
    } while (0)

    mem_root_lookup(&m, "hello.txt", &entry);
    uint16_t rec = ext2_le16(entry + 4);
    ext2_put16(entry + 4, (uint16_t)(rec + 1));      /* not 4-aligned */
    EXPECT_DAMAGED();
    ext2_put16(entry + 4, 0);                        /* would never advance */
    EXPECT_DAMAGED();
    ext2_put16(entry + 4, 4);
    EXPECT_DAMAGED();
    entry[6] = (uint8_t)(rec - 8 + 1);          /* name_len > rec_len - 8 */
    EXPECT_DAMAGED();
    entry[6] = 0;                               /* a used entry without a name */
    EXPECT_DAMAGED();
    entry[7] = 8;                               /* file type 8 */
    EXPECT_DAMAGED();
    ext2_put32(entry, m.info.inodes_count + 1);
    EXPECT_DAMAGED();
    ext2_put16(entry + 4, (uint16_t)(1024 - (entry - blk) + 4));  /* crosses the block */
    EXPECT_DAMAGED();

    /* the last entry's rec_len crosses the block end */
    struct ext2_dir_iter it;
    struct ext2_dirent ent, last = { 0 };
    ext2_dir_iter_init(&it, &m.info, blk);
    while (ext2_dir_next(&it, &ent) == 1)
        last = ent;
    assert_int_equal(last.offset + last.rec_len, 1024);
    ext2_put16(blk + last.offset + 4, (uint16_t)(last.rec_len + 4));
    EXPECT_DAMAGED();
    ext2_put32(blk + 1024 - 4, 0);                   /* a header cut by the block end */
    ext2_put16(blk + last.offset + 4, (uint16_t)(last.rec_len - 4));
    EXPECT_DAMAGED();

    /* an unused entry (inode 0) is skipped, not reported */
    ext2_put32(entry, 0);
    assert_int_equal(iterate(&m, blk, &n), 0);
    assert_int_equal(n, n0 - 1);
#undef EXPECT_DAMAGED
    mem_close(&m);
}

/* Random damage: seeded runs of byte changes in the metadata, each walked whole. */
static void random_damage(void *arg)
{
    struct ext2_walk *w = malloc(sizeof(*w));
    uint8_t *img = malloc(g_small_size);
    unsigned walked = 0;

    (void)arg;
    for (unsigned run = 0; run < 1500; run++) {
        rng_state = 0x9e3779b97f4a7c15ull + run;
        memcpy(img, g_small, g_small_size);
        unsigned flips = 1 + (unsigned)rnd_below(8);
        for (unsigned i = 0; i < flips; i++) {
            /* mostly the first 300 KiB: superblock, descriptors, tables, dirs */
            size_t at = rnd_below(4) ? rnd_below(300 * 1024) : rnd_below(g_small_size);
            img[at] = rnd_below(2) ? (uint8_t)rnd() : (uint8_t)(img[at] ^ (1u << rnd_below(8)));
        }
        if (ext2_walk_image(w, img, g_small_size, 20000) == 0)
            walked++;
        if (w->bad_requests)
            abort();
    }
    free(img);
    free(w);
    if (walked < 750)                           /* most damage leaves the superblock */
        abort();
}

static void test_random_damage(void **state)
{
    (void)state;
    assert_true(run_in_child(random_damage, NULL, 120));

    /* the undamaged image walks with no errors */
    struct ext2_walk *w = malloc(sizeof(*w));
    assert_int_equal(ext2_walk_image(w, g_small, g_small_size, 100000), 0);
    assert_int_equal(w->errors, 0);
    assert_int_equal(w->bad_requests, 0);
    assert_true(w->entries > 300);
    free(w);
}

/* ---- writing helpers -------------------------------------------------------------- */

/* Decoding then encoding every group descriptor, in-use inode and the
 * superblock's dynamic fields of an mke2fs image gives back its bytes. */
static void check_roundtrip(const char *name)
{
    struct img im;
    uint8_t buf[EXT2_MAX_BLOCK_SIZE], copy[EXT2_MAX_BLOCK_SIZE];
    uint8_t sb[EXT2_SUPER_SIZE], sb2[EXT2_SUPER_SIZE];
    unsigned inodes = 0;

    img_open(&im, name);
    assert_int_equal(pread(im.fd, sb, sizeof(sb), EXT2_SUPER_OFFSET), (ssize_t)sizeof(sb));
    struct ext2_sb_dyn dyn;
    ext2_sb_dyn_parse(sb, &dyn);
    assert_true(dyn.state & EXT2_VALID_FS);
    memset(sb2, 0, sizeof(sb2));
    memcpy(sb2, sb, sizeof(sb));
    memset(sb2 + 12, 0xa5, 8);                  /* free counts scribbled over ... */
    ext2_sb_dyn_encode(&im.info, &dyn, sb2);
    assert_memory_equal(sb, sb2, sizeof(sb));   /* ... and written back */

    for (uint32_t g = 0; g < im.info.group_count; g++) {
        struct ext2_group gd;
        uint32_t block, offset;
        img_group(&im, g, &gd);
        assert_int_equal(ext2_group_desc_pos(&im.info, g, &block, &offset), 0);
        assert_int_equal(img_read(&im, block, buf), 0);
        memcpy(copy, buf, im.info.block_size);
        memset(copy + offset, 0x5a, 18);
        ext2_group_encode(&gd, copy + offset);
        assert_memory_equal(buf, copy, im.info.block_size);

        /* the bitmap's clear bits are the descriptor's free count */
        assert_int_equal(img_read(&im, gd.block_bitmap, buf), 0);
        assert_int_equal(ext2_bitmap_count_free(buf, ext2_group_nblocks(&im.info, g)),
                         gd.free_blocks);
        assert_int_equal(img_read(&im, gd.inode_bitmap, buf), 0);
        assert_int_equal(ext2_bitmap_count_free(buf, im.info.inodes_per_group), gd.free_inodes);

        /* every in-use inode of the group's table */
        for (uint32_t i = 0; i < im.info.inodes_per_group; i++) {
            uint32_t ino = g * im.info.inodes_per_group + i + 1;
            if (!ext2_bit_test(buf, i) || (ino < im.info.first_ino && ino != EXT2_ROOT_INO))
                continue;
            uint8_t tbl[EXT2_MAX_BLOCK_SIZE], raw[EXT2_MAX_BLOCK_SIZE];
            struct ext2_inode inode;
            assert_int_equal(ext2_inode_pos(&im.info, ino, &gd, &block, &offset), 0);
            assert_int_equal(img_read(&im, block, tbl), 0);
            if (ext2_le16(tbl + offset) == 0)
                continue;                       /* bitmap padding / unused */
            assert_int_equal(ext2_inode_parse(&im.info, ino, tbl + offset, &inode), 0);
            memcpy(raw, tbl + offset, im.info.inode_size);
            memset(raw, 0x77, 36);              /* mode .. flags */
            memset(raw + 40, 0x77, 72);         /* i_block .. i_size_high */
            assert_int_equal(ext2_inode_encode(&im.info, &inode, raw), 0);
            if (!S_ISREG(inode.mode))           /* i_dir_acl is left alone: restore it */
                memcpy(raw + 108, tbl + offset + 108, 4);
            assert_memory_equal(raw, tbl + offset, im.info.inode_size);
            inodes++;
        }
    }
    assert_true(inodes > 300);
    img_close(&im);
}

static void test_encode_roundtrip(void **state)
{
    (void)state;
    check_roundtrip("b1024.img");
    check_roundtrip("b2048.img");
    check_roundtrip("b4096.img");
    check_roundtrip("rev0.img");
}

static void test_inode_encode_limits(void **state)
{
    struct ext2_info info = { .block_size = 1024, .large_file = false };
    struct ext2_inode inode = { .mode = EXT2_S_IFREG | 0644, .size = 1ull << 31 };
    uint8_t raw[128] = { 0 };

    (void)state;
    assert_int_equal(ext2_inode_encode(&info, &inode, raw), -EFBIG);
    info.large_file = true;
    inode.size = 5ull << 30;
    assert_int_equal(ext2_inode_encode(&info, &inode, raw), 0);
    assert_int_equal(ext2_le32(raw + 4), (uint32_t)(5ull << 30));
    assert_int_equal(ext2_le32(raw + 108), 1);
    inode.mode = EXT2_S_IFDIR | 0755;
    assert_int_equal(ext2_inode_encode(&info, &inode, raw), -EFBIG);
    /* a fast symlink's block[] is bytes */
    memset(&inode, 0, sizeof(inode));
    inode.mode = EXT2_S_IFLNK | 0777;
    inode.fast_symlink = true;
    inode.size = 5;
    memcpy(inode.block, "a/b/c", 5);
    assert_int_equal(ext2_inode_encode(&info, &inode, raw), 0);
    assert_memory_equal(raw + 40, "a/b/c", 5);
    struct ext2_inode back;
    assert_int_equal(ext2_inode_parse(&info, 12, raw, &back), 0);
    assert_true(back.fast_symlink);
    assert_memory_equal(ext2_inode_symlink(&back), "a/b/c", 5);
}

static void test_bitmap_find(void **state)
{
    uint8_t bm[128];
    uint32_t n;

    (void)state;
    memset(bm, 0, sizeof(bm));
    assert_int_equal(ext2_bitmap_find(bm, 1024, 300, &n), 0);
    assert_int_equal(n, 300);                   /* the goal itself */
    ext2_bit_set(bm, 300);
    ext2_bit_set(bm, 301);
    assert_int_equal(ext2_bitmap_find(bm, 1024, 300, &n), 0);
    assert_int_equal(n, 302);                   /* the next one after it */
    memset(bm, 0xff, sizeof(bm));
    ext2_bit_clear(bm, 17);
    assert_int_equal(ext2_bitmap_find(bm, 1024, 500, &n), 0);
    assert_int_equal(n, 17);                    /* wraps */
    assert_int_equal(ext2_bitmap_find(bm, 1024, 5000, &n), 0);
    assert_int_equal(n, 17);                    /* a goal past the end counts as 0 */
    ext2_bit_set(bm, 17);
    assert_int_equal(ext2_bitmap_find(bm, 1024, 0, &n), -ENOSPC);
    /* bits past nbits are never returned */
    ext2_bit_clear(bm, 1000);
    assert_int_equal(ext2_bitmap_find(bm, 1000, 0, &n), -ENOSPC);
    assert_int_equal(ext2_bitmap_count_free(bm, 1000), 0);
    assert_int_equal(ext2_bitmap_count_free(bm, 1001), 1);
    /* an odd width, the clear bit in the last partial byte */
    memset(bm, 0xff, sizeof(bm));
    ext2_bit_clear(bm, 12);
    assert_int_equal(ext2_bitmap_find(bm, 13, 3, &n), 0);
    assert_int_equal(n, 12);
    assert_true(ext2_bit_test(bm, 11));
    assert_false(ext2_bit_test(bm, 12));
}

/* The route reaches the same block as ext2_bmap on the huge file. */
static void test_block_route(void **state)
{
    struct img im;
    struct ext2_inode inode;

    (void)state;
    img_open(&im, "b1024.img");
    img_walk(&im, "huge", &inode);
    uint64_t apb = im.info.addr_per_block;
    uint64_t first = (4ull * 1024 * 1024 + 8192) * 1024 / im.info.block_size;
    uint64_t probes[] = { 0, 11, 12, 12 + apb - 1, 12 + apb, 12 + apb + apb * apb - 1,
                          12 + apb + apb * apb, first, first + 5 };
    for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
        unsigned depth;
        uint32_t idx[4], phys, want;
        assert_int_equal(ext2_block_route(&im.info, probes[i], &depth, idx), 0);
        uint64_t span;
        uint64_t slot_first = ext2_slot_first_block(&im.info, idx[0], &span);
        assert_true(probes[i] >= slot_first && probes[i] < slot_first + span);
        phys = inode.block[idx[0]];
        for (unsigned l = 1; l <= depth && phys; l++) {
            uint8_t buf[EXT2_MAX_BLOCK_SIZE];
            assert_int_equal(img_read(&im, phys, buf), 0);
            assert_int_equal(ext2_ind_check(&im.info, buf, phys, NULL, 0), 0);
            phys = ext2_le32(buf + 4 * idx[l]);
        }
        assert_int_equal(ext2_bmap(&im.info, &inode, probes[i], img_read, &im, im.scratch,
                                   &want), 0);
        assert_int_equal(phys, want);
    }
    unsigned depth;
    uint32_t idx[4];
    assert_int_equal(ext2_block_route(&im.info, 12 + apb, &depth, idx), 0);
    assert_int_equal(depth, 2);
    assert_int_equal(idx[0], EXT2_DIND_BLOCK);
    assert_int_equal(idx[1], 0);
    assert_int_equal(idx[2], 0);
    assert_int_equal(ext2_block_route(&im.info, 12 + apb + apb * apb + apb * apb * apb,
                                      &depth, idx), -EFBIG);
    img_close(&im);
}

static void test_ind_check(void **state)
{
    struct ext2_info info = { .block_size = 1024, .addr_per_block = 256,
                              .first_data_block = 1, .blocks_count = 1000 };
    uint8_t blk[1024] = { 0 };
    uint32_t anc[2] = { 40, 41 };

    (void)state;
    ext2_put32(blk + 8, 500);
    assert_int_equal(ext2_ind_check(&info, blk, 42, anc, 2), 0);
    ext2_put32(blk + 12, 1000);                 /* past the end */
    assert_int_equal(ext2_ind_check(&info, blk, 42, anc, 2), -EUCLEAN);
    ext2_put32(blk + 12, 42);                   /* itself */
    assert_int_equal(ext2_ind_check(&info, blk, 42, anc, 2), -EUCLEAN);
    ext2_put32(blk + 12, 40);                   /* an ancestor: a loop */
    assert_int_equal(ext2_ind_check(&info, blk, 42, anc, 2), -EUCLEAN);
    ext2_put32(blk + 12, 0);
    ext2_put32(blk + 1020, 1000);               /* the last slot is checked too */
    assert_int_equal(ext2_ind_check(&info, blk, 42, anc, 2), -EUCLEAN);
}

/* Every entry of a block, checked; the rec_lens add up to the block. */
static unsigned dir_count(const struct ext2_info *info, const uint8_t *blk)
{
    struct ext2_dir_iter it;
    struct ext2_dirent ent;
    unsigned n = 0;
    int r;

    ext2_dir_iter_init(&it, info, blk);
    while ((r = ext2_dir_next(&it, &ent)) == 1)
        n++;
    assert_int_equal(r, 0);
    uint32_t sum = 0;
    while (sum < info->block_size)
        sum += ext2_le16(blk + sum + 4);
    assert_int_equal(sum, info->block_size);
    return n;
}

static void check_dir_edit(bool filetype)
{
    struct ext2_info info = { .block_size = 1024, .inodes_count = 100000,
                              .filetype = filetype };
    uint8_t blk[1024];
    char name[32];
    uint32_t off, offs[200];
    struct ext2_dirent ent;
    unsigned n = 0;

    ext2_dir_block_init_dots(&info, blk, 12, 2);
    assert_int_equal(dir_count(&info, blk), 2);
    assert_int_equal(ext2_dir_block_has_names(&info, blk), 0);
    assert_int_equal(ext2_dir_find(&info, blk, "..", 2, &ent), 1);
    assert_int_equal(ent.inode, 2);
    /* fill the block: 1024 - 12 - 12 bytes, 16 per entry "name_NNN" */
    for (;;) {
        snprintf(name, sizeof(name), "name_%03u", n);
        int r = ext2_dir_insert(&info, blk, name, (uint32_t)strlen(name), 100 + n,
                                EXT2_FT_REG_FILE, &off);
        if (r == -ENOSPC)
            break;
        assert_int_equal(r, 0);
        offs[n++] = off;
    }
    assert_int_equal(n, (1024 - 24) / 16);
    assert_int_equal(dir_count(&info, blk), n + 2);
    assert_int_equal(ext2_dir_block_has_names(&info, blk), 1);
    for (unsigned i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "name_%03u", i);
        assert_int_equal(ext2_dir_find(&info, blk, name, (uint32_t)strlen(name), &ent), 1);
        assert_int_equal(ent.inode, 100 + i);
        assert_int_equal(ent.offset, offs[i]);
        assert_int_equal(ent.file_type, filetype ? EXT2_FT_REG_FILE : EXT2_FT_UNKNOWN);
    }
    /* remove every other one; a longer name then fits in two merged holes */
    for (unsigned i = 1; i < n; i += 2)
        assert_int_equal(ext2_dir_remove(&info, blk, offs[i]), 0);
    assert_int_equal(ext2_dir_remove(&info, blk, offs[1]), -ENOENT);
    assert_int_equal(dir_count(&info, blk), 2 + (n + 1) / 2);
    assert_int_equal(ext2_dir_find(&info, blk, "name_001", 8, &ent), 0);
    assert_int_equal(ext2_dir_insert(&info, blk, "a_name_of_exactly_twenty_", 25, 7,
                                     EXT2_FT_DIR, &off), -ENOSPC);
    assert_int_equal(ext2_dir_remove(&info, blk, offs[2]), 0);  /* merges 1,2,3 */
    assert_int_equal(ext2_dir_insert(&info, blk, "a_name_of_exactly_twenty_", 25, 7,
                                     EXT2_FT_DIR, &off), 0);
    assert_int_equal(off, offs[0] + 16);
    assert_int_equal(ext2_dir_set_inode(&info, blk, off, 9, EXT2_FT_SYMLINK), 0);
    assert_int_equal(ext2_dir_find(&info, blk, "a_name_of_exactly_twenty_", 25, &ent), 1);
    assert_int_equal(ent.inode, 9);
    assert_int_equal(ent.file_type, filetype ? EXT2_FT_SYMLINK : EXT2_FT_UNKNOWN);
    assert_int_equal(ext2_dir_set_inode(&info, blk, off + 4, 9, 0), -ENOENT);
    /* removing the first entry clears its inode; removing all empties the block */
    assert_int_equal(ext2_dir_remove(&info, blk, 0), 0);
    assert_int_equal(ext2_dir_find(&info, blk, ".", 1, &ent), 0);
    dir_count(&info, blk);
    assert_int_equal(ext2_dir_insert(&info, blk, "x", 1, 5, 1, &off), 0);
    assert_int_equal(off, 0);                   /* the freed first slot */
    /* an empty block takes one name at offset 0 */
    ext2_dir_block_init(&info, blk);
    assert_int_equal(dir_count(&info, blk), 0);
    assert_int_equal(ext2_dir_insert(&info, blk, "only", 4, 5, 1, &off), 0);
    assert_int_equal(off, 0);
    assert_int_equal(ext2_le16(blk + 4), 1024);
    /* bad requests and damage */
    assert_int_equal(ext2_dir_insert(&info, blk, "", 0, 5, 1, &off), -EINVAL);
    assert_int_equal(ext2_dir_insert(&info, blk, "y", 1, 0, 1, &off), -EINVAL);
    ext2_put16(blk + 4, 1028);                  /* crosses the block */
    assert_int_equal(ext2_dir_insert(&info, blk, "y", 1, 5, 1, &off), -EUCLEAN);
    assert_int_equal(ext2_dir_remove(&info, blk, 0), -EUCLEAN);
    assert_int_equal(ext2_dir_block_has_names(&info, blk), -EUCLEAN);
    /* damage after the room found is still damage: the block stays as it was */
    ext2_dir_block_init(&info, blk);
    assert_int_equal(ext2_dir_insert(&info, blk, "a", 1, 5, 1, &off), 0);
    ext2_put16(blk + 4, 12);
    ext2_put32(blk + 12, 0);                    /* unused, room for "b" */
    ext2_put16(blk + 16, 500);
    ext2_put32(blk + 512, 6);                   /* used with an empty name */
    ext2_put16(blk + 516, 512);
    blk[518] = 0;
    uint8_t before[1024];
    memcpy(before, blk, sizeof(before));
    assert_int_equal(ext2_dir_insert(&info, blk, "b", 1, 7, 1, &off), -EUCLEAN);
    assert_int_equal(ext2_dir_remove(&info, blk, 0), -EUCLEAN);
    assert_int_equal(ext2_dir_set_inode(&info, blk, 0, 8, 1), -EUCLEAN);
    assert_memory_equal(before, blk, sizeof(before));
}

static void test_dir_edit(void **state)
{
    (void)state;
    check_dir_edit(true);
    check_dir_edit(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_figures),
        cmocka_unit_test(test_tree_b1024),
        cmocka_unit_test(test_tree_b2048),
        cmocka_unit_test(test_tree_b4096),
        cmocka_unit_test(test_tree_rev0),
        cmocka_unit_test(test_tree_nosparse),
        cmocka_unit_test(test_sparse_super_groups),
        cmocka_unit_test(test_triple_indirect),
        cmocka_unit_test(test_holes_and_indirect),
        cmocka_unit_test(test_large_directory),
        cmocka_unit_test(test_symlinks),
        cmocka_unit_test(test_ext3_ext4),
        cmocka_unit_test(test_encode_roundtrip),
        cmocka_unit_test(test_inode_encode_limits),
        cmocka_unit_test(test_bitmap_find),
        cmocka_unit_test(test_block_route),
        cmocka_unit_test(test_ind_check),
        cmocka_unit_test(test_dir_edit),
        cmocka_unit_test_setup_teardown(test_damaged_superblock, damage_setup, damage_teardown),
        cmocka_unit_test_setup_teardown(test_features, damage_setup, damage_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_group_desc, damage_setup, damage_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_inodes, damage_setup, damage_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_indirect, damage_setup, damage_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_directory, damage_setup, damage_teardown),
        cmocka_unit_test_setup_teardown(test_random_damage, damage_setup, damage_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
