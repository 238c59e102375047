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
 * The port, the sizes and parameters, the pattern and its check, the JSON lines
 * and the phases' loops are those of the Linux guest's peer:
 * user/benchlib/netbench.h, which both build with; this file gives it Weft's
 * socket calls and clock.
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

#define BUFVA      0x0000400000000000ull
#define TIMEOUT_MS 600000
#define NET_NAME   "net"

_Static_assert(NB_BUF <= WFP_SOCK_IO_MAX, "a phase's Send or Recv is one call");

static const char usage[] =
    "usage: nbench  (takes no arguments; started by init with init.run=nbench on a boot\n"
    "  with a virtio-net function and a forward to port 5001: docs/perf/network.md,\n"
    "  make bench-net). Serves tools/netbench.py and prints its figures as JSON lines.\n";

static struct wf_net net;

static void nb_fail(const char *what, long long v)
{
    printf("nbench: FAIL %s: %lld\n", what, v);
    fflush(stdout);
    exit(1);
}

/* ---- timing: the side's clock of netbench.h ---- */

/* The TSC and the spinner's ticks where the timed part last began: a run adds
 * up its timed parts (a paused part is not one). */
static uint64_t t0, i0;

static void nb_clock_start(struct nb_run *r)
{
    (void)r;
    i0 = spin_idle_ticks;
    t0 = spin_rdtsc();
}

static void nb_clock_stop(struct nb_run *r)
{
    uint64_t t = spin_rdtsc(), i = spin_idle_ticks;
    r->elapsed += t - t0;
    r->idle += i - i0;
}

static void nb_clock_pause(struct nb_run *r)
{
    nb_clock_stop(r);
}

static void nb_clock_resume(struct nb_run *r)
{
    nb_clock_start(r);
}

/* ---- sockets: the side's calls of netbench.h, Recv and Send straight through
 * the buffer (no copy of the library's) ---- */

static struct wf_sock lsock;
static struct wf_sock socks[NB_MAX_IDLE]; /* connection i: socks[i], in slot SLOT_SOCK0 + 1 + i */

static int nb_accept(unsigned i)
{
    int rc = wf_net_accept(&net, &lsock, WF_CHILD_CNODE, SLOT_SOCK0 + 1 + i, &socks[i], NULL, NULL,
                           TIMEOUT_MS);
    if (rc)
        nb_fail("accept", rc);
    return (int)i;
}

/* Receives up to max bytes at offset 0 of the buffer; 0 at the end of the stream. */
static long nb_recv(int c, size_t max)
{
    struct wf_sock *s = &socks[c];
    for (;;) {
        wf_word_t status = 0, got = 0;
        enum wf_error e = wfp_sock_recv(s->cap, 0, max, 0, &status, &got);
        if (e != WF_ERR_OK)
            nb_fail("Recv (IPC)", e);
        if (status == WFP_SOCK_EAGAIN) {
            int rc = wf_net_wait(&net, s->id, WF_NET_WANT_READ, TIMEOUT_MS);
            if (rc)
                nb_fail("waiting to receive", rc);
            continue;
        }
        if (status)
            nb_fail("Recv", (long long)status);
        return (long)got;
    }
}

/* Sends len bytes from offset 0 of the buffer. */
static void nb_send(int c, size_t len)
{
    struct wf_sock *s = &socks[c];
    size_t off = 0;
    while (off < len) {
        wf_word_t status = 0, sent = 0;
        enum wf_error e = wfp_sock_send(s->cap, off, len - off, &status, &sent);
        if (e != WF_ERR_OK)
            nb_fail("Send (IPC)", e);
        if (status == WFP_SOCK_EAGAIN) {
            int rc = wf_net_wait(&net, s->id, WF_NET_WANT_WRITE, TIMEOUT_MS);
            if (rc)
                nb_fail("waiting to send", rc);
            continue;
        }
        if (status)
            nb_fail("Send", (long long)status);
        off += sent;
    }
}

static void nb_shutdown_wr(int c)
{
    wf_net_shutdown(&socks[c], WFP_SOCK_SHUT_WR);
}

static void nb_nodelay(int c)
{
    wf_net_setopt(&socks[c], WFP_SOCK_TCP_NODELAY, 1);
}

static void nb_close(int c)
{
    wf_net_close(&socks[c]);
}

/* ---- the idle phase's memory ---- */

/* The pool the network server uses now (init's Program), in bytes. */
static uint64_t net_pool_used(void)
{
    uint64_t used = 0;
    if (!bench_program_pool_used(NET_NAME, &used))
        nb_fail("init does not list the network server", 0);
    return used;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        fputs(usage, stdout);
        return 2;
    }
    nb_buf = (uint8_t *)BUFVA;
    if (wf_reconnect(SLOT_NET, NET_NAME) != WF_ERR_OK)
        nb_fail("no network server (net)", 0);
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, NB_BUF, WF_CHILD_CNODE, SLOT_BUF, 64) ||
        wf_vspace_map(WF_CHILD_VSPACE, SLOT_BUF, BUFVA, 0, NB_BUF, WF_VM_READ | WF_VM_WRITE))
        nb_fail("no memory for the buffer", NB_BUF);
    memset(nb_buf, 0, NB_BUF);
    if (wf_pool_create(WF_CHILD_POOL, WF_OBJ_NOTIFICATION, 0, WF_CHILD_CNODE, SLOT_NOTE, 64) ||
        wf_cnode_mint(WF_CHILD_CNODE, SLOT_NOTE_NET, 64, WF_CHILD_CNODE, SLOT_NOTE, 64,
                      WF_RIGHT_WRITE, WF_NET_BIT_SERVER))
        nb_fail("no notification", 0);
    int rc = wf_net_setup(&net, SLOT_NET, SLOT_BUF, nb_buf, NB_BUF, SLOT_NOTE, SLOT_NOTE_NET,
                          WF_CHILD_TCB);
    if (rc)
        nb_fail("SetBuffer and SetNotify", rc);
    rc = wf_net_socket(&net, WFP_SOCK_TCP, WF_CHILD_CNODE, SLOT_SOCK0, &lsock);
    if (!rc)
        rc = wf_net_setopt(&lsock, WFP_SOCK_SO_REUSEADDR, 1);
    if (!rc)
        rc = wf_net_bind(&lsock, 0, NB_PORT);
    if (!rc)
        rc = wf_net_listen(&lsock, 64);
    if (rc)
        nb_fail("listening on port 5001", rc);
    enum wf_error se = spin_start(SLOT_SPIN);
    if (se != WF_ERR_OK)
        nb_fail("starting the spinner thread", se);
    printf("nbench: listening on %u\n", NB_PORT);
    fflush(stdout);
    nb_phases("weft");
    uint64_t before, with;
    nb_idle(net_pool_used, &before, &with);
    nb_report_value("weft", "net_pool_bytes", before, "bytes");
    nb_report_idle("weft", before, with);
    wf_tcb_suspend(SLOT_SPIN);
    printf("nbench: done\n");
    fflush(stdout);
    return 0;
}
