/*
 * What the in-guest tests of the bus server and the virtio drivers share
 * (tvirtio.h).
 */
#include "tarch.h"
#include "tvirtio.h"

#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/startinfo.h"

#define BI           test_bootinfo
#define PCIBUS_RADIX 10

/* Waits until p's main thread blocks in a receive (it serves). */
static bool serving(struct wf_process *p)
{
    NEED(test_settle());
    wf_word_t state = 0;
    NEED_ERR(wf_tcb_describe(p->main.tcb, &state, 0, 0, 0), WF_ERR_OK);
    NEED(state == WF_THREAD_STATE_BLOCKED_RECV || state == WF_THREAD_STATE_BLOCKED_NOTIFICATION,
         "%s is not serving (state %lu: it exited or faulted)", p->name, (unsigned long)state);
    return true;
}

bool tv_start_bus(struct tv_bus *b)
{
    struct wf_spawn_env *e = test_env();
    NEED(e != NULL);
    const void *elf;
    size_t len;
    NEED(wf_initramfs_find(BI, "pcibus", &elf, &len), "pcibus is not in the initramfs");
    b->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    NEED(b->ep != 0);
    const struct wf_process_opts o = {
        .name = "pcibus", .prio = TEST_CHILD_PRIO, .cnode_radix = PCIBUS_RADIX};
    NEED_ERR(wf_process_create_opts(e, &b->p, elf, len, &o), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &b->p, WF_CHILD_SERVE, b->ep, WF_RIGHT_READ, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give_pool(e, &b->p, 1u << 20, 0), WF_ERR_OK);
    wf_cptr_t io = wf_env_slot(e);
    NEED(io != 0);
    TARCH_NEED_IOPORTS("PCI configuration space");
    NEED_ERR(wf_ioport_issue(WF_ROOT_IOPORT, 0xcf8, 0xffff, WF_ROOT_CNODE, io, 64), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &b->p, WF_CHILD_IOPORT, io, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &b->p, WF_CHILD_IRQ, WF_ROOT_IRQ_CONTROL, WF_RIGHTS_ALL, 0),
             WF_ERR_OK);
    unsigned k = 0;
    for (unsigned i = 0; i < BI->untyped_count && k < PCIBUS_DEVMEM_MAX; i++) {
        if (!BI->untyped[i].device)
            continue;
        NEED_ERR(wf_process_give(e, &b->p, PCIBUS_SLOT_DEVMEM + k++, BI->untyped_first + i,
                                 WF_RIGHTS_ALL, 0),
                 WF_ERR_OK);
    }
    NEED(k > 0, "no device untyped in the bootinfo");
    NEED_ERR(wf_process_start(e, &b->p, 0), WF_ERR_OK);
    return serving(&b->p);
}

wf_cptr_t tv_bus_client(const struct tv_bus *b, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t c = e ? wf_env_slot(e) : 0;
    if (!c || wf_cnode_mint(WF_ROOT_CNODE, c, 64, WF_ROOT_CNODE, b->ep, 64, WF_RIGHTS_ALL, badge))
        return 0;
    return c;
}

bool tv_start_driver(struct tv_drv *d, const char *prog, size_t pool)
{
    struct wf_spawn_env *e = test_env();
    NEED(e != NULL);
    NEED(tv_start_bus(&d->bus));
    const void *elf;
    size_t len;
    NEED(wf_initramfs_find(BI, prog, &elf, &len), "%s is not in the initramfs", prog);
    d->ep = test_obj(WF_OBJ_ENDPOINT, 0);
    NEED(d->ep != 0);
    NEED_ERR(wf_process_create(e, &d->p, elf, len, prog, TEST_CHILD_PRIO), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &d->p, WF_CHILD_SERVE, d->ep, WF_RIGHT_READ, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give_pool(e, &d->p, pool, 0), WF_ERR_OK);
    NEED_ERR(wf_process_give(e, &d->p, PCI_BUS_SLOT, d->bus.ep, WF_RIGHTS_ALL, 7), WF_ERR_OK);
    NEED_ERR(wf_process_start(e, &d->p, 0), WF_ERR_OK);
    NEED(serving(&d->p));
    d->irq = wf_env_slot(e);
    NEED(d->irq != 0);
    NEED_ERR(wf_cnode_copy(WF_ROOT_CNODE, d->irq, 64, d->p.cnode, WF_CHILD_IRQ, d->p.cnode_radix,
                           WF_RIGHTS_ALL),
             WF_ERR_OK);
    return true;
}

void tv_stop_driver(struct tv_drv *d, const struct pci_access *acc)
{
    uint32_t cmd;
    if (pci_read(acc, d->f.bus, d->f.dev, d->f.fn, PCI_COMMAND, 2, &cmd) == PCI_OK)
        pci_write(acc, d->f.bus, d->f.dev, d->f.fn, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
}
