/*
 * The user address layout (wf/layout.h, decision 181) and the runtime's start
 * (user/lib/weft/runtime.c, wf_start_info): before the start, and on a space
 * of 2^47 or more, the addresses are the ones the runtime always used; the
 * root task's start takes the top from its bootinfo, a child's from its
 * startinfo (which the spawn library fills); a top below 256 GiB, a bootinfo
 * with a wrong magic or a startinfo without a top leave the layout as it was.
 * Every top from 2^38 to 2^48 gives page-aligned regions in order.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "weft/bootinfo.h"
#include "wf/syscall.h"
#include "wf/layout.h"
#include "wf/runtime.h"
#include "wf/spawn.h"
#include "wf/startinfo.h"

#define GIB (1ull << 30)

static struct wf_ipc_buffer ipcbuf __attribute__((aligned(4096)));

/* No system call is expected: the layout is computed, not asked for. */
wf_word_t wf_syscall(wf_word_t nr, wf_cptr_t cap, wf_cptr_t reply, struct wf_msgregs *m)
{
    (void)nr, (void)cap, (void)reply, (void)m;
    cr_assert_fail("unexpected system call");
    return WF_ERR_INVALID_ARGUMENT;
}

static void reset(void)
{
    wf_layout = wf_layout_for(1ull << 47);
}

TestSuite(ulayout, .init = reset);

static void assert_four_level(const struct wf_layout *l)
{
    cr_assert_eq(l->top, 1ull << 47);
    cr_assert_eq(l->mmap_base, 0x0000100000000000ull);
    cr_assert_eq(l->mmap_end, 0x0000200000000000ull);
    cr_assert_eq(l->files, 0x0000300000000000ull);
    cr_assert_eq(l->devices, 0x0000400000000000ull);
    cr_assert_eq(l->window, 0x0000000100000000ull);
    cr_assert_eq(l->devices + l->unit / 16, 0x0000410000000000ull);
    cr_assert_eq(l->windows, 0x0000500000000000ull);
    cr_assert_eq(l->scratch, 0x0000600000000000ull);
    cr_assert_eq(l->threads, 0x00007f0000000000ull);
    cr_assert_eq(l->stack_top, 0x00007ff000000000ull);
    cr_assert_eq(l->ipc_buffer, 0x00007ff000100000ull);
    cr_assert_eq(l->startinfo, 0x00007ff000200000ull);
}

Test(ulayout, before_the_start_the_four_level_addresses)
{
    static const struct wf_layout initial = WF_LAYOUT_INIT(1ull << 47, 1ull << 47);
    assert_four_level(&initial);
    assert_four_level(&wf_layout);
    cr_assert_eq(WF_CHILD_STACK_TOP, 0x00007ff000000000ull);
    cr_assert_eq(WF_THREAD_REGION, 0x00007f0000000000ull);
}

Test(ulayout, root_task_takes_the_top_from_its_bootinfo)
{
    static struct wf_bootinfo bi;
    bi.magic = WF_BOOTINFO_MAGIC;
    bi.user_top = 1ull << 38; /* riscv64's Sv39 */
    cr_assert_null(wf_start_info((uintptr_t)&bi, 0));
    cr_assert_eq(wf_layout.user_top, 1ull << 38);
    cr_assert_eq(wf_layout.mmap_base, 16 * GIB);
    cr_assert_eq(wf_layout.mmap_end, 32 * GIB);
    cr_assert_eq(wf_layout.files, 48 * GIB);
    cr_assert_eq(wf_layout.devices, 64 * GIB);
    cr_assert_eq(wf_layout.window, 2 * GIB);
    cr_assert_eq(wf_layout.windows, 80 * GIB);
    cr_assert_eq(wf_layout.scratch, 96 * GIB);
    cr_assert_eq(wf_layout.threads, 127 * GIB);
    cr_assert_eq(WF_CHILD_STACK_TOP, 0x0000003000000000ull); /* the root task's stack top */
    cr_assert_eq(WF_CHILD_STARTINFO, 0x0000003000200000ull); /* where its bootinfo is */

    /* A wrong magic, or no bootinfo: nothing changes. */
    bi.magic = 0;
    bi.user_top = 1ull << 47;
    cr_assert_null(wf_start_info((uintptr_t)&bi, 0));
    cr_assert_null(wf_start_info(0, 0));
    cr_assert_eq(wf_layout.top, 1ull << 38);
}

Test(ulayout, child_takes_the_top_from_its_startinfo)
{
    static struct wf_startinfo si;
    si = (struct wf_startinfo){.magic = WF_STARTINFO_MAGIC,
                               .cnode_radix = 8,
                               .ipc_buffer = (wf_word_t)(uintptr_t)&ipcbuf,
                               .user_top = 1ull << 48}; /* aarch64's: the 2^47 layout */
    wf_layout_set(1ull << 38);
    cr_assert_not_null(wf_start_info((uintptr_t)&si, WF_STARTINFO_MAGIC));
    assert_four_level(&wf_layout);
    cr_assert_eq(wf_layout.user_top, 1ull << 48);

    /* A startinfo without a top (0) or with one the layout does not hold for
     * keeps the layout. */
    si.user_top = 0;
    cr_assert_not_null(wf_start_info((uintptr_t)&si, WF_STARTINFO_MAGIC));
    assert_four_level(&wf_layout);
    cr_assert_eq(wf_layout_set((1ull << 38) - 4096), -1);
    assert_four_level(&wf_layout);
}

Test(ulayout, regions_in_order_for_every_top)
{
    for (unsigned bits = 38; bits <= 48; bits++) {
        const struct wf_layout l = wf_layout_for(1ull << bits);
        const wf_word_t a[] = {l.mmap_base,
                               l.mmap_end,
                               l.files,
                               l.devices,
                               l.windows,
                               l.scratch,
                               l.threads,
                               l.threads + WF_THREAD_REGION_SLOTS * WF_THREAD_STACK_SIZE,
                               l.stack_top - WF_CHILD_STACK_SIZE};
        for (unsigned i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
            cr_assert_eq(a[i] & 0xfff, 0, "top 2^%u: address %u not page aligned", bits, i);
            if (i)
                cr_assert_lt(a[i - 1], a[i], "top 2^%u: address %u out of order", bits, i);
        }
        cr_assert_leq(a[7], l.end, "top 2^%u", bits);
        cr_assert_leq(l.startinfo + 4096, l.top, "top 2^%u", bits);
        /* Below the root task's initramfs (top - 128 GiB) unless in the 2^47
         * layout, whose thread region is its last TiB's. */
        cr_assert(l.end <= l.top - 128 * GIB || l.threads + GIB <= l.top - 128 * GIB, "top 2^%u",
                  bits);
    }
}
