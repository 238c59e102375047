/*
 * AF_INET sockets on the loopback interface: a TCP server and its client
 * across fork (an echo, 200000 bytes with flow control, end of stream,
 * select and epoll readiness), a nonblocking connect (accepted and refused),
 * UDP datagrams (sendto/recvfrom, connect/send, sendmsg/recvmsg, a cut
 * datagram, a blocking receive of another process's datagram), sendfile
 * into a socket, socket options and names, and the errors Linux gives (bad
 * pointers among them). Ports are the system's to choose: only whether they
 * are set and agree is printed.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define BULK 200000

static void check(const char *what, long r)
{
    printf("%s: %ld", what, r < 0 ? -1L : r);
    if (r < 0)
        printf(" errno %d", errno);
    printf("\n");
    fflush(stdout);
}

/* The Linux guest's init leaves lo down: bring it up (lx's network server
 * has its loopback up; the ioctl's answer there is not looked at). */
static void lo_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    close(s);
}

static struct sockaddr_in loopback(unsigned port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static unsigned port_of(int s)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    if (getsockname(s, (struct sockaddr *)&a, &len) < 0)
        return 0;
    return ntohs(a.sin_port);
}

static int listener(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = loopback(0);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    listen(s, 4);
    return s;
}

static long read_all(int s, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(s, buf + got, n - got, 0);
        if (r <= 0)
            return r < 0 ? r : (long)got;
        got += (size_t)r;
    }
    return (long)got;
}

static long write_all(int s, const char *buf, size_t n)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = send(s, buf + done, n - done, MSG_NOSIGNAL);
        if (r < 0)
            return r;
        done += (size_t)r;
    }
    return (long)done;
}

static char big[BULK];

static void tcp(void)
{
    int l = listener();
    unsigned port = port_of(l);
    printf("listening port set %d\n", port != 0);
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    getsockname(l, (struct sockaddr *)&me, &len);
    printf("bound to 127.0.0.1 %d, len %u\n", me.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
           (unsigned)len);
    int v = 0;
    len = sizeof(v);
    check("SO_ACCEPTCONN", getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) < 0 ? -1 : v);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        int c = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = loopback(port);
        if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
            _exit(10);
        int one = 1;
        if (setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
            _exit(11);
        if (write_all(c, "hello", 5) != 5)
            _exit(12);
        char r[6] = {0};
        if (read_all(c, r, 5) != 5 || strcmp(r, "HELLO"))
            _exit(13);
        for (int i = 0; i < BULK; i++)
            big[i] = (char)(i * 7 + i / 251);
        if (write_all(c, big, BULK) != BULK)
            _exit(14);
        shutdown(c, SHUT_WR);
        if (read_all(c, r, 1) != 0) /* the server's end of stream */
            _exit(15);
        close(c);
        _exit(0);
    }
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(l, &rs);
    struct timeval tv = {5, 0};
    check("select listener", select(l + 1, &rs, NULL, NULL, &tv));
    struct sockaddr_in peer;
    len = sizeof(peer);
    int s = accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    check("accept", s < 0 ? -1 : 0);
    printf("peer 127.0.0.1 %d, port set %d, len %u\n",
           peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), peer.sin_port != 0, (unsigned)len);
    struct sockaddr_in gp;
    len = sizeof(gp);
    check("getpeername", getpeername(s, (struct sockaddr *)&gp, &len));
    printf("same peer %d\n",
           gp.sin_port == peer.sin_port && gp.sin_addr.s_addr == peer.sin_addr.s_addr);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    int n = epoll_wait(ep, &out, 1, 5000);
    printf("epoll: %d, data %llu, in %d\n", n, (unsigned long long)out.data.u64,
           (out.events & EPOLLIN) != 0);
    close(ep);
    char b[6] = {0};
    check("read hello", read_all(s, b, 5));
    printf("got %s\n", b);
    check("write", write(s, "HELLO", 5));
    memset(big, 0, sizeof(big));
    check("bulk", read_all(s, big, BULK));
    int bad = -1;
    for (int i = 0; i < BULK && bad < 0; i++)
        if (big[i] != (char)(i * 7 + i / 251))
            bad = i;
    printf("bulk intact %d\n", bad < 0);
    check("end of stream", recv(s, b, 1, 0));
    struct pollfd pf = {s, POLLIN, 0};
    check("poll at end", poll(&pf, 1, 0));
    printf("revents in %d\n", (pf.revents & POLLIN) != 0);
    shutdown(s, SHUT_RDWR);
    close(s);
    int status;
    waitpid(pid, &status, 0);
    printf("client exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);

    /* nonblocking: nothing to accept; a connect under way, then done */
    fcntl(l, F_SETFL, O_NONBLOCK);
    check("accept nothing", accept(l, NULL, NULL));
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = loopback(port);
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    printf("nonblocking connect started %d\n", r == 0 || errno == EINPROGRESS);
    pf = (struct pollfd){c, POLLOUT, 0};
    check("poll connect", poll(&pf, 1, 5000));
    printf("revents out %d err %d\n", (pf.revents & POLLOUT) != 0, (pf.revents & POLLERR) != 0);
    v = -1;
    len = sizeof(v);
    check("SO_ERROR", getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len) < 0 ? -1 : v);
    int a2 = -1;
    for (int i = 0; i < 100 && a2 < 0; i++) {
        a2 = accept(l, NULL, NULL);
        if (a2 < 0)
            usleep(10000);
    }
    check("accepted it", a2 < 0 ? -1 : 0);
    check("recv nothing", recv(a2, b, 1, MSG_DONTWAIT));
    check("recv dontwait", recv(c, b, 1, MSG_DONTWAIT));
    check("send", send(c, "z", 1, 0));
    fcntl(a2, F_SETFL, 0);
    check("blocking recv", recv(a2, b, 1, 0));
    int file = open("/data/hello.txt", O_RDONLY);
    off_t at = 5;
    long sf = sendfile(c, file, &at, 100);
    check("sendfile", sf);
    close(file);
    char text[64] = {0};
    check("read sent file", sf > 0 ? read_all(a2, text, (size_t)sf) : -1);
    printf("%s", text);
    close(a2);
    close(c);

    /* errors */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    a = loopback(port);
    check("bind in use", bind(t, (struct sockaddr *)&a, sizeof(a)));
    check("bind short", bind(t, (struct sockaddr *)&a, 8));
    struct sockaddr_in un = a;
    un.sin_family = AF_UNIX;
    check("bind family", bind(t, (struct sockaddr *)&un, sizeof(un)));
    check("recv unconnected", recv(t, b, 1, 0));
    check("getpeername unconnected", getpeername(t, (struct sockaddr *)&gp, &len));
    check("shutdown unconnected", shutdown(t, SHUT_WR));
    check("accept unlistening", accept(t, NULL, NULL));
    v = 0;
    len = sizeof(v);
    check("SO_TYPE", getsockopt(t, SOL_SOCKET, SO_TYPE, &v, &len) < 0 ? -1 : v);
    check("unknown option", setsockopt(t, SOL_SOCKET, 12345, &v, sizeof(v)));
    check("short option", setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
    check("bind bad pointer", bind(t, (struct sockaddr *)8, sizeof(a)));
    check("getsockname bad length", getsockname(t, (struct sockaddr *)&gp, (socklen_t *)8));
    check("setsockopt bad pointer", setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, (void *)8, 4));
    check("recvmsg bad header", syscall(SYS_recvmsg, t, 8L, MSG_DONTWAIT)); /* musl copies it */
    close(l);
    close(t);
    /* the port is free now: connecting is refused, blocking or not */
    t = socket(AF_INET, SOCK_STREAM, 0);
    check("connect refused", connect(t, (struct sockaddr *)&a, sizeof(a)));
    close(t);
    t = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    r = connect(t, (struct sockaddr *)&a, sizeof(a));
    int e = errno;
    if (r < 0 && e == EINPROGRESS) {
        pf = (struct pollfd){t, POLLOUT, 0};
        poll(&pf, 1, 5000);
        printf("refused revents err %d\n", (pf.revents & POLLERR) != 0);
        len = sizeof(v);
        getsockopt(t, SOL_SOCKET, SO_ERROR, &v, &len);
        e = v;
    } else {
        printf("refused revents err 1\n");
    }
    printf("nonblocking refused %d\n", e == ECONNREFUSED);
    close(t);
    int pp[2];
    pipe(pp);
    check("bind pipe", bind(pp[0], (struct sockaddr *)&a, sizeof(a)));
    check("getsockopt pipe", getsockopt(pp[0], SOL_SOCKET, SO_TYPE, &v, &len));
    close(pp[0]);
    close(pp[1]);
    check("socket bad protocol", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    check("socket bad flags", socket(AF_INET, SOCK_STREAM | 0x100, 0));
}

static void udp(void)
{
    int x = socket(AF_INET, SOCK_DGRAM, 0), y = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = loopback(0);
    check("bind x", bind(x, (struct sockaddr *)&a, sizeof(a)));
    check("bind y", bind(y, (struct sockaddr *)&a, sizeof(a)));
    unsigned px = port_of(x), py = port_of(y);
    printf("ports set %d\n", px && py && px != py);
    char b[64];
    check("recv empty", recv(y, b, sizeof(b), 0));
    check("listen udp", listen(x, 1));
    struct sockaddr_in bad_to = loopback(py);
    check("sendto bad buffer",
          sendto(x, (void *)8, 4, 0, (struct sockaddr *)&bad_to, sizeof(bad_to)));
    struct sockaddr_in to = loopback(py), from;
    check("sendto", sendto(x, "ping", 4, 0, (struct sockaddr *)&to, sizeof(to)));
    socklen_t len = sizeof(from);
    struct pollfd pf = {y, POLLIN, 0};
    check("poll udp", poll(&pf, 1, 5000));
    long n = recvfrom(y, b, sizeof(b), 0, (struct sockaddr *)&from, &len);
    check("recvfrom", n);
    printf("data %.*s from x %d, len %u\n", (int)(n > 0 ? n : 0), b,
           ntohs(from.sin_port) == px && from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
           (unsigned)len);
    struct sockaddr_in tx = loopback(px);
    check("connect y", connect(y, (struct sockaddr *)&tx, sizeof(tx)));
    check("send", send(y, "0123456789", 10, 0));
    n = recv(x, b, 4, 0);
    check("cut datagram", n);
    printf("data %.*s\n", (int)(n > 0 ? n : 0), b);
    check("rest lost", recv(x, b, sizeof(b), MSG_DONTWAIT));
    struct iovec iov[2] = {{"sca", 3}, {"tter", 4}};
    struct msghdr m = {.msg_name = &tx, .msg_namelen = sizeof(tx), .msg_iov = iov, .msg_iovlen = 2};
    check("sendmsg", sendmsg(y, &m, 0));
    char p1[4] = {0}, p2[16] = {0};
    struct iovec riov[2] = {{p1, 3}, {p2, sizeof(p2) - 1}};
    memset(&from, 0, sizeof(from));
    struct msghdr rm = {
        .msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = riov, .msg_iovlen = 2};
    check("recvmsg", recvmsg(x, &rm, 0));
    printf("pieces %s|%s from y %d, namelen %u, flags %d\n", p1, p2, ntohs(from.sin_port) == py,
           (unsigned)rm.msg_namelen, rm.msg_flags);
    send(y, "0123456789", 10, 0);
    struct iovec small = {p1, 3};
    rm = (struct msghdr){.msg_iov = &small, .msg_iovlen = 1};
    check("recvmsg cut", recvmsg(x, &rm, 0));
    printf("truncated %d\n", (rm.msg_flags & MSG_TRUNC) != 0);
    int v = 0;
    len = sizeof(v);
    check("SO_TYPE", getsockopt(x, SOL_SOCKET, SO_TYPE, &v, &len) < 0 ? -1 : v);

    /* another process's datagram ends a blocking receive */
    pid_t pid = fork();
    if (pid == 0) {
        usleep(30000);
        int z = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in dst = loopback(px);
        sendto(z, "from child", 10, 0, (struct sockaddr *)&dst, sizeof(dst));
        close(z);
        _exit(0);
    }
    memset(b, 0, sizeof(b));
    n = recvfrom(x, b, sizeof(b), 0, NULL, NULL);
    check("blocking recvfrom", n);
    printf("data %s\n", b);
    waitpid(pid, NULL, 0);
    close(x);
    close(y);
}

int main(void)
{
    lo_up();
    setvbuf(stdout, NULL, _IONBF, 0);
    tcp();
    udp();
    return 0;
}
