/*
 * What the in-guest tests of the PCI bus server and the virtio drivers share
 * (t_vblk.c, t_vrng.c, t_pcibus.c): starting user/pcibus as a child process
 * with the caps init gives it (an IOPort range over 0xcf8-0xffff, a copy of
 * every device untyped, a copy of IRQControl), starting a driver program with
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
 * and the caps). */
void tv_stop_driver(struct tv_drv *d, const struct pci_access *acc);

#endif
