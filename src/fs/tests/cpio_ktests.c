/*
 * src/fs/tests/cpio_ktests.c - in-kernel tests of fs/cpio: the reader
 * walks a tiny archive crafted here (a "070702" file "a" holding "hi" and
 * the trailer, 240 bytes), so it is proved to build and run freestanding.
 * The format's corners are covered by the host tests (test/unit/test_cpio.c).
 */
#include <core/ktest.h>
#include <core/errno.h>
#include <fs/cpio.h>

/* magic, ino, mode, uid, gid, nlink, mtime, filesize, devmaj, devmin,
 * rdevmaj, rdevmin, namesize, check; name; padding; data; padding. */
static const char cpio_tiny[] =
    "070702" "00000001" "000081A4" "00000000" "00000000" "00000001" "00000000"
    "00000002" "00000000" "00000000" "00000000" "00000000" "00000002" "000000D1"
    "a\0" "hi\0\0"
    "070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
    "00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
    "TRAILER!!!\0" "\0\0\0";

_Static_assert(sizeof(cpio_tiny) - 1 == 240, "crafted archive layout");

KTEST(cpio, walk_tiny_archive)
{
    struct cpio_iter it;
    struct cpio_entry e;

    cpio_iter_init(&it, cpio_tiny, sizeof(cpio_tiny) - 1);
    KT_ASSERT_EQ(cpio_next(&it, &e), 1);
    KT_EXPECT_EQ(e.namelen, 1u);
    KT_EXPECT_STREQ(e.name, "a");
    KT_EXPECT_EQ(e.mode, (uint32_t)(CPIO_S_IFREG | 0644));
    KT_EXPECT_EQ(e.size, 2u);
    KT_EXPECT_EQ(memcmp(e.data, "hi", 2), 0);
    KT_EXPECT_TRUE(e.crc);
    KT_EXPECT_EQ(cpio_next(&it, &e), 0);
    KT_EXPECT_EQ(cpio_next(&it, &e), 0);
}

KTEST(cpio, rejects_bad_sum_and_truncation)
{
    char bad[sizeof(cpio_tiny)];
    struct cpio_iter it;
    struct cpio_entry e;

    memcpy(bad, cpio_tiny, sizeof(bad));
    bad[CPIO_HEADER_SIZE + 2] = 'H';            /* the data no longer sums to 0xD1 */
    cpio_iter_init(&it, bad, sizeof(bad) - 1);
    KT_EXPECT_EQ(cpio_next(&it, &e), -EIO);
    KT_EXPECT_EQ(cpio_next(&it, &e), -EIO);

    cpio_iter_init(&it, cpio_tiny, 116);        /* the file, no trailer */
    KT_EXPECT_EQ(cpio_next(&it, &e), 1);
    KT_EXPECT_EQ(cpio_next(&it, &e), -ENODATA);

    KT_EXPECT_EQ(cpio_name_ok("bin/../..", 9), -EINVAL);
    KT_EXPECT_EQ(cpio_name_ok("/bin/sh", 7), 0);
}
