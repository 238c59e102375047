/*
 * aarch64 system registers, page-table descriptor bits and the few constants
 * the assembly and C of kernel/arch/aarch64/ share. Private to the
 * architecture: generic code never includes it.
 */
#ifndef WEFT_ARCH_AARCH64_H
#define WEFT_ARCH_AARCH64_H

#include "arch/memlayout.h"

/* SCTLR_EL1: the bits that read as one on ARMv8.0, then M, C, SA, I, WXN. */
#define SCTLR_RES1   UL(0x30d00800)
#define SCTLR_M      (UL(1) << 0)
#define SCTLR_C      (UL(1) << 2)
#define SCTLR_SA     (UL(1) << 3)
#define SCTLR_SA0    (UL(1) << 4)
#define SCTLR_I      (UL(1) << 12)
#define SCTLR_WXN    (UL(1) << 19)
#define SCTLR_SPAN   (UL(1) << 23) /* clear: exceptions to EL1 set PSTATE.PAN */
#define SCTLR_MMU_ON (SCTLR_RES1 | SCTLR_M | SCTLR_C | SCTLR_SA | SCTLR_I)

/* CPACR_EL1.FPEN = 3: FP/SIMD does not trap at EL0 or EL1; 1: it traps at
 * EL0 only (lazy switching, fpu.c). */
#define CPACR_FPEN     (UL(3) << 20)
#define CPACR_FPEN_EL1 (UL(1) << 20)

/* MAIR_EL1: attribute 0 normal write-back, 1 Device-nGnRE. */
#define MAIR_VALUE  UL(0x04ff)
#define ATTR_NORMAL 0
#define ATTR_DEVICE 1

/* TCR_EL1: 48-bit halves (T0SZ = T1SZ = 16), 4 KiB granules, inner shareable,
 * write-back walks; IPS is filled from ID_AA64MMFR0_EL1 at boot. EPD0 stops
 * walks of the lower half (no user address space loaded). */
#define TCR_VALUE     UL(0xb5103510)
#define TCR_EPD0      (UL(1) << 7)
#define TCR_AS        (UL(1) << 36) /* 16-bit ASIDs */
#define TCR_IPS_SHIFT 32

/* Stage 1 descriptors. */
#define PTE_VALID    (UL(1) << 0)
#define PTE_TABLE    (UL(3) << 0) /* at levels 0-2; a page at level 3 */
#define PTE_BLOCK    (UL(1) << 0)
#define PTE_PAGE     (UL(3) << 0)
#define PTE_ATTR(i)  ((UL(0) + (i)) << 2)
#define PTE_AP_RO    (UL(1) << 7) /* AP[2]: read-only */
#define PTE_AP_USER  (UL(1) << 6) /* AP[1]: EL0 access */
#define PTE_SH_INNER (UL(3) << 8)
#define PTE_AF       (UL(1) << 10)
#define PTE_CONT     (UL(1) << 52) /* one of 16 aligned entries cached as one */
#define PTE_PXN      (UL(1) << 53)
#define PTE_UXN      (UL(1) << 54)
#define PTE_ADDR     UL(0x0000fffffffff000)

#define PTE_NORMAL_BLOCK (PTE_BLOCK | PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_AF | PTE_UXN)
#define PTE_DEVICE_BLOCK (PTE_BLOCK | PTE_ATTR(ATTR_DEVICE) | PTE_AF | PTE_PXN | PTE_UXN)

/* SPSR for EL1h with D, A, I, F masked. */
#define SPSR_EL1H_MASKED 0x3c5

/* Kinds of exception vector entry (the table's 16 slots, in order). */
#define VEC_CUR_SP0_SYNC 0
#define VEC_CUR_SPX_SYNC 4
#define VEC_CUR_SPX_IRQ  5
#define VEC_CUR_SPX_FIQ  6
#define VEC_CUR_SPX_SERR 7
#define VEC_LOWER64_SYNC 8
#define VEC_LOWER64_IRQ  9

#ifndef __ASSEMBLER__
#include "types.h"

#define read_sysreg(r)                                                                             \
    ({                                                                                             \
        uint64_t v_;                                                                               \
        __asm__ volatile("mrs %0, " #r : "=r"(v_));                                                \
        v_;                                                                                        \
    })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" : : "r"((uint64_t)(v)) : "memory")

static inline void isb(void)
{
    __asm__ volatile("isb" ::: "memory");
}

/* PSTATE.PAN (ARMv8.1), by its system register encoding (S3_0_C4_C2_3) so
 * that the assembler needs no ARMv8.1 target. Only where aarch64_has_pan. */
static inline bool pan_get(void)
{
    return (read_sysreg(s3_0_c4_c2_3) >> 22) & 1;
}

static inline void pan_set(bool on)
{
    write_sysreg(s3_0_c4_c2_3, (uint64_t)on << 22);
}

/* Whether the CPU implements PAN (ID_AA64MMFR1_EL1.PAN). */
bool aarch64_has_pan(void);

static inline void dsb_ish(void)
{
    __asm__ volatile("dsb ish" ::: "memory");
}

static inline void mmio_write32(volatile void *base, unsigned off, uint32_t v)
{
    __asm__ volatile("str %w0, [%1]" : : "r"(v), "r"((volatile char *)base + off) : "memory");
}

static inline uint32_t mmio_read32(volatile void *base, unsigned off)
{
    uint32_t v;
    __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"((volatile char *)base + off) : "memory");
    return v;
}

/* The device tree the boot CPU was given, parsed (kernel/arch/aarch64/boot/boot.c). */
struct fdt_info;
extern struct fdt_info boot_fdt;
/* The exception level the kernel was entered at (1 or 2), and where the
 * device tree was (its bytes are not kept mapped after arch_mmu_init). */
extern unsigned boot_entry_el;
extern paddr_t boot_fdt_paddr;
extern uint32_t boot_fdt_size;

/* The exception frame the vectors build (vectors.S). */
struct trap_frame {
    uint64_t x[31]; /* x0-x30 */
    uint64_t sp;    /* the interrupted stack pointer */
    uint64_t elr, spsr, esr, far;
    uint64_t fp_rec[2]; /* a frame record {x29, elr}: backtraces walk through the trap */
};

void aarch64_trap(unsigned kind, struct trap_frame *tf);
void aarch64_user_trap(struct trap_frame *tf);
/* The lower half's table when no VSpace is loaded ("the kernel's own", root 0
 * of arch_pt_lookup and arch_vspace_switch): empty in the production image;
 * the test image maps its thread world there (vm_cpu.c). */
paddr_t aarch64_kernel_lower_root(void);
/* The ASID width from the CPU, TCR_EL1.AS set for 16 bits (vm_cpu.c; boot
 * CPU, arch_mmu_init). */
void aarch64_asid_init(void);
void aarch64_user_irq_save(const struct trap_frame *tf);
void aarch64_user_irq(struct trap_frame *tf, bool ticked);
struct arch_context;
__attribute__((noreturn)) void aarch64_user_sync(struct arch_context *c);
/* Acknowledges and handles the pending interrupt; true when it was this
 * CPU's timer tick. */
bool gic_handle_irq(void);
void timer_irq(void);
unsigned timer_intid(void);
void gic_enable_ppi(unsigned intid);
/* Makes the interrupt intid pending, as a device would (self-tests). */
void gic_set_pending(unsigned intid);
/* The GIC version irqchip_init set up (2 or 3; 0 before). */
unsigned irqchip_version(void);
void pl011_set_base(volatile void *base);
void aarch64_entry(paddr_t dtb, unsigned el);
void irqchip_init(void);
void psci_system_off(void);
#endif

#endif
