/*
 * src/fs/inflate.c - DEFLATE (RFC 1951) and gzip (RFC 1952) decoding into
 * one caller-provided buffer. See include/fs/inflate.h for the contract.
 *
 * Bits come LSB first through a 64-bit bit buffer refilled eight bytes at
 * a time while eight remain, a byte at a time near the end. Bits above
 * the count are always either zero or the input's own next bits (a wide
 * load brings in more than it counts; the next load ORs in the same
 * values), so a peek past the count is harmless, and once the input is
 * exhausted the bits above the count are zero.
 *
 * Huffman codes decode through a table indexed by the next
 * INFLATE_FAST_BITS bits (a code of that length or shorter decodes in one
 * lookup); longer codes walk the canonical code length by length (the
 * count of codes of each length and the symbols in code order are all a
 * canonical code needs, RFC 1951 3.2.2).
 */
#include <fs/inflate.h>
#include <core/crc32.h>
#include <core/errno.h>
#include <core/string.h>

/* ---- bit reader ------------------------------------------------------------- */

struct bitreader {
    const uint8_t *in;
    size_t len;
    size_t pos;             /* next byte to bring into buf */
    uint64_t buf;           /* bits not yet consumed, the next one in bit 0 */
    unsigned cnt;           /* valid bits in buf, at most 63 */
};

static inline void br_refill(struct bitreader *br)
{
    if (br->len - br->pos >= 8) {
        const uint8_t *p = br->in + br->pos;
        uint64_t v = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
                     (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
                     (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
        unsigned take = (63 - br->cnt) >> 3;

        br->buf |= v << br->cnt;
        br->pos += take;
        br->cnt += take * 8;
    } else {
        while (br->cnt <= 55 && br->pos < br->len) {
            br->buf |= (uint64_t)br->in[br->pos++] << br->cnt;
            br->cnt += 8;
        }
    }
}

/* Takes n <= 32 bits into *v; -ENODATA when the input has fewer left. */
static inline int br_bits(struct bitreader *br, unsigned n, uint32_t *v)
{
    if (br->cnt < n) {
        br_refill(br);
        if (br->cnt < n)
            return -ENODATA;
    }
    *v = (uint32_t)(br->buf & ((1ull << n) - 1));
    br->buf >>= n;
    br->cnt -= n;
    return 0;
}

/* ---- Huffman codes ---------------------------------------------------------- */

#define FAST_MASK       ((1u << INFLATE_FAST_BITS) - 1)
#define FAST_ENTRY(len, sym)    ((uint16_t)((len) << 9 | (sym)))

/*
 * Builds h from the n code lengths (0: no code) of symbols 0..n-1.
 * -EINVAL for an over-subscribed set, or an incomplete one unless
 * allow_sparse and the set has no code or a lone code of length 1.
 */
static int huff_build(struct inflate_huffman *h, const uint8_t *lengths, unsigned n,
                      bool allow_sparse)
{
    uint16_t offs[INFLATE_MAX_BITS + 2];
    int left = 1;
    unsigned codes;

    memset(h->count, 0, sizeof(h->count));
    for (unsigned i = 0; i < n; i++)
        h->count[lengths[i]]++;
    codes = n - h->count[0];
    for (unsigned len = 1; len <= INFLATE_MAX_BITS; len++) {
        left = left * 2 - h->count[len];
        if (left < 0)
            return -EINVAL;                 /* over-subscribed */
    }
    if (left > 0 && !(allow_sparse && (codes == 0 || (codes == 1 && h->count[1] == 1))))
        return -EINVAL;                     /* incomplete */

    offs[1] = 0;
    for (unsigned len = 1; len <= INFLATE_MAX_BITS; len++)
        offs[len + 1] = (uint16_t)(offs[len] + h->count[len]);
    for (unsigned i = 0; i < n; i++)
        if (lengths[i])
            h->symbol[offs[lengths[i]]++] = (uint16_t)i;

    memset(h->fast, 0, sizeof(h->fast));
    unsigned code = 0, idx = 0;
    for (unsigned len = 1; len <= INFLATE_FAST_BITS; len++) {
        for (unsigned k = 0; k < h->count[len]; k++, code++) {
            unsigned rev = 0;

            for (unsigned b = 0; b < len; b++)
                rev |= ((code >> b) & 1u) << (len - 1 - b);
            for (unsigned j = rev; j <= FAST_MASK; j += 1u << len)
                h->fast[j] = FAST_ENTRY(len, h->symbol[idx]);
            idx++;
        }
        code <<= 1;
    }
    return 0;
}

/* A code longer than INFLATE_FAST_BITS (or none): walk the canonical code. */
static __noinline int huff_decode_slow(struct bitreader *br, const struct inflate_huffman *h)
{
    uint64_t bits = br->buf;
    int code = 0, first = 0, index = 0;

    for (unsigned len = 1; len <= INFLATE_MAX_BITS; len++) {
        if (len > br->cnt)
            return -ENODATA;
        code |= (int)(bits & 1);
        bits >>= 1;
        int count = h->count[len];
        if (code - first < count) {
            br->buf >>= len;
            br->cnt -= len;
            return h->symbol[index + code - first];
        }
        index += count;
        first = (first + count) << 1;
        code <<= 1;
    }
    return -EINVAL;                         /* an unused code of an incomplete set */
}

/* The next symbol of h, or -ENODATA / -EINVAL. */
static inline int huff_decode(struct bitreader *br, const struct inflate_huffman *h)
{
    if (br->cnt < INFLATE_MAX_BITS)
        br_refill(br);
    uint16_t e = h->fast[br->buf & FAST_MASK];
    if (e) {
        unsigned len = e >> 9;
        /* bits above cnt are zero here: a shorter code would have matched */
        if (len > br->cnt)
            return -ENODATA;
        br->buf >>= len;
        br->cnt -= len;
        return e & 0x1ff;
    }
    return huff_decode_slow(br, h);
}

/* ---- blocks ----------------------------------------------------------------- */

/* RFC 1951 3.2.5: length symbols 257..285 and distance symbols 0..29. */
static const uint16_t length_base[29] = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
    35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t length_extra[29] = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
    3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[30] = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
    257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577,
};
static const uint8_t dist_extra[30] = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
    7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};

/* The order of the code length code's lengths (RFC 1951 3.2.7). */
static const uint8_t clen_order[19] = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

struct outbuf {
    uint8_t *base;          /* the window starts here */
    size_t cap;
    size_t pos;
};

/* Decodes one Huffman-coded block's symbols with st->litlen and st->dist. */
static int inflate_codes(struct inflate_state *st, struct bitreader *br, struct outbuf *o)
{
    uint8_t *out = o->base;
    size_t pos = o->pos, cap = o->cap;
    int err;

    for (;;) {
        int sym = huff_decode(br, &st->litlen);
        if (sym < 0) {
            err = sym;
            break;
        }
        if (sym < 256) {
            if (pos == cap) {
                err = -ENOSPC;
                break;
            }
            out[pos++] = (uint8_t)sym;
            continue;
        }
        if (sym == 256) {
            err = 0;
            break;
        }
        sym -= 257;
        if (sym >= 29) {
            err = -EINVAL;                  /* 286, 287 */
            break;
        }
        uint32_t extra;
        if ((err = br_bits(br, length_extra[sym], &extra)) != 0)
            break;
        size_t len = length_base[sym] + extra;

        int dsym = huff_decode(br, &st->dist);
        if (dsym < 0) {
            err = dsym;
            break;
        }
        if (dsym >= 30) {
            err = -EINVAL;                  /* 30, 31 */
            break;
        }
        if ((err = br_bits(br, dist_extra[dsym], &extra)) != 0)
            break;
        size_t dist = dist_base[dsym] + extra;
        if (dist > pos) {
            err = -EINVAL;                  /* before the start of the output */
            break;
        }
        if (len > cap - pos) {
            err = -ENOSPC;
            break;
        }
        const uint8_t *from = out + pos - dist;
        uint8_t *to = out + pos;
        pos += len;
        if (dist >= 8) {
            /* 8-byte steps never overlap a byte not yet written */
            while (len >= 8) {
                for (unsigned i = 0; i < 8; i++)
                    to[i] = from[i];
                to += 8;
                from += 8;
                len -= 8;
            }
        }
        while (len--)
            *to++ = *from++;
    }
    o->pos = pos;
    return err;
}

static int inflate_stored(struct bitreader *br, struct outbuf *o)
{
    uint32_t len, nlen;
    int err;

    br->buf >>= br->cnt & 7;                /* to the byte boundary */
    br->cnt &= ~7u;
    if ((err = br_bits(br, 16, &len)) != 0 || (err = br_bits(br, 16, &nlen)) != 0)
        return err;
    if (len != (~nlen & 0xffff))
        return -EINVAL;
    /* give back the whole bytes still buffered and copy straight from the input */
    br->pos -= br->cnt / 8;
    br->buf = 0;
    br->cnt = 0;
    if (br->len - br->pos < len)
        return -ENODATA;
    if (o->cap - o->pos < len)
        return -ENOSPC;
    memcpy(o->base + o->pos, br->in + br->pos, len);
    br->pos += len;
    o->pos += len;
    return 0;
}

static int inflate_fixed_tables(struct inflate_state *st)
{
    uint8_t *l = st->lengths;
    unsigned i = 0;

    for (; i < 144; i++)
        l[i] = 8;
    for (; i < 256; i++)
        l[i] = 9;
    for (; i < 280; i++)
        l[i] = 7;
    for (; i < INFLATE_NUM_LITLEN; i++)
        l[i] = 8;
    for (i = 0; i < INFLATE_NUM_DIST; i++)
        l[INFLATE_NUM_LITLEN + i] = 5;
    int err = huff_build(&st->litlen, l, INFLATE_NUM_LITLEN, false);
    if (err == 0)
        err = huff_build(&st->dist, l + INFLATE_NUM_LITLEN, INFLATE_NUM_DIST, false);
    return err;
}

/* Reads a dynamic block's code lengths (RFC 1951 3.2.7) and builds its codes. */
static int inflate_dynamic_tables(struct inflate_state *st, struct bitreader *br)
{
    uint32_t hlit, hdist, hclen, v;
    uint8_t *l = st->lengths;
    int err;

    if ((err = br_bits(br, 5, &hlit)) != 0 || (err = br_bits(br, 5, &hdist)) != 0 ||
        (err = br_bits(br, 4, &hclen)) != 0)
        return err;
    hlit += 257;
    hdist += 1;
    hclen += 4;
    if (hlit > 286 || hdist > 30)
        return -EINVAL;

    /* the code length code, built in st->litlen until the real one replaces it */
    uint8_t clen[19] = { 0 };
    for (unsigned i = 0; i < hclen; i++) {
        if ((err = br_bits(br, 3, &v)) != 0)
            return err;
        clen[clen_order[i]] = (uint8_t)v;
    }
    if ((err = huff_build(&st->litlen, clen, 19, false)) != 0)
        return err;

    unsigned n = 0, total = hlit + hdist;
    while (n < total) {
        int sym = huff_decode(br, &st->litlen);
        if (sym < 0)
            return sym;
        if (sym < 16) {
            l[n++] = (uint8_t)sym;
            continue;
        }
        uint8_t fill = 0;
        unsigned rep;
        if (sym == 16) {
            if (n == 0)
                return -EINVAL;             /* nothing to repeat */
            fill = l[n - 1];
            if ((err = br_bits(br, 2, &v)) != 0)
                return err;
            rep = 3 + v;
        } else if (sym == 17) {
            if ((err = br_bits(br, 3, &v)) != 0)
                return err;
            rep = 3 + v;
        } else {
            if ((err = br_bits(br, 7, &v)) != 0)
                return err;
            rep = 11 + v;
        }
        if (rep > total - n)
            return -EINVAL;                 /* past the last length */
        while (rep--)
            l[n++] = fill;
    }
    if (l[256] == 0)
        return -EINVAL;                     /* no end-of-block code */
    if ((err = huff_build(&st->litlen, l, hlit, true)) != 0)
        return err;
    return huff_build(&st->dist, l + hlit, hdist, true);
}

/* Decodes blocks into o until the final one; *in_used as inflate_raw's. */
static int inflate_blocks(struct inflate_state *st, const uint8_t *in, size_t in_len,
                          size_t *in_used, struct outbuf *o)
{
    struct bitreader br = { .in = in, .len = in_len };
    uint32_t final, type;
    int err;

    do {
        if ((err = br_bits(&br, 1, &final)) != 0 || (err = br_bits(&br, 2, &type)) != 0)
            return err;
        switch (type) {
        case 0:
            err = inflate_stored(&br, o);
            break;
        case 1:
            err = inflate_fixed_tables(st);
            if (err == 0)
                err = inflate_codes(st, &br, o);
            break;
        case 2:
            err = inflate_dynamic_tables(st, &br);
            if (err == 0)
                err = inflate_codes(st, &br, o);
            break;
        default:
            err = -EINVAL;                  /* reserved block type 3 */
            break;
        }
        if (err)
            return err;
    } while (!final);
    *in_used = br.pos - br.cnt / 8;
    return 0;
}

/* The public decoders' results: nothing reported on error. */
static int inflate_report(int err, size_t produced, size_t used, size_t *in_used, size_t *out_len)
{
    *out_len = err ? 0 : produced;
    if (in_used)
        *in_used = err ? 0 : used;
    return err;
}

int inflate_raw(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
                void *out, size_t out_cap, size_t *out_len)
{
    struct outbuf o = { .base = out, .cap = out_cap };
    size_t used = 0;
    int err = inflate_blocks(st, in, in_len, &used, &o);

    return inflate_report(err, o.pos, used, in_used, out_len);
}

/* ---- gzip ------------------------------------------------------------------- */

#define GZ_FTEXT        0x01
#define GZ_FHCRC        0x02
#define GZ_FEXTRA       0x04
#define GZ_FNAME        0x08
#define GZ_FCOMMENT     0x10
#define GZ_FRESERVED    0xe0

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Skips a zero-terminated header field at in[*p]; -ENODATA without its terminator. */
static int gz_skip_string(const uint8_t *in, size_t in_len, size_t *p)
{
    size_t i = *p;

    while (i < in_len && in[i] != 0)
        i++;
    if (i == in_len)
        return -ENODATA;
    *p = i + 1;
    return 0;
}

/* One gzip member at in[0, in_len) into o (a window of its own); *used: its bytes. */
static int gz_member(struct inflate_state *st, const uint8_t *in, size_t in_len,
                     size_t *used, struct outbuf *o)
{
    static const uint8_t magic[3] = { 0x1f, 0x8b, 8 };     /* ID1, ID2, CM = deflate */
    size_t p;
    int err;

    for (p = 0; p < 3; p++) {
        if (p == in_len)
            return -ENODATA;
        if (in[p] != magic[p])
            return -EINVAL;
    }
    if (in_len < 4)
        return -ENODATA;
    uint8_t flg = in[3];
    if (flg & GZ_FRESERVED)
        return -EINVAL;
    if (in_len < 10)                        /* FLG MTIME XFL OS */
        return -ENODATA;
    p = 10;
    if (flg & GZ_FEXTRA) {
        if (in_len - p < 2)
            return -ENODATA;
        size_t xlen = (size_t)in[p] | (size_t)in[p + 1] << 8;
        p += 2;
        if (in_len - p < xlen)
            return -ENODATA;
        p += xlen;
    }
    if ((flg & GZ_FNAME) && (err = gz_skip_string(in, in_len, &p)) != 0)
        return err;
    if ((flg & GZ_FCOMMENT) && (err = gz_skip_string(in, in_len, &p)) != 0)
        return err;
    if (flg & GZ_FHCRC) {
        if (in_len - p < 2)
            return -ENODATA;
        uint32_t want = (uint32_t)in[p] | (uint32_t)in[p + 1] << 8;
        if ((crc32_update(0, in, p) & 0xffff) != want)
            return -EINVAL;
        p += 2;
    }

    size_t start = o->pos, body;
    if ((err = inflate_blocks(st, in + p, in_len - p, &body, o)) != 0)
        return err;
    p += body;
    if (in_len - p < 8)
        return -ENODATA;
    size_t produced = o->pos - start;
    if (get_le32(in + p) != crc32_update(0, o->base + start, produced) ||
        get_le32(in + p + 4) != (uint32_t)produced)
        return -EINVAL;
    *used = p + 8;
    return 0;
}

int inflate_gzip_member(struct inflate_state *st, const void *in, size_t in_len, size_t *in_used,
                        void *out, size_t out_cap, size_t *out_len)
{
    struct outbuf o = { .base = out, .cap = out_cap };
    size_t used = 0;
    int err = gz_member(st, in, in_len, &used, &o);

    return inflate_report(err, o.pos, used, in_used, out_len);
}

int inflate_gzip(struct inflate_state *st, const void *in, size_t in_len,
                 void *out, size_t out_cap, size_t *out_len)
{
    const uint8_t *src = in;
    size_t off = 0, total = 0;

    do {
        /* each member's window is its own output: a fresh outbuf at its start */
        struct outbuf o = { .base = (uint8_t *)out + total, .cap = out_cap - total };
        size_t used;
        int err = gz_member(st, src + off, in_len - off, &used, &o);

        if (err) {
            *out_len = 0;
            return err;
        }
        off += used;
        total += o.pos;
        /* zero padding: after the last member, or between members */
        while (off < in_len && src[off] == 0)
            off++;
    } while (off < in_len);
    *out_len = total;
    return 0;
}
