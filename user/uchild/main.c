/*
 * uchild: the suite's child program (uchild.h lists what it does). It runs in a
 * CNode and VSpace of its own, started by wf_process_start with its mode in the
 * start info; its exit status or its fault is what the test checks.
 *
 * The faults are written in assembly so that the registers a handler sees are
 * known: rbx (aarch64: x22; riscv64: s5) holds the address of uc_recover (which
 * exits with UC_RECOVERED), r13-r15 (aarch64: x19-x21; riscv64: s2-s4) hold
 * marker values. A handler that
 * replies with the pc = that address ends the child cleanly; one that replies
 * with new registers for the faulting instruction sees them take effect.
 */
#include <stdint.h>
#include <stdio.h>

#include "uchild.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

__attribute__((noreturn, used)) void uc_recovered(void);

__attribute__((noreturn, used)) void uc_recovered(void)
{
    wf_exit(UC_RECOVERED);
}

#if defined(__x86_64__)
/* Where a handler resumes a faulted child: an aligned stack, then exit. */
__asm__(".text\n"
        ".globl uc_recover\n"
        "uc_recover:\n"
        "    andq $-16, %rsp\n"
        "    call uc_recovered\n"
        "    ud2\n");

#define PRELUDE                                                                                    \
    "lea uc_recover(%%rip), %%rbx\n\t"                                                             \
    "movabs $0x1313131313131313, %%r13\n\t"                                                        \
    "movabs $0x1414141414141414, %%r14\n\t"                                                        \
    "movabs $0x1515151515151515, %%r15\n\t"
#define PRELUDE_CLOBBERS "rbx", "r13", "r14", "r15", "memory"

static int do_fault(wf_word_t kind, wf_word_t addr)
{
    wf_word_t rax = 0;
    switch (kind) {
    case UC_F_READ:
        __asm__ volatile(PRELUDE "movzbl (%1), %%eax" : "=a"(rax) : "r"(addr) : PRELUDE_CLOBBERS);
        break;
    case UC_F_WRITE:
        __asm__ volatile(PRELUDE "movb $1, (%0)" : : "r"(addr) : PRELUDE_CLOBBERS);
        break;
    case UC_F_UD2:
        __asm__ volatile(PRELUDE "ud2" : "=a"(rax) : "a"(0) : PRELUDE_CLOBBERS);
        break;
    case UC_F_DIVIDE:
        __asm__ volatile(PRELUDE "xorl %%ecx, %%ecx\n\tdivq %%rcx"
                         : "=a"(rax)
                         : "a"(1), "d"(0)
                         : "rcx", PRELUDE_CLOBBERS);
        break;
    case UC_F_SYSCALL:
        __asm__ volatile(PRELUDE "syscall"
                         : "=a"(rax)
                         : "a"(addr)
                         : "rcx", "r11", PRELUDE_CLOBBERS);
        break;
    default:
        return 200;
    }
    return (int)rax;
}

/* A Linux-numbered system call: number in rax, arguments in rdi rsi rdx. */
static long linux_syscall(long nr, long a, long b, long c)
{
    long ret;
    register long rdi __asm__("rdi") = a, rsi __asm__("rsi") = b, rdx __asm__("rdx") = c;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "r"(rdi), "r"(rsi), "r"(rdx)
                     : "rcx", "r11", "memory");
    return ret;
}
#define LINUX_GETPID 39
#define LINUX_WRITE  1

#elif defined(__aarch64__)
/* The same on aarch64: x22 holds uc_recover, x19-x21 the markers; the
 * undefined instruction is udf #0 and the result comes back in x0. */
__asm__(".text\n"
        ".globl uc_recover\n"
        "uc_recover:\n"
        "    mov x9, sp\n"
        "    and sp, x9, #-16\n"
        "    bl uc_recovered\n"
        "    udf #0\n");

#define PRELUDE                                                                                    \
    "adr x22, uc_recover\n\t"                                                                      \
    "movz x19, #0x1313\n\t"                                                                        \
    "movk x19, #0x1313, lsl 16\n\t"                                                                \
    "movk x19, #0x1313, lsl 32\n\t"                                                                \
    "movk x19, #0x1313, lsl 48\n\t"                                                                \
    "movz x20, #0x1414\n\t"                                                                        \
    "movk x20, #0x1414, lsl 16\n\t"                                                                \
    "movk x20, #0x1414, lsl 32\n\t"                                                                \
    "movk x20, #0x1414, lsl 48\n\t"                                                                \
    "movz x21, #0x1515\n\t"                                                                        \
    "movk x21, #0x1515, lsl 16\n\t"                                                                \
    "movk x21, #0x1515, lsl 32\n\t"                                                                \
    "movk x21, #0x1515, lsl 48\n\t"
#define PRELUDE_CLOBBERS "x19", "x20", "x21", "x22", "memory"

static int do_fault(wf_word_t kind, wf_word_t addr)
{
    register wf_word_t x0 __asm__("x0") = 0;
    register wf_word_t x8 __asm__("x8") = addr;
    switch (kind) {
    case UC_F_READ:
        __asm__ volatile(PRELUDE "ldrb w0, [%1]" : "+r"(x0) : "r"(addr) : PRELUDE_CLOBBERS);
        break;
    case UC_F_WRITE:
        __asm__ volatile(PRELUDE "mov w9, #1\n\tstrb w9, [%0]"
                         :
                         : "r"(addr)
                         : "x9", PRELUDE_CLOBBERS);
        break;
    case UC_F_UD2:
        __asm__ volatile(PRELUDE "udf #0" : "+r"(x0) : : PRELUDE_CLOBBERS);
        break;
    case UC_F_DIVIDE: /* does not trap on aarch64: the quotient is 0 */
        __asm__ volatile(PRELUDE "mov x9, #0\n\tmov x0, #1\n\tudiv x0, x0, x9"
                         : "+r"(x0)
                         :
                         : "x9", PRELUDE_CLOBBERS);
        break;
    case UC_F_SYSCALL:
        __asm__ volatile(PRELUDE "svc #0" : "+r"(x0), "+r"(x8) : : PRELUDE_CLOBBERS);
        /* A native call's error comes back in x8 (x86-64: rax); a call the
         * kernel does not know leaves x8 as it was, and the fault handler's
         * result is in x0 (x86-64: rax again). */
        return (int)(x8 != addr ? x8 : x0);
    default:
        return 200;
    }
    return (int)x0;
}

/* A Linux-numbered system call: number in x8, arguments in x0 x1 x2, result in x0. */
static long linux_syscall(long nr, long a, long b, long c)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a, x1 __asm__("x1") = b, x2 __asm__("x2") = c;
    __asm__ volatile("svc #0" : "+r"(x0), "+r"(x8) : "r"(x1), "r"(x2) : "memory");
    return x0;
}
#define LINUX_GETPID     172
#define LINUX_WRITE      64

#elif defined(__riscv)
/* The same on riscv64: s5 holds uc_recover, s2-s4 the markers; the undefined
 * instruction is c.unimp (the halfword 0), a native call's number and error
 * are in a7, a foreign call's result in a0. */
__asm__(".text\n"
        ".globl uc_recover\n"
        "uc_recover:\n"
        "    andi sp, sp, -16\n"
        "    call uc_recovered\n"
        "    .2byte 0\n");

#define PRELUDE                                                                                    \
    "lla s5, uc_recover\n\t"                                                                       \
    "li s2, 0x1313131313131313\n\t"                                                                \
    "li s3, 0x1414141414141414\n\t"                                                                \
    "li s4, 0x1515151515151515\n\t"
#define PRELUDE_CLOBBERS "s2", "s3", "s4", "s5", "memory"

static int do_fault(wf_word_t kind, wf_word_t addr)
{
    register wf_word_t a0 __asm__("a0") = 0;
    register wf_word_t a7 __asm__("a7") = addr;
    switch (kind) {
    case UC_F_READ:
        __asm__ volatile(PRELUDE "lbu a0, 0(%1)" : "+r"(a0) : "r"(addr) : PRELUDE_CLOBBERS);
        break;
    case UC_F_WRITE:
        __asm__ volatile(PRELUDE "li t0, 1\n\tsb t0, 0(%0)" : : "r"(addr) : "t0", PRELUDE_CLOBBERS);
        break;
    case UC_F_UD2:
        __asm__ volatile(PRELUDE ".2byte 0" : "+r"(a0) : : PRELUDE_CLOBBERS);
        break;
    case UC_F_DIVIDE: /* does not trap on riscv64: the quotient is all ones */
        __asm__ volatile(PRELUDE "li a0, 1\n\tdivu a0, a0, zero" : "+r"(a0) : : PRELUDE_CLOBBERS);
        break;
    case UC_F_SYSCALL:
        __asm__ volatile(PRELUDE "ecall" : "+r"(a0), "+r"(a7) : : PRELUDE_CLOBBERS);
        /* A native call's error comes back in a7; a call the kernel does not
         * know leaves a7 as it was, and the fault handler's result is in a0. */
        return (int)(a7 != addr ? a7 : a0);
    default:
        return 200;
    }
    return (int)a0;
}

/* A Linux-numbered system call: number in a7, arguments in a0 a1 a2, result in a0. */
static long linux_syscall(long nr, long a, long b, long c)
{
    register long a7 __asm__("a7") = nr;
    register long a0 __asm__("a0") = a, a1 __asm__("a1") = b, a2 __asm__("a2") = c;
    __asm__ volatile("ecall" : "+r"(a0), "+r"(a7) : "r"(a1), "r"(a2) : "memory");
    return a0;
}
#define LINUX_GETPID     172
#define LINUX_WRITE      64

#else
#error "uchild's faults are not written for this architecture"
#endif

static const char linux_msg[] = "hello from a foreign thread\n";

/* getpid(), then write(1, linux_msg, its length): a FOREIGN thread's handler
 * answers both; the exit status is the sum of the two results. */
static int do_linux(void)
{
    long pid = linux_syscall(LINUX_GETPID, 0, 0, 0);
    long n = linux_syscall(LINUX_WRITE, 1, (long)linux_msg, (long)sizeof(linux_msg) - 1);
    return (int)(pid + n);
}

int main(uintptr_t arg)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)arg;
    if (!si || si->magic != WF_STARTINFO_MAGIC)
        return 250;
    const wf_word_t *a = si->arg;
    switch (a[0]) {
    case UC_EXIT:
        return (int)a[1];
    case UC_ECHO:
        return uc_echo_serve(UC_SLOT_EP, UC_SLOT_REPLY, WF_CHILD_CNODE, UC_SLOT_RECV);
    case UC_CALL: {
        struct wf_msgregs m = {.info = wf_msginfo(a[1], 0, 2), .w = {a[2], a[3]}};
        wf_word_t e = wf_sys_call(UC_SLOT_EP, &m);
        return e != WF_ERR_OK ? 1000 + (int)e : (int)m.w[0];
    }
    case UC_FAULT:
        return do_fault(a[1], a[2]);
    case UC_LINUX:
        return do_linux();
    case UC_POKE:
        for (wf_word_t i = 0; i < a[2]; i++)
            ((volatile unsigned char *)a[1])[i] = UC_PATTERN(i);
        return 0;
    case UC_PEEK: {
        unsigned sum = 0;
        for (wf_word_t i = 0; i < a[2]; i++)
            sum += ((volatile unsigned char *)a[1])[i];
        return (int)sum;
    }
    case UC_WAIT: {
        wf_word_t bits;
        wf_word_t e = wf_sys_wait(UC_SLOT_EP, &bits);
        return e != WF_ERR_OK ? 1000 + (int)e : (int)(bits & 0x7fffffff);
    }
    default:
        printf("uchild: unknown mode %llu\n", (unsigned long long)a[0]);
        return 251;
    }
}
