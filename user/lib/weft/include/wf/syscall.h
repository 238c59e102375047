/*
 * Weft's native system calls from user mode: one inline stub per syscall of
 * abi/weft.def, following the register convention of abi/include/weft/ipc.h
 * exactly (decision 030):
 *
 *   in   rax number, rdi cap, rsi msginfo, rdx r10 r8 r9 words 0-3, r12 reply cap
 *   out  rax error, rsi msginfo, rdi badge, rdx r10 r8 r9 words 0-3
 *   rcx and r11 are clobbered by the syscall instruction; nothing else changes.
 *
 * Words 4 and up, extra caps and receive slots travel in the calling thread's
 * IPC buffer (wf/runtime.h: wf_ipc_buffer()); these stubs move registers only.
 * wf_call() (weft/invoke.h, in runtime.c) builds a whole message on them.
 *
 * The debug calls (debug kernels only) take their one argument as message word
 * 0 (rdx; it is also placed in rdi) and return their result as word 0 (rdx),
 * with rax the error; notification words (Wait, Poll) come back in rdi, where
 * a received message's badge comes. Decision 050 records both choices.
 */
#ifndef WF_SYSCALL_H
#define WF_SYSCALL_H

#include "weft/errors.h"
#include "weft/ipc.h"
#include "weft/syscalls.h"

/* The registers of one message: its info word, the badge it came with (out
 * only) and the register words. */
struct wf_msgregs {
    wf_msginfo_t info;
    wf_word_t badge;
    wf_word_t w[WF_MSG_REG_WORDS];
};

#if !defined(WEFT_HOST) && defined(__aarch64__)
/* aarch64 (weft/arch/aarch64/abi.h, decision 128): svc #0 with x8 number, x0
 * cap, x1 msginfo, x2-x5 words 0-3, x6 reply cap; out x8 error, x1 msginfo, x0
 * badge, x2-x5 words; nothing is clobbered. */
static inline wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply,
                                   struct wf_msgregs *m)
{
    register wf_word_t x8 __asm__("x8") = nr;
    register wf_word_t x0 __asm__("x0") = cap;
    register wf_word_t x1 __asm__("x1") = m->info;
    register wf_word_t x2 __asm__("x2") = m->w[0];
    register wf_word_t x3 __asm__("x3") = m->w[1];
    register wf_word_t x4 __asm__("x4") = m->w[2];
    register wf_word_t x5 __asm__("x5") = m->w[3];
    register wf_word_t x6 __asm__("x6") = reply;
    __asm__ volatile("svc #0"
                     : "+r"(x8), "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3), "+r"(x4), "+r"(x5)
                     : "r"(x6)
                     : "memory");
    m->info = x1;
    m->badge = x0;
    m->w[0] = x2;
    m->w[1] = x3;
    m->w[2] = x4;
    m->w[3] = x5;
    return x8;
}
#elif !defined(WEFT_HOST) && defined(__riscv)
/* riscv64 (weft/arch/riscv64/abi.h, decision 152): ecall with a7 number, a0
 * cap, a1 msginfo, a2-a5 words 0-3, a6 reply cap; out a7 error, a1 msginfo, a0
 * badge, a2-a5 words; nothing is clobbered. */
static inline wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply,
                                   struct wf_msgregs *m)
{
    register wf_word_t a7 __asm__("a7") = nr;
    register wf_word_t a0 __asm__("a0") = cap;
    register wf_word_t a1 __asm__("a1") = m->info;
    register wf_word_t a2 __asm__("a2") = m->w[0];
    register wf_word_t a3 __asm__("a3") = m->w[1];
    register wf_word_t a4 __asm__("a4") = m->w[2];
    register wf_word_t a5 __asm__("a5") = m->w[3];
    register wf_word_t a6 __asm__("a6") = reply;
    __asm__ volatile("ecall"
                     : "+r"(a7), "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5)
                     : "r"(a6)
                     : "memory");
    m->info = a1;
    m->badge = a0;
    m->w[0] = a2;
    m->w[1] = a3;
    m->w[2] = a4;
    m->w[3] = a5;
    return a7;
}
#elif !defined(WEFT_HOST)
/* The one syscall primitive: every register of the convention in and out.
 * Returns rax (an enum wf_error); *m receives rsi, rdi and the words. */
static inline wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply,
                                   struct wf_msgregs *m)
{
    register wf_word_t r10 __asm__("r10") = m->w[1];
    register wf_word_t r8 __asm__("r8") = m->w[2];
    register wf_word_t r9 __asm__("r9") = m->w[3];
    register wf_word_t r12 __asm__("r12") = reply;
    wf_word_t rax = nr, rdi = cap, rsi = m->info, rdx = m->w[0];
    __asm__ volatile("syscall"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9)
                     : "r"(r12)
                     : "rcx", "r11", "memory");
    m->info = rsi;
    m->badge = rdi;
    m->w[0] = rdx;
    m->w[1] = r10;
    m->w[2] = r8;
    m->w[3] = r9;
    return rax;
}
#else
/* Host builds of user code (tests/host/test_utest.c) supply a test double. */
wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m);
#endif

/* Call: sends *m on cap and waits for the reply, which replaces *m. For a kernel
 * object the result is the invocation's error (also the reply's label). */
static inline wf_word_t wf_sys_call(wf_cptr_t cap, struct wf_msgregs *m)
{
    return wf_syscall(WF_SYS_CALL, cap, 0, m);
}

/* Send: sends *m on an endpoint, blocking until a receiver takes it. */
static inline wf_word_t wf_sys_send(wf_cptr_t cap, struct wf_msgregs *m)
{
    return wf_syscall(WF_SYS_SEND, cap, 0, m);
}

/* NBSend: sends *m if a receiver is waiting, else drops it. */
static inline wf_word_t wf_sys_nbsend(wf_cptr_t cap, struct wf_msgregs *m)
{
    return wf_syscall(WF_SYS_NBSEND, cap, 0, m);
}

/* Recv: waits for a message on an endpoint (or a bound notification's signal);
 * a Call received binds to the Reply object reply. The message lands in *m. */
static inline wf_word_t wf_sys_recv(wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    return wf_syscall(WF_SYS_RECV, cap, reply, m);
}

/* NBRecv: Recv that returns at once when no sender is waiting. */
static inline wf_word_t wf_sys_nbrecv(wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    return wf_syscall(WF_SYS_NBRECV, cap, reply, m);
}

/* ReplyRecv: replies *m through reply, then waits on cap as Recv does. */
static inline wf_word_t wf_sys_reply_recv(wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    return wf_syscall(WF_SYS_REPLY_RECV, cap, reply, m);
}

/* Signal: ORs the notification cap's badge into the notification word. */
static inline wf_word_t wf_sys_signal(wf_cptr_t cap)
{
    struct wf_msgregs m = {0};
    return wf_syscall(WF_SYS_SIGNAL, cap, 0, &m);
}

/* Nanoseconds since boot (the CLOCK system call; never decreasing). */
static inline uint64_t wf_clock_ns(void)
{
    struct wf_msgregs m = {0};
    wf_syscall(WF_SYS_CLOCK, 0, 0, &m);
    return m.w[0];
}

/* A counter for timing short spans: the CPU's cycle counter where user mode
 * may read it (x86-64's TSC), else the kernel's clock in nanoseconds (aarch64
 * closes its counters to EL0). Its unit depends on the machine. */
static inline uint64_t wf_cycles(void)
{
#if __has_builtin(__builtin_ia32_rdtsc)
    return __builtin_ia32_rdtsc();
#else
    return wf_clock_ns();
#endif
}

/* Wait: blocks until the notification word is non-zero, then returns it in
 * *bits (may be NULL) and clears it. */
static inline wf_word_t wf_sys_wait(wf_cptr_t cap, wf_word_t *bits)
{
    struct wf_msgregs m = {0};
    wf_word_t e = wf_syscall(WF_SYS_WAIT, cap, 0, &m);
    if (bits)
        *bits = e == WF_ERR_OK ? m.badge : 0;
    return e;
}

/* Poll: returns the notification word in *bits (may be NULL) and clears it,
 * without blocking. */
static inline wf_word_t wf_sys_poll(wf_cptr_t cap, wf_word_t *bits)
{
    struct wf_msgregs m = {0};
    wf_word_t e = wf_syscall(WF_SYS_POLL, cap, 0, &m);
    if (bits)
        *bits = e == WF_ERR_OK ? m.badge : 0;
    return e;
}

/* Yield: gives the rest of the time slice to threads of the same priority. */
static inline wf_word_t wf_sys_yield(void)
{
    struct wf_msgregs m = {0};
    return wf_syscall(WF_SYS_YIELD, 0, 0, &m);
}

/* A debug call with one argument; returns rax, *out (may be NULL) gets word 0. */
static inline wf_word_t wf_debug_syscall(wf_word_t nr, wf_word_t arg, wf_word_t *out)
{
    struct wf_msgregs m = {.w = {arg}};
    wf_word_t e = wf_syscall(nr, arg, 0, &m);
    if (out)
        *out = m.w[0];
    return e;
}

/* DEBUG_PUTC: writes one byte to the kernel console. */
static inline void wf_debug_putc(char c)
{
    wf_debug_syscall(WF_SYS_DEBUG_PUTC, (unsigned char)c, 0);
}

/* DEBUG_CAP_IDENTIFY: the type (enum wf_object_type) of the cap at cptr, 0 for
 * an empty slot or a CPtr that does not resolve. */
static inline wf_word_t wf_debug_cap_identify(wf_cptr_t cptr)
{
    wf_word_t type = 0;
    if (wf_debug_syscall(WF_SYS_DEBUG_CAP_IDENTIFY, cptr, &type) != WF_ERR_OK)
        return 0;
    return type;
}

/* DEBUG_STAT: kernel counter number stat (enum wf_stat in weft/objects.h) into
 * *value (may be NULL). Returns WF_ERR_OK, or WF_ERR_INVALID_ARGUMENT for a
 * number that names no counter (*value is then 0). Counters only grow, so a
 * test reads one before and after what it measures. */
static inline wf_word_t wf_debug_stat(wf_word_t stat, wf_word_t *value)
{
    wf_word_t v = 0;
    wf_word_t e = wf_debug_syscall(WF_SYS_DEBUG_STAT, stat, &v);
    if (value)
        *value = e == WF_ERR_OK ? v : 0;
    return e;
}

/* DEBUG_DUMP_CSPACE: prints the caller's CSpace on the kernel console. */
static inline void wf_debug_dump_cspace(void)
{
    wf_debug_syscall(WF_SYS_DEBUG_DUMP_CSPACE, 0, 0);
}

/* DEBUG_HALT: stops the machine; a test image's QEMU exits with
 * (status << 1) | 1. Does not return (if the kernel refuses, it spins). */
static inline __attribute__((noreturn)) void wf_debug_halt(wf_word_t status)
{
    for (;;)
        wf_debug_syscall(WF_SYS_DEBUG_HALT, status, 0);
}

#endif
