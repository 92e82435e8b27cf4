/*
 * include/fs/inflate.h - DEFLATE (RFC 1951) and gzip (RFC 1952) decoding
 * into one caller-provided buffer, for the initramfs (a plain or
 * gzip-compressed cpio archive).
 *
 * Part of fs; pure (no locks, no allocation, no printing), so the host
 * unit tests (test/unit/test_inflate.c) run it under ASan/UBSan against
 * the output of the real gzip and against truncated and corrupt streams.
 *
 * The whole output is one buffer, so the decoder needs no separate
 * sliding window: back-references read the output already written. All
 * decoder state (the Huffman tables) lives in a struct inflate_state the
 * caller provides (about 3.7 KiB; it need not be initialised and holds
 * nothing between calls).
 *
 * Errors, common to both decoders:
 *   -EINVAL   the data is not a valid stream: bad gzip magic, method or
 *             reserved flag bits, header CRC, reserved block type 3,
 *             stored LEN/NLEN mismatch, more than 286 literal/length or 30
 *             distance codes, an over-subscribed or incomplete code-length
 *             set (a lone code of length 1 is accepted for the literal/
 *             length and distance codes, as RFC 1951 and zlib allow), a
 *             repeat code with nothing to repeat or running past the code
 *             lengths, no end-of-block code, literal/length symbol 286/287
 *             or distance symbol 30/31, a distance reaching before the
 *             start of the output (of the current gzip member), a trailer
 *             CRC-32 or ISIZE mismatch, or (gzip) bytes after the last
 *             member that are neither zeros nor another member.
 *   -ENODATA  the input ended before the stream did (truncated: every
 *             proper prefix of a valid stream, the empty one included,
 *             gets this unless it is invalid for one of the reasons
 *             above before its end; a corrupt length can also send the
 *             decoder past the end).
 *   -ENOSPC   the output does not fit in out_cap bytes.
 * The first error met is returned; the decoder never reads outside
 * in[0, in_len) nor writes outside out[0, out_cap), and always ends (each
 * step consumes input or fails).
 *
 * On any error *out_len is set to 0: partial output is never reported as
 * a result; the contents of out are then unspecified (the decoded prefix
 * up to the error, but nothing promises how far).
 *
 * Locking: none; a struct inflate_state belongs to its caller (one
 * decode at a time per state). Any context; the time taken is linear in
 * in_len + out_cap.
 */
#ifndef BASALT_FS_INFLATE_H
#define BASALT_FS_INFLATE_H

#include <core/compiler.h>

#define INFLATE_MAX_BITS        15      /* longest Huffman code (RFC 1951 3.2.2) */
#define INFLATE_FAST_BITS       9       /* codes this short decode in one lookup */
#define INFLATE_NUM_LITLEN      288     /* literal/length symbols with a code (286, 287 invalid) */
#define INFLATE_NUM_DIST        32      /* distance symbols with a code (30, 31 invalid) */
#define INFLATE_MAX_DISTANCE    32768   /* RFC 1951 3.2.5 */
#define INFLATE_MAX_MATCH       258

/* One canonical Huffman code: the decoder's view of it. Private to fs/inflate. */
struct inflate_huffman {
    uint16_t count[INFLATE_MAX_BITS + 1];   /* codes of each length (count[0]: unused) */
    uint16_t symbol[INFLATE_NUM_LITLEN];    /* symbols in canonical code order */
    /* indexed by the next INFLATE_FAST_BITS input bits: (length << 9) | symbol, 0 = longer or invalid */
    uint16_t fast[1u << INFLATE_FAST_BITS];
};

/* The decoder's scratch state; the caller's, uninitialised. */
struct inflate_state {
    struct inflate_huffman litlen;
    struct inflate_huffman dist;
    uint8_t lengths[INFLATE_NUM_LITLEN + INFLATE_NUM_DIST]; /* code lengths being read */
};

/*
 * Decodes the raw DEFLATE stream (RFC 1951, no header or trailer) at
 * in[0, in_len) into out[0, out_cap): blocks up to and including the one
 * marked final. On success returns 0 with *out_len the bytes written and,
 * when in_used is not NULL, *in_used the input bytes taken (the final
 * block's last partial byte included; bytes after it are not looked at
 * beyond what the bit reader prefetched, and never validated).
 * Back-references may reach back to out[0] (the window is the output).
 * Fails with -EINVAL, -ENODATA or -ENOSPC as described above, with
 * *out_len (and *in_used) set to 0.
 */
int inflate_raw(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
                void *out, size_t out_cap, size_t *out_len);

/*
 * Decodes the gzip file (RFC 1952) at in[0, in_len) into out[0, out_cap):
 * one or more members one after another (as `cat a.gz b.gz` makes), their
 * outputs concatenated, each member's header checked (ID1 ID2 = 1f 8b,
 * CM = 8, no reserved FLG bit; FEXTRA, FNAME and FCOMMENT skipped; FHCRC,
 * when set, checked against the low 16 bits of the header's CRC-32) and
 * its trailer checked (CRC-32 and ISIZE, the size modulo 2^32, of that
 * member's output). A member's back-references may not reach into the
 * previous member's output. Zero bytes after a member are skipped
 * (padding, as Linux accepts after and between the archives of an
 * initramfs); any other byte after a member must start another member: a
 * non-gzip byte is -EINVAL, a lone 1f or another proper prefix of a
 * member -ENODATA. On success returns 0 with *out_len the total bytes
 * written. Fails as described above with *out_len set to 0.
 */
int inflate_gzip(struct inflate_state *st, const void *in, size_t in_len,
                 void *out, size_t out_cap, size_t *out_len);

/*
 * Decodes the one gzip member at the start of in[0, in_len) (checked as
 * inflate_gzip checks each) into out[0, out_cap): for callers that, like
 * Linux's initramfs unpacker, take a gzip member, then zero padding, then
 * a plain cpio archive or another member. On success returns 0 with
 * *out_len the bytes written and, when in_used is not NULL, *in_used the
 * member's bytes (header, deflate data and trailer; what follows is not
 * looked at). Fails as described above with *out_len (and *in_used) 0.
 */
int inflate_gzip_member(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
                        void *out, size_t out_cap, size_t *out_len);

#endif
