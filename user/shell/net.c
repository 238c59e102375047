/*
 * The shell's network commands (docs/networking.md, "The shell's commands"):
 * ifconfig, ping, resolve, fetch, serve, udpecho, udpsend and sockfuzz over
 * the network server's socket protocol ("net", through wf/sock.h).
 *
 * Slots: sixteen after the file commands' three at the end of the shell's own
 * quarter (shell.h): the service cap, a notification (waited on), its copies
 * badged for the server and for the console's ^C, the buffer VMO (mapped at
 * NET_BUF_VA), the file server and a file for serve, then the sockets. A
 * command that runs until ^C (serve, udpecho) registers the ^C copy with the
 * console (console.SetInterrupt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"
#include "wf/client.h"
#include "wf/proto/console.h"
#include "wf/proto/file.h"
#include "wf/runtime.h"
#include "wf/sock.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define NET_BUF_VA   (wf_layout.files + wf_layout.unit / 16) /* wf/layout.h */
#define NET_BUF_SIZE 65536u
#define TIMEOUT_MS   10000u

enum {
    N_SERVICE,
    N_NOTE,
    N_NOTE_SERVER,
    N_NOTE_CONSOLE,
    N_VMO,
    N_FS,
    N_FILE,
    N_SOCK0,
    N_SOCKS = SH_NET_SLOTS - N_SOCK0,
};

static struct wf_net net;
static bool ready, interrupt_set;
static unsigned socks_used; /* bit i: slot N_SOCK0 + i holds a socket */

static wf_cptr_t slot(unsigned i)
{
    return sh.own_end + SH_FS_SLOTS + i;
}

/* A program the shell started as the same client of the network server (lx
 * under `linux` looks net up with the shell's name cap) may have replaced the
 * shell's buffer and notification there: set up again next time. */
void sh_net_forget(void)
{
    ready = false;
}

/* Sets the client up the first time (and again after the server restarted). */
static bool net_ready(const char *cmd)
{
    if (ready)
        return true;
    const char *step = "lookup";
    enum wf_error e = wf_reconnect(slot(N_SERVICE), "net");
    wf_word_t type = 0;
    if (e == WF_ERR_OK) {
        step = "notification";
        wf_cnode_describe(SELF, slot(N_NOTE), DEPTH, &type, NULL, NULL, NULL);
        if (!type)
            e = wf_untyped_retype(WF_CHILD_UNTYPED, WF_OBJ_NOTIFICATION, 0, SELF, 0, 0,
                                  slot(N_NOTE), 1);
    }
    if (e == WF_ERR_OK) {
        wf_cnode_delete(SELF, slot(N_NOTE_SERVER), DEPTH);
        wf_cnode_delete(SELF, slot(N_NOTE_CONSOLE), DEPTH);
        e = wf_cnode_mint(SELF, slot(N_NOTE_SERVER), DEPTH, SELF, slot(N_NOTE), DEPTH,
                          WF_RIGHT_WRITE, WF_NET_BIT_SERVER);
        if (e == WF_ERR_OK)
            e = wf_cnode_mint(SELF, slot(N_NOTE_CONSOLE), DEPTH, SELF, slot(N_NOTE), DEPTH,
                              WF_RIGHT_WRITE, WF_NET_BIT_USER);
    }
    if (e == WF_ERR_OK) {
        step = "buffer";
        type = 0;
        wf_cnode_describe(SELF, slot(N_VMO), DEPTH, &type, NULL, NULL, NULL);
        if (!type) {
            e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_VMO, NET_BUF_SIZE, SELF, slot(N_VMO), DEPTH);
            if (e == WF_ERR_OK)
                e = wf_vspace_map(WF_CHILD_VSPACE, slot(N_VMO), NET_BUF_VA, 0, NET_BUF_SIZE,
                                  WF_VM_READ | WF_VM_WRITE);
        }
    }
    if (e != WF_ERR_OK) {
        printf("%s: no network server (%s: %s)\n", cmd, step, wf_error_name(e));
        return false;
    }
    int rc = wf_net_setup(&net, slot(N_SERVICE), slot(N_VMO), (void *)NET_BUF_VA, NET_BUF_SIZE,
                          slot(N_NOTE), slot(N_NOTE_SERVER), sh.self_tcb);
    if (rc) {
        printf("%s: network server refused the buffer: %s\n", cmd, strerror(-rc));
        return false;
    }
    for (unsigned i = 0; i < N_SOCKS; i++)
        wf_cnode_delete(SELF, slot(N_SOCK0 + i), DEPTH);
    socks_used = 0;
    ready = true;
    return true;
}

/* A socket slot of the shell's, or -1 (a message printed). */
static int take_slot(const char *cmd)
{
    for (unsigned i = 0; i < N_SOCKS; i++)
        if (!(socks_used & (1u << i))) {
            socks_used |= 1u << i;
            wf_cnode_delete(SELF, slot(N_SOCK0 + i), DEPTH);
            return (int)i;
        }
    printf("%s: no socket slot left\n", cmd);
    return -1;
}

static void put_slot(int i)
{
    wf_cnode_delete(SELF, slot(N_SOCK0 + (unsigned)i), DEPTH);
    socks_used &= ~(1u << i);
}

/* Makes a socket into a slot of the shell's; -1 and a message on failure. */
static int open_sock(const char *cmd, unsigned type, struct wf_sock *s)
{
    int i = take_slot(cmd);
    if (i < 0)
        return -1;
    int rc = wf_net_socket(&net, type, SELF, slot(N_SOCK0 + (unsigned)i), s);
    if (rc) {
        if (rc == -WF_NET_EIO)
            ready = false; /* the server may have restarted: set up again next time */
        printf("%s: socket: %s\n", cmd, strerror(-rc));
        put_slot(i);
        return -1;
    }
    return i;
}

static void close_sock(int i, struct wf_sock *s)
{
    wf_net_close(s);
    put_slot(i);
}

/* ^C ends the commands that serve until then: the console signals the
 * notification's user bit. */
static void catch_interrupt(void)
{
    wf_word_t bits;
    if (!interrupt_set)
        interrupt_set =
            wfp_console_set_interrupt(WF_CHILD_CONSOLE, slot(N_NOTE_CONSOLE)) == WF_ERR_OK;
    wf_sys_poll(slot(N_NOTE), &bits); /* forget an old ^C */
    net.user_bits = 0;
}

/* Resolves host (a name or dotted address); false and a message on failure. */
static bool resolve(const char *cmd, const char *host, uint32_t *addr)
{
    int rc = wf_net_resolve(&net, host, addr);
    if (!rc)
        return true;
    printf("%s: %s: %s\n", cmd, host, rc == -WFP_SOCK_ENOENT ? "no such host" : strerror(-rc));
    return false;
}

void cmd_ifconfig(int argc, char **argv)
{
    (void)argc;
    if (!net_ready(argv[0]))
        return;
    for (wf_word_t i = 0;; i++) {
        wf_word_t status = 0, flags = 0, addr = 0, mask = 0, gw = 0, mac = 0, rx = 0, tx = 0,
                  drop = 0, bad = 0, nlen = 0;
        char name[9] = {0};
        enum wf_error e = wfp_sock_interface(net.ep, i, &status, &flags, &addr, &mask, &gw, &mac,
                                             &rx, &tx, &drop, &bad, name, 8, &nlen);
        if (e != WF_ERR_OK) {
            print_error(argv[0], e, NULL, SH_CTX_ANY);
            ready = false;
            return;
        }
        if (status)
            break;
        char a[16], m[16], g[16];
        printf("%s: %s%s%s\n", name, flags & WFP_SOCK_IF_UP ? "up" : "down",
               flags & WFP_SOCK_IF_LOOPBACK ? " loopback" : "",
               flags & WFP_SOCK_IF_DHCP ? " dhcp" : "");
        printf("  inet %s netmask %s gateway %s\n", wf_net_format_ip((uint32_t)addr, a),
               wf_net_format_ip((uint32_t)mask, m), wf_net_format_ip((uint32_t)gw, g));
        if (!(flags & WFP_SOCK_IF_LOOPBACK))
            printf("  ether %02x:%02x:%02x:%02x:%02x:%02x\n", (unsigned)(mac >> 40) & 0xff,
                   (unsigned)(mac >> 32) & 0xff, (unsigned)(mac >> 24) & 0xff,
                   (unsigned)(mac >> 16) & 0xff, (unsigned)(mac >> 8) & 0xff, (unsigned)mac & 0xff);
        printf("  rx %llu frames, tx %llu frames, dropped %llu, malformed %llu\n",
               (unsigned long long)rx, (unsigned long long)tx, (unsigned long long)drop,
               (unsigned long long)bad);
    }
}

void cmd_resolve(int argc, char **argv)
{
    (void)argc;
    uint32_t addr;
    char a[16];
    if (net_ready(argv[0]) && resolve(argv[0], argv[1], &addr))
        printf("%s is %s\n", argv[1], wf_net_format_ip(addr, a));
}

/* dns IP[:PORT] | dns lease: the resolver's server for every client of net. */
void cmd_dns(int argc, char **argv)
{
    (void)argc;
    uint32_t addr = 0;
    unsigned long port = 53;
    char ip[16];
    const char *colon = strchr(argv[1], ':');
    if (strcmp(argv[1], "lease")) {
        size_t n = colon ? (size_t)(colon - argv[1]) : strlen(argv[1]);
        char *end = NULL;
        if (colon)
            port = strtoul(colon + 1, &end, 10);
        if (n >= sizeof ip || (colon && (!colon[1] || *end || port < 1 || port > 65535))) {
            printf("dns: usage: dns IP[:PORT] (PORT 1 to 65535, default 53) or dns lease\n");
            return;
        }
        memcpy(ip, argv[1], n);
        ip[n] = 0;
        if (!wf_net_parse_ip(ip, &addr) || !addr) {
            printf("dns: %s: not an IPv4 address\n", ip);
            return;
        }
    }
    if (!net_ready(argv[0]))
        return;
    wf_word_t status = 0;
    enum wf_error e = wfp_sock_set_dns(net.ep, addr, port, &status);
    if (e != WF_ERR_OK) {
        print_error(argv[0], e, NULL, SH_CTX_ANY);
        return;
    }
    if (status)
        printf("dns: %s\n", strerror((int)status));
    else if (addr)
        printf("dns: server %s port %lu\n", wf_net_format_ip(addr, ip), port);
    else
        printf("dns: the lease's server\n");
}

void cmd_ping(int argc, char **argv)
{
    uint64_t count = 3;
    if (argc > 2 && (!arg_number(argv, 2, &count) || count == 0 || count > 100)) {
        if (count == 0 || count > 100)
            printf("ping: COUNT is 1 to 100\n");
        return;
    }
    uint32_t addr;
    if (!net_ready(argv[0]) || !resolve(argv[0], argv[1], &addr))
        return;
    char a[16];
    unsigned got = 0;
    for (uint64_t i = 0; i < count; i++) {
        wf_word_t status = 0, rtt = 0;
        enum wf_error e = wfp_sock_ping(net.ep, addr, 2000, &status, &rtt);
        if (e != WF_ERR_OK) {
            print_error(argv[0], e, NULL, SH_CTX_ANY);
            ready = false;
            return;
        }
        if (status) {
            printf("ping %s: %s\n", wf_net_format_ip(addr, a), strerror((int)status));
            continue;
        }
        got++;
        printf("reply from %s: seq %llu time %llu us\n", wf_net_format_ip(addr, a),
               (unsigned long long)i + 1, (unsigned long long)rtt / 1000);
    }
    printf("%u of %llu replies\n", got, (unsigned long long)count);
}

/* Splits "http://HOST[:PORT][/PATH]"; false when it is not such a URL. */
static bool parse_url(const char *url, char *host, size_t hsize, unsigned *port, const char **path)
{
    if (strncmp(url, "http://", 7) != 0)
        return false;
    const char *h = url + 7, *end = h;
    while (*end && *end != ':' && *end != '/')
        end++;
    if (end == h || (size_t)(end - h) >= hsize)
        return false;
    memcpy(host, h, (size_t)(end - h));
    host[end - h] = 0;
    *port = 80;
    if (*end == ':') {
        char *e;
        unsigned long p = strtoul(end + 1, &e, 10);
        if (e == end + 1 || p == 0 || p > 65535 || (*e && *e != '/'))
            return false;
        *port = (unsigned)p;
        end = e;
    }
    *path = *end ? end : "/";
    return true;
}

/* CRC-32 (IEEE, as zlib's crc32) of n bytes, continuing from crc. */
static uint32_t crc32_update(uint32_t crc, const void *p, size_t n)
{
    const uint8_t *b = p;
    crc = ~crc;
    while (n--) {
        crc ^= *b++;
        for (int k = 0; k < 8; k++)
            crc = crc >> 1 ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

/* Writes a piece of the body: to the console, or into the count and CRC. */
static void body_out(const char *p, size_t n, bool sum, uint32_t *crc)
{
    if (sum)
        *crc = crc32_update(*crc, p, n);
    else
        fwrite(p, 1, n, stdout);
}

void cmd_fetch(int argc, char **argv)
{
    bool sum = argc == 3 && !strcmp(argv[1], "-c");
    if (argc == 3 && !sum) {
        usage(argv[0]);
        return;
    }
    const char *url = argv[argc - 1];
    char host[128];
    unsigned port;
    const char *path;
    uint32_t crc = 0;
    if (!parse_url(url, host, sizeof(host), &port, &path)) {
        printf("fetch: not an http:// URL: %s\n", url);
        usage(argv[0]);
        return;
    }
    uint32_t addr;
    if (!net_ready(argv[0]) || !resolve(argv[0], host, &addr))
        return;
    struct wf_sock s;
    int i = open_sock(argv[0], WFP_SOCK_TCP, &s);
    if (i < 0)
        return;
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: weft-fetch\r\n\r\n", path, host);
    int rc = wf_net_connect(&net, &s, addr, port, TIMEOUT_MS);
    if (!rc && (n < 0 || (size_t)n >= sizeof(req)))
        rc = -WFP_SOCK_EINVAL;
    if (!rc) {
        long w = wf_net_send(&net, &s, req, (size_t)n, TIMEOUT_MS);
        rc = w < 0 ? (int)w : 0;
    }
    /* The head, then the body as it comes. */
    static char buf[4096];
    size_t have = 0, total = 0;
    bool body = false;
    unsigned code = 0;
    while (!rc) {
        long got = wf_net_recv(&net, &s, buf + have, sizeof(buf) - 1 - have, TIMEOUT_MS);
        if (got < 0) {
            rc = (int)got;
            break;
        }
        if (got == 0)
            break;
        if (body) {
            body_out(buf, (size_t)got, sum, &crc);
            total += (size_t)got;
            continue;
        }
        have += (size_t)got;
        buf[have] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (!end) {
            if (have == sizeof(buf) - 1) {
                printf("fetch: response head too long\n");
                break;
            }
            continue;
        }
        if (sscanf(buf, "HTTP/%*u.%*u %u", &code) != 1)
            code = 0;
        body = true;
        size_t rest = have - (size_t)(end + 4 - buf);
        body_out(end + 4, rest, sum, &crc);
        total += rest;
        have = 0;
    }
    close_sock(i, &s);
    if (rc) {
        printf("\nfetch: %s:%u: %s\n", host, port, strerror(-rc));
        return;
    }
    if (!body)
        printf("fetch: no HTTP response\n");
    else if (sum)
        printf("fetch: status %u, %zu bytes, crc32 %08x\n", code, total, (unsigned)crc);
    else if (code != 200)
        printf("\nfetch: HTTP status %u (%zu bytes)\n", code, total);
}

/* serve: one request on connection c, answered from dir. */
static bool serve_one(struct wf_sock *c, const char *dir)
{
    static char req[1024];
    size_t have = 0;
    while (have < sizeof(req) - 1) {
        long got = wf_net_recv(&net, c, req + have, sizeof(req) - 1 - have, 5000);
        if (got <= 0)
            return false;
        have += (size_t)got;
        req[have] = 0;
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
            break;
    }
    char path[WFP_FILE_PATH_MAX + 1], url[256];
    const char *status = "200 OK";
    if (sscanf(req, "GET %255s HTTP/", url) != 1)
        status = "400 Bad Request";
    else if (url[0] != '/' || strstr(url, ".."))
        status = "404 Not Found";
    int plen = snprintf(path, sizeof(path), "%s%s%s", dir, url,
                        url[strlen(url) - 1] == '/' ? "index.html" : "");
    if (plen < 0 || (size_t)plen >= sizeof(path))
        status = "404 Not Found";
    wf_word_t st = 0, size = 0, type = 0;
    if (!strcmp(status, "200 OK")) {
        wf_cnode_delete(SELF, slot(N_FILE), DEPTH);
        enum wf_error e = wfp_file_open(slot(N_FS), WFP_FILE_O_READ, 0, path, (wf_word_t)plen, &st,
                                        NULL, SELF, slot(N_FILE), DEPTH);
        if (e != WF_ERR_OK || st ||
            wfp_file_stat(slot(N_FILE), &st, &type, NULL, &size, NULL, NULL, NULL, NULL, NULL) !=
                WF_ERR_OK ||
            st || type != WFP_FILE_T_FILE)
            status = "404 Not Found";
    }
    char head[256];
    bool ok = !strcmp(status, "200 OK");
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.0 %s\r\nServer: weft-serve\r\nContent-Length: %llu\r\n"
                     "Connection: close\r\n\r\n%s",
                     status, ok ? (unsigned long long)size : (unsigned long long)strlen(status) + 1,
                     ok ? "" : status);
    if (!ok)
        n += snprintf(head + n, sizeof(head) - (size_t)n, "\n");
    bool sent = wf_net_send(&net, c, head, (size_t)n, 5000) == n;
    static char data[WFP_FILE_DATA_MAX];
    for (wf_word_t off = 0; ok && sent && off < size;) {
        wf_word_t got = 0;
        if (wfp_file_read(slot(N_FILE), off, sizeof(data), &st, data, sizeof(data), &got) !=
                WF_ERR_OK ||
            st || !got)
            break;
        sent = wf_net_send(&net, c, data, got, 5000) == (long)got;
        off += got;
    }
    if (ok) {
        wfp_file_close(slot(N_FILE), &st);
        wf_cnode_delete(SELF, slot(N_FILE), DEPTH);
    }
    wf_net_shutdown(c, WFP_SOCK_SHUT_WR);
    return ok && sent;
}

void cmd_serve(int argc, char **argv)
{
    uint64_t port = 80;
    if (argc > 2 && (!arg_number(argv, 2, &port) || port == 0 || port > 65535)) {
        if (port == 0 || port > 65535)
            printf("serve: PORT is 1 to 65535\n");
        return;
    }
    const char *dir = argv[1];
    size_t dlen = strlen(dir);
    while (dlen > 1 && dir[dlen - 1] == '/')
        dlen--;
    char root[128];
    if (dlen >= sizeof(root)) {
        printf("serve: directory name too long\n");
        return;
    }
    memcpy(root, dir, dlen);
    root[dlen == 1 && dir[0] == '/' ? 0 : dlen] = 0;
    if (!net_ready(argv[0]))
        return;
    enum wf_error e = wf_reconnect(slot(N_FS), "fs");
    if (e != WF_ERR_OK) {
        printf("serve: no file server: %s\n", wf_error_name(e));
        return;
    }
    struct wf_sock l;
    int li = open_sock(argv[0], WFP_SOCK_TCP, &l);
    if (li < 0)
        return;
    wf_net_setopt(&l, WFP_SOCK_SO_REUSEADDR, 1);
    int rc = wf_net_bind(&l, 0, (unsigned)port);
    if (!rc)
        rc = wf_net_listen(&l, 16);
    if (rc) {
        printf("serve: port %llu: %s\n", (unsigned long long)port, strerror(-rc));
        close_sock(li, &l);
        return;
    }
    catch_interrupt();
    printf("serve: %s on port %llu (^C ends)\n", dir, (unsigned long long)port);
    fflush(stdout);
    unsigned served = 0, failed = 0;
    for (;;) {
        int ci = take_slot(argv[0]);
        if (ci < 0)
            break;
        struct wf_sock c;
        rc = wf_net_accept(&net, &l, SELF, slot(N_SOCK0 + (unsigned)ci), &c, NULL, NULL, 0);
        if (rc) {
            put_slot(ci);
            if (rc != -WF_NET_EINTR)
                printf("serve: accept: %s\n", strerror(-rc));
            break;
        }
        if (serve_one(&c, root))
            served++;
        else
            failed++;
        close_sock(ci, &c);
        if (net.user_bits)
            break;
    }
    close_sock(li, &l);
    printf("serve: %u requests answered, %u connections without one\n", served, failed);
}

void cmd_udpecho(int argc, char **argv)
{
    uint64_t port, count = 0;
    if (!arg_number(argv, 1, &port) || (argc > 2 && !arg_number(argv, 2, &count)))
        return;
    if (port == 0 || port > 65535) {
        printf("udpecho: PORT is 1 to 65535\n");
        return;
    }
    if (!net_ready(argv[0]))
        return;
    struct wf_sock s;
    int i = open_sock(argv[0], WFP_SOCK_UDP, &s);
    if (i < 0)
        return;
    int rc = wf_net_bind(&s, 0, (unsigned)port);
    if (rc) {
        printf("udpecho: port %llu: %s\n", (unsigned long long)port, strerror(-rc));
        close_sock(i, &s);
        return;
    }
    catch_interrupt();
    printf("udpecho: port %llu (^C ends)\n", (unsigned long long)port);
    fflush(stdout);
    static char data[2048];
    unsigned n = 0;
    while (!count || n < count) {
        uint32_t from;
        unsigned fport;
        long got = wf_net_recvfrom(&net, &s, data, sizeof(data), &from, &fport, 0);
        if (got < 0) {
            if (got != -WF_NET_EINTR)
                printf("udpecho: %s\n", strerror((int)-got));
            break;
        }
        wf_net_sendto(&net, &s, data, (size_t)got, from, fport);
        n++;
    }
    close_sock(i, &s);
    printf("udpecho: %u datagrams echoed\n", n);
}

void cmd_udpsend(int argc, char **argv)
{
    uint64_t port;
    uint32_t addr;
    if (!arg_number(argv, 2, &port))
        return;
    if (port == 0 || port > 65535) {
        printf("udpsend: PORT is 1 to 65535\n");
        return;
    }
    if (!net_ready(argv[0]) || !resolve(argv[0], argv[1], &addr))
        return;
    struct wf_sock s;
    int i = open_sock(argv[0], WFP_SOCK_UDP, &s);
    if (i < 0)
        return;
    char text[512];
    size_t len = 0;
    for (int k = 3; k < argc; k++)
        len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s", k > 3 ? " " : "", argv[k]);
    long rc = wf_net_sendto(&net, &s, text, len, addr, (unsigned)port);
    if (rc >= 0) {
        static char reply[2048];
        uint32_t from;
        unsigned fport;
        rc = wf_net_recvfrom(&net, &s, reply, sizeof(reply) - 1, &from, &fport, 5000);
        if (rc >= 0) {
            char a[16];
            reply[rc] = 0;
            printf("reply from %s:%u: %s\n", wf_net_format_ip(from, a), fport, reply);
        }
    }
    if (rc < 0)
        printf("udpsend: %s\n", strerror((int)-rc));
    close_sock(i, &s);
}

/* sockfuzz: random socket-protocol requests through the service cap, the
 * shell's own sockets and stale ones, with absurd lengths and offsets; then
 * the server must still answer a well-formed request. */
void cmd_sockfuzz(int argc, char **argv)
{
    uint64_t count = 1000, seed = 1;
    if ((argc > 1 && !arg_number(argv, 1, &count)) || (argc > 2 && !arg_number(argv, 2, &seed)))
        return;
    if (!net_ready(argv[0]))
        return;
    struct wf_sock s[3];
    int si[3];
    for (unsigned k = 0; k < 3; k++) {
        si[k] = open_sock(argv[0], k == 1 ? WFP_SOCK_UDP : WFP_SOCK_TCP, &s[k]);
        if (si[k] < 0) {
            while (k--)
                close_sock(si[k], &s[k]);
            return;
        }
    }
    wf_cptr_t stale = s[2].cap;
    wf_net_close(&s[2]); /* its cap is gone: a stale handle (an empty slot) */
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    static const wf_word_t absurd[] = {0,          1,          7,           65535,      65536,
                                       65537,      1ull << 31, ~0ull,       ~0ull >> 1, 4096,
                                       0x7f000001, 0xffffffff, 0x100000000, 1ull << 48, 80};
    unsigned answered = 0, protocol_errors = 0, failed_calls = 0;
    for (uint64_t i = 0; i < count; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        wf_word_t label = WFP_SOCK_FIRST + (x % 0x18);
        wf_cptr_t via = (x >> 8) % 4 == 0   ? net.ep
                        : (x >> 8) % 4 == 1 ? s[0].cap
                        : (x >> 8) % 4 == 2 ? s[1].cap
                                            : stale;
        /* One in eight carries a cap: the service cap or a notification, for
         * SetBuffer's VMO and anywhere no cap is taken. */
        unsigned ncap = (x >> 52) % 8 == 0;
        struct wf_msgregs m = {.info = wf_msginfo(label, ncap, (unsigned)((x >> 16) % 5))};
        if (ncap)
            wf_ipc_buffer()->caps_or_badges[0] =
                (x >> 55) & 1 ? slot(N_SERVICE) : slot(N_NOTE_SERVER);
        for (unsigned k = 0; k < 4; k++) {
            uint64_t r = x >> (20 + k * 8);
            m.w[k] = r & 1 ? absurd[r % (sizeof(absurd) / sizeof(absurd[0]))] : r & 0xffff;
        }
        /* Not Close through the shell's live sockets (kept for the end). */
        if (label == WFP_SOCK_CLOSE && via != stale)
            continue;
        /* Not Resolve or Ping (they wait on the network), but their malformed shapes. */
        if ((label == WFP_SOCK_RESOLVE || label == WFP_SOCK_PING) && wf_msginfo_length(m.info) >= 1)
            m.info = wf_msginfo(label, 0, 0);
        struct wf_ipc_buffer *b = wf_ipc_buffer();
        b->receive_cnode = SELF;
        b->receive_index = slot(N_FILE);
        b->receive_depth = DEPTH;
        wf_word_t e = wf_sys_call(via, &m);
        wf_word_t type = 0;
        wf_cnode_describe(SELF, slot(N_FILE), DEPTH, &type, NULL, NULL, NULL);
        if (type) { /* a socket the fuzz made (Socket, Accept): close it */
            wf_word_t st;
            wfp_sock_close(slot(N_FILE), &st);
            wf_cnode_delete(SELF, slot(N_FILE), DEPTH);
        }
        if (e != WF_ERR_OK)
            failed_calls++;
        else if (wf_msginfo_label(m.info) == WF_ERR_OK)
            answered++;
        else
            protocol_errors++;
    }
    for (unsigned k = 0; k < 2; k++)
        close_sock(si[k], &s[k]);
    put_slot(si[2]);
    /* The fuzz may have replaced the shell's buffer and notification: set up
     * again (which forgets the shell's socket slots: none is open now). The
     * server must still serve. */
    ready = false;
    if (!net_ready(argv[0]))
        return;
    struct wf_sock t;
    int ti = open_sock(argv[0], WFP_SOCK_UDP, &t);
    bool alive = false;
    if (ti >= 0) {
        alive = wf_net_bind(&t, 0x7f000001, 0) == 0;
        close_sock(ti, &t);
    }
    printf("sockfuzz: %llu requests: %u answered, %u protocol errors, %u failed calls; "
           "server %s\n",
           (unsigned long long)count, answered, protocol_errors, failed_calls,
           alive ? "still serves" : "DOES NOT SERVE");
}

static const char *err_text(int rc)
{
    return rc ? strerror(-rc) : "no error";
}

/* The POSIX errors over the loopback: a port in use, a peer that closed with
 * data unread, a send after shutdown. */
static void check_errors(const char *cmd)
{
    struct wf_sock l, d, a, b, e, f;
    int li = open_sock(cmd, WFP_SOCK_TCP, &l), di = open_sock(cmd, WFP_SOCK_TCP, &d);
    int ai = open_sock(cmd, WFP_SOCK_TCP, &a), ei = open_sock(cmd, WFP_SOCK_TCP, &e);
    int bi = take_slot(cmd), fi = take_slot(cmd);
    bool have_f = false;
    wf_word_t status = 0, addr = 0, port = 0;
    int rc = li < 0 || di < 0 || ai < 0 || ei < 0 || bi < 0 || fi < 0 ? -WFP_SOCK_EMFILE : 0;
    if (!rc)
        rc = wf_net_bind(&l, 0x7f000001, 0);
    if (!rc)
        rc = wf_net_listen(&l, 4);
    if (!rc && wfp_sock_get_name(l.cap, &status, &addr, &port) != WF_ERR_OK)
        rc = -WF_NET_EIO;
    if (rc) {
        printf("%s: loopback listener: %s\n", cmd, err_text(rc));
        goto out;
    }
    printf("%s: bind to a port in use: %s\n", cmd,
           err_text(wf_net_bind(&d, 0x7f000001, (unsigned)port)));
    /* Options: set, read back; an unknown one; the peer of a socket not connected. */
    wf_word_t ka = 0, nd = 0, ty = 0, pa = 0, pp = 0;
    int o1 = wf_net_setopt(&d, WFP_SOCK_SO_KEEPALIVE, 1),
        o2 = wf_net_setopt(&d, WFP_SOCK_TCP_NODELAY, 1);
    if (!o1)
        o1 = wf_net_getopt(&d, WFP_SOCK_SO_KEEPALIVE, &ka);
    if (!o2)
        o2 = wf_net_getopt(&d, WFP_SOCK_TCP_NODELAY, &nd);
    wf_net_getopt(&d, WFP_SOCK_SO_TYPE, &ty);
    printf(
        "%s: options: keepalive %llu nodelay %llu type %llu, option 99: %s, peer of an unconnected "
        "socket: %s\n",
        cmd, (unsigned long long)(o1 ? 9 : ka), (unsigned long long)(o2 ? 9 : nd),
        (unsigned long long)ty, err_text(wf_net_setopt(&d, 99, 1)),
        err_text(wfp_sock_get_peer(d.cap, &status, &pa, &pp) == WF_ERR_OK ? -(int)status
                                                                          : -WF_NET_EIO));
    rc = wf_net_connect(&net, &a, 0x7f000001, (unsigned)port, TIMEOUT_MS);
    if (!rc)
        rc =
            wf_net_accept(&net, &l, SELF, slot(N_SOCK0 + (unsigned)bi), &b, NULL, NULL, TIMEOUT_MS);
    if (!rc) {
        long w = wf_net_send(&net, &a, "unread bytes", 12, TIMEOUT_MS);
        wf_net_close(&b); /* with the bytes unread: lwIP resets the connection */
        rc = w < 0 ? (int)w : 0;
    }
    if (!rc) {
        char c;
        long got = wf_net_recv(&net, &a, &c, 1, TIMEOUT_MS);
        rc = got < 0 ? (int)got : 0;
    }
    printf("%s: a peer that closes with data unread: %s\n", cmd, err_text(rc));
    rc = wf_net_connect(&net, &e, 0x7f000001, (unsigned)port, TIMEOUT_MS);
    if (!rc) {
        rc =
            wf_net_accept(&net, &l, SELF, slot(N_SOCK0 + (unsigned)fi), &f, NULL, NULL, TIMEOUT_MS);
        have_f = !rc;
    }
    if (!rc)
        rc = wf_net_shutdown(&e, WFP_SOCK_SHUT_WR);
    if (!rc) {
        long w = wf_net_send(&net, &e, "late", 4, TIMEOUT_MS);
        rc = w < 0 ? (int)w : 0;
    }
    printf("%s: send after shutdown: %s\n", cmd, err_text(rc));
out:
    if (have_f)
        wf_net_close(&f);
    if (bi >= 0)
        put_slot(bi);
    if (fi >= 0)
        put_slot(fi);
    if (li >= 0)
        close_sock(li, &l);
    if (di >= 0)
        close_sock(di, &d);
    if (ai >= 0)
        close_sock(ai, &a);
    if (ei >= 0)
        close_sock(ei, &e);
}

/* sockcheck: the POSIX errors (check_errors), then the per-client limits:
 * sockets until EMFILE (in slots taken for the while from the shell's own
 * range), SO_RCVBUF beyond the buffer budget (ENOBUFS), and within it once two
 * sockets are closed. */
/* An ICMP socket (sock.ICMP): Bind and Send refused, an echo request to the
 * loopback through SendTo, and lwIP's reply through RecvFrom with its IPv4
 * header (the socket sees its own request go by first). */
static void check_icmp(const char *cmd)
{
    struct wf_sock s;
    int i = open_sock(cmd, WFP_SOCK_ICMP, &s);
    if (i < 0)
        return;
    int b = wf_net_bind(&s, 0x7f000001, 0);
    wf_word_t status = 0, sent = 0;
    enum wf_error e = wfp_sock_send(s.cap, 0, 8, &status, &sent);
    int sn = e != WF_ERR_OK ? -WF_NET_EIO : -(int)status;
    uint8_t req[8 + 16] = {8, 0, 0, 0, 0x57, 0x46, 0, 7};
    memcpy(req + 8, "weft icmp socket", 16);
    uint32_t sum = 0;
    for (unsigned k = 0; k < sizeof req; k += 2)
        sum += (uint32_t)req[k] << 8 | req[k + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    req[2] = (uint8_t)(~sum >> 8);
    req[3] = (uint8_t)~sum;
    long rc = wf_net_sendto(&net, &s, req, sizeof req, 0x7f000001, 0);
    const char *what = "no reply";
    uint8_t got[128];
    for (int tries = 0; rc >= 0 && tries < 4; tries++) {
        uint32_t from = 0;
        unsigned port = 1;
        rc = wf_net_recvfrom(&net, &s, got, sizeof got, &from, &port, 2000);
        if (rc < 0)
            break;
        unsigned hl = (got[0] & 15u) * 4;
        if (rc < 20 || (got[0] >> 4) != 4 || got[9] != 1 || hl < 20 ||
            (size_t)rc != hl + sizeof req) {
            what = "a message without its IPv4 header";
            break;
        }
        if (got[hl] == 0 && from == 0x7f000001 && port == 0 &&
            !memcmp(got + hl + 4, req + 4, sizeof req - 4)) {
            what = "echo reply from 127.0.0.1 with its IPv4 header, id, seq and data intact";
            break;
        }
    }
    printf("%s: icmp socket: bind %s, send %s, %s\n", cmd, err_text(b), err_text(sn),
           rc < 0 ? err_text((int)rc) : what);
    close_sock(i, &s);
}

void cmd_sockcheck(int argc, char **argv)
{
    (void)argc;
    if (!net_ready(argv[0]))
        return;
    if (socks_used) {
        printf("sockcheck: the shell has sockets open\n");
        return;
    }
    check_errors(argv[0]);
    check_icmp(argv[0]);
    wf_word_t first = sh.env.next_slot;
    struct wf_sock s[WFP_SOCK_SOCKETS_MAX + 1];
    unsigned n = 0;
    int rc = 0;
    while (n <= WFP_SOCK_SOCKETS_MAX) {
        wf_cptr_t at = wf_env_slot(&sh.env);
        if (!at) {
            printf("sockcheck: no slot left\n");
            break;
        }
        rc = wf_net_socket(&net, n % 2 ? WFP_SOCK_UDP : WFP_SOCK_TCP, SELF, at, &s[n]);
        if (rc)
            break;
        n++;
    }
    printf("sockcheck: %u sockets, then %s\n", n, rc ? strerror(-rc) : "no error");
    int big = n ? wf_net_setopt(&s[0], WFP_SOCK_SO_RCVBUF, WFP_SOCK_BUF_MAX) : -1;
    printf("sockcheck: SO_RCVBUF %u with every socket open: %s\n", WFP_SOCK_BUF_MAX,
           big ? strerror(-big) : "ok");
    if (n >= 3) {
        wf_net_close(&s[--n]);
        wf_net_close(&s[--n]);
        big = wf_net_setopt(&s[0], WFP_SOCK_SO_RCVBUF, WFP_SOCK_BUF_MAX);
        wf_word_t v = 0;
        wf_net_getopt(&s[0], WFP_SOCK_SO_RCVBUF, &v);
        printf("sockcheck: after closing two: %s, SO_RCVBUF %llu\n", big ? strerror(-big) : "ok",
               (unsigned long long)v);
    }
    while (n)
        wf_net_close(&s[--n]);
    for (wf_word_t k = first; k < sh.env.next_slot; k++)
        wf_cnode_delete(SELF, k, DEPTH);
    sh.env.next_slot = first;
}
