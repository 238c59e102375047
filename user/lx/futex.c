/*
 * Linux futexes (futex(2)) for lx's threads: a wait keeps the thread's call
 * answered later (decision 122) with the futex it waits on recorded in the
 * thread (key, bitset, order of arrival); a wake marks waiters woken, and
 * main.c's retry of every waiting call answers them. A deadline is the
 * thread's sleep_until, which arms lx's timer as a sleep's does. Keys: a
 * private futex is (process, address); a shared one is (memory object,
 * offset) where the address lies in a MAP_SHARED mapping that other
 * processes may show (mem.c's lx_mem_key), else the private key. Robust
 * lists (set_robust_list) are walked when a thread ends.
 */
#include <string.h>

#include "lx.h"
#include "weft/invoke.h"
#include "wf/syscall.h"

enum {
    FUTEX_WAIT = 0,
    FUTEX_WAKE = 1,
    FUTEX_REQUEUE = 3,
    FUTEX_CMP_REQUEUE = 4,
    FUTEX_WAIT_BITSET = 9,
    FUTEX_WAKE_BITSET = 10,
    FUTEX_PRIVATE_FLAG = 128,
    FUTEX_CLOCK_REALTIME = 256,
    LX_ETIMEDOUT = 110,
};

#define LX_EPOCH_NS (1767225600ull * 1000000000ull) /* CLOCK_REALTIME at boot (sys.c) */

struct key {
    uint64_t obj, off;
};

/* The key of the futex at uaddr of p. */
static struct key key_of(struct lx_proc *p, uint64_t uaddr, bool shared)
{
    struct key k = {(1ull << 62) | (uint32_t)p->pid, uaddr};
    if (shared)
        lx_mem_key(p, uaddr, &k.obj, &k.off);
    return k;
}

/* The waiter on k (bitset matching) that came first and is not yet woken. */
static struct lx_thread *first_waiter(struct key k, uint32_t bitset)
{
    struct lx_thread *best = NULL;
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (t->used && t->futex_wait && !t->futex_woken && t->futex_obj == k.obj &&
            t->futex_off == k.off && (t->futex_bitset & bitset) &&
            (!best || t->futex_seq < best->futex_seq))
            best = t;
    }
    return best;
}

/* Wakes up to n waiters on k (at least one, as Linux: its loop counts after
 * waking); returns how many. */
static long wake(struct key k, int n, uint32_t bitset)
{
    long woken = 0;
    struct lx_thread *t;
    while ((t = first_waiter(k, bitset))) {
        t->futex_woken = true;
        lx.nfutex++;
        if (++woken >= n)
            break;
    }
    return woken;
}

long lx_futex_wake(struct lx_proc *p, uint64_t uaddr, bool shared, int n, uint32_t bitset)
{
    return wake(key_of(p, uaddr, shared), n, bitset);
}

/* t's futex wait ends unanswered (a signal, its end). */
void lx_futex_cancel(struct lx_thread *t)
{
    t->futex_wait = t->futex_woken = false;
}

/* A wait's deadline from the timeout at utime (relative to CLOCK_MONOTONIC,
 * or absolute on it or on CLOCK_REALTIME); 0: none. */
static long deadline_of(struct lx_proc *p, uint64_t utime, bool absolute, bool realtime,
                        uint64_t *deadline)
{
    *deadline = 0;
    if (!utime)
        return 0;
    int64_t ts[2];
    if (lx_copy_in(p, ts, utime, sizeof(ts)) < 0)
        return -LX_EFAULT;
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= 1000000000)
        return -LX_EINVAL;
    uint64_t ns = (uint64_t)ts[0] * 1000000000ull + (uint64_t)ts[1];
    if (!absolute)
        ns += wf_clock_ns();
    else if (realtime)
        ns = ns > LX_EPOCH_NS ? ns - LX_EPOCH_NS : 1;
    *deadline = ns ? ns : 1;
    return 0;
}

/* FUTEX_WAIT, FUTEX_WAIT_BITSET: the first time, checks the word and records
 * the wait; a retry answers 0 once woken, ETIMEDOUT past the deadline. */
static long wait(struct lx_thread *t, const uint64_t *a, unsigned cmd, bool shared, bool realtime)
{
    struct lx_proc *p = t->p;
    if (t->futex_wait) { /* a retry */
        if (t->futex_woken) {
            lx_futex_cancel(t);
            t->sleep_until = 0;
            return 0;
        }
        if (t->sleep_until && wf_clock_ns() >= t->sleep_until) {
            lx_futex_cancel(t);
            t->sleep_until = 0;
            return -LX_ETIMEDOUT;
        }
        return -LX_BLOCK;
    }
    uint64_t deadline;
    long e = deadline_of(p, a[3], cmd == FUTEX_WAIT_BITSET, realtime, &deadline);
    if (e < 0)
        return e;
    uint32_t bitset = cmd == FUTEX_WAIT_BITSET ? (uint32_t)a[5] : ~0u;
    if (!bitset || (a[0] & 3))
        return -LX_EINVAL;
    uint32_t v;
    if (lx_copy_in(p, &v, a[0], 4) < 0)
        return -LX_EFAULT;
    if (v != (uint32_t)a[2])
        return -LX_EAGAIN;
    if (deadline && wf_clock_ns() >= deadline)
        return -LX_ETIMEDOUT;
    struct key k = key_of(p, a[0], shared);
    t->futex_wait = true;
    t->futex_woken = false;
    t->futex_obj = k.obj;
    t->futex_off = k.off;
    t->futex_bitset = bitset;
    t->futex_seq = ++lx.futex_seq;
    t->sleep_until = deadline;
    return -LX_BLOCK;
}

/* FUTEX_REQUEUE, FUTEX_CMP_REQUEUE: wakes up to a[2] waiters of a[0], moves
 * up to a[3] more to a[4]; returns how many were woken or moved. */
static long requeue(struct lx_thread *t, const uint64_t *a, bool cmp, bool shared)
{
    struct lx_proc *p = t->p;
    int nwake = (int)a[2], nmove = (int)a[3];
    if (nwake < 0 || nmove < 0)
        return -LX_EINVAL;
    if ((a[0] & 3) || (a[4] & 3))
        return -LX_EINVAL;
    if (cmp) {
        uint32_t v;
        if (lx_copy_in(p, &v, a[0], 4) < 0)
            return -LX_EFAULT;
        if (v != (uint32_t)a[5])
            return -LX_EAGAIN;
    }
    struct key from = key_of(p, a[0], shared), to = key_of(p, a[4], shared);
    long n = 0;
    struct lx_thread *w;
    for (int i = 0; i < nwake && (w = first_waiter(from, ~0u)); i++, n++) {
        w->futex_woken = true;
        lx.nfutex++;
    }
    for (int i = 0; i < nmove && (w = first_waiter(from, ~0u)); i++, n++) {
        w->futex_obj = to.obj;
        w->futex_off = to.off;
    }
    return n;
}

/* futex(uaddr, op, val, timeout or val2, uaddr2, val3) */
long lx_futex(struct lx_thread *t, const uint64_t *a)
{
    unsigned op = (unsigned)a[1];
    unsigned cmd = op & ~(unsigned)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    bool shared = !(op & FUTEX_PRIVATE_FLAG), realtime = op & FUTEX_CLOCK_REALTIME;
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
        return -LX_ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        return wait(t, a, cmd, shared, realtime);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
        uint32_t bitset = cmd == FUTEX_WAKE_BITSET ? (uint32_t)a[5] : ~0u;
        if (!bitset || (a[0] & 3))
            return -LX_EINVAL;
        return wake(key_of(t->p, a[0], shared), (int)a[2], bitset);
    }
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
        return requeue(t, a, cmd == FUTEX_CMP_REQUEUE, shared);
    default:
        return -LX_ENOSYS;
    }
}

/* The futex word at uaddr held by t, which is ending: marked as its owner's
 * death (FUTEX_OWNER_DIED, FUTEX_WAITERS kept) and one waiter woken. */
static void owner_died(struct lx_thread *t, uint64_t uaddr)
{
    uint32_t v;
    if ((uaddr & 3) || lx_copy_in(t->p, &v, uaddr, 4) < 0 || (v & 0x3fffffffu) != (uint32_t)t->tid)
        return;
    uint32_t nv = (v & 0x80000000u) | 0x40000000u;
    if (lx_copy_out(t->p, uaddr, &nv, 4) < 0)
        return;
    if (v & 0x80000000u)
        lx_futex_wake(t->p, uaddr, true, 1, ~0u);
}

/* Walks t's robust list (struct robust_list_head: next, futex_offset,
 * list_op_pending), at most 2,048 entries, as Linux's exit_robust_list. */
void lx_robust_exit(struct lx_thread *t)
{
    uint64_t head[3];
    if (!t->robust_list || lx_copy_in(t->p, head, t->robust_list, sizeof(head)) < 0)
        return;
    uint64_t entry = head[0] & ~1ull, pending = head[2] & ~1ull;
    int64_t off = (int64_t)head[1];
    for (unsigned n = 0; entry != t->robust_list && n < 2048; n++) {
        uint64_t next;
        if (lx_copy_in(t->p, &next, entry, 8) < 0)
            return;
        if (entry != pending)
            owner_died(t, entry + (uint64_t)off);
        entry = next & ~1ull;
    }
    if (pending)
        owner_died(t, pending + (uint64_t)off);
}
