/*
 * Entry of a native program linked with musl (decision 096): as the runtime's
 * crt0.S, but the C side is wf_musl_start (start.c), which starts the C library
 * and calls main(argc, argv, envp).
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    andq $-16, %rsp
    call wf_musl_start
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
