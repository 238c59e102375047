/*
 * CNode invocations on the root CNode through the generated stubs (weft/invoke.h):
 * Copy, Mint, Move, Delete and Revoke, their results seen through
 * DEBUG_CAP_IDENTIFY and Untyped_Describe, and the errors (with details) each
 * malformed invocation produces; CNode_Describe (every object type, badges,
 * guards, the derivation-tree flags across Copy, Mint, Move and Revoke, and the
 * lookup errors). Objects come from the smallest RAM untyped in
 * bootinfo; tests that retype revoke it before they end.
 */
#include "weft/invoke.h"
#include "wf/syscall.h"
#include "wftest.h"

#define ROOT WF_ROOT_CNODE
#define ALL  (WF_RIGHT_READ | WF_RIGHT_WRITE | WF_RIGHT_GRANT | WF_RIGHT_GRANT_REPLY)

/* Slot of the smallest RAM untyped of at least 4 KiB; 0 if none. */
static wf_cptr_t small_untyped(void)
{
    const struct wf_bootinfo *bi = test_bootinfo;
    wf_cptr_t best = 0;
    unsigned bits = 64;
    for (unsigned i = 0; i < bi->untyped_count; i++) {
        const struct wf_bootinfo_untyped *u = &bi->untyped[i];
        if (!u->device && u->size_bits >= 12 && u->size_bits < bits) {
            bits = u->size_bits;
            best = bi->untyped_first + i;
        }
    }
    return best;
}

/* Calls label on cap with words and one src_root cap; details land in d[]. */
static wf_word_t d[WF_REPLY_MAX_WORDS];
static enum wf_error call(wf_cptr_t cap, wf_word_t label, const wf_word_t *w, unsigned nw,
                          wf_cptr_t xcap, unsigned nc)
{
    for (unsigned i = 0; i < WF_REPLY_MAX_WORDS; i++)
        d[i] = 0xeeee;
    return (enum wf_error)wf_call(cap, label, w, nw, &xcap, nc, d, WF_REPLY_MAX_WORDS);
}

TEST(cnode, copy_then_delete)
{
    wf_cptr_t s = test_slot(0);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, s, 64, ROOT, WF_ROOT_CNODE, 64, ALL), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(s), WF_OBJ_CNODE);
    /* The copy works as the root CNode: copy the TCB cap through it. */
    TEST_ASSERT_ERR(wf_cnode_copy(s, test_slot(1), 64, ROOT, WF_ROOT_TCB, 64, ALL), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(1)), WF_OBJ_TCB);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, test_slot(1), 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, s, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(s), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(1)), 0);
    /* Deleting an empty slot is not an error. */
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, s, 64), WF_ERR_OK);
    /* The originals are untouched. */
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_CNODE), WF_OBJ_CNODE);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_TCB), WF_OBJ_TCB);
}

TEST(cnode, copy_errors)
{
    wf_cptr_t s = test_slot(0), empty = test_slot(1);
    wf_word_t radix = test_bootinfo->cnode_radix;
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, s, 64, ROOT, WF_ROOT_TCB, 64, ALL), WF_ERR_OK);
    /* Destination occupied. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, s, 64, ROOT, WF_ROOT_CNODE, 64, ALL), WF_ERR_DELETE_FIRST);
    /* Source empty: the lookup from src_root (cap 0) ends at an empty slot. */
    const wf_word_t from_empty[] = {test_slot(2), 64, empty, 64, ALL};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, from_empty, 5, ROOT, 1), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(d[0], 0);
    TEST_ASSERT_EQ(d[1], WF_LOOKUP_FAULT_EMPTY_SLOT);
    /* Depths outside 1..64, for the destination (argument 1) and source (3). */
    const wf_word_t depth0[] = {test_slot(2), 0, WF_ROOT_TCB, 64, ALL};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, depth0, 5, ROOT, 1), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], 1);
    TEST_ASSERT_EQ(d[2], 64);
    const wf_word_t depth65[] = {test_slot(2), 64, WF_ROOT_TCB, 65, ALL};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, depth65, 5, ROOT, 1), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 3);
    /* A destination past the root CNode: its guard of zero bits does not match. */
    const wf_word_t far[] = {(wf_word_t)1 << radix, 64, WF_ROOT_TCB, 64, ALL};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, far, 5, ROOT, 1), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(d[0], WF_CAP_INVOKED);
    TEST_ASSERT_EQ(d[1], WF_LOOKUP_FAULT_GUARD_MISMATCH);
    /* src_root that is not a CNode cap (the TCB): cap argument 0 is invalid. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, test_slot(2), 64, WF_ROOT_TCB, WF_ROOT_TCB, 64, ALL),
                    WF_ERR_INVALID_CAPABILITY);
    /* Too few words or caps. */
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, far, 4, ROOT, 1), WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(d[0], 5);
    TEST_ASSERT_EQ(d[1], 1);
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_COPY, far, 5, ROOT, 0), WF_ERR_TRUNCATED_MESSAGE);
    /* A CNode method on a TCB cap, and an unknown label. */
    TEST_ASSERT_ERR(wf_cnode_copy(WF_ROOT_TCB, test_slot(2), 64, ROOT, WF_ROOT_TCB, 64, ALL),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(call(ROOT, 0xfff, far, 5, ROOT, 1), WF_ERR_ILLEGAL_OPERATION);
    /* Nothing landed anywhere. */
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(2)), 0);
}

TEST(cnode, move_keeps_the_cap)
{
    wf_cptr_t a = test_slot(0), b = test_slot(1);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, a, 64, ROOT, WF_ROOT_TCB, 64, ALL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, b, 64, ROOT, a, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(a), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), WF_OBJ_TCB);
    /* From an empty slot; onto an occupied one; depth out of range. */
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, test_slot(2), 64, ROOT, a, 64), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, b, 64, ROOT, WF_ROOT_TCB, 64), WF_ERR_DELETE_FIRST);
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, a, 65, ROOT, b, 64), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b), WF_OBJ_TCB);
}

TEST(cnode, delete_and_revoke_errors)
{
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, test_slot(0), 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, test_slot(0), 65), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, test_slot(0), 0), WF_ERR_RANGE_ERROR);
    wf_word_t far = (wf_word_t)1 << test_bootinfo->cnode_radix;
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, far, 64), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, far, 64), WF_ERR_FAILED_LOOKUP);
    /* Revoking a cap without descendants, or an empty slot, changes nothing. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, test_slot(0), 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, WF_ROOT_TCB, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(WF_ROOT_TCB), WF_OBJ_TCB);
}

TEST(cnode, mint_badges_and_revoke_removes_descendants)
{
    wf_cptr_t ut = small_untyped();
    if (!ut)
        TEST_SKIP("no RAM untyped of 4 KiB or more");
    wf_cptr_t ep = test_slot(0), c1 = test_slot(1), c2 = test_slot(2), b1 = test_slot(3);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, ep, 1), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), WF_OBJ_ENDPOINT);
    /* Two copies and a badged mint of the endpoint. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, c1, 64, ROOT, ep, 64, WF_RIGHT_WRITE), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, c2, 64, ROOT, c1, 64, ALL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, b1, 64, ROOT, ep, 64, ALL, 0x2a), WF_ERR_OK);
    /* A badge is set once; a badge on a TCB cap is refused; unknown rights bits. */
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, test_slot(4), 64, ROOT, b1, 64, ALL, 0x2b),
                    WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, test_slot(4), 64, ROOT, WF_ROOT_TCB, 64, ALL, 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, test_slot(4), 64, ROOT, ep, 64, 1u << 9),
                    WF_ERR_INVALID_ARGUMENT);
    /* Copying the untyped while it has children. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, test_slot(4), 64, ROOT, ut, 64, ALL), WF_ERR_REVOKE_FIRST);
    TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(4)), 0);
    /* Revoke the endpoint: every copy and the badged cap go, the endpoint stays. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, ep, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), WF_OBJ_ENDPOINT);
    TEST_ASSERT_EQ(wf_debug_cap_identify(c1), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(c2), 0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(b1), 0);
    /* Revoke the untyped: the endpoint is destroyed, the memory free again. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, ut, 64), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), 0);
    wf_word_t bits = 0, free_bytes = 0;
    TEST_ASSERT_ERR(wf_untyped_describe(ut, 0, &bits, 0, &free_bytes), WF_ERR_OK);
    TEST_ASSERT_EQ(free_bytes, (wf_word_t)1 << bits);
}

TEST(cnode, retype_errors_leave_no_objects)
{
    wf_cptr_t ut = small_untyped();
    if (!ut)
        TEST_SKIP("no RAM untyped of 4 KiB or more");
    wf_word_t bits = 0;
    TEST_ASSERT_ERR(wf_untyped_describe(ut, 0, &bits, 0, 0), WF_ERR_OK);
    /* Unknown type; zero and too many objects; an occupied destination. */
    TEST_ASSERT_ERR(wf_untyped_retype(ut, 99, 0, ROOT, 0, 0, test_slot(0), 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, test_slot(0), 0),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, test_slot(0),
                                      WF_RETYPE_FANOUT_MAX + 1),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, WF_ROOT_TCB, 1),
                    WF_ERR_DELETE_FIRST);
    /* More than the untyped holds: an untyped child of its own size, twice. */
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_UNTYPED, bits, ROOT, 0, 0, test_slot(0), 2),
                    WF_ERR_NOT_ENOUGH_MEMORY);
    for (unsigned i = 0; i < 3; i++)
        TEST_ASSERT_EQ(wf_debug_cap_identify(test_slot(i)), 0);
    wf_word_t free_bytes = 0;
    TEST_ASSERT_ERR(wf_untyped_describe(ut, 0, 0, 0, &free_bytes), WF_ERR_OK);
    TEST_ASSERT_EQ(free_bytes, (wf_word_t)1 << bits);
}

/* CNode_Describe of slot s of the root CNode into r[0..3] (type, rights, data,
 * flags); r is filled with a marker first. */
static enum wf_error describe(wf_cptr_t s, wf_word_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = 0xeeee;
    return wf_cnode_describe(ROOT, s, 64, &r[0], &r[1], &r[2], &r[3]);
}

#define ASSERT_DESCRIBES(s, type, rights, data, flags)                                             \
    do {                                                                                           \
        wf_word_t r_[4];                                                                           \
        TEST_ASSERT_ERR(describe(s, r_), WF_ERR_OK);                                               \
        TEST_ASSERT_EQ(r_[0], (wf_word_t)(type));                                                  \
        TEST_ASSERT_EQ(r_[1], (wf_word_t)(rights));                                                \
        TEST_ASSERT_EQ(r_[2], (wf_word_t)(data));                                                  \
        TEST_ASSERT_EQ(r_[3], (wf_word_t)(flags));                                                 \
    } while (0)

/* The type of slot s as CNode_Describe reports it (0xeeee if it fails). */
static wf_word_t type_of(wf_cptr_t s)
{
    wf_word_t r[4];
    return describe(s, r) == WF_ERR_OK ? r[0] : 0xeeee;
}

#define ORIG WF_DESCRIBE_ORIGINAL
#define KIDS WF_DESCRIBE_HAS_CHILDREN

TEST(cnode, describe_every_object_type)
{
    wf_cptr_t ut = small_untyped();
    if (!ut)
        TEST_SKIP("no RAM untyped of 4 KiB or more");
    /* An empty slot, and the null slot, report zeros. */
    ASSERT_DESCRIBES(test_slot(0), 0, 0, 0, 0);
    ASSERT_DESCRIBES(WF_ROOT_NULL, 0, 0, 0, 0);
    /* The root task's caps: the root CNode's guard makes a CPtr a slot index. */
    wf_word_t r[4];
    TEST_ASSERT_ERR(describe(WF_ROOT_CNODE, r), WF_ERR_OK);
    TEST_ASSERT_EQ(r[0], WF_OBJ_CNODE);
    TEST_ASSERT_EQ(r[1], WF_RIGHTS_ALL);
    TEST_ASSERT_EQ(r[2], WF_GUARD(0, 64 - test_bootinfo->cnode_radix));
    static const struct {
        wf_cptr_t slot;
        wf_word_t type;
    } roots[] = {
        {WF_ROOT_TCB, WF_OBJ_TCB},       {WF_ROOT_VSPACE, WF_OBJ_VSPACE},
        {WF_ROOT_POOL, WF_OBJ_POOL},     {WF_ROOT_IRQ_CONTROL, WF_OBJ_IRQ_CONTROL},
        {WF_ROOT_IOPORT, WF_OBJ_IOPORT}, {WF_ROOT_STACK, WF_OBJ_VMO},
    };
    for (unsigned i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        TEST_ASSERT_ERR(describe(roots[i].slot, r), WF_ERR_OK);
        TEST_ASSERT(r[0] == roots[i].type && r[2] == 0, "root slot %llu: type %llu data %llu",
                    (unsigned long long)roots[i].slot, (unsigned long long)r[0],
                    (unsigned long long)r[2]);
        TEST_ASSERT(r[3] <= (ORIG | KIDS), "flags %#llx", (unsigned long long)r[3]);
    }
    /* The stack VMO is readable and writable; a read-only copy reports Read. */
    TEST_ASSERT_ERR(describe(WF_ROOT_STACK, r), WF_ERR_OK);
    TEST_ASSERT_EQ(r[1] & (WF_RIGHT_READ | WF_RIGHT_WRITE), WF_RIGHT_READ | WF_RIGHT_WRITE);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, test_slot(12), 64, ROOT, WF_ROOT_STACK, 64, WF_RIGHT_READ),
                    WF_ERR_OK);
    ASSERT_DESCRIBES(test_slot(12), WF_OBJ_VMO, WF_RIGHT_READ, 0, 0);
    /* An untyped from bootinfo: original, childless before the retypes. */
    ASSERT_DESCRIBES(ut, WF_OBJ_UNTYPED, WF_RIGHTS_ALL, 0, ORIG);
    /* New objects: each an original without children. */
    static const struct {
        wf_word_t type, size_bits;
    } made[] = {
        {WF_OBJ_TCB, 0},   {WF_OBJ_CNODE, 4},        {WF_OBJ_ENDPOINT, 0},
        {WF_OBJ_REPLY, 0}, {WF_OBJ_NOTIFICATION, 0}, {WF_OBJ_UNTYPED, 4},
    };
    for (unsigned i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        TEST_ASSERT_ERR(
            wf_untyped_retype(ut, made[i].type, made[i].size_bits, ROOT, 0, 0, test_slot(1 + i), 1),
            WF_ERR_OK);
        TEST_ASSERT_ERR(describe(test_slot(1 + i), r), WF_ERR_OK);
        TEST_ASSERT(r[0] == made[i].type && r[2] == 0 && r[3] == ORIG,
                    "made type %llu: type %llu rights %#llx data %#llx flags %#llx",
                    (unsigned long long)made[i].type, (unsigned long long)r[0],
                    (unsigned long long)r[1], (unsigned long long)r[2], (unsigned long long)r[3]);
        /* Rights: every right, on the types that carry them and the rest alike. */
        TEST_ASSERT_EQ(r[1], WF_RIGHTS_ALL);
    }
    /* The untyped now has children. */
    ASSERT_DESCRIBES(ut, WF_OBJ_UNTYPED, WF_RIGHTS_ALL, 0, ORIG | KIDS);
    /* An IRQHandler and an issued IOPort range. */
    TEST_ASSERT_ERR(
        wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, 5, WF_IRQ_TRIGGER_DEFAULT, ROOT, test_slot(10), 64),
        WF_ERR_OK);
    TEST_ASSERT_EQ(type_of(test_slot(10)), WF_OBJ_IRQ_HANDLER);
    TEST_ASSERT_ERR(wf_ioport_issue(WF_ROOT_IOPORT, 0x70, 0x71, ROOT, test_slot(11), 64),
                    WF_ERR_OK);
    ASSERT_DESCRIBES(test_slot(11), WF_OBJ_IOPORT, WF_RIGHTS_ALL, 0, 0);
    /* A slot of the new CNode (radix 4, no guard), invoked directly. */
    wf_cptr_t cn = test_slot(2);
    TEST_ASSERT_ERR(wf_cnode_copy(cn, 5, 4, ROOT, WF_ROOT_TCB, 64, ALL), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_describe(cn, 5, 4, &r[0], &r[1], &r[2], &r[3]), WF_ERR_OK);
    TEST_ASSERT_EQ(r[0], WF_OBJ_TCB);
    TEST_ASSERT_EQ(r[3], 0); /* a copy: not an original */
    /* Lookup failures below the first level: a TCB cap where a CNode should be,
     * an empty slot with bits left, too few bits for the radix. */
    const wf_word_t through_tcb[] = {5 << 4 | 1, 8};
    TEST_ASSERT_ERR(call(cn, WF_LABEL_CNODE_DESCRIBE, through_tcb, 2, 0, 0), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT(d[0] == WF_CAP_INVOKED && d[1] == WF_LOOKUP_FAULT_NOT_CNODE && d[2] == 1 &&
                    d[3] == 4,
                "details %llu %llu %llu %llu", (unsigned long long)d[0], (unsigned long long)d[1],
                (unsigned long long)d[2], (unsigned long long)d[3]);
    const wf_word_t through_empty[] = {6 << 4 | 1, 8};
    TEST_ASSERT_ERR(call(cn, WF_LABEL_CNODE_DESCRIBE, through_empty, 2, 0, 0),
                    WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(d[1], WF_LOOKUP_FAULT_EMPTY_SLOT);
    const wf_word_t too_few[] = {1, 3};
    TEST_ASSERT_ERR(call(cn, WF_LABEL_CNODE_DESCRIBE, too_few, 2, 0, 0), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(d[1], WF_LOOKUP_FAULT_DEPTH_MISMATCH);
    /* An empty slot of it reports zeros. */
    TEST_ASSERT_ERR(wf_cnode_describe(cn, 6, 4, &r[0], &r[1], &r[2], &r[3]), WF_ERR_OK);
    TEST_ASSERT(r[0] == 0 && r[1] == 0 && r[2] == 0 && r[3] == 0);
    TEST_ASSERT_ERR(wf_cnode_delete(cn, 5, 4), WF_ERR_OK);
    for (unsigned i = 10; i < 13; i++)
        TEST_ASSERT_ERR(wf_cnode_delete(ROOT, test_slot(i), 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, ut, 64), WF_ERR_OK);
    ASSERT_DESCRIBES(ut, WF_OBJ_UNTYPED, WF_RIGHTS_ALL, 0, ORIG);
    ASSERT_DESCRIBES(test_slot(1), 0, 0, 0, 0);
}

TEST(cnode, describe_badges_guards_and_tree_flags)
{
    wf_cptr_t ut = small_untyped();
    if (!ut)
        TEST_SKIP("no RAM untyped of 4 KiB or more");
    wf_cptr_t ep = test_slot(0), c1 = test_slot(1), b1 = test_slot(2), b1c = test_slot(3);
    wf_cptr_t cn = test_slot(4), cg = test_slot(5), nt = test_slot(6), nb = test_slot(7);
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, ep, 1), WF_ERR_OK);
    ASSERT_DESCRIBES(ep, WF_OBJ_ENDPOINT, ALL, 0, ORIG);
    /* A copy with fewer rights: the source gets a child, the copy is not original. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, c1, 64, ROOT, ep, 64, WF_RIGHT_WRITE), WF_ERR_OK);
    ASSERT_DESCRIBES(ep, WF_OBJ_ENDPOINT, ALL, 0, ORIG | KIDS);
    ASSERT_DESCRIBES(c1, WF_OBJ_ENDPOINT, WF_RIGHT_WRITE, 0, 0);
    /* A badged mint is an original of its own; a copy of it is its child. */
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, b1, 64, ROOT, ep, 64, WF_RIGHT_READ | WF_RIGHT_WRITE, 0x2a),
                    WF_ERR_OK);
    ASSERT_DESCRIBES(b1, WF_OBJ_ENDPOINT, WF_RIGHT_READ | WF_RIGHT_WRITE, 0x2a, ORIG);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, b1c, 64, ROOT, b1, 64, WF_RIGHT_WRITE), WF_ERR_OK);
    ASSERT_DESCRIBES(b1, WF_OBJ_ENDPOINT, WF_RIGHT_READ | WF_RIGHT_WRITE, 0x2a, ORIG | KIDS);
    ASSERT_DESCRIBES(b1c, WF_OBJ_ENDPOINT, WF_RIGHT_WRITE, 0x2a, 0);
    /* Revoking the badged cap takes its copy only. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, b1, 64), WF_ERR_OK);
    ASSERT_DESCRIBES(b1, WF_OBJ_ENDPOINT, WF_RIGHT_READ | WF_RIGHT_WRITE, 0x2a, ORIG);
    ASSERT_DESCRIBES(b1c, 0, 0, 0, 0);
    ASSERT_DESCRIBES(c1, WF_OBJ_ENDPOINT, WF_RIGHT_WRITE, 0, 0);
    /* Move keeps the cap and its place: the endpoint still has children. */
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, b1c, 64, ROOT, ep, 64), WF_ERR_OK);
    ASSERT_DESCRIBES(ep, 0, 0, 0, 0);
    ASSERT_DESCRIBES(b1c, WF_OBJ_ENDPOINT, ALL, 0, ORIG | KIDS);
    /* Revoking the endpoint takes the copy and the badged cap. */
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, b1c, 64), WF_ERR_OK);
    ASSERT_DESCRIBES(b1c, WF_OBJ_ENDPOINT, ALL, 0, ORIG);
    ASSERT_DESCRIBES(c1, 0, 0, 0, 0);
    ASSERT_DESCRIBES(b1, 0, 0, 0, 0);
    /* A notification's badge. */
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_NOTIFICATION, 0, ROOT, 0, 0, nt, 1), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, nb, 64, ROOT, nt, 64, WF_RIGHT_WRITE, 0x100), WF_ERR_OK);
    ASSERT_DESCRIBES(nb, WF_OBJ_NOTIFICATION, WF_RIGHT_WRITE, 0x100, ORIG);
    ASSERT_DESCRIBES(nt, WF_OBJ_NOTIFICATION, ALL, 0, ORIG | KIDS);
    /* A CNode's guard, as Mint takes it; Mutate replaces it. */
    TEST_ASSERT_ERR(wf_untyped_retype(ut, WF_OBJ_CNODE, 4, ROOT, 0, 0, cn, 1), WF_ERR_OK);
    ASSERT_DESCRIBES(cn, WF_OBJ_CNODE, ALL, 0, ORIG);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, cg, 64, ROOT, cn, 64, ALL, WF_GUARD(5, 3)), WF_ERR_OK);
    ASSERT_DESCRIBES(cg, WF_OBJ_CNODE, ALL, WF_GUARD(5, 3), 0);
    ASSERT_DESCRIBES(cn, WF_OBJ_CNODE, ALL, 0, ORIG | KIDS);
    TEST_ASSERT_ERR(wf_cnode_mutate(ROOT, c1, 64, ROOT, cg, 64, WF_GUARD(0x1234, 40)), WF_ERR_OK);
    ASSERT_DESCRIBES(c1, WF_OBJ_CNODE, ALL, WF_GUARD(0x1234, 40), 0);
    /* An untyped copy (allowed without children) is an original too, and a child. */
    wf_cptr_t ut2 = test_slot(8);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, ut, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, ut2, 64, ROOT, ut, 64, ALL), WF_ERR_OK);
    ASSERT_DESCRIBES(ut2, WF_OBJ_UNTYPED, WF_RIGHTS_ALL, 0, ORIG);
    ASSERT_DESCRIBES(ut, WF_OBJ_UNTYPED, WF_RIGHTS_ALL, 0, ORIG | KIDS);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, ut, 64), WF_ERR_OK);
    ASSERT_DESCRIBES(ut2, 0, 0, 0, 0);
    ASSERT_DESCRIBES(ut, WF_OBJ_UNTYPED, WF_RIGHTS_ALL, 0, ORIG);
}

TEST(cnode, describe_errors)
{
    /* Depths outside 1..64 (argument 1), with the details of other CNode methods. */
    const wf_word_t depth0[] = {test_slot(0), 0};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_DESCRIBE, depth0, 2, 0, 0), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 1);
    TEST_ASSERT_EQ(d[1], 1);
    TEST_ASSERT_EQ(d[2], 64);
    const wf_word_t depth65[] = {test_slot(0), 65};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_DESCRIBE, depth65, 2, 0, 0), WF_ERR_RANGE_ERROR);
    /* Past the root CNode: the guard does not match, rooted at the invoked CNode. */
    const wf_word_t far[] = {(wf_word_t)1 << test_bootinfo->cnode_radix, 64};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_DESCRIBE, far, 2, 0, 0), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(d[0], WF_CAP_INVOKED);
    TEST_ASSERT_EQ(d[1], WF_LOOKUP_FAULT_GUARD_MISMATCH);
    /* Fewer bits than the root CNode's guard. */
    const wf_word_t shallow[] = {test_slot(0), 8};
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_DESCRIBE, shallow, 2, 0, 0), WF_ERR_FAILED_LOOKUP);
    TEST_ASSERT_EQ(d[1], WF_LOOKUP_FAULT_GUARD_MISMATCH);
    /* A short message; Describe on a cap that is not a CNode. */
    TEST_ASSERT_ERR(call(ROOT, WF_LABEL_CNODE_DESCRIBE, far, 1, 0, 0), WF_ERR_TRUNCATED_MESSAGE);
    TEST_ASSERT_EQ(d[0], 2);
    TEST_ASSERT_EQ(d[1], 0);
    TEST_ASSERT_ERR(wf_cnode_describe(WF_ROOT_TCB, test_slot(0), 64, 0, 0, 0, 0),
                    WF_ERR_ILLEGAL_OPERATION);
    /* A result pointer may be NULL. */
    TEST_ASSERT_ERR(wf_cnode_describe(ROOT, WF_ROOT_TCB, 64, 0, 0, 0, 0), WF_ERR_OK);
}
