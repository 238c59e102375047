/*
 * The echo server of uchild.h (UC_ECHO), shared by the child program and the
 * suite's same-address-space threads, so that both sides of every IPC test run
 * the same server code.
 */
#include "uchild.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/syscall.h"

int uc_echo_serve(wf_cptr_t ep, wf_cptr_t reply, wf_cptr_t cnode, wf_word_t recv_slot)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    b->receive_cnode = cnode;
    b->receive_index = recv_slot;
    b->receive_depth = 64;
    struct wf_msgregs m = {0};
    wf_word_t e = wf_sys_recv(ep, reply, &m);
    for (;;) {
        if (e != WF_ERR_OK)
            return 100 + (int)e;
        wf_word_t label = wf_msginfo_label(m.info);
        unsigned n = wf_msginfo_length(m.info);
        if (label == UC_OP_CAPS) {
#ifdef WEFT_DEBUG
            wf_word_t type = wf_debug_cap_identify(recv_slot);
#else
            wf_word_t type = UC_TYPE_UNKNOWN; /* no debug calls in a release build */
#endif
            wf_word_t w[5] = {m.badge, wf_msginfo_xcaps(m.info), wf_msginfo_unwrapped(m.info), type,
                              b->caps_or_badges[0]};
            wf_cnode_delete(cnode, recv_slot, 64);
            for (unsigned i = 0; i < 4; i++)
                m.w[i] = w[i];
            b->msg[4] = w[4];
            m.info = wf_msginfo(label + 1, 0, 5);
        } else {
            for (unsigned i = 0; i < n; i++) {
                if (i < WF_MSG_REG_WORDS)
                    m.w[i]++;
                else
                    b->msg[i]++;
            }
            m.info = wf_msginfo(label == UC_OP_QUIT ? 0 : label + 1, 0, n);
        }
        if (label == UC_OP_QUIT) {
            e = wf_sys_send(reply, &m);
            return e == WF_ERR_OK ? 0 : 100 + (int)e;
        }
        e = wf_sys_reply_recv(ep, reply, &m);
    }
}
