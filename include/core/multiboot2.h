/*
 * include/core/multiboot2.h - the multiboot2 boot information, typed.
 *
 * Part of core. mb2_parse walks the tag list GRUB leaves in memory and
 * fills a struct boot_info; nothing else in the kernel reads raw tags.
 * The parser is pure (no allocation, no printing, no globals) and is
 * exercised on the host by test/unit/test_multiboot2.c with malformed
 * input: every tag is bounds-checked against the total size, strings must
 * be NUL-terminated inside their tag, and the end tag must be present.
 *
 * Addresses inside tags (modules, framebuffer, ELF sections, RSDP copies)
 * are physical unless a field says otherwise. Strings point into the
 * multiboot information itself, which src/mm keeps reserved.
 *
 * Context: mb2_parse works on the caller's memory only (any context, no
 * locks); the boot pair at the end is described there.
 */
#ifndef BASALT_CORE_MULTIBOOT2_H
#define BASALT_CORE_MULTIBOOT2_H

#include <core/compiler.h>

#define MB2_BOOTLOADER_MAGIC    0x36D76289u

/* Tag types (Multiboot2 specification, section 3.6). */
enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_BOOTDEV = 5,
    MB2_TAG_MMAP = 6,
    MB2_TAG_VBE = 7,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_ELF_SECTIONS = 9,
    MB2_TAG_APM = 10,
    MB2_TAG_EFI32 = 11,
    MB2_TAG_EFI64 = 12,
    MB2_TAG_SMBIOS = 13,
    MB2_TAG_ACPI_OLD = 14,
    MB2_TAG_ACPI_NEW = 15,
    MB2_TAG_NETWORK = 16,
    MB2_TAG_EFI_MMAP = 17,
    MB2_TAG_EFI_BS = 18,
    MB2_TAG_EFI32_IH = 19,
    MB2_TAG_EFI64_IH = 20,
    MB2_TAG_LOAD_BASE_ADDR = 21,
};

/* Raw layouts, as the loader writes them. */
struct mb2_info_header {
    uint32_t total_size;
    uint32_t reserved;
};
struct mb2_tag {
    uint32_t type;
    uint32_t size;
};
struct mb2_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;
    uint32_t reserved;
};
struct mb2_tag_mmap {
    struct mb2_tag tag;
    uint32_t entry_size;
    uint32_t entry_version;
    /* struct mb2_mmap_entry entries[]; each entry_size bytes apart */
};
struct mb2_tag_module {
    struct mb2_tag tag;
    uint32_t mod_start;
    uint32_t mod_end;
    /* char cmdline[]; */
};
struct mb2_tag_basic_meminfo {
    struct mb2_tag tag;
    uint32_t mem_lower;
    uint32_t mem_upper;
};
struct mb2_tag_framebuffer {
    struct mb2_tag tag;
    uint64_t addr;
    uint32_t pitch;
    uint32_t width;
    uint32_t height;
    uint8_t bpp;
    uint8_t fb_type;
    uint16_t reserved;
    /* for fb_type == MB2_FB_RGB: */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
} __packed;
struct mb2_tag_elf_sections {
    struct mb2_tag tag;
    uint32_t num;
    uint32_t entsize;
    uint32_t shndx;
    /* Elf64_Shdr sections[]; */
};
struct mb2_tag_efi_mmap {
    struct mb2_tag tag;
    uint32_t desc_size;
    uint32_t desc_version;
    /* EFI memory descriptors */
};

_Static_assert(sizeof(struct mb2_info_header) == 8, "mb2 header layout");
_Static_assert(sizeof(struct mb2_tag) == 8, "mb2 tag layout");
_Static_assert(sizeof(struct mb2_mmap_entry) == 24, "mb2 mmap entry layout");
_Static_assert(sizeof(struct mb2_tag_mmap) == 16, "mb2 mmap tag layout");
_Static_assert(sizeof(struct mb2_tag_module) == 16, "mb2 module tag layout");
_Static_assert(sizeof(struct mb2_tag_basic_meminfo) == 16, "mb2 meminfo tag layout");
_Static_assert(offsetof(struct mb2_tag_framebuffer, fb_type) == 29, "mb2 fb tag layout");
_Static_assert(sizeof(struct mb2_tag_framebuffer) == 38, "mb2 fb tag layout");
_Static_assert(sizeof(struct mb2_tag_elf_sections) == 20, "mb2 elf tag layout");
_Static_assert(sizeof(struct mb2_tag_efi_mmap) == 16, "mb2 efi mmap tag layout");

/* Memory types, shared by the multiboot2 map and boot_info. */
enum boot_mem_type {
    BOOT_MEM_USABLE = 1,
    BOOT_MEM_RESERVED = 2,
    BOOT_MEM_ACPI_RECLAIMABLE = 3,
    BOOT_MEM_ACPI_NVS = 4,
    BOOT_MEM_BAD = 5,
};

enum boot_fb_type {
    BOOT_FB_INDEXED = 0,
    BOOT_FB_RGB = 1,
    BOOT_FB_EGA_TEXT = 2,
};

#define BOOT_MAX_MMAP       256
#define BOOT_MAX_MODULES    16

struct boot_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;              /* enum boot_mem_type; others kept as given */
};

struct boot_module {
    uint64_t start;             /* physical, inclusive */
    uint64_t end;               /* physical, exclusive */
    const char *cmdline;
};

struct boot_framebuffer {
    uint64_t addr;              /* physical */
    uint32_t pitch;             /* bytes per row */
    uint32_t width;             /* pixels, or characters for EGA text */
    uint32_t height;
    uint8_t bpp;
    uint8_t type;               /* enum boot_fb_type */
    uint8_t red_pos, red_size;
    uint8_t green_pos, green_size;
    uint8_t blue_pos, blue_size;
};

struct boot_info {
    uint64_t mbi_phys;          /* where the information block sits */
    uint32_t mbi_size;

    const char *cmdline;        /* "" when the loader gave none */
    const char *loader_name;    /* "" when unknown */

    bool has_basic_meminfo;
    uint32_t mem_lower_kib;
    uint32_t mem_upper_kib;

    struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
    size_t mmap_count;
    bool mmap_truncated;        /* more entries than BOOT_MAX_MMAP */

    struct boot_module modules[BOOT_MAX_MODULES];
    size_t module_count;
    bool modules_truncated;

    bool has_framebuffer;
    struct boot_framebuffer fb;

    const void *rsdp;           /* copy of the RSDP inside the tag, or NULL */
    uint32_t rsdp_size;
    uint8_t rsdp_version;       /* 1 (ACPI 1.0 RSDP) or 2 (XSDP) */

    const void *elf_shdrs;      /* Elf64_Shdr array inside the tag, or NULL */
    uint32_t elf_shnum;
    uint32_t elf_shentsize;
    uint32_t elf_shstrndx;

    const void *efi_mmap;       /* EFI memory descriptors, or NULL */
    uint32_t efi_mmap_size;
    uint32_t efi_desc_size;
    uint32_t efi_desc_version;

    bool efi;                   /* booted through UEFI (EFI system table or map tags) */
    uint32_t unknown_tags;      /* tags skipped because their type is unknown */
};

/*
 * Parses the multiboot2 information at mbi (a virtual address; at most
 * max_size bytes are ever read) into *out. mbi_phys is recorded as given.
 *
 * Returns 0, or -EINVAL when the block is malformed; *why (if why is not
 * NULL) then names the problem in a short phrase. A malformed optional tag
 * (for example a framebuffer tag too short for its type) is an error too:
 * the loader is not to be trusted past it.
 */
int mb2_parse(const void *mbi, size_t max_size, uint64_t mbi_phys,
              struct boot_info *out, const char **why);

/*
 * The kernel's parsed boot information, for every subsystem to read. kmain
 * hands it over once with mb2_set_boot_info, right after mb2_parse
 * succeeded; bi must stay valid for good. Until then mb2_boot_info returns
 * an empty boot_info (never NULL). Context: any; written once on the boot
 * CPU before other CPUs run, so no lock.
 */
void mb2_set_boot_info(const struct boot_info *bi);
const struct boot_info *mb2_boot_info(void);

#endif
