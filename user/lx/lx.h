/*
 * lx: the Linux personality server (docs/linux.md, decisions 121 and 122).
 *
 * lx holds a container's Linux processes. Each is a Weft VSpace, an empty
 * CNode and its threads, each a TCB in FOREIGN mode whose fault endpoint is
 * lx's endpoint minted with LX_BADGE(pid, tid): a Linux `syscall` arrives here as an
 * UNKNOWN_SYSCALL fault message, is served from the per-ABI table (sys.c), and
 * the reply's word 0 is the result in rax. Everything a process is made of
 * (VSpace, CNode, TCB, every VMO of its memory) comes from a child pool of
 * lx's pool, so revoking that one cap destroys the process, and its memory
 * counts against the container's pool.
 *
 * lx owns the pid space (parents, zombies, groups, sessions: proc.c), each
 * process's descriptor table and the pipes (files.c), signal state and
 * delivery (sys.c), memory map (mem.c: VMOs mapped into the process's VSpace)
 * and the file view (files.c: the initramfs, read-only). It serves every
 * thread at once: a call that must wait keeps its Reply object and is
 * answered later (main.c, decision 122). Threads and futexes: proc.c,
 * futex.c, decision 142.
 */
#ifndef LX_H
#define LX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lxelf.h"
#include "lxfiles.h"
#include "weft/types.h"
#include "wf/spawn.h"

#define SELF WF_CHILD_CNODE

/* Arguments from a starter that cannot pass argv (the shell's `linux`
 * command): start info word 0 is LX_ARGS_MAGIC, word 1 a byte count, and the
 * VMO in slot LX_ARGS_SLOT holds that many bytes: PROGRAM, NUL, each ARG, NUL. */
#define LX_ARGS_MAGIC 0x6c78617267766563ull /* "lxargvec" */
#define LX_ARGS_SLOT  16
#define LX_ARGS_MAX   4096

/* The layout of a Linux process's address space. */
#define LX_STACK_TOP  0x00007ffffffde000ull
#define LX_STACK_SIZE (8ull << 20) /* RLIMIT_STACK's default */
#define LX_MMAP_TOP   0x00007f0000000000ull
#define LX_BRK_MAX    (1ull << 30) /* the heap may grow this far past the image */
#define LX_ARG_MAX    16384u       /* bytes of argv, envp and auxv strings */

#define LX_MAX_PROCS   16
#define LX_MAX_THREADS 64 /* in all processes together */
#define LX_MAX_VMAS    256
#define LX_MAX_VMOS    160
#define LX_MAX_SLOTS   (LX_MAX_VMOS + 16 + 2 * LX_MAX_THREADS)

/* Linux error numbers lx returns (the x86-64 values). */
enum {
    LX_EPERM = 1,
    LX_ENOENT = 2,
    LX_ESRCH = 3,
    LX_EINTR = 4,
    LX_EIO = 5,
    LX_E2BIG = 7,
    LX_ENOEXEC = 8,
    LX_EBADF = 9,
    LX_ECHILD = 10,
    LX_EAGAIN = 11,
    LX_ENOMEM = 12,
    LX_EACCES = 13,
    LX_EFAULT = 14,
    LX_EEXIST = 17,
    LX_ENOTDIR = 20,
    LX_EISDIR = 21,
    LX_EINVAL = 22,
    LX_ENFILE = 23,
    LX_EMFILE = 24,
    LX_ENOTTY = 25,
    LX_ESPIPE = 29,
    LX_EROFS = 30,
    LX_ERANGE = 34,
    LX_ENAMETOOLONG = 36,
    LX_EPIPE = 32,
    LX_ENOSYS = 38,
    /* lx's own: the call must wait (the thread is answered later, decision 122) */
    LX_BLOCK = 4096,
    /* lx's own: execve replaced the thread that called it (nothing to answer) */
    LX_EXECED = 4097,
};

/* Linux signal numbers lx uses itself. */
enum {
    LX_SIGINT = 2,
    LX_SIGQUIT = 3,
    LX_SIGKILL = 9,
    LX_SIGSEGV = 11,
    LX_SIGPIPE = 13,
    LX_SIGALRM = 14,
    LX_SIGCHLD = 17,
    LX_SIGCONT = 18,
    LX_SIGSTOP = 19,
    LX_SIGTSTP = 20,
    LX_SIGTTIN = 21,
    LX_SIGTTOU = 22,
};
/* lx_wait's options (wait4's bits): report stopped and continued children */
enum { LX_WUNTRACED = 2, LX_WCONTINUED = 8, LX_WEXITED = 4 };

/* A mapping: [start, end) of the process shows vmo (an index into the
 * process's vmos) from offset off with prot (PROT_* bits; 0: reserved, not
 * mapped in the VSpace). */
struct lx_vma {
    uint64_t start, end, off;
    unsigned vmo, prot;
    /* past a mapped file's end: in the table (Linux's mapping goes on) but
     * not in the VSpace, so a touch faults and is SIGBUS (main.c) */
    bool bus;
};

struct lx_vmo {
    wf_cptr_t cap; /* 0: free */
    unsigned refs; /* vmas that show it */
    uint64_t size;
    unsigned shm; /* a copy of lx.shm[shm - 1]'s cap (MAP_SHARED); 0: the process's own */
};

/* Anonymous MAP_SHARED memory: one VMO of lx's pool, its cap copied into
 * every process that shows it (fork keeps the copy rather than cloning), so
 * writes are seen by all; gone when the last process lets it go. */
#define LX_MAX_SHM 32
struct lx_shm {
    wf_cptr_t cap;  /* 0: free */
    unsigned procs; /* processes whose vmo table holds a copy */
    uint64_t id;    /* a futex key's object (never reused) */
    /* a MAP_SHARED file mapping: 1 + the open file description whose handle
     * it came from (File Map: the file server's cache object), held open
     * while the memory is (lx_ofd_hold); 0: anonymous memory */
    unsigned ofd;
};

/* What a process is: running (its threads may be waiting for deferred
 * answers), or a zombie (its memory and threads gone, its status kept until
 * its parent waits for it). */
enum lx_state { PROC_RUN, PROC_ZOMBIE };

struct lx_proc;

/* A Linux thread: a TCB in FOREIGN mode in its process's VSpace, whose fault
 * endpoint is lx's endpoint minted with LX_BADGE(pid, tid). What Linux keeps
 * per thread lives here: the signal mask and the signals sent to this thread
 * alone, the call it waits in (its kept Reply cap and fault message), its FS
 * base, clear_child_tid and robust list, a futex wait. */
struct lx_thread {
    bool used;
    int tid;
    struct lx_proc *p;
    wf_cptr_t tcb, fault_ep;            /* slots of p's */
    wf_cptr_t waiting;                  /* the Reply cap of a call answered later (0: none) */
    wf_word_t call[WF_FAULT_MSG_WORDS]; /* that call's fault message, retried */
    uint64_t sleep_until;               /* a waiting call's deadline (0: none) */
    uint64_t wait_deadline;             /* a waiting select, poll or epoll_wait's end (waitfd.c) */
    int vfork_child;                    /* vfork: the parent waits until it execs or ends */
    uint64_t fs_base, clear_tid, robust_list, robust_len;
    uint64_t sigmask, sigpending; /* its mask; signals sent to it alone (tkill, faults) */
    bool suspended;               /* in rt_sigsuspend: suspend_mask is the mask to restore */
    uint64_t suspend_mask;
    uint64_t ss_sp, ss_size; /* sigaltstack (ss_size 0: none) */
    bool full;               /* rt_sigreturn: regs are the registers to resume with */
    wf_word_t regs[WF_REGS_COUNT];
    /* a futex wait (futex.c): key, bitset, order of arrival; woken by a wake */
    bool futex_wait, futex_woken;
    uint64_t futex_obj, futex_off, futex_seq;
    uint32_t futex_bitset;
    /* job control: a thread lx stopped in user code (TCB_Suspend) with its
     * process; held: its answer (regs, full) waits until the process goes on */
    bool stopped_tcb, held;
    /* a waiting call that can now be answered (with result answer) and will
     * be by lx's next ReplyRecv (main.c, lx.woken): still waiting until then */
    bool answering;
    wf_word_t answer;
    /* getrusage and times (sys.c), in wf_cycles() units (the time stamp
     * counter: a few instructions where a call is held and answered): when
     * it was made, the time its calls waited, and since when the one it
     * waits in now has (0: none) */
    uint64_t born, waited, wait_since;
};

/* A thread's time not spent waiting in a call lx answers later: what lx
 * reports as its CPU time (the kernel keeps no count of a thread's time),
 * in wf_cycles() units. */
static inline uint64_t lx_thread_cpu(const struct lx_thread *t, uint64_t now)
{
    uint64_t waited = t->waited + (t->wait_since && now > t->wait_since ? now - t->wait_since : 0);
    uint64_t alive = now > t->born ? now - t->born : 0;
    return alive > waited ? alive - waited : 0;
}

/* The fault endpoint's badge: the pid in the high half, the tid in the low. */
#define LX_BADGE(pid, tid) (((wf_word_t)(uint32_t)(pid) << 32) | (uint32_t)(tid))

struct lx_proc {
    bool used;
    enum lx_state state;
    int pid, ppid, pgid, sid;
    int wstatus;       /* a zombie's status word as wait4 encodes it */
    unsigned nthreads; /* its running threads */
    int main_status;   /* the main thread's exit status when it ended first (-1: it runs) */
    /* job control (sys.c): stopped by stop_sig; a stop or a continue not yet
     * reported to a wait with WUNTRACED / WCONTINUED */
    bool stopped, stop_report, cont_report;
    int stop_sig;
    char name[64];
    char exe[128];     /* the path it was started from (/proc/self/exe) */
    char cmdline[256]; /* its arguments, each ending in a NUL (/proc/PID/cmdline) */
    unsigned cmdline_len;
    int nice; /* getpriority, setpriority: -20..19 */
    /* getrusage, times (sys.c): CPU time of its ended threads and what its
     * waited-for children (and theirs) used, in wf_cycles() units; its pool
     * use when it ended and the largest of its waited-for children's
     * (theirs included), in KiB (ru_maxrss) */
    uint64_t cpu_done, child_cpu;
    uint64_t exit_rss, child_rss;
    bool membarrier_private; /* MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED */
    wf_cptr_t pool, vspace, cnode;
    uint64_t alarm_at, alarm_every; /* ITIMER_REAL: expiry (0: none) and interval, ns */
    wf_cptr_t slots[LX_MAX_SLOTS];  /* every slot lx took for it */
    unsigned nslots;
    struct lx_vma vma[LX_MAX_VMAS];
    unsigned nvma;
    struct lx_vmo vmo[LX_MAX_VMOS];
    unsigned brk_vmo;
    uint64_t brk_start, brk, brk_mapped;
    struct lx_fd fd[LX_MAX_FDS];
    struct lx_proc_files files; /* lxfiles.h */
    uint64_t sigpending;        /* signals sent to the process (any thread may take them) */
    uint64_t sigaction[65][4];  /* handler, flags, restorer, mask */
    struct {
        int code, pid, status;
        uint64_t addr;
        /* a fault's (main.c): addr is si_addr; trapno and err go to the
         * frame's sigcontext as Linux's (REG_TRAPNO, REG_ERR; cr2 for 14) */
        bool fault;
        uint64_t trapno, err;
    } siginfo[65]; /* what a pending signal's siginfo says */
};

/* lx's own state. */
struct lx {
    struct wf_spawn_env env;
    wf_cptr_t ep, reply, self_tcb;
    unsigned prio;
    const uint8_t *initramfs;
    size_t initramfs_len;
    struct lx_proc proc[LX_MAX_PROCS];
    struct lx_thread thread[LX_MAX_THREADS];
    unsigned thread_hi;                  /* no thread record at or above this index is used */
    struct lx_files_state files;         /* lxfiles.h */
    wf_cptr_t spare[LX_MAX_THREADS + 2]; /* Reply objects not bound to a waiting call */
    unsigned nspare;
    unsigned nwaiting, nzombies; /* threads with a waiting call; zombie processes */
    unsigned nsignalled;         /* signals made pending since the last wake() */
    unsigned nfutex;             /* futex wakes since the last wake() */
    unsigned nstops;             /* stops and continues so far (a parent's wait may go on) */
    struct lx_thread *calling;   /* the thread whose system call is being served (sys.c) */
    struct lx_thread *serving;   /* the thread whose answer is being made (NULL: none) */
    struct lx_thread *woken;     /* a waiting call lx answers with its next ReplyRecv */
    uint64_t futex_seq;
    uint64_t alarm_next; /* the earliest ITIMER_REAL expiry of any process (0: none) */
    struct lx_shm shm[LX_MAX_SHM];
    uint64_t next_shm_id;
    uint32_t next_ino;
    int next_pid;
    bool verbose;
};
extern struct lx lx;

/* proc.c */
int lx_spawn(const char *path, int argc, const char *const *argv, int envc, const char *const *envp,
             struct lx_proc **out);
long lx_fork(struct lx_thread *t, const wf_word_t *w, uint64_t flags, uint64_t ptid, uint64_t ctid);
long lx_clone_thread(struct lx_thread *t, const wf_word_t *w, uint64_t flags, uint64_t stack,
                     uint64_t ptid, uint64_t ctid, uint64_t tls);
long lx_execve(struct lx_thread *t, uint64_t upath, uint64_t uargv, uint64_t uenvp);
void lx_exit(struct lx_proc *p, int wstatus);
void lx_thread_exit(struct lx_thread *t, int wstatus);
/* What lx_wait reports of the child it found (wait4's and waitid's rusage):
 * the CPU time of it and its waited-for children in wf_cycles() units, and
 * ru_maxrss in KiB. */
struct lx_usage {
    uint64_t cpu, rss;
};
long lx_wait(struct lx_proc *p, int64_t pid, int *wstatus, bool nohang, bool reap, unsigned opts,
             struct lx_usage *u);
void lx_reap(struct lx_proc *p);
void lx_destroy(struct lx_proc *p);
struct lx_thread *lx_thread_of(wf_word_t badge);
struct lx_thread *lx_thread_by_tid(int tid);
struct lx_proc *lx_proc_of_any(int pid);
wf_cptr_t lx_slot(struct lx_proc *p);
void lx_slot_free(struct lx_proc *p, wf_cptr_t s);
void lx_random(void *buf, size_t n);

/* mem.c */
long lx_mmap(struct lx_proc *p, uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd,
             uint64_t off);
long lx_munmap(struct lx_proc *p, uint64_t addr, uint64_t len);
long lx_mprotect(struct lx_proc *p, uint64_t addr, uint64_t len, unsigned prot);
long lx_brk(struct lx_proc *p, uint64_t addr);
long lx_madvise(struct lx_proc *p, uint64_t addr, uint64_t len, int advice);
wf_word_t lx_vm_rights(unsigned prot);
long lx_map_vmo(struct lx_proc *p, uint64_t start, uint64_t len, unsigned vmo, uint64_t off,
                unsigned prot);
long lx_map_again(struct lx_proc *c, const struct lx_vma *v);
/* The mapping of p holding addr (its table is sorted), or NULL. Inline: every
 * copy to or from a process looks its address up (window.c). */
static inline const struct lx_vma *lx_vma_at(const struct lx_proc *p, uint64_t addr)
{
    unsigned lo = 0, hi = p->nvma;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (p->vma[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < p->nvma && p->vma[lo].start <= addr ? &p->vma[lo] : NULL;
}
bool lx_mem_refault(struct lx_proc *p, uint64_t addr);
int lx_new_vmo(struct lx_proc *p, uint64_t size);
long lx_copy_in(struct lx_proc *p, void *dst, uint64_t src, size_t n);
long lx_copy_out(struct lx_proc *p, uint64_t dst, const void *src, size_t n);
long lx_copy_str(struct lx_proc *p, char *dst, uint64_t src, size_t max);
void lx_mem_key(struct lx_proc *p, uint64_t addr, uint64_t *obj, uint64_t *off);
void lx_shm_unref(unsigned shm);
struct lx_call;
long lx_sys_mremap(struct lx_call *c); /* mremap and msync: sys.c's table */
long lx_sys_msync(struct lx_call *c);
long lx_copy_in_kernel(struct lx_proc *p, void *dst, uint64_t src, size_t n);
long lx_copy_out_kernel(struct lx_proc *p, uint64_t dst, const void *src, size_t n);

/* window.c: copies through windows of the processes' VMOs (decision 171) */
long lx_win_copy_user(struct lx_proc *p, uint64_t uaddr, void *buf, size_t n, bool write);
void lx_win_drop(struct lx_proc *p, unsigned vmo); /* before p's VMO vmo goes or changes */
void lx_win_release(struct lx_proc *p);            /* before p's memory goes */
extern uint64_t lx_win_faults;

/* sys.c: serves one system call. Returns LX_ANSWER with *ret when the thread
 * is to be answered now, LX_WAIT when the call waits (the caller keeps the
 * Reply object and retries the call later), LX_GONE when there is no thread
 * to answer any more (it ended, or execve replaced it). */
enum lx_outcome { LX_ANSWER, LX_WAIT, LX_GONE };
enum lx_outcome lx_syscall(struct lx_thread *t, const wf_word_t *w, wf_word_t *ret);
void lx_sys_init(void); /* once at start: the dispatch table */
void lx_alarms(void);   /* SIGALRM to each process whose ITIMER_REAL has expired */
long lx_signal(struct lx_proc *p, int sig);
long lx_signal_thread(struct lx_thread *t, int sig);
bool lx_deliver(struct lx_thread *t, wf_word_t *regs);
bool lx_restartable(struct lx_thread *t, const wf_word_t *w, int sig);
void lx_stop(struct lx_proc *p, int sig);
void lx_continue(struct lx_proc *p);
long lx_signal_group(int pgid, int sig);
bool lx_group_orphaned(int pgid);

/* The lowest signal pending for t (its own, then its process's) that t does
 * not block, or 0 (inline: every answer asks). */
static inline int lx_signal_next(const struct lx_thread *t)
{
    uint64_t ready = (t->sigpending | t->p->sigpending) & ~t->sigmask;
    return ready ? __builtin_ctzll(ready) + 1 : 0;
}

/* futex.c */
long lx_futex(struct lx_thread *t, const uint64_t *a);
long lx_futex_wake(struct lx_proc *p, uint64_t uaddr, bool shared, int n, uint32_t bitset);
void lx_futex_cancel(struct lx_thread *t);
void lx_robust_exit(struct lx_thread *t);
extern uint64_t lx_syscalls_served;

/* tty.c: the console as a terminal (decision 137) */
/* Bits of lx's notification word: the timer signals 1 (main.c). */
#define LX_TTY_INTR_BIT  2 /* ^C (console.SetInterrupt, tty_setup) */
#define LX_INET_NOTE_BIT 4 /* a socket at the network server may have changed (inet.c) */
void lx_tty_setup(bool controlling);
bool lx_tty_ctty(const struct lx_proc *p);
long lx_tty_read(struct lx_proc *p, uint64_t buf, uint64_t count);
long lx_tty_write_check(struct lx_proc *p);
long lx_tty_ioctl(struct lx_proc *p, unsigned long req, uint64_t arg);
bool lx_tty_interrupt(void);
void lx_tty_notified(void);
void lx_tty_set_raw(bool on);
short lx_tty_poll(void);
bool lx_tty_cancelled(void); /* main.c */

/* main.c: arms lx's timer for the earliest sleeper's deadline or alarm */
void lx_timer_arm(void);

/* main.c: lx's own console output (a line of its own, "lx: ..."). */
void lx_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void lx_out(const char *s, size_t n);

#endif
