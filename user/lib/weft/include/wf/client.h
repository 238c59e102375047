/*
 * Client side of the servers init supervises (user/lib/weft/client.c).
 *
 * A child program reaches a server through a cap in one of its well-known
 * slots (wf/startinfo.h: WF_CHILD_LOG, WF_CHILD_CONSOLE, ...) or in a slot it
 * filled itself with name.Lookup. When init restarts a server it revokes the
 * server's old endpoint, so a client's cap to it disappears: a Call that was
 * waiting ends with WF_ERR_CANCELLED (the server's Reply object died), a later
 * Call through the now empty slot fails with WF_ERR_FAILED_LOOKUP (or
 * WF_ERR_INVALID_CAPABILITY when the slot holds something else). The client
 * then reconnects: it asks the name server (the cap in WF_CHILD_NAME) for the
 * server's new endpoint, into the same slot, and retries its call once
 * (docs/userspace.md). wf_reconnect is that step, for every client.
 */
#ifndef WF_CLIENT_H
#define WF_CLIENT_H

#include <stdbool.h>

#include "weft/errors.h"
#include "weft/types.h"

/* Empties slot (a CPtr of depth 64 in the caller's CNode, WF_CHILD_CNODE) and
 * looks name up through the name server cap in WF_CHILD_NAME, with the new
 * endpoint landing in slot. Returns WF_ERR_OK, WF_ERR_INVALID_ARGUMENT for an
 * empty name or one longer than name.NAME_MAX (nothing deleted), or the
 * Lookup's error: FAILED_LOOKUP for a name the name server does not show this
 * program (or, from the kernel, an empty NAME slot), CANCELLED when the name
 * server went away during the call. The slot is empty after a failure. Only
 * for programs started with a start info (not the root task, whose slots mean
 * other things). */
enum wf_error wf_reconnect(wf_cptr_t slot, const char *name);

/* True for the errors after which wf_reconnect is worth a try: the server's
 * endpoint is gone (FAILED_LOOKUP, INVALID_CAPABILITY) or died during the call
 * (CANCELLED). */
bool wf_reconnect_error(wf_word_t err);

#endif
