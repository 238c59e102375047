/*
 * The console server's UART driver interface (user/console/main.c drives the
 * server, one of these files the hardware): uart_com1.c, the 16550 at COM1
 * through an IOPort cap (x86-64); uart_pl011.c, QEMU virt's PL011 (aarch64;
 * decision 154), and uart_ns16550.c, QEMU virt's NS16550 (riscv64; decision
 * 143), each through a device VMO made from the device untyped init gives
 * (uart_devmem.c). Each UART file builds on its architecture only; the line
 * editing and the clients (consrv.c) are the same on all.
 */
#ifndef CONSOLE_UART_H
#define CONSOLE_UART_H

#include <stdbool.h>
#include <stddef.h>

#include "weft/errors.h"
#include "weft/types.h"

/* How init starts the console on this architecture (the usage line's tail). */
extern const char uart_caps_usage[];

/* Checks the caps init gave (WF_CHILD_IRQ for the UART's line, and the
 * registers' cap), makes what the driver needs (slot: a free slot of its
 * CNode) and maps the registers. INVALID_CAPABILITY when a cap is missing or
 * wrong. */
enum wf_error uart_setup(wf_cptr_t slot);

/* True once uart_setup has reached the registers (uart_write works). */
bool uart_ready(void);

/* Writes n raw bytes, polled. */
void uart_write(const char *s, size_t n);

/* The next received byte, if the UART holds one. */
bool uart_getc(unsigned char *byte);

/* Turns the receive interrupt on or off. */
enum wf_error uart_rx_interrupt(bool on);

#endif
