/*
 * EL0 programs for the user-mode self-tests (kernel/test/umode_ktest.c, the
 * shared ones as kernel/test/include/ktest_umode.h describes them, and
 * user_ktest.c): copied into a user page at run time, so each is
 * position-independent and ends in an exception. Between each NAME and NAME_end.
 */
    .macro prog name
    .globl \name, \name\()_end
    .endm

    .arch_extension fp
    .arch_extension simd
    .section .rodata
    .balign 4

    prog prog_syscall
prog_syscall:                   /* x0 = 42, x1 = x0 + x0, SP and TPIDR_EL0 into x2, x3 */
    mov     x0, #42
    add     x1, x0, x0
    mov     x2, sp
    mrs     x3, tpidr_el0
    svc     #0x17
prog_syscall_end:

    prog prog_regs
prog_regs:                      /* every register i holds 0x100 + i */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    mov     x\r, #(0x100 + \r)
    .endr
    svc     #0
prog_regs_end:

    prog prog_load
prog_load:                      /* x0 = the word at x1 (given) */
    ldr     x0, [x1]
prog_load_end:

    prog prog_store_code
prog_store_code:                /* write to its own (read-only) page */
    adr     x1, prog_store_code
    str     x0, [x1]
prog_store_code_end:

    prog prog_store
prog_store:                     /* the word 0x5a5a to x1 (given), then svc */
    movz    x0, #0x5a5a
    str     x0, [x1]
    svc     #0
prog_store_end:

    prog prog_undefined
prog_undefined:
    udf     #1
prog_undefined_end:

    prog prog_breakpoint
prog_breakpoint:
    brk     #5
prog_breakpoint_end:

    prog prog_sysreg
prog_sysreg:                    /* the EL0 physical timer, closed by CNTKCTL_EL1 */
    mrs     x0, cntp_ctl_el0
prog_sysreg_end:

    prog prog_jump
prog_jump:                      /* branch to x1 (given: a non-executable page) */
    br      x1
prog_jump_end:

    prog prog_spin
prog_spin:                      /* count x0 up to x2, then svc: interrupts come meanwhile */
1:  add     x0, x0, #1
    cmp     x0, x2
    b.ne    1b
    svc     #1
prog_spin_end:

    prog prog_sys
prog_sys:                       /* a system call by the convention, then its results */
    mov     x8, #0x55           /* number */
    mov     x0, #0x11           /* cap */
    mov     x1, #0x22           /* message info */
    mov     x2, #0x30           /* message words 0-3 */
    mov     x3, #0x31
    mov     x4, #0x32
    mov     x5, #0x33
    mov     x6, #0x44           /* Reply cap */
    svc     #0
    stur    x8, [sp, #-64]      /* what it returned, below the stack pointer */
    stur    x0, [sp, #-56]
    stur    x1, [sp, #-48]
    stur    x2, [sp, #-40]
    stur    x3, [sp, #-32]
    stur    x4, [sp, #-24]
    stur    x5, [sp, #-16]
    stur    x6, [sp, #-8]
    svc     #0
prog_sys_end:

    prog prog_nzcv
prog_nzcv:                      /* PSTATE's condition flags as EL0 sees them */
    mrs     x0, nzcv
    svc     #0
prog_nzcv_end:

    prog prog_fp_set
prog_fp_set:                    /* v<r> = {0x1000 + r, 0x2000 + r}; FPCR RMode 3 */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    mov     x9, #(0x1000 + \r)
    mov     x10, #(0x2000 + \r)
    fmov    d\r, x9
    mov     v\r\().d[1], x10
    .endr
    mov     x9, #0xc00000
    msr     fpcr, x9
    svc     #0
prog_fp_set_end:

    prog prog_fp_clear
prog_fp_clear:                  /* every v register and FPCR zero */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi    v\r\().2d, #0
    .endr
    msr     fpcr, xzr
    svc     #0
prog_fp_clear_end:

    prog prog_fp_get
prog_fp_get:                    /* x<r> = the high half of v<r>, r 0-30 */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    mov     x\r, v\r\().d[1]
    .endr
    svc     #0
prog_fp_get_end:

/* Every other way into EL1 or its state from EL0, one instruction each
 * (umode/hostile_instructions_fault, ktest_hostile.inc): each must be a
 * fault of the thread at that instruction. */
#include "ktest_hostile.inc"
    hostile_table_begin
    hostile hvc, hvc #0
    hostile smc, smc #0
    hostile eret, eret
    hostile sctlr, mrs x0, sctlr_el1
    hostile vbar, msr vbar_el1, x0
    hostile daif, msr daifset, #2
    hostile dczva, dc zva, x1
    hostile dccivac, dc civac, x1
    hostile iciallu, ic iallu
    hostile tlbi, tlbi vmalle1
    hostile cntvct, mrs x0, cntvct_el0
    hostile_table_end
