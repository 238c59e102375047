/*
 * Program entry (see wf/runtime.h). The kernel (or the parent) starts a
 * program here with rdi = its start argument, rsi = WF_STARTINFO_MAGIC when rdi
 * is a struct wf_startinfo (wf/startinfo.h), and rsp = a 16-byte aligned stack
 * top; both registers pass through to wf_start(arg, magic). A cleared frame pointer ends backtraces; the call leaves rsp as the
 * psABI expects at a function's entry. wf_start never returns.
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xorl %ebp, %ebp
    andq $-16, %rsp
    call wf_start
    ud2
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
