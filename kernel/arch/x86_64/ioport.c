/*
 * The I/O ports the kernel keeps for itself, and what IOPort caps may do on COM1
 * (arch/ioport.h; docs/decisions/100-com1-shared-with-a-console-driver.md).
 *
 * Pure policy, no port is touched here: the host tests and the invocation fuzzer
 * link this file as it is.
 *
 * COM1 is shared. The kernel keeps its configuration (divisor, LCR, MCR, FCR:
 * with LCR out of reach, DLAB stays clear, so offsets 0 and 1 always mean the
 * data registers and IER) and its polled output; a console driver gets the
 * receive side and the interrupt: single-byte In on RBR, IIR, LSR and MSR, Out
 * on THR and IER. Any other COM1 access, or a wider one, is refused.
 */
#include "arch/ioport.h"

#include "arch/uart.h"

/* The ports the kernel drives and no cap may touch. */
static const uint16_t kept[][2] = {
    {0x20, 0x21},   /* master PIC */
    {0x40, 0x43},   /* PIT */
    {0x61, 0x61},   /* PIT channel 2 gate (timer calibration) */
    {0xa0, 0xa1},   /* slave PIC */
    {0x501, 0x502}, /* QEMU isa-debug-exit */
};

/* The COM1 registers a cap may read, and those it may write (bit = offset). */
#define COM1_IN  (1u << UART_RBR | 1u << UART_IIR | 1u << UART_LSR | 1u << UART_MSR)
#define COM1_OUT (1u << UART_THR | 1u << UART_IER)

bool arch_port_refused(unsigned port, unsigned width, bool out)
{
    unsigned last = port + width - 1;
    for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        if (port <= kept[i][1] && last >= kept[i][0])
            return true;
    if (port > COM1 + UART_PORTS - 1 || last < COM1)
        return false;
    if (width != 1)
        return true;
    return !((out ? COM1_OUT : COM1_IN) >> (port - COM1) & 1);
}
