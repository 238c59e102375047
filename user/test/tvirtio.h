/*
 * What the in-guest tests of the PCI bus server and the virtio drivers share
 * (t_vblk.c, t_vrng.c, t_pcibus.c, t_ext2fs.c): the test's own view of the bus
 * (I/O ports, or ECAM on a device-tree machine), starting user/pcibus as a
 * child process with the caps init gives it (an IOPort range over 0xcf8-0xffff,
 * or the bootinfo page where configuration space is ECAM; a copy of every
 * device untyped, a copy of IRQControl), starting a driver program with
 * a badged cap to it (the driver claims its device itself), and stopping its
 * DMA after.
 */
#ifndef TEST_TVIRTIO_H
#define TEST_TVIRTIO_H

#include <stdbool.h>
#include <stddef.h>

#include "tutil.h"
#include "wf/pci.h"
#include "wf/spawn.h"

/* In helpers: fail the test (first message wins) and return false. */
#define NEED(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            tap_fail(__FILE__, __LINE__, "" __VA_ARGS__);                                          \
            return false;                                                                          \
        }                                                                                          \
    } while (0)
#define NEED_ERR(expr, want)                                                                       \
    do {                                                                                           \
        enum wf_error got_ = (expr);                                                               \
        NEED(got_ == (want), "%s: %s, not %s", #expr, wf_error_name(got_), wf_error_name(want));   \
    } while (0)

struct tv_bus {
    struct wf_process p;
    wf_cptr_t ep; /* its SERVE endpoint (the test's copy: badge 0 calls through it) */
};

struct tv_drv {
    struct wf_process p;
    wf_cptr_t ep;  /* the driver's SERVE endpoint (the test's copy) */
    wf_cptr_t irq; /* a copy of the IRQHandler the driver got from the bus server */
    struct pci_func f;
    struct tv_bus bus;
};

/* Starts user/pcibus with the caps init gives it and waits until it serves. */
bool tv_start_bus(struct tv_bus *b);

/* A cap to the bus server minted with badge (a client's id), in a new slot; 0
 * on failure. */
wf_cptr_t tv_bus_client(const struct tv_bus *b, wf_word_t badge);

/* Starts a bus server, then the initramfs program prog as a driver with a
 * pool of pool bytes and the bus server's endpoint minted with badge 7 in
 * slot 16 (PCI_BUS_SLOT); waits until it serves and copies its IRQHandler to
 * d->irq. d->f is the caller's (the device it expects). */
bool tv_start_driver(struct tv_drv *d, const char *prog, size_t pool);

/* Turns bus mastering off (the runner then destroys the processes, their rings
 * and the caps): through acc, or, when acc has no access (ECAM, tv_pci_scan),
 * by releasing the driver's devices through the bus server. */
void tv_stop_driver(struct tv_drv *d, const struct pci_access *acc);

/* Whether configuration space is ECAM (the bootinfo names a host bridge and
 * the machine has no I/O ports): then the bus server gets the bootinfo page
 * (WF_CHILD_BOOTINFO), places the BARs firmware left at 0 in the bridge's
 * windows and routes the INTx pins (decision 147). */
bool tv_pci_ecam(void);

/* Skips the running test when the machine has neither I/O ports nor an ECAM
 * host bridge. */
void tv_need_pci(void);

/* Where tv_pci_scan maps ECAM's first bus while it reads it. */
#define TV_ECAM_VA (TEST_VA + 0x20000000ull)

/* The test's own view of the bus before a bus server starts: every function
 * into out (at most max, *n of them), the BARs of header type 0 sized. With
 * I/O ports through a new IOPort cap over 0xcf8-0xcff in slot io, which *acc
 * keeps using. With ECAM through the
 * first bus's MiB: kept mapped for *acc when keep (no bus server can then
 * start in this test), else revoked before this returns (the bus server needs
 * a copy of its untyped) and *acc is left without access; and what firmware left unassigned (BARs, lines) reads 0 here and is
 * the bus server's to place. Skips without either (tv_need_pci). */
/* With ECAM the bus server placed the BARs and routed the line: f (found by
 * its location) takes the BAR bases and the line the server describes. A
 * driver started by tv_start_driver has its d->f refreshed so. */
bool tv_bus_refresh(const struct tv_bus *b, struct pci_func *f);

bool tv_pci_scan(wf_cptr_t io, struct pci_access *acc, struct pci_func *out, size_t max, size_t *n,
                 bool keep);

#endif
