/*
 * The boot memory description: one list of physical ranges, whatever the boot
 * protocol (PVH start_info, Multiboot2, later a DTB). The boot-protocol parser
 * fills it; the kernel then marks its own image, the modules and the early page
 * tables; the physical memory manager takes over the BOOTMEM_USABLE ranges.
 *
 * Invariants: regions are sorted by base, do not overlap, are non-empty, and
 * adjacent regions of the same type are merged. Storage is a fixed array (no
 * allocator exists yet); BOOTMEM_MAX_REGIONS bounds it and overflowing it is
 * reported, never silently truncated.
 */
#ifndef WEFT_CORE_BOOTMEM_H
#define WEFT_CORE_BOOTMEM_H

#include "types.h"

enum bootmem_type {
    BOOTMEM_USABLE = 1,   /* free RAM */
    BOOTMEM_RESERVED,     /* firmware or device: never touch */
    BOOTMEM_ACPI_RECLAIM, /* ACPI tables; RAM once parsed */
    BOOTMEM_ACPI_NVS,     /* firmware storage */
    BOOTMEM_BAD,          /* faulty RAM */
    BOOTMEM_KERNEL,       /* the kernel image */
    BOOTMEM_MODULE,       /* a boot module (the initramfs) */
    BOOTMEM_EARLY,        /* taken by bootmem_alloc_early (page tables) */
};

#define BOOTMEM_MAX_REGIONS 128
#define BOOTMEM_MAX_MODULES 8
#define BOOTMEM_CMDLINE_MAX 512
#define BOOTMEM_RSDP_MAX    64 /* bytes of an RSDP copy kept (ACPI 2.0: 36) */

struct bootmem_region {
    paddr_t base;
    paddr_t size;
    enum bootmem_type type;
};

struct bootmem_module {
    paddr_t base;
    paddr_t size;
    char name[64];
};

struct bootmem {
    struct bootmem_region r[BOOTMEM_MAX_REGIONS];
    unsigned n;
    struct bootmem_module mod[BOOTMEM_MAX_MODULES];
    unsigned nmod;
    char cmdline[BOOTMEM_CMDLINE_MAX];
    const char *protocol; /* "pvh", "multiboot2" */
    /* Where the ACPI RSDP is, as the boot protocol says: PVH gives its physical
     * address; Multiboot2 gives a copy of its bytes (tag 15, ACPI 2.0+, preferred
     * over tag 14, ACPI 1.0). Both empty: the BIOS areas must be scanned. */
    paddr_t acpi_rsdp_paddr;
    uint8_t acpi_rsdp[BOOTMEM_RSDP_MAX];
    unsigned acpi_rsdp_len; /* bytes of acpi_rsdp in use (0: no copy) */
    bool overflow;          /* a region or module did not fit: boot must stop */
    bool sealed;            /* the PMM owns the usable ranges: no more early allocation */
};

/* Empties bm. */
void bootmem_init(struct bootmem *bm);

/* Sets the type of [base, base+size) to type, splitting and merging regions so the
 * invariants hold. Returns false (and sets bm->overflow) if the array is full. */
bool bootmem_set(struct bootmem *bm, paddr_t base, paddr_t size, enum bootmem_type type);

/* Adds a firmware memory-map entry. Entries may arrive unsorted and overlapping;
 * where a usable entry overlaps a non-usable one, the non-usable type wins
 * whatever the order of arrival. Usable ranges are trimmed inward to MMU pages. */
bool bootmem_add_firmware(struct bootmem *bm, paddr_t base, paddr_t size, enum bootmem_type t);

/* Records a boot module and marks its pages BOOTMEM_MODULE. */
bool bootmem_add_module(struct bootmem *bm, paddr_t base, paddr_t size, const char *name);

/* Takes size bytes (a multiple of the MMU page) aligned to align from the highest
 * usable range below limit, marks them BOOTMEM_EARLY and returns the physical
 * address, or 0 if nothing fits. Panics once bm is sealed (a kernel bug: that
 * memory belongs to the PMM). */
paddr_t bootmem_alloc_early(struct bootmem *bm, paddr_t size, paddr_t align, paddr_t limit);

/* Marks the hand-off of the usable ranges to the PMM (see bootmem_alloc_early). */
void bootmem_seal(struct bootmem *bm);

/* Sum of the sizes of regions of the given type. */
paddr_t bootmem_total(const struct bootmem *bm, enum bootmem_type type);

/* One past the highest address of any RAM region (usable, kernel, module, early,
 * ACPI): the extent the direct map must cover. */
paddr_t bootmem_ram_top(const struct bootmem *bm);

/* True for types that are RAM the kernel may map cacheable. */
bool bootmem_is_ram(enum bootmem_type type);

/* Short name of a type ("usable", "reserved", ...). */
const char *bootmem_type_name(enum bootmem_type type);

/* Prints the description to the console. */
void bootmem_print(const struct bootmem *bm);

/* Returns the value of key in the command line ("key=value" gives value, a bare
 * "key" gives ""), copied into buf; NULL if key is absent. */
const char *bootmem_cmdline_get(const struct bootmem *bm, const char *key, char *buf, size_t n);

#endif
