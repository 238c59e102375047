/*
 * riscv64 CSRs, page-table entry bits, SBI calls and the few constants the
 * assembly and C of kernel/arch/riscv64/ share. Private to the architecture:
 * generic code never includes it.
 */
#ifndef WEFT_ARCH_RISCV_H
#define WEFT_ARCH_RISCV_H

#include "arch/memlayout.h"

/* sstatus */
#define SSTATUS_SIE        (UL(1) << 1)
#define SSTATUS_SPIE       (UL(1) << 5)
#define SSTATUS_SPP        (UL(1) << 8)
#define SSTATUS_FS         (UL(3) << 13)
#define SSTATUS_FS_INITIAL (UL(1) << 13)
#define SSTATUS_FS_CLEAN   (UL(2) << 13)
#define SSTATUS_FS_DIRTY   (UL(3) << 13)
#define SSTATUS_SUM        (UL(1) << 18)
#define SSTATUS_MXR        (UL(1) << 19)

/* sie / sip */
#define IE_SSIE (UL(1) << 1)
#define IE_STIE (UL(1) << 5)
#define IE_SEIE (UL(1) << 9)

/* scause */
#define SCAUSE_IRQ           (UL(1) << 63)
#define IRQ_S_SOFT           1
#define IRQ_S_TIMER          5
#define IRQ_S_EXT            9
#define EXC_INSN_MISALIGNED  0
#define EXC_INSN_ACCESS      1
#define EXC_ILLEGAL          2
#define EXC_BREAKPOINT       3
#define EXC_LOAD_MISALIGNED  4
#define EXC_LOAD_ACCESS      5
#define EXC_STORE_MISALIGNED 6
#define EXC_STORE_ACCESS     7
#define EXC_ECALL_U          8
#define EXC_ECALL_S          9
#define EXC_INSN_PAGE        12
#define EXC_LOAD_PAGE        13
#define EXC_STORE_PAGE       15

/* satp */
#define SATP_MODE_SV39  (UL(8) << 60)
#define SATP_MODE_SV48  (UL(9) << 60)
#define SATP_ASID_SHIFT 44
#define SATP_PPN_MASK   UL(0x00000fffffffffff)

/* Page-table entries (Sv39/Sv48). A leaf has R, W or X; a link has none.
 * PTE_UC is one of the two bits left to software: the user asked for an
 * uncached mapping (QEMU's memory attributes come from the PMAs). */
#define PTE_V        (UL(1) << 0)
#define PTE_R        (UL(1) << 1)
#define PTE_W        (UL(1) << 2)
#define PTE_X        (UL(1) << 3)
#define PTE_U        (UL(1) << 4)
#define PTE_G        (UL(1) << 5)
#define PTE_A        (UL(1) << 6)
#define PTE_D        (UL(1) << 7)
#define PTE_UC       (UL(1) << 8)
#define PTE_N        (UL(1) << 63) /* Svnapot: one of a naturally aligned group */
#define PTE_RWX      (PTE_R | PTE_W | PTE_X)
#define PTE_PPN_MASK UL(0x003ffffffffffc00)
#define PTE_KERNEL   (PTE_V | PTE_G | PTE_A | PTE_D)

/* SBI extensions and calls (the SBI specification, v1.0 and the legacy ones). */
#define SBI_LEGACY_PUTCHAR 0x01
#define SBI_EXT_BASE       0x10
#define SBI_EXT_TIME       0x54494d45
#define SBI_EXT_SRST       0x53525354
#define SBI_EXT_HSM        0x48534d

/* Layout of struct trap_frame (below), for trap.S. */
#define TF_X(n)    (((n)-1) * 8) /* x1-x31 */
#define TF_SEPC    (31 * 8)
#define TF_SSTATUS (32 * 8)
#define TF_SCAUSE  (33 * 8)
#define TF_STVAL   (34 * 8)
#define TF_FPREC   (35 * 8)
#define TF_SIZE    (38 * 8)

#ifndef __ASSEMBLER__
#include "types.h"

#define csr_read(r)                                                                                \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("csrr %0, " #r : "=r"(v_));                                               \
        v_;                                                                                        \
    })
#define csr_write(r, v) __asm__ volatile("csrw " #r ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_set(r, v)   __asm__ volatile("csrs " #r ", %0" : : "r"((uint64_t)(v)) : "memory")
#define csr_clear(r, v) __asm__ volatile("csrc " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

/* The inline assembly below is the hart's; a host build of the page-table
 * code (tests/host/test_rvpt.c) sees only the definitions. */
#ifndef WEFT_HOST
static inline void mmio_write8(volatile void *base, unsigned off, uint8_t v)
{
    __asm__ volatile("sb %0, 0(%1)" : : "r"(v), "r"((volatile char *)base + off) : "memory");
}

static inline uint8_t mmio_read8(volatile void *base, unsigned off)
{
    uint8_t v;
    __asm__ volatile("lbu %0, 0(%1)" : "=r"(v) : "r"((volatile char *)base + off) : "memory");
    return v;
}

static inline void mmio_write32(volatile void *base, unsigned off, uint32_t v)
{
    __asm__ volatile("sw %0, 0(%1)" : : "r"(v), "r"((volatile char *)base + off) : "memory");
}

static inline uint32_t mmio_read32(volatile void *base, unsigned off)
{
    uint32_t v;
    __asm__ volatile("lw %0, 0(%1)" : "=r"(v) : "r"((volatile char *)base + off) : "memory");
    return v;
}

struct sbiret {
    long error;
    long value;
};

static inline struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0,
                                     unsigned long a1, unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

#endif

/* The exception frame trap.S builds for a trap taken in S-mode. */
struct trap_frame {
    uint64_t x[31]; /* x1-x31: x[n - 1] is xn */
    uint64_t sepc, sstatus, scause, stval;
    uint64_t fp_rec[2]; /* a frame record {s0, sepc}: backtraces walk through the trap */
    uint64_t pad;
};
_Static_assert(sizeof(struct trap_frame) == TF_SIZE, "trap.S");

/* The device tree the boot hart was given, parsed (boot/boot.c). */
struct fdt_info;
extern struct fdt_info boot_fdt;
extern unsigned long boot_hartid;
extern paddr_t boot_fdt_paddr;
extern uint32_t boot_fdt_size;
/* satp's mode for every address space: Sv48, or Sv39 where the hart has no
 * Sv48 or the command line says no4lvl (mmu.c, decision 177). */
extern uint64_t riscv_satp_mode;
/* The page tables' root level: 3 under Sv48, 2 under Sv39. */
extern unsigned riscv_pt_root_level;
/* The early tables' root for riscv_satp_mode (head.S's, for harts that start). */
paddr_t riscv_early_root(void);
/* Writes satp and says whether the hart kept the value: a write whose mode the
 * hart does not have changes nothing (the Sv48 probe, mmu.c). */
bool riscv_satp_try(uint64_t v);
/* The hart translates Svnapot 64 KiB groups (probed by mmu.c). */
extern bool riscv_svnapot;

void riscv_trap(struct trap_frame *tf);
struct arch_context;
__attribute__((noreturn)) void riscv_user_trap(struct arch_context *c);
/* The kernel's root table (mmu.c): its upper half is every address space's. */
paddr_t riscv_kernel_root(void);
void riscv_entry(unsigned long hartid, paddr_t dtb);
void uart_set_base(volatile void *base);
void plic_handle_irq(void);
void timer_irq(void);
bool riscv_has_sstc(void);
void irqchip_init(void);
void sbi_system_off(void);
#endif

#endif
