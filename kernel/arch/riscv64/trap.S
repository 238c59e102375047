/*
 * The trap entry (stvec, direct mode) and the way back to U-mode.
 *
 * sscratch is the running user context (struct arch_context) while U-mode
 * runs and 0 in S-mode. The entry swaps it with a0: non-zero, the trap came
 * from U-mode, and every register is stored straight into that context
 * (x86-64's syscall entry and aarch64's el0_sync do the same, decision 038),
 * on the CPU's one kernel stack; an ecall's pc is moved past the instruction,
 * Call and ReplyRecv go to the IPC fast path while it is on
 * (ipc_fastpath_sysno) and leave by riscv_exit_fast, everything else goes to
 * riscv_user_trap (user.c).
 *
 * Two vectors: trap_entry while the hart is the only one running,
 * trap_entry_smp once several are (smp.c switches stvec when it sets
 * klock_on: cpu.c, smp.c), whose entries from U-mode take the kernel lock
 * (decision 157) and whose fast path leaves by riscv_exit_fast_smp, which
 * drops it; one hart asks nothing on either way.
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
#define C_A7      (7 * 8)     /* x17: the system call number */
#define C_SSTATUS 256
#define C_SCAUSE  264
#define C_STVAL   272
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
    .globl trap_entry, trap_entry_smp
    .balign 4
trap_entry_smp:
    csrrw   a0, sscratch, a0
    bnez    a0, from_user_smp
    j       from_kernel

    .balign 4
trap_entry:
    csrrw   a0, sscratch, a0
    bnez    a0, from_user
from_kernel:
    csrrw   a0, sscratch, a0        /* a0 back, sscratch 0 again */

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

/* a0 = the running context, the thread's a0 in sscratch: every register
 * stored, sscratch 0, tp and the kernel stack loaded; a0 the context (the
 * C calls' argument), t0 sepc, t2 scause, t4 the ecall's cause. sstatus is
 * stored; scause is left to the caller: the cause is what arch_entry_abandon
 * and riscv_user_trap read, and a context in U-mode reads as an ecall's
 * already (arch_exit_to_user sets it, as the entry kind, and the fast path
 * resumes only threads whose last entry was a system call), so an ecall on
 * one hart stores none. */
    .macro save_user
    .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ctx_x   sd, \n, a0
    .endr
    csrrw   t0, sscratch, zero      /* the thread's a0; 0: S-mode */
    sd      t0, 0(a0)               /* x10 */
    csrr    t0, sepc
    csrr    t1, sstatus
    csrr    t2, scause
    sd      t1, C_SSTATUS(a0)
    ld      tp, C_KTP(a0)           /* the kernel's tp: this hart's block */
    ld      sp, PERCPU_KSTACK(tp)
    li      s0, 0                   /* backtraces end here */
    li      t4, EXC_ECALL_U
    .endm

/* A system call (a0: the context, a7 the thread's a7, the number; the entry
 * reads ARCH_ENTRY_SYSCALL: user.c): Call and ReplyRecv go to the fast path
 * while it is on (ipc_fastpath_sysno, read from this hart's block, where
 * arch_fastpath_sysno_changed keeps a copy; the test scaffold turns it off while
 * it runs a context of its own: kernel/test/arch/riscv64/scaffold.c), which
 * returns the context to leave to: Call's returns to the instructions after
 * the macro, ReplyRecv's to the exit's registers (smp: riscv_exit_fast_smp;
 * one hart: a copy of riscv_exit_fast, no jump); the rest to
 * riscv_user_trap. The fast path is called by `jal` (one instruction, where
 * `call` is two without linker relaxation): the image's text is far below
 * jal's reach of 1 MiB, and the link fails if it ever is not. */
    .macro syscall_dispatch smp
    ld      t2, PERCPU_FAST_NR(tp)  /* ipc_fastpath_sysno, this hart's copy */
    ld      t3, PERCPU_FAST_NR + 8(tp)
    beq     a7, t3, 8f
    beq     a7, t2, 7f
    call    riscv_user_trap         /* does not return */
8:  jal     ipc_fastpath_reply_recv
    .if \smp
    j       riscv_exit_fast_smp
    .else
    exit_regs
    .endif
7:  jal     ipc_fastpath_call
    .endm

/* The way out of riscv_exit_fast (below), from a0, the context: its pc, the
 * context in sscratch again, every register (a0 last, the base), sret. */
    .macro exit_regs
    ld      t0, C_PC(a0)
    csrw    sepc, t0
    csrw    sscratch, a0
    .irp n, 1,2,3,4,5,6,7,8,9,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    ctx_x   ld, \n, a0
    .endr
    ld      a0, 0(a0)               /* x10 last: the base */
    sret
    .endm

/* Several harts: a system call stores its pc past the ecall (a restart moves
 * it back), any other entry its pc and stval; then the kernel lock (decision
 * 157): an atomic add takes a ticket, an acquiring load of serving says
 * whether it is this hart's. Another hart's: wait for it serving requests
 * (t0: the ticket taken); the call returns holding it unless the thread was
 * taken meanwhile. Then the context, its cause and a7 again. */
from_user_smp:
    save_user
    sd      t2, C_SCAUSE(a0)        /* read again below */
    bne     t2, t4, 1f
    addi    t0, t0, 4
    j       2f
1:  csrr    t3, stval
    sd      t3, C_STVAL(a0)
2:  sd      t0, C_PC(a0)
    la      t3, kernel_lock
    li      t1, 1
    amoadd.w t0, t1, (t3)
    lw      t1, 4(t3)
    fence   r, rw
    beq     t0, t1, 3f
    mv      a0, t0
    call    smp_entry_wait
    ld      a0, PERCPU_USER_CTX(tp)
3:  ld      t2, C_SCAUSE(a0)
    ld      a7, C_A7(a0)
    li      t4, EXC_ECALL_U
    beq     t2, t4, 4f
    call    riscv_user_trap         /* does not return */
4:  syscall_dispatch 1
    /* (Call's fast path returns here) */

/* riscv_sret_to_user(ctx): loads the context and srets to U-mode. sstatus
 * (SPP clear, SPIE set) was prepared by the caller (user.c). Interrupts are
 * off from here to the sret (which turns them on from SPIE): once sscratch
 * names the context, a trap would be taken for one from U-mode. The kernel
 * stack is reset by the next entry: nothing of the kernel's survives an
 * exit.
 *
 * riscv_exit_fast(ctx): the same for the IPC fast path (syscall_dispatch),
 * whose context is arch_user_ctx already with its pc in the user half
 * (arch_context_activate_fast, ctx_fast_resume), with interrupts off since
 * the entry and sstatus as the entry from U-mode left it: SPP clear (the
 * trap came from U-mode) and SPIE set (U-mode runs with SIE set); an S-mode
 * trap taken meanwhile would leave them so too (its sret clears SPP and sets
 * SPIE). What is left of arch_exit_to_user: the registers, and
 * riscv_exit_fast_smp's the kernel lock before them. */
    .globl riscv_sret_to_user, riscv_exit_fast, riscv_exit_fast_smp
riscv_exit_fast_smp:                /* several harts: the kernel lock goes */
    la      t0, kernel_lock + 4
    lw      t1, 0(t0)
    addi    t1, t1, 1
    fence   rw, w
    sw      t1, 0(t0)
exit_store_ktp:
    sd      tp, C_KTP(a0)           /* what the entry loads tp from */
    j       riscv_exit_fast
riscv_sret_to_user:
    csrci   sstatus, SSTATUS_SIE
    lw      t0, PERCPU_KLOCK_ON(tp)
    bnez    t0, riscv_exit_fast_smp
    j       exit_store_ktp

/* One hart: a system call stores its pc past the ecall (a restart moves it
 * back), any other entry its pc and stval. */
from_user:
    save_user
    beq     t2, t4, 1f
    sd      t2, C_SCAUSE(a0)
    sd      t0, C_PC(a0)
    csrr    t3, stval
    sd      t3, C_STVAL(a0)
    call    riscv_user_trap         /* does not return */
1:  addi    t0, t0, 4
    sd      t0, C_PC(a0)
    syscall_dispatch 0
    /* (Call's fast path returns here) */
/* One hart: the context entered on this hart before (its thread made the
 * system call it now returns from), so its C_KTP is this hart's already. */
riscv_exit_fast:
    exit_regs

    .section .bss
    .balign 16
kernel_stack:
    .space 32768
    .globl kernel_stack_top     /* the boot hart's (smp.c: its block) */
kernel_stack_top:
