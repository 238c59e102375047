/*
 * Starting the other CPUs on x86-64 (arch_cpu_start; decision 129).
 *
 * CPU ids: 0 is the boot CPU; the others are the enabled processors of the
 * ACPI MADT in table order, the boot CPU's own entry left out. Each gets
 * SMP_CPU_BYTES taken from the boot memory before the PMM exists
 * (arch_cpu_prepare): its per-CPU block with GDT
 * and TSS at the start, its three exception stacks, its kernel stack at the
 * end. It is started the way the MP specification says: INIT, 10 ms, a
 * startup IPI naming the trampoline's page, and a second one if the CPU has
 * not answered within 200 us; it answers by setting `started` from its C
 * entry, which it reaches through trampoline.S on the stack given it.
 */
#include "arch.h"
#include "arch/context.h"
#include "arch/smp.h"
#include "arch/trap.h"
#include "arch/x86.h"
#include "config.h"
#include "genarch/platform.h"
#include "kprintf.h"
#include "lib/string.h"
#include "core/bootmem.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/smp.h"

paddr_t smp_trampoline_pa;

extern const char smp_trampoline[], smp_trampoline_end[], smp_ap_entry64[];
extern const char smp_trampoline_32_off[], smp_trampoline_64_off[];

/* One CPU's memory: per-CPU block (first page), IST stacks, kernel stack. */
#define SMP_CPU_BYTES  KIB(64)
#define SMP_IST_OFF    KIB(4)
#define SMP_KSTACK_TOP SMP_CPU_BYTES

#define ICR_INIT    0x00004500u /* INIT, level assert */
#define ICR_STARTUP 0x00004600u /* startup IPI; the vector is the page number */
#define ICR_FIXED   0x00004000u /* fixed delivery, level assert */

static struct percpu *cpus[SMP_MAX_CPUS];
static uint32_t apic_ids[SMP_MAX_CPUS];
static unsigned ncpus;
static volatile uint8_t *tramp;

/* What the starting CPU reads from its C entry. */
static struct {
    struct percpu *p;
    void (*entry)(void);
    volatile bool started;
} boot_ap;

/* The memory of CPUs 1.. (SMP_CPU_BYTES each), from arch_cpu_prepare. */
static paddr_t cpu_mem;
static unsigned cpu_mem_count;

/* The CPU list, once: the boot CPU, then every other MADT processor. */
static void cpu_list(void)
{
    if (ncpus)
        return;
    cpus[0] = &cpu0;
    apic_ids[0] = cpuid(1, 0).ebx >> 24; /* the initial APIC id */
    cpu0.apic_id = apic_ids[0];
    ncpus = 1;
    unsigned listed =
        platform.cpu_count < PLATFORM_MAX_CPUS ? platform.cpu_count : PLATFORM_MAX_CPUS;
    for (unsigned i = 0; i < listed && ncpus < SMP_MAX_CPUS; i++)
        /* xAPIC IPIs name 8-bit ids (0xff is the broadcast): an x2APIC-only
         * processor cannot be started that way and stays off. */
        if (platform.cpu_apic_id[i] != apic_ids[0] && platform.cpu_apic_id[i] < 0xff)
            apic_ids[ncpus++] = platform.cpu_apic_id[i];
}

unsigned arch_cpu_count(void)
{
    cpu_list();
    /* No local APIC or no tables: nothing to start the others with. */
    return lapic_in_use() && platform.acpi ? 1 + cpu_mem_count : 1;
}

void arch_cpu_prepare(struct bootmem *bm)
{
    cpu_list();
    if (ncpus < 2 || !platform.acpi || !cpu_features.apic)
        return;
    cpu_mem = bootmem_alloc_early(bm, (ncpus - 1) * SMP_CPU_BYTES, PAGE_SIZE, ~(paddr_t)0);
    if (cpu_mem)
        cpu_mem_count = ncpus - 1;
    else
        kprintf("smp: no memory for %u more CPUs\n", ncpus - 1);
}

unsigned arch_cpu_id(void)
{
    uint32_t id;
    __asm__ volatile("movl %%gs:%c1, %0" : "=r"(id) : "i"(PERCPU_ID));
    return id;
}

void arch_ipi_send(unsigned id)
{
    assert(id < ncpus && cpus[id]);
    if (!lapic_send(apic_ids[id], ICR_FIXED | VEC_IPI))
        kprintf("smp: IPI to CPU %u not delivered\n", id);
}

uint64_t arch_entry_abandon(struct arch_context *ctx)
{
    uint64_t v = ctx->regs.vector;
    if (v == VEC_SYSCALL) {
        ctx_restart_syscall(ctx); /* rax, the number, and the arguments are saved */
        return 0;
    }
    /* An exception is raised again by the instruction (#BP and #OF, which
     * leave it behind, are lost: the thread goes on after its int3 / into);
     * an interrupt was taken and is handled without the thread. */
    return v >= 32 && v < 256 ? v : 0;
}

void arch_entry_replay(uint64_t token)
{
    if (!token)
        return;
    struct trap_frame tf = {.vector = token};
    uint64_t ticks = arch_ticks();
    trap_dispatch(&tf);
    if (token == VEC_TIMER || arch_ticks() != ticks)
        sched_tick();
}

static void ipi_irq(struct trap_frame *tf)
{
    lapic_eoi();
    smp_ipi();
}

static void put64(unsigned off, uint64_t v)
{
    memcpy((void *)(tramp + off), &v, 8);
}

/* Copies the trampoline and builds its page table: PML4[0] -> PDPT[0] ->
 * PD[0], one 2 MiB page at 0 (the trampoline runs there), and the kernel's
 * upper half. */
static bool trampoline_init(void)
{
    if (tramp)
        return true;
    if (!smp_trampoline_pa)
        return false;
    size_t code = (size_t)(smp_trampoline_end - smp_trampoline);
    static_assert(SMP_TD + SMP_TD_SIZE <= 4096, "the trampoline fits its first page");
    tramp = arch_mmio_map(smp_trampoline_pa, SMP_TRAMPOLINE_SIZE);
    memset((void *)tramp, 0, SMP_TRAMPOLINE_SIZE);
    memcpy((void *)tramp, smp_trampoline, code);
    paddr_t pa = smp_trampoline_pa, pml4 = pa + 4096, pdpt = pa + 8192, pd = pa + 12288;
    uint64_t gdt[4] = {0, 0x00cf9a000000ffffull, 0x00cf92000000ffffull, 0x00af9a000000ffffull};
    memcpy((void *)(tramp + SMP_TD_GDT), gdt, sizeof(gdt));
    uint16_t limit = sizeof(gdt) - 1;
    uint32_t base = (uint32_t)(pa + SMP_TD_GDT);
    memcpy((void *)(tramp + SMP_TD_GDTR), &limit, 2);
    memcpy((void *)(tramp + SMP_TD_GDTR + 2), &base, 4);
    put64(SMP_TD_JUMP32, (pa + (uintptr_t)smp_trampoline_32_off) | (0x08ull << 32));
    put64(SMP_TD_JUMP64, (pa + (uintptr_t)smp_trampoline_64_off) | (0x18ull << 32));
    put64(SMP_TD_CR3_LOW, pml4);
    put64(SMP_TD_EFER, rdmsr(MSR_EFER));
    put64(SMP_TD_CR0, read_cr0());
    put64(SMP_TD_ENTRY64, (uint64_t)(uintptr_t)smp_ap_entry64);
    put64(SMP_TD_KCR3, read_cr3() & ~0xfffull); /* no PCID bits: PCIDE is off there */
    put64(SMP_TD_CR4, read_cr4() & ~CR4_PCIDE); /* set outside long mode: #GP */
    uint64_t *t4 = (uint64_t *)(tramp + 4096), *t3 = (uint64_t *)(tramp + 8192),
             *t2 = (uint64_t *)(tramp + 12288);
    const uint64_t *kroot = phys_to_virt(read_cr3() & ~0xfffull);
    t4[0] = pdpt | 3; /* present, writable */
    t3[0] = pd | 3;
    t2[0] = 0x83; /* 2 MiB page at 0: present, writable, large */
    for (unsigned i = 256; i < 512; i++)
        t4[i] = kroot[i];
    return true;
}

/* The C entry of a starting CPU, on its own stack, still without %gs. */
static __noreturn void smp_ap_start(void)
{
    struct percpu *p = boot_ap.p;
    uint8_t *mem = (uint8_t *)p;
    x86_cpu_tables_load(p, (uintptr_t)(mem + SMP_KSTACK_TOP),
                        (uint8_t(*)[IST_STACK_SIZE])(mem + SMP_IST_OFF));
    lapic_cpu_init();
#if X86_PCID
    if (x86_pcid_hw) /* in long mode, on the kernel's root (PCID 0) */
        write_cr4(read_cr4() | CR4_PCIDE);
#endif
    void (*entry)(void) = boot_ap.entry;
    __atomic_store_n(&boot_ap.started, true, __ATOMIC_RELEASE);
    entry();
    panic("smp: CPU %u left its entry", p->id);
}

static void wait_ns(uint64_t ns)
{
    uint64_t until = arch_clock_ns() + ns;
    while (arch_clock_ns() < until)
        cpu_relax();
}

static bool answered(uint64_t ns)
{
    uint64_t until = arch_clock_ns() + ns;
    while (!__atomic_load_n(&boot_ap.started, __ATOMIC_ACQUIRE))
        if (arch_clock_ns() > until)
            return false;
    return true;
}

bool arch_cpu_start(unsigned id, void (*entry)(void))
{
    static_assert(sizeof(struct percpu) <= SMP_IST_OFF, "the per-CPU block fits its page");
    static_assert(SMP_IST_OFF + 3 * IST_STACK_SIZE + KIB(16) <= SMP_CPU_BYTES,
                  "the stacks fit the CPU's memory");
    cpu_list();
    if (id == 0 || id >= arch_cpu_count() || cpus[id] || !trampoline_init())
        return false;
    static bool handler;
    if (!handler) {
        trap_set_handler(VEC_IPI, ipi_irq);
        handler = true;
    }
    uint8_t *mem = phys_to_virt(cpu_mem + (id - 1) * SMP_CPU_BYTES);
    memset(mem, 0, SMP_CPU_BYTES);
    struct percpu *p = (struct percpu *)mem;
    p->id = id;
    p->apic_id = apic_ids[id];
    boot_ap.p = p;
    boot_ap.entry = entry;
    boot_ap.started = false;
    put64(SMP_TD_STACK, (uint64_t)(uintptr_t)(mem + SMP_KSTACK_TOP));
    put64(SMP_TD_CENTRY, (uint64_t)(uintptr_t)smp_ap_start);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    uint32_t vector = (uint32_t)(smp_trampoline_pa >> 12);
    bool ok = lapic_send(apic_ids[id], ICR_INIT);
    wait_ns(10000000);
    for (unsigned sipi = 0; ok && sipi < 2; sipi++) {
        ok = lapic_send(apic_ids[id], ICR_STARTUP | vector);
        if (ok && answered(sipi ? 1000000000ull : 200000ull)) {
            cpus[id] = p;
            return true;
        }
    }
    /* Left in INIT (if it answers later it finds started stale and its memory
     * in use: keep the memory). */
    lapic_send(apic_ids[id], ICR_INIT);
    return false;
}
