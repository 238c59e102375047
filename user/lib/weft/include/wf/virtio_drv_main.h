/*
 * The start and the end of a virtio driver's main (musl programs only: it
 * prints to stderr): vblk, vrng and net share them (docs/devices.md).
 */
#ifndef WF_VIRTIO_DRV_MAIN_H
#define WF_VIRTIO_DRV_MAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "wf/pci_bus.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"

/* Checks the command line (no arguments: usage and 2), runs setup and judges
 * its answer: NULL goes on (-1), a failure with *absent set ends the program
 * with WF_EXIT_NO_DEVICE (init does not restart it), any other with 1. */
static inline int virtio_drv_start(const char *name, const char *usage, int argc,
                                   const char *(*setup)(void), const bool *absent)
{
    if (argc > 1) {
        fputs(usage, stderr);
        return 2;
    }
    const char *why = setup();
    if (why && *absent) {
        printf("%s: %s: nothing to drive\n", name, why);
        return WF_EXIT_NO_DEVICE;
    }
    if (why) {
        fprintf(stderr, "%s: cannot start: %s\n%s", name, why, usage);
        return 1;
    }
    return -1;
}

/* Serves until a receive fails, then resets the device; the exit status. */
static inline int virtio_drv_serve(const char *name, struct wf_server *srv, struct virtio_dev *dev)
{
    wf_irqhandler_ack(WF_CHILD_IRQ);
    wf_word_t e = wf_server_run(srv);
    virtio_reset(dev);
    fprintf(stderr, "%s: receive failed: %s\n", name, wf_error_name((enum wf_error)e));
    return 1;
}

#endif
