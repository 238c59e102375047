/*
 * x86-64 instructions and CPU state for the x86-64 code only (never included by
 * generic code, which has arch/cpu.h): I/O ports, MSRs, control registers,
 * CPUID, TLB invalidation, the flags, the TSC, and the CPU features Weft uses.
 */
#ifndef WEFT_ARCH_X86_H
#define WEFT_ARCH_X86_H

#include "arch/cpu.h"

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

struct cpuid_regs {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t sub)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(sub));
    return r;
}

#define DEFINE_CR(n)                                                                               \
    static inline uint64_t read_cr##n(void)                                                        \
    {                                                                                              \
        uint64_t v;                                                                                \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                                          \
        return v;                                                                                  \
    }                                                                                              \
    static inline void write_cr##n(uint64_t v)                                                     \
    {                                                                                              \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");                                 \
    }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(vaddr_t va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define MSR_EFER    0xc0000080u
#define MSR_FS_BASE 0xc0000100u
#define EFER_NXE    (1ull << 11)
#define CR0_WP      (1ull << 16)
#define CR4_PGE     (1ull << 7)
#define CR4_PCIDE   (1ull << 17)
#define CR3_NOFLUSH (1ull << 63) /* with CR4.PCIDE: keep the PCID's translations */
#define CR4_SMEP    (1ull << 20)
#define CR4_SMAP    (1ull << 21)

/* CPU features Weft uses, read once by arch_cpu_init. */
struct cpu_features {
    bool nx, smep, smap, pdpe1gb, apic, x2apic, tsc;
    bool pcid, invpcid; /* reported; PCIDs are used only in X86_PCID=1 builds */
};
extern struct cpu_features cpu_features;

#endif
