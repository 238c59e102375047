/*
 * Exception dispatch and the exception report (aarch64).
 *
 * IRQs go to the GIC driver. Every other exception is, until user mode exists
 * on aarch64, a kernel bug, so the report is as complete as x86-64's: the
 * exception class named, ESR decoded (for aborts the fault status: kind, level,
 * read/write/fetch), FAR, PC symbolized, PSTATE, every general register, the
 * translation registers, and a backtrace symbolized from the kernel's own
 * symbol table (kernel/genarch/backtrace.c). Then the machine stops.
 *
 * One exception is expected: the semihosting instruction of arch_debug_exit
 * is undefined when QEMU runs without semihosting; it returns -1 instead.
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/percpu.h"
#include "arch/smp.h"
#include "kprintf.h"
#include "panic.h"

extern const char semihost_insn[];

static bool reporting;

#define ESR_EC(esr)  (((esr) >> 26) & 0x3f)
#define ESR_ISS(esr) ((esr)&0x1ffffff)

enum {
    EC_UNKNOWN = 0x00,
    EC_WFX = 0x01,
    EC_FP_ACCESS = 0x07,
    EC_ILLEGAL_STATE = 0x0e,
    EC_SVC64 = 0x15,
    EC_SYSREG = 0x18,
    EC_IABT_LOWER = 0x20,
    EC_IABT_CUR = 0x21,
    EC_PC_ALIGN = 0x22,
    EC_DABT_LOWER = 0x24,
    EC_DABT_CUR = 0x25,
    EC_SP_ALIGN = 0x26,
    EC_FP_EXC = 0x2c,
    EC_SERROR = 0x2f,
    EC_BKPT_LOWER = 0x30,
    EC_BKPT_CUR = 0x31,
    EC_STEP_LOWER = 0x32,
    EC_STEP_CUR = 0x33,
    EC_WATCH_LOWER = 0x34,
    EC_WATCH_CUR = 0x35,
    EC_BRK = 0x3c,
};

static const char *ec_name(unsigned ec)
{
    switch (ec) {
    case EC_UNKNOWN:
        return "undefined instruction";
    case EC_WFX:
        return "trapped WFI/WFE";
    case EC_FP_ACCESS:
        return "FP/SIMD access";
    case EC_ILLEGAL_STATE:
        return "illegal execution state";
    case EC_SVC64:
        return "system call (SVC)";
    case EC_SYSREG:
        return "system register access";
    case EC_IABT_LOWER:
    case EC_IABT_CUR:
        return "instruction abort";
    case EC_PC_ALIGN:
        return "PC alignment fault";
    case EC_DABT_LOWER:
    case EC_DABT_CUR:
        return "data abort";
    case EC_SP_ALIGN:
        return "SP alignment fault";
    case EC_FP_EXC:
        return "FP exception";
    case EC_SERROR:
        return "SError";
    case EC_BKPT_LOWER:
    case EC_BKPT_CUR:
        return "hardware breakpoint";
    case EC_STEP_LOWER:
    case EC_STEP_CUR:
        return "software step";
    case EC_WATCH_LOWER:
    case EC_WATCH_CUR:
        return "watchpoint";
    case EC_BRK:
        return "breakpoint";
    default:
        return "exception";
    }
}

/* The fault status code of an abort (DFSC/IFSC). */
static void describe_fsc(unsigned fsc)
{
    static const char *const kinds[4] = {"address size fault", "translation fault",
                                         "access flag fault", "permission fault"};
    if (fsc < 16)
        kprintf("%s level %u", kinds[fsc >> 2], fsc & 3);
    else if (fsc == 0x10)
        kprintf("synchronous external abort");
    else if (fsc == 0x21)
        kprintf("alignment fault");
    else if (fsc == 0x30)
        kprintf("TLB conflict");
    else
        kprintf("fault status 0x%x", fsc);
}

static void describe_esr(uint64_t esr)
{
    unsigned ec = ESR_EC(esr);
    uint64_t iss = ESR_ISS(esr);
    bool lower = ec == EC_IABT_LOWER || ec == EC_DABT_LOWER;
    if (ec == EC_DABT_CUR || ec == EC_DABT_LOWER) {
        kprintf(" [");
        describe_fsc(iss & 0x3f);
        kprintf(", %s, %s%s]", (iss & (1u << 6)) && !(iss & (1u << 8)) ? "write" : "read",
                lower ? "user" : "kernel", iss & (1u << 10) ? ", FAR not valid" : "");
    } else if (ec == EC_IABT_CUR || ec == EC_IABT_LOWER) {
        kprintf(" [");
        describe_fsc(iss & 0x3f);
        kprintf(", fetch, %s]", lower ? "user" : "kernel");
    } else if (ec == EC_BRK) {
        kprintf(" [BRK #0x%x]", (unsigned)(iss & 0xffff));
    } else if (ec == EC_SVC64) {
        kprintf(" [SVC #0x%x]", (unsigned)(iss & 0xffff));
    } else if (ec == EC_SYSREG) {
        kprintf(" [op0 %u op1 %u CRn %u CRm %u op2 %u, %s]", (unsigned)(iss >> 20) & 3,
                (unsigned)(iss >> 14) & 7, (unsigned)(iss >> 10) & 15, (unsigned)(iss >> 1) & 15,
                (unsigned)(iss >> 17) & 7, iss & 1 ? "read" : "write");
    }
}

static void report(unsigned kind, const struct trap_frame *tf)
{
    static const char *const slots[4] = {"synchronous", "IRQ", "FIQ", "SError"};
    unsigned ec = ESR_EC(tf->esr);
    if ((kind & 3) == 0)
        kprintf("\nEXCEPTION: %s (EC 0x%02x), ESR 0x%lx", ec_name(ec), ec, (unsigned long)tf->esr);
    else
        kprintf("\nEXCEPTION: unexpected %s", slots[kind & 3]);
    describe_esr(tf->esr);
    kprintf(" from %s\n", kind < VEC_LOWER64_SYNC ? "EL1" : "EL0");
    kprintf("  ESR    0x%08lx  FAR    %p (faulting address)\n", (unsigned long)tf->esr,
            (void *)tf->far);
    uintptr_t off;
    const char *sym = ksym_lookup(tf->elr, &off);
    kprintf("  PC     %p <%s+0x%lx>  PSTATE 0x%lx\n", (void *)tf->elr, sym, (unsigned long)off,
            (unsigned long)tf->spsr);
    kprintf("  SP     %p\n", (void *)tf->sp);
    for (unsigned i = 0; i < 31; i++)
        kprintf("  X%-2u %016lx%s", i, (unsigned long)tf->x[i], i % 4 == 3 || i == 30 ? "\n" : "");
    kprintf("  SCTLR %016lx  TCR %016lx  TTBR0 %016lx  TTBR1 %016lx\n",
            (unsigned long)read_sysreg(sctlr_el1), (unsigned long)read_sysreg(tcr_el1),
            (unsigned long)read_sysreg(ttbr0_el1), (unsigned long)read_sysreg(ttbr1_el1));
    arch_backtrace(tf->x[29], tf->elr);
}

void aarch64_trap(unsigned kind, struct trap_frame *tf)
{
    if (kind == VEC_CUR_SPX_IRQ) {
        gic_handle_irq(); /* only in the idle wait: it takes the lock itself */
        return;
    }
    if (kind == VEC_LOWER64_IRQ) {
        /* The registers go to the context first: while this CPU waits for
         * the lock another CPU may take its thread (arch_entry_abandon). */
        aarch64_user_irq_save(tf);
        aarch64_this_cpu()->irq_entry = true;
        aarch64_lock_entry();
        aarch64_this_cpu()->irq_entry = false;
        bool ticked = gic_handle_irq();
        aarch64_user_irq(tf, ticked); /* returns: EL0 resumes */
        aarch64_lock_exit();
        return;
    }
    if (kind == VEC_LOWER64_SYNC)
        aarch64_user_trap(tf); /* returns only when no user entry takes it */
    if (kind == VEC_CUR_SPX_SYNC && ESR_EC(tf->esr) == EC_UNKNOWN &&
        tf->elr == (uintptr_t)semihost_insn) {
        tf->x[0] = ~0ull; /* no semihosting: arch_debug_exit returns */
        tf->elr += 4;
        return;
    }
    if (reporting) {
        kprintf("\nEXCEPTION: ESR 0x%lx while reporting an exception at %p\n",
                (unsigned long)tf->esr, (void *)tf->elr);
        arch_debug_exit(1);
        arch_halt();
    }
    reporting = true;
    report(kind, tf);
    kprintf("System halted.\n");
    arch_debug_exit(1);
    arch_halt();
}
