/*
 * Notifications: Signal ORs the cap's badge into the word, Poll returns and
 * clears it without blocking, Wait blocks until it is non-zero (here and in a
 * child process), a bound notification wakes its thread out of Recv on an
 * endpoint, and the rights and binding errors.
 */
#include "tutil.h"

static wf_cptr_t mint(wf_cptr_t cap, wf_word_t rights, wf_word_t badge)
{
    struct wf_spawn_env *e = test_env();
    wf_cptr_t s = e ? wf_env_slot(e) : 0;
    if (!s || wf_cnode_mint(WF_ROOT_CNODE, s, 64, WF_ROOT_CNODE, cap, 64, rights, badge))
        return 0;
    return s;
}

TEST(ntfn, signal_poll_or_badges)
{
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(n);
    wf_cptr_t b1 = mint(n, WF_RIGHT_WRITE, 0x1), b4 = mint(n, WF_RIGHT_WRITE, 0x4),
              b5 = mint(n, WF_RIGHT_WRITE, 0x5);
    TEST_ASSERT(b1 && b4 && b5);
    wf_word_t bits = 99;
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    TEST_ASSERT_ERR(wf_sys_signal(b1), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_signal(b4), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_signal(b5), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0x5);
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
    /* Wait with bits already set returns at once. */
    TEST_ASSERT_ERR(wf_sys_signal(b4), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0x4);
}

TEST(ntfn, rights_and_types)
{
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(n);
    wf_cptr_t ro = mint(n, WF_RIGHT_READ, 0x8), wo = mint(n, WF_RIGHT_WRITE, 0x8);
    TEST_ASSERT(ro && wo);
    TEST_ASSERT_ERR(wf_sys_signal(ro), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_sys_poll(wo, 0), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_sys_wait(wo, 0), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_sys_signal(WF_ROOT_TCB), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_sys_wait(test_slot(20), 0), WF_ERR_FAILED_LOOKUP);
    /* Nothing was signalled by the refused calls. */
    wf_word_t bits = 1;
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0);
}

static int signal_later(uintptr_t cap)
{
    return (int)wf_sys_signal(cap);
}

TEST(ntfn, wait_blocks_until_signalled)
{
    TEST_ENV(e);
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(n);
    wf_cptr_t b = mint(n, WF_RIGHT_WRITE, 0x30);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, signal_later, b, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    /* The signaller runs only once we block in Wait. */
    wf_word_t bits = 0;
    TEST_ASSERT_ERR(wf_sys_wait(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0x30);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.w[0], WF_ERR_OK);
}

TEST(ntfn, child_waits_for_signal)
{
    TEST_ENV(e);
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0);
    TEST_ASSERT(n);
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_process_give(e, &p, UC_SLOT_EP, n, WF_RIGHT_READ, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_WAIT, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(test_settle()); /* the child blocks in Wait */
    wf_cptr_t b2 = mint(n, WF_RIGHT_WRITE, 0x2), b40 = mint(n, WF_RIGHT_WRITE, 0x40);
    TEST_ASSERT(b2 && b40);
    TEST_ASSERT_ERR(wf_sys_signal(b2), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_signal(b40), WF_ERR_OK); /* before the child runs: OR-ed */
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    /* The first signal woke it with 0x2; the second is still in the word. */
    TEST_ASSERT_EQ(ev.w[0], 0x2);
    wf_word_t bits;
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0x40);
}

static struct {
    wf_word_t err, label, badge;
} bound;

static int recv_bound(uintptr_t ep)
{
    struct wf_msgregs m = {0};
    bound.err = wf_sys_recv(ep, 0, &m);
    bound.label = wf_msginfo_label(m.info);
    bound.badge = m.badge;
    return 0;
}

TEST(ntfn, bound_notification_wakes_recv)
{
    TEST_ENV(e);
    wf_cptr_t n = test_obj(WF_OBJ_NOTIFICATION, 0), ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(n && ep);
    wf_cptr_t b = mint(n, WF_RIGHT_WRITE, 0x600), wo = mint(n, WF_RIGHT_WRITE, 0x1);
    TEST_ASSERT(b && wo);
    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, recv_bound, ep, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_unbind_notification(t.tcb), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_tcb_bind_notification(t.tcb, wo), WF_ERR_INVALID_CAPABILITY);
    TEST_ASSERT_ERR(wf_tcb_bind_notification(t.tcb, n), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_bind_notification(t.tcb, n), WF_ERR_ILLEGAL_OPERATION);
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    TEST_ASSERT(test_settle()); /* it waits in Recv on the endpoint */
    TEST_ASSERT_ERR(wf_sys_signal(b), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_ERR(bound.err, WF_ERR_OK);
    TEST_ASSERT_EQ(bound.label, WF_MSG_LABEL_NOTIFICATION);
    TEST_ASSERT_EQ(bound.badge, 0x600);
    /* Once unbound, a signal stays in the word. */
    TEST_ASSERT_ERR(wf_tcb_unbind_notification(t.tcb), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_sys_signal(wo), WF_ERR_OK);
    wf_word_t bits;
    TEST_ASSERT_ERR(wf_sys_poll(n, &bits), WF_ERR_OK);
    TEST_ASSERT_EQ(bits, 0x1);
}
