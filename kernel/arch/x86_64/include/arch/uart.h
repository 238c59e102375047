/*
 * The 16550 UART at COM1: its ports and register bits, for the kernel's console
 * (serial.c) and for what IOPort caps may do on it (ioport.c, decision 100).
 * Source: the TI PC16550D datasheet (register map, IIR, LSR, MCR).
 */
#ifndef WEFT_ARCH_UART_H
#define WEFT_ARCH_UART_H

#define COM1 0x3f8

/* Register offsets from COM1 while LCR's DLAB bit is clear, as the kernel keeps
 * it after boot (with DLAB set, 0 and 1 are the divisor latch). Some offsets
 * name one register for reads and another for writes. */
enum {
    UART_RBR = 0, /* read: received byte */
    UART_THR = 0, /* write: byte to transmit */
    UART_IER = 1, /* interrupt enable */
    UART_IIR = 2, /* read: interrupt identification */
    UART_FCR = 2, /* write: FIFO control */
    UART_LCR = 3, /* line control (word length, DLAB) */
    UART_MCR = 4, /* modem control (DTR, RTS, OUT2) */
    UART_LSR = 5, /* line status */
    UART_MSR = 6, /* modem status */
    UART_SCR = 7, /* scratch */
    UART_PORTS = 8,
};

#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_MCR_DTR  0x01
#define UART_MCR_RTS  0x02
#define UART_MCR_OUT2 0x08 /* gates the UART's interrupt output onto its ISA line */

#endif
