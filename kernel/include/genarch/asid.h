/*
 * ASIDs by generation (decision 185): the allocator aarch64 and riscv64 share
 * (kernel/genarch/asid.c), as Linux's arm64 one is in idea.
 *
 * Every VSpace has an ASID word (struct vspace's asid, reached by the
 * contract as a uint64_t *): the generation it was given in, above
 * ASID_GEN_SHIFT, and the ASID below; 0 until it is first loaded. Loading a
 * space whose word is of the current generation writes its ASID into the
 * root register and invalidates nothing (arch_vspace_load, inline: one load
 * and a compare). A word of an older generation is given an ASID again
 * (asid_assign): its old number when that is still free, else the next free
 * one. When none is free the generation rolls over: every ASID is free again
 * but those of the spaces loaded on some CPU (they keep theirs, their words
 * moved to the new generation), and every CPU's TLB is flushed before any
 * number is handed out again. So any number of live spaces have real ASIDs,
 * and a number is only reused after its old translations are gone: by the
 * rollover's flush, or by asid_release's invalidation when a space's tables
 * are destroyed (its number is free again at once).
 *
 * Everything here runs under the kernel lock (decision 129).
 */
#ifndef WEFT_GENARCH_ASID_H
#define WEFT_GENARCH_ASID_H

#define ASID_GEN_SHIFT 16 /* the word: generation << 16 | ASID */
#define ASID_MAX_BITS  16

#ifndef __ASSEMBLER__
#include "types.h"

#define ASID_NUM_MASK 0xffffull

/* The current generation, in the word's form (its ASID bits 0). */
extern uint64_t asid_generation;
/* The ASID width in use (hardware's, at most ASID_BITS when the build sets
 * it), and how many rollovers there were. */
extern unsigned asid_bits;
extern uint64_t asid_rollovers;

/* Whether word w holds an ASID of the current generation. */
static inline bool asid_current(uint64_t w)
{
    return ((w ^ asid_generation) >> ASID_GEN_SHIFT) == 0;
}

/* The ASID of word w (0: none). */
static inline unsigned asid_number(uint64_t w)
{
    return (unsigned)(w & ASID_NUM_MASK);
}

/* Boot CPU, before any space is loaded and before other CPUs start: hw_bits
 * is what the hardware has (ASIDs 1 .. 2^hw_bits - 1; 0 is the kernel's and
 * the roots' without a word). */
void asid_init(unsigned hw_bits);

/* Gives *w an ASID of the current generation if it has none (lock held);
 * returns the word. Called by arch_vspace_load when *w is stale. */
uint64_t asid_assign(uint64_t *w);

/* The tables of the space with word *w are gone: its ASID is invalidated on
 * every CPU (arch_asid_invalidate) and free again; *w becomes 0. */
void asid_release(uint64_t *w);

/* Self-tests: uses at most bits of ASID from now on (a rollover, so that no
 * number beyond them stays handed out but the loaded spaces'); 0 goes back
 * to the width asid_init chose. */
void asid_set_bits(unsigned bits);

/* What each architecture provides (vm_cpu.c): a rollover's flush of every
 * CPU's TLB (user translations), and the invalidation of one ASID everywhere. */
void arch_asid_flush_everywhere(void);
void arch_asid_invalidate(unsigned asid);

#endif /* __ASSEMBLER__ */

#endif
