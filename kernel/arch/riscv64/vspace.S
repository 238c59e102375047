/*
 * arch_vspace_load's body (arch/vm_cpu.h), in assembly so that the switch
 * costs its callers no registers: called by `call t0` with the root in t1, it
 * uses t1-t4 only and keeps every other register (a0 and a1 on the stack),
 * so that the IPC fast path, which switches address spaces inline, calls
 * nothing that returns and saves no register of its own.
 *
 * The same as the C it replaces: the root's ASID from asid_table (the slot
 * of its page number or one of the ASID_PROBE after it, below asid_slots;
 * none: ASID 0), satp = riscv_satp_mode | ASID << 44 | the root's page
 * number. On one hart: satp written after a fence (the tables' stores
 * first), and with ASID 0 every non-global translation invalidated. Once
 * several harts run (decision 157), a switch from another ASID drops that
 * ASID's translations on this hart as well.
 */
#include "arch/percpu.h"
#include "arch/vm_cpu.h"

    .section .text
    .globl riscv_vspace_load_fast
riscv_vspace_load_fast:
    addi    sp, sp, -16
    sd      a0, 0(sp)
    sd      a1, 8(sp)
    la      a0, asid_table
    la      a1, asid_slots
    lwu     a1, 0(a1)
    srli    t2, t1, 12              /* i: the root's page number */
    li      t4, ASID_PROBE
1:  andi    t3, t2, ASID_SLOTS - 1  /* s */
    bgeu    t3, a1, 2f              /* not a usable slot */
    slli    t3, t3, 3
    add     t3, t3, a0
    ld      t3, 0(t3)
    beq     t3, t1, 3f
2:  addi    t2, t2, 1
    addi    t4, t4, -1
    bnez    t4, 1b
    li      a1, 0                   /* no slot: ASID 0 */
    j       4f
3:  andi    a1, t2, ASID_SLOTS - 1
    addi    a1, a1, 1               /* the ASID: s + 1 */
4:  slli    t2, a1, 44
    srli    t1, t1, 12
    or      t1, t1, t2
    la      t3, riscv_satp_mode
    ld      t3, 0(t3)
    or      t1, t1, t3              /* satp */
    lw      t3, PERCPU_KLOCK_ON(tp)
    csrr    t4, satp                /* the old one (several harts) */
    beqz    a1, 6f
    fence   w, w
    csrw    satp, t1
    beqz    t3, 5f
    /* Several harts: the old root's translations go, where it had an ASID
     * and is another root. */
    beq     t4, t1, 5f
    srli    t4, t4, 44
    li      t3, 0xffff
    and     t4, t4, t3              /* the old ASID */
    beqz    t4, 5f
    sfence.vma zero, t4
5:  ld      a0, 0(sp)
    ld      a1, 8(sp)
    addi    sp, sp, 16
    jr      t0
6:  csrw    satp, t1                /* ASID 0: nothing of the others' is kept */
    sfence.vma
    j       5b
