/*
 * User-mode entry and exit on x86_64 (see arch/context.h).
 *
 * syscall: the CPU leaves the return address in %rcx and the flags in %r11 and
 * does not switch stacks. The entry swaps to the kernel's %gs, parks the user
 * stack pointer, and builds a struct trap_frame (in the same layout a trap from
 * user mode produces) at the top of the current thread's context, then switches
 * to the CPU's kernel stack and calls arch_user_entry(ctx).
 *
 * Exit: sysretq when the frame came from syscall and its %rip is a canonical
 * user address (sysret with a non-canonical %rcx faults in ring 0 on Intel CPUs),
 * iretq otherwise. arch_exit_to_user (user.c) has already sanitized the frame.
 */
#include "arch/context.h"
#include "arch/regs.inc"

#define SEL_UCODE 0x2b /* GDT_UCODE | 3 */
#define SEL_UDATA 0x23 /* GDT_UDATA | 3 */

    .text
    .globl syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_REGS_TOP, %rsp
    pushq $SEL_UDATA
    pushq %gs:PERCPU_USER_RSP
    pushq %r11
    pushq $SEL_UCODE
    pushq %rcx
    pushq $0
    pushq $VEC_SYSCALL
    PUSH_GPRS
    movq %rsp, %rdi
    movq %gs:PERCPU_KERNEL_RSP, %rsp
    xorl %ebp, %ebp
    call arch_user_entry
    ud2

/* void arch_exit_frame(struct trap_frame *tf, bool use_sysret) */
    .globl arch_exit_frame
arch_exit_frame:
    cli
    movq %rdi, %rsp
    testl %esi, %esi
    POP_GPRS            /* pops leave the flags alone */
    jz 1f
    movq 2*8(%rsp), %rcx    /* rip (after vector, error) */
    movq 4*8(%rsp), %r11    /* rflags */
    movq 5*8(%rsp), %rsp    /* user stack: nothing of the kernel's is used after this */
    swapgs
    sysretq
1:  addq $16, %rsp
    swapgs
    iretq

/*
 * Self-test scaffold: uint64_t arch_user_run(struct arch_context *ctx) saves the
 * caller's callee-saved registers and stack, then enters user mode;
 * arch_user_run_return(vector) (called on the kernel stack by the entry hook)
 * resumes the caller as if arch_user_run had returned vector.
 */
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
 * int arch_setjmp(struct arch_jmpbuf *jb) / void arch_longjmp(jb, v): the kernel's
 * way back from the scheduler to a self-test that runs threads until idle
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
