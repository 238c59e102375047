/*
 * The exception vector table (VBAR_EL1) and the common entry/exit.
 *
 * Sixteen slots of 128 bytes: {sync, IRQ, FIQ, SError} taken from the current
 * EL on SP_EL0, on SP_ELx, from a lower EL in AArch64, and in AArch32. Each
 * slot saves x0/x1, loads its slot number and branches to the common code,
 * which saves the rest into a struct trap_frame (arch/aarch64.h) on the
 * current stack, with a frame record {x29, ELR} at its end that x29 points to
 * so a backtrace runs from the handler through the interrupted code, and calls
 * aarch64_trap(kind, frame). On return ELR and SPSR are reloaded from the
 * frame (a handler may change them) and eret resumes.
 *
 * A synchronous exception from EL0 (slot 8) does not build a frame: el0_sync
 * stores the registers straight into the running thread's context
 * (arch_user_ctx; x86-64's syscall entry does the same, decision 038), sends
 * Call and ReplyRecv to the IPC fast path while it is on
 * (ipc_fastpath_sysno), and everything else to aarch64_user_sync (user.c).
 * The fast path's return leaves by aarch64_exit_fast (user_entry.S).
 * Interrupts from EL0 take the common path (trap.c, aarch64_user_irq).
 */
#include "arch/percpu.h"
#include "arch/klock.inc"

#define FRAME_SIZE 304
#define F_SP      (31 * 8)
#define F_ELR     (32 * 8)
#define F_SPSR    (33 * 8)
#define F_ESR     (34 * 8)
#define F_FAR     (35 * 8)
#define F_FPREC   (36 * 8)

    .macro slot kind
    .balign 128
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #\kind
    b       trap_common
    .endm

    .section .text
    .balign 2048
    .globl vectors
vectors:
    slot 0
    slot 1
    slot 2
    slot 3
    slot 4
    slot 5
    slot 6
    slot 7
    /* 8: synchronous from EL0: straight into the running context (el0_sync) */
    .balign 128
    stp     x0, x1, [sp, #-16]!
    mrs     x0, tpidr_el1           /* this CPU's block (arch/percpu.h) */
    ldr     x0, [x0, #PERCPU_USER_CTX]
    cbnz    x0, el0_sync
    ldp     x0, x1, [sp], #16
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x0, #8
    b       trap_common
    slot 9
    slot 10
    slot 11
    slot 12
    slot 13
    slot 14
    slot 15

trap_common:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    add     x2, sp, #FRAME_SIZE
    str     x2, [sp, #F_SP]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [sp, #F_ELR]
    mrs     x3, esr_el1
    mrs     x4, far_el1
    stp     x3, x4, [sp, #F_ESR]
    stp     x29, x2, [sp, #F_FPREC]
    add     x29, sp, #F_FPREC
    mov     x1, sp
    bl      aarch64_trap

    ldp     x2, x3, [sp, #F_ELR]
    msr     elr_el1, x2
    msr     spsr_el1, x3
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #FRAME_SIZE
    eret

/* x0 = the running context, the thread's x0 and x1 on the stack (slot 8).
 * The kernel stack is empty below them: every exit to EL0 resets it. */
#define C_SP     248
#define C_PC     256
#define C_TPIDR  272
#define C_ESR    280
#define C_FAR    288
#define C_ENTRY  296
#define EC_SVC64 0x15
el0_sync:
    stp     x2, x3, [x0, #16]
    stp     x4, x5, [x0, #32]
    stp     x6, x7, [x0, #48]
    stp     x8, x9, [x0, #64]
    stp     x10, x11, [x0, #80]
    stp     x12, x13, [x0, #96]
    stp     x14, x15, [x0, #112]
    stp     x16, x17, [x0, #128]
    stp     x18, x19, [x0, #144]
    stp     x20, x21, [x0, #160]
    stp     x22, x23, [x0, #176]
    stp     x24, x25, [x0, #192]
    stp     x26, x27, [x0, #208]
    stp     x28, x29, [x0, #224]
    str     x30, [x0, #240]
    ldp     x2, x3, [sp], #16
    stp     x2, x3, [x0, #0]
    mrs     x2, sp_el0
    str     x2, [x0, #C_SP]
    mrs     x2, elr_el1
    mrs     x3, spsr_el1
    stp     x2, x3, [x0, #C_PC]
    mrs     x2, tpidr_el0
    mrs     x3, esr_el1
    stp     x2, x3, [x0, #C_TPIDR]
    mov     x29, #0                 /* backtraces end here (bl sets x30) */
    KLOCK_ACQUIRE 4, 5, 6, 7, el0_sync_wait
el0_sync_locked:
    lsr     x2, x3, #26
    cmp     x2, #EC_SVC64
    b.ne    1f
    /* (the test scaffold turns the fast path off while it runs a context
     * that is no thread's: kernel/test/arch/aarch64/scaffold.c) */
    ldr     x2, =ipc_fastpath_sysno
    ldp     x4, x5, [x2]
    ldr     x3, [x0, #64]           /* x8: the number */
    cmp     x3, x4
    b.eq    2f
    cmp     x3, x5
    b.eq    3f
1:  mrs     x2, far_el1             /* (only a fault needs it) */
    str     x2, [x0, #C_FAR]
    bl      aarch64_user_sync       /* does not return */
2:  str     wzr, [x0, #C_ENTRY]     /* ARCH_ENTRY_SYSCALL, should it go on to kernel_entry */
    bl      ipc_fastpath_call
    b       aarch64_exit_fast
3:  str     wzr, [x0, #C_ENTRY]
    bl      ipc_fastpath_reply_recv
    b       aarch64_exit_fast

/* The kernel lock is another CPU's (KLOCK_ACQUIRE, w4 the ticket): wait for
 * it out of line, serving requests (smp_entry_wait, sched/smp.h); the call
 * returns holding it unless the thread was taken meanwhile. Then the context
 * and its ESR again. */
el0_sync_wait:
    mov     w0, w4
    bl      smp_entry_wait
    mrs     x0, tpidr_el1
    ldr     x0, [x0, #PERCPU_USER_CTX]
    ldr     x3, [x0, #C_ESR]
    b       el0_sync_locked
    .ltorg

/* The semihosting call (arch_debug_exit): x0 the operation, x1 the block.
 * Without semihosting the instruction is undefined; aarch64_trap recognises
 * this address and returns past it with x0 = -1. */
    .globl semihost_call, semihost_insn
semihost_call:
semihost_insn:
    hlt     #0xf000
    ret
