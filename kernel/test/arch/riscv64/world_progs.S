/*
 * The script interpreter the thread self-tests run in every test thread
 * (ipc/ktest_world.h; x86-64's is in kernel/test/arch/x86_64/user_progs.S,
 * aarch64's in world_progs.S there, with the same script and result layout).
 * a0 = the thread's base: the script at base (entries of 8 words: op or
 * system call number, cap, info, words 0-3, Reply cap, loaded into a7, a0,
 * a1, a2-a5, a6), the results at base + 0x1000 (8 words per entry: a7, a1,
 * a0, a2-a5 after it, and a sequence number from the shared counter), the IPC
 * buffer at base + 0x2000. Ops (numbers no system call uses): END, UD2 (an
 * illegal instruction), LOAD (a0 = cap, a7 = *a0: through the cap register, so
 * a fault handler may move it, WF_FAULT_WORD_CAP), SPIN (cap times), SPIN_FLAG (until
 * the shared flag is set or cap iterations; a7 = iterations left), SET_FLAG
 * (flag = cap), BUFSET (IPC buffer word cap = info). Everything up to
 * uprog_script_end is copied to the code page, the benchmark loops below
 * included.
 */
    .option norvc
    .section .rodata
    .balign 4
    .globl uprog_script, uprog_script_ud2, uprog_script_end
uprog_script:
    mv      s1, a0              /* base */
    mv      s2, a0              /* the next script entry */
    li      t0, 0x1000
    add     s3, a0, t0          /* its result */
    li      s4, 0x508000        /* the shared page */
1:  ld      a7, 0(s2)
    li      t1, 0x7fff0000
    beq     a7, t1, 9f
    sub     t2, a7, t1
    li      t3, 1
    beq     t2, t3, uprog_script_ud2
    li      t3, 2
    beq     t2, t3, 3f
    li      t3, 3
    beq     t2, t3, 4f
    li      t3, 4
    beq     t2, t3, 5f
    li      t3, 5
    beq     t2, t3, 6f
    li      t3, 6
    beq     t2, t3, 7f
    ld      a0, 8(s2)
    ld      a1, 16(s2)
    ld      a2, 24(s2)
    ld      a3, 32(s2)
    ld      a4, 40(s2)
    ld      a5, 48(s2)
    ld      a6, 56(s2)
    ecall
2:  sd      a7, 0(s3)
    sd      a1, 8(s3)
    sd      a0, 16(s3)
    sd      a2, 24(s3)
    sd      a3, 32(s3)
    sd      a4, 40(s3)
    sd      a5, 48(s3)
    li      t0, 1
    amoadd.d t1, t0, (s4)
    addi    t1, t1, 1
    sd      t1, 56(s3)
    addi    s2, s2, 64
    addi    s3, s3, 64
    j       1b
uprog_script_ud2:
    .word   0
    j       2b
3:  ld      a0, 8(s2)
    ld      a7, 0(a0)
    j       2b
4:  ld      t0, 8(s2)
41: addi    t0, t0, -1
    bnez    t0, 41b
    j       2b
5:  ld      t0, 8(s2)
51: ld      t1, 8(s4)
    bnez    t1, 52f
    addi    t0, t0, -1
    bnez    t0, 51b
52: mv      a7, t0
    j       2b
6:  ld      t0, 8(s2)
    sd      t0, 8(s4)
    j       2b
7:  ld      t0, 8(s2)
    ld      t1, 16(s2)
    li      t2, 0x2000
    add     t2, s1, t2
    slli    t0, t0, 3
    add     t2, t2, t0
    sd      t1, 0(t2)
    j       2b
9:  .word   0

/*
 * The round-trip benchmark (kernel/test/umode_ktest.c), on the same code page: 13
 * instructions of U-mode loop per Call + ReplyRecv, as x86-64's and aarch64's.
 * uprog_bcall: a0 = base, [0] N, [1] the Call number, [2] the cap, [3] info,
 * [4] its own TCB's CPtr, [5] the Suspend info; N Calls with word 0 = 1, then
 * it suspends itself.
 * uprog_bserver: [0] the Recv number, [1] the ReplyRecv number, [2] the
 * endpoint, [3] the Reply cap, [4] the reply's info; Recv, then ReplyRecv for
 * ever.
 */
    .globl uprog_bcall, uprog_bserver
uprog_bcall:
    mv      s1, a0
    ld      s2, 0(s1)
    ld      s3, 16(s1)
    ld      s4, 24(s1)
1:  ld      a7, 8(s1)
    mv      a0, s3
    mv      a1, s4
    li      a2, 1
    ecall
    addi    s2, s2, -1
    bnez    s2, 1b
    ld      a7, 8(s1)
    ld      a0, 32(s1)
    ld      a1, 40(s1)
    ecall
    .word   0

uprog_bserver:
    mv      s1, a0
    ld      a7, 0(s1)
    ld      s2, 16(s1)
    ld      s3, 24(s1)
    ld      s4, 32(s1)
    mv      a0, s2
    mv      a6, s3
    ecall
1:  ld      a7, 8(s1)
    mv      a0, s2
    mv      a6, s3
    mv      a1, s4
    ecall
    j       1b

/*
 * uprog_regwalk (thread_ktest.c's register read-back): started with every
 * register written through TCB_WriteRegisters or a fault reply, it adds n to
 * xn for n = 1..31 (so each register's word in the next fault message tells
 * which hardware register the written value reached) and stops at an ebreak
 * (uprog_regwalk_brk), a BREAKPOINT fault; no memory is touched.
 */
    .globl uprog_regwalk, uprog_regwalk_brk
uprog_regwalk:
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    addi    x\n, x\n, \n
    .endr
uprog_regwalk_brk:
    ebreak
    j       uprog_regwalk

/*
 * The port benchmarks' loops (kernel/test/bench_umode_ktest.c), as aarch64's.
 * uprog_bloop: a0 = base, [0] N, [1] a system call number, [2] a0, [3] a1,
 * [4] a2 (word 0), [5] a6 (the Reply cap), [6] its own TCB's CPtr, [7] the
 * Call number, [8] the Suspend info: that system call N times (8 U-mode
 * instructions an iteration), then it suspends itself.
 * uprog_bfault_server: [0] N, [1] the Recv number, [2] the ReplyRecv number,
 * [3] the endpoint, [4] the Reply cap, [5] its own TCB's CPtr, [6] the Call
 * number, [7] the Suspend info: Recv (a fault message), then N ReplyRecv with
 * no words (the faulting thread resumes at the instruction that faulted,
 * faults again, and the message comes back), then it suspends itself.
 * uprog_bfault: an illegal instruction, for ever.
 */
    .globl uprog_bloop, uprog_bfault_server, uprog_bfault
uprog_bloop:
    mv      s1, a0
    ld      s2, 0(s1)
1:  ld      a7, 8(s1)
    ld      a0, 16(s1)
    ld      a1, 24(s1)
    ld      a2, 32(s1)
    ld      a6, 40(s1)
    ecall
    addi    s2, s2, -1
    bnez    s2, 1b
    ld      a0, 48(s1)
    ld      a7, 56(s1)
    ld      a1, 64(s1)
    ecall
    .word   0

uprog_bfault_server:
    mv      s1, a0
    ld      s2, 0(s1)
    ld      a7, 8(s1)
    ld      s3, 24(s1)
    ld      s4, 32(s1)
    mv      a0, s3
    mv      a6, s4
    ecall
1:  ld      a7, 16(s1)
    mv      a0, s3
    mv      a6, s4
    li      a1, 0
    ecall
    addi    s2, s2, -1
    bnez    s2, 1b
    ld      a0, 40(s1)
    ld      a7, 48(s1)
    ld      a1, 56(s1)
    ecall
    .word   0

uprog_bfault:
    .word   0
    j       uprog_bfault
uprog_script_end:
