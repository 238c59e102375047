/*
 * CNodes: arrays of 2^radix capability slots, and the CNode invocations (Copy,
 * Mint, Move, Mutate, Swap, Delete, Revoke; their decoders are declared in
 * cap/decode_gen.h and documented in docs/api.md).
 */
#ifndef WEFT_OBJ_CNODE_H
#define WEFT_OBJ_CNODE_H

#include "cap/cap.h"
#include "weft/errors.h"

/* Applies a guard datum (WF_GUARD(value, size)) to the CNode cap c: returns
 * WF_ERR_OK with *out set, or WF_ERR_INVALID_ARGUMENT when the guard size plus
 * the radix exceeds 64 or the value does not fit in the size. */
enum wf_error cnode_apply_guard(struct cap c, uint64_t data, struct cap *out);

#endif
