/*
 * test/fuzz/fuzz_inflate.c - libFuzzer target for src/fs/inflate.c.
 *
 * Each input is decoded three ways: as raw DEFLATE data, as a gzip file,
 * and as DEFLATE data behind a fixed 10-byte gzip header (so mutations
 * reach the block decoder through inflate_gzip without first having to
 * find the magic). Built with ASan and UBSan by test/fuzz/FuzzTests.cmake
 * only when clang's -fsanitize=fuzzer works; the ctest test fuzz.inflate
 * runs it for 10 seconds. It checks the contract's invariants: only the
 * three documented errors, *out_len 0 on error and within the buffer on
 * success, *in_used within the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <core/errno.h>
#include <fs/inflate.h>

static struct inflate_state st;
static uint8_t out[1 << 16];
static uint8_t framed[10 + 4096];

static void check(int err, size_t n, size_t cap)
{
    if (err != 0 && err != -EINVAL && err != -ENOSPC && err != -ENODATA)
        abort();
    if ((err && n != 0) || n > cap)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    size_t n, used, cap = size ? data[0] * 256u + 1 : 1;
    int err;

    err = inflate_raw(&st, data, size, &used, out, cap, &n);
    check(err, n, cap);
    if (used > size)
        abort();
    err = inflate_gzip(&st, data, size, out, sizeof(out), &n);
    check(err, n, sizeof(out));
    if (size <= sizeof(framed) - 10) {
        memcpy(framed, hdr, 10);
        memcpy(framed + 10, data, size);
        err = inflate_gzip(&st, framed, size + 10, out, sizeof(out), &n);
        check(err, n, sizeof(out));
    }
    return 0;
}
