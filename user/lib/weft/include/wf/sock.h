/*
 * Sockets of the network server for native programs (user/lib/weft/sock.c;
 * abi/protocols/sock.proto, docs/networking.md "Sockets"), for both C
 * libraries.
 *
 * A client sets up once (wf_net_setup): it gives the server a buffer VMO it
 * has mapped (data is copied through it) and a notification the server
 * signals when a socket may have changed. The calls here block on top of the
 * protocol's non-blocking messages: on EAGAIN they wait on the notification
 * (with a deadline through the thread's timer when a TCB is given) and try
 * again. Every call returns 0 or a count on success and a negative Linux errno
 * (the protocol's WFP_SOCK_E* values) on failure; a protocol or system-call
 * failure is -WF_NET_EIO.
 */
#ifndef WF_SOCK_H
#define WF_SOCK_H

#include <stddef.h>
#include <stdint.h>

#include "weft/types.h"
#include "wf/proto/sock.h"

#define WF_NET_EIO       5   /* Linux EIO: the server could not be asked */
#define WF_NET_ETIMEDOUT 110 /* as WFP_SOCK_ETIMEDOUT: a wait ran out */

/* Notification bits: the server's signal, the wait's deadline, and one left to
 * the caller (e.g. the console's ^C, console.SetInterrupt). */
#define WF_NET_BIT_SERVER 1u
#define WF_NET_BIT_TIMER  2u
#define WF_NET_BIT_USER   4u

struct wf_net {
    wf_cptr_t ep;   /* the service cap ("net" from the name server) */
    wf_cptr_t note; /* the notification waited on (Read right) */
    wf_cptr_t tcb;  /* the calling thread's TCB, for deadlines (0: none) */
    uint8_t *buf;   /* the buffer, mapped */
    size_t size;
    wf_word_t user_bits; /* WF_NET_BIT_USER seen during a wait */
};

struct wf_sock {
    wf_cptr_t cap; /* the socket cap */
    unsigned id;   /* its bit in Poll */
};

/* Gives the server the buffer (vmo, mapped at buf, size bytes) and note_cap
 * (a copy of note badged WF_NET_BIT_SERVER, Write right). */
int wf_net_setup(struct wf_net *n, wf_cptr_t ep, wf_cptr_t vmo, void *buf, size_t size,
                 wf_cptr_t note, wf_cptr_t note_cap, wf_cptr_t tcb);

/* Makes a socket (WFP_SOCK_TCP or WFP_SOCK_UDP) whose cap lands in slot of
 * cnode (depth 64). */
int wf_net_socket(struct wf_net *n, unsigned type, wf_cptr_t cnode, wf_word_t slot,
                  struct wf_sock *s);
int wf_net_close(struct wf_sock *s);
int wf_net_bind(struct wf_sock *s, uint32_t addr, unsigned port);
int wf_net_listen(struct wf_sock *s, unsigned backlog);
/* Waits up to timeout_ms (0: forever) for a connection; the new socket's cap
 * lands in slot of cnode. */
int wf_net_accept(struct wf_net *n, struct wf_sock *l, wf_cptr_t cnode, wf_word_t slot,
                  struct wf_sock *out, uint32_t *addr, unsigned *port, unsigned timeout_ms);
/* Connects and waits until connected or failed (up to timeout_ms, 0: forever). */
int wf_net_connect(struct wf_net *n, struct wf_sock *s, uint32_t addr, unsigned port,
                   unsigned timeout_ms);
/* Sends all len bytes (TCP), waiting for room; returns len or -errno. */
long wf_net_send(struct wf_net *n, struct wf_sock *s, const void *data, size_t len,
                 unsigned timeout_ms);
/* Receives up to max bytes, waiting for some; 0 at the end of the stream. */
long wf_net_recv(struct wf_net *n, struct wf_sock *s, void *data, size_t max, unsigned timeout_ms);
/* UDP: one datagram to addr:port; the next one received, with its source. */
long wf_net_sendto(struct wf_net *n, struct wf_sock *s, const void *data, size_t len, uint32_t addr,
                   unsigned port);
long wf_net_recvfrom(struct wf_net *n, struct wf_sock *s, void *data, size_t max, uint32_t *addr,
                     unsigned *port, unsigned timeout_ms);
int wf_net_shutdown(struct wf_sock *s, unsigned how);
int wf_net_setopt(struct wf_sock *s, unsigned opt, wf_word_t value);
int wf_net_getopt(struct wf_sock *s, unsigned opt, wf_word_t *value);

/* Waits until socket id is ready for what want says (WF_NET_WANT_*; a failed
 * socket is ready for both): 0; -WF_NET_EINTR when WF_NET_BIT_USER was
 * signalled (n->user_bits set); -WF_NET_ETIMEDOUT after timeout_ms (0: no
 * limit). Every blocking call here waits through it. */
#define WF_NET_WANT_READ  1u
#define WF_NET_WANT_WRITE 2u
#define WF_NET_EINTR      4 /* Linux EINTR: WF_NET_BIT_USER came */
int wf_net_wait(struct wf_net *n, unsigned id, unsigned want, unsigned timeout_ms);

/* Resolves a name (or dotted address) to an address. */
int wf_net_resolve(struct wf_net *n, const char *name, uint32_t *addr);

/* Parses a dotted IPv4 address; false when it is not one. */
int wf_net_parse_ip(const char *s, uint32_t *addr);
/* Formats addr as a dotted address into buf (at least 16 bytes). */
char *wf_net_format_ip(uint32_t addr, char *buf);

#endif
