/*
 * probe: the child program the shell (user/shell/) drives to show what caps
 * do. It receives Calls on its endpoint (slot PROBE_SLOT_EP, probe.h) and
 * prints what it got on the console: a word, a cap (moved from the receive
 * slot to the next of its own slots), or, asked to check a slot, whether the
 * slot still holds a cap (CNode_Describe on its own CNode) - which is how a
 * revoke in the shell is seen to take a cap away from another process.
 * It needs its pool (slot WF_CHILD_POOL) for its Reply object and its console
 * cap (WF_CHILD_CONSOLE) to print.
 */
#include <stdio.h>

#include "../shell/text.h"
#include "probe.h"
#include "weft/invoke.h"
#include "wf/runtime.h"
#include "wf/startinfo.h"
#include "wf/syscall.h"

#define SELF  WF_CHILD_CNODE
#define DEPTH 64

static void arm_receive(void)
{
    struct wf_ipc_buffer *b = wf_ipc_buffer();
    b->receive_cnode = SELF;
    b->receive_index = PROBE_SLOT_RECV;
    b->receive_depth = DEPTH;
}

static const char *type_of(wf_word_t slot, char *buf, size_t size)
{
    wf_word_t type = 0;
    if (wf_cnode_describe(SELF, slot, DEPTH, &type, NULL, NULL, NULL) != WF_ERR_OK || !type)
        return NULL;
    return sh_type_name(type, buf, size);
}

/* Handles one message; returns the reply label. */
static wf_word_t handle(const struct wf_msgregs *m, wf_word_t *next_cap)
{
    char name[24];
    const char *t;
    switch (wf_msginfo_label(m->info)) {
    case PROBE_VALUE:
        printf("probe: got value %llu\n", (unsigned long long)m->w[0]);
        return WF_ERR_OK;
    case PROBE_CAP:
        if (!wf_msginfo_xcaps(m->info) || !(t = type_of(PROBE_SLOT_RECV, name, sizeof(name)))) {
            printf("probe: got a cap message without a cap\n");
            return WF_ERR_TRUNCATED_MESSAGE;
        }
        if (*next_cap >= PROBE_SLOT_RECV ||
            wf_cnode_move(SELF, *next_cap, DEPTH, SELF, PROBE_SLOT_RECV, DEPTH) != WF_ERR_OK) {
            printf("probe: no slot left for a cap\n");
            wf_cnode_delete(SELF, PROBE_SLOT_RECV, DEPTH);
            return WF_ERR_NOT_ENOUGH_MEMORY;
        }
        printf("probe: got cap type %s in slot %llu\n", t, (unsigned long long)*next_cap);
        (*next_cap)++;
        return WF_ERR_OK;
    case PROBE_CHECK:
        if (m->w[0] >= PROBE_SLOT_RECV) {
            printf("probe: slot %llu is not one of mine\n", (unsigned long long)m->w[0]);
            return WF_ERR_RANGE_ERROR;
        }
        if ((t = type_of(m->w[0], name, sizeof(name))))
            printf("probe: slot %llu holds type %s\n", (unsigned long long)m->w[0], t);
        else
            printf("probe: slot %llu is empty\n", (unsigned long long)m->w[0]);
        return WF_ERR_OK;
    case PROBE_PING:
        return WF_ERR_OK;
    default:
        printf("probe: unknown message 0x%llx\n", (unsigned long long)wf_msginfo_label(m->info));
        return WF_ERR_ILLEGAL_OPERATION;
    }
}

int main(void)
{
    enum wf_error e = wf_pool_create(WF_CHILD_POOL, WF_OBJ_REPLY, 0, SELF, PROBE_SLOT_REPLY, DEPTH);
    if (e != WF_ERR_OK) {
        printf("probe: no Reply object: %s\n", wf_error_name(e));
        return 1;
    }
    wf_word_t next_cap = PROBE_SLOT_CAPS;
    struct wf_msgregs m = {0};
    arm_receive();
    wf_word_t err = wf_sys_recv(PROBE_SLOT_EP, PROBE_SLOT_REPLY, &m);
    for (;;) {
        if (err != WF_ERR_OK) {
            printf("probe: receive failed: %s\n", wf_error_name(err));
            return 2;
        }
        if (wf_msginfo_label(m.info) == PROBE_EXIT)
            return (int)m.w[0];
        wf_word_t label = handle(&m, &next_cap);
        fflush(stdout);
        m = (struct wf_msgregs){.info = wf_msginfo(label, 0, 0)};
        arm_receive();
        err = wf_sys_reply_recv(PROBE_SLOT_EP, PROBE_SLOT_REPLY, &m);
    }
}
