/*
 * utest: the in-guest test suite (user/test/) and the benchmark launcher
 * (user/bench/) as a program of their own. A test image starts it as the root
 * task in place of init (kernel command line "init=utest"), so that it holds
 * every boot cap the suite checks, and init carries no test code. Then:
 *   - "bench=NAME": runs that benchmark (user/bench/bench.h) and halts with its
 *     result;
 *   - otherwise runs the suite, every test or those whose name starts with
 *     PREFIX ("utest=PREFIX"), and halts with status 0 if every test passed, 1
 *     otherwise.
 */
#include <stdio.h>

#include "bench.h"
#include "weft/bootinfo.h"
#include "wf/cmdline.h"
#include "wf/runtime.h"
#include "wftest.h"

int main(uintptr_t arg)
{
    const struct wf_bootinfo *bi = (const struct wf_bootinfo *)arg;
    if (!bi || bi->magic != WF_BOOTINFO_MAGIC) {
        printf("utest: started without a bootinfo (rdi %#llx): the kernel starts it as the "
               "root task with init=utest\n",
               (unsigned long long)arg);
        return 2;
    }
    wf_set_ipc_buffer((struct wf_ipc_buffer *)(uintptr_t)bi->ipc_buffer);
    printf("utest: in-guest suite, command line \"%s\"\n", bi->cmdline);
    char arg_buf[64];
    if (wf_cmdline_get(bi->cmdline, "bench", arg_buf, sizeof(arg_buf)))
        return bench_run(bi, arg_buf);
    if (!wf_cmdline_get(bi->cmdline, "utest", arg_buf, sizeof(arg_buf)))
        arg_buf[0] = 0;
    unsigned failures = wf_test_run(bi, arg_buf);
    printf("utest: suite done, %u failed\n", failures);
    return failures ? 1 : 0;
}
