/*
 * net: Linux's TCP through virtio_net, the peer of Weft's user/nbench
 * (docs/perf/network.md; make bench-linux-net; decision 158).
 *
 * The boot carries a modern virtio-net-pci function on QEMU's user network with a
 * forward from the host's 127.0.0.1 to the guest's port 5001; init has loaded
 * virtio_pci and virtio_net (modules of the cloud kernel). This program gives eth0
 * the address QEMU's DHCP would (10.0.2.15/24), brings it up, listens on 5001,
 * prints "nbench: listening on 5001" and serves tools/netbench.py's phases in
 * nbench's order, with the same work: a control line, then runs times each
 *
 *   rx    one byte to the host, then read() of up to 64 KiB until the end of the
 *         host's mib MiB (one byte in 1,024 and the last of every read compared
 *         with the pattern, byte o is (o ^ o >> 8 ^ 0x5a) & 0xff; those compares
 *         are not counted). Per MiB.
 *   tx    write() of 64 KiB of the pattern until mib MiB, shutdown(SHUT_WR), and a
 *         read() that sees the host's close. Per MiB.
 *   rr    trans transactions (TCP_NODELAY): read a 100-byte request, write a
 *         1 KiB answer. Per transaction.
 *   conn  conns connections, each accept()ed, read to its end and closed. Per
 *         connection.
 *
 * then idle connections held open by the host: the kernel's slab objects in use
 * (/proc/slabinfo, active objects times their size) before and with them, per
 * connection (MemFree and Slab of /proc/meminfo move by whole pages, or not at all
 * for 24 connections).
 *
 * What a figure counts: as bench/linux/storage.c. Under -icount shift=0,sleep=off
 * the TSC advances one per executed instruction; the boot runs with idle=poll (the
 * idle CPU executes a loop while the guest waits for the host), and the kernel's
 * idle time (/proc/timer_list: idle_sleeptime + iowait_sleeptime, converted to TSC
 * ticks at the rate measured at the start) is taken out of the rdtsc delta: the
 * instructions of this program and the kernel, softirqs and the device's
 * interrupts. The raw delta per unit ("elapsed") and the idle share
 * ("idle_permille") are reported too; a figure is the median of the runs.
 *
 * The port, the sizes and parameters, the pattern and its check and the JSON lines
 * are nbench's: user/benchlib/netbench.h, which both build with.
 *
 * Output: JSON lines {"bench": "net", "arch": "x86_64", "system": "linux", "metric":
 * ..., "value": N, "unit": ..., "runs": R, "min": N, "max": N, "elapsed": N,
 * "idle_permille": N}, then "nbench: done"; a failed check prints "linux-bench: FAIL
 * ..." and exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../user/benchlib/netbench.h"
#include "lbench.h"

#define BUF   65536
#define IFACE "eth0"

static struct nb_params P = NB_PARAMS_DEFAULT;

static uint8_t buf[BUF];
static int lfd;

/* ---- timing (as storage.c) ---- */

static uint64_t tsc_per_ns_q32;

/* One run: elapsed ticks, idle ticks, and ticks left out (the pattern's checks). */
struct span {
    uint64_t tsc, idle, skip;
};

static void span_start(struct span *s)
{
    s->skip = 0;
    s->idle = lb_idle_ns();
    s->tsc = lb_rdtsc();
}

static void span_end(struct span *s)
{
    uint64_t t = lb_rdtsc();
    uint64_t idle = lb_idle_ns();
    s->tsc = t - s->tsc;
    s->idle = lb_ns_to_ticks(idle - s->idle, tsc_per_ns_q32);
    if (s->idle + s->skip > s->tsc)
        s->idle = s->tsc - (s->skip < s->tsc ? s->skip : s->tsc);
}

static uint64_t span_busy(const struct span *s)
{
    return s->tsc - s->idle - s->skip;
}

static void report(const char *metric, struct span *runs, unsigned n, uint64_t per,
                   const char *unit)
{
    uint64_t busy[NB_MAX_RUNS], elapsed[NB_MAX_RUNS], idle = 0, total = 0;
    for (unsigned i = 0; i < n; i++) {
        busy[i] = span_busy(&runs[i]) / per;
        elapsed[i] = runs[i].tsc / per;
        idle += runs[i].idle;
        total += runs[i].tsc;
    }
    nb_report("linux", metric, busy, elapsed, n, idle, total, per, unit);
}

/* ---- sockets ---- */

static void set_addr(int fd, unsigned long req, const char *addr, const char *what)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, IFACE, IFNAMSIZ - 1);
    struct sockaddr_in *sa = (struct sockaddr_in *)&ifr.ifr_addr;
    sa->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sa->sin_addr);
    if (ioctl(fd, req, &ifr) != 0)
        lb_fail(what, errno);
}

/* eth0 gets QEMU's DHCP answer by hand: 10.0.2.15/24, up. */
static void iface_up(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0)
        lb_fail("socket for the interface", errno);
    set_addr(fd, SIOCSIFADDR, "10.0.2.15", "SIOCSIFADDR " IFACE " (is virtio_net loaded?)");
    set_addr(fd, SIOCSIFNETMASK, "255.255.255.0", "SIOCSIFNETMASK " IFACE);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strncpy(ifr.ifr_name, IFACE, IFNAMSIZ - 1);
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) != 0)
        lb_fail("SIOCGIFFLAGS " IFACE, errno);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) != 0)
        lb_fail("SIOCSIFFLAGS " IFACE, errno);
    close(fd);
}

static int accept_one(void)
{
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        lb_fail("accept", errno);
    return fd;
}

static long read_some(int fd, size_t max)
{
    for (;;) {
        ssize_t n = read(fd, buf, max);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            lb_fail("read", errno);
    }
}

static void write_all(int fd, size_t len)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, buf + off, len - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            lb_fail("write", errno);
        }
        off += (size_t)n;
    }
}

/* ---- the phases (nbench's) ---- */

static void control(void)
{
    int fd = accept_one();
    char text[256];
    size_t n = 0;
    long got;
    while (n < sizeof(text) - 1 && (got = read_some(fd, sizeof(text) - 1 - n)) > 0) {
        memcpy(text + n, buf, (size_t)got);
        n += (size_t)got;
    }
    close(fd);
    text[n] = 0;
    long bad = nb_parse_control(text, &P);
    if (bad >= 0)
        lb_fail("a bad control word at byte", bad);
    nb_print_params(&P);
}

static void rx(struct span *r)
{
    int fd = accept_one();
    uint64_t pos = 0, want = (uint64_t)P.mib * LB_MIB;
    span_start(r);
    buf[0] = 'G';
    write_all(fd, 1);
    long got;
    while ((got = read_some(fd, BUF)) > 0) {
        uint64_t t = lb_rdtsc();
        long long bad = nb_check_rx(buf, pos, got);
        if (bad >= 0)
            lb_fail("rx: a byte of the pattern at", (long)bad);
        pos += (uint64_t)got;
        r->skip += lb_rdtsc() - t;
    }
    span_end(r);
    close(fd);
    if (pos != want)
        lb_fail("rx: bytes received", (long)pos);
}

static void tx(struct span *r)
{
    int fd = accept_one();
    nb_fill(buf, BUF);
    uint64_t want = (uint64_t)P.mib * LB_MIB;
    span_start(r);
    for (uint64_t sent = 0; sent < want; sent += BUF)
        write_all(fd, BUF);
    shutdown(fd, SHUT_WR);
    long got = read_some(fd, BUF);
    span_end(r);
    close(fd);
    if (got != 0)
        lb_fail("tx: the host sent bytes", got);
}

static void rr(struct span *r)
{
    int fd = accept_one(), one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    unsigned n = 0;
    span_start(r);
    for (;;) {
        size_t have = 0;
        long got = 0;
        while (have < NB_REQ && (got = read_some(fd, NB_REQ - have)) > 0)
            have += (size_t)got;
        if (have == 0 && got == 0)
            break;
        if (have != NB_REQ)
            lb_fail("rr: a short request", (long)have);
        write_all(fd, NB_ANSWER);
        n++;
    }
    span_end(r);
    close(fd);
    if (n != P.trans)
        lb_fail("rr: transactions", (long)n);
}

static void conn(struct span *r)
{
    span_start(r);
    for (unsigned i = 0; i < P.conns; i++) {
        int fd = accept_one();
        long got = read_some(fd, BUF);
        close(fd);
        if (got != 0)
            lb_fail("conn: the host sent bytes", got);
    }
    span_end(r);
}

/* The bytes of every slab cache's objects in use (/proc/slabinfo: active_objs
 * times objsize, summed): sockets, their inodes, dentries and files. */
static uint64_t slab_bytes(void)
{
    FILE *f = fopen("/proc/slabinfo", "r");
    char line[512], name[64];
    unsigned long long active, total, size, sum = 0;
    unsigned n = 0;
    if (!f)
        lb_fail("no /proc/slabinfo", errno);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "%63s %llu %llu %llu", name, &active, &total, &size) == 4) {
            sum += active * size;
            n++;
        }
    fclose(f);
    if (n < 10)
        lb_fail("too few caches in /proc/slabinfo", (long)n);
    return sum;
}

static void idle_conns(void)
{
    int fds[NB_MAX_IDLE];
    usleep(100000); /* the last phase's sockets are gone */
    uint64_t before = slab_bytes();
    buf[0] = 'I';
    for (unsigned i = 0; i < P.idle; i++) {
        fds[i] = accept_one();
        write_all(fds[i], 1);
    }
    usleep(100000);
    uint64_t with = slab_bytes();
    for (unsigned i = 0; i < P.idle; i++) {
        long got = read_some(fds[i], BUF);
        close(fds[i]);
        if (got != 0)
            lb_fail("idle: the host sent bytes", got);
    }
    nb_report_value("linux", "memory_per_idle_connection_bytes",
                    with > before ? (with - before) / P.idle : 0, "bytes");
}

/* One phase of NB_PHASES: its runs, then its figure. */
#define RUN_PHASE(fn, metric, per, unit)                                                           \
    {                                                                                              \
        struct span runs[NB_MAX_RUNS];                                                             \
        for (unsigned i = 0; i < P.runs; i++)                                                      \
            fn(&runs[i]);                                                                          \
        report(metric, runs, P.runs, P.per, unit);                                                 \
    }

int main(void)
{
    tsc_per_ns_q32 = lb_tsc_per_ns_q32();
    iface_up();
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(NB_PORT)};
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0)
        lb_fail("listening on port 5001", errno);
    printf("nbench: listening on %u\n", NB_PORT);
    fflush(stdout);
    control();
    NB_PHASES(RUN_PHASE)
    idle_conns();
    close(lfd);
    printf("nbench: done\n");
    fflush(stdout);
    return 0;
}
