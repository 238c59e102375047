/*
 * PCI configuration space as a pure library: enumeration, BARs, interrupt pin
 * and line, the capability list (user/lib/weft/pci.c, docs/devices.md "PCI and
 * virtio"). Every access goes through struct pci_access, so one enumeration
 * reads the real bus through either back end (legacy mechanism #1 through an
 * IOPort cap: pci_io_read32/write32 on x86-64; ECAM, memory-mapped
 * configuration space: pci_ecam_read32/write32, decision 147) and the host
 * tests read a fake one. The library trusts nothing it reads:
 * malformed BARs, capability loops and out-of-range offsets are errors, and
 * every walk has a fixed bound.
 */
#ifndef WF_PCI_H
#define WF_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pci_status {
    PCI_OK = 0,
    PCI_ERR_ABSENT,  /* no function at this address (vendor 0xffff) */
    PCI_ERR_IO,      /* the access function failed */
    PCI_ERR_RANGE,   /* an offset or index outside configuration space / the BARs */
    PCI_ERR_BAD_BAR, /* a BAR whose size or base makes no sense */
    PCI_ERR_BAD_CAP, /* a capability pointer or length outside the space */
    PCI_ERR_LOOP,    /* the capability list does not end */
    PCI_ERR_FULL,    /* more functions than the caller's array holds */
};

/* Reads/writes the aligned 32-bit word at offset off (0-0xfc) of bus:dev.fn;
 * 0 on success, nonzero when the access itself failed. */
struct pci_access {
    void *ctx;
    int (*read32)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val);
    int (*write32)(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val);
};

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_IO, PCI_BAR_MEM32, PCI_BAR_MEM64 };

struct pci_bar {
    uint64_t base;
    uint64_t size;
    uint8_t kind;  /* enum pci_bar_kind; the upper half of a MEM64 is NONE */
    bool prefetch; /* memory BARs */
};

#define PCI_BARS 6

struct pci_func {
    uint8_t bus, dev, fn;
    uint16_t vendor, device;
    uint8_t class_code, subclass, prog_if, revision;
    uint8_t header_type; /* without the multi-function bit */
    uint8_t irq_line, irq_pin;
    uint16_t status;
    struct pci_bar bar[PCI_BARS]; /* filled by pci_size_bars (type 0 headers only) */
};

/* Configuration registers of a type 0 header (PCI Local Bus 3.0, section 6.1). */
#define PCI_VENDOR_ID     0x00
#define PCI_COMMAND       0x04
#define PCI_STATUS        0x06
#define PCI_CLASS_REV     0x08
#define PCI_HEADER_TYPE   0x0e
#define PCI_BAR0          0x10
#define PCI_SECONDARY_BUS 0x19 /* type 1 (bridge) header */
#define PCI_CAP_PTR       0x34
#define PCI_INTERRUPT     0x3c /* line, then pin at 0x3d */

#define PCI_COMMAND_IO       0x1
#define PCI_COMMAND_MEMORY   0x2
#define PCI_COMMAND_MASTER   0x4
#define PCI_COMMAND_INTX_OFF 0x400
#define PCI_STATUS_CAP_LIST  0x10
#define PCI_STATUS_INTERRUPT 0x08
#define PCI_CAP_ID_VENDOR    0x09
#define PCI_CONFIG_SIZE      256
#define PCI_CAP_MAX          48 /* (256 - 64) / 4: more entries means a loop */

/* Reads n (1, 2 or 4) bytes at off, which must not cross a 32-bit word. */
enum pci_status pci_read(const struct pci_access *a, uint8_t bus, uint8_t dev, uint8_t fn,
                         uint16_t off, unsigned n, uint32_t *val);
/* Writes n (1, 2 or 4) bytes at off by read-modify-write of the word. */
enum pci_status pci_write(const struct pci_access *a, uint8_t bus, uint8_t dev, uint8_t fn,
                          uint16_t off, unsigned n, uint32_t val);

/* Reads the identity and interrupt registers of bus:dev.fn into *f (its BARs
 * zeroed); PCI_ERR_ABSENT when no function answers. */
enum pci_status pci_read_function(const struct pci_access *a, uint8_t bus, uint8_t dev, uint8_t fn,
                                  struct pci_func *f);

/* Sizes f's BARs (type 0 header): turns I/O and memory decoding off, writes
 * all-ones to each BAR, reads the mask back, restores the BAR and the command
 * register. A BAR reading 0 both ways is unimplemented (PCI_BAR_NONE).
 * PCI_ERR_BAD_BAR for a mask that is not a contiguous run of high bits, a base
 * not aligned to the size, a range that wraps or passes 4 GiB (32-bit BARs) or
 * 64 KiB (I/O), or a 64-bit BAR in the last slot. Restores the registers
 * whatever happens. */
enum pci_status pci_size_bars(const struct pci_access *a, struct pci_func *f);

/* Enumerates bus 0 and the buses behind bridges (each bus once), every function
 * of multi-function devices. Fills out[0..*count) with pci_read_function's
 * result (BARs not sized); PCI_ERR_FULL when max is too small (the first max are
 * kept). */
enum pci_status pci_enumerate(const struct pci_access *a, struct pci_func *out, size_t max,
                              size_t *count);

/* Capability list walk: *pos 0 starts at the list head, after the call *pos is
 * the offset of the next capability and *id its ID; returns PCI_ERR_ABSENT at
 * the end of the list (or when the function has none), PCI_ERR_BAD_CAP for a
 * pointer below 0x40 or whose 2-byte header passes the space, PCI_ERR_LOOP
 * after PCI_CAP_MAX entries. *visited counts entries (start it at 0). */
enum pci_status pci_cap_next(const struct pci_access *a, const struct pci_func *f, uint8_t *pos,
                             uint8_t *id, unsigned *visited);

/* Copies len bytes of configuration space from off (byte-wise reads through
 * the word accessor) into buf; PCI_ERR_RANGE when off + len passes 256. */
enum pci_status pci_read_bytes(const struct pci_access *a, const struct pci_func *f, uint16_t off,
                               void *buf, size_t len);

/* A short English name of s. */
const char *pci_status_name(enum pci_status s);

/* Mechanism #1 (x86 ports 0xcf8/0xcfc) through an IOPort cap over 0xcf8-0xcff;
 * ctx points at the cap's wf_cptr_t. Not in host builds. */
int pci_io_read32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val);
int pci_io_write32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val);

/* ECAM (PCI Express Base Specification 4.0, section 7.2.2): the 4 KiB of
 * configuration space of bus:dev.fn lie at (bus - bus_first) << 20 | dev << 15
 * | fn << 12 in a window of size bytes. Sets *out to the offset of register
 * off (aligned to 4, below 4096) in the window; false when bus lies outside
 * [bus_first, bus_last], dev > 31, fn > 7, off is unaligned or too large, or
 * the offset passes size. */
bool pci_ecam_offset(uint64_t size, unsigned bus_first, unsigned bus_last, unsigned bus,
                     unsigned dev, unsigned fn, unsigned off, uint64_t *out);

#define PCI_ECAM_BUS_BYTES (1u << 20)

/* An ECAM window, mapped one bus (1 MiB) at a time on first use: map(map_ctx,
 * i) returns the address where bus bus_first + i's configuration space is
 * mapped, NULL when it cannot be. A read of a bus outside the window gives
 * all ones (no function there: what hardware answers); a write to one, or
 * any access when map fails, is an access error. ctx of pci_access points at
 * this structure. */
struct pci_ecam {
    uint64_t size;
    unsigned bus_first, bus_last;
    volatile uint8_t *(*map)(void *map_ctx, unsigned index);
    void *map_ctx;
    volatile uint8_t *bus_va[256]; /* by index, filled by map */
};
int pci_ecam_read32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val);
int pci_ecam_write32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val);

#endif
