/*
 * The client side of the PCI bus server user/pcibus (user/lib/weft/pci_bus.c;
 * protocol abi/protocols/pci.proto; docs/devices.md, "The PCI bus server";
 * decision 120): a driver claims its device and reaches its configuration
 * space through the server, with the same struct pci_access the PCI library
 * (wf/pci.h) takes, so code that reads capability lists (virtio_pci.c) runs
 * unchanged over it. Also the start contract of the server and of drivers.
 */
#ifndef WF_PCI_BUS_H
#define WF_PCI_BUS_H

#include <stdint.h>

#include "weft/errors.h"
#include "weft/types.h"
#include "wf/pci.h"

/* The bus server's slots: init's `devmem` option puts a copy of each device
 * untyped (at most PCIBUS_DEVMEM_MAX) from PCIBUS_SLOT_DEVMEM on; `irqcontrol`
 * a copy of IRQControl in WF_CHILD_IRQ. */
#define PCIBUS_SLOT_DEVMEM 16
#define PCIBUS_DEVMEM_MAX  64

/* A driver's slot for the bus server's endpoint: one its parent put there
 * (the in-guest tests), else pci_bus_claim looks "pcibus" up into it. */
#define PCI_BUS_SLOT 16

/* The exit status of a driver that found no device to drive: init does not
 * restart a server that exits with it (state EXITED). 69 is sysexits.h's
 * EX_UNAVAILABLE. */
#define WF_EXIT_NO_DEVICE 69

/* A claimed device: the server cap and the device's index. Its configuration
 * accessor (pci_bus_access) takes a pointer to it as context. */
struct pci_bus_dev {
    wf_cptr_t ep;
    wf_word_t index;
};

/* Claims the nth device matching vendor, device, cls (WFP_PCI_ANY: all)
 * through the endpoint in slot, and fills *f (identity, interrupt, BARs as
 * the server sized them). When the slot is empty or its server gone, looks
 * "pcibus" up into it (wf_reconnect) and tries once more. Returns the Claim's
 * error (FAILED_LOOKUP: no such device) or the lookup's. */
enum wf_error pci_bus_claim(struct pci_bus_dev *d, wf_cptr_t slot, wf_word_t vendor,
                            wf_word_t device, wf_word_t cls, wf_word_t nth, struct pci_func *f);

/* struct pci_access over the server for a claimed device (ctx: its struct
 * pci_bus_dev; bus:dev.fn ignored). Reads are ConfigRead; a write is allowed
 * to the command register only (offset 4: its COMMAND_BITS go through
 * SetCommand, the rest is dropped) and fails elsewhere. */
int pci_bus_read32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val);
int pci_bus_write32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val);

#endif
