/*
 * The start-up every virtio PCI driver shares (user/vblk, user/vrng;
 * docs/devices.md, "PCI and virtio"): claim the function from the PCI bus
 * server (wf/pci_bus.h), read its virtio capabilities through the server, map
 * the device VMO of the BAR holding them, turn on memory decoding and bus
 * mastering, and bind the function's IRQHandler (its INTx line) to a new
 * notification bound to the calling thread. Also the DMA memory drivers give
 * their devices: contiguous VMOs from the pool, mapped, by physical address.
 */
#ifndef WF_VIRTIO_DRV_H
#define WF_VIRTIO_DRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/types.h"
#include "wf/pci.h"
#include "wf/pci_bus.h"
#include "wf/virtio.h"

#define VIRTIO_PCI_VENDOR 0x1af4

/* Where virtio_drv_open takes its caps and puts what it gets. */
struct virtio_drv_cfg {
    const uint16_t *ids; /* PCI device IDs of vendor 0x1af4 to claim (the first found) */
    size_t nids;
    wf_cptr_t bus;            /* the bus server's endpoint (PCI_BUS_SLOT) */
    wf_cptr_t irq, mmio;      /* free slots: the IRQHandler, the BAR's device VMO */
    wf_cptr_t ntfn, ntfn_irq; /* free slots: notification, its badged copy */
    uintptr_t mmio_va;        /* where the BAR's VMO is mapped */
    wf_word_t irq_bit;        /* the notification bit the interrupt sets */
};

struct virtio_drv {
    struct pci_bus_dev bus;
    struct pci_access acc; /* configuration space through the bus server */
    struct pci_func fn;
    struct virtio_pci_caps caps;
    struct virtio_pci pci;
    struct virtio_dev dev;
    bool absent; /* virtio_drv_open failed because the bus has no such device */
};

/* Does the start-up above into v (the device left in reset, not negotiated).
 * NULL on success, else why not (a sentence fragment for the driver's
 * message); v->absent tells "no such device" (exit WF_EXIT_NO_DEVICE) from
 * the rest. */
const char *virtio_drv_open(struct virtio_drv *v, const struct virtio_drv_cfg *c);

/* Makes a contiguous VMO of len bytes in slot of the caller's CNode from its
 * pool and maps it read-write at va; its physical address, 0 on failure. */
uint64_t virtio_drv_dma_alloc(wf_cptr_t slot, wf_word_t len, uintptr_t va);

#endif
