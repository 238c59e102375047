/*
 * The console server's memory-mapped UARTs (uart_pl011.c, uart_ns16550.c):
 * their register page through a device VMO, made from the device untyped init
 * gives (uart_devmem.c).
 */
#ifndef CONSOLE_UART_DEVMEM_H
#define CONSOLE_UART_DEVMEM_H

#include <stdint.h>

#include "weft/errors.h"
#include "weft/types.h"

/* Checks that WF_CHILD_IRQ is the IRQHandler of line, finds the device
 * untyped that covers the page at phys, makes a device VMO of it in slot and
 * maps the page at va, read-write. INVALID_CAPABILITY when the line's cap or
 * a covering untyped is missing; the kernel's error otherwise. */
enum wf_error uart_devmem_map(wf_cptr_t slot, uint64_t phys, unsigned line, uint64_t va);

#endif
