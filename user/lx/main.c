/*
 * lx: runs static Linux programs (docs/linux.md).
 *
 *   lx [-v] PROGRAM [ARG...]   run one program; lx exits with its status
 *                              (128 + the signal when a signal ended it)
 *   lx                         run each line of the initramfs file lx.rc
 *                              (words separated by spaces, "double quotes"
 *                              keep spaces, # starts a comment, a leading
 *                              "weft-only " is dropped), each framed
 *                              by "=== run: LINE" and "=== exit N" or
 *                              "=== signal N"; lx exits with the last status
 *
 * Caps it needs (docs/userspace.md's well-known slots): POOL (every process is
 * made from a child pool of it), INITRAMFS (the programs and files), CONSOLE
 * (the processes' descriptors 0-2). Arguments reach it through argv, or from
 * a starter that cannot pass argv (the shell's `linux` command) in a VMO in
 * slot 16 (LX_ARGS_MAGIC in start info word 0, its length in word 1).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lx.h"
#include "weft/invoke.h"
#include "wf/proto/console.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define INITRAMFS_VA 0x0000600000000000ull
#define SCRIPT       "lx.rc"
#define MAX_ARGS     32
#define WEFT_ONLY    "weft-only "

struct lx lx;
wf_cptr_t lx_timer;
static wf_cptr_t recycle[1024];

static const char *const lx_env[] = {"HOME=/", "PATH=/bin", "TERM=linux"};

void lx_out(const char *s, size_t n)
{
    wf_console_write(s, n);
}

void lx_say(const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + 4, sizeof(line) - 5, fmt, ap);
    va_end(ap);
    memcpy(line, "lx: ", 4);
    size_t len = 4 + (n < 0 ? 0 : (size_t)n < sizeof(line) - 5 ? (size_t)n : sizeof(line) - 6);
    line[len++] = '\n';
    lx_out(line, len);
}

static void usage(void)
{
    lx_say("usage: lx [-v] PROGRAM [ARG...]  (no arguments: run the lines of %s in the "
           "initramfs)",
           SCRIPT);
}

static bool setup(void)
{
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    unsigned radix = (unsigned)si->cnode_radix;
    if (radix < 8) {
        lx_say("needs a CNode of at least 2^8 slots (has 2^%u)", radix);
        return false;
    }
    wf_word_t n = 1ull << radix;
    wf_word_t prio = 100, mcp = 100;
    wf_tcb_describe(si->self_tcb, NULL, &prio, &mcp, NULL);
    lx.prio = (unsigned)(prio < mcp ? prio : mcp);
    lx.self_tcb = si->self_tcb;
    /* The lower quarter is left to well-known caps, the upper half to musl. */
    lx.env = (struct wf_spawn_env){.cnode = SELF,
                                   .cnode_radix = radix,
                                   .pool = WF_CHILD_POOL,
                                   .vspace = WF_CHILD_VSPACE,
                                   .tcb = si->self_tcb,
                                   .next_slot = n / 4,
                                   .end_slot = n / 2,
                                   .recycle = recycle,
                                   .recycle_cap = sizeof(recycle) / sizeof(recycle[0])};
    lx.next_pid = 2; /* lx itself is pid 1 to its processes */
    if (wf_env_create(&lx.env, WF_OBJ_ENDPOINT, 0, &lx.ep) != WF_ERR_OK ||
        wf_env_create(&lx.env, WF_OBJ_REPLY, 0, &lx.reply) != WF_ERR_OK) {
        lx_say("no memory for an endpoint and a reply object (is a pool in slot %u?)",
               WF_CHILD_POOL);
        return false;
    }
    for (unsigned i = 0; i < sizeof(lx.spare) / sizeof(lx.spare[0]); i++) {
        if (wf_env_create(&lx.env, WF_OBJ_REPLY, 0, &lx.spare[i]) != WF_ERR_OK) {
            lx_say("no memory for Reply objects");
            return false;
        }
        lx.nspare++;
    }
    if (wf_env_create(&lx.env, WF_OBJ_NOTIFICATION, 0, &lx_timer) != WF_ERR_OK ||
        wf_tcb_bind_notification(lx.self_tcb, lx_timer) != WF_ERR_OK)
        lx_timer = 0; /* nanosleep answers ENOSYS */
    return true;
}

/* The console as the run's controlling terminal (the shell's `linux`
 * command): the console server gives lx the bytes typed (console.SetRaw; lx
 * runs the line discipline, tty.c) and signals lx's notification with
 * TTY_INTR_BIT (console.SetInterrupt) when they come while lx is its
 * foreground client (with edited lines, if it has no raw mode: for ^C). */
static void tty_setup(bool controlling)
{
    lx_tty_setup(controlling);
    if (!controlling || !lx_timer)
        return;
    wf_cptr_t slot = wf_env_slot(&lx.env);
    if (slot && wf_cnode_mint(SELF, slot, 64, SELF, lx_timer, 64, WF_RIGHT_WRITE,
                              LX_TTY_INTR_BIT) == WF_ERR_OK)
        if (wfp_console_set_interrupt(WF_CHILD_CONSOLE, slot) == WF_ERR_OK)
            lx_tty_set_raw(true);
}

/* A ^C the console told lx of while lx waited in a console Read (it ended
 * CANCELLED): its notification bit is cleared, so that it counts once. True
 * when SIGINT went to the foreground group. */
bool lx_tty_cancelled(void)
{
    wf_word_t bits = 0;
    if (lx_timer)
        wf_sys_poll(lx_timer, &bits);
    return lx_tty_interrupt();
}

static bool setup_initramfs(void)
{
    wf_word_t size = 0;
    if (wf_vmo_describe(WF_CHILD_INITRAMFS, &size, NULL, NULL, NULL) == WF_ERR_OK && size &&
        wf_vspace_map(WF_CHILD_VSPACE, WF_CHILD_INITRAMFS, INITRAMFS_VA, 0, size, WF_VM_READ) ==
            WF_ERR_OK) {
        lx.initramfs = (const uint8_t *)INITRAMFS_VA;
        lx.initramfs_len = size;
    } else {
        lx_say("no initramfs in slot %u: no programs to run", WF_CHILD_INITRAMFS);
        return false;
    }
    lx_sys_init();
    return lx_files_setup();
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case 4:
        return "SIGILL";
    case 5:
        return "SIGTRAP";
    case 6:
        return "SIGABRT";
    case 7:
        return "SIGBUS";
    case 8:
        return "SIGFPE";
    case 11:
        return "SIGSEGV";
    default:
        return "signal";
    }
}

/* What Linux's x86-64 trap handlers make of a fault: the signal, si_code,
 * si_addr and the sigcontext's trapno and err. */
struct lx_fault {
    int sig, code;
    uint64_t addr, trapno, err;
};

/* Whether a page fault at addr with access (the kernel's: write 2, execute
 * 4) is a touch of a file mapping past its file's end, which Linux answers
 * with SIGBUS: the access is one its protection allows, in the part mem.c
 * keeps out of the VSpace (past the end at mmap) or in a shared file
 * mapping (the file truncated since: the server cut its object). */
static bool file_gone(const struct lx_proc *p, uint64_t addr, uint64_t access)
{
    const struct lx_vma *v = lx_vma_at(p, addr);
    if (!v || !v->prot || ((access & 2) && !(v->prot & 2)) || ((access & 4) && !(v->prot & 4)))
        return false;
    unsigned shm = p->vmo[v->vmo].shm;
    return v->bus || (shm && lx.shm[shm - 1].ofd);
}

/* A fault of a Linux thread: the signal Linux would send with its siginfo,
 * and a report. A page fault is SIGSEGV, SEGV_MAPERR where nothing is mapped
 * and SEGV_ACCERR where the mapping forbids the access (SIGBUS BUS_ADRERR
 * past a mapped file's end), trap 14 with the
 * page fault error code Linux's handler saves (user, write, instruction
 * fetch, present); an exception is what Linux's handler of its vector
 * sends (#UD SIGILL ILL_ILLOPN, #DE SIGFPE FPE_INTDIV, both at the
 * instruction; int3 SIGTRAP SI_KERNEL; #GP SIGSEGV SI_KERNEL; ...), its
 * vector and error code as trapno and err. */
static void fault_signal(const struct lx_proc *p, wf_word_t label, const wf_word_t *w,
                         struct lx_fault *f)
{
    enum { SI_KERNEL = 0x80 };
    uint64_t rip = w[WF_FAULT_WORD_RIP];
    if (label != WF_FAULT_TYPE_USER_EXCEPTION) { /* a page fault lx's mappings do not resolve */
        uint64_t access = w[WF_FAULT_WORD_DETAIL1];
        *f = (struct lx_fault){.sig = 11,
                               .addr = w[WF_FAULT_WORD_DETAIL0],
                               .trapno = 14,
                               .err = 4 | (access & 2) | (access & 4 ? 16 : 0) |
                                      (access & 0x100 ? 1 : 0)};
        f->code = lx_vma_at(p, f->addr) ? 2 : 1; /* SEGV_ACCERR, SEGV_MAPERR */
        if (file_gone(p, f->addr, access)) {
            f->sig = 7;
            f->code = 2; /* BUS_ADRERR */
            lx_say("pid %d (%s): SIGBUS: %#llx is past the end of a mapped file, rip %#llx", p->pid,
                   p->name, (unsigned long long)f->addr, (unsigned long long)rip);
            return;
        }
        lx_say("pid %d (%s): SIGSEGV: %s at %#llx, rip %#llx", p->pid, p->name,
               (access & 4)   ? "execute"
               : (access & 2) ? "write"
                              : "read",
               (unsigned long long)f->addr, (unsigned long long)rip);
        return;
    }
    uint64_t vector = w[WF_FAULT_WORD_DETAIL1] & 0xff;
    *f = (struct lx_fault){
        .sig = 11, .code = SI_KERNEL, .trapno = vector, .err = w[WF_FAULT_WORD_DETAIL1] >> 8};
    switch (vector) {
    case 0: /* #DE */
        f->sig = 8;
        f->code = 1; /* FPE_INTDIV */
        f->addr = rip;
        break;
    case 1: /* #DB: a single step */
        f->sig = 5;
        f->code = 2; /* TRAP_TRACE */
        f->addr = rip;
        break;
    case 3: /* #BP: int3, rip past it */
        f->sig = 5;
        break;
    case 6: /* #UD */
        f->sig = 4;
        f->code = 2; /* ILL_ILLOPN */
        f->addr = rip;
        break;
    case 11: /* #NP */
    case 12: /* #SS */
        f->sig = 7;
        break;
    case 16: /* #MF */
    case 19: /* #XM */
        f->sig = 8;
        f->code = 0;
        f->addr = rip;
        break;
    case 17: /* #AC */
        f->sig = 7;
        f->code = 1; /* BUS_ADRALN */
        break;
    default: /* #GP, #TS, #OF, #BR and the rest: SIGSEGV, SI_KERNEL */
        break;
    }
    lx_say("pid %d (%s): %s (exception %llu, code %#llx) at rip %#llx", p->pid, p->name,
           signal_name(f->sig), (unsigned long long)w[WF_FAULT_WORD_DETAIL0],
           (unsigned long long)w[WF_FAULT_WORD_DETAIL1], (unsigned long long)rip);
}

/* Fills m with the answer to t's call (fault message w, result ret): one
 * word (rax), or every register when rt_sigreturn restored them or a signal's
 * handler is to run now (lx_deliver). False when t or its process ended
 * instead (a signal's default action): nothing to answer; or when its process
 * is stopped: the answer is held (t->held, its registers in t->regs). */
static bool compose_full(struct lx_thread *t, const wf_word_t *w, wf_word_t ret,
                         struct wf_msgregs *m);

static inline __attribute__((always_inline)) bool compose(struct lx_thread *t, const wf_word_t *w,
                                                          wf_word_t ret, struct wf_msgregs *m)
{
    if (!t->full && !lx_signal_next(t) && !t->p->stopped) { /* the usual answer: rax */
        m->info = wf_msginfo(0, 0, 1);
        m->w[0] = ret;
        return true;
    }
    return compose_full(t, w, ret, m);
}

/* compose's other cases, out of line. */
static __attribute__((noinline)) bool compose_full(struct lx_thread *t, const wf_word_t *w,
                                                   wf_word_t ret, struct wf_msgregs *m)
{
    wf_word_t regs[WF_REGS_COUNT];
    bool full = t->full;
    if (full) {
        memcpy(regs, t->regs, sizeof(regs));
    } else {
        memcpy(regs, w, sizeof(regs));
        regs[WF_FAULT_WORD_RAX] = ret;
    }
    t->full = false;
    struct lx_proc *p = t->p;
    if (lx_signal_next(t) && lx_deliver(t, regs))
        full = true;
    if (p->state != PROC_RUN || !t->used)
        return false;
    if (p->stopped) { /* held until the process goes on (wake) */
        memcpy(t->regs, regs, sizeof(t->regs));
        t->full = true;
        t->held = true;
        return false;
    }
    if (!full) {
        *m = (struct wf_msgregs){.info = wf_msginfo(0, 0, 1)};
        m->w[0] = ret;
        return true;
    }
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (unsigned i = WF_MSG_REG_WORDS; i < WF_REGS_COUNT; i++)
        b->msg[i] = regs[i];
    *m = (struct wf_msgregs){.info = wf_msginfo(0, 0, WF_REGS_COUNT)};
    for (unsigned i = 0; i < WF_MSG_REG_WORDS; i++)
        m->w[i] = regs[i];
    return true;
}

/* t's waiting call is answered: the time it waited is not its CPU time
 * (getrusage). */
static void waited(struct lx_thread *t)
{
    uint64_t now = wf_cycles();
    t->waited += now > t->wait_since ? now - t->wait_since : 0;
    t->wait_since = 0;
}

/* Answers a waiting call through its kept Reply cap; the Reply object goes
 * back to the spares. */
static void answer(struct lx_thread *t, wf_word_t ret)
{
    struct wf_msgregs m;
    wf_cptr_t reply = t->waiting;
    if (!compose(t, t->call, ret, &m))
        return; /* t ended: its Reply object was given back; or held */
    wf_sys_send(reply, &m);
    lx.spare[lx.nspare++] = reply;
    t->waiting = 0;
    lx.nwaiting--;
    waited(t);
}

/* A waiting call that a signal interrupts: EINTR, or (SA_RESTART) the call
 * made again once the handler returns. */
static void interrupt(struct lx_thread *t, int sig)
{
    t->sleep_until = 0;
    lx_futex_cancel(t);
    t->full = true;
    memcpy(t->regs, t->call, sizeof(t->regs));
    if (lx_restartable(t, t->call, sig))
        t->regs[WF_FAULT_WORD_RIP] -= 2; /* the syscall instruction again, rax its number */
    else
        t->regs[WF_FAULT_WORD_RAX] = (wf_word_t)-LX_EINTR;
    answer(t, t->regs[WF_FAULT_WORD_RAX]);
}

/* A signal for a thread running user code (or about to send lx a call lx
 * has not received): it is stopped (a call it was sending is cancelled and
 * made again later), its registers read, the handler's frame built on them,
 * and it goes on in the handler. */
static void deliver_now(struct lx_thread *t)
{
    wf_word_t regs[WF_REGS_COUNT];
    struct lx_proc *p = t->p;
    if (wf_tcb_suspend(t->tcb) != WF_ERR_OK)
        return;
    for (unsigned r = 0; r < WF_REGS_COUNT; r += 4) {
        unsigned first = r + 4 <= WF_REGS_COUNT ? r : WF_REGS_COUNT - 4;
        wf_tcb_read_registers(t->tcb, first, &regs[first], &regs[first + 1], &regs[first + 2],
                              &regs[first + 3]);
    }
    bool changed = lx_deliver(t, regs);
    if (p->state != PROC_RUN || !t->used)
        return;
    for (unsigned r = 0; changed && r < WF_REGS_COUNT; r += 4) {
        unsigned n = WF_REGS_COUNT - r < 4 ? WF_REGS_COUNT - r : 4;
        wf_tcb_write_registers(t->tcb, r, n, regs[r], n > 1 ? regs[r + 1] : 0,
                               n > 2 ? regs[r + 2] : 0, n > 3 ? regs[r + 3] : 0);
    }
    if (p->stopped)
        t->stopped_tcb = true; /* a stop signal: it stays suspended until SIGCONT */
    else
        wf_tcb_resume(t->tcb);
}

/* Retries every waiting call until none can go on (an answer may let another
 * go on: a read empties a pipe a writer waits on, a futex wake), interrupts
 * those a signal has come for; reaps the zombies whose parent is lx, but top
 * (run() waits for it); arms lx's timer for the earliest deadline. */
static void wake(int top)
{
    for (unsigned i = 0; lx.nzombies && i < LX_MAX_PROCS; i++) {
        struct lx_proc *q = &lx.proc[i];
        if (q->used && q->state == PROC_ZOMBIE && q->ppid == 1 && q->pid != top)
            lx_reap(q);
    }
    bool again = lx.nwaiting != 0;
    while (again) {
        again = false;
        for (unsigned i = 0; i < lx.thread_hi; i++) {
            struct lx_thread *t = &lx.thread[i];
            if (!t->used || !t->waiting || t->answering || t->p->stopped)
                continue;
            if (t->held) { /* its process went on: the answer it was given */
                t->held = false;
                answer(t, t->regs[WF_FAULT_WORD_RAX]);
                again = true;
                continue;
            }
            int sig = lx_signal_next(t);
            if (sig && t->vfork_child <= 0) {
                interrupt(t, sig);
                again = true;
                continue;
            }
            wf_word_t ret = 0;
            enum lx_outcome o = lx_syscall(t, t->call, &ret);
            if (o == LX_ANSWER && !lx.woken) { /* answered by serve's ReplyRecv */
                t->answering = true;
                t->answer = ret;
                lx.woken = t;
                again = true;
            } else if (o == LX_ANSWER) {
                answer(t, ret);
                again = true;
            } else if (o == LX_GONE) {
                again = true;
            }
        }
        for (unsigned i = 0; !again && lx.nzombies && i < LX_MAX_PROCS; i++) {
            struct lx_proc *q = &lx.proc[i];
            if (q->used && q->state == PROC_ZOMBIE && q->ppid == 1 && q->pid != top) {
                lx_reap(q);
                again = true;
            }
        }
    }
    /* handlers for threads lx is not answering (only a signal made pending
     * since the last wake can be for one) */
    for (unsigned i = 0; lx.nsignalled && i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (t->used && t->p->state == PROC_RUN && !t->p->stopped && !t->waiting &&
            t != lx.serving && lx_signal_next(t))
            deliver_now(t);
    }
    lx_timer_arm();
}

void lx_timer_arm(void)
{
    uint64_t first = lx.alarm_next;
    for (unsigned i = 0; lx.nwaiting && i < lx.thread_hi; i++) {
        const struct lx_thread *t = &lx.thread[i];
        if (t->used && t->waiting && t->sleep_until && (!first || t->sleep_until < first))
            first = t->sleep_until;
    }
    if (first && lx_timer)
        wf_tcb_set_deadline(lx.self_tcb, first, 1);
}

/* The call of q bound to lx.reply (fault message w) is answered later: q
 * keeps that Reply object, lx takes a spare. */
static void hold(struct lx_thread *q, const wf_word_t *w)
{
    if (!lx.nspare) { /* cannot happen: a Reply object per thread and more */
        lx_say("pid %d: no Reply object left", q->p->pid);
        lx_exit(q->p, LX_SIGKILL);
        return;
    }
    memcpy(q->call, w, sizeof(q->call));
    q->waiting = lx.reply;
    q->wait_since = wf_cycles();
    lx.nwaiting++;
    lx.reply = lx.spare[--lx.nspare];
}

/* The call of lx.woken, the waiting call wake() found could go on, is
 * answered: composed into m (lx's IPC buffer written for a long answer) with
 * the Reply object it keeps taking lx.reply's place, lx.reply going back to
 * the spares, so that lx's ReplyRecv answers it and receives on that object.
 * False when it needs no message (its thread ended, or its process stopped
 * and its answer is held: compose). */
static bool take_woken(struct wf_msgregs *m)
{
    struct lx_thread *d = lx.woken;
    lx.woken = NULL;
    if (!d || !d->used || !d->answering || !d->waiting)
        return false;
    d->answering = false;
    if (!compose(d, d->call, d->answer, m))
        return false;
    lx.spare[lx.nspare++] = lx.reply;
    lx.reply = d->waiting;
    d->waiting = 0;
    lx.nwaiting--;
    waited(d);
    return true;
}

static bool anyone_waits(void)
{
    return lx.nwaiting || lx.nzombies || lx.nsignalled;
}

/* Serves the container's system calls (every thread's: a call that must wait
 * keeps its Reply object and is answered later, decision 122) until process
 * top has ended; returns its wait status. */
static int serve(struct lx_proc *top_proc)
{
    int top = top_proc->pid;
    struct wf_msgregs m = {0};
    /* the call bound to lx.reply that is to be answered: its thread, message, result */
    struct lx_thread *cur = NULL;
    static wf_word_t w[WF_FAULT_MSG_WORDS];
    wf_word_t ret = 0;
    const struct wf_ipc_buffer *b = wf_ipc_buffer(); /* lx's one thread's, where messages land */
    for (;;) {
        lx.serving = cur;
        unsigned stops;
        if (lx.alarm_next && wf_clock_ns() >= lx.alarm_next)
            lx_alarms(); /* SIGALRM: pending, wake() delivers it */
        do {             /* a stop or continue in wake() may let a parent's wait go on */
            stops = lx.nstops;
            if (anyone_waits())
                wake(top);
        } while (lx.nstops != stops);
        lx.nsignalled = 0;
        bool reply = false;
        if (cur && lx.serving == cur && cur->used && cur->p->state == PROC_RUN) {
            reply = compose(cur, w, ret, &m);
            if (!reply && cur->used && cur->held) /* its process stopped: keep the Reply */
                hold(cur, w);
            if (!reply && lx.nstops != stops) { /* wake() again before receiving */
                cur = NULL;
                lx.nsignalled++;
                continue;
            }
        }
        cur = NULL;
        lx.serving = NULL;
        /* top_proc's slot is top's until reaped here (lx_reap of lx's own
         * zombies skips top) */
        struct lx_proc *t = top_proc->used && top_proc->pid == top ? top_proc : NULL;
        if (lx.woken) {
            /* the call wake() answered goes by the ReplyRecv (switching to its
             * thread), the current one's answer first by a Send */
            if (reply)
                wf_sys_send(lx.reply, &m);
            reply = take_woken(&m);
        }
        if (!t || t->state == PROC_ZOMBIE) {
            int status = t ? t->wstatus : LX_SIGKILL;
            if (t)
                lx_reap(t);
            if (reply)
                wf_sys_send(lx.reply, &m);
            return status;
        }
        wf_word_t e =
            reply ? wf_sys_reply_recv(lx.ep, lx.reply, &m) : wf_sys_recv(lx.ep, lx.reply, &m);
        if (e != WF_ERR_OK) {
            lx_say("receive failed: %s", wf_error_name(e));
            lx_destroy(t);
            return LX_SIGKILL;
        }
        wf_word_t label = wf_msginfo_label(m.info);
        if (label == WF_MSG_LABEL_NOTIFICATION && (m.badge & LX_TTY_INTR_BIT))
            lx_tty_notified(); /* bytes typed (raw), or ^C */
        struct lx_thread *q = label == WF_MSG_LABEL_NOTIFICATION ? NULL : lx_thread_of(m.badge);
        if (!q)
            continue; /* the timer: wake() sees to the sleepers */
        unsigned len = wf_msginfo_length(m.info);
        for (unsigned i = 0; i < WF_MSG_REG_WORDS; i++)
            w[i] = m.w[i];
        if (len == WF_FAULT_MSG_WORDS) { /* every fault message: a copy of known size */
            __builtin_memcpy(&w[WF_MSG_REG_WORDS], &b->msg[WF_MSG_REG_WORDS],
                             (WF_FAULT_MSG_WORDS - WF_MSG_REG_WORDS) * sizeof(wf_word_t));
        } else {
            for (unsigned i = WF_MSG_REG_WORDS; i < WF_FAULT_MSG_WORDS; i++)
                w[i] = i < len ? b->msg[i] : 0;
        }
        struct lx_proc *qp = q->p;
        if (label != WF_FAULT_TYPE_UNKNOWN_SYSCALL) {
            if (label != WF_FAULT_TYPE_USER_EXCEPTION &&
                file_gone(qp, w[WF_FAULT_WORD_DETAIL0], w[WF_FAULT_WORD_DETAIL1]) &&
                lx_mem_refault(qp, w[WF_FAULT_WORD_DETAIL0])) {
                memcpy(q->regs, w, sizeof(q->regs)); /* the file grew: the access again */
                q->full = true;
                cur = q;
                continue;
            }
            struct lx_fault f;
            fault_signal(qp, label, w, &f);
            int sig = f.sig;
            uint64_t bit = 1ull << (sig - 1);
            if (qp->sigaction[sig][0] > 1 && !(q->sigmask & bit)) {
                /* a handler: it runs on a frame of the faulting registers */
                qp->siginfo[sig].code = f.code;
                qp->siginfo[sig].pid = qp->siginfo[sig].status = 0;
                qp->siginfo[sig].addr = f.addr;
                qp->siginfo[sig].fault = true;
                qp->siginfo[sig].trapno = f.trapno;
                qp->siginfo[sig].err = f.err;
                q->sigpending |= bit;
                memcpy(q->regs, w, sizeof(q->regs));
                q->full = true;
                cur = q;
            } else {
                lx_exit(qp, sig);
            }
            continue;
        }
        if (qp->stopped) { /* made as it stopped: served once it goes on */
            hold(q, w);
            continue;
        }
        lx.serving = q;
        switch (lx_syscall(q, w, &ret)) {
        case LX_ANSWER:
            cur = q;
            break;
        case LX_WAIT:
            hold(q, w);
            break;
        case LX_GONE:
            break;
        }
    }
}

/* Runs one program; returns its status as a shell reports it. */
static int run(int argc, const char *const *argv, bool framed)
{
    struct lx_proc *p;
    int envc = sizeof(lx_env) / sizeof(lx_env[0]);
    int pid = lx_spawn(argv[0], argc, argv, envc, lx_env, &p);
    if (pid < 0) {
        int code = pid == -LX_ENOENT ? 127 : 126;
        if (framed) {
            char line[40];
            int n = snprintf(line, sizeof(line), "=== exit %d\n", code);
            lx_out(line, (size_t)n);
        }
        return code;
    }
    int st = serve(p);
    bool signaled = (st & 0x7f) != 0;
    int code = signaled ? st & 0x7f : (st >> 8) & 0xff;
    if (lx.verbose)
        lx_say("pid %d ended; %llu system calls served so far", pid,
               (unsigned long long)lx_syscalls_served);
    if (framed) {
        char line[40];
        int n = snprintf(line, sizeof(line), "=== %s %d\n", signaled ? "signal" : "exit", code);
        lx_out(line, (size_t)n);
    }
    return signaled ? 128 + code : code;
}

/* Splits a script line into words in place; returns their number or -1. */
static int split(char *s, char **argv, int max)
{
    int n = 0;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s || *s == '#')
            return n;
        if (n == max)
            return -1;
        char *out = s;
        argv[n++] = out;
        bool quoted = false;
        while (*s && (quoted || (*s != ' ' && *s != '\t'))) {
            if (*s == '"')
                quoted = !quoted;
            else
                *out++ = *s;
            s++;
        }
        if (*s)
            s++;
        *out = 0;
    }
}

static int run_script(void)
{
    size_t len;
    const uint8_t *text = lx_file_find(SCRIPT, &len);
    if (!text) {
        usage();
        return 2;
    }
    int status = 0;
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        char line[512], copy[512];
        size_t n = j - i < sizeof(line) - 1 ? j - i : sizeof(line) - 1;
        memcpy(line, text + i, n);
        line[n] = 0;
        memcpy(copy, line, n + 1);
        i = j + 1;
        char *argv[MAX_ARGS + 1];
        char *words = line;
        if (!strncmp(words, WEFT_ONLY, sizeof(WEFT_ONLY) - 1))
            words += sizeof(WEFT_ONLY) - 1; /* run here, not on Linux (tests/linux/run.py) */
        int argc = split(words, argv, MAX_ARGS);
        if (argc == 0)
            continue;
        char head[560];
        int h = snprintf(head, sizeof(head), "=== run: %s\n", copy);
        lx_out(head, (size_t)(h < (int)sizeof(head) ? h : (int)sizeof(head) - 1));
        if (argc < 0) {
            lx_say("more than %d words", MAX_ARGS);
            status = 2;
            continue;
        }
        argv[argc] = NULL;
        status = run(argc, (const char *const *)argv, true);
    }
    return status;
}

/* The arguments a starter put in a VMO (LX_ARGS_MAGIC): into argv (max
 * entries, the last NULL); returns their number, 0 if there are none. */
static int vmo_args(char **argv, int max)
{
    static char buf[LX_ARGS_MAX + 1];
    const struct wf_startinfo *si = (const struct wf_startinfo *)WF_CHILD_STARTINFO;
    wf_word_t len = si->arg[1];
    if (si->arg[0] != LX_ARGS_MAGIC || !len || len > LX_ARGS_MAX ||
        wf_vmo_read(LX_ARGS_SLOT, 0, len, WF_CHILD_VSPACE, (uintptr_t)buf) != WF_ERR_OK)
        return 0;
    buf[len] = 0;
    int n = 0;
    for (size_t i = 0; i < len && n < max - 1; i += strlen(buf + i) + 1)
        argv[n++] = buf + i;
    argv[n] = NULL;
    return n;
}

int main(int argc, char **argv)
{
    static char *given[MAX_ARGS + 2];
    if (argc <= 1) {
        int n = vmo_args(given + 1, MAX_ARGS + 1);
        if (n) {
            given[0] = argv[0];
            argc = n + 1;
            argv = given;
        }
    }
    int first = 1;
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        usage();
        return 0;
    }
    if (argc > first && !strcmp(argv[first], "-v")) {
        lx.verbose = true;
        first++;
    }
    if (!setup() || !setup_initramfs())
        return 2;
    tty_setup(argv == given); /* the shell's command: the console is the run's terminal */
    if (argv == given)
        lx_files_share_tmp(); /* ... and its /tmp is the shell's (decision 166) */
    int status =
        argc > first ? run(argc - first, (const char *const *)argv + first, false) : run_script();
    lx_tty_set_raw(false); /* the console's edited lines again, for its next client */
    lx_files_end();
    return status;
}
