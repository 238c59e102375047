/*
 * The in-guest suite (user/test/) run on the host against the kernel's own
 * capability code: the capability world of test_cap_world.c supplies wf_call
 * (lookup, decode, invoke, restart on preemption), and a double of the syscall
 * instruction answers DEBUG_CAP_IDENTIFY from the same CSpace. The root CNode is
 * laid out as the kernel lays out the root task's (bootinfo.h: CNode cap in slot
 * 1, TCB in slot 2, untyped caps from slot 16 listed in a bootinfo), so every
 * user test that needs only the root task runs here exactly as it will in the
 * guest, and its expectations are checked against the real decoders today.
 *
 * Also checked: the runner's TAP output for passing, failing and skipped tests
 * and its clean-up of the scratch slots.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cap/cdt.h"
#include "cap/cspace.h"
#include "test_cap_world.h"
#include "wf/runtime.h"
#include "wf/syscall.h"
#include "wftest.h"

static struct wf_bootinfo bi;
static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));

struct wf_ipc_buffer *wf_ipc_buffer(void)
{
    return &ipcbuf;
}

/* The debug system calls, on the world's CSpace. */
wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    if (nr == WF_SYS_DEBUG_CAP_IDENTIFY) {
        struct lookup_ret lr = cspace_lookup_slot(W.cspace, m->w[0], 64);
        if (!lr.slot)
            return WF_ERR_FAILED_LOOKUP;
        m->w[0] = cap_type(lr.slot->cap);
        return WF_ERR_OK;
    }
    if (nr == WF_SYS_DEBUG_PUTC) {
        putchar((int)m->w[0]);
        return WF_ERR_OK;
    }
    cr_assert_fail("unexpected system call %#llx", (unsigned long long)nr);
    return WF_ERR_ILLEGAL_OPERATION;
}

enum { UT_FIRST = WF_ROOT_FIRST_FREE, UT_COUNT = 3, SPARE_UT = 200 };

/* The root task's start state, built with the kernel's own invocations. */
static void root_task_world(void)
{
    world_init(20, false);
    cr_assert_eq(wf_cnode_move(1, SPARE_UT, 64, 1, WORLD_ROOT_UT, 64), WF_ERR_OK);
    world_retype(SPARE_UT, WF_OBJ_TCB, 0, WF_ROOT_TCB, 1);
    /* The root pool and what the kernel makes from it (kernel/core/roottask.c). */
    world_retype(SPARE_UT, WF_OBJ_POOL, 18, WF_ROOT_POOL, 1);
    cr_assert_eq(wf_pool_create(WF_ROOT_POOL, WF_OBJ_VSPACE, 0, 1, WF_ROOT_VSPACE, 64), WF_ERR_OK);
    static const unsigned vmos[] = {WF_ROOT_INITRAMFS, WF_ROOT_IPC_BUFFER, WF_ROOT_STACK,
                                    WF_ROOT_BOOTINFO, WF_ROOT_IMAGE_FIRST};
    for (unsigned i = 0; i < sizeof(vmos) / sizeof(vmos[0]); i++)
        cr_assert_eq(wf_pool_create(WF_ROOT_POOL, WF_OBJ_VMO, 4096, 1, vmos[i], 64), WF_ERR_OK);
    cdt_insert_root(&W.root[WF_ROOT_IRQ_CONTROL], cap_irq_control_new());
    cdt_insert_root(&W.root[WF_ROOT_IOPORT], cap_ioport_new(0, 0xffff));
    cdt_insert_root(&W.root[WF_ROOT_POWER], cap_power_new());
    world_retype(SPARE_UT, WF_OBJ_UNTYPED, 16, UT_FIRST, 2);
    world_retype(SPARE_UT, WF_OBJ_UNTYPED, 12, UT_FIRST + 2, 1);
    memset(&bi, 0, sizeof(bi));
    bi.magic = WF_BOOTINFO_MAGIC;
    bi.cnode_radix = WORLD_ROOT_RADIX;
    bi.untyped_first = UT_FIRST;
    bi.untyped_count = UT_COUNT;
    bi.first_free_slot = UT_FIRST + UT_COUNT;
    bi.ipc_buffer = (uintptr_t)&ipcbuf;
    bi.cluster_size = 4096ull << CLUSTER_ORDER;
    bi.page_size = 4096;
    bi.user_top = 1ull << 47; /* x86-64's, as the kernel's roottask.c says */
    strcpy(bi.cmdline, "utest");
    for (unsigned i = 0; i < UT_COUNT; i++) {
        wf_word_t pa, bits, dev;
        cr_assert_eq(wf_untyped_describe(UT_FIRST + i, &pa, &bits, &dev, NULL), WF_ERR_OK);
        bi.untyped[i] = (struct wf_bootinfo_untyped){pa, (uint8_t)bits, (uint8_t)dev, {0}};
    }
}

/* Runs the suite with filter, stdout captured into out; returns failures. */
static unsigned run_captured(const char *filter, char *out, size_t n)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    cr_assert(tmp);
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    unsigned failures = wf_test_run(&bi, filter);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(tmp);
    size_t len = fread(out, 1, n - 1, tmp);
    out[len] = 0;
    fclose(tmp);
    return failures;
}

static char out[1 << 16];

TestSuite(utest, .init = root_task_world, .fini = world_fini);

/* The suites that need only the root task's start state (the others start threads
 * and processes, which the host cannot run). */
static const char *const host_suites[] = {"boot/", "cnode/"};

Test(utest, every_root_task_test_passes_on_the_kernel_cap_code)
{
    for (unsigned i = 0; i < sizeof(host_suites) / sizeof(host_suites[0]); i++) {
        const char *suite = host_suites[i];
        unsigned failures = run_captured(suite, out, sizeof(out));
        cr_assert_eq(failures, 0, "%s", out);
        cr_assert(strstr(out, "TAP version 14\n1.."), "%s", out);
        cr_assert(!strstr(out, "not ok"), "%s", out);
    }
    /* Only the initramfs test has nothing to look at on the host. */
    cr_assert(strstr(out, "ok") != NULL);
}

Test(utest, untyped_state_is_restored)
{
    cr_assert_eq(run_captured("cnode/", out, sizeof(out)), 0, "%s", out);
    for (unsigned i = 0; i < UT_COUNT; i++) {
        wf_word_t bits, fr;
        cr_assert_eq(wf_untyped_describe(UT_FIRST + i, NULL, &bits, NULL, &fr), WF_ERR_OK);
        cr_assert_eq(fr, 1ull << bits, "untyped %u left with children", i);
    }
    for (unsigned i = 0; i < TEST_SCRATCH_SLOTS; i++)
        cr_assert_eq(world_count_caps(&W.root[bi.first_free_slot + i], 1), 0);
}

/* Host-only tests of the runner itself (the guest build does not link them). */
TEST(zrunner, passes)
{
    TEST_ASSERT_EQ(1 + 1, 2);
}

TEST(zrunner, fails_with_message)
{
    TEST_ASSERT_ERR(WF_ERR_RANGE_ERROR, WF_ERR_OK);
}

TEST(zrunner, skips)
{
    TEST_SKIP("nothing # here");
}

TEST(zrunner, leaves_a_cap_behind)
{
    TEST_ASSERT_ERR(wf_cnode_copy(1, test_slot(TEST_SCRATCH_SLOTS - 1), 64, 1, 2, 64, 0xf),
                    WF_ERR_OK);
}

Test(utest, runner_tap_output)
{
    unsigned failures = run_captured("zrunner/", out, sizeof(out));
    cr_assert_eq(failures, 1, "%s", out);
    cr_assert(strstr(out, "TAP version 14\n1..4\n"), "%s", out);
    cr_assert(strstr(out, "\nok 1 - zrunner/passes\n"), "%s", out);
    cr_assert(strstr(out, "\nnot ok 2 - zrunner/fails_with_message # "), "%s", out);
    cr_assert(strstr(out, "RANGE_ERROR (4), expected OK\n"), "%s", out);
    cr_assert(strstr(out, "\nok 3 - zrunner/skips # SKIP nothing   here\n"), "%s", out);
    cr_assert(strstr(out, "\nok 4 - zrunner/leaves_a_cap_behind\n"), "%s", out);
    /* The runner emptied the slot the last test filled. */
    cr_assert_eq(world_count_caps(&W.root[bi.first_free_slot + TEST_SCRATCH_SLOTS - 1], 1), 0);
    cr_assert_eq(run_captured("nomatch", out, sizeof(out)), 0);
    cr_assert(strstr(out, "1..0\n"), "%s", out);
    /* Comma-separated prefixes: a test runs when its name starts with any. */
    cr_assert_eq(run_captured("nomatch,zrunner/pa,,zrunner/sk", out, sizeof(out)), 0, "%s", out);
    cr_assert(strstr(out, "1..2\n"), "%s", out);
    cr_assert(strstr(out, "\nok 1 - zrunner/passes\n"), "%s", out);
    cr_assert(strstr(out, "\nok 2 - zrunner/skips # SKIP"), "%s", out);
    cr_assert_eq(run_captured(",", out, sizeof(out)), 0);
    cr_assert(strstr(out, "1..0\n"), "%s", out);
}
