/*
 * The system call layer: every entry from user mode ends up here (through
 * arch_user_entry) and leaves through the scheduler (sched_exit).
 */
#ifndef WEFT_IPC_SYSCALL_H
#define WEFT_IPC_SYSCALL_H

#include "arch/context.h"

/* Handles the entry from user mode saved in ctx (the current thread's): a system
 * call (that the fast path, ipc_fastpath, already declined), an exception (a
 * fault), or the return from an interrupt; then runs whatever the scheduler
 * picks. */
__noreturn void kernel_entry(struct arch_context *ctx);

#endif
