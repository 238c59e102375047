/*
 * Sockets of the network server for native programs (wf/sock.h): blocking
 * calls over the socket protocol's non-blocking messages.
 */
#include "wf/sock.h"

#include <stdbool.h>
#include <string.h>

#include "weft/invoke.h"
#include "wf/syscall.h"

/* A protocol error as an errno: the server's status, or EIO for a failed call. */
static int st(enum wf_error e, wf_word_t status)
{
    if (e != WF_ERR_OK && !(e == WF_ERR_TRUNCATED_MESSAGE && status))
        return -WF_NET_EIO;
    return status ? -(int)status : 0;
}

int wf_net_setup(struct wf_net *n, wf_cptr_t ep, wf_cptr_t vmo, void *buf, size_t size,
                 wf_cptr_t note, wf_cptr_t note_cap, wf_cptr_t tcb)
{
    *n = (struct wf_net){.ep = ep, .note = note, .tcb = tcb, .buf = buf, .size = size};
    wf_word_t status = 0, got = 0;
    int rc = st(wfp_sock_set_buffer(ep, vmo, &status, &got), status);
    if (rc)
        return rc;
    if (got < size)
        n->size = got;
    return st(wfp_sock_set_notify(ep, note_cap, &status), status);
}

int wf_net_wait(struct wf_net *n, unsigned id, unsigned want, unsigned timeout_ms)
{
    uint64_t deadline = timeout_ms ? wf_clock_ns() + timeout_ms * 1000000ull : 0;
    bool bound = false;
    int rc;
    for (;;) {
        wf_word_t status = 0, r = 0, w = 0, f = 0;
        if (wfp_sock_poll(n->ep, &status, &r, &w, &f) != WF_ERR_OK) {
            rc = -WF_NET_EIO;
            break;
        }
        wf_word_t bit = 1ull << id;
        if (((want & WF_NET_WANT_READ) && (r & bit)) || ((want & WF_NET_WANT_WRITE) && (w & bit)) ||
            (f & bit)) {
            rc = 0;
            break;
        }
        if (deadline && wf_clock_ns() >= deadline) {
            rc = -WF_NET_ETIMEDOUT;
            break;
        }
        if (deadline && n->tcb && !bound) {
            bound = wf_tcb_bind_notification(n->tcb, n->note) == WF_ERR_OK;
            if (bound)
                wf_tcb_set_deadline(n->tcb, deadline, WF_NET_BIT_TIMER);
        }
        if (deadline && !bound) {
            wf_sys_yield(); /* no timer: poll */
            continue;
        }
        wf_word_t bits = 0;
        wf_sys_wait(n->note, &bits);
        if (bits & WF_NET_BIT_USER) {
            n->user_bits |= WF_NET_BIT_USER;
            rc = -WF_NET_EINTR;
            break;
        }
    }
    if (bound) {
        wf_tcb_set_deadline(n->tcb, 0, 0);
        wf_tcb_unbind_notification(n->tcb);
    }
    return rc;
}

int wf_net_socket(struct wf_net *n, unsigned type, wf_cptr_t cnode, wf_word_t slot,
                  struct wf_sock *s)
{
    wf_word_t status = 0, id = 0;
    int rc = st(wfp_sock_socket(n->ep, type, &status, &id, cnode, slot, 64), status);
    if (!rc)
        *s = (struct wf_sock){slot, (unsigned)id};
    return rc;
}

int wf_net_close(struct wf_sock *s)
{
    wf_word_t status = 0;
    return st(wfp_sock_close(s->cap, &status), status);
}

int wf_net_bind(struct wf_sock *s, uint32_t addr, unsigned port)
{
    wf_word_t status = 0;
    return st(wfp_sock_bind(s->cap, addr, port, &status), status);
}

int wf_net_listen(struct wf_sock *s, unsigned backlog)
{
    wf_word_t status = 0;
    return st(wfp_sock_listen(s->cap, backlog, &status), status);
}

int wf_net_accept(struct wf_net *n, struct wf_sock *l, wf_cptr_t cnode, wf_word_t slot,
                  struct wf_sock *out, uint32_t *addr, unsigned *port, unsigned timeout_ms)
{
    for (;;) {
        wf_word_t status = 0, id = 0, a = 0, p = 0;
        int rc = st(wfp_sock_accept(l->cap, &status, &id, &a, &p, cnode, slot, 64), status);
        if (rc != -WFP_SOCK_EAGAIN) {
            if (!rc) {
                *out = (struct wf_sock){slot, (unsigned)id};
                if (addr)
                    *addr = (uint32_t)a;
                if (port)
                    *port = (unsigned)p;
            }
            return rc;
        }
        rc = wf_net_wait(n, l->id, WF_NET_WANT_READ, timeout_ms);
        if (rc)
            return rc;
    }
}

int wf_net_getopt(struct wf_sock *s, unsigned opt, wf_word_t *value)
{
    wf_word_t status = 0;
    return st(wfp_sock_get_opt(s->cap, opt, &status, value), status);
}

int wf_net_setopt(struct wf_sock *s, unsigned opt, wf_word_t value)
{
    wf_word_t status = 0;
    return st(wfp_sock_set_opt(s->cap, opt, value, &status), status);
}

int wf_net_connect(struct wf_net *n, struct wf_sock *s, uint32_t addr, unsigned port,
                   unsigned timeout_ms)
{
    wf_word_t status = 0;
    int rc = st(wfp_sock_connect(s->cap, addr, port, &status), status);
    if (rc != -WFP_SOCK_EINPROGRESS)
        return rc;
    rc = wf_net_wait(n, s->id, WF_NET_WANT_WRITE, timeout_ms);
    if (rc)
        return rc;
    wf_word_t err = 0;
    rc = wf_net_getopt(s, WFP_SOCK_SO_ERROR, &err);
    return rc ? rc : -(int)err;
}

long wf_net_send(struct wf_net *n, struct wf_sock *s, const void *data, size_t len,
                 unsigned timeout_ms)
{
    size_t done = 0;
    size_t room = n->size < WFP_SOCK_IO_MAX ? n->size : WFP_SOCK_IO_MAX;
    while (done < len) {
        size_t k = len - done < room ? len - done : room;
        memcpy(n->buf, (const uint8_t *)data + done, k);
        size_t off = 0;
        while (off < k) {
            wf_word_t status = 0, sent = 0;
            int rc = st(wfp_sock_send(s->cap, off, k - off, &status, &sent), status);
            if (rc == -WFP_SOCK_EAGAIN) {
                rc = wf_net_wait(n, s->id, WF_NET_WANT_WRITE, timeout_ms);
                if (rc)
                    return rc;
                continue;
            }
            if (rc)
                return rc;
            off += sent;
        }
        done += k;
    }
    return (long)len;
}

long wf_net_recv(struct wf_net *n, struct wf_sock *s, void *data, size_t max, unsigned timeout_ms)
{
    size_t room = n->size < WFP_SOCK_IO_MAX ? n->size : WFP_SOCK_IO_MAX;
    if (max > room)
        max = room;
    for (;;) {
        wf_word_t status = 0, got = 0;
        int rc = st(wfp_sock_recv(s->cap, 0, max, 0, &status, &got), status);
        if (rc == -WFP_SOCK_EAGAIN) {
            rc = wf_net_wait(n, s->id, WF_NET_WANT_READ, timeout_ms);
            if (rc)
                return rc;
            continue;
        }
        if (rc)
            return rc;
        memcpy(data, n->buf, got);
        return (long)got;
    }
}

long wf_net_sendto(struct wf_net *n, struct wf_sock *s, const void *data, size_t len, uint32_t addr,
                   unsigned port)
{
    if (len > n->size)
        return -WFP_SOCK_EMSGSIZE;
    memcpy(n->buf, data, len);
    wf_word_t status = 0, sent = 0;
    int rc = st(wfp_sock_send_to(s->cap, addr, port, 0, len, &status, &sent), status);
    return rc ? rc : (long)sent;
}

long wf_net_recvfrom(struct wf_net *n, struct wf_sock *s, void *data, size_t max, uint32_t *addr,
                     unsigned *port, unsigned timeout_ms)
{
    if (max > n->size)
        max = n->size;
    for (;;) {
        wf_word_t status = 0, got = 0, len = 0, a = 0, p = 0;
        int rc = st(wfp_sock_recv_from(s->cap, 0, max, &status, &got, &len, &a, &p), status);
        if (rc == -WFP_SOCK_EAGAIN) {
            rc = wf_net_wait(n, s->id, WF_NET_WANT_READ, timeout_ms);
            if (rc)
                return rc;
            continue;
        }
        if (rc)
            return rc;
        memcpy(data, n->buf, got);
        if (addr)
            *addr = (uint32_t)a;
        if (port)
            *port = (unsigned)p;
        return (long)got;
    }
}

int wf_net_shutdown(struct wf_sock *s, unsigned how)
{
    wf_word_t status = 0;
    return st(wfp_sock_shutdown(s->cap, how, &status), status);
}

int wf_net_resolve(struct wf_net *n, const char *name, uint32_t *addr)
{
    wf_word_t status = 0, a = 0;
    size_t len = strlen(name);
    if (len > WFP_SOCK_NAME_MAX)
        return -22; /* EINVAL */
    int rc = st(wfp_sock_resolve(n->ep, name, len, &status, &a), status);
    if (!rc)
        *addr = (uint32_t)a;
    return rc;
}

int wf_net_parse_ip(const char *s, uint32_t *addr)
{
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || digits > 3 || v > 255)
            return 0;
        a = a << 8 | v;
        if (part < 3 && *s++ != '.')
            return 0;
    }
    if (*s)
        return 0;
    *addr = a;
    return 1;
}

char *wf_net_format_ip(uint32_t addr, char *buf)
{
    char *p = buf;
    for (int i = 3; i >= 0; i--) {
        unsigned v = (addr >> (i * 8)) & 0xff;
        if (v >= 100)
            *p++ = (char)('0' + v / 100);
        if (v >= 10)
            *p++ = (char)('0' + v / 10 % 10);
        *p++ = (char)('0' + v % 10);
        if (i)
            *p++ = '.';
    }
    *p = 0;
    return buf;
}
