/*
 * Ring-3 programs for the VM self-tests (vm_ktest.c).
 * Position independent; copied into a VMO that is mapped read-execute. None uses
 * a stack. Each ends with a syscall so the kernel gets control back.
 */
    .section .rodata, "a"

    /* touch: writes its own address into the first word of rsi pages from rdi on
     * (one write per MMU page); returns in rax the rdtsc delta of the loop. */
    .globl vprog_touch, vprog_touch_end
vprog_touch:
    movq %rdi, %r8
    rdtsc
    shlq $32, %rdx
    orq %rax, %rdx
    movq %rdx, %r9
1:  movq %r8, (%r8)
    addq $4096, %r8
    decq %rsi
    jnz 1b
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq %r9, %rax
    syscall
    ud2
vprog_touch_end:

    /* load: rax = *(uint64_t *)rdi */
    .globl vprog_load, vprog_load_end
vprog_load:
    movq (%rdi), %rax
    syscall
    ud2
vprog_load_end:

    /* store: *(uint64_t *)rdi = rsi */
    .globl vprog_store, vprog_store_end
vprog_store:
    movq %rsi, (%rdi)
    syscall
    ud2
vprog_store_end:

    /* jump: continue at rdi */
    .globl vprog_jump, vprog_jump_end
vprog_jump:
    jmp *%rdi
vprog_jump_end:
