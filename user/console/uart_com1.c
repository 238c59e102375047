/*
 * The 16550 at COM1 (x86-64): the console server's UART (uart.h). What the
 * kernel lets a cap do at COM1 is decision 100: read RBR, IIR, LSR, MSR; write
 * THR and IER; the kernel keeps the line settings and sets OUT2 so the UART's
 * interrupt reaches ISA line 4 (edge-triggered). Output is polled: wait for
 * THR empty in LSR, then fill the transmit FIFO, FIFO_BURST bytes at a time.
 */
#ifdef __x86_64__

#include "uart.h"
#include "weft/invoke.h"
#include "wf/startinfo.h"

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

const char uart_caps_usage[] = "IOPORT over COM1 0x3f8-0x3ff and IRQ for ISA line 4";

static bool ok; /* the IOPORT cap covers COM1 */

enum wf_error uart_setup(wf_cptr_t slot)
{
    (void)slot;
    wf_word_t first, last, irq;
    if (wf_ioport_describe(WF_CHILD_IOPORT, &first, &last) != WF_ERR_OK || first > COM1_FIRST ||
        last < COM1_LAST)
        return WF_ERR_INVALID_CAPABILITY;
    ok = true;
    if (wf_irqhandler_describe(WF_CHILD_IRQ, &irq, 0, 0) != WF_ERR_OK || irq != COM1_IRQ)
        return WF_ERR_INVALID_CAPABILITY;
    return WF_ERR_OK;
}

bool uart_ready(void)
{
    return ok;
}

void uart_write(const char *s, size_t n)
{
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

bool uart_getc(unsigned char *byte)
{
    wf_word_t lsr, b;
    if (wf_ioport_in(WF_CHILD_IOPORT, LSR, 1, &lsr) != WF_ERR_OK || !(lsr & LSR_DR) ||
        wf_ioport_in(WF_CHILD_IOPORT, RBR, 1, &b) != WF_ERR_OK)
        return false;
    *byte = (unsigned char)b;
    return true;
}

enum wf_error uart_rx_interrupt(bool on)
{
    return wf_ioport_out(WF_CHILD_IOPORT, IER, 1, on ? IER_RX : 0);
}

#endif
