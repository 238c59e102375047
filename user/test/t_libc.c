/*
 * Native programs linked with musl through Weft's port (decision 096): mtest
 * (user/mtest) checks the C library from inside (formatting, strings, sorting,
 * malloc over mmap over VMOs, munmap and mprotect, setjmp, TLS, errno) and exits
 * with its number of failed checks. Here the parent side: it runs to a clean
 * exit with a pool of its own, its memory is charged to that pool and all of it
 * comes back when the process is destroyed, and without a pool it still ends
 * with an exit (its allocations fail), not a fault.
 */
#include "tutil.h"

/* Runs mtest with a child pool of quota bytes given in WF_CHILD_POOL (none if
 * quota is 0); stores its report in *ev and the pool's usage while it had exited
 * but not yet been destroyed in *used, and after destruction in *left. */
static enum wf_error run_mtest(wf_word_t quota, struct wf_event *ev, wf_word_t *used,
                               wf_word_t *left)
{
    struct wf_spawn_env *e = test_env();
    const void *elf;
    size_t len;
    if (!e || !wf_initramfs_find(test_bootinfo, "mtest", &elf, &len))
        return WF_ERR_INVALID_ARGUMENT;
    wf_cptr_t pool = 0;
    enum wf_error err;
    struct wf_process p;
    if ((err = wf_process_create(e, &p, elf, len, "mtest", TEST_CHILD_PRIO)) != WF_ERR_OK)
        return err;
    if (quota && (err = wf_process_give_pool(e, &p, quota, &pool)) != WF_ERR_OK)
        return err;
    if ((err = wf_process_start(e, &p, 0)) != WF_ERR_OK)
        return err;
    if ((err = wf_thread_wait(&p.main, ev)) != WF_ERR_OK)
        return err;
    *used = *left = 0;
    if (pool)
        wf_pool_info(pool, used, 0, 0, 0);
    wf_process_destroy(e, &p);
    if (pool)
        wf_pool_info(pool, left, 0, 0, 0);
    return WF_ERR_OK;
}

TEST(libc, musl_program_passes_its_checks)
{
    struct wf_event ev;
    wf_word_t used, left;
    TEST_ASSERT_ERR(run_mtest(8u << 20, &ev, &used, &left), WF_ERR_OK);
    TEST_ASSERT(ev.label == WF_EXIT_LABEL, "mtest stopped with fault %lu at pc %#lx",
                (unsigned long)ev.label, (unsigned long)ev.w[0]);
    TEST_ASSERT(ev.w[0] == 0, "mtest: %lu checks failed (its console lines say which)",
                (unsigned long)ev.w[0]);
    /* Its heap came from the pool it was given (what malloc still held at exit)... */
    TEST_ASSERT(used > 0, "pool usage %lu", (unsigned long)used);
    /* ...and all of it came back with the process. */
    TEST_ASSERT_EQ(left, 0);
}

TEST(libc, musl_program_without_pool_exits_cleanly)
{
    struct wf_event ev;
    wf_word_t used, left;
    TEST_ASSERT_ERR(run_mtest(0, &ev, &used, &left), WF_ERR_OK);
    TEST_ASSERT(ev.label == WF_EXIT_LABEL, "mtest stopped with fault %lu at pc %#lx",
                (unsigned long)ev.label, (unsigned long)ev.w[0]);
    TEST_ASSERT(ev.w[0] > 0, "every allocation should have failed");
}
