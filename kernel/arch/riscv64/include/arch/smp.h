/*
 * Several harts on riscv64 (decision 157; kernel/arch/riscv64/smp.c).
 * Private to the architecture.
 */
#ifndef WEFT_ARCH_RISCV64_SMP_H
#define WEFT_ARCH_RISCV64_SMP_H

#include "types.h"

/* The SBI IPI extension ("sPI") and its call. */
#define SBI_EXT_IPI   0x735049
#define SBI_HSM_START 0
#define SIP_SSIP      (UL(1) << 1)

/* The hart whose registers hold ctx's FP state (~0u: none; fpu.c). */
struct arch_context;
unsigned riscv_fpu_live_on(const struct arch_context *ctx);

/* An interrupt taken from U-mode or replayed (the lock held): handled;
 * true when it was this hart's timer tick. */
bool riscv_user_irq(uint64_t cause);

/* The per-hart part of arch_cpu_init (cpu.c): trap vector, sscratch,
 * counters closed to U-mode, FP Off (fpu.c). */
void riscv_cpu_setup(void);

/* This hart's timer at the boot hart's rate (timer.c). */
void timer_cpu_init(void);

#endif
