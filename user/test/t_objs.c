/*
 * Kernel objects from userspace: the null slot (slot 0 of the root CNode, what
 * CPtr 0 names) stays empty whatever writes a slot; a child pool's quota lies
 * inside its parent's limit; Pool_CreateContig of more than a pool could ever
 * give is a RANGE_ERROR. The host tests (tests/host/test_objs.c) add the error
 * details and allocation failures at every point.
 */
#include "tutil.h"

#define ROOT WF_ROOT_CNODE

/* Each writer refuses slot 0 with INVALID_ARGUMENT; the slot stays empty. */
TEST(objs, null_slot_stays_empty)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    wf_cptr_t vmo = test_vmo(WF_PAGE_SIZE);
    TEST_ASSERT(ep && vmo);
    /* Retype into the root CNode itself (node_depth 0) at offset 0. */
    TEST_ASSERT_ERR(wf_untyped_retype(e->untyped, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, 0, 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_untyped_retype(e->untyped, WF_OBJ_ENDPOINT, 0, ROOT, 0, 0, 0, 2),
                    WF_ERR_INVALID_ARGUMENT);
    /* The CNode methods that fill a slot. */
    TEST_ASSERT_ERR(wf_cnode_copy(ROOT, 0, 64, ROOT, ep, 64, WF_RIGHTS_ALL),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_cnode_mint(ROOT, 0, 64, ROOT, ep, 64, WF_RIGHTS_ALL, 5),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_cnode_move(ROOT, 0, 64, ROOT, ep, 64), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_cnode_mutate(ROOT, 0, 64, ROOT, ep, 64, 0), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_cnode_swap(ROOT, 0, 64, ROOT, ep, 64), WF_ERR_FAILED_LOOKUP);
    /* The methods that make a cap. */
    TEST_ASSERT_ERR(wf_pool_create(e->pool, WF_OBJ_NOTIFICATION, 0, ROOT, 0, 64),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_pool_create(e->pool, WF_OBJ_VMO, WF_PAGE_SIZE, ROOT, 0, 64),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_pool_create_contig(e->pool, WF_PAGE_SIZE, ROOT, 0, 64),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_vmo_clone(vmo, e->pool, ROOT, 0, 64), WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_irqcontrol_get(WF_ROOT_IRQ_CONTROL, 8, 0, ROOT, 0, 64),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_ioport_issue(WF_ROOT_IOPORT, 0x70, 0x71, ROOT, 0, 64),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(wf_debug_cap_identify(0), 0);
    /* The endpoint is where it was, and slot 0 of another CNode takes caps. */
    TEST_ASSERT_EQ(wf_debug_cap_identify(ep), WF_OBJ_ENDPOINT);
    wf_cptr_t cn = test_obj(WF_OBJ_CNODE, 2);
    TEST_ASSERT(cn);
    TEST_ASSERT_ERR(wf_untyped_retype(e->untyped, WF_OBJ_ENDPOINT, 0, ROOT, cn, 64, 0, 1),
                    WF_ERR_OK);
}

TEST(pool, child_quota_inside_the_parent)
{
    TEST_ENV(e);
    wf_word_t usage, limit, objects, free_bytes;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage, &limit, &objects, &free_bytes), WF_ERR_OK);
    wf_cptr_t child = test_slot(0), grandchild = test_slot(1);
    TEST_ASSERT_ERR(wf_pool_create(e->pool, WF_OBJ_POOL, 1ull << 40, ROOT, child, 64),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_pool_create(e->pool, WF_OBJ_POOL, limit + 1, ROOT, child, 64),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(wf_debug_cap_identify(child), 0);
    TEST_ASSERT_ERR(wf_pool_create(e->pool, WF_OBJ_POOL, 1 << 20, ROOT, child, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_create(child, WF_OBJ_POOL, (1 << 20) + 1, ROOT, grandchild, 64),
                    WF_ERR_RANGE_ERROR);
    TEST_ASSERT_ERR(wf_pool_create(child, WF_OBJ_POOL, 1 << 20, ROOT, grandchild, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, child, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, child, 64), WF_ERR_OK);
}

TEST(pool, contig_beyond_the_pool_is_a_range_error)
{
    TEST_ENV(e);
    wf_cptr_t child = test_slot(0), v = test_slot(1);
    TEST_ASSERT_ERR(wf_pool_create(e->pool, WF_OBJ_POOL, 1 << 20, ROOT, child, 64), WF_ERR_OK);
    /* Never: more than the quota. */
    TEST_ASSERT_ERR(wf_pool_create_contig(child, 2 << 20, ROOT, v, 64), WF_ERR_RANGE_ERROR);
    /* The whole quota in one piece is possible (when the memory is free). */
    enum wf_error err = wf_pool_create_contig(child, 1 << 20, ROOT, v, 64);
    TEST_ASSERT(err == WF_ERR_OK || err == WF_ERR_NOT_ENOUGH_MEMORY, "%s", wf_error_name(err));
    TEST_ASSERT_ERR(wf_cnode_revoke(ROOT, child, 64), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_cnode_delete(ROOT, child, 64), WF_ERR_OK);
}

TEST(untyped, retype_skips_nothing_but_the_null_slot)
{
    TEST_ENV(e);
    /* Offset 0 of the root CNode is refused before any memory is used. */
    wf_word_t free0 = 0, free1 = 0;
    TEST_ASSERT_ERR(wf_untyped_describe(e->untyped, 0, 0, 0, &free0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_untyped_retype(e->untyped, WF_OBJ_NOTIFICATION, 0, ROOT, 0, 0, 0, 1),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_ERR(wf_untyped_describe(e->untyped, 0, 0, 0, &free1), WF_ERR_OK);
    TEST_ASSERT_EQ(free1, free0);
    TEST_ASSERT_EQ(wf_debug_cap_identify(0), 0);
    /* Offset 1 onward, as before. */
    TEST_ASSERT_ERR(
        wf_untyped_retype(e->untyped, WF_OBJ_NOTIFICATION, 0, ROOT, 0, 0, test_slot(0), 1),
        WF_ERR_OK);
}

static int null_slot_server(uintptr_t a)
{
    return uc_echo_serve(a & 0xfffff, a >> 20, ROOT, 0); /* receive slot: the null slot */
}

/* A receiver naming its null slot as the receive slot gets the message, not the
 * cap. */
TEST(objs, ipc_never_delivers_a_cap_into_the_null_slot)
{
    TEST_ENV(e);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0), rp = test_obj(WF_OBJ_REPLY, 0);
    wf_cptr_t ntfn = test_obj(WF_OBJ_NOTIFICATION, 0), grant = test_slot(0);
    TEST_ASSERT(ep && rp && ntfn);
    TEST_ASSERT_ERR(
        wf_cnode_mint(ROOT, grant, 64, ROOT, ep, 64, WF_RIGHT_WRITE | WF_RIGHT_GRANT, 0x55),
        WF_ERR_OK);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, null_slot_server, ep | rp << 20, TEST_CHILD_PRIO),
                    WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    wf_word_t r[5] = {0};
    TEST_ASSERT_EQ(wf_call(grant, UC_OP_CAPS, 0, 0, &ntfn, 1, r, 5), UC_OP_CAPS + 1);
    TEST_ASSERT_EQ(r[0], 0x55);
    TEST_ASSERT_EQ(r[1], 0); /* no cap went */
    /* (A release build skips from here: the server's look at its slot 0 is a
     * debug system call.) */
    TEST_ASSERT_EQ(wf_debug_cap_identify(0), 0);
    TEST_ASSERT_EQ(r[3], 0); /* what the server found in slot 0 */
    TEST_ASSERT_EQ(wf_debug_cap_identify(ntfn), WF_OBJ_NOTIFICATION);
    struct wf_msgregs m = {.info = wf_msginfo(UC_OP_QUIT, 0, 0)};
    TEST_ASSERT_ERR(wf_sys_call(grant, &m), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
}
