/*
 * PCI configuration mechanism #1 (x86): the address of a 32-bit register goes
 * to port 0xcf8 (bit 31 enable, bus 23:16, device 15:11, function 10:8,
 * register 7:2), the data moves through port 0xcfc (PCI Local Bus
 * Specification 3.0, section 3.2.2.3.2). The driver holds an IOPort cap over
 * 0xcf8-0xcff; ctx points at its wf_cptr_t. The address/data pair is not
 * atomic: one thread of one program drives it.
 */
#include "weft/invoke.h"
#include "wf/pci.h"

#define PCI_IO_ADDRESS 0xcf8
#define PCI_IO_DATA    0xcfc

static wf_word_t cf8(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
    return 0x80000000u | (wf_word_t)bus << 16 | (wf_word_t)(dev & 31) << 11 |
           (wf_word_t)(fn & 7) << 8 | (off & 0xfc);
}

int pci_io_read32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val)
{
    wf_cptr_t io = *(const wf_cptr_t *)ctx;
    wf_word_t v = 0;
    if (wf_ioport_out(io, PCI_IO_ADDRESS, 4, cf8(bus, dev, fn, off)) != WF_ERR_OK ||
        wf_ioport_in(io, PCI_IO_DATA, 4, &v) != WF_ERR_OK)
        return -1;
    *val = (uint32_t)v;
    return 0;
}

int pci_io_write32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val)
{
    wf_cptr_t io = *(const wf_cptr_t *)ctx;
    if (wf_ioport_out(io, PCI_IO_ADDRESS, 4, cf8(bus, dev, fn, off)) != WF_ERR_OK ||
        wf_ioport_out(io, PCI_IO_DATA, 4, val) != WF_ERR_OK)
        return -1;
    return 0;
}
