/*
 * Entry of a native program linked with musl on riscv64 (decision 096): as the
 * runtime's user/lib/weft/arch/riscv64/crt0.S, but the C side is
 * wf_musl_start (start.c), which starts the C library and calls
 * main(argc, argv, envp). a0 and a1 (the start argument and its magic) pass
 * through; a zero frame pointer and return address end backtraces.
 */
    .text
    .globl _start
    .type _start, %function
_start:
    li      s0, 0
    li      ra, 0
    andi    sp, sp, -16
    call    wf_musl_start
    unimp
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
