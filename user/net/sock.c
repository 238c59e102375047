/*
 * The socket protocol of the network server (abi/protocols/sock.proto;
 * docs/networking.md, "Sockets"; decision 146) over lwIP's raw API.
 *
 * Clients are told apart by the badge of their service cap (1 to 63, from the
 * name server). A socket is a badged cap: Socket and Accept mint the server's
 * own endpoint with a badge never used before (SOCK_BADGE0 and up) into the
 * socket's slot, and Close revokes it. Each client has a buffer VMO (data is
 * copied between it and lwIP with VMO_Read and VMO_Write: the server never maps
 * it) and a notification, signalled when one of its sockets may have changed;
 * Poll says which. Nothing blocks: EAGAIN, EINPROGRESS.
 *
 * Limits: SOCKETS_MAX sockets and BUF_BYTES_MAX buffer bytes (SO_RCVBUF plus
 * SO_SNDBUF of each socket) per client; the socket table (sized from the
 * server's CNode) for all; a listening socket holds at most its backlog of
 * connections not yet accepted (lwIP drops further SYNs, and an accepted
 * connection beyond the table is reset). Everything here is static: no
 * socket, connection or datagram grows the server's pool.
 */
#include <stdio.h>
#include <string.h>

#include "lwip/dns.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/prot/icmp.h"
#include "lwip/raw.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"
#include "net.h"
#include "weft/invoke.h"
#include "wf/proto/sock.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define CNODE       WF_CHILD_CNODE
#define SOCK_BADGE0 ((wf_word_t)1 << 16)
#define SOCKS_LIMIT 256u /* most sockets in the table, if the CNode has room */
#define DGRAMS      16u  /* datagrams queued per UDP socket */
#define RESOLVES    4u   /* Resolve requests in flight */
#define PINGS       4u   /* Ping requests in flight */
#define UDP_MAX     65507u
#define CHUNK       32768u /* lwIP lengths are u16_t */
#define RQ_MAX      61440u /* most bytes queued for Recv: one pbuf chain, tot_len a u16_t */

enum { S_NEW, S_LISTEN, S_CONNECTING, S_CONNECTED, S_DONE };

struct client {
    bool used, buf, note;
    wf_word_t badge;
    wf_word_t bufsize;
    uint32_t charged; /* SO_RCVBUF + SO_SNDBUF of its sockets */
    uint64_t ids;     /* ids in use */
};

struct dgram {
    struct pbuf *p;
    uint32_t addr;
    uint16_t port;
};

struct sock {
    wf_word_t badge; /* 0: free */
    struct client *c;
    uint8_t id, type, state;
    bool pending; /* a connection lwIP accepted that the client has not (no cap) */
    bool rd_shut, wr_shut, eof, reuse, keepalive, nodelay;
    int err; /* pending SO_ERROR */
    uint32_t rcvbuf, sndbuf, unacked;
    struct tcp_pcb *tcp;
    struct udp_pcb *udp;
    struct raw_pcb *raw; /* ICMP sockets */
    struct pbuf *rq;     /* TCP: bytes received, not yet taken */
    uint32_t rq_bytes;
    struct dgram dq[DGRAMS]; /* UDP: datagrams received */
    uint8_t dq_head, dq_n;
    uint32_t dq_bytes;
    uint16_t pend[WFP_SOCK_BACKLOG_MAX]; /* listening: pending connections (table indexes) */
    uint8_t npend, backlog;
    uint32_t peer_addr;
    uint16_t peer_port;
};

struct resolve {
    bool used;
    wf_cptr_t reply;
    struct client *c;
};

struct ping {
    bool used;
    wf_cptr_t reply;
    struct client *c;
    uint32_t addr;
    uint16_t seq;
    uint64_t sent_ns, deadline_ns;
};

static struct client clients[WFP_SOCK_CLIENTS_MAX];
static struct sock socks[SOCKS_LIMIT];
static unsigned nsocks;
static wf_word_t next_badge = SOCK_BADGE0;
static struct resolve resolves[RESOLVES];
static struct ping pings[PINGS];
static struct raw_pcb *icmp_pcb;
static uint16_t ping_seq;
static struct wf_server *server;
static uint8_t bounce[CHUNK];

static wf_word_t slot_buf(const struct client *c)
{
    return SOCK_SLOT_BUF0 + (wf_word_t)(c - clients);
}

static wf_word_t slot_note(const struct client *c)
{
    return SOCK_SLOT_NOTE0 + (wf_word_t)(c - clients);
}

static wf_word_t slot_sock(const struct sock *s)
{
    return SOCK_SLOT_SOCK0 + (wf_word_t)(s - socks);
}

static void notify(const struct client *c)
{
    if (c && c->note)
        wf_sys_signal(slot_note(c));
}

static struct client *client_of(wf_word_t badge, bool create)
{
    struct client *free = NULL;
    for (unsigned i = 0; i < WFP_SOCK_CLIENTS_MAX; i++) {
        if (clients[i].used && clients[i].badge == badge)
            return &clients[i];
        if (!clients[i].used && !free)
            free = &clients[i];
    }
    if (!create || !free)
        return NULL;
    *free = (struct client){.used = true, .badge = badge};
    return free;
}

/* The socket a message came through (not a pending one), or NULL. */
static struct sock *sock_of(const struct wf_server_req *r)
{
    if (r->badge < SOCK_BADGE0)
        return NULL;
    for (unsigned i = 0; i < nsocks; i++)
        if (socks[i].badge == r->badge && !socks[i].pending)
            return &socks[i];
    return NULL;
}

/* The client a message speaks for: a socket's owner, or the service badge's
 * (NULL through a service cap of a client the server does not know yet). */
static struct client *owner_of(const struct wf_server_req *r, bool create)
{
    if (r->badge >= SOCK_BADGE0) {
        struct sock *s = sock_of(r);
        return s ? s->c : NULL;
    }
    return client_of(r->badge, create);
}

static struct sock *sock_alloc(void)
{
    for (unsigned i = 0; i < nsocks; i++)
        if (!socks[i].badge)
            return &socks[i];
    return NULL;
}

static unsigned sock_count(const struct client *c)
{
    return (unsigned)__builtin_popcountll(c->ids);
}

static int pick_id(const struct client *c)
{
    for (int i = 0; i < WFP_SOCK_SOCKETS_MAX; i++)
        if (!(c->ids & (1ull << i)))
            return i;
    return -1;
}

/* Gives s its id and cap; false when no cap could be minted. */
static bool sock_publish(struct sock *s, int id)
{
    wf_word_t slot = slot_sock(s);
    wf_cnode_delete(CNODE, slot, 64);
    if (wf_cnode_mint(CNODE, slot, 64, CNODE, WF_CHILD_SERVE, 64, WF_RIGHTS_ALL, s->badge) !=
        WF_ERR_OK)
        return false;
    s->id = (uint8_t)id;
    s->c->ids |= 1ull << id;
    s->c->charged += s->rcvbuf + s->sndbuf;
    return true;
}

static int map_err(err_t e)
{
    switch (e) {
    case ERR_OK:
        return 0;
    case ERR_MEM:
    case ERR_BUF:
        return WFP_SOCK_ENOBUFS;
    case ERR_RTE:
        return WFP_SOCK_ENETUNREACH;
    case ERR_USE:
        return WFP_SOCK_EADDRINUSE;
    case ERR_ISCONN:
        return WFP_SOCK_EISCONN;
    case ERR_ALREADY:
    case ERR_INPROGRESS:
        return WFP_SOCK_EALREADY;
    case ERR_CONN:
        return WFP_SOCK_ENOTCONN;
    case ERR_RST:
        return WFP_SOCK_ECONNRESET;
    case ERR_ABRT:
        return WFP_SOCK_ECONNABORTED;
    case ERR_TIMEOUT:
        return WFP_SOCK_ETIMEDOUT;
    default:
        return WFP_SOCK_EINVAL;
    }
}

static void tcp_detach(struct tcp_pcb *pcb)
{
    tcp_arg(pcb, NULL);
    if (pcb->state == LISTEN) {
        tcp_accept(pcb, NULL); /* a listening pcb has no other callbacks */
        return;
    }
    tcp_recv(pcb, NULL);
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
}

/* Frees a socket's state (its pcb closed or aborted) and, if it has a cap,
 * revokes it and gives the client's id and bytes back. */
static void sock_free(struct sock *s)
{
    if (s->tcp) {
        struct tcp_pcb *pcb = s->tcp;
        s->tcp = NULL;
        tcp_detach(pcb);
        if (s->state == S_LISTEN) {
            tcp_close(pcb);
        } else if (s->pending) {
            tcp_backlog_accepted(pcb);
            tcp_abort(pcb);
        } else if (tcp_close(pcb) != ERR_OK) {
            tcp_abort(pcb);
        }
    }
    for (unsigned i = 0; i < s->npend; i++) {
        struct sock *p = &socks[s->pend[i]];
        p->pending = false; /* no listener to take it from any more */
        p->c = NULL;        /* never the client's: nothing to give back */
        sock_free(p);
    }
    if (s->udp)
        udp_remove(s->udp);
    if (s->raw)
        raw_remove(s->raw);
    if (s->rq)
        pbuf_free(s->rq);
    for (unsigned i = 0; i < s->dq_n; i++)
        pbuf_free(s->dq[(s->dq_head + i) % DGRAMS].p);
    if (!s->pending && s->c && (s->c->ids & (1ull << s->id))) {
        wf_cnode_revoke(CNODE, slot_sock(s), 64);
        wf_cnode_delete(CNODE, slot_sock(s), 64);
        s->c->ids &= ~(1ull << s->id);
        s->c->charged -= s->rcvbuf + s->sndbuf;
    }
    memset(s, 0, sizeof(*s));
}

/* Removes pending connection s from its listener's queue. */
static void unqueue(struct sock *s)
{
    unsigned idx = (unsigned)(s - socks);
    for (unsigned i = 0; i < nsocks; i++) {
        struct sock *l = &socks[i];
        if (!l->badge || l->state != S_LISTEN)
            continue;
        for (unsigned k = 0; k < l->npend; k++) {
            if (l->pend[k] != idx)
                continue;
            memmove(&l->pend[k], &l->pend[k + 1], (l->npend - k - 1) * sizeof(l->pend[0]));
            l->npend--;
            return;
        }
    }
}

/* --- lwIP callbacks ------------------------------------------------------- */

static err_t on_tcp_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct sock *s = arg;
    if (!s) {
        if (p) {
            tcp_recved(pcb, p->tot_len);
            pbuf_free(p);
        }
        return ERR_OK;
    }
    if (!p) {
        s->eof = true;
        notify(s->c);
        return ERR_OK;
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return err;
    }
    if (s->rd_shut) {
        tcp_recved(pcb, p->tot_len);
        pbuf_free(p);
        return ERR_OK;
    }
    uint32_t limit = s->rcvbuf < RQ_MAX ? s->rcvbuf : RQ_MAX;
    if (s->rq_bytes && s->rq_bytes + p->tot_len > limit)
        return ERR_MEM; /* lwIP keeps it and offers it again after a Recv */
    if (s->rq)
        pbuf_cat(s->rq, p);
    else
        s->rq = p;
    s->rq_bytes += p->tot_len;
    notify(s->c);
    return ERR_OK;
}

static err_t on_tcp_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    (void)pcb;
    struct sock *s = arg;
    if (s) {
        s->unacked = s->unacked > len ? s->unacked - len : 0;
        notify(s->c);
    }
    return ERR_OK;
}

/* The pcb is gone (lwIP freed it). */
static void on_tcp_err(void *arg, err_t err)
{
    struct sock *s = arg;
    if (!s)
        return;
    s->tcp = NULL;
    if (s->pending) {
        /* Reset before the client accepted it: forget it. */
        unqueue(s);
        s->pending = false;
        s->c = NULL;
        sock_free(s);
        return;
    }
    if (s->state == S_CONNECTING)
        s->err = err == ERR_RST ? WFP_SOCK_ECONNREFUSED : WFP_SOCK_ETIMEDOUT;
    else if (err != ERR_CLSD)
        s->err = map_err(err);
    s->state = S_DONE;
    notify(s->c);
}

/* The receive window a socket offers: what its Recv queue can still take
 * (SO_RCVBUF, at most RQ_MAX), not lwIP's TCP_WND. A window past the queue
 * lets the peer send segments that on_tcp_recv must refuse (lwIP then drops
 * every further data segment until a Recv) and that come back only by
 * retransmission. Called once the handshake is done (lwIP resets the window
 * while it reads the SYN's options); tcp_recved gives back what Recv takes. */
static void fit_window(struct sock *s)
{
    struct tcp_pcb *p = s->tcp;
    uint32_t limit = s->rcvbuf < RQ_MAX ? s->rcvbuf : RQ_MAX;
    if (!p || TCP_WND_MAX(p) <= limit)
        return;
    tcpwnd_size_t excess = (tcpwnd_size_t)(TCP_WND_MAX(p) - limit);
    p->rcv_wnd = p->rcv_wnd > excess ? (tcpwnd_size_t)(p->rcv_wnd - excess) : 0;
    if (p->rcv_ann_wnd > p->rcv_wnd) {
        p->rcv_ann_wnd = p->rcv_wnd;
        p->rcv_ann_right_edge = p->rcv_nxt + p->rcv_ann_wnd;
    }
}

static err_t on_tcp_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct sock *s = arg;
    if (!s)
        return ERR_OK;
    if (err != ERR_OK) {
        s->err = map_err(err);
    } else {
        s->state = S_CONNECTED;
        s->peer_addr = lwip_ntohl(ip4_addr_get_u32(&pcb->remote_ip));
        s->peer_port = pcb->remote_port;
        fit_window(s);
    }
    notify(s->c);
    return ERR_OK;
}

static void tcp_hook(struct sock *s, struct tcp_pcb *pcb)
{
    tcp_arg(pcb, s);
    tcp_recv(pcb, on_tcp_recv);
    tcp_sent(pcb, on_tcp_sent);
    tcp_err(pcb, on_tcp_err);
}

static err_t on_tcp_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct sock *l = arg;
    if (!l || err != ERR_OK || !pcb)
        return ERR_VAL;
    struct sock *s = l->npend < l->backlog ? sock_alloc() : NULL;
    if (!s)
        return ERR_MEM; /* lwIP resets the connection */
    *s = (struct sock){.badge = next_badge++,
                       .c = l->c,
                       .type = WFP_SOCK_TCP,
                       .state = S_CONNECTED,
                       .pending = true,
                       .rcvbuf = l->rcvbuf,
                       .sndbuf = l->sndbuf,
                       .nodelay = l->nodelay,
                       .keepalive = l->keepalive,
                       .tcp = pcb,
                       .peer_addr = lwip_ntohl(ip4_addr_get_u32(&pcb->remote_ip)),
                       .peer_port = pcb->remote_port};
    tcp_backlog_delayed(pcb);
    tcp_hook(s, pcb);
    fit_window(s);
    if (s->nodelay)
        tcp_nagle_disable(pcb);
    if (s->keepalive)
        ip_set_option(pcb, SOF_KEEPALIVE);
    l->pend[l->npend++] = (uint16_t)(s - socks);
    notify(l->c);
    return ERR_OK;
}

static void on_udp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr,
                        u16_t port)
{
    (void)pcb;
    struct sock *s = arg;
    if (!s || s->rd_shut || s->dq_n == DGRAMS || s->dq_bytes + p->tot_len > s->rcvbuf) {
        pbuf_free(p);
        return;
    }
    s->dq[(s->dq_head + s->dq_n) % DGRAMS] =
        (struct dgram){p, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr))), port};
    s->dq_n++;
    s->dq_bytes += p->tot_len;
    notify(s->c);
}

/* Every ICMP message received, from its IPv4 header on, to each ICMP socket
 * (a copy); never eaten: the stack and the Ping message still see it. */
static u8_t on_raw_recv(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)pcb;
    struct sock *s = arg;
    if (!s || s->rd_shut || s->dq_n == DGRAMS || s->dq_bytes + p->tot_len > s->rcvbuf)
        return 0;
    struct pbuf *q = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (!q)
        return 0;
    s->dq[(s->dq_head + s->dq_n) % DGRAMS] =
        (struct dgram){q, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr))), 0};
    s->dq_n++;
    s->dq_bytes += q->tot_len;
    notify(s->c);
    return 0;
}

/* --- helpers of the handlers ---------------------------------------------- */

#define SOCK_OR_EBADF()                                                                            \
    (void)srv;                                                                                     \
    struct sock *s = sock_of(r);                                                                   \
    if (!s) {                                                                                      \
        *status = r->badge >= SOCK_BADGE0 ? WFP_SOCK_EBADF : WFP_SOCK_EPERM;                       \
        return WF_ERR_OK;                                                                          \
    }

/* True when [offset, offset + len) lies in the client's buffer. */
static bool buf_fits(const struct client *c, wf_word_t offset, wf_word_t len)
{
    return c->buf && offset <= c->bufsize && len <= c->bufsize - offset;
}

static void to_ip(uint32_t host, ip_addr_t *ip)
{
    ip_addr_set_ip4_u32(ip, lwip_htonl(host));
}

/* Takes (and clears) the socket's pending error. */
static int take_err(struct sock *s)
{
    int e = s->err;
    s->err = 0;
    return e;
}

/* An address the server owns (or 0: any). */
static bool local_addr(uint32_t addr)
{
    if (addr == 0 || (addr >> 24) == 127)
        return true;
    struct netif *n;
    NETIF_FOREACH(n)
    {
        if (lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(n))) == addr)
            return true;
    }
    return false;
}

/* --- handlers -------------------------------------------------------------- */

static wf_word_t on_set_buffer(struct wf_server *srv, struct wf_server_req *r, wf_cptr_t buffer,
                               wf_word_t *status, wf_word_t *size)
{
    (void)srv;
    wf_word_t bytes = 0;
    if (r->badge >= SOCK_BADGE0) {
        *status = WFP_SOCK_EPERM;
        return WF_ERR_OK;
    }
    if (wf_vmo_describe(buffer, &bytes, NULL, NULL, NULL) != WF_ERR_OK) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    struct client *c = client_of(r->badge, true);
    if (!c) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    wf_cnode_delete(CNODE, slot_buf(c), 64);
    c->buf = false;
    if (wf_cnode_move(CNODE, slot_buf(c), 64, CNODE, buffer, 64) != WF_ERR_OK) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    c->buf = true;
    c->bufsize = bytes;
    *status = 0;
    *size = bytes;
    return WF_ERR_OK;
}

static wf_word_t on_set_notify(struct wf_server *srv, struct wf_server_req *r,
                               wf_cptr_t notification, wf_word_t *status)
{
    (void)srv;
    if (r->badge >= SOCK_BADGE0) {
        *status = WFP_SOCK_EPERM;
        return WF_ERR_OK;
    }
    struct client *c = client_of(r->badge, true);
    if (!c) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    wf_cnode_delete(CNODE, slot_note(c), 64);
    c->note = wf_cnode_move(CNODE, slot_note(c), 64, CNODE, notification, 64) == WF_ERR_OK;
    *status = c->note ? 0 : WFP_SOCK_EINVAL;
    return WF_ERR_OK;
}

/* Checks that client c may take one more socket; 0 or the errno. */
static int may_take(const struct client *c)
{
    if (sock_count(c) >= WFP_SOCK_SOCKETS_MAX)
        return WFP_SOCK_EMFILE;
    if (c->charged + 2 * WFP_SOCK_BUF_DEFAULT > WFP_SOCK_BUF_BYTES_MAX)
        return WFP_SOCK_ENOBUFS;
    return 0;
}

static wf_word_t on_socket(struct wf_server *srv, struct wf_server_req *r, wf_word_t type,
                           wf_word_t *status, wf_word_t *id, wf_cptr_t *cap)
{
    (void)srv;
    if (r->badge >= SOCK_BADGE0) {
        *status = WFP_SOCK_EPERM;
        return WF_ERR_OK;
    }
    if (type != WFP_SOCK_TCP && type != WFP_SOCK_UDP && type != WFP_SOCK_ICMP) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    struct client *c = client_of(r->badge, true);
    if (!c) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    int e = may_take(c);
    struct sock *s = e ? NULL : sock_alloc();
    if (!e && !s)
        e = WFP_SOCK_ENFILE;
    if (e) {
        *status = (wf_word_t)e;
        return WF_ERR_OK;
    }
    *s = (struct sock){.badge = next_badge++,
                       .c = c,
                       .type = (uint8_t)type,
                       .rcvbuf = WFP_SOCK_BUF_DEFAULT,
                       .sndbuf = WFP_SOCK_BUF_DEFAULT};
    if (type == WFP_SOCK_TCP) {
        s->tcp = tcp_new();
        if (s->tcp)
            tcp_hook(s, s->tcp);
    } else if (type == WFP_SOCK_UDP) {
        s->udp = udp_new();
        if (s->udp)
            udp_recv(s->udp, on_udp_recv, s);
    } else {
        s->raw = raw_new(IP_PROTO_ICMP);
        if (s->raw)
            raw_recv(s->raw, on_raw_recv, s);
    }
    if (!s->tcp && !s->udp && !s->raw) {
        memset(s, 0, sizeof(*s));
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    int nid = pick_id(c);
    if (!sock_publish(s, nid)) {
        s->c = NULL;
        sock_free(s);
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    *status = 0;
    *id = (wf_word_t)nid;
    *cap = slot_sock(s);
    return WF_ERR_OK;
}

static wf_word_t on_bind(struct wf_server *srv, struct wf_server_req *r, wf_word_t addr,
                         wf_word_t port, wf_word_t *status)
{
    SOCK_OR_EBADF();
    if (port > 0xffff || addr > 0xffffffffu) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (!local_addr((uint32_t)addr)) {
        *status = WFP_SOCK_EADDRNOTAVAIL;
        return WF_ERR_OK;
    }
    ip_addr_t ip;
    to_ip((uint32_t)addr, &ip);
    err_t e;
    if (s->tcp) {
        if (s->state != S_NEW || s->tcp->local_port) {
            *status = WFP_SOCK_EINVAL;
            return WF_ERR_OK;
        }
        if (s->reuse)
            ip_set_option(s->tcp, SOF_REUSEADDR);
        e = tcp_bind(s->tcp, &ip, (u16_t)port);
    } else if (s->udp) {
        if (s->udp->local_port) {
            *status = WFP_SOCK_EINVAL;
            return WF_ERR_OK;
        }
        if (s->reuse)
            ip_set_option(s->udp, SOF_REUSEADDR);
        e = udp_bind(s->udp, &ip, (u16_t)port);
    } else {
        e = ERR_VAL;
    }
    *status = (wf_word_t)map_err(e);
    return WF_ERR_OK;
}

static wf_word_t on_listen(struct wf_server *srv, struct wf_server_req *r, wf_word_t backlog,
                           wf_word_t *status)
{
    SOCK_OR_EBADF();
    if (s->type != WFP_SOCK_TCP) {
        *status = WFP_SOCK_EOPNOTSUPP;
        return WF_ERR_OK;
    }
    if (backlog < 1)
        backlog = 1;
    if (backlog > WFP_SOCK_BACKLOG_MAX)
        backlog = WFP_SOCK_BACKLOG_MAX;
    if (s->state == S_LISTEN) {
        s->backlog = (uint8_t)backlog;
        tcp_backlog_set(s->tcp, (u8_t)backlog);
        *status = 0;
        return WF_ERR_OK;
    }
    if (s->state != S_NEW || !s->tcp) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (!s->tcp->local_port) {
        err_t be = tcp_bind(s->tcp, IP4_ADDR_ANY, 0);
        if (be != ERR_OK) {
            *status = (wf_word_t)map_err(be);
            return WF_ERR_OK;
        }
    }
    err_t e = ERR_OK;
    struct tcp_pcb *l = tcp_listen_with_backlog_and_err(s->tcp, (u8_t)backlog, &e);
    if (!l) {
        *status = (wf_word_t)map_err(e == ERR_OK ? ERR_MEM : e);
        return WF_ERR_OK;
    }
    s->tcp = l;
    s->state = S_LISTEN;
    s->backlog = (uint8_t)backlog;
    tcp_arg(l, s);
    tcp_accept(l, on_tcp_accept);
    *status = 0;
    return WF_ERR_OK;
}

static wf_word_t on_accept(struct wf_server *srv, struct wf_server_req *r, wf_word_t *status,
                           wf_word_t *id, wf_word_t *addr, wf_word_t *port, wf_cptr_t *cap)
{
    SOCK_OR_EBADF();
    if (s->type != WFP_SOCK_TCP) {
        *status = WFP_SOCK_EOPNOTSUPP;
        return WF_ERR_OK;
    }
    if (s->state != S_LISTEN) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (!s->npend) {
        *status = WFP_SOCK_EAGAIN;
        return WF_ERR_OK;
    }
    int e = may_take(s->c);
    if (e) {
        *status = (wf_word_t)e;
        return WF_ERR_OK;
    }
    struct sock *n = &socks[s->pend[0]];
    memmove(&s->pend[0], &s->pend[1], (s->npend - 1) * sizeof(s->pend[0]));
    s->npend--;
    n->pending = false;
    n->rcvbuf = n->sndbuf = WFP_SOCK_BUF_DEFAULT;
    if (n->tcp)
        tcp_backlog_accepted(n->tcp);
    int nid = pick_id(s->c);
    if (!sock_publish(n, nid)) {
        n->c = NULL;
        sock_free(n);
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    *status = 0;
    *id = (wf_word_t)nid;
    *addr = n->peer_addr;
    *port = n->peer_port;
    *cap = slot_sock(n);
    return WF_ERR_OK;
}

static wf_word_t on_connect(struct wf_server *srv, struct wf_server_req *r, wf_word_t addr,
                            wf_word_t port, wf_word_t *status)
{
    SOCK_OR_EBADF();
    if (port > 0xffff || port == 0 || addr > 0xffffffffu) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    ip_addr_t ip;
    to_ip((uint32_t)addr, &ip);
    if (s->udp) {
        err_t e = udp_connect(s->udp, &ip, (u16_t)port);
        if (e == ERR_OK) {
            s->peer_addr = (uint32_t)addr;
            s->peer_port = (uint16_t)port;
        }
        *status = (wf_word_t)map_err(e);
        return WF_ERR_OK;
    }
    switch (s->state) {
    case S_CONNECTING:
        *status = WFP_SOCK_EALREADY;
        return WF_ERR_OK;
    case S_CONNECTED:
        *status = WFP_SOCK_EISCONN;
        return WF_ERR_OK;
    case S_LISTEN:
    case S_DONE:
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    default:
        break;
    }
    if (!s->tcp) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (s->keepalive)
        ip_set_option(s->tcp, SOF_KEEPALIVE);
    err_t e = tcp_connect(s->tcp, &ip, (u16_t)port, on_tcp_connected);
    if (e != ERR_OK) {
        *status = (wf_word_t)map_err(e);
        return WF_ERR_OK;
    }
    s->state = S_CONNECTING;
    *status = WFP_SOCK_EINPROGRESS;
    return WF_ERR_OK;
}

/* Room to queue more TCP bytes now. */
static uint32_t tcp_room(const struct sock *s)
{
    if (!s->tcp || s->state != S_CONNECTED || s->wr_shut)
        return 0;
    uint32_t room = tcp_sndbuf(s->tcp);
    uint32_t mine = s->sndbuf > s->unacked ? s->sndbuf - s->unacked : 0;
    if (room > mine)
        room = mine;
    if (tcp_sndqueuelen(s->tcp) + 4 >= TCP_SND_QUEUELEN)
        room = 0;
    return room;
}

static wf_word_t tcp_send_from(struct sock *s, wf_word_t offset, wf_word_t len, wf_word_t *status,
                               wf_word_t *sent)
{
    if (s->state == S_DONE || !s->tcp) {
        int e = take_err(s);
        *status = (wf_word_t)(e ? e : WFP_SOCK_EPIPE);
        return WF_ERR_OK;
    }
    if (s->wr_shut) {
        *status = WFP_SOCK_EPIPE;
        return WF_ERR_OK;
    }
    if (s->state == S_CONNECTING) {
        *status = WFP_SOCK_EAGAIN;
        return WF_ERR_OK;
    }
    if (s->state != S_CONNECTED) {
        *status = WFP_SOCK_ENOTCONN;
        return WF_ERR_OK;
    }
    wf_word_t done = 0;
    while (done < len) {
        uint32_t room = tcp_room(s);
        wf_word_t n = len - done;
        if (n > room)
            n = room;
        if (n > CHUNK)
            n = CHUNK;
        if (!n)
            break;
        if (wf_vmo_read(slot_buf(s->c), offset + done, n, WF_CHILD_VSPACE,
                        (wf_word_t)(uintptr_t)bounce) != WF_ERR_OK) {
            if (!done) {
                *status = WFP_SOCK_EFAULT;
                return WF_ERR_OK;
            }
            break;
        }
        if (tcp_write(s->tcp, bounce, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK)
            break;
        s->unacked += (uint32_t)n;
        done += n;
    }
    if (!done && len) {
        *status = WFP_SOCK_EAGAIN;
        return WF_ERR_OK;
    }
    tcp_output(s->tcp);
    *status = 0;
    *sent = done;
    return WF_ERR_OK;
}

static wf_word_t udp_send_from(struct sock *s, const ip_addr_t *to, u16_t port, wf_word_t offset,
                               wf_word_t len, wf_word_t *status, wf_word_t *sent)
{
    if (len > UDP_MAX) {
        *status = WFP_SOCK_EMSGSIZE;
        return WF_ERR_OK;
    }
    if (s->wr_shut) {
        *status = WFP_SOCK_EPIPE;
        return WF_ERR_OK;
    }
    struct pbuf *p = pbuf_alloc(s->raw ? PBUF_IP : PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
    if (!p) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    if (len && wf_vmo_read(slot_buf(s->c), offset, len, WF_CHILD_VSPACE,
                           (wf_word_t)(uintptr_t)p->payload) != WF_ERR_OK) {
        pbuf_free(p);
        *status = WFP_SOCK_EFAULT;
        return WF_ERR_OK;
    }
    err_t e = s->raw ? raw_sendto(s->raw, p, to)
              : to   ? udp_sendto(s->udp, p, to, port)
                     : udp_send(s->udp, p);
    pbuf_free(p);
    *status = (wf_word_t)map_err(e);
    *sent = e == ERR_OK ? len : 0;
    return WF_ERR_OK;
}

static wf_word_t on_send(struct wf_server *srv, struct wf_server_req *r, wf_word_t offset,
                         wf_word_t len, wf_word_t *status, wf_word_t *sent)
{
    SOCK_OR_EBADF();
    *sent = 0;
    if (len > WFP_SOCK_IO_MAX) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (!buf_fits(s->c, offset, len)) {
        *status = WFP_SOCK_EFAULT;
        return WF_ERR_OK;
    }
    if (s->raw) {
        *status = WFP_SOCK_EDESTADDRREQ;
        return WF_ERR_OK;
    }
    if (s->udp) {
        if (!(s->udp->flags & UDP_FLAGS_CONNECTED)) {
            *status = WFP_SOCK_EDESTADDRREQ;
            return WF_ERR_OK;
        }
        return udp_send_from(s, NULL, 0, offset, len, status, sent);
    }
    return tcp_send_from(s, offset, len, status, sent);
}

/* Takes n bytes off the front of s's receive queue and opens the window. */
static void tcp_consume(struct sock *s, uint32_t n)
{
    uint32_t left = n;
    while (left) {
        u16_t k = (u16_t)(left > CHUNK ? CHUNK : left);
        s->rq = pbuf_free_header(s->rq, k);
        if (s->tcp)
            tcp_recved(s->tcp, k);
        left -= k;
    }
    s->rq_bytes -= n;
    if (s->tcp && s->tcp->refused_data)
        tcp_process_refused_data(s->tcp);
}

static wf_word_t on_recv(struct wf_server *srv, struct wf_server_req *r, wf_word_t offset,
                         wf_word_t max, wf_word_t flags, wf_word_t *status, wf_word_t *copied)
{
    SOCK_OR_EBADF();
    *copied = 0;
    if (max > WFP_SOCK_IO_MAX || (flags & ~(wf_word_t)WFP_SOCK_FLAG_PEEK)) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (!buf_fits(s->c, offset, max)) {
        *status = WFP_SOCK_EFAULT;
        return WF_ERR_OK;
    }
    if (s->udp || s->raw) {
        if (!s->dq_n) {
            *status = WFP_SOCK_EAGAIN;
            return WF_ERR_OK;
        }
        struct dgram *d = &s->dq[s->dq_head];
        wf_word_t n = d->p->tot_len < max ? d->p->tot_len : max;
        pbuf_copy_partial(d->p, bounce, (u16_t)n, 0);
        if (n && wf_vmo_write(slot_buf(s->c), offset, n, WF_CHILD_VSPACE,
                              (wf_word_t)(uintptr_t)bounce) != WF_ERR_OK) {
            *status = WFP_SOCK_EFAULT;
            return WF_ERR_OK;
        }
        if (!(flags & WFP_SOCK_FLAG_PEEK)) {
            s->dq_bytes -= d->p->tot_len;
            pbuf_free(d->p);
            s->dq_head = (uint8_t)((s->dq_head + 1) % DGRAMS);
            s->dq_n--;
        }
        *status = 0;
        *copied = n;
        return WF_ERR_OK;
    }
    if (s->rd_shut) {
        *status = 0;
        return WF_ERR_OK;
    }
    if (!s->rq_bytes) {
        int e = take_err(s);
        if (e)
            *status = (wf_word_t)e;
        else if (s->eof || s->state == S_DONE)
            *status = 0;
        else if (s->state == S_CONNECTED || s->state == S_CONNECTING)
            *status = WFP_SOCK_EAGAIN;
        else
            *status = WFP_SOCK_ENOTCONN;
        return WF_ERR_OK;
    }
    wf_word_t done = 0;
    wf_word_t n = s->rq_bytes < max ? s->rq_bytes : max;
    while (done < n) {
        wf_word_t k = n - done > CHUNK ? CHUNK : n - done;
        pbuf_copy_partial(s->rq, bounce, (u16_t)k, (u16_t)done);
        if (wf_vmo_write(slot_buf(s->c), offset + done, k, WF_CHILD_VSPACE,
                         (wf_word_t)(uintptr_t)bounce) != WF_ERR_OK)
            break;
        done += k;
        if (done >= 0xffff - CHUNK)
            break; /* pbuf offsets are u16_t: at most 64 KiB less a chunk a call */
    }
    if (!done && n) {
        *status = WFP_SOCK_EFAULT;
        return WF_ERR_OK;
    }
    if (!(flags & WFP_SOCK_FLAG_PEEK))
        tcp_consume(s, (uint32_t)done);
    *status = 0;
    *copied = done;
    return WF_ERR_OK;
}

static wf_word_t on_send_to(struct wf_server *srv, struct wf_server_req *r, wf_word_t addr,
                            wf_word_t port, wf_word_t offset, wf_word_t len, wf_word_t *status,
                            wf_word_t *sent)
{
    SOCK_OR_EBADF();
    *sent = 0;
    if (!s->udp && !s->raw) {
        *status = WFP_SOCK_EOPNOTSUPP;
        return WF_ERR_OK;
    }
    if (port > 0xffff || (port == 0 && !s->raw) || addr > 0xffffffffu || len > WFP_SOCK_IO_MAX) {
        *status = len > WFP_SOCK_IO_MAX ? WFP_SOCK_EMSGSIZE : WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (!buf_fits(s->c, offset, len)) {
        *status = WFP_SOCK_EFAULT;
        return WF_ERR_OK;
    }
    ip_addr_t ip;
    to_ip((uint32_t)addr, &ip);
    return udp_send_from(s, &ip, (u16_t)port, offset, len, status, sent);
}

static wf_word_t on_recv_from(struct wf_server *srv, struct wf_server_req *r, wf_word_t offset,
                              wf_word_t max, wf_word_t *status, wf_word_t *copied, wf_word_t *len,
                              wf_word_t *addr, wf_word_t *port)
{
    SOCK_OR_EBADF();
    if (!s->udp && !s->raw) {
        *status = WFP_SOCK_EOPNOTSUPP;
        return WF_ERR_OK;
    }
    *len = *addr = *port = 0;
    if (s->dq_n) {
        const struct dgram *d = &s->dq[s->dq_head];
        *len = d->p->tot_len;
        *addr = d->addr;
        *port = d->port;
    }
    return on_recv(srv, r, offset, max, 0, status, copied);
}

static wf_word_t on_shutdown(struct wf_server *srv, struct wf_server_req *r, wf_word_t how,
                             wf_word_t *status)
{
    SOCK_OR_EBADF();
    if (how > WFP_SOCK_SHUT_RDWR) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    if (s->tcp && s->state != S_CONNECTED) {
        *status = WFP_SOCK_ENOTCONN;
        return WF_ERR_OK;
    }
    if (how != WFP_SOCK_SHUT_WR && !s->rd_shut) {
        s->rd_shut = true;
        if (s->rq) {
            tcp_consume(s, s->rq_bytes);
        }
    }
    if (how != WFP_SOCK_SHUT_RD && !s->wr_shut) {
        s->wr_shut = true;
        if (s->tcp)
            tcp_shutdown(s->tcp, 0, 1);
    }
    *status = 0;
    return WF_ERR_OK;
}

static wf_word_t on_close(struct wf_server *srv, struct wf_server_req *r, wf_word_t *status)
{
    SOCK_OR_EBADF();
    sock_free(s);
    *status = 0;
    return WF_ERR_OK;
}

static wf_word_t on_get_opt(struct wf_server *srv, struct wf_server_req *r, wf_word_t opt,
                            wf_word_t *status, wf_word_t *value)
{
    SOCK_OR_EBADF();
    *status = 0;
    switch (opt) {
    case WFP_SOCK_SO_REUSEADDR:
        *value = s->reuse;
        break;
    case WFP_SOCK_SO_KEEPALIVE:
        *value = s->keepalive;
        break;
    case WFP_SOCK_TCP_NODELAY:
        *value = s->nodelay;
        break;
    case WFP_SOCK_SO_RCVBUF:
        *value = s->rcvbuf;
        break;
    case WFP_SOCK_SO_SNDBUF:
        *value = s->sndbuf;
        break;
    case WFP_SOCK_SO_ERROR:
        *value = (wf_word_t)take_err(s);
        break;
    case WFP_SOCK_SO_TYPE:
        *value = s->type;
        break;
    default:
        *status = WFP_SOCK_ENOPROTOOPT;
    }
    return WF_ERR_OK;
}

static wf_word_t on_set_opt(struct wf_server *srv, struct wf_server_req *r, wf_word_t opt,
                            wf_word_t value, wf_word_t *status)
{
    SOCK_OR_EBADF();
    *status = 0;
    bool on = value != 0;
    switch (opt) {
    case WFP_SOCK_SO_REUSEADDR:
        if (value > 1)
            goto bad;
        s->reuse = on;
        if (s->tcp) {
            if (on)
                ip_set_option(s->tcp, SOF_REUSEADDR);
            else
                ip_reset_option(s->tcp, SOF_REUSEADDR);
        }
        break;
    case WFP_SOCK_SO_KEEPALIVE:
        if (value > 1)
            goto bad;
        s->keepalive = on;
        if (s->tcp && s->state != S_LISTEN) {
            if (on)
                ip_set_option(s->tcp, SOF_KEEPALIVE);
            else
                ip_reset_option(s->tcp, SOF_KEEPALIVE);
        }
        break;
    case WFP_SOCK_TCP_NODELAY:
        if (value > 1)
            goto bad;
        s->nodelay = on;
        if (s->tcp && s->state != S_LISTEN) {
            if (on)
                tcp_nagle_disable(s->tcp);
            else
                tcp_nagle_enable(s->tcp);
        }
        break;
    case WFP_SOCK_SO_RCVBUF:
    case WFP_SOCK_SO_SNDBUF: {
        if (value < WFP_SOCK_BUF_MIN || value > WFP_SOCK_BUF_MAX)
            goto bad;
        uint32_t *field = opt == WFP_SOCK_SO_RCVBUF ? &s->rcvbuf : &s->sndbuf;
        uint32_t charged = s->c->charged - *field + (uint32_t)value;
        if (charged > WFP_SOCK_BUF_BYTES_MAX) {
            *status = WFP_SOCK_ENOBUFS;
            return WF_ERR_OK;
        }
        s->c->charged = charged;
        uint32_t was = s->rcvbuf < RQ_MAX ? s->rcvbuf : RQ_MAX;
        *field = (uint32_t)value;
        uint32_t now = s->rcvbuf < RQ_MAX ? s->rcvbuf : RQ_MAX;
        /* A connected socket's window follows its new limit (fit_window). */
        if (s->tcp && s->state == S_CONNECTED && now != was) {
            if (now > was)
                tcp_recved(s->tcp, (u16_t)(now - was));
            else
                s->tcp->rcv_wnd = s->tcp->rcv_wnd > was - now
                                      ? (tcpwnd_size_t)(s->tcp->rcv_wnd - (was - now))
                                      : 0;
        }
        break;
    }
    case WFP_SOCK_SO_ERROR:
    case WFP_SOCK_SO_TYPE:
        goto bad;
    default:
        *status = WFP_SOCK_ENOPROTOOPT;
    }
    return WF_ERR_OK;
bad:
    *status = WFP_SOCK_EINVAL;
    return WF_ERR_OK;
}

static wf_word_t on_get_name(struct wf_server *srv, struct wf_server_req *r, wf_word_t *status,
                             wf_word_t *addr, wf_word_t *port)
{
    SOCK_OR_EBADF();
    *status = 0;
    *addr = 0;
    *port = 0;
    if (s->tcp) {
        *addr = lwip_ntohl(ip4_addr_get_u32(&s->tcp->local_ip));
        *port = s->tcp->local_port;
    } else if (s->udp) {
        *addr = lwip_ntohl(ip4_addr_get_u32(&s->udp->local_ip));
        *port = s->udp->local_port;
    }
    return WF_ERR_OK;
}

static wf_word_t on_get_peer(struct wf_server *srv, struct wf_server_req *r, wf_word_t *status,
                             wf_word_t *addr, wf_word_t *port)
{
    SOCK_OR_EBADF();
    bool conn = s->udp ? (s->udp->flags & UDP_FLAGS_CONNECTED) != 0
                       : s->state == S_CONNECTED || (s->state == S_DONE && s->peer_port);
    if (!conn) {
        *status = WFP_SOCK_ENOTCONN;
        return WF_ERR_OK;
    }
    *status = 0;
    *addr = s->peer_addr;
    *port = s->peer_port;
    return WF_ERR_OK;
}

static wf_word_t on_poll(struct wf_server *srv, struct wf_server_req *r, wf_word_t *status,
                         wf_word_t *readable, wf_word_t *writable, wf_word_t *failed)
{
    (void)srv;
    const struct client *c = owner_of(r, false);
    *status = 0;
    *readable = *writable = *failed = 0;
    if (!c)
        return WF_ERR_OK;
    for (unsigned i = 0; i < nsocks; i++) {
        const struct sock *s = &socks[i];
        if (!s->badge || s->pending || s->c != c)
            continue;
        wf_word_t bit = 1ull << s->id;
        if (s->udp || s->raw) {
            if (s->dq_n)
                *readable |= bit;
            *writable |= bit;
        } else {
            if (s->rq_bytes || s->eof || s->rd_shut || s->state == S_DONE || s->npend)
                *readable |= bit;
            if (tcp_room(s) || s->state == S_DONE)
                *writable |= bit;
        }
        if (s->err || s->state == S_DONE)
            *failed |= bit;
    }
    return WF_ERR_OK;
}

/* --- Resolve and Ping: answered later --------------------------------------- */

static void on_dns(const char *name, const ip_addr_t *ip, void *arg)
{
    (void)name;
    struct resolve *q = arg;
    if (!q->used)
        return;
    q->used = false;
    if (!q->reply)
        return;
    wf_word_t addr = ip ? lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(ip))) : 0;
    wfp_sock_resolve_answer(server, q->reply, WF_ERR_OK, ip ? 0 : WFP_SOCK_ENOENT, addr);
    notify(q->c);
}

/* The resolver's server: the lease's (which DHCP writes into lwIP's server 0
 * whenever a lease binds) or the one SetDns named. lwIP keeps one server port
 * for all (DNS_SERVER_PORT, lwipopts.h), so both are set before each query. */
unsigned short net_dns_port = 53;
static bool dns_custom;
static uint16_t dns_custom_port;
static ip_addr_t dns_custom_addr, dns_lease_addr, dns_applied;

static void dns_apply(void)
{
    const ip_addr_t *cur = dns_getserver(0);
    if (!ip_addr_cmp(cur, &dns_applied))
        ip_addr_copy(dns_lease_addr, *cur); /* DHCP wrote it since */
    if (dns_custom) {
        ip_addr_copy(dns_applied, dns_custom_addr);
        net_dns_port = dns_custom_port;
    } else {
        ip_addr_copy(dns_applied, dns_lease_addr);
        net_dns_port = 53;
    }
    dns_setserver(0, &dns_applied);
}

static wf_word_t on_set_dns(struct wf_server *srv, struct wf_server_req *r, wf_word_t addr,
                            wf_word_t port, wf_word_t *status)
{
    (void)srv;
    (void)r;
    if (addr >= 0xffffffffu || (addr && (port < 1 || port > 0xffff))) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    dns_apply(); /* notes the lease's server before it is replaced */
    dns_custom = addr != 0;
    if (dns_custom) {
        to_ip((uint32_t)addr, &dns_custom_addr);
        dns_custom_port = (uint16_t)port;
    }
    dns_apply();
    *status = 0;
    return WF_ERR_OK;
}

static wf_word_t on_resolve(struct wf_server *srv, struct wf_server_req *r, const char *name,
                            wf_word_t name_len, wf_word_t *status, wf_word_t *addr)
{
    char host[WFP_SOCK_NAME_MAX + 1];
    if (!name_len || memchr(name, 0, name_len)) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    memcpy(host, name, name_len);
    host[name_len] = 0;
    ip4_addr_t a;
    if (ip4addr_aton(host, &a)) {
        *status = 0;
        *addr = lwip_ntohl(ip4_addr_get_u32(&a));
        return WF_ERR_OK;
    }
    unsigned i = 0;
    while (i < RESOLVES && resolves[i].used)
        i++;
    if (i == RESOLVES) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    ip_addr_t ip;
    struct resolve *q = &resolves[i];
    dns_apply();
    err_t e = dns_gethostbyname(host, &ip, on_dns, q);
    if (e == ERR_OK) {
        *status = 0;
        *addr = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&ip)));
        return WF_ERR_OK;
    }
    if (e != ERR_INPROGRESS) {
        *status = WFP_SOCK_ENOENT;
        return WF_ERR_OK;
    }
    wf_cptr_t reply = wf_server_defer(srv, r);
    if (!reply) {
        /* lwIP will call back: the entry stays taken until then, answering no one. */
        *q = (struct resolve){true, 0, NULL};
        return WF_ERR_NOT_ENOUGH_MEMORY;
    }
    *q = (struct resolve){true, reply, owner_of(r, false)};
    return WF_ERR_OK;
}

static u8_t on_icmp(void *arg, struct raw_pcb *pcb, struct pbuf *p, const ip_addr_t *addr)
{
    (void)arg;
    (void)pcb;
    uint16_t hlen = (uint16_t)(IPH_HL_BYTES((const struct ip_hdr *)p->payload));
    struct icmp_echo_hdr h;
    if (p->tot_len < hlen + sizeof(h) || pbuf_copy_partial(p, &h, sizeof(h), hlen) != sizeof(h))
        return 0;
    if (h.type != ICMP_ER || h.id != lwip_htons(0x5746))
        return 0;
    for (unsigned i = 0; i < PINGS; i++) {
        struct ping *q = &pings[i];
        if (!q->used || lwip_ntohs(h.seqno) != q->seq ||
            lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr))) != q->addr)
            continue;
        q->used = false;
        wfp_sock_ping_answer(server, q->reply, WF_ERR_OK, 0, wf_clock_ns() - q->sent_ns);
        notify(q->c);
        pbuf_free(p);
        return 1;
    }
    return 0;
}

static wf_word_t on_ping(struct wf_server *srv, struct wf_server_req *r, wf_word_t addr,
                         wf_word_t timeout_ms, wf_word_t *status, wf_word_t *rtt_ns)
{
    (void)rtt_ns;
    if (timeout_ms < 1 || timeout_ms > 10000 || addr > 0xffffffffu || !addr) {
        *status = WFP_SOCK_EINVAL;
        return WF_ERR_OK;
    }
    unsigned i = 0;
    while (i < PINGS && pings[i].used)
        i++;
    if (i == PINGS || !icmp_pcb) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    struct pbuf *p = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + 32, PBUF_RAM);
    if (!p) {
        *status = WFP_SOCK_ENOBUFS;
        return WF_ERR_OK;
    }
    struct icmp_echo_hdr *h = p->payload;
    uint16_t seq = ++ping_seq;
    h->type = ICMP_ECHO;
    h->code = 0;
    h->chksum = 0;
    h->id = lwip_htons(0x5746);
    h->seqno = lwip_htons(seq);
    memset(h + 1, 'w', 32);
    h->chksum = inet_chksum(h, p->len);
    ip_addr_t ip;
    to_ip((uint32_t)addr, &ip);
    err_t e = raw_sendto(icmp_pcb, p, &ip);
    pbuf_free(p);
    if (e != ERR_OK) {
        *status = (wf_word_t)map_err(e);
        return WF_ERR_OK;
    }
    wf_cptr_t reply = wf_server_defer(srv, r);
    if (!reply)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    uint64_t now = wf_clock_ns();
    pings[i] = (struct ping){true, reply, owner_of(r, false),           (uint32_t)addr,
                             seq,  now,   now + timeout_ms * 1000000ull};
    return WF_ERR_OK;
}

/* Interface index: 0 the Ethernet device, 1 the loopback. */
static wf_word_t on_interface(struct wf_server *srv, struct wf_server_req *r, wf_word_t index,
                              wf_word_t *status, wf_word_t *flags, wf_word_t *addr,
                              wf_word_t *netmask, wf_word_t *gateway, wf_word_t *mac, wf_word_t *rx,
                              wf_word_t *tx, wf_word_t *rx_dropped, wf_word_t *rx_malformed,
                              char *name, wf_word_t *name_len)
{
    (void)srv;
    (void)r;
    struct netif *n = NULL, *it;
    NETIF_FOREACH(it)
    {
        bool lo = it->name[0] == 'l' && it->name[1] == 'o';
        if ((index == 0 && !lo) || (index == 1 && lo))
            n = it;
    }
    if (!n) {
        *status = WFP_SOCK_ENOENT;
        return WF_ERR_OK;
    }
    bool lo = index == 1;
    *status = 0;
    *flags = (netif_is_up(n) ? WFP_SOCK_IF_UP : 0) | (lo ? WFP_SOCK_IF_LOOPBACK : 0) |
             (!lo && net_dhcp_bound() ? WFP_SOCK_IF_DHCP : 0);
    *addr = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(n)));
    *netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n)));
    *gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(n)));
    *mac = 0;
    if (!lo)
        for (unsigned i = 0; i < 6; i++)
            *mac = *mac << 8 | n->hwaddr[i];
    /* lwIP counts link.xmit and link.recv only for looped packets (the driver
     * keeps its own counters). */
    *rx = lo ? lwip_stats.link.recv : vnet_stats.rx;
    *tx = lo ? lwip_stats.link.xmit : vnet_stats.tx;
    *rx_dropped = lo ? 0 : vnet_stats.rx_dropped + vnet_driver_dropped();
    *rx_malformed = lo ? 0 : net_malformed();
    name[0] = n->name[0];
    name[1] = n->name[1];
    name[2] = '0';
    *name_len = 3;
    return WF_ERR_OK;
}

static const struct wfp_sock_handlers handlers = {
    .on_set_buffer = on_set_buffer,
    .on_set_notify = on_set_notify,
    .on_socket = on_socket,
    .on_bind = on_bind,
    .on_listen = on_listen,
    .on_accept = on_accept,
    .on_connect = on_connect,
    .on_send = on_send,
    .on_recv = on_recv,
    .on_send_to = on_send_to,
    .on_recv_from = on_recv_from,
    .on_shutdown = on_shutdown,
    .on_close = on_close,
    .on_get_opt = on_get_opt,
    .on_set_opt = on_set_opt,
    .on_get_name = on_get_name,
    .on_get_peer = on_get_peer,
    .on_poll = on_poll,
    .on_resolve = on_resolve,
    .on_ping = on_ping,
    .on_interface = on_interface,
    .on_set_dns = on_set_dns,
};

/* The dispatch entry: the generated dispatch, then lwIP's loopback queue and
 * timers (a handler may have queued packets to 127.0.0.1 or started a timer). */
static wf_word_t dispatch(struct wf_server *s, struct wf_server_req *r, const void *h)
{
    wf_word_t label = wfp_sock_dispatch(s, r, h);
    net_poll();
    return label;
}

const struct wf_server_proto sock_proto = {WFP_SOCK_FIRST, WFP_SOCK_LAST, dispatch, &handlers};

_Static_assert(SOCK_SLOT_NOTE0 - SOCK_SLOT_BUF0 >= WFP_SOCK_CLIENTS_MAX &&
                   SOCK_SLOT_SOCK0 - SOCK_SLOT_NOTE0 >= WFP_SOCK_CLIENTS_MAX,
               "a slot per client for its buffer and its notification");

bool sock_init(struct wf_server *s, unsigned cnode_radix)
{
    server = s;
    wf_word_t lower = (1ull << cnode_radix) / 2;
    nsocks = lower > SOCK_SLOT_SOCK0 ? (unsigned)(lower - SOCK_SLOT_SOCK0) : 0;
    if (nsocks > SOCKS_LIMIT)
        nsocks = SOCKS_LIMIT;
    icmp_pcb = raw_new(IP_PROTO_ICMP);
    if (icmp_pcb)
        raw_recv(icmp_pcb, on_icmp, NULL);
    return nsocks > 0;
}

unsigned sock_table_size(void)
{
    return nsocks;
}

uint64_t sock_timeouts(uint64_t now)
{
    uint64_t next = 0;
    for (unsigned i = 0; i < PINGS; i++) {
        struct ping *q = &pings[i];
        if (!q->used)
            continue;
        if (now >= q->deadline_ns) {
            q->used = false;
            wfp_sock_ping_answer(server, q->reply, WF_ERR_OK, WFP_SOCK_ETIMEDOUT, 0);
            notify(q->c);
        } else if (!next || q->deadline_ns < next) {
            next = q->deadline_ns;
        }
    }
    return next;
}
