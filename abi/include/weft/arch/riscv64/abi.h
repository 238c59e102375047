/*
 * The riscv64 part of the ABI. Written by hand, with the same sections as
 * x86-64's and aarch64's (weft/arch/<arch>/abi.h): the system call register
 * convention, the order of the registers a fault message and
 * TCB_Read/WriteRegisters use, the code in DETAIL1 of a USER_EXCEPTION fault,
 * and what the kernel keeps of the status a thread's registers are given
 * (decision 152).
 *
 * System calls (`ecall` from U-mode): x86-64's choices (decision 030)
 * register for register, as aarch64's (decision 128):
 *   in   a7   syscall number (WF_SYS_*; the whole register must match), as
 *             Linux's riscv number register (x86-64: rax)
 *        a0   the cap: endpoint, notification or object invoked (rdi)
 *        a1   message info (wf_msginfo, weft/ipc.h) for sends (rsi)
 *        a2 a3 a4 a5   message words 0-3 (rdx r10 r8 r9)
 *        a6   Recv, NBRecv, ReplyRecv: the Reply cap (r12)
 *   out  a7   enum wf_error of the system call itself (rax)
 *        a1   message info of the message received (rsi)
 *        a0   badge of the cap the received message was sent through (rdi)
 *        a2 a3 a4 a5   message words 0-3 of the received message
 *   Every other register is preserved, the FP registers included.
 *
 * Registers (enum wf_fault_word on riscv64): the system call registers first,
 * so that word 0 is a0, where Linux returns a system call's result (the reply
 * to an UNKNOWN_SYSCALL fault sets it, as x86-64's sets rax and aarch64's x0):
 * words 0-21 are x10-x31 (a0-a7, s2-s11, t3-t6), words 22-30 are x1-x9 (ra,
 * sp, gp, tp, t0-t2, s0, s1), word 31 is pc, word 32 sstatus:
 * WF_RISCV64_REGS_COUNT = 33.
 *
 * sstatus: a thread runs in U-mode with interrupts on; TCB_WriteRegisters,
 * fault replies and the kernel's exit keep none of its bits
 * (WF_RISCV64_SSTATUS_WRITABLE is 0: SPP, SPIE, SUM, MXR and the FP state are
 * the kernel's).
 *
 * DETAIL1 of a USER_EXCEPTION fault is scause as the CPU reported it (the
 * exception code), stval in DETAIL0's place is the faulting address.
 */
#ifndef WEFT_ABI_ARCH_RISCV64_H
#define WEFT_ABI_ARCH_RISCV64_H

#include "weft/arch/riscv64/regs.h" /* generated: enum wf_fault_word, WF_REGS_COUNT */
#include "weft/types.h"

#define WF_ARCH_NAME "riscv64"

/* Register indexes of a fault message and TCB_Read/WriteRegisters: xn for
 * n = 1..31. */
#define WF_RISCV64_REG_X(n)    ((n) >= 10 ? (n)-10 : (n) + 21)
#define WF_RISCV64_REG_A(n)    (n) /* a0-a7 */
#define WF_RISCV64_REG_SP      WF_RISCV64_REG_X(2)
#define WF_RISCV64_REG_TP      WF_RISCV64_REG_X(4)
#define WF_RISCV64_REG_PC      31
#define WF_RISCV64_REG_SSTATUS 32
#define WF_RISCV64_REGS_COUNT  33

_Static_assert(WF_RISCV64_REGS_COUNT == WF_REGS_COUNT, "abi/weft.def's riscv64 registers");
_Static_assert(WF_RISCV64_REG_PC == WF_FAULT_WORD_PC && WF_RISCV64_REG_SP == WF_FAULT_WORD_SP &&
                   WF_RISCV64_REG_SSTATUS == WF_FAULT_WORD_FLAGS &&
                   WF_RISCV64_REG_TP == WF_FAULT_WORD_TP,
               "abi/weft.def's riscv64 register order");

/* The system call registers. */
#define WF_RISCV64_REG_SYSNO     7 /* a7: number in, error out */
#define WF_RISCV64_REG_CAP       0 /* a0: cap in, badge out */
#define WF_RISCV64_REG_INFO      1 /* a1: message info */
#define WF_RISCV64_REG_MR0       2 /* a2-a5: message words 0-3 */
#define WF_RISCV64_REG_REPLY_CAP 6 /* a6 */

/* What a register write on a thread's behalf keeps of sstatus: nothing. */
#define WF_RISCV64_SSTATUS_WRITABLE 0ull

/* DETAIL1 of a USER_EXCEPTION fault: scause's exception code. */
static inline unsigned wf_riscv64_exception_cause(wf_word_t detail1)
{
    return (unsigned)(detail1 & 0x3f);
}

#endif
