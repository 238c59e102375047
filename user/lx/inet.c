/*
 * AF_INET sockets (docs/linux.md, "Sockets"; decision 155): TCP and UDP
 * through the network server's socket protocol (abi/protocols/sock.proto),
 * and raw ICMP (SOCK_RAW, IPPROTO_ICMP: ping) as its ICMP sockets, which
 * behave as UDP's but for the IPv4 header they receive and the port they
 * ignore (docs/networking.md).
 *
 * lx is one client of the server ("net", looked up at the first socket):
 * one buffer VMO of lx's that data goes through (copied between it and the
 * process by a bounce buffer here, at most INET_CHUNK bytes a call), and
 * lx's own notification (the one bound to lx's thread that its timer
 * signals), minted with the badge INET_NOTE_BADGE, as the server's
 * notification: whenever a socket may have changed, lx's receive returns and
 * every waiting call is retried (decision 122). A socket is an open file
 * description holding the socket cap; every server call is non-blocking, and
 * a blocking Linux call that would wait answers -LX_BLOCK to be retried.
 * Readiness is the server's Poll masks for the socket's id.
 */
#include "inet.h"

#include <string.h>

#include "lx.h"
#include "lxfs.h"
#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/sock.h"
#include "wf/syscall.h"

#define INET_BUF        65536u           /* lx's buffer at the server */
#define INET_CHUNK      32768u           /* most bytes one call moves */
#define INET_NOTE_BADGE LX_INET_NOTE_BIT /* lx.h: the bits of lx's notification word */

enum {
    POLLIN = 1,
    POLLOUT = 4,
    POLLERR = 8,
    POLLHUP = 0x10,
    AF_UNIX = 1,
    AF_INET = 2,
    SOCK_STREAM = 1,
    SOCK_DGRAM = 2,
    SOCK_RAW = 3,
    IPPROTO_ICMP = 1,
    SOL_SOCKET = 1,
    IPPROTO_TCP = 6,
    IPPROTO_UDP = 17,
    MSG_PEEK = 2,
    MSG_TRUNC = 0x20,
    MSG_DONTWAIT = 0x40,
    MSG_WAITALL = 0x100,
    MSG_NOSIGNAL = 0x4000,
    E_NOTSOCK = 88,
    E_DESTADDRREQ = 89,
    E_MSGSIZE = 90,
    E_NOPROTOOPT = 92,
    E_PROTONOSUPPORT = 93,
    E_SOCKTNOSUPPORT = 94,
    E_OPNOTSUPP = 95,
    E_AFNOSUPPORT = 97,
    E_ALREADY = 114,
    E_INPROGRESS = 115,
    E_ISCONN = 106,
    E_NOTCONN = 107,
    E_CONNREFUSED = 111,
};

extern wf_cptr_t lx_timer; /* main.c: the notification bound to lx's thread */

static struct {
    bool tried;
    wf_cptr_t ep, buf, note;
} net;

static uint8_t bounce[INET_CHUNK];

/* The server's service cap with lx's buffer and notification given; 0 when
 * there is no server (or lx has no notification to give it). */
static wf_cptr_t net_ep(void)
{
    if (net.tried)
        return net.ep;
    net.tried = true;
    if (!lx_timer)
        return 0;
    wf_cptr_t ep = wf_env_slot(&lx.env), note = wf_env_slot(&lx.env), buf = 0;
    wf_word_t st = 0, size = 0;
    bool ok = ep && note && wf_reconnect(ep, "net") == WF_ERR_OK &&
              wf_cnode_mint(SELF, note, 64, SELF, lx_timer, 64, WF_RIGHT_WRITE, INET_NOTE_BADGE) ==
                  WF_ERR_OK &&
              wf_env_create(&lx.env, WF_OBJ_VMO, INET_BUF, &buf) == WF_ERR_OK &&
              wfp_sock_set_buffer(ep, buf, &st, &size) == WF_ERR_OK && !st && size >= INET_CHUNK &&
              wfp_sock_set_notify(ep, note, &st) == WF_ERR_OK && !st;
    if (!ok) {
        lx_say("no network server: AF_INET sockets answer EAFNOSUPPORT");
        return 0;
    }
    net.ep = ep;
    net.note = note;
    net.buf = buf;
    return ep;
}

/* A server reply as a Linux result: the status is a Linux errno already; a
 * failed message (the server gone) is EIO. */
static long st(enum wf_error e, wf_word_t status)
{
    if (e != WF_ERR_OK && !(e == WF_ERR_TRUNCATED_MESSAGE && status))
        return -LX_EIO;
    return status ? -(long)status : 0;
}

static bool nonblock(const struct lx_fd *f)
{
    return (lx_ofd_of(f)->flags & LXF_O_NONBLOCK) != 0;
}

/* The AF_INET description of fd, or NULL (err: EBADF or ENOTSOCK; 0 for
 * another kind of socket, which waitfd.c serves). */
static struct lx_ofd *inet_of(struct lx_proc *p, int fd, long *err)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    *err = !f ? -LX_EBADF : f->kind == FD_SOCK ? 0 : f->kind != FD_INET ? -E_NOTSOCK : 0;
    return f && f->kind == FD_INET ? lx_ofd_of(f) : NULL;
}

/* The server's readiness masks for o's socket: readable, writable, failed. */
static bool masks(const struct lx_ofd *o, bool *r, bool *w, bool *fail)
{
    wf_word_t status = 0, rd = 0, wr = 0, fl = 0;
    if (!net.ep || wfp_sock_poll(net.ep, &status, &rd, &wr, &fl) != WF_ERR_OK || status) {
        *r = *w = *fail = true; /* the server is gone: every call says so */
        return false;
    }
    wf_word_t bit = 1ull << o->u.in.id;
    *r = (rd & bit) != 0;
    *w = (wr & bit) != 0;
    *fail = (fl & bit) != 0;
    return true;
}

short lx_inet_ready(struct lx_ofd *o)
{
    bool r, w, fail;
    masks(o, &r, &w, &fail);
    if (fail) /* as Linux after a reset or a refused connection */
        return POLLIN | POLLOUT | POLLERR | POLLHUP;
    if (o->u.in.type == WFP_SOCK_TCP && !o->u.in.listening && !o->u.in.connecting &&
        !o->u.in.connected)
        return POLLOUT | POLLHUP; /* a TCP socket never connected */
    return (short)((r ? POLLIN : 0) | (w ? POLLOUT : 0));
}

void lx_inet_release(struct lx_ofd *o)
{
    if (!o->u.in.cap)
        return;
    wf_word_t status;
    wfp_sock_close(o->u.in.cap, &status);
    wf_cnode_delete(SELF, o->u.in.cap,
                    64); /* the server revoked it: the slot is empty either way */
    wf_env_free(&lx.env, o->u.in.cap);
    o->u.in.cap = 0;
}

/* --- addresses --------------------------------------------------------------------- */

struct sockaddr_in_l {
    uint16_t family;
    uint16_t port; /* network order */
    uint32_t addr; /* network order */
    uint8_t zero[8];
};

/* A sockaddr_in at u (len bytes): host-order address and port. */
static long addr_in(struct lx_proc *p, uint64_t u, uint64_t len, uint32_t *addr, unsigned *port)
{
    struct sockaddr_in_l sa;
    if (len < sizeof(sa) || len > 128)
        return -LX_EINVAL;
    if (lx_copy_in(p, &sa, u, sizeof(sa)) < 0)
        return -LX_EFAULT;
    if (sa.family != AF_INET)
        return -E_AFNOSUPPORT;
    *addr = __builtin_bswap32(sa.addr);
    *port = __builtin_bswap16(sa.port);
    return 0;
}

/* Writes addr:port as a sockaddr_in to u, its length to ulen (as Linux: at
 * most *ulen bytes, the whole length reported). */
static long addr_out(struct lx_proc *p, uint64_t u, uint64_t ulen, uint32_t addr, unsigned port)
{
    if (!u || !ulen)
        return 0;
    int32_t len;
    if (lx_copy_in(p, &len, ulen, 4) < 0)
        return -LX_EFAULT;
    if (len < 0)
        return -LX_EINVAL;
    struct sockaddr_in_l sa = {
        AF_INET, __builtin_bswap16((uint16_t)port), __builtin_bswap32(addr), {0}};
    size_t n = (size_t)len < sizeof(sa) ? (size_t)len : sizeof(sa);
    if ((n && lx_copy_out(p, u, &sa, n) < 0))
        return -LX_EFAULT;
    len = sizeof(sa);
    return lx_copy_out(p, ulen, &len, 4) < 0 ? -LX_EFAULT : 0;
}

/* --- socket, bind, listen, connect, accept ----------------------------------------------- */

/* A descriptor for a new AF_INET description holding cap: fd, or -errno. */
static long new_fd(struct lx_proc *p, unsigned flags, wf_cptr_t cap, unsigned id, unsigned type,
                   struct lx_ofd **out)
{
    int fd = lx_fd_alloc(p, 0);
    if (fd < 0)
        return fd;
    int k = lx_ofd_new(LXF_O_RDWR | (flags & LXF_O_NONBLOCK), 0);
    if (k < 0)
        return k;
    p->fd[fd] = (struct lx_fd){.kind = FD_INET,
                               .flags = LXF_O_RDWR,
                               .cloexec = (flags & LXF_O_CLOEXEC) != 0,
                               .mode = LXF_S_IFSOCK | 0777,
                               .ino = ++lx.next_ino,
                               .ofd = (unsigned)k};
    struct lx_ofd *o = &lx.files.ofd[k - 1];
    memset(&o->u, 0, sizeof(o->u));
    o->kind = FD_INET;
    o->u.in.cap = cap;
    o->u.in.id = id;
    o->u.in.type = type;
    *out = o;
    return fd;
}

/* A cap slot the server's reply fills, freed again on failure. */
static void drop_cap(wf_cptr_t cap)
{
    wf_word_t status;
    wfp_sock_close(cap, &status);
    wf_cnode_delete(SELF, cap, 64);
    wf_env_free(&lx.env, cap);
}

long lx_inet_socket(struct lx_call *c)
{
    uint64_t type = c->a[1], proto = c->a[2];
    if (type & ~(uint64_t)(0xf | LXF_O_NONBLOCK | LXF_O_CLOEXEC))
        return -LX_EINVAL;
    unsigned t = (type & 0xf) == SOCK_STREAM  ? WFP_SOCK_TCP
                 : (type & 0xf) == SOCK_DGRAM ? WFP_SOCK_UDP
                 : (type & 0xf) == SOCK_RAW   ? WFP_SOCK_ICMP
                                              : 0;
    if (!t)
        return -E_SOCKTNOSUPPORT;
    if (t == WFP_SOCK_ICMP ? proto != IPPROTO_ICMP
                           : proto && proto != (t == WFP_SOCK_TCP ? IPPROTO_TCP : IPPROTO_UDP))
        return -E_PROTONOSUPPORT;
    wf_cptr_t ep = net_ep();
    if (!ep)
        return -E_AFNOSUPPORT;
    if (lx_fd_alloc(c->p, 0) < 0)
        return -LX_EMFILE;
    wf_cptr_t cap = wf_env_slot(&lx.env);
    if (!cap)
        return -LX_ENFILE;
    wf_word_t status = 0, id = 0;
    long r = st(wfp_sock_socket(ep, t, &status, &id, SELF, cap, 64), status);
    if (r < 0) {
        wf_env_free(&lx.env, cap);
        return r == -LX_EMFILE ? -LX_ENFILE : r; /* the server's limit is lx's, not the process's */
    }
    struct lx_ofd *o;
    long fd = new_fd(c->p, (unsigned)type, cap, (unsigned)id, t, &o);
    if (fd < 0)
        drop_cap(cap);
    return fd;
}

long lx_n_bind(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o)
        return err ? err : lx_w_bind(c);
    uint32_t addr;
    unsigned port;
    long r = addr_in(c->p, c->a[1], c->a[2], &addr, &port);
    if (r < 0)
        return r;
    wf_word_t status = 0;
    return st(wfp_sock_bind(o->u.in.cap, addr, port, &status), status);
}

long lx_n_listen(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o)
        return err ? err : lx_w_listen(c);
    int backlog = (int)c->a[1];
    if (backlog < 1)
        backlog = 1;
    if (backlog > WFP_SOCK_BACKLOG_MAX)
        backlog = WFP_SOCK_BACKLOG_MAX;
    if (o->u.in.type != WFP_SOCK_TCP)
        return -E_OPNOTSUPP;
    wf_word_t status = 0, a = 0, port = 0;
    long r = st(wfp_sock_listen(o->u.in.cap, (unsigned)backlog, &status), status);
    if (r == -LX_EINVAL && !o->u.in.connected &&
        st(wfp_sock_get_name(o->u.in.cap, &status, &a, &port), status) == 0 && !port) {
        /* Linux binds an unbound socket to a free port first */
        r = st(wfp_sock_bind(o->u.in.cap, 0, 0, &status), status);
        if (!r)
            r = st(wfp_sock_listen(o->u.in.cap, (unsigned)backlog, &status), status);
    }
    if (!r)
        o->u.in.listening = true;
    return r;
}

/* The end of a connection under way: 0 when connected, its error when it
 * failed, else -LX_BLOCK (or EALREADY when the call does not wait). */
static long connect_end(struct lx_ofd *o, bool nb, long pending)
{
    bool r, w, fail;
    masks(o, &r, &w, &fail);
    if (fail || w) {
        wf_word_t status = 0, e = 0;
        long rc = st(wfp_sock_get_opt(o->u.in.cap, WFP_SOCK_SO_ERROR, &status, &e), status);
        o->u.in.connecting = false;
        if (rc < 0)
            return rc;
        if (e || fail)
            return e ? -(long)e : -E_CONNREFUSED;
        o->u.in.connected = true;
        return 0;
    }
    return nb ? pending : -LX_BLOCK;
}

long lx_n_connect(struct lx_call *c)
{
    long err;
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o)
        return err ? err : lx_w_connect(c);
    if (o->u.in.connecting) /* a retry of a waiting connect, or a second call */
        return connect_end(o, nonblock(f), -E_ALREADY);
    uint32_t addr;
    unsigned port;
    long r = addr_in(c->p, c->a[1], c->a[2], &addr, &port);
    if (r < 0)
        return r;
    wf_word_t status = 0;
    r = st(wfp_sock_connect(o->u.in.cap, addr, port, &status), status);
    if (r == 0) {
        o->u.in.connected = true;
        return 0;
    }
    if (r != -E_INPROGRESS)
        return r;
    o->u.in.connecting = true;
    return connect_end(o, nonblock(f), -E_INPROGRESS);
}

long lx_n_accept4(struct lx_call *c)
{
    long err;
    struct lx_proc *p = c->p;
    struct lx_fd *f = lx_fd_get(p, (int)c->a[0]);
    struct lx_ofd *o = inet_of(p, (int)c->a[0], &err);
    if (!o)
        return err ? err : lx_w_accept4(c);
    unsigned flags = (unsigned)c->a[3];
    if (flags & ~(unsigned)(LXF_O_NONBLOCK | LXF_O_CLOEXEC))
        return -LX_EINVAL;
    if (o->u.in.type != WFP_SOCK_TCP)
        return -E_OPNOTSUPP;
    if (lx_fd_alloc(p, 0) < 0)
        return -LX_EMFILE;
    wf_cptr_t cap = wf_env_slot(&lx.env);
    if (!cap)
        return -LX_ENFILE;
    wf_word_t status = 0, id = 0, a = 0, port = 0;
    long r = st(wfp_sock_accept(o->u.in.cap, &status, &id, &a, &port, SELF, cap, 64), status);
    if (r < 0) {
        wf_env_free(&lx.env, cap);
        if (r == -LX_EAGAIN && !nonblock(f))
            return -LX_BLOCK;
        return r == -LX_EMFILE ? -LX_ENFILE : r;
    }
    struct lx_ofd *n;
    long fd = new_fd(p, flags, cap, (unsigned)id, WFP_SOCK_TCP, &n);
    if (fd < 0) {
        drop_cap(cap);
        return fd;
    }
    n->u.in.connected = true;
    r = addr_out(p, c->a[1], c->a[2], (uint32_t)a, (unsigned)port);
    if (r < 0) {
        lx_close(p, (int)fd);
        return r;
    }
    return fd;
}

long lx_n_accept(struct lx_call *c)
{
    struct lx_call d = {c->p, {c->a[0], c->a[1], c->a[2], 0}, c->w, c->t};
    return lx_n_accept4(&d);
}

long lx_n_shutdown(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o)
        return err ? err : lx_w_shutdown(c);
    if (c->a[1] > 2)
        return -LX_EINVAL;
    wf_word_t status = 0;
    return st(wfp_sock_shutdown(o->u.in.cap, c->a[1], &status), status);
}

long lx_n_getsockname(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o) {
        if (err)
            return err;
        uint16_t family = AF_UNIX; /* an AF_UNIX socket: its family alone */
        int32_t len;
        if (lx_copy_in(c->p, &len, c->a[2], 4) < 0)
            return -LX_EFAULT;
        if (len < 0)
            return -LX_EINVAL;
        if (len >= 2 && lx_copy_out(c->p, c->a[1], &family, 2) < 0)
            return -LX_EFAULT;
        len = 2;
        return lx_copy_out(c->p, c->a[2], &len, 4) < 0 ? -LX_EFAULT : 0;
    }
    wf_word_t status = 0, a = 0, port = 0;
    long r = st(wfp_sock_get_name(o->u.in.cap, &status, &a, &port), status);
    return r < 0 ? r : addr_out(c->p, c->a[1], c->a[2] ? c->a[2] : 1, (uint32_t)a, (unsigned)port);
}

long lx_n_getpeername(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o)
        return err ? err : lx_n_getsockname(c);
    wf_word_t status = 0, a = 0, port = 0;
    long r = st(wfp_sock_get_peer(o->u.in.cap, &status, &a, &port), status);
    return r < 0 ? r : addr_out(c->p, c->a[1], c->a[2] ? c->a[2] : 1, (uint32_t)a, (unsigned)port);
}

/* --- options ----------------------------------------------------------------------- */

/* The protocol's option for Linux's level and name; 0: none. */
static unsigned opt_of(uint64_t level, uint64_t name)
{
    if (level == SOL_SOCKET) {
        switch (name) {
        case 2:
            return WFP_SOCK_SO_REUSEADDR;
        case 3:
            return WFP_SOCK_SO_TYPE;
        case 4:
            return WFP_SOCK_SO_ERROR;
        case 7:
            return WFP_SOCK_SO_SNDBUF;
        case 8:
            return WFP_SOCK_SO_RCVBUF;
        case 9:
            return WFP_SOCK_SO_KEEPALIVE;
        }
    } else if (level == IPPROTO_TCP && name == 1) {
        return WFP_SOCK_TCP_NODELAY;
    }
    return 0;
}

long lx_n_setsockopt(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = inet_of(c->p, (int)c->a[0], &err);
    if (!o)
        return err ? err : -E_NOPROTOOPT;
    unsigned opt = opt_of(c->a[1], c->a[2]);
    if (!opt || opt == WFP_SOCK_SO_TYPE || opt == WFP_SOCK_SO_ERROR)
        return -E_NOPROTOOPT;
    if (opt == WFP_SOCK_TCP_NODELAY && o->u.in.type != WFP_SOCK_TCP)
        return -E_OPNOTSUPP;
    if ((int32_t)c->a[4] < 4)
        return -LX_EINVAL;
    int32_t v;
    if (lx_copy_in(c->p, &v, c->a[3], 4) < 0)
        return -LX_EFAULT;
    wf_word_t value = v != 0;
    if (opt == WFP_SOCK_SO_RCVBUF || opt == WFP_SOCK_SO_SNDBUF) /* Linux clamps */
        value = v < (int32_t)WFP_SOCK_BUF_MIN   ? WFP_SOCK_BUF_MIN
                : v > (int32_t)WFP_SOCK_BUF_MAX ? WFP_SOCK_BUF_MAX
                                                : (wf_word_t)v;
    wf_word_t status = 0;
    return st(wfp_sock_set_opt(o->u.in.cap, opt, value, &status), status);
}

long lx_n_getsockopt(struct lx_call *c)
{
    long err;
    struct lx_proc *p = c->p;
    struct lx_ofd *o = inet_of(p, (int)c->a[0], &err);
    if (err)
        return err;
    int32_t len;
    if (lx_copy_in(p, &len, c->a[4], 4) < 0)
        return -LX_EFAULT;
    if (len < 0)
        return -LX_EINVAL;
    wf_word_t value = 0;
    if (c->a[1] == SOL_SOCKET && c->a[2] == 30) { /* SO_ACCEPTCONN */
        value = o ? o->u.in.listening : 0;
    } else if (c->a[1] == SOL_SOCKET && c->a[2] == 39) { /* SO_DOMAIN */
        value = o ? AF_INET : AF_UNIX;
    } else if (c->a[1] == SOL_SOCKET && c->a[2] == 38) { /* SO_PROTOCOL */
        value = !o                              ? 0
                : o->u.in.type == WFP_SOCK_TCP  ? IPPROTO_TCP
                : o->u.in.type == WFP_SOCK_ICMP ? IPPROTO_ICMP
                                                : IPPROTO_UDP;
    } else if (!o) { /* AF_UNIX: its type, no pending error */
        unsigned opt = opt_of(c->a[1], c->a[2]);
        if (opt != WFP_SOCK_SO_TYPE && opt != WFP_SOCK_SO_ERROR)
            return -E_NOPROTOOPT;
        value = opt == WFP_SOCK_SO_TYPE ? SOCK_STREAM : 0;
    } else {
        unsigned opt = opt_of(c->a[1], c->a[2]);
        if (!opt)
            return -E_NOPROTOOPT;
        if (opt == WFP_SOCK_TCP_NODELAY && o->u.in.type != WFP_SOCK_TCP)
            return -E_OPNOTSUPP;
        wf_word_t status = 0;
        long r = st(wfp_sock_get_opt(o->u.in.cap, opt, &status, &value), status);
        if (r < 0)
            return r;
        if (opt == WFP_SOCK_SO_TYPE)
            value = value == WFP_SOCK_TCP    ? SOCK_STREAM
                    : value == WFP_SOCK_ICMP ? SOCK_RAW
                                             : SOCK_DGRAM;
    }
    int32_t v = (int32_t)value;
    size_t n = (size_t)len < 4 ? (size_t)len : 4;
    if (n && lx_copy_out(p, c->a[3], &v, n) < 0)
        return -LX_EFAULT;
    len = (int32_t)n;
    return lx_copy_out(p, c->a[4], &len, 4) < 0 ? -LX_EFAULT : 0;
}

/* --- data ---------------------------------------------------------------------------- */

/* Pieces of the caller's memory a transfer moves (an iovec array). */
#define INET_IOV_MAX 1024
struct iov {
    uint64_t base, len;
};

/* Sends up to INET_CHUNK bytes gathered from the n iovecs at uiov (or one
 * piece when uiov is 0: buf, len) to addr:port (to: an address given). */
static long do_send(struct lx_proc *p, struct lx_fd *f, uint64_t uiov, uint64_t n, uint64_t buf,
                    uint64_t len, unsigned flags, bool to, uint32_t addr, unsigned port)
{
    struct lx_ofd *o = lx_ofd_of(f);
    if (flags & ~(unsigned)(MSG_DONTWAIT | MSG_NOSIGNAL))
        return -E_OPNOTSUPP;
    size_t total = 0;
    for (uint64_t i = 0; i < (uiov ? n : 1) && total < INET_CHUNK; i++) {
        struct iov v = {buf, len};
        if (uiov && lx_copy_in(p, &v, uiov + i * sizeof(v), sizeof(v)) < 0)
            return -LX_EFAULT;
        if ((int64_t)v.len < 0)
            return -LX_EINVAL;
        size_t k = v.len < INET_CHUNK - total ? v.len : INET_CHUNK - total;
        if (k && lx_copy_in(p, bounce + total, v.base, k) < 0)
            return -LX_EFAULT;
        total += k;
    }
    if (o->u.in.type != WFP_SOCK_TCP && total == INET_CHUNK)
        return -E_MSGSIZE; /* a datagram is whole or not sent */
    if (total && wf_vmo_write(net.buf, 0, total, WF_CHILD_VSPACE, (uintptr_t)bounce) != WF_ERR_OK)
        return -LX_EIO;
    wf_word_t status = 0, sent = 0;
    long r;
    if (to && o->u.in.type != WFP_SOCK_TCP) /* TCP: the address is ignored, as Linux */
        r = st(wfp_sock_send_to(o->u.in.cap, addr, port, 0, total, &status, &sent), status);
    else
        r = st(wfp_sock_send(o->u.in.cap, 0, total, &status, &sent), status);
    if (r == -LX_EAGAIN && !(flags & MSG_DONTWAIT) && !nonblock(f))
        return -LX_BLOCK;
    if (r == -LX_EPIPE && !(flags & MSG_NOSIGNAL))
        lx_signal_thread(lx.calling, LX_SIGPIPE);
    return r < 0 ? r : (long)sent;
}

/* Receives up to INET_CHUNK bytes scattered to the n iovecs at uiov (or buf,
 * len); the source to uaddr/ulen; *trunc: a datagram's rest was cut. */
static long do_recv(struct lx_proc *p, struct lx_fd *f, uint64_t uiov, uint64_t n, uint64_t buf,
                    uint64_t len, unsigned flags, uint64_t uaddr, uint64_t ulen, bool *trunc)
{
    struct lx_ofd *o = lx_ofd_of(f);
    if (flags & ~(unsigned)(MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC | MSG_WAITALL))
        return -E_OPNOTSUPP;
    size_t want = 0;
    for (uint64_t i = 0; i < (uiov ? n : 1) && want < INET_CHUNK; i++) {
        struct iov v = {buf, len};
        if (uiov && lx_copy_in(p, &v, uiov + i * sizeof(v), sizeof(v)) < 0)
            return -LX_EFAULT;
        if ((int64_t)v.len < 0)
            return -LX_EINVAL;
        want += v.len < INET_CHUNK - want ? v.len : INET_CHUNK - want;
    }
    if (!want && o->u.in.type == WFP_SOCK_TCP) /* as Linux: nothing to wait for */
        return o->u.in.connected || o->u.in.connecting ? 0 : -E_NOTCONN;
    wf_word_t status = 0, got = 0, whole = 0, a = 0, port = 0;
    long r;
    if (o->u.in.type != WFP_SOCK_TCP && !(flags & MSG_PEEK)) {
        r = st(wfp_sock_recv_from(o->u.in.cap, 0, want, &status, &got, &whole, &a, &port), status);
    } else {
        if (o->u.in.listening)
            return -E_NOTCONN;
        r = st(wfp_sock_recv(o->u.in.cap, 0, want, flags & MSG_PEEK ? WFP_SOCK_FLAG_PEEK : 0,
                             &status, &got),
               status);
        whole = got; /* a peeked datagram: no source address */
    }
    if (r == -LX_EAGAIN && !(flags & MSG_DONTWAIT) && !nonblock(f))
        return -LX_BLOCK;
    if (r < 0)
        return r;
    if (got && wf_vmo_read(net.buf, 0, got, WF_CHILD_VSPACE, (uintptr_t)bounce) != WF_ERR_OK)
        return -LX_EIO;
    size_t done = 0;
    for (uint64_t i = 0; i < (uiov ? n : 1) && done < got; i++) {
        struct iov v = {buf, len};
        if (uiov && lx_copy_in(p, &v, uiov + i * sizeof(v), sizeof(v)) < 0)
            return -LX_EFAULT;
        size_t k = v.len < got - done ? v.len : got - done;
        if (k && lx_copy_out(p, v.base, bounce + done, k) < 0)
            return -LX_EFAULT;
        done += k;
    }
    *trunc = whole > got;
    if (o->u.in.type != WFP_SOCK_TCP) {
        r = addr_out(p, uaddr, ulen, (uint32_t)a, (unsigned)port);
    } else if (uaddr && ulen) { /* TCP: no address, as Linux */
        int32_t zero = 0;
        r = lx_copy_out(p, ulen, &zero, 4) < 0 ? -LX_EFAULT : 0;
    }
    if (r < 0)
        return r;
    return (long)((flags & MSG_TRUNC) && o->u.in.type != WFP_SOCK_TCP ? whole : got);
}

long lx_inet_put(struct lx_fd *f, const uint8_t *data, uint64_t n)
{
    struct lx_ofd *o = lx_ofd_of(f);
    if (n > INET_CHUNK)
        n = INET_CHUNK;
    if (n && wf_vmo_write(net.buf, 0, n, WF_CHILD_VSPACE, (uintptr_t)data) != WF_ERR_OK)
        return -LX_EIO;
    wf_word_t status = 0, sent = 0;
    long r = st(wfp_sock_send(o->u.in.cap, 0, n, &status, &sent), status);
    if (r == -LX_EAGAIN && !nonblock(f))
        return -LX_BLOCK;
    if (r == -LX_EPIPE)
        lx_signal_thread(lx.calling, LX_SIGPIPE);
    return r < 0 ? r : (long)sent;
}

long lx_inet_read(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count)
{
    bool trunc;
    return do_recv(p, f, 0, 1, buf, count, 0, 0, 0, &trunc);
}

long lx_inet_write(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count)
{
    return do_send(p, f, 0, 1, buf, count, 0, false, 0, 0);
}

long lx_n_sendto(struct lx_call *c)
{
    long err;
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!inet_of(c->p, (int)c->a[0], &err))
        return err ? err : lx_w_sendto(c);
    uint32_t addr = 0;
    unsigned port = 0;
    if (c->a[4]) {
        long r = addr_in(c->p, c->a[4], c->a[5], &addr, &port);
        if (r < 0)
            return r;
    }
    return do_send(c->p, f, 0, 1, c->a[1], c->a[2], (unsigned)c->a[3], c->a[4] != 0, addr, port);
}

long lx_n_recvfrom(struct lx_call *c)
{
    long err;
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!inet_of(c->p, (int)c->a[0], &err))
        return err ? err : lx_w_recvfrom(c);
    bool trunc;
    return do_recv(c->p, f, 0, 1, c->a[1], c->a[2], (unsigned)c->a[3], c->a[4], c->a[5], &trunc);
}

/* struct msghdr */
struct msghdr_l {
    uint64_t name;
    uint32_t namelen, pad;
    uint64_t iov, iovlen, control, controllen;
    int32_t flags, pad2;
};

long lx_n_sendmsg(struct lx_call *c)
{
    long err;
    struct lx_proc *p = c->p;
    struct lx_fd *f = lx_fd_get(p, (int)c->a[0]);
    struct lx_ofd *o = inet_of(p, (int)c->a[0], &err);
    if (err)
        return err;
    struct msghdr_l m;
    if (lx_copy_in(p, &m, c->a[1], sizeof(m)) < 0)
        return -LX_EFAULT;
    if (m.iovlen > INET_IOV_MAX)
        return -E_MSGSIZE;
    if (!o) { /* AF_UNIX: the first iovec */
        struct iov v = {0, 0};
        if (m.iovlen && lx_copy_in(p, &v, m.iov, sizeof(v)) < 0)
            return -LX_EFAULT;
        if (m.controllen)
            return -LX_EINVAL; /* no ancillary data (SCM_RIGHTS) */
        struct lx_call d = {p, {c->a[0], v.base, v.len, c->a[2], m.name, m.namelen}, c->w, c->t};
        return lx_w_sendto(&d);
    }
    if (m.controllen)
        return -LX_EINVAL; /* no ancillary data */
    uint32_t addr = 0;
    unsigned port = 0;
    if (m.name) {
        long r = addr_in(p, m.name, m.namelen, &addr, &port);
        if (r < 0)
            return r;
    }
    return do_send(p, f, m.iov, m.iovlen, 0, 0, (unsigned)c->a[2], m.name != 0, addr, port);
}

long lx_n_recvmsg(struct lx_call *c)
{
    long err;
    struct lx_proc *p = c->p;
    struct lx_fd *f = lx_fd_get(p, (int)c->a[0]);
    struct lx_ofd *o = inet_of(p, (int)c->a[0], &err);
    if (err)
        return err;
    struct msghdr_l m;
    if (lx_copy_in(p, &m, c->a[1], sizeof(m)) < 0)
        return -LX_EFAULT;
    if (m.iovlen > INET_IOV_MAX)
        return -E_MSGSIZE;
    long r;
    bool trunc = false;
    if (!o) { /* AF_UNIX: the first iovec */
        struct iov v = {0, 0};
        if (m.iovlen && lx_copy_in(p, &v, m.iov, sizeof(v)) < 0)
            return -LX_EFAULT;
        struct lx_call d = {p, {c->a[0], v.base, v.len, c->a[2], 0, 0}, c->w, c->t};
        r = lx_w_recvfrom(&d);
        m.namelen = 0;
    } else {
        uint64_t ulen = c->a[1] + __builtin_offsetof(struct msghdr_l, namelen);
        r = do_recv(p, f, m.iov, m.iovlen, 0, 0, (unsigned)c->a[2], m.name, m.name ? ulen : 0,
                    &trunc);
        if (r >= 0 && lx_copy_in(p, &m, c->a[1], sizeof(m)) < 0)
            return -LX_EFAULT; /* namelen as do_recv wrote it */
    }
    if (r < 0)
        return r;
    m.controllen = 0;
    m.flags = trunc ? MSG_TRUNC : 0;
    return lx_copy_out(p, c->a[1], &m, sizeof(m)) < 0 ? -LX_EFAULT : r;
}
