/*
 * Waiting (docs/linux.md, "Waiting"): select, pselect6, poll and ppoll;
 * epoll; eventfd; timerfd; AF_UNIX stream sockets (socketpair, and
 * socket/bind/listen/connect/accept by path). Each object is an open file
 * description (struct lx_ofd, its state in u), so dup and fork share it, and
 * every kind answers poll's readiness (lx_wait_ready), which all the waiting
 * calls are built on. A call that must wait answers -LX_BLOCK and is retried
 * after every message lx serves and at its deadline (decision 122); a
 * timerfd being watched moves that deadline to its expiry.
 *
 * A connected socket reads one of lx's pipe buffers and writes another (its
 * peer's the other way round). Bound names live in lx, not in the file
 * system: no socket file appears at the path, and a name is free again when
 * the socket bound to it is closed.
 */
#include <string.h>

#include "inet.h"
#include "lx.h"
#include "lxfs.h"
#include "wf/syscall.h"

enum {
    POLLIN = 1,
    POLLPRI = 2,
    POLLOUT = 4,
    POLLERR = 8,
    POLLHUP = 0x10,
    POLLNVAL = 0x20,
    EPOLLONESHOT = 1u << 30,
    EPOLLET = 1u << 31,
    LXW_EAFNOSUPPORT = 97,
    LXW_ESOCKTNOSUPPORT = 94,
    LXW_ENOTSOCK = 88,
    LXW_EADDRINUSE = 98,
    LXW_EISCONN = 106,
    LXW_ENOTCONN = 107,
    LXW_ECONNREFUSED = 111,
    LXW_EOPNOTSUPP = 95,
};

#define EPOCH_NS (1767225600ull * 1000000000ull) /* lx's CLOCK_REALTIME origin (sys.c) */

static uint64_t timer_soonest; /* the earliest expiry of the timerfds a scan saw */

static struct lx_ofd *ofd(const struct lx_fd *f)
{
    return lx_ofd_of(f);
}

static bool nonblock(const struct lx_fd *f)
{
    return (ofd(f)->flags & LXF_O_NONBLOCK) != 0;
}

/* A descriptor of kind for a new description: fd, or -errno. */
static long new_fd(struct lx_proc *p, enum lx_fd_kind kind, unsigned flags, uint32_t mode,
                   struct lx_ofd **out)
{
    int fd = lx_fd_alloc(p, 0);
    if (fd < 0)
        return fd;
    int o = lx_ofd_new(LXF_O_RDWR | (flags & LXF_O_NONBLOCK), 0);
    if (o < 0)
        return o;
    p->fd[fd] = (struct lx_fd){.kind = kind,
                               .flags = LXF_O_RDWR,
                               .cloexec = (flags & LXF_O_CLOEXEC) != 0,
                               .mode = mode,
                               .ino = ++lx.next_ino,
                               .ofd = (unsigned)o};
    *out = &lx.files.ofd[o - 1];
    memset(&(*out)->u, 0, sizeof((*out)->u));
    (*out)->kind = kind;
    return fd;
}

/* --- timerfd ----------------------------------------------------------------------- */

/* Counts the expiries up to now. */
static void timer_update(struct lx_ofd *o)
{
    uint64_t now = wf_clock_ns();
    if (!o->u.tm.next || now < o->u.tm.next)
        return;
    uint64_t k = 1 + (o->u.tm.interval ? (now - o->u.tm.next) / o->u.tm.interval : 0);
    o->u.tm.ticks += k;
    o->u.tm.next = o->u.tm.interval ? o->u.tm.next + k * o->u.tm.interval : 0;
}

/* --- sockets --------------------------------------------------------------------------- */

static struct lx_ofd *peer_of(struct lx_ofd *o)
{
    return o->u.sk.peer ? &lx.files.ofd[o->u.sk.peer - 1] : NULL;
}

/* Connects descriptions a and b (1 + index) through two new pipes. */
static long sock_join(unsigned a, unsigned b)
{
    int p1 = lx_pipe_new();
    if (p1 < 0)
        return p1;
    int p2 = lx_pipe_new();
    if (p2 < 0) {
        lx.files.pipe[p1].used = false;
        return p2;
    }
    struct lx_ofd *x = &lx.files.ofd[a - 1], *y = &lx.files.ofd[b - 1];
    x->u.sk.state = y->u.sk.state = SOCK_CONNECTED;
    x->u.sk.rx = y->u.sk.tx = (unsigned)p1;
    x->u.sk.tx = y->u.sk.rx = (unsigned)p2;
    x->u.sk.peer = b;
    y->u.sk.peer = a;
    return 0;
}

/* Readiness of a description of kind at p's descriptor f. */
short lx_wait_ready(struct lx_proc *p, struct lx_fd *f)
{
    struct lx_ofd *o = ofd(f);
    switch (f->kind) {
    case FD_EVENT:
        return (short)((o->u.ev.count ? POLLIN : 0) |
                       (o->u.ev.count < UINT64_MAX - 1 ? POLLOUT : 0));
    case FD_TIMER:
        timer_update(o);
        if (o->u.tm.next && (!timer_soonest || o->u.tm.next < timer_soonest))
            timer_soonest = o->u.tm.next;
        return o->u.tm.ticks ? POLLIN : 0;
    case FD_EPOLL: {
        for (unsigned i = 0; i < o->u.ep.n; i++) {
            int fd = o->u.ep.item[i].fd;
            if (fd < 0 || fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE ||
                p->fd[fd].kind == FD_EPOLL)
                continue; /* an instance inside another is not looked into */
            uint32_t ev = o->u.ep.item[i].events;
            if (lx_poll_one(p, fd, (short)(ev & 0xffff)) & (short)(ev | POLLHUP | POLLERR))
                return POLLIN;
        }
        return 0;
    }
    case FD_SOCK: {
        struct lx_ofd *q = peer_of(o);
        if (o->u.sk.state == SOCK_LISTEN)
            return o->u.sk.npending ? POLLIN : 0;
        if (o->u.sk.state != SOCK_CONNECTED)
            return POLLOUT | POLLHUP;
        short r = 0;
        if (lx.files.pipe[o->u.sk.rx].len || !q || q->u.sk.shut_wr || o->u.sk.shut_rd)
            r |= POLLIN;
        if (q && LX_PIPE_SIZE - lx.files.pipe[o->u.sk.tx].len > 0 && !o->u.sk.shut_wr)
            r |= POLLOUT;
        if (!q)
            r |= POLLHUP;
        return r;
    }
    case FD_INET:
        return lx_inet_ready(o);
    default:
        return POLLIN | POLLOUT;
    }
}

/* Frees what description k holds (its last descriptor went). */
void lx_wait_release(unsigned k)
{
    struct lx_ofd *o = &lx.files.ofd[k];
    if (!o->used)
        return;
    if (o->kind == FD_INET)
        lx_inet_release(o);
    if (o->kind != FD_SOCK)
        return;
    if (o->u.sk.state == SOCK_LISTEN) {
        for (unsigned i = 0; i < o->u.sk.npending; i++) {
            unsigned c = o->u.sk.pending[i] - 1;
            lx.files.ofd[c].pinned = false;
            lx_wait_release(c);
            lx.files.ofd[c].used = false;
        }
        o->u.sk.npending = 0;
    } else if (o->u.sk.state == SOCK_CONNECTED) {
        struct lx_ofd *q = peer_of(o);
        if (q && q->used && q->u.sk.peer == k + 1) {
            q->u.sk.peer = 0; /* the peer sees the end; it frees the pipes */
        } else {
            lx.files.pipe[o->u.sk.rx].used = false;
            lx.files.pipe[o->u.sk.tx].used = false;
        }
    }
    memset(&o->u, 0, sizeof(o->u));
    o->kind = FD_NONE;
}

/* --- read and write -------------------------------------------------------------------- */

static long sock_read(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count, bool nb)
{
    struct lx_ofd *o = ofd(f);
    if (o->u.sk.state != SOCK_CONNECTED)
        return o->u.sk.state == SOCK_LISTEN ? -LX_EINVAL : -LXW_ENOTCONN;
    struct lx_pipe *pp = &lx.files.pipe[o->u.sk.rx];
    struct lx_ofd *q = peer_of(o);
    if (!count)
        return 0;
    if (!pp->len) {
        if (!q || q->u.sk.shut_wr || o->u.sk.shut_rd)
            return 0;
        return nb ? -LX_EAGAIN : -LX_BLOCK;
    }
    uint64_t n = count < pp->len ? count : pp->len, done = 0;
    while (done < n) {
        unsigned at = (pp->head + (unsigned)done) % LX_PIPE_SIZE;
        uint64_t k = LX_PIPE_SIZE - at < n - done ? LX_PIPE_SIZE - at : n - done;
        if (lx_copy_out(p, buf + done, pp->buf + at, k) < 0)
            return -LX_EFAULT;
        done += k;
    }
    pp->head = (pp->head + (unsigned)n) % LX_PIPE_SIZE;
    pp->len -= (unsigned)n;
    return (long)n;
}

static long sock_write(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count, bool nb,
                       bool nosignal)
{
    struct lx_ofd *o = ofd(f);
    if (o->u.sk.state != SOCK_CONNECTED)
        return -LXW_ENOTCONN;
    if (!peer_of(o) || o->u.sk.shut_wr) {
        if (!nosignal)
            lx_signal_thread(lx.calling, LX_SIGPIPE);
        return -LX_EPIPE;
    }
    struct lx_pipe *pp = &lx.files.pipe[o->u.sk.tx];
    uint64_t room = LX_PIPE_SIZE - pp->len;
    if (!count)
        return 0;
    if (!room)
        return nb ? -LX_EAGAIN : -LX_BLOCK;
    uint64_t n = count < room ? count : room;
    static uint8_t tmp[4096];
    for (uint64_t done = 0; done < n;) {
        size_t k = n - done < sizeof(tmp) ? n - done : sizeof(tmp);
        if (lx_copy_in(p, tmp, buf + done, k) < 0)
            return done ? (long)done : -LX_EFAULT;
        for (size_t i = 0; i < k;) {
            unsigned at = (pp->head + pp->len) % LX_PIPE_SIZE;
            size_t m = LX_PIPE_SIZE - at < k - i ? LX_PIPE_SIZE - at : k - i;
            memcpy(pp->buf + at, tmp + i, m);
            pp->len += (unsigned)m;
            i += m;
        }
        done += k;
    }
    return (long)n;
}

long lx_wait_read(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count)
{
    struct lx_ofd *o = ofd(f);
    switch (f->kind) {
    case FD_EVENT: {
        if (count < 8)
            return -LX_EINVAL;
        if (!o->u.ev.count)
            return nonblock(f) ? -LX_EAGAIN : -LX_BLOCK;
        uint64_t v = o->u.ev.semaphore ? 1 : o->u.ev.count;
        if (lx_copy_out(p, buf, &v, 8) < 0)
            return -LX_EFAULT;
        o->u.ev.count -= v;
        return 8;
    }
    case FD_TIMER: {
        if (count < 8)
            return -LX_EINVAL;
        timer_update(o);
        if (!o->u.tm.ticks) {
            if (nonblock(f))
                return -LX_EAGAIN;
            lx.calling->sleep_until = o->u.tm.next; /* lx's timer wakes the retry then */
            return -LX_BLOCK;
        }
        lx.calling->sleep_until = 0;
        if (lx_copy_out(p, buf, &o->u.tm.ticks, 8) < 0)
            return -LX_EFAULT;
        o->u.tm.ticks = 0;
        return 8;
    }
    case FD_SOCK:
        return sock_read(p, f, buf, count, nonblock(f));
    case FD_INET:
        return lx_inet_read(p, f, buf, count);
    default:
        return -LX_EINVAL;
    }
}

long lx_wait_write(struct lx_proc *p, struct lx_fd *f, uint64_t buf, uint64_t count)
{
    struct lx_ofd *o = ofd(f);
    switch (f->kind) {
    case FD_EVENT: {
        uint64_t v;
        if (count < 8)
            return -LX_EINVAL;
        if (lx_copy_in(p, &v, buf, 8) < 0)
            return -LX_EFAULT;
        if (v == UINT64_MAX)
            return -LX_EINVAL;
        if (o->u.ev.count > UINT64_MAX - 1 - v)
            return nonblock(f) ? -LX_EAGAIN : -LX_BLOCK;
        o->u.ev.count += v;
        return 8;
    }
    case FD_SOCK:
        return sock_write(p, f, buf, count, nonblock(f), false);
    case FD_INET:
        return lx_inet_write(p, f, buf, count);
    default:
        return -LX_EINVAL;
    }
}

/* --- the waiting calls ----------------------------------------------------------------- */

/* The end of a scan that found n ready (or an error): n at once, 0 for a zero
 * timeout or at the deadline, else the caller waits. A first call (no
 * sleep_until: main.c clears it when a signal interrupts) sets the deadline;
 * sleep_until is the earlier of it and the soonest timerfd expiry watched. */
static long wait_end(struct lx_proc *p, long n, int64_t timeout_ns)
{
    if (n != 0 || timeout_ns == 0) {
        lx.calling->sleep_until = 0;
        return n;
    }
    uint64_t now = wf_clock_ns();
    if (!lx.calling->sleep_until) {
        lx.calling->wait_deadline = timeout_ns < 0 ? UINT64_MAX : now + (uint64_t)timeout_ns;
    } else if (now >= lx.calling->wait_deadline) {
        lx.calling->sleep_until = 0;
        return 0;
    }
    uint64_t wake = lx.calling->wait_deadline;
    if (timer_soonest && timer_soonest < wake)
        wake = timer_soonest;
    lx.calling->sleep_until = wake == UINT64_MAX ? 0 : wake;
    return -LX_BLOCK;
}

/* A struct timespec (or timeval with usec) at u: nanoseconds, -1 for none. */
static long timeout_of(struct lx_proc *p, uint64_t u, bool usec, int64_t *ns)
{
    *ns = -1;
    if (!u)
        return 0;
    int64_t t[2];
    if (lx_copy_in(p, t, u, sizeof(t)) < 0)
        return -LX_EFAULT;
    int64_t unit = usec ? 1000 : 1, max = usec ? 1000000 : 1000000000;
    if (t[0] < 0 || t[1] < 0 || t[1] >= max)
        return -LX_EINVAL;
    *ns = t[0] * 1000000000 + t[1] * unit;
    return 0;
}

long lx_w_poll(struct lx_call *c)
{
    int64_t ms = (int64_t)(int32_t)c->a[2];
    timer_soonest = 0;
    long n = lx_poll(c->p, c->a[0], c->a[1]);
    return wait_end(c->p, n, ms < 0 ? -1 : ms * 1000000);
}

long lx_w_ppoll(struct lx_call *c)
{
    int64_t ns;
    long r = timeout_of(c->p, c->a[2], false, &ns);
    if (r < 0)
        return r;
    timer_soonest = 0;
    long n = lx_poll(c->p, c->a[0], c->a[1]);
    return wait_end(c->p, n, ns);
}

/* select's scan: the sets in, the ready ones written back (all cleared at a
 * timeout) unless the call waits. */
static long select_scan(struct lx_call *c, int64_t timeout_ns)
{
    struct lx_proc *p = c->p;
    int64_t nfds = (int64_t)(int32_t)c->a[0];
    if (nfds < 0 || nfds > 1024)
        return -LX_EINVAL;
    uint64_t in[3][16] = {{0}}, out[3][16] = {{0}};
    size_t words = (size_t)(nfds + 63) / 64;
    for (int s = 0; s < 3; s++)
        if (c->a[1 + s] && lx_copy_in(p, in[s], c->a[1 + s], words * 8) < 0)
            return -LX_EFAULT;
    long n = 0;
    timer_soonest = 0;
    for (int fd = 0; fd < nfds; fd++) {
        uint64_t bit = 1ull << (fd % 64);
        bool want[3] = {(in[0][fd / 64] & bit) != 0, (in[1][fd / 64] & bit) != 0,
                        (in[2][fd / 64] & bit) != 0};
        if (!want[0] && !want[1] && !want[2])
            continue;
        if (fd >= LX_MAX_FDS || p->fd[fd].kind == FD_NONE)
            return -LX_EBADF;
        short r = lx_poll_one(p, fd, POLLIN | POLLOUT | POLLPRI);
        bool got[3] = {want[0] && (r & (POLLIN | POLLHUP | POLLERR)),
                       want[1] && (r & (POLLOUT | POLLERR)), want[2] && (r & POLLPRI)};
        for (int s = 0; s < 3; s++) {
            if (got[s]) {
                out[s][fd / 64] |= bit;
                n++;
            }
        }
    }
    long r = wait_end(p, n, timeout_ns);
    if (r == -LX_BLOCK)
        return r;
    for (int s = 0; s < 3; s++)
        if (c->a[1 + s] && lx_copy_out(p, c->a[1 + s], out[s], words * 8) < 0)
            return -LX_EFAULT;
    return r;
}

long lx_w_select(struct lx_call *c)
{
    int64_t ns;
    long r = timeout_of(c->p, c->a[4], true, &ns);
    return r < 0 ? r : select_scan(c, ns);
}

long lx_w_pselect6(struct lx_call *c)
{
    int64_t ns;
    long r = timeout_of(c->p, c->a[4], false, &ns);
    return r < 0 ? r : select_scan(c, ns);
}

/* --- eventfd, timerfd ------------------------------------------------------------------ */

long lx_w_eventfd2(struct lx_call *c)
{
    unsigned flags = (unsigned)c->a[1];
    if (flags & ~(unsigned)(1 | LXF_O_NONBLOCK | LXF_O_CLOEXEC))
        return -LX_EINVAL;
    struct lx_ofd *o;
    long fd = new_fd(c->p, FD_EVENT, flags, 0600, &o);
    if (fd < 0)
        return fd;
    o->u.ev.count = (uint32_t)c->a[0];
    o->u.ev.semaphore = flags & 1;
    return fd;
}

long lx_w_eventfd(struct lx_call *c)
{
    struct lx_call d = {c->p, {c->a[0], 0}, c->w, c->t};
    return lx_w_eventfd2(&d);
}

long lx_w_timerfd_create(struct lx_call *c)
{
    unsigned clk = (unsigned)c->a[0], flags = (unsigned)c->a[1];
    if ((clk != 0 && clk != 1 && clk != 7) || (flags & ~(unsigned)(LXF_O_NONBLOCK | LXF_O_CLOEXEC)))
        return -LX_EINVAL;
    struct lx_ofd *o;
    long fd = new_fd(c->p, FD_TIMER, flags, 0600, &o);
    if (fd < 0)
        return fd;
    o->u.tm.clock = clk;
    return fd;
}

static struct lx_ofd *kind_ofd(struct lx_proc *p, int fd, enum lx_fd_kind kind, long *err)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    *err = !f ? -LX_EBADF : f->kind != kind ? -LX_EINVAL : 0;
    return *err ? NULL : ofd(f);
}

/* struct itimerspec of o now: interval, then the time left. */
static void timer_value(struct lx_ofd *o, int64_t v[4])
{
    timer_update(o);
    uint64_t now = wf_clock_ns(), left = o->u.tm.next > now ? o->u.tm.next - now : 0;
    if (o->u.tm.next && !left)
        left = 1;
    v[0] = (int64_t)(o->u.tm.interval / 1000000000);
    v[1] = (int64_t)(o->u.tm.interval % 1000000000);
    v[2] = (int64_t)(left / 1000000000);
    v[3] = (int64_t)(left % 1000000000);
}

long lx_w_timerfd_settime(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = kind_ofd(c->p, (int)c->a[0], FD_TIMER, &err);
    if (!o)
        return err;
    unsigned flags = (unsigned)c->a[1];
    if (flags & ~3u) /* TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET */
        return -LX_EINVAL;
    int64_t v[4], old[4];
    if (lx_copy_in(c->p, v, c->a[2], sizeof(v)) < 0)
        return -LX_EFAULT;
    for (int i = 0; i < 4; i += 2)
        if (v[i] < 0 || v[i + 1] < 0 || v[i + 1] >= 1000000000)
            return -LX_EINVAL;
    timer_value(o, old);
    if (c->a[3] && lx_copy_out(c->p, c->a[3], old, sizeof(old)) < 0)
        return -LX_EFAULT;
    uint64_t value = (uint64_t)v[2] * 1000000000ull + (uint64_t)v[3];
    uint64_t now = wf_clock_ns();
    o->u.tm.interval = (uint64_t)v[0] * 1000000000ull + (uint64_t)v[1];
    o->u.tm.ticks = 0;
    if (!value) {
        o->u.tm.next = 0;
    } else if (flags & 1) {
        uint64_t base = o->u.tm.clock == 0 ? EPOCH_NS : 0; /* CLOCK_REALTIME */
        o->u.tm.next = value > base ? value - base : 1;
    } else {
        o->u.tm.next = now + value;
    }
    return 0;
}

long lx_w_timerfd_gettime(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = kind_ofd(c->p, (int)c->a[0], FD_TIMER, &err);
    if (!o)
        return err;
    int64_t v[4];
    timer_value(o, v);
    return lx_copy_out(c->p, c->a[1], v, sizeof(v));
}

/* --- epoll ----------------------------------------------------------------------------- */

long lx_w_epoll_create1(struct lx_call *c)
{
    if (c->a[0] & ~(uint64_t)LXF_O_CLOEXEC)
        return -LX_EINVAL;
    struct lx_ofd *o;
    return new_fd(c->p, FD_EPOLL, (unsigned)c->a[0], 0600, &o);
}

long lx_w_epoll_create(struct lx_call *c)
{
    if ((int32_t)c->a[0] <= 0)
        return -LX_EINVAL;
    struct lx_call d = {c->p, {0}, c->w, c->t};
    return lx_w_epoll_create1(&d);
}

struct epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

long lx_w_epoll_ctl(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = kind_ofd(c->p, (int)c->a[0], FD_EPOLL, &err);
    int op = (int)c->a[1], fd = (int)c->a[2];
    struct lx_fd *t = lx_fd_get(c->p, fd);
    if (!lx_fd_get(c->p, (int)c->a[0]) || !t)
        return -LX_EBADF;
    if (!o || fd == (int)c->a[0])
        return -LX_EINVAL;
    if (t->kind == FD_FILE || t->kind == FD_DIR || t->kind == FD_FSFILE || t->kind == FD_FSDIR)
        return -LX_EPERM; /* as Linux: regular files and directories cannot be watched */
    struct epoll_event ev = {0};
    if (op != 2 && lx_copy_in(c->p, &ev, c->a[3], sizeof(ev)) < 0)
        return -LX_EFAULT;
    unsigned i = 0;
    while (i < o->u.ep.n && o->u.ep.item[i].fd != fd)
        i++;
    switch (op) {
    case 1: /* EPOLL_CTL_ADD */
        if (i < o->u.ep.n)
            return -LX_EEXIST;
        if (o->u.ep.n == LX_EPOLL_MAX)
            return -LXF_ENOSPC;
        o->u.ep.n++;
        break;
    case 2: /* EPOLL_CTL_DEL */
        if (i == o->u.ep.n)
            return -LX_ENOENT;
        o->u.ep.item[i] = o->u.ep.item[--o->u.ep.n];
        return 0;
    case 3: /* EPOLL_CTL_MOD */
        if (i == o->u.ep.n)
            return -LX_ENOENT;
        break;
    default:
        return -LX_EINVAL;
    }
    o->u.ep.item[i].fd = fd;
    o->u.ep.item[i].events = ev.events;
    o->u.ep.item[i].data = ev.data;
    return 0;
}

/* epoll_wait: level-triggered (EPOLLET is taken as level-triggered too);
 * EPOLLONESHOT disarms an entry once it was reported; an entry whose
 * descriptor was closed is dropped. */
long lx_w_epoll_wait(struct lx_call *c)
{
    long err;
    struct lx_proc *p = c->p;
    struct lx_ofd *o = kind_ofd(p, (int)c->a[0], FD_EPOLL, &err);
    if (!o)
        return err;
    int max = (int)c->a[2];
    if (max <= 0)
        return -LX_EINVAL;
    int32_t ms = (int32_t)c->a[3];
    struct epoll_event out[LX_EPOLL_MAX];
    long n = 0;
    timer_soonest = 0;
    for (unsigned i = 0; i < o->u.ep.n && n < max;) {
        int fd = o->u.ep.item[i].fd;
        if (!lx_fd_get(p, fd)) {
            o->u.ep.item[i] = o->u.ep.item[--o->u.ep.n];
            continue;
        }
        uint32_t want = o->u.ep.item[i].events;
        short r = lx_poll_one(p, fd, (short)(want & 0xffff)) & (short)(want | POLLHUP | POLLERR);
        if (r && (want & 0xffff)) {
            out[n].events = (uint16_t)r;
            out[n].data = o->u.ep.item[i].data;
            n++;
            if (want & EPOLLONESHOT)
                o->u.ep.item[i].events = want & (EPOLLONESHOT | EPOLLET);
        }
        i++;
    }
    long r = wait_end(p, n, ms < 0 ? -1 : (int64_t)ms * 1000000);
    if (r <= 0)
        return r;
    return lx_copy_out(p, c->a[1], out, (size_t)r * sizeof(out[0])) < 0 ? -LX_EFAULT : r;
}

/* --- sockets --------------------------------------------------------------------------- */

static long sock_check(struct lx_call *c, uint64_t domain, uint64_t type)
{
    if (domain != 1) /* AF_UNIX */
        return -LXW_EAFNOSUPPORT;
    if ((type & 0xf) != 1) /* SOCK_STREAM */
        return -LXW_ESOCKTNOSUPPORT;
    if (type & ~(uint64_t)(0xf | LXF_O_NONBLOCK | LXF_O_CLOEXEC))
        return -LX_EINVAL;
    (void)c;
    return 0;
}

long lx_w_socket(struct lx_call *c)
{
    if (c->a[0] == 2) /* AF_INET: the network server's (inet.c) */
        return lx_inet_socket(c);
    long r = sock_check(c, c->a[0], c->a[1]);
    if (r < 0)
        return r;
    struct lx_ofd *o;
    return new_fd(c->p, FD_SOCK, (unsigned)c->a[1], LXF_S_IFSOCK | 0777, &o);
}

long lx_w_socketpair(struct lx_call *c)
{
    long r = sock_check(c, c->a[0], c->a[1]);
    if (r < 0)
        return r;
    struct lx_ofd *a, *b;
    long fa = new_fd(c->p, FD_SOCK, (unsigned)c->a[1], LXF_S_IFSOCK | 0777, &a);
    if (fa < 0)
        return fa;
    long fb = new_fd(c->p, FD_SOCK, (unsigned)c->a[1], LXF_S_IFSOCK | 0777, &b);
    if (fb >= 0)
        fb = sock_join(c->p->fd[fa].ofd, c->p->fd[fb].ofd) < 0 ? -LX_ENFILE : fb;
    int fds[2] = {(int)fa, (int)fb};
    if (fb < 0 || lx_copy_out(c->p, c->a[3], fds, sizeof(fds)) < 0) {
        lx_close(c->p, (int)fa);
        if (fb >= 0)
            lx_close(c->p, (int)fb);
        return fb < 0 ? fb : -LX_EFAULT;
    }
    return 0;
}

static struct lx_ofd *sock_ofd(struct lx_proc *p, int fd, long *err)
{
    struct lx_fd *f = lx_fd_get(p, fd);
    *err = !f ? -LX_EBADF : f->kind != FD_SOCK ? -LXW_ENOTSOCK : 0;
    return *err ? NULL : ofd(f);
}

/* The name a sockaddr_un at u (len bytes) gives, normalised against the
 * working directory. */
static long sock_name(struct lx_call *c, uint64_t u, uint64_t len, char *name)
{
    uint16_t family;
    if (len < 3 || len > 110)
        return -LX_EINVAL;
    if (lx_copy_in(c->p, &family, u, 2) < 0)
        return -LX_EFAULT;
    if (family != 1)
        return -LX_EINVAL;
    char first;
    if (lx_copy_in(c->p, &first, u + 2, 1) < 0)
        return -LX_EFAULT;
    if (!first)
        return -LX_EINVAL; /* the abstract namespace: not served */
    bool empty;
    return lx_resolve(c->p, LXF_AT_FDCWD, u + 2, name, LX_PATH_MAX, &empty);
}

static struct lx_ofd *bound(const char *name)
{
    for (unsigned k = 0; k < LX_MAX_OFDS; k++) {
        struct lx_ofd *o = &lx.files.ofd[k];
        if (o->used && o->kind == FD_SOCK &&
            (o->u.sk.state == SOCK_BOUND || o->u.sk.state == SOCK_LISTEN) &&
            !strcmp(o->u.sk.path, name) && (lx_ofd_refs(k) || o->pinned))
            return o;
    }
    return NULL;
}

long lx_w_bind(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = sock_ofd(c->p, (int)c->a[0], &err);
    if (!o)
        return err;
    char name[LX_PATH_MAX];
    long r = sock_name(c, c->a[1], c->a[2], name);
    if (r < 0)
        return r;
    if (o->u.sk.state != SOCK_NEW)
        return -LX_EINVAL;
    if (strlen(name) >= sizeof(o->u.sk.path))
        return -LX_ENAMETOOLONG;
    if (bound(name))
        return -LXW_EADDRINUSE;
    memcpy(o->u.sk.path, name, strlen(name) + 1);
    o->u.sk.state = SOCK_BOUND;
    return 0;
}

long lx_w_listen(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = sock_ofd(c->p, (int)c->a[0], &err);
    if (!o)
        return err;
    if (o->u.sk.state != SOCK_BOUND && o->u.sk.state != SOCK_LISTEN)
        return -LX_EINVAL;
    o->u.sk.state = SOCK_LISTEN;
    return 0;
}

long lx_w_connect(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = sock_ofd(c->p, (int)c->a[0], &err);
    if (!o)
        return err;
    char name[LX_PATH_MAX];
    long r = sock_name(c, c->a[1], c->a[2], name);
    if (r < 0)
        return r;
    if (o->u.sk.state == SOCK_CONNECTED)
        return -LXW_EISCONN;
    if (o->u.sk.state != SOCK_NEW)
        return -LX_EINVAL;
    struct lx_ofd *l = bound(name);
    if (!l)
        return -LX_ENOENT;
    if (l->u.sk.state != SOCK_LISTEN)
        return -LXW_ECONNREFUSED;
    if (l->u.sk.npending == LX_BACKLOG_MAX)
        return -LX_EAGAIN;
    int s = lx_ofd_new(LXF_O_RDWR, 0);
    if (s < 0)
        return s;
    struct lx_ofd *so = &lx.files.ofd[s - 1];
    memset(&so->u, 0, sizeof(so->u));
    so->kind = FD_SOCK;
    so->pinned = true;
    unsigned me = (unsigned)(o - lx.files.ofd) + 1;
    if (sock_join(me, (unsigned)s) < 0) {
        so->pinned = false;
        so->used = false;
        return -LX_ENFILE;
    }
    l->u.sk.pending[l->u.sk.npending++] = (unsigned)s;
    return 0;
}

long lx_w_accept4(struct lx_call *c)
{
    long err;
    struct lx_proc *p = c->p;
    struct lx_fd *f = lx_fd_get(p, (int)c->a[0]);
    struct lx_ofd *o = sock_ofd(p, (int)c->a[0], &err);
    if (!o)
        return err;
    unsigned flags = (unsigned)c->a[3];
    if (flags & ~(unsigned)(LXF_O_NONBLOCK | LXF_O_CLOEXEC))
        return -LX_EINVAL;
    if (o->u.sk.state != SOCK_LISTEN)
        return -LX_EINVAL;
    if (!o->u.sk.npending)
        return nonblock(f) ? -LX_EAGAIN : -LX_BLOCK;
    int fd = lx_fd_alloc(p, 0);
    if (fd < 0)
        return fd;
    if (c->a[1] && c->a[2]) { /* an unnamed peer: the family alone */
        uint32_t len;
        uint16_t family = 1;
        if (lx_copy_in(p, &len, c->a[2], 4) < 0)
            return -LX_EFAULT;
        if (len >= 2 && lx_copy_out(p, c->a[1], &family, 2) < 0)
            return -LX_EFAULT;
        len = 2;
        if (lx_copy_out(p, c->a[2], &len, 4) < 0)
            return -LX_EFAULT;
    }
    unsigned s = o->u.sk.pending[0];
    o->u.sk.npending--;
    memmove(o->u.sk.pending, o->u.sk.pending + 1, o->u.sk.npending * sizeof(o->u.sk.pending[0]));
    struct lx_ofd *so = &lx.files.ofd[s - 1];
    so->pinned = false;
    so->flags = LXF_O_RDWR | (flags & LXF_O_NONBLOCK);
    p->fd[fd] = (struct lx_fd){.kind = FD_SOCK,
                               .flags = LXF_O_RDWR,
                               .cloexec = (flags & LXF_O_CLOEXEC) != 0,
                               .mode = LXF_S_IFSOCK | 0777,
                               .ino = ++lx.next_ino,
                               .ofd = s};
    return fd;
}

long lx_w_accept(struct lx_call *c)
{
    struct lx_call d = {c->p, {c->a[0], c->a[1], c->a[2], 0}, c->w, c->t};
    return lx_w_accept4(&d);
}

long lx_w_shutdown(struct lx_call *c)
{
    long err;
    struct lx_ofd *o = sock_ofd(c->p, (int)c->a[0], &err);
    if (!o)
        return err;
    if (c->a[1] > 2)
        return -LX_EINVAL;
    if (o->u.sk.state != SOCK_CONNECTED)
        return -LXW_ENOTCONN;
    if (c->a[1] != 1)
        o->u.sk.shut_rd = true;
    if (c->a[1] != 0)
        o->u.sk.shut_wr = true;
    return 0;
}

/* sendto and recvfrom on a connected socket (no address): MSG_DONTWAIT
 * (0x40) and MSG_NOSIGNAL (0x4000) are honoured, other flags refused. */
long lx_w_sendto(struct lx_call *c)
{
    long err;
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!sock_ofd(c->p, (int)c->a[0], &err))
        return err;
    if (c->a[3] & ~(uint64_t)(0x40 | 0x4000))
        return -LXW_EOPNOTSUPP;
    if (c->a[4])
        return -LXW_EISCONN;
    return sock_write(c->p, f, c->a[1], c->a[2], nonblock(f) || (c->a[3] & 0x40),
                      (c->a[3] & 0x4000) != 0);
}

long lx_w_recvfrom(struct lx_call *c)
{
    long err;
    struct lx_fd *f = lx_fd_get(c->p, (int)c->a[0]);
    if (!sock_ofd(c->p, (int)c->a[0], &err))
        return err;
    if (c->a[3] & ~(uint64_t)0x40)
        return -LXW_EOPNOTSUPP;
    long r = sock_read(c->p, f, c->a[1], c->a[2], nonblock(f) || (c->a[3] & 0x40));
    if (r >= 0 && c->a[4] && c->a[5]) {
        uint32_t len = 0;
        if (lx_copy_out(c->p, c->a[5], &len, 4) < 0)
            return -LX_EFAULT;
    }
    return r;
}
