/*
 * The client side of the PCI bus server (wf/pci_bus.h).
 */
#include "wf/pci_bus.h"

#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/pci.h"
#include "wf/startinfo.h"

static enum wf_error describe(struct pci_bus_dev *d, struct pci_func *f)
{
    wf_word_t id, cls, loc, irq, claimed;
    enum wf_error e = wfp_pci_describe(d->ep, d->index, &id, &cls, &loc, &irq, &claimed);
    if (e != WF_ERR_OK)
        return e;
    *f = (struct pci_func){.bus = (uint8_t)(loc >> 16),
                           .dev = (uint8_t)(loc >> 8),
                           .fn = (uint8_t)loc,
                           .vendor = (uint16_t)id,
                           .device = (uint16_t)(id >> 16),
                           .class_code = (uint8_t)(cls >> 16),
                           .subclass = (uint8_t)(cls >> 8),
                           .prog_if = (uint8_t)cls,
                           .irq_line = (uint8_t)irq,
                           .irq_pin = (uint8_t)(irq >> 8)};
    for (unsigned b = 0; b < PCI_BARS; b++) {
        wf_word_t kind, base, size;
        if ((e = wfp_pci_bar(d->ep, d->index, b, &kind, &base, &size)) != WF_ERR_OK)
            return e;
        f->bar[b] = (struct pci_bar){.base = base, .size = size, .kind = (uint8_t)kind};
    }
    return WF_ERR_OK;
}

/* Whether slot holds an endpoint cap. */
static bool holds_endpoint(wf_cptr_t slot)
{
    wf_word_t type = 0;
    return wf_cnode_describe(WF_CHILD_CNODE, slot, 64, &type, 0, 0, 0) == WF_ERR_OK &&
           type == WF_OBJ_ENDPOINT;
}

enum wf_error pci_bus_claim(struct pci_bus_dev *d, wf_cptr_t slot, wf_word_t vendor,
                            wf_word_t device, wf_word_t cls, wf_word_t nth, struct pci_func *f)
{
    d->ep = slot;
    wf_word_t index = 0;
    enum wf_error e = WF_ERR_INVALID_CAPABILITY;
    if (holds_endpoint(slot))
        e = wfp_pci_claim(slot, vendor, device, cls, nth, &index);
    /* No server yet, or it was restarted (its old endpoint revoked: the slot
     * emptied, or the call cancelled): look it up, once more. */
    if (e == WF_ERR_CANCELLED || e == WF_ERR_INVALID_CAPABILITY ||
        (e == WF_ERR_FAILED_LOOKUP && !holds_endpoint(slot))) {
        if ((e = wf_reconnect(slot, "pcibus")) != WF_ERR_OK)
            return e;
        e = wfp_pci_claim(slot, vendor, device, cls, nth, &index);
    }
    if (e != WF_ERR_OK)
        return e;
    d->index = index;
    if ((e = describe(d, f)) != WF_ERR_OK)
        return e;
    /* What only the claimant may read: status (the capability list bit), header type. */
    wf_word_t status = 0, header = 0;
    if ((e = wfp_pci_config_read(slot, index, PCI_STATUS, 2, &status)) != WF_ERR_OK ||
        (e = wfp_pci_config_read(slot, index, PCI_HEADER_TYPE, 1, &header)) != WF_ERR_OK)
        return e;
    f->status = (uint16_t)status;
    f->header_type = (uint8_t)(header & 0x7f);
    return WF_ERR_OK;
}

int pci_bus_read32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t *val)
{
    (void)bus, (void)dev, (void)fn;
    const struct pci_bus_dev *d = ctx;
    wf_word_t v = 0;
    if (wfp_pci_config_read(d->ep, d->index, off & 0xfc, 4, &v) != WF_ERR_OK)
        return -1;
    *val = (uint32_t)v;
    return 0;
}

int pci_bus_write32(void *ctx, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off, uint32_t val)
{
    (void)bus, (void)dev, (void)fn;
    const struct pci_bus_dev *d = ctx;
    if ((off & 0xfc) != PCI_COMMAND)
        return -1;
    return wfp_pci_set_command(d->ep, d->index, val & WFP_PCI_COMMAND_BITS) == WF_ERR_OK ? 0 : -1;
}
