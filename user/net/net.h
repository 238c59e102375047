/*
 * The network server (docs/networking.md, decisions 133 and 134): its
 * virtio-net driver (vnet.c) and the lwIP side (main.c) in one process.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_PCI_MODERN 0x1041 /* 0x1040 + device type 1 */
#define VNET_PCI_TRANS  0x1000 /* transitional; driven through its modern interface */

#define VIRTIO_NET_F_MAC    (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)

/* struct virtio_net_hdr of a VERSION_1 device: 12 bytes before every frame,
 * zero on transmit (no checksum or segmentation offload negotiated). */
#define VNET_HDR_LEN 12
/* One buffer per descriptor: the header and a whole Ethernet frame (no
 * MRG_RXBUF, no GSO: a frame never exceeds 1514 bytes). */
#define VNET_BUF_LEN   2048
#define VNET_FRAME_MAX (VNET_BUF_LEN - VNET_HDR_LEN)

/* Notification bits of the server thread. */
#define NET_BIT_IRQ   1
#define NET_BIT_TIMER 2

/* Brings the device up: claim, negotiate (MAC), both queues, every receive
 * buffer posted. NULL on success, else why not (*absent: there is no device). */
const char *vnet_open(uint8_t mac[6], bool *absent);

/* Sends one frame of len bytes (at most VNET_FRAME_MAX) gathered by the
 * caller's copy function. false when the transmit queue is full or broken. */
bool vnet_send(size_t len, void (*copy)(void *ctx, uint8_t *dst), void *ctx);

/* The interrupt: reads the ISR byte (lowering INTx), reclaims sent buffers,
 * hands every received frame to deliver, reposts its buffer, acks the line. */
void vnet_interrupt(void (*deliver)(const uint8_t *frame, size_t len));

/* Counters for the status line and tests. */
struct vnet_stats {
    uint64_t rx, tx, rx_dropped, tx_full, resets;
};
extern struct vnet_stats vnet_stats;

/* The server's CNode (decision 146): the driver's slots (vnet.c, 16 to 23),
 * the receive slot, the Reply objects, then per client its buffer and
 * notification, then the sockets' badged originals up to the end of the lower
 * half (the C library has the upper half). */
enum {
    NET_SLOT_RECV = 24,
    NET_SLOT_REPLY0 = 25,
    NET_REPLIES = 8,
    SOCK_SLOT_BUF0 = NET_SLOT_REPLY0 + NET_REPLIES, /* 33 */
    SOCK_SLOT_NOTE0 = SOCK_SLOT_BUF0 + 16,          /* WFP_SOCK_CLIENTS_MAX */
    SOCK_SLOT_SOCK0 = SOCK_SLOT_NOTE0 + 16,
};

struct wf_server;
struct wf_server_proto;

/* main.c: runs the loopback queue and lwIP's timers, re-arming the thread's
 * timer (after every request and notification). */
void net_poll(void);
/* True once DHCP has bound a lease. */
bool net_dhcp_bound(void);
/* Frames the stack refused as malformed (lwIP's length, checksum and header
 * errors, and frames too short for an Ethernet header). */
uint64_t net_malformed(void);

/* sock.c: the socket protocol (abi/protocols/sock.proto). */
extern const struct wf_server_proto sock_proto;
/* Sizes the socket table from the CNode's radix and opens the ICMP pcb Ping
 * uses; false when the CNode has no room for sockets. */
bool sock_init(struct wf_server *s, unsigned cnode_radix);
unsigned sock_table_size(void);
/* Answers the Pings whose time is up; returns the next deadline (ns, 0: none). */
uint64_t sock_timeouts(uint64_t now);

#endif
