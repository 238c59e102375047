/*
 * lwIP's configuration for the network server (decision 133). The starting
 * point was the seL4 device driver framework's echo server: NO_SYS with the
 * server's own event loop, the raw API only, window scaling, timestamps, a
 * large pbuf pool. Every option not set here keeps lwIP's default (opt.h).
 */
#ifndef WEFT_LWIPOPTS_H
#define WEFT_LWIPOPTS_H

/* No operating-system layer: one thread, the server's loop calls lwIP. */
#define NO_SYS               1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS          1
#define LWIP_NETCONN         0
#define LWIP_SOCKET          0
#define LWIP_NETIF_API       0

/* Memory: lwIP's own heap and pools in the server's .bss. */
#define MEM_ALIGNMENT           8
#define MEM_SIZE                (1024 * 1024)
#define MEMP_NUM_PBUF           256
#define MEMP_NUM_TCP_PCB        256 /* sockets, connections waiting for Accept, TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN 32
#define MEMP_NUM_TCP_SEG        512
#define MEMP_NUM_UDP_PCB        40 /* UDP sockets, DHCP, DNS */
#define MEMP_NUM_RAW_PCB        2  /* Ping's ICMP */
#define MEMP_NUM_SYS_TIMEOUT    (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 4)
#define PBUF_POOL_SIZE          1024
#define PBUF_POOL_BUFSIZE       1536

/* Protocols. */
#define LWIP_IPV4                  1
#define LWIP_IPV6                  0
#define LWIP_ARP                   1
#define LWIP_ETHERNET              1
#define LWIP_ICMP                  1
#define LWIP_RAW                   1
#define LWIP_UDP                   1
#define LWIP_TCP                   1
#define LWIP_DHCP                  1
#define LWIP_DHCP_DOES_ACD_CHECK   0
#define LWIP_DNS                   1
#define LWIP_IGMP                  0
#define LWIP_AUTOIP                0
#define IP_REASSEMBLY              1
#define IP_FRAG                    1
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK   0
/* The loopback interface (127.0.0.1) and local delivery to the server's own
 * address; packets are queued and delivered by netif_poll_all (main.c). */
#define LWIP_NETIF_LOOPBACK     1
#define LWIP_HAVE_LOOPIF        1
#define LWIP_LOOPBACK_MAX_PBUFS 256
/* IPv6: off (decision 146). */

/* The resolver's server port: 53, or the one sock.SetDns named (sock.c;
 * decision 167). */
extern unsigned short net_dns_port;
#define DNS_SERVER_PORT net_dns_port

/* TCP: a large window through window scaling (RFC 7323), timestamps, SACK
 * sent to the peer (lwIP 2.1 sends SACK blocks; it does not act on received
 * ones). */
#define TCP_MSS               1460
#define LWIP_WND_SCALE        1
#define TCP_RCV_SCALE         4
#define TCP_WND               (256 * 1024)
#define TCP_SND_BUF           (256 * 1024)
#define TCP_SND_QUEUELEN      (2 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT          32768 /* a u16_t, at least 4 MSS below its limit */
#define TCP_QUEUE_OOSEQ       1
#define LWIP_TCP_TIMESTAMPS   1
#define LWIP_TCP_SACK_OUT     1
#define LWIP_TCP_MAX_SACK_NUM 4
#define TCP_LISTEN_BACKLOG    1
#define LWIP_TCP_KEEPALIVE    1 /* SO_KEEPALIVE */

/* Checksums: computed in software both ways (no offload negotiated). */
#define CHECKSUM_GEN_IP     1
#define CHECKSUM_GEN_TCP    1
#define CHECKSUM_GEN_UDP    1
#define CHECKSUM_GEN_ICMP   1
#define CHECKSUM_CHECK_IP   1
#define CHECKSUM_CHECK_TCP  1
#define CHECKSUM_CHECK_UDP  1
#define CHECKSUM_CHECK_ICMP 1

/* Statistics: the error counters ifconfig shows (malformed frames); no debug
 * output. */
#define LWIP_STATS         1
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG         0

#endif
