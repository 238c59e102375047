/*
 * The C side of program start (crt0.S calls wf_start): run main, exit with its
 * value. Kept apart from runtime.c so that the host tests can link the runtime
 * without a second main.
 */
#include "wf/runtime.h"

__attribute__((noreturn)) void wf_start(uintptr_t arg);

__attribute__((noreturn)) void wf_start(uintptr_t arg)
{
    wf_exit(main(arg));
}
