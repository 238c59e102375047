/*
 * A small world for the capability host tests: a buffer standing in for physical
 * memory, a root CNode, a root Untyped, a reaper for "the current thread", and a
 * test double of wf_call() that does what the syscall layer (kernel/ipc/syscall.c) does
 * for a Call on a kernel object: resolve the invoked CPtr and the extra caps in
 * the current CSpace, run cap_invoke with a work budget, and re-execute it while
 * it returns WF_ERR_PREEMPTED. Tests then use the generated stubs of
 * weft/invoke.h exactly as userspace will.
 *
 * Root CSpace: one CNode of radix WORLD_ROOT_RADIX with a guard of
 * 64 - WORLD_ROOT_RADIX zero bits, so CPtr k names slot k (depth 64).
 *   slot 1  the root CNode's own cap (a copy)
 *   slot 2  the root Untyped (2^mem_bits bytes at WORLD_PHYS_BASE)
 */
#ifndef TEST_CAP_WORLD_H
#define TEST_CAP_WORLD_H

#include "cap/cap.h"
#include "cap/cdt.h"
#include "cap/delete.h"
#include "cap/preempt.h"
#include "weft/invoke.h"

#define WORLD_PHYS_BASE  0x40000000ull
#define WORLD_ROOT_RADIX 8
#define WORLD_ROOT_CNODE 1
#define WORLD_ROOT_UT    2

struct world {
    uint8_t *mem; /* host memory for [WORLD_PHYS_BASE, + 2^mem_bits) */
    unsigned mem_bits;
    struct slot *root;    /* the root CNode's slots (outside the untyped) */
    struct slot boot;     /* holds the root CNode's original cap */
    struct reaper reaper; /* the current thread's reaper */
    struct cap cspace;    /* the current thread's CSpace root */
    uint32_t budget;      /* work units per attempt of an invocation */
    unsigned restarts;    /* WF_ERR_PREEMPTED attempts in the last wf_call */
};
extern struct world W;

/* Builds the world with 2^mem_bits bytes of memory; dirty fills it with garbage
 * and hands the root untyped out with its watermark at the top, as boot does. */
void world_init(unsigned mem_bits, bool dirty);

/* Frees the world's memory. */
void world_fini(void);

/* Physical address of a kernel pointer into the world's memory, and back. */
paddr_t world_pa(const void *p);

/* Retypes count objects of type into root slots [slot, slot + count) from the
 * untyped at CPtr ut; asserts success. */
void world_retype(wf_cptr_t ut, uint64_t type, unsigned size_bits, unsigned slot, unsigned count);

/* Number of non-empty slots in the count slots at s. */
unsigned world_count_caps(const struct slot *s, unsigned count);

#endif
