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
    wf_start_info(arg, magic);
    wf_exit(main(arg));
}
