/*
 * Program entry on aarch64 (see wf/runtime.h; x86-64's is user/lib/weft/crt0.S).
 * The kernel (or the parent) starts a program here with x0 = its start
 * argument, x1 = WF_STARTINFO_MAGIC when x0 is a struct wf_startinfo
 * (wf/startinfo.h), and sp = a 16-byte aligned stack top; both registers pass
 * through to wf_start(arg, magic). A zero frame pointer and link register end
 * backtraces. wf_start never returns.
 */
    .text
    .globl _start
    .type _start, %function
_start:
    mov     x29, #0
    mov     x30, #0
    mov     x9, sp
    and     x9, x9, #-16
    mov     sp, x9
    bl      wf_start
    udf     #0
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
