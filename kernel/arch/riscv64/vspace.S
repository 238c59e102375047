/*
 * arch_vspace_load's body (arch/vm_cpu.h), in assembly so that the switch
 * costs its callers no registers: called by `call t0` with the root in t1 and
 * the address of its ASID word in t2 (0: none), it uses t1-t4 only and keeps
 * every other register, so that the IPC fast path, which switches address
 * spaces inline, calls nothing that returns and saves no register of its own.
 *
 * The ASID (decision 185, genarch/asid.h): the word's, when it is of the
 * current generation (asid_generation); else asid_assign gives it one (a
 * call, every caller-saved register kept around it on the stack); no word:
 * ASID 0. satp = riscv_satp_mode | ASID << 44 | the root's page number,
 * written after a fence (the tables' stores first); with ASID 0 every
 * non-global translation invalidated, with an ASID nothing: the old space's
 * translations stay, on several harts too (a hart stays in the mask of every
 * space it ran: ARCH_VSPACE_TAGGED, arch/vm_cpu.h).
 */
#include "arch/vm_cpu.h"

    .section .text
    .globl riscv_vspace_load_fast
riscv_vspace_load_fast:
    beqz    t2, 6f                  /* no word: ASID 0 */
    ld      t3, 0(t2)               /* the ASID word */
    la      t4, asid_generation
    ld      t4, 0(t4)
    xor     t4, t4, t3
    srli    t4, t4, ASID_GEN_SHIFT
    bnez    t4, 7f                  /* of an earlier generation, or none yet */
1:  slli    t3, t3, 64 - ASID_GEN_SHIFT
    srli    t3, t3, 64 - ASID_GEN_SHIFT - 44 /* the ASID at satp's field */
    srli    t1, t1, 12
    or      t1, t1, t3
    la      t3, riscv_satp_mode
    ld      t3, 0(t3)
    or      t1, t1, t3              /* satp */
    fence   w, w
    csrw    satp, t1
    jr      t0
6:  srli    t1, t1, 12              /* ASID 0: nothing of the others' is kept */
    la      t3, riscv_satp_mode
    ld      t3, 0(t3)
    or      t1, t1, t3
    csrw    satp, t1
    sfence.vma
    jr      t0
7:  addi    sp, sp, -112            /* asid_assign(t2), the new word in t3 */
    sd      ra, 0(sp)
    sd      t0, 8(sp)
    sd      t1, 16(sp)
    sd      t5, 24(sp)
    sd      t6, 32(sp)
    sd      a0, 40(sp)
    sd      a1, 48(sp)
    sd      a2, 56(sp)
    sd      a3, 64(sp)
    sd      a4, 72(sp)
    sd      a5, 80(sp)
    sd      a6, 88(sp)
    sd      a7, 96(sp)
    mv      a0, t2
    call    asid_assign
    mv      t3, a0
    ld      ra, 0(sp)
    ld      t0, 8(sp)
    ld      t1, 16(sp)
    ld      t5, 24(sp)
    ld      t6, 32(sp)
    ld      a0, 40(sp)
    ld      a1, 48(sp)
    ld      a2, 56(sp)
    ld      a3, 64(sp)
    ld      a4, 72(sp)
    ld      a5, 80(sp)
    ld      a6, 88(sp)
    ld      a7, 96(sp)
    addi    sp, sp, 112
    j       1b
