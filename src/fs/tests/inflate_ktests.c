/*
 * src/fs/tests/inflate_ktests.c - in-kernel tests of fs/inflate and
 * core/crc32: the freestanding build decodes a small gzip file (made once by
 * `gzip -9 -n` from the 99-byte text below; fixed-Huffman with
 * back-references) and rejects it one byte short or with a flipped bit.
 * The thorough tests run on the host (test/unit/test_inflate.c).
 */
#include <core/ktest.h>
#include <core/errno.h>
#include <core/crc32.h>
#include <fs/inflate.h>

static const char kt_text[] =
    "Basalt initramfs: inflate ktest. Basalt initramfs: inflate ktest. "
    "0123456789 0123456789 0123456789\n";

static const uint8_t kt_gz[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0x73, 0x4a,
    0x2c, 0x4e, 0xcc, 0x29, 0x51, 0xc8, 0xcc, 0xcb, 0x2c, 0x29, 0x4a, 0xcc,
    0x4d, 0x2b, 0xb6, 0x02, 0x32, 0xd3, 0x72, 0x12, 0x4b, 0x52, 0x15, 0xb2,
    0x4b, 0x52, 0x8b, 0x4b, 0xf4, 0x14, 0x9c, 0x08, 0x29, 0x30, 0x30, 0x34,
    0x32, 0x36, 0x31, 0x35, 0x33, 0xb7, 0xb0, 0xc4, 0xce, 0xe4, 0x02, 0x00,
    0xa6, 0x97, 0xce, 0x9f, 0x63, 0x00, 0x00, 0x00,
};

static struct inflate_state kt_state;
static uint8_t kt_out[256];

KTEST(inflate, crc32_check_value)
{
    KT_EXPECT_EQ(crc32_update(0, "123456789", 9), 0xcbf43926u);
    KT_EXPECT_EQ(crc32_update(0, kt_text, sizeof(kt_text) - 1), 0x9fce97a6u);
}

KTEST(inflate, gzip_small)
{
    size_t n = 1;

    KT_ASSERT_EQ(inflate_gzip(&kt_state, kt_gz, sizeof(kt_gz), kt_out, sizeof(kt_out), &n), 0);
    KT_ASSERT_EQ(n, sizeof(kt_text) - 1);
    KT_EXPECT_EQ(memcmp(kt_out, kt_text, n), 0);
}

KTEST(inflate, gzip_truncated_and_corrupt)
{
    static uint8_t bad[sizeof(kt_gz)];
    size_t n = 1;

    KT_EXPECT_EQ(inflate_gzip(&kt_state, kt_gz, sizeof(kt_gz) - 1, kt_out, sizeof(kt_out), &n),
                 -ENODATA);
    KT_EXPECT_EQ(n, (size_t)0);
    KT_EXPECT_EQ(inflate_gzip(&kt_state, kt_gz, sizeof(kt_gz), kt_out, sizeof(kt_text) - 2, &n),
                 -ENOSPC);
    memcpy(bad, kt_gz, sizeof(bad));
    bad[sizeof(bad) - 8] ^= 1;          /* the trailer's CRC-32 */
    KT_EXPECT_EQ(inflate_gzip(&kt_state, bad, sizeof(bad), kt_out, sizeof(kt_out), &n), -EINVAL);
}
