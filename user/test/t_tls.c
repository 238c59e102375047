/*
 * The thread pointer (TCB_SetTLS): the kernel loads each thread's own value
 * whenever it runs (x86-64: the FS base; aarch64: TPIDR_EL0; riscv64: tp), so a thread
 * reads through it what it set, another thread's value never shows through a
 * switch, and a base outside the user half is refused with the bounds. Over
 * the IPC fast path, which switches threads without the scheduler, each thread
 * keeps its own thread pointer and its own FP/SIMD state (decision 098;
 * aarch64 switches that lazily, decision 151): three vector registers (one of
 * the callee-saved ones) and two control registers (x86-64: MXCSR's rounding
 * and the x87 precision; aarch64: FPCR's rounding and FPSR's flags; riscv64:
 * ft0, fs0, ft11, fcsr's frm and fflags).
 */
#include "tarch.h"
#include "tutil.h"

/*
 * Per architecture: the thread pointer's read (where it is a register), the two
 * control values of each side, and the system call with struct ext_state
 * around it: the registers of the call (wf/syscall.h), the loads before the
 * system call instruction (from %[s], laid out as struct ext_state), the
 * stores after it (to %[g]) and the registers they clobber.
 */
#if defined(__x86_64__)
#define CTL1(side)    (0x1f80u | ((side) == 1 ? 0x2000u : 0x4000u)) /* MXCSR.RC */
#define CTL2(side)    ((uint16_t)((side) == 1 ? 0x037f : 0x027f))   /* x87 FCW.PC */
#define EXT_REG_NR    "rax"
#define EXT_REG_CAP   "rdi"
#define EXT_REG_INFO  "rsi"
#define EXT_REG_W0    "rdx"
#define EXT_REG_W1    "r10"
#define EXT_REG_W2    "r8"
#define EXT_REG_W3    "r9"
#define EXT_REG_REPLY "r12"
#define EXT_LOAD                                                                                   \
    "movq 0(%[s]), %%xmm0\n\t"                                                                     \
    "movq 8(%[s]), %%xmm8\n\t"                                                                     \
    "movq 16(%[s]), %%xmm15\n\t"                                                                   \
    "ldmxcsr 24(%[s])\n\t"                                                                         \
    "fldcw 28(%[s])\n\t"
#define EXT_SYSCALL "syscall\n\t"
#define EXT_STORE                                                                                  \
    "movq %%xmm0, 0(%[g])\n\t"                                                                     \
    "movq %%xmm8, 8(%[g])\n\t"                                                                     \
    "movq %%xmm15, 16(%[g])\n\t"                                                                   \
    "stmxcsr 24(%[g])\n\t"                                                                         \
    "fnstcw 28(%[g])"
#define EXT_CLOBBERS "rcx", "r11", "xmm0", "xmm8", "xmm15"
#elif defined(__aarch64__)
#define TLS_TP_READ   "mrs %0, tpidr_el0"
#define CTL1(side)    ((side) == 1 ? 0x400000u : 0x800000u) /* FPCR.RMode */
#define CTL2(side)    ((uint16_t)((side) == 1 ? 0x1 : 0x2)) /* FPSR.IOC, DZC */
#define EXT_REG_NR    "x8"
#define EXT_REG_CAP   "x0"
#define EXT_REG_INFO  "x1"
#define EXT_REG_W0    "x2"
#define EXT_REG_W1    "x3"
#define EXT_REG_W2    "x4"
#define EXT_REG_W3    "x5"
#define EXT_REG_REPLY "x6"
#define EXT_LOAD                                                                                   \
    "ldr d0, [%[s], #0]\n\t"                                                                       \
    "ldr d8, [%[s], #8]\n\t"                                                                       \
    "ldr d15, [%[s], #16]\n\t"                                                                     \
    "ldr w9, [%[s], #24]\n\t"                                                                      \
    "msr fpcr, x9\n\t"                                                                             \
    "ldrh w9, [%[s], #28]\n\t"                                                                     \
    "msr fpsr, x9\n\t"
#define EXT_SYSCALL "svc #0\n\t"
#define EXT_STORE                                                                                  \
    "str d0, [%[g], #0]\n\t"                                                                       \
    "str d8, [%[g], #8]\n\t"                                                                       \
    "str d15, [%[g], #16]\n\t"                                                                     \
    "mrs x9, fpcr\n\t"                                                                             \
    "str w9, [%[g], #24]\n\t"                                                                      \
    "mrs x9, fpsr\n\t"                                                                             \
    "strh w9, [%[g], #28]"
#define EXT_CLOBBERS "x9", "v0", "v8", "v15"
#elif defined(__riscv)
#define TLS_TP_READ   "mv %0, tp"
#define CTL1(side)    ((side) == 1 ? 0x1u : 0x3u)            /* frm: RTZ, RUP */
#define CTL2(side)    ((uint16_t)((side) == 1 ? 0x10 : 0x8)) /* fflags: NV, DZ */
#define EXT_REG_NR    "a7"
#define EXT_REG_CAP   "a0"
#define EXT_REG_INFO  "a1"
#define EXT_REG_W0    "a2"
#define EXT_REG_W1    "a3"
#define EXT_REG_W2    "a4"
#define EXT_REG_W3    "a5"
#define EXT_REG_REPLY "a6"
#define EXT_LOAD                                                                                   \
    "fld ft0, 0(%[s])\n\t"                                                                         \
    "fld fs0, 8(%[s])\n\t"                                                                         \
    "fld ft11, 16(%[s])\n\t"                                                                       \
    "lw t0, 24(%[s])\n\t"                                                                          \
    "fsrm t0\n\t"                                                                                  \
    "lhu t0, 28(%[s])\n\t"                                                                         \
    "fsflags t0\n\t"
#define EXT_SYSCALL "ecall\n\t"
#define EXT_STORE                                                                                  \
    "fsd ft0, 0(%[g])\n\t"                                                                         \
    "fsd fs0, 8(%[g])\n\t"                                                                         \
    "fsd ft11, 16(%[g])\n\t"                                                                       \
    "frrm t0\n\t"                                                                                  \
    "sw t0, 24(%[g])\n\t"                                                                          \
    "frflags t0\n\t"                                                                               \
    "sh t0, 28(%[g])"
#define EXT_CLOBBERS "t0", "ft0", "fs0", "ft11"
#else
#error "t_tls.c: no thread pointer or FP/SIMD state for this architecture"
#endif

/* A word read through the thread pointer at offset off (with base 0, the word
 * at address off). */
static uint64_t fs_word(uintptr_t off)
{
    uint64_t v;
#if defined(__x86_64__)
    __asm__ volatile("movq %%fs:(%1), %0" : "=r"(v) : "r"(off));
#else
    uint64_t tp;
    __asm__ volatile(TLS_TP_READ : "=r"(tp));
    v = *(volatile uint64_t *)(tp + off);
#endif
    return v;
}

static uint64_t fs_word0(void)
{
    return fs_word(0);
}

static uint64_t block_a[2] = {0xaaaa0000aaaa0001ull, 0};
static uint64_t block_b[2] = {0xbbbb0000bbbb0002ull, 0};
static volatile wf_cptr_t thread_tcb;
static volatile uint64_t thread_read;

/* Runs in a thread of its own, below the root task: sets its thread pointer to
 * block_b and reads through it. */
static int tls_thread(uintptr_t unused)
{
    (void)unused;
    if (wf_tcb_set_tls(thread_tcb, (uintptr_t)block_b) != WF_ERR_OK)
        return 1;
    thread_read = fs_word0();
    return 0;
}

TEST(tls, each_thread_sees_its_own)
{
    TEST_ENV(e);
    TEST_ASSERT_ERR(wf_tcb_set_tls(WF_ROOT_TCB, (uintptr_t)block_a), WF_ERR_OK);
    TEST_ASSERT_EQ(fs_word0(), block_a[0]);

    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, tls_thread, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    thread_tcb = t.tcb;
    thread_read = 0;
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    TEST_ASSERT_EQ(thread_read, block_b[0]);
    /* Back in the root task: its own base again, not the thread's. */
    uint64_t mine = fs_word0();
    wf_tcb_set_tls(WF_ROOT_TCB, 0);
    TEST_ASSERT_EQ(mine, block_a[0]);
}

TEST(tls, kernel_half_refused_with_bounds)
{
    /* RANGE_ERROR details: argument index, minimum, maximum (docs/api.md). */
    wf_word_t w[1] = {0xffff800000000000ull}, d[4];
    TEST_ASSERT_EQ(wf_call(WF_ROOT_TCB, WF_LABEL_TCB_SET_TLS, w, 1, 0, 0, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 0);
    TEST_ASSERT_EQ(d[1], 0);
    TEST_ASSERT_EQ(d[2], test_bootinfo->user_top - 1);
    w[0] = test_bootinfo->user_top - 1; /* the last user byte is a valid base */
    TEST_ASSERT_EQ(wf_call(WF_ROOT_TCB, WF_LABEL_TCB_SET_TLS, w, 1, 0, 0, d, 4), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_tls(WF_ROOT_TCB, 0), WF_ERR_OK);
}

/* --- the fast path keeps each thread's own state --------------------------------- */

/* The FP/SIMD state one side of the ping-pong below sets before each of its
 * system calls and reads back after it: three vector registers (x86-64: xmm0,
 * xmm8, xmm15; aarch64: v0, v8, v15), a rounding mode (MXCSR, FPCR) and a
 * second control (the x87 control word's precision; FPSR's flags). */
struct ext_state {
    uint64_t x0, x8, x15;
    uint32_t mxcsr;
    uint16_t fcw;
};

/* A value of side (1 or 2) for round i, never another side's or round's. */
static struct ext_state ext_pattern(unsigned side, unsigned i)
{
    uint64_t k = (uint64_t)side << 56 | (uint64_t)i << 8;
    return (struct ext_state){
        .x0 = k | 0x10, .x8 = k | 0x18, .x15 = k | 0x1f, .mxcsr = CTL1(side), .fcw = CTL2(side)};
}

/* wf_syscall (wf/syscall.h) with *set loaded into the registers of struct
 * ext_state just before the system call instruction and read into *got just
 * after it, in one asm statement: nothing the compiler does can touch them
 * between. */
static wf_word_t ext_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m,
                             const struct ext_state *set, struct ext_state *got)
{
    register wf_word_t r_nr __asm__(EXT_REG_NR) = nr;
    register wf_word_t r_cap __asm__(EXT_REG_CAP) = cap;
    register wf_word_t r_info __asm__(EXT_REG_INFO) = m->info;
    register wf_word_t r_w0 __asm__(EXT_REG_W0) = m->w[0];
    register wf_word_t r_w1 __asm__(EXT_REG_W1) = m->w[1];
    register wf_word_t r_w2 __asm__(EXT_REG_W2) = m->w[2];
    register wf_word_t r_w3 __asm__(EXT_REG_W3) = m->w[3];
    register wf_word_t r_reply __asm__(EXT_REG_REPLY) = reply;
    __asm__ volatile(EXT_LOAD EXT_SYSCALL EXT_STORE
                     : "+r"(r_nr), "+r"(r_cap), "+r"(r_info), "+r"(r_w0), "+r"(r_w1), "+r"(r_w2),
                       "+r"(r_w3)
                     : "r"(r_reply), [s] "r"(set), [g] "r"(got)
                     : EXT_CLOBBERS, "memory");
    m->info = r_info;
    m->badge = r_cap;
    m->w[0] = r_w0;
    m->w[1] = r_w1;
    m->w[2] = r_w2;
    m->w[3] = r_w3;
    return r_nr;
}

static bool ext_same(const struct ext_state *a, const struct ext_state *b)
{
    return a->x0 == b->x0 && a->x8 == b->x8 && a->x15 == b->x15 && a->mxcsr == b->mxcsr &&
           a->fcw == b->fcw;
}

#define PP_ROUNDS        60
#define PP_CLIENT_NO_TLS 20 /* the round from which the client has no thread pointer */
#define PP_SERVER_NO_TLS 40 /* the same for the server: neither has one after it */
#define PP_QUIT          7

static uint64_t pp_marker = 0x5151000051510003ull;
static volatile wf_cptr_t pp_ep, pp_reply, pp_tcb;
static volatile unsigned pp_server_bad; /* rounds where the server saw another's state */

/* The server: thread pointer block_b, then, from the Call of round
 * PP_SERVER_NO_TLS on, none; its own pattern (side 2); replies with word 0 plus
 * 1 and checks after each ReplyRecv what it holds. */
static int pp_server(uintptr_t unused)
{
    (void)unused;
    if (wf_tcb_set_tls(pp_tcb, (uintptr_t)block_b) != WF_ERR_OK)
        return 1;
    struct wf_msgregs m = {0};
    if (wf_sys_recv(pp_ep, pp_reply, &m) != WF_ERR_OK)
        return 2;
    bool tls = true;
    for (unsigned i = 0;; i++) {
        if (wf_msginfo_label(m.info) == PP_QUIT) {
            m = (struct wf_msgregs){.info = wf_msginfo(0, 0, 0)};
            return wf_sys_send(pp_reply, &m) == WF_ERR_OK ? 0 : 3;
        }
        if (m.w[0] == PP_SERVER_NO_TLS) {
            if (wf_tcb_set_tls(pp_tcb, 0) != WF_ERR_OK)
                return 4;
            tls = false;
        }
        struct ext_state set = ext_pattern(2, i), got;
        m = (struct wf_msgregs){.info = wf_msginfo(0, 0, 1), .w = {m.w[0] + 1}};
        if (ext_syscall(WF_SYS_REPLY_RECV, pp_ep, pp_reply, &m, &set, &got) != WF_ERR_OK)
            return 5;
        if (!ext_same(&set, &got) ||
            (tls ? fs_word0() != block_b[0] : fs_word((uintptr_t)&pp_marker) != pp_marker))
            pp_server_bad++;
    }
}

/* Client (the test, thread pointer block_a) and server (block_b) each set
 * different XMM registers, MXCSR and x87 control word before every Call and
 * ReplyRecv; all of them go over the fast path (a debug kernel counts them),
 * and after each one both sides find their own values again. A third of the
 * rounds each: both with a thread pointer, the server only, neither (the
 * switch the fast path makes entirely inline). */
TEST(tls, fast_path_keeps_each_threads_tls_and_fpu)
{
    TEST_ENV(e);
    pp_ep = test_obj(WF_OBJ_ENDPOINT, 0);
    pp_reply = test_obj(WF_OBJ_REPLY, 0);
    TEST_ASSERT(pp_ep && pp_reply);
    pp_server_bad = 0;
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, pp_server, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    pp_tcb = t.tcb;
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_tls(WF_ROOT_TCB, (uintptr_t)block_a), WF_ERR_OK);

    /* The first Call finds the server not yet waiting (the general path). */
    struct wf_msgregs m = {.info = wf_msginfo(1, 0, 1), .w = {1000}};
    TEST_ASSERT_ERR(wf_sys_call(pp_ep, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(m.w[0], 1001);
#ifdef WEFT_DEBUG
    wf_word_t fast0 = 0, fast1 = 0;
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_IPC_FAST, &fast0), WF_ERR_OK);
#endif
    unsigned bad_state = 0, bad_tls = 0;
    for (unsigned i = 0; i < PP_ROUNDS; i++) {
        if (i == PP_CLIENT_NO_TLS)
            TEST_ASSERT_ERR(wf_tcb_set_tls(WF_ROOT_TCB, 0), WF_ERR_OK);
        struct ext_state set = ext_pattern(1, i), got;
        m = (struct wf_msgregs){.info = wf_msginfo(1, 0, 1), .w = {i}};
        TEST_ASSERT_ERR(ext_syscall(WF_SYS_CALL, pp_ep, 0, &m, &set, &got), WF_ERR_OK);
        TEST_ASSERT_EQ(m.w[0], i + 1);
        bad_state += !ext_same(&set, &got);
        if (i < PP_CLIENT_NO_TLS)
            bad_tls += fs_word0() != block_a[0];
        else
            bad_tls += fs_word((uintptr_t)&pp_marker) != pp_marker;
    }
#ifdef WEFT_DEBUG
    /* Each round a Call and a ReplyRecv, both fast; the TLS updates are no IPC. */
    TEST_ASSERT_ERR(wf_debug_stat(WF_STAT_IPC_FAST, &fast1), WF_ERR_OK);
    TEST_ASSERT_EQ(fast1 - fast0, 2 * PP_ROUNDS);
#endif
    m = (struct wf_msgregs){.info = wf_msginfo(PP_QUIT, 0, 0)};
    TEST_ASSERT_ERR(wf_sys_call(pp_ep, &m), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    TEST_ASSERT_EQ(bad_state, 0);
    TEST_ASSERT_EQ(bad_tls, 0);
    TEST_ASSERT_EQ(pp_server_bad, 0);
}
