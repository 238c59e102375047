/*
 * vnet: the virtio-net driver inside the network server (decision 134).
 *
 * Start-up is the one vblk and vrng share (wf/virtio_drv.h): claim the first
 * virtio-net function (1af4:1041, or a transitional 1af4:1000 through its
 * modern interface) from the PCI bus server, map its BAR, bind its INTx line
 * to the server thread's notification. Negotiation takes MAC (the address in
 * the device configuration) and STATUS when offered, no offloads.
 *
 * Queue 0 receives, queue 1 transmits. Each has QSIZE one-descriptor chains
 * over a contiguous VMO of QSIZE buffers of VNET_BUF_LEN bytes; buffer i
 * belongs to the chain whose head is descriptor i. Every receive buffer is
 * posted at start and reposted as soon as its frame was copied out; a
 * transmit buffer is reclaimed when the device returns it. A device that
 * breaks the queue protocol is reset (virtio_drain) and set up again.
 */
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/virtio.h"
#include "wf/virtio_drv.h"

enum {
    SLOT_MMIO = 17,     /* the BAR's device VMO from the bus server */
    SLOT_RXRING = 18,   /* receive queue (contiguous) */
    SLOT_TXRING = 19,   /* transmit queue */
    SLOT_RXBUF = 20,    /* receive buffers */
    SLOT_TXBUF = 21,    /* transmit buffers */
    SLOT_NTFN = 22,     /* the notification bound to the thread */
    SLOT_NTFN_IRQ = 23, /* its badged copy the IRQ handler signals */
};

#define MMIO_VA   0x0000400000000000ull
#define RXRING_VA 0x0000400100000000ull
#define TXRING_VA 0x0000400200000000ull
#define RXBUF_VA  0x0000400300000000ull
#define TXBUF_VA  0x0000400400000000ull
#define QSIZE     128

struct vnet_stats vnet_stats;

static struct {
    struct virtio_drv v;
    struct virtq rx, tx;
    void *rxring, *txring;
    uint64_t rxring_pa, txring_pa, ring_len;
    volatile uint8_t *rxbuf, *txbuf;
    uint64_t rxbuf_pa, txbuf_pa;
    uint16_t used[QSIZE]; /* receive buffers taken by one drain, and their lengths */
    uint32_t used_len[QSIZE];
    unsigned nused;
} d;

/* Posts the receive buffer of the next free descriptor (buffer i belongs to
 * descriptor i). */
static bool post_rx(void)
{
    uint16_t want = virtq_next_head(&d.rx), got;
    if (want >= QSIZE)
        return false;
    struct virtq_buf b = {d.rxbuf_pa + (uint64_t)want * VNET_BUF_LEN, VNET_BUF_LEN, true};
    return virtq_add(&d.rx, &b, 1, &got) == VIRTQ_OK && got == want;
}

/* Resets the device and brings it to DRIVER_OK with both queues set up and
 * every receive buffer posted. */
static enum virtio_status device_up(void)
{
    enum virtio_status s =
        virtio_negotiate(&d.v.dev, VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS, VIRTIO_NET_F_MAC);
    if (s != VIRTIO_OK)
        return s;
    memset(d.rxring, 0, d.ring_len);
    memset(d.txring, 0, d.ring_len);
    if ((s = virtio_setup_queue(&d.v.dev, 0, &d.rx, d.rxring, d.rxring_pa, d.ring_len, QSIZE)) !=
            VIRTIO_OK ||
        (s = virtio_setup_queue(&d.v.dev, 1, &d.tx, d.txring, d.txring_pa, d.ring_len, QSIZE)) !=
            VIRTIO_OK)
        return s;
    while (d.rx.num_free > 0)
        if (!post_rx())
            return VIRTIO_ERR_DEVICE;
    if ((s = virtio_driver_ok(&d.v.dev)) != VIRTIO_OK)
        return s;
    d.v.dev.ops->notify(d.v.dev.t, 0);
    return VIRTIO_OK;
}

const char *vnet_open(uint8_t mac[6], bool *absent)
{
    static const uint16_t ids[] = {VNET_PCI_MODERN, VNET_PCI_TRANS};
    const struct virtio_drv_cfg cfg = {.ids = ids,
                                       .nids = 2,
                                       .bus = PCI_BUS_SLOT,
                                       .irq = WF_CHILD_IRQ,
                                       .mmio = SLOT_MMIO,
                                       .ntfn = SLOT_NTFN,
                                       .ntfn_irq = SLOT_NTFN_IRQ,
                                       .mmio_va = MMIO_VA,
                                       .irq_bit = NET_BIT_IRQ};
    const char *why = virtio_drv_open(&d.v, &cfg);
    *absent = d.v.absent;
    if (why)
        return why;
    d.ring_len = virtq_layout(QSIZE).total;
    if (!(d.rxring_pa = virtio_drv_dma_alloc(SLOT_RXRING, d.ring_len, RXRING_VA)) ||
        !(d.txring_pa = virtio_drv_dma_alloc(SLOT_TXRING, d.ring_len, TXRING_VA)) ||
        !(d.rxbuf_pa = virtio_drv_dma_alloc(SLOT_RXBUF, QSIZE * VNET_BUF_LEN, RXBUF_VA)) ||
        !(d.txbuf_pa = virtio_drv_dma_alloc(SLOT_TXBUF, QSIZE * VNET_BUF_LEN, TXBUF_VA)))
        return "no DMA memory";
    d.rxring = (void *)RXRING_VA;
    d.txring = (void *)TXRING_VA;
    d.rxbuf = (volatile uint8_t *)RXBUF_VA;
    d.txbuf = (volatile uint8_t *)TXBUF_VA;
    enum virtio_status vs = device_up();
    if (vs == VIRTIO_ERR_FEATURES)
        return "the device does not offer VERSION_1 and MAC";
    if (vs != VIRTIO_OK)
        return "the device did not initialise";
    if (virtio_read_config(&d.v.dev, 0, mac, 6) != VIRTIO_OK)
        return "cannot read the MAC address";
    return NULL;
}

static void recover(void)
{
    vnet_stats.resets++;
    if (device_up() != VIRTIO_OK)
        fprintf(stderr, "net: the device did not come back after a reset\n");
}

static void on_tx_used(void *ctx, uint16_t head, uint32_t len)
{
    (void)ctx;
    (void)head;
    (void)len;
}

static void on_rx_used(void *ctx, uint16_t head, uint32_t len)
{
    (void)ctx;
    if (head >= QSIZE || d.nused >= QSIZE)
        return;
    d.used[d.nused] = head;
    d.used_len[d.nused++] = len;
}

/* Reclaims the transmit buffers the device is done with. */
static bool reclaim_tx(void)
{
    if (virtio_drain(&d.v.dev, &d.tx, on_tx_used, NULL) != VIRTIO_OK) {
        recover();
        return false;
    }
    return true;
}

bool vnet_send(size_t len, void (*copy)(void *ctx, uint8_t *dst), void *ctx)
{
    if (len == 0 || len > VNET_FRAME_MAX || d.tx.broken)
        return false;
    if (d.tx.num_free == 0 && !reclaim_tx())
        return false;
    uint16_t head = virtq_next_head(&d.tx), got;
    if (d.tx.num_free == 0 || head >= QSIZE) {
        vnet_stats.tx_full++;
        return false;
    }
    uint8_t *buf = (uint8_t *)(d.txbuf + (size_t)head * VNET_BUF_LEN);
    memset(buf, 0, VNET_HDR_LEN);
    copy(ctx, buf + VNET_HDR_LEN);
    struct virtq_buf b = {d.txbuf_pa + (uint64_t)head * VNET_BUF_LEN,
                          (uint32_t)(len + VNET_HDR_LEN), false};
    if (virtq_add(&d.tx, &b, 1, &got) != VIRTQ_OK || got != head)
        return false;
    vnet_stats.tx++;
    if (virtq_kick_needed(&d.tx))
        d.v.dev.ops->notify(d.v.dev.t, 1);
    return true;
}

void vnet_interrupt(void (*deliver)(const uint8_t *frame, size_t len))
{
    d.v.dev.ops->isr(d.v.dev.t); /* reading it lowers INTx */
    d.nused = 0;
    if (virtio_drain(&d.v.dev, &d.rx, on_rx_used, NULL) != VIRTIO_OK) {
        recover(); /* the frames taken are dropped: their buffers were reposted */
        wf_irqhandler_ack(WF_CHILD_IRQ);
        return;
    }
    /* Frames go to the stack after the drain: what the stack sends in answer
     * goes out through the transmit queue, which may be reclaimed meanwhile. */
    for (unsigned i = 0; i < d.nused; i++) {
        uint32_t len = d.used_len[i];
        if (len > VNET_HDR_LEN && len <= VNET_BUF_LEN) {
            vnet_stats.rx++;
            deliver((const uint8_t *)(d.rxbuf + (size_t)d.used[i] * VNET_BUF_LEN + VNET_HDR_LEN),
                    len - VNET_HDR_LEN);
        } else {
            vnet_stats.rx_dropped++;
        }
    }
    /* Only then every buffer goes back: a repost takes any free descriptor,
     * whose buffer must no longer hold a frame the stack has not copied. */
    for (unsigned i = 0; i < d.nused && !d.rx.broken; i++)
        if (!post_rx())
            break;
    if (d.nused && !d.rx.broken && virtq_kick_needed(&d.rx))
        d.v.dev.ops->notify(d.v.dev.t, 0);
    reclaim_tx();
    wf_irqhandler_ack(WF_CHILD_IRQ);
}
