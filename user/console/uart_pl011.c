/*
 * QEMU virt's PL011 (aarch64): the console server's UART (uart.h; decision
 * 154). Its registers come through a device VMO the server makes from the
 * device untyped init gives (uart_devmem.c: the kernel lists the UART's page
 * among them though it keeps writing its own output there, polled), its
 * interrupt line (SPI 1) as an IRQHandler at WF_CHILD_IRQ (level high). The
 * kernel leaves the line settings as the firmware (QEMU) set them and enables
 * no interrupt of the UART; the server sets the receive and receive-timeout masks only. A byte
 * read from DR clears the receive interrupt when the FIFO empties, so a drain,
 * an Ack and another drain leave the level line low or pending again.
 */
#ifdef __aarch64__

#include <stdint.h>

#include "uart.h"
#include "uart_devmem.h"
#include "wf/layout.h"

#define PL011_PHYS 0x09000000ull       /* QEMU virt's UART0 */
#define PL011_LINE 1                   /* SPI 1: INTID 33 */
#define PL011_VA   (wf_layout.devices) /* wf/layout.h */

#define UART_DR   0x00
#define UART_FR   0x18
#define UART_IMSC 0x38
#define UART_ICR  0x44
#define FR_RXFE   (1u << 4) /* the receive FIFO is empty */
#define FR_TXFF   (1u << 5) /* the transmit FIFO is full */
#define INT_RX    (1u << 4)
#define INT_RT    (1u << 6)
/* FR reads before giving up on room in the transmit FIFO (a UART that never drains). */
#define TXFF_SPINS 100000

const char uart_caps_usage[] = "devmem (the device untyped covering the PL011 at 0x9000000) "
                               "and IRQ for SPI 1";

static volatile uint32_t *regs;

static uint32_t rd(unsigned off)
{
    return regs[off / 4];
}

static void wr(unsigned off, uint32_t v)
{
    regs[off / 4] = v;
}

enum wf_error uart_setup(wf_cptr_t slot)
{
    enum wf_error e = uart_devmem_map(slot, PL011_PHYS, PL011_LINE, PL011_VA);
    if (e == WF_ERR_OK)
        regs = (volatile uint32_t *)(uintptr_t)PL011_VA;
    return e;
}

bool uart_ready(void)
{
    return regs != 0;
}

void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (unsigned spin = 0; (rd(UART_FR) & FR_TXFF) && spin < TXFF_SPINS; spin++)
            ;
        wr(UART_DR, (unsigned char)s[i]);
    }
}

bool uart_getc(unsigned char *byte)
{
    if (rd(UART_FR) & FR_RXFE)
        return false;
    *byte = (unsigned char)rd(UART_DR);
    return true;
}

enum wf_error uart_rx_interrupt(bool on)
{
    wr(UART_ICR, INT_RX | INT_RT);
    wr(UART_IMSC, on ? INT_RX | INT_RT : 0);
    return WF_ERR_OK;
}

#endif
