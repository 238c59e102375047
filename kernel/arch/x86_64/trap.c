/*
 * Trap dispatch and the exception report.
 *
 * Interrupts go to the handler installed for their vector. An exception in the
 * kernel is a kernel bug (userspace faults become fault messages once threads
 * exist), so the report is as complete as we can make it: the exception's name,
 * its error code decoded, CR2 for page faults, every register, and a backtrace
 * symbolized from the kernel's own symbol table (kernel/genarch/backtrace.c).
 * Then the machine stops.
 */
#include "arch.h"
#include "arch/x86.h"
#include "arch/trap.h"
#include "kprintf.h"
#include "panic.h"
#include "sched/smp.h"
#include "weft/objects.h"

static trap_handler_fn handlers[256];
static bool reporting;

static const char *const exc_names[32] = {
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved 15",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
    "reserved 22",
    "reserved 23",
    "reserved 24",
    "reserved 25",
    "reserved 26",
    "reserved 27",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved 31",
};

/* enum wf_exception of each vector from user mode (0: not one a thread can
 * cause, or a page fault, which the VM path handles: WF_EXCEPTION_OTHER). */
static const uint8_t exc_kinds[32] = {
    [0] = WF_EXCEPTION_ARITHMETIC,            /* #DE */
    [1] = WF_EXCEPTION_DEBUG,                 /* #DB */
    [3] = WF_EXCEPTION_BREAKPOINT,            /* #BP */
    [4] = WF_EXCEPTION_ARITHMETIC,            /* #OF */
    [6] = WF_EXCEPTION_UNDEFINED_INSTRUCTION, /* #UD */
    [10] = WF_EXCEPTION_PROTECTION,           /* #TS */
    [11] = WF_EXCEPTION_PROTECTION,           /* #NP */
    [12] = WF_EXCEPTION_PROTECTION,           /* #SS */
    [13] = WF_EXCEPTION_PROTECTION,           /* #GP */
    [16] = WF_EXCEPTION_ARITHMETIC,           /* #MF */
    [17] = WF_EXCEPTION_ALIGNMENT,            /* #AC */
    [19] = WF_EXCEPTION_ARITHMETIC,           /* #XM */
    [21] = WF_EXCEPTION_PROTECTION,           /* #CP */
};

unsigned trap_exception_kind(unsigned vector)
{
    unsigned k = vector < 32 ? exc_kinds[vector] : 0;
    return k ? k : WF_EXCEPTION_OTHER;
}

void trap_set_handler(unsigned vector, trap_handler_fn fn)
{
    assert(vector >= 32 && vector < 256);
    handlers[vector] = fn;
}

static void describe_error(const struct trap_frame *tf)
{
    if (tf->vector == 14) {
        uint64_t e = tf->error;
        kprintf(" [%s %s %s%s%s%s]", e & 1 ? "protection" : "not-present",
                e & 2      ? "write"
                : (e & 16) ? "fetch"
                           : "read",
                e & 4 ? "user" : "kernel", e & 8 ? " reserved-bit" : "",
                e & 16 ? " instruction-fetch" : "", e & 32 ? " protection-key" : "");
    }
}

void trap_report(const struct trap_frame *tf)
{
    const char *name = tf->vector < 32 ? exc_names[tf->vector] : "interrupt";
    kprintf("\nEXCEPTION: %s (vector %lu), error code 0x%lx", name, (unsigned long)tf->vector,
            (unsigned long)tf->error);
    describe_error(tf);
    kprintf("\n");
    if (tf->vector == 14)
        kprintf("  CR2    %p (faulting address)\n", (void *)read_cr2());
    uintptr_t off;
    const char *sym = ksym_lookup(tf->rip, &off);
    kprintf("  RIP    %p <%s+0x%lx>  CS 0x%lx  RFLAGS 0x%lx\n", (void *)tf->rip, sym,
            (unsigned long)off, (unsigned long)tf->cs, (unsigned long)tf->rflags);
    kprintf("  RSP    %p  SS 0x%lx\n", (void *)tf->rsp, (unsigned long)tf->ss);
    kprintf("  RAX %016lx  RBX %016lx  RCX %016lx  RDX %016lx\n", tf->rax, tf->rbx, tf->rcx,
            tf->rdx);
    kprintf("  RSI %016lx  RDI %016lx  RBP %016lx  R8  %016lx\n", tf->rsi, tf->rdi, tf->rbp,
            tf->r8);
    kprintf("  R9  %016lx  R10 %016lx  R11 %016lx  R12 %016lx\n", tf->r9, tf->r10, tf->r11,
            tf->r12);
    kprintf("  R13 %016lx  R14 %016lx  R15 %016lx\n", tf->r13, tf->r14, tf->r15);
    kprintf("  CR0 %016lx  CR3 %016lx  CR4 %016lx\n", read_cr0(), read_cr3(), read_cr4());
    arch_backtrace(tf->rbp, tf->rip);
}

void trap_dispatch(struct trap_frame *tf)
{
    if (tf->vector >= 32) {
        /* An interrupt in kernel mode arrives only while the CPU idles, without
         * the kernel lock (sched/smp.h): take it for the handler, but for the
         * timer's, which touches only this CPU's state. */
        if (tf->vector == VEC_IPI)
            smp_serve(); /* before the lock: the requester holds it */
        bool took = tf->vector != VEC_TIMER && smp_irq_enter();
        if (handlers[tf->vector])
            handlers[tf->vector](tf);
        smp_irq_exit(took);
        return; /* unexpected interrupts (e.g. spurious) are ignored */
    }
    if (reporting) {
        kprintf("\nEXCEPTION: vector %lu while reporting an exception at %p\n",
                (unsigned long)tf->vector, (void *)tf->rip);
        arch_debug_exit(1);
        arch_halt();
    }
    reporting = true;
    trap_report(tf);
    kprintf("System halted.\n");
    arch_debug_exit(1);
    arch_halt();
}
