/*
 * Where another CPU starts (smp.c). A startup IPI starts it in real mode at
 * the page the trampoline was copied to (SMP_TRAMPOLINE_* in arch/smp.h):
 * CS = that page's address >> 4, IP = 0. The code below switches to
 * protected mode and then to long mode on a small page table that
 * identity-maps the first 2 MiB and shares the kernel's upper half, jumps to
 * the kernel's text (smp_ap_entry64), loads the kernel's own tables and calls
 * the C entry on the CPU's stack. Everything it needs is in the data block
 * that smp.c fills before the IPI (absolute addresses).
 */
#include "arch/smp.h"

    .section .rodata
    .balign 16
    .globl smp_trampoline, smp_trampoline_end
smp_trampoline:
    .code16
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    xorl %ebx, %ebx
    movw %ax, %bx
    shll $4, %ebx                       /* %ebx: the trampoline's physical address */
    lgdtl SMP_TD_GDTR
    movl %cr0, %eax
    orl $1, %eax                        /* protected mode */
    movl %eax, %cr0
    ljmpl *SMP_TD_JUMP32

    .code32
smp_trampoline_32:
    movl $0x10, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $0x20, %eax                     /* PAE */
    movl %eax, %cr4
    movl SMP_TD_CR3_LOW(%ebx), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx              /* EFER as the boot CPU has it: LME, NXE, SCE */
    movl SMP_TD_EFER(%ebx), %eax
    movl SMP_TD_EFER+4(%ebx), %edx
    wrmsr
    movl SMP_TD_CR0(%ebx), %eax         /* the boot CPU's CR0: paging on, WP, ... */
    movl %eax, %cr0
    ljmpl *SMP_TD_JUMP64(%ebx)

    .code64
smp_trampoline_64:
    movl %ebx, %ebx
    movq SMP_TD_ENTRY64(%rbx), %rax
    jmpq *%rax
    .skip SMP_TD - (. - smp_trampoline)
    .skip SMP_TD_SIZE
smp_trampoline_end:

    .globl smp_trampoline_32_off, smp_trampoline_64_off
    .set smp_trampoline_32_off, smp_trampoline_32 - smp_trampoline
    .set smp_trampoline_64_off, smp_trampoline_64 - smp_trampoline

/* In the kernel's text, still on the trampoline's page table (%rbx: the
 * trampoline's identity address): the boot CPU's CR4, the kernel's page
 * table, the CPU's stack, then the C entry (smp.c, smp_ap_start). */
    .text
    .globl smp_ap_entry64
smp_ap_entry64:
    movq SMP_TD_CR4(%rbx), %rax
    movq %rax, %cr4
    movq SMP_TD_STACK(%rbx), %rsp
    movq SMP_TD_CENTRY(%rbx), %rdx
    movq SMP_TD_KCR3(%rbx), %rax
    movq %rax, %cr3
    xorl %ebp, %ebp
    pushq $0                            /* a null return address ends backtraces */
    jmpq *%rdx
