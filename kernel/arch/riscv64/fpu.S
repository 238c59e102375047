/*
 * The FP registers of a context (arch/context.h): f0-f31 and fcsr at the
 * context's fpu member, saved and restored when the CPU switches threads.
 * Assembled with the D extension (mk/arch-riscv64.mk); the kernel's C has
 * none. sstatus.FS is never Off (cpu.c), so these never trap.
 *
 * Both leave FS Clean and remember the context the registers now equal
 * (riscv_fpu_loaded). A save finds FS Clean only when U-mode has not written
 * an FP register since: for that same context it has nothing to write and
 * returns at once (a thread that never touches FP pays no save on a switch).
 */
#define C_FPU       320 /* offsetof(struct arch_context, fpu): checked in arch/context.h */
#define FS_SHIFT    13
#define FS_DIRTY    3
#define SSTATUS_FS  (3 << FS_SHIFT)
#define FS_CLEAN    (2 << FS_SHIFT)

    .section .text
    .globl arch_fpu_save, arch_fpu_restore
arch_fpu_save:
    csrr    t0, sstatus
    srli    t0, t0, FS_SHIFT
    andi    t0, t0, 3
    li      t1, FS_DIRTY
    beq     t0, t1, 1f
    la      t2, riscv_fpu_loaded
    ld      t2, 0(t2)
    bne     t2, a0, 1f
    ret
1:  la      t2, riscv_fpu_loaded
    sd      a0, 0(t2)
    addi    a0, a0, C_FPU
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fsd     f\n, (\n * 8)(a0)
    .endr
    frcsr   t0
    sd      t0, (32 * 8)(a0)
    j       fs_clean

arch_fpu_restore:
    la      t2, riscv_fpu_loaded
    sd      a0, 0(t2)
    addi    a0, a0, C_FPU
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fld     f\n, (\n * 8)(a0)
    .endr
    ld      t0, (32 * 8)(a0)
    fscsr   t0
fs_clean:
    li      t0, SSTATUS_FS
    csrc    sstatus, t0
    li      t0, FS_CLEAN
    csrs    sstatus, t0
    ret

    .section .bss
    .balign 8
    .globl riscv_fpu_loaded
riscv_fpu_loaded:
    .quad   0
