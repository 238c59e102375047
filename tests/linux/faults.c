/*
 * Real faults and the siginfo Linux gives them: each case makes one fault
 * with a SA_SIGINFO handler installed and prints the signal, si_code, si_addr
 * (relative to the instruction's label or the page touched), and the
 * ucontext's REG_TRAPNO, REG_ERR (the page fault error code: user 4, write
 * 2, present 1, instruction fetch 16) and REG_RIP. The handler skips the
 * instruction by moving REG_RIP past it and returning (the program goes on
 * there), or leaves with siglongjmp where it cannot. Cases: ud2 (SIGILL,
 * ILL_ILLOPN), an integer division by zero (SIGFPE, FPE_INTDIV), int3
 * (SIGTRAP, SI_KERNEL, rip past it), reads and writes of an unmapped page
 * and of address 0 (SEGV_MAPERR), a write to a read-only page and to the
 * program's text, a read and a write of a PROT_NONE guard page
 * (SEGV_ACCERR), a non-canonical address (a general protection fault:
 * SIGSEGV, SI_KERNEL, trap 13), a jump into a page without execute
 * permission; a kill of SIGSEGV (SI_USER, no address); then the same
 * faults without a handler, with the signal blocked or ignored, end a child
 * with that signal.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

extern char ud_at[], ud_end[], div_at[], div_end[], bp_at[], bp_end[], rd_at[], rd_end[], wr_at[],
    wr_end[];

static volatile sig_atomic_t seen;
static int s_sig, s_code, s_pid;
static uintptr_t s_addr, s_rip;
static long s_trapno, s_err;
static uintptr_t skip_to; /* 0: leave with siglongjmp; 1: return as it is; else the new rip */
static sigjmp_buf out;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    s_sig = sig;
    s_code = si->si_code;
    s_addr = (uintptr_t)si->si_addr;
    s_pid = si->si_code <= 0 ? si->si_pid : 0;
    s_trapno = (long)uc->uc_mcontext.gregs[REG_TRAPNO];
    s_err = (long)uc->uc_mcontext.gregs[REG_ERR];
    s_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    seen++;
    if (skip_to > 1)
        uc->uc_mcontext.gregs[REG_RIP] = (greg_t)skip_to;
    if (skip_to)
        return;
    siglongjmp(out, 1);
}

__attribute__((noinline, noclone)) static void do_ud2(void)
{
    __asm__ volatile(".globl ud_at, ud_end\nud_at: ud2\nud_end:");
}

__attribute__((noinline, noclone)) static int do_div(int x)
{
    int hi = 0, zero = 0;
    __asm__ volatile(".globl div_at, div_end\ndiv_at: idivl %2\ndiv_end:"
                     : "+a"(x), "+d"(hi)
                     : "r"(zero));
    return x;
}

__attribute__((noinline, noclone)) static void do_int3(void)
{
    __asm__ volatile(".globl bp_at, bp_end\nbp_at: int3\nbp_end:");
}

__attribute__((noinline, noclone)) static int do_read(const volatile char *p)
{
    int c = 7;
    __asm__ volatile(".globl rd_at, rd_end\nrd_at: movzbl (%1), %0\nrd_end:"
                     : "+r"(c)
                     : "r"(p)
                     : "memory");
    return c;
}

__attribute__((noinline, noclone)) static void do_write(volatile char *p)
{
    __asm__ volatile(".globl wr_at, wr_end\nwr_at: movb $1, (%0)\nwr_end:" : : "r"(p) : "memory");
}

static const char *sig_name(int sig)
{
    switch (sig) {
    case SIGILL:
        return "SIGILL";
    case SIGFPE:
        return "SIGFPE";
    case SIGTRAP:
        return "SIGTRAP";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGBUS:
        return "SIGBUS";
    default:
        return "other";
    }
}

/* addr as "NAME+OFF" from base, or its value when it is 0 or far from it. */
static void rel(char *buf, size_t n, uintptr_t addr, uintptr_t base, const char *name)
{
    if (addr - base < 0x10000)
        snprintf(buf, n, "%s+%lu", name, (unsigned long)(addr - base));
    else
        snprintf(buf, n, "%#lx", (unsigned long)addr);
}

/* Prints what the handler saw for case what: si_addr relative to abase
 * (aname), REG_RIP relative to rbase (rname). */
static void report(const char *what, uintptr_t abase, const char *aname, uintptr_t rbase,
                   const char *rname)
{
    char a[64], r[64];
    rel(a, sizeof(a), s_addr, abase, aname);
    rel(r, sizeof(r), s_rip, rbase, rname);
    printf("%s: %s code %d addr %s trapno %ld err %ld rip %s\n", what, sig_name(s_sig), s_code, a,
           s_trapno, s_err, r);
}

static void expect_seen(const char *what, int before)
{
    printf("%s: handler ran %d time(s), resumed\n", what, seen - before);
}

/* A child makes fault f without a handler (how: 0 default, 1 blocked, 2
 * ignored) and the parent prints how it ended. */
static void unhandled(const char *what, int sig, int how, void (*f)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = how == 2 ? SIG_IGN : SIG_DFL;
        sigaction(sig, &sa, NULL);
        if (how == 1) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, sig);
            sigprocmask(SIG_BLOCK, &set, NULL);
        }
        f();
        printf("%s: FAIL: still running\n", what);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: child killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("%s: child exited %d\n", what, WEXITSTATUS(st));
}

static void f_ud2(void)
{
    do_ud2();
}

static void f_div(void)
{
    do_div(1);
}

static void f_int3(void)
{
    do_int3();
}

static void f_null(void)
{
    do_write((volatile char *)0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    int sigs[] = {SIGILL, SIGFPE, SIGTRAP, SIGSEGV, SIGBUS};
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    long pg = sysconf(_SC_PAGESIZE);
    int before;

    /* ud2: the handler skips its two bytes */
    before = seen;
    skip_to = (uintptr_t)ud_end;
    do_ud2();
    report("ud2", (uintptr_t)ud_at, "ud2", (uintptr_t)ud_at, "ud2");
    expect_seen("ud2", before);

    before = seen;
    skip_to = (uintptr_t)div_end;
    int q = do_div(42);
    report("div0", (uintptr_t)div_at, "idiv", (uintptr_t)div_at, "idiv");
    printf("div0: eax after the skipped idiv: %d\n", q);
    expect_seen("div0", before);

    before = seen;
    skip_to = (uintptr_t)bp_end; /* where it resumes anyway */
    do_int3();
    report("int3", (uintptr_t)bp_at, "int3", (uintptr_t)bp_at, "int3");
    expect_seen("int3", before);

    /* an unmapped page (mapped, then unmapped) */
    char *gone = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    gone[0] = 1;
    munmap(gone, pg);
    skip_to = (uintptr_t)rd_end;
    int c = do_read(gone + 0x10);
    report("read unmapped", (uintptr_t)gone, "page", (uintptr_t)rd_at, "load");
    printf("read unmapped: value after the skipped load: %d\n", c);
    skip_to = (uintptr_t)wr_end;
    do_write(gone + 0x20);
    report("write unmapped", (uintptr_t)gone, "page", (uintptr_t)wr_at, "store");
    skip_to = (uintptr_t)rd_end;
    do_read((volatile char *)0);
    report("read null", 0, "0", (uintptr_t)rd_at, "load");
    skip_to = (uintptr_t)wr_end;
    do_write((volatile char *)8);
    report("write null+8", 0, "0", (uintptr_t)wr_at, "store");

    /* read-only memory, touched first (its page is there) */
    char *ro = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("read-only page reads %d\n", do_read(ro + 5));
    skip_to = (uintptr_t)wr_end;
    do_write(ro + 5);
    report("write read-only", (uintptr_t)ro, "page", (uintptr_t)wr_at, "store");
    char *text = (char *)(uintptr_t)do_ud2;
    do_read(text);
    do_write(text);
    report("write text", (uintptr_t)text, "text", (uintptr_t)wr_at, "store");

    /* a guard page between two of a mapping */
    char *three = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    mprotect(three + pg, pg, PROT_NONE);
    three[0] = three[2 * pg] = 1;
    skip_to = (uintptr_t)wr_end;
    do_write(three + pg + 100);
    report("write guard", (uintptr_t)(three + pg), "guard", (uintptr_t)wr_at, "store");
    skip_to = (uintptr_t)rd_end;
    do_read(three + pg + 200);
    report("read guard", (uintptr_t)(three + pg), "guard", (uintptr_t)rd_at, "load");

    /* a non-canonical address: #GP, not a page fault */
    do_read((volatile char *)0x8000000000000000ull);
    report("non-canonical", 0, "0", (uintptr_t)rd_at, "load");

    /* a jump into a page without execute permission */
    char *data = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    data[0] = (char)0xc3; /* ret */
    skip_to = 0;
    if (!sigsetjmp(out, 1))
        ((void (*)(void))data)();
    report("exec data", (uintptr_t)data, "page", (uintptr_t)data, "page");

    /* a SIGSEGV sent, not a fault: SI_USER and the sender */
    skip_to = 1; /* not a fault: the handler returns (to kill's return) */
    kill(getpid(), SIGSEGV);
    printf("kill SIGSEGV: %s code %d from self %d\n", sig_name(s_sig), s_code, s_pid == getpid());
    printf("handlers ran %d times in all\n", seen);

    unhandled("ud2, default", SIGILL, 0, f_ud2);
    unhandled("div0, default", SIGFPE, 0, f_div);
    unhandled("int3, default", SIGTRAP, 0, f_int3);
    unhandled("null write, default", SIGSEGV, 0, f_null);
    unhandled("null write, SIGSEGV blocked", SIGSEGV, 1, f_null);
    unhandled("div0, SIGFPE ignored", SIGFPE, 2, f_div);
    unhandled("ud2, SIGILL blocked", SIGILL, 1, f_ud2);
    return 0;
}
