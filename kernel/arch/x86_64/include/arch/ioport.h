/*
 * x86 I/O port access for IOPort caps (kernel/obj/ioport.c), and the ports the
 * kernel keeps for itself.
 */
#ifndef WEFT_ARCH_IOPORT_H
#define WEFT_ARCH_IOPORT_H

#include "types.h"

/* Reads width (1, 2 or 4) bytes at port, zero-extended. */
static inline uint32_t arch_port_in(uint16_t port, unsigned width)
{
    uint32_t v = 0;
    if (width == 1) {
        uint8_t b;
        __asm__ volatile("inb %1, %0" : "=a"(b) : "Nd"(port));
        v = b;
    } else if (width == 2) {
        uint16_t w;
        __asm__ volatile("inw %1, %0" : "=a"(w) : "Nd"(port));
        v = w;
    } else {
        __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    }
    return v;
}

/* Writes the low width (1, 2 or 4) bytes of v to port. */
static inline void arch_port_out(uint16_t port, unsigned width, uint32_t v)
{
    if (width == 1)
        __asm__ volatile("outb %0, %1" : : "a"((uint8_t)v), "Nd"(port));
    else if (width == 2)
        __asm__ volatile("outw %0, %1" : : "a"((uint16_t)v), "Nd"(port));
    else
        __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* True when an In (out false) or Out (out true) of width (1, 2 or 4) bytes at
 * port must be refused because it touches a port the kernel drives itself: the
 * 8259 PICs (0x20-0x21, 0xa0-0xa1), the PIT (0x40-0x43) and port 0x61 (PIT
 * channel 2 gate, used to calibrate the local APIC timer), the QEMU debug-exit
 * device (0x501-0x502), and COM1 (0x3f8-0x3ff) except a single-byte In on its
 * RBR, IIR, LSR or MSR and a single-byte Out on its THR or IER (the kernel's
 * console keeps the rest; decision 100). kernel/arch/x86_64/ioport.c. */
bool arch_port_refused(unsigned port, unsigned width, bool out);

#endif
