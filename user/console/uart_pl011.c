/*
 * QEMU virt's PL011 (aarch64): the console server's UART (uart.h; decision
 * 154). Its registers come through a device VMO the server makes from the
 * device untyped init gives (boot.conf's `devmem`: copies from
 * PCIBUS_SLOT_DEVMEM on; the kernel lists the UART's page among them though
 * it keeps writing its own output there, polled), its interrupt line (SPI 1)
 * as an IRQHandler at WF_CHILD_IRQ (level high). The kernel leaves the line
 * settings as the firmware (QEMU) set them and enables no interrupt of the
 * UART; the server sets the receive and receive-timeout masks only. A byte
 * read from DR clears the receive interrupt when the FIFO empties, so a drain,
 * an Ack and another drain leave the level line low or pending again.
 */
#ifdef __aarch64__

#include <stdint.h>

#include "uart.h"
#include "weft/invoke.h"
#include "wf/pci_bus.h"
#include "wf/startinfo.h"

#define PL011_PHYS 0x09000000ull /* QEMU virt's UART0 */
#define PL011_LINE 1             /* SPI 1: INTID 33 */
#define PL011_VA   0x0000400000000000ull
#define PAGE       4096u

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
    wf_word_t irq;
    if (wf_irqhandler_describe(WF_CHILD_IRQ, &irq, 0, 0) != WF_ERR_OK || irq != PL011_LINE)
        return WF_ERR_INVALID_CAPABILITY;
    for (unsigned k = 0; k < PCIBUS_DEVMEM_MAX; k++) {
        wf_word_t pa, bits, device;
        if (wf_untyped_describe(PCIBUS_SLOT_DEVMEM + k, &pa, &bits, &device, 0) != WF_ERR_OK)
            break;
        if (!device || bits >= 64 || PL011_PHYS < pa || PL011_PHYS + PAGE > pa + (1ull << bits))
            continue;
        enum wf_error e;
        if ((e = wf_pool_create_device(WF_CHILD_POOL, PCIBUS_SLOT_DEVMEM + k, WF_CHILD_CNODE, slot,
                                       64)))
            return e;
        if ((e = wf_vspace_map(WF_CHILD_VSPACE, slot, PL011_VA, PL011_PHYS - pa, PAGE,
                               WF_VM_READ | WF_VM_WRITE)))
            return e;
        regs = (volatile uint32_t *)(uintptr_t)PL011_VA;
        return WF_ERR_OK;
    }
    return WF_ERR_INVALID_CAPABILITY;
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
