/*
 * I/O ports on riscv64: there are none (devices are memory-mapped). The
 * generic IOPort object still exists and the root task gets its cap, but
 * every In and Out through it is refused (arch_port_refused), so the
 * accessors below are never reached.
 */
#ifndef WEFT_ARCH_IOPORT_H
#define WEFT_ARCH_IOPORT_H

#include "types.h"

static inline uint32_t arch_port_in(uint16_t port, unsigned width)
{
    (void)port, (void)width;
    return ~0u;
}

static inline void arch_port_out(uint16_t port, unsigned width, uint32_t v)
{
    (void)port, (void)width, (void)v;
}

/* Every port access is refused: the architecture has no port space. */
static inline bool arch_port_refused(unsigned port, unsigned width, bool out)
{
    (void)port, (void)width, (void)out;
    return true;
}

#endif
