/*
 * x86_64 CPU tables: per CPU the GDT (with the segment order that
 * syscall/sysret will need) and the TSS with IST stacks so that a double fault,
 * NMI or machine check always runs on a known-good stack even when the kernel
 * stack is what broke; the IDT, shared, pointing every vector at traps.S. The
 * boot CPU's are static; the others' come from smp.c (x86_cpu_tables_load).
 */
#include "arch.h"
#include "arch/x86.h"
#include "arch/context.h"
#include "arch/trap.h"
#include "kprintf.h"
#include "lib/string.h"
#include "panic.h"

struct cpu_features cpu_features;

struct __packed idt_entry {
    uint16_t off_lo, sel;
    uint8_t ist, attr;
    uint16_t off_mid;
    uint32_t off_hi, reserved;
};
static_assert(sizeof(struct idt_entry) == 16, "IDT entries are 16 bytes");

struct __packed desc_ptr {
    uint16_t limit;
    uint64_t base;
};

#define IST_DF  1
#define IST_NMI 2
#define IST_MC  3

static struct idt_entry idt[256] __aligned(16);
static uint8_t ist_stacks[3][IST_STACK_SIZE] __aligned(16);
/* The boot CPU's kernel stack: every entry from user mode runs on it. */
static uint8_t kstack0[16384] __aligned(16);

extern const char trap_stubs[], trap_stubs_end[];
extern const char syscall_entry[], syscall_compat_entry[];

/* The boot CPU's per-CPU block (arch/context.h), reached through %gs; aligned
 * so that its TSS never crosses a page. */
struct percpu cpu0 __aligned(128);

#define MSR_STAR           0xc0000081u
#define MSR_LSTAR          0xc0000082u
#define MSR_CSTAR          0xc0000083u
#define MSR_SYSENTER_CS    0x174u
#define MSR_SYSENTER_ESP   0x175u
#define MSR_SYSENTER_EIP   0x176u
#define MSR_SFMASK         0xc0000084u
#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define EFER_SCE           (1ull << 0)
#define CR0_MP             (1ull << 1)
#define CR0_EM             (1ull << 2)
#define CR0_TS             (1ull << 3)
#define CR4_OSFXSR         (1ull << 9)
#define CR4_OSXMMEXCPT     (1ull << 10)

/* syscall enters at syscall_entry with IF, TF, DF, AC and NT cleared; sysret
 * returns to the user code and data selectors that follow GDT_SYSRET_BASE.
 * There is no compatibility mode (decision 080): no 32-bit user code segment,
 * and the 32-bit entry points (CSTAR for syscall from compatibility mode,
 * SYSENTER_CS/EIP) are still programmed so that no path enters ring 0 at an
 * address a thread chose: CSTAR leads to an entry that reports #UD to the
 * thread, and SYSENTER_CS 0 makes sysenter a #GP (or #UD on AMD). */
static void syscall_init(struct percpu *p, uintptr_t kstack_top)
{
    static_assert(GDT_UDATA == GDT_SYSRET_BASE + 8 && GDT_UCODE == GDT_SYSRET_BASE + 16,
                  "sysret needs user data and code right after its base selector");
    wrmsr(MSR_STAR, ((uint64_t)(GDT_SYSRET_BASE | 3) << 48) | ((uint64_t)GDT_KCODE << 32));
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    wrmsr(MSR_CSTAR, (uint64_t)(uintptr_t)syscall_compat_entry);
    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_SYSENTER_ESP, 0);
    wrmsr(MSR_SYSENTER_EIP, 0);
    wrmsr(MSR_SFMASK, (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18) | (1u << 14));
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    p->kernel_rsp = kstack_top;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)p);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    /* SSE for user threads; the kernel itself never uses it. */
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
}

static void read_features(void)
{
    struct cpuid_regs r1 = cpuid(1, 0);
    struct cpuid_regs r7 = cpuid(0, 0).eax >= 7 ? cpuid(7, 0) : (struct cpuid_regs){0};
    struct cpuid_regs e1 =
        cpuid(0x80000000, 0).eax >= 0x80000001 ? cpuid(0x80000001, 0) : (struct cpuid_regs){0};
    cpu_features.tsc = r1.edx & (1u << 4);
    cpu_features.apic = r1.edx & (1u << 9);
    cpu_features.x2apic = r1.ecx & (1u << 21);
    cpu_features.smep = r7.ebx & (1u << 7);
    cpu_features.smap = r7.ebx & (1u << 20);
    cpu_features.nx = e1.edx & (1u << 20);
    cpu_features.pdpe1gb = e1.edx & (1u << 26);
    cpu_features.pcid = r1.ecx & (1u << 17);
    cpu_features.invpcid = r7.ebx & (1u << 10);
}

static void gdt_init(struct percpu *p, uintptr_t kstack_top, uint8_t (*ist)[IST_STACK_SIZE])
{
    uint64_t *gdt = p->gdt;
    gdt[0] = 0;
    gdt[GDT_KCODE / 8] = 0x00af9a000000ffffull; /* 64-bit code, DPL 0 */
    gdt[GDT_KDATA / 8] = 0x00cf92000000ffffull; /* data, DPL 0 */
    gdt[GDT_SYSRET_BASE / 8] = 0;               /* null: no 32-bit user code (decision 080) */
    gdt[GDT_UDATA / 8] = 0x00cff2000000ffffull; /* data, DPL 3 */
    gdt[GDT_UCODE / 8] = 0x00affa000000ffffull; /* 64-bit code, DPL 3 */
    uint64_t base = (uint64_t)(uintptr_t)&p->tss, limit = sizeof(p->tss) - 1;
    gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
                       (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[GDT_TSS / 8 + 1] = base >> 32;

    memset(&p->tss, 0, sizeof(p->tss));
    p->tss.rsp[0] = kstack_top;
    p->tss.ist[IST_DF - 1] = (uint64_t)(uintptr_t)(ist[0] + IST_STACK_SIZE);
    p->tss.ist[IST_NMI - 1] = (uint64_t)(uintptr_t)(ist[1] + IST_STACK_SIZE);
    p->tss.ist[IST_MC - 1] = (uint64_t)(uintptr_t)(ist[2] + IST_STACK_SIZE);
    p->tss.iopb = sizeof(p->tss); /* no I/O bitmap: every port faults from user mode */

    struct desc_ptr dp = {sizeof(p->gdt) - 1, (uint64_t)(uintptr_t)gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(dp), "i"(GDT_KCODE), "r"(GDT_KDATA), "r"(GDT_TSS)
                     : "rax", "memory");
}

static void idt_load(void)
{
    struct desc_ptr p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
    __asm__ volatile("lidt %0" : : "m"(p));
}

static void idt_init(void)
{
    static_assert(GDT_KCODE == 0x08, "IDT gates use the kernel code selector");
    if (trap_stubs_end - trap_stubs != 256 * 16)
        panic("trap stubs are %ld bytes, expected 4096", (long)(trap_stubs_end - trap_stubs));
    for (unsigned v = 0; v < 256; v++) {
        uint64_t off = (uint64_t)(uintptr_t)(trap_stubs + 16 * v);
        struct idt_entry *e = &idt[v];
        e->off_lo = off & 0xffff;
        e->sel = GDT_KCODE;
        e->ist = v == 8 ? IST_DF : v == 2 ? IST_NMI : v == 18 ? IST_MC : 0;
        /* present, 64-bit interrupt gate; DPL 0 (an int n from user mode is a #GP)
         * except int3, so that a breakpoint is reported as one */
        e->attr = v == 3 ? 0xee : 0x8e;
        e->off_mid = (off >> 16) & 0xffff;
        e->off_hi = off >> 32;
        e->reserved = 0;
    }
    idt_load();
}

/* Turns the nop at the start of trap_common into clac when the CPU has SMAP
 * (traps.S). Runs on the boot page tables, where the kernel text is still
 * writable (arch_mmu_init makes it read-only). */
static void patch_trap_clac(void)
{
    extern uint8_t trap_clac_site[];
    static const uint8_t nop3[3] = {0x0f, 0x1f, 0x00}, clac[3] = {0x0f, 0x01, 0xca};
    if (memcmp(trap_clac_site, nop3, 3) != 0)
        panic("trap_clac_site is not the expected nop");
    if (cpu_features.smap)
        memcpy(trap_clac_site, clac, 3);
}

void arch_cpu_init(void)
{
    read_features();
    patch_trap_clac();
    uintptr_t top = (uintptr_t)(kstack0 + sizeof(kstack0));
    gdt_init(&cpu0, top, ist_stacks);
    idt_init();
    syscall_init(&cpu0, top);
    pic_remap_and_mask();
    kprintf("cpu: nx=%d smep=%d smap=%d pdpe1gb=%d apic=%d\n", cpu_features.nx, cpu_features.smep,
            cpu_features.smap, cpu_features.pdpe1gb, cpu_features.apic);
}

struct cpu_local *x86_cpu_local_flat(void)
{
    return (struct cpu_local *)(uintptr_t)(rdmsr(MSR_GS_BASE) + PERCPU_LOCAL);
}

void x86_cpu_tables_load(struct percpu *p, uintptr_t kstack_top, uint8_t (*ist)[IST_STACK_SIZE])
{
    gdt_init(p, kstack_top, ist);
    idt_load();
    syscall_init(p, kstack_top);
}

void arch_debug_exit(unsigned status)
{
    /* isa-debug-exit at 0x501 (present only in test runs): exits with (v<<1)|1. */
    outw(0x501, (uint16_t)status);
}

void arch_halt(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}
