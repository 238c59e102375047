/*
 * Where the user runtime puts things in an address space (decision 181): every
 * fixed user address of init, the spawn library, musl's mmap window, the
 * servers and the in-guest suite comes from here, computed from the end of the
 * user half the kernel reports (the bootinfo's user_top: 2^47 on x86-64, 2^48
 * on aarch64, 2^47 or, under riscv64's Sv39, 2^38; decision 177).
 *
 *   top     = min(user_top, 2^47)
 *   end     = top on a space of 2^47 or more, else top / 2: below `end` lie the
 *             runtime's regions; the root task's fixed addresses (its
 *             initramfs at top - 128 GiB, its stack, IPC buffer and bootinfo
 *             at top - 64 GiB: kernel/core/roottask.c) lie above it on a
 *             smaller space, in its last TiB on a space of 2^47
 *   unit    = end / 8: 16 TiB, or 16 GiB under Sv39
 *
 *   region                    address                  2^47          Sv39 (2^38)
 *   musl's mmap window        [unit, 2 unit)           16-32 TiB     16-32 GiB
 *   files (initramfs views)   3 unit                   48 TiB        48 GiB
 *   devices (a driver's)      4 unit                   64 TiB        64 GiB
 *   windows (block buffers)   5 unit                   80 TiB        80 GiB
 *   scratch (suite, caches)   6 unit                   96 TiB        96 GiB
 *   thread stacks             end - unit / 16          127 TiB       127 GiB
 *   a child's stack top       top - 64 GiB             0x7ff000000000 0x3000000000
 *   its IPC buffer, startinfo stack top + 1, + 2 MiB
 *
 * On a space of 2^47 or more these are the addresses the runtime always used
 * (x86-64, aarch64, riscv64 Sv48); a child's stack, IPC buffer and startinfo
 * sit where the root task's stack, IPC buffer and bootinfo do. The layout
 * holds for any top from 2^38 (256 GiB) up. A program splits its region as it
 * likes, in steps that scale with the unit (a driver's windows: `window`).
 *
 * The root task's runtime sets the layout from its bootinfo, a child's from
 * its startinfo (user_top, which the spawn library copies from its own); until
 * then (and on the host) it is the 2^47 layout.
 */
#ifndef WF_LAYOUT_H
#define WF_LAYOUT_H

#include "weft/types.h"

#define WF_LAYOUT_TOP_MAX   (1ull << 47)    /* the largest top the layout follows */
#define WF_LAYOUT_TOP_MIN   (1ull << 38)    /* the smallest it holds for (Sv39) */
#define WF_LAYOUT_STACK_GAP 0x1000000000ull /* 64 GiB: a child's stack top below top */

struct wf_layout {
    wf_word_t user_top;   /* the end of the user half, as the kernel reports it */
    wf_word_t top;        /* min(user_top, 2^47) */
    wf_word_t end;        /* the regions lie below it */
    wf_word_t unit;       /* end / 8: a region's size */
    wf_word_t window;     /* min(4 GiB, unit / 8): a driver's device and DMA windows */
    wf_word_t mmap_base;  /* musl's anonymous mappings go from here */
    wf_word_t mmap_end;   /* up to here */
    wf_word_t files;      /* read-only views of files (the initramfs) */
    wf_word_t devices;    /* a driver's device memory and DMA buffers */
    wf_word_t windows;    /* the file server's block windows */
    wf_word_t scratch;    /* the in-guest suite's TEST_VA, the file server's cache */
    wf_word_t threads;    /* the thread stack region (wf/spawn.h) */
    wf_word_t stack_top;  /* a child's stack top (wf/startinfo.h) */
    wf_word_t ipc_buffer; /* a child's IPC buffer page */
    wf_word_t startinfo;  /* a child's startinfo page */
};

/* The layout for user_top u and its top t = min(u, 2^47), as constant
 * expressions. */
#define WF_LAYOUT_END(t)  ((t) >= WF_LAYOUT_TOP_MAX ? (t) : (t) / 2)
#define WF_LAYOUT_UNIT(t) (WF_LAYOUT_END(t) / 8)
#define WF_LAYOUT_INIT(u, t)                                                                       \
    {                                                                                              \
        .user_top = (u), .top = (t), .end = WF_LAYOUT_END(t), .unit = WF_LAYOUT_UNIT(t),           \
        .window = WF_LAYOUT_UNIT(t) / 8 < (4ull << 30) ? WF_LAYOUT_UNIT(t) / 8 : (4ull << 30),     \
        .mmap_base = 1 * WF_LAYOUT_UNIT(t), .mmap_end = 2 * WF_LAYOUT_UNIT(t),                     \
        .files = 3 * WF_LAYOUT_UNIT(t), .devices = 4 * WF_LAYOUT_UNIT(t),                          \
        .windows = 5 * WF_LAYOUT_UNIT(t), .scratch = 6 * WF_LAYOUT_UNIT(t),                        \
        .threads = WF_LAYOUT_END(t) - WF_LAYOUT_UNIT(t) / 16,                                      \
        .stack_top = (t)-WF_LAYOUT_STACK_GAP, .ipc_buffer = (t)-WF_LAYOUT_STACK_GAP + 0x100000,    \
        .startinfo = (t)-WF_LAYOUT_STACK_GAP + 0x200000,                                           \
    }

/* The layout this program runs with (user/lib/weft/runtime.c). */
extern struct wf_layout wf_layout;

/* The layout for user_top (any value: above 2^47 it is 2^47's). */
static inline struct wf_layout wf_layout_for(wf_word_t user_top)
{
    wf_word_t t = user_top < WF_LAYOUT_TOP_MAX ? user_top : WF_LAYOUT_TOP_MAX;
    return (struct wf_layout)WF_LAYOUT_INIT(user_top, t);
}

/* Sets this program's layout from user_top (the start code does). Returns 0,
 * or -1, leaving the layout as it was, when user_top is below
 * WF_LAYOUT_TOP_MIN (the layout does not hold there). */
int wf_layout_set(wf_word_t user_top);

#endif
