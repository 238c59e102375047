/*
 * User-mode entry and exit on x86_64 (see arch/context.h).
 *
 * syscall: the CPU leaves the return address in %rcx and the flags in %r11 and
 * does not switch stacks. The entry swaps to the kernel's %gs, parks the user
 * stack pointer, and stores the registers into the struct trap_frame at the top
 * of the current thread's context (the layout a trap from user mode produces;
 * cs, ss and the error code are not stored: nothing reads them in a frame whose
 * vector is VEC_SYSCALL, and an iret exit sets the segments itself; nor are rcx
 * and r11, the return address and the flags, which the frame holds as rip and
 * rflags: ctx_reg reads those two for them, and ctx_syscall_frame_fill writes
 * them before the frame becomes any other kind, arch/context.h). Then, on the
 * CPU's kernel stack: while the fast path is on (ipc_fastpath_sysno holds the
 * numbers; the test image's scaffold turns it off while it runs),
 * a Call or a ReplyRecv goes to the IPC fast path (ipc_fastpath_call / ipc_fastpath_reply_recv, kernel/ipc/
 * fastpath.c), which either handles it entirely and returns the partner's
 * context, or goes on to the general path (kernel_entry) and never returns;
 * a number below ipc_fastpath_foreign_below (WF_SYS_BASE while the fast path
 * is on, 0 while it is off: a foreign system call, a fault message) goes to
 * ipc_fastpath_foreign (kernel/ipc/fastpath_fault.c) on the same terms;
 * every other system call goes to arch_user_entry.
 *
 * The fast return restores a context that ctx_fast_resume accepted: saved by
 * syscall, not rewritten since, canonical return address. Like
 * arch_exit_to_user for such a frame it leaves the flags as they were saved
 * (user.c explains why that is safe).
 *
 * Exit otherwise: arch_exit_frame, by sysretq when the frame came from syscall
 * and its %rip is a canonical user address (sysret with a non-canonical %rcx
 * faults in ring 0 on Intel CPUs), iretq otherwise. arch_exit_to_user (user.c)
 * has already sanitized the frame.
 */
#include "arch/context.h"
#include "arch/regs.inc"

/* struct trap_frame offsets (arch/trap.h), from the top of the frame (checked in
 * user.c) */
#define TF_SIZE   (22 * 8)
#define TF(i)     ((i) * 8 - TF_SIZE)
#define TF_R15    TF(0)
#define TF_R14    TF(1)
#define TF_R13    TF(2)
#define TF_R12    TF(3)
#define TF_R11    TF(4)
#define TF_R10    TF(5)
#define TF_R9     TF(6)
#define TF_R8     TF(7)
#define TF_RBP    TF(8)
#define TF_RDI    TF(9)
#define TF_RSI    TF(10)
#define TF_RDX    TF(11)
#define TF_RCX    TF(12)
#define TF_RBX    TF(13)
#define TF_RAX    TF(14)
#define TF_VECTOR TF(15)
#define TF_ERROR  TF(16)
#define TF_RIP    TF(17)
#define TF_RFLAGS TF(19)
#define TF_RSP    TF(20)

/* Returns to user mode in the context at %rax (its frame is at its start). */
.macro FAST_RETURN
    movq TF_SIZE + TF_R15(%rax), %r15
    movq TF_SIZE + TF_R14(%rax), %r14
    movq TF_SIZE + TF_R13(%rax), %r13
    movq TF_SIZE + TF_R12(%rax), %r12
    movq TF_SIZE + TF_R10(%rax), %r10
    movq TF_SIZE + TF_R9(%rax), %r9
    movq TF_SIZE + TF_R8(%rax), %r8
    movq TF_SIZE + TF_RBP(%rax), %rbp
    movq TF_SIZE + TF_RDI(%rax), %rdi
    movq TF_SIZE + TF_RSI(%rax), %rsi
    movq TF_SIZE + TF_RDX(%rax), %rdx
    movq TF_SIZE + TF_RBX(%rax), %rbx
    movq TF_SIZE + TF_RIP(%rax), %rcx
    movq TF_SIZE + TF_RFLAGS(%rax), %r11
    movq TF_SIZE + TF_RSP(%rax), %rsp   /* user stack: nothing of the kernel's is used after this */
    movq TF_SIZE + TF_RAX(%rax), %rax
    KLOCK_RELEASE
    swapgs
    sysretq
.endm

/* Saves the registers of a syscall into the current context's frame (its top
 * is %gs:PERCPU_REGS_TOP), marks it VEC_SYSCALL and leaves its address in %rdi,
 * on the CPU's kernel stack. */
.macro SYSCALL_SAVE
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_REGS_TOP, %rsp
    movq %rax, TF_RAX(%rsp)
    movq %rbx, TF_RBX(%rsp)
    movq %rdx, TF_RDX(%rsp)
    movq %rsi, TF_RSI(%rsp)
    movq %rdi, TF_RDI(%rsp)
    movq %rbp, TF_RBP(%rsp)
    movq %r8, TF_R8(%rsp)
    movq %r9, TF_R9(%rsp)
    movq %r10, TF_R10(%rsp)
    movq %r12, TF_R12(%rsp)
    movq %r13, TF_R13(%rsp)
    movq %r14, TF_R14(%rsp)
    movq %r15, TF_R15(%rsp)
    movq %rcx, TF_RIP(%rsp)
    movq %r11, TF_RFLAGS(%rsp)
    movq %gs:PERCPU_USER_RSP, %rcx
    movq %rcx, TF_RSP(%rsp)
    movq $VEC_SYSCALL, TF_VECTOR(%rsp)
    leaq -TF_SIZE(%rsp), %rdi
    movq %gs:PERCPU_KERNEL_RSP, %rsp
.endm

    .text
    .globl syscall_entry
syscall_entry:
    SYSCALL_SAVE
    KLOCK_ACQUIRE
    xorl %ebp, %ebp
    cmpq ipc_fastpath_sysno(%rip), %rax
    je 2f
    cmpq ipc_fastpath_sysno+8(%rip), %rax
    jne 1f
    call ipc_fastpath_reply_recv
    FAST_RETURN
2:  call ipc_fastpath_call
    FAST_RETURN
1:  cmpq ipc_fastpath_foreign_below(%rip), %rax
    jb 3f
    call arch_user_entry
    ud2
3:  call ipc_fastpath_foreign
    FAST_RETURN

/*
 * syscall from compatibility mode (MSR_CSTAR). Weft has no 32-bit user code
 * segment (decision 080), so this cannot happen; should it ever, the thread gets
 * an invalid-opcode fault at the instruction after its syscall instead of the
 * kernel running on its stack. The exit restores a 64-bit code segment.
 */
    .globl syscall_compat_entry
syscall_compat_entry:
    SYSCALL_SAVE
    movq TF_SIZE + TF_RIP(%rdi), %rcx   /* a fault frame holds rcx and r11 themselves */
    movq %rcx, TF_SIZE + TF_RCX(%rdi)
    movq %r11, TF_SIZE + TF_R11(%rdi)
    movq $6, TF_SIZE + TF_VECTOR(%rdi)
    movq $0, TF_SIZE + TF_ERROR(%rdi)
    KLOCK_ACQUIRE
    xorl %ebp, %ebp
    call arch_user_trap
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
    KLOCK_RELEASE
    swapgs
    sysretq
1:  addq $16, %rsp
    KLOCK_RELEASE
    swapgs
    iretq

/* The contended case of KLOCK_ACQUIRE (%ecx: this CPU's ticket), on the
 * kernel stack, the user registers saved; interrupts stay off while it waits,
 * and it serves the requests of the holder meanwhile (smp_serve, sched/smp.h:
 * an IPI that brought this CPU in may be one). Holding the lock, it asks
 * smp_entry_check whether the entry's thread is still this CPU's (another
 * CPU may have stopped it: smp_stop_thread); only this contended path checks,
 * so the uncontended entry stays four instructions. */
    .globl kernel_lock_spin
kernel_lock_spin:
    pushq %rax
    pushq %rdi
    pushq %rcx
1:  call smp_serve
    movl (%rsp), %ecx
    pause
    cmpl kernel_lock+4(%rip), %ecx
    jne 1b
    call smp_entry_check    /* returns unless the thread was taken meanwhile */
    popq %rcx
    popq %rdi
    popq %rax
    ret
