/*
 * Windows: lx's copies to and from a process as a memcpy (decision 171).
 *
 * lx holds the VMOs behind each process's memory (mem.c's table), so it can
 * map them into its own VSpace and copy through that mapping instead of asking
 * the kernel for a VSpace_Read or VSpace_Write per copy. A window is a slice of
 * one VMO, LX_WIN_SLICE bytes at an offset aligned to that, mapped read-write
 * at a fixed place of lx's VSpace: each process has LX_WIN_SLOTS such places
 * (its index in lx.proc chooses them), reused least recently used first. So
 * lx's page tables for windows are bounded per process whatever the process
 * maps: LX_WIN_SLOTS page-table pages (32 KiB; all processes' slots share one
 * page directory). The catcher below adds a TCB and a 64 KiB stack, once.
 *
 * The check comes first, in lx's own table, as Linux's copy_from_user and
 * copy_to_user see the process's memory: an address in no mapping, in a
 * PROT_NONE mapping, or a write into a mapping without PROT_WRITE is EFAULT
 * without touching a window (lx never faults on a bad user pointer). lx is one
 * thread: no thread of the process can change its mappings during a copy
 * (munmap and mremap are served by lx itself), and lx never shrinks a VMO.
 *
 * A window follows its VMO: mem.c drops the slices of a VMO before deleting
 * its cap (munmap, mremap, the last mapping gone), proc.c drops a process's
 * slices before its memory goes (execve, exit) and a VMO's before compaction
 * replaces it. fork clones each VMO: the kernel removes every mapping of a
 * cloned VMO, lx's windows included, and lx's next copy through the parent's
 * window faults its pages in again from the parent's side of the clone (a
 * write copies, as the parent's own write would); the child's VMOs are new
 * and get windows of their own.
 *
 * A copy through a window can still fault where no check helps: the pool of
 * the process is exhausted when a page is first touched or copied on write,
 * or lx's own pool has no page for a page table. lx's thread then faults at
 * one instruction (the `rep movsb` of win_copy): a second thread of lx, the
 * catcher, receives that fault, and answers it by resuming lx at win_copy's
 * failure exit, and the copy is done again by VSpace_Read or VSpace_Write,
 * whose answer (success or EFAULT) is the kernel's. Any other fault of lx
 * goes back where it went before (the catcher gives lx its old fault endpoint
 * and lets it fault again).
 *
 * The VSpace_Read/Write path serves what no window can: a window that cannot
 * be mapped (lx's pool or the catcher unavailable), and a copy that faulted.
 */
#include <string.h>

#include "lx.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

#define LX_WIN_BASE  0x0000500000000000ull
#define LX_WIN_SLICE (2ull << 20) /* one page table's reach, a superpage's size */
#define LX_WIN_SLOTS 8
#define LX_WIN_END   (LX_WIN_BASE + (uint64_t)LX_MAX_PROCS * LX_WIN_SLOTS * LX_WIN_SLICE)

struct win_slot {
    wf_cptr_t cap; /* the VMO's cap when mapped (0: free) */
    unsigned vmo;  /* its index in the process's table */
    uint64_t off;  /* the VMO offset mapped at the slot's base */
    uint64_t len;  /* bytes mapped */
    uint64_t used; /* when last used (LRU) */
};

static struct win_slot slots[LX_MAX_PROCS][LX_WIN_SLOTS];
static uint64_t win_clock;
static int win_state; /* 0: not yet set up, 1: windows in use, -1: unavailable */
static wf_cptr_t catch_ep, catch_reply;
uint64_t lx_win_faults; /* copies the catcher turned back to VSpace_Read/Write */

/* The copy: n bytes from src to dst, returning 0, or 1 when the catcher
 * resumed lx at lx_win_copy_fail after a fault at lx_win_copy_insn. */
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl lx_win_copy\n"
        ".type lx_win_copy, @function\n"
        "lx_win_copy:\n"
        "    mov %rdx, %rcx\n"
        "    xor %eax, %eax\n"
        ".globl lx_win_copy_insn\n"
        "lx_win_copy_insn:\n"
        "    rep movsb\n"
        "    ret\n"
        ".globl lx_win_copy_fail\n"
        "lx_win_copy_fail:\n"
        "    mov $1, %eax\n"
        "    ret\n"
        ".size lx_win_copy, . - lx_win_copy\n");
int lx_win_copy(void *dst, const void *src, size_t n);
extern char lx_win_copy_insn[], lx_win_copy_fail[];
#define WIN_ARCH 1
#else
#define WIN_ARCH 0
#endif

static uint64_t slot_va(unsigned proc, unsigned k)
{
    return LX_WIN_BASE + ((uint64_t)proc * LX_WIN_SLOTS + k) * LX_WIN_SLICE;
}

/* The catcher: lx's faults arrive here. */
__attribute__((noreturn)) static void catch_faults(void)
{
    struct wf_msgregs m = {0};
    wf_word_t e = wf_sys_recv(catch_ep, catch_reply, &m);
    for (;;) {
        if (e != WF_ERR_OK) {
            e = wf_sys_recv(catch_ep, catch_reply, &m);
            continue;
        }
        const struct wf_ipc_buffer *b = wf_ipc_buffer();
        wf_word_t addr = b->msg[WF_FAULT_WORD_DETAIL0];
#if WIN_ARCH
        if (wf_msginfo_label(m.info) == WF_FAULT_TYPE_VM_FAULT &&
            m.w[WF_FAULT_WORD_RIP] == (uintptr_t)lx_win_copy_insn && addr >= LX_WIN_BASE &&
            addr < LX_WIN_END) {
            lx_win_faults++;
            m = (struct wf_msgregs){.info = wf_msginfo(0, 0, 2)};
            m.w[WF_FAULT_WORD_RAX] = 1;
            m.w[WF_FAULT_WORD_RIP] = (uintptr_t)lx_win_copy_fail;
            e = wf_sys_reply_recv(catch_ep, catch_reply, &m);
            continue;
        }
#endif
        /* Not a window's: lx faults again, to the endpoint it had before. */
        if (wf_tcb_set_fault_endpoint(lx.self_tcb, WF_CHILD_EXIT_EP) != WF_ERR_OK) {
            lx_say("fault at %#llx (pc %#llx) with nowhere to report it", (unsigned long long)addr,
                   (unsigned long long)m.w[WF_FAULT_WORD_RIP]);
            e = wf_sys_recv(catch_ep, catch_reply, &m); /* lx stays stopped */
            continue;
        }
        m = (struct wf_msgregs){.info = wf_msginfo(0, 0, 0)};
        e = wf_sys_reply_recv(catch_ep, catch_reply, &m);
    }
}

/* The catcher's thread: a TCB and a stack from lx's pool, the first stack
 * slot of the runtime's thread region (lx starts no other thread), its record
 * and IPC buffer below a guard page, as wf_thread_create lays them out. */
static bool catcher_start(void)
{
    const uintptr_t slot = WF_THREAD_REGION, page = 4096;
    wf_cptr_t tcb = 0, vmo = 0;
    wf_thread_stacks((void *)WF_THREAD_REGION, WF_THREAD_STACK_SIZE);
    struct wf_ipc_buffer *ipc = (struct wf_ipc_buffer *)(slot + page);
    enum wf_error e = wf_env_create(&lx.env, WF_OBJ_TCB, 0, &tcb);
    if (e == WF_ERR_OK)
        e = wf_env_create(&lx.env, WF_OBJ_VMO, WF_THREAD_STACK_SIZE, &vmo);
    if (e == WF_ERR_OK)
        e = wf_vspace_map(WF_CHILD_VSPACE, vmo, slot, 0, 2 * page, WF_VM_READ | WF_VM_WRITE);
    if (e == WF_ERR_OK)
        e = wf_vspace_map(WF_CHILD_VSPACE, vmo, slot + 3 * page, 3 * page,
                          WF_THREAD_STACK_SIZE - 3 * page, WF_VM_READ | WF_VM_WRITE);
    uintptr_t sp = e == WF_ERR_OK ? wf_thread_prepare((void *)slot, ipc, 0) : 0;
    if (sp) {
        wf_thread_local_for(slot)->self_tcb = tcb;
        e = wf_tcb_configure(tcb, SELF, lx.self_tcb, WF_GUARD(0, 64 - lx.env.cnode_radix),
                             (uintptr_t)ipc, lx.prio, lx.prio);
        if (e == WF_ERR_OK)
            e = wf_tcb_set_vspace(tcb, WF_CHILD_VSPACE);
        if (e == WF_ERR_OK)
            e = wf_tcb_write_registers(tcb, WF_FAULT_WORD_RIP, 2, (uintptr_t)catch_faults, sp, 0,
                                       0);
        if (e == WF_ERR_OK)
            e = wf_tcb_resume(tcb);
        if (e == WF_ERR_OK)
            return true;
    }
    if (tcb) {
        wf_cnode_delete(SELF, tcb, 64);
        wf_env_free(&lx.env, tcb);
    }
    if (vmo) { /* unmaps the slot */
        wf_cnode_delete(SELF, vmo, 64);
        wf_env_free(&lx.env, vmo);
    }
    return false;
}

/* Once, at the first copy: the catcher and lx's fault endpoint. */
static bool win_setup(void)
{
    if (!WIN_ARCH)
        return false;
    if (wf_env_create(&lx.env, WF_OBJ_ENDPOINT, 0, &catch_ep) != WF_ERR_OK)
        return false;
    if (wf_env_create(&lx.env, WF_OBJ_REPLY, 0, &catch_reply) == WF_ERR_OK && catcher_start() &&
        wf_tcb_set_fault_endpoint(lx.self_tcb, catch_ep) == WF_ERR_OK)
        return true;
    /* (a catcher started stays waiting on its endpoint: nothing reaches it) */
    return false;
}

static void slot_drop(unsigned proc, unsigned k)
{
    struct win_slot *s = &slots[proc][k];
    if (s->cap)
        wf_vspace_unmap(WF_CHILD_VSPACE, slot_va(proc, k), s->len);
    s->cap = 0;
}

void lx_win_drop(struct lx_proc *p, unsigned vmo)
{
    unsigned proc = (unsigned)(p - lx.proc);
    for (unsigned k = 0; k < LX_WIN_SLOTS; k++)
        if (slots[proc][k].cap && slots[proc][k].vmo == vmo)
            slot_drop(proc, k);
}

void lx_win_release(struct lx_proc *p)
{
    unsigned proc = (unsigned)(p - lx.proc);
    for (unsigned k = 0; k < LX_WIN_SLOTS; k++)
        slot_drop(proc, k);
}

/* lx's address of offset off of p's VMO vmo through a window (mapping one if
 * needed), or 0; *room is how many bytes from there the window covers. */
static uint8_t *window(struct lx_proc *p, unsigned vmo, uint64_t off, uint64_t *room)
{
    unsigned proc = (unsigned)(p - lx.proc);
    wf_cptr_t cap = p->vmo[vmo].cap;
    uint64_t base = off & ~(LX_WIN_SLICE - 1);
    struct win_slot *s = slots[proc], *victim = &s[0];
    for (unsigned k = 0; k < LX_WIN_SLOTS; k++) {
        if (s[k].cap == cap && s[k].vmo == vmo && s[k].off == base && off < base + s[k].len) {
            s[k].used = ++win_clock;
            *room = base + s[k].len - off;
            return (uint8_t *)slot_va(proc, k) + (off - base);
        }
        if (victim->cap && (!s[k].cap || s[k].used < victim->used))
            victim = &s[k];
    }
    if (off >= p->vmo[vmo].size)
        return NULL; /* past a mapped file's end: the kernel's copy faults (EFAULT) */
    if (win_state == 0)
        win_state = win_setup() ? 1 : -1;
    if (win_state < 0)
        return NULL;
    unsigned k = (unsigned)(victim - s);
    slot_drop(proc, k);
    uint64_t len = p->vmo[vmo].size - base < LX_WIN_SLICE ? p->vmo[vmo].size - base : LX_WIN_SLICE;
    if (wf_vspace_map(WF_CHILD_VSPACE, cap, slot_va(proc, k), base, len,
                      WF_VM_READ | WF_VM_WRITE) != WF_ERR_OK)
        return NULL;
    *victim = (struct win_slot){cap, vmo, base, len, ++win_clock};
    *room = base + len - off;
    return (uint8_t *)slot_va(proc, k) + (off - base);
}

/* Copies n bytes between lx's buf and the process's uaddr (write: into the
 * process). 0, -LX_EFAULT, or 1: the window could not do it (the caller
 * copies by VSpace_Read/Write). */
long lx_win_copy_user(struct lx_proc *p, uint64_t uaddr, void *buf, size_t n, bool write)
{
    uint8_t *lb = buf;
    while (n) {
        const struct lx_vma *v = lx_vma_at(p, uaddr);
        if (!v || !v->prot || (write && !(v->prot & 2)))
            return -LX_EFAULT;
        uint64_t room, off = v->off + (uaddr - v->start);
        uint8_t *w = window(p, v->vmo, off, &room);
        if (!w)
            return 1;
        size_t chunk = n;
        if (chunk > v->end - uaddr)
            chunk = v->end - uaddr;
        if (chunk > room)
            chunk = room;
#if WIN_ARCH
        if (write ? lx_win_copy(w, lb, chunk) : lx_win_copy(lb, w, chunk))
            return write ? (lx_copy_out_kernel(p, uaddr, lb, n) ? -LX_EFAULT : 0)
                         : (lx_copy_in_kernel(p, lb, uaddr, n) ? -LX_EFAULT : 0);
#endif
        lb += chunk;
        uaddr += chunk;
        n -= chunk;
    }
    return 0;
}
