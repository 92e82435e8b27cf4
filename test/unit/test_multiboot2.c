/*
 * test/unit/test_multiboot2.c - host tests for src/core/multiboot2.c.
 *
 * Builds multiboot2 information blocks in memory the way GRUB lays them
 * out (8-byte aligned tags, each padded to 8) with small append helpers,
 * then hands mb2_parse a heap copy of exactly total_size bytes, so any
 * read past the block is an AddressSanitizer report. Well-formed blocks
 * check every boot_info field; each malformed block (one cmocka test per
 * case, see malformed[]) must give -EINVAL with a reason, without
 * reading outside the block.
 */
#include "unit.h"

#define MBI_PHYS 0x10000ull

/* ---- block builder --------------------------------------------------------- */

struct mb {
    _Alignas(8) uint8_t buf[65536];
    size_t len;
};

static struct mb *b;
static struct boot_info *bi;
static uint8_t *block;          /* the exactly-sized copy handed to mb2_parse */
static const char *why;

static void put32(size_t off, uint32_t v)
{
    memcpy(&b->buf[off], &v, 4);
}

static void mb_begin(void)
{
    memset(b->buf, 0, sizeof(b->buf));
    b->len = 8;
}

/* Appends raw bytes (no alignment). */
static void mb_bytes(const void *p, size_t n)
{
    assert_true(b->len + n <= sizeof(b->buf));
    if (n)
        memcpy(&b->buf[b->len], p, n);
    b->len += n;
}

static void mb_align(void)
{
    while (b->len % 8)
        b->buf[b->len++] = 0;
}

/*
 * Appends a tag: header with the given size field, then body_len bytes of
 * body, then padding to 8. Returns the tag's offset.
 */
static size_t mb_tag_sized(uint32_t type, uint32_t size, const void *body, size_t body_len)
{
    size_t off = b->len;
    mb_bytes(&type, 4);
    mb_bytes(&size, 4);
    mb_bytes(body, body_len);
    mb_align();
    return off;
}

static size_t mb_tag(uint32_t type, const void *body, size_t body_len)
{
    return mb_tag_sized(type, (uint32_t)(8 + body_len), body, body_len);
}

static size_t mb_string(uint32_t type, const char *s)
{
    return mb_tag(type, s, strlen(s) + 1);
}

static void mb_end(void)
{
    mb_tag(MB2_TAG_END, NULL, 0);
}

/* Sets total_size to the current length (or to an explicit value). */
static void mb_total(uint32_t total)
{
    put32(0, total);
}

static void mb_finish(void)
{
    mb_end();
    mb_total((uint32_t)b->len);
}

static void mb_meminfo(uint32_t lower, uint32_t upper)
{
    uint32_t body[2] = { lower, upper };
    mb_tag(MB2_TAG_BASIC_MEMINFO, body, sizeof(body));
}

struct ent {
    uint64_t base, length;
    uint32_t type;
};

static size_t mb_mmap(uint32_t entry_size, const struct ent *e, size_t n)
{
    uint8_t body[8 + 64 * 512];
    assert_true(entry_size >= 24 && entry_size <= 64 && n <= 512);
    uint32_t hdr[2] = { entry_size, 0 };
    memcpy(body, hdr, 8);
    for (size_t i = 0; i < n; i++) {
        uint8_t *p = body + 8 + i * entry_size;
        memset(p, 0xee, entry_size);                /* padding in larger entries */
        memcpy(p, &e[i].base, 8);
        memcpy(p + 8, &e[i].length, 8);
        memcpy(p + 16, &e[i].type, 4);
        memset(p + 20, 0, 4);
    }
    return mb_tag(MB2_TAG_MMAP, body, 8 + n * entry_size);
}

static size_t mb_module(uint32_t start, uint32_t end, const char *cmd)
{
    uint8_t body[256];
    size_t n = strlen(cmd) + 1;
    memcpy(body, &start, 4);
    memcpy(body + 4, &end, 4);
    memcpy(body + 8, cmd, n);
    return mb_tag(MB2_TAG_MODULE, body, 8 + n);
}

static struct mb2_tag_framebuffer fb_tag(uint8_t type)
{
    struct mb2_tag_framebuffer f;
    memset(&f, 0, sizeof(f));
    f.tag.type = MB2_TAG_FRAMEBUFFER;
    f.addr = 0xfd000000;
    f.pitch = 4096;
    f.width = 1024;
    f.height = 768;
    f.bpp = 32;
    f.fb_type = type;
    f.red_pos = 16;
    f.red_size = 8;
    f.green_pos = 8;
    f.green_size = 8;
    f.blue_pos = 0;
    f.blue_size = 8;
    return f;
}

/* A framebuffer tag of `size` bytes (38 for RGB as GRUB writes it, 32 for EGA text). */
static size_t mb_framebuffer(struct mb2_tag_framebuffer f, uint32_t size)
{
    f.tag.size = size;
    size_t off = b->len;
    mb_bytes(&f, size);
    mb_align();
    return off;
}

static size_t mb_elf(uint32_t num, uint32_t entsize, uint32_t shndx, size_t shdr_bytes)
{
    static uint8_t body[12 + 64 * 64];
    assert_true(shdr_bytes <= 64 * 64);
    uint32_t hdr[3] = { num, entsize, shndx };
    memcpy(body, hdr, 12);
    for (size_t i = 0; i < shdr_bytes; i++)
        body[12 + i] = (uint8_t)i;
    return mb_tag(MB2_TAG_ELF_SECTIONS, body, 12 + shdr_bytes);
}

static size_t mb_acpi(uint32_t type, size_t len, uint8_t fill)
{
    uint8_t body[64];
    assert_true(len <= sizeof(body));
    memset(body, fill, len);
    if (len >= 8)
        memcpy(body, "RSD PTR ", 8);
    return mb_tag(type, body, len);
}

static size_t mb_efi_mmap(uint32_t desc_size, uint32_t version, size_t count)
{
    uint8_t body[8 + 64 * 16];
    assert_true(desc_size <= 64 && count <= 16);
    uint32_t hdr[2] = { desc_size, version };
    memcpy(body, hdr, 8);
    memset(body + 8, 0x42, desc_size * count);
    return mb_tag(MB2_TAG_EFI_MMAP, body, 8 + desc_size * count);
}

/*
 * Parses a heap copy of the first alloc bytes of the block (0: b->len),
 * with max_size bytes allowed (0: alloc). Returns mb2_parse's result.
 */
static int parse_sized(size_t alloc, size_t max_size)
{
    if (!alloc)
        alloc = b->len;
    if (!max_size)
        max_size = alloc;
    free(block);
    block = malloc(alloc);
    assert_non_null(block);
    memcpy(block, b->buf, alloc);
    why = "(not set)";
    return mb2_parse(block, max_size, MBI_PHYS, bi, &why);
}

static int parse(void)
{
    return parse_sized(0, 0);
}

/* Offset of a pointer inside the parsed block. */
static size_t at(const void *p)
{
    assert_non_null(p);
    assert_true((const uint8_t *)p >= block && (const uint8_t *)p < block + b->len);
    return (size_t)((const uint8_t *)p - block);
}

static int setup(void **state)
{
    (void)state;
    b = malloc(sizeof(*b));
    bi = malloc(sizeof(*bi));
    if (!b || !bi)
        return -1;
    memset(bi, 0xa5, sizeof(*bi));
    block = NULL;
    mb_begin();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(block);
    free(bi);
    free(b);
    block = NULL;
    return 0;
}

/* ---- well-formed blocks ---------------------------------------------------- */

static void test_minimal(void **state)
{
    (void)state;
    mb_finish();
    assert_int_equal(b->len, 16);
    assert_int_equal(parse(), 0);
    assert_int_equal(bi->mbi_phys, MBI_PHYS);
    assert_int_equal(bi->mbi_size, 16);
    assert_string_equal(bi->cmdline, "");
    assert_string_equal(bi->loader_name, "");
    assert_false(bi->has_basic_meminfo);
    assert_int_equal(bi->mmap_count, 0);
    assert_false(bi->mmap_truncated);
    assert_int_equal(bi->module_count, 0);
    assert_false(bi->modules_truncated);
    assert_false(bi->has_framebuffer);
    assert_null(bi->rsdp);
    assert_null(bi->elf_shdrs);
    assert_null(bi->efi_mmap);
    assert_int_equal(bi->unknown_tags, 0);
}

static const struct ent grub_map[] = {
    { 0x0, 0x9fc00, BOOT_MEM_USABLE },
    { 0x9fc00, 0x400, BOOT_MEM_RESERVED },
    { 0xf0000, 0x10000, BOOT_MEM_RESERVED },
    { 0x100000, 0x7ee0000, BOOT_MEM_USABLE },
    { 0x7fe0000, 0x20000, BOOT_MEM_ACPI_RECLAIMABLE },
    { 0xfffc0000, 0x40000, BOOT_MEM_RESERVED },
    { 0x100000000ull, 0x180000000ull, BOOT_MEM_USABLE },
    { 0x7fff0000, 0x1000, BOOT_MEM_ACPI_NVS },
    { 0x80000000, 0x1000, BOOT_MEM_BAD },
    { 0x90000000, 0x1000, 12 },                 /* an unknown type is kept as given */
};

static void check_map(const struct ent *e, size_t n)
{
    assert_int_equal(bi->mmap_count, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(bi->mmap[i].base, e[i].base);
        assert_int_equal(bi->mmap[i].length, e[i].length);
        assert_int_equal(bi->mmap[i].type, e[i].type);
    }
}

static void test_grub_like(void **state)
{
    (void)state;
    size_t cmd = mb_string(MB2_TAG_CMDLINE, "console=ttyS0 ktest='mm.*'");
    size_t name = mb_string(MB2_TAG_LOADER_NAME, "GRUB 2.06-13+deb12u1");
    mb_meminfo(639, 2096000);
    uint32_t bootdev[3] = { 0x80, 1, 0xffffffff };
    mb_tag(MB2_TAG_BOOTDEV, bootdev, sizeof(bootdev));
    mb_mmap(24, grub_map, ARRAY_SIZE(grub_map));
    mb_framebuffer(fb_tag(BOOT_FB_RGB), 38);
    size_t elf = mb_elf(5, 64, 4, 5 * 64);
    size_t old = mb_acpi(MB2_TAG_ACPI_OLD, 20, 1);
    size_t new = mb_acpi(MB2_TAG_ACPI_NEW, 36, 2);
    size_t efi = mb_efi_mmap(48, 1, 3);
    uint32_t load_base = 0x200000;
    mb_tag(MB2_TAG_LOAD_BASE_ADDR, &load_base, 4);
    uint64_t efi64 = 0x7f000000;
    mb_tag(MB2_TAG_EFI64, &efi64, 8);
    size_t m0 = mb_module(0x400000, 0x420000, "initrd.tar");
    size_t m1 = mb_module(0x420000, 0x420000, "");
    mb_finish();

    assert_int_equal(parse(), 0);
    assert_int_equal(bi->mbi_size, b->len);
    assert_int_equal(at(bi->cmdline), cmd + 8);
    assert_string_equal(bi->cmdline, "console=ttyS0 ktest='mm.*'");
    assert_int_equal(at(bi->loader_name), name + 8);
    assert_string_equal(bi->loader_name, "GRUB 2.06-13+deb12u1");
    assert_true(bi->has_basic_meminfo);
    assert_int_equal(bi->mem_lower_kib, 639);
    assert_int_equal(bi->mem_upper_kib, 2096000);
    check_map(grub_map, ARRAY_SIZE(grub_map));
    assert_false(bi->mmap_truncated);

    assert_true(bi->has_framebuffer);
    assert_int_equal(bi->fb.addr, 0xfd000000);
    assert_int_equal(bi->fb.pitch, 4096);
    assert_int_equal(bi->fb.width, 1024);
    assert_int_equal(bi->fb.height, 768);
    assert_int_equal(bi->fb.bpp, 32);
    assert_int_equal(bi->fb.type, BOOT_FB_RGB);
    assert_int_equal(bi->fb.red_pos, 16);
    assert_int_equal(bi->fb.red_size, 8);
    assert_int_equal(bi->fb.green_pos, 8);
    assert_int_equal(bi->fb.green_size, 8);
    assert_int_equal(bi->fb.blue_pos, 0);
    assert_int_equal(bi->fb.blue_size, 8);

    assert_int_equal(at(bi->elf_shdrs), elf + 20);
    assert_int_equal(bi->elf_shnum, 5);
    assert_int_equal(bi->elf_shentsize, 64);
    assert_int_equal(bi->elf_shstrndx, 4);

    /* both RSDP tags: the new one wins */
    (void)old;
    assert_int_equal(at(bi->rsdp), new + 8);
    assert_int_equal(bi->rsdp_version, 2);
    assert_int_equal(bi->rsdp_size, 36);

    assert_int_equal(at(bi->efi_mmap), efi + 16);
    assert_int_equal(bi->efi_mmap_size, 3 * 48);
    assert_int_equal(bi->efi_desc_size, 48);
    assert_int_equal(bi->efi_desc_version, 1);

    assert_int_equal(bi->module_count, 2);
    assert_false(bi->modules_truncated);
    assert_int_equal(bi->modules[0].start, 0x400000);
    assert_int_equal(bi->modules[0].end, 0x420000);
    assert_int_equal(at(bi->modules[0].cmdline), m0 + 16);
    assert_string_equal(bi->modules[0].cmdline, "initrd.tar");
    assert_int_equal(bi->modules[1].start, 0x420000);
    assert_int_equal(bi->modules[1].end, 0x420000);     /* empty module */
    assert_int_equal(at(bi->modules[1].cmdline), m1 + 16);
    assert_string_equal(bi->modules[1].cmdline, "");

    assert_int_equal(bi->unknown_tags, 0);              /* known, unused tags are not unknown */
}

static void test_mmap_entry_size_32(void **state)
{
    (void)state;
    /* a larger entry_size (a newer loader): entries are entry_size apart */
    mb_mmap(32, grub_map, ARRAY_SIZE(grub_map));
    mb_finish();
    assert_int_equal(parse(), 0);
    check_map(grub_map, ARRAY_SIZE(grub_map));

    mb_begin();
    mb_mmap(64, grub_map, 3);
    mb_finish();
    assert_int_equal(parse(), 0);
    check_map(grub_map, 3);
}

static void test_mmap_partial_and_empty(void **state)
{
    (void)state;
    /* no entries at all */
    mb_mmap(24, grub_map, 0);
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(bi->mmap_count, 0);

    /* a trailing partial entry (tag size not a multiple) is ignored */
    mb_begin();
    uint8_t body[8 + 24 * 2 + 10];
    uint32_t hdr[2] = { 24, 0 };
    memcpy(body, hdr, 8);
    memset(body + 8, 0, sizeof(body) - 8);
    uint64_t base = 0x1000, len = 0x2000;
    uint32_t type = 1;
    for (int i = 0; i < 2; i++) {
        memcpy(body + 8 + i * 24, &base, 8);
        memcpy(body + 16 + i * 24, &len, 8);
        memcpy(body + 24 + i * 24, &type, 4);
    }
    mb_tag(MB2_TAG_MMAP, body, sizeof(body));
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(bi->mmap_count, 2);

    /* zero-length entries are dropped */
    mb_begin();
    const struct ent with_empty[] = { { 0, 0x1000, 1 }, { 0x1000, 0, 1 }, { 0x2000, 0x1000, 2 } };
    mb_mmap(24, with_empty, 3);
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(bi->mmap_count, 2);
    assert_int_equal(bi->mmap[1].base, 0x2000);
}

static void test_mmap_truncated(void **state)
{
    (void)state;
    static struct ent many[BOOT_MAX_MMAP + 44];
    for (size_t i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = (struct ent){ i * 0x10000, 0x8000, (uint32_t)(1 + i % 5) };
    mb_mmap(24, many, BOOT_MAX_MMAP);
    mb_finish();
    assert_int_equal(parse(), 0);
    check_map(many, BOOT_MAX_MMAP);
    assert_false(bi->mmap_truncated);               /* exactly the maximum fits */

    mb_begin();
    mb_mmap(24, many, ARRAY_SIZE(many));
    mb_finish();
    assert_int_equal(parse(), 0);
    check_map(many, BOOT_MAX_MMAP);
    assert_true(bi->mmap_truncated);

    /* entries split over two mmap tags count together */
    mb_begin();
    mb_mmap(24, many, 200);
    mb_mmap(24, many + 200, 100);
    mb_finish();
    assert_int_equal(parse(), 0);
    check_map(many, BOOT_MAX_MMAP);
    assert_true(bi->mmap_truncated);
}

static void test_framebuffer_ega_text(void **state)
{
    (void)state;
    struct mb2_tag_framebuffer f = fb_tag(BOOT_FB_EGA_TEXT);
    f.addr = 0xb8000;
    f.pitch = 160;
    f.width = 80;
    f.height = 25;
    f.bpp = 16;
    mb_framebuffer(f, 32);                          /* no colour fields */
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_true(bi->has_framebuffer);
    assert_int_equal(bi->fb.type, BOOT_FB_EGA_TEXT);
    assert_int_equal(bi->fb.addr, 0xb8000);
    assert_int_equal(bi->fb.pitch, 160);
    assert_int_equal(bi->fb.width, 80);
    assert_int_equal(bi->fb.height, 25);
    assert_int_equal(bi->fb.bpp, 16);
    assert_int_equal(bi->fb.red_size, 0);
    assert_int_equal(bi->fb.green_size, 0);
    assert_int_equal(bi->fb.blue_size, 0);
}

static void test_acpi(void **state)
{
    (void)state;
    /* old only */
    size_t old = mb_acpi(MB2_TAG_ACPI_OLD, 20, 1);
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(at(bi->rsdp), old + 8);
    assert_int_equal(bi->rsdp_version, 1);
    assert_int_equal(bi->rsdp_size, 20);

    /* new only, with a longer tag than needed */
    mb_begin();
    size_t new = mb_acpi(MB2_TAG_ACPI_NEW, 40, 2);
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(at(bi->rsdp), new + 8);
    assert_int_equal(bi->rsdp_version, 2);
    assert_int_equal(bi->rsdp_size, 40);

    /* both, new first: the new one still wins */
    mb_begin();
    new = mb_acpi(MB2_TAG_ACPI_NEW, 36, 2);
    mb_acpi(MB2_TAG_ACPI_OLD, 20, 1);
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(at(bi->rsdp), new + 8);
    assert_int_equal(bi->rsdp_version, 2);
    assert_int_equal(bi->rsdp_size, 36);
}

static void test_modules(void **state)
{
    (void)state;
    char name[32];
    for (int i = 0; i < BOOT_MAX_MODULES + 3; i++) {
        snprintf(name, sizeof(name), "module-%d arg=%d", i, i * 2);
        mb_module(0x1000000u + (uint32_t)i * 0x10000u, 0x1000000u + (uint32_t)i * 0x10000u + 0x800u,
                  name);
    }
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(bi->module_count, BOOT_MAX_MODULES);
    assert_true(bi->modules_truncated);
    for (int i = 0; i < BOOT_MAX_MODULES; i++) {
        snprintf(name, sizeof(name), "module-%d arg=%d", i, i * 2);
        assert_string_equal(bi->modules[i].cmdline, name);
        assert_int_equal(bi->modules[i].start, 0x1000000u + (uint32_t)i * 0x10000u);
        assert_int_equal(bi->modules[i].end - bi->modules[i].start, 0x800);
    }
}

static void test_unknown_and_unused_tags(void **state)
{
    (void)state;
    uint8_t junk[13];
    memset(junk, 0x77, sizeof(junk));
    mb_tag(99, junk, sizeof(junk));
    mb_tag(0x12345678, NULL, 0);
    mb_tag(MB2_TAG_SMBIOS, junk, sizeof(junk));     /* known but unused */
    mb_tag(MB2_TAG_APM, junk, 7);
    mb_tag(MB2_TAG_NETWORK, junk, 0);
    mb_tag(MB2_TAG_EFI_BS, NULL, 0);
    mb_string(MB2_TAG_CMDLINE, "after the unknown ones");
    mb_tag(0xffffffff, junk, 1);
    mb_finish();
    assert_int_equal(parse(), 0);
    assert_int_equal(bi->unknown_tags, 3);
    assert_string_equal(bi->cmdline, "after the unknown ones");
}

static void test_end_tag_early(void **state)
{
    (void)state;
    /* tags after the end tag (inside total_size) are not parsed */
    mb_string(MB2_TAG_CMDLINE, "first");
    mb_end();
    mb_string(MB2_TAG_LOADER_NAME, "never seen");
    mb_tag(77, NULL, 0);
    mb_total((uint32_t)b->len);
    assert_int_equal(parse(), 0);
    assert_string_equal(bi->cmdline, "first");
    assert_string_equal(bi->loader_name, "");
    assert_int_equal(bi->unknown_tags, 0);
}

static void test_unpadded_total(void **state)
{
    (void)state;
    /* total_size may be bigger than needed; max_size may exceed total_size */
    mb_string(MB2_TAG_CMDLINE, "x");
    mb_finish();
    size_t len = b->len;
    b->len += 8;
    assert_int_equal(parse_sized(len + 8, 0), 0);
    assert_int_equal(bi->mbi_size, len);
    assert_int_equal(parse_sized(len, 0), 0);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    mb_finish();
    parse();                                        /* block = a valid 16-byte copy */
    why = NULL;
    assert_int_equal(mb2_parse(NULL, 4096, 0, bi, &why), -EINVAL);
    assert_non_null(why);
    /* the defaults are filled in even on failure */
    assert_string_equal(bi->cmdline, "");
    assert_string_equal(bi->loader_name, "");

    why = NULL;
    assert_int_equal(mb2_parse(block, 7, 0, bi, &why), -EINVAL);   /* max_size < header */
    assert_non_null(why);
    why = NULL;
    assert_int_equal(mb2_parse(block, 0, 0, bi, &why), -EINVAL);
    assert_non_null(why);

    /* misaligned: 8 bytes in a buffer of 12, at offset 4 */
    uint8_t *odd = malloc(12);
    memcpy(odd + 4, block, 8);
    why = NULL;
    assert_int_equal(mb2_parse(odd + 4, 8, 0, bi, &why), -EINVAL);
    assert_non_null(why);
    free(odd);

    /* why may be NULL */
    assert_int_equal(mb2_parse(NULL, 4096, 0, bi, NULL), -EINVAL);
    assert_int_equal(mb2_parse(block, 16, 0, bi, NULL), 0);
}

/* ---- malformed blocks: one test each ---------------------------------------- */

/* Each builds a block and returns the max_size to pass (0: exactly the block). */
typedef size_t (*build_fn)(void);

static size_t total_below_header(void)
{
    mb_total(4);
    return 0;
}

static size_t total_header_only(void)
{
    mb_total(8);            /* no room for any tag, not even the end tag */
    return 0;
}

static size_t total_above_max(void)
{
    mb_string(MB2_TAG_CMDLINE, "abc");
    mb_finish();
    mb_total((uint32_t)b->len + 8);
    return 0;
}

static size_t total_far_above_max(void)
{
    mb_finish();
    mb_total(UINT32_MAX);
    return 0;
}

static size_t missing_end_tag(void)
{
    mb_string(MB2_TAG_CMDLINE, "no end");
    mb_total((uint32_t)b->len);
    return 0;
}

static size_t missing_end_tag_partial(void)
{
    mb_string(MB2_TAG_CMDLINE, "no end");
    uint32_t t = 0;
    mb_bytes(&t, 4);        /* half an end tag */
    mb_total((uint32_t)b->len);
    return 0;
}

static size_t tag_size_zero(void)
{
    mb_tag_sized(MB2_TAG_CMDLINE, 0, "ab\0\0\0\0\0", 8);
    mb_finish();
    return 0;
}

static size_t tag_size_below_header(void)
{
    mb_tag_sized(77, 4, NULL, 0);
    mb_finish();
    return 0;
}

static size_t end_tag_size_below_header(void)
{
    mb_string(MB2_TAG_CMDLINE, "x");
    mb_tag_sized(MB2_TAG_END, 0, NULL, 0);
    mb_total((uint32_t)b->len);
    return 0;
}

static size_t tag_past_end(void)
{
    mb_tag_sized(MB2_TAG_CMDLINE, 100, "abc", 4);
    mb_finish();
    return 0;
}

static size_t tag_past_end_huge(void)
{
    mb_tag_sized(99, 0xfffffff9u, NULL, 0);
    mb_finish();
    return 0;
}

static size_t end_tag_past_end(void)
{
    mb_tag_sized(MB2_TAG_END, 16, NULL, 0);
    mb_total((uint32_t)b->len);
    return 0;
}

static size_t last_tag_past_total(void)
{
    /* the last tag is whole in memory, but total_size cuts it short */
    mb_string(MB2_TAG_CMDLINE, "0123456789");
    mb_finish();
    mb_total(8 + 8 + 4);
    return 0;
}

static size_t mmap_tag_too_short(void)
{
    uint32_t body[1] = { 24 };
    mb_tag(MB2_TAG_MMAP, body, 4);
    mb_finish();
    return 0;
}

static size_t mmap_entry_size_zero(void)
{
    uint32_t body[2] = { 0, 0 };
    mb_tag(MB2_TAG_MMAP, body, 8);
    mb_finish();
    return 0;
}

static size_t mmap_entry_size_odd(void)
{
    uint8_t body[8 + 25 * 2] = { 0 };
    uint32_t es = 25;
    memcpy(body, &es, 4);
    mb_tag(MB2_TAG_MMAP, body, sizeof(body));
    mb_finish();
    return 0;
}

static size_t mmap_entry_size_small(void)
{
    uint8_t body[8 + 16 * 2] = { 0 };
    uint32_t es = 16;
    memcpy(body, &es, 4);
    mb_tag(MB2_TAG_MMAP, body, sizeof(body));
    mb_finish();
    return 0;
}

static size_t mmap_entry_size_unaligned(void)
{
    uint8_t body[8 + 28 * 2] = { 0 };
    uint32_t es = 28;
    memcpy(body, &es, 4);
    mb_tag(MB2_TAG_MMAP, body, sizeof(body));
    mb_finish();
    return 0;
}

static size_t cmdline_no_nul(void)
{
    mb_tag(MB2_TAG_CMDLINE, "abc", 3);
    mb_finish();
    return 0;
}

static size_t cmdline_no_nul_at_end(void)
{
    /* the unterminated string is the last thing in the block (no end tag) */
    mb_tag(MB2_TAG_CMDLINE, "abcdefgh", 8);
    mb_total((uint32_t)b->len);
    return 0;
}

static size_t cmdline_empty_tag(void)
{
    mb_tag(MB2_TAG_CMDLINE, NULL, 0);
    mb_finish();
    return 0;
}

static size_t loader_name_no_nul(void)
{
    mb_tag(MB2_TAG_LOADER_NAME, "GRUB", 4);
    mb_finish();
    return 0;
}

static size_t module_string_no_nul(void)
{
    uint8_t body[8 + 5];
    uint32_t se[2] = { 0x1000, 0x2000 };
    memcpy(body, se, 8);
    memcpy(body + 8, "initr", 5);
    mb_tag(MB2_TAG_MODULE, body, sizeof(body));
    mb_finish();
    return 0;
}

static size_t module_tag_too_short(void)
{
    uint32_t start = 0x1000;
    mb_tag(MB2_TAG_MODULE, &start, 4);
    mb_finish();
    return 0;
}

static size_t module_end_before_start(void)
{
    mb_module(0x2000, 0x1fff, "backwards");
    mb_finish();
    return 0;
}

static size_t meminfo_too_short(void)
{
    uint32_t lower = 639;
    mb_tag(MB2_TAG_BASIC_MEMINFO, &lower, 4);
    mb_finish();
    return 0;
}

static size_t fb_rgb_too_short(void)
{
    mb_framebuffer(fb_tag(BOOT_FB_RGB), 35);  /* red and green, no blue */
    mb_finish();
    return 0;
}

static size_t fb_rgb_common_only(void)
{
    mb_framebuffer(fb_tag(BOOT_FB_RGB), 32);
    mb_finish();
    return 0;
}

static size_t fb_too_short(void)
{
    mb_framebuffer(fb_tag(BOOT_FB_EGA_TEXT), 28);  /* cut inside bpp/type */
    mb_finish();
    return 0;
}

static size_t elf_tag_too_short(void)
{
    uint32_t num = 1;
    mb_tag(MB2_TAG_ELF_SECTIONS, &num, 4);
    mb_finish();
    return 0;
}

static size_t elf_num_too_big(void)
{
    mb_elf(4, 64, 1, 3 * 64);
    mb_finish();
    return 0;
}

static size_t elf_num_times_entsize_overflows(void)
{
    mb_elf(0x04000000, 64, 1, 64);        /* 2^26 * 64 = 2^32: wraps to 0 in 32 bits */
    mb_finish();
    return 0;
}

static size_t elf_entsize_too_small(void)
{
    mb_elf(4, 32, 1, 4 * 32);
    mb_finish();
    return 0;
}

static size_t elf_shndx_out_of_range(void)
{
    mb_elf(3, 64, 3, 3 * 64);
    mb_finish();
    return 0;
}

static size_t acpi_old_too_short(void)
{
    mb_acpi(MB2_TAG_ACPI_OLD, 19, 1);
    mb_finish();
    return 0;
}

static size_t acpi_new_too_short(void)
{
    mb_acpi(MB2_TAG_ACPI_NEW, 20, 2);     /* a v1-sized RSDP in the v2 tag */
    mb_finish();
    return 0;
}

static size_t efi_mmap_too_short(void)
{
    uint32_t ds = 48;
    mb_tag(MB2_TAG_EFI_MMAP, &ds, 4);
    mb_finish();
    return 0;
}

static size_t efi_desc_size_bad(void)
{
    mb_efi_mmap(36, 1, 2);
    mb_finish();
    return 0;
}

static size_t efi_desc_size_unaligned(void)
{
    mb_efi_mmap(44, 1, 2);
    mb_finish();
    return 0;
}

static size_t bad_tag_after_good_ones(void)
{
    mb_string(MB2_TAG_CMDLINE, "fine");
    mb_meminfo(1, 2);
    mb_mmap(24, grub_map, 3);
    mb_module(0x2000, 0x1000, "bad");
    mb_finish();
    return 0;
}

static const struct malformed {
    const char *name;
    build_fn build;
    const char *reason;     /* a fragment of the expected *why */
} malformed[] = {
#define M(f, r) { "malformed_" #f, f, r }
    M(total_below_header, "too small"),
    M(total_header_only, "too small"),
    M(total_above_max, "larger than allowed"),
    M(total_far_above_max, "larger than allowed"),
    M(missing_end_tag, "no end tag"),
    M(missing_end_tag_partial, "no end tag"),
    M(tag_size_zero, "smaller than its header"),
    M(tag_size_below_header, "smaller than its header"),
    M(end_tag_size_below_header, "smaller than its header"),
    M(tag_past_end, "runs past the end"),
    M(tag_past_end_huge, "runs past the end"),
    M(end_tag_past_end, "runs past the end"),
    M(last_tag_past_total, "runs past the end"),
    M(mmap_tag_too_short, "memory map"),
    M(mmap_entry_size_zero, "entry size"),
    M(mmap_entry_size_odd, "entry size"),
    M(mmap_entry_size_small, "entry size"),
    M(mmap_entry_size_unaligned, "entry size"),
    M(cmdline_no_nul, "command line"),
    M(cmdline_no_nul_at_end, "command line"),
    M(cmdline_empty_tag, "command line"),
    M(loader_name_no_nul, "loader name"),
    M(module_string_no_nul, "module string"),
    M(module_tag_too_short, "module tag"),
    M(module_end_before_start, "module ends"),
    M(meminfo_too_short, "memory tag too short"),
    M(fb_rgb_too_short, "RGB"),
    M(fb_rgb_common_only, "RGB"),
    M(fb_too_short, "framebuffer"),
    M(elf_tag_too_short, "ELF"),
    M(elf_num_too_big, "ELF"),
    M(elf_num_times_entsize_overflows, "ELF"),
    M(elf_entsize_too_small, "ELF"),
    M(elf_shndx_out_of_range, "ELF"),
    M(acpi_old_too_short, "ACPI"),
    M(acpi_new_too_short, "ACPI"),
    M(efi_mmap_too_short, "EFI"),
    M(efi_desc_size_bad, "EFI"),
    M(efi_desc_size_unaligned, "EFI"),
    M(bad_tag_after_good_ones, "module ends"),
#undef M
};

static void run_malformed(void **state)
{
    const struct malformed *m = *state;
    size_t max_size = m->build();
    /* the block as built: total_size may claim more than there is */
    int rc = parse_sized(b->len, max_size);
    if (rc != -EINVAL)
        fail_msg("%s: mb2_parse returned %d, want -EINVAL", m->name, rc);
    if (!why || strcmp(why, "(not set)") == 0 || !*why)
        fail_msg("%s: no reason given", m->name);
    /* the intended check fired, not some other one */
    if (!strstr(why, m->reason))
        fail_msg("%s: reason \"%s\" does not mention \"%s\"", m->name, why, m->reason);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test_setup_teardown(test_minimal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_grub_like, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_entry_size_32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_partial_and_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmap_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_framebuffer_ega_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acpi, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_and_unused_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_end_tag_early, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpadded_total, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
    };
    struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(malformed)];
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(fixed); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < ARRAY_SIZE(malformed); i++)
        tests[n++] = (struct CMUnitTest){
            .name = malformed[i].name,
            .test_func = run_malformed,
            .setup_func = setup,
            .teardown_func = teardown,
            .initial_state = (void *)&malformed[i],
        };
    return _cmocka_run_group_tests("core/multiboot2", tests, n, NULL, NULL);
}
