/*
 * What the in-guest tests of the bus server and the virtio drivers share
 * (tvirtio.h).
 */
#include "tarch.h"
#include "tvirtio.h"

#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/proto/pci.h"
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
    tv_need_pci();
    if (tv_pci_ecam()) {
        /* The host bridge is in the bootinfo: the server reads it there (init's
         * devmem gives the same, decision 147). */
        NEED_ERR(wf_process_give(e, &b->p, WF_CHILD_BOOTINFO, WF_ROOT_BOOTINFO, WF_RIGHT_READ, 0),
                 WF_ERR_OK);
    } else {
        wf_cptr_t io = wf_env_slot(e);
        NEED(io != 0);
        NEED_ERR(wf_ioport_issue(WF_ROOT_IOPORT, 0xcf8, 0xffff, WF_ROOT_CNODE, io, 64), WF_ERR_OK);
        NEED_ERR(wf_process_give(e, &b->p, WF_CHILD_IOPORT, io, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    }
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
    if (tv_pci_ecam())
        NEED(tv_bus_refresh(&d->bus, &d->f));
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
    if (!acc->read32) {
        /* No access of the test's own (ECAM): badge 0 releases the driver's
         * (badge 7) devices, which turns their bus mastering off. */
        wfp_pci_release(d->bus.ep, WFP_PCI_ANY, 7);
        return;
    }
    if (pci_read(acc, d->f.bus, d->f.dev, d->f.fn, PCI_COMMAND, 2, &cmd) == PCI_OK)
        pci_write(acc, d->f.bus, d->f.dev, d->f.fn, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
}

bool tv_pci_ecam(void)
{
    return !TARCH_IOPORTS && BI->pci.ecam_size != 0;
}

void tv_need_pci(void)
{
    if (!TARCH_IOPORTS && BI->pci.ecam_size == 0)
        test_skip_now(TARCH_NAME ": no I/O ports and no ECAM host bridge in the bootinfo");
}

/* The first slot of the ECAM mapping's carving (test_slot(16) up to 63: the
 * test's own, above those the tests use). */
#define ECAM_SLOT 16

struct ecam_map {
    wf_cptr_t ut; /* the bootinfo's device untyped holding the window */
    bool mapped;
};

/* pci_ecam's map for the test's view: bus bus_first only (QEMU virt puts every
 * function there), carved down to its MiB from the device untyped holding it,
 * made a device VMO and mapped at TV_ECAM_VA. */
static volatile uint8_t *map_bus0(void *ctx, unsigned index)
{
    struct ecam_map *m = ctx;
    struct wf_spawn_env *e = test_env();
    if (index != 0 || m->mapped || !e)
        return NULL;
    wf_word_t pa = BI->pci.ecam_base;
    for (unsigned i = 0; i < BI->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &BI->untyped[i];
        if (!u->device || pa < u->paddr || pa - u->paddr >= (1ull << u->size_bits))
            continue;
        m->ut = BI->untyped_first + i;
        wf_cptr_t ut = m->ut;
        wf_word_t base = u->paddr, bits = u->size_bits;
        unsigned next = ECAM_SLOT;
        while (bits > 20) {
            if (next + 3 > TEST_ENV_FIRST_SLOT)
                return NULL;
            wf_word_t half = 1ull << (bits - 1);
            if (wf_untyped_retype(ut, WF_OBJ_UNTYPED, bits - 1, WF_ROOT_CNODE, 0, 0,
                                  test_slot(next), 2) != WF_ERR_OK)
                return NULL;
            unsigned pick = pa >= base + half;
            ut = test_slot(next + pick);
            base += pick * half;
            bits--;
            next += 2;
        }
        wf_cptr_t vmo = test_slot(next);
        if (base != pa || bits != 20 ||
            wf_pool_create_device(e->pool, ut, WF_ROOT_CNODE, vmo, 64) != WF_ERR_OK ||
            wf_vspace_map(WF_ROOT_VSPACE, vmo, TV_ECAM_VA, 0, PCI_ECAM_BUS_BYTES,
                          WF_VM_READ | WF_VM_WRITE) != WF_ERR_OK)
            return NULL;
        m->mapped = true;
        return (volatile uint8_t *)(uintptr_t)TV_ECAM_VA;
    }
    return NULL;
}

static wf_cptr_t scan_io; /* the IOPort cap an I/O-port pci_access reads through */

bool tv_pci_scan(wf_cptr_t io, struct pci_access *acc, struct pci_func *out, size_t max, size_t *n,
                 bool keep)
{
    tv_need_pci();
    if (!tv_pci_ecam()) {
        NEED_ERR(wf_ioport_issue(WF_ROOT_IOPORT, 0xcf8, 0xcff, WF_ROOT_CNODE, io, 64), WF_ERR_OK);
        scan_io = io;
        *acc = (struct pci_access){&scan_io, pci_io_read32, pci_io_write32};
        NEED(pci_enumerate(acc, out, max, n) == PCI_OK);
        for (size_t i = 0; i < *n; i++)
            if (out[i].header_type == 0)
                NEED(pci_size_bars(acc, &out[i]) == PCI_OK);
        return true;
    }
    static struct pci_ecam ecam;
    static struct ecam_map m;
    m = (struct ecam_map){0};
    ecam = (struct pci_ecam){.size = BI->pci.ecam_size,
                             .bus_first = BI->pci.bus_first,
                             .bus_last = BI->pci.bus_last,
                             .map = map_bus0,
                             .map_ctx = &m};
    struct pci_access a = {&ecam, pci_ecam_read32, pci_ecam_write32};
    enum pci_status ps = pci_enumerate(&a, out, max, n);
    for (size_t i = 0; ps == PCI_OK && i < *n; i++)
        if (out[i].header_type == 0)
            ps = pci_size_bars(&a, &out[i]);
    /* Gone again, mapping and carving, unless kept: the bus server gets a copy
     * of the untyped, which a cap with children cannot give (REVOKE_FIRST). */
    enum wf_error re = WF_ERR_OK;
    if (keep && ps == PCI_OK)
        *acc = a;
    else {
        re = m.ut ? wf_cnode_revoke(WF_ROOT_CNODE, m.ut, 64) : WF_ERR_OK;
        *acc = (struct pci_access){0};
    }
    NEED(m.mapped, "the ECAM window at %#llx is in no device untyped the test could map",
         (unsigned long long)BI->pci.ecam_base);
    NEED(ps == PCI_OK, "enumerating through ECAM: %s", pci_status_name(ps));
    NEED_ERR(re, WF_ERR_OK);
    return true;
}

bool tv_bus_refresh(const struct tv_bus *b, struct pci_func *f)
{
    wf_word_t want = (wf_word_t)f->bus << 16 | (wf_word_t)f->dev << 8 | f->fn;
    for (wf_word_t i = 0;; i++) {
        wf_word_t loc = 0, irq = 0;
        NEED_ERR(wfp_pci_describe(b->ep, i, 0, 0, &loc, &irq, 0), WF_ERR_OK);
        if (loc != want)
            continue;
        f->irq_line = (uint8_t)irq;
        for (unsigned k = 0; k < PCI_BARS; k++) {
            wf_word_t kind = 0, base = 0, size = 0;
            NEED_ERR(wfp_pci_bar(b->ep, i, k, &kind, &base, &size), WF_ERR_OK);
            f->bar[k].base = base;
        }
        return true;
    }
}
