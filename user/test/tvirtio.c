/*
 * What the in-guest tests of the virtio drivers share (tvirtio.h).
 */
#include "tvirtio.h"

#include "weft/invoke.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"

#define BI test_bootinfo

/* Splits the device untyped holding [base, base + 2^bits) down to exactly that
 * range; its slot, or 0. Scratch slots from *next. */
static wf_cptr_t device_untyped_for(uint64_t base, unsigned bits, unsigned *next)
{
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        uint64_t end = u->paddr + ((uint64_t)1 << u->size_bits);
        if (!u->device || base < u->paddr || base >= end)
            continue;
        wf_cptr_t ut = BI->untyped_first + i;
        uint64_t at = u->paddr;
        wf_word_t ubits = u->size_bits;
        while (ubits > bits) {
            if (wf_untyped_retype(ut, WF_OBJ_UNTYPED, ubits - 1, WF_ROOT_CNODE, 0, 0,
                                  test_slot(*next), 2) != WF_ERR_OK)
                return 0;
            unsigned pick = base >= at + ((uint64_t)1 << (ubits - 1));
            ut = test_slot(*next + pick);
            at += pick * ((uint64_t)1 << (ubits - 1));
            ubits--;
            *next += 2;
        }
        return at == base ? ut : 0;
    }
    return 0;
}

bool tv_start_driver(struct tv_drv *d, const char *prog, size_t pool, wf_cptr_t io,
                     wf_cptr_t ut_slot)
{
    struct wf_spawn_env *e = test_env();
    NEED(e != NULL);
    struct pci_access acc = {&io, pci_io_read32, pci_io_write32};
    struct virtio_pci_caps c;
    NEED(virtio_pci_find_caps(&acc, &d->f, &c) == VIRTIO_OK);
    const struct pci_bar *b = &d->f.bar[c.common.bar];
    unsigned bits = 12;
    while (((uint64_t)1 << bits) < b->size)
        bits++;
    unsigned next = 2;
    wf_cptr_t ut = device_untyped_for(b->base, bits, &next);
    NEED(ut != 0, "no device untyped for the BAR at %#llx", (unsigned long long)b->base);
    d->irq = test_slot(1);
    NEED_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, d->f.irq_line, WF_IRQ_TRIGGER_DEFAULT,
                               WF_ROOT_CNODE, d->irq, 64),
             WF_ERR_OK);
    const void *elf;
    size_t len;
    NEED(wf_initramfs_find(BI, prog, &elf, &len), "%s is not in the initramfs", prog);
    d->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    NEED(d->ep != 0);
    NEED_ERR(wf_process_create(e, &d->p, elf, len, prog, TEST_CHILD_PRIO), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &d->p, WF_CHILD_SERVE, d->ep, WF_RIGHT_READ, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give_pool(e, &d->p, pool, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &d->p, WF_CHILD_IOPORT, io, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &d->p, WF_CHILD_IRQ, d->irq, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &d->p, ut_slot, ut, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    NEED_ERR(wf_process_start(e, &d->p, 0), WF_ERR_OK);
    NEED(test_settle());
    wf_word_t state = 0;
    NEED_ERR(wf_tcb_describe(d->p.main.tcb, &state, 0, 0, 0), WF_ERR_OK);
    NEED(state == WF_THREAD_STATE_BLOCKED_RECV || state == WF_THREAD_STATE_BLOCKED_NOTIFICATION,
         "the driver is not serving (state %lu: it exited or faulted)", (unsigned long)state);
    return true;
}

void tv_stop_driver(struct tv_drv *d, const struct pci_access *acc)
{
    uint32_t cmd;
    if (pci_read(acc, d->f.bus, d->f.dev, d->f.fn, PCI_COMMAND, 2, &cmd) == PCI_OK)
        pci_write(acc, d->f.bus, d->f.dev, d->f.fn, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
}
