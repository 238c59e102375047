/*
 * Several harts on riscv64 (the contract's bring-up calls, decision 129;
 * decision 157).
 *
 * CPU ids: 0 is the boot hart; the others are the device tree's enabled cpu
 * nodes (fdt_info.cpu_id: their hart ids) in tree order, the boot hart's own
 * left out. They start through the SBI's HSM extension, hart_start(hartid,
 * address, opaque), in S-mode at a physical address with the MMU off: the
 * stub below (rv_secondary_entry) turns the MMU on with the boot tables
 * (head.S's early tables, riscv_early_root: the image's GiB identity-mapped and the kernel
 * window), jumps to the kernel's address, loads the kernel's own root, the
 * hart's stack and its block into tp, and calls secondary_start.
 *
 * Each hart has a block (struct riscv_percpu, arch/percpu.h) and a kernel
 * stack of 32 KiB, taken from the boot memory by arch_cpu_prepare. IPIs go
 * through the SBI IPI extension (a supervisor software interrupt, trap.c).
 * TLBs: sfence.vma is this hart's alone; the generic shootdown's remote calls
 * reach the harts that have a space loaded, and a hart that loads another
 * root drops the old one's ASID first (arch/vm_cpu.h), so that no hart keeps
 * translations of a space it left (decision 157).
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/percpu.h"
#include "arch/riscv.h"
#include "arch/smp.h"
#include "config.h"
#include "core/bootmem.h"
#include "genarch/fdt.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/smp.h"

_Static_assert(__builtin_offsetof(struct riscv_percpu, user_ctx) == PERCPU_USER_CTX, "trap.S");
_Static_assert(__builtin_offsetof(struct riscv_percpu, kstack_top) == PERCPU_KSTACK, "trap.S");
_Static_assert(__builtin_offsetof(struct riscv_percpu, klock_on) == PERCPU_KLOCK_ON, "trap.S");

#define SMP_STACK_BYTES KIB(32)
#define STARTED_WAIT_NS 1000000000ull

extern char kernel_stack_top[];
extern const char rv_secondary_entry[], rv_secondary_high[];

struct riscv_percpu riscv_cpu0 = {.kstack_top = kernel_stack_top};

static struct riscv_percpu *cpus[SMP_MAX_CPUS] = {&riscv_cpu0};
static uint64_t hartids[SMP_MAX_CPUS];
static unsigned ncpus;
static paddr_t cpu_mem; /* the blocks and stacks of harts 1.. */
static unsigned cpu_mem_count;

/* What the stub reads, first at its physical address, then through the
 * identity map: offsets are the stub's. */
static struct {
    uint64_t satp_early, satp_kernel; /* 0, 8 */
    uint64_t stack, percpu, centry;   /* 16, 24, 32 */
    uint64_t high;                    /* 40: the stub's second part, at its kernel address */
} boot_block __aligned(64);
static volatile bool started;
static void (*start_entry)(void);

/* The hart list, once: the boot hart, then every other enabled cpu node. */
static void cpu_list(void)
{
    if (ncpus)
        return;
    hartids[0] = boot_hartid;
    riscv_cpu0.hartid = boot_hartid;
    ncpus = 1;
    unsigned listed = MIN(boot_fdt.ncpus, (unsigned)FDT_MAX_CPUS);
    for (unsigned i = 0; i < listed && ncpus < SMP_MAX_CPUS; i++)
        if (boot_fdt.cpu_id[i] != boot_hartid)
            hartids[ncpus++] = boot_fdt.cpu_id[i];
}

unsigned arch_cpu_count(void)
{
    cpu_list();
    return 1 + cpu_mem_count;
}

void arch_cpu_prepare(struct bootmem *bm)
{
    cpu_list();
    if (ncpus < 2)
        return;
    size_t each = SMP_STACK_BYTES + ALIGN_UP(sizeof(struct riscv_percpu), 64);
    cpu_mem =
        bootmem_alloc_early(bm, ALIGN_UP((ncpus - 1) * each, PAGE_SIZE), PAGE_SIZE, ~(paddr_t)0);
    if (cpu_mem)
        cpu_mem_count = ncpus - 1;
    else
        kprintf("smp: no memory for %u more harts\n", ncpus - 1);
}

unsigned arch_cpu_id(void)
{
    return riscv_this_cpu()->id;
}

/* SBI IPI send_ipi(hart_mask, hart_mask_base): one hart. */
void arch_ipi_send(unsigned id)
{
    assert(id < SMP_MAX_CPUS && cpus[id]);
    __asm__ volatile("fence w, w" ::: "memory"); /* what the IPI announces is seen first */
    struct sbiret r = sbi_call(SBI_EXT_IPI, 0, 1, cpus[id]->hartid, 0);
    if (r.error)
        kprintf("smp: IPI to hart %lu failed: %ld\n", (unsigned long)cpus[id]->hartid, r.error);
}

/* --- the kernel lock in the entry (trap.S) ------------------------------ */

void riscv_lock_spin(uint32_t ticket)
{
    while (__atomic_load_n(&kernel_lock.serving, __ATOMIC_ACQUIRE) != ticket) {
        smp_serve();
        cpu_relax();
    }
    smp_entry_check();
}

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
    void (*entry)(void) = start_entry;
    __atomic_store_n(&started, true, __ATOMIC_RELEASE);
    entry();
    panic("smp: hart %lu left its entry", (unsigned long)riscv_this_cpu()->hartid);
}

bool arch_cpu_start(unsigned id, void (*entry)(void))
{
    cpu_list();
    if (id == 0 || id >= arch_cpu_count() || cpus[id])
        return false;
    size_t each = SMP_STACK_BYTES + ALIGN_UP(sizeof(struct riscv_percpu), 64);
    uint8_t *mem = phys_to_virt(cpu_mem + (id - 1) * each);
    memset(mem, 0, each);
    struct riscv_percpu *p = (struct riscv_percpu *)mem;
    p->id = id;
    p->hartid = hartids[id];
    p->kstack_top = (char *)mem + each;
    p->klock_on = 1;

    boot_block.satp_early = riscv_satp_mode | riscv_early_root() >> 12;
    boot_block.satp_kernel = riscv_satp_mode | riscv_kernel_root() >> 12;
    boot_block.stack = (uint64_t)(uintptr_t)p->kstack_top;
    boot_block.percpu = (uint64_t)(uintptr_t)p;
    boot_block.centry = (uint64_t)(uintptr_t)secondary_start;
    boot_block.high = (uint64_t)(uintptr_t)rv_secondary_high;
    start_entry = entry;
    started = false;
    /* From now on every entry takes the lock; this hart holds it, as it has
     * since boot, and takes IPIs. */
    riscv_cpu0.klock_on = 1;
    csr_set(sie, IE_SSIE);
    __asm__ volatile("fence rw, rw" ::: "memory");

    struct sbiret r = sbi_call(SBI_EXT_HSM, SBI_HSM_START, hartids[id],
                               virt_to_phys(rv_secondary_entry), virt_to_phys(&boot_block));
    if (r.error) {
        kprintf("smp: SBI hart_start of hart %lu failed: %ld\n", (unsigned long)hartids[id],
                r.error);
        return false;
    }
    uint64_t until = arch_clock_ns() + STARTED_WAIT_NS;
    while (!__atomic_load_n(&started, __ATOMIC_ACQUIRE))
        if (arch_clock_ns() > until)
            return false; /* its memory stays its own should it start late */
    cpus[id] = p;
    return true;
}
