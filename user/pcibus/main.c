/*
 * pcibus: the PCI bus server (abi/protocols/pci.proto; docs/devices.md, "The
 * PCI bus server"; decision 120).
 *
 * It is the only program that touches PCI configuration space. init gives it
 * a copy of every device untyped (`devmem`, slots PCIBUS_SLOT_DEVMEM on) with
 * the bootinfo page (slot BOOTINFO) and a copy of IRQControl (`irqcontrol`,
 * slot IRQ). Configuration space has two back ends behind wf/pci.h's
 * pci_access, chosen at start (decision 147):
 *   - the bootinfo names an ECAM host bridge (a device-tree machine: aarch64
 *     virt): the server maps the ECAM window a bus at a time from the device
 *     untyped, places every memory BAR in the bridge's windows (no firmware
 *     has: host.c) and routes each interrupt pin through the bridge's
 *     interrupt-map to an IRQControl line, which becomes the function's
 *     interrupt line. There are no ports: I/O BARs are not handed out.
 *   - otherwise (x86-64) mechanism #1 through an IOPort cap over 0xcf8 and up
 *     (`ioport=`; the ports above 0xcff are what it issues for I/O BARs), BARs
 *     and lines as the firmware left them.
 * At start it enumerates the bus and sizes every BAR; then it serves the pci
 * protocol.
 *
 * A client claims one device; GetCap hands it, one cap a call, what that
 * device needs and nothing else:
 *   - a memory BAR: a device VMO of exactly the BAR (the page holding it when
 *     smaller), made with Pool_CreateDevice over a device untyped the server
 *     splits down to the BAR's size (bus.c keeps the tree of pieces). The
 *     server keeps the VMO's original; the client gets a copy.
 *   - an I/O BAR: an IOPort cap issued over its ports.
 *   - the interrupt line: the IRQHandler the server got from IRQControl (kept
 *     across claims), a copy.
 * Release (by the claimant, by init for a stopped program, or a new Claim of
 * the same badge) turns decoding and bus mastering off, masks the line
 * (ClearNotification), revokes the handler's copies and revokes and deletes
 * the BAR VMOs, which unmaps them from the old client. An issued IOPort cap
 * cannot be revoked by the server (decision 065); it goes with the client's
 * CNode.
 */
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "host.h"
#include "weft/bootinfo.h"
#include "weft/invoke.h"
#include "wf/pci.h"
#include "wf/pci_bus.h"
#include "wf/proto/pci.h"
#include "wf/runtime.h"
#include "wf/server.h"
#include "wf/startinfo.h"

/* Slots: IRQ (14) IRQControl, 16 .. 16 + PCIBUS_DEVMEM_MAX the device untyped
 * init gave, then these; the upper half of the CNode is the C library's. */
enum {
    SLOT_RECV = 80,    /* a stray cap lands here */
    SLOT_SCRATCH = 81, /* an issued IOPort cap on its way out */
    SLOT_REPLY = 82,
    SLOT_ECAM0 = 83, /* + bus index: the device VMO of that bus's ECAM MiB */
    SLOT_ECAM_END = 96,
    SLOT_IRQ0 = 96,   /* + device index: the IRQHandler of its line */
    SLOT_NODE0 = 128, /* pieces of split device untyped */
    SLOT_NODE_END = 320,
    SLOT_VMO0 = 320, /* + device index * PCI_BARS + bar: a BAR's device VMO */
    SLOT_END = SLOT_VMO0 + BUS_MAX_DEVS * PCI_BARS,
};
_Static_assert(PCIBUS_SLOT_DEVMEM + PCIBUS_DEVMEM_MAX <= SLOT_RECV, "devmem slots overlap");
_Static_assert(SLOT_IRQ0 + BUS_MAX_DEVS <= SLOT_NODE0, "IRQ slots overlap");

static const char usage[] =
    "usage: pcibus (started by init with SERVE, POOL, a copy of IRQControl in slot IRQ, the "
    "device untyped from slot 16 on and the bootinfo in slot BOOTINFO, and where the bootinfo "
    "names no ECAM host bridge IOPORT over 0xcf8-0xcff or more: boot.conf options "
    "[ioport=0xcf8-0xffff] devmem irqcontrol cnode=10; takes no arguments)\n";

/* Where the bootinfo page and the ECAM buses are mapped. */
/* In the layout's device region (wf/layout.h): 64 TiB and 65 TiB on a space of
 * 2^47, 64 GiB and 65 GiB under riscv64's Sv39. */
#define BOOTINFO_VA (wf_layout.devices)
#define ECAM_VA     (wf_layout.devices + wf_layout.unit / 16)
#define SERVER_NODE (-2) /* bus.c owner of the ECAM pieces: the server itself */

static struct bus bus;
static wf_cptr_t io = WF_CHILD_IOPORT;
static struct pci_access acc = {&io, pci_io_read32, pci_io_write32};
static struct pci_ecam ecam;
static const struct wf_bootinfo_pci *host_desc; /* non-NULL: configuration space is ECAM */
static wf_word_t io_first, io_last;
static wf_cptr_t next_node = SLOT_NODE0;
static bool irq_held[BUS_MAX_DEVS], vmo_held[BUS_MAX_DEVS][PCI_BARS];
static bool scratch_used;

static bool split(void *ctx, wf_word_t slot, unsigned bits, wf_word_t *lo, wf_word_t *hi)
{
    (void)ctx;
    if (next_node + 2 > SLOT_NODE_END ||
        wf_untyped_retype(slot, WF_OBJ_UNTYPED, bits - 1, WF_CHILD_CNODE, 0, 0, next_node, 2) !=
            WF_ERR_OK)
        return false;
    *lo = next_node;
    *hi = next_node + 1;
    next_node += 2;
    return true;
}

static void drop_scratch(void)
{
    if (scratch_used)
        wf_cnode_delete(WF_CHILD_CNODE, SLOT_SCRATCH, 64);
    scratch_used = false;
}

static void set_command(const struct pci_func *f, uint16_t clear, uint16_t set)
{
    uint32_t cmd;
    if (pci_read(&acc, f->bus, f->dev, f->fn, PCI_COMMAND, 2, &cmd) == PCI_OK)
        pci_write(&acc, f->bus, f->dev, f->fn, PCI_COMMAND, 2, ((cmd & ~clear) | set) & 0xffff);
}

/* Takes back everything device i's claimant got (decision 120). */
static void release(unsigned i)
{
    struct bus_dev *d = &bus.dev[i];
    set_command(&d->f, PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 0);
    if (irq_held[i]) {
        wf_irqhandler_clear_notification(SLOT_IRQ0 + i);
        wf_cnode_revoke(WF_CHILD_CNODE, SLOT_IRQ0 + i, 64);
    }
    for (unsigned b = 0; b < PCI_BARS; b++) {
        if (!vmo_held[i][b])
            continue;
        wf_cptr_t v = SLOT_VMO0 + i * PCI_BARS + b;
        wf_cnode_revoke(WF_CHILD_CNODE, v, 64);
        wf_cnode_delete(WF_CHILD_CNODE, v, 64); /* the last cap: the mappings go */
        vmo_held[i][b] = false;
    }
    bus_drop_nodes(&bus, (int)i);
    d->claimed = false;
}

static wf_word_t on_describe(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                             wf_word_t *id, wf_word_t *cls, wf_word_t *location, wf_word_t *irq,
                             wf_word_t *claimed)
{
    (void)s, (void)r;
    drop_scratch();
    if (index >= bus.n)
        return WF_ERR_RANGE_ERROR;
    const struct pci_func *f = &bus.dev[index].f;
    *id = f->vendor | (wf_word_t)f->device << 16;
    *cls = (wf_word_t)f->class_code << 16 | (wf_word_t)f->subclass << 8 | f->prog_if;
    *location = (wf_word_t)f->bus << 16 | (wf_word_t)f->dev << 8 | f->fn;
    *irq = f->irq_line | (wf_word_t)f->irq_pin << 8;
    *claimed = bus.dev[index].claimed;
    return WF_ERR_OK;
}

static wf_word_t on_bar(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                        wf_word_t bar, wf_word_t *kind, wf_word_t *base, wf_word_t *size)
{
    (void)s, (void)r;
    drop_scratch();
    if (index >= bus.n || bar >= PCI_BARS)
        return WF_ERR_RANGE_ERROR;
    const struct pci_bar *b = &bus.dev[index].f.bar[bar];
    *kind = b->kind;
    *base = b->base;
    *size = b->size;
    return WF_ERR_OK;
}

static wf_word_t on_claim(struct wf_server *s, struct wf_server_req *r, wf_word_t vendor,
                          wf_word_t device, wf_word_t cls, wf_word_t nth, wf_word_t *index)
{
    (void)s;
    drop_scratch();
    unsigned i;
    bool again;
    enum wf_error e = bus_claim(&bus, r->badge, vendor, device, cls, nth, &i, &again);
    if (e != WF_ERR_OK)
        return e;
    if (again) { /* a restarted driver (same badge): take back what the old one got */
        release(i);
        bus.dev[i].claimed = true;
        bus.dev[i].badge = r->badge;
    }
    *index = i;
    return WF_ERR_OK;
}

static wf_word_t get_irq(unsigned i, wf_cptr_t *cap)
{
    const struct pci_func *f = &bus.dev[i].f;
    if (f->irq_pin == 0)
        return WF_ERR_FAILED_LOOKUP;
    if (bus_line_shared(&bus, i))
        return WF_ERR_ILLEGAL_OPERATION;
    wf_cptr_t h = SLOT_IRQ0 + i;
    if (!irq_held[i]) {
        if (wf_irqcontrol_get(WF_CHILD_IRQ, f->irq_line, WF_IRQ_TRIGGER_DEFAULT, WF_CHILD_CNODE, h,
                              64) != WF_ERR_OK)
            return WF_ERR_NOT_ENOUGH_MEMORY;
        irq_held[i] = true;
    }
    *cap = h;
    return WF_ERR_OK;
}

static wf_word_t get_mem(unsigned i, unsigned bar, wf_cptr_t *cap)
{
    const struct pci_bar *b = &bus.dev[i].f.bar[bar];
    wf_cptr_t v = SLOT_VMO0 + i * PCI_BARS + bar;
    if (!vmo_held[i][bar]) {
        unsigned bits = bus_bar_bits(b->size);
        uint64_t base = b->base & ~(((uint64_t)1 << bits) - 1);
        struct bus_node *n = bus_carve(&bus, base, bits, (int)i, split, NULL);
        if (!n || wf_pool_create_device(WF_CHILD_POOL, n->slot, WF_CHILD_CNODE, v, 64) != WF_ERR_OK)
            return WF_ERR_NOT_ENOUGH_MEMORY;
        vmo_held[i][bar] = true;
    }
    *cap = v;
    return WF_ERR_OK;
}

static wf_word_t get_io(unsigned i, unsigned bar, wf_cptr_t *cap)
{
    const struct pci_bar *b = &bus.dev[i].f.bar[bar];
    uint64_t last = b->base + b->size - 1;
    if (b->base < io_first || last > io_last ||
        wf_ioport_issue(io, b->base, last, WF_CHILD_CNODE, SLOT_SCRATCH, 64) != WF_ERR_OK)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    scratch_used = true;
    *cap = SLOT_SCRATCH;
    return WF_ERR_OK;
}

static wf_word_t on_get_cap(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                            wf_word_t what, wf_cptr_t *cap)
{
    (void)s;
    drop_scratch();
    enum wf_error e = bus_holder(&bus, r->badge, index);
    if (e != WF_ERR_OK)
        return e;
    if (what > WFP_PCI_WHAT_IRQ)
        return WF_ERR_RANGE_ERROR;
    if (what == WFP_PCI_WHAT_IRQ)
        return get_irq((unsigned)index, cap);
    switch (bus.dev[index].f.bar[what].kind) {
    case PCI_BAR_MEM32:
    case PCI_BAR_MEM64:
        return get_mem((unsigned)index, (unsigned)what, cap);
    case PCI_BAR_IO:
        return get_io((unsigned)index, (unsigned)what, cap);
    default:
        return WF_ERR_FAILED_LOOKUP;
    }
}

static wf_word_t on_config_read(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                                wf_word_t offset, wf_word_t width, wf_word_t *value)
{
    (void)s;
    drop_scratch();
    enum wf_error e = bus_holder(&bus, r->badge, index);
    if (e == WF_ERR_OK)
        e = bus_config_check(offset, width);
    if (e != WF_ERR_OK)
        return e;
    const struct pci_func *f = &bus.dev[index].f;
    uint32_t v;
    if (pci_read(&acc, f->bus, f->dev, f->fn, (uint16_t)offset, (unsigned)width, &v) != PCI_OK)
        return WF_ERR_INVALID_ARGUMENT;
    *value = v;
    return WF_ERR_OK;
}

static wf_word_t on_set_command(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                                wf_word_t bits)
{
    (void)s;
    drop_scratch();
    enum wf_error e = bus_holder(&bus, r->badge, index);
    if (e != WF_ERR_OK)
        return e;
    const struct pci_func *f = &bus.dev[index].f;
    uint32_t cmd;
    uint16_t out;
    if ((e = bus_command(0, bits, &out)) != WF_ERR_OK)
        return e;
    if (pci_read(&acc, f->bus, f->dev, f->fn, PCI_COMMAND, 2, &cmd) != PCI_OK ||
        bus_command((uint16_t)cmd, bits, &out) != WF_ERR_OK ||
        pci_write(&acc, f->bus, f->dev, f->fn, PCI_COMMAND, 2, out) != PCI_OK)
        return WF_ERR_INVALID_ARGUMENT;
    return WF_ERR_OK;
}

static wf_word_t on_release(struct wf_server *s, struct wf_server_req *r, wf_word_t index,
                            wf_word_t badge)
{
    (void)s;
    drop_scratch();
    if (r->badge == 0 && index == WFP_PCI_ANY) {
        for (unsigned i = 0; i < bus.n; i++)
            if (bus.dev[i].claimed && bus.dev[i].badge == badge)
                release(i);
        return WF_ERR_OK;
    }
    enum wf_error e = index < bus.n && r->badge == 0 && bus.dev[index].claimed
                          ? WF_ERR_OK
                          : bus_holder(&bus, r->badge, index);
    if (e != WF_ERR_OK)
        return e;
    release((unsigned)index);
    return WF_ERR_OK;
}

static const struct wfp_pci_handlers handlers = {
    .on_describe = on_describe,
    .on_bar = on_bar,
    .on_claim = on_claim,
    .on_get_cap = on_get_cap,
    .on_config_read = on_config_read,
    .on_set_command = on_set_command,
    .on_release = on_release,
};
static const struct wf_server_proto protos[] = {WFP_PCI_PROTO_ENTRY(&handlers)};

/* pci_ecam's map: carves bus index's MiB of the ECAM window out of the device
 * untyped, makes it a device VMO and maps it; NULL when any step fails. */
static volatile uint8_t *map_ecam_bus(void *ctx, unsigned index)
{
    (void)ctx;
    if (SLOT_ECAM0 + index >= SLOT_ECAM_END)
        return NULL;
    uint64_t pa = host_desc->ecam_base + (uint64_t)index * PCI_ECAM_BUS_BYTES;
    uint64_t va = ECAM_VA + (uint64_t)index * PCI_ECAM_BUS_BYTES;
    struct bus_node *n = bus_carve(&bus, pa, 20, SERVER_NODE, split, NULL);
    if (!n ||
        wf_pool_create_device(WF_CHILD_POOL, n->slot, WF_CHILD_CNODE, SLOT_ECAM0 + index, 64) !=
            WF_ERR_OK ||
        wf_vspace_map(WF_CHILD_VSPACE, SLOT_ECAM0 + index, va, 0, PCI_ECAM_BUS_BYTES,
                      WF_VM_READ | WF_VM_WRITE) != WF_ERR_OK)
        return NULL;
    return (volatile uint8_t *)(uintptr_t)va;
}

/* The host bridge the bootinfo names, if any: maps the bootinfo (init gives
 * it with `devmem`) and points acc at the ECAM window. NULL on success or
 * when there is none (mechanism #1 then), else why it cannot be used. */
static const char *find_ecam(void)
{
    if (wf_vspace_map(WF_CHILD_VSPACE, WF_CHILD_BOOTINFO, BOOTINFO_VA, 0, 4096, WF_VM_READ) !=
        WF_ERR_OK)
        return NULL;
    const struct wf_bootinfo *bi = (const struct wf_bootinfo *)(uintptr_t)BOOTINFO_VA;
    if (bi->magic != WF_BOOTINFO_MAGIC || bi->pci.ecam_size == 0)
        return NULL;
    const struct wf_bootinfo_pci *p = &bi->pci;
    if (p->ecam_base % PCI_ECAM_BUS_BYTES || p->bus_first > p->bus_last || p->bus_last > 255 ||
        p->ecam_size < PCI_ECAM_BUS_BYTES)
        return "the ECAM window is misaligned or its bus range is bad";
    ecam = (struct pci_ecam){.size = p->ecam_size,
                             .bus_first = p->bus_first,
                             .bus_last = p->bus_last,
                             .map = map_ecam_bus};
    acc = (struct pci_access){&ecam, pci_ecam_read32, pci_ecam_write32};
    host_desc = p;
    return NULL;
}

/* Without firmware (ECAM), first pass: a memory BAR already placed (by
 * firmware, or by this server before a restart) is kept where it is, at the
 * address the CPU reaches it by; one in no window is dropped. I/O BARs are
 * dropped: there are no ports to issue. */
static void keep_placed(struct pci_host *h, struct pci_func *f)
{
    for (unsigned b = 0; b < PCI_BARS; b++) {
        struct pci_bar *bar = &f->bar[b];
        uint64_t cpu;
        if (bar->kind == PCI_BAR_IO)
            *bar = (struct pci_bar){0};
        if ((bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || bar->base == 0)
            continue;
        if (host_translate(h, bar->base, bar->size, &cpu)) {
            bar->base = cpu;
            continue;
        }
        fprintf(stderr, "pcibus: %02x:%02x.%x: BAR %u lies in no window: dropped\n", f->bus, f->dev,
                f->fn, b);
        *bar = (struct pci_bar){0};
    }
}

/* Second pass: places every memory BAR that reads 0 in the bridge's windows
 * and writes its bus address into it, and routes the interrupt pin to a line
 * (written to the interrupt line register, as firmware would). */
static void place_and_route(struct pci_host *h, struct pci_func *f)
{
    for (unsigned b = 0; b < PCI_BARS; b++) {
        struct pci_bar *bar = &f->bar[b];
        if ((bar->kind != PCI_BAR_MEM32 && bar->kind != PCI_BAR_MEM64) || bar->base != 0)
            continue;
        uint64_t pci, cpu;
        enum host_status hs =
            host_assign(h, bar->size < 16 ? 16 : bar->size, bar->kind == PCI_BAR_MEM64, &pci, &cpu);
        uint32_t lo;
        if (hs == HOST_OK &&
            pci_read(&acc, f->bus, f->dev, f->fn, PCI_BAR0 + 4 * b, 4, &lo) == PCI_OK &&
            pci_write(&acc, f->bus, f->dev, f->fn, PCI_BAR0 + 4 * b, 4,
                      (uint32_t)pci | (lo & 0xf)) == PCI_OK &&
            (bar->kind != PCI_BAR_MEM64 ||
             pci_write(&acc, f->bus, f->dev, f->fn, PCI_BAR0 + 4 * (b + 1), 4,
                       (uint32_t)(pci >> 32)) == PCI_OK)) {
            bar->base = cpu;
            continue;
        }
        fprintf(stderr, "pcibus: %02x:%02x.%x: BAR %u (%llu bytes) not placed: %s\n", f->bus,
                f->dev, f->fn, b, (unsigned long long)bar->size,
                hs == HOST_OK ? "configuration write failed" : host_status_name(hs));
        *bar = (struct pci_bar){0};
    }
    uint32_t line;
    if (f->irq_pin && host_route(host_desc, f->bus, f->dev, f->fn, f->irq_pin, &line) &&
        line <= 0xff) {
        f->irq_line = (uint8_t)line;
        pci_write(&acc, f->bus, f->dev, f->fn, PCI_INTERRUPT, 1, line);
    } else if (f->irq_pin) {
        fprintf(stderr, "pcibus: %02x:%02x.%x: pin %u has no route: no interrupt\n", f->bus, f->dev,
                f->fn, f->irq_pin);
        f->irq_pin = 0;
    }
}

static unsigned given_ranges;

static const char *setup(void)
{
    for (unsigned k = 0; k < PCIBUS_DEVMEM_MAX; k++) {
        wf_word_t pa, bits, device;
        if (wf_untyped_describe(PCIBUS_SLOT_DEVMEM + k, &pa, &bits, &device, 0) != WF_ERR_OK ||
            !device)
            continue;
        if (bus_add_untyped(&bus, pa, (unsigned)bits, PCIBUS_SLOT_DEVMEM + k))
            given_ranges++;
    }
    const char *why = find_ecam();
    if (why)
        return why;
    static struct pci_host host;
    enum host_status hs;
    if (host_desc && (hs = host_init(&host, host_desc)) != HOST_OK)
        return host_status_name(hs);
    if (!host_desc && (wf_ioport_describe(io, &io_first, &io_last) != WF_ERR_OK ||
                       io_first > 0xcf8 || io_last < 0xcff))
        return "no ECAM host bridge in the bootinfo, and IOPORT does not cover 0xcf8-0xcff";
    static struct pci_func all[BUS_MAX_DEVS];
    size_t n = 0;
    enum pci_status ps = pci_enumerate(&acc, all, BUS_MAX_DEVS, &n);
    if (ps == PCI_ERR_FULL)
        fprintf(stderr, "pcibus: more than %u functions: the first %u kept\n", BUS_MAX_DEVS,
                BUS_MAX_DEVS);
    else if (ps != PCI_OK)
        return pci_status_name(ps);
    for (size_t i = 0; i < n; i++) {
        struct bus_dev *d = &bus.dev[bus.n++];
        d->f = all[i];
        if (d->f.header_type == 0 && (ps = pci_size_bars(&acc, &d->f)) != PCI_OK) {
            fprintf(stderr, "pcibus: %02x:%02x.%x: BARs unusable: %s\n", d->f.bus, d->f.dev,
                    d->f.fn, pci_status_name(ps));
            memset(d->f.bar, 0, sizeof(d->f.bar));
        }
    }
    for (unsigned pass = 0; host_desc && pass < 2; pass++)
        for (unsigned i = 0; i < bus.n; i++)
            if (bus.dev[i].f.header_type == 0)
                (pass == 0 ? keep_placed : place_and_route)(&host, &bus.dev[i].f);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    if (argc > 1 || si->magic != WF_STARTINFO_MAGIC) {
        fputs(usage, stderr);
        return 2;
    }
    if (si->cnode_radix >= 64 || (1ull << si->cnode_radix) / 2 < SLOT_END) {
        fprintf(stderr, "pcibus: a CNode of radix %lu is too small (cnode=10 at least)\n%s",
                (unsigned long)si->cnode_radix, usage);
        return 2;
    }
    const char *why = setup();
    if (why) {
        fprintf(stderr, "pcibus: cannot start: %s\n%s", why, usage);
        return 1;
    }
    printf("pcibus: %u PCI functions, %u device memory ranges, configuration space by %s\n", bus.n,
           given_ranges, host_desc ? "ECAM" : "ports 0xcf8-0xcff");
    struct wf_server srv = {.ep = WF_CHILD_SERVE,
                            .recv_cnode = WF_CHILD_CNODE,
                            .recv_slot = SLOT_RECV,
                            .protos = protos,
                            .nprotos = 1};
    if (wf_server_init_pool(&srv, WF_CHILD_POOL, WF_CHILD_CNODE, SLOT_REPLY, 1) != WF_ERR_OK) {
        fprintf(stderr, "pcibus: no memory for a Reply object\n");
        return 1;
    }
    wf_word_t e = wf_server_run(&srv);
    fprintf(stderr, "pcibus: receive failed: %s\n", wf_error_name((enum wf_error)e));
    return 1;
}
