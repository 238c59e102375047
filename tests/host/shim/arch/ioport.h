/*
 * Host stand-in for arch/ioport.h: the same interface, no port touched. The
 * host has no I/O ports a test may drive (the instructions fault in a user
 * process), so In reads all ones, as a port with no device behind it does on
 * ISA, and Out goes nowhere; the IOPort decoders' checks and results can then
 * run on the host (the invocation fuzzer, tests/fuzz/fuzz_invoke.c).
 * arch_port_refused is the kernel's own (kernel/arch/x86_64/ioport.c, linked
 * into every host test).
 */
#ifndef WEFT_ARCH_IOPORT_H
#define WEFT_ARCH_IOPORT_H

#include "types.h"

/* Reads width (1, 2 or 4) bytes at port: all ones, zero-extended. */
static inline uint32_t arch_port_in(uint16_t port, unsigned width)
{
    (void)port;
    return width >= 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

/* Writes the low width bytes of v to port: nowhere. */
static inline void arch_port_out(uint16_t port, unsigned width, uint32_t v)
{
    (void)port;
    (void)width;
    (void)v;
}

/* True when an In (out false) or Out of width bytes at port is refused: the
 * kernel's policy (kernel/arch/x86_64/include/arch/ioport.h). */
bool arch_port_refused(unsigned port, unsigned width, bool out);

#endif
