/*
 * vnet: the virtio-net driver as a server of its own (docs/networking.md;
 * decision 156, which supersedes decision 134's driver inside the network
 * server). It serves the frame protocol (abi/protocols/frame.proto) to one
 * client, the network server.
 *
 * Start-up is the one vblk and vrng share (wf/virtio_drv.h): claim the first
 * virtio-net function (1af4:1041, or a transitional 1af4:1000 through its
 * modern interface) from the PCI bus server, map its BAR, bind its INTx line
 * to the thread's notification. Negotiation takes MAC (the address in the
 * device configuration) and STATUS when offered. The checksum offloads (CSUM,
 * GUEST_CSUM) are reported to the client (frame.Info) but not taken: QEMU
 * offers them only over a backend with virtio-net headers (tap), never on its
 * user network, so a path for them could not be tested here.
 *
 * Queue 0 receives, queue 1 transmits. Each has QSIZE one-descriptor chains
 * over a contiguous VMO of QSIZE buffers of VNET_BUF_LEN bytes of the
 * driver's own; buffer i belongs to the chain whose head is descriptor i.
 * Every receive buffer is posted at start. On an interrupt the driver takes
 * every used receive buffer, writes its frame (and length) into the client's
 * receive ring with one VMO_Write, reposts the buffers, advances rx_prod and
 * signals the client; then it reclaims sent buffers and moves what waits in
 * the client's transmit ring into free transmit buffers (VMO_Read: the length
 * with the frame, one read a frame when the last frame's size guessed right).
 * A kick from the client does the last step alone. The device only ever sees the
 * driver's memory (decision 120); the client's VMO is never mapped, so a
 * client that dies or revokes it makes a VMO call fail, and the driver
 * detaches it. A device that breaks the queue protocol is reset
 * (virtio_drain) and set up again.
 */
#include <stdio.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/proto/frame.h"
#include "wf/runtime.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"
#include "wf/virtio.h"
#include "wf/virtio_drv.h"
#include "wf/virtio_drv_main.h"

#define VNET_PCI_MODERN 0x1041 /* 0x1040 + device type 1 */
#define VNET_PCI_TRANS  0x1000 /* transitional; driven through its modern interface */

#define VIRTIO_NET_F_CSUM       (1ull << 0)
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1)
#define VIRTIO_NET_F_MAC        (1ull << 5)
#define VIRTIO_NET_F_STATUS     (1ull << 16)

/* struct virtio_net_hdr of a VERSION_1 device: 12 bytes before every frame,
 * zero on transmit. One buffer per descriptor: the header and a whole frame. */
#define VNET_HDR_LEN 12
#define VNET_BUF_LEN 2048

_Static_assert(WFP_FRAME_SLOT_LEN + 4 == WFP_FRAME_SLOT_DATA, "length right before the frame");
_Static_assert(VNET_HDR_LEN >= 4, "the length goes over the header's last word");
_Static_assert(WFP_FRAME_FRAME_MAX + VNET_HDR_LEN <= VNET_BUF_LEN, "a frame fits a buffer");
_Static_assert(WFP_FRAME_SLOT_DATA + WFP_FRAME_FRAME_MAX <= WFP_FRAME_SLOT_SIZE,
               "a slot holds its length and the longest frame");
_Static_assert(WFP_FRAME_TX_RING == WFP_FRAME_RX_RING + WFP_FRAME_SLOTS * WFP_FRAME_SLOT_SIZE,
               "frame.proto's layout");
_Static_assert(WFP_FRAME_BUFFER_SIZE == WFP_FRAME_TX_RING + WFP_FRAME_SLOTS * WFP_FRAME_SLOT_SIZE,
               "frame.proto's layout");

enum {
    SLOT_MMIO = 17,     /* the BAR's device VMO from the bus server */
    SLOT_RXRING = 18,   /* receive queue (contiguous) */
    SLOT_TXRING = 19,   /* transmit queue */
    SLOT_RXBUF = 20,    /* receive buffers */
    SLOT_TXBUF = 21,    /* transmit buffers */
    SLOT_NTFN = 22,     /* the notification bound to the thread */
    SLOT_NTFN_IRQ = 23, /* its badged copy the IRQ handler signals */
    SLOT_KICK = 24,     /* its badged copy the client signals */
    SLOT_RECV = 25,     /* where a client's cap lands */
    SLOT_CNOTE = 26,    /* the client's notification */
    SLOT_CBUF = 27,     /* the client's rings */
    SLOT_REPLY0 = 28,   /* REPLIES Reply objects */
};

/* The driver's windows in the layout's device region (wf/layout.h). */
#define MMIO_VA   (wf_layout.devices)
#define RXRING_VA (wf_layout.devices + wf_layout.window)
#define TXRING_VA (wf_layout.devices + 2 * wf_layout.window)
#define RXBUF_VA  (wf_layout.devices + 3 * wf_layout.window)
#define TXBUF_VA  (wf_layout.devices + 4 * wf_layout.window)
#define QSIZE     128
#define BIT_IRQ   1
#define BIT_KICK  2
#define REPLIES   2
#define TX_SMALL  128 /* bytes of a frame read at first after a small one */

static const char usage[] =
    "usage: vnet (started by init with SERVE, POOL and sees=pcibus, or by a parent that puts "
    "the PCI bus server's endpoint in slot 16; drives the first virtio-net device and serves "
    "the frame protocol to one client; exits with status 69 when there is no device; takes no "
    "arguments)\n";

static struct {
    struct virtio_drv v;
    struct virtq rx, tx;
    void *rxring, *txring;
    uint64_t ring_len;
    uint64_t rxring_pa, txring_pa;
    volatile uint8_t *rxbuf, *txbuf;
    uint64_t rxbuf_pa, txbuf_pa;
    uint8_t mac[6];
    uint64_t offered;     /* the device's features */
    uint16_t used[QSIZE]; /* receive buffers taken by one drain, and their lengths */
    uint32_t used_len[QSIZE];
    unsigned nused;
    bool notify;   /* the client's notification is in SLOT_CNOTE */
    bool attached; /* the client's rings are in SLOT_CBUF */
    bool tx_long;  /* the last frame sent was longer than TX_SMALL */
    uint32_t rx_prod, tx_cons;
    uint64_t nrx, ntx, rx_dropped, tx_dropped, resets;
    struct wf_server srv;
} d;

/* Posts the receive buffer of the next free descriptor. */
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

static void recover(void)
{
    d.resets++;
    fprintf(stderr, "vnet: the device broke the queue protocol; it was reset\n");
    if (device_up() != VIRTIO_OK)
        fprintf(stderr, "vnet: the device did not come back after a reset\n");
}

static void detach(const char *why)
{
    if (d.attached)
        fprintf(stderr, "vnet: client detached: %s\n", why);
    d.attached = false;
    wf_cnode_delete(WF_CHILD_CNODE, SLOT_CBUF, 64);
}

static bool cbuf_read32(wf_word_t off, uint32_t *v)
{
    return wf_vmo_read(SLOT_CBUF, off, 4, WF_CHILD_VSPACE, (wf_word_t)v) == WF_ERR_OK;
}

static bool cbuf_write32(wf_word_t off, uint32_t v)
{
    return wf_vmo_write(SLOT_CBUF, off, 4, WF_CHILD_VSPACE, (wf_word_t)&v) == WF_ERR_OK;
}

static void on_tx_used(void *ctx, uint16_t head, uint32_t len)
{
    (void)ctx, (void)head, (void)len;
}

static void on_rx_used(void *ctx, uint16_t head, uint32_t len)
{
    (void)ctx;
    if (head >= QSIZE || d.nused >= QSIZE)
        return;
    d.used[d.nused] = head;
    d.used_len[d.nused++] = len;
}

/* Moves the frames waiting in the client's transmit ring into free transmit
 * buffers, as many as the device queue takes; true when any was taken. */
static bool pump_tx(void)
{
    if (virtio_drain(&d.v.dev, &d.tx, on_tx_used, NULL) != VIRTIO_OK) {
        recover();
        return false;
    }
    if (!d.attached || d.tx.broken)
        return false;
    uint32_t prod;
    if (!cbuf_read32(WFP_FRAME_OFF_TX_PROD, &prod)) {
        detach("its buffer is gone");
        return false;
    }
    uint32_t waiting = prod - d.tx_cons, start = d.tx_cons;
    if (waiting > WFP_FRAME_SLOTS) {
        detach("tx_prod out of range");
        return false;
    }
    bool kick = false;
    while (waiting && d.tx.num_free) {
        wf_word_t slot =
            WFP_FRAME_TX_RING + (wf_word_t)(d.tx_cons % WFP_FRAME_SLOTS) * WFP_FRAME_SLOT_SIZE;
        uint32_t len;
        uint16_t head = virtq_next_head(&d.tx), got;
        if (head >= QSIZE)
            break;
        /* One VMO_Read takes the slot's length and the frame, over the
         * header's last word (as deliver_rx writes them): as many bytes as a
         * small frame has (TX_SMALL) after a small frame, the longest frame
         * after a long one, and the rest by a second read when the guess was
         * short. A bulk send is one system call a full frame, a stream of ACKs
         * one a small frame, and no byte is read twice. */
        uint8_t *buf = (uint8_t *)(d.txbuf + (size_t)head * VNET_BUF_LEN);
        uint32_t want = d.tx_long ? WFP_FRAME_FRAME_MAX : TX_SMALL;
        if (wf_vmo_read(SLOT_CBUF, slot + WFP_FRAME_SLOT_LEN, 4 + want, WF_CHILD_VSPACE,
                        (wf_word_t)(buf + VNET_HDR_LEN - 4)) != WF_ERR_OK) {
            detach("its buffer is gone");
            return false;
        }
        memcpy(&len, buf + VNET_HDR_LEN - 4, 4);
        d.tx_long = len > TX_SMALL;
        if (len > want && len <= WFP_FRAME_FRAME_MAX &&
            wf_vmo_read(SLOT_CBUF, slot + WFP_FRAME_SLOT_DATA + want, len - want, WF_CHILD_VSPACE,
                        (wf_word_t)(buf + VNET_HDR_LEN + want)) != WF_ERR_OK) {
            detach("its buffer is gone");
            return false;
        }
        if (len == 0 || len > WFP_FRAME_FRAME_MAX) {
            d.tx_dropped++;
        } else {
            memset(buf, 0, VNET_HDR_LEN);
            struct virtq_buf b = {d.txbuf_pa + (uint64_t)head * VNET_BUF_LEN, len + VNET_HDR_LEN,
                                  false};
            if (virtq_add(&d.tx, &b, 1, &got) != VIRTQ_OK || got != head)
                break;
            d.ntx++;
            kick = true;
        }
        d.tx_cons++;
        waiting--;
    }
    if (kick && virtq_kick_needed(&d.tx))
        d.v.dev.ops->notify(d.v.dev.t, 1);
    if (d.tx_cons == start)
        return false;
    if (!cbuf_write32(WFP_FRAME_OFF_TX_CONS, d.tx_cons)) {
        detach("its buffer is gone");
        return false;
    }
    /* The client may wait for room only when the ring was full. */
    return prod - start == WFP_FRAME_SLOTS;
}

/* Writes the frames of one drain into the client's receive ring; true when
 * any went in. */
static bool deliver_rx(void)
{
    uint32_t cons = 0, room = 0;
    if (d.attached) {
        if (!cbuf_read32(WFP_FRAME_OFF_RX_CONS, &cons))
            detach("its buffer is gone");
        else if (d.rx_prod - cons > WFP_FRAME_SLOTS)
            detach("rx_cons out of range");
        else
            room = WFP_FRAME_SLOTS - (d.rx_prod - cons);
    }
    uint32_t start = d.rx_prod;
    for (unsigned i = 0; i < d.nused; i++) {
        uint32_t len = d.used_len[i];
        if (!d.attached || !room || len <= VNET_HDR_LEN ||
            len - VNET_HDR_LEN > WFP_FRAME_FRAME_MAX) {
            d.rx_dropped++;
            continue;
        }
        /* The header's last word (num_buffers, read by no one) becomes the
         * length, so that one VMO_Write moves the length and the frame. */
        volatile uint8_t *buf = d.rxbuf + (size_t)d.used[i] * VNET_BUF_LEN;
        uint32_t flen = len - VNET_HDR_LEN;
        memcpy((uint8_t *)(buf + VNET_HDR_LEN - 4), &flen, 4);
        wf_word_t slot =
            WFP_FRAME_RX_RING + (wf_word_t)(d.rx_prod % WFP_FRAME_SLOTS) * WFP_FRAME_SLOT_SIZE;
        if (wf_vmo_write(SLOT_CBUF, slot + WFP_FRAME_SLOT_LEN, flen + 4, WF_CHILD_VSPACE,
                         (wf_word_t)(buf + VNET_HDR_LEN - 4)) != WF_ERR_OK) {
            detach("its buffer is gone");
            d.rx_dropped++;
            continue;
        }
        d.rx_prod++;
        d.nrx++;
        room--;
    }
    if (d.rx_prod == start || !d.attached)
        return false;
    if (!cbuf_write32(WFP_FRAME_OFF_RX_PROD, d.rx_prod)) {
        detach("its buffer is gone");
        return false;
    }
    return true;
}

static void signal_client(void)
{
    if (d.notify && wf_sys_signal(SLOT_CNOTE) != WF_ERR_OK)
        detach("its notification is gone");
}

static void on_notify(struct wf_server *s, wf_word_t bits)
{
    (void)s;
    bool wake = false;
    if (bits & BIT_IRQ) {
        d.v.dev.ops->isr(d.v.dev.t); /* reading it lowers INTx */
        d.nused = 0;
        if (virtio_drain(&d.v.dev, &d.rx, on_rx_used, NULL) != VIRTIO_OK) {
            recover(); /* the frames taken are dropped: their buffers were reposted */
        } else {
            wake = deliver_rx();
            for (unsigned i = 0; i < d.nused && !d.rx.broken; i++)
                if (!post_rx())
                    break;
            if (d.nused && !d.rx.broken && virtq_kick_needed(&d.rx))
                d.v.dev.ops->notify(d.v.dev.t, 0);
        }
    }
    if (pump_tx())
        wake = true;
    if (wake)
        signal_client();
    if (bits & BIT_IRQ)
        wf_irqhandler_ack(WF_CHILD_IRQ);
}

static wf_word_t on_info(struct wf_server *s, struct wf_server_req *r, wf_word_t *mac,
                         wf_word_t *offered, wf_word_t *taken)
{
    (void)s, (void)r;
    wf_word_t m = 0;
    for (int i = 5; i >= 0; i--)
        m = m << 8 | d.mac[i];
    *mac = m;
    *offered = ((d.offered & VIRTIO_NET_F_CSUM) ? WFP_FRAME_F_CSUM : 0) |
               ((d.offered & VIRTIO_NET_F_GUEST_CSUM) ? WFP_FRAME_F_GUEST_CSUM : 0);
    *taken = 0;
    return WF_ERR_OK;
}

static wf_word_t on_set_notify(struct wf_server *s, struct wf_server_req *r, wf_cptr_t notification,
                               wf_cptr_t *kick)
{
    (void)s, (void)r;
    wf_word_t type = 0;
    if (wf_cnode_describe(WF_CHILD_CNODE, notification, 64, &type, 0, 0, 0) != WF_ERR_OK ||
        type != WF_OBJ_NOTIFICATION)
        return WF_ERR_INVALID_ARGUMENT;
    detach("a new client");
    d.notify = false;
    wf_cnode_delete(WF_CHILD_CNODE, SLOT_CNOTE, 64);
    if (wf_cnode_move(WF_CHILD_CNODE, SLOT_CNOTE, 64, WF_CHILD_CNODE, notification, 64) !=
        WF_ERR_OK)
        return WF_ERR_INVALID_ARGUMENT;
    d.notify = true;
    *kick = SLOT_KICK;
    return WF_ERR_OK;
}

static wf_word_t on_attach(struct wf_server *s, struct wf_server_req *r, wf_cptr_t buffer)
{
    (void)s, (void)r;
    if (!d.notify)
        return WF_ERR_ILLEGAL_OPERATION;
    wf_word_t sz = 0, type = 0, rights = 0;
    if (wf_vmo_describe(buffer, &sz, 0, 0, 0) != WF_ERR_OK || sz < WFP_FRAME_BUFFER_SIZE ||
        wf_cnode_describe(WF_CHILD_CNODE, buffer, 64, &type, &rights, 0, 0) != WF_ERR_OK ||
        (rights & (WF_RIGHT_READ | WF_RIGHT_WRITE)) != (WF_RIGHT_READ | WF_RIGHT_WRITE))
        return WF_ERR_INVALID_ARGUMENT;
    detach("a new buffer");
    if (wf_cnode_move(WF_CHILD_CNODE, SLOT_CBUF, 64, WF_CHILD_CNODE, buffer, 64) != WF_ERR_OK)
        return WF_ERR_INVALID_ARGUMENT;
    d.rx_prod = d.tx_cons = 0;
    static const uint8_t zero[256];
    if (wf_vmo_write(SLOT_CBUF, 0, sizeof zero, WF_CHILD_VSPACE, (wf_word_t)zero) != WF_ERR_OK) {
        wf_cnode_delete(WF_CHILD_CNODE, SLOT_CBUF, 64);
        return WF_ERR_INVALID_ARGUMENT;
    }
    d.attached = true;
    return WF_ERR_OK;
}

static wf_word_t on_stats(struct wf_server *s, struct wf_server_req *r, wf_word_t *rx,
                          wf_word_t *tx, wf_word_t *rx_dropped, wf_word_t *tx_dropped,
                          wf_word_t *resets)
{
    (void)s, (void)r;
    *rx = d.nrx;
    *tx = d.ntx;
    *rx_dropped = d.rx_dropped;
    *tx_dropped = d.tx_dropped;
    *resets = d.resets;
    return WF_ERR_OK;
}

static const struct wfp_frame_handlers handlers = {
    .on_info = on_info,
    .on_set_notify = on_set_notify,
    .on_attach = on_attach,
    .on_stats = on_stats,
};
static const struct wf_server_proto protos[] = {WFP_FRAME_PROTO_ENTRY(&handlers)};

static const char *setup(void)
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
                                       .irq_bit = BIT_IRQ};
    const char *why = virtio_drv_open(&d.v, &cfg);
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
    if (virtio_read_config(&d.v.dev, 0, d.mac, 6) != VIRTIO_OK)
        return "cannot read the MAC address";
    d.offered = d.v.dev.ops->get_features(d.v.dev.t);
    if (wf_cnode_mint(WF_CHILD_CNODE, SLOT_KICK, 64, WF_CHILD_CNODE, SLOT_NTFN, 64, WF_RIGHT_WRITE,
                      BIT_KICK) != WF_ERR_OK)
        return "cannot make the kick notification";
    d.srv = (struct wf_server){.ep = WF_CHILD_SERVE,
                               .recv_cnode = WF_CHILD_CNODE,
                               .recv_slot = SLOT_RECV,
                               .protos = protos,
                               .nprotos = 1,
                               .on_notify = on_notify};
    if (wf_server_init_pool(&d.srv, WF_CHILD_POOL, WF_CHILD_CNODE, SLOT_REPLY0, REPLIES) !=
        WF_ERR_OK)
        return "no memory for Reply objects";
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    int rc = virtio_drv_start("vnet", usage, argc, setup, &d.v.absent);
    if (rc >= 0)
        return rc;
    printf("vnet: virtio-net %02x:%02x:%02x:%02x:%02x:%02x, checksum offload %s\n", d.mac[0],
           d.mac[1], d.mac[2], d.mac[3], d.mac[4], d.mac[5],
           d.offered & (VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM) ? "offered, not taken"
                                                                     : "not offered");
    return virtio_drv_serve("vnet", &d.srv, &d.v.dev);
}
