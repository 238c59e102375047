/*
 * The aarch64 part of the ABI. Written by hand, with the same sections as
 * x86-64's (weft/arch/x86_64/abi.h): the system call register convention, the
 * order of the registers a fault message and TCB_Read/WriteRegisters use, the
 * code in DETAIL1 of a USER_EXCEPTION fault, and what the kernel keeps of the
 * PSTATE a thread's registers are given (decision 128).
 *
 * System calls (`svc #0`; the immediate is ignored): x86-64's choices
 * (decision 030) register for register:
 *   in   x8   syscall number (WF_SYS_*; the whole register must match), as
 *             Linux's arm64 number register (x86-64: rax)
 *        x0   the cap: endpoint, notification or object invoked (rdi)
 *        x1   message info (wf_msginfo, weft/ipc.h) for sends (rsi)
 *        x2 x3 x4 x5   message words 0-3 (rdx r10 r8 r9)
 *        x6   Recv, NBRecv, ReplyRecv: the Reply cap (r12)
 *   out  x8   enum wf_error of the system call itself (rax)
 *        x1   message info of the message received (rsi)
 *        x0   badge of the cap the received message was sent through (rdi)
 *        x2 x3 x4 x5   message words 0-3 of the received message
 *   Every other register is preserved, the FP/SIMD registers included; none
 *   is clobbered (x86-64 loses rcx and r11 to its syscall instruction). There
 *   is no other way into the kernel: hvc, smc and the system registers EL0
 *   may not touch are faults.
 *
 * Registers (enum wf_fault_word on aarch64; Linux's struct user_pt_regs order):
 * x0-x30 are words 0-30, then SP (31), PC (32), PSTATE (33):
 * WF_AARCH64_REGS_COUNT = 34. Word 0 is x0, where Linux returns a system call's
 * result: the reply to an UNKNOWN_SYSCALL fault sets it, as x86-64's sets rax.
 *
 * PSTATE: a thread runs at EL0t with D, A, I, F clear; TCB_WriteRegisters, fault
 * replies and the kernel's exit keep only the condition flags
 * (WF_AARCH64_PSTATE_WRITABLE).
 *
 * DETAIL1 of a USER_EXCEPTION fault is ESR_EL1 as the CPU reported it: the
 * exception class in bits 26-31, the instruction-specific syndrome in 0-24.
 */
#ifndef WEFT_ABI_ARCH_AARCH64_H
#define WEFT_ABI_ARCH_AARCH64_H

#include "weft/arch/aarch64/regs.h" /* generated: enum wf_fault_word, WF_REGS_COUNT */
#include "weft/types.h"

#define WF_ARCH_NAME "aarch64"

/* Register indexes of a fault message and TCB_Read/WriteRegisters: x0-x30
 * are 0-30 (enum wf_fault_word, generated into weft/arch/aarch64/regs.h). */
#define WF_AARCH64_REG_X(n)   (n)
#define WF_AARCH64_REG_SP     WF_FAULT_WORD_SP
#define WF_AARCH64_REG_PC     WF_FAULT_WORD_PC
#define WF_AARCH64_REG_PSTATE WF_FAULT_WORD_PSTATE
#define WF_AARCH64_REGS_COUNT WF_REGS_COUNT

/* The system call registers. */
#define WF_AARCH64_REG_SYSNO     8 /* x8: number in, error out */
#define WF_AARCH64_REG_CAP       0 /* x0: cap in, badge out */
#define WF_AARCH64_REG_INFO      1 /* x1: message info */
#define WF_AARCH64_REG_MR0       2 /* x2-x5: message words 0-3 */
#define WF_AARCH64_REG_REPLY_CAP 6 /* x6 */

/* N Z C V: what a register write on a thread's behalf keeps of PSTATE. */
#define WF_AARCH64_PSTATE_WRITABLE 0xf0000000ull

/* DETAIL1 of a USER_EXCEPTION fault: ESR_EL1's exception class and syndrome. */
static inline unsigned wf_aarch64_exception_class(wf_word_t detail1)
{
    return (unsigned)((detail1 >> 26) & 0x3f);
}

static inline wf_word_t wf_aarch64_exception_syndrome(wf_word_t detail1)
{
    return detail1 & 0x1ffffff;
}

#endif
