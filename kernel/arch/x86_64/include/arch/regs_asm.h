/*
 * Assembly macros that save and restore the general registers in the order of
 * struct trap_frame (arch/trap.h): %rax is pushed first, %r15 last, so %r15
 * ends at the lowest address. Shared by traps.S and user_entry.S.
 */
#ifndef WEFT_ARCH_REGS_ASM_H
#define WEFT_ARCH_REGS_ASM_H
#ifdef __ASSEMBLER__

.macro PUSH_GPRS pushq % rax pushq % rbx pushq % rcx pushq % rdx pushq % rsi pushq % rdi pushq %
    rbp pushq % r8 pushq % r9 pushq % r10 pushq % r11 pushq % r12 pushq % r13 pushq % r14 pushq %
    r15.endm

        .macro POP_GPRS popq %
    r15 popq % r14 popq % r13 popq % r12 popq % r11 popq % r10 popq % r9 popq % r8 popq % rbp popq %
    rdi popq % rsi popq % rdx popq % rcx popq % rbx popq % rax.endm

#endif
#endif
