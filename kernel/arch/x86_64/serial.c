/*
 * The 16550 UART at COM1 (I/O port 0x3f8): the boot console and, for now, the
 * only console. 115200 8N1, FIFOs on, polled transmit; no interrupts.
 */
#include "arch.h"
#include "arch/x86.h"
#include "kprintf.h"

#define COM1 0x3f8
enum { UART_DATA = 0, UART_IER = 1, UART_FCR = 2, UART_LCR = 3, UART_MCR = 4, UART_LSR = 5 };
#define LSR_THRE 0x20

void arch_console_init(void)
{
    outb(COM1 + UART_IER, 0x00);
    outb(COM1 + UART_LCR, 0x80); /* DLAB: divisor follows */
    outb(COM1 + UART_DATA, 1);   /* 115200 baud */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, 0x03); /* 8N1 */
    outb(COM1 + UART_FCR, 0xc7); /* FIFO on, cleared, 14-byte threshold */
    outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

void arch_console_putc(char c)
{
    for (unsigned spin = 0; !(inb(COM1 + UART_LSR) & LSR_THRE) && spin < 100000; spin++)
        cpu_relax();
    outb(COM1 + UART_DATA, (uint8_t)c);
}

void console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n')
            arch_console_putc('\r');
        arch_console_putc(s[i]);
    }
}
