/*
 * Entries from U-mode and the exit to it (riscv64; arch/context.h).
 *
 * An exception from U-mode is decoded into the neutral terms of struct
 * arch_fault (docs/porting.md section 5) from scause:
 *
 *   instruction/load/store page fault   page fault (address stval, fetch/read/
 *                                       write; present when the tables hold a
 *                                       leaf for it: the ISA does not say)
 *   misaligned fetch, load, store       ALIGNMENT
 *   illegal instruction                 UNDEFINED_INSTRUCTION (every privileged
 *                                       instruction and CSR U-mode may not use)
 *   breakpoint (ebreak)                 BREAKPOINT
 *   ecall                               a system call, no fault
 *   anything else (access faults, ...)  OTHER
 *
 * with scause as the architecture's code (DETAIL1 of a fault message).
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "mm/vm.h"
#include "panic.h"
#include "sched/sched.h"
#include "weft/objects.h"

void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

__noreturn void riscv_sret_to_user(struct arch_context *c);

static paddr_t loaded_root(void)
{
    return (csr_read(satp) & SATP_PPN_MASK) << 12;
}

/* A fault on a page whose tables already allow the access (decision 081, as
 * x86-64's and aarch64's): the first repeat of the same fault drops the
 * page's TLB entry and retries once, the next is delivered as mapped. */
static void permission_fault(struct arch_context *c, struct arch_fault *f)
{
    paddr_t pa;
    unsigned access, level;
    if (c->retry_pc != ctx_pc(c) || c->retry_addr != f->addr) {
        c->retry_pc = ctx_pc(c);
        c->retry_addr = f->addr;
        c->retry_count = 0;
    }
    if (!arch_pt_lookup(loaded_root(), f->addr, &pa, &access, &level) ||
        (access & f->access) != f->access) {
        c->retry_count = 0;
        return;
    }
    if (c->retry_count++ == 0) {
        arch_tlb_flush_page(f->addr);
        c->entry = ARCH_ENTRY_INTERRUPT; /* nothing to hand on: resume */
        return;
    }
    c->retry_pc = c->retry_addr = ~0ull;
    f->mapped = true;
}

static void user_decode(struct arch_context *c)
{
    uint64_t cause = c->scause;
    struct arch_fault *f = &c->fault;
    *f = (struct arch_fault){0};
    f->code = cause;
    f->addr = c->stval;
    c->entry = ARCH_ENTRY_FAULT;
    switch (cause) {
    case EXC_ECALL_U:
        c->entry = ARCH_ENTRY_SYSCALL;
        return;
    case EXC_INSN_PAGE:
    case EXC_LOAD_PAGE:
    case EXC_STORE_PAGE: {
        f->page = true;
        f->access = cause == EXC_INSN_PAGE ? VM_EXEC : cause == EXC_LOAD_PAGE ? VM_READ : VM_WRITE;
        paddr_t pa;
        unsigned access, level;
        f->present = arch_pt_lookup(loaded_root(), f->addr, &pa, &access, &level);
        if (f->present)
            permission_fault(c, f);
        return;
    }
    case EXC_INSN_MISALIGNED:
    case EXC_LOAD_MISALIGNED:
    case EXC_STORE_MISALIGNED:
        f->exception = WF_EXCEPTION_ALIGNMENT;
        return;
    case EXC_ILLEGAL:
        f->exception = WF_EXCEPTION_UNDEFINED_INSTRUCTION;
        f->addr = ctx_pc(c);
        return;
    case EXC_BREAKPOINT:
        f->exception = WF_EXCEPTION_BREAKPOINT;
        f->addr = ctx_pc(c);
        return;
    default:
        f->exception = WF_EXCEPTION_OTHER;
        return;
    }
}

__noreturn void arch_user_entry(struct arch_context *c)
{
    if (arch_user_redirect)
        arch_user_redirect(c);
    kernel_entry(c);
}

/* Every entry from U-mode that is no fast-path system call, its registers
 * saved in c (trap.S): an interrupt is serviced and U-mode resumed (the
 * scaffold's context) or handed on as ARCH_ENTRY_INTERRUPT after a scheduler
 * tick; an illegal instruction while the FP registers are closed loads them
 * (riscv_fpu_take) and runs it again; an exception is decoded, then retried
 * (permission_fault) or handed to arch_user_entry. */
__noreturn void riscv_user_trap(struct arch_context *c)
{
    uint64_t cause = c->scause;
    if (cause & SCAUSE_IRQ) {
        bool ticked = riscv_user_irq(cause);
        if (arch_user_redirect)
            arch_exit_to_user(c);
        c->entry = ARCH_ENTRY_INTERRUPT;
        if (ticked)
            sched_tick();
        arch_user_entry(c);
    }
    if (cause == EXC_ILLEGAL && !riscv_fpu_open) {
        /* Perhaps the first FP instruction since the switch, which finds
         * the registers closed (sstatus.FS Off: arch/context.h): the
         * context's state is loaded and the instruction runs again. One that
         * is no FP instruction traps again, the registers open, and is
         * decoded below (the ISA gives both the same cause). */
        riscv_fpu_take(c);
        arch_exit_to_user(c);
    }
    user_decode(c);
    if (c->entry == ARCH_ENTRY_INTERRUPT)
        arch_exit_to_user(c);
    arch_user_entry(c);
}

__noreturn void arch_exit_to_user(struct arch_context *c)
{
    /* Sv48's top, a constant: under Sv39 (decision 177) a pc between 2^38 and
     * 2^47 is no address, and its fetch faults in U-mode (an instruction page
     * fault as an unmapped page's). */
    if (ctx_pc(c) >= USER_TOP_SV48) {
        c->scause = EXC_INSN_PAGE;
        c->stval = ctx_pc(c);
        c->fault = (struct arch_fault){
            .exception = WF_EXCEPTION_PROTECTION, .addr = ctx_pc(c), .code = EXC_INSN_PAGE};
        c->entry = ARCH_ENTRY_FAULT;
        arch_user_ctx = c;
        arch_user_entry(c);
    }
    /* While U-mode runs, its context's entry reads as a system call's
     * (ARCH_ENTRY_SYSCALL), and its cause as an ecall's: trap.S's ecall
     * entry on one hart stores neither. Every other entry sets its own and
     * leaves through here; the fast path's exit (riscv_exit_fast) resumes
     * only threads whose last entry was a system call (a receiver in Recv, a
     * caller in Call). */
    c->entry = ARCH_ENTRY_SYSCALL;
    c->scause = EXC_ECALL_U;
    /* U-mode (SPP clear), interrupts on there (SPIE); SUM stays clear. */
    csr_clear(sstatus, SSTATUS_SPP);
    csr_set(sstatus, SSTATUS_SPIE);
    arch_user_ctx = c;
    riscv_sret_to_user(c);
}
