/*
 * console: the console server (docs/userspace.md, Console; decision 102). It
 * owns the UART's input and interrupt and serves the console protocol
 * (abi/protocols/console.proto) on its SERVE endpoint.
 *
 * Caps it needs (wf/startinfo.h): SERVE (the endpoint, Read), POOL (for its
 * notification and Reply objects), IRQ (the IRQHandler of the UART's line) and
 * the UART's registers: on x86-64 an IOPORT cap over COM1 (uart_com1.c), on
 * aarch64 and riscv64 the device untyped covering the PL011 (uart_pl011.c;
 * decision 154) or the NS16550 (uart_ns16550.c; decision 143).
 *
 * One thread does everything. It waits in the server loop's receive only:
 * the interrupt's notification is bound to the thread, so a receive ends with
 * a client's message or with the interrupt (wf/server.h, on_notify). On an
 * interrupt it reads every byte the UART holds into the line editor (consrv.c),
 * acknowledges the line, and reads once more: a byte that arrived between the
 * last read and the Ack raised the line while it was masked (COM1's is
 * edge-triggered) and would otherwise wait for the next byte. Output is polled
 * (uart.h).
 */
#include <stdbool.h>
#include <stdio.h>

#include "consrv.h"
#include "uart.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

/* Slots of its CNode (16 and up are the program's own; musl takes the upper
 * half; on aarch64 init's `devmem` fills 16 .. 16 + PCIBUS_DEVMEM_MAX - 1). */
enum {
    SLOT_NTFN = 80,     /* the notification bound to the thread */
    SLOT_NTFN_IRQ = 81, /* its badged copy, given to the IRQHandler */
    SLOT_RECV = 82,     /* where a client's cap lands */
    SLOT_UART = 83,     /* the driver's own (uart_setup: the UART's device VMO) */
    SLOT_REPLY0 = 88,   /* WF_SERVER_MAX_REPLIES Reply objects */
    SLOT_INTR0 = 104,   /* CON_INTR_MAX interrupt notifications of clients */
};
_Static_assert(SLOT_REPLY0 + WF_SERVER_MAX_REPLIES <= SLOT_INTR0, "reply slots overlap");
_Static_assert(SLOT_INTR0 + CON_INTR_MAX <= 128, "console slots reach musl's half of 256");
#define IRQ_BIT 1 /* the interrupt's bit in the notification word */

static struct consrv con;
static struct wf_server srv;

static void uart_out(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    uart_write(s, n);
}

/* The server's own printf: straight to the UART, "\n" as CR LF. Never through
 * the console protocol: that would be a call to itself (its NAME cap may well
 * find its own endpoint). Without a usable UART only a debug build can still
 * say why (DEBUG_PUTC); the exit status says it in every build. */
static void own_output(const char *s, size_t n)
{
    if (!uart_ready()) {
#ifdef WEFT_DEBUG
        for (size_t i = 0; i < n; i++)
            wf_debug_putc(s[i]);
#endif
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            uart_write(s + start, i - start);
            uart_write("\r\n", 2);
            start = i + 1;
        }
    }
    uart_write(s + start, n - start);
}

/* Feeds every byte the UART holds to the editor. */
static void drain(void)
{
    unsigned char byte;
    while (uart_getc(&byte))
        consrv_input(&con, byte);
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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: console (started by init with the caps SERVE, POOL, %s; takes no "
            "arguments)\n",
            uart_caps_usage);
}

/* Checks the caps; makes the notification and Reply objects; binds them. */
static enum wf_error setup(void)
{
    enum wf_error e;
    if ((e = uart_setup(SLOT_UART)))
        return e;
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
        usage(stderr);
        return 2;
    }
    enum wf_error e = setup();
    if (e != WF_ERR_OK) {
        fprintf(stderr, "console: cannot start: %s\n", wf_error_name(e));
        usage(stderr);
        return 1;
    }
    if ((e = uart_rx_interrupt(true)) != WF_ERR_OK) {
        fprintf(stderr, "console: receive interrupt: %s\n", wf_error_name(e));
        return 1;
    }
    on_notify(&srv, 0); /* bytes typed before we started; unmask the line */
    e = (enum wf_error)wf_server_run(&srv);
    uart_rx_interrupt(false);
    fprintf(stderr, "console: receive failed: %s\n", wf_error_name(e));
    return 1;
}
