/*
 * test/unit/test_inflate.c - host tests for src/fs/inflate.c (DEFLATE and
 * gzip decoding) and src/core/crc32.c.
 *
 * The compressed inputs are made at test time by the real gzip (run via
 * system() on files in a fresh temporary directory): levels -1 and -9,
 * -n and with the name kept, the empty file, one byte, 1 MiB of random
 * bytes (stored blocks), 1 MiB of repetitive text (long matches),
 * concatenated members; each decodes byte for byte to its original, and
 * gzip's trailer CRC checks crc32_update independently. Streams that gzip
 * cannot make are crafted with a small bit writer: a header with FEXTRA,
 * FNAME, FCOMMENT and FHCRC; a match of length 258 at distance 32768; and
 * the bad streams (reserved block type, LEN/NLEN mismatch, over-subscribed
 * and incomplete code-length sets, repeat codes with nothing to repeat or
 * running past the end, no end-of-block code, too many length or distance
 * codes, symbols 286/287 and distance 30/31, distances before the output
 * or the member start). Truncation at every point must give -ENODATA,
 * single-bit flips anywhere either an error or the right output; inputs
 * and outputs sit in exactly-sized heap blocks so ASan catches any access
 * outside them.
 */
#include "unit.h"
#include <core/crc32.h>
#include <fs/inflate.h>

static char tmpdir[64];
static struct inflate_state st;

/* ---- files and gzip ------------------------------------------------------------ */

static uint8_t *read_whole(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    uint8_t *buf = malloc(n ? (size_t)n : 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void write_whole(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* gzip ARGS run on data saved as tmpdir/NAME; returns the .gz bytes. */
static uint8_t *gzip_data(const void *data, size_t len, const char *name, const char *args,
                          size_t *gz_len)
{
    char path[128], cmd[512];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    write_whole(path, data, len);
    snprintf(cmd, sizeof(cmd), "cd '%s' && gzip %s -c '%s' > '%s.gz'", tmpdir, args, name, name);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof(path), "%s/%s.gz", tmpdir, name);
    return read_whole(path, gz_len);
}

static uint8_t *random_bytes(size_t len, uint64_t seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    rng_state = seed;
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)rnd();
    return p;
}

/* Repetitive text: lines from a few words, runs of identical lines. */
static uint8_t *text_bytes(size_t len, uint64_t seed)
{
    static const char *words[] = { "basalt ", "kernel ", "inflate ", "initramfs ",
                                   "cpio ", "gzip ", "deflate ", "huffman\n" };
    uint8_t *p = malloc(len ? len : 1);
    size_t n = 0;
    assert_non_null(p);
    rng_state = seed;
    while (n < len) {
        const char *w = words[rnd_below(8)];
        for (size_t i = 0; w[i] && n < len; i++)
            p[n++] = (uint8_t)w[i];
    }
    return p;
}

/* len bytes of text (from seed), and in *gz their compression by gzip ARGS. */
static uint8_t *text_gzipped(size_t len, uint64_t seed, const char *args, uint8_t **gz,
                             size_t *gz_len)
{
    uint8_t *t = text_bytes(len, seed);

    *gz = gzip_data(t, len, "text", args, gz_len);
    return t;
}

/* Decodes gz into an exactly-sized buffer (and one a byte short) and checks against orig. */
static void check_gzip_decodes(const uint8_t *gz, size_t gz_len, const uint8_t *orig, size_t len)
{
    uint8_t *in = malloc(gz_len ? gz_len : 1);
    uint8_t *out = malloc(len ? len : 1);
    size_t n = 12345;

    assert_non_null(in);
    assert_non_null(out);
    memcpy(in, gz, gz_len);
    assert_int_equal(inflate_gzip(&st, in, gz_len, out, len, &n), 0);
    assert_int_equal(n, len);
    assert_memory_equal(out, orig, len);
    if (len > 0) {
        n = 12345;
        assert_int_equal(inflate_gzip(&st, in, gz_len, out, len - 1, &n), -ENOSPC);
        assert_int_equal(n, 0);
    }
    free(in);
    free(out);
}

static void check_gzip_roundtrip(const uint8_t *orig, size_t len, const char *args)
{
    size_t gz_len;
    uint8_t *gz = gzip_data(orig, len, "data", args, &gz_len);

    check_gzip_decodes(gz, gz_len, orig, len);
    /* gzip's own trailer CRC checks crc32_update independently */
    uint32_t want = (uint32_t)gz[gz_len - 8] | (uint32_t)gz[gz_len - 7] << 8 |
                    (uint32_t)gz[gz_len - 6] << 16 | (uint32_t)gz[gz_len - 5] << 24;
    assert_int_equal(crc32_update(0, orig, len), want);
    free(gz);
}

static int setup_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/basalt-inflate-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
    char cmd[128];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- CRC-32 ----------------------------------------------------------------------- */

static void test_crc32_known(void **state)
{
    (void)state;
    assert_int_equal(crc32_update(0, NULL, 0), 0);
    assert_int_equal(crc32_update(0, "123456789", 9), 0xcbf43926u);
    assert_int_equal(crc32_update(0, "a", 1), 0xe8b7be43u);
    /* incremental: the CRC of a then b continues from a's */
    assert_int_equal(crc32_update(crc32_update(0, "12345", 5), "6789", 4), 0xcbf43926u);
}

/* ---- real gzip output ------------------------------------------------------------- */

static void test_gzip_empty_and_one_byte(void **state)
{
    (void)state;
    check_gzip_roundtrip((const uint8_t *)"", 0, "-n -9");
    check_gzip_roundtrip((const uint8_t *)"x", 1, "-n -9");
    check_gzip_roundtrip((const uint8_t *)"x", 1, "-n -1");
}

static void test_gzip_text_levels(void **state)
{
    uint8_t *t = text_bytes(200000, 1);

    (void)state;
    check_gzip_roundtrip(t, 200000, "-n -1");
    check_gzip_roundtrip(t, 200000, "-n -6");
    check_gzip_roundtrip(t, 200000, "-n -9");
    free(t);
}

static void test_gzip_random_1mib_stored(void **state)
{
    size_t len = 1 << 20, gz_len;
    uint8_t *r = random_bytes(len, 2);

    (void)state;
    check_gzip_roundtrip(r, len, "-n -9");
    uint8_t *gz = gzip_data(r, len, "rnd", "-n -1", &gz_len);
    /* incompressible: gzip stores it (first block type 00 after the 10-byte header) */
    assert_int_equal((gz[10] >> 1) & 3, 0);
    check_gzip_decodes(gz, gz_len, r, len);
    free(gz);
    free(r);
}

static void test_gzip_repetitive_1mib(void **state)
{
    size_t len = 1 << 20, gz_len;
    uint8_t *t = malloc(len);
    const char *line = "the same line of text, over and over, for long matches\n";

    (void)state;
    assert_non_null(t);
    for (size_t i = 0; i < len; i++)
        t[i] = (uint8_t)line[i % strlen(line)];
    uint8_t *gz = gzip_data(t, len, "rep", "-n -9", &gz_len);
    assert_true(gz_len < len / 200);        /* mostly length-258 matches */
    check_gzip_decodes(gz, gz_len, t, len);
    free(gz);
    /* a 20000-byte random period: matches far back (distances near 32K are not gzip's) */
    uint8_t *r = random_bytes(20000, 3);
    for (size_t i = 0; i < len; i++)
        t[i] = r[i % 20000];
    check_gzip_roundtrip(t, len, "-n -9");
    check_gzip_roundtrip(t, len, "-n -1");
    free(r);
    free(t);
}

static void test_gzip_keeps_name(void **state)
{
    size_t gz_len;
    uint8_t *t = text_bytes(5000, 4);

    (void)state;
    uint8_t *gz = gzip_data(t, 5000, "hello-name.txt", "-9", &gz_len);
    assert_true(gz[3] & 0x08);              /* FNAME */
    assert_non_null(memmem(gz, gz_len, "hello-name.txt", 15));
    check_gzip_decodes(gz, gz_len, t, 5000);
    free(gz);
    free(t);
}

/* gzip -n's member rewritten with FTEXT|FHCRC|FEXTRA|FNAME|FCOMMENT (gzip writes no comment). */
static uint8_t *with_all_flags(const uint8_t *gz, size_t gz_len, size_t *len)
{
    static const uint8_t extra[] = { 6, 0, 'B', 'a', 2, 0, 0xde, 0xad };
    static const char name[] = "name.txt", comment[] = "a comment";
    uint8_t *p = malloc(gz_len + 64);
    size_t n = 0;

    assert_non_null(p);
    memcpy(p, gz, 10);
    p[3] = 0x1f;
    n = 10;
    memcpy(p + n, extra, sizeof(extra));
    n += sizeof(extra);
    memcpy(p + n, name, sizeof(name));
    n += sizeof(name);
    memcpy(p + n, comment, sizeof(comment));
    n += sizeof(comment);
    uint32_t hcrc = crc32_update(0, p, n);
    p[n++] = (uint8_t)hcrc;
    p[n++] = (uint8_t)(hcrc >> 8);
    memcpy(p + n, gz + 10, gz_len - 10);
    *len = n + gz_len - 10;
    return p;
}

static void test_gzip_header_flags(void **state)
{
    size_t gz_len, len, n;
    uint8_t *gz, *t = text_gzipped(3000, 5, "-n -9", &gz, &gz_len);
    uint8_t out[3000];

    (void)state;
    uint8_t *all = with_all_flags(gz, gz_len, &len);
    check_gzip_decodes(all, len, t, 3000);

    size_t hcrc_at = 10 + 8 + 9 + 10;
    all[hcrc_at] ^= 1;                      /* header CRC wrong */
    assert_int_equal(inflate_gzip(&st, all, len, out, sizeof(out), &n), -EINVAL);
    all[hcrc_at] ^= 1;
    for (unsigned bit = 5; bit < 8; bit++) { /* each reserved flag bit */
        gz[3] = (uint8_t)(1u << bit);
        assert_int_equal(inflate_gzip(&st, gz, gz_len, out, sizeof(out), &n), -EINVAL);
    }
    gz[3] = 0;
    assert_int_equal(inflate_gzip(&st, gz, gz_len, out, sizeof(out), &n), 0);
    gz[2] = 7;                              /* CM other than deflate */
    assert_int_equal(inflate_gzip(&st, gz, gz_len, out, sizeof(out), &n), -EINVAL);
    gz[2] = 8;
    gz[1] = 0x8c;                           /* magic */
    assert_int_equal(inflate_gzip(&st, gz, gz_len, out, sizeof(out), &n), -EINVAL);
    gz[1] = 0x8b;
    gz[gz_len - 8] ^= 0x80;                 /* trailer CRC */
    assert_int_equal(inflate_gzip(&st, gz, gz_len, out, sizeof(out), &n), -EINVAL);
    gz[gz_len - 8] ^= 0x80;
    gz[gz_len - 1] ^= 0x01;                 /* ISIZE */
    assert_int_equal(inflate_gzip(&st, gz, gz_len, out, sizeof(out), &n), -EINVAL);
    assert_int_equal(n, 0);
    free(all);
    free(gz);
    free(t);
}

static void test_gzip_concatenated_and_padding(void **state)
{
    size_t a_len, b_len, n;
    uint8_t *a_txt = text_bytes(40000, 6), *b_txt = random_bytes(3000, 7);
    uint8_t *a = gzip_data(a_txt, 40000, "a", "-n -9", &a_len);
    uint8_t *b = gzip_data(b_txt, 3000, "b", "-n -1", &b_len);
    uint8_t *both_txt = malloc(43000), *cat = malloc(a_len + b_len + 1024);
    uint8_t *out = malloc(43000);

    (void)state;
    memcpy(both_txt, a_txt, 40000);
    memcpy(both_txt + 40000, b_txt, 3000);
    memcpy(cat, a, a_len);
    memcpy(cat + a_len, b, b_len);
    check_gzip_decodes(cat, a_len + b_len, both_txt, 43000);

    /* one member at a time, as an initramfs unpacker takes them */
    size_t used = 0;
    assert_int_equal(inflate_gzip_member(&st, cat, a_len + b_len, &used, out, 43000, &n), 0);
    assert_int_equal(used, a_len);
    assert_int_equal(n, 40000);

    /* zero padding after the last member and between members */
    memset(cat + a_len + b_len, 0, 512);
    check_gzip_decodes(cat, a_len + b_len + 512, both_txt, 43000);
    memmove(cat + a_len + 4, cat + a_len, b_len);
    memset(cat + a_len, 0, 4);
    check_gzip_decodes(cat, a_len + 4 + b_len + 512, both_txt, 43000);

    /* anything else after a member is not gzip; a lone 1f is truncated */
    cat[a_len + 4 + b_len + 100] = 'x';
    assert_int_equal(inflate_gzip(&st, cat, a_len + 4 + b_len + 512, out, 43000, &n), -EINVAL);
    assert_int_equal(n, 0);
    cat[a_len + 4 + b_len] = 0x1f;
    assert_int_equal(inflate_gzip(&st, cat, a_len + 4 + b_len + 1, out, 43000, &n), -ENODATA);
    free(a_txt);
    free(b_txt);
    free(a);
    free(b);
    free(both_txt);
    free(cat);
    free(out);
}

/* ---- crafted streams -------------------------------------------------------------- */

struct bw {
    uint8_t buf[40000];
    size_t bits;
};

static void bw_put(struct bw *w, uint32_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, w->bits++)
        if ((v >> i) & 1)
            w->buf[w->bits / 8] |= (uint8_t)(1u << (w->bits % 8));
}

/* A Huffman code: most significant bit first. */
static void bw_code(struct bw *w, uint32_t code, unsigned len)
{
    while (len--)
        bw_put(w, (code >> len) & 1, 1);
}

static size_t bw_bytes(const struct bw *w)
{
    return (w->bits + 7) / 8;
}

/* Fixed-Huffman literal/length symbol (RFC 1951 3.2.6). */
static void bw_fixed_sym(struct bw *w, unsigned sym)
{
    if (sym < 144)
        bw_code(w, 0x30 + sym, 8);
    else if (sym < 256)
        bw_code(w, 0x190 + sym - 144, 9);
    else if (sym < 280)
        bw_code(w, sym - 256, 7);
    else
        bw_code(w, 0xc0 + sym - 280, 8);
}

/* A fixed-Huffman match given by its symbols and extra bits. */
static void bw_fixed_match(struct bw *w, unsigned lsym, unsigned lextra_n, uint32_t lextra,
                           unsigned dsym, unsigned dextra_n, uint32_t dextra)
{
    bw_fixed_sym(w, lsym);
    bw_put(w, lextra, lextra_n);
    bw_code(w, dsym, 5);
    bw_put(w, dextra, dextra_n);
}

static void bw_stored(struct bw *w, bool final, const uint8_t *data, uint16_t len)
{
    bw_put(w, final, 1);
    bw_put(w, 0, 2);
    w->bits = (w->bits + 7) & ~(size_t)7;
    bw_put(w, len, 16);
    bw_put(w, (uint16_t)~len, 16);
    for (unsigned i = 0; i < len; i++)
        bw_put(w, data[i], 8);
}

/* Runs inflate_raw on w's bytes, in an exactly-sized copy, into an out_cap buffer. */
static int raw(const struct bw *w, size_t out_cap, uint8_t **outp, size_t *n)
{
    size_t len = bw_bytes(w);
    uint8_t *in = malloc(len ? len : 1), *out = malloc(out_cap ? out_cap : 1);
    size_t used = 99;

    memcpy(in, w->buf, len);
    *n = 99;
    int err = inflate_raw(&st, in, len, &used, out, out_cap, n);
    if (err) {
        assert_int_equal(*n, 0);
        assert_int_equal(used, 0);
    } else {
        assert_true(used <= len);
    }
    free(in);
    if (outp)
        *outp = out;
    else
        free(out);
    return err;
}

static void test_raw_max_distance_and_length(void **state)
{
    static struct bw w;
    uint8_t *data = random_bytes(32768, 8), *out;
    size_t n;

    (void)state;
    memset(&w, 0, sizeof(w));
    bw_stored(&w, false, data, 32768);
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);                           /* fixed Huffman */
    bw_fixed_match(&w, 285, 0, 0, 29, 13, 8191);  /* length 258, distance 32768 */
    bw_fixed_sym(&w, 256);
    assert_int_equal(raw(&w, 32768 + 258, &out, &n), 0);
    assert_int_equal(n, 32768 + 258);
    assert_memory_equal(out, data, 32768);
    assert_memory_equal(out + 32768, data, 258);
    free(out);
    assert_int_equal(raw(&w, 32768 + 257, NULL, &n), -ENOSPC);

    /* the same distance one byte earlier reaches before the output */
    memset(&w, 0, sizeof(w));
    bw_stored(&w, false, data, 32767);
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_match(&w, 285, 0, 0, 29, 13, 8191);
    bw_fixed_sym(&w, 256);
    assert_int_equal(raw(&w, 40000, NULL, &n), -EINVAL);
    free(data);
}

static void test_raw_fixed_overlap_and_bad_symbols(void **state)
{
    static struct bw w;
    uint8_t *out;
    size_t n;

    (void)state;
    /* "ab" then length 10 at distance 2: an overlapping copy */
    memset(&w, 0, sizeof(w));
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_sym(&w, 'a');
    bw_fixed_sym(&w, 'b');
    bw_fixed_match(&w, 264, 0, 0, 1, 0, 0);     /* length 10, distance 2 */
    bw_fixed_sym(&w, 256);
    assert_int_equal(raw(&w, 12, &out, &n), 0);
    assert_int_equal(n, 12);
    assert_memory_equal(out, "abababababab", 12);
    free(out);

    for (unsigned sym = 286; sym <= 287; sym++) {
        memset(&w, 0, sizeof(w));
        bw_put(&w, 1, 1);
        bw_put(&w, 1, 2);
        bw_fixed_sym(&w, 'a');
        bw_fixed_sym(&w, sym);
        bw_code(&w, 0, 5);
        bw_fixed_sym(&w, 256);
        assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);
    }
    for (unsigned dsym = 30; dsym <= 31; dsym++) {
        memset(&w, 0, sizeof(w));
        bw_put(&w, 1, 1);
        bw_put(&w, 1, 2);
        bw_fixed_sym(&w, 'a');
        bw_fixed_match(&w, 257, 0, 0, dsym, 0, 0);
        bw_fixed_sym(&w, 256);
        assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);
    }
    /*
     * cut inside the end-of-block code: 3 + 8 bits, then 5 zero padding
     * bits, which would be the start of the 7-bit all-zero end-of-block
     */
    memset(&w, 0, sizeof(w));
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_sym(&w, 'a');
    assert_int_equal(bw_bytes(&w), 2);
    assert_int_equal(raw(&w, 100, NULL, &n), -ENODATA);
    bw_fixed_sym(&w, 256);
    assert_int_equal(raw(&w, 100, NULL, &n), 0);
    assert_int_equal(n, 1);

    /* distance 1 with nothing written yet */
    memset(&w, 0, sizeof(w));
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_match(&w, 257, 0, 0, 0, 0, 0);
    bw_fixed_sym(&w, 256);
    assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);
}

static void test_raw_block_types_and_stored(void **state)
{
    static struct bw w;
    size_t n;

    (void)state;
    memset(&w, 0, sizeof(w));
    bw_put(&w, 1, 1);
    bw_put(&w, 3, 2);                           /* reserved type */
    bw_put(&w, 0, 16);
    assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);

    const uint8_t bad_nlen[] = { 0x01, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o' };
    memset(&w, 0, sizeof(w));
    memcpy(w.buf, bad_nlen, sizeof(bad_nlen));
    w.bits = 8 * sizeof(bad_nlen);
    assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);
    w.buf[3] = 0xfa;                            /* NLEN = ~5 */
    w.buf[4] = 0xff;
    uint8_t *out;
    assert_int_equal(raw(&w, 5, &out, &n), 0);
    assert_memory_equal(out, "hello", 5);
    free(out);
    assert_int_equal(raw(&w, 4, NULL, &n), -ENOSPC);

    /* a stored block claiming more than the input holds */
    w.buf[1] = 0x06;
    w.buf[3] = 0xf9;
    assert_int_equal(raw(&w, 100, NULL, &n), -ENODATA);
}

/*
 * A dynamic block header with HLIT, HDIST given and a code-length code in
 * which the 16 symbols of clen_syms (ascending) have length 4 (so symbol
 * clen_syms[i] is written as the 4-bit code i); then the given code-length
 * symbols with their extra bits (extra[i] < 0: none).
 */
static void bw_dynamic(struct bw *w, unsigned hlit, unsigned hdist, const uint8_t clen_syms[16],
                       const uint8_t *syms, const int *extra, unsigned nsyms)
{
    static const uint8_t order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2,
                                       14, 1, 15 };
    uint8_t clen[19] = { 0 };

    for (unsigned i = 0; i < 16; i++)
        clen[clen_syms[i]] = 4;
    memset(w, 0, sizeof(*w));
    bw_put(w, 1, 1);
    bw_put(w, 2, 2);
    bw_put(w, hlit - 257, 5);
    bw_put(w, hdist - 1, 5);
    bw_put(w, 19 - 4, 4);
    for (unsigned i = 0; i < 19; i++)
        bw_put(w, clen[order[i]], 3);
    for (unsigned i = 0; i < nsyms; i++) {
        unsigned code = 0;
        while (clen_syms[code] != syms[i])
            code++;
        bw_code(w, code, 4);
        if (extra[i] >= 0)
            bw_put(w, (uint32_t)extra[i], syms[i] == 16 ? 2 : syms[i] == 17 ? 3 : 7);
    }
}

static const uint8_t clen_0_15[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
static const uint8_t clen_rep[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 16, 17, 18 };

static void test_raw_dynamic_valid(void **state)
{
    static struct bw w;
    /*
     * HLIT 258: 'a' (97) length 1, end-of-block (256) and length 3 (257)
     * length 2, the rest 0; HDIST 1: one distance code of length 1.
     */
    const uint8_t syms[] = { 18, 1, 18, 18, 2, 2, 1 };
    const int extra[] = { 97 - 11, -1, 138 - 11, 20 - 11, -1, -1, -1 };
    uint8_t *out;
    size_t n;

    (void)state;
    bw_dynamic(&w, 258, 1, clen_rep, syms, extra, sizeof(syms));
    bw_code(&w, 0, 1);                      /* 'a' */
    bw_code(&w, 0, 1);                      /* 'a' */
    bw_code(&w, 3, 2);                      /* length 3 ... */
    bw_code(&w, 0, 1);                      /* ... distance 1 */
    bw_code(&w, 2, 2);                      /* end of block */
    assert_int_equal(raw(&w, 5, &out, &n), 0);
    assert_int_equal(n, 5);
    assert_memory_equal(out, "aaaaa", 5);
    free(out);

    /* no distance code at all (HDIST 1, length 0): literals only */
    const uint8_t syms2[] = { 18, 1, 18, 18, 1, 0 };
    const int extra2[] = { 97 - 11, -1, 138 - 11, 20 - 11, -1, -1 };
    bw_dynamic(&w, 257, 1, clen_rep, syms2, extra2, sizeof(syms2));
    bw_code(&w, 0, 1);                      /* 'a' */
    bw_code(&w, 1, 1);                      /* end of block */
    assert_int_equal(raw(&w, 1, &out, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], 'a');
    free(out);
}

/*
 * Codes longer than the fast table: 'a' length 1, end-of-block 2, 'b'..'i'
 * 3..10, 'j' 10 (so 'i' is 1111111110, 'j' 1111111111); the input ending
 * after nine 1 bits is cut inside a 10-bit code.
 */
static void test_raw_dynamic_long_codes(void **state)
{
    static struct bw w;
    const uint8_t syms[] = { 18, 1, 3, 4, 5, 6, 7, 8, 9, 10, 10, 18, 18, 2, 0 };
    const int extra[] = { 97 - 11, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 138 - 11, 0, -1, -1 };
    uint8_t *out;
    size_t n, pad = 0;

    (void)state;
    bw_dynamic(&w, 257, 1, clen_rep, syms, extra, sizeof(syms));
    while ((w.bits + pad + 9) % 8 != 0)
        pad++;
    for (size_t i = 0; i < pad; i++)
        bw_code(&w, 0, 1);                  /* 'a' */
    bw_code(&w, 0x1ff, 9);
    assert_int_equal(w.bits % 8, 0);
    assert_int_equal(raw(&w, 100, NULL, &n), -ENODATA);
    bw_code(&w, 0, 1);                      /* ... 1111111110: 'i' */
    bw_code(&w, 0x3ff, 10);                 /* 'j' */
    bw_code(&w, 2, 2);                      /* end of block */
    assert_int_equal(raw(&w, 100, &out, &n), 0);
    assert_int_equal(n, pad + 2);
    assert_int_equal(out[pad], 'i');
    assert_int_equal(out[pad + 1], 'j');
    free(out);
}

/* A dynamic block (HLIT 257, HDIST 1) with the hclen code-length code lengths given. */
static int clen_code(const uint8_t *lens, unsigned hclen)
{
    static struct bw w;
    size_t n;

    memset(&w, 0, sizeof(w));
    bw_put(&w, 1, 1);
    bw_put(&w, 2, 2);
    bw_put(&w, 0, 5);
    bw_put(&w, 0, 5);
    bw_put(&w, hclen - 4, 4);
    for (unsigned i = 0; i < hclen; i++)
        bw_put(&w, lens[i], 3);
    bw_put(&w, 0, 32);
    return raw(&w, 100, NULL, &n);
}

/* A dynamic block whose 258 lengths (HLIT 257, HDIST 1) are given by syms. */
static int dynamic_lengths(const uint8_t *syms, const int *extra, unsigned nsyms)
{
    static struct bw w;
    size_t n;

    bw_dynamic(&w, 257, 1, clen_rep, syms, extra, nsyms);
    bw_put(&w, 0, 32);
    return raw(&w, 100, NULL, &n);
}

static void test_raw_dynamic_bad_lengths(void **state)
{
    static struct bw w;
    size_t n;

    (void)state;
    /* too many literal/length codes (HLIT 287, 288) and distance codes (HDIST 31, 32) */
    for (unsigned hlit = 287; hlit <= 288; hlit++) {
        bw_dynamic(&w, hlit, 1, clen_0_15, NULL, NULL, 0);
        assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);
    }
    for (unsigned hdist = 31; hdist <= 32; hdist++) {
        bw_dynamic(&w, 257, hdist, clen_0_15, NULL, NULL, 0);
        assert_int_equal(raw(&w, 100, NULL, &n), -EINVAL);
    }

    /* over-subscribed code-length code: all 19 of length 1 */
    const uint8_t all_one[19] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    assert_int_equal(clen_code(all_one, 19), -EINVAL);
    /* incomplete code-length code: three codes of length 2 */
    const uint8_t three_two[4] = { 2, 2, 2, 0 };
    assert_int_equal(clen_code(three_two, 4), -EINVAL);

    /* over-subscribed literal/length code: 257 lengths of 1 */
    {
        uint8_t syms[46];
        int extra[46];
        unsigned k = 0;
        syms[k] = 1, extra[k++] = -1;
        for (unsigned i = 0; i < 42; i++)
            syms[k] = 16, extra[k++] = 3;       /* six more each: 253 */
        syms[k] = 16, extra[k++] = 0;           /* three more: 256 */
        syms[k] = 1, extra[k++] = -1;           /* 257 */
        syms[k] = 1, extra[k++] = -1;           /* the distance code */
        assert_int_equal(dynamic_lengths(syms, extra, k), -EINVAL);
    }
    /* incomplete literal/length code: 0 and 256 of length 2 */
    {
        const uint8_t syms[] = { 2, 18, 18, 2, 1 };
        const int extra[] = { -1, 138 - 11, 117 - 11, -1, -1 };
        assert_int_equal(dynamic_lengths(syms, extra, sizeof(syms)), -EINVAL);
    }
    /* the same made complete (0 and 256 of length 1) passes the lengths: 32 zero
     * bits are 32 literal zeros, then the input ends */
    {
        const uint8_t syms[] = { 1, 18, 18, 1, 1 };
        const int extra[] = { -1, 138 - 11, 117 - 11, -1, -1 };
        assert_int_equal(dynamic_lengths(syms, extra, sizeof(syms)), -ENODATA);
    }
    /* no end-of-block code: 0 and 1 of length 1, 256 of length 0 */
    {
        const uint8_t syms[] = { 1, 1, 18, 18, 1 };
        const int extra[] = { -1, -1, 138 - 11, 117 - 11, -1 };
        assert_int_equal(dynamic_lengths(syms, extra, sizeof(syms)), -EINVAL);
    }
    /* repeat code 16 first: nothing to repeat */
    {
        const uint8_t syms[] = { 16 };
        const int extra[] = { 0 };
        assert_int_equal(dynamic_lengths(syms, extra, 1), -EINVAL);
    }
    /* repeats running past the last length: 138 + 138 > 258 */
    {
        const uint8_t syms[] = { 18, 18 };
        const int extra[] = { 127, 127 };
        assert_int_equal(dynamic_lengths(syms, extra, 2), -EINVAL);
    }
}

/* A second member may not refer back into the first one's output. */
static void test_gzip_member_window(void **state)
{
    static struct bw w;
    size_t a_len, n;
    uint8_t *a = gzip_data("abc", 3, "abc", "-n -9", &a_len);
    uint8_t out[64];

    (void)state;
    memset(&w, 0, sizeof(w));
    const uint8_t hdr[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
    memcpy(w.buf, a, a_len);
    memcpy(w.buf + a_len, hdr, 10);
    w.bits = 8 * (a_len + 10);
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_match(&w, 257, 0, 0, 2, 0, 0);     /* length 3, distance 3 */
    bw_fixed_sym(&w, 256);
    w.bits = (w.bits + 7) & ~(size_t)7;
    uint32_t crc = crc32_update(0, "abc", 3);
    bw_put(&w, crc, 32);
    bw_put(&w, 3, 32);
    assert_int_equal(inflate_gzip(&st, w.buf, bw_bytes(&w), out, sizeof(out), &n), -EINVAL);
    assert_int_equal(n, 0);

    /* the same block after "abc" within one member's window decodes */
    memset(&w, 0, sizeof(w));
    bw_put(&w, 1, 1);
    bw_put(&w, 1, 2);
    bw_fixed_sym(&w, 'a');
    bw_fixed_sym(&w, 'b');
    bw_fixed_sym(&w, 'c');
    bw_fixed_match(&w, 257, 0, 0, 2, 0, 0);
    bw_fixed_sym(&w, 256);
    uint8_t *o;
    assert_int_equal(raw(&w, 6, &o, &n), 0);
    assert_memory_equal(o, "abcabc", 6);
    free(o);
    free(a);
}

/* ---- truncation and corruption ----------------------------------------------------- */

/* Every proper prefix of gz is -ENODATA (exactly-sized copies, so ASan sees over-reads). */
static void check_every_truncation(const uint8_t *gz, size_t gz_len, size_t out_len)
{
    uint8_t *out = malloc(out_len ? out_len : 1);

    for (size_t cut = 0; cut < gz_len; cut++) {
        uint8_t *in = malloc(cut ? cut : 1);
        size_t n = 7;
        memcpy(in, gz, cut);
        int err = inflate_gzip(&st, in, cut, out, out_len, &n);
        if (err != -ENODATA)
            fail_msg("cut at %zu of %zu: %d", cut, gz_len, err);
        assert_int_equal(n, 0);
        free(in);
    }
    free(out);
}

static void test_truncation_every_point(void **state)
{
    size_t gz_len;
    uint8_t *gz, *t = text_gzipped(6000, 9, "-n -9", &gz, &gz_len);  /* dynamic Huffman */

    (void)state;
    check_every_truncation(gz, gz_len, 6000);
    free(gz);
    gz = gzip_data("hello, hello, hello", 19, "trunc", "-n -9", &gz_len); /* fixed */
    check_every_truncation(gz, gz_len, 19);
    free(gz);
    uint8_t *r = random_bytes(300, 10);
    gz = gzip_data(r, 300, "trunc", "-n -1", &gz_len);                  /* stored */
    check_every_truncation(gz, gz_len, 300);
    free(gz);
    size_t all_len;
    gz = gzip_data(t, 600, "trunc", "-n -9", &gz_len);
    uint8_t *all = with_all_flags(gz, gz_len, &all_len);
    check_every_truncation(all, all_len, 600);
    free(all);
    free(gz);

    /* raw streams too: every prefix of the deflate data alone */
    gz = gzip_data(t, 6000, "trunc", "-n -6", &gz_len);
    uint8_t *out = malloc(6000);
    size_t body = gz_len - 18, used, n;
    assert_int_equal(inflate_raw(&st, gz + 10, body, &used, out, 6000, &n), 0);
    assert_int_equal(used, body);
    assert_int_equal(n, 6000);
    for (size_t cut = 0; cut < body; cut++) {
        uint8_t *in = malloc(cut ? cut : 1);
        memcpy(in, gz + 10, cut);
        assert_int_equal(inflate_raw(&st, in, cut, &used, out, 6000, &n), -ENODATA);
        free(in);
    }
    free(out);
    free(gz);
    free(r);
    free(t);
}

/* Each single-bit flip of gz: an error, or (CRC collision) exactly the original. */
static void check_bit_flips(const uint8_t *gz, size_t gz_len, const uint8_t *orig, size_t len,
                            size_t step)
{
    uint8_t *in = malloc(gz_len);
    uint8_t *out = malloc(len + 1);
    unsigned errors = 0, ok = 0;

    memcpy(in, gz, gz_len);
    for (size_t bit = 0; bit < 8 * gz_len; bit += step) {
        size_t n = 5;
        in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        int err = inflate_gzip(&st, in, gz_len, out, len + 1, &n);
        in[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        if (err) {
            assert_true(err == -EINVAL || err == -ENODATA || err == -ENOSPC);
            assert_int_equal(n, 0);
            errors++;
        } else {
            assert_int_equal(n, len);
            assert_memory_equal(out, orig, len);
            ok++;
        }
    }
    /* flips in MTIME, XFL, OS and FTEXT are harmless; nearly all others fail */
    assert_true(errors > 0);
    free(in);
    free(out);
}

static void test_bit_flips(void **state)
{
    size_t gz_len;
    uint8_t *gz, *t = text_gzipped(4000, 11, "-n -9", &gz, &gz_len);

    (void)state;
    check_bit_flips(gz, gz_len, t, 4000, 1);
    free(gz);
    gz = gzip_data(t, 40, "flip", "-n -9", &gz_len);
    check_bit_flips(gz, gz_len, t, 40, 1);
    free(gz);
    uint8_t *r = random_bytes(70000, 12);
    gz = gzip_data(r, 70000, "flip", "-n -1", &gz_len);    /* two stored blocks */
    check_bit_flips(gz, gz_len, r, 70000, 97);
    free(gz);
    free(r);
    free(t);
}

/* Random bytes as raw deflate data: never a crash, never out of bounds, always ends. */
static void test_random_garbage(void **state)
{
    uint8_t *out = malloc(4096);

    (void)state;
    for (unsigned i = 0; i < 20000; i++) {
        size_t len = 1 + i % 200, n, used;
        uint8_t *in = random_bytes(len, 1000 + i);
        /* bias toward the Huffman block types */
        in[0] = (uint8_t)((in[0] & ~6u) | ((i % 3) << 1));
        int err = inflate_raw(&st, in, len, &used, out, 4096, &n);
        assert_true(err == 0 || err == -EINVAL || err == -ENODATA || err == -ENOSPC);
        if (err == 0)
            assert_true(used <= len && n <= 4096);
        free(in);
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32_known),
        cmocka_unit_test(test_gzip_empty_and_one_byte),
        cmocka_unit_test(test_gzip_text_levels),
        cmocka_unit_test(test_gzip_random_1mib_stored),
        cmocka_unit_test(test_gzip_repetitive_1mib),
        cmocka_unit_test(test_gzip_keeps_name),
        cmocka_unit_test(test_gzip_header_flags),
        cmocka_unit_test(test_gzip_concatenated_and_padding),
        cmocka_unit_test(test_raw_max_distance_and_length),
        cmocka_unit_test(test_raw_fixed_overlap_and_bad_symbols),
        cmocka_unit_test(test_raw_block_types_and_stored),
        cmocka_unit_test(test_raw_dynamic_valid),
        cmocka_unit_test(test_raw_dynamic_long_codes),
        cmocka_unit_test(test_raw_dynamic_bad_lengths),
        cmocka_unit_test(test_gzip_member_window),
        cmocka_unit_test(test_truncation_every_point),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_random_garbage),
    };

    return cmocka_run_group_tests(tests, setup_tmpdir, remove_tmpdir);
}
