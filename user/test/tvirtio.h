/*
 * What the in-guest tests of the virtio drivers share (t_vblk.c, t_vrng.c):
 * starting a driver program as a child process with the caps init would give
 * it (the IOPort range over 0xcf8-0xcff, the IRQHandler of its function's INTx
 * line, a device untyped split down to its virtio BAR: the test is the root
 * task, so it holds every device untyped), and stopping its DMA after.
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

struct tv_drv {
    struct wf_process p;
    wf_cptr_t ep;  /* the driver's SERVE endpoint (the test's copy) */
    wf_cptr_t irq; /* its IRQHandler (the test's copy) */
    struct pci_func f;
};

/* Starts the initramfs program prog as the driver of d->f (found, BARs sized,
 * through io, an IOPort cap over 0xcf8-0xcff) with a pool of pool bytes and
 * the BAR's device untyped in slot ut_slot, and waits until it serves. Uses
 * test slots 1 and up. */
bool tv_start_driver(struct tv_drv *d, const char *prog, size_t pool, wf_cptr_t io,
                     wf_cptr_t ut_slot);

/* Turns bus mastering off (the runner then destroys the process, its rings
 * and the caps). */
void tv_stop_driver(struct tv_drv *d, const struct pci_access *acc);

#endif
