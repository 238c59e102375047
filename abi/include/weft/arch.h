/*
 * The architecture's part of the ABI (register convention, fault message
 * registers, exception codes): weft/arch/<arch>/abi.h for the architecture
 * being compiled for.
 */
#ifndef WEFT_ABI_ARCH_H
#define WEFT_ABI_ARCH_H

#if defined(__x86_64__)
#include "weft/arch/x86_64/abi.h"
#elif defined(__aarch64__)
#include "weft/arch/aarch64/abi.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "weft/arch/riscv64/abi.h"
#else
#error "no ABI for this architecture (abi/include/weft/arch/<arch>/abi.h; docs/porting.md)"
#endif

#endif
