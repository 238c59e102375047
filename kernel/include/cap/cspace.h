/*
 * CSpace addressing: resolving a CPtr to a slot (docs/architecture.md, Capabilities).
 *
 * A CSpace is a tree of CNodes rooted at one CNode cap. A CPtr is a 64-bit
 * number read from its most significant end: at each CNode cap the resolver
 * consumes guard_size bits, which must equal the cap's guard, then radix bits,
 * which index a slot. It stops when depth bits are consumed, or (when looking up
 * a cap to invoke) at a slot holding anything but a CNode cap. This is seL4's
 * resolveAddressBits, with errors that name the level and the reason.
 *
 * Levels: the root cap is level 0, a cap in the root CNode level 1, and so on.
 * A failure reports the level of the cap where resolution stopped and the number
 * of CPtr bits still unresolved there (before that CNode's guard, for guard and
 * depth mismatches).
 */
#ifndef WEFT_CAP_CSPACE_H
#define WEFT_CAP_CSPACE_H

#include "cap/cap.h"
#include "weft/types.h"

struct lookup_ret {
    struct slot *slot;          /* the slot found; NULL when the lookup failed */
    enum wf_lookup_fault fault; /* WF_LOOKUP_FAULT_NONE on success */
    unsigned level;             /* level of the cap where resolution stopped */
    unsigned bits_left;         /* CPtr bits still unresolved there */
};

/* Resolves exactly depth bits (1 to 64) of cptr from the CNode cap root and
 * returns the slot they name, empty or not. Fails with NOT_CNODE if root is not
 * a CNode cap or if a slot with bits left holds a cap that is not a CNode cap,
 * EMPTY_SLOT if such a slot is empty, GUARD_MISMATCH, or DEPTH_MISMATCH if a
 * CNode needs more bits than are left. Used for the slot paths of CNode
 * operations, where the caller names slots precisely. */
struct lookup_ret cspace_lookup_slot(struct cap root, wf_cptr_t cptr, unsigned depth);

/* Resolves cptr from the CNode cap root to a cap to invoke: up to 64 bits,
 * stopping early at a slot that holds a cap other than a CNode cap (the CPtr's
 * remaining low bits are ignored). Fails as cspace_lookup_slot does, and with
 * EMPTY_SLOT if the slot reached is empty. */
struct lookup_ret cspace_lookup_cap(struct cap root, wf_cptr_t cptr);

#endif
