/*
 * The host bridge's windows and INTx routes (host.h): pure, host-tested.
 *
 * BAR placement is a bump allocator per window: BARs are placed once, at the
 * bus server's start, in enumeration order, each at the next address aligned
 * to its size (a BAR is naturally aligned: PCI Local Bus 3.0, section
 * 6.2.5.1). Nothing is freed. A BAR already placed (by firmware, or by the
 * server before a restart) is kept, and later BARs go above it. Placing the largest BARs first would waste less of a window;
 * QEMU's windows are hundreds of MiB for BARs of a few KiB.
 */
#include "host.h"

#include <string.h>

#define FOUR_GIB (1ull << 32)

enum host_status host_init(struct pci_host *h, const struct wf_bootinfo_pci *p)
{
    memset(h, 0, sizeof(*h));
    if (p->nwindows > WF_BOOTINFO_PCI_WINDOWS || p->nintx > WF_BOOTINFO_PCI_INTX ||
        p->bus_first > p->bus_last || p->bus_last > 255)
        return HOST_ERR_COUNT;
    for (unsigned i = 0; i < p->nwindows; i++) {
        const struct wf_bootinfo_pci_window *w = &p->window[i];
        if (w->size == 0 || w->cpu_addr + w->size < w->cpu_addr ||
            w->pci_addr + w->size < w->pci_addr || w->space < 1 || w->space > 3 ||
            (w->space == 2 && w->pci_addr + w->size > FOUR_GIB))
            return HOST_ERR_WINDOW;
        if (w->space == 1)
            continue;
        h->win[h->nwin++] =
            (struct host_window){w->cpu_addr, w->pci_addr, w->size, w->pci_addr, w->space == 3};
    }
    return HOST_OK;
}

/* Tries window w: true with the address when the BAR fits. */
static bool fit(struct host_window *w, uint64_t size, uint64_t *pci, uint64_t *cpu)
{
    uint64_t at = (w->next + size - 1) & ~(size - 1), end = w->pci + w->size;
    if (at < w->next || at > end || end - at < size)
        return false;
    w->next = at + size;
    *pci = at;
    *cpu = w->cpu + (at - w->pci);
    return true;
}

enum host_status host_assign(struct pci_host *h, uint64_t size, bool mem64, uint64_t *pci,
                             uint64_t *cpu)
{
    if (size < 16 || (size & (size - 1)))
        return HOST_ERR_SIZE;
    for (unsigned pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < h->nwin; i++)
            if (h->win[i].mem64 == (pass == 1) && (!h->win[i].mem64 || mem64) &&
                fit(&h->win[i], size, pci, cpu))
                return HOST_OK;
    return HOST_ERR_FULL;
}

bool host_translate(struct pci_host *h, uint64_t pci, uint64_t size, uint64_t *cpu)
{
    for (unsigned i = 0; i < h->nwin; i++) {
        struct host_window *w = &h->win[i];
        if (pci >= w->pci && pci - w->pci < w->size && size <= w->size - (pci - w->pci)) {
            *cpu = w->cpu + (pci - w->pci);
            if (w->next < pci + size)
                w->next = pci + size; /* the bump allocator never overlaps it */
            return true;
        }
    }
    return false;
}

bool host_route(const struct wf_bootinfo_pci *p, unsigned bus, unsigned dev, unsigned fn,
                unsigned pin, uint32_t *line)
{
    if (pin < 1 || pin > 4 || bus != p->bus_first || dev > 31 || fn > 7)
        return false;
    uint32_t addr = (uint32_t)(bus << 16 | dev << 11 | fn << 8);
    unsigned n = p->nintx < WF_BOOTINFO_PCI_INTX ? p->nintx : WF_BOOTINFO_PCI_INTX;
    for (unsigned i = 0; i < n; i++) {
        const struct wf_bootinfo_pci_intx *r = &p->intx[i];
        if ((addr & p->intx_mask_addr) == r->addr && (pin & p->intx_mask_pin) == r->pin) {
            *line = r->line;
            return true;
        }
    }
    return false;
}

const char *host_status_name(enum host_status s)
{
    switch (s) {
    case HOST_OK:
        return "ok";
    case HOST_ERR_WINDOW:
        return "a host bridge window wraps, is empty, has no known space or passes 4 GiB";
    case HOST_ERR_COUNT:
        return "more windows or routes than the bootinfo holds, or a bad bus range";
    case HOST_ERR_FULL:
        return "no window has room for the BAR";
    case HOST_ERR_SIZE:
        return "a BAR size that is not a power of two";
    }
    return "unknown";
}
