/*
 * The trap entry (stvec, direct mode) and the way back to U-mode.
 *
 * sscratch is the running user context (struct arch_context) while U-mode
 * runs and 0 in S-mode. The entry swaps it with t6: non-zero, the trap came
 * from U-mode, and every register is stored straight into that context
 * (x86-64's syscall entry and aarch64's el0_sync do the same, decision 038),
 * on the CPU's one kernel stack; an ecall's pc is moved past the instruction,
 * Call and ReplyRecv go to the IPC fast path while it is on
 * (ipc_fastpath_sysno), everything else to riscv_user_trap (user.c).
 *
 * Zero: a trap taken in S-mode. A struct trap_frame (arch/riscv.h) is built
 * on the current stack, with a frame record {s0, sepc} whose top s0 points to
 * so that a backtrace runs from the handler through the interrupted code, and
 * riscv_trap(frame) is called; sepc and sstatus are reloaded from the frame
 * (a handler may change them) and sret resumes.
 */
#include "arch/riscv.h"
#include "arch/percpu.h"

#define C_PC      (31 * 8)
#define C_A7      (7 * 8)
#define C_T6      (21 * 8)
#define C_SSTATUS 256
#define C_SCAUSE  264
#define C_STVAL   272
#define C_ENTRY   280
#define C_KTP     608

/* xn's place in struct arch_context (weft/arch/riscv64/abi.h's order:
 * x10-x31, then x1-x9). */
    .macro ctx_x op, n, base
    .if \n >= 10
    \op     x\n, ((\n - 10) * 8)(\base)
    .else
    \op     x\n, ((\n + 21) * 8)(\base)
    .endif
    .endm

    .section .text
    .balign 4
    .globl trap_entry
trap_entry:
    csrrw   t6, sscratch, t6
    bnez    t6, from_user
    csrrw   t6, sscratch, t6        /* t6 back, sscratch 0 again */

    addi    sp, sp, -TF_SIZE
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    sd      x\n, TF_X(\n)(sp)
    .endr
    addi    t0, sp, TF_SIZE
    sd      t0, TF_X(2)(sp)
    csrr    t0, sepc
    csrr    t1, sstatus
    csrr    t2, scause
    csrr    t3, stval
    sd      t0, TF_SEPC(sp)
    sd      t1, TF_SSTATUS(sp)
    sd      t2, TF_SCAUSE(sp)
    sd      t3, TF_STVAL(sp)
    sd      s0, TF_FPREC(sp)
    sd      t0, TF_FPREC + 8(sp)
    addi    s0, sp, TF_FPREC + 16
    mv      a0, sp
    call    riscv_trap

    ld      t0, TF_SEPC(sp)
    ld      t1, TF_SSTATUS(sp)
    csrw    sepc, t0
    csrw    sstatus, t1
    .irp n, 1,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ld      x\n, TF_X(\n)(sp)
    .endr
    addi    sp, sp, TF_SIZE
    sret

/* t6 = the running context, the thread's t6 in sscratch. */
from_user:
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    ctx_x   sd, \n, t6
    .endr
    csrr    t0, sscratch
    sd      t0, C_T6(t6)
    csrw    sscratch, zero
    csrr    t0, sepc
    csrr    t1, sstatus
    csrr    t2, scause
    csrr    t3, stval
    sd      t1, C_SSTATUS(t6)
    sd      t2, C_SCAUSE(t6)
    sd      t3, C_STVAL(t6)
    ld      tp, C_KTP(t6)           /* the kernel's tp: this hart's block */
    ld      sp, PERCPU_KSTACK(tp)
    li      s0, 0                   /* backtraces end here */
    li      ra, 0
    mv      a0, t6
    li      t4, EXC_ECALL_U
    bne     t2, t4, 1f
    addi    t0, t0, 4               /* past the ecall: a restart moves it back */
1:  sd      t0, C_PC(a0)
    /* The kernel lock, once several harts run (decision 157): an atomic add
     * takes a ticket, an acquiring load of serving says whether it is this
     * hart's; the wait is out of line. Keeps a0, t2, t4. */
    lw      t1, PERCPU_KLOCK_ON(tp)
    beqz    t1, from_user_locked
    la      t3, kernel_lock
    li      t1, 1
    amoadd.w t0, t1, (t3)
    lw      t1, 4(t3)
    fence   r, rw
    bne     t0, t1, from_user_wait
from_user_locked:
    bne     t2, t4, 2f
    sw      zero, C_ENTRY(a0)       /* ARCH_ENTRY_SYSCALL */
    la      t1, arch_user_redirect  /* the test scaffold's context: no fast path */
    ld      t1, 0(t1)
    bnez    t1, 2f
    la      t1, ipc_fastpath_sysno
    ld      t2, 0(t1)
    ld      t3, 8(t1)
    ld      t4, C_A7(a0)            /* a7: the number */
    beq     t4, t2, 3f
    beq     t4, t3, 4f
2:  call    riscv_user_trap         /* does not return */
3:  call    ipc_fastpath_call
    j       arch_exit_to_user
4:  call    ipc_fastpath_reply_recv
    j       arch_exit_to_user

/* The lock is another hart's (t0: the ticket taken): wait for it serving
 * requests; the call returns holding it unless the thread was taken
 * meanwhile. Then the context, its cause and the ecall's cause again. */
from_user_wait:
    mv      a0, t0
    call    riscv_lock_spin
    ld      a0, PERCPU_USER_CTX(tp)
    ld      t2, C_SCAUSE(a0)
    li      t4, EXC_ECALL_U
    j       from_user_locked

/* riscv_sret_to_user(ctx): loads the context and srets to U-mode. sstatus
 * (SPP clear, SPIE set) was prepared by the caller (user.c). Interrupts are
 * off from here to the sret (which turns them on from SPIE): once sscratch
 * names the context, a trap would be taken for one from U-mode. The kernel
 * stack is reset by the next entry: nothing of the kernel's survives an
 * exit. */
    .globl riscv_sret_to_user
riscv_sret_to_user:
    csrci   sstatus, SSTATUS_SIE
    lw      t0, PERCPU_KLOCK_ON(tp) /* several harts: the kernel lock goes */
    beqz    t0, 1f
    la      t0, kernel_lock + 4
    lw      t1, 0(t0)
    addi    t1, t1, 1
    fence   rw, w
    sw      t1, 0(t0)
1:  mv      t6, a0
    sd      tp, C_KTP(t6)           /* what the entry loads tp from */
    ld      t0, C_PC(t6)
    csrw    sepc, t0
    csrw    sscratch, t6
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    ctx_x   ld, \n, t6
    .endr
    ld      t6, C_T6(t6)
    sret

    .section .bss
    .balign 16
kernel_stack:
    .space 32768
    .globl kernel_stack_top     /* the boot hart's (smp.c: its block) */
kernel_stack_top:
