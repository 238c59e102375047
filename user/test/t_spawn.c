/*
 * The spawn library (wf/spawn.h) itself: a thread in the root task's VSpace runs
 * its function and reports its exit status; a child process started from the
 * initramfs gets its start info and exits with the status it was asked for;
 * its CNode holds exactly the well-known caps plus what the parent gave; a bad
 * ELF is refused with nothing left behind; destroying a thread or process
 * frees its stack slot and its memory (the pool's usage returns).
 */
#include <string.h>

#include "tutil.h"

static volatile wf_word_t thread_saw;

static int thread_fn(uintptr_t arg)
{
    thread_saw = arg;
    /* Its own IPC buffer, from its stack slot's record. */
    return wf_ipc_buffer() && (uintptr_t)wf_ipc_buffer() != test_bootinfo->ipc_buffer ? 7 : 8;
}

TEST(spawn, thread_runs_and_exits)
{
    TEST_ENV(e);
    struct wf_thread t;
    thread_saw = 0;
    TEST_ASSERT_ERR(wf_thread_create(e, &t, thread_fn, 0x1234, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_EQ(thread_saw, 0); /* created suspended */
    TEST_ASSERT_ERR(wf_thread_start(&t), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&t, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 7);
    TEST_ASSERT_EQ(thread_saw, 0x1234);
    uintptr_t first = t.stack;
    TEST_ASSERT(first >= WF_THREAD_REGION, "stack slot %#lx", (unsigned long)first);
    wf_thread_destroy(e, &t);
    /* Its stack slot is free again: the next thread gets the same one. */
    struct wf_thread t2;
    TEST_ASSERT_ERR(wf_thread_create(e, &t2, thread_fn, 1, TEST_CHILD_PRIO), WF_ERR_OK);
    TEST_ASSERT_EQ(t2.stack, first);
    wf_thread_destroy(e, &t2);
}

TEST(spawn, process_exits_with_status)
{
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_EXIT, 42, 0, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.len, 1);
    TEST_ASSERT_EQ(ev.w[0], 42);
}

TEST(spawn, two_processes_run_apart)
{
    struct wf_process a, b;
    TEST_ASSERT_ERR(test_child(&a), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child(&b), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&a, UC_EXIT, 1, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&b, UC_EXIT, 2, 0, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&b.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.w[0], 2);
    TEST_ASSERT_ERR(wf_thread_wait(&a.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.w[0], 1);
}

TEST(spawn, bad_elf_refused_and_nothing_left)
{
    TEST_ENV(e);
    wf_word_t usage0;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage0, 0, 0, 0), WF_ERR_OK);
    static const char junk[64] = "\x7f"
                                 "ELF but not really";
    struct wf_process p;
    TEST_ASSERT_ERR(wf_process_create(e, &p, junk, sizeof(junk), "junk", TEST_CHILD_PRIO),
                    WF_ERR_INVALID_ARGUMENT);
    TEST_ASSERT_EQ(p.main.tcb, 0);
    /* A priority above the caller's MCP: refused by TCB_Configure, undone. */
    const void *elf;
    size_t len;
    TEST_ASSERT(wf_initramfs_find(test_bootinfo, "uchild", &elf, &len));
    TEST_ASSERT_ERR(wf_process_create(e, &p, elf, len, "uchild", 256), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(p.main.tcb, 0);
    TEST_ASSERT_EQ(p.cnode, 0);
    wf_word_t usage1;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage1, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(usage1, usage0);
    TEST_ASSERT(!wf_initramfs_find(test_bootinfo, "no-such-program", &elf, &len));
}

TEST(spawn, destroy_returns_memory)
{
    TEST_ENV(e);
    wf_word_t usage0, usage1, usage2;
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage0, 0, 0, 0), WF_ERR_OK);
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_EXIT, 0, 0, 0), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage1, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT(usage1 > usage0, "the process used nothing from the pool");
    wf_process_destroy(e, &p);
    TEST_ASSERT_ERR(wf_pool_info(e->pool, &usage2, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_EQ(usage2, usage0);
}

TEST(spawn, child_cspace_holds_what_was_given)
{
    TEST_ENV(e);
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    wf_cptr_t ep = test_obj(WF_OBJ_ENDPOINT, 0);
    TEST_ASSERT(ep);
    TEST_ASSERT_ERR(wf_process_give(e, &p, UC_SLOT_EP, ep, WF_RIGHTS_ALL, 0), WF_ERR_OK);
    /* A slot already taken (its own TCB's); a source that is empty. */
    TEST_ASSERT_ERR(wf_process_give(e, &p, UC_SLOT_EP, ep, WF_RIGHTS_ALL, 0), WF_ERR_DELETE_FIRST);
    TEST_ASSERT_ERR(wf_process_give(e, &p, WF_CHILD_TCB, ep, WF_RIGHTS_ALL, 0),
                    WF_ERR_DELETE_FIRST);
    TEST_ASSERT_ERR(wf_process_give(e, &p, UC_SLOT_EP + 1, test_slot(5), WF_RIGHTS_ALL, 0),
                    WF_ERR_FAILED_LOOKUP);
    /* The child calls the endpoint; we answer with its words' sum. */
    TEST_ASSERT_ERR(test_child_start(&p, UC_CALL, 5, 100, 23), WF_ERR_OK);
    wf_cptr_t rp = test_obj(WF_OBJ_REPLY, 0);
    struct wf_msgregs m = {0};
    TEST_ASSERT_ERR(wf_sys_recv(ep, rp, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_label(m.info), 5);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), 2);
    m.w[0] = m.w[0] + m.w[1];
    m.info = wf_msginfo(0, 0, 1);
    TEST_ASSERT_ERR(wf_sys_send(rp, &m), WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], 123);
}
