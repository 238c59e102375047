/*
 * Program entry on riscv64 (see wf/runtime.h; x86-64's is user/lib/weft/crt0.S).
 * The kernel (or the parent) starts a program here with a0 = its start
 * argument, a1 = WF_STARTINFO_MAGIC when a0 is a struct wf_startinfo
 * (wf/startinfo.h), and sp = a 16-byte aligned stack top; both registers pass
 * through to wf_start(arg, magic). A zero frame pointer and return address end
 * backtraces. wf_start never returns.
 */
    .text
    .globl _start
    .type _start, %function
_start:
    li      s0, 0
    li      ra, 0
    andi    sp, sp, -16
    call    wf_start
    unimp
    .size _start, . - _start

    .section .note.GNU-stack, "", %progbits
