/*
 * The world of the thread self-tests (ipc_ktest.c, tcb_ktest.c, bench_ipc.c): real
 * ring-3 threads in the kernel test space (the kernel's own tables with user
 * pages in their lower half), each running the architecture's script
 * interpreter (x86-64: kernel/test/arch/x86_64/user_progs.S; aarch64:
 * kernel/test/arch/aarch64/world_progs.S), objects retyped from a real untyped, and one
 * CSpace shared by all threads in which a CPtr is a slot index.
 *
 * Root CNode slots:
 *   1 the root CNode, 2 the untyped, KW_TCB(i) thread i's TCB, KW_EP(i) endpoints,
 *   KW_NTFN(i) notifications, KW_REPLY(i) Reply objects, KW_FREE on: free.
 * A test fills scripts with kw_* helpers, starts threads with kw_start and runs
 * them with sched_run_until_idle, then reads kw_res(i, entry).
 */
#ifndef WEFT_IPC_KTEST_WORLD_H
#define WEFT_IPC_KTEST_WORLD_H

#include "cap/cap.h"
#include "obj/tcb.h"
#include "weft/invocations.h"
#include "weft/ipc.h"
#include "weft/syscalls.h"

#define KW_THREADS  6
#define KW_TCB(i)   (8 + (i))
#define KW_EP(i)    (16 + (i))
#define KW_NTFN(i)  (20 + (i))
#define KW_REPLY(i) (24 + (i))
#define KW_FREE     32

/* User addresses: the interpreter's code, the shared page (word 0: sequence
 * counter, word 1: flag), thread i's base (script; results +0x1000; IPC buffer
 * +0x2000; stack below +0x4000). */
#define KW_CODE      0x500000ull
#define KW_SHARED    0x508000ull
#define KW_BASE(i)   (0x510000ull + (uint64_t)(i)*0x10000)
#define KW_IPCBUF(i) (KW_BASE(i) + 0x2000)
#define KW_UNMAPPED  0x5f0000ull /* never mapped: user faults there */

/* Script ops (user_progs.S). */
#define KW_OP_END       0x7fff0000ull
#define KW_OP_UD2       0x7fff0001ull
#define KW_OP_LOAD      0x7fff0002ull
#define KW_OP_SPIN      0x7fff0003ull
#define KW_OP_SPIN_FLAG 0x7fff0004ull
#define KW_OP_SET_FLAG  0x7fff0005ull
#define KW_OP_BUFSET    0x7fff0006ull

struct kw_entry {
    uint64_t op, cap, info, w[4], reply;
};
struct kw_result {
    uint64_t err, info, badge, w[4], seq; /* seq 0: the entry never completed */
};

/* Register `word` (enum wf_fault_word: one of the system call registers,
 * WF_FAULT_WORD_SYSNO, _CAP, _INFO, _MR0 to _MR3) as the interpreter recorded
 * it after an entry: every architecture's interpreter stores the same system
 * call registers in the same fields. */
static inline uint64_t kw_res_word(const struct kw_result *r, unsigned word)
{
    if (word == WF_FAULT_WORD_SYSNO)
        return r->err;
    if (word == WF_FAULT_WORD_CAP)
        return r->badge;
    if (word == WF_FAULT_WORD_INFO)
        return r->info;
    if (word == WF_FAULT_WORD_MR0)
        return r->w[0];
    if (word == WF_FAULT_WORD_MR1)
        return r->w[1];
    if (word == WF_FAULT_WORD_MR2)
        return r->w[2];
    if (word == WF_FAULT_WORD_MR3)
        return r->w[3];
    return 0xbad0bad0bad0bad0ull;
}

/* Builds the world: fresh untyped, root CNode, KW_THREADS TCBs (inactive), 4
 * endpoints, 2 notifications, 4 Reply objects; empty scripts and results.
 * Returns false when memory is short. */
bool kw_setup(void);

/* Destroys every object (revoking the untyped) and returns the memory. */
void kw_teardown(void);

/* The root CNode's slots, and thread i's TCB. */
struct slot *kw_slot(unsigned slot);
struct tcb *kw_tcb(unsigned i);

/* Appends one entry to thread i's script; returns its index. */
unsigned kw_op(unsigned i, uint64_t op, uint64_t cap, uint64_t info, uint64_t w0, uint64_t w1,
               uint64_t w2, uint64_t w3, uint64_t reply);

/* Configures thread i (CSpace = root CNode unless kw_set_cspace gave another,
 * IPC buffer, priority, MCP 255), points it at the interpreter and resumes it. */
void kw_start(unsigned i, unsigned prio);

/* Makes the cap in root slot `slot` (a CNode cap) thread i's CSpace root; before
 * kw_start. */
void kw_set_cspace(unsigned i, unsigned slot);

/* Benchmarks: thread i's parameter words (its script page) and a start at pc
 * instead of the interpreter. */
uint64_t *kw_params(unsigned i);
void kw_start_at(unsigned i, unsigned prio, uint64_t pc);

/* The parameters of the architecture's uprog_bcall and uprog_bserver loops:
 * thread 0 Calls KW_EP(0) n times with one word, then suspends itself;
 * thread 1 Recvs once, then ReplyRecvs with one word through KW_REPLY(0). */
void kw_call_bench_params(uint64_t n);

/* Result of thread i's entry e; thread i's IPC buffer (kernel view). */
struct kw_result *kw_res(unsigned i, unsigned e);
struct wf_ipc_buffer *kw_ipcbuf(unsigned i);
uint64_t *kw_shared(void);

/* Invokes the cap in root slot target from the kernel (as the syscall path does,
 * re-executing while preempted) with words and the extra caps in root slots. */
enum wf_error kw_invoke(unsigned target, wf_word_t label, const wf_word_t *w, unsigned n,
                        const unsigned *xcaps, unsigned ncaps, wf_word_t *reply);

/* Mints (badge) or copies (badge 0) the cap in root slot src into root slot dst
 * with rights. */
enum wf_error kw_mint(unsigned dst, unsigned src, uint64_t rights, uint64_t badge);

/* Deletes the cap in root slot s / revokes its children. */
enum wf_error kw_delete(unsigned s);
enum wf_error kw_revoke(unsigned s);

/* Shorthands for script entries. */
#define KW_CALL(i, cap, label, len, a, b, c, d)                                                    \
    kw_op(i, WF_SYS_CALL, cap, wf_msginfo(label, 0, len), a, b, c, d, 0)
#define KW_SEND(i, cap, label, len, a, b, c, d)                                                    \
    kw_op(i, WF_SYS_SEND, cap, wf_msginfo(label, 0, len), a, b, c, d, 0)
#define KW_RECV(i, cap, reply) kw_op(i, WF_SYS_RECV, cap, 0, 0, 0, 0, 0, reply)
#define KW_REPLY_RECV(i, ep, reply, label, len, a, b, c, d)                                        \
    kw_op(i, WF_SYS_REPLY_RECV, ep, wf_msginfo(label, 0, len), a, b, c, d, reply)
#define KW_SUSPEND_SELF(i) KW_CALL(i, KW_TCB(i), WF_LABEL_TCB_SUSPEND, 0, 0, 0, 0, 0)
#define KW_SYS(i, nr, cap) kw_op(i, nr, cap, 0, 0, 0, 0, 0, 0)

/* Runs the runnable threads until none is (all blocked or inactive), then
 * returns (with interrupts enabled, as they were): run_until_idle.c. */
void sched_run_until_idle(void);
/* The same, but this CPU idles as it would without the test (it waits for
 * threads of other CPUs) until done() holds when it goes idle. */
void sched_run_until(bool (*done)(void));

#endif
