/*
 * The socket client library (user/lib/weft/sock.c) against a model of the
 * network server's socket protocol in a test double of the syscall
 * instruction: the model takes at most TAKE bytes a Send and says EAGAIN every
 * other call, hands out bytes a few at a time, and counts the waits.
 */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "weft/syscalls.h"
#include "wf/runtime.h"
#include "wf/sock.h"

#define TAKE 700u
#define EP   40u
#define NOTE 41u
#define SOCK 50u

static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));
static uint8_t vmo[8192]; /* the client's buffer, as the server sees it */

static struct {
    uint8_t sent[1 << 17];
    size_t nsent;
    const uint8_t *incoming;
    size_t nin, taken;
    unsigned calls, waits, sends, polls;
    bool writable, readable;
    wf_word_t connect_status, so_error;
    unsigned fail_after; /* calls answered; then INVALID_CAPABILITY (0: never) */
} M;

static wf_word_t reply(struct wf_msgregs *m, unsigned n, wf_word_t w0, wf_word_t w1)
{
    m->info = wf_msginfo(WF_ERR_OK, 0, n);
    m->w[0] = w0;
    m->w[1] = w1;
    return WF_ERR_OK;
}

wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t r, struct wf_msgregs *m)
{
    (void)r;
    M.calls++;
    if (nr == WF_SYS_WAIT) {
        M.waits++;
        M.writable = M.readable = true; /* the server signalled: now ready */
        m->badge = WF_NET_BIT_SERVER;
        return WF_ERR_OK;
    }
    if (nr == WF_SYS_CLOCK || nr == WF_SYS_YIELD) {
        m->w[0] = 0;
        return WF_ERR_OK;
    }
    cr_assert_eq(nr, WF_SYS_CALL);
    if (M.fail_after && M.calls > M.fail_after)
        return WF_ERR_INVALID_CAPABILITY;
    wf_word_t label = wf_msginfo_label(m->info);
    switch (label) {
    case WFP_SOCK_SET_BUFFER:
        return reply(m, 2, 0, sizeof(vmo));
    case WFP_SOCK_SET_NOTIFY:
        return reply(m, 1, 0, 0);
    case WFP_SOCK_POLL:
        M.polls++;
        m->info = wf_msginfo(WF_ERR_OK, 0, 4);
        m->w[0] = 0;
        m->w[1] = M.readable ? 1ull << 3 : 0;
        m->w[2] = M.writable ? 1ull << 3 : 0;
        m->w[3] = 0;
        return WF_ERR_OK;
    case WFP_SOCK_SEND: {
        cr_assert_eq(cap, SOCK);
        wf_word_t off = m->w[0], len = m->w[1];
        cr_assert_leq(off + len, sizeof(vmo));
        M.sends++;
        if (!M.writable)
            return reply(m, 2, WFP_SOCK_EAGAIN, 0);
        wf_word_t k = len < TAKE ? len : TAKE;
        memcpy(M.sent + M.nsent, vmo + off, k);
        M.nsent += k;
        M.writable = false; /* room again after the next signal */
        return reply(m, 2, 0, k);
    }
    case WFP_SOCK_RECV: {
        wf_word_t off = m->w[0], max = m->w[1];
        cr_assert_leq(off + max, sizeof(vmo));
        if (M.taken == M.nin)
            return reply(m, 2, 0, 0); /* end of stream */
        if (!M.readable)
            return reply(m, 2, WFP_SOCK_EAGAIN, 0);
        wf_word_t k = M.nin - M.taken < 13 ? M.nin - M.taken : 13;
        if (k > max)
            k = max;
        memcpy(vmo + off, M.incoming + M.taken, k);
        M.taken += k;
        M.readable = false;
        return reply(m, 2, 0, k);
    }
    case WFP_SOCK_CONNECT:
        return reply(m, 1, M.connect_status, 0);
    case WFP_SOCK_GET_OPT:
        cr_assert_eq(m->w[0], WFP_SOCK_SO_ERROR);
        return reply(m, 2, 0, M.so_error);
    default:
        cr_assert_fail("unexpected label %#lx", (unsigned long)label);
        return WF_ERR_ILLEGAL_OPERATION;
    }
}

static struct wf_net net;
static struct wf_sock sock = {SOCK, 3};
static uint8_t mapped[sizeof(vmo)];

static void setup(void)
{
    memset(&M, 0, sizeof(M));
    memset(&ipcbuf, 0, sizeof(ipcbuf));
    wf_set_ipc_buffer(&ipcbuf);
    cr_assert_eq(wf_net_setup(&net, EP, 60, mapped, sizeof(mapped), NOTE, 61, 0), 0);
}

/* The model reads the client's buffer where the client wrote it. */
static void share(void)
{
    net.buf = vmo;
}

TestSuite(usock, .init = setup);

Test(usock, send_delivers_every_byte_in_order_through_partial_sends_and_waits)
{
    share();
    static uint8_t data[100000];
    srand(7);
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)rand();
    long n = wf_net_send(&net, &sock, data, sizeof(data), 0);
    cr_assert_eq(n, (long)sizeof(data));
    cr_assert_eq(M.nsent, sizeof(data));
    cr_assert_eq(memcmp(M.sent, data, sizeof(data)), 0);
    /* Each Send takes at most TAKE bytes, then the socket is full until a signal. */
    cr_assert_geq(M.waits, sizeof(data) / TAKE);
    cr_assert_geq(M.sends, 2 * (sizeof(data) / TAKE));
}

Test(usock, recv_waits_for_bytes_then_reports_the_end_of_the_stream)
{
    share();
    static const char text[] = "a reply that comes thirteen bytes at a time";
    M.incoming = (const uint8_t *)text;
    M.nin = sizeof(text) - 1;
    char got[128];
    size_t have = 0;
    long n;
    while ((n = wf_net_recv(&net, &sock, got + have, sizeof(got) - have, 0)) > 0)
        have += (size_t)n;
    cr_assert_eq(n, 0);
    cr_assert_eq(have, sizeof(text) - 1);
    cr_assert_eq(memcmp(got, text, have), 0);
    cr_assert_geq(M.waits, 3);
}

Test(usock, connect_in_progress_then_refused_is_econnrefused)
{
    M.connect_status = WFP_SOCK_EINPROGRESS;
    M.so_error = WFP_SOCK_ECONNREFUSED;
    cr_assert_eq(wf_net_connect(&net, &sock, 0x7f000001, 9, 0), -WFP_SOCK_ECONNREFUSED);
    M.so_error = 0;
    cr_assert_eq(wf_net_connect(&net, &sock, 0x7f000001, 9, 0), 0);
    M.connect_status = WFP_SOCK_EISCONN;
    cr_assert_eq(wf_net_connect(&net, &sock, 0x7f000001, 9, 0), -WFP_SOCK_EISCONN);
}

Test(usock, a_failed_call_is_eio)
{
    share();
    M.fail_after = M.calls;
    uint8_t b[10] = {0};
    cr_assert_eq(wf_net_send(&net, &sock, b, sizeof(b), 0), -WF_NET_EIO);
    cr_assert_eq(wf_net_recv(&net, &sock, b, sizeof(b), 0), -WF_NET_EIO);
}

Test(usock, addresses_parse_and_format_as_inet_pton_and_ntop)
{
    srand(3);
    for (int i = 0; i < 20000; i++) {
        uint32_t a = (uint32_t)rand() ^ (uint32_t)rand() << 16;
        if (i < 4)
            a = i == 0 ? 0 : i == 1 ? 0xffffffffu : i == 2 ? 0x7f000001 : 0x0a00020f;
        char mine[16], ref[INET_ADDRSTRLEN];
        struct in_addr in = {htonl(a)};
        cr_assert_not_null(inet_ntop(AF_INET, &in, ref, sizeof(ref)));
        cr_assert_str_eq(wf_net_format_ip(a, mine), ref);
        uint32_t back = 0;
        cr_assert(wf_net_parse_ip(ref, &back));
        cr_assert_eq(back, a);
    }
    static const char *bad[] = {"",        "1.2.3",    "1.2.3.4.5",   "256.1.1.1", "1..2.3",
                                "a.b.c.d", "1.2.3.4 ", "01234.1.1.1", "1.2.3.-4",  "localhost"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint32_t x = 0;
        cr_assert(!wf_net_parse_ip(bad[i], &x), "%s parsed", bad[i]);
    }
}
