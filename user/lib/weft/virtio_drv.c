/*
 * The start-up every virtio PCI driver shares (wf/virtio_drv.h).
 */
#include "wf/virtio_drv.h"

#include "weft/invoke.h"
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

/* Finds the function and sizes its BARs. */
static const char *find(struct virtio_drv *v, const struct virtio_drv_cfg *c)
{
    static struct pci_func all[64];
    size_t n;
    enum pci_status ps = pci_enumerate(&v->acc, all, 64, &n);
    if (ps != PCI_OK && ps != PCI_ERR_FULL)
        return pci_status_name(ps);
    for (size_t i = 0; i < n; i++) {
        bool want = false;
        for (size_t k = 0; k < c->nids; k++)
            want |= all[i].vendor == VIRTIO_PCI_VENDOR && all[i].device == c->ids[k];
        if (!want)
            continue;
        v->fn = all[i];
        if ((ps = pci_size_bars(&v->acc, &v->fn)) != PCI_OK)
            return pci_status_name(ps);
        if (virtio_pci_find_caps(&v->acc, &v->fn, &v->caps) != VIRTIO_OK)
            return "no usable virtio capabilities";
        return NULL;
    }
    return "no such virtio device on PCI";
}

/* Maps the BAR holding the virtio structures through the device untyped. */
static const char *map_bar(struct virtio_drv *v, const struct virtio_drv_cfg *c)
{
    const struct virtio_pci_caps *vc = &v->caps;
    uint8_t bar = vc->common.bar;
    if (vc->notify.bar != bar || vc->isr.bar != bar || (vc->device.length && vc->device.bar != bar))
        return "virtio structures in more than one BAR";
    wf_word_t pa = 0, bits = 0, device = 0;
    if (wf_untyped_describe(c->device_ut, &pa, &bits, &device, 0) != WF_ERR_OK || !device)
        return "no device untyped given";
    const struct pci_bar *b = &v->fn.bar[bar];
    uint64_t end = pa + ((uint64_t)1 << bits);
    if (b->base < pa || b->base + b->size > end)
        return "the device untyped does not cover the BAR";
    if (wf_pool_create_device(WF_CHILD_POOL, c->device_ut, WF_CHILD_CNODE, c->mmio, 64) !=
            WF_ERR_OK ||
        wf_vspace_map(WF_CHILD_VSPACE, c->mmio, c->mmio_va, 0, (wf_word_t)1 << bits,
                      WF_VM_READ | WF_VM_WRITE) != WF_ERR_OK)
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
    wf_word_t first, last, irq;
    if (wf_ioport_describe(c->ioport, &first, &last) != WF_ERR_OK || first > 0xcf8 || last < 0xcff)
        return "IOPORT does not cover 0xcf8-0xcff";
    v->io = c->ioport;
    v->acc = (struct pci_access){&v->io, pci_io_read32, pci_io_write32};
    const char *why = find(v, c);
    if (why)
        return why;
    if (wf_irqhandler_describe(c->irq, &irq, 0, 0) != WF_ERR_OK)
        return "IRQ holds no IRQHandler";
    if (v->fn.irq_pin == 0 || irq != v->fn.irq_line)
        return "IRQ is not the device's interrupt line";
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
