/*
 * Forced into each file of the rvplatform host test (tests/host/rvplatform.mk):
 * arch/riscv.h's CSR and SBI helpers are riscv64 assembly, so its include
 * guard is set here and what kernel/arch/riscv64/platform.c takes from it,
 * the tree the boot read and the boot hart's id, is declared in its place.
 */
#ifndef WEFT_RVPLATFORM_HOST_H
#define WEFT_RVPLATFORM_HOST_H
#define WEFT_ARCH_RISCV_H
struct fdt_info;
extern struct fdt_info boot_fdt;
extern unsigned long boot_hartid;
#endif
