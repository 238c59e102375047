/*
 * Several CPUs on aarch64 (the contract's bring-up calls, decision 129;
 * decision 149).
 *
 * The CPU list, the blocks and stacks and the handshake are the device-tree
 * ports' shared part (genarch/smp_fdt.c); this file has aarch64's: the
 * hardware ids (the cpu nodes' reg, MPIDR affinity), the block (struct
 * aarch64_percpu, arch/percpu.h), the firmware call and the per-CPU setup.
 * CPUs start through PSCI CPU_ON by the conduit the tree's psci node names
 * (hvc or smc; none: one CPU), at a physical address with the MMU off: the
 * stub below (a64_secondary_entry) drops from EL2 where it starts there,
 * turns the MMU on with the boot tables' identity map (head.S's early_l0_lo,
 * kept) and the kernel's own upper half, jumps there onto the CPU's stack
 * with its block in TPIDR_EL1, and calls secondary_start, which copies the
 * boot CPU's translation and control settings and sets up the vectors, the
 * GIC's per-CPU part and the timer.
 *
 * IPIs are
 * SGI INTID_IPI (gic.c). TLB maintenance of user address spaces is
 * broadcast in the inner-shareable domain (vm_cpu.c, arch/pt.h); the generic
 * shootdown's remote calls remain, for the spaces without an ASID and for
 * the mask of CPUs a dying space must be left on (decision 149).
 */
#include "arch.h"
#include "arch/aarch64.h"
#include "arch/context.h"
#include "arch/percpu.h"
#include "arch/smp.h"
#include "config.h"
#include "core/bootmem.h"
#include "genarch/fdt.h"
#include "genarch/smp_fdt.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/smp.h"

_Static_assert(__builtin_offsetof(struct aarch64_percpu, user_ctx) == PERCPU_USER_CTX, "vectors.S");
_Static_assert(__builtin_offsetof(struct aarch64_percpu, kstack_top) == PERCPU_KSTACK,
               "user_entry.S");

#define PSCI_CPU_ON       0xc4000003u
#define PSCI_ALREADY_ON   (-4)
#define MPIDR_AFFINITY(m) ((m)&0xff00ffffffull)

extern char kernel_stack_top[];
extern const char early_l0_lo[], vectors[];
extern const char a64_secondary_entry[];

struct aarch64_percpu aarch64_cpu0 = {.kstack_top = kernel_stack_top};
uint32_t aarch64_klock_on;

/* What the stub reads, at its physical address with the MMU off (so cleaned
 * to the point of coherency), then through the identity map: offsets are the
 * stub's. */
static struct {
    uint64_t ttbr0, ttbr1, tcr, mair; /* 0, 8, 16, 24 */
    uint64_t stack, percpu, centry;   /* 32, 40, 48 */
    uint64_t hcr;                     /* 56: for a CPU started at EL2 */
} boot_block __aligned(64);
static uint64_t boot_sctlr, boot_tcr;

/* --- the device-tree ports' bring-up: aarch64's part (genarch/smp_fdt.h) -- */

const size_t arch_smp_block_bytes = sizeof(struct aarch64_percpu);

/* The boot CPU's MPIDR; without PSCI there is no way to start the others. */
bool arch_smp_boot_hwid(uint64_t *hwid)
{
    *hwid = aarch64_cpu0.mpidr = MPIDR_AFFINITY(read_sysreg(mpidr_el1));
    return boot_fdt.psci != FDT_PSCI_NONE;
}

uint64_t arch_smp_node_hwid(uint64_t reg)
{
    return MPIDR_AFFINITY(reg);
}

void *arch_smp_boot_block(void)
{
    return &aarch64_cpu0;
}

void arch_smp_block_init(void *block, unsigned id, uint64_t hwid, char *stack_top)
{
    struct aarch64_percpu *p = block;
    p->id = id;
    p->mpidr = hwid;
    p->kstack_top = stack_top;
}

unsigned arch_cpu_id(void)
{
    return aarch64_this_cpu()->id;
}

void arch_ipi_send(unsigned id)
{
    struct aarch64_percpu *p = smp_fdt_block(id);
    assert(p);
    gic_send_sgi_to(p, INTID_IPI);
}

unsigned aarch64_fpu_live_on(const struct arch_context *ctx)
{
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
        struct aarch64_percpu *p = smp_fdt_block(i);
        if (p && __atomic_load_n(&p->fpu_live, __ATOMIC_RELAXED) == ctx)
            return i;
    }
    return ~0u;
}

/* --- the kernel lock in the entries (arch/klock.inc) ---------------------- */

void aarch64_lock_entry(void)
{
    if (!__atomic_load_n(&aarch64_klock_on, __ATOMIC_RELAXED))
        return;
    uint32_t t = __atomic_fetch_add(&kernel_lock.next, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&kernel_lock.serving, __ATOMIC_ACQUIRE) != t)
        smp_entry_wait(t);
}

/* Dropped as the assembly exit drops it (KLOCK_RELEASE), unchecked: the entry
 * took it without the debug build's record (sched/smp.h), so the checked
 * release would report a lock not held. */
void aarch64_lock_exit(void)
{
    if (__atomic_load_n(&aarch64_klock_on, __ATOMIC_RELAXED))
        kernel_lock_release_unchecked();
}

/* The entry this CPU waits in is given up (smp_stop_thread): a system call
 * is made again (svc leaves ELR after it), an exception is taken again when
 * its instruction runs again (ELR is the instruction), an interrupt is
 * handled without the thread (1: arch_entry_replay). */
uint64_t arch_entry_abandon(struct arch_context *ctx)
{
    if (aarch64_this_cpu()->irq_entry)
        return 1;
    if (((ctx->esr >> 26) & 0x3f) == 0x15) /* SVC64 */
        ctx_restart_syscall(ctx);
    return 0;
}

void arch_entry_replay(uint64_t token)
{
    aarch64_this_cpu()->irq_entry = false;
    if (token && gic_handle_irq())
        sched_tick();
}

/* --- bring-up ---------------------------------------------------------- */

/* The physical entry of a started CPU (x0: the boot block's physical
 * address). MMU off, at EL1 or EL2, interrupts masked. */
__asm__(".pushsection .text\n"
        ".balign 8\n"
        ".globl a64_secondary_entry\n"
        "a64_secondary_entry:\n"
        "    msr  daifset, #0xf\n"
        "    mov  x19, x0\n"
        "    mrs  x1, CurrentEL\n"
        "    ubfx x1, x1, #2, #2\n"
        "    cmp  x1, #2\n"
        "    b.ne 1f\n"
        /* EL2, as head.S: EL1 in AArch64, its timers and GICv3 registers. */
        "    ldr  x1, [x19, #56]\n"
        "    msr  hcr_el2, x1\n"
        "    mrs  x1, cnthctl_el2\n"
        "    orr  x1, x1, #3\n"
        "    msr  cnthctl_el2, x1\n"
        "    msr  cntvoff_el2, xzr\n"
        "    mrs  x1, id_aa64pfr0_el1\n"
        "    ubfx x1, x1, #24, #4\n"
        "    cbz  x1, 2f\n"
        "    mov  x1, #9\n"
        "    msr  S3_4_C12_C9_5, x1\n"
        "    isb\n"
        "    msr  S3_4_C12_C11_0, xzr\n"
        "2:  ldr  x1, =0x30d00800\n" /* SCTLR_RES1 */
        "    msr  sctlr_el1, x1\n"
        "    mov  x1, #0x3c5\n" /* EL1h, DAIF masked */
        "    msr  spsr_el2, x1\n"
        "    adr  x1, 1f\n"
        "    msr  elr_el2, x1\n"
        "    eret\n"
        "1:  ldr  x1, =0x30d00800\n"
        "    msr  sctlr_el1, x1\n"
        "    isb\n"
        "    ldp  x1, x2, [x19, #0]\n"
        "    ldp  x3, x4, [x19, #16]\n"
        "    msr  mair_el1, x4\n"
        "    msr  tcr_el1, x3\n"
        "    msr  ttbr0_el1, x1\n"
        "    msr  ttbr1_el1, x2\n"
        "    isb\n"
        "    tlbi vmalle1\n"
        "    dsb  nsh\n"
        "    isb\n"
        "    ldr  x1, =0x30d0180d\n" /* SCTLR_MMU_ON */
        "    msr  sctlr_el1, x1\n"
        "    isb\n"
        "    ldp  x1, x2, [x19, #32]\n"
        "    ldr  x3, [x19, #48]\n"
        "    mov  sp, x1\n"
        "    msr  tpidr_el1, x2\n"
        "    ldr  x1, =vectors\n"
        "    msr  vbar_el1, x1\n"
        "    isb\n"
        "    mov  x29, #0\n"
        "    mov  x30, #0\n"
        "    br   x3\n"
        "    .ltorg\n"
        ".popsection\n");
_Static_assert(SCTLR_RES1 == 0x30d00800 && SCTLR_MMU_ON == 0x30d0180d, "the stub's constants");

/* The C entry of a started CPU: on its stack, its block in TPIDR_EL1, the
 * MMU on with the boot identity map still in TTBR0. */
static __noreturn void secondary_start(void)
{
    /* The boot CPU's translation: the lower half walks the empty root, as
     * the boot CPU's does once a user space was loaded (vm_cpu.c). */
    write_sysreg(ttbr0_el1, aarch64_kernel_lower_root());
    write_sysreg(tcr_el1, boot_tcr & ~TCR_EPD0);
    isb();
    __asm__ volatile("tlbi vmalle1\n\tdsb nsh\n\tisb" ::: "memory");
    write_sysreg(sctlr_el1, boot_sctlr); /* WXN, SA0, SPAN as the boot CPU's */
    isb();
    aarch64_cpu_setup();
    gic_cpu_init();
    timer_cpu_init();
    smp_fdt_started();
}

/* PSCI by the device tree's conduit; returns its status. */
static int64_t psci_call(uint64_t fn, uint64_t a1, uint64_t a2, uint64_t a3)
{
    register uint64_t x0 __asm__("x0") = fn;
    register uint64_t x1 __asm__("x1") = a1;
    register uint64_t x2 __asm__("x2") = a2;
    register uint64_t x3 __asm__("x3") = a3;
    if (boot_fdt.psci == FDT_PSCI_HVC)
        __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    else
        __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
    return (int64_t)x0;
}

/* Cleans [p, p + len) to the point of coherency: a CPU with its MMU off
 * reads memory, not this CPU's cache. */
static void clean_to_poc(const void *p, size_t len)
{
    uintptr_t a = (uintptr_t)p & ~63ull;
    for (; a < (uintptr_t)p + len; a += 64)
        __asm__ volatile("dc cvac, %0" : : "r"(a) : "memory");
    dsb_ish();
}

long arch_smp_firmware_start(uint64_t hwid, void *block)
{
    struct aarch64_percpu *p = block;
    boot_sctlr = read_sysreg(sctlr_el1);
    boot_tcr = read_sysreg(tcr_el1);
    boot_block.ttbr0 = virt_to_phys(early_l0_lo);
    boot_block.ttbr1 = read_sysreg(ttbr1_el1);
    boot_block.tcr = boot_tcr & ~TCR_EPD0;
    boot_block.mair = read_sysreg(mair_el1);
    boot_block.stack = (uint64_t)(uintptr_t)p->kstack_top;
    boot_block.percpu = (uint64_t)(uintptr_t)p;
    boot_block.centry = (uint64_t)(uintptr_t)secondary_start;
    boot_block.hcr = 1ull << 31; /* HCR_EL2.RW */
    clean_to_poc(&boot_block, sizeof(boot_block));
    /* From now on every entry takes the lock (arch/klock.inc); this CPU
     * holds it, as it has since boot. */
    __atomic_store_n(&aarch64_klock_on, 1, __ATOMIC_RELEASE);
    return (long)psci_call(PSCI_CPU_ON, hwid, virt_to_phys(a64_secondary_entry),
                           virt_to_phys(&boot_block));
}
