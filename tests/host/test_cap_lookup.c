/*
 * Cap representation and CPtr resolution.
 *
 * Representation: every accessor reads back what the constructor stored, for
 * random field values at the edges of their ranges (kernel-half pointers,
 * 64-bit badges and guards, the largest radix and watermark), and rights only
 * shrink.
 *
 * Lookup: random CSpaces (CNodes of random radix and guard, linked into each
 * other, cycles included, with endpoint caps and empty slots) are resolved for
 * random CPtrs and depths by the kernel and by a reference resolver written
 * differently (the CPtr as a string of bits eaten from the front), and must agree
 * on the slot, the fault, the level and the bits left. Hand-picked cases pin
 * each fault at a known level.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cap/cspace.h"
#include "test_cap_world.h"

static uint64_t rnd64(void)
{
    return (uint64_t)rand() << 62 ^ (uint64_t)rand() << 31 ^ (uint64_t)rand();
}

Test(cap_repr, sizes_and_layout)
{
    cr_assert_eq(sizeof(struct cap), 16);
    cr_assert_eq(sizeof(struct slot), 32);
    cr_assert_eq(_Alignof(struct slot), 32);
    struct slot s = {0};
    cr_assert(slot_is_empty(&s), "zeroed memory is an empty slot");
    cr_assert_eq(cap_type(cap_null()), CAP_NULL);
}

Test(cap_repr, accessors_round_trip)
{
    srand(1);
    static struct slot target[4];
    for (int i = 0; i < 20000; i++) {
        unsigned bits =
            WF_UNTYPED_MIN_BITS + rand() % (WF_UNTYPED_MAX_BITS - WF_UNTYPED_MIN_BITS + 1);
        paddr_t pa = (rnd64() & ((1ull << 48) - 1)) & ~((1ull << bits) - 1);
        uint64_t wm = bits == 64 ? rnd64() : rnd64() % ((1ull << bits) + 1);
        bool dev = rand() & 1;
        struct cap u = cap_untyped_new(pa, bits, dev, wm);
        cr_assert_eq(cap_type(u), CAP_UNTYPED);
        cr_assert_eq(cap_untyped_paddr(u), pa);
        cr_assert_eq(cap_untyped_size_bits(u), bits);
        cr_assert_eq(cap_untyped_is_device(u), dev);
        cr_assert_eq(cap_untyped_watermark(u), wm);

        unsigned radix = WF_CNODE_RADIX_MIN + rand() % WF_CNODE_RADIX_MAX;
        unsigned gs = rand() % (64 - radix + 1);
        uint64_t guard = gs == 64 ? rnd64() : gs ? rnd64() & ((1ull << gs) - 1) : 0;
        struct cap cn = cap_cnode_new(target, radix, guard, gs);
        cr_assert_eq(cap_type(cn), CAP_CNODE);
        cr_assert_eq(cap_cnode_slots(cn), target);
        cr_assert_eq(cap_cnode_radix(cn), radix);
        cr_assert_eq(cap_cnode_guard_size(cn), gs);
        cr_assert_eq(cap_cnode_guard(cn), guard);
        cr_assert_eq(cap_rights(cn), WF_RIGHTS_ALL, "CNode caps carry no rights");

        /* A kernel-half pointer survives the 44-bit packing (never dereferenced). */
        void *kp = (void *)(uintptr_t)(0xffff800000000000ull | (rnd64() & 0x7ffffffffff0ull));
        uint64_t rights = rand() % 16, badge = rnd64();
        struct cap ep = cap_object_new(CAP_ENDPOINT, kp, rights, badge);
        cr_assert_eq(cap_object(ep), kp);
        cr_assert_eq(cap_rights(ep), rights);
        cr_assert_eq(cap_badge(ep), badge);
        uint64_t mask = rand() % 16;
        struct cap m = cap_mask_rights(ep, mask);
        cr_assert_eq(cap_rights(m), rights & mask, "rights only shrink");
        cr_assert_eq(cap_badge(m), badge);
        cr_assert_eq(cap_object(m), kp);

        struct cap z = cap_zombie_root(ZOMBIE_CNODE, radix, kp, 1ull << radix);
        cr_assert_eq(cap_type(z), CAP_ZOMBIE);
        cr_assert_eq(cap_zombie_role(z), ZOMBIE_ROOT);
        cr_assert_eq(cap_zombie_root_object(z), kp);
        cr_assert_eq(cap_zombie_root_rem(z), 1ull << radix);
        cr_assert_eq(cap_zombie_radix(z), radix);
        struct slot *p = (struct slot *)((uintptr_t)kp & ~31ull);
        struct slot *n = &target[rand() % 4];
        uint64_t top = rnd64() % (1ull << ZOMBIE_TOP_BITS);
        struct cap e = cap_zombie_ring(ZOMBIE_ELEMENT, ZOMBIE_TCB, 0, top, p, n);
        cr_assert_eq(cap_ring_prev(e), p);
        cr_assert_eq(cap_ring_next(e), n);
        cr_assert_eq(cap_ring_top(e), top);
        cr_assert_eq(cap_zombie_kind(e), ZOMBIE_TCB);
        e = cap_ring_set_top(cap_ring_set_next(cap_ring_set_prev(e, n), p), top / 2);
        cr_assert(cap_ring_prev(e) == n && cap_ring_next(e) == p && cap_ring_top(e) == top / 2);
        cr_assert_eq(cap_zombie_role(e), ZOMBIE_ELEMENT);
    }
}

Test(cap_repr, tcb_has_no_rights_bits)
{
    static struct slot o;
    struct cap t = cap_object_new(CAP_TCB, &o, WF_RIGHTS_ALL, 0);
    cr_assert_eq(cap_rights(t), WF_RIGHTS_ALL);
    cr_assert_eq(cap_badge(t), 0);
    cr_assert_eq(cap_object(t), &o);
}

/* --- the reference resolver ---------------------------------------------------- */

struct ref_ret {
    struct slot *slot;
    unsigned fault, level, left;
};

/* The low depth bits of cptr as a string, most significant first. */
static void bits_of(uint64_t cptr, unsigned depth, char *out)
{
    for (unsigned i = 0; i < depth; i++)
        out[i] = (cptr >> (depth - 1 - i)) & 1 ? '1' : '0';
    out[depth] = 0;
}

static uint64_t value_of(const char *s, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 1 | (s[i] == '1');
    return v;
}

static struct ref_ret ref_resolve(struct cap root, uint64_t cptr, unsigned depth, bool exact)
{
    char buf[65];
    bits_of(cptr, depth, buf);
    const char *p = buf;
    if (cap_type(root) != CAP_CNODE)
        return (struct ref_ret){NULL, WF_LOOKUP_FAULT_NOT_CNODE, 0, depth};
    struct cap node = root;
    for (unsigned level = 0;; level++) {
        unsigned left = strlen(p), g = cap_cnode_guard_size(node), r = cap_cnode_radix(node);
        if (g > left || value_of(p, g) != cap_cnode_guard(node))
            return (struct ref_ret){NULL, WF_LOOKUP_FAULT_GUARD_MISMATCH, level, left};
        p += g;
        if (r > strlen(p))
            return (struct ref_ret){NULL, WF_LOOKUP_FAULT_DEPTH_MISMATCH, level, left};
        struct slot *s = &cap_cnode_slots(node)[value_of(p, r)];
        p += r;
        unsigned rest = strlen(p);
        if (rest == 0) {
            if (!exact && slot_is_empty(s))
                return (struct ref_ret){NULL, WF_LOOKUP_FAULT_EMPTY_SLOT, level + 1, 0};
            return (struct ref_ret){s, 0, level + 1, 0};
        }
        if (slot_is_empty(s))
            return (struct ref_ret){NULL, WF_LOOKUP_FAULT_EMPTY_SLOT, level + 1, rest};
        if (cap_type(s->cap) != CAP_CNODE) {
            if (exact)
                return (struct ref_ret){NULL, WF_LOOKUP_FAULT_NOT_CNODE, level + 1, rest};
            return (struct ref_ret){s, 0, level + 1, rest};
        }
        node = s->cap;
    }
}

static unsigned seen_fault[8], seen_deep;

static void expect_same(struct cap root, uint64_t cptr, unsigned depth, bool exact)
{
    struct lookup_ret k =
        exact ? cspace_lookup_slot(root, cptr, depth) : cspace_lookup_cap(root, cptr);
    seen_fault[k.fault]++;
    seen_deep += k.slot && k.level >= 3;
    struct ref_ret r = ref_resolve(root, cptr, exact ? depth : 64, exact);
    cr_assert_eq(k.slot, r.slot, "cptr %#llx depth %u: slot", (unsigned long long)cptr, depth);
    cr_assert_eq((unsigned)k.fault, r.fault, "cptr %#llx depth %u: fault %d, reference %d",
                 (unsigned long long)cptr, depth, k.fault, r.fault);
    if (r.fault) {
        cr_assert_eq(k.level, r.level, "cptr %#llx depth %u: level", (unsigned long long)cptr,
                     depth);
        cr_assert_eq(k.bits_left, r.left, "cptr %#llx depth %u: bits left",
                     (unsigned long long)cptr, depth);
    }
}

#define NCN 8

Test(cap_lookup, random_cspaces_match_reference)
{
    for (unsigned seed = 1; seed <= 60; seed++) {
        srand(seed);
        world_init(20, false);
        static struct endpoint_mem {
            uint8_t b[32];
        } __aligned(32) ep_obj;
        struct cap cn[NCN];
        for (int i = 0; i < NCN; i++) {
            unsigned radix = 1 + rand() % 4;
            world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, radix, 16 + i, 1);
            struct cap c = W.root[16 + i].cap;
            unsigned gs = rand() % 4 == 0 ? 0 : rand() % 7;
            cn[i] =
                cap_cnode_new(cap_cnode_slots(c), radix, gs ? rnd64() & ((1ull << gs) - 1) : 0, gs);
        }
        /* Fill slots: CNode caps (any CNode, cycles allowed), endpoints, empties. */
        for (int i = 0; i < NCN; i++) {
            struct slot *s = cap_cnode_slots(cn[i]);
            for (unsigned j = 0; j < 1u << cap_cnode_radix(cn[i]); j++) {
                int k = rand() % 3;
                if (k == 0)
                    cdt_insert_root(&s[j], cn[rand() % NCN]);
                else if (k == 1)
                    cdt_insert_root(&s[j], cap_object_new(CAP_ENDPOINT, &ep_obj, 3, j));
            }
        }
        for (int t = 0; t < 3000; t++) {
            struct cap root =
                rand() % 50 ? cn[rand() % NCN] : cap_object_new(CAP_ENDPOINT, &ep_obj, 0, 0);
            unsigned depth = 1 + rand() % 64;
            uint64_t cptr = rnd64();
            /* Mostly CPtrs that follow real guards, so deep paths are reached. */
            if (rand() % 4 && cap_type(root) == CAP_CNODE) {
                cptr = 0;
                struct cap node = root;
                unsigned used = 0;
                while (used < 64 && cap_type(node) == CAP_CNODE) {
                    unsigned g = cap_cnode_guard_size(node), r = cap_cnode_radix(node);
                    if (used + g + r > 64)
                        break;
                    uint64_t idx = rand() % (1u << r);
                    cptr = (cptr << g | cap_cnode_guard(node)) << r | idx;
                    used += g + r;
                    struct slot *s = &cap_cnode_slots(node)[idx];
                    node = s->cap;
                    if (rand() % 5 == 0)
                        break;
                }
                depth = used ? used : 1;
                cptr |= rnd64() << (depth == 64 ? 63 : depth) << (depth == 64 ? 1 : 0);
            }
            expect_same(root, cptr, depth, true);
            expect_same(root, cptr, depth, false);
        }
        world_fini();
    }
    /* The generator reaches every outcome, and deep slots. */
    for (int f = 0; f <= WF_LOOKUP_FAULT_EMPTY_SLOT; f++)
        cr_assert_gt(seen_fault[f], 100, "fault %d seen %u times", f, seen_fault[f]);
    cr_assert_gt(seen_deep, 1000, "only %u lookups found a slot at level 3 or deeper", seen_deep);
}

/* A three-level CSpace with known guards for the hand-picked cases:
 *   L0: radix 2, guard 0b101 (3 bits); slot 1 -> L1
 *   L1: radix 3, guard 0 bits;        slot 6 -> L2, slot 2: endpoint, slot 0 empty
 *   L2: radix 1, guard 0xab (8 bits); slot 1: endpoint */
static struct cap L0, L1, L2;

static void three_levels(void)
{
    world_init(20, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 2, 20, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 3, 21, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 1, 22, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 23, 1);
    L0 = cap_cnode_new(cap_cnode_slots(W.root[20].cap), 2, 5, 3);
    L1 = cap_cnode_new(cap_cnode_slots(W.root[21].cap), 3, 0, 0);
    L2 = cap_cnode_new(cap_cnode_slots(W.root[22].cap), 1, 0xab, 8);
    cdt_insert_derived(&W.root[21], &cap_cnode_slots(L0)[1], L1);
    cdt_insert_derived(&W.root[22], &cap_cnode_slots(L1)[6], L2);
    cdt_insert_derived(&W.root[23], &cap_cnode_slots(L1)[2], W.root[23].cap);
    cdt_insert_derived(&W.root[23], &cap_cnode_slots(L2)[1], W.root[23].cap);
}

static void expect_fault_at(int line, struct lookup_ret r, unsigned fault, unsigned level,
                            unsigned left)
{
    cr_assert_null(r.slot, "line %d: lookup succeeded", line);
    cr_assert_eq((unsigned)r.fault, fault, "line %d: fault %d, expected %d", line, r.fault, fault);
    cr_assert_eq(r.level, level, "line %d: level %u, expected %u", line, r.level, level);
    cr_assert_eq(r.bits_left, left, "line %d: bits left %u, expected %u", line, r.bits_left, left);
}
#define expect_fault(...) expect_fault_at(__LINE__, __VA_ARGS__)

Test(cap_lookup, each_fault_at_its_level)
{
    three_levels();
    /* Path to L2 slot 1: 101 01 | 110 | 10101011 1  = 3+2+3+8+1 = 17 bits. */
    uint64_t full = 0b101ull << 14 | 0b01ull << 12 | 0b110ull << 9 | 0xabull << 1 | 1;
    struct lookup_ret r = cspace_lookup_slot(L0, full, 17);
    cr_assert_eq(r.slot, &cap_cnode_slots(L2)[1]);
    cr_assert_eq(r.level, 3);
    /* High garbage above depth is ignored. */
    cr_assert_eq(cspace_lookup_slot(L0, full | 0xdead000000000000ull, 17).slot, r.slot);

    expect_fault(cspace_lookup_slot(W.root[23].cap, full, 17), WF_LOOKUP_FAULT_NOT_CNODE, 0, 17);
    expect_fault(cspace_lookup_slot(L0, full ^ 1ull << 15, 17), WF_LOOKUP_FAULT_GUARD_MISMATCH, 0,
                 17);
    expect_fault(cspace_lookup_slot(L0, full ^ 1ull << 3, 17), WF_LOOKUP_FAULT_GUARD_MISMATCH, 2,
                 9);
    /* Too few bits for L2's guard: a guard mismatch; for its radix: depth mismatch. */
    expect_fault(cspace_lookup_slot(L0, full >> 5, 12), WF_LOOKUP_FAULT_GUARD_MISMATCH, 2, 4);
    expect_fault(cspace_lookup_slot(L0, full >> 1, 16), WF_LOOKUP_FAULT_DEPTH_MISMATCH, 2, 8);
    expect_fault(cspace_lookup_slot(L0, 0b1010ull, 4), WF_LOOKUP_FAULT_DEPTH_MISMATCH, 0, 4);
    /* L1 slot 2 is an endpoint: with bits left, exact lookups fail, cap lookups stop. */
    uint64_t via_ep = 0b10101ull << 7 | 0b010ull << 4 | 0b1111;
    expect_fault(cspace_lookup_slot(L0, via_ep, 12), WF_LOOKUP_FAULT_NOT_CNODE, 2, 4);
    cr_assert_eq(cspace_lookup_slot(L0, via_ep >> 4, 8).slot, &cap_cnode_slots(L1)[2]);
    /* L1 slot 0 is empty. */
    uint64_t via_empty = 0b10101ull << 7 | 0b000ull << 4;
    expect_fault(cspace_lookup_slot(L0, via_empty, 12), WF_LOOKUP_FAULT_EMPTY_SLOT, 2, 4);
    cr_assert_eq(cspace_lookup_slot(L0, via_empty >> 4, 8).slot, &cap_cnode_slots(L1)[0],
                 "an exact lookup names empty slots");
    world_fini();
}

Test(cap_lookup, invocation_lookup_uses_all_64_bits)
{
    three_levels();
    /* A one-level CSpace: radix 8, guard 56 zero bits: CPtr k is slot k. */
    cr_assert_eq(cspace_lookup_cap(W.cspace, 23).slot, &W.root[23]);
    expect_fault(cspace_lookup_cap(W.cspace, 24), WF_LOOKUP_FAULT_EMPTY_SLOT, 1, 0);
    expect_fault(cspace_lookup_cap(W.cspace, 1ull << 40 | 23), WF_LOOKUP_FAULT_GUARD_MISMATCH, 0,
                 64);
    /* Through L0 (guard 3 + radix 2 = 5 bits) to L1 (3 bits): the endpoint in L1
     * slot 2 is found with 56 bits left over, whatever they are. */
    uint64_t c = (0b10101ull << 3 | 0b010ull) << 56 | 0x123456789abcdull;
    struct lookup_ret r = cspace_lookup_cap(L0, c);
    cr_assert_eq(r.slot, &cap_cnode_slots(L1)[2]);
    cr_assert_eq(r.bits_left, 56);
    world_fini();
}

Test(cap_lookup, full_width_guard)
{
    world_init(16, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 1, 30, 1);
    /* Radix 1 with a 63-bit guard with its top bit set: every bit of the CPtr counts. */
    uint64_t g = 1ull << 62 | 0x123456789abcdefull;
    struct cap c = cap_cnode_new(cap_cnode_slots(W.root[30].cap), 1, g, 63);
    cr_assert_eq(cspace_lookup_slot(c, g << 1 | 1, 64).slot, &cap_cnode_slots(c)[1]);
    expect_fault(cspace_lookup_slot(c, (g ^ 1ull << 62) << 1, 64), WF_LOOKUP_FAULT_GUARD_MISMATCH,
                 0, 64);
    world_fini();
}
