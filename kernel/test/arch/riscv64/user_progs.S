/*
 * U-mode programs for the user-mode self-tests (kernel/test/umode_ktest.c, the
 * shared ones as kernel/test/include/ktest_umode.h describes them, and
 * user_ktest.c): copied into a user page at run time, so each is
 * position-independent and ends in an exception. Between each NAME and NAME_end. No compressed instructions,
 * so that every instruction is 4 bytes and the tests can count them;
 * assembled with F and D (mk/arch-riscv64.mk) for the FP programs.
 */
    .macro prog name
    .globl \name, \name\()_end
    .endm

    .option norvc
    .section .rodata
    .balign 4

    prog prog_syscall
prog_syscall:                   /* a0 = 42, a1 = a0 + a0, sp and tp into a2, a3 */
    li      a0, 42
    add     a1, a0, a0
    mv      a2, sp
    mv      a3, tp
    ecall
prog_syscall_end:

    prog prog_regs
prog_regs:                      /* every register xi holds 0x100 + i */
    .irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    li      x\r, (0x100 + \r)
    .endr
    ecall
prog_regs_end:

    prog prog_load
prog_load:                      /* a0 = the word at a1 (given) */
    ld      a0, 0(a1)
prog_load_end:

    prog prog_store_code
prog_store_code:                /* write to its own (read-only) page */
    auipc   a1, 0
    sd      a0, 0(a1)
prog_store_code_end:

    prog prog_store
prog_store:                     /* the word at a1 (given) = a2 (given) */
    sd      a2, 0(a1)
    ecall
prog_store_end:

    prog prog_undefined
prog_undefined:
    .word   0
prog_undefined_end:

    prog prog_breakpoint
prog_breakpoint:
    ebreak
prog_breakpoint_end:

    prog prog_amo_misaligned
prog_amo_misaligned:            /* an AMO at a1 + 1 (given a1: the data page) */
    addi    a1, a1, 1
    amoadd.d a0, a0, (a1)
prog_amo_misaligned_end:

    prog prog_jump
prog_jump:                      /* jump to a1 (given) */
    jr      a1
prog_jump_end:

    prog prog_spin
prog_spin:                      /* count a0 up to a2 (given), then ecall */
    li      a0, 0
1:  addi    a0, a0, 1
    bltu    a0, a2, 1b
    ecall
prog_spin_end:

    prog prog_sys
prog_sys:                       /* a system call, then its results below sp */
    li      a7, 0x55
    li      a0, 0x11
    li      a1, 0x22
    li      a2, 0x30
    li      a3, 0x31
    li      a4, 0x32
    li      a5, 0x33
    li      a6, 0x44
    ecall
    sd      a7, -64(sp)         /* what it returned, below the stack pointer */
    sd      a0, -56(sp)
    sd      a1, -48(sp)
    sd      a2, -40(sp)
    sd      a3, -32(sp)
    sd      a4, -24(sp)
    sd      a5, -16(sp)
    sd      a6, -8(sp)
    ecall
prog_sys_end:

    prog prog_fp_set
prog_fp_set:                    /* f<r> = 0x1000 + r; fcsr: rounding mode 3 (RUP) */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    li      t0, (0x1000 + \r)
    fmv.d.x f\r, t0
    .endr
    li      t0, 3
    fsrm    t0
    ecall
prog_fp_set_end:

    prog prog_fp_clear
prog_fp_clear:                  /* every f register and fcsr zero */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmv.d.x f\r, zero
    .endr
    fscsr   zero
    ecall
prog_fp_clear_end:

    prog prog_fp_get
prog_fp_get:                    /* x<r> = f<r> for r 1-31 (x0 cannot hold one) */
    .irp r, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    fmv.x.d x\r, f\r
    .endr
    ecall
prog_fp_get_end:

/* Every other way into S-mode, and S-mode state, one instruction each
 * (umode/hostile_instructions_fault, ktest_hostile.inc): each must be a fault
 * of the thread at that instruction (a1 is the data page). */
#include "ktest_hostile.inc"
    hostile_table_begin
    hostile sret, sret
    hostile mret, mret
    hostile wfi, wfi
    hostile sfence, sfence.vma
    hostile sstatus, csrr a0, sstatus
    hostile stvec, csrw stvec, a1
    hostile satp, csrw satp, zero
    hostile sie, csrsi sstatus, 2
    hostile stimecmp, csrw 0x14d, zero
    hostile cycle, rdcycle a0
    hostile_table_end
