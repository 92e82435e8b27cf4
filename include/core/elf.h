/*
 * include/core/elf.h - ELF64 structures (System V gABI, x86-64 psABI).
 *
 * Part of core; header only. Used by the symbol table reader (core/ksym)
 * and later by the program loader. Layouts are checked at compile time.
 */
#ifndef BASALT_CORE_ELF_H
#define BASALT_CORE_ELF_H

#include <core/compiler.h>

typedef struct {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
} Elf64_Shdr;

typedef struct {
    uint32_t st_name;
    uint8_t st_info;
    uint8_t st_other;
    uint16_t st_shndx;
    uint64_t st_value;
    uint64_t st_size;
} Elf64_Sym;

_Static_assert(sizeof(Elf64_Shdr) == 64, "Elf64_Shdr layout");
_Static_assert(sizeof(Elf64_Sym) == 24, "Elf64_Sym layout");

#define SHT_NULL        0
#define SHT_PROGBITS    1
#define SHT_SYMTAB      2
#define SHT_STRTAB      3
#define SHT_NOBITS      8

#define SHF_ALLOC       0x2

#define ELF64_ST_TYPE(i)    ((i) & 0xF)
#define STT_NOTYPE      0
#define STT_OBJECT      1
#define STT_FUNC        2

#endif
