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
 * The port, the sizes and parameters, the pattern and its check, the JSON lines
 * and the phases' loops are nbench's: user/benchlib/netbench.h, which both build
 * with; this file gives it Linux's socket calls and clock.
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

#define IFACE "eth0"

static uint8_t buf[NB_BUF];
static int lfd;

/* ---- timing (as storage.c): the side's clock of netbench.h ---- */

static uint64_t tsc_per_ns_q32;

/* A run's elapsed and idle hold its start (the TSC, the kernel's idle
 * nanoseconds) until nb_clock_stop; skip adds up the paused ticks. */
static void nb_clock_start(struct nb_run *r)
{
    r->skip = 0;
    r->idle = lb_idle_ns();
    r->elapsed = lb_rdtsc();
}

static void nb_clock_pause(struct nb_run *r)
{
    r->mark = lb_rdtsc();
}

static void nb_clock_resume(struct nb_run *r)
{
    r->skip += lb_rdtsc() - r->mark;
}

static void nb_clock_stop(struct nb_run *r)
{
    uint64_t t = lb_rdtsc();
    uint64_t idle = lb_idle_ns();
    r->elapsed = t - r->elapsed;
    r->idle = lb_ns_to_ticks(idle - r->idle, tsc_per_ns_q32);
    if (r->idle + r->skip > r->elapsed)
        r->idle = r->elapsed - (r->skip < r->elapsed ? r->skip : r->elapsed);
}

static void nb_fail(const char *what, long long v)
{
    lb_fail(what, (long)v);
}

/* ---- sockets: the side's calls of netbench.h ---- */

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

static int nb_accept(unsigned i)
{
    (void)i;
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        lb_fail("accept", errno);
    return fd;
}

static long nb_recv(int fd, size_t max)
{
    for (;;) {
        ssize_t n = read(fd, buf, max);
        if (n >= 0)
            return (long)n;
        if (errno != EINTR)
            lb_fail("read", errno);
    }
}

static void nb_send(int fd, size_t len)
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

static void nb_shutdown_wr(int fd)
{
    shutdown(fd, SHUT_WR);
}

static void nb_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void nb_close(int fd)
{
    close(fd);
}

/* ---- the idle phase's memory ---- */

/* The bytes of every slab cache's objects in use (/proc/slabinfo: active_objs
 * times objsize, summed): sockets, their inodes, dentries and files; measured
 * a tenth of a second on (the last phase's sockets are gone, the new ones are
 * set up). */
static uint64_t slab_bytes(void)
{
    usleep(100000);
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

int main(void)
{
    tsc_per_ns_q32 = lb_tsc_per_ns_q32();
    nb_buf = buf;
    iface_up();
    lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(NB_PORT)};
    if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0)
        lb_fail("listening on port 5001", errno);
    printf("nbench: listening on %u\n", NB_PORT);
    fflush(stdout);
    nb_phases("linux");
    uint64_t before, with;
    nb_idle(slab_bytes, &before, &with);
    nb_report_idle("linux", before, with);
    close(lfd);
    printf("nbench: done\n");
    fflush(stdout);
    return 0;
}
