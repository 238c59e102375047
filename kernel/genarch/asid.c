/*
 * ASIDs by generation, for the architectures that tag TLB entries with them
 * (aarch64, riscv64: ARCH_GENARCH; the scheme is genarch/asid.h's, decision
 * 185). Under the kernel lock: no atomics, no per-CPU copies.
 *
 * asid_map has a bit per ASID handed out in the current generation (bit 0,
 * the kernel's ASID, always set). A stale word keeps its number if that is
 * free, else takes the next free one from asid_next on; with none free the
 * generation rolls over (rollover): the map is cleared, the ASIDs of the
 * spaces loaded on some CPU (each CPU's vspace_current) are set again and
 * their words moved to the new generation, so those CPUs go on with the ASID
 * they have loaded, and every CPU's TLB is flushed before this CPU hands out
 * a number that another space used before.
 */
#include "genarch/asid.h"
#include "obj/vspace.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/smp.h"

#define ASID_COUNT (1u << ASID_MAX_BITS)
#if defined(ASID_BITS) && (ASID_BITS < 1 || ASID_BITS > ASID_MAX_BITS)
#error "ASID_BITS must be 1..16"
#endif

uint64_t asid_generation = 1ull << ASID_GEN_SHIFT;
unsigned asid_bits;
uint64_t asid_rollovers;
static unsigned asid_hw_bits;
static uint64_t asid_map[ASID_COUNT / 64];
static unsigned asid_next = 1;

static bool map_test(unsigned n)
{
    return asid_map[n / 64] >> (n % 64) & 1;
}

static void map_set(unsigned n)
{
    asid_map[n / 64] |= 1ull << (n % 64);
}

static void map_clear(unsigned n)
{
    asid_map[n / 64] &= ~(1ull << (n % 64));
}

void asid_init(unsigned hw_bits)
{
    asid_hw_bits = MIN(hw_bits, ASID_MAX_BITS);
#ifdef ASID_BITS
    asid_hw_bits = MIN(asid_hw_bits, (unsigned)ASID_BITS); /* make ASID_BITS=n */
#endif
    asid_bits = asid_hw_bits;
    map_set(0);
}

/* A free ASID below the width, from asid_next on and then from 1, or 0. */
static unsigned find_free(void)
{
    unsigned count = 1u << asid_bits;
    for (unsigned pass = 0; pass < 2; pass++) {
        unsigned to = pass ? MIN(asid_next, count) : count;
        for (unsigned n = pass ? 1 : asid_next; n < to;) {
            /* the word holding n, the bits below n taken */
            uint64_t word = asid_map[n / 64] | ((1ull << (n % 64)) - 1);
            if (word == ~0ull) {
                n = (n | 63) + 1;
                continue;
            }
            unsigned m = (n & ~63u) + (unsigned)__builtin_ctzll(~word);
            if (m >= to)
                break;
            asid_next = m + 1;
            return m;
        }
    }
    return 0;
}

/* A new generation: every ASID free but the loaded spaces', every TLB flushed. */
static void rollover(void)
{
    asid_generation += 1ull << ASID_GEN_SHIFT;
    asid_rollovers++;
    for (unsigned i = 0; i < ASID_COUNT / 64; i++)
        asid_map[i] = 0;
    map_set(0);
    for (unsigned c = 0; c < SMP_MAX_CPUS; c++) {
        if (!sched_cpus[c] || (c && !smp_cpus[c].online))
            continue;
        struct vspace *vs = __atomic_load_n(&sched_cpus[c]->vspace, __ATOMIC_RELAXED);
        if (!vs || !asid_number(vs->asid))
            continue;
        /* that CPU goes on with this ASID: the space keeps it */
        map_set(asid_number(vs->asid));
        vs->asid = asid_generation | asid_number(vs->asid);
    }
    asid_next = 1;
    arch_asid_flush_everywhere();
}

uint64_t asid_assign(uint64_t *w)
{
    assert(asid_bits);
    if (asid_current(*w) && asid_number(*w))
        return *w;
    unsigned n = asid_number(*w);
    if (n && n < (1u << asid_bits) && !map_test(n)) {
        /* its number of an earlier generation is free: flushed since */
    } else if (!(n = find_free())) {
        rollover();
        /* Every ASID of the width loaded on some CPU (this one's too: the
         * walker may still fetch through it): only a width forced below the
         * CPUs' count does that; one more bit. */
        while (!(n = find_free()) && asid_bits < asid_hw_bits)
            asid_bits++;
        assert(n);
    }
    map_set(n);
    return *w = asid_generation | n;
}

void asid_release(uint64_t *w)
{
    unsigned n = asid_number(*w);
    if (!n)
        return;
    if (asid_current(*w)) { /* an older one's translations went at the rollover */
        arch_asid_invalidate(n);
        map_clear(n);
    }
    *w = 0;
}

void asid_set_bits(unsigned bits)
{
    asid_bits = bits && bits < asid_hw_bits ? bits : asid_hw_bits;
    rollover();
}
