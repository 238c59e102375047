/*
 * Interrupt and exception entry stubs: 256 stubs of 16 bytes each at
 * trap_stubs + 16 * vector. Each pushes a zero error code where the CPU does
 * not push one, then the vector number, and joins trap_common, which saves
 * the general registers into a struct trap_frame and calls trap_dispatch.
 * Entries from user mode go to arch_user_trap on the CPU's kernel stack.
 */
#include "arch/context.h"
#include "arch/regs.inc"

    .text
    .balign 16
    .globl trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp trap_common
    .set vec, vec + 1
    .endr
    .balign 16
    .globl trap_stubs_end
trap_stubs_end:

/*
 * A trap does not clear RFLAGS.AC, which the interrupted thread may have set
 * (popf): with AC set, SMAP does not guard the kernel. So the first instruction
 * is a clac where the CPU has SMAP (clac is #UD without it): a 3-byte nop that
 * arch_cpu_init patches (trap_clac_site). The syscall entry needs none: MSR_SFMASK
 * clears AC.
 */
trap_common:
    .globl trap_clac_site
trap_clac_site:
    nopl (%rax)                 /* 0f 1f 00, or clac: 0f 01 ca */
    PUSH_GPRS
    cld
    movq %rsp, %rdi
    testb $3, 18*8(%rsp)        /* CS of the interrupted code: from user mode? */
    jnz from_user
    /* Make the interrupted frame the caller of trap_dispatch in backtraces. */
    movq 17*8(%rsp), %rax
    pushq %rax
    pushq %rbp
    movq %rsp, %rbp
    call trap_dispatch
    addq $16, %rsp
    POP_GPRS
    addq $16, %rsp
    iretq

/*
 * From user mode the CPU pushed the frame at TSS.rsp0, the top of the current
 * thread's context, so the registers are already where they belong: take the
 * kernel's %gs and stack and hand the context over. (NMI, #DF and #MC arrive on
 * their IST stacks and are reported like kernel exceptions.)
 */
from_user:
    swapgs
    movq 15*8(%rsp), %rax       /* vector */
    cmpq $2, %rax
    je ist_from_user
    cmpq $8, %rax
    je ist_from_user
    cmpq $18, %rax
    je ist_from_user
    movq %gs:PERCPU_KERNEL_RSP, %rsp
    KLOCK_ACQUIRE
    xorl %ebp, %ebp
    call arch_user_trap
    ud2
ist_from_user:
    call trap_dispatch
    ud2
