/*
 * The start-up every virtio PCI driver shares (wf/virtio_drv.h).
 */
#include "wf/virtio_drv.h"

#include "weft/invoke.h"
#include "wf/proto/pci.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"

uint64_t virtio_drv_dma_alloc(wf_cptr_t slot, wf_word_t len, uintptr_t va)
{
    wf_word_t kind = 0, pa = 0;
    if (wf_pool_create_contig(WF_CHILD_POOL, len, WF_CHILD_CNODE, slot, 64) != WF_ERR_OK ||
        wf_vspace_map(WF_CHILD_VSPACE, slot, va, 0, len, WF_VM_READ | WF_VM_WRITE) != WF_ERR_OK)
        return 0;
    if (wf_vmo_describe(slot, 0, &kind, &pa, 0) != WF_ERR_OK || kind != 1)
        return 0;
    return pa;
}

/* Claims the first function of c->ids and reads its virtio capabilities. */
static const char *claim(struct virtio_drv *v, const struct virtio_drv_cfg *c)
{
    enum wf_error e = WF_ERR_FAILED_LOOKUP;
    for (size_t k = 0; k < c->nids && e == WF_ERR_FAILED_LOOKUP; k++)
        e = pci_bus_claim(&v->bus, c->bus, VIRTIO_PCI_VENDOR, c->ids[k], WFP_PCI_ANY, 0, &v->fn);
    if (e == WF_ERR_FAILED_LOOKUP && v->bus.ep &&
        wfp_pci_describe(c->bus, 0, 0, 0, 0, 0, 0) == WF_ERR_OK) {
        v->absent = true;
        return "no such virtio device on PCI";
    }
    if (e == WF_ERR_ILLEGAL_OPERATION)
        return "the device is claimed by another program";
    if (e != WF_ERR_OK)
        return "cannot reach the PCI bus server";
    v->acc = (struct pci_access){&v->bus, pci_bus_read32, pci_bus_write32};
    if (virtio_pci_find_caps(&v->acc, &v->fn, &v->caps) != VIRTIO_OK)
        return "no usable virtio capabilities";
    return NULL;
}

/* Maps the BAR holding the virtio structures through the device VMO the bus
 * server gives. */
static const char *map_bar(struct virtio_drv *v, const struct virtio_drv_cfg *c)
{
    const struct virtio_pci_caps *vc = &v->caps;
    uint8_t bar = vc->common.bar;
    if (vc->notify.bar != bar || vc->isr.bar != bar || (vc->device.length && vc->device.bar != bar))
        return "virtio structures in more than one BAR";
    wf_word_t size = 0, kind = 0, pa = 0;
    if (wfp_pci_get_cap(v->bus.ep, v->bus.index, bar, WF_CHILD_CNODE, c->mmio, 64) != WF_ERR_OK ||
        wf_vmo_describe(c->mmio, &size, &kind, &pa, 0) != WF_ERR_OK || kind != 1)
        return "the bus server gave no device memory for the BAR";
    const struct pci_bar *b = &v->fn.bar[bar];
    if (b->base < pa || b->base + b->size > pa + size)
        return "the device memory does not cover the BAR";
    if (wf_vspace_map(WF_CHILD_VSPACE, c->mmio, c->mmio_va, 0, size, WF_VM_READ | WF_VM_WRITE) !=
        WF_ERR_OK)
        return "cannot map the BAR";
    volatile uint8_t *va[PCI_BARS] = {0};
    va[bar] = (volatile uint8_t *)(c->mmio_va + (b->base - pa));
    if (virtio_pci_attach(&v->pci, vc, va, &v->dev) != VIRTIO_OK)
        return "cannot attach the transport";
    uint32_t cmd;
    if (pci_read(&v->acc, v->fn.bus, v->fn.dev, v->fn.fn, PCI_COMMAND, 2, &cmd) != PCI_OK ||
        pci_write(&v->acc, v->fn.bus, v->fn.dev, v->fn.fn, PCI_COMMAND, 2,
                  (cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER) & ~PCI_COMMAND_INTX_OFF) !=
            PCI_OK)
        return "cannot enable the device";
    return NULL;
}

const char *virtio_drv_open(struct virtio_drv *v, const struct virtio_drv_cfg *c)
{
    wf_word_t irq;
    v->absent = false;
    const char *why = claim(v, c);
    if (why)
        return why;
    if (wfp_pci_get_cap(v->bus.ep, v->bus.index, WFP_PCI_WHAT_IRQ, WF_CHILD_CNODE, c->irq, 64) !=
            WF_ERR_OK ||
        wf_irqhandler_describe(c->irq, &irq, 0, 0) != WF_ERR_OK)
        return "the bus server gave no IRQHandler";
    if (v->fn.irq_pin == 0 || irq != v->fn.irq_line)
        return "the IRQHandler is not the device's interrupt line";
    if ((why = map_bar(v, c)))
        return why;
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_NOTIFICATION, 0, WF_CHILD_CNODE, c->ntfn, 64) ||
        wf_cnode_mint(WF_CHILD_CNODE, c->ntfn_irq, 64, WF_CHILD_CNODE, c->ntfn, 64, WF_RIGHT_WRITE,
                      c->irq_bit) ||
        wf_tcb_bind_notification(WF_CHILD_TCB, c->ntfn) ||
        wf_irqhandler_set_notification(c->irq, c->ntfn_irq))
        return "cannot bind the interrupt";
    return NULL;
}
