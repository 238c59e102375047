/*
 * Weft's port of musl: what a native program linked with the C library needs to
 * know of the layer under it (user/lib/musl/sys.c; decision 096).
 *
 * The layer serves memory (mmap, munmap, mprotect) from a pool into the
 * program's own VSpace, console output, exit and the thread pointer, with the
 * caps named here. Programs started by wf_process_create get them from their
 * start info (user/lib/musl/start.c): their CNode, VSpace and TCB in the
 * well-known slots, the pool the parent gave in WF_CHILD_POOL, and the upper
 * half of their CNode for the VMO caps the layer makes.
 */
#ifndef WF_LIBC_H
#define WF_LIBC_H

#include "weft/types.h"
#include "wf/layout.h"

/* Where anonymous mappings go: the layout's mmap window (wf/layout.h), 16 TiB
 * to 32 TiB (16 GiB to 32 GiB under riscv64's Sv39), clear of the ELF image
 * (0x400000), the thread stack region (wf/spawn.h) and the start info pages
 * (wf/startinfo.h). */
#define WF_LIBC_MMAP_BASE (wf_layout.mmap_base)
#define WF_LIBC_MMAP_END  (wf_layout.mmap_end)

/* Most mapped ranges, and VMO caps, the layer keeps at once. */
#define WF_LIBC_MAX_MAPPINGS 128u

struct wf_libc_env {
    wf_cptr_t cnode;      /* the program's root CNode (CPtr = slot index at depth 64) */
    wf_cptr_t pool;       /* where mmap's VMOs come from (0: mmap fails, -ENOMEM) */
    wf_cptr_t vspace;     /* the program's own VSpace */
    wf_cptr_t tcb;        /* the calling thread's TCB (TCB_SetTLS) */
    wf_word_t first_slot; /* slots [first_slot, first_slot + nslots) are the layer's */
    unsigned nslots;      /* at most WF_LIBC_MAX_MAPPINGS are used */
};

/* Sets the caps the layer uses. Called by the start code before the C library
 * starts; a program may call it again (e.g. to name another pool). */
void wf_libc_init(const struct wf_libc_env *env);

/* The caps the layer uses now. */
const struct wf_libc_env *wf_libc_env(void);

/* Mapped ranges the layer keeps (for tests: 0 after every mapping is gone). */
unsigned wf_libc_mappings(void);

#endif
