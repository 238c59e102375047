/*
 * console: the console server (docs/userspace.md, Console; decision 102). It
 * owns COM1's input and interrupt and serves the console protocol
 * (abi/protocols/console.proto) on its SERVE endpoint.
 *
 * Caps it needs (wf/startinfo.h): SERVE (the endpoint, Read), POOL (for its
 * notification and Reply objects), IOPORT (a cap over COM1, 0x3f8-0x3ff) and
 * IRQ (the IRQHandler of ISA line 4). What the kernel lets a cap do at COM1 is
 * decision 100: read RBR, IIR, LSR, MSR; write THR and IER; the kernel keeps
 * the line settings and sets OUT2 so the UART's interrupt reaches line 4.
 *
 * One thread does everything. It waits in the server loop's receive only:
 * the interrupt's notification is bound to the thread, so a receive ends with
 * a client's message or with the interrupt (wf/server.h, on_notify). On an
 * interrupt it reads every byte the UART holds into the line editor (consrv.c),
 * acknowledges the line, and reads once more: a byte that arrived between the
 * last read and the Ack raised the (edge-triggered) line while it was masked
 * and would otherwise wait for the next byte. Output is polled: wait for THR
 * empty in LSR, then fill the transmit FIFO, FIFO_BURST bytes at a time.
 */
#include <stdbool.h>
#include <stdio.h>

#include "consrv.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define COM1_FIRST 0x3f8
#define COM1_LAST  0x3fe
#define COM1_IRQ   4
enum { RBR = 0x3f8, THR = 0x3f8, IER = 0x3f9, LSR = 0x3fd };
#define LSR_DR   0x01 /* a received byte is waiting */
#define LSR_THRE 0x20 /* the transmit FIFO is empty */
#define IER_RX   0x01 /* interrupt when a byte arrives (or the FIFO times out) */
/* Bytes written per THR-empty: the 16550's FIFO holds 16; one less leaves room
 * for a byte the kernel's own output may slip in between. */
#define FIFO_BURST 15
/* LSR reads before giving up on THR empty (a UART that never drains). */
#define THRE_SPINS 100000

/* Slots of its CNode (16 and up are the program's own; musl takes the upper half). */
enum {
    SLOT_NTFN = 16,     /* the notification bound to the thread */
    SLOT_NTFN_IRQ = 17, /* its badged copy, given to the IRQHandler */
    SLOT_RECV = 18,     /* where a client's cap lands */
    SLOT_REPLY0 = 32,   /* WF_SERVER_MAX_REPLIES Reply objects */
    SLOT_INTR0 = 64,    /* CON_INTR_MAX interrupt notifications of clients */
};
#define IRQ_BIT 1 /* the interrupt's bit in the notification word */

static struct consrv con;
static struct wf_server srv;
static bool uart_ok; /* the IOPORT cap covers COM1 */

static void uart_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    while (n) {
        wf_word_t lsr = 0;
        for (unsigned spin = 0; spin < THRE_SPINS; spin++)
            if (wf_ioport_in(WF_CHILD_IOPORT, LSR, 1, &lsr) != WF_ERR_OK || (lsr & LSR_THRE))
                break;
        size_t k = n < FIFO_BURST ? n : FIFO_BURST;
        for (size_t i = 0; i < k; i++)
            wf_ioport_out(WF_CHILD_IOPORT, THR, 1, (unsigned char)s[i]);
        s += k;
        n -= k;
    }
}

/* The server's own printf: straight to the UART, "\n" as CR LF. Never through
 * the console protocol: that would be a call to itself (its NAME cap may well
 * find its own endpoint). Without a usable IOPORT cap only a debug build can
 * still say why (DEBUG_PUTC); the exit status says it in every build. */
static void own_output(const char *s, size_t n)
{
    if (!uart_ok) {
#ifdef WEFT_DEBUG
        for (size_t i = 0; i < n; i++)
            wf_debug_putc(s[i]);
#endif
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            uart_out(NULL, s + start, i - start);
            uart_out(NULL, "\r\n", 2);
            start = i + 1;
        }
    }
    uart_out(NULL, s + start, n - start);
}

/* Feeds every byte the UART holds to the editor. */
static void drain(void)
{
    wf_word_t lsr, byte;
    while (wf_ioport_in(WF_CHILD_IOPORT, LSR, 1, &lsr) == WF_ERR_OK && (lsr & LSR_DR) &&
           wf_ioport_in(WF_CHILD_IOPORT, RBR, 1, &byte) == WF_ERR_OK)
        consrv_input(&con, (unsigned char)byte);
}

static void on_notify(struct wf_server *s, wf_word_t bits)
{
    (void)s;
    (void)bits; /* IRQ_BIT is the only one; a spurious wake-up finds nothing */
    drain();
    wf_irqhandler_ack(WF_CHILD_IRQ);
    drain();
}

static const struct wf_server_proto protos[] = {WFP_CONSOLE_PROTO_ENTRY(&consrv_handlers)};

static const char usage[] =
    "usage: console (started by init with the caps SERVE, POOL, IOPORT over COM1 "
    "0x3f8-0x3ff and IRQ for ISA line 4; takes no arguments)\n";

/* Checks the caps; makes the notification and Reply objects; binds them. */
static enum wf_error setup(void)
{
    wf_word_t first, last, irq;
    if (wf_ioport_describe(WF_CHILD_IOPORT, &first, &last) != WF_ERR_OK || first > COM1_FIRST ||
        last < COM1_LAST)
        return WF_ERR_INVALID_CAPABILITY;
    uart_ok = true;
    if (wf_irqhandler_describe(WF_CHILD_IRQ, &irq, 0, 0) != WF_ERR_OK || irq != COM1_IRQ)
        return WF_ERR_INVALID_CAPABILITY;
    enum wf_error e;
    if ((e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_NOTIFICATION, 0, WF_CHILD_CNODE, SLOT_NTFN, 64)))
        return e;
    if ((e = wf_cnode_mint(WF_CHILD_CNODE, SLOT_NTFN_IRQ, 64, WF_CHILD_CNODE, SLOT_NTFN, 64,
                           WF_RIGHT_WRITE, IRQ_BIT)))
        return e;
    if ((e = wf_tcb_bind_notification(WF_CHILD_TCB, SLOT_NTFN)))
        return e;
    if ((e = wf_irqhandler_set_notification(WF_CHILD_IRQ, SLOT_NTFN_IRQ)))
        return e;
    srv = (struct wf_server){.ep = WF_CHILD_SERVE,
                             .recv_cnode = WF_CHILD_CNODE,
                             .recv_slot = SLOT_RECV,
                             .protos = protos,
                             .nprotos = 1,
                             .ctx = &con,
                             .on_notify = on_notify};
    if ((e = wf_server_init_pool(&srv, WF_CHILD_POOL, WF_CHILD_CNODE, SLOT_REPLY0,
                                 WF_SERVER_MAX_REPLIES)))
        return e;
    consrv_init(&con, uart_out, NULL, &srv, WF_CHILD_CNODE, SLOT_INTR0);
    return WF_ERR_OK;
}

int main(int argc, char **argv)
{
    (void)argv;
    wf_console_set_sink(own_output);
    if (argc > 1) {
        fputs(usage, stderr);
        return 2;
    }
    enum wf_error e = setup();
    if (e != WF_ERR_OK) {
        fprintf(stderr, "console: cannot start: %s\n%s", wf_error_name(e), usage);
        return 1;
    }
    if ((e = wf_ioport_out(WF_CHILD_IOPORT, IER, 1, IER_RX)) != WF_ERR_OK) {
        fprintf(stderr, "console: IER: %s\n", wf_error_name(e));
        return 1;
    }
    on_notify(&srv, 0); /* bytes typed before we started; unmask the line */
    e = (enum wf_error)wf_server_run(&srv);
    wf_ioport_out(WF_CHILD_IOPORT, IER, 1, 0);
    fprintf(stderr, "console: receive failed: %s\n", wf_error_name(e));
    return 1;
}
