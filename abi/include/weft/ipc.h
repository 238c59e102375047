/*
 * The IPC message layout.
 * Written by hand (it is layout, not a list of methods); decision 030 explains
 * the choices. Shared by the kernel (kernel/ipc/) and the user library
 * (user/lib/weft/).
 *
 * The registers that carry a system call's number, cap, message info and
 * message words 0-3 are the architecture's (weft/arch/<arch>/abi.h).
 *
 * Words 4 and up travel in the IPC buffer (msg[4..]), as do the CPtrs of the
 * extra caps a sender transfers and the slot where a receiver takes one.
 */
#ifndef WEFT_ABI_IPC_H
#define WEFT_ABI_IPC_H

#include "weft/arch.h"
#include "weft/types.h"

#define WF_MSG_REG_WORDS 4   /* message words carried in registers */
#define WF_MSG_MAX_WORDS 120 /* most message words (registers + IPC buffer) */
#define WF_MSG_MAX_XCAPS 3   /* most extra caps in one message */

/* Message info word: label | extra caps | unwrapped mask | length. */
#define WF_MSGINFO_LENGTH_BITS  7
#define WF_MSGINFO_XCAPS_SHIFT  7
#define WF_MSGINFO_XCAPS_BITS   2
#define WF_MSGINFO_UNWRAP_SHIFT 9
#define WF_MSGINFO_UNWRAP_BITS  3
#define WF_MSGINFO_LABEL_SHIFT  12

typedef wf_word_t wf_msginfo_t;

static inline wf_msginfo_t wf_msginfo(wf_word_t label, unsigned xcaps, unsigned length)
{
    return (label << WF_MSGINFO_LABEL_SHIFT) | ((wf_word_t)(xcaps & 3) << WF_MSGINFO_XCAPS_SHIFT) |
           (length & 0x7f);
}

static inline wf_word_t wf_msginfo_label(wf_msginfo_t m)
{
    return m >> WF_MSGINFO_LABEL_SHIFT;
}

static inline unsigned wf_msginfo_length(wf_msginfo_t m)
{
    return (unsigned)(m & 0x7f);
}

static inline unsigned wf_msginfo_xcaps(wf_msginfo_t m)
{
    return (unsigned)((m >> WF_MSGINFO_XCAPS_SHIFT) & 3);
}

/* Bit i set: extra cap i was not transferred but "unwrapped" (it named the
 * endpoint the message came through; its badge is in caps_or_badges[i]). */
static inline unsigned wf_msginfo_unwrapped(wf_msginfo_t m)
{
    return (unsigned)((m >> WF_MSGINFO_UNWRAP_SHIFT) & 7);
}

/*
 * The IPC buffer: one per thread, at a page-aligned user address registered in
 * its TCB (TCB_Configure). The kernel reads and writes it through the thread's
 * VSpace as the thread itself could. A buffer that cannot be read (sender) or
 * written (receiver) cuts a long message to its register words: the receiver
 * sees length 4, and the side whose buffer failed gets WF_ERR_INVALID_ARGUMENT
 * in rax: a receiver always, a sender of Send or NBSend at once. A Call's caller
 * gets the reply instead (its system call's result is the reply); its server
 * sees the cut length.
 */
struct wf_ipc_buffer {
    wf_word_t msg[WF_MSG_MAX_WORDS];            /* msg[0..3] unused: those words are in registers */
    wf_word_t user_data;                        /* the thread's own (TLS pointer, ...) */
    wf_word_t caps_or_badges[WF_MSG_MAX_XCAPS]; /* send: CPtrs of extra caps; receive: badges */
    wf_cptr_t receive_cnode;                    /* receive: CNode (CPtr) where a cap lands, */
    wf_word_t receive_index;                    /* its slot index in that CNode, */
    wf_word_t receive_depth;                    /* and the depth of receive_cnode's CPtr */
    wf_word_t reserved[1];
};
_Static_assert(sizeof(struct wf_ipc_buffer) <= 4096, "the IPC buffer fits one page");

#endif /* WEFT_ABI_IPC_H */
