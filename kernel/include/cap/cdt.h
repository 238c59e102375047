/*
 * The capability derivation tree (CDT): which cap was derived from which.
 *
 * The tree is kept as seL4 keeps it: a doubly linked list of slots in depth-first
 * order, with two flags per node (revocable, first badged). The descendants of a
 * node are the maximal run of nodes after it that it is a parent of
 * (cdt_is_parent_of). The essay is at the top of kernel/cap/cdt.c.
 *
 * Every function here is O(1), does no allocation and cannot fail; callers have
 * checked everything first (decode, then invoke). All run under the big kernel lock.
 */
#ifndef WEFT_CAP_CDT_H
#define WEFT_CAP_CDT_H

#include "cap/cap.h"

/* True when b's cap is to something inside a's: for an Untyped a, any object,
 * zombie or untyped within its range; otherwise a cap to the same object. */
bool cdt_same_region(const struct slot *a, const struct slot *b);

/* True when the caps in a and b are to the same object (never for Untyped caps,
 * whose finalization does nothing, nor for zombies, which are always final). */
bool cdt_same_object(const struct slot *a, const struct slot *b);

/* True when b is a child of a if it follows a's other descendants in the list:
 * a is revocable, b is within a's region, and for a badged endpoint or
 * notification a, b has the same badge and is not a first-badged cap itself. */
bool cdt_is_parent_of(const struct slot *a, const struct slot *b);

/* True when the slot's cap has at least one descendant. */
bool cdt_has_children(const struct slot *s);

/* True when no other cap refers to the object of s's cap (its deletion destroys
 * the object). Zombies and Untyped caps are always final. */
bool cdt_is_final(const struct slot *s);

/* True when a cap derived from src as c is revocable (may have children of its
 * own): a new badge, or any Untyped copy. */
bool cdt_derived_is_revocable(struct cap c, struct cap src);

/* Places c in the empty slot dest as a root: no parent (boot caps). */
void cdt_insert_root(struct slot *dest, struct cap c);

/* Places c, the original cap of a new object carved from parent's Untyped, in
 * the empty slot dest as parent's first child. */
void cdt_insert_new(struct slot *parent, struct slot *dest, struct cap c);

/* Places c, derived (copied or minted) from the cap in src, in the empty slot
 * dest right after src: a child of src or, when src cannot parent it, a sibling. */
void cdt_insert_derived(struct slot *src, struct slot *dest, struct cap c);

/* Moves src's node (place in the tree, flags) to the empty slot dest, which
 * receives c (src's cap, possibly with new data); src becomes empty. */
void cdt_move(struct slot *src, struct slot *dest, struct cap c);

/* Exchanges two slots' contents, each cap keeping its place in the tree. Either
 * slot may be empty; a == b does nothing. */
void cdt_swap(struct slot *a, struct slot *b);

/* Unlinks the slot's node and empties the slot. The next node inherits the
 * first-badged flag so that it cannot become a child of an earlier cap with its
 * badge (it stays under the removed node's parent, as the abstract tree says). */
void cdt_remove(struct slot *s);

#endif
