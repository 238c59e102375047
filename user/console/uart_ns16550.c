/*
 * QEMU virt's NS16550 (riscv64): the console server's UART (uart.h; decision
 * 143). Its registers come through a device VMO the server makes from the
 * device untyped init gives (uart_devmem.c: the kernel lists the UART's page
 * among them though it keeps writing its own output there, polled), its
 * interrupt line (PLIC source 10: line 9) as an IRQHandler at WF_CHILD_IRQ
 * (level high). The kernel leaves the line settings as the firmware set them
 * and enables no interrupt of the UART; the server enables the received-data
 * interrupt only (IER), reads RBR while LSR says a byte is there, which lowers
 * the line, acknowledges, and reads again.
 */
#ifdef __riscv

#include <stdint.h>

#include "uart.h"
#include "uart_devmem.h"
#include "wf/layout.h"

#define NS16550_PHYS 0x10000000ull       /* QEMU virt's UART0, reg-shift 0 */
#define NS16550_LINE 9                   /* PLIC source 10 */
#define NS16550_VA   (wf_layout.devices) /* wf/layout.h */

enum { RBR = 0, THR = 0, IER = 1, LSR = 5 };
#define LSR_DR   0x01 /* a received byte is waiting */
#define LSR_THRE 0x20 /* the transmit holding register is empty */
#define IER_RX   0x01 /* interrupt while a received byte waits */
/* LSR reads before giving up on THR empty (a UART that never drains). */
#define THRE_SPINS 100000

const char uart_caps_usage[] = "devmem (the device untyped covering the NS16550 at 0x10000000) "
                               "and IRQ for PLIC source 10 (line 9)";

static volatile uint8_t *regs;

enum wf_error uart_setup(wf_cptr_t slot)
{
    enum wf_error e = uart_devmem_map(slot, NS16550_PHYS, NS16550_LINE, NS16550_VA);
    if (e == WF_ERR_OK)
        regs = (volatile uint8_t *)(uintptr_t)NS16550_VA;
    return e;
}

bool uart_ready(void)
{
    return regs != 0;
}

void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (unsigned spin = 0; !(regs[LSR] & LSR_THRE) && spin < THRE_SPINS; spin++)
            ;
        regs[THR] = (uint8_t)s[i];
    }
}

bool uart_getc(unsigned char *byte)
{
    if (!(regs[LSR] & LSR_DR))
        return false;
    *byte = regs[RBR];
    return true;
}

enum wf_error uart_rx_interrupt(bool on)
{
    regs[IER] = on ? IER_RX : 0;
    return WF_ERR_OK;
}

#endif
