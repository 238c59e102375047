/*
 * Untyped memory: a 2^n-byte, 2^n-aligned physical range, the source of every
 * kernel object (docs/architecture.md, Capabilities), and its Retype invocation.
 *
 * An Untyped cap carries a watermark: bytes below it may be in use, bytes above
 * it are zero and free. Retype places objects above the watermark, each aligned
 * to its size, and moves the watermark past them. When the untyped has no
 * children in the derivation tree, nothing can be using its memory, so Retype
 * first resets it: zeroes [0, watermark) in chunks, top down, with preemption
 * points, lowering the watermark as it goes (so a restart continues), then
 * starts from 0. Device untyped is never zeroed and makes only Untyped children
 * here (Pool_CreateDevice makes physical VMOs over it).
 */
#ifndef WEFT_OBJ_UNTYPED_H
#define WEFT_OBJ_UNTYPED_H

#include "cap/cap.h"
#include "weft/errors.h"

/* Bytes zeroed per preemption unit when an untyped is reset. */
#define UNTYPED_RESET_CHUNK_BITS 12

/* An Untyped cap for boot to hand out, for [paddr, paddr + 2^size_bits), whose
 * memory may hold anything: its watermark is at the top (RAM), so the first
 * Retype resets and zeroes it (preemptibly) instead of boot doing so. */
struct cap untyped_boot_cap(paddr_t paddr, unsigned size_bits, bool device);

/* Resets the untyped cap in slot s (which must have no children): zeroes the
 * memory below its watermark in chunks from the top, lowering the watermark after
 * each. Returns WF_ERR_OK when the watermark is 0, WF_ERR_PREEMPTED when the work
 * budget ran out first (call again to continue). */
enum wf_error untyped_reset(struct slot *s);

#endif
