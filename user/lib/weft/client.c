/*
 * Reconnecting to a restarted server (wf/client.h). init revokes a restarted
 * server's old endpoint and registers the new one with the name server under
 * the same name; a client finds it again with one Lookup into the slot it
 * always uses, so that nothing else in the program changes.
 */
#include "wf/client.h"

#include <string.h>

#include "weft/invoke.h"
#include "wf/proto/name.h"
#include "wf/startinfo.h"

enum wf_error wf_reconnect(wf_cptr_t slot, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > WFP_NAME_NAME_MAX)
        return WF_ERR_INVALID_ARGUMENT;
    wf_cnode_delete(WF_CHILD_CNODE, slot, 64); /* an empty slot is fine */
    return wfp_name_lookup(WF_CHILD_NAME, name, n, WF_CHILD_CNODE, slot, 64);
}

bool wf_reconnect_error(wf_word_t err)
{
    return err == WF_ERR_FAILED_LOOKUP || err == WF_ERR_INVALID_CAPABILITY ||
           err == WF_ERR_CANCELLED;
}
