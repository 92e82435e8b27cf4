/*
 * src/core/ksym.c - kernel symbol lookup (see include/core/ksym.h).
 *
 * Part of core. Symbols are searched linearly: backtraces are rare and the
 * kernel has a few thousand symbols at most. Every index read from the
 * section headers is range-checked first.
 */
#include <core/ksym.h>
#include <core/elf.h>
#include <core/errno.h>
#include <core/format.h>
#include <core/multiboot2.h>
#include <core/string.h>
#include <core/layout.h>

static const Elf64_Sym *symtab;
static size_t sym_count;
static const char *strtab;
static size_t strtab_size;
static size_t func_count;

/*
 * Where GRUB put a non-allocated section: the physical address it loaded
 * it at, which must lie inside RAM the direct map covers. NULL otherwise.
 */
static bool (*ram_check)(uint64_t pa, uint64_t len);   /* ksym_init's is_ram */

static const void *section_data(const Elf64_Shdr *sh)
{
    if (sh->sh_addr == 0 || sh->sh_size == 0 || sh->sh_addr >= PHYS_ADDR_LIMIT ||
        sh->sh_size > PHYS_ADDR_LIMIT - sh->sh_addr || !ram_check(sh->sh_addr, sh->sh_size))
        return NULL;
    return phys_to_virt(sh->sh_addr);
}

/* Section header i; the tag only 4-byte aligns the array, so copy it out. */
static void read_shdr(const struct boot_info *bi, uint32_t i, Elf64_Shdr *out)
{
    memcpy(out, (const uint8_t *)bi->elf_shdrs + (size_t)i * bi->elf_shentsize, sizeof(*out));
}

int ksym_init(const struct boot_info *bi, bool (*is_ram)(uint64_t pa, uint64_t len))
{
    Elf64_Shdr sh, str;

    ram_check = is_ram;
    if (!bi->elf_shdrs || bi->elf_shentsize < sizeof(Elf64_Shdr))
        return -ENOENT;
    for (uint32_t i = 0; i < bi->elf_shnum; i++) {
        read_shdr(bi, i, &sh);
        if (sh.sh_type != SHT_SYMTAB)
            continue;
        if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_link >= bi->elf_shnum)
            return -EINVAL;
        read_shdr(bi, sh.sh_link, &str);
        if (str.sh_type != SHT_STRTAB)
            return -EINVAL;
        symtab = section_data(&sh);
        strtab = section_data(&str);
        if (!symtab || !strtab || (uintptr_t)symtab % 8) {
            symtab = NULL;
            strtab = NULL;
            return -EINVAL;
        }
        sym_count = sh.sh_size / sizeof(Elf64_Sym);
        strtab_size = str.sh_size;
        for (size_t s = 0; s < sym_count; s++)
            if (ELF64_ST_TYPE(symtab[s].st_info) == STT_FUNC)
                func_count++;
        return 0;
    }
    return -ENOENT;
}

size_t ksym_count(void)
{
    return func_count;
}

static const char *sym_name(const Elf64_Sym *s)
{
    if (s->st_name >= strtab_size || !memchr(strtab + s->st_name, '\0',
                                             strtab_size - s->st_name))
        return NULL;
    return strtab + s->st_name;
}

static bool is_marker(const Elf64_Sym *s)
{
    const char *n = sym_name(s);
    return !n || (n[0] == '_' && n[1] == '_');
}

/*
 * FUNC symbols carry a size, so containment is exact. Assembly labels are
 * NOTYPE with size 0: they match as "the nearest label below addr" inside
 * the text segment, which is what a backtrace through isr.asm wants.
 */
const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
    const Elf64_Sym *best = NULL;

    if (!symtab)
        return NULL;
    for (size_t i = 0; i < sym_count; i++) {
        const Elf64_Sym *s = &symtab[i];
        uint8_t type = ELF64_ST_TYPE(s->st_info);

        if (s->st_value > addr || s->st_name == 0)
            continue;
        if (type == STT_FUNC && s->st_size && addr < s->st_value + s->st_size) {
            best = s;
            break;
        }
        /* on a tie prefer a real label to a linker-script marker such as __text_start */
        if (type == STT_NOTYPE && s->st_size == 0 && addr < (uintptr_t)__text_end &&
            s->st_value >= (uintptr_t)__text_start &&
            (!best || s->st_value > best->st_value ||
             (s->st_value == best->st_value && is_marker(best))))
            best = s;
    }
    if (!best)
        return NULL;
    if (offset)
        *offset = addr - best->st_value;
    return sym_name(best);
}

uintptr_t ksym_address(const char *name)
{
    for (size_t i = 0; symtab && i < sym_count; i++) {
        const char *n = sym_name(&symtab[i]);
        if (n && strcmp(n, name) == 0)
            return symtab[i].st_value;
    }
    return 0;
}

char *ksym_format(uintptr_t addr, char *buf, size_t size)
{
    uintptr_t off = 0;
    const char *name = ksym_lookup(addr, &off);

    if (name)
        snprintf(buf, size, "%s+0x%lx", name, (unsigned long)off);
    else
        snprintf(buf, size, "?");
    return buf;
}
