/*
 * src/core/multiboot2.c - multiboot2 information parser.
 *
 * Part of core; pure (see include/core/multiboot2.h for the contract).
 * Reads the tag list once, checking every length against the block's total
 * size before touching the bytes it covers, and copies what the kernel
 * needs into struct boot_info. Host-tested with truncated and corrupted
 * blocks in test/unit/test_multiboot2.c.
 */
#include <core/multiboot2.h>
#include <core/errno.h>
#include <core/string.h>

#define MB2_TAG_ALIGN 8

static int fail(const char **why, const char *reason)
{
    if (why)
        *why = reason;
    return -EINVAL;
}

/* A string field of n bytes at s must hold its NUL inside those bytes. */
static const char *tag_string(const char *s, size_t n)
{
    return (n > 0 && memchr(s, '\0', n)) ? s : NULL;
}

static int parse_mmap(const struct mb2_tag *tag, struct boot_info *bi, const char **why)
{
    const struct mb2_tag_mmap *m = (const void *)tag;

    if (tag->size < sizeof(*m))
        return fail(why, "memory map tag too short");
    if (m->entry_size < sizeof(struct mb2_mmap_entry) || m->entry_size % 8)
        return fail(why, "memory map entry size invalid");

    const uint8_t *p = (const uint8_t *)tag + sizeof(*m);
    const uint8_t *end = (const uint8_t *)tag + tag->size;
    for (; (size_t)(end - p) >= m->entry_size; p += m->entry_size) {
        struct mb2_mmap_entry e;
        memcpy(&e, p, sizeof(e));
        if (e.length == 0)
            continue;
        if (bi->mmap_count == BOOT_MAX_MMAP) {
            bi->mmap_truncated = true;
            break;
        }
        bi->mmap[bi->mmap_count++] = (struct boot_mmap_entry){
            .base = e.base, .length = e.length, .type = e.type };
    }
    return 0;
}

static int parse_framebuffer(const struct mb2_tag *tag, struct boot_info *bi, const char **why)
{
    struct mb2_tag_framebuffer f;
    size_t need = offsetof(struct mb2_tag_framebuffer, red_pos);

    if (tag->size < need)
        return fail(why, "framebuffer tag too short");
    memset(&f, 0, sizeof(f));
    memcpy(&f, tag, tag->size < sizeof(f) ? tag->size : sizeof(f));
    if (f.fb_type == BOOT_FB_RGB && tag->size < sizeof(f))
        return fail(why, "framebuffer tag too short for its RGB fields");

    bi->has_framebuffer = true;
    bi->fb = (struct boot_framebuffer){
        .addr = f.addr, .pitch = f.pitch, .width = f.width, .height = f.height,
        .bpp = f.bpp, .type = f.fb_type,
    };
    if (f.fb_type == BOOT_FB_RGB) {
        bi->fb.red_pos = f.red_pos;
        bi->fb.red_size = f.red_size;
        bi->fb.green_pos = f.green_pos;
        bi->fb.green_size = f.green_size;
        bi->fb.blue_pos = f.blue_pos;
        bi->fb.blue_size = f.blue_size;
    }
    return 0;
}

static int parse_tag(const struct mb2_tag *tag, struct boot_info *bi, const char **why)
{
    const char *body = (const char *)tag + sizeof(*tag);
    size_t body_len = tag->size - sizeof(*tag);

    switch (tag->type) {
    case MB2_TAG_CMDLINE:
        if (!(bi->cmdline = tag_string(body, body_len)))
            return fail(why, "command line not NUL-terminated");
        return 0;
    case MB2_TAG_LOADER_NAME:
        if (!(bi->loader_name = tag_string(body, body_len)))
            return fail(why, "loader name not NUL-terminated");
        return 0;
    case MB2_TAG_MODULE: {
        const struct mb2_tag_module *m = (const void *)tag;
        const char *cmd;
        if (tag->size < sizeof(*m))
            return fail(why, "module tag too short");
        cmd = tag_string((const char *)(m + 1), tag->size - sizeof(*m));
        if (!cmd)
            return fail(why, "module string not NUL-terminated");
        if (m->mod_end < m->mod_start)
            return fail(why, "module ends before it starts");
        if (bi->module_count == BOOT_MAX_MODULES) {
            bi->modules_truncated = true;
            return 0;
        }
        bi->modules[bi->module_count++] = (struct boot_module){
            .start = m->mod_start, .end = m->mod_end, .cmdline = cmd };
        return 0;
    }
    case MB2_TAG_BASIC_MEMINFO: {
        const struct mb2_tag_basic_meminfo *m = (const void *)tag;
        if (tag->size < sizeof(*m))
            return fail(why, "basic memory tag too short");
        bi->has_basic_meminfo = true;
        bi->mem_lower_kib = m->mem_lower;
        bi->mem_upper_kib = m->mem_upper;
        return 0;
    }
    case MB2_TAG_MMAP:
        return parse_mmap(tag, bi, why);
    case MB2_TAG_FRAMEBUFFER:
        return parse_framebuffer(tag, bi, why);
    case MB2_TAG_ELF_SECTIONS: {
        const struct mb2_tag_elf_sections *e = (const void *)tag;
        if (tag->size < sizeof(*e))
            return fail(why, "ELF sections tag too short");
        if (e->entsize < 64 ||
            (uint64_t)e->num * e->entsize > tag->size - sizeof(*e))
            return fail(why, "ELF sections tag size does not match its count");
        if (e->num && e->shndx >= e->num)
            return fail(why, "ELF section name index out of range");
        bi->elf_shdrs = e + 1;
        bi->elf_shnum = e->num;
        bi->elf_shentsize = e->entsize;
        bi->elf_shstrndx = e->shndx;
        return 0;
    }
    case MB2_TAG_ACPI_OLD:
    case MB2_TAG_ACPI_NEW: {
        /* v1 RSDP is 20 bytes, v2 (XSDP) 36; prefer the new one if both exist */
        uint8_t version = tag->type == MB2_TAG_ACPI_NEW ? 2 : 1;
        if (body_len < (version == 2 ? 36u : 20u))
            return fail(why, "ACPI RSDP tag too short");
        if (bi->rsdp && bi->rsdp_version > version)
            return 0;
        bi->rsdp = body;
        bi->rsdp_size = (uint32_t)body_len;
        bi->rsdp_version = version;
        return 0;
    }
    case MB2_TAG_EFI_MMAP: {
        const struct mb2_tag_efi_mmap *e = (const void *)tag;
        if (tag->size < sizeof(*e))
            return fail(why, "EFI memory map tag too short");
        if (e->desc_size < 40 || e->desc_size % 8)
            return fail(why, "EFI memory descriptor size invalid");
        bi->efi = true;
        bi->efi_mmap = e + 1;
        bi->efi_mmap_size = tag->size - (uint32_t)sizeof(*e);
        bi->efi_desc_size = e->desc_size;
        bi->efi_desc_version = e->desc_version;
        return 0;
    }
    case MB2_TAG_EFI32:
    case MB2_TAG_EFI64:
    case MB2_TAG_EFI_BS:
    case MB2_TAG_EFI32_IH:
    case MB2_TAG_EFI64_IH:
        bi->efi = true;
        return 0;
    case MB2_TAG_BOOTDEV:
    case MB2_TAG_VBE:
    case MB2_TAG_APM:
    case MB2_TAG_SMBIOS:
    case MB2_TAG_NETWORK:
    case MB2_TAG_LOAD_BASE_ADDR:
        return 0;       /* known, not needed */
    default:
        bi->unknown_tags++;
        return 0;
    }
}

int mb2_parse(const void *mbi, size_t max_size, uint64_t mbi_phys,
              struct boot_info *out, const char **why)
{
    struct mb2_info_header hdr;
    int err;

    memset(out, 0, sizeof(*out));
    out->cmdline = "";
    out->loader_name = "";
    out->mbi_phys = mbi_phys;

    if (!mbi)
        return fail(why, "no information block");
    if ((uintptr_t)mbi % MB2_TAG_ALIGN)
        return fail(why, "information block not 8-byte aligned");
    if (max_size < sizeof(hdr))
        return fail(why, "information block truncated");
    memcpy(&hdr, mbi, sizeof(hdr));
    if (hdr.total_size < sizeof(hdr) + sizeof(struct mb2_tag))
        return fail(why, "information block too small");
    if (hdr.total_size > max_size)
        return fail(why, "information block larger than allowed");
    out->mbi_size = hdr.total_size;

    const uint8_t *base = mbi;
    size_t off = sizeof(hdr);
    for (;;) {
        const struct mb2_tag *tag;

        if (off > hdr.total_size || hdr.total_size - off < sizeof(*tag))
            return fail(why, "tag list runs past the end (no end tag)");
        tag = (const void *)(base + off);
        if (tag->size < sizeof(*tag))
            return fail(why, "tag smaller than its header");
        if (tag->size > hdr.total_size - off)
            return fail(why, "tag runs past the end of the block");
        if (tag->type == MB2_TAG_END)
            break;
        err = parse_tag(tag, out, why);
        if (err)
            return err;
        off += ALIGN_UP((size_t)tag->size, (size_t)MB2_TAG_ALIGN);
    }
    if (why)
        *why = NULL;
    return 0;
}

/* ---- the kernel's own boot information -------------------------------------------- */

static const struct boot_info empty_boot_info;
static const struct boot_info *kernel_boot_info = &empty_boot_info;

void mb2_set_boot_info(const struct boot_info *bi)
{
    kernel_boot_info = bi ? bi : &empty_boot_info;
}

const struct boot_info *mb2_boot_info(void)
{
    return kernel_boot_info;
}
