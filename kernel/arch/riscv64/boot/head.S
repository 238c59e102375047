/*
 * The riscv64 entry: the Linux RISC-V Image header, early page tables and
 * the MMU (Sv48), then C (boot.c) on the kernel's own stack.
 *
 * Entered as the RISC-V Linux boot protocol says (OpenSBI's fw_dynamic jumps
 * here in S-mode): MMU off, a0 the hart id, a1 the physical address of the
 * device tree. Until the MMU is on, everything runs at the physical address
 * the image was loaded at, so only pc-relative addressing (lla) is used; the
 * image must lie at KERNEL_PHYS (checked; if not, the SBI console says so).
 *
 * The early tables (.bss) map three things with 1 GiB gigapages, global,
 * every one readable, writable and executable; arch_mmu_init replaces them:
 *   - identity: the GiB holding the image (for the instructions that turn the
 *     MMU on);
 *   - the kernel window KERNEL_VMA + [0, 4 GiB): QEMU virt's devices (GiB 0,
 *     so the console works before arch_mmu_init) and the image (GiB 2);
 *   - the direct map of physical [0, 4 GiB) (RAM on virt starts at 2 GiB;
 *     the loader puts the device tree below 3 GiB).
 * The kernel's addresses all lie in the top 256 GiB (arch/memlayout.h), so
 * one table, early_l2_win, holds them for both modes: it is Sv39's root
 * (with the identity GiB in its entry 2) and, under early_root's entry 511,
 * Sv48's level 2 (early_root's entry 0 leads to the identity). Every hart
 * that pages has Sv39, so the boot turns it on; a hart whose satp does not
 * take it keeps the MMU off and the SBI console says so. arch_mmu_init then
 * probes Sv48 (decision 177).
 */
#include "arch/riscv.h"

#define GIB_SHIFT 30
#define LEAF      (PTE_KERNEL | PTE_R | PTE_W | PTE_X)

    .section .head.text, "ax"
    .globl _start
_start:
    /* The Linux RISC-V Image header (Documentation/riscv/boot-image-header.rst). */
    .option push
    .option norvc
    j       primary_entry           /* code0 */
    .long   0                       /* code1 */
    .option pop
    .quad   KERNEL_PHYS - 0x80000000 /* text_offset from the base of RAM */
    .quad   _image_size             /* image_size, .bss included */
    .quad   0                       /* flags: little-endian */
    .long   0x2                     /* version 0.2 */
    .long   0                       /* res1 */
    .quad   0                       /* res2 */
    .ascii  "RISCV\0\0\0"           /* magic */
    .ascii  "RSC\x05"               /* magic2 */
    .long   0                       /* res3: no PE header */

primary_entry:
    csrw    sie, zero
    csrci   sstatus, SSTATUS_SIE
    mv      s1, a0                  /* the hart id */
    mv      s2, a1                  /* the device tree */
    lla     t0, _start
    li      t1, KERNEL_PHYS
    lla     a0, msg_load
    bne     t0, t1, sbi_fail

    /* Clear .bss (page-aligned bounds). */
    lla     t0, _bss_start
    lla     t1, _bss_end
1:  bgeu    t0, t1, 2f
    sd      zero, 0(t0)
    addi    t0, t0, 8
    j       1b
2:
    /* Identity: root[0] -> l2_lo; l2_lo[2] = GiB 2. */
    lla     t0, early_root
    lla     t1, early_l2_lo
    srli    t2, t1, 2
    ori     t2, t2, PTE_V
    sd      t2, 0(t0)
    li      t2, ((2 << GIB_SHIFT) >> 2) | LEAF
    sd      t2, 2 * 8(t1)

    /* root[511] -> l2_win; l2_win[2] = GiB 2 (Sv39's identity);
     * direct map: l2_win[256..259] = GiB 0..3;
     * kernel window: l2_win[508..511] = GiB 0..3. */
    lla     t3, early_l2_win
    srli    t2, t3, 2
    ori     t2, t2, PTE_V
    li      t4, 511 * 8
    add     t4, t4, t0
    sd      t2, 0(t4)
    li      t2, ((2 << GIB_SHIFT) >> 2) | LEAF
    sd      t2, 2 * 8(t3)
    li      t1, 256 * 8
    add     t1, t1, t3
    li      t4, 0                   /* GiB number */
    li      t5, 4
    li      t2, 508 * 8
    add     t3, t3, t2
3:  slli    t2, t4, GIB_SHIFT - 2
    ori     t2, t2, LEAF
    sd      t2, 0(t1)
    sd      t2, 0(t3)
    addi    t1, t1, 8
    addi    t3, t3, 8
    addi    t4, t4, 1
    bltu    t4, t5, 3b

    /* Sv39 on, l2_win the root; the mode must stick. */
    lla     t0, early_l2_win
    srli    t0, t0, 12
    li      t1, SATP_MODE_SV39
    or      t0, t0, t1
    sfence.vma
    csrw    satp, t0
    csrr    t2, satp
    lla     a0, msg_sv39
    bne     t0, t2, sbi_fail
    sfence.vma
    lla     t0, 4f
    ld      t0, 0(t0)
    jr      t0
    .balign 8
4:  .quad   high_entry

high_entry:
    la      sp, boot_stack_top
    la      tp, riscv_cpu0          /* the boot hart's block (arch/percpu.h) */
    la      t0, trap_entry
    csrw    stvec, t0
    csrw    sscratch, zero
    li      s0, 0
    li      ra, 0
    mv      a0, s1
    mv      a1, s2
    call    riscv_entry
park:
    wfi
    j       park

/* a0: a message, printed by the SBI's legacy console before parking. */
sbi_fail:
    mv      t0, a0
1:  lbu     a0, 0(t0)
    beqz    a0, park
    li      a7, SBI_LEGACY_PUTCHAR
    ecall
    addi    t0, t0, 1
    j       1b

msg_load:
    .asciz  "weft: the kernel Image must be loaded at 0x80200000; it was not\r\n"
msg_sv39:
    .asciz  "weft: this hart has no Sv39 (satp kept its mode); cannot boot\r\n"

    .section .bss
    .balign 4096
    .globl early_root
early_root:   .space 4096
early_l2_lo:  .space 4096
    .globl early_l2_win
early_l2_win: .space 4096
    .globl boot_stack_top
boot_stack:   .space 65536
boot_stack_top:
