/*
 * The virtio-rng driver (user/vrng/): its start contract.
 *
 * Caps the parent gives (wf/startinfo.h slots): SERVE (the rng protocol
 * endpoint), POOL (its memory, DMA rings and buffers included), IOPORT (a
 * range covering 0xcf8-0xcff: PCI configuration mechanism #1), IRQ (the
 * IRQHandler of the device's PCI interrupt line) and VRNG_SLOT_DEVICE (a
 * device untyped covering the BAR that holds the virtio structures).
 */
#ifndef VRNG_VRNG_H
#define VRNG_VRNG_H

#define VRNG_SLOT_DEVICE 16     /* WF_CHILD_FIRST_FREE: the BAR's device untyped */
#define VRNG_PCI_MODERN  0x1044 /* 0x1040 + device type 4 */
#define VRNG_PCI_TRANS   0x1005 /* transitional; driven through its modern interface */

#endif
