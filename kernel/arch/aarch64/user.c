/*
 * Entries from EL0 and the exit to it (aarch64; arch/context.h).
 *
 * An exception from EL0 is decoded into the neutral terms of struct
 * arch_fault (docs/porting.md section 5) from ESR_EL1's exception class:
 *
 *   data/instruction abort, translation/access flag/permission fault
 *                                     page fault (address FAR, read/write/fetch,
 *                                     present unless a translation fault)
 *   abort with an alignment fault, PC or SP alignment   ALIGNMENT
 *   unknown reason, illegal execution state            UNDEFINED_INSTRUCTION
 *   trapped FP exception                               ARITHMETIC
 *   FP/SIMD access while closed                        none: the lazy switch
 *                                                      (fpu.c), EL0 resumed
 *   BRK                                                BREAKPOINT
 *   hardware breakpoint, software step, watchpoint     DEBUG
 *   system register access (MSR/MRS/SYS trapped)       PROTECTION
 *   SVC                                                a system call, no fault
 *   anything else (external aborts, ...)               OTHER
 *
 * with the whole ESR as the architecture's code (DETAIL1 of a fault message).
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "ipc/ipc.h"
#include "ipc/syscall.h"
#include "lib/string.h"
#include "mm/vm.h"
#include "panic.h"
#include "sched/sched.h"
#include "weft/objects.h"

void (*arch_user_redirect)(struct arch_context *ctx) __noreturn;

__noreturn void aarch64_eret_to_user(struct arch_context *c);

enum {
    EC_UNKNOWN = 0x00,
    EC_FP_ACCESS = 0x07,
    EC_ILLEGAL_STATE = 0x0e,
    EC_SVC64 = 0x15,
    EC_SYSREG = 0x18,
    EC_IABT_LOWER = 0x20,
    EC_PC_ALIGN = 0x22,
    EC_DABT_LOWER = 0x24,
    EC_SP_ALIGN = 0x26,
    EC_FP_EXC = 0x2c,
    EC_BKPT_LOWER = 0x30,
    EC_STEP_LOWER = 0x32,
    EC_WATCH_LOWER = 0x34,
    EC_BRK = 0x3c,
};

#define FSC_ALIGNMENT 0x21

/* A fault on a present page whose tables already allow the access (a stale
 * TLB entry of a mapping since extended, or a fault no mapping change cures):
 * the first repeat of the same fault drops the page's TLB entry and retries
 * the instruction once, the next is delivered as mapped (decision 081, as
 * x86-64's user.c). */
static void permission_fault(struct arch_context *c, struct arch_fault *f)
{
    if (c->retry_pc != c->pc || c->retry_addr != f->addr) {
        c->retry_pc = c->pc;
        c->retry_addr = f->addr;
        c->retry_count = 0;
        return;
    }
    paddr_t pa;
    unsigned access, level;
    if (!arch_pt_lookup(read_sysreg(ttbr0_el1) & PTE_ADDR, f->addr, &pa, &access, &level) ||
        (access & f->access) != f->access)
        return;
    if (c->retry_count++ == 0) {
        arch_tlb_flush_page(f->addr);
        c->entry = ARCH_ENTRY_INTERRUPT; /* nothing to hand on: resume */
        return;
    }
    c->retry_pc = c->retry_addr = ~0ull;
    f->mapped = true;
}

static void user_decode(struct arch_context *c, uint64_t esr, uint64_t far)
{
    unsigned ec = (esr >> 26) & 0x3f;
    unsigned fsc = esr & 0x3f;
    struct arch_fault *f = &c->fault;
    *f = (struct arch_fault){0};
    c->esr = esr;
    c->far = far;
    f->code = esr;
    f->addr = far;
    c->entry = ARCH_ENTRY_FAULT;
    switch (ec) {
    case EC_SVC64:
        c->entry = ARCH_ENTRY_SYSCALL;
        return;
    case EC_DABT_LOWER:
    case EC_IABT_LOWER:
        if (fsc < 16 && (fsc >> 2) != 0) { /* translation, access flag, permission */
            f->page = true;
            f->present = (fsc >> 2) != 1;
            f->access = ec == EC_IABT_LOWER                     ? VM_EXEC
                        : esr & (1u << 6) && !(esr & (1u << 8)) ? VM_WRITE
                                                                : VM_READ;
            if (f->present)
                permission_fault(c, f);
        } else {
            f->exception = fsc == FSC_ALIGNMENT ? WF_EXCEPTION_ALIGNMENT : WF_EXCEPTION_OTHER;
        }
        return;
    case EC_PC_ALIGN:
    case EC_SP_ALIGN:
        f->exception = WF_EXCEPTION_ALIGNMENT;
        return;
    case EC_UNKNOWN:
    case EC_ILLEGAL_STATE:
        f->exception = WF_EXCEPTION_UNDEFINED_INSTRUCTION;
        f->addr = c->pc;
        return;
    case EC_FP_EXC:
        f->exception = WF_EXCEPTION_ARITHMETIC;
        return;
    case EC_BRK:
        f->exception = WF_EXCEPTION_BREAKPOINT;
        f->addr = c->pc;
        return;
    case EC_BKPT_LOWER:
    case EC_STEP_LOWER:
    case EC_WATCH_LOWER:
        f->exception = WF_EXCEPTION_DEBUG;
        return;
    case EC_SYSREG:
        f->exception = WF_EXCEPTION_PROTECTION;
        f->addr = c->pc;
        return;
    default:
        f->exception = WF_EXCEPTION_OTHER;
        return;
    }
}

/* Every entry from EL0 ends here: the test scaffold's redirect while it runs a
 * context that is no thread's, else the generic kernel_entry. */
__noreturn void arch_user_entry(struct arch_context *c)
{
    if (arch_user_redirect)
        arch_user_redirect(c);
    kernel_entry(c);
}

/* Copies the registers an entry from EL0 left in tf into the running context
 * (interrupts; synchronous entries store them there in vectors.S). */
static struct arch_context *user_save(const struct trap_frame *tf)
{
    struct arch_context *c = arch_user_ctx;
    for (unsigned i = 0; i < 31; i++) /* words, not the byte-wise memcpy */
        c->x[i] = tf->x[i];
    c->sp = read_sysreg(sp_el0);
    c->pc = tf->elr;
    c->pstate = tf->spsr;
    c->tpidr = read_sysreg(tpidr_el0);
    return c;
}

/* A synchronous exception from EL0 with no context running (vectors.S, trap.c):
 * nothing takes it; it is reported as a kernel exception is. */
void aarch64_user_trap(struct trap_frame *tf)
{
    (void)tf;
}

_Static_assert(ARCH_ENTRY_SYSCALL == 0, "vectors.S stores 0 for a system call");

/* A synchronous exception from EL0 that is no fast-path system call, its
 * registers, ESR and FAR saved in c (vectors.S el0_sync): decoded, then a
 * permission fault retried (permission_fault) or handed to arch_user_entry. */
__noreturn void aarch64_user_sync(struct arch_context *c)
{
    if (((c->esr >> 26) & 0x3f) == EC_FP_ACCESS) { /* FP/SIMD closed: lazy switch */
        aarch64_fpu_take(c);
        arch_exit_to_user(c);
    }
    user_decode(c, c->esr, c->far);
    if (c->entry == ARCH_ENTRY_INTERRUPT)
        arch_exit_to_user(c);
    arch_user_entry(c);
}

/* An interrupt from EL0, before it is serviced (trap.c): a thread's
 * registers go to its context. */
void aarch64_user_irq_save(const struct trap_frame *tf)
{
    if (arch_user_ctx && !arch_user_redirect)
        user_save(tf)->entry = ARCH_ENTRY_INTERRUPT;
}

/* After an interrupt from EL0 was serviced (trap.c): the scaffold's context
 * resumes at once (return); a thread's goes through arch_user_entry, after a
 * scheduler tick when this CPU's timer ticked. */
void aarch64_user_irq(struct trap_frame *tf, bool ticked)
{
    (void)tf;
    if (!arch_user_ctx || arch_user_redirect)
        return;
    struct arch_context *c = arch_user_ctx;
    if (ticked)
        sched_tick();
    arch_user_entry(c);
}

__noreturn void arch_exit_to_user(struct arch_context *c)
{
    c->pstate &= PSTATE_USER_MASK; /* EL0t, D A I F clear */
    if (c->pc >= USER_TOP) {
        user_decode(c, (uint64_t)EC_PC_ALIGN << 26, c->pc);
        c->fault.exception = WF_EXCEPTION_PROTECTION;
        arch_user_ctx = c;
        arch_user_entry(c);
    }
    arch_user_ctx = c;
    aarch64_eret_to_user(c);
}
