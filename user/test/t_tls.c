/*
 * The thread pointer (TCB_SetTLS): the kernel loads each thread's own value
 * whenever it runs (x86-64: the FS base), so a thread reads through %fs what it
 * set, another thread's value never shows through a switch, and a base outside
 * the user half is refused with the bounds.
 */
#include "tutil.h"

static uint64_t fs_word0(void)
{
    uint64_t v;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
    return v;
}

static uint64_t block_a[2] = {0xaaaa0000aaaa0001ull, 0};
static uint64_t block_b[2] = {0xbbbb0000bbbb0002ull, 0};
static volatile wf_cptr_t thread_tcb;
static volatile uint64_t thread_read;

/* Runs in a thread of its own, below the root task: sets its thread pointer to
 * block_b and reads through it. */
static int tls_thread(uintptr_t unused)
{
    (void)unused;
    if (wf_tcb_set_tls(thread_tcb, (uintptr_t)block_b) != WF_ERR_OK)
        return 1;
    thread_read = fs_word0();
    return 0;
}

TEST(tls, each_thread_sees_its_own)
{
    TEST_ENV(e);
    TEST_ASSERT_ERR(wf_tcb_set_tls(WF_ROOT_TCB, (uintptr_t)block_a), WF_ERR_OK);
    TEST_ASSERT_EQ(fs_word0(), block_a[0]);

    struct wf_thread t;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, tls_thread, 0, TEST_CHILD_PRIO), WF_ERR_OK);
    thread_tcb = t.tcb;
    thread_read = 0;
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 0);
    TEST_ASSERT_EQ(thread_read, block_b[0]);
    /* Back in the root task: its own base again, not the thread's. */
    uint64_t mine = fs_word0();
    wf_tcb_set_tls(WF_ROOT_TCB, 0);
    TEST_ASSERT_EQ(mine, block_a[0]);
}

TEST(tls, kernel_half_refused_with_bounds)
{
    /* RANGE_ERROR details: argument index, minimum, maximum (docs/api.md). */
    wf_word_t w[1] = {0xffff800000000000ull}, d[4];
    TEST_ASSERT_EQ(wf_call(WF_ROOT_TCB, WF_LABEL_TCB_SET_TLS, w, 1, 0, 0, d, 4),
                   WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[0], 0);
    TEST_ASSERT_EQ(d[1], 0);
    TEST_ASSERT_EQ(d[2], 0x00007fffffffffffull);
    w[0] = 0x00007fffffffffffull; /* the last user byte is a valid base */
    TEST_ASSERT_EQ(wf_call(WF_ROOT_TCB, WF_LABEL_TCB_SET_TLS, w, 1, 0, 0, d, 4), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_tcb_set_tls(WF_ROOT_TCB, 0), WF_ERR_OK);
}
