/*
 * The host bridge a bus server without firmware behind it must program itself
 * (user/pcibus/host.c; decision 147): on a device-tree machine booted straight
 * into the kernel (QEMU's aarch64 virt with -kernel) no firmware has assigned
 * the BARs, and INTx lines are routed by the tree's interrupt-map. The
 * description comes from the root task's bootinfo (struct wf_bootinfo_pci),
 * which the server reads and trusts no more than configuration space: a
 * window that wraps, is empty or has no known space, or a 32-bit window above
 * 4 GiB, is an error. Pure functions, host-tested (tests/host/test_pci.c).
 */
#ifndef PCIBUS_HOST_H
#define PCIBUS_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "weft/bootinfo.h"

/* A memory window BARs are placed in; next is the first PCI address not used. */
struct host_window {
    uint64_t cpu, pci, size, next;
    bool mem64; /* a 64-bit window (a 64-bit BAR only) */
};

struct pci_host {
    struct host_window win[WF_BOOTINFO_PCI_WINDOWS];
    unsigned nwin;
};

enum host_status {
    HOST_OK = 0,
    HOST_ERR_WINDOW, /* a window that wraps, is empty, of no space, or 32-bit above 4 GiB */
    HOST_ERR_COUNT,  /* more windows or routes than the bootinfo holds, or buses out of order */
    HOST_ERR_FULL,   /* no window has room for the BAR */
    HOST_ERR_SIZE,   /* a BAR size that is not a power of two of 16 bytes at least */
};

/* Checks p and takes its memory windows into *h (I/O windows are left out:
 * nothing here issues port I/O on a machine without ports). */
enum host_status host_init(struct pci_host *h, const struct wf_bootinfo_pci *p);

/* Places a memory BAR of size bytes (a power of two, 16 at least): the
 * lowest aligned free address of the first 32-bit window with room, else of a
 * 64-bit window when mem64 (a 64-bit BAR may take either). *pci is what the
 * BAR register gets, *cpu where the CPU reaches it. */
enum host_status host_assign(struct pci_host *h, uint64_t size, bool mem64, uint64_t *pci,
                             uint64_t *cpu);

/* Where the CPU reaches [pci, pci + size) of a BAR firmware (or an earlier run
 * of the server) placed: false when no memory window holds it all. BARs placed
 * later in that window go above it. */
bool host_translate(struct pci_host *h, uint64_t pci, uint64_t size, uint64_t *cpu);

/* The line function bus:dev.fn's interrupt pin (1 INTA to 4 INTD) raises,
 * through p's routes (the first matching one); false when none matches or pin
 * is 0 or above 4. Only functions on the root bus (p->bus_first) are routed:
 * behind a bridge the pin would be swizzled at each bridge, which this server
 * does not do. */
bool host_route(const struct wf_bootinfo_pci *p, unsigned bus, unsigned dev, unsigned fn,
                unsigned pin, uint32_t *line);

const char *host_status_name(enum host_status s);

#endif
