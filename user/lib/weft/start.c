/*
 * The C side of program start (crt0.S calls wf_start): take what a spawning
 * parent left in the start info (IPC buffer, exit endpoint; wf/startinfo.h),
 * run main, exit with its value. Kept apart from runtime.c so that the host
 * tests can link the runtime without a second main.
 */
#include "wf/runtime.h"
#include "wf/startinfo.h"

__attribute__((noreturn)) void wf_start(uintptr_t arg, uint64_t magic);

__attribute__((noreturn)) void wf_start(uintptr_t arg, uint64_t magic)
{
    if (magic == WF_STARTINFO_MAGIC) {
        const struct wf_startinfo *si = (const struct wf_startinfo *)arg;
        struct wf_thread_local *self = wf_thread_self();
        self->ipc_buffer = (struct wf_ipc_buffer *)(uintptr_t)si->ipc_buffer;
        self->exit_ep = si->exit_ep;
        self->self_tcb = si->self_tcb;
    }
    wf_exit(main(arg));
}
