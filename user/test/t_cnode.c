/*
 * CNode invocations on the root CNode through the generated stubs (weft/invoke.h):
 * Copy, Mint, Move, Delete and Revoke, their results seen through
 * DEBUG_CAP_IDENTIFY and Untyped_Describe, and the errors (with details) each
 * malformed invocation produces. Objects come from the smallest RAM untyped in
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
