/*
 * The user address layout (wf/layout.h, decision 181): the runtime's fixed
 * addresses follow the bootinfo's user_top; on a space of 2^47 or more they are
 * the addresses the runtime always used; on any smaller one (riscv64's Sv39:
 * 2^38) they stay below it and clear of the root task's own fixed addresses;
 * a child learns the top from its startinfo; and a mapping above the top is a
 * range error naming the bound.
 */
#include <stddef.h>

#include "tutil.h"

#define GIB (1ull << 30)
#define TIB (1ull << 40)

TEST(layout, follows_the_user_top)
{
    const wf_word_t ut = test_bootinfo->user_top;
    const struct wf_layout want = wf_layout_for(ut);
    TEST_ASSERT_EQ(wf_layout.user_top, ut);
    TEST_ASSERT_EQ(wf_layout.top, ut < (1ull << 47) ? ut : (1ull << 47));
    TEST_ASSERT_EQ(wf_layout.mmap_base, want.mmap_base);
    TEST_ASSERT_EQ(wf_layout.devices, want.devices);
    TEST_ASSERT_EQ(wf_layout.scratch, want.scratch);
    TEST_ASSERT_EQ(wf_layout.threads, want.threads);
    TEST_ASSERT_EQ(wf_layout.stack_top, want.stack_top);
    /* The root task's stack, IPC buffer and bootinfo sit where a child's do. */
    TEST_ASSERT_EQ(test_bootinfo->ipc_buffer, wf_layout.ipc_buffer);
    TEST_ASSERT_EQ((uintptr_t)test_bootinfo, wf_layout.startinfo);
    int here;
    TEST_ASSERT((uintptr_t)&here < wf_layout.stack_top &&
                    (uintptr_t)&here > wf_layout.stack_top - (1ull << 20),
                "stack %#lx", (unsigned long)(uintptr_t)&here);
}

TEST(layout, four_level_addresses_unchanged)
{
    /* x86-64's 2^47, aarch64's 2^48 and riscv64's Sv48: the runtime's
     * addresses of before the layout. */
    const wf_word_t tops[2] = {1ull << 47, 1ull << 48};
    for (unsigned i = 0; i < 2; i++) {
        const struct wf_layout l = wf_layout_for(tops[i]);
        TEST_ASSERT_EQ(l.top, 1ull << 47);
        TEST_ASSERT_EQ(l.mmap_base, 0x0000100000000000ull);
        TEST_ASSERT_EQ(l.mmap_end, 0x0000200000000000ull);
        TEST_ASSERT_EQ(l.files, 0x0000300000000000ull);
        TEST_ASSERT_EQ(l.files + l.unit / 16, 0x0000310000000000ull);
        TEST_ASSERT_EQ(l.devices, 0x0000400000000000ull);
        TEST_ASSERT_EQ(l.devices + l.window, 0x0000400100000000ull);
        TEST_ASSERT_EQ(l.devices + l.unit / 16, 0x0000410000000000ull);
        TEST_ASSERT_EQ(l.windows, 0x0000500000000000ull);
        TEST_ASSERT_EQ(l.scratch, 0x0000600000000000ull);
        TEST_ASSERT_EQ(l.threads, 0x00007f0000000000ull);
        TEST_ASSERT_EQ(l.stack_top, 0x00007ff000000000ull);
        TEST_ASSERT_EQ(l.ipc_buffer, 0x00007ff000100000ull);
        TEST_ASSERT_EQ(l.startinfo, 0x00007ff000200000ull);
    }
    /* Sv39's 2^38: the same regions in 16 GiB units below 128 GiB. */
    const struct wf_layout s = wf_layout_for(1ull << 38);
    TEST_ASSERT_EQ(s.mmap_base, 16 * GIB);
    TEST_ASSERT_EQ(s.mmap_end, 32 * GIB);
    TEST_ASSERT_EQ(s.devices, 64 * GIB);
    TEST_ASSERT_EQ(s.window, 2 * GIB);
    TEST_ASSERT_EQ(s.scratch, 96 * GIB);
    TEST_ASSERT_EQ(s.threads, 127 * GIB);
    TEST_ASSERT_EQ(s.stack_top, 0x0000003000000000ull);
    /* Below 256 GiB the layout does not hold: refused, nothing changed. */
    const wf_word_t before = wf_layout.top;
    TEST_ASSERT_EQ(wf_layout_set((1ull << 38) - 4096), -1);
    TEST_ASSERT_EQ(wf_layout.top, before);
}

TEST(layout, regions_apart_below_every_top)
{
    /* Every top from 256 GiB to 2^48: the regions in order, the thread region
     * below their end, the end below the root task's initramfs (top - 128 GiB)
     * and the children's stack (top - 64 GiB), which ends below the top. The
     * scratch region holds the file server's cache (15 windows of 2 GiB, a last
     * of at most 1 GiB) below the thread region. */
    for (unsigned bits = 38; bits <= 48; bits++) {
        const struct wf_layout l = wf_layout_for(1ull << bits);
        const wf_word_t root_initramfs = l.top - 128 * GIB;
        TEST_ASSERT(l.unit >= 16 * GIB && l.window <= l.unit / 8 && l.window >= GIB, "top 2^%u",
                    bits);
        TEST_ASSERT(l.mmap_base >= GIB && l.mmap_end <= l.files && l.files < l.devices &&
                        l.devices + 5 * l.window <= l.windows &&
                        l.windows + 16 * GIB <= l.scratch && l.scratch + 31 * GIB <= l.threads,
                    "top 2^%u", bits);
        TEST_ASSERT(l.threads + WF_THREAD_REGION_SLOTS * WF_THREAD_STACK_SIZE <= l.end, "top 2^%u",
                    bits);
        TEST_ASSERT(l.end <= root_initramfs ||
                        (l.threads + GIB <= root_initramfs && l.end == l.top),
                    "top 2^%u", bits);
        TEST_ASSERT(l.stack_top - WF_CHILD_STACK_SIZE > root_initramfs + 32 * GIB &&
                        l.startinfo + 4096 < l.top,
                    "top 2^%u", bits);
    }
}

TEST(layout, child_finds_the_top_in_its_startinfo)
{
    /* The child sums the bytes of its startinfo's user_top where its layout
     * puts the startinfo: the parent's layout mapped it there and filled it. */
    struct wf_process p;
    TEST_ASSERT_ERR(test_child(&p), WF_ERR_OK);
    TEST_ASSERT_ERR(test_child_start(&p, UC_PEEK,
                                     WF_CHILD_STARTINFO + offsetof(struct wf_startinfo, user_top),
                                     sizeof(wf_word_t), 0),
                    WF_ERR_OK);
    struct wf_event ev;
    TEST_ASSERT_ERR(wf_thread_wait(&p.main, &ev), WF_ERR_OK);
    TEST_ASSERT_EQ(ev.label, WF_EXIT_LABEL);
    wf_word_t sum = 0;
    for (unsigned i = 0; i < 8; i++)
        sum += (test_bootinfo->user_top >> (8 * i)) & 0xff;
    TEST_ASSERT_EQ(ev.w[0], sum);
    /* Its stack and IPC buffer are where the layout says, in its VSpace. */
    TEST_ASSERT_ERR(wf_vspace_lookup(p.vspace, WF_CHILD_STACK_TOP - 4096, 0, 0, 0, 0), WF_ERR_OK);
    TEST_ASSERT_ERR(wf_vspace_lookup(p.vspace, WF_CHILD_IPC_BUFFER, 0, 0, 0, 0), WF_ERR_OK);
}

TEST(layout, map_above_the_top_is_a_range_error)
{
    /* A Map at the top, one that runs past it, and one at the 2^47 layout's
     * scratch address where the top is lower (riscv64's Sv39): each a range
     * error naming the bound, nothing mapped. */
    TEST_ENV(e);
    const wf_word_t top = test_bootinfo->user_top, pg = 4096;
    wf_cptr_t v = test_vmo(2 * pg);
    TEST_ASSERT(v);
    wf_word_t d[4];
    wf_word_t mw[4] = {top, 0, pg, WF_VM_READ | WF_VM_WRITE};
    TEST_ASSERT_EQ(wf_call(e->vspace, WF_LABEL_VSPACE_MAP, mw, 4, &v, 1, d, 4), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[2], top - pg);
    mw[0] = top - pg;
    mw[2] = 2 * pg;
    TEST_ASSERT_EQ(wf_call(e->vspace, WF_LABEL_VSPACE_MAP, mw, 4, &v, 1, d, 4), WF_ERR_RANGE_ERROR);
    TEST_ASSERT_EQ(d[2], pg);
    const wf_word_t far = wf_layout_for(1ull << 47).scratch;
    if (top <= far) {
        mw[0] = far;
        mw[2] = pg;
        TEST_ASSERT_EQ(wf_call(e->vspace, WF_LABEL_VSPACE_MAP, mw, 4, &v, 1, d, 4),
                       WF_ERR_RANGE_ERROR);
        TEST_ASSERT_EQ(d[2], top - pg);
    }
    TEST_ASSERT_ERR(wf_vspace_lookup(e->vspace, top - pg, 0, 0, 0, 0), WF_ERR_INVALID_ARGUMENT);
}
