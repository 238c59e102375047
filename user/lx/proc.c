/*
 * Linux processes: loading a static executable into a VSpace of its own, the
 * initial stack, the FOREIGN-mode thread whose faults come to lx, fork (every
 * VMO cloned copy-on-write), execve (the image replaced in the same process),
 * exit (a zombie until its parent waits) and tearing it all down with one
 * revoke of its pool.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "lx.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

/* A free slot of lx's CNode, recorded as the process's. */
wf_cptr_t lx_slot(struct lx_proc *p)
{
    if (p->nslots == LX_MAX_SLOTS)
        return 0;
    wf_cptr_t s = wf_env_slot(&lx.env);
    if (s)
        p->slots[p->nslots++] = s;
    return s;
}

/* Gives slot s back (its cap already deleted). */
void lx_slot_free(struct lx_proc *p, wf_cptr_t s)
{
    for (unsigned i = 0; i < p->nslots; i++) {
        if (p->slots[i] == s) {
            p->slots[i] = p->slots[--p->nslots];
            wf_env_free(&lx.env, s);
            return;
        }
    }
}

static enum wf_error create(struct lx_proc *p, wf_word_t type, wf_word_t size, wf_cptr_t *out)
{
    wf_cptr_t s = lx_slot(p);
    if (!s)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error e = wf_pool_create(p->pool, type, size, SELF, s, 64);
    if (e == WF_ERR_OK)
        *out = s;
    return e;
}

int lx_new_vmo(struct lx_proc *p, uint64_t size)
{
    for (unsigned i = 0; i < LX_MAX_VMOS; i++) {
        if (p->vmo[i].cap)
            continue;
        wf_cptr_t c;
        if (create(p, WF_OBJ_VMO, size, &c) != WF_ERR_OK)
            return -LX_ENOMEM;
        p->vmo[i] = (struct lx_vmo){c, 0, size, 0};
        return (int)i;
    }
    return -LX_ENOMEM;
}

/* 16 random bytes at a time: rdrand where the CPU has it, else the time stamp
 * counter through a mixer (splitmix64). */
static bool have_rdrand(void)
{
    unsigned a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return (c >> 30) & 1;
}

static uint64_t random_word(void)
{
    static int rd = -1;
    static uint64_t state;
    if (rd < 0)
        rd = have_rdrand();
    if (rd) {
        for (int tries = 0; tries < 10; tries++) {
            unsigned long long v;
            unsigned char ok;
            __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
            if (ok)
                return v;
        }
    }
    state += 0x9e3779b97f4a7c15ull ^ __builtin_ia32_rdtsc();
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void lx_random(void *buf, size_t n)
{
    uint8_t *b = buf;
    while (n) {
        uint64_t w = random_word();
        size_t k = n < 8 ? n : 8;
        memcpy(b, &w, k);
        b += k;
        n -= k;
    }
}

static uint64_t hwcap(void)
{
    unsigned a = 1, b, c = 0, d;
    __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
    return d; /* Linux's AT_HWCAP on x86: CPUID.1:EDX */
}

/* Loaded images, kept in lx's own pool: a process gets a copy-on-write clone
 * of its program's, so that the pages no process writes exist once however
 * many run it (busybox in a pipeline). Keyed by the file's bytes in the
 * initramfs, which never change. */
#define IMAGE_CACHE 8
static struct {
    const uint8_t *file;
    wf_cptr_t vmo;
    uint64_t size;
} images[IMAGE_CACHE];
static unsigned next_image;

/* A new VMO of lx's pool holding the image of file (img its parse), or 0. */
static wf_cptr_t image_vmo(const uint8_t *file, const struct lx_elf *img)
{
    wf_cptr_t v;
    if (wf_env_create(&lx.env, WF_OBJ_VMO, img->hi - img->lo, &v) != WF_ERR_OK)
        return 0;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct lx_seg *s = &img->seg[i];
        if (s->filesz && wf_vmo_write(v, s->vaddr - img->lo, s->filesz, WF_CHILD_VSPACE,
                                      (uintptr_t)(file + s->offset)) != WF_ERR_OK) {
            wf_cnode_delete(SELF, v, 64);
            wf_env_free(&lx.env, v);
            return 0;
        }
    }
    return v;
}

static wf_cptr_t cached_image(const uint8_t *file, const struct lx_elf *img)
{
    uint64_t size = img->hi - img->lo;
    for (unsigned i = 0; i < IMAGE_CACHE; i++)
        if (images[i].file == file && images[i].size == size)
            return images[i].vmo;
    unsigned k = next_image++ % IMAGE_CACHE;
    if (images[k].vmo) { /* the oldest goes (its clones keep what they see) */
        wf_cnode_delete(SELF, images[k].vmo, 64);
        wf_env_free(&lx.env, images[k].vmo);
        images[k].vmo = 0;
    }
    wf_cptr_t v = image_vmo(file, img);
    if (!v)
        return 0;
    images[k].file = file;
    images[k].vmo = v;
    images[k].size = size;
    return v;
}

/* Maps file's image (img its parse) into p: a clone of the cached image of a
 * file of the initramfs (cache), or of a VMO made for this load and let go
 * after it (a file read from the file server, whose bytes lx does not keep). */
static int load_image(struct lx_proc *p, const uint8_t *file, const struct lx_elf *img, bool cache)
{
    wf_cptr_t source = cache ? cached_image(file, img) : image_vmo(file, img);
    if (!source)
        return -LX_ENOMEM;
    unsigned v = 0;
    while (v < LX_MAX_VMOS && p->vmo[v].cap)
        v++;
    wf_cptr_t s = v < LX_MAX_VMOS ? lx_slot(p) : 0;
    enum wf_error ce = s ? wf_vmo_clone(source, p->pool, SELF, s, 64) : WF_ERR_NOT_ENOUGH_MEMORY;
    if (!cache) { /* the clone keeps what it sees */
        wf_cnode_delete(SELF, source, 64);
        wf_env_free(&lx.env, source);
    }
    if (ce != WF_ERR_OK)
        return -LX_ENOMEM;
    p->vmo[v] = (struct lx_vmo){s, 0, img->hi - img->lo, 0};
    struct lx_piece pc[2 * LX_ELF_MAX_SEG];
    unsigned n = lx_elf_pieces(img, pc, 2 * LX_ELF_MAX_SEG);
    for (unsigned i = 0; i < n; i++) {
        unsigned prot = 1 | (pc[i].perm & LX_PERM_W ? 2 : 0) | (pc[i].perm & LX_PERM_X ? 4 : 0);
        long e =
            lx_map_vmo(p, pc[i].lo, pc[i].hi - pc[i].lo, (unsigned)v, pc[i].lo - img->lo, prot);
        if (e < 0)
            return (int)e;
    }
    return 0;
}

static int build_stack(struct lx_proc *p, const struct lx_elf *img, const char *path, int argc,
                       const char *const *argv, int envc, const char *const *envp, uint64_t *sp)
{
    int v = lx_new_vmo(p, LX_STACK_SIZE);
    if (v < 0)
        return v;
    long e = lx_map_vmo(p, LX_STACK_TOP - LX_STACK_SIZE, LX_STACK_SIZE, (unsigned)v, 0, 3);
    if (e < 0)
        return (int)e;
    static uint8_t buf[LX_ARG_MAX];
    uint8_t rnd[16];
    lx_random(rnd, sizeof(rnd));
    const uint64_t aux[] = {
        AT_PHDR,   img->phdr,  AT_PHENT,  sizeof(Elf64_Phdr),
        AT_PHNUM,  img->phnum, AT_PAGESZ, 4096,
        AT_BASE,   0,          AT_FLAGS,  0,
        AT_ENTRY,  img->entry, AT_UID,    0,
        AT_EUID,   0,          AT_GID,    0,
        AT_EGID,   0,          AT_SECURE, 0,
        AT_CLKTCK, 100,        AT_HWCAP,  hwcap(),
    };
    const struct lx_stack_args a = {
        argc, argv, envc, envp, path, rnd, sizeof(aux) / sizeof(aux[0]) / 2, aux};
    *sp = lx_stack_build(buf, sizeof(buf), LX_STACK_TOP, &a);
    if (!*sp)
        return -LX_E2BIG;
    uint64_t used = LX_STACK_TOP - *sp;
    if (wf_vmo_write(p->vmo[v].cap, LX_STACK_SIZE - used, used, WF_CHILD_VSPACE,
                     (uintptr_t)(buf + sizeof(buf) - used)) != WF_ERR_OK)
        return -LX_ENOMEM;
    return 0;
}

/* A thread of p: FOREIGN mode, faults to lx's endpoint badged with
 * LX_BADGE(pid, tid), p's empty CNode (native calls find nothing), no IPC
 * buffer, t->fs_base as its FS base. regs: the 18 registers in enum
 * wf_fault_word order (a fork copies its parent's). It is not resumed. */
static int make_thread(struct lx_proc *p, struct lx_thread *t, const wf_word_t *regs)
{
    const unsigned radix = 2;
    enum wf_error e = WF_ERR_OK;
    if (!p->cnode)
        e = create(p, WF_OBJ_CNODE, radix, &p->cnode);
    if (e == WF_ERR_OK)
        e = create(p, WF_OBJ_TCB, 0, &t->tcb);
    if (e == WF_ERR_OK) {
        t->fault_ep = lx_slot(p);
        e = t->fault_ep
                ? wf_cnode_mint(SELF, t->fault_ep, 64, SELF, lx.ep, 64,
                                WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, LX_BADGE(p->pid, t->tid))
                : WF_ERR_NOT_ENOUGH_MEMORY;
    }
    if (e == WF_ERR_OK)
        e = wf_tcb_configure(t->tcb, p->cnode, lx.self_tcb, WF_GUARD(0, 64 - radix), 0, lx.prio,
                             lx.prio);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_vspace(t->tcb, p->vspace);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_fault_endpoint(t->tcb, t->fault_ep);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_abi(t->tcb, WF_ABI_MODE_FOREIGN);
    for (unsigned r = 0; e == WF_ERR_OK && r < WF_REGS_COUNT; r += 4) {
        unsigned n = WF_REGS_COUNT - r < 4 ? WF_REGS_COUNT - r : 4;
        e = wf_tcb_write_registers(t->tcb, r, n, regs[r], n > 1 ? regs[r + 1] : 0,
                                   n > 2 ? regs[r + 2] : 0, n > 3 ? regs[r + 3] : 0);
    }
    if (e == WF_ERR_OK && t->fs_base)
        e = wf_tcb_set_tls(t->tcb, t->fs_base);
    if (e != WF_ERR_OK) {
        lx_say("cannot make the thread: %s", wf_error_name(e));
        return -LX_ENOMEM;
    }
    return 0;
}

/* A new thread record of p (no TCB yet); NULL when lx has none left. */
static struct lx_thread *thread_alloc(struct lx_proc *p, int tid)
{
    for (unsigned i = 0; i < LX_MAX_THREADS; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (!t->used) {
            memset(t, 0, sizeof(*t));
            t->used = true;
            t->tid = tid;
            t->p = p;
            t->born = wf_cycles();
            p->nthreads++;
            if (i >= lx.thread_hi)
                lx.thread_hi = i + 1;
            return t;
        }
    }
    return NULL;
}

/* The thread record goes: its kept Reply object back to the spares, its futex
 * wait ended. Its TCB is deleted by the caller (or with its process's pool). */
static void thread_free(struct lx_thread *t)
{
    t->p->cpu_done += lx_thread_cpu(t, wf_cycles()); /* getrusage */
    if (t->waiting) { /* its thread is gone: the Reply object is free again */
        lx.spare[lx.nspare++] = t->waiting;
        t->waiting = 0;
        lx.nwaiting--;
    }
    lx_futex_cancel(t);
    if (lx.serving == t)
        lx.serving = NULL;
    t->p->nthreads--;
    t->used = false;
    while (lx.thread_hi && !lx.thread[lx.thread_hi - 1].used)
        lx.thread_hi--;
}

/* Every thread of p but keep goes (their TCBs with p's pool, or now when
 * p goes on: kill). */
static void threads_end(struct lx_proc *p, struct lx_thread *keep, bool kill)
{
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (!t->used || t->p != p || t == keep)
            continue;
        if (kill) {
            wf_cnode_delete(SELF, t->tcb, 64);
            lx_slot_free(p, t->tcb);
            wf_cnode_delete(SELF, t->fault_ep, 64);
            lx_slot_free(p, t->fault_ep);
        }
        thread_free(t);
    }
}

/* The pool a process is made from: what lx's pool has left but a margin for
 * lx itself (a quota: processes share what is left). */
static uint64_t process_quota(void)
{
    wf_word_t usage = 0, limit = 0;
    if (wf_pool_info(WF_CHILD_POOL, &usage, &limit, NULL, NULL) != WF_ERR_OK || limit <= usage)
        return 0;
    uint64_t left = limit - usage, margin = 1ull << 20;
    return left > 2 * margin ? left - margin : left / 2;
}

static int new_pool(struct lx_proc *p)
{
    p->pool = wf_env_slot(&lx.env);
    if (!p->pool || wf_pool_create(WF_CHILD_POOL, WF_OBJ_POOL, process_quota(), SELF, p->pool,
                                   64) != WF_ERR_OK) {
        if (p->pool)
            wf_env_free(&lx.env, p->pool);
        p->pool = 0;
        return -LX_ENOMEM;
    }
    return create(p, WF_OBJ_VSPACE, 0, &p->vspace) == WF_ERR_OK ? 0 : -LX_ENOMEM;
}

/* Everything the process is made of goes (threads, VSpace, CNode, VMOs: one
 * revoke of its pool); the bookkeeping stays (the thread records are the
 * caller's to end). */
static void release(struct lx_proc *p)
{
    lx_win_release(p);
    if (p->pool) {
        wf_cnode_revoke(SELF, p->pool, 64);
        wf_cnode_delete(SELF, p->pool, 64);
        wf_env_free(&lx.env, p->pool);
        p->pool = 0;
    }
    for (unsigned i = 0; i < LX_MAX_VMOS; i++)
        if (p->vmo[i].cap && p->vmo[i].shm)
            lx_shm_unref(p->vmo[i].shm);
    for (unsigned i = 0; i < p->nslots; i++) {
        /* the minted endpoints and shared memory's cap copies; the rest are empty */
        wf_cnode_delete(SELF, p->slots[i], 64);
        wf_env_free(&lx.env, p->slots[i]);
    }
    p->nslots = 0;
    p->nvma = 0;
    memset(p->vmo, 0, sizeof(p->vmo));
    p->vspace = p->cnode = 0;
}

/* Loads path into p (which has no memory yet) and starts its thread t
 * (whose tid becomes the pid). */
static int load(struct lx_proc *p, struct lx_thread *t, const char *path, const uint8_t *file,
                bool cache, const struct lx_elf *img, int argc, const char *const *argv, int envc,
                const char *const *envp)
{
    int err = new_pool(p);
    if (!err)
        err = load_image(p, file, img, cache);
    uint64_t sp = 0;
    if (!err)
        err = build_stack(p, img, path, argc, argv, envc, envp, &sp);
    if (!err) {
        int v = lx_new_vmo(p, LX_BRK_MAX);
        if (v < 0) {
            err = v;
        } else {
            p->brk_vmo = (unsigned)v;
            p->brk_start = p->brk = p->brk_mapped = img->hi;
        }
    }
    wf_word_t regs[WF_REGS_COUNT] = {0};
    regs[WF_FAULT_WORD_RIP] = img->entry;
    regs[WF_FAULT_WORD_RSP] = sp;
    t->fs_base = 0;
    t->tid = p->pid;
    if (!err)
        err = make_thread(p, t, regs);
    if (!err && wf_tcb_resume(t->tcb) != WF_ERR_OK)
        err = -LX_ENOMEM;
    if (err)
        lx_say("%s: cannot start (error %d)", path, -err);
    /* Linux's comm: at most 15 bytes of the name (execve gives the name it
     * was called with instead) */
    const char *base = strrchr(path, '/');
    snprintf(p->name, 16, "%s", base ? base + 1 : path);
    snprintf(p->exe, sizeof(p->exe), "%s", path);
    /* /proc/PID/cmdline: the arguments (as many as fit) */
    p->cmdline_len = 0;
    for (int i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]) + 1;
        if (p->cmdline_len + n > sizeof(p->cmdline))
            break;
        memcpy(p->cmdline + p->cmdline_len, argv[i], n);
        p->cmdline_len += (unsigned)n;
    }
    return err;
}

static struct lx_proc *proc_alloc(void)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *p = &lx.proc[i];
        if (!p->used) {
            memset(p, 0, sizeof(*p));
            p->used = true;
            p->pid = lx.next_pid++;
            p->main_status = -1;
            return p;
        }
    }
    return NULL;
}

/* Checks path names a program lx can run: the file and its parse. */
static int check_file(const char *path, const uint8_t **file, struct lx_elf *img, bool quiet)
{
    size_t len;
    *file = lx_file_find(path, &len);
    if (!*file) {
        if (!quiet)
            lx_say("%s: not found", path);
        return -LX_ENOENT;
    }
    enum lx_elf_err ee = lx_elf_parse(*file, len, img);
    if (ee != LX_ELF_OK) {
        if (!quiet)
            lx_say("%s: cannot run: %s", path, lx_elf_strerror(ee));
        return ee == LX_ELF_INTERP ? -LX_ENOENT : -LX_ENOEXEC;
    }
    return 0;
}

int lx_spawn(const char *path, int argc, const char *const *argv, int envc, const char *const *envp,
             struct lx_proc **out)
{
    static struct lx_elf img;
    const uint8_t *file;
    int err = check_file(path, &file, &img, false);
    if (err)
        return err;
    struct lx_proc *p = proc_alloc();
    if (!p)
        return -LX_EAGAIN;
    /* Its parent is lx (pid 1), whose process group and session are 0, as
     * for the children of Linux's pid 1. */
    p->ppid = 1;
    struct lx_thread *t = thread_alloc(p, p->pid);
    err = t ? load(p, t, path, file, true, &img, argc, argv, envc, envp) : -LX_EAGAIN;
    if (err) {
        release(p);
        threads_end(p, NULL, false);
        p->used = false;
        return err;
    }
    lx_files_init(p);
    *out = p;
    return p->pid;
}

enum {
    CLONE_VM = 0x100,
    CLONE_FS = 0x200,
    CLONE_FILES = 0x400,
    CLONE_SIGHAND = 0x800,
    CLONE_VFORK = 0x4000,
    CLONE_THREAD = 0x10000,
    CLONE_SYSVSEM = 0x40000,
    CLONE_SETTLS = 0x80000,
    CLONE_PARENT_SETTID = 0x100000,
    CLONE_CHILD_CLEARTID = 0x200000,
    CLONE_DETACHED = 0x400000,
    CLONE_CHILD_SETTID = 0x1000000,
};

/* fork, vfork and clone without CLONE_VM, from thread t: a new process whose
 * every VMO is a copy-on-write clone of its parent's (made from and charged to
 * its own pool), mapped where the parent maps it, and whose one thread starts
 * with t's registers at the system call, rax 0, t's mask and FS base. The
 * cost is per mapping and per VMO, not per page: nothing is copied until one
 * of them writes. */
long lx_fork(struct lx_thread *t, const wf_word_t *w, uint64_t flags, uint64_t ptid, uint64_t ctid)
{
    struct lx_proc *p = t->p;
    const uint64_t known =
        0xff | CLONE_VFORK | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
    if (flags & ~known) {
        lx_say("pid %d (%s): clone flags %#llx not served (shared memory without a thread): "
               "ENOSYS",
               p->pid, p->name, (unsigned long long)flags);
        return -LX_ENOSYS;
    }
    struct lx_proc *c = proc_alloc();
    if (!c)
        return -LX_EAGAIN;
    int pid = c->pid;
    memcpy(c, p, sizeof(*c));
    c->pid = pid;
    c->ppid = p->pid;
    c->nslots = 0;
    c->nthreads = 0;
    c->main_status = -1;
    c->pool = c->vspace = c->cnode = 0;
    c->alarm_at = c->alarm_every = 0; /* a child has no timer of its parent's */
    c->cpu_done = c->child_cpu = 0;   /* its own rusage */
    c->exit_rss = c->child_rss = 0;
    c->sigpending = 0;
    memset(c->vmo, 0, sizeof(c->vmo));
    struct lx_thread *ct = thread_alloc(c, c->pid);
    int err = ct ? new_pool(c) : -LX_EAGAIN;
    for (unsigned i = 0; !err && i < LX_MAX_VMOS; i++) {
        if (!p->vmo[i].cap)
            continue;
        wf_cptr_t s = lx_slot(c);
        unsigned shm = p->vmo[i].shm; /* MAP_SHARED: the same memory, not a clone */
        if (!s || (shm ? wf_cnode_copy(SELF, s, 64, SELF, p->vmo[i].cap, 64, WF_RIGHTS_ALL)
                       : wf_vmo_clone(p->vmo[i].cap, c->pool, SELF, s, 64)) != WF_ERR_OK) {
            err = -LX_ENOMEM;
            break;
        }
        c->vmo[i] = (struct lx_vmo){s, p->vmo[i].refs, p->vmo[i].size, shm};
        if (shm)
            lx.shm[shm - 1].procs++;
    }
    for (unsigned i = 0; !err && i < c->nvma; i++) {
        if (lx_map_again(c, &c->vma[i]) < 0)
            err = -LX_ENOMEM;
    }
    if (!err && (flags & CLONE_CHILD_SETTID))
        lx_copy_out(c, ctid, &c->pid, 4);
    if (!err && (flags & CLONE_PARENT_SETTID)) {
        lx_copy_out(p, ptid, &c->pid, 4);
        lx_copy_out(c, ptid, &c->pid, 4);
    }
    if (!err) {
        ct->sigmask = t->sigmask;
        ct->fs_base = t->fs_base;
        ct->ss_sp = t->ss_sp;
        ct->ss_size = t->ss_size;
        if (flags & CLONE_CHILD_CLEARTID)
            ct->clear_tid = ctid;
    }
    wf_word_t regs[WF_REGS_COUNT];
    memcpy(regs, w, sizeof(regs));
    regs[WF_FAULT_WORD_RAX] = 0;
    if (!err)
        err = make_thread(c, ct, regs);
    if (!err && wf_tcb_resume(ct->tcb) != WF_ERR_OK)
        err = -LX_ENOMEM;
    if (err) {
        release(c);
        threads_end(c, NULL, false);
        c->used = false;
        return err;
    }
    return c->pid;
}

/* clone with CLONE_THREAD (pthread_create): a new thread of t's process on
 * the given stack, with t's registers at the call but rax 0, t's mask, and
 * tls as its FS base (CLONE_SETTLS; else t's). An exit signal in the low
 * byte is ignored, as Linux does for a thread. Returns its tid. */
long lx_clone_thread(struct lx_thread *t, const wf_word_t *w, uint64_t flags, uint64_t stack,
                     uint64_t ptid, uint64_t ctid, uint64_t tls)
{
    struct lx_proc *p = t->p;
    const uint64_t known = 0xff | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                           CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
                           CLONE_CHILD_CLEARTID | CLONE_DETACHED | CLONE_CHILD_SETTID;
    /* Linux's rules: a thread shares the signal handlers, which need the memory */
    if (!(flags & CLONE_SIGHAND) || !(flags & CLONE_VM))
        return -LX_EINVAL;
    if (flags & ~known) {
        lx_say("pid %d (%s): clone flags %#llx not served: ENOSYS", p->pid, p->name,
               (unsigned long long)flags);
        return -LX_ENOSYS;
    }
    struct lx_thread *n = thread_alloc(p, lx.next_pid);
    if (!n)
        return -LX_EAGAIN;
    lx.next_pid++;
    n->sigmask = t->sigmask;
    n->fs_base = flags & CLONE_SETTLS ? tls : t->fs_base;
    if (flags & CLONE_CHILD_CLEARTID)
        n->clear_tid = ctid;
    long e = 0;
    if ((flags & CLONE_PARENT_SETTID) && lx_copy_out(p, ptid, &n->tid, 4) < 0)
        e = -LX_EFAULT;
    if (!e && (flags & CLONE_CHILD_SETTID) && lx_copy_out(p, ctid, &n->tid, 4) < 0)
        e = -LX_EFAULT;
    wf_word_t regs[WF_REGS_COUNT];
    memcpy(regs, w, sizeof(regs));
    regs[WF_FAULT_WORD_RAX] = 0;
    if (stack)
        regs[WF_FAULT_WORD_RSP] = stack;
    if (!e)
        e = make_thread(p, n, regs);
    if (!e && wf_tcb_resume(n->tcb) != WF_ERR_OK)
        e = -LX_ENOMEM;
    if (e) {
        if (n->tcb) {
            wf_cnode_delete(SELF, n->tcb, 64);
            lx_slot_free(p, n->tcb);
        }
        if (n->fault_ep) {
            wf_cnode_delete(SELF, n->fault_ep, 64);
            lx_slot_free(p, n->fault_ep);
        }
        thread_free(n);
        return e;
    }
    return n->tid;
}

/* --- execve ------------------------------------------------------------------------- */

static char exec_strings[LX_ARG_MAX];
static const char *exec_argv[256], *exec_envp[256];

/* Copies a NULL-terminated array of strings from the process into
 * exec_strings from *used; returns how many, or -errno. */
static long copy_vector(struct lx_proc *p, uint64_t uvec, const char **out, int max, size_t *used)
{
    int n = 0;
    if (!uvec)
        return 0;
    for (;; n++) {
        uint64_t ptr;
        if (lx_copy_in(p, &ptr, uvec + 8ull * (unsigned)n, 8) < 0)
            return -LX_EFAULT;
        if (!ptr)
            return n;
        if (n == max - 1)
            return -LX_E2BIG;
        long len = lx_copy_str(p, exec_strings + *used, ptr, sizeof(exec_strings) - *used);
        if (len == -LX_ENAMETOOLONG)
            return -LX_E2BIG;
        if (len < 0)
            return len;
        out[n] = exec_strings + *used;
        *used += (size_t)len + 1;
    }
}

/* "#!interpreter [one argument]": returns true with the interpreter and its
 * argument (or NULL) cut out of buf. */
static bool shebang(const uint8_t *file, size_t len, char *buf, size_t max, char **interp,
                    char **arg)
{
    if (len < 2 || file[0] != '#' || file[1] != '!')
        return false;
    size_t n = 0;
    for (size_t i = 2; i < len && file[i] != '\n' && n < max - 1; i++)
        buf[n++] = (char)file[i];
    buf[n] = 0;
    char *s = buf;
    while (*s == ' ' || *s == '\t')
        s++;
    *interp = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = 0;
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        *--e = 0;
    *arg = *s ? s : NULL;
    return **interp != 0;
}

/* The vfork parent waiting for c goes on (c has run execve or ended). */
static void vfork_done(struct lx_proc *c)
{
    for (unsigned i = 0; i < lx.thread_hi; i++)
        if (lx.thread[i].used && lx.thread[i].vfork_child == c->pid)
            lx.thread[i].vfork_child = -c->pid;
}

long lx_execve(struct lx_thread *t, uint64_t upath, uint64_t uargv, uint64_t uenvp)
{
    struct lx_proc *p = t->p;
    char path[128];
    long n = lx_copy_str(p, path, upath, sizeof(path));
    if (n < 0)
        return n;
    if (!n)
        return -LX_ENOENT;
    /* Linux's comm: the last component of the name the caller gave (exe
     * for /proc/self/exe; a script's, not its interpreter's) */
    static char comm[16];
    const char *slash = strrchr(path, '/');
    snprintf(comm, sizeof(comm), "%s", slash ? slash + 1 : path);
    if (!strcmp(path, "/proc/self/exe"))
        memcpy(path, p->exe, sizeof(path));
    static char given[128]; /* as the caller named it: a script's argument */
    memcpy(given, path, sizeof(given));
    if (path[0] != '/') { /* relative to the working directory */
        int k = snprintf(path, sizeof(path), "/%s/%s", p->files.cwd, given);
        if (k < 0 || (size_t)k >= sizeof(path))
            return -LX_ENAMETOOLONG;
    }
    size_t used = 0;
    const int maxv = (int)(sizeof(exec_argv) / sizeof(exec_argv[0]));
    /* three entries in front for a script's interpreter, its argument, the script */
    long argc = copy_vector(p, uargv, exec_argv + 3, maxv - 3, &used);
    if (argc < 0)
        return argc;
    long envc = copy_vector(p, uenvp, exec_envp, maxv, &used);
    if (envc < 0)
        return envc;
    const char **argv = exec_argv + 3;
    static struct lx_elf img;
    size_t len;
    bool copied;
    long ferr;
    /* from the initramfs, or read whole from the file server (/tmp) */
    const uint8_t *file = lx_exec_file(path, &len, &copied, &ferr);
    if (!file)
        return ferr;
    static char line[128], script[128];
    char *interp, *iarg;
    if (shebang(file, len, line, sizeof(line), &interp, &iarg)) {
        lx_exec_file_done(file, len, copied);
        /* interpreter [arg] script argv[1...] */
        memcpy(script, given, sizeof(script));
        if (argc > 0) {
            argv++;
            argc--;
        }
        *--argv = script;
        argc++;
        if (iarg) {
            *--argv = iarg;
            argc++;
        }
        *--argv = interp;
        argc++;
        snprintf(path, sizeof(path), "%s", interp);
        file = lx_exec_file(path, &len, &copied, &ferr);
        if (!file)
            return ferr;
    }
    enum lx_elf_err ee = lx_elf_parse(file, len, &img);
    if (ee != LX_ELF_OK) {
        lx_exec_file_done(file, len, copied);
        return ee == LX_ELF_INTERP ? -LX_ENOENT : -LX_ENOEXEC;
    }
    /* No way back from here: the other threads and the old image go; t
     * becomes the main thread (its tid the pid). */
    for (unsigned i = 0; i < lx.thread_hi; i++) /* robust futexes, as Linux's exec */
        if (lx.thread[i].used && lx.thread[i].p == p)
            lx_robust_exit(&lx.thread[i]);
    threads_end(p, t, true);
    lx_futex_cancel(t);
    release(p);
    lx_files_exec(p);
    for (int s = 1; s <= 64; s++)
        if (p->sigaction[s][0] > 1) /* a handler: back to the default */
            memset(p->sigaction[s], 0, sizeof(p->sigaction[s]));
    t->clear_tid = t->robust_list = t->robust_len = 0;
    t->ss_sp = t->ss_size = 0;
    t->tcb = t->fault_ep = 0;
    p->membarrier_private = false;
    p->main_status = -1;
    vfork_done(p);
    int err = load(p, t, path, file, !copied, &img, (int)argc, argv, (int)envc, exec_envp);
    lx_exec_file_done(file, len, copied);
    memcpy(p->name, comm, sizeof(comm));
    if (err)
        lx_exit(p, LX_SIGSEGV);
    return -LX_EXECED;
}

/* --- exit and wait ------------------------------------------------------------------- */

/* The KiB of p's pool in use (0 when it has none). */
static uint64_t pool_kib(const struct lx_proc *p)
{
    wf_word_t used = 0;
    if (!p->pool || wf_pool_info(p->pool, &used, NULL, NULL, NULL) != WF_ERR_OK)
        return 0;
    return used / 1024;
}

/* p ends: its memory, threads and descriptors go, its children pass to lx
 * (pid 1), and it stays a zombie with its status until its parent waits for
 * it. */
void lx_exit(struct lx_proc *p, int wstatus)
{
    if (p->state == PROC_ZOMBIE)
        return;
    for (unsigned i = 0; i < lx.thread_hi; i++) /* robust futexes of every thread */
        if (lx.thread[i].used && lx.thread[i].p == p)
            lx_robust_exit(&lx.thread[i]);
    threads_end(p, NULL, false);
    p->exit_rss = pool_kib(p); /* wait4's ru_maxrss, before the pool goes */
    release(p);
    lx_files_close_all(p);
    vfork_done(p);
    p->state = PROC_ZOMBIE;
    p->stopped = p->stop_report = p->cont_report = false;
    lx.nzombies++;
    p->wstatus = wstatus;
    p->sigpending = 0;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && lx.proc[i].ppid == p->pid)
            lx.proc[i].ppid = 1;
    /* SIGCHLD to the parent (ignored unless it has a handler) */
    struct lx_proc *parent = p->ppid != 1 ? lx_proc_of_any(p->ppid) : NULL;
    if (parent && parent->state == PROC_RUN) {
        bool sig = (wstatus & 0x7f) != 0;
        parent->siginfo[LX_SIGCHLD].code = sig ? 2 : 1; /* CLD_KILLED, CLD_EXITED */
        parent->siginfo[LX_SIGCHLD].pid = p->pid;
        parent->siginfo[LX_SIGCHLD].status = sig ? wstatus & 0x7f : (wstatus >> 8) & 0xff;
        lx_signal(parent, LX_SIGCHLD);
    }
}

/* Frees a zombie's slot. */
void lx_reap(struct lx_proc *p)
{
    if (p->used && p->state == PROC_ZOMBIE)
        lx.nzombies--;
    p->used = false;
}

static bool matches(const struct lx_proc *p, const struct lx_proc *c, int64_t pid)
{
    if (!c->used || c->ppid != p->pid)
        return false;
    if (pid > 0)
        return c->pid == pid;
    if (pid == 0)
        return c->pgid == p->pgid;
    if (pid == -1)
        return true;
    return c->pgid == -pid;
}

/* A child of p that pid selects (wait4's rules) and that has ended (with
 * LX_WEXITED in opts), stopped (LX_WUNTRACED) or continued (LX_WCONTINUED)
 * since last reported: its pid (with *wstatus, Linux's word: the exit
 * status, sig << 8 | 0x7f for a stop, 0xffff for a continue; an ended child
 * reaped, a report consumed, when reap), 0 when there is none yet (nohang),
 * -LX_BLOCK when the caller must wait, -ECHILD when no child matches. With
 * a pid returned, *u (when u is not NULL) is the child's resource use as Linux's
 * wait4 gives it: its own and its waited-for children's, an ended child's
 * as it was when it ended, a stopped or continued one's until now. */
long lx_wait(struct lx_proc *p, int64_t pid, int *wstatus, bool nohang, bool reap, unsigned opts,
             struct lx_usage *u)
{
    bool any = false;
    for (unsigned i = 0; i < LX_MAX_PROCS; i++) {
        struct lx_proc *c = &lx.proc[i];
        if (!matches(p, c, pid))
            continue;
        any = true;
        if (c->state == PROC_ZOMBIE) {
            if (!(opts & LX_WEXITED))
                continue;
            *wstatus = c->wstatus;
            int cpid = c->pid;
            uint64_t cpu = c->cpu_done + c->child_cpu;
            uint64_t rss = c->exit_rss > c->child_rss ? c->exit_rss : c->child_rss;
            if (u)
                *u = (struct lx_usage){cpu, rss};
            if (reap) { /* RUSAGE_CHILDREN: what it and its waited-for children used */
                p->child_cpu += cpu;
                if (rss > p->child_rss)
                    p->child_rss = rss;
                lx_reap(c);
            }
            return cpid;
        }
        bool stop = (opts & LX_WUNTRACED) && c->stopped && c->stop_report;
        if (!stop && !((opts & LX_WCONTINUED) && c->cont_report))
            continue;
        *wstatus = stop ? c->stop_sig << 8 | 0x7f : 0xffff;
        if (reap) {
            if (stop)
                c->stop_report = false;
            else
                c->cont_report = false;
        }
        if (u) { /* a running child's use so far */
            uint64_t now = wf_cycles(), cpu = c->cpu_done + c->child_cpu, rss = pool_kib(c);
            for (unsigned j = 0; j < lx.thread_hi; j++)
                if (lx.thread[j].used && lx.thread[j].p == c)
                    cpu += lx_thread_cpu(&lx.thread[j], now);
            *u = (struct lx_usage){cpu, rss > c->child_rss ? rss : c->child_rss};
        }
        return c->pid;
    }
    if (!any)
        return -LX_ECHILD;
    return nohang ? 0 : -LX_BLOCK;
}

/* exit(2): thread t ends. Its clear_child_tid word is zeroed and woken
 * (pthread_join waits on it) and its robust futexes marked as their owner's
 * death; the process ends with it when it was the last. */
void lx_thread_exit(struct lx_thread *t, int wstatus)
{
    struct lx_proc *p = t->p;
    if (p->nthreads <= 1) {
        lx_exit(p, p->main_status >= 0 ? p->main_status : wstatus);
        return;
    }
    if (t->tid == p->pid)
        p->main_status = wstatus; /* the process's status, as Linux's group leader */
    lx_robust_exit(t);
    if (t->clear_tid) {
        static const uint32_t zero;
        if (lx_copy_out(p, t->clear_tid, &zero, 4) == 0)
            lx_futex_wake(p, t->clear_tid, true, 1, ~0u);
    }
    wf_cnode_delete(SELF, t->tcb, 64);
    lx_slot_free(p, t->tcb);
    wf_cnode_delete(SELF, t->fault_ep, 64);
    lx_slot_free(p, t->fault_ep);
    thread_free(t);
}

/* The running thread a fault message's badge names. A cache of the last one
 * found: most messages come from the thread of the one before. */
struct lx_thread *lx_thread_of(wf_word_t badge)
{
    static struct lx_thread *last;
    int tid = (int)(uint32_t)badge, pid = (int)(badge >> 32);
    if (last && last->used && last->tid == tid && last->p->pid == pid && last->p->state == PROC_RUN)
        return last;
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (t->used && t->tid == tid && t->p->pid == pid && t->p->state == PROC_RUN)
            return last = t;
    }
    return NULL;
}

/* A running thread by tid, or NULL. */
struct lx_thread *lx_thread_by_tid(int tid)
{
    for (unsigned i = 0; i < lx.thread_hi; i++) {
        struct lx_thread *t = &lx.thread[i];
        if (t->used && t->tid == tid && t->p->state == PROC_RUN)
            return t;
    }
    return NULL;
}

/* A process by pid, running or a zombie. */
struct lx_proc *lx_proc_of_any(int pid)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && lx.proc[i].pid == pid)
            return &lx.proc[i];
    return NULL;
}

/* Ends p at once (lx's own reasons) and frees its slot. */
void lx_destroy(struct lx_proc *p)
{
    lx_exit(p, LX_SIGKILL);
    lx_reap(p);
}
