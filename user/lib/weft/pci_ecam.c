/*
 * PCI configuration space through ECAM, the memory-mapped mechanism of PCI
 * Express (PCI Express Base Specification 4.0, section 7.2.2) that a
 * device-tree host bridge ("pci-host-ecam-generic": QEMU's aarch64 and riscv64
 * virt) offers: every function's 4 KiB of registers at a fixed place in one
 * window, so a register is a load or a store, with no address/data pair to
 * keep atomic. The window is mapped one bus at a time as the enumeration
 * reaches it (struct pci_ecam's map), so a bus server maps the 1 MiB of each
 * bus it walks and not the 256 MiB of the whole range. Behind the same
 * struct pci_access as mechanism #1 (pci_io.c): one enumeration, two back
 * ends (decision 147).
 */
#include "wf/pci.h"

bool pci_ecam_offset(uint64_t size, unsigned bus_first, unsigned bus_last, unsigned bus,
                     unsigned dev, unsigned fn, unsigned off, uint64_t *out)
{
    if (bus_first > bus_last || bus_last > 255 || bus < bus_first || bus > bus_last || dev > 31 ||
        fn > 7 || off > 0xffc || off % 4)
        return false;
    uint64_t at = (uint64_t)(bus - bus_first) << 20 | dev << 15 | fn << 12 | off;
    if (at + 4 > size)
        return false;
    *out = at;
    return true;
}

/* The address of the register, mapping its bus first; NULL for a register
 * outside the window or a bus map could not map. */
static volatile uint32_t *reg(struct pci_ecam *e, uint8_t bus, uint8_t dev, uint8_t fn,
                              uint16_t off)
{
    uint64_t at;
    if (!pci_ecam_offset(e->size, e->bus_first, e->bus_last, bus, dev, fn, off, &at))
        return NULL;
    unsigned i = bus - e->bus_first;
    if (!e->bus_va[i] && (!e->map || !(e->bus_va[i] = e->map(e->map_ctx, i))))
        return NULL;
    return (volatile uint32_t *)(e->bus_va[i] + (at & (PCI_ECAM_BUS_BYTES - 1)));
}

int pci_ecam_read32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val)
{
    struct pci_ecam *e = ctx;
    if (bus < e->bus_first || bus > e->bus_last) {
        *val = 0xffffffffu; /* nothing answers there */
        return 0;
    }
    volatile uint32_t *r = reg(e, bus, dev, fn, off);
    if (!r)
        return -1;
    *val = *r;
    return 0;
}

int pci_ecam_write32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val)
{
    volatile uint32_t *r = reg(ctx, bus, dev, fn, off);
    if (!r)
        return -1;
    *r = val;
    return 0;
}
