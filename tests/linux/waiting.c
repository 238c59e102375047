/*
 * Waiting on descriptors: eventfd (counter and semaphore), timerfd (a
 * blocking read, gettime, disarm), select and pselect on pipes, poll, epoll
 * (level-triggered, ONESHOT, DEL, a timerfd and an eventfd another process
 * writes), socketpair across fork (echo, EOF, EPIPE), and an AF_UNIX stream
 * server bound to a path with a client in a child; the errors of each.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void check(const char *what, long r)
{
    printf("%s: %ld", what, r < 0 ? -1L : r);
    if (r < 0)
        printf(" errno %d", errno);
    printf("\n");
}

static void eventfds(void)
{
    int e = eventfd(3, EFD_NONBLOCK);
    uint64_t v = 0;
    check("eventfd read", read(e, &v, 8));
    printf("value %llu\n", (unsigned long long)v);
    check("eventfd empty", read(e, &v, 8));
    check("eventfd short read", read(e, &v, 4));
    v = 5;
    write(e, &v, 8);
    v = 2;
    write(e, &v, 8);
    read(e, &v, 8);
    printf("sum %llu\n", (unsigned long long)v);
    v = UINT64_MAX;
    check("eventfd write max", write(e, &v, 8));
    close(e);
    e = eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK);
    read(e, &v, 8);
    printf("semaphore %llu\n", (unsigned long long)v);
    read(e, &v, 8);
    check("semaphore third", read(e, &v, 8));
    close(e);
    check("eventfd bad flags", eventfd(0, 0x10));
}

static void timers(void)
{
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 0}, {0, 20000000}}, cur;
    check("settime", timerfd_settime(t, 0, &its, NULL));
    timerfd_gettime(t, &cur);
    printf("armed %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0);
    uint64_t n = 0;
    check("blocking read", read(t, &n, 8));
    printf("expirations %llu\n", (unsigned long long)n);
    timerfd_gettime(t, &cur);
    printf("disarmed after one shot %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    close(t);
    t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    check("nonblocking read", read(t, &n, 8));
    struct itimerspec per = {{0, 5000000}, {0, 5000000}};
    timerfd_settime(t, 0, &per, NULL);
    struct pollfd pf = {t, POLLIN, 0};
    check("poll timerfd", poll(&pf, 1, 1000));
    read(t, &n, 8);
    printf("periodic >= 1: %d\n", n >= 1);
    close(t);
    check("timerfd bad clock", timerfd_create(99, 0));
}

static void selects(void)
{
    int p[2];
    pipe(p);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = {0, 0};
    check("select", select(p[1] + 1, &r, &w, NULL, &tv));
    printf("readable %d writable %d\n", FD_ISSET(p[0], &r) != 0, FD_ISSET(p[1], &w) != 0);
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timespec ts = {1, 0};
    check("pselect", pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));
    printf("readable %d\n", FD_ISSET(p[0], &r) != 0);
    FD_ZERO(&r);
    FD_SET(p[1] + 5, &r);
    check("select closed fd", select(p[1] + 6, &r, NULL, NULL, &tv));
    FD_ZERO(&r);
    char c;
    read(p[0], &c, 1);
    FD_SET(p[0], &r);
    tv.tv_usec = 30000;
    check("select timeout", select(p[0] + 1, &r, NULL, NULL, &tv));
    printf("cleared %d\n", !FD_ISSET(p[0], &r));
    close(p[0]);
    close(p[1]);
}

static void epolls(void)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    int p[2];
    pipe(p);
    int e = eventfd(0, 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    check("ctl add pipe", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    check("ctl add again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ev.data.u64 = 9;
    ev.events = EPOLLIN | EPOLLONESHOT;
    check("ctl add eventfd", epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev));
    check("ctl add itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    check("ctl mod missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    struct epoll_event out[4];
    check("wait none", epoll_wait(ep, out, 4, 0));
    pid_t pid = fork();
    if (pid == 0) {
        usleep(20000);
        uint64_t one = 1;
        write(e, &one, 8);
        _exit(0);
    }
    int n = epoll_wait(ep, out, 4, 5000);
    printf("woken: %d, data %llu\n", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
    waitpid(pid, NULL, 0);
    check("oneshot again", epoll_wait(ep, out, 4, 0));
    write(p[1], "ab", 2);
    n = epoll_wait(ep, out, 4, 0);
    printf("pipe: %d, data %llu, in %d\n", n, (unsigned long long)out[0].data.u64,
           (out[0].events & EPOLLIN) != 0);
    check("still level", epoll_wait(ep, out, 4, 0));
    check("ctl del", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    check("after del", epoll_wait(ep, out, 4, 0));
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec its = {{0, 0}, {0, 10000000}};
    timerfd_settime(t, 0, &its, NULL);
    ev.events = EPOLLIN;
    ev.data.u64 = 11;
    epoll_ctl(ep, EPOLL_CTL_ADD, t, &ev);
    n = epoll_wait(ep, out, 4, -1);
    printf("timer: %d, data %llu\n", n, (unsigned long long)out[0].data.u64);
    check("wait timeout", epoll_wait(ep, out, 4, 0) - 1);
    check("bad maxevents", epoll_wait(ep, out, 0, 0));
    check("file in epoll", epoll_ctl(ep, EPOLL_CTL_ADD, open("/data/hello.txt", 0), &ev));
    close(ep);
    close(e);
    close(t);
    close(p[0]);
    close(p[1]);
}

static void pairs(void)
{
    int sv[2];
    check("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct stat st;
    fstat(sv[0], &st);
    printf("socket: %d\n", S_ISSOCK(st.st_mode));
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char buf[32];
        ssize_t n;
        while ((n = read(sv[1], buf, sizeof(buf))) > 0) { /* echo, upper case */
            for (ssize_t i = 0; i < n; i++)
                buf[i] = (char)(buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i]);
            write(sv[1], buf, (size_t)n);
        }
        _exit(0);
    }
    close(sv[1]);
    write(sv[0], "hello", 5);
    char buf[32];
    ssize_t n = read(sv[0], buf, sizeof(buf));
    printf("echo: %.*s\n", (int)(n > 0 ? n : 0), buf);
    shutdown(sv[0], SHUT_WR);
    waitpid(pid, NULL, 0);
    check("eof after the child", read(sv[0], buf, sizeof(buf)));
    struct pollfd pf = {sv[0], POLLIN | POLLOUT, 0};
    poll(&pf, 1, 0);
    printf("hup %d\n", (pf.revents & POLLHUP) != 0);
    signal(SIGPIPE, SIG_IGN);
    check("write to a closed peer", write(sv[0], "x", 1));
    close(sv[0]);
}

static void server(void)
{
    const char *path = "/tmp/wait.sock";
    mkdir("/tmp", 01777);
    unlink(path);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strcpy(a.sun_path, path);
    check("connect to nothing", connect(socket(AF_UNIX, SOCK_STREAM, 0), (void *)&a, sizeof(a)));
    check("bind", bind(s, (void *)&a, sizeof(a)));
    int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    check("bind again", bind(s2, (void *)&a, sizeof(a)));
    check("listen", listen(s, 4));
    check("accept not listening", accept(s2, NULL, NULL));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (void *)&a, sizeof(a)) < 0)
            _exit(1);
        write(c, "ping", 4);
        char buf[8];
        ssize_t n = read(c, buf, sizeof(buf));
        printf("client got: %.*s\n", (int)(n > 0 ? n : 0), buf);
        _exit(0);
    }
    int c = accept(s, NULL, NULL);
    check("accepted", c >= 0 ? 0 : -1);
    char buf[8];
    ssize_t n = read(c, buf, sizeof(buf));
    printf("server got: %.*s\n", (int)(n > 0 ? n : 0), buf);
    write(c, "pong", 4);
    int ws;
    waitpid(pid, &ws, 0);
    printf("client status %d\n", WEXITSTATUS(ws));
    close(c);
    close(s);
    close(s2);
    unlink(path);
}

/* bad pointers: EFAULT, never a fault */
static void hostile(void)
{
    void *volatile hide = (void *)8; /* the compiler does not see it is bad */
    void *bad = hide;
    int ep = epoll_create1(0), e = eventfd(1, 0);
    check("epoll_ctl bad event", epoll_ctl(ep, EPOLL_CTL_ADD, e, bad));
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
    check("epoll_wait bad events", epoll_wait(ep, bad, 4, 0));
    check("select bad set", select(4, bad, NULL, NULL, NULL));
    check("eventfd bad buffer", write(e, bad, 8));
    check("timerfd_settime bad", timerfd_settime(timerfd_create(CLOCK_MONOTONIC, 0), 0, bad, NULL));
    check("socketpair bad", socketpair(AF_UNIX, SOCK_STREAM, 0, bad));
    check("bind bad address", bind(socket(AF_UNIX, SOCK_STREAM, 0), bad, 20));
    check("epoll on a bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 60, &ev));
    close(ep);
    close(e);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    eventfds();
    timers();
    selects();
    epolls();
    pairs();
    server();
    hostile();
    return 0;
}
