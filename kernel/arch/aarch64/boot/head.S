/*
 * The aarch64 entry: the Linux arm64 Image header, the drop from EL2 to EL1,
 * early page tables and the MMU, then C (boot.c) on the kernel's own stack.
 *
 * Entered as the arm64 boot protocol says: MMU and data cache off, x0 the
 * physical address of the device tree, at EL2 or EL1 (QEMU virt: EL1, or EL2
 * with virtualization=on). Until the MMU is on, everything runs at the
 * physical address the image was loaded at, so only pc-relative addressing
 * (adr, adrp) is used; the image must lie at KERNEL_PHYS (checked).
 *
 * The early tables (.bss, written with the MMU off) map three things with
 * 1 GiB blocks; arch_mmu_init replaces them all:
 *   - identity: the GiB holding the image (for the instructions that turn the
 *     MMU on);
 *   - the kernel window KERNEL_VMA + [0, 2 GiB): the first GiB as device memory
 *     (QEMU virt's devices, so the console works before arch_mmu_init), the
 *     second as normal memory (the image);
 *   - the direct map of physical [1 GiB, 4 GiB) (RAM on virt, where the device
 *     tree lies).
 * .bss is cleared and the tables written with the data cache off, then the
 * cache lines covering .bss invalidated before the MMU and caches go on.
 */
#include "arch/aarch64.h"

#define GIB_SHIFT 30
#define IMAGE_GIB (KERNEL_PHYS >> GIB_SHIFT)

    .section .head.text, "ax"
    .globl _start
_start:
    /* The Linux arm64 Image header (Documentation/arch/arm64/booting.rst). */
    b       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .quad   KERNEL_PHYS - 0x40000000 /* text_offset from the base of RAM */
    .quad   _image_size             /* image_size, .bss included */
    .quad   0x2                     /* flags: little-endian, 4 KiB pages, 2 MiB base near RAM */
    .quad   0, 0, 0                 /* res2-res4 */
    .ascii  "ARM\x64"               /* magic */
    .long   0                       /* res5: no PE header */

primary_entry:
    mov     x19, x0                 /* the device tree */
    mrs     x20, CurrentEL
    lsr     x20, x20, #2
    and     x20, x20, #3
    cmp     x20, #2
    b.eq    from_el2
    cmp     x20, #1
    b.ne    park                    /* EL3: not supported */
    b       at_el1

from_el2:
    mov     x0, #(1 << 31)          /* HCR_EL2.RW: EL1 runs AArch64; nothing trapped */
    msr     hcr_el2, x0
    mrs     x0, cnthctl_el2
    orr     x0, x0, #3              /* EL1PCTEN | EL1PCEN: EL1 may use the physical timer */
    msr     cnthctl_el2, x0
    msr     cntvoff_el2, xzr
    mrs     x0, id_aa64pfr0_el1     /* GICv3 system registers implemented? */
    ubfx    x0, x0, #24, #4
    cbz     x0, 1f
    mov     x0, #9                  /* ICC_SRE_EL2: SRE, Enable (EL1 may use ICC_SRE_EL1) */
    msr     S3_4_C12_C9_5, x0
    isb
    msr     S3_4_C12_C11_0, xzr     /* ICH_HCR_EL2: no virtual interrupts */
1:
    ldr     x0, =SCTLR_RES1
    msr     sctlr_el1, x0
    mov     x0, #SPSR_EL1H_MASKED
    msr     spsr_el2, x0
    adr     x0, at_el1
    msr     elr_el2, x0
    eret

at_el1:
    msr     daifset, #0xf
    ldr     x0, =SCTLR_RES1         /* MMU and caches off, whatever a loader left */
    msr     sctlr_el1, x0
    isb
    adr     x0, _start
    ldr     x1, =KERNEL_PHYS
    cmp     x0, x1
    b.ne    park                    /* loaded elsewhere: nothing to report it with */

    /* Clear .bss (page-aligned bounds). */
    adrp    x0, _bss_start
    adrp    x1, _bss_end
1:  cmp     x0, x1
    b.hs    2f
    stp     xzr, xzr, [x0], #16
    b       1b
2:
    /* Identity: l0_lo[0] -> l1_lo; l1_lo[IMAGE_GIB] = that GiB, normal. */
    adrp    x0, early_l0_lo
    adrp    x1, early_l1_lo
    orr     x2, x1, #PTE_TABLE
    str     x2, [x0]
    ldr     x2, =(IMAGE_GIB << GIB_SHIFT) | PTE_NORMAL_BLOCK
    str     x2, [x1, #IMAGE_GIB * 8]

    /* Kernel window: l0_hi[511] -> l1_win; l1_win[510] device GiB 0, [511] normal GiB 1. */
    adrp    x0, early_l0_hi
    adrp    x1, early_l1_win
    orr     x2, x1, #PTE_TABLE
    str     x2, [x0, #511 * 8]
    ldr     x2, =PTE_DEVICE_BLOCK
    str     x2, [x1, #510 * 8]
    ldr     x2, =(1 << GIB_SHIFT) | PTE_NORMAL_BLOCK
    str     x2, [x1, #511 * 8]

    /* Direct map: l0_hi[256] -> l1_dm; l1_dm[1..3] = GiB 1..3, normal. */
    adrp    x1, early_l1_dm
    orr     x2, x1, #PTE_TABLE
    str     x2, [x0, #256 * 8]
    mov     x3, #1
3:  lsl     x2, x3, #GIB_SHIFT
    ldr     x4, =PTE_NORMAL_BLOCK
    orr     x2, x2, x4
    str     x2, [x1, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #4
    b.lo    3b
    dsb     sy

    /* .bss (the tables, the stack) was written with the data cache off: drop
     * any line a loader left for it, so that nothing stale shadows memory
     * once the cache is on. Line size from CTR_EL0.DminLine. */
    mrs     x3, ctr_el0
    ubfx    x3, x3, #16, #4
    mov     x4, #4
    lsl     x4, x4, x3
    adrp    x0, _bss_start
    adrp    x1, _bss_end
4:  dc      ivac, x0
    add     x0, x0, x4
    cmp     x0, x1
    b.lo    4b
    dsb     sy

    /* Translation: attributes, control (IPS from the CPU), both roots. */
    ldr     x0, =MAIR_VALUE
    msr     mair_el1, x0
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #7
    ldr     x0, =TCR_VALUE
    bfi     x0, x1, #TCR_IPS_SHIFT, #3
    msr     tcr_el1, x0
    adrp    x0, early_l0_lo
    msr     ttbr0_el1, x0
    adrp    x0, early_l0_hi
    msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x0, =SCTLR_MMU_ON
    msr     sctlr_el1, x0
    isb
    ldr     x0, =high_entry
    br      x0

high_entry:
    ldr     x0, =boot_stack_top
    mov     sp, x0
    ldr     x0, =aarch64_cpu0       /* the boot CPU's block (arch/percpu.h) */
    msr     tpidr_el1, x0
    ldr     x0, =vectors
    msr     vbar_el1, x0
    isb
    mov     x29, #0
    mov     x30, #0
    mov     x0, x19
    mov     x1, x20
    bl      aarch64_entry
park:
    wfe
    b       park
    .ltorg

    .section .bss
    .balign 4096
    .globl early_l0_lo, early_l0_hi
early_l0_lo:  .space 4096
early_l1_lo:  .space 4096
early_l0_hi:  .space 4096
early_l1_win: .space 4096
early_l1_dm:  .space 4096
    .globl boot_stack_top
boot_stack:   .space 65536
boot_stack_top:
