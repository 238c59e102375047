/*
 * The FP registers of a context (arch/context.h): f0-f31 and fcsr at the
 * context's fpu member, stored and loaded by the lazy switch (fpu.c).
 * Assembled with the D extension (mk/arch-riscv64.mk); the kernel's C has
 * none. While sstatus.FS is Off these instructions would trap in S-mode too,
 * so each turns FP on for itself:
 *
 *   riscv_fpu_store(ctx)  the registers into ctx; sstatus.FS as it was
 *   riscv_fpu_load(ctx)   ctx's state into the registers; sstatus.FS Clean
 */
#define C_FPU       320 /* offsetof(struct arch_context, fpu): checked in arch/context.h */
#define FS_SHIFT    13
#define SSTATUS_FS  (3 << FS_SHIFT)
#define FS_CLEAN    (2 << FS_SHIFT)

    .section .text
    .globl riscv_fpu_store, riscv_fpu_load
riscv_fpu_store:
    csrr    t1, sstatus
    li      t0, SSTATUS_FS
    and     t1, t1, t0              /* FS as it was */
    csrs    sstatus, t0             /* on (Dirty) for the stores below */
    addi    a0, a0, C_FPU
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd     f\n, (\n * 8)(a0)
    .endr
    frcsr   t2
    sd      t2, (32 * 8)(a0)
    csrc    sstatus, t0
    csrs    sstatus, t1
    ret

riscv_fpu_load:
    li      t0, SSTATUS_FS
    csrs    sstatus, t0
    addi    a0, a0, C_FPU
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld     f\n, (\n * 8)(a0)
    .endr
    ld      t2, (32 * 8)(a0)
    fscsr   t2
    csrc    sstatus, t0
    li      t0, FS_CLEAN
    csrs    sstatus, t0
    ret
