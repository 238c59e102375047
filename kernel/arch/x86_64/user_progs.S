/*
 * Tiny user-mode programs for the user-entry self-tests (user_ktest.c). They
 * are position independent and are copied to a user page before running.
 * Each NAME_after_N label marks the return address of its Nth syscall.
 */
    .section .rodata, "a"

    .globl uprog_syscall, uprog_syscall_after1, uprog_syscall_ud, uprog_syscall_end
uprog_syscall:
    movl $0x1234, %eax
    movl $7, %edi
    movq $0x0123456789abcdef, %r12
    syscall
uprog_syscall_after1:
    movq %rax, %rdi         /* the kernel's reply */
    movl $0x1235, %eax
    syscall
uprog_syscall_ud:
    ud2
uprog_syscall_end:

    .globl uprog_kread, uprog_kread_end
uprog_kread:
    movabsq $0xffffffff80201000, %rax
    movq (%rax), %rax       /* kernel text: present, supervisor-only */
    ud2
uprog_kread_end:

    .globl uprog_priv, uprog_priv_end
uprog_priv:
    inb $0x60, %al          /* IOPL 0, no I/O bitmap: #GP */
    hlt
uprog_priv_end:

    .globl uprog_fpu, uprog_fpu_end
uprog_fpu:
    movl $1, %eax
    movq %rax, %xmm0
    movl $0x10, %eax
    syscall                 /* another thread runs here and changes %xmm0 */
    movq %xmm0, %rdi
    movl $0x11, %eax
    syscall
    ud2
uprog_fpu_end:

    .globl uprog_fpu2, uprog_fpu2_end
uprog_fpu2:
    movl $2, %eax
    movq %rax, %xmm0
    movl $0x20, %eax
    syscall
    ud2
uprog_fpu2_end:

    /* Spins long enough for timer interrupts to arrive in user mode, then
     * reports %r12..%r15 and the loop count through a syscall. */
    .globl uprog_spin, uprog_spin_end
uprog_spin:
    movq $0x1111, %r12
    movq $0x2222, %r13
    movq $0x3333, %r14
    movq $0x4444, %r15
    movq %rdi, %rcx
1:  decq %rcx
    jnz 1b
    movl $0x30, %eax
    syscall
    ud2
uprog_spin_end:
