/*
 * The Weft user runtime (user/lib/weft): program start, exit, console output,
 * and each thread's IPC buffer.
 *
 * Start (crt0.S): the kernel, or the program that starts this one, enters at
 * _start with rdi = a start argument (the root task gets the address of its
 * struct wf_bootinfo, weft/bootinfo.h) and rsp = the top of a 16-byte aligned
 * stack. A program started by wf_process_start (wf/spawn.h) also has rsi =
 * WF_STARTINFO_MAGIC and rdi = the address of its struct wf_startinfo: the
 * runtime then takes its IPC buffer and exit endpoint from there before main
 * runs. _start calls main(arg); main's return value goes to wf_exit(). The
 * loader has zeroed .bss (the ELF's memsz beyond filesz).
 *
 * Exit: a thread whose record names an exit endpoint (threads and programs
 * started through wf/spawn.h) sends its status there (label WF_EXIT_LABEL) and
 * suspends itself; its parent learns of it with wf_wait(). The root task has no
 * one to tell: its exit halts the machine (DEBUG_HALT), which ends a test run.
 *
 * IPC buffers: wf_call() and long messages need the calling thread's IPC buffer.
 * There is no thread pointer register yet (no TLS), so the runtime finds the
 * current thread's record from the stack pointer: threads a program starts get
 * stacks of WF_THREAD_STACK_SIZE bytes, aligned to that size, inside one region
 * declared with wf_thread_stacks(); the record sits at the bottom of each such
 * stack. Any other stack is the main thread's, whose record is a global.
 */
#ifndef WF_RUNTIME_H
#define WF_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "weft/ipc.h"

#if !defined(WEFT_HOST) && !defined(WEFT_LIBC_MUSL)
/* The program's entry point, called by _start with the start argument (programs
 * linked with musl have the standard main instead: wf/libc.h). */
int main(uintptr_t arg);
#endif

/* The label of the message an exiting thread sends on its exit endpoint ("EXIT";
 * word 0 is the status). Fault labels (enum wf_fault_type) are small numbers. */
#define WF_EXIT_LABEL 0x45584954ull

/* Ends the calling thread with status (0: success): with an exit endpoint in its
 * record, sends {WF_EXIT_LABEL, status} on it and suspends itself; without one
 * (the root task), DEBUG_HALT(status) stops the machine. Never returns. */
__attribute__((noreturn)) void wf_exit(int status);

struct wf_startinfo;

/* Program start: when magic is WF_STARTINFO_MAGIC, arg is the program's start
 * info (wf/startinfo.h): takes the IPC buffer, exit endpoint and own TCB from it
 * into the main thread's record, the layout (wf/layout.h) from its user_top, and
 * returns it; otherwise (the root task: arg is its bootinfo) sets the layout
 * from the bootinfo's user_top and returns NULL. Called by the start code
 * before main. */
const struct wf_startinfo *wf_start_info(uintptr_t arg, uint64_t magic);

/* Writes len bytes to the console (decision 102). The root task uses the
 * kernel's CONSOLE_WRITE (32 bytes a call, the root task's CSpace only). A
 * program started with a start info writes through the console server:
 * console.Write on WF_CHILD_CONSOLE in chunks of WFP_CONSOLE_TEXT_MAX, and
 * when that cap is gone or its server died (FAILED_LOOKUP, INVALID_CAPABILITY,
 * CANCELLED) it reconnects once (wf_reconnect(WF_CHILD_CONSOLE, "console"))
 * and retries. A program whose first write finds neither a console cap nor a
 * name server that gives one stays with CONSOLE_WRITE, where the kernel
 * refuses it: a debug build then falls back to DEBUG_PUTC and a release build
 * writes nothing (decision 093). A chunk the server cannot take after a
 * reconnect goes the same way. With a sink set, everything goes to the sink. */
void wf_console_write(const char *s, size_t len);

/* Sends all later wf_console_write output (printf, musl's stdout and stderr)
 * to sink instead (NULL: back to the routes above). For the console server,
 * which writes the UART itself and must never call its own endpoint. */
void wf_console_set_sink(void (*sink)(const char *s, size_t len));

#define WF_THREAD_STACK_SIZE ((size_t)1 << 16) /* 64 KiB: size and alignment */

/* What the runtime keeps per thread. */
struct wf_thread_local {
    struct wf_ipc_buffer *ipc_buffer; /* NULL until set */
    void *user;                       /* the program's own per-thread pointer */
    wf_cptr_t exit_ep;                /* endpoint wf_exit reports to (0: halt) */
    wf_cptr_t self_tcb;               /* this thread's TCB cap, which wf_exit suspends */
};

/* The current thread's IPC buffer (NULL if none was set). */
struct wf_ipc_buffer *wf_ipc_buffer(void);

/* Sets the current thread's IPC buffer: the user address its TCB registers. */
void wf_set_ipc_buffer(struct wf_ipc_buffer *buf);

/* The current thread's record. */
struct wf_thread_local *wf_thread_self(void);

/* Declares [base, base + size) as the region holding the stacks of threads this
 * program starts (base and size multiples of WF_THREAD_STACK_SIZE). Returns 0,
 * or -1 if they are not. Call once, before starting threads. */
int wf_thread_stacks(void *base, size_t size);

/* Prepares the stack at stack (WF_THREAD_STACK_SIZE bytes, aligned to that, in
 * the declared region) for a new thread whose IPC buffer is buf: writes its
 * record at the bottom. Returns the initial stack pointer to give the thread
 * (16-byte aligned, less 8 as at a function's entry, so its entry may be a plain
 * C function that must not return), or 0 if stack is not a valid stack slot. */
uintptr_t wf_thread_prepare(void *stack, struct wf_ipc_buffer *buf, void *user);

/* The record for a thread whose stack pointer is sp (exposed for tests). */
struct wf_thread_local *wf_thread_local_for(uintptr_t sp);

#endif
