/*
 * x86_64 entry: Multiboot2 and PVH both enter here in 32-bit protected mode
 * with paging off, and share one trampoline to long mode.
 *
 *   PVH (QEMU -kernel): entry from the XEN_ELFNOTE_PHYS32_ENTRY note,
 *                       %ebx = physical address of hvm_start_info.
 *   Multiboot2 (GRUB):  %eax = 0x36d76289, %ebx = physical address of the
 *                       boot information.
 *
 * The trampoline zeroes .bss, checks that the CPU has long mode, builds boot
 * page tables that identity-map the first 4 GiB (so the C code can read the boot
 * information wherever the loader put it), direct-map them at
 * DIRECT_MAP_BASE, map the kernel image at
 * KERNEL_VMA, turns on PAE, long mode, NX (when present), paging and
 * write-protect, and jumps to kmain(kind, info, magic) in the higher half.
 * arch_mmu_init later replaces these tables with the final ones.
 */
#include "arch/memlayout.h"
#include "arch/boot.h"

#define PHYS(x) ((x) - KERNEL_VMA)
#define MB2_MAGIC      0xe85250d6
#define MB2_ARCH_I386  0
#define MB2_HDR_LEN    (mb2_header_end - mb2_header)

    .section .multiboot2, "a"
    .balign 8
mb2_header:
    .long MB2_MAGIC
    .long MB2_ARCH_I386
    .long MB2_HDR_LEN
    .long -(MB2_MAGIC + MB2_ARCH_I386 + MB2_HDR_LEN)
    /* entry address tag: where GRUB jumps (physical, 32-bit) */
    .balign 8
    .short 3, 0
    .long 12
    .long _start_mb2
    /* end tag */
    .balign 8
    .short 0, 0
    .long 8
mb2_header_end:

    /* PVH entry note: name "Xen", type XEN_ELFNOTE_PHYS32_ENTRY (18). */
    .section .note.Xen, "a"
    .balign 4
    .long 4
    .long 4
    .long 18
    .asciz "Xen"
    .balign 4
    .long _start_pvh

    .section .boot.text, "ax"
    .code32
    .globl _start_pvh
_start_pvh:
    cli
    cld
    movl $BOOT_KIND_PVH, boot_kind
    movl %ebx, boot_info
    movl $0, boot_magic
    jmp start32

    .globl _start_mb2
_start_mb2:
    cli
    cld
    movl $BOOT_KIND_MB2, boot_kind
    movl %ebx, boot_info
    movl %eax, boot_magic

start32:
    /* Zero .bss (the loaders do too, but nothing below may depend on it). */
    movl $PHYS(_bss_start), %edi
    movl $PHYS(_bss_end), %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl

    movl $PHYS(boot_stack_top), %esp

    /* Long mode present? CPUID 0x80000001 EDX bit 29. */
    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb no_long_mode
    movl $0x80000001, %eax
    cpuid
    btl $29, %edx
    jnc no_long_mode
    movl %edx, %ebp             /* keep feature bits: NX is bit 20 */

    /* PD entries: 2048 x 2 MiB identity pages covering 0-4 GiB. */
    movl $PHYS(boot_pd), %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x83, %eax             /* present, writable, 2 MiB */
    movl %eax, (%edi,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb 1b

    /* Low PDPT: four PDs. High PDPT entry 510: the first PD (-2 GiB -> 0). */
    movl $PHYS(boot_pdpt_low), %edi
    movl $PHYS(boot_pd) + 3, %eax
    movl %eax, 0(%edi)
    addl $4096, %eax
    movl %eax, 8(%edi)
    addl $4096, %eax
    movl %eax, 16(%edi)
    addl $4096, %eax
    movl %eax, 24(%edi)
    movl $PHYS(boot_pdpt_high), %edi
    movl $PHYS(boot_pd) + 3, %eax
    movl %eax, 510*8(%edi)

    movl $PHYS(boot_pml4), %edi
    movl $PHYS(boot_pdpt_low) + 3, %eax
    movl %eax, 0(%edi)
    movl %eax, 256*8(%edi)      /* the direct map's first 4 GiB */
    movl $PHYS(boot_pdpt_high) + 3, %eax
    movl %eax, 511*8(%edi)

    /* CR4.PAE, CR3, EFER.LME (+NXE), CR0.PG|WP. */
    movl %cr4, %eax
    orl $(1 << 5), %eax
    movl %eax, %cr4
    movl $PHYS(boot_pml4), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx
    rdmsr
    orl $(1 << 8), %eax
    btl $20, %ebp
    jnc 2f
    orl $(1 << 11), %eax
2:  wrmsr
    movl %cr0, %eax
    orl $((1 << 31) | (1 << 16) | 1), %eax
    movl %eax, %cr0

    lgdt boot_gdt_ptr
    ljmp $0x08, $start64

no_long_mode:
    movl $no_lm_msg, %esi
3:  lodsb
    testb %al, %al
    jz 4f
    movw $0x3f8, %dx
    outb %al, %dx
    jmp 3b
4:  hlt
    jmp 4b

    .code64
start64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movabsq $higher_half, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: data */
boot_gdt_ptr:
    .short boot_gdt_ptr - boot_gdt - 1
    .long boot_gdt
boot_kind:  .long 0
boot_info:  .long 0
boot_magic: .long 0
no_lm_msg:
    .asciz "Weft: this CPU has no long mode (x86-64); cannot boot.\r\n"

    .text
higher_half:
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl boot_kind, %edi
    movl boot_info, %esi
    movl boot_magic, %edx
    call kmain
5:  cli
    hlt
    jmp 5b

    .bss
    .balign 4096
boot_pml4:       .skip 4096
boot_pdpt_low:   .skip 4096
boot_pdpt_high:  .skip 4096
boot_pd:         .skip 4096 * 4
    .globl boot_stack_top
boot_stack:      .skip 16384
boot_stack_top:
