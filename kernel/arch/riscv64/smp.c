/*
 * Several harts on riscv64 (the contract's bring-up calls, decision 129;
 * decision 157).
 *
 * The hart list, the blocks and stacks and the handshake are the device-tree
 * ports' shared part (genarch/smp_fdt.c); this file has riscv64's: the hart
 * ids (the cpu nodes' reg; id 0 is the hart OpenSBI booted), the block
 * (struct riscv_percpu, arch/percpu.h), the firmware call and the per-hart
 * setup. Harts start through the SBI's HSM extension, hart_start(hartid,
 * address, opaque), in S-mode at a physical address with the MMU off: the
 * stub below (rv_secondary_entry) turns the MMU on with the boot tables
 * (head.S's early tables, riscv_early_root: the image's GiB identity-mapped and the kernel
 * window), jumps to the kernel's address, loads the kernel's own root, the
 * hart's stack and its block into tp, and calls secondary_start. IPIs go
 * through the SBI IPI extension (a supervisor software interrupt, trap.c).
 * TLBs: sfence.vma is this hart's alone; a space's CPU mask keeps every hart
 * that ran it (its translations stay under its ASID: decision 185), so the
 * generic shootdown's remote calls reach them (arch/vm_cpu.h).
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/percpu.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "config.h"
#include "core/bootmem.h"
#include "genarch/fdt.h"
#include "genarch/smp_fdt.h"
#include "ipc/ipc.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/smp.h"
#include "weft/syscalls.h"

_Static_assert(__builtin_offsetof(struct riscv_percpu, user_ctx) == PERCPU_USER_CTX, "trap.S");
_Static_assert(__builtin_offsetof(struct riscv_percpu, kstack_top) == PERCPU_KSTACK, "trap.S");
_Static_assert(__builtin_offsetof(struct riscv_percpu, klock_on) == PERCPU_KLOCK_ON, "trap.S");
_Static_assert(__builtin_offsetof(struct riscv_percpu, fast_nr) == PERCPU_FAST_NR, "trap.S");

extern char kernel_stack_top[];
extern const char rv_secondary_entry[], rv_secondary_high[], trap_entry_smp[];

struct riscv_percpu riscv_cpu0 = {.kstack_top = kernel_stack_top,
                                  .fast_nr = {WF_SYS_CALL, WF_SYS_REPLY_RECV}};

/* What the stub reads, first at its physical address, then through the
 * identity map: offsets are the stub's. */
static struct {
    uint64_t satp_early, satp_kernel; /* 0, 8 */
    uint64_t stack, percpu, centry;   /* 16, 24, 32 */
    uint64_t high;                    /* 40: the stub's second part, at its kernel address */
} boot_block __aligned(64);

/* --- the device-tree ports' bring-up: riscv64's part (genarch/smp_fdt.h) -- */

const size_t arch_smp_block_bytes = sizeof(struct riscv_percpu);

bool arch_smp_boot_hwid(uint64_t *hwid)
{
    *hwid = riscv_cpu0.hartid = boot_hartid;
    return true;
}

uint64_t arch_smp_node_hwid(uint64_t reg)
{
    return reg;
}

void *arch_smp_boot_block(void)
{
    return &riscv_cpu0;
}

void arch_smp_block_init(void *block, unsigned id, uint64_t hwid, char *stack_top)
{
    struct riscv_percpu *p = block;
    p->id = id;
    p->hartid = hwid;
    p->kstack_top = stack_top;
    p->klock_on = 1;
    p->fast_nr[0] = ipc_fastpath_sysno[0];
    p->fast_nr[1] = ipc_fastpath_sysno[1];
}

/* Every block's copy of the fast path's numbers (trap.S reads this hart's):
 * those of harts not listed yet get theirs from arch_smp_block_init. */
void arch_fastpath_sysno_changed(void)
{
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
        struct riscv_percpu *p = i ? smp_fdt_block(i) : &riscv_cpu0;
        if (p) {
            __atomic_store_n(&p->fast_nr[0], ipc_fastpath_sysno[0], __ATOMIC_RELAXED);
            __atomic_store_n(&p->fast_nr[1], ipc_fastpath_sysno[1], __ATOMIC_RELAXED);
        }
    }
}

unsigned arch_cpu_id(void)
{
    return riscv_this_cpu()->id;
}

/* SBI IPI send_ipi(hart_mask, hart_mask_base): one hart. */
void arch_ipi_send(unsigned id)
{
    struct riscv_percpu *p = smp_fdt_block(id);
    assert(p);
    __asm__ volatile("fence w, w" ::: "memory"); /* what the IPI announces is seen first */
    struct sbiret r = sbi_call(SBI_EXT_IPI, 0, 1, p->hartid, 0);
    if (r.error)
        kprintf("smp: IPI to hart %lu failed: %ld\n", (unsigned long)p->hartid, r.error);
}

unsigned riscv_fpu_live_on(const struct arch_context *ctx)
{
    for (unsigned i = 0; i < SMP_MAX_CPUS; i++) {
        /* CPU 0's block is riscv_cpu0 whether or not the others were listed */
        const struct riscv_percpu *p = i ? smp_fdt_block(i) : &riscv_cpu0;
        if (p && __atomic_load_n(&p->fpu_live, __ATOMIC_RELAXED) == ctx)
            return i;
    }
    return ~0u;
}

/* --- the kernel lock in the entry (trap.S; its wait: smp_entry_wait) ----- */

/* The entry this hart waits in is given up (smp_stop_thread): a system call
 * is made again (the entry moved the pc past the ecall: back), an exception
 * is taken again when its instruction runs again (sepc is the instruction),
 * an interrupt is handled without the thread (its cause: arch_entry_replay;
 * the interrupt is still pending, nothing has claimed it). */
uint64_t arch_entry_abandon(struct arch_context *ctx)
{
    if (ctx->scause & SCAUSE_IRQ)
        return ctx->scause;
    if (ctx->scause == EXC_ECALL_U)
        ctx_restart_syscall(ctx);
    return 0;
}

void arch_entry_replay(uint64_t token)
{
    if (token && riscv_user_irq(token))
        sched_tick();
}

/* --- bring-up ----------------------------------------------------------- */

/* The physical entry of a started hart (a0: its hart id, a1: the boot
 * block's physical address), S-mode, MMU off, interrupts off. */
__asm__(".pushsection .text\n"
        ".balign 4\n"
        ".globl rv_secondary_entry, rv_secondary_high\n"
        "rv_secondary_entry:\n"
        "    csrw  sie, zero\n"
        "    csrci sstatus, 2\n"
        "    ld    t0, 0(a1)\n" /* the boot tables: identity and the kernel window */
        "    sfence.vma\n"
        "    csrw  satp, t0\n"
        "    sfence.vma\n"
        "    ld    t0, 40(a1)\n"
        "    jr    t0\n"
        "rv_secondary_high:\n" /* at the kernel's address now */
        "    ld    t0, 8(a1)\n"
        "    ld    sp, 16(a1)\n"
        "    ld    tp, 24(a1)\n"
        "    ld    t1, 32(a1)\n"
        "    csrw  satp, t0\n" /* the kernel's own tables */
        "    sfence.vma\n"
        "    li    s0, 0\n"
        "    li    ra, 0\n"
        "    jr    t1\n"
        ".popsection\n");

/* The C entry of a started hart: on its stack, its block in tp, on the
 * kernel's tables. */
static __noreturn void secondary_start(void)
{
    riscv_cpu_setup();
    timer_cpu_init();
    csr_set(sie, IE_SSIE); /* IPIs */
    smp_fdt_started();
}

long arch_smp_firmware_start(uint64_t hwid, void *block)
{
    struct riscv_percpu *p = block;
    boot_block.satp_early = riscv_satp_mode | riscv_early_root() >> 12;
    boot_block.satp_kernel = riscv_satp_mode | riscv_kernel_root() >> 12;
    boot_block.stack = (uint64_t)(uintptr_t)p->kstack_top;
    boot_block.percpu = (uint64_t)(uintptr_t)p;
    boot_block.centry = (uint64_t)(uintptr_t)secondary_start;
    boot_block.high = (uint64_t)(uintptr_t)rv_secondary_high;
    /* From now on every entry takes the lock; this hart holds it, as it has
     * since boot, and takes IPIs. */
    riscv_cpu0.klock_on = 1;
    csr_write(stvec, (uintptr_t)trap_entry_smp); /* (this is the boot hart) */
    csr_set(sie, IE_SSIE);
    __asm__ volatile("fence rw, rw" ::: "memory");
    struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_START, hwid, virt_to_phys(rv_secondary_entry),
                               virt_to_phys(&boot_block));
    return r.error;
}
