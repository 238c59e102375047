/*
 * x86_64 self-tests: the final address space (W^X, NX, no identity map), the
 * CPU protections, the descriptor tables; and deliberate faults that the test
 * harness provokes with "ktest.fault=KIND" to check the exception report.
 */
#include "arch.h"
#include "arch/memlayout.h"
#include "arch/mmu.h"
#include "arch/trap.h"
#include "config.h"
#include "core/boot.h"
#include "panic.h"
#include "kprintf.h"
#include "ktest.h"
#include "ktest_arch.h"
#include "lib/string.h"

extern const char _text_start[], _text_end[], _rodata_start[], _rodata_end[], _data_start[],
    _data_end[];

static unsigned check_range(const char *s, const char *e, bool want_w, bool want_nx,
                            const char **bad)
{
    for (const char *p = s; p < e; p += PAGE_SIZE) {
        unsigned level;
        pte_t pte = mmu_lookup((vaddr_t)p, &level);
        if (!pte || pte_writable(pte) != want_w || (cpu_features.nx && pte_nx(pte) != want_nx)) {
            *bad = p;
            return 1;
        }
    }
    return 0;
}

KTEST(mmu, kernel_image_is_wx)
{
    const char *bad = NULL;
    KT_ASSERT(!check_range(_text_start, _text_end, false, false, &bad), "text page %p", bad);
    KT_ASSERT(!check_range(_rodata_start, _rodata_end, false, true, &bad), "rodata page %p", bad);
    KT_ASSERT(!check_range(_data_start, _data_end, true, true, &bad), "data page %p", bad);
    /* The direct-map alias of the text is not writable either. */
    const char *alias = phys_to_virt(virt_to_phys(_text_start));
    KT_ASSERT(!check_range(alias, alias + (_text_end - _text_start), false, true, &bad),
              "text alias page %p", bad);
}

KTEST(mmu, direct_map_is_nx_and_large)
{
    paddr_t top = bootmem_ram_top(&boot_memory);
    unsigned level;
    pte_t pte = mmu_lookup((vaddr_t)phys_to_virt(top - PAGE_SIZE), &level);
    KT_ASSERT(pte, "top of RAM %llx not in the direct map", (unsigned long long)top);
    KT_ASSERT(!cpu_features.nx || pte_nx(pte), "direct map is executable");
    KT_ASSERT(pte_writable(pte));
    /* 256 MiB+ machines have at least one 2 MiB-aligned stretch of RAM. */
    if (top >= MIB(64)) {
        pte = mmu_lookup((vaddr_t)phys_to_virt(MIB(32)), &level);
        KT_ASSERT(pte && level >= 1, "RAM at 32 MiB mapped with level %u pages", level);
    }
}

KTEST(mmu, lower_half_and_holes_unmapped)
{
    unsigned level;
    KT_ASSERT(!mmu_lookup(0, &level), "page 0 is mapped");
    KT_ASSERT(!mmu_lookup(KERNEL_PHYS, &level), "the boot identity map survived");
    /* Device ranges are never RAM, whatever the machine's size. */
    KT_ASSERT(!mmu_lookup((vaddr_t)phys_to_virt(0xfee00000), &level),
              "the local APIC's MMIO page is in the direct map");
}

KTEST(cpu, protections_enabled)
{
    uint64_t cr4 = read_cr4();
    KT_ASSERT(!!(cr4 & CR4_SMEP) == cpu_features.smep, "SMEP %d, CPU has %d", !!(cr4 & CR4_SMEP),
              cpu_features.smep);
    KT_ASSERT(!!(cr4 & CR4_SMAP) == cpu_features.smap, "SMAP %d, CPU has %d", !!(cr4 & CR4_SMAP),
              cpu_features.smap);
    KT_ASSERT(!!(rdmsr(MSR_EFER) & EFER_NXE) == cpu_features.nx, "EFER.NXE");
    KT_ASSERT(read_cr0() & CR0_WP, "CR0.WP off: the kernel could write its own code");
}

KTEST(cpu, ist_for_double_fault_and_nmi)
{
    struct __packed {
        uint16_t limit;
        uint64_t base;
    } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    KT_ASSERT_EQ(idtr.limit, 256 * 16 - 1);
    const uint8_t *idt = (const uint8_t *)(uintptr_t)idtr.base;
    KT_ASSERT(idt[8 * 16 + 4] == 1, "#DF gate IST %u", idt[8 * 16 + 4]);
    KT_ASSERT(idt[2 * 16 + 4] == 2, "NMI gate IST %u", idt[2 * 16 + 4]);
    KT_ASSERT(idt[14 * 16 + 4] == 0, "#PF must use the current stack");
    uint16_t tr;
    __asm__ volatile("str %0" : "=r"(tr));
    KT_ASSERT_EQ(tr, GDT_TSS);
}

KTEST(timer, source_is_the_one_asked_for)
{
    char arg[16];
    bool want_pit = bootmem_cmdline_get(&boot_memory, "timer", arg, sizeof(arg)) && arg[0] == 'p';
    KT_ASSERT(strcmp(boot_timer_source, want_pit ? "pit" : "lapic") == 0, "source %s",
              boot_timer_source);
}

void arch_selftest_fault(const char *kind)
{
    kprintf("ktest: provoking fault '%s'\n", kind);
    if (strcmp(kind, "pf") == 0) {
        *(volatile uint64_t *)0xdead000ull = 1; /* unmapped user address */
    } else if (strcmp(kind, "ud") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(kind, "wx") == 0) {
        *(volatile uint8_t *)(uintptr_t)kernel_main = 0xc3; /* write to kernel text */
    } else if (strcmp(kind, "nx") == 0) {
        static uint8_t data_ret = 0xc3;
        ((void (*)(void))(uintptr_t)&data_ret)(); /* execute kernel data */
    } else if (strcmp(kind, "de") == 0) {
        uint32_t a = 1, zero = 0;
        __asm__ volatile("xorl %%edx, %%edx; divl %1" : "+a"(a) : "r"(zero) : "rdx");
    } else if (strcmp(kind, "assert") == 0) {
        volatile int one = 1;
        assert(one == 2);
    }
}

#if X86_PCID
#include "arch/context.h"
#include "obj/vspace.h"
#include "sched/smp.h"

/* Roots that map only the kernel half: safe to load from the kernel. */
static pte_t pcid_roots[X86_PCID_SLOTS + 1][512] __aligned(PAGE_SIZE);
static struct vspace pcid_vs[X86_PCID_SLOTS + 1];

/* X86_PCID=1 (decision 174): a VSpace's translations stay tagged on this CPU
 * after it loads another root, its mask keeps the CPU, a later load finds it
 * (no flush); a change to its tables while another root is loaded (the shoot
 * hook) makes the CPU forget it and leave the mask, and so does eviction by
 * X86_PCID_SLOTS other roots: both next loads flush. */
KTEST(x86, pcid_table_keeps_a_space_until_it_changes_or_is_evicted)
{
    struct vspace *cur = vspace_current, *a = &pcid_vs[0];
    uint64_t bit = this_cpu_local.bit;
    for (unsigned i = 0; i <= X86_PCID_SLOTS; i++) {
        memset(&pcid_vs[i], 0, sizeof(pcid_vs[i]));
        pcid_vs[i].root = virt_to_phys(pcid_roots[i]);
        arch_pt_init_root(pcid_vs[i].root);
    }
    vspace_activate(NULL);
    uint64_t misses = this_percpu.pcid_misses;

    vspace_activate(a); /* first load: a miss, with a flush */
    KT_ASSERT_EQ(this_percpu.pcid_misses, misses + 1);
    unsigned tag = (unsigned)(read_cr3() & 0xfff);
    KT_ASSERT(!x86_pcid_hw || (tag >= 1 && tag <= X86_PCID_SLOTS), "PCID %u in CR3", tag);
    vspace_activate(NULL);
    KT_ASSERT(a->cpus & bit, "leaving the VSpace dropped this CPU from its mask");
    vspace_activate(a); /* found: no flush */
    KT_ASSERT_EQ(this_percpu.pcid_misses, misses + 1);
    KT_ASSERT_EQ((unsigned)(read_cr3() & 0xfff), tag);

    vspace_activate(NULL); /* a change while it is not loaded */
    struct pt_ctx c = vspace_pt_ctx(a);
    vspace_tlb_shoot(&c);
    KT_ASSERT(!(a->cpus & bit), "a change left this CPU in the mask");
    vspace_activate(a);
    KT_ASSERT_EQ(this_percpu.pcid_misses, misses + 2);

    for (unsigned i = 1; i <= X86_PCID_SLOTS; i++) /* X86_PCID_SLOTS others evict it */
        vspace_activate(&pcid_vs[i]);
    vspace_activate(a);
    KT_ASSERT_EQ(this_percpu.pcid_misses, misses + 3 + X86_PCID_SLOTS);

    vspace_activate(NULL);
    for (unsigned i = 0; i <= X86_PCID_SLOTS; i++)
        vspace_leave_everywhere(&pcid_vs[i]);
    for (unsigned i = 0; i < X86_PCID_SLOTS; i++)
        for (unsigned j = 0; j <= X86_PCID_SLOTS; j++)
            KT_ASSERT(this_percpu.pcid_root[i] != pcid_vs[j].root && !pcid_vs[j].cpus,
                      "dead VSpace %u stays in slot %u or its mask", j, i);
    if (cur)
        vspace_activate(cur);
}

/* On another CPU (a remote call): loads the VSpace and goes back to what it had
 * loaded, as a thread of it that ran there and left would. */
static void pcid_run_there(void *arg)
{
    struct vspace *was = vspace_current;
    vspace_activate(arg);
    vspace_activate(was);
}

/* On another CPU: whether its table still holds the VSpace's root. */
struct pcid_probe {
    paddr_t root;
    bool held;
};

static void pcid_probe_there(void *arg)
{
    struct pcid_probe *p = arg;
    p->held = false;
    for (unsigned i = 0; i < X86_PCID_SLOTS; i++)
        p->held |= this_percpu.pcid_root[i] == p->root;
}

/* The shootdown reaches a CPU that ran the VSpace and switched away (it is
 * still in the mask), and that CPU forgets it: its table lets the root go and
 * its bit leaves the mask. Without PCIDs the CPU would have left the mask when
 * it switched away. */
KTEST(x86, pcid_shootdown_reaches_a_cpu_that_switched_away)
{
    if (smp_online < 2) {
        tap_skip("one CPU");
        return;
    }
    struct vspace *vs = &pcid_vs[0];
    memset(vs, 0, sizeof(*vs));
    vs->root = virt_to_phys(pcid_roots[0]);
    arch_pt_init_root(vs->root);
    smp_call_many(2, pcid_run_there, vs); /* CPU 1 */
    KT_ASSERT_EQ(vs->cpus, 2ull);
    struct pcid_probe p = {.root = vs->root};
    smp_call_many(2, pcid_probe_there, &p);
    KT_ASSERT(p.held, "CPU 1 does not hold the root it ran");

    struct pt_ctx c = vspace_pt_ctx(vs); /* a change, made on CPU 0 */
    vspace_tlb_shoot(&c);
    KT_ASSERT_EQ(vs->cpus, 0ull);
    smp_call_many(2, pcid_probe_there, &p);
    KT_ASSERT(!p.held, "CPU 1 still holds the root after the shootdown");
    vspace_leave_everywhere(vs);
}
#endif
