/*
 * What a program started by another program finds at its start (wf/spawn.h
 * builds it; decision 054). It is the child's counterpart of the root task's
 * bootinfo (weft/bootinfo.h), and a convention between user programs only: the
 * kernel knows nothing of it.
 *
 * Registers at _start: rdi = WF_CHILD_STARTINFO (the address of this struct, a
 * read-only page), rsi = WF_STARTINFO_MAGIC, rsp = WF_CHILD_STACK_TOP (16-byte
 * aligned). The IPC buffer page is mapped and registered in the TCB. These
 * addresses follow the address space's top (wf/layout.h): the parent's layout
 * places them, the child's start code takes its own from user_top below.
 *
 * CSpace: one CNode of 2^cnode_radix slots whose cap has the guard that makes a
 * CPtr a plain slot index at depth 64, as the root task's. Well-known slots:
 * WF_CHILD_CNODE, WF_CHILD_TCB, WF_CHILD_VSPACE, WF_CHILD_EXIT_EP (an endpoint
 * with Write only: the thread's exit endpoint, also its fault endpoint on the
 * parent's side); slots from WF_CHILD_FIRST_FREE on hold what the parent chose
 * to give (wf_process_give), the rest are empty.
 */
#ifndef WF_STARTINFO_H
#define WF_STARTINFO_H

#include "weft/types.h"
#include "wf/layout.h"

#define WF_STARTINFO_MAGIC 0x4f464e4954524154ull /* "TARTINFO" */
#define WF_STARTINFO_ARGS  8

/* Addresses in a child's VSpace (64 GiB below the top, as the root task's stack,
 * IPC buffer and bootinfo; clear of any ELF and of the thread stack region):
 * 0x7ff000000000, + 1 MiB, + 2 MiB on a space of 2^47 or more, 0x3000000000 ...
 * under riscv64's Sv39 (wf/layout.h). */
#define WF_CHILD_STACK_TOP  (wf_layout.stack_top)
#define WF_CHILD_STACK_SIZE 0x10000ull /* 64 KiB */
#define WF_CHILD_IPC_BUFFER (wf_layout.ipc_buffer)
#define WF_CHILD_STARTINFO  (wf_layout.startinfo)

enum wf_child_slot {
    WF_CHILD_CNODE = 1,   /* its CNode (guarded: CPtr = slot index) */
    WF_CHILD_TCB = 2,     /* its main thread */
    WF_CHILD_VSPACE = 3,  /* its address space */
    WF_CHILD_EXIT_EP = 4, /* its exit endpoint (Write) */
    WF_CHILD_POOL = 5,    /* a pool for its memory, if the parent gave one (wf/libc.h) */
    /* Caps init gives the programs of its boot configuration (docs/userspace.md),
     * each present only when the configuration says so: */
    WF_CHILD_SERVE = 6,       /* the endpoint a server receives on (Read) */
    WF_CHILD_NAME = 7,        /* the name server (protocol name), badged with its id */
    WF_CHILD_LOG = 8,         /* the log server (protocol log), badged with its id */
    WF_CHILD_CONSOLE = 9,     /* the console server (protocol console), badged with its id */
    WF_CHILD_INIT = 10,       /* init's supervision endpoint (protocol init) */
    WF_CHILD_UNTYPED = 11,    /* RAM untyped memory of its own */
    WF_CHILD_INITRAMFS = 12,  /* the initramfs, a read-only VMO */
    WF_CHILD_IOPORT = 13,     /* an IOPort range (drivers) */
    WF_CHILD_IRQ = 14,        /* an IRQHandler (drivers) */
    WF_CHILD_BOOTINFO = 15,   /* the root task's bootinfo page, a read-only VMO: what the
                                 device memory holds (with `devmem`; decision 147) */
    WF_CHILD_FIRST_FREE = 16, /* caps given by the parent go here and above */
};

struct wf_startinfo {
    wf_word_t magic;                  /* WF_STARTINFO_MAGIC */
    wf_word_t cnode_radix;            /* its CNode has 1 << cnode_radix slots */
    wf_word_t ipc_buffer;             /* user address of its IPC buffer */
    wf_word_t exit_ep;                /* CPtr of its exit endpoint (0: none) */
    wf_word_t self_tcb;               /* CPtr of its own TCB */
    wf_word_t arg[WF_STARTINFO_ARGS]; /* the parent's words (program-defined) */
    char name[32];                    /* the program's name in the initramfs */
    wf_word_t user_top;               /* the end of the user half (the root task's bootinfo's
                                         user_top): the child's layout (wf/layout.h) */
};
_Static_assert(sizeof(struct wf_startinfo) <= 4096, "startinfo fits one page");

#endif
