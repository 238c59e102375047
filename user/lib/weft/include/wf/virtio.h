/*
 * virtio 1.x devices: the device-independent part (user/lib/weft/virtio.c),
 * a transport interface, and the PCI transport (virtio_pci.c; virtio 1.1,
 * section 4.1). A device driver (virtio-blk: user/vblk/) talks to struct
 * virtio_dev only, so a virtio-mmio transport (section 4.2) can slot in beside
 * the PCI one without touching it.
 */
#ifndef WF_VIRTIO_H
#define WF_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wf/pci.h"
#include "wf/virtq.h"

/* Device status bits (section 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER      2
#define VIRTIO_STATUS_DRIVER_OK   4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED      128

#define VIRTIO_F_VERSION_1 (1ull << 32)

enum virtio_status {
    VIRTIO_OK = 0,
    VIRTIO_ERR_FEATURES, /* the device lacks VERSION_1 or a required feature, or refused ours */
    VIRTIO_ERR_DEVICE,   /* the device misbehaved (a reset that never ends, a bad queue size) */
    VIRTIO_ERR_ARG,      /* a bad argument from the driver */
    VIRTIO_ERR_CAPS,     /* PCI: missing or malformed virtio capabilities */
};

/* What a transport provides. Every function is bounded in time. */
struct virtio_transport {
    uint64_t (*get_features)(void *t);
    void (*set_features)(void *t, uint64_t features);
    uint8_t (*get_status)(void *t);
    /* Writing 0 resets the device; returns false when the reset did not end. */
    bool (*set_status)(void *t, uint8_t status);
    /* Copies len bytes of device configuration at off; false when out of range. */
    bool (*read_config)(void *t, size_t off, void *buf, size_t len);
    uint32_t (*config_generation)(void *t);
    uint16_t (*num_queues)(void *t);
    /* The queue's maximum size (0: no such queue). */
    uint16_t (*queue_max)(void *t, uint16_t q);
    /* Gives the device queue q of size entries at the physical addresses and enables it. */
    void (*queue_enable)(void *t, uint16_t q, uint16_t size, uint64_t desc, uint64_t avail,
                         uint64_t used);
    void (*notify)(void *t, uint16_t q);
    /* Reads (and so clears) the interrupt status: bit 0 queue, bit 1 configuration. */
    uint8_t (*isr)(void *t);
};

struct virtio_dev {
    const struct virtio_transport *ops;
    void *t;
    uint64_t features; /* negotiated */
};

/* Resets the device, acknowledges it, and negotiates: the device must offer
 * VERSION_1 and every feature of required; the driver accepts those and the
 * offered ones of wanted. Leaves the device at FEATURES_OK (queues are set up
 * next, then virtio_driver_ok). On failure the device is marked FAILED. */
enum virtio_status virtio_negotiate(struct virtio_dev *d, uint64_t wanted, uint64_t required);

/* Sets DRIVER_OK: the device is live. */
enum virtio_status virtio_driver_ok(struct virtio_dev *d);

/* Resets the device (status 0): every queue is forgotten, no more DMA. */
enum virtio_status virtio_reset(struct virtio_dev *d);

/* Takes every used chain of q, calling on_used(ctx, head, len) for each, in
 * order. When the device broke the queue protocol (virtq_get's
 * VIRTQ_ERR_DEVICE: a used index past what is in flight, an id that is not a
 * chain's head, a length past the chain's writable bytes) or sets
 * NEEDS_RESET, resets the device (no more DMA) and returns VIRTIO_ERR_DEVICE:
 * the caller cancels every request still in flight and sets the device up
 * again (virtio_negotiate, virtio_setup_queue, which resets the queue).
 * VIRTIO_OK otherwise. */
enum virtio_status virtio_drain(struct virtio_dev *d, struct virtq *q,
                                void (*on_used)(void *ctx, uint16_t head, uint32_t len), void *ctx);

/* Reads len bytes of device configuration at off consistently (retries while
 * the configuration generation changes, a bounded number of times). */
enum virtio_status virtio_read_config(struct virtio_dev *d, size_t off, void *buf, size_t len);

/* Sets up queue index over q: the largest power of two at most want, the
 * device's maximum and VIRTQ_MAX entries, in mem (len bytes at physical pa,
 * page-aligned, at least virtq_layout(size).total), and enables it on the
 * device. VIRTIO_ERR_DEVICE when the device has no such queue. */
enum virtio_status virtio_setup_queue(struct virtio_dev *d, uint16_t index, struct virtq *q,
                                      void *mem, uint64_t pa, size_t len, uint16_t want);

/* The PCI transport. */

/* Capability types of a virtio vendor capability (section 4.1.4). */
#define VIRTIO_PCI_CAP_COMMON 1
#define VIRTIO_PCI_CAP_NOTIFY 2
#define VIRTIO_PCI_CAP_ISR    3
#define VIRTIO_PCI_CAP_DEVICE 4

/* Where one structure lives: BAR, offset and length in it. */
struct virtio_pci_region {
    uint8_t bar;
    uint32_t offset, length;
};

struct virtio_pci_caps {
    struct virtio_pci_region common, notify, isr, device; /* length 0: absent */
    uint32_t notify_multiplier;
};

/* Finds the first capability of each type in f's list (f's BARs sized) and
 * checks it: a memory BAR that exists, offset + length inside it, a common
 * structure of at least 0x38 bytes, a notify capability of 20 bytes.
 * VIRTIO_ERR_CAPS when the common, notify or ISR structure is missing or
 * malformed, or the list itself is (a loop, a bad pointer); the device
 * structure is optional. */
enum virtio_status virtio_pci_find_caps(const struct pci_access *a, const struct pci_func *f,
                                        struct virtio_pci_caps *caps);

#define VIRTIO_PCI_QUEUES 8 /* queues a driver may use through this transport */

/* MMIO views of the structures, filled by virtio_pci_attach. */
struct virtio_pci {
    volatile uint8_t *common, *notify, *isr, *device;
    uint32_t notify_multiplier, notify_length, device_length;
    uint32_t notify_at[VIRTIO_PCI_QUEUES]; /* offset of each enabled queue's doorbell */
};

/* Points p at the structures caps names, bar_va[i] being where BAR i is mapped
 * (NULL: not mapped), and d at the PCI transport over p. VIRTIO_ERR_ARG when a
 * structure's BAR is not mapped. */
enum virtio_status virtio_pci_attach(struct virtio_pci *p, const struct virtio_pci_caps *caps,
                                     volatile uint8_t *const bar_va[PCI_BARS],
                                     struct virtio_dev *d);

extern const struct virtio_transport virtio_pci_transport;

#endif
