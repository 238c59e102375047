/*
 * Entry of a native program linked with musl on aarch64 (decision 096): as the
 * runtime's user/lib/weft/arch/aarch64/crt0.S, but the C side is
 * wf_musl_start (start.c), which starts the C library and calls
 * main(argc, argv, envp). x0 and x1 (the start argument and its magic) pass
 * through.
 */
    .text
    .globl _start
    .type _start, %function
_start:
    mov     x29, #0
    mov     x30, #0
    mov     x9, sp
    and     x9, x9, #-16
    mov     sp, x9
    bl      wf_musl_start
    udf     #0
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
