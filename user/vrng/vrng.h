/*
 * The virtio-rng driver (user/vrng/): its start contract.
 *
 * Caps the parent gives (wf/startinfo.h slots): SERVE (the rng protocol
 * endpoint), POOL (its memory, DMA rings and buffers included) and either
 * NAME with "pcibus" visible (init: sees=pcibus) or the bus server's endpoint
 * in PCI_BUS_SLOT (wf/pci_bus.h). The device's BAR and interrupt line come
 * from the bus server (Claim, GetCap).
 */
#ifndef VRNG_VRNG_H
#define VRNG_VRNG_H

#define VRNG_PCI_MODERN 0x1044 /* 0x1040 + device type 4 */
#define VRNG_PCI_TRANS  0x1005 /* transitional; driven through its modern interface */

#endif
