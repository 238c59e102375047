/*
 * The script interpreter the thread self-tests run in every test thread
 * (ipc/ktest_world.h; x86-64's is in kernel/test/arch/x86_64/user_progs.S, with
 * the same script and result layout). x0 = the thread's base: the script at
 * base (entries of 8 words: op or system call number, cap, info, words 0-3,
 * Reply cap, loaded into x8, x0, x1, x2-x5, x6), the results at base + 0x1000
 * (8 words per entry: x8, x1, x0, x2-x5 after it, and a sequence number from
 * the shared counter), the IPC buffer at base + 0x2000. Ops (numbers no system
 * call uses): END, UD2 (udf), LOAD (x0 = cap, x8 = *x0), SPIN (cap times), SPIN_FLAG
 * (until the shared flag is set or cap iterations; x8 = iterations left),
 * SET_FLAG (flag = cap), BUFSET (IPC buffer word cap = info). The benchmark
 * loops below are copied with it (everything up to uprog_script_end).
 */
    .section .rodata
    .balign 4
    .globl uprog_script, uprog_script_ud2, uprog_script_end
uprog_script:
    mov     x19, x0             /* base */
    mov     x20, x0             /* the next script entry */
    add     x21, x0, #0x1000    /* its result */
    movz    x22, #0x50, lsl #16 /* the shared page, 0x508000 */
    movk    x22, #0x8000
1:  ldr     x8, [x20]
    movz    x9, #0x7fff, lsl #16
    cmp     x8, x9
    b.eq    9f
    sub     x10, x8, x9
    cmp     x10, #1
    b.eq    uprog_script_ud2
    cmp     x10, #2
    b.eq    3f
    cmp     x10, #3
    b.eq    4f
    cmp     x10, #4
    b.eq    5f
    cmp     x10, #5
    b.eq    6f
    cmp     x10, #6
    b.eq    7f
    ldp     x0, x1, [x20, #8]
    ldp     x2, x3, [x20, #24]
    ldp     x4, x5, [x20, #40]
    ldr     x6, [x20, #56]
    svc     #0
2:  stp     x8, x1, [x21, #0]
    stp     x0, x2, [x21, #16]
    stp     x3, x4, [x21, #32]
    str     x5, [x21, #48]
10: ldxr    x10, [x22]
    add     x10, x10, #1
    stxr    w11, x10, [x22]
    cbnz    w11, 10b
    str     x10, [x21, #56]
    add     x20, x20, #64
    add     x21, x21, #64
    b       1b
uprog_script_ud2:
    udf     #0
    b       2b
3:  ldr     x0, [x20, #8]   /* through the cap register, as x86-64's rdi: a */
    ldr     x8, [x0]        /* fault handler may move it (WF_FAULT_WORD_CAP) */
    b       2b
4:  ldr     x10, [x20, #8]
41: subs    x10, x10, #1
    b.ne    41b
    b       2b
5:  ldr     x10, [x20, #8]
51: ldr     x11, [x22, #8]
    cbnz    x11, 52f
    subs    x10, x10, #1
    b.ne    51b
52: mov     x8, x10
    b       2b
6:  ldr     x10, [x20, #8]
    str     x10, [x22, #8]
    b       2b
7:  ldp     x10, x11, [x20, #8]
    add     x12, x19, #0x2000
    str     x11, [x12, x10, lsl #3]
    b       2b
9:  udf     #0

/*
 * The round-trip benchmark (kernel/test/umode_ktest.c), on the same code page: 13
 * instructions of EL0 loop per Call + ReplyRecv, as x86-64's bench loops.
 * uprog_bcall: x0 = base, [0] N, [1] the Call number, [2] the cap, [3] info,
 * [4] its own TCB's CPtr, [5] the Suspend info; N Calls with word 0 = 1, then
 * it suspends itself.
 * uprog_bserver: [0] the Recv number, [1] the ReplyRecv number, [2] the
 * endpoint, [3] the Reply cap, [4] the reply's info; Recv, then ReplyRecv for
 * ever.
 */
    .globl uprog_bcall, uprog_bserver
uprog_bcall:
    mov     x19, x0
    ldr     x20, [x19]
    ldp     x21, x22, [x19, #16]
1:  ldr     x8, [x19, #8]
    mov     x0, x21
    mov     x1, x22
    mov     x2, #1
    svc     #0
    subs    x20, x20, #1
    b.ne    1b
    ldr     x8, [x19, #8]
    ldp     x0, x1, [x19, #32]
    svc     #0
    udf     #0

uprog_bserver:
    mov     x19, x0
    ldr     x8, [x19]
    ldp     x20, x21, [x19, #16]
    ldr     x22, [x19, #32]
    mov     x0, x20
    mov     x6, x21
    svc     #0
1:  ldr     x8, [x19, #8]
    mov     x0, x20
    mov     x6, x21
    mov     x1, x22
    svc     #0
    b       1b

/*
 * The port benchmarks' loops (kernel/test/bench_umode_ktest.c).
 * uprog_bloop: x0 = base, [0] N, [1] a system call number, [2] x0, [3] x1,
 * [4] x2 (word 0), [5] x6 (the Reply cap), [6] its own TCB's CPtr, [7] the
 * Call number, [8] the Suspend info: that system call N times (6 EL0
 * instructions an iteration), then it suspends itself.
 * uprog_bfault_server: [0] N, [1] the Recv number, [2] the ReplyRecv number,
 * [3] the endpoint, [4] the Reply cap, [5] its own TCB's CPtr, [6] the Call
 * number, [7] the Suspend info: Recv (a fault message), then N ReplyRecv with
 * no words (the faulting thread resumes at the instruction that faulted,
 * faults again, and the message comes back), then it suspends itself.
 * uprog_bfault: an undefined instruction, for ever.
 */
    .globl uprog_bloop, uprog_bfault_server, uprog_bfault
uprog_bloop:
    mov     x19, x0
    ldr     x20, [x19]
1:  ldr     x8, [x19, #8]
    ldp     x0, x1, [x19, #16]
    ldp     x2, x6, [x19, #32]
    svc     #0
    subs    x20, x20, #1
    b.ne    1b
    ldp     x0, x8, [x19, #48]
    ldr     x1, [x19, #64]
    svc     #0
    udf     #0

uprog_bfault_server:
    mov     x19, x0
    ldr     x20, [x19]
    ldr     x8, [x19, #8]
    ldp     x21, x22, [x19, #24]
    mov     x0, x21
    mov     x6, x22
    svc     #0
1:  ldr     x8, [x19, #16]
    mov     x0, x21
    mov     x6, x22
    mov     x1, #0
    svc     #0
    subs    x20, x20, #1
    b.ne    1b
    ldp     x0, x8, [x19, #40]
    ldr     x1, [x19, #56]
    svc     #0
    udf     #0

uprog_bfault:
    udf     #0
    b       uprog_bfault
uprog_script_end:
