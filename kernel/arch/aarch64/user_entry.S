/*
 * The way into EL0 (arch/context.h): aarch64_eret_to_user(ctx) loads the
 * context (struct arch_context: x0-x30 at 0, SP_EL0 at 248, ELR at 256, SPSR
 * at 264, TPIDR_EL0 at 272) and erets. The SPSR was sanitised by the caller
 * (user.c). The kernel stack pointer (SP_EL1) is reset to the top of the
 * CPU's kernel stack (one per CPU, as on x86-64: nothing of the kernel's
 * survives an exit to EL0; its top is in the per-CPU block), where the next
 * exception from EL0 pushes its frame. Every way out drops the kernel lock
 * once several CPUs run (KLOCK_RELEASE, decision 149). The boot stack
 * (head.S) is not it: kernel_main and the self-tests run
 * there, and the test scaffold returns to them (kernel/test/arch/aarch64/).
 */
#define C_SP    248
#define C_PC    256
#define C_PSTATE 264
#define C_TPIDR 272
#define PSTATE_USER 0xf0000000 /* PSTATE_USER_MASK: N Z C V (arch/context.h checks) */
#include "arch/percpu.h"
#include "arch/klock.inc"

    .section .text
    .globl aarch64_eret_to_user, aarch64_exit_fast
aarch64_eret_to_user:
    mrs     x1, tpidr_el1
    ldr     x1, [x1, #PERCPU_KSTACK]
    mov     sp, x1
    mov     x30, x0
    ldp     x0, x1, [x30, #C_PC]
    b       1f

/* The IPC fast path's exit (vectors.S): x0 = the context to resume, which
 * the fast path made arch_user_ctx (arch_context_activate_fast) and whose pc
 * it found in the user half (ctx_fast_resume), the kernel stack already empty
 * (the fast path returned to el0_sync, which had popped everything). What is
 * left of arch_exit_to_user: PSTATE keeps N Z C V only. */
aarch64_exit_fast:
    mov     x30, x0
    ldp     x0, x1, [x30, #C_PC]
    and     x1, x1, #PSTATE_USER
1:  msr     elr_el1, x0
    msr     spsr_el1, x1
    KLOCK_RELEASE 0, 1              /* (several CPUs: arch/smp.h) */
    ldr     x0, [x30, #C_SP]
    msr     sp_el0, x0
    ldr     x0, [x30, #C_TPIDR]
    msr     tpidr_el0, x0
    ldp     x0, x1, [x30, #0]
    ldp     x2, x3, [x30, #16]
    ldp     x4, x5, [x30, #32]
    ldp     x6, x7, [x30, #48]
    ldp     x8, x9, [x30, #64]
    ldp     x10, x11, [x30, #80]
    ldp     x12, x13, [x30, #96]
    ldp     x14, x15, [x30, #112]
    ldp     x16, x17, [x30, #128]
    ldp     x18, x19, [x30, #144]
    ldp     x20, x21, [x30, #160]
    ldp     x22, x23, [x30, #176]
    ldp     x24, x25, [x30, #192]
    ldp     x26, x27, [x30, #208]
    ldp     x28, x29, [x30, #224]
    ldr     x30, [x30, #240]
    eret

    .section .bss
    .balign 16
kernel_stack:
    .space 32768
    .globl kernel_stack_top
kernel_stack_top:
