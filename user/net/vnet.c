/*
 * vnet.c: the network server's side of the frame protocol
 * (abi/protocols/frame.proto; decision 156): the virtio-net driver is the
 * server `vnet` (user/vnet/), and this file is its client.
 *
 * At start the server asks the PCI bus server whether there is a virtio-net
 * function at all (Describe; none: exit 69, as before), then attaches: looks
 * "vnet" up, asks Info (the MAC address), gives the driver a badged copy of
 * its own notification (SetNotify; NET_BIT_FRAMES) and gets the kick back,
 * then gives the rings' VMO (Attach), which it keeps mapped. Received frames
 * are read in place from the receive ring and their slots given back at once
 * (rx_cons); a frame to send is written into the next transmit slot, and the
 * kick is signalled once for all the frames of one request or notification
 * (vnet_flush, after lwIP has run): the driver, at a higher priority than the
 * server, would otherwise run for every frame.
 *
 * The driver's death shows as its endpoint (revoked by init) or the kick
 * (its pool's) leaving the CNode: vnet_check, on every timer, sees it, tells
 * the stack (which drops its connections), and attaches again once the name
 * server has the restarted driver's endpoint.
 */
#include <stdio.h>
#include <string.h>

#include "net.h"
#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/pci_bus.h"
#include "wf/proto/frame.h"
#include "wf/proto/pci.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

enum {
    SLOT_EP = 17,       /* the driver's endpoint ("vnet") */
    SLOT_RINGS = 18,    /* the rings' VMO */
    SLOT_NTFN = 19,     /* the notification bound to the thread */
    SLOT_NTFN_DRV = 20, /* its badged copy the driver signals */
    SLOT_KICK = 21,     /* the driver's kick */
};

#define RINGS_VA (wf_layout.devices) /* wf/layout.h */

struct vnet_stats vnet_stats;

static struct {
    volatile uint8_t *rings;
    bool attached;
    bool kick; /* frames written since the driver was last kicked */
    uint32_t rx_cons, tx_prod;
} c;

static volatile uint32_t *idx(unsigned off)
{
    return (volatile uint32_t *)(c.rings + off);
}

static volatile uint8_t *slot(unsigned ring, uint32_t i)
{
    return c.rings + ring + (size_t)(i % WFP_FRAME_SLOTS) * WFP_FRAME_SLOT_SIZE;
}

/* Is there a virtio-net function on the bus (claimed or not)? */
static bool device_present(void)
{
    if (wf_reconnect(PCI_BUS_SLOT, "pcibus") != WF_ERR_OK)
        return false;
    for (wf_word_t i = 0;; i++) {
        wf_word_t id, cls, loc, irq, claimed;
        if (wfp_pci_describe(PCI_BUS_SLOT, i, &id, &cls, &loc, &irq, &claimed) != WF_ERR_OK)
            return false;
        if ((id & 0xffff) == 0x1af4 &&
            ((id >> 16) == VNET_PCI_MODERN || (id >> 16) == VNET_PCI_TRANS))
            return true;
    }
}

static bool slot_full(wf_cptr_t s)
{
    wf_word_t type = 0;
    return wf_cnode_describe(WF_CHILD_CNODE, s, 64, &type, 0, 0, 0) == WF_ERR_OK && type != 0;
}

/* Attaches to the driver: NULL, or why not. */
static const char *attach(uint8_t mac[6])
{
    wf_word_t m = 0, offered = 0, taken = 0;
    if (wf_reconnect(SLOT_EP, "vnet") != WF_ERR_OK)
        return "no driver (vnet) to look up";
    if (wfp_frame_info(SLOT_EP, &m, &offered, &taken) != WF_ERR_OK)
        return "the driver does not answer Info";
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)(m >> (8 * i));
    /* The caps go as copies: the server keeps its own. */
    wf_cnode_delete(WF_CHILD_CNODE, SLOT_KICK, 64);
    if (wfp_frame_set_notify(SLOT_EP, SLOT_NTFN_DRV, WF_CHILD_CNODE, SLOT_KICK, 64) != WF_ERR_OK)
        return "the driver refused SetNotify";
    if (wfp_frame_attach(SLOT_EP, SLOT_RINGS) != WF_ERR_OK)
        return "the driver refused Attach";
    c.rx_cons = c.tx_prod = 0;
    c.attached = true;
    vnet_stats.attaches++;
    return NULL;
}

const char *vnet_open(uint8_t mac[6], bool *absent)
{
    *absent = false;
    if (!device_present()) {
        *absent = true;
        return "no virtio-net function on the PCI bus";
    }
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_NOTIFICATION, 0, WF_CHILD_CNODE, SLOT_NTFN, 64) ||
        wf_cnode_mint(WF_CHILD_CNODE, SLOT_NTFN_DRV, 64, WF_CHILD_CNODE, SLOT_NTFN, 64,
                      WF_RIGHT_WRITE, NET_BIT_FRAMES) ||
        wf_tcb_bind_notification(WF_CHILD_TCB, SLOT_NTFN))
        return "cannot make the notification";
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, WFP_FRAME_BUFFER_SIZE, WF_CHILD_CNODE, SLOT_RINGS,
                       64) != WF_ERR_OK ||
        wf_vspace_map(WF_CHILD_VSPACE, SLOT_RINGS, RINGS_VA, 0, WFP_FRAME_BUFFER_SIZE,
                      WF_RIGHT_READ | WF_RIGHT_WRITE) != WF_ERR_OK)
        return "no memory for the rings";
    c.rings = (volatile uint8_t *)RINGS_VA;
    return attach(mac);
}

bool vnet_attached(void)
{
    return c.attached;
}

bool vnet_send(size_t len, void (*copy)(void *ctx, uint8_t *dst), void *ctx)
{
    if (!c.attached || len == 0 || len > VNET_FRAME_MAX)
        return false;
    if (c.tx_prod - *idx(WFP_FRAME_OFF_TX_CONS) >= WFP_FRAME_SLOTS) {
        vnet_flush(); /* the driver signals when it has taken them */
        vnet_stats.tx_full++;
        return false;
    }
    volatile uint8_t *s = slot(WFP_FRAME_TX_RING, c.tx_prod);
    copy(ctx, (uint8_t *)(s + WFP_FRAME_SLOT_DATA));
    *(volatile uint32_t *)(s + WFP_FRAME_SLOT_LEN) = (uint32_t)len;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *idx(WFP_FRAME_OFF_TX_PROD) = ++c.tx_prod;
    vnet_stats.tx++;
    c.kick = true;
    return true;
}

void vnet_flush(void)
{
    if (!c.kick || !c.attached)
        return;
    c.kick = false;
    vnet_stats.kicks++;
    wf_sys_signal(SLOT_KICK); /* a failure: vnet_check sees the driver gone */
}

void vnet_receive(void (*deliver)(const uint8_t *frame, size_t len))
{
    if (!c.attached)
        return;
    uint32_t prod = *idx(WFP_FRAME_OFF_RX_PROD);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    if (prod - c.rx_cons > WFP_FRAME_SLOTS)
        return; /* cannot be: the driver sets it; wait for a sane value */
    while (c.rx_cons != prod) {
        volatile uint8_t *s = slot(WFP_FRAME_RX_RING, c.rx_cons);
        uint32_t len = *(volatile uint32_t *)(s + WFP_FRAME_SLOT_LEN);
        if (len == 0 || len > VNET_FRAME_MAX) {
            vnet_stats.rx_dropped++;
        } else {
            vnet_stats.rx++;
            deliver((const uint8_t *)(s + WFP_FRAME_SLOT_DATA), len);
        }
        c.rx_cons++;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        *idx(WFP_FRAME_OFF_RX_CONS) = c.rx_cons;
    }
}

uint64_t vnet_driver_dropped(void)
{
    wf_word_t rx = 0, tx = 0, rx_dropped = 0, tx_dropped = 0, resets = 0;
    if (!c.attached ||
        wfp_frame_stats(SLOT_EP, &rx, &tx, &rx_dropped, &tx_dropped, &resets) != WF_ERR_OK)
        return 0;
    return rx_dropped;
}

bool vnet_check(void (*lost)(void), uint8_t mac[6])
{
    if (c.attached && slot_full(SLOT_EP) && slot_full(SLOT_KICK))
        return false;
    if (c.attached) {
        c.attached = false;
        vnet_stats.lost++;
        printf("net: the driver (vnet) is gone; connections dropped\n");
        lost();
    }
    const char *why = attach(mac);
    if (why)
        return false;
    printf("net: attached to the driver (vnet) again\n");
    return true;
}
