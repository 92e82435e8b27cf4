/*
 * include/core/crc32.h - CRC-32 as gzip (RFC 1952), zlib, Ethernet, PNG and
 * GPT (UEFI 2.x, 5.3) define it: the reflected polynomial 0xEDB88320,
 * initial value and final XOR 0xFFFFFFFF.
 *
 * Part of core (every layer may use it); pure (no locks, no allocation, no
 * printing), so it also builds on the host for the unit tests
 * (test/unit/test_inflate.c). fs/inflate checks gzip trailers and header
 * CRCs with it, dev/blk_part GPT headers and entry arrays.
 *
 * Locking: none; any context.
 */
#ifndef BASALT_CORE_CRC32_H
#define BASALT_CORE_CRC32_H

#include <core/compiler.h>

/*
 * The CRC-32 of the len bytes at buf appended to data whose CRC-32 was crc
 * (0 for the empty string): crc32_update(0, "123456789", 9) is 0xCBF43926,
 * and crc32_update(crc32_update(0, a, n), b, m) equals the CRC of a then b.
 * buf may be NULL when len is 0. Cannot fail.
 */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
