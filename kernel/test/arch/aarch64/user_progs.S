/*
 * EL0 programs for the aarch64 user-mode self-tests (user_ktest.c): copied
 * into a user page at run time, so each is position-independent and ends in
 * an exception. Between each NAME and NAME_end.
 */
    .macro prog name
    .globl \name, \name\()_end
    .endm

    .section .rodata
    .balign 4

    prog prog_svc
prog_svc:                       /* x0 = 42, x1 = x0 + x0, SP and TPIDR_EL0 into x2, x3 */
    mov     x0, #42
    add     x1, x0, x0
    mov     x2, sp
    mrs     x3, tpidr_el0
    svc     #0x17
prog_svc_end:

    prog prog_regs
prog_regs:                      /* every register i holds 0x100 + i */
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    mov     x\r, #(0x100 + \r)
    .endr
    svc     #0
prog_regs_end:

    prog prog_load_unmapped
prog_load_unmapped:             /* read x1 (given) */
    ldr     x0, [x1]
prog_load_unmapped_end:

    prog prog_store_code
prog_store_code:                /* write to its own (read-only) page */
    adr     x1, prog_store_code
    str     x0, [x1]
prog_store_code_end:

    prog prog_udf
prog_udf:
    udf     #1
prog_udf_end:

    prog prog_brk
prog_brk:
    brk     #5
prog_brk_end:

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
