/*
 * CONSOLE_WRITE (abi/weft.def; docs/decisions/093-release-console.md): the
 * console system call of every build, the root task's only. These tests run in
 * debug and release builds alike (make check runs the suite on both); the
 * TAP output of the whole suite in a release build is itself the proof that
 * the root task can print there.
 */
#include <string.h>

#include "tutil.h"
#include "uchild.h"
#include "weft/syscalls.h"

/* CONSOLE_WRITE of s (at most 32 bytes); the reply in *m. */
static wf_word_t console_write(const char *s, size_t n, struct wf_msgregs *m)
{
    memset(m, 0, sizeof(*m));
    for (size_t i = 0; i < n && i < 32; i++)
        m->w[i / 8] |= (wf_word_t)(unsigned char)s[i] << (8 * (i % 8));
    return wf_syscall(WF_SYS_CONSOLE_WRITE, n, 0, m);
}

TEST(console, root_task_writes_up_to_32_bytes)
{
    struct wf_msgregs m;
    TEST_ASSERT_ERR(console_write("", 0, &m), WF_ERR_OK);
    static const char line[] = "# console: 32 bytes in one call\n";
    TEST_ASSERT_EQ(sizeof(line) - 1, 32);
    TEST_ASSERT_ERR(console_write(line, 32, &m), WF_ERR_OK);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), 0);
}

TEST(console, more_than_32_bytes_is_a_range_error)
{
    struct wf_msgregs m;
    TEST_ASSERT_ERR(console_write("# console: never printed\n", 33, &m), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(wf_msginfo_label(m.info), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(wf_msginfo_length(m.info), 3);
    TEST_ASSERT_EQ(m.w[0], 0);  /* argument 0, the count */
    TEST_ASSERT_EQ(m.w[1], 0);  /* smallest allowed */
    TEST_ASSERT_EQ(m.w[2], 32); /* largest allowed */
    TEST_ASSERT_ERR(console_write("", ~0ull, &m), WF_ERR_RANGE_ERROR);
}

/* A process with a CSpace of its own may not write: the call is refused with
 * an error (not a fault), and the child runs on. */
TEST(console, other_cspaces_are_refused)
{
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_FAULT, UC_F_SYSCALL, WF_SYS_CONSOLE_WRITE, 0),
                    WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    TEST_ASSERT_EQ(ev.w[0], WF_ERR_ILLEGAL_OPERATION);
}
