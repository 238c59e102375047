/*
 * The network server (docs/networking.md, decisions 133, 146 and 156): lwIP
 * (main.c, sock.c) over the frame protocol's client (vnet.c); the virtio-net
 * driver is the server vnet (user/vnet/).
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VNET_PCI_MODERN 0x1041 /* 0x1040 + device type 1 */
#define VNET_PCI_TRANS  0x1000 /* transitional; driven through its modern interface */

/* The most bytes of a frame (frame.proto's FRAME_MAX). */
#define VNET_FRAME_MAX 1514

/* Notification bits of the server thread. */
#define NET_BIT_FRAMES 1 /* the driver: frames received, or transmit slots free */
#define NET_BIT_TIMER  2

/* vnet.c, the client of the driver server vnet (abi/protocols/frame.proto).
 * Checks that a virtio-net function exists (*absent when not), makes the
 * rings and attaches to the driver. NULL on success, else why not. */
const char *vnet_open(uint8_t mac[6], bool *absent);

/* Writes one frame of len bytes (at most VNET_FRAME_MAX), by the caller's
 * copy function, into the next transmit slot. false when the ring is full
 * (the driver is kicked) or the driver is gone. The driver is not kicked for
 * each frame: vnet_flush does, once for all the frames written since. */
bool vnet_send(size_t len, void (*copy)(void *ctx, uint8_t *dst), void *ctx);

/* Kicks the driver when frames were written since the last kick (the server
 * calls it after every request and notification, net_poll). */
void vnet_flush(void);

/* Hands every frame waiting in the receive ring to deliver (in place) and
 * gives the slots back. */
void vnet_receive(void (*deliver)(const uint8_t *frame, size_t len));

/* True while attached to a driver. */
bool vnet_attached(void);

/* Sees whether the driver went away (its endpoint or kick left the CNode):
 * then calls lost once; while detached tries to attach again (mac: the
 * address the driver reports). True when it attached. */
bool vnet_check(void (*lost)(void), uint8_t mac[6]);

/* The frames the driver received but dropped (frame.Stats: longer than
 * VNET_FRAME_MAX, or the receive ring full); 0 while detached. */
uint64_t vnet_driver_dropped(void);

/* Counters for the status line and tests. */
struct vnet_stats {
    uint64_t rx, tx, rx_dropped, tx_full, resets, attaches, lost, kicks;
};
extern struct vnet_stats vnet_stats;

/* The server's CNode (decision 146): the driver client's slots (vnet.c, 16 to 23),
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
