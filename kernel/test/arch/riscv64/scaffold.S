/*
 * The riscv64 test image's kernel setjmp/longjmp (ktest_arch.h): ra, sp and
 * the callee-saved s0-s11.
 */
    .section .text
    .globl arch_setjmp, arch_longjmp
arch_setjmp:
    sd      ra, 0(a0)
    sd      sp, 8(a0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    sd      s\n, (16 + \n * 8)(a0)
    .endr
    li      a0, 0
    ret

arch_longjmp:
    ld      ra, 0(a0)
    ld      sp, 8(a0)
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
    ld      s\n, (16 + \n * 8)(a0)
    .endr
    mv      a0, a1
    bnez    a0, 1f
    li      a0, 1
1:  ret
