/*
 * Trap dispatch in S-mode and the exception report (riscv64).
 *
 * Interrupts go to the timer and the PLIC. Every other trap taken in S-mode
 * is a kernel bug, so the report is as complete as x86-64's and aarch64's:
 * the cause named (for page faults: read, write or fetch, and the address
 * from stval), sepc symbolized, sstatus, every general register by its ABI
 * name, satp, and a backtrace symbolized from the kernel's own symbol table
 * (kernel/genarch/backtrace.c). Then the machine stops.
 *
 * Two traps are expected: the Sstc probe (timer.c) touches stimecmp, an
 * illegal instruction where the hart or the firmware does not offer it, and
 * the Svnapot probe (mmu.c) loads through a NAPOT group, a page fault without
 * Svnapot; the probe then returns 0 instead.
 */
#include "arch.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "kprintf.h"
#include "panic.h"
#include "sched/smp.h"

extern const char sstc_probe_insn[], napot_probe_insn[];

/* The probes' instructions (timer.c, mmu.c): where one traps, it leaves 0 in
 * a0 and is skipped. */
static bool is_probe(uintptr_t pc)
{
    return pc == (uintptr_t)sstc_probe_insn || pc == (uintptr_t)sstc_probe_insn + 4 ||
           pc == (uintptr_t)napot_probe_insn;
}

static bool reporting;

static const char *const reg_names[32] = {
    "pc", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "s0", "s1", "a0",
    "a1", "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
    "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

static const char *cause_name(uint64_t cause)
{
    static const char *const names[16] = {
        "instruction address misaligned",
        "instruction access fault",
        "illegal instruction",
        "breakpoint",
        "load address misaligned",
        "load access fault",
        "store address misaligned",
        "store access fault",
        "environment call from U-mode",
        "environment call from S-mode",
        "reserved",
        "reserved",
        "instruction page fault",
        "load page fault",
        "reserved",
        "store page fault",
    };
    return cause < 16 ? names[cause] : "exception";
}

static void report(const struct trap_frame *tf)
{
    uint64_t cause = tf->scause;
    if (cause & SCAUSE_IRQ) {
        kprintf("\nEXCEPTION: unexpected interrupt %lu", (unsigned long)(cause & ~SCAUSE_IRQ));
    } else {
        kprintf("\nEXCEPTION: %s (scause %lu)", cause_name(cause), (unsigned long)cause);
        if (cause == EXC_INSN_PAGE || cause == EXC_LOAD_PAGE || cause == EXC_STORE_PAGE)
            kprintf(" [%s, kernel]", cause == EXC_INSN_PAGE   ? "fetch"
                                     : cause == EXC_LOAD_PAGE ? "read"
                                                              : "write");
        else if (cause == EXC_ILLEGAL)
            kprintf(" [instruction 0x%08lx]", (unsigned long)tf->stval);
    }
    kprintf(" from %s\n", tf->sstatus & SSTATUS_SPP ? "S-mode" : "U-mode");
    kprintf("  SCAUSE 0x%016lx  STVAL  %p (faulting address)\n", (unsigned long)cause,
            (void *)tf->stval);
    uintptr_t off;
    const char *sym = ksym_lookup(tf->sepc, &off);
    kprintf("  PC     %p <%s+0x%lx>  SSTATUS 0x%lx\n", (void *)tf->sepc, sym, (unsigned long)off,
            (unsigned long)tf->sstatus);
    for (unsigned i = 1; i < 32; i++)
        kprintf("  %-3s %016lx%s", reg_names[i], (unsigned long)tf->x[i - 1],
                i % 4 == 3 || i == 31 ? "\n" : "");
    kprintf("  SATP %016lx  SIE %016lx  SIP %016lx\n", (unsigned long)csr_read(satp),
            (unsigned long)csr_read(sie), (unsigned long)csr_read(sip));
    /* A fetch from outside the kernel's text (a call through a bad
     * pointer): the caller's frame is not made yet, so the walk starts from
     * ra, the return address into it. */
    uintptr_t pc = tf->sepc;
    if (ksym_lookup(pc, &off)[0] == '?')
        pc = tf->x[1 - 1];
    arch_backtrace(tf->x[8 - 1], pc);
}

/* An interrupt from U-mode (user.c) or one an abandoned entry was (smp.c),
 * the lock held. */
bool riscv_user_irq(uint64_t cause)
{
    if (cause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
        timer_irq();
        return true;
    }
    if (cause == (SCAUSE_IRQ | IRQ_S_EXT)) {
        plic_handle_irq();
    } else if (cause == (SCAUSE_IRQ | IRQ_S_SOFT)) {
        csr_clear(sip, SIP_SSIP);
        smp_ipi();
    }
    return false;
}

void riscv_trap(struct trap_frame *tf)
{
    uint64_t cause = tf->scause;
    /* Interrupts in S-mode arrive only in the idle wait, without the kernel
     * lock (sched/smp.h): the handler takes it, but the timer's (this hart's
     * state only); an IPI's request is served before. */
    if (cause == (SCAUSE_IRQ | IRQ_S_TIMER)) {
        timer_irq();
        return;
    }
    if (cause == (SCAUSE_IRQ | IRQ_S_EXT) || cause == (SCAUSE_IRQ | IRQ_S_SOFT)) {
        if (cause == (SCAUSE_IRQ | IRQ_S_SOFT)) {
            csr_clear(sip, SIP_SSIP);
            smp_serve(); /* before the lock: the requester holds it */
        }
        bool took = smp_irq_enter();
        if (cause == (SCAUSE_IRQ | IRQ_S_EXT))
            plic_handle_irq();
        else
            smp_ipi();
        smp_irq_exit(took);
        return;
    }
    if (!(cause & SCAUSE_IRQ) && is_probe(tf->sepc)) {
        tf->x[10 - 1] = 0; /* a0: the feature is not there */
        tf->sepc += 4;
        return;
    }
    if (reporting) {
        kprintf("\nEXCEPTION: scause 0x%lx while reporting an exception at %p\n",
                (unsigned long)cause, (void *)tf->sepc);
        arch_debug_exit(1);
        arch_halt();
    }
    reporting = true;
    report(tf);
    kprintf("System halted.\n");
    arch_debug_exit(1);
    arch_halt();
}
