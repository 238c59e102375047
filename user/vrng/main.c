/*
 * vrng: a virtio-rng driver serving the rng protocol (abi/protocols/rng.proto;
 * docs/devices.md, "PCI and virtio").
 *
 * Start-up (wf/virtio_drv.h, shared with vblk): claim the device from the PCI
 * bus server (decision 120), map the device VMO of its virtio BAR, bind its
 * IRQHandler (its INTx line) to a notification bound to the server thread;
 * then negotiate (VERSION_1 required, no device features) and set up its one
 * queue in a Pool_CreateContig VMO.
 *
 * Requests: a Read of max bytes (1 to WFP_RNG_MAX) becomes one device-writable
 * descriptor of max bytes in a second contiguous VMO (QSIZE buffers of
 * WFP_RNG_MAX bytes, buffer i for the chain whose head is descriptor i) and
 * its reply is deferred; the interrupt (on_notify) reads the ISR byte (which
 * lowers INTx), takes every used buffer and answers its client with the
 * bytes the device wrote, then acks the line.
 *
 * A device that breaks the queue protocol (used index, id or a length past
 * the buffer, virtq.c) or sets NEEDS_RESET is reset: every pending Read is
 * answered CANCELLED and the device set up again. A used buffer of length 0
 * is answered CANCELLED too (the protocol promises at least one byte).
 *
 * Limits: one device, one queue, at most WF_SERVER_MAX_REPLIES - 1 Reads in
 * flight (NOT_ENOUGH_MEMORY past that).
 */
#include <stdio.h>
#include <string.h>

#include "vrng.h"
#include "weft/invoke.h"
#include "wf/proto/rng.h"
#include "wf/runtime.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"
#include "wf/pci_bus.h"
#include "wf/virtio_drv.h"
#include "wf/virtio_drv_main.h"

enum {
    SLOT_MMIO = 17,     /* the BAR's device VMO from the bus server */
    SLOT_RING = 18,     /* the queue's contiguous VMO */
    SLOT_BUF = 19,      /* the device-writable buffers (contiguous) */
    SLOT_NTFN = 20,     /* the notification bound to the thread */
    SLOT_NTFN_IRQ = 21, /* its badged copy the IRQ handler signals */
    SLOT_RECV = 22,     /* where a stray cap lands */
    SLOT_REPLY0 = 40,   /* WF_SERVER_MAX_REPLIES Reply objects */
};

/* The driver's windows in the layout's device region (wf/layout.h). */
#define MMIO_VA (wf_layout.devices)
#define RING_VA (wf_layout.devices + wf_layout.window)
#define BUF_VA  (wf_layout.devices + 2 * wf_layout.window)
#define QSIZE   16
#define IRQ_BIT 1

static const char usage[] =
    "usage: vrng (started by init with SERVE, POOL and sees=pcibus, or by a parent that puts "
    "the PCI bus server's endpoint in slot 16; claims its device from the bus server and "
    "exits with status 69 when there is none; takes no arguments)\n";

static struct {
    struct virtio_drv v;
    struct virtq q;
    void *ring;
    uint64_t ring_pa, ring_len;
    volatile uint8_t *buf; /* QSIZE buffers of WFP_RNG_MAX bytes */
    uint64_t buf_pa;
    wf_cptr_t pend[QSIZE]; /* the deferred reply of each chain head; 0: none */
    struct wf_server srv;
} d;

/* Brings the device from reset to DRIVER_OK with its queue set up. */
static enum virtio_status device_up(void)
{
    enum virtio_status s = virtio_negotiate(&d.v.dev, 0, 0);
    if (s != VIRTIO_OK)
        return s;
    memset(d.ring, 0, d.ring_len);
    if ((s = virtio_setup_queue(&d.v.dev, 0, &d.q, d.ring, d.ring_pa, d.ring_len, QSIZE)) !=
        VIRTIO_OK)
        return s;
    return virtio_driver_ok(&d.v.dev);
}

/* The device misbehaved and was reset (virtio_drain): cancel every pending
 * Read, start again. */
static void device_recover(void)
{
    for (unsigned i = 0; i < QSIZE; i++) {
        if (d.pend[i])
            wfp_rng_read_answer(&d.srv, d.pend[i], WF_ERR_CANCELLED, 0, 0);
        d.pend[i] = 0;
    }
    if (device_up() != VIRTIO_OK)
        fprintf(stderr, "vrng: the device did not come back after a reset\n");
}

/* Answers the Read of a used buffer with the bytes the device wrote. */
static void on_used(void *ctx, uint16_t head, uint32_t len)
{
    (void)ctx;
    char out[WFP_RNG_MAX];
    wf_cptr_t reply = head < QSIZE ? d.pend[head] : 0;
    if (!reply)
        return;
    d.pend[head] = 0;
    if (len == 0 || len > WFP_RNG_MAX) {
        wfp_rng_read_answer(&d.srv, reply, WF_ERR_CANCELLED, 0, 0);
        return;
    }
    for (uint32_t i = 0; i < len; i++)
        out[i] = (char)d.buf[(size_t)head * WFP_RNG_MAX + i];
    wfp_rng_read_answer(&d.srv, reply, WF_ERR_OK, out, len);
}

/* Takes every used buffer and answers its client. */
static void drain(void)
{
    if (virtio_drain(&d.v.dev, &d.q, on_used, NULL) != VIRTIO_OK) {
        fprintf(stderr, "vrng: the device broke the queue protocol; it was reset\n");
        device_recover();
    }
}

static void on_notify(struct wf_server *s, wf_word_t bits)
{
    (void)s;
    (void)bits;
    d.v.dev.ops->isr(d.v.dev.t); /* reading it lowers INTx */
    drain();
    wf_irqhandler_ack(WF_CHILD_IRQ);
}

static wf_word_t on_read(struct wf_server *s, struct wf_server_req *r, wf_word_t max, char *data,
                         wf_word_t *data_len)
{
    (void)data;
    (void)data_len;
    if (max == 0 || max > WFP_RNG_MAX)
        return WF_ERR_RANGE_ERROR;
    if (d.q.broken)
        return WF_ERR_CANCELLED;
    uint16_t head = virtq_next_head(&d.q);
    if (d.q.num_free < 1 || head >= QSIZE)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    struct virtq_buf b = {d.buf_pa + (uint64_t)head * WFP_RNG_MAX, (uint32_t)max, true};
    wf_cptr_t reply = wf_server_defer(s, r);
    if (!reply)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    uint16_t got;
    if (virtq_add(&d.q, &b, 1, &got) != VIRTQ_OK || got != head) {
        wfp_rng_read_answer(s, reply, WF_ERR_CANCELLED, 0, 0);
        return WF_ERR_OK;
    }
    d.pend[head] = reply;
    if (virtq_kick_needed(&d.q))
        d.v.dev.ops->notify(d.v.dev.t, 0);
    return WF_ERR_OK;
}

static const struct wfp_rng_handlers handlers = {.on_read = on_read};
static const struct wf_server_proto protos[] = {WFP_RNG_PROTO_ENTRY(&handlers)};

static const char *setup(void)
{
    static const uint16_t ids[] = {VRNG_PCI_MODERN, VRNG_PCI_TRANS};
    const struct virtio_drv_cfg cfg = {.ids = ids,
                                       .nids = 2,
                                       .bus = PCI_BUS_SLOT,
                                       .irq = WF_CHILD_IRQ,
                                       .mmio = SLOT_MMIO,
                                       .ntfn = SLOT_NTFN,
                                       .ntfn_irq = SLOT_NTFN_IRQ,
                                       .mmio_va = MMIO_VA,
                                       .irq_bit = IRQ_BIT};
    const char *why = virtio_drv_open(&d.v, &cfg);
    if (why)
        return why;
    d.ring_len = virtq_layout(QSIZE).total;
    if (!(d.ring_pa = virtio_drv_dma_alloc(SLOT_RING, d.ring_len, RING_VA)) ||
        !(d.buf_pa = virtio_drv_dma_alloc(SLOT_BUF, QSIZE * WFP_RNG_MAX, BUF_VA)))
        return "no DMA memory";
    d.ring = (void *)RING_VA;
    d.buf = (volatile uint8_t *)BUF_VA;
    enum virtio_status vs = device_up();
    if (vs == VIRTIO_ERR_FEATURES)
        return "the device does not offer VERSION_1";
    if (vs != VIRTIO_OK)
        return "the device did not initialise";
    d.srv = (struct wf_server){.ep = WF_CHILD_SERVE,
                               .recv_cnode = WF_CHILD_CNODE,
                               .recv_slot = SLOT_RECV,
                               .protos = protos,
                               .nprotos = 1,
                               .on_notify = on_notify};
    if (wf_server_init_pool(&d.srv, WF_CHILD_POOL, WF_CHILD_CNODE, SLOT_REPLY0,
                            WF_SERVER_MAX_REPLIES) != WF_ERR_OK)
        return "no memory for Reply objects";
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    int rc = virtio_drv_start("vrng", usage, argc, setup, &d.v.absent);
    if (rc >= 0)
        return rc;
    return virtio_drv_serve("vrng", &d.srv, &d.v.dev);
}
