/*
 * Threads and processes made from userspace (wf/spawn.h; decision 054).
 *
 * A thread is a TCB retyped from the caller's untyped and configured the way the
 * kernel configures the root task: CSpace root (a copy of a CNode cap with the
 * guard that makes CPtrs slot indices), VSpace, IPC buffer address, priority and
 * MCP under the caller's MCP (TCB_Configure, TCB_SetVSpace), a fault endpoint,
 * and its start registers written with TCB_WriteRegisters. Nothing runs until
 * TCB_Resume.
 *
 * A process adds what the root task got from the kernel: a VSpace from the pool,
 * one VMO per ELF segment filled with VMO_Write from the file bytes (which the
 * caller has mapped: the initramfs) and mapped with the segment's rights, and a
 * CNode holding its well-known caps (wf/startinfo.h). The loader trusts nothing
 * in the file: elf_plan (kernel/lib/elf.c, the kernel's own check of init) has
 * validated it first.
 *
 * Tear-down revokes each original cap before deleting it, so the copies the
 * objects hold of each other (the CNode's cap in itself and in the TCB, the
 * TCB's cap in the CNode) go first and the deletion of the original destroys
 * the object; no cycle keeps anything alive.
 */
#include "wf/spawn.h"

#include <string.h>

#include "lib/cpio.h"
#include "lib/elf.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

#define PAGE             4096ull
#define MIN_LEN(a, b)    ((a) < (b) ? (a) : (b))
#define STACK_SLOT_GUARD (2 * PAGE) /* offset of the unmapped guard page */

static wf_word_t guard_for(unsigned radix)
{
    return WF_GUARD(0, 64 - radix);
}

wf_cptr_t wf_env_slot(struct wf_spawn_env *env)
{
    if (env->nrecycle)
        return env->recycle[--env->nrecycle];
    if (env->next_slot >= env->end_slot)
        return 0;
    return env->next_slot++;
}

void wf_env_free(struct wf_spawn_env *env, wf_cptr_t s)
{
    if (s && env->recycle && env->nrecycle < env->recycle_cap)
        env->recycle[env->nrecycle++] = s;
}

enum wf_error wf_env_retype(struct wf_spawn_env *env, wf_word_t type, wf_word_t size_bits,
                            wf_cptr_t *out)
{
    wf_cptr_t s = wf_env_slot(env);
    *out = 0;
    if (!s)
        return WF_ERR_RANGE_ERROR;
    enum wf_error e = wf_untyped_retype(env->untyped, type, size_bits, env->cnode, 0, 0, s, 1);
    if (e == WF_ERR_OK)
        *out = s;
    else
        wf_env_free(env, s);
    return e;
}

enum wf_error wf_env_create(struct wf_spawn_env *env, wf_word_t type, wf_word_t size,
                            wf_cptr_t *out)
{
    wf_cptr_t s = wf_env_slot(env);
    *out = 0;
    if (!s)
        return WF_ERR_RANGE_ERROR;
    enum wf_error e = wf_pool_create(env->pool, type, size, env->cnode, s, 64);
    if (e == WF_ERR_OK)
        *out = s;
    else
        wf_env_free(env, s);
    return e;
}

/* Revokes and deletes the cap in *s (if any), gives the slot back to env and
 * clears *s. */
static void drop(struct wf_spawn_env *env, wf_cptr_t *s)
{
    if (!*s)
        return;
    wf_cnode_revoke(env->cnode, *s, 64);
    if (wf_cnode_delete(env->cnode, *s, 64) == WF_ERR_OK)
        wf_env_free(env, *s);
    *s = 0;
}

/* --- threads ---------------------------------------------------------------------- */

/* Where a new thread starts: runs fn(arg) and exits with its value. */
__attribute__((noreturn)) static void thread_entry(int (*fn)(uintptr_t), uintptr_t arg)
{
    wf_exit(fn(arg));
}

/* The first stack slot of the region that nothing is mapped at, or 0. */
static uintptr_t free_stack_slot(struct wf_spawn_env *env)
{
    for (unsigned i = 0; i < WF_THREAD_REGION_SLOTS; i++) {
        uintptr_t s = WF_THREAD_REGION + i * WF_THREAD_STACK_SIZE;
        if (wf_vspace_lookup(env->vspace, s, 0, 0, 0, 0) != WF_ERR_OK)
            return s;
    }
    return 0;
}

/* The TCB, ctl endpoint and Reply object every thread has, made from env. */
static enum wf_error make_thread_objects(struct wf_spawn_env *env, struct wf_thread *t)
{
    enum wf_error e = wf_env_retype(env, WF_OBJ_TCB, 0, &t->tcb);
    if (e == WF_ERR_OK)
        e = wf_env_retype(env, WF_OBJ_ENDPOINT, 0, &t->ctl);
    if (e == WF_ERR_OK)
        e = wf_env_retype(env, WF_OBJ_REPLY, 0, &t->reply);
    return e;
}

/* Writes registers wa = va and wb = vb: in one call where they are adjacent. */
static enum wf_error write_pair(wf_cptr_t tcb, unsigned wa, wf_word_t va, unsigned wb, wf_word_t vb)
{
    if (wb == wa + 1)
        return wf_tcb_write_registers(tcb, wa, 2, va, vb, 0, 0);
    if (wa == wb + 1)
        return wf_tcb_write_registers(tcb, wb, 2, vb, va, 0, 0);
    enum wf_error e = wf_tcb_write_registers(tcb, wa, 1, va, 0, 0, 0);
    return e == WF_ERR_OK ? wf_tcb_write_registers(tcb, wb, 1, vb, 0, 0, 0) : e;
}

/* Writes the start registers: pc, sp and the first two C arguments (in each
 * architecture's register order). */
static enum wf_error set_start_regs(wf_cptr_t tcb, wf_word_t pc, wf_word_t sp, wf_word_t arg0,
                                    wf_word_t arg1)
{
    enum wf_error e = write_pair(tcb, WF_FAULT_WORD_PC, pc, WF_FAULT_WORD_SP, sp);
    if (e == WF_ERR_OK)
        e = write_pair(tcb, WF_FAULT_WORD_ARG0, arg0, WF_FAULT_WORD_ARG1, arg1);
    return e;
}

enum wf_error wf_thread_create(struct wf_spawn_env *env, struct wf_thread *t, int (*fn)(uintptr_t),
                               uintptr_t arg, unsigned prio)
{
    memset(t, 0, sizeof(*t));
    wf_thread_stacks((void *)WF_THREAD_REGION, WF_THREAD_REGION_SLOTS * WF_THREAD_STACK_SIZE);
    uintptr_t slot = free_stack_slot(env);
    if (!slot)
        return WF_ERR_NOT_ENOUGH_MEMORY;
    enum wf_error e = make_thread_objects(env, t);
    if (e == WF_ERR_OK)
        e = wf_env_create(env, WF_OBJ_VMO, WF_THREAD_STACK_SIZE, &t->stack_vmo);
    /* Record and IPC buffer pages, a guard page, then the stack. */
    if (e == WF_ERR_OK)
        e = wf_vspace_map(env->vspace, t->stack_vmo, slot, 0, STACK_SLOT_GUARD,
                          WF_VM_READ | WF_VM_WRITE);
    if (e == WF_ERR_OK) {
        t->stack = slot;
        e = wf_vspace_map(env->vspace, t->stack_vmo, slot + STACK_SLOT_GUARD + PAGE,
                          STACK_SLOT_GUARD + PAGE, WF_THREAD_STACK_SIZE - STACK_SLOT_GUARD - PAGE,
                          WF_VM_READ | WF_VM_WRITE);
    }
    if (e != WF_ERR_OK) {
        wf_thread_destroy(env, t);
        return e;
    }
    t->ipc_buffer = (struct wf_ipc_buffer *)(slot + PAGE);
    uintptr_t sp = wf_thread_prepare((void *)slot, t->ipc_buffer, 0);
    struct wf_thread_local *rec = wf_thread_local_for(slot);
    rec->exit_ep = t->ctl;
    rec->self_tcb = t->tcb;

    e = wf_tcb_configure(t->tcb, env->cnode, env->tcb, guard_for(env->cnode_radix),
                         (uintptr_t)t->ipc_buffer, prio, prio);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_vspace(t->tcb, env->vspace);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_fault_endpoint(t->tcb, t->ctl);
    if (e == WF_ERR_OK)
        e = set_start_regs(t->tcb, (uintptr_t)thread_entry, sp, (uintptr_t)fn, arg);
    if (e != WF_ERR_OK)
        wf_thread_destroy(env, t);
    return e;
}

enum wf_error wf_thread_start(const struct wf_thread *t)
{
    return wf_tcb_resume(t->tcb);
}

void wf_thread_destroy(struct wf_spawn_env *env, struct wf_thread *t)
{
    drop(env, &t->tcb);
    drop(env, &t->ctl);
    drop(env, &t->reply);
    drop(env, &t->stack_vmo); /* unmaps the stack slot */
    t->stack = 0;
    t->ipc_buffer = 0;
}

/* --- processes -------------------------------------------------------------------- */

/* A new VMO of size bytes recorded in p, mapped at va in p's VSpace. */
static enum wf_error map_new(struct wf_spawn_env *env, struct wf_process *p, wf_word_t size,
                             wf_word_t va, wf_word_t rights, wf_cptr_t *out)
{
    if (p->nvmos == sizeof(p->vmos) / sizeof(p->vmos[0]))
        return WF_ERR_INVALID_ARGUMENT;
    enum wf_error e = wf_env_create(env, WF_OBJ_VMO, size, &p->vmos[p->nvmos]);
    if (e != WF_ERR_OK)
        return e;
    *out = p->vmos[p->nvmos++];
    return wf_vspace_map(p->vspace, *out, va, 0, size, rights);
}

static enum wf_error load_segments(struct wf_spawn_env *env, struct wf_process *p,
                                   const uint8_t *elf, const struct elf_plan *plan)
{
    for (unsigned i = 0; i < plan->nseg; i++) {
        const struct elf_segment *sg = &plan->seg[i];
        wf_word_t lo = sg->vaddr & ~(PAGE - 1);
        wf_word_t hi = (sg->vaddr + sg->memsz + PAGE - 1) & ~(PAGE - 1);
        wf_word_t rights = WF_VM_READ | (sg->perm & ELF_PERM_W ? WF_VM_WRITE : 0) |
                           (sg->perm & ELF_PERM_X ? WF_VM_EXEC : 0);
        wf_cptr_t vmo;
        enum wf_error e = map_new(env, p, hi - lo, lo, rights, &vmo);
        if (e == WF_ERR_OK && sg->filesz)
            e = wf_vmo_write(vmo, sg->vaddr - lo, sg->filesz, env->vspace,
                             (uintptr_t)(elf + sg->offset));
        if (e != WF_ERR_OK)
            return e;
    }
    return WF_ERR_OK;
}

/* The well-known caps of the child's CNode (wf/startinfo.h). */
static enum wf_error fill_cnode(struct wf_spawn_env *env, struct wf_process *p)
{
    const unsigned r = p->cnode_radix;
    enum wf_error e = wf_cnode_mint(p->cnode, WF_CHILD_CNODE, r, env->cnode, p->cnode, 64,
                                    WF_RIGHTS_ALL, guard_for(r));
    if (e == WF_ERR_OK)
        e = wf_cnode_copy(p->cnode, WF_CHILD_TCB, r, env->cnode, p->main.tcb, 64, WF_RIGHTS_ALL);
    if (e == WF_ERR_OK)
        e = wf_cnode_copy(p->cnode, WF_CHILD_VSPACE, r, env->cnode, p->vspace, 64, WF_RIGHTS_ALL);
    if (e == WF_ERR_OK)
        e = wf_cnode_copy(p->cnode, WF_CHILD_EXIT_EP, r, env->cnode, p->main.ctl, 64,
                          WF_RIGHT_WRITE);
    return e;
}

/* The ctl endpoint a process reports on: its own (with a Reply object), or a
 * copy of the caller's shared one minted with the child's badge. */
static enum wf_error make_ctl(struct wf_spawn_env *env, struct wf_process *p,
                              const struct wf_process_opts *o)
{
    if (!o->ctl)
        return make_thread_objects(env, &p->main);
    enum wf_error e = wf_env_retype(env, WF_OBJ_TCB, 0, &p->main.tcb);
    wf_cptr_t s = e == WF_ERR_OK ? wf_env_slot(env) : 0;
    if (e == WF_ERR_OK && !s)
        e = WF_ERR_RANGE_ERROR;
    if (e == WF_ERR_OK) {
        e = wf_cnode_mint(env->cnode, s, 64, env->cnode, o->ctl, 64,
                          WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, o->ctl_badge);
        if (e == WF_ERR_OK)
            p->main.ctl = s;
        else
            wf_env_free(env, s);
    }
    return e;
}

static enum wf_error build_process(struct wf_spawn_env *env, struct wf_process *p, const void *elf,
                                   size_t len, const struct wf_process_opts *o)
{
    static struct elf_plan plan; /* 0.5 KiB: not on a thread's stack */
    if (elf_plan(elf, len, 0, &plan, 0) != ELF_OK || plan.nseg > WF_PROCESS_MAX_SEGMENTS)
        return WF_ERR_INVALID_ARGUMENT;
    p->entry = plan.entry;
    const unsigned prio = o->prio;
    enum wf_error e = make_ctl(env, p, o);
    if (e == WF_ERR_OK)
        e = wf_env_retype(env, WF_OBJ_CNODE, p->cnode_radix, &p->cnode);
    if (e == WF_ERR_OK)
        e = wf_env_create(env, WF_OBJ_VSPACE, 0, &p->vspace);
    if (e == WF_ERR_OK)
        e = load_segments(env, p, elf, &plan);
    wf_cptr_t v;
    if (e == WF_ERR_OK)
        e = map_new(env, p, WF_CHILD_STACK_SIZE, WF_CHILD_STACK_TOP - WF_CHILD_STACK_SIZE,
                    WF_VM_READ | WF_VM_WRITE, &v);
    if (e == WF_ERR_OK)
        e = map_new(env, p, PAGE, WF_CHILD_IPC_BUFFER, WF_VM_READ | WF_VM_WRITE, &v);
    if (e == WF_ERR_OK) /* the start info: last, wf_process_start fills it */
        e = map_new(env, p, PAGE, WF_CHILD_STARTINFO, WF_VM_READ, &v);
    if (e == WF_ERR_OK)
        e = fill_cnode(env, p);
    if (e == WF_ERR_OK)
        e = wf_tcb_configure(p->main.tcb, p->cnode, env->tcb, guard_for(p->cnode_radix),
                             WF_CHILD_IPC_BUFFER, prio, prio);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_vspace(p->main.tcb, p->vspace);
    if (e == WF_ERR_OK)
        e = wf_tcb_set_fault_endpoint(p->main.tcb, p->main.ctl);
    if (e == WF_ERR_OK)
        e = set_start_regs(p->main.tcb, plan.entry, WF_CHILD_STACK_TOP, WF_CHILD_STARTINFO,
                           WF_STARTINFO_MAGIC);
    return e;
}

enum wf_error wf_process_create_opts(struct wf_spawn_env *env, struct wf_process *p,
                                     const void *elf, size_t len, const struct wf_process_opts *o)
{
    memset(p, 0, sizeof(*p));
    p->cnode_radix = o->cnode_radix ? o->cnode_radix : WF_CHILD_CNODE_RADIX;
    if (p->cnode_radix < 5 || p->cnode_radix > WF_CNODE_RADIX_MAX || (o->ctl && !o->ctl_badge))
        return WF_ERR_INVALID_ARGUMENT;
    if (o->name)
        memcpy(p->name, o->name, MIN_LEN(strlen(o->name), sizeof(p->name) - 1));
    enum wf_error e = build_process(env, p, elf, len, o);
    if (e != WF_ERR_OK)
        wf_process_destroy(env, p);
    return e;
}

enum wf_error wf_process_create(struct wf_spawn_env *env, struct wf_process *p, const void *elf,
                                size_t len, const char *name, unsigned prio)
{
    const struct wf_process_opts o = {.name = name, .prio = prio};
    return wf_process_create_opts(env, p, elf, len, &o);
}

enum wf_error wf_process_give(struct wf_spawn_env *env, struct wf_process *p, wf_word_t dest,
                              wf_cptr_t src, wf_word_t rights, wf_word_t badge)
{
    const wf_cptr_t root = env->cnode;
    if (badge)
        return wf_cnode_mint(p->cnode, dest, p->cnode_radix, root, src, 64, rights, badge);
    return wf_cnode_copy(p->cnode, dest, p->cnode_radix, root, src, 64, rights);
}

enum wf_error wf_process_clear(struct wf_process *p, wf_word_t dest)
{
    return wf_cnode_delete(p->cnode, dest, p->cnode_radix);
}

enum wf_error wf_process_give_pool(struct wf_spawn_env *env, struct wf_process *p, wf_word_t quota,
                                   wf_cptr_t *watch)
{
    enum wf_error e =
        wf_pool_create(env->pool, WF_OBJ_POOL, quota, p->cnode, WF_CHILD_POOL, p->cnode_radix);
    if (e != WF_ERR_OK || !watch)
        return e;
    wf_cptr_t s = wf_env_slot(env);
    if (!s)
        return WF_ERR_RANGE_ERROR;
    e = wf_cnode_copy(env->cnode, s, 64, p->cnode, WF_CHILD_POOL, p->cnode_radix, WF_RIGHT_READ);
    if (e == WF_ERR_OK)
        *watch = s;
    else
        wf_env_free(env, s);
    return e;
}

enum wf_error wf_process_start(struct wf_spawn_env *env, struct wf_process *p,
                               const wf_word_t *args)
{
    struct wf_startinfo si = {.magic = WF_STARTINFO_MAGIC,
                              .cnode_radix = p->cnode_radix,
                              .ipc_buffer = WF_CHILD_IPC_BUFFER,
                              .exit_ep = WF_CHILD_EXIT_EP,
                              .self_tcb = WF_CHILD_TCB,
                              .user_top = wf_layout.user_top};
    if (args)
        memcpy(si.arg, args, sizeof(si.arg));
    memcpy(si.name, p->name, sizeof(si.name));
    if (!p->nvmos)
        return WF_ERR_INVALID_ARGUMENT;
    enum wf_error e =
        wf_vmo_write(p->vmos[p->nvmos - 1], 0, sizeof(si), env->vspace, (uintptr_t)&si);
    if (e == WF_ERR_OK)
        e = wf_tcb_resume(p->main.tcb);
    return e;
}

void wf_process_halt(struct wf_spawn_env *env, struct wf_process *p)
{
    drop(env, &p->main.tcb);
}

void wf_process_destroy(struct wf_spawn_env *env, struct wf_process *p)
{
    drop(env, &p->main.tcb);
    drop(env, &p->cnode);
    drop(env, &p->main.ctl);
    drop(env, &p->main.reply);
    for (unsigned i = p->nvmos; i-- > 0;)
        drop(env, &p->vmos[i]);
    p->nvmos = 0;
    drop(env, &p->vspace);
}

bool wf_initramfs_find(const struct wf_bootinfo *bi, const char *name, const void **elf,
                       size_t *len)
{
    struct cpio_entry e;
    if (!bi->initramfs_size ||
        cpio_find((const void *)(uintptr_t)bi->initramfs_vaddr, bi->initramfs_size, name, &e) !=
            CPIO_OK ||
        !cpio_is_regular(&e))
        return false;
    *elf = e.data;
    *len = e.size;
    return true;
}

/* --- waiting and answering faults ------------------------------------------------ */

enum wf_error wf_wait(wf_cptr_t ctl, wf_cptr_t reply, struct wf_event *ev)
{
    struct wf_msgregs m = {0};
    enum wf_error e = (enum wf_error)wf_sys_recv(ctl, reply, &m);
    memset(ev, 0, sizeof(*ev));
    if (e != WF_ERR_OK)
        return e;
    ev->label = wf_msginfo_label(m.info);
    ev->badge = m.badge;
    ev->len = wf_msginfo_length(m.info);
    if (ev->len > WF_FAULT_MSG_WORDS)
        ev->len = WF_FAULT_MSG_WORDS;
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    for (unsigned i = 0; i < ev->len; i++)
        ev->w[i] = i < WF_MSG_REG_WORDS ? m.w[i] : b ? b->msg[i] : 0;
    return WF_ERR_OK;
}

enum wf_error wf_fault_reply(wf_cptr_t reply, const wf_word_t *regs, unsigned n)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    if (n > WF_REGS_COUNT || (n > WF_MSG_REG_WORDS && !b))
        return WF_ERR_INVALID_ARGUMENT;
    struct wf_msgregs m = {.info = wf_msginfo(0, 0, n)};
    for (unsigned i = 0; i < n; i++) {
        if (i < WF_MSG_REG_WORDS)
            m.w[i] = regs[i];
        else
            b->msg[i] = regs[i];
    }
    return (enum wf_error)wf_sys_send(reply, &m);
}
