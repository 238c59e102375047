/*
 * Starting threads and programs from userspace (user/lib/weft/spawn.c;
 * decision 054).
 *
 * Everything comes from what the caller hands over in a struct wf_spawn_env:
 * kernel objects (TCB, CNode, Endpoint, Reply) are retyped from its untyped,
 * memory objects (stacks, IPC buffers, program segments) and VSpaces are made
 * from its pool, and their caps go into the free slots it names, one after the
 * other (a bump allocator; with a recycle array, slots that wf_*_destroy empties
 * are reused; revoking the untyped and the pool, or wf_*_destroy, removes the
 * objects).
 *
 * A thread (wf_thread_create) runs fn(arg) in the caller's VSpace and CSpace
 * with a 64 KiB stack slot of its own in the thread stack region (page 0: the
 * runtime's thread record, page 1: its IPC buffer, page 2: an unmapped guard,
 * pages 3-15: the stack; wf/runtime.h finds the record from the stack pointer).
 * A process (wf_process_create) runs a static ELF in a VSpace and a CNode of its
 * own, starting as wf/startinfo.h describes; the caller copies into its CNode
 * exactly the caps it chooses (wf_process_give).
 *
 * Each thread or process gets a control endpoint ("ctl") and a Reply object on
 * the caller's side. ctl is both where it reports its exit (wf_exit sends
 * {WF_EXIT_LABEL, status}) and its fault endpoint, so wf_wait() learns of
 * either, and a faulted thread can be resumed with wf_fault_reply().
 */
#ifndef WF_SPAWN_H
#define WF_SPAWN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "weft/bootinfo.h"
#include "weft/errors.h"
#include "weft/ipc.h"
#include "weft/objects.h"
#include "wf/startinfo.h"

/* The thread stack region every program uses for the threads it starts
 * (0x7f0000000000 on a space of 2^47 or more, 127 GiB under Sv39: wf/layout.h). */
#define WF_THREAD_REGION       (wf_layout.threads)
#define WF_THREAD_REGION_SLOTS 64u

/* Default radix of a child process's CNode; most ELF segments a process may have. */
#define WF_CHILD_CNODE_RADIX    8u
#define WF_PROCESS_MAX_SEGMENTS 6u

/* What the spawn functions may use (all CPtrs in the caller's CSpace, whose
 * root CNode cap, cnode, has the guard that makes a CPtr a slot index). */
struct wf_spawn_env {
    wf_cptr_t cnode;      /* the caller's root CNode */
    unsigned cnode_radix; /* its radix */
    wf_cptr_t untyped;    /* RAM untyped for TCBs, CNodes, Endpoints, Replies */
    wf_cptr_t pool;       /* pool (an original cap) for VMOs and VSpaces */
    wf_cptr_t vspace;     /* the caller's VSpace */
    wf_cptr_t tcb;        /* the caller's TCB: the MCP authority */
    wf_word_t next_slot;  /* empty slots [next_slot, end_slot) of cnode */
    wf_word_t end_slot;
    wf_cptr_t *recycle; /* optional: room for recycle_cap slots emptied again */
    unsigned nrecycle, recycle_cap;
};

/* Takes a free slot of env (a recycled one first); 0 (the null slot) when none
 * is left. */
wf_cptr_t wf_env_slot(struct wf_spawn_env *env);

/* Gives slot s (now empty) back to env for reuse; dropped when env keeps no
 * recycle array or it is full. */
void wf_env_free(struct wf_spawn_env *env, wf_cptr_t s);

/* Retypes one object (type, size_bits as Untyped_Retype) from env's untyped into
 * a new slot, stored in *out. Returns the invocation's error (RANGE_ERROR when env
 * has no slot left). */
enum wf_error wf_env_retype(struct wf_spawn_env *env, wf_word_t type, wf_word_t size_bits,
                            wf_cptr_t *out);

/* Creates from env's pool an anonymous VMO of size bytes (or, with type
 * WF_OBJ_VSPACE and size 0, a VSpace; WF_OBJ_POOL: a child pool of that quota)
 * into a new slot, stored in *out. Returns the invocation's error. */
enum wf_error wf_env_create(struct wf_spawn_env *env, wf_word_t type, wf_word_t size,
                            wf_cptr_t *out);

/* A thread or process as its starter sees it. */
struct wf_thread {
    wf_cptr_t tcb;       /* its TCB */
    wf_cptr_t ctl;       /* exit and fault endpoint (Read/Write/Grant/GrantReply) */
    wf_cptr_t reply;     /* Reply object for wf_wait */
    wf_cptr_t stack_vmo; /* its stack slot's VMO */
    uintptr_t stack;     /* base of its stack slot */
    struct wf_ipc_buffer *ipc_buffer;
};

/* Makes a thread that will run fn(arg) in the caller's CSpace and VSpace at
 * priority prio (its MCP too; at most env->tcb's MCP), its exit status fn's
 * return value. It is created suspended: start it with wf_thread_start. Returns
 * WF_ERR_OK, the first failing invocation's error (everything made so far is
 * destroyed again), or WF_ERR_NOT_ENOUGH_MEMORY when no stack slot is free. */
enum wf_error wf_thread_create(struct wf_spawn_env *env, struct wf_thread *t, int (*fn)(uintptr_t),
                               uintptr_t arg, unsigned prio);

/* Resumes t (TCB_Resume). */
enum wf_error wf_thread_start(const struct wf_thread *t);

/* Destroys what wf_thread_create made (each cap revoked, then deleted): the
 * thread stops, its stack slot is unmapped. Zero fields are skipped. */
void wf_thread_destroy(struct wf_spawn_env *env, struct wf_thread *t);

/* A child process. */
struct wf_process {
    struct wf_thread main; /* its main thread (stack fields unused) */
    wf_cptr_t cnode;       /* its CNode (the original, unguarded: depth cnode_radix) */
    unsigned cnode_radix;  /* its CNode's radix */
    wf_cptr_t vspace;      /* its VSpace */
    wf_cptr_t vmos[WF_PROCESS_MAX_SEGMENTS + 3]; /* segments, stack, IPC buffer, startinfo */
    unsigned nvmos;
    wf_word_t entry;
    char name[32];
};

/* How wf_process_create_opts makes a process. */
struct wf_process_opts {
    const char *name;     /* goes to its start info (may be NULL) */
    unsigned prio;        /* priority and MCP of its main thread */
    unsigned cnode_radix; /* its CNode's radix (0: WF_CHILD_CNODE_RADIX) */
    /* Exit and fault reports: 0 gives the process a ctl endpoint and Reply object
     * of its own (wf_wait on main.ctl); an endpoint of the caller's makes main.ctl
     * a copy of it minted with ctl_badge (non-zero), so that one receiver learns
     * of every child's exit or fault and tells them apart by the badge. */
    wf_cptr_t ctl;
    wf_word_t ctl_badge;
};

/* Loads the static ELF executable at elf (len bytes, in the caller's VSpace) into a
 * new process: one VMO per segment (contents copied with VMO_Write, mapped with
 * the segment's rights), a stack, an IPC buffer and a start info page, a CNode of
 * 2^WF_CHILD_CNODE_RADIX slots holding the well-known caps of wf/startinfo.h, and
 * a main thread at priority prio, created suspended. name (may be NULL) goes to
 * its start info. Returns WF_ERR_OK, WF_ERR_INVALID_ARGUMENT for an ELF that
 * elf_plan refuses or has too many segments, or the first failing invocation's
 * error (everything made so far is destroyed again). */
enum wf_error wf_process_create(struct wf_spawn_env *env, struct wf_process *p, const void *elf,
                                size_t len, const char *name, unsigned prio);

/* wf_process_create with the choices of o: its CNode's radix (WF_CNODE_RADIX_MIN
 * up to 20 with room for the well-known slots: 5 at least) and where its exit and
 * faults are reported. Returns as wf_process_create, or WF_ERR_INVALID_ARGUMENT
 * for a bad radix or a shared ctl without a badge. */
enum wf_error wf_process_create_opts(struct wf_spawn_env *env, struct wf_process *p,
                                     const void *elf, size_t len, const struct wf_process_opts *o);

/* Copies the cap src (a CPtr of the caller's) into slot dest of p's CNode with
 * rights (intersected with src's), or, with badge non-zero, mints it with that
 * badge. Returns the CNode invocation's error. */
enum wf_error wf_process_give(struct wf_spawn_env *env, struct wf_process *p, wf_word_t dest,
                              wf_cptr_t src, wf_word_t rights, wf_word_t badge);

/* Empties slot dest of p's CNode (CNode_Delete), so that wf_process_give can
 * fill it again. Returns the invocation's error. */
enum wf_error wf_process_clear(struct wf_process *p, wf_word_t dest);

/* Creates a child pool of env's pool with a quota of quota bytes, its original
 * cap in p's slot WF_CHILD_POOL (the memory of a program linked with musl comes
 * from there: wf/libc.h). With watch non-NULL, a Read-only copy goes to a new
 * slot of env, stored in *watch, for Pool_Info. Returns the first failing
 * invocation's error (RANGE_ERROR when env has no slot left). */
enum wf_error wf_process_give_pool(struct wf_spawn_env *env, struct wf_process *p, wf_word_t quota,
                                   wf_cptr_t *watch);

/* Writes p's start info (the args words, WF_STARTINFO_ARGS of them; may be NULL)
 * and resumes its main thread. */
enum wf_error wf_process_start(struct wf_spawn_env *env, struct wf_process *p,
                               const wf_word_t *args);

/* Stops p's main thread (its TCB goes) and keeps the rest: its CNode, VSpace
 * and VMOs stay until wf_process_destroy. */
void wf_process_halt(struct wf_spawn_env *env, struct wf_process *p);

/* Destroys p: its thread, CNode (and every cap in it), VSpace and VMOs. Its
 * slots return to env's recycle array. */
void wf_process_destroy(struct wf_spawn_env *env, struct wf_process *p);

/* Finds the program name in the initramfs bootinfo describes: *elf and *len get
 * its bytes. Returns false if there is no such regular file. */
bool wf_initramfs_find(const struct wf_bootinfo *bi, const char *name, const void **elf,
                       size_t *len);

/* How a thread ended, or why it stopped (wf_wait). */
struct wf_event {
    wf_word_t label;                 /* WF_EXIT_LABEL, or enum wf_fault_type */
    wf_word_t badge;                 /* badge of the cap it came through */
    unsigned len;                    /* words received */
    wf_word_t w[WF_FAULT_MSG_WORDS]; /* exit: w[0] the status; fault: the fault words */
};

/* Waits on ctl for the next exit or fault report, binding a fault's Call to the
 * Reply object reply. Returns the Recv's error. */
enum wf_error wf_wait(wf_cptr_t ctl, wf_cptr_t reply, struct wf_event *ev);

/* Waits for t's report (wf_wait on its ctl and reply). */
static inline enum wf_error wf_thread_wait(const struct wf_thread *t, struct wf_event *ev)
{
    return wf_wait(t->ctl, t->reply, ev);
}

/* Answers a fault received through reply: the first n registers (enum
 * wf_fault_word order, n <= WF_REGS_COUNT) are replaced by regs[0..n-1] and the
 * thread resumes (n = 0: unchanged). Returns the Send's error. */
enum wf_error wf_fault_reply(wf_cptr_t reply, const wf_word_t *regs, unsigned n);

#endif
