/*
 * The FP registers of a context (arch/context.h): f0-f31 and fcsr at the
 * context's fpu member, saved and restored when the CPU switches threads.
 * Assembled with the D extension (mk/arch-riscv64.mk); the kernel's C has
 * none. sstatus.FS is never Off (cpu.c), so these never trap.
 */
#define C_FPU 320 /* offsetof(struct arch_context, fpu): checked in arch/context.h */

    .section .text
    .globl arch_fpu_save, arch_fpu_restore
arch_fpu_save:
    addi    a0, a0, C_FPU
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd     f\n, (\n * 8)(a0)
    .endr
    frcsr   t0
    sd      t0, (32 * 8)(a0)
    ret

arch_fpu_restore:
    addi    a0, a0, C_FPU
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld     f\n, (\n * 8)(a0)
    .endr
    ld      t0, (32 * 8)(a0)
    fscsr   t0
    ret

