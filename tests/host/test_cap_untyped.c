/*
 * Untyped memory and Retype (seL4's rules), through the generated stubs.
 *
 * A watermark model predicts where every object lands (aligned to its size, above
 * the watermark, or from 0 after a reset when the untyped has no children) and
 * when memory runs out; random mixes of object types and counts must match it,
 * and the live objects must never overlap. Resets must zero what was used, in
 * preemptible chunks (tiny budgets restart many times and still end zeroed).
 * Every error Retype can return is provoked, with its details and without side
 * effects. Device untyped is never zeroed and only makes untyped. Copies of an
 * untyped hand over its free memory.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cap/invoke.h"
#include "obj/tcb.h"
#include "obj/untyped.h"
#include "test_cap_world.h"

/* Calls the kernel like the stubs do, keeping the reply words (error details). */
static enum wf_error call(wf_cptr_t cap, wf_word_t label, const wf_word_t *w, unsigned nw,
                          wf_cptr_t root, wf_word_t *reply)
{
    memset(reply, 0xee, WF_REPLY_MAX_WORDS * sizeof(*reply));
    return (enum wf_error)wf_call(cap, label, w, nw, &root, root ? 1 : 0, reply,
                                  WF_REPLY_MAX_WORDS);
}

static enum wf_error retype(wf_cptr_t ut, uint64_t type, uint64_t bits, uint64_t index,
                            uint64_t depth, uint64_t offset, uint64_t count, wf_word_t *reply)
{
    wf_word_t w[6] = {type, bits, index, depth, offset, count};
    return call(ut, WF_LABEL_UNTYPED_RETYPE, w, 6, WORLD_ROOT_CNODE, reply);
}

static paddr_t pa_of(struct cap c)
{
    if (cap_type(c) == CAP_UNTYPED)
        return cap_untyped_paddr(c);
    if (cap_type(c) == CAP_CNODE)
        return world_pa(cap_cnode_slots(c));
    return world_pa(cap_object(c));
}

static unsigned bits_of(uint64_t type, unsigned size_bits)
{
    switch (type) {
    case WF_OBJ_UNTYPED:
        return size_bits;
    case WF_OBJ_CNODE:
        return size_bits + WF_SLOT_BITS;
    case WF_OBJ_TCB:
        return WF_TCB_BITS;
    default:
        return 5;
    }
}

static bool all_zero(paddr_t pa, uint64_t len)
{
    const uint8_t *p = W.mem + (pa - WORLD_PHYS_BASE);
    for (uint64_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

Test(cap_untyped, random_retypes_match_the_watermark_model)
{
    for (unsigned seed = 1; seed <= 40; seed++) {
        srand(seed);
        world_init(20, true);
        /* A 64 KiB child untyped at root slot 3 is the one under test. */
        world_retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 16, 3, 1);
        paddr_t base = cap_untyped_paddr(W.root[3].cap);
        uint64_t wm = 0;
        unsigned next = 16;
        bool has_children = false;
        for (int step = 0; step < 60 && next < 250; step++) {
            static const uint64_t types[] = {WF_OBJ_ENDPOINT, WF_OBJ_NOTIFICATION, WF_OBJ_REPLY,
                                             WF_OBJ_CNODE,    WF_OBJ_TCB,          WF_OBJ_UNTYPED};
            uint64_t type = types[rand() % 6];
            unsigned sb = type == WF_OBJ_CNODE     ? 1 + rand() % 6
                          : type == WF_OBJ_UNTYPED ? 4 + rand() % 12
                                                   : 0;
            unsigned count = 1 + rand() % 4, ob = bits_of(type, sb);
            if (rand() % 10 == 0) { /* revoke: everything goes, the next retype resets */
                cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, 3, 64), WF_ERR_OK);
                cr_assert_eq(world_count_caps(&W.root[16], 240), 0);
                /* What the objects left in memory is garbage to be zeroed. */
                memset(W.mem + (base - WORLD_PHYS_BASE), 0x5a, wm);
                has_children = false;
                next = 16;
                continue;
            }
            uint64_t from = has_children ? wm : 0;
            uint64_t start = (from + (1ull << ob) - 1) & ~((1ull << ob) - 1);
            bool fits = ob <= 16 && start + ((uint64_t)count << ob) <= (1ull << 16);
            wf_word_t reply[4];
            enum wf_error e = retype(3, type, sb, 0, 0, next, count, reply);
            if (!fits) {
                cr_assert_eq(e, WF_ERR_NOT_ENOUGH_MEMORY, "step %d: %s", step, wf_error_name(e));
                cr_assert_eq(reply[0], (1ull << 16) - from, "free bytes reported");
                continue;
            }
            cr_assert_eq(e, WF_ERR_OK, "step %d: %s", step, wf_error_name(e));
            for (unsigned k = 0; k < count; k++) {
                struct cap c = W.root[next + k].cap;
                cr_assert_eq(cap_type(c), (enum cap_type)type);
                cr_assert_eq(pa_of(c), base + start + ((uint64_t)k << ob), "object %u placed", k);
                cr_assert_eq(pa_of(c) % (1ull << ob), 0, "object aligned to its size");
                if (type == WF_OBJ_CNODE || type == WF_OBJ_ENDPOINT)
                    cr_assert(all_zero(pa_of(c), 1ull << ob), "new object memory is zero");
            }
            wm = start + ((uint64_t)count << ob);
            cr_assert_eq(cap_untyped_watermark(W.root[3].cap), wm);
            has_children = true;
            next += count;
            wf_word_t free_bytes;
            cr_assert_eq(wf_untyped_describe(3, NULL, NULL, NULL, &free_bytes), WF_ERR_OK);
            cr_assert_eq(free_bytes, (1ull << 16) - wm);
        }
        /* Live objects never overlap. */
        for (unsigned i = 16; i < next; i++)
            for (unsigned j = i + 1; j < next; j++) {
                struct cap a = W.root[i].cap, b = W.root[j].cap;
                if (cap_is_null(a) || cap_is_null(b) || cap_type(a) == CAP_UNTYPED ||
                    cap_type(b) == CAP_UNTYPED)
                    continue;
                paddr_t pa = pa_of(a), pb = pa_of(b);
                unsigned ba = cap_type(a) == CAP_CNODE ? cap_cnode_radix(a) + 5
                              : cap_type(a) == CAP_TCB ? 11
                                                       : 5;
                unsigned bb = cap_type(b) == CAP_CNODE ? cap_cnode_radix(b) + 5
                              : cap_type(b) == CAP_TCB ? 11
                                                       : 5;
                cr_assert(pa + (1ull << ba) <= pb || pb + (1ull << bb) <= pa, "objects overlap");
            }
        world_fini();
    }
}

Test(cap_untyped, reset_zeroes_in_preemptible_chunks)
{
    for (uint32_t budget = 1; budget <= 64; budget *= 4) {
        world_init(20, true); /* boot hands out dirty memory, watermark at the top */
        cr_assert_eq(cap_untyped_watermark(W.root[WORLD_ROOT_UT].cap), 1u << 20);
        W.budget = budget;
        world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 10, 1);
        unsigned chunks = (1u << 20) >> UNTYPED_RESET_CHUNK_BITS;
        cr_assert_geq(W.restarts, chunks / budget - 1, "budget %u: %u restarts", budget,
                      W.restarts);
        cr_assert(all_zero(WORLD_PHYS_BASE, 1u << 20), "budget %u: memory not zeroed", budget);
        /* Used memory is zeroed again once the untyped has no children. */
        cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, 10, 64), WF_ERR_OK);
        memset(W.mem, 0x77, 32); /* what the endpoint left below the watermark */
        world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 10, 1);
        cr_assert_eq(pa_of(W.root[10].cap), WORLD_PHYS_BASE, "reset starts from 0");
        cr_assert(all_zero(WORLD_PHYS_BASE, 1u << 20));
        world_fini();
    }
}

Test(cap_untyped, reset_preempted_midway_keeps_upper_memory_zero)
{
    world_init(18, true);
    W.budget = 5;
    preempt_begin(5);
    struct slot *ut = &W.root[WORLD_ROOT_UT];
    uint64_t top = cap_untyped_watermark(ut->cap);
    while (untyped_reset(ut) == WF_ERR_PREEMPTED) {
        uint64_t wm = cap_untyped_watermark(ut->cap);
        cr_assert_lt(wm, top, "each attempt lowers the watermark");
        cr_assert(all_zero(WORLD_PHYS_BASE + wm, (1u << 18) - wm),
                  "memory above the watermark is zero");
        top = wm;
        preempt_begin(5);
    }
    cr_assert_eq(cap_untyped_watermark(ut->cap), 0);
    world_fini();
}

Test(cap_untyped, every_error_with_its_details_and_no_side_effect)
{
    world_init(16, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 5, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 2, 6, 1); /* a 4-slot CNode */
    struct cap before = W.root[WORLD_ROOT_UT].cap;
    wf_word_t r[4];
    enum wf_error e;

    static const uint64_t bad_types[] = {0, WF_OBJ_COUNT, 15, 31, 99, ~0ull};
    for (unsigned i = 0; i < ARRAY_SIZE(bad_types); i++) {
        e = retype(WORLD_ROOT_UT, bad_types[i], 0, 0, 0, 20, 1, r);
        cr_assert_eq(e, WF_ERR_INVALID_ARGUMENT, "type %llu", (unsigned long long)bad_types[i]);
        cr_assert_eq(r[0], ARG_UNTYPED_RETYPE_TYPE);
    }
    e = retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 3, 0, 0, 20, 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[0] == 1 && r[1] == 4 && r[2] == 47);
    e = retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 48, 0, 0, 20, 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[1] == 4 && r[2] == 47);
    e = retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 0, 0, 0, 20, 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[0] == 1 && r[1] == 1 && r[2] == 20);
    e = retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 21, 0, 0, 20, 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[2] == 20);

    /* Destination CNode lookups. */
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 6, 65, 0, 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[0] == 3 && r[1] == 0 && r[2] == 64);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 5, 64, 0, 1, r); /* an endpoint */
    cr_assert(e == WF_ERR_FAILED_LOOKUP && r[0] == 0 && r[1] == WF_LOOKUP_FAULT_NOT_CNODE &&
              r[2] == 1);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 7, 64, 0, 1, r); /* empty */
    cr_assert(e == WF_ERR_FAILED_LOOKUP && r[1] == WF_LOOKUP_FAULT_EMPTY_SLOT);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 1ull << 40 | 6, 64, 0, 1, r);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && r[1] == WF_LOOKUP_FAULT_GUARD_MISMATCH && r[2] == 0 &&
              r[3] == 64);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 6, 32, 0, 1, r);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && r[1] == WF_LOOKUP_FAULT_GUARD_MISMATCH && r[3] == 32);

    /* The window in the destination CNode (the 4-slot one at root slot 6). */
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 6, 64, 4, 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[0] == 4 && r[1] == 0 && r[2] == 3);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 6, 64, 1, 0, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[0] == 5 && r[1] == 1 && r[2] == WF_RETYPE_FANOUT_MAX);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 0, 0, 0, WF_RETYPE_FANOUT_MAX + 1, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[2] == WF_RETYPE_FANOUT_MAX);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 6, 64, 1, 4, r);
    cr_assert(e == WF_ERR_RANGE_ERROR && r[0] == 5 && r[2] == 3);
    e = retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 0, 0, 3, 4, r); /* root slots 3-6: 5, 6 used */
    cr_assert(e == WF_ERR_DELETE_FIRST && r[0] == 5);

    /* Memory. */
    e = retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 17, 0, 0, 20, 1, r);
    cr_assert(e == WF_ERR_NOT_ENOUGH_MEMORY);
    uint64_t free_bytes = (1u << 16) - cap_untyped_watermark(before);
    e = retype(WORLD_ROOT_UT, WF_OBJ_TCB, 0, 0, 0, 20, 32, r);
    cr_assert(e == WF_ERR_NOT_ENOUGH_MEMORY && r[0] == free_bytes);

    /* Wrong caps. */
    wf_word_t w[6] = {WF_OBJ_ENDPOINT, 0, 0, 0, 20, 1};
    e = call(WORLD_ROOT_UT, WF_LABEL_UNTYPED_RETYPE, w, 6, 5, r); /* root is an endpoint */
    cr_assert(e == WF_ERR_INVALID_CAPABILITY && r[0] == 0);
    e = call(5, WF_LABEL_UNTYPED_RETYPE, w, 6, WORLD_ROOT_CNODE, r); /* invoking an endpoint */
    cr_assert_eq(e, WF_ERR_ILLEGAL_OPERATION);
    e = call(WORLD_ROOT_UT, WF_LABEL_UNTYPED_RETYPE, w, 5, WORLD_ROOT_CNODE, r);
    cr_assert(e == WF_ERR_TRUNCATED_MESSAGE && r[0] == 6 && r[1] == 1);
    e = call(WORLD_ROOT_UT, WF_LABEL_UNTYPED_RETYPE, w, 6, 0, r);
    cr_assert(e == WF_ERR_TRUNCATED_MESSAGE && r[0] == 6 && r[1] == 1);

    cr_assert_eq(W.root[WORLD_ROOT_UT].cap.w0, before.w0, "no side effect");
    cr_assert_eq(W.root[WORLD_ROOT_UT].cap.w1, before.w1, "no side effect");
    cr_assert_eq(world_count_caps(W.root, 256), 4, "no slot was filled");
    world_fini();
}

Test(cap_untyped, fan_out_limit_fills_a_whole_cnode)
{
    world_init(16, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 8, 10, 1);
    wf_word_t r[4];
    cr_assert_eq(retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 10, 64, 0, WF_RETYPE_FANOUT_MAX, r),
                 WF_ERR_OK);
    cr_assert_eq(world_count_caps(cap_cnode_slots(W.root[10].cap), 256), 256);
    world_fini();
}

Test(cap_untyped, device_untyped_is_never_zeroed_and_makes_only_untyped)
{
    world_init(21, false);
    /* The upper MiB of the world stands for a device: a root device untyped. */
    paddr_t dev = WORLD_PHYS_BASE + (1u << 20);
    memset(W.mem + (1u << 20), 0xd5, 1u << 20);
    cdt_insert_root(&W.root[40], untyped_boot_cap(dev, 20, true));
    wf_word_t r[4];
    static const uint64_t kernel_types[] = {WF_OBJ_CNODE, WF_OBJ_TCB, WF_OBJ_ENDPOINT,
                                            WF_OBJ_NOTIFICATION, WF_OBJ_REPLY};
    for (unsigned i = 0; i < ARRAY_SIZE(kernel_types); i++) {
        cr_assert_eq(retype(40, kernel_types[i], 2, 0, 0, 50, 1, r), WF_ERR_INVALID_ARGUMENT);
        cr_assert_eq(r[0], ARG_UNTYPED_RETYPE_TYPE);
    }
    cr_assert_eq(retype(40, WF_OBJ_UNTYPED, 12, 0, 0, 50, 2, r), WF_ERR_OK);
    cr_assert(cap_untyped_is_device(W.root[50].cap), "children of device untyped are device");
    cr_assert_eq(retype(50, WF_OBJ_ENDPOINT, 0, 0, 0, 60, 1, r), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, 40, 64), WF_ERR_OK);
    cr_assert_eq(retype(40, WF_OBJ_UNTYPED, 20, 0, 0, 50, 1, r), WF_ERR_OK,
                 "reset a device untyped");
    for (unsigned i = 0; i < (1u << 20); i++)
        cr_assert_eq(W.mem[(1u << 20) + i], 0xd5, "device memory was written at %u", i);
    world_fini();
}

Test(cap_untyped, copies_hand_over_the_free_memory)
{
    world_init(16, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_UNTYPED, 12, 10, 1);
    world_retype(10, WF_OBJ_ENDPOINT, 0, 11, 1);
    wf_word_t r[4];
    /* With children: no copy. */
    cr_assert_eq(wf_cnode_copy(WORLD_ROOT_CNODE, 20, 64, WORLD_ROOT_CNODE, 10, 64, WF_RIGHTS_ALL),
                 WF_ERR_REVOKE_FIRST);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, 11, 64), WF_ERR_OK);
    cr_assert_eq(wf_cnode_mint(WORLD_ROOT_CNODE, 20, 64, WORLD_ROOT_CNODE, 10, 64, 0, 1),
                 WF_ERR_INVALID_ARGUMENT, "untyped caps take no data");
    cr_assert_eq(wf_cnode_copy(WORLD_ROOT_CNODE, 20, 64, WORLD_ROOT_CNODE, 10, 64, WF_RIGHTS_ALL),
                 WF_ERR_OK);
    /* The source allocates no more; the copy does, from the start. */
    cr_assert_eq(retype(10, WF_OBJ_ENDPOINT, 0, 0, 0, 30, 1, r), WF_ERR_NOT_ENOUGH_MEMORY);
    cr_assert_eq(r[0], 0);
    cr_assert_eq(retype(20, WF_OBJ_ENDPOINT, 0, 0, 0, 30, 1, r), WF_ERR_OK);
    cr_assert_eq(pa_of(W.root[30].cap), cap_untyped_paddr(W.root[10].cap));
    /* Revoking the source removes the copy and its objects; the source resets. */
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, 10, 64), WF_ERR_OK);
    cr_assert(slot_is_empty(&W.root[20]) && slot_is_empty(&W.root[30]));
    cr_assert_eq(retype(10, WF_OBJ_ENDPOINT, 0, 0, 0, 30, 1, r), WF_ERR_OK);
    cr_assert_eq(pa_of(W.root[30].cap), cap_untyped_paddr(W.root[10].cap));
    wf_word_t pa, bits, dev, free_bytes;
    cr_assert_eq(wf_untyped_describe(10, &pa, &bits, &dev, &free_bytes), WF_ERR_OK);
    cr_assert(pa == cap_untyped_paddr(W.root[10].cap) && bits == 12 && dev == 0 &&
              free_bytes == 4096 - 32);
    world_fini();
}

Test(cap_untyped, new_tcb_is_initialised)
{
    world_init(16, true);
    world_retype(WORLD_ROOT_UT, WF_OBJ_TCB, 0, 10, 1);
    struct tcb *t = cap_object(W.root[10].cap);
    cr_assert(reaper_is_empty(&t->reaper));
    cr_assert_eq(t->state, TCB_INACTIVE);
    for (int i = 0; i < WF_TCB_SLOT_COUNT; i++)
        cr_assert(slot_is_empty(&t->slots[i]));
    world_fini();
}
