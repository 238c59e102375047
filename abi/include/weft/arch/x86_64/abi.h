/*
 * The x86-64 part of the ABI. Written by hand; every architecture has one
 * (abi/include/weft/arch/<arch>/abi.h, chosen by weft/arch.h) with the same
 * sections: the system call register convention, the order of the registers in
 * a fault message (enum wf_fault_word, abi/weft.def), the code in DETAIL1 of a
 * USER_EXCEPTION fault, and what the kernel does to the flags a thread's
 * registers are given. docs/porting.md lists what a new architecture provides.
 *
 * System calls (`syscall`; decision 030):
 *   in   rax  syscall number (WF_SYS_*; the whole 64-bit register must match)
 *        rdi  the cap: endpoint, notification or object invoked (a CPtr)
 *        rsi  message info (wf_msginfo, weft/ipc.h) for sends; ignored by receives
 *        rdx r10 r8 r9   message words 0-3 (WF_MSG_REG_WORDS)
 *        r12  Recv, NBRecv, ReplyRecv: the Reply cap (CPtr) that a received Call
 *             binds to; ReplyRecv first replies through it
 *   out  rax  enum wf_error of the system call itself (the cap could not be
 *             found or is of the wrong type, rights missing, ...); for a Call on
 *             a kernel object, the invocation's result (the reply label)
 *        rsi  message info of the message received (Call, Recv, ...)
 *        rdi  badge of the cap the received message was sent through
 *        rdx r10 r8 r9   message words 0-3 of the received message
 *   Every other register is preserved. rcx and r11 are clobbered (the syscall
 *   instruction uses them). There is no other way into the kernel: sysenter,
 *   int n (but int3), and syscall from compatibility mode (which does not exist:
 *   decision 080) are faults.
 *
 * Registers: enum wf_fault_word is rax rip rsp rflags rbx rcx rdx rsi rdi rbp
 * r8-r15 (WF_REGS_COUNT = 18).
 *
 * Flags: a thread runs with IF set and IOPL 0; TCB_WriteRegisters and fault
 * replies keep only the bits of WF_X86_64_RFLAGS_WRITABLE (AC, SMAP's override
 * in the kernel, only the thread itself may set, with popf).
 */
#ifndef WEFT_ABI_ARCH_X86_64_H
#define WEFT_ABI_ARCH_X86_64_H

#include "weft/arch/x86_64/regs.h" /* generated: enum wf_fault_word, WF_REGS_COUNT */
#include "weft/types.h"

#define WF_ARCH_NAME "x86_64"

/* CF PF AF ZF SF TF DF OF ID; IF and bit 1 are always set. */
#define WF_X86_64_RFLAGS_WRITABLE 0x200dd5ull

/* DETAIL1 of a USER_EXCEPTION fault: the vector (0-31) and the error code the
 * CPU pushed (0 for exceptions without one). */
static inline unsigned wf_x86_64_exception_vector(wf_word_t detail1)
{
    return (unsigned)(detail1 & 0xff);
}

static inline wf_word_t wf_x86_64_exception_error(wf_word_t detail1)
{
    return detail1 >> 8;
}

#endif
