/*
 * The 16550 UART at COM1 (I/O port 0x3f8): the boot console and, for now, the
 * only console. 115200 8N1, FIFOs on, polled transmit. The kernel never reads
 * what the UART receives and enables none of its interrupts; it sets OUT2 so
 * that an interrupt a driver enables (through an IOPort cap's Out to IER)
 * reaches ISA line 4. What such a driver may touch: arch/uart.h, ioport.c and
 * docs/decisions/100-com1-shared-with-a-console-driver.md.
 */
#include "arch.h"
#include "arch/uart.h"
#include "arch/x86.h"
#include "kprintf.h"

void arch_console_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x80); /* DLAB: divisor follows */
    outb(COM1 + 0, 1);           /* divisor latch low: 115200 baud */
    outb(COM1 + 1, 0);           /* divisor latch high */
    outb(COM1 + UART_LCR, 0x03); /* 8N1, DLAB clear from here on */
    outb(COM1 + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
}

void arch_console_putc(char c)
{
    for (unsigned spin = 0; !(inb(COM1 + UART_LSR) & UART_LSR_THRE) && spin < 100000; spin++)
        cpu_relax();
    outb(COM1 + UART_THR, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            arch_console_putc('\r');
        arch_console_putc(s[i]);
    }
}
