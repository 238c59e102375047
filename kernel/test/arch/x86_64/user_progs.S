/*
 * Tiny user-mode programs for the user-entry self-tests (user_ktest.c). They
 * are position independent and are copied to a user page before running.
 * Each NAME_after_N label marks the return address of its Nth syscall.
 */
    .section .rodata, "a"

    .globl uprog_syscall, uprog_syscall_after1, uprog_syscall_ud, uprog_syscall_end
uprog_syscall:
    movl $0x1234, %eax
    movl $7, %edi
    movq $0x0123456789abcdef, %r12
    syscall
uprog_syscall_after1:
    movq %rax, %rdi         /* the kernel's reply */
    movl $0x1235, %eax
    syscall
uprog_syscall_ud:
    ud2
uprog_syscall_end:

    .globl uprog_kread, uprog_kread_end
uprog_kread:
    movabsq $0xffffffff80201000, %rax
    movq (%rax), %rax       /* kernel text: present, supervisor-only */
    ud2
uprog_kread_end:

    .globl uprog_priv, uprog_priv_end
uprog_priv:
    inb $0x60, %al          /* IOPL 0, no I/O bitmap: #GP */
    hlt
uprog_priv_end:

    .globl uprog_fpu, uprog_fpu_end
uprog_fpu:
    movl $1, %eax
    movq %rax, %xmm0
    movl $0x10, %eax
    syscall                 /* another thread runs here and changes %xmm0 */
    movq %xmm0, %rdi
    movl $0x11, %eax
    syscall
    ud2
uprog_fpu_end:

    .globl uprog_fpu2, uprog_fpu2_end
uprog_fpu2:
    movl $2, %eax
    movq %rax, %xmm0
    movl $0x20, %eax
    syscall
    ud2
uprog_fpu2_end:

    /* Spins long enough for timer interrupts to arrive in user mode, then
     * reports %r12..%r15 and the loop count through a syscall. */
    .globl uprog_spin, uprog_spin_end
uprog_spin:
    movq $0x1111, %r12
    movq $0x2222, %r13
    movq $0x3333, %r14
    movq $0x4444, %r15
    movq %rdi, %rcx
1:  decq %rcx
    jnz 1b
    movl $0x30, %eax
    syscall
    ud2
uprog_spin_end:

/*
 * The script interpreter that the thread self-tests (kernel/test/ipc_ktest.c) run
 * in every test thread. rdi = the thread's base: the script at base (entries of
 * 8 words: op or syscall number, rdi, rsi, rdx, r10, r8, r9, r12), the results at
 * base + 0x1000 (8 words per entry: rax, rsi, rdi, rdx, r10, r8, r9 after it and
 * a sequence number from the shared counter), the IPC buffer at base + 0x2000.
 * Ops (numbers no syscall uses): END, UD2, LOAD (rax = *rdi), SPIN (rdi times),
 * SPIN_FLAG (until the shared flag is set or rdi iterations; rax = iterations
 * left), SET_FLAG (flag = rdi), BUFSET (IPC buffer word rdi = rsi).
 */
#define UT_SHARED 0x508000
    .globl uprog_script, uprog_script_ud2, uprog_script_end
uprog_script:
    movq %rdi, %r15
    movq %rdi, %r13
    leaq 0x1000(%rdi), %r14
1:  movq 0(%r13), %rax
    cmpq $0x7fff0000, %rax
    je 9f
    cmpq $0x7fff0001, %rax
    je uprog_script_ud2
    cmpq $0x7fff0002, %rax
    je 3f
    cmpq $0x7fff0003, %rax
    je 4f
    cmpq $0x7fff0004, %rax
    je 5f
    cmpq $0x7fff0005, %rax
    je 6f
    cmpq $0x7fff0006, %rax
    je 7f
    movq 8(%r13), %rdi
    movq 16(%r13), %rsi
    movq 24(%r13), %rdx
    movq 32(%r13), %r10
    movq 40(%r13), %r8
    movq 48(%r13), %r9
    movq 56(%r13), %r12
    syscall
2:  movq %rax, 0(%r14)
    movq %rsi, 8(%r14)
    movq %rdi, 16(%r14)
    movq %rdx, 24(%r14)
    movq %r10, 32(%r14)
    movq %r8, 40(%r14)
    movq %r9, 48(%r14)
    movl $1, %eax
    lock xaddq %rax, UT_SHARED
    incq %rax
    movq %rax, 56(%r14)
    addq $64, %r13
    addq $64, %r14
    jmp 1b
uprog_script_ud2:
    ud2
    jmp 2b
3:  movq 8(%r13), %rdi
    movq (%rdi), %rax
    jmp 2b
4:  movq 8(%r13), %rcx
41: decq %rcx
    jnz 41b
    jmp 2b
5:  movq 8(%r13), %rcx
51: cmpq $0, UT_SHARED + 8
    jne 52f
    decq %rcx
    jnz 51b
52: movq %rcx, %rax
    jmp 2b
6:  movq 8(%r13), %rdi
    movq %rdi, UT_SHARED + 8
    jmp 2b
7:  movq 8(%r13), %rdi
    movq 16(%r13), %rsi
    movq %rsi, 0x2000(%r15,%rdi,8)
    jmp 2b
9:  ud2

/*
 * Benchmark loops (kernel/test/bench_ktest.c), copied to the same code page.
 * uprog_bloop: rdi = base, parameters at base: [0] N, [1] syscall number,
 * [2] rdi, [3] rsi, [4] rdx, [5] r12, [6] own TCB CPtr. Makes the syscall N times
 * and stores the rdtsc delta at base + 0x1000, then suspends itself. The loop
 * body around the syscall is 7 instructions.
 */
#define SYS_CALL       0x57460000
#define SYS_RECV       0x57460003
#define SYS_REPLY_RECV 0x57460005
#define SYS_WAIT       0x57460007
#define INFO_SUSPEND   (0x2b << 12)
    .globl uprog_bloop, uprog_bserver, uprog_bcapserver, uprog_bfault_server, uprog_bwaiter
    .globl uprog_bfault
uprog_bloop:
    movq %rdi, %r15
    movq 0(%r15), %rbx
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, %r14
1:  movq 8(%r15), %rax
    movq 16(%r15), %rdi
    movq 24(%r15), %rsi
    movq 32(%r15), %rdx
    movq 40(%r15), %r12
    syscall
    decq %rbx
    jnz 1b
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq %r14, %rax
    movq %rax, 0x1000(%r15)
    movl $SYS_CALL, %eax
    movq 48(%r15), %rdi
    movl $INFO_SUSPEND, %esi
    syscall
    ud2

/* uprog_bfault: [0] N: N ud2 faults, each resumed 2 bytes on by the handler. */
uprog_bfault:
    movq %rdi, %r15
    movq 0(%r15), %rbx
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, %r14
1:  ud2
    decq %rbx
    jnz 1b
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq %r14, %rax
    movq %rax, 0x1000(%r15)
    movl $SYS_CALL, %eax
    movq 48(%r15), %rdi
    movl $INFO_SUSPEND, %esi
    syscall
    ud2

/* uprog_bserver: [0] endpoint, [1] Reply, [2] info: Recv, then ReplyRecv with
 * that info (the words received, the rest of its IPC buffer) forever. */
uprog_bserver:
    movq %rdi, %r15
    movl $SYS_RECV, %eax
    movq 0(%r15), %rdi
    movq 8(%r15), %r12
    syscall
1:  movl $SYS_REPLY_RECV, %eax
    movq 0(%r15), %rdi
    movq 16(%r15), %rsi
    syscall
    jmp 1b

/* uprog_bcapserver: as bserver, [3] the address of its IPC buffer's receive
 * index, which it advances before each ReplyRecv: every cap received lands in
 * a fresh slot. */
uprog_bcapserver:
    movq %rdi, %r15
    movq 24(%r15), %rbx
    movl $SYS_RECV, %eax
    movq 0(%r15), %rdi
    movq 8(%r15), %r12
    syscall
1:  incq (%rbx)
    movl $SYS_REPLY_RECV, %eax
    movq 0(%r15), %rdi
    movq 16(%r15), %rsi
    syscall
    jmp 1b

/* uprog_bfault_server: as bserver, answering faults: rip (word 1) += 2. */
uprog_bfault_server:
    movq %rdi, %r15
    movl $SYS_RECV, %eax
    movq 0(%r15), %rdi
    movq 8(%r15), %r12
    syscall
1:  addq $2, %r10
    movl $SYS_REPLY_RECV, %eax
    movq 0(%r15), %rdi
    movl $2, %esi
    syscall
    jmp 1b

/* uprog_bwaiter: [0] notification: Wait forever. */
uprog_bwaiter:
    movq %rdi, %r15
1:  movl $SYS_WAIT, %eax
    movq 0(%r15), %rdi
    syscall
    jmp 1b

/* uprog_bbusy: counts in the shared page's word 2 for ever, two instructions
 * per count (kernel/test/arch/x86_64/bench_smp_ktest.c: a busy CPU's instructions, which
 * the guest instruction counter includes, are subtracted by this count). */
    .globl uprog_bbusy, uprog_bloop_busy
uprog_bbusy:
1:  incq UT_SHARED + 16
    jmp 1b

/* uprog_bloop_busy: as uprog_bloop, and the busy count's delta at base +
 * 0x1008. The count is read just before each rdtsc, in the same block of
 * translated code (an rdtsc ends one under -icount): no other CPU runs
 * between the two reads. */
uprog_bloop_busy:
    movq %rdi, %r15
    movq 0(%r15), %rbx
    movq UT_SHARED + 16, %r13
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    movq %rax, %r14
1:  movq 8(%r15), %rax
    movq 16(%r15), %rdi
    movq 24(%r15), %rsi
    movq 32(%r15), %rdx
    movq 40(%r15), %r12
    syscall
    decq %rbx
    jnz 1b
    movq UT_SHARED + 16, %rcx
    rdtsc
    shlq $32, %rdx
    orq %rdx, %rax
    subq %r14, %rax
    movq %rax, 0x1000(%r15)
    subq %r13, %rcx
    movq %rcx, 0x1008(%r15)
    movl $SYS_CALL, %eax
    movq 48(%r15), %rdi
    movl $INFO_SUSPEND, %esi
    syscall
    ud2
uprog_script_end:
