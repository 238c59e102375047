/*
 * Linux processes: loading a static executable into a VSpace of its own, the
 * initial stack, the FOREIGN-mode thread whose faults come to lx, and tearing
 * it all down with one revoke of its pool.
 */
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "lx.h"
#include "weft/invoke.h"
#include "wf/runtime.h"

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
        p->vmo[i] = (struct lx_vmo){c, 0, size};
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

static int load_image(struct lx_proc *p, const uint8_t *file, const struct lx_elf *img)
{
    int v = lx_new_vmo(p, img->hi - img->lo);
    if (v < 0)
        return v;
    for (unsigned i = 0; i < img->nseg; i++) {
        const struct lx_seg *s = &img->seg[i];
        if (s->filesz && wf_vmo_write(p->vmo[v].cap, s->vaddr - img->lo, s->filesz, WF_CHILD_VSPACE,
                                      (uintptr_t)(file + s->offset)) != WF_ERR_OK)
            return -LX_ENOMEM;
    }
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

/* The thread: FOREIGN mode, faults to lx's endpoint badged with the pid, an
 * empty CNode (native calls find nothing), no IPC buffer. */
static int make_thread(struct lx_proc *p, uint64_t entry, uint64_t sp)
{
    const unsigned radix = 2;
    enum wf_error e = create(p, WF_OBJ_CNODE, radix, &p->cnode);
    if (e == WF_ERR_OK)
        e = create(p, WF_OBJ_TCB, 0, &p->tcb);
    if (e == WF_ERR_OK) {
        p->fault_ep = lx_slot(p);
        e = p->fault_ep ? wf_cnode_mint(SELF, p->fault_ep, 64, SELF, lx.ep, 64,
                                        WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, (wf_word_t)p->pid)
                        : WF_ERR_NOT_ENOUGH_MEMORY;
    }
    if (e == WF_ERR_OK)
        e = wf_tcb_configure(p->tcb, p->cnode, lx.self_tcb, WF_GUARD(0, 64 - radix), 0, lx.prio,
                             lx.prio);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_vspace(p->tcb, p->vspace);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_fault_endpoint(p->tcb, p->fault_ep);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_abi(p->tcb, WF_ABI_MODE_FOREIGN);
    if (e == WF_ERR_OK)
        e = wf_tcb_write_registers(p->tcb, WF_FAULT_WORD_RAX, 3, 0, entry, sp, 0);
    if (e != WF_ERR_OK) {
        lx_say("cannot make the thread: %s", wf_error_name(e));
        return -LX_ENOMEM;
    }
    return 0;
}

/* The pool a process is made from: what lx's pool has left but a margin for
 * lx itself. */
static uint64_t process_quota(void)
{
    wf_word_t usage = 0, limit = 0;
    if (wf_pool_info(WF_CHILD_POOL, &usage, &limit, NULL, NULL) != WF_ERR_OK || limit <= usage)
        return 0;
    uint64_t left = limit - usage, margin = 1ull << 20;
    return left > 2 * margin ? left - margin : left / 2;
}

int lx_spawn(const char *path, int argc, const char *const *argv, int envc, const char *const *envp,
             struct lx_proc **out)
{
    size_t len;
    const uint8_t *file = lx_file_find(path, &len);
    if (!file) {
        lx_say("%s: not found", path);
        return -LX_ENOENT;
    }
    static struct lx_elf img;
    enum lx_elf_err ee = lx_elf_parse(file, len, &img);
    if (ee != LX_ELF_OK) {
        lx_say("%s: cannot run: %s", path, lx_elf_strerror(ee));
        return ee == LX_ELF_INTERP ? -LX_ENOENT : -LX_ENOEXEC;
    }
    struct lx_proc *p = NULL;
    for (unsigned i = 0; i < LX_MAX_PROCS && !p; i++)
        if (!lx.proc[i].used)
            p = &lx.proc[i];
    if (!p)
        return -LX_EAGAIN;
    memset(p, 0, sizeof(*p));
    p->used = true;
    p->pid = lx.next_pid++;
    const char *base = strrchr(path, '/');
    snprintf(p->name, sizeof(p->name), "%s", base ? base + 1 : path);
    int err = 0;
    p->pool = wf_env_slot(&lx.env);
    if (!p->pool || wf_pool_create(WF_CHILD_POOL, WF_OBJ_POOL, process_quota(), SELF, p->pool,
                                   64) != WF_ERR_OK) {
        if (p->pool)
            wf_env_free(&lx.env, p->pool);
        p->pool = 0;
        err = -LX_ENOMEM;
    }
    if (!err && create(p, WF_OBJ_VSPACE, 0, &p->vspace) != WF_ERR_OK)
        err = -LX_ENOMEM;
    if (!err)
        err = load_image(p, file, &img);
    uint64_t sp = 0;
    if (!err)
        err = build_stack(p, &img, path, argc, argv, envc, envp, &sp);
    if (!err) {
        int v = lx_new_vmo(p, LX_BRK_MAX);
        if (v < 0) {
            err = v;
        } else {
            p->brk_vmo = (unsigned)v;
            p->brk_start = p->brk = p->brk_mapped = img.hi;
        }
    }
    if (!err)
        err = make_thread(p, img.entry, sp);
    if (!err && wf_tcb_resume(p->tcb) != WF_ERR_OK)
        err = -LX_ENOMEM;
    if (err) {
        lx_say("%s: cannot start (error %d)", path, -err);
        lx_destroy(p);
        return err;
    }
    lx_files_init(p);
    *out = p;
    return p->pid;
}

struct lx_proc *lx_proc_of(wf_word_t badge)
{
    for (unsigned i = 0; i < LX_MAX_PROCS; i++)
        if (lx.proc[i].used && (wf_word_t)lx.proc[i].pid == badge)
            return &lx.proc[i];
    return NULL;
}

/* Revoking the pool destroys everything made from it (thread, VSpace, CNode,
 * VMOs): their caps in lx's slots go with it. */
void lx_destroy(struct lx_proc *p)
{
    if (p->pool) {
        wf_cnode_revoke(SELF, p->pool, 64);
        wf_cnode_delete(SELF, p->pool, 64);
        wf_env_free(&lx.env, p->pool);
    }
    for (unsigned i = 0; i < p->nslots; i++) {
        wf_cnode_delete(SELF, p->slots[i], 64); /* the minted endpoint; the rest are empty */
        wf_env_free(&lx.env, p->slots[i]);
    }
    p->used = false;
}
