/*
 * ELF64 headers as the host tests of ELF parsers (kernel/lib/elf.c,
 * user/lx/lxelf.c) build them in a buffer, field by field.
 */
#ifndef ELF_IMAGE_H
#define ELF_IMAGE_H

#include <stdint.h>

struct ehdr {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#endif
