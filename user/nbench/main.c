/*
 * nbench: Weft's network benchmark, the peer of the Linux guest's bench/linux/net.c
 * (docs/perf/network.md; make bench-net; decision 158).
 *
 * The boot: the production system with init.run=nbench and a virtio-net function on
 * QEMU's user network, a forward from 127.0.0.1 on the host to the guest's port
 * NB_PORT; init has started pcibus, vnet and net. This program is a client of net
 * (the socket protocol through wf/sock.h's calls) and serves one host program,
 * tools/netbench.py, which connects through the forward, in this order:
 *
 *   control   the host sends one line of KEY=VALUE words (mib, runs, trans, conns,
 *             idle) and closes its side; "nbench: ..." echoes them.
 *   rx        runs times: the guest sends one byte, the host then sends mib MiB and
 *             closes; the guest receives until the end of the stream (Recv of up to
 *             64 KiB straight into its buffer). Per MiB.
 *   tx        runs times: the guest sends mib MiB (Send of 64 KiB from its buffer),
 *             shuts its side down and waits for the host's close (so every byte was
 *             acknowledged). Per MiB.
 *   rr        runs times: trans transactions on one connection (TCP_NODELAY): a
 *             100-byte request from the host, a 1 KiB answer. Per transaction.
 *   conn      runs times: conns connections one after the other, each accepted,
 *             read to its end (the host shuts its side at once) and closed. Per
 *             connection.
 *   idle      the network server's pool (init's Program: bytes used) before and
 *             with idle connections open, the host holding them: per connection.
 *
 * What a figure counts (as user/sbench, decision 140): under -icount
 * shift=0,sleep=off the TSC advances one per executed instruction; a thread of this
 * program at priority 1 spins reading the TSC and adds each short step to a counter,
 * so the kernel never halts while the guest waits for the host, and a figure is the
 * rdtsc delta of the timed part less the spinner's steps in it: the instructions of
 * this program, net, vnet, the kernel and the interrupts. The raw delta per unit
 * ("elapsed") and the idle share ("idle_permille") are reported too; a figure is the
 * median of the runs, with the smallest and largest.
 *
 * Checked (FAIL otherwise): every rx stream is mib MiB long and holds the pattern
 * (byte o is (o ^ o >> 8 ^ 0x5a) & 0xff; one byte in 1,024 and the last of every
 * Recv are compared, the host checks what it receives whole); every request is 100
 * bytes; every transaction count and connection count is the one asked for.
 *
 * The port, the sizes and parameters, the pattern and its check and the JSON lines
 * are those of the Linux guest's peer: user/benchlib/netbench.h, which both build
 * with.
 *
 * Output: JSON lines {"bench": "net", "arch": "x86_64", "system": "weft", "metric":
 * ..., "value": N, "unit": ..., "runs": R, "min": N, "max": N, "elapsed": N,
 * "idle_permille": N}, then "nbench: done"; a failed check prints "nbench: FAIL ..."
 * and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../benchlib/netbench.h"
#include "../benchlib/program.h"
#include "../benchlib/spin.h"
#include "weft/invoke.h"
#include "wf/client.h"
#include "wf/proto/init.h"
#include "wf/sock.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

enum {
    SLOT_NET = 20,
    SLOT_NOTE,
    SLOT_NOTE_NET,
    SLOT_BUF,
    SLOT_SPIN,
    SLOT_SOCK0 = 32, /* the listener, then the connections */
};

#define BUF        WFP_SOCK_IO_MAX /* 64 KiB: one Send or Recv */
#define BUFVA      0x0000400000000000ull
#define MIB        (1024ull * 1024ull)
#define TIMEOUT_MS 600000
#define NET_NAME   "net"

static const char usage[] =
    "usage: nbench  (takes no arguments; started by init with init.run=nbench on a boot\n"
    "  with a virtio-net function and a forward to port 5001: docs/perf/network.md,\n"
    "  make bench-net). Serves tools/netbench.py and prints its figures as JSON lines.\n";

static struct nb_params P = NB_PARAMS_DEFAULT;

static struct wf_net net;
static uint8_t *const buf = (uint8_t *)BUFVA;

static void fail(const char *what, long long v)
{
    printf("nbench: FAIL %s: %lld\n", what, v);
    fflush(stdout);
    exit(1);
}

/* ---- timing ---- */

struct run {
    uint64_t elapsed, idle;
};

static uint64_t t0, i0;

static inline void go(void)
{
    i0 = spin_idle_ticks;
    t0 = spin_rdtsc();
}

static inline void halt(struct run *r)
{
    uint64_t t = spin_rdtsc(), i = spin_idle_ticks;
    r->elapsed += t - t0;
    r->idle += i - i0;
}

static uint64_t busy(const struct run *r)
{
    return r->elapsed - (r->idle < r->elapsed ? r->idle : r->elapsed);
}

static void report(const char *metric, const struct run *runs, unsigned n, uint64_t per,
                   const char *unit)
{
    uint64_t b[NB_MAX_RUNS], el[NB_MAX_RUNS], idle = 0, total = 0;
    for (unsigned i = 0; i < n; i++) {
        b[i] = busy(&runs[i]) / per;
        el[i] = runs[i].elapsed / per;
        idle += runs[i].idle;
        total += runs[i].elapsed;
    }
    nb_report("weft", metric, b, el, n, idle, total, per, unit);
}

/* ---- sockets: Recv and Send straight through the buffer (no copy of the library's) ---- */

static struct wf_sock lsock;

static void accept_into(unsigned i, struct wf_sock *s)
{
    int rc =
        wf_net_accept(&net, &lsock, WF_CHILD_CNODE, SLOT_SOCK0 + 1 + i, s, NULL, NULL, TIMEOUT_MS);
    if (rc)
        fail("accept", rc);
}

/* Receives up to max bytes at offset 0 of the buffer; 0 at the end of the stream. */
static long recv_buf(struct wf_sock *s, size_t max)
{
    for (;;) {
        wf_word_t status = 0, got = 0;
        enum wf_error e = wfp_sock_recv(s->cap, 0, max, 0, &status, &got);
        if (e != WF_ERR_OK)
            fail("Recv (IPC)", e);
        if (status == WFP_SOCK_EAGAIN) {
            int rc = wf_net_wait(&net, s->id, WF_NET_WANT_READ, TIMEOUT_MS);
            if (rc)
                fail("waiting to receive", rc);
            continue;
        }
        if (status)
            fail("Recv", (long long)status);
        return (long)got;
    }
}

/* Sends len bytes from offset 0 of the buffer. */
static void send_buf(struct wf_sock *s, size_t len)
{
    size_t off = 0;
    while (off < len) {
        wf_word_t status = 0, sent = 0;
        enum wf_error e = wfp_sock_send(s->cap, off, len - off, &status, &sent);
        if (e != WF_ERR_OK)
            fail("Send (IPC)", e);
        if (status == WFP_SOCK_EAGAIN) {
            int rc = wf_net_wait(&net, s->id, WF_NET_WANT_WRITE, TIMEOUT_MS);
            if (rc)
                fail("waiting to send", rc);
            continue;
        }
        if (status)
            fail("Send", (long long)status);
        off += sent;
    }
}

/* ---- the phases ---- */

static void control(void)
{
    struct wf_sock s;
    accept_into(0, &s);
    char text[256];
    size_t n = 0;
    long got;
    while ((got = recv_buf(&s, sizeof(text) - 1 - n)) > 0) {
        memcpy(text + n, buf, (size_t)got);
        n += (size_t)got;
        if (n == sizeof(text) - 1)
            break;
    }
    wf_net_close(&s);
    text[n] = 0;
    long bad = nb_parse_control(text, &P);
    if (bad >= 0)
        fail("a bad control word at byte", bad);
    nb_print_params(&P);
}

static void rx(struct run *r)
{
    struct wf_sock s;
    accept_into(0, &s);
    uint64_t pos = 0, want = (uint64_t)P.mib * MIB;
    go();
    buf[0] = 'G';
    send_buf(&s, 1);
    long got;
    while ((got = recv_buf(&s, BUF)) > 0) {
        halt(r);
        long long bad = nb_check_rx(buf, pos, got);
        if (bad >= 0)
            fail("rx: a byte of the pattern at", bad);
        pos += (uint64_t)got;
        go();
    }
    halt(r);
    wf_net_close(&s);
    if (pos != want)
        fail("rx: bytes received", (long long)pos);
}

static void tx(struct run *r)
{
    struct wf_sock s;
    accept_into(0, &s);
    nb_fill(buf, BUF);
    uint64_t want = (uint64_t)P.mib * MIB;
    go();
    for (uint64_t sent = 0; sent < want; sent += BUF)
        send_buf(&s, BUF);
    wf_net_shutdown(&s, WFP_SOCK_SHUT_WR);
    long got = recv_buf(&s, BUF);
    halt(r);
    wf_net_close(&s);
    if (got != 0)
        fail("tx: the host sent bytes", got);
}

static void rr(struct run *r)
{
    struct wf_sock s;
    accept_into(0, &s);
    wf_net_setopt(&s, WFP_SOCK_TCP_NODELAY, 1);
    unsigned n = 0;
    go();
    for (;;) {
        size_t have = 0;
        long got = 0;
        while (have < NB_REQ && (got = recv_buf(&s, NB_REQ - have)) > 0)
            have += (size_t)got;
        if (have == 0 && got == 0)
            break;
        if (have != NB_REQ)
            fail("rr: a short request", (long long)have);
        send_buf(&s, NB_ANSWER);
        n++;
    }
    halt(r);
    wf_net_close(&s);
    if (n != P.trans)
        fail("rr: transactions", n);
}

static void conn(struct run *r)
{
    go();
    for (unsigned i = 0; i < P.conns; i++) {
        struct wf_sock s;
        accept_into(0, &s);
        long got = recv_buf(&s, BUF);
        wf_net_close(&s);
        if (got != 0)
            fail("conn: the host sent bytes", got);
    }
    halt(r);
}

/* The pool the network server uses now (init's Program), in bytes. */
static uint64_t net_pool_used(void)
{
    uint64_t used = 0;
    if (!bench_program_pool_used(NET_NAME, &used))
        fail("init does not list the network server", 0);
    return used;
}

static void idle_conns(void)
{
    struct wf_sock s[NB_MAX_IDLE];
    uint64_t before = net_pool_used();
    buf[0] = 'I';
    for (unsigned i = 0; i < P.idle; i++) {
        accept_into(i, &s[i]);
        send_buf(&s[i], 1); /* the host knows it was accepted */
    }
    uint64_t with = net_pool_used();
    for (unsigned i = 0; i < P.idle; i++) {
        long got = recv_buf(&s[i], BUF);
        wf_net_close(&s[i]);
        if (got != 0)
            fail("idle: the host sent bytes", got);
    }
    nb_report_value("weft", "net_pool_bytes", before, "bytes");
    nb_report_value("weft", "memory_per_idle_connection_bytes",
                    with > before ? (with - before) / P.idle : 0, "bytes");
}

/* One phase of NB_PHASES: its runs, then its figure. */
#define RUN_PHASE(fn, metric, per, unit)                                                           \
    {                                                                                              \
        struct run runs[NB_MAX_RUNS] = {0};                                                        \
        for (unsigned i = 0; i < P.runs; i++)                                                      \
            fn(&runs[i]);                                                                          \
        report(metric, runs, P.runs, P.per, unit);                                                 \
    }

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fputs(usage, stdout);
        return 2;
    }
    if (wf_reconnect(SLOT_NET, NET_NAME) != WF_ERR_OK)
        fail("no network server (net)", 0);
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, BUF, WF_CHILD_CNODE, SLOT_BUF, 64) ||
        wf_vspace_map(WF_CHILD_VSPACE, SLOT_BUF, BUFVA, 0, BUF, WF_VM_READ | WF_VM_WRITE))
        fail("no memory for the buffer", BUF);
    memset(buf, 0, BUF);
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_NOTIFICATION, 0, WF_CHILD_CNODE, SLOT_NOTE, 64) ||
        wf_cnode_mint(WF_CHILD_CNODE, SLOT_NOTE_NET, 64, WF_CHILD_CNODE, SLOT_NOTE, 64,
                      WF_RIGHT_WRITE, WF_NET_BIT_SERVER))
        fail("no notification", 0);
    int rc =
        wf_net_setup(&net, SLOT_NET, SLOT_BUF, buf, BUF, SLOT_NOTE, SLOT_NOTE_NET, WF_CHILD_TCB);
    if (rc)
        fail("SetBuffer and SetNotify", rc);
    rc = wf_net_socket(&net, WFP_SOCK_TCP, WF_CHILD_CNODE, SLOT_SOCK0, &lsock);
    if (!rc)
        rc = wf_net_setopt(&lsock, WFP_SOCK_SO_REUSEADDR, 1);
    if (!rc)
        rc = wf_net_bind(&lsock, 0, NB_PORT);
    if (!rc)
        rc = wf_net_listen(&lsock, 64);
    if (rc)
        fail("listening on port 5001", rc);
    enum wf_error se = spin_start(SLOT_SPIN);
    if (se != WF_ERR_OK)
        fail("starting the spinner thread", se);
    printf("nbench: listening on %u\n", NB_PORT);
    fflush(stdout);
    control();
    NB_PHASES(RUN_PHASE)
    idle_conns();
    wf_tcb_suspend(SLOT_SPIN);
    printf("nbench: done\n");
    fflush(stdout);
    return 0;
}
