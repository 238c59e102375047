/*
 * net: the network server (docs/networking.md; decisions 133, 146 and 156).
 *
 * One process, one thread: lwIP (NO_SYS, raw API) over the virtio-net driver
 * server vnet, whose frames come and go through shared rings (vnet.c, the
 * frame protocol). The thread receives on SERVE and serves the socket
 * protocol (sock.c, abi/protocols/sock.proto); its bound notification carries
 * two bits: the driver's signal (NET_BIT_FRAMES) and the thread's timer
 * (NET_BIT_TIMER, TCB_SetDeadline) armed for lwIP's next timeout. When the
 * driver dies its TCP connections are aborted (their clients get errors);
 * the server attaches to the restarted driver on a later timer.
 *
 * At start it takes an address by DHCP and prints it
 * ("net: address A netmask M gateway G"); it has a loopback interface
 * (127.0.0.1), resolves names through the lease's DNS server, answers ICMP
 * echo and serves a TCP echo on port 7 (every byte received is sent back).
 */
#include <stdio.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/stats.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/priv/tcp_priv.h"
#include "net.h"
#include "netif/ethernet.h"
#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/proto/sock.h"
#include "wf/runtime.h"
#include "wf/server.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"
#include "wf/virtio_drv_main.h"

#define ECHO_PORT 7

static const char usage[] =
    "usage: net (started by init with SERVE, POOL and sees=pcibus,vnet; attaches to the "
    "virtio-net driver vnet (the frame protocol), takes an address by DHCP, serves the socket "
    "protocol (sock), answers ping and a TCP echo on port 7; "
    "exits with status 69 when there is no device; takes no arguments)\n";

static struct netif nif;
static struct wf_server srv;

struct copy_ctx {
    struct pbuf *p;
};

static void copy_pbuf(void *ctx, uint8_t *dst)
{
    struct copy_ctx *c = ctx;
    pbuf_copy_partial(c->p, dst, c->p->tot_len, 0);
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
    (void)n;
    struct copy_ctx c = {p};
    return vnet_send(p->tot_len, copy_pbuf, &c) ? ERR_OK : ERR_MEM;
}

static uint64_t short_frames;

uint64_t net_malformed(void)
{
    const struct stats_ *st = &lwip_stats;
    return short_frames + st->etharp.lenerr + st->etharp.chkerr + st->ip.lenerr + st->ip.chkerr +
           st->ip.opterr + st->icmp.lenerr + st->icmp.chkerr + st->udp.lenerr + st->udp.chkerr +
           st->tcp.lenerr + st->tcp.chkerr;
}

static void deliver(const uint8_t *frame, size_t len)
{
    if (len < SIZEOF_ETH_HDR) {
        short_frames++;
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p) {
        vnet_stats.rx_dropped++;
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    if (nif.input(p, &nif) != ERR_OK)
        pbuf_free(p);
}

static uint8_t mac[6];

static err_t nif_init(struct netif *n)
{
    n->name[0] = 'e';
    n->name[1] = 'n';
    n->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(n->hwaddr, mac, 6);
    n->mtu = 1500;
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    n->output = etharp_output;
    n->linkoutput = linkoutput;
    return ERR_OK;
}

/* Prints the lease once DHCP has bound it (address, netmask and gateway are
 * all set by then; the status callback fires before the gateway is). */
static bool reported;

bool net_dhcp_bound(void)
{
    return reported;
}

static void report_lease(struct netif *n)
{
    if (reported || !dhcp_supplied_address(n))
        return;
    reported = true;
    char a[16], m[16], g[16];
    ip4addr_ntoa_r(netif_ip4_addr(n), a, sizeof a);
    ip4addr_ntoa_r(netif_ip4_netmask(n), m, sizeof m);
    ip4addr_ntoa_r(netif_ip4_gw(n), g, sizeof g);
    printf("net: address %s netmask %s gateway %s\n", a, m, g);
}

/* TCP echo: what arrives goes back; the connection closes when the peer's does. */
static err_t echo_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    (void)arg;
    if (!p) {
        tcp_arg(pcb, NULL);
        tcp_recv(pcb, NULL);
        if (tcp_close(pcb) != ERR_OK)
            tcp_abort(pcb);
        return ERR_OK;
    }
    if (err != ERR_OK) {
        pbuf_free(p);
        return err;
    }
    /* All of p or nothing: a partial write offered again would repeat bytes. */
    if (tcp_sndbuf(pcb) < p->tot_len || tcp_sndqueuelen(pcb) + pbuf_clen(p) > TCP_SND_QUEUELEN)
        return ERR_MEM; /* lwIP keeps p and offers it again later */
    for (struct pbuf *q = p; q; q = q->next)
        if (tcp_write(pcb, q->payload, q->len, TCP_WRITE_FLAG_COPY) != ERR_OK)
            return ERR_MEM;
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    tcp_output(pcb);
    return ERR_OK;
}

static err_t echo_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    tcp_recv(pcb, echo_recv);
    return ERR_OK;
}

static bool echo_listen(void)
{
    struct tcp_pcb *pcb = tcp_new();
    if (!pcb || tcp_bind(pcb, IP4_ADDR_ANY, ECHO_PORT) != ERR_OK)
        return false;
    struct tcp_pcb *l = tcp_listen(pcb);
    if (!l)
        return false;
    tcp_accept(l, echo_accept);
    return true;
}

/* Runs lwIP's due timeouts and the loopback queue, and arms the thread's timer
 * for the next timeout (lwIP's or a Ping's). */
static void run_timers(void)
{
    netif_poll_all();
    sys_check_timeouts();
    netif_poll_all();
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE || ms > 1000)
        ms = 1000;
    uint64_t now = wf_clock_ns(), at = now + (uint64_t)ms * 1000000u + 1;
    uint64_t ping = sock_timeouts(now);
    if (ping && ping < at)
        at = ping + 1;
    wf_tcb_set_deadline(WF_CHILD_TCB, at, NET_BIT_TIMER);
    vnet_flush();
}

void net_poll(void)
{
    run_timers();
}

/* The driver died: every TCP connection is aborted (its socket's client
 * sees the error), so that no transfer silently spans the gap; listening
 * sockets and UDP stay. */
static void driver_lost(void)
{
    while (tcp_active_pcbs)
        tcp_abort(tcp_active_pcbs);
}

static void on_notify(struct wf_server *s, wf_word_t bits)
{
    (void)s;
    if (bits & NET_BIT_FRAMES)
        vnet_receive(deliver);
    if (bits & NET_BIT_TIMER)
        vnet_check(driver_lost, mac);
    run_timers();
    report_lease(&nif);
}

static bool absent;

static const char *open_device(void)
{
    return vnet_open(mac, &absent);
}

int main(int argc, char **argv)
{
    (void)argv;
    int rc = virtio_drv_start("net", usage, argc, open_device, &absent);
    if (rc >= 0)
        return rc;
    printf("net: attached to vnet, virtio-net %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1],
           mac[2], mac[3], mac[4], mac[5]);
    lwip_init();
    if (!netif_add(&nif, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, nif_init,
                   ethernet_input)) {
        fputs("net: cannot add the interface\n", stderr);
        return 1;
    }
    netif_set_default(&nif);
    netif_set_up(&nif);
    netif_set_link_up(&nif);
    if (dhcp_start(&nif) != ERR_OK || !echo_listen()) {
        fputs("net: cannot start DHCP or the echo service\n", stderr);
        return 1;
    }
    srv = (struct wf_server){.ep = WF_CHILD_SERVE,
                             .recv_cnode = WF_CHILD_CNODE,
                             .recv_slot = NET_SLOT_RECV,
                             .protos = &sock_proto,
                             .nprotos = 1,
                             .on_notify = on_notify};
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    if (!sock_init(&srv, (unsigned)si->cnode_radix)) {
        fputs("net: no room for sockets in the CNode\n", stderr);
        return 1;
    }
    if (wf_server_init_pool(&srv, WF_CHILD_POOL, WF_CHILD_CNODE, NET_SLOT_REPLY0, NET_REPLIES) !=
        WF_ERR_OK) {
        fputs("net: no memory for Reply objects\n", stderr);
        return 1;
    }
    vnet_receive(deliver);
    run_timers();
    wf_word_t e = wf_server_run(&srv);
    fprintf(stderr, "net: receive failed: %s\n", wf_error_name((enum wf_error)e));
    return 1;
}
