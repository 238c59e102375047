/*
 * Boot-protocol parsers for x86_64: PVH hvm_start_info and Multiboot2. Each
 * turns the loader's information into the boot memory description, validating
 * every size, count and pointer: a malformed or missing structure gives an error
 * message naming what is wrong, never a crash or a silent hang.
 *
 * Physical memory is read only through phys(pa, len), which returns a pointer to
 * [pa, pa+len) or NULL if that range cannot be read (the boot code maps the
 * first 4 GiB; host tests pass a fake memory).
 */
#ifndef WEFT_ARCH_BOOTINFO_H
#define WEFT_ARCH_BOOTINFO_H

#include "core/bootmem.h"

typedef const void *(*bootinfo_phys_fn)(paddr_t pa, size_t len);

/* PVH (Xen hvm_start_info, version >= 1). Returns NULL on success, else why. */
const char *bootinfo_parse_pvh(struct bootmem *bm, paddr_t info, bootinfo_phys_fn phys);

/* Multiboot2 information at info, entered with magic in %eax. Returns NULL on
 * success, else why. */
const char *bootinfo_parse_mb2(struct bootmem *bm, uint32_t magic, paddr_t info,
                               bootinfo_phys_fn phys);

/* Limits: larger values are rejected as malformed. */
#define BOOTINFO_MAX_MMAP_ENTRIES 1024
#define BOOTINFO_MAX_MB2_SIZE     (1u << 20)

/* e820 type to boot memory type. */
enum bootmem_type bootinfo_e820_type(uint32_t t);

#endif
