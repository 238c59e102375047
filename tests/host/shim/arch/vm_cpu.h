/*
 * Host stand-in for kernel/arch/x86_64/include/arch/vm_cpu.h: there is no page-table
 * root register on the host; loading one does nothing (tests/host/shim/vm_arch_host.c).
 */
#ifndef WEFT_SHIM_ARCH_VM_CPU_H
#define WEFT_SHIM_ARCH_VM_CPU_H

#include "types.h"

static inline void arch_vspace_load(paddr_t root, uint64_t *asid)
{
    (void)root, (void)asid;
}

#endif
