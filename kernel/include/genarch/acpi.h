/*
 * ACPI tables, as far as the kernel needs them: the RSDP, the root table
 * (RSDT or XSDT) and the MADT ("APIC"), turned into struct platform_info.
 *
 * Pure code with no kernel globals, so the same file is host-tested and fuzzed
 * (like lib/cpio.c). Firmware memory is read only through a caller-supplied
 *
 *     const void *map(paddr_t pa, size_t len, void *ctx)
 *
 * which returns a pointer to len readable bytes at pa, or NULL when they cannot
 * be read. The pointer stays valid only until the next call of map: the parser
 * never holds two mappings at once and copies out every field it keeps, so the
 * kernel can read firmware memory through one small sliding window.
 *
 * Nothing the firmware says is trusted: every length is checked against its
 * container before use, every table used is checked (signature, length, checksum),
 * and a failure leaves the caller's output untouched.
 */
#ifndef WEFT_GENARCH_ACPI_H
#define WEFT_GENARCH_ACPI_H

#include "genarch/platform.h"
#include "types.h"

typedef const void *(*acpi_map_fn)(paddr_t pa, size_t len, void *ctx);

#define ACPI_RSDP_V1_LEN  20         /* ACPI 1.0 RSDP: up to the RSDT address */
#define ACPI_RSDP_V2_LEN  36         /* ACPI 2.0+ RSDP: length, XSDT, extended checksum */
#define ACPI_RSDP_MAX_LEN 1024       /* a longer RSDP length field is refused */
#define ACPI_SDT_HDR_LEN  36         /* every system description table's header */
#define ACPI_TABLE_MAX    (1u << 20) /* a longer root table or MADT is refused */

/* Where the BIOS areas lie that the RSDP scan reads (ACPI 6.5 section 5.2.5.1). */
#define ACPI_BDA_EBDA_SEGMENT 0x40eu   /* 16-bit real-mode segment of the EBDA */
#define ACPI_EBDA_SCAN_LEN    1024u    /* the EBDA's first KiB */
#define ACPI_BIOS_AREA        0xe0000u /* 0xE0000-0xFFFFF */
#define ACPI_BIOS_AREA_LEN    0x20000u

enum acpi_err {
    ACPI_OK = 0,
    ACPI_ERR_UNREADABLE, /* map() refused a range a table lies in */
    ACPI_ERR_NOT_FOUND,  /* no RSDP (scan), or no MADT in the root table */
    ACPI_ERR_SIGNATURE,  /* a table does not carry the signature it must */
    ACPI_ERR_CHECKSUM,   /* a table's bytes (the RSDP's first 20) do not sum to 0 */
    ACPI_ERR_XCHECKSUM,  /* the ACPI 2.0 RSDP's extended checksum is wrong */
    ACPI_ERR_LENGTH,     /* a length is below its header, above its container or
                            ACPI_TABLE_MAX, or a root table is not whole entries */
    ACPI_ERR_ENTRY,      /* a MADT entry is shorter than 2 bytes or than its type
                            needs, or runs past the table */
};

/* The facts of a checked RSDP. */
struct acpi_rsdp {
    uint8_t revision; /* 0: ACPI 1.0 (RSDT only); >= 2: ACPI 2.0+ (XSDT) */
    char oem[7];      /* OEM id, NUL-terminated */
    paddr_t rsdt;     /* 32-bit root table address */
    paddr_t xsdt;     /* 64-bit root table address (0 before revision 2) */
};

/* What a parse did, for the boot log and the tests. Filled as far as the parse
 * got, on failure too: table names the table at fault. */
struct acpi_report {
    char table[5];            /* "RSDP", "XSDT", "RSDT", "APIC": the last table looked at */
    paddr_t where;            /* its physical address */
    bool xsdt;                /* the root table was the XSDT (else the RSDT) */
    unsigned overrides;       /* ISA interrupt source overrides applied */
    unsigned overrides_bad;   /* overrides ignored: bus not ISA or source IRQ >= 16 */
    unsigned ioapics_dropped; /* I/O APICs beyond PLATFORM_MAX_IOAPICS (ignored) */
    bool lapic_override;      /* a type 5 entry replaced the 32-bit local APIC address */
    unsigned cpus_disabled;   /* processor entries without the enabled flag (skipped) */
    unsigned cpus_dropped;    /* enabled processors beyond PLATFORM_MAX_CPUS (counted only) */
};

/* Checks the RSDP in the avail bytes at p: signature "RSD PTR ", checksum of the
 * first 20 bytes, and for revision >= 2 a length of at least 36 that fits in
 * avail and the extended checksum over it. Fills *out on ACPI_OK. */
enum acpi_err acpi_rsdp_check(const void *p, size_t avail, struct acpi_rsdp *out);

/* Reads and checks the RSDP at physical address pa through map. */
enum acpi_err acpi_rsdp_read(paddr_t pa, acpi_map_fn map, void *ctx, struct acpi_rsdp *out);

/* Looks for the RSDP where a PC BIOS leaves it: the first KiB of the EBDA (its
 * segment read from the BIOS data area at 0x40e), then 0xE0000-0xFFFFF, on
 * 16-byte boundaries; the first candidate that passes acpi_rsdp_check wins.
 * Returns ACPI_OK with *out and *where filled, or ACPI_ERR_NOT_FOUND. */
enum acpi_err acpi_rsdp_scan(acpi_map_fn map, void *ctx, struct acpi_rsdp *out, paddr_t *where);

/* Finds the table with signature sig (4 characters) through the root table of
 * rsdp: the XSDT when revision >= 2 and its address is set, else the RSDT. The
 * root table and the table found are checked (signature, length, checksum);
 * entries that cannot be read are skipped. Returns ACPI_OK with *pa and *len. */
enum acpi_err acpi_find_table(const struct acpi_rsdp *rsdp, const char *sig, acpi_map_fn map,
                              void *ctx, paddr_t *pa, uint32_t *len, struct acpi_report *rep);

/* Finds and parses the MADT: local APIC address (and its type 5 override),
 * PCAT_COMPAT, local APICs (counted), I/O APICs (the first PLATFORM_MAX_IOAPICS
 * in table order; the rest counted in rep->ioapics_dropped), ISA interrupt source
 * overrides (an ISA IRQ with none is identity-mapped with flags 0). On ACPI_OK
 * every field of *out is written (acpi = true); on any error *out is untouched.
 * rep may not be NULL. */
enum acpi_err acpi_madt_parse(const struct acpi_rsdp *rsdp, acpi_map_fn map, void *ctx,
                              struct platform_info *out, struct acpi_report *rep);

/* Short description of an error ("bad checksum", ...). */
const char *acpi_strerror(enum acpi_err e);

#endif /* WEFT_GENARCH_ACPI_H */
