/*
 * The self-test scaffold's assembly (ktest_arch.h, scaffold.c).
 *
 * uint64_t arch_user_run(struct arch_context *ctx) saves the caller's
 * callee-saved registers and stack, then enters user mode;
 * arch_user_run_return(vector) (called on the kernel stack by the redirect,
 * scaffold.c) resumes the caller as if arch_user_run had returned vector.
 */
    .text
    .globl arch_user_run
arch_user_run:
    pushq %rbp
    movq %rsp, %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    movq %rsp, user_run_rsp(%rip)
    call arch_user_run_enter
    ud2

    .globl arch_user_run_return
arch_user_run_return:
    movq user_run_rsp(%rip), %rsp
    movq $0, user_run_rsp(%rip)
    movq %rdi, %rax
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/*
 * int arch_setjmp(struct arch_jmpbuf *jb) / void arch_longjmp(jb, v): the way
 * back from the scheduler to a self-test that runs threads until idle
 * (sched_run_until_idle). Layout: rbx rbp r12 r13 r14 r15 rsp rip.
 */
    .globl arch_setjmp
arch_setjmp:
    movq %rbx, 0(%rdi)
    movq %rbp, 8(%rdi)
    movq %r12, 16(%rdi)
    movq %r13, 24(%rdi)
    movq %r14, 32(%rdi)
    movq %r15, 40(%rdi)
    leaq 8(%rsp), %rax          /* the caller's rsp after our return */
    movq %rax, 48(%rdi)
    movq (%rsp), %rax
    movq %rax, 56(%rdi)
    xorl %eax, %eax
    ret

    .globl arch_longjmp
arch_longjmp:
    movl %esi, %eax
    movq 0(%rdi), %rbx
    movq 8(%rdi), %rbp
    movq 16(%rdi), %r12
    movq 24(%rdi), %r13
    movq 32(%rdi), %r14
    movq 40(%rdi), %r15
    movq 48(%rdi), %rsp
    jmpq *56(%rdi)

    .bss
    .balign 8
    .globl user_run_rsp
user_run_rsp: .quad 0
