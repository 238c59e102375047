/*
 * The generated interface, end to end: user stubs (weft/invoke.h) -> the test
 * double of wf_call -> cap_invoke -> the decode table -> the object decoders.
 *
 * The decode table must agree with the generated headers; every label must be
 * refused on every other object type; every method must report a short message;
 * each error a malformed CNode or TCB invocation can produce must come back with
 * the details docs/api.md promises; the TCB's cap slots must behave as derived
 * caps (installed, replaced, revoked, deleted with the TCB); syscall numbers must
 * sit in their window, away from every Linux number. The worked example of
 * docs/capabilities.md runs here step by step.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "cap/cspace.h"
#include "cap/invoke.h"
#include "obj/notification.h"
#include "obj/tcb.h"
#include "sched/sched.h"
#include "test_cap_world.h"
#include "weft/syscalls.h"

static wf_word_t R[WF_REPLY_MAX_WORDS];

static enum wf_error call(wf_cptr_t cap, wf_word_t label, const wf_word_t *w, unsigned nw,
                          const wf_cptr_t *caps, unsigned nc)
{
    memset(R, 0xee, sizeof(R));
    return (enum wf_error)wf_call(cap, label, w, nw, caps, nc, R, WF_REPLY_MAX_WORDS);
}

#define CALL(cap, label, caps, ...)                                                                \
    ({                                                                                             \
        const wf_word_t w_[] = {__VA_ARGS__};                                                      \
        const wf_cptr_t c_[] = caps;                                                               \
        call(cap, label, w_, ARRAY_SIZE(w_), c_, ARRAY_SIZE(c_));                                  \
    })
#define CAPS(...)                                                                                  \
    {                                                                                              \
        __VA_ARGS__                                                                                \
    }

/* Root slots of the objects every test gets. */
enum { CN = 10, TCB = 11, EP = 12, NTFN = 13, CN2 = 14, TCB2 = 15, FREE = 20 };

static void objects(void)
{
    world_init(20, false);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 4, CN, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_TCB, 0, TCB, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, EP, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_NOTIFICATION, 0, NTFN, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 2, CN2, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_TCB, 0, TCB2, 1);
}

Test(cap_abi, decode_table_matches_the_headers)
{
    unsigned rows = 0;
    for (unsigned l = 0; l <= WF_LABEL_MAX; l++) {
        const struct decode_entry *e = &decode_table[l];
        if (!e->decode) {
            cr_assert(!e->name && !e->object, "label %#x: half a row", l);
            continue;
        }
        rows++;
        cr_assert(e->object > 0 && e->object < WF_OBJ_COUNT, "%s: object type", e->name);
        cr_assert_leq(e->ncaps, WF_MSG_MAX_CAPS);
        cr_assert_leq(e->nresults, WF_REPLY_MAX_WORDS);
    }
    cr_assert_eq(rows, WF_METHOD_COUNT, "one decode row per method of abi/weft.def");
    const struct decode_entry *e = &decode_table[WF_LABEL_CNODE_MINT];
    cr_assert_str_eq(e->name, "CNode_Mint");
    cr_assert(e->object == WF_OBJ_CNODE && e->nwords == WF_CNODE_MINT_NWORDS &&
              e->ncaps == WF_CNODE_MINT_NCAPS && e->cap_type[0] == WF_OBJ_CNODE);
    e = &decode_table[WF_LABEL_TCB_BIND_NOTIFICATION];
    cr_assert(e->cap_type[0] == WF_OBJ_NOTIFICATION && e->cap_rights[0] == WF_RIGHT_READ);
    e = &decode_table[WF_LABEL_UNTYPED_DESCRIBE];
    cr_assert_eq(e->nresults, WF_UNTYPED_DESCRIBE_NRESULTS);
}

Test(cap_abi, labels_refused_on_other_types_and_short_messages)
{
    objects();
    const wf_cptr_t targets[] = {WORLD_ROOT_UT, CN, TCB, EP, NTFN};
    const uint64_t types[] = {WF_OBJ_UNTYPED, WF_OBJ_CNODE, WF_OBJ_TCB, WF_OBJ_ENDPOINT,
                              WF_OBJ_NOTIFICATION};
    wf_word_t words[8] = {0};
    wf_cptr_t caps[WF_MSG_MAX_CAPS] = {CN, CN, CN};
    for (unsigned l = 0; l <= WF_LABEL_MAX + 3; l++) {
        const struct decode_entry *e = l <= WF_LABEL_MAX ? &decode_table[l] : NULL;
        for (unsigned t = 0; t < ARRAY_SIZE(targets); t++) {
            if (e && e->decode && e->object == types[t]) {
                if (e->nwords) {
                    cr_assert_eq(call(targets[t], l, words, e->nwords - 1, caps, e->ncaps),
                                 WF_ERR_TRUNCATED_MESSAGE, "%s: a word short", e->name);
                    cr_assert(R[0] == e->nwords && R[1] == e->ncaps);
                }
                if (e->ncaps)
                    cr_assert_eq(call(targets[t], l, words, e->nwords, caps, e->ncaps - 1),
                                 WF_ERR_TRUNCATED_MESSAGE, "%s: a cap short", e->name);
                continue;
            }
            cr_assert_eq(call(targets[t], l, words, 8, caps, 3), WF_ERR_ILLEGAL_OPERATION,
                         "label %#x on object type %llu", l, (unsigned long long)types[t]);
        }
    }
    world_fini();
}

Test(cap_abi, zombies_and_empty_slots_cannot_be_invoked)
{
    objects();
    struct slot z = {0};
    cdt_insert_root(&z, cap_zombie_root(ZOMBIE_CNODE, 4, W.root, 0));
    struct invocation inv = {.slot = &z, .label = WF_LABEL_CNODE_DELETE};
    wf_word_t w[2] = {1, 64};
    inv.args = w, inv.nargs = 2;
    cr_assert_eq(cap_invoke(&inv), WF_ERR_INVALID_CAPABILITY);
    cr_assert(inv.nreply == 1 && inv.reply[0] == WF_CAP_INVOKED);
    /* As an extra cap, a zombie is refused whatever type the method wants. */
    struct slot *xs[1] = {&z};
    wf_word_t wr[4] = {1, 64, 2, 64};
    inv = (struct invocation){.slot = &W.root[CN],
                              .label = WF_LABEL_CNODE_MOVE,
                              .args = wr,
                              .nargs = 4,
                              .caps = xs,
                              .ncaps = 1};
    cr_assert_eq(cap_invoke(&inv), WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(inv.reply[0], 0);
    cdt_remove(&z);
    /* An empty slot does not resolve (the syscall layer reports the same). */
    cr_assert_eq(CALL(99, WF_LABEL_CNODE_DELETE, CAPS(0), 1, 64), WF_ERR_FAILED_LOOKUP);
    cr_assert(R[0] == WF_CAP_INVOKED && R[1] == WF_LOOKUP_FAULT_EMPTY_SLOT && R[2] == 1);
    world_fini();
}

Test(cap_abi, cnode_errors_with_details)
{
    objects();
    enum wf_error e;
    /* depths */
    e = wf_cnode_copy(CN, 1, 0, WORLD_ROOT_CNODE, EP, 64, WF_RIGHTS_ALL);
    cr_assert_eq(e, WF_ERR_RANGE_ERROR);
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(WORLD_ROOT_CNODE), 1, 4, EP, 65, WF_RIGHTS_ALL);
    cr_assert(e == WF_ERR_RANGE_ERROR && R[0] == ARG_CNODE_COPY_SRC_DEPTH && R[1] == 1 &&
              R[2] == 64);
    /* destination lookups are rooted at the invoked CNode */
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(WORLD_ROOT_CNODE), 1, 5, EP, 64, WF_RIGHTS_ALL);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && R[0] == WF_CAP_INVOKED &&
              R[1] == WF_LOOKUP_FAULT_EMPTY_SLOT && R[2] == 1 && R[3] == 1);
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(WORLD_ROOT_CNODE), 1, 3, EP, 64, WF_RIGHTS_ALL);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && R[1] == WF_LOOKUP_FAULT_DEPTH_MISMATCH && R[3] == 3);
    /* source lookups are rooted at cap 0 */
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(WORLD_ROOT_CNODE), 1, 4, 1ull << 63 | EP, 64, 15);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && R[0] == 0 && R[1] == WF_LOOKUP_FAULT_GUARD_MISMATCH &&
              R[2] == 0 && R[3] == 64);
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(WORLD_ROOT_CNODE), 1, 4, FREE, 64, 15);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && R[0] == 0 && R[1] == WF_LOOKUP_FAULT_EMPTY_SLOT);
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(EP), 1, 4, EP, 64, 15);
    cr_assert(e == WF_ERR_INVALID_CAPABILITY && R[0] == 0, "a root that is not a CNode");
    /* rights and data */
    e = CALL(CN, WF_LABEL_CNODE_COPY, CAPS(WORLD_ROOT_CNODE), 1, 4, EP, 64, 16);
    cr_assert(e == WF_ERR_INVALID_ARGUMENT && R[0] == ARG_CNODE_COPY_RIGHTS);
    e = CALL(CN, WF_LABEL_CNODE_MINT, CAPS(WORLD_ROOT_CNODE), 1, 4, TCB, 64, 15, 7);
    cr_assert(e == WF_ERR_INVALID_ARGUMENT && R[0] == ARG_CNODE_MINT_DATA, "TCB caps take no data");
    e = CALL(CN, WF_LABEL_CNODE_MINT, CAPS(WORLD_ROOT_CNODE), 1, 4, CN2, 64, 15, WF_GUARD(1, 63));
    cr_assert(e == WF_ERR_INVALID_ARGUMENT && R[0] == ARG_CNODE_MINT_DATA, "guard + radix > 64");
    e = CALL(CN, WF_LABEL_CNODE_MINT, CAPS(WORLD_ROOT_CNODE), 1, 4, CN2, 64, 15, WF_GUARD(4, 2));
    cr_assert(e == WF_ERR_INVALID_ARGUMENT, "guard value wider than its size");
    cr_assert_eq(wf_cnode_mint(CN, 1, 4, WORLD_ROOT_CNODE, EP, 64, WF_RIGHT_WRITE, 0x2a),
                 WF_ERR_OK);
    struct slot *minted = &cap_cnode_slots(W.root[CN].cap)[1];
    cr_assert(cap_badge(minted->cap) == 0x2a && cap_rights(minted->cap) == WF_RIGHT_WRITE);
    e = wf_cnode_mint(CN, 2, 4, CN, 1, 4, WF_RIGHTS_ALL, 0x2b);
    cr_assert_eq(e, WF_ERR_ILLEGAL_OPERATION, "a badge is set once");
    cr_assert_eq(wf_cnode_mint(CN, 2, 4, CN, 1, 4, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    cr_assert(cap_badge(cap_cnode_slots(W.root[CN].cap)[2].cap) == 0x2a &&
                  cap_rights(cap_cnode_slots(W.root[CN].cap)[2].cap) == WF_RIGHT_WRITE,
              "rights only shrink, the badge stays");
    cr_assert_eq(wf_cnode_copy(CN, 1, 4, WORLD_ROOT_CNODE, EP, 64, 15), WF_ERR_DELETE_FIRST);
    cr_assert_eq(wf_cnode_mutate(CN, 3, 4, CN, 2, 4, 9), WF_ERR_ILLEGAL_OPERATION,
                 "Mutate cannot badge");
    cr_assert_eq(wf_cnode_move(CN, 2, 4, CN, 1, 4), WF_ERR_DELETE_FIRST);
    cr_assert_eq(wf_cnode_move(CN, 3, 4, CN, 4, 4), WF_ERR_FAILED_LOOKUP);
    /* swap */
    cr_assert_eq(wf_cnode_swap(CN, 1, 4, CN, 1, 4), WF_ERR_ILLEGAL_OPERATION);
    e = CALL(CN, WF_LABEL_CNODE_SWAP, CAPS(CN), 1, 4, 9, 4);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && R[0] == 0 && R[1] == WF_LOOKUP_FAULT_EMPTY_SLOT);
    e = CALL(CN, WF_LABEL_CNODE_SWAP, CAPS(CN), 9, 4, 1, 4);
    cr_assert(e == WF_ERR_FAILED_LOOKUP && R[0] == WF_CAP_INVOKED);
    cr_assert_eq(wf_cnode_swap(CN, 1, 4, WORLD_ROOT_CNODE, NTFN, 64), WF_ERR_OK);
    cr_assert_eq(cap_type(minted->cap), CAP_NOTIFICATION);
    cr_assert_eq(cap_badge(W.root[NTFN].cap), 0x2a);
    /* delete and revoke */
    cr_assert_eq(wf_cnode_delete(CN, 9, 4), WF_ERR_OK, "deleting an empty slot is fine");
    cr_assert_eq(wf_cnode_revoke(CN, 9, 65), WF_ERR_RANGE_ERROR);
    cr_assert_eq(wf_cnode_delete(CN, 9, 5), WF_ERR_FAILED_LOOKUP);
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, EP, 64), WF_ERR_OK);
    cr_assert(slot_is_empty(&cap_cnode_slots(W.root[CN].cap)[2]), "revoke removed the copy");
    world_fini();
}

Test(cap_abi, cnode_guards_resolve)
{
    objects();
    /* A guarded copy of CN in CN2: through it, CPtr (guard 0b101, 4-bit index). */
    cr_assert_eq(wf_cnode_mint(CN2, 0, 2, WORLD_ROOT_CNODE, CN, 64, 0, WF_GUARD(5, 3)), WF_ERR_OK);
    struct cap g = cap_cnode_slots(W.root[CN2].cap)[0].cap;
    cr_assert(cap_cnode_guard(g) == 5 && cap_cnode_guard_size(g) == 3);
    cr_assert_eq(wf_cnode_copy(CN, 7, 4, WORLD_ROOT_CNODE, EP, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    cr_assert_eq(cspace_lookup_slot(g, 0b1010111, 7).slot, &cap_cnode_slots(W.root[CN].cap)[7]);
    cr_assert_eq(wf_cnode_mutate(CN2, 1, 2, CN2, 0, 2, 0), WF_ERR_OK, "Mutate clears the guard");
    g = cap_cnode_slots(W.root[CN2].cap)[1].cap;
    cr_assert_eq(cap_cnode_guard_size(g), 0);
    world_fini();
}

static struct tcb *tcb_at(int slot)
{
    return cap_object(W.root[slot].cap);
}

Test(cap_abi, tcb_slots_hold_derived_caps)
{
    objects();
    struct tcb *t = tcb_at(TCB);
    /* CSpace: a guarded copy of CN, a child of CN's cap. */
    cr_assert_eq(wf_tcb_set_cspace(TCB, CN, WF_GUARD(0, 61)), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(wf_tcb_set_cspace(TCB, EP, 0), WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(wf_tcb_set_cspace(TCB, CN, WF_GUARD(0, 60)), WF_ERR_OK);
    struct slot *cs = &t->slots[WF_TCB_SLOT_CSPACE];
    cr_assert(cap_type(cs->cap) == CAP_CNODE && cap_cnode_guard_size(cs->cap) == 60);
    cr_assert(cdt_is_parent_of(&W.root[CN], cs));
    /* Fault endpoint: needs Write. */
    cr_assert_eq(
        wf_cnode_mint(WORLD_ROOT_CNODE, FREE, 64, WORLD_ROOT_CNODE, EP, 64, WF_RIGHT_READ, 0),
        WF_ERR_OK);
    cr_assert_eq(CALL(TCB, WF_LABEL_TCB_SET_FAULT_ENDPOINT, CAPS(FREE)), WF_ERR_INVALID_CAPABILITY);
    cr_assert_eq(R[0], 0);
    cr_assert_eq(wf_tcb_set_fault_endpoint(TCB, EP), WF_ERR_OK);
    /* Notification binding: one per TCB, one TCB per notification. */
    cr_assert_eq(wf_tcb_unbind_notification(TCB), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_tcb_bind_notification(TCB, NTFN), WF_ERR_OK);
    struct notification *n = cap_object(W.root[NTFN].cap);
    cr_assert_eq(notification_bound_tcb(n), t);
    cr_assert_eq(wf_tcb_bind_notification(TCB, NTFN), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_tcb_bind_notification(TCB2, NTFN), WF_ERR_ILLEGAL_OPERATION);
    cr_assert_eq(wf_tcb_unbind_notification(TCB), WF_ERR_OK);
    cr_assert_null(notification_bound_tcb(n));
    cr_assert_eq(wf_tcb_bind_notification(TCB2, NTFN), WF_ERR_OK);
    /* Revoking the notification takes the binding away behind its hint. */
    cr_assert_eq(wf_cnode_revoke(WORLD_ROOT_CNODE, NTFN, 64), WF_ERR_OK);
    cr_assert(slot_is_empty(&tcb_at(TCB2)->slots[WF_TCB_SLOT_BOUND_NTFN]));
    cr_assert_null(notification_bound_tcb(n));
    cr_assert_eq(wf_tcb_bind_notification(TCB, NTFN), WF_ERR_OK);
    /* Replacing the CSpace: the old cap is deleted first (here it is not the
     * last cap to CN, so CN lives on). */
    cr_assert_eq(wf_tcb_set_cspace(TCB, CN2, 0), WF_ERR_OK);
    cr_assert_eq(cap_cnode_slots(cs->cap), cap_cnode_slots(W.root[CN2].cap));
    cr_assert(!slot_is_empty(&W.root[CN]));
    /* Deleting the TCB deletes what it holds. */
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, TCB, 64), WF_ERR_OK);
    for (int i = 0; i < WF_TCB_SLOT_COUNT; i++)
        cr_assert(slot_is_empty(&t->slots[i]), "TCB slot %d", i);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, FREE, 64), WF_ERR_OK);
    cr_assert(!cdt_has_children(&W.root[CN2]) && !cdt_has_children(&W.root[EP]));
    cr_assert(!cdt_has_children(&W.root[NTFN]));
    cr_assert_null(notification_bound_tcb(n));
    world_fini();
}

Test(cap_abi, describe_reports_caps_zombies_and_thread_states)
{
    objects();
    wf_word_t type, rights, data, flags;
    /* A minted notification: badge, rights, an original without children. */
    cr_assert_eq(
        wf_cnode_mint(WORLD_ROOT_CNODE, FREE, 64, WORLD_ROOT_CNODE, NTFN, 64, WF_RIGHT_WRITE, 0x77),
        WF_ERR_OK);
    cr_assert_eq(wf_cnode_describe(WORLD_ROOT_CNODE, FREE, 64, &type, &rights, &data, &flags),
                 WF_ERR_OK);
    cr_assert(type == WF_OBJ_NOTIFICATION && rights == WF_RIGHT_WRITE && data == 0x77 &&
              flags == WF_DESCRIBE_ORIGINAL);
    cr_assert_eq(wf_cnode_describe(WORLD_ROOT_CNODE, NTFN, 64, &type, &rights, &data, &flags),
                 WF_ERR_OK);
    cr_assert(type == WF_OBJ_NOTIFICATION && rights == WF_RIGHTS_ALL && data == 0 &&
              flags == (WF_DESCRIBE_ORIGINAL | WF_DESCRIBE_HAS_CHILDREN));
    /* A slot of CN (radix 4, no guard), looked up from it. */
    cr_assert_eq(wf_cnode_describe(CN, 3, 4, &type, &rights, &data, &flags), WF_ERR_OK);
    cr_assert(type == 0 && rights == 0 && data == 0 && flags == 0);
    cr_assert_eq(CALL(CN, WF_LABEL_CNODE_DESCRIBE, CAPS(0), 3, 65), WF_ERR_RANGE_ERROR);
    cr_assert(R[0] == ARG_CNODE_DESCRIBE_DEPTH && R[1] == 1 && R[2] == 64);
    cr_assert_eq(CALL(CN, WF_LABEL_CNODE_DESCRIBE, CAPS(0), 3, 3), WF_ERR_FAILED_LOOKUP);
    cr_assert(R[0] == WF_CAP_INVOKED && R[1] == WF_LOOKUP_FAULT_DEPTH_MISMATCH);
    /* A CNode or TCB being destroyed shows as dying, and nothing else. */
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, FREE, 64), WF_ERR_OK);
    cdt_insert_root(&W.root[FREE], cap_zombie_root(ZOMBIE_TCB, 0, tcb_at(TCB2), 0));
    cr_assert_eq(wf_cnode_describe(WORLD_ROOT_CNODE, FREE, 64, &type, &rights, &data, &flags),
                 WF_ERR_OK);
    cr_assert(type == WF_OBJ_DYING && rights == 0 && data == 0 && flags == 0);
    cdt_remove(&W.root[FREE]);
    /* Every scheduler state maps to its neutral name. */
    static const struct {
        enum tcb_state kernel;
        wf_word_t user;
    } states[] = {
        {TCB_INACTIVE, WF_THREAD_STATE_INACTIVE},
        {TCB_RUNNABLE, WF_THREAD_STATE_RUNNABLE},
        {TCB_BLOCKED_SEND, WF_THREAD_STATE_BLOCKED_SEND},
        {TCB_BLOCKED_RECV, WF_THREAD_STATE_BLOCKED_RECV},
        {TCB_BLOCKED_REPLY, WF_THREAD_STATE_BLOCKED_CALL},
        {TCB_BLOCKED_NTFN, WF_THREAD_STATE_BLOCKED_NOTIFICATION},
    };
    struct tcb *t = tcb_at(TCB);
    t->prio = 17;
    t->mcp = 33;
    t->abi = WF_ABI_MODE_FOREIGN;
    for (unsigned i = 0; i < ARRAY_SIZE(states); i++) {
        t->state = states[i].kernel;
        wf_word_t st = 99, prio = 0, mcp = 0, abi = 0;
        cr_assert_eq(wf_tcb_describe(TCB, &st, &prio, &mcp, &abi), WF_ERR_OK);
        cr_assert(st == states[i].user && prio == 17 && mcp == 33 && abi == WF_ABI_MODE_FOREIGN,
                  "kernel state %u", (unsigned)states[i].kernel);
    }
    t->state = TCB_INACTIVE;
    world_fini();
}

Test(cap_abi, replacing_the_last_cap_to_a_cspace_is_preemptible)
{
    objects();
    /* A 256-slot CSpace full of endpoint caps but its null slot (slot 0, which a
     * CSpace root leaves empty), whose only cap is in the TCB. */
    world_retype(WORLD_ROOT_UT, WF_OBJ_CNODE, 8, 30, 1);
    world_retype(WORLD_ROOT_UT, WF_OBJ_ENDPOINT, 0, 31, 1);
    for (unsigned i = 1; i < 256; i++)
        cr_assert_eq(wf_cnode_copy(30, i, 8, WORLD_ROOT_CNODE, 31, 64, WF_RIGHTS_ALL), WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_cspace(TCB, 30, 0), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, 30, 64), WF_ERR_OK);
    struct slot *big = cap_cnode_slots(tcb_at(TCB)->slots[WF_TCB_SLOT_CSPACE].cap);
    W.budget = 7;
    cr_assert_eq(wf_tcb_set_cspace(TCB, CN, 0), WF_ERR_OK);
    cr_assert_gt(W.restarts, 256 / 7, "the old CSpace was emptied across restarts");
    cr_assert_eq(world_count_caps(big, 256), 0);
    cr_assert(!cdt_has_children(&W.root[31]));
    world_fini();
}

Test(cap_abi, syscall_numbers_sit_in_their_window)
{
    const uint64_t nrs[] = {WF_SYS_CALL,
                            WF_SYS_SEND,
                            WF_SYS_NBSEND,
                            WF_SYS_RECV,
                            WF_SYS_NBRECV,
                            WF_SYS_REPLY_RECV,
                            WF_SYS_SIGNAL,
                            WF_SYS_WAIT,
                            WF_SYS_POLL,
                            WF_SYS_YIELD,
                            WF_SYS_DEBUG_PUTC,
                            WF_SYS_DEBUG_CAP_IDENTIFY,
                            WF_SYS_DEBUG_DUMP_CSPACE,
                            WF_SYS_DEBUG_HALT};
    for (unsigned i = 0; i < ARRAY_SIZE(nrs); i++) {
        cr_assert(WF_SYS_IS_NATIVE(nrs[i]));
        for (unsigned j = 0; j < i; j++)
            cr_assert_neq(nrs[i], nrs[j]);
    }
    /* Linux: native numbers (x86-64, aarch64, riscv64 are all below 1024) and
     * x32 numbers (bit 30 set, small numbers below it) are never native. */
    for (uint64_t nr = 0; nr < 4096; nr++) {
        cr_assert(!WF_SYS_IS_NATIVE(nr));
        cr_assert(!WF_SYS_IS_NATIVE(0x40000000ull | nr));
    }
    cr_assert(!WF_SYS_IS_NATIVE(0xffffffff00000000ull | WF_SYS_CALL), "all 64 bits count");
    cr_assert(!WF_SYS_IS_NATIVE(WF_SYS_BASE - 1) && !WF_SYS_IS_NATIVE(WF_SYS_BASE + WF_SYS_WINDOW));
    cr_assert_str_eq(wf_error_name(WF_ERR_REVOKE_FIRST), "REVOKE_FIRST");
    cr_assert_str_eq(wf_error_name(1000), "?");
}

/* docs/capabilities.md, "A worked example", as a test: each step here is one
 * step there. */
Test(cap_abi, worked_example)
{
    world_init(20, true);
    /* 1. The root task's untyped (slot 2) becomes a CNode for the child's
     *    CSpace, a TCB and an endpoint. */
    cr_assert_eq(wf_untyped_retype(2, WF_OBJ_CNODE, 4, 1, 0, 0, 10, 1), WF_ERR_OK);
    cr_assert_eq(wf_untyped_retype(2, WF_OBJ_TCB, 0, 1, 0, 0, 11, 1), WF_ERR_OK);
    cr_assert_eq(wf_untyped_retype(2, WF_OBJ_ENDPOINT, 0, 1, 0, 0, 12, 1), WF_ERR_OK);
    /* 2. A badged, send-only endpoint cap goes into the child's CNode, slot 1. */
    cr_assert_eq(wf_cnode_mint(10, 1, 4, 1, 12, 64, WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY, 0x2a),
                 WF_ERR_OK);
    /* 3. The child's CNode becomes its CSpace root, guarded so that CPtr k is
     *    slot k; the endpoint also receives its faults. */
    cr_assert_eq(wf_tcb_set_cspace(11, 10, WF_GUARD(0, 60)), WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_fault_endpoint(11, 12), WF_ERR_OK);
    struct tcb *child = cap_object(W.root[11].cap);
    struct cap child_cspace = child->slots[WF_TCB_SLOT_CSPACE].cap;
    /* 4. In the child's CSpace, CPtr 1 names the badged cap (in the guest t_ipc.c
     *    starts the thread and delivers the badge 0x2a to the receiver). */
    struct lookup_ret lr = cspace_lookup_cap(child_cspace, 1);
    cr_assert(lr.slot && cap_type(lr.slot->cap) == CAP_ENDPOINT && cap_badge(lr.slot->cap) == 0x2a);
    cr_assert_eq(cap_rights(lr.slot->cap), WF_RIGHT_WRITE | WF_RIGHT_GRANT_REPLY);
    /* 5. Revoking the endpoint takes the child's cap (and the TCB's fault
     *    endpoint) back, wherever they are. */
    cr_assert_eq(wf_cnode_revoke(1, 12, 64), WF_ERR_OK);
    lr = cspace_lookup_cap(child_cspace, 1);
    cr_assert(!lr.slot && lr.fault == WF_LOOKUP_FAULT_EMPTY_SLOT && lr.level == 1);
    cr_assert(slot_is_empty(&child->slots[WF_TCB_SLOT_FAULT_EP]));
    /* 6. Revoking the untyped destroys the CNode, the TCB and the endpoint; the
     *    next Retype resets the memory and starts again from its base. */
    cr_assert_eq(wf_cnode_revoke(1, 2, 64), WF_ERR_OK);
    cr_assert_eq(world_count_caps(&W.root[10], 3), 0);
    cr_assert_eq(wf_untyped_retype(2, WF_OBJ_ENDPOINT, 0, 1, 0, 0, 12, 1), WF_ERR_OK);
    cr_assert_eq(world_pa(cap_object(W.root[12].cap)), WORLD_PHYS_BASE);
    world_fini();
}

extern uint64_t host_clock_ns; /* the shim's clock (arch_clock_ns) */

/* TCB_SetDeadline: the bound notification is signalled with the bits once the
 * clock reaches the deadline (not before), once; arming again replaces,
 * deadline 0 disarms; several threads with one deadline all fire; a thread
 * without a bound notification gets nothing; deleting the TCB disarms it. */
Test(cap_abi, deadlines_signal_the_bound_notification_once)
{
    objects();
    struct notification *n = cap_object(W.root[NTFN].cap);
    cr_assert_eq(wf_tcb_bind_notification(TCB, NTFN), WF_ERR_OK);
    cr_assert_eq(CALL(TCB, WF_LABEL_TCB_SET_DEADLINE, CAPS(0), 1000, 0), WF_ERR_INVALID_ARGUMENT);
    cr_assert_eq(R[0], ARG_TCB_SET_DEADLINE_BITS);
    host_clock_ns = 0;
    cr_assert_eq(wf_tcb_set_deadline(TCB, 5000, 0x4), WF_ERR_OK);
    sched_deadline_expire(4999);
    cr_assert_eq(n->word, 0);
    sched_deadline_expire(5000);
    cr_assert_eq(n->word, 0x4);
    n->word = 0;
    sched_deadline_expire(1000000); /* fired once: no second signal */
    cr_assert_eq(n->word, 0);
    /* Replace, then disarm. */
    cr_assert_eq(wf_tcb_set_deadline(TCB, 7000, 0x1), WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_deadline(TCB, 9000, 0x2), WF_ERR_OK);
    sched_deadline_expire(8000);
    cr_assert_eq(n->word, 0);
    sched_deadline_expire(9000);
    cr_assert_eq(n->word, 0x2);
    n->word = 0;
    cr_assert_eq(wf_tcb_set_deadline(TCB, 9500, 0x2), WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_deadline(TCB, 0, 0), WF_ERR_OK);
    sched_deadline_expire(~0ull);
    cr_assert_eq(n->word, 0);
    /* Two threads with one deadline, one of them bound to nothing. */
    cr_assert_eq(wf_tcb_set_deadline(TCB, 20000, 0x10), WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_deadline(TCB2, 20000, 0x20), WF_ERR_OK);
    sched_deadline_expire(20000);
    cr_assert_eq(n->word, 0x10);
    cr_assert_eq(tcb_at(TCB2)->deadline_bits, 0, "the unbound thread's timer is spent too");
    n->word = 0;
    /* Deleting an armed TCB disarms it: nothing fires into freed memory later. */
    cr_assert_eq(wf_tcb_set_deadline(TCB, 30000, 0x8), WF_ERR_OK);
    cr_assert_eq(wf_tcb_set_deadline(TCB2, 31000, 0x8), WF_ERR_OK);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, TCB, 64), WF_ERR_OK);
    sched_deadline_expire(30000);
    cr_assert_eq(n->word, 0);
    cr_assert_eq(wf_cnode_delete(WORLD_ROOT_CNODE, TCB2, 64), WF_ERR_OK);
    sched_deadline_expire(~0ull);
    world_fini();
}
