/* Host stand-in for arch/cpu.h. */
#ifndef WEFT_ARCH_CPU_H
#define WEFT_ARCH_CPU_H

static inline void cpu_relax(void) {}

#endif
